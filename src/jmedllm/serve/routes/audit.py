"""The audit log over HTTP, for ``auditor`` and ``admin`` keys: export and verification.

Export is scoped to the caller's organisation and streamed as JSONL; verification checks
the whole chain (it reveals nothing but whether, and where, the chain is broken).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from jmedllm.serve.auth import AuditCaller

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit")


@router.get("/events")
async def export_events(
    request: Request,
    record: AuditCaller,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> StreamingResponse:
    gateway = request.app.state.gateway
    # A time without a zone means UTC (as on the CLI); checked before the stream starts.
    since, until = (t if t is None or t.tzinfo else t.replace(tzinfo=UTC) for t in (since, until))
    record.detail["admin_action"] = "audit.export"
    await record.finish(gateway, raise_on_audit_failure=True)
    organisation = record.organisation

    def lines() -> Iterator[str]:
        for stored in gateway.store.iter_audit(since=since, until=until):
            event = stored.event
            if event.organisation != organisation:
                continue
            data = event.payload()
            data["seq"] = stored.seq
            data["hash"] = event.hash
            yield json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/verify")
async def verify(request: Request, record: AuditCaller) -> JSONResponse:
    gateway = request.app.state.gateway
    result = await run_in_threadpool(gateway.store.verify_audit)
    record.detail["admin_action"] = "audit.verify"
    record.outcome = "ok" if result.ok else "chain_broken"
    await record.finish(gateway, raise_on_audit_failure=True)
    return JSONResponse(
        {
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason,
        }
    )
