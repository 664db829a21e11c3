"""The FastAPI app factory. Importing this module builds nothing and connects nowhere."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jmedllm import __version__
from jmedllm.core.settings import Settings, load_settings
from jmedllm.serve.errors import install_error_handlers
from jmedllm.serve.gateway import Gateway

__all__ = ["app_from_environment", "create_app"]


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane ``X-Request-Id`` from a proxy) and returns it.

    A pure ASGI middleware: Starlette's BaseHTTPMiddleware buffers and slows streams.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message["headers"] = [*headers, header]
            await send(message)

        in_flight = self.gateway.metrics.in_flight
        in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            in_flight.dec()


def create_app(settings: Settings | None = None, *, migrate: bool = True, log_stream: Any = None) -> FastAPI:
    """Build the gateway app from settings (default: loaded from the environment and ``JMEDLLM_CONFIG``).

    ``migrate`` runs the database migrations at startup (``jmedllm serve`` runs them once
    before starting workers and passes ``False``).
    """
    settings = settings or load_settings()
    if settings.offline:
        from jmedllm.core.offline import enforce_offline

        enforce_offline()
    gateway = Gateway.build(settings, log_stream=log_stream)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await gateway.start(migrate=migrate)
        try:
            yield
        finally:
            gateway.draining = True
            await gateway.close()

    app = FastAPI(
        title="jmedllm gateway",
        version=__version__,
        description="Guarded OpenAI-compatible gateway for Japanese medical LLMs.",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    install_error_handlers(app)

    from jmedllm.serve.routes import admin, audit, guard, health, openai

    for module in (openai, guard, admin, audit, health):
        app.include_router(module.router)
    app.add_middleware(RequestIdMiddleware, gateway=gateway)
    return app


def app_from_environment() -> FastAPI:
    """uvicorn factory for ``jmedllm serve --workers N``: settings from ``JMEDLLM_CONFIG``."""
    migrate = os.environ.get("JMEDLLM_SERVE_MIGRATE", "1") != "0"
    return create_app(load_settings(), migrate=migrate)
