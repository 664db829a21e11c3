"""Served model names → their backends: weighted choice, circuit breakers, failover, health probes.

A request goes to a backend chosen by weight among those whose circuit is closed (a
canary at weight 5 beside one at 95 gets ~5% of traffic). When that backend fails
before anything was sent to the client — it cannot be reached, it answers 5xx, it is
busy, or a non-streamed reply breaks off — the next one is tried; errors the upstream
gave on purpose (4xx) are the client's and are not retried. A streamed reply that breaks
after its first byte cannot be retried and ends with an error event (routes/openai.py).

Each backend has a circuit breaker: ``breaker_failures`` consecutive failures open it
and the backend leaves rotation; after ``breaker_cooldown_s`` one trial request (or a
passing background health probe) may close it again. Probes run every
``health_interval_s`` so a backend that died idle is noticed before a client meets it,
and one that came back is re-admitted without anyone's request paying for the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from jmedllm.core.settings import ServedModel, Settings
from jmedllm.serve.backends.base import (
    BACKENDS,
    Backend,
    BackendBusy,
    BackendError,
    BackendUnavailable,
    Delta,
    Generation,
    GenerationRequest,
)

__all__ = ["CircuitBreaker", "ModelRoute", "aclose_quietly", "build_routes", "retryable"]


def retryable(error: BackendError) -> bool:
    """Worth trying another backend: unreachable, busy or a server-side failure, not a client error."""
    return isinstance(error, BackendUnavailable | BackendBusy) or error.status >= 500


def _breaker_failure(error: BackendError) -> bool:
    # Busy is load, not breakage: it must not take a healthy backend out of rotation.
    return not isinstance(error, BackendBusy) and retryable(error)


@dataclass
class CircuitBreaker:
    """Closed → (``failures`` in a row) → open → (``cooldown_s``) → half-open → one trial → closed/open."""

    failures: int = 3
    cooldown_s: float = 10.0
    clock: Callable[[], float] = time.monotonic
    state: str = "closed"
    consecutive: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = field(default=False, repr=False)

    def allows(self) -> bool:
        """May a request go to this backend now? (In half-open state: one trial at a time.)"""
        if self.state == "closed":
            return True
        if self.state == "open" and self.clock() - self.opened_at >= self.cooldown_s:
            self.state = "half_open"
        if self.state == "half_open" and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def success(self) -> None:
        self.state = "closed"
        self.consecutive = 0
        self.trial_in_flight = False

    def failure(self) -> None:
        self.consecutive += 1
        self.trial_in_flight = False
        if self.state == "half_open" or self.consecutive >= self.failures:
            self.state = "open"
            self.opened_at = self.clock()

    @property
    def closed(self) -> bool:
        return self.state == "closed"


class ModelRoute:
    """The backends behind one served model name."""

    def __init__(
        self, served: ServedModel, backends: list[Backend], settings: Settings | None = None
    ) -> None:
        self.served = served
        self.backends = backends
        serve = settings.serve if settings is not None else None
        self.breakers = [
            CircuitBreaker(
                failures=serve.breaker_failures if serve else 3,
                cooldown_s=serve.breaker_cooldown_s if serve else 10.0,
            )
            for _ in backends
        ]
        self._healthy: list[bool] = [True] * len(backends)
        self._checked_at = 0.0
        self._rng = random.Random()
        # Requests using this route now; a reload closes a replaced route only when it is 0.
        self.in_flight = 0

    @property
    def name(self) -> str:
        return self.served.name

    def allows(self, role: str) -> bool:
        return role in self.served.roles

    async def start(self) -> None:
        await asyncio.gather(*(b.start() for b in self.backends))

    async def close(self) -> None:
        await asyncio.gather(*(b.close() for b in self.backends), return_exceptions=True)

    def is_up(self, index: int) -> bool:
        """The backend answered its last probe and its circuit is not open."""
        return self._healthy[index] and self.breakers[index].state != "open"

    def labels(self) -> list[str]:
        """Backend labels, made unique (two backends on one host would otherwise share one)."""
        seen: dict[str, int] = {}
        out = []
        for backend in self.backends:
            n = seen.get(backend.label, 0)
            seen[backend.label] = n + 1
            out.append(backend.label if n == 0 else f"{backend.label}#{n + 1}")
        return out

    async def probe(self) -> None:
        """Ask every backend whether it is healthy; a passing probe closes an open circuit after its cooldown."""
        results = await asyncio.gather(*(_safe_health(b) for b in self.backends))
        now = time.monotonic()
        for index, ok in enumerate(results):
            self._healthy[index] = ok
            breaker = self.breakers[index]
            if ok and not breaker.closed and now - breaker.opened_at >= breaker.cooldown_s:
                breaker.success()
            elif not ok and breaker.closed:
                breaker.failure()
        self._checked_at = now

    async def health(self, *, max_age_s: float = 2.0) -> dict[str, bool]:
        """Per-backend health (probed again when older than ``max_age_s``): healthy and circuit closed."""
        if time.monotonic() - self._checked_at > max_age_s:
            await self.probe()
        return {label: self.is_up(i) for i, label in enumerate(self.labels())}

    def _order(self) -> list[int]:
        """Backends to try: one weighted pick among the admitted, then the other admitted ones.

        When every circuit is open, the backend whose circuit opened first is tried anyway:
        a request that might succeed beats a certain 503.
        """
        admitted = [i for i, breaker in enumerate(self.breakers) if breaker.allows()]
        if not admitted:
            return sorted(range(len(self.backends)), key=lambda i: self.breakers[i].opened_at)[:1]
        weighted = [i for i in admitted if self.backends[i].config.weight > 0] or admitted
        weights = [max(self.backends[i].config.weight, 1) for i in weighted]
        first = self._rng.choices(weighted, weights=weights)[0]
        return [first] + [i for i in admitted if i != first]

    async def generate(self, request: GenerationRequest) -> tuple[Generation, Backend]:
        last: BackendError | None = None
        for index in self._order():
            backend = self.backends[index]
            try:
                generation = await backend.generate(request)
            except BackendError as exc:
                self._record(index, exc)
                if not retryable(exc):
                    raise
                last = exc
                continue
            self.breakers[index].success()
            return generation, backend
        raise last or BackendUnavailable(f"no backend of model {self.name!r} is available")

    async def stream(self, request: GenerationRequest) -> tuple[AsyncIterator[Delta], Delta, Backend]:
        """Open a stream and wait for its first delta, failing over until one backend answers."""
        last: BackendError | None = None
        for index in self._order():
            backend = self.backends[index]
            iterator = backend.stream(request).__aiter__()
            try:
                first = await iterator.__anext__()
            except StopAsyncIteration:
                self.breakers[index].success()
                return _empty(), Delta(""), backend
            except BackendError as exc:
                self._record(index, exc)
                await aclose_quietly(iterator)
                if not retryable(exc):
                    raise
                last = exc
                continue
            self.breakers[index].success()
            return iterator, first, backend
        raise last or BackendUnavailable(f"no backend of model {self.name!r} is available")

    def _record(self, index: int, error: BackendError) -> None:
        if _breaker_failure(error):
            self.breakers[index].failure()
            if isinstance(error, BackendUnavailable):
                self._healthy[index] = False
        else:
            # A client error or busy answer still proves the backend is alive.
            self.breakers[index].success()


async def _empty() -> AsyncIterator[Delta]:
    return
    yield  # pragma: no cover - makes this an async generator


async def aclose_quietly(iterator: AsyncIterator[Delta]) -> None:
    """Close a backend stream (an async generator) if it can be; errors while closing are moot."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
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
        routes[served.name] = ModelRoute(served, backends, settings)
    return routes
