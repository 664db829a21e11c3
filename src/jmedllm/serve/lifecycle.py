"""The gateway's life after start: health probes, draining on SIGTERM, reloading on SIGHUP.

* **Probes** — every ``serve.health_interval_s`` each route probes its backends, so a
  dead backend leaves rotation (and a recovered one returns) without a client request
  paying for the discovery.
* **Drain** — on SIGTERM, ``/readyz`` turns 503 at once while requests are still served;
  after ``serve.drain_seconds`` (long enough for load balancers to notice) uvicorn's own
  shutdown starts: it stops accepting, lets in-flight requests and streams finish within
  ``serve.shutdown_timeout_s``, then the lifespan closes the backends.
* **Reload** — on SIGHUP (``jmedllm admin reload``) the settings file is read again;
  new model routes and the guard policy are built and started *before* they replace the
  old ones, and a replaced route is closed only when its last in-flight request ended.
  Settings that need a new process (database, listener, workers) are reported, not applied.
  With several workers uvicorn's supervisor handles SIGHUP itself by replacing workers one
  by one, each new one ready before an old one retires.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from jmedllm.core.errors import JmedllmError
from jmedllm.core.settings import load_settings
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.serve.routing import ModelRoute, build_routes

if TYPE_CHECKING:
    from jmedllm.serve.gateway import Gateway

__all__ = ["health_loop", "install_signal_handlers", "reload_gateway"]

# Settings a reload cannot apply to a running process.
_RESTART_ONLY = (
    "database_url",
    "redis_url",
    "serve.host",
    "serve.port",
    "serve.workers",
    "serve.max_body_bytes",
)


async def health_loop(gateway: Gateway) -> None:
    """Probe every route's backends forever (cancelled at shutdown)."""
    interval = gateway.settings.serve.health_interval_s
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.gather(*(route.probe() for route in list(gateway.routes.values())))
            await gateway.refresh_backend_gauges(probe=False)
        except Exception:  # a failing probe round must never stop the loop
            gateway.log.warning("health probe round failed", exc_info=True)


def install_signal_handlers(gateway: Gateway, loop: asyncio.AbstractEventLoop) -> bool:
    """Drain on SIGTERM, reload on SIGHUP. Only possible in the main thread (not in tests' threads)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    drain = gateway.settings.serve.drain_seconds
    # SIGTERM only: that is what orchestrators send. Ctrl-C (a person at a terminal) stops at once.
    uvicorn_handler = signal.getsignal(signal.SIGTERM)
    if drain > 0 and callable(uvicorn_handler):
        signal.signal(signal.SIGTERM, _draining_handler(gateway, uvicorn_handler, drain))
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no SIGHUP on Windows
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(reload_gateway(gateway)))
    return True


def _draining_handler(gateway: Gateway, uvicorn_handler: Any, seconds: float) -> Any:
    def handle(sig: int, frame: Any) -> None:
        if gateway.draining:  # a second signal: stop now, as uvicorn would
            uvicorn_handler(sig, frame)
            return
        gateway.draining = True
        gateway.log.info(
            "draining", extra={"fields": {"signal": signal.Signals(sig).name, "seconds": seconds}}
        )
        timer = threading.Timer(seconds, uvicorn_handler, args=(sig, frame))
        timer.daemon = True
        timer.start()

    return handle


async def reload_gateway(gateway: Gateway, config: str | os.PathLike[str] | None = None) -> bool:
    """Re-read the settings and swap in new routes and guard policy without dropping a request."""
    path = config or gateway.config_path or os.environ.get("JMEDLLM_CONFIG")
    started: list[ModelRoute] = []
    try:
        settings = await asyncio.to_thread(load_settings, path)
        routes = build_routes(settings)
        # A model whose settings did not change keeps its running route: its backends (an
        # embedded model's weights above all) are neither loaded twice nor restarted.
        for name, route in list(routes.items()):
            old = gateway.routes.get(name)
            if old is not None and old.served == route.served:
                routes[name] = old
            else:
                started.append(route)
        guard = await asyncio.to_thread(GuardPipeline.from_reference, settings.guard.policy)
        await asyncio.to_thread(guard.warm_up)  # not on the first request after the swap
        await asyncio.gather(*(route.start() for route in started))
    except (JmedllmError, Exception) as exc:  # the running configuration stays in place
        gateway.metrics.reloads.labels("failed").inc()
        gateway.log.error(
            "reload failed; keeping the running configuration",
            extra={
                "fields": {"error": exc.one_line() if isinstance(exc, JmedllmError) else type(exc).__name__}
            },
        )
        await asyncio.gather(*(route.close() for route in started), return_exceptions=True)
        return False
    ignored = [name for name in _RESTART_ONLY if _get(settings, name) != _get(gateway.settings, name)]
    old_routes = gateway.routes
    gateway.routes = routes  # one assignment: a request sees the old routes or the new, never a mix
    gateway.guard = guard
    # Settings that need a restart keep their running values, so what runs is what is reported.
    gateway.settings = settings.model_copy(
        update={
            "database_url": gateway.settings.database_url,
            "redis_url": gateway.settings.redis_url,
            "serve": settings.serve.model_copy(
                update={
                    k: getattr(gateway.settings.serve, k)
                    for k in ("host", "port", "workers", "max_body_bytes")
                }
            ),
        }
    )
    gateway.metrics.reloads.labels("ok").inc()
    gateway.log.info(
        "reloaded",
        extra={
            "fields": {"models": sorted(routes), "guard_policy": guard.policy.name, "needs_restart": ignored}
        },
    )
    kept = {id(route) for route in routes.values()}
    retired = [route for route in old_routes.values() if id(route) not in kept]
    asyncio.get_running_loop().create_task(_retire(gateway, retired))
    return True


async def _retire(gateway: Gateway, routes: list[ModelRoute]) -> None:
    """Close replaced routes once their in-flight requests have ended (or the shutdown timeout passed)."""
    deadline = asyncio.get_running_loop().time() + gateway.settings.serve.shutdown_timeout_s
    while any(route.in_flight for route in routes) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.gather(*(route.close() for route in routes), return_exceptions=True)


def _get(settings: Any, dotted: str) -> Any:
    value = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
