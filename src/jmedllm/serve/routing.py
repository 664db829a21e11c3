"""Served model names → their backends, with weighted choice and failover before the first byte.

A request goes to a backend chosen by weight among those believed healthy; when that
backend cannot be reached (``BackendUnavailable``) before anything was sent to the
client, the next one is tried. Errors the upstream gave on purpose (4xx) are not retried.
Circuit breaking and health probing are refined in issue 8.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

from jmedllm.core.settings import ServedModel, Settings
from jmedllm.serve.backends.base import (
    BACKENDS,
    Backend,
    BackendUnavailable,
    Delta,
    Generation,
    GenerationRequest,
)

__all__ = ["ModelRoute", "build_routes"]

_HEALTH_TTL_S = 2.0


class ModelRoute:
    """The backends behind one served model name."""

    def __init__(self, served: ServedModel, backends: list[Backend]) -> None:
        self.served = served
        self.backends = backends
        self._healthy: dict[int, bool] = dict.fromkeys(range(len(backends)), True)
        self._checked_at = 0.0
        self._rng = random.Random()

    @property
    def name(self) -> str:
        return self.served.name

    def allows(self, role: str) -> bool:
        return role in self.served.roles

    async def start(self) -> None:
        await asyncio.gather(*(b.start() for b in self.backends))

    async def close(self) -> None:
        await asyncio.gather(*(b.close() for b in self.backends), return_exceptions=True)

    async def health(self, *, force: bool = False) -> dict[str, bool]:
        """Per-backend health, cached for two seconds so probes cannot hammer upstreams."""
        now = time.monotonic()
        if force or now - self._checked_at > _HEALTH_TTL_S:
            results = await asyncio.gather(*(_safe_health(b) for b in self.backends))
            self._healthy = dict(enumerate(results))
            self._checked_at = now
        return {b.label: self._healthy[i] for i, b in enumerate(self.backends)}

    def _order(self) -> list[int]:
        """Backends to try: one weighted pick among the healthy first, then the rest."""
        indices = list(range(len(self.backends)))
        healthy = [i for i in indices if self._healthy.get(i, True)]
        pool = [i for i in healthy if self.backends[i].config.weight > 0] or healthy or indices
        weights = [max(self.backends[i].config.weight, 1) for i in pool]
        first = self._rng.choices(pool, weights=weights)[0]
        return [first] + [i for i in pool if i != first] + [i for i in indices if i not in pool]

    async def generate(self, request: GenerationRequest) -> tuple[Generation, Backend]:
        last: BackendUnavailable | None = None
        for index in self._order():
            backend = self.backends[index]
            try:
                return await backend.generate(request), backend
            except BackendUnavailable as exc:
                self._healthy[index] = False
                last = exc
        raise last or BackendUnavailable(f"no backend of model {self.name!r} is available")

    async def stream(self, request: GenerationRequest) -> tuple[AsyncIterator[Delta], Delta, Backend]:
        """Open a stream and wait for its first delta, failing over until one backend answers."""
        last: BackendUnavailable | None = None
        for index in self._order():
            backend = self.backends[index]
            iterator = backend.stream(request).__aiter__()
            try:
                first = await iterator.__anext__()
            except StopAsyncIteration:
                return _empty(), Delta(""), backend
            except BackendUnavailable as exc:
                self._healthy[index] = False
                last = exc
                await _aclose(iterator)
                continue
            return iterator, first, backend
        raise last or BackendUnavailable(f"no backend of model {self.name!r} is available")


async def _empty() -> AsyncIterator[Delta]:
    return
    yield  # pragma: no cover - makes this an async generator


async def _aclose(iterator: AsyncIterator[Delta]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


async def _safe_health(backend: Backend) -> bool:
    try:
        return bool(await backend.health())
    except Exception:  # a health probe must never take the gateway down
        return False


def build_routes(settings: Settings) -> dict[str, ModelRoute]:
    """One route per served model, its backends built from the registry (nothing started yet)."""
    routes: dict[str, ModelRoute] = {}
    for served in settings.models:
        backends = [BACKENDS.get(cfg.type)(cfg, served, settings) for cfg in served.backends]
        routes[served.name] = ModelRoute(served, backends)
    return routes
