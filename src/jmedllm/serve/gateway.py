"""The gateway's services, built once per app: store, guard, model routes, metrics, logger."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from logging import Logger

from jmedllm.core.settings import Settings
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.serve.db.session import Database
from jmedllm.serve.db.store import Store
from jmedllm.serve.logs import configure_logging
from jmedllm.serve.metrics import GatewayMetrics
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

    @classmethod
    def build(cls, settings: Settings, *, log_stream: object = None) -> Gateway:
        """Wire the services from settings (nothing started, no model loaded yet)."""
        database = Database(settings.effective_database_url)
        return cls(
            settings=settings,
            database=database,
            store=Store(database),
            guard=GuardPipeline.from_reference(settings.guard.policy),
            routes=build_routes(settings),
            metrics=GatewayMetrics(),
            log=configure_logging(settings.log_level, settings.serve.log_format, log_stream),
        )

    async def start(self, *, migrate: bool = True) -> None:
        if migrate:
            await asyncio.to_thread(self.database.migrate)
        await asyncio.gather(*(route.start() for route in self.routes.values()))
        await self.refresh_backend_gauges()
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
        await asyncio.gather(*(route.close() for route in self.routes.values()), return_exceptions=True)
        self.database.close()
        self.log.info("gateway stopped", extra={"fields": {"models": sorted(self.routes)}})

    async def backend_health(self) -> dict[str, dict[str, bool]]:
        names = list(self.routes)
        states = await asyncio.gather(*(self.routes[n].health() for n in names))
        return dict(zip(names, states, strict=True))

    async def refresh_backend_gauges(self) -> None:
        for name, states in (await self.backend_health()).items():
            route = self.routes[name]
            for backend in route.backends:
                self.metrics.backend_up.labels(name, backend.label).set(1 if states.get(backend.label) else 0)
                self.metrics.queue_depth.labels(name, backend.label).set(backend.queue_depth)
