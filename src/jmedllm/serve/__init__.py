"""The guarded OpenAI-compatible gateway (``jmedllm serve``).

``create_app(settings)`` builds the FastAPI app; nothing is built or connected at import
time, and torch is imported only when an embedded backend is configured. The layers:

* ``schemas``  — OpenAI request/response models as vLLM serves them
* ``backends`` — where generation happens: embedded local models, OpenAI-compatible upstreams
* ``db``       — SQLAlchemy models, Alembic migrations and the store (orgs, users, keys, audit)
* ``auth`` / ``roles`` — API keys and role permissions
* ``routes``   — thin routers: OpenAI API, guard check, admin, audit, health, metrics
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from jmedllm.core.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, **kwargs: Any) -> FastAPI:
    """Build the gateway app (see :func:`jmedllm.serve.app.create_app`)."""
    from jmedllm.serve.app import create_app as _create_app

    return _create_app(settings, **kwargs)
