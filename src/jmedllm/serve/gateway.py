"""The gateway's services, built once per app: store, guard, model routes, metrics, logger."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from logging import Logger

from jmedllm.core.settings import Settings
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.serve.audit_writer import AuditWriter
from jmedllm.serve.db.session import Database
from jmedllm.serve.db.store import Store
from jmedllm.serve.logs import configure_logging
from jmedllm.serve.metrics import GatewayMetrics
from jmedllm.serve.ratelimit import RateLimiter, build_rate_limiter
from jmedllm.serve.routing import ModelRoute, build_routes

__all__ = ["Gateway"]


@dataclass
class Gateway:
    settings: Settings
    database: Database
    store: Store
    guard: GuardPipeline
    routes: dict[str, ModelRoute]
    metrics: GatewayMetrics
    log: Logger
    started_at: int = field(default_factory=lambda: int(time.time()))
    draining: bool = False
    limiter: RateLimiter | None = None
    """Rate limits of the generation routes (the limits themselves are read from ``settings.limits``)."""
    config_path: str | None = None
    audit: AuditWriter = field(init=False)
    """Writes audit events in group commits (see ``audit_writer``)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.audit = AuditWriter(self.store)

    @classmethod
    def build(cls, settings: Settings, *, log_stream: object = None) -> Gateway:
        """Wire the services from settings (nothing started, no model loaded yet)."""
        database = Database(settings.effective_database_url)
        metrics = GatewayMetrics()
        return cls(
            settings=settings,
            database=database,
            store=Store(database),
            guard=GuardPipeline.from_reference(settings.guard.policy),
            routes=build_routes(settings),
            metrics=metrics,
            limiter=build_rate_limiter(settings, errors=metrics.rate_limiter_errors),
            log=configure_logging(settings.log_level, settings.serve.log_format, log_stream),
        )

    async def start(self, *, migrate: bool = True) -> None:
        if migrate:
            await asyncio.to_thread(self.database.migrate)
        await asyncio.to_thread(self.guard.warm_up)  # before traffic: see Rail.warm_up
        await asyncio.gather(*(route.start() for route in self.routes.values()))
        self.audit.start()
        await self.refresh_backend_gauges()
        from jmedllm.serve.lifecycle import health_loop, install_signal_handlers

        self._tasks.append(asyncio.get_running_loop().create_task(health_loop(self)))
        install_signal_handlers(self, asyncio.get_running_loop())
        self.log.info(
            "gateway started",
            extra={
                "fields": {
                    "models": sorted(self.routes),
                    "guard_policy": self.guard.policy.name,
                    "database": self.database.engine.dialect.name,
                }
            },
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(route.close() for route in self.routes.values()), return_exceptions=True)
        await self.audit.close()
        if self.limiter is not None:
            await self.limiter.close()
        self.database.close()
        self.log.info("gateway stopped", extra={"fields": {"models": sorted(self.routes)}})

    async def backend_health(self) -> dict[str, dict[str, bool]]:
        routes = list(self.routes.values())
        states = await asyncio.gather(*(route.health() for route in routes))
        return {route.name: state for route, state in zip(routes, states, strict=True)}

    async def refresh_backend_gauges(self, *, probe: bool = True) -> None:
        if probe:
            await self.backend_health()
        for route in list(self.routes.values()):
            for index, (backend, label) in enumerate(zip(route.backends, route.labels(), strict=True)):
                self.metrics.backend_up.labels(route.name, label).set(1 if route.is_up(index) else 0)
                is_open = route.breakers[index].state == "open"
                self.metrics.breaker_open.labels(route.name, label).set(1 if is_open else 0)
                self.metrics.queue_depth.labels(route.name, label).set(backend.queue_depth)
