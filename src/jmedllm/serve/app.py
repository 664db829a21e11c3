"""The FastAPI app factory. Importing this module builds nothing and connects nowhere."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jmedllm import __version__
from jmedllm.core.settings import Settings, load_settings
from jmedllm.serve.errors import install_error_handlers
from jmedllm.serve.gateway import Gateway
from jmedllm.serve.schemas import random_hex

__all__ = ["GatewayApp", "GenerationRoutes", "app_from_environment", "create_app"]


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
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else random_hex()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        gateway = self.gateway

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                if gateway.draining:
                    # Clients stop reusing this connection now, so none sends a request
                    # into a socket that closes when the drain ends.
                    headers.append((b"connection", b"close"))
                headers.append(header)
                message["headers"] = headers
            await send(message)

        in_flight = self.gateway.metrics.in_flight
        in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            in_flight.dec()


class GenerationRoutes:
    """Serves ``POST /v1/chat/completions`` and ``POST /v1/completions`` straight from the scope.

    These two endpoints are nearly all of a gateway's traffic, and they use nothing of
    FastAPI's routing, dependency solving and middleware layers (error, telemetry,
    body-limit, exception and exit-stack middleware): they read their own body, check the
    key themselves (:func:`jmedllm.serve.auth.authorise`) and answer errors in OpenAI's
    shape. Skipping those layers saves about 0.2 ms of CPU per request (docs/serve.md,
    "Measured overhead"). Everything else goes to the FastAPI app. An unexpected exception
    is answered as Starlette's ``ServerErrorMiddleware`` answers it (500, ``Internal Server
    Error``) and re-raised for uvicorn to log.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        from jmedllm.serve.routes.openai import GENERATION_PATHS, serve_generation

        self.app = app
        self.gateway = gateway
        self.paths = GENERATION_PATHS
        self.serve = serve_generation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            root = scope.get("root_path")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path in self.paths:
                request = Request(scope, receive)  # scope["app"] is set: Starlette.__call__ runs first
                try:
                    response = await self.serve(self.gateway, request, path)
                except Exception:
                    await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
                    raise
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class GatewayApp(FastAPI):
    """The gateway's FastAPI app, with the request-id layer and the generation fast path outermost.

    Outermost means the request id and the in-flight gauge cover every response, the 500
    of Starlette's error middleware included.
    """

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        gateway: Gateway = self.state.gateway
        return RequestIdMiddleware(GenerationRoutes(stack, gateway), gateway=gateway)


def create_app(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    log_stream: Any = None,
    config_path: str | os.PathLike[str] | None = None,
) -> FastAPI:
    """Build the gateway app from settings (default: loaded from the environment and ``JMEDLLM_CONFIG``).

    ``migrate`` runs the database migrations at startup (``jmedllm serve`` runs them once
    before starting workers and passes ``False``).
    """
    settings = settings or load_settings()
    if settings.offline:
        from jmedllm.core.offline import enforce_offline

        enforce_offline()
    gateway = Gateway.build(settings, log_stream=log_stream)
    # Where a reload (SIGHUP) reads the settings again.
    gateway.config_path = str(config_path) if config_path else os.environ.get("JMEDLLM_CONFIG")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await gateway.start(migrate=migrate)
        try:
            yield
        finally:
            gateway.draining = True
            await gateway.close()

    app = GatewayApp(
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
    _document_request_bodies(app)
    # RequestIdMiddleware is added by GatewayApp.build_middleware_stack, around the fast path.
    return app


def _document_request_bodies(app: FastAPI) -> None:
    """Put the request models into the OpenAPI schema.

    The generation routes read their body themselves (size limit, hash for the audit log,
    one-line validation errors), so FastAPI cannot infer it; clients, code generators and
    the schema-based fuzz tests still need it.
    """
    from fastapi.openapi.utils import get_openapi

    from jmedllm.serve.routes.admin import KeyCreate, UserCreate
    from jmedllm.serve.schemas import ChatCompletionRequest, CompletionRequest, GuardCheckRequest

    bodies = {
        ("/v1/chat/completions", "post"): ChatCompletionRequest,
        ("/v1/completions", "post"): CompletionRequest,
        ("/v1/guard/check", "post"): GuardCheckRequest,
        ("/v1/admin/users", "post"): UserCreate,
        ("/v1/admin/keys", "post"): KeyCreate,
    }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        models = components.setdefault("schemas", {})
        for (path, method), model in bodies.items():
            json_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            models.update(json_schema.pop("$defs", {}))
            models[model.__name__] = json_schema
            schema["paths"][path][method]["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                },
            }
        components["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
        for path, operations in schema["paths"].items():
            if path not in ("/healthz", "/health", "/readyz"):
                for operation in operations.values():
                    operation["security"] = [{"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """uvicorn factory for ``jmedllm serve --workers N``: settings from ``JMEDLLM_CONFIG``."""
    migrate = os.environ.get("JMEDLLM_SERVE_MIGRATE", "1") != "0"
    return create_app(load_settings(), migrate=migrate)
