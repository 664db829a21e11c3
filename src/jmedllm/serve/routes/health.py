"""Probes and metrics: ``/healthz`` (liveness), ``/readyz`` (database and a backend), ``/metrics``.

The probes need no key (orchestrators call them) and reveal nothing but up/down per
component. ``/metrics`` needs a key with ``metrics:read`` (admin, auditor) unless
``serve.public_metrics`` opens it to a scraper on a private network.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from jmedllm.serve.auth import require
from jmedllm.serve.context import CallRecord
from jmedllm.serve.metrics import CONTENT_TYPE_LATEST
from jmedllm.serve.roles import Permission

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz")
@router.get("/health")
async def healthz() -> JSONResponse:
    """Liveness: the process answers. (``/health`` is vLLM's name for the same probe.)"""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and at least one backend can take requests.

    The body names the models without a healthy backend, so a partial outage is visible
    without taking the whole gateway out of the load balancer.
    """
    gateway = request.app.state.gateway
    database_ok, backends = await asyncio.gather(
        run_in_threadpool(gateway.database.check), gateway.backend_health()
    )
    models_ok = {name: any(states.values()) for name, states in backends.items()}
    ready = bool(database_ok) and any(models_ok.values()) and not gateway.draining
    body = {
        "status": "ready" if ready else "not ready",
        "database": "ok" if database_ok else "unavailable",
        "models": {name: ("ok" if ok else "unavailable") for name, ok in models_ok.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


async def _metrics_access(request: Request) -> CallRecord | None:
    if request.app.state.gateway.settings.serve.public_metrics:
        return None
    return await require(Permission.METRICS_READ)(request)


@router.get("/metrics")
async def metrics(
    request: Request, record: Annotated[CallRecord | None, Depends(_metrics_access)]
) -> Response:
    gateway = request.app.state.gateway
    await gateway.refresh_backend_gauges(probe=False)  # the health loop probes
    if record is not None:
        # Scrapes are routine (every few seconds): neither audited nor counted as requests.
        record.finished = True
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)
