"""``jmedllm serve``: run the guarded OpenAI-compatible gateway on uvicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from jmedllm.cli._common import ConfigOption, get_settings

app = typer.Typer(invoke_without_command=True, no_args_is_help=False)


@app.callback()
def serve(
    ctx: typer.Context,
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: serve.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: serve.port, 8000).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Worker processes (default: serve.workers).")
    ] = None,
) -> None:
    """Run the gateway: OpenAI-compatible API with guardrails, API keys, roles and audit log.

    Migrations run once here, before any worker starts. With several workers each process
    loads its own embedded models; prefer openai backends (vLLM) for more than one worker.
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from jmedllm.serve.app import create_app
    from jmedllm.serve.db.session import Database

    settings = get_settings(ctx, config)
    host = host or settings.serve.host
    port = port or settings.serve.port
    workers = workers or settings.serve.workers
    database = Database(settings.effective_database_url)
    database.migrate()
    database.close()
    typer.echo(
        f"jmedllm gateway on http://{host}:{port}/v1 — models: {', '.join(m.name for m in settings.models)}; "
        f"guard policy: {settings.guard.policy}; workers: {workers}",
        err=True,
    )
    root = ctx.find_root()
    config_path = str(root.obj["config"]) if root.obj and root.obj.get("config") else None
    if config_path:
        # Workers and reloads rebuild settings from the same file and environment.
        os.environ["JMEDLLM_CONFIG"] = config_path
    common = {
        "host": host,
        "port": port,
        "access_log": False,  # our JSON request log replaces it (and never carries query strings)
        "log_level": "warning",
        "timeout_graceful_shutdown": int(settings.serve.shutdown_timeout_s),
        "timeout_keep_alive": int(settings.serve.keep_alive_s),
        "limit_concurrency": settings.serve.max_connections,
    }
    with pid_file(settings.home, port):
        if workers == 1:
            uvicorn.run(create_app(settings, migrate=False, config_path=config_path), **common)
            return
        os.environ["JMEDLLM_SERVE_MIGRATE"] = "0"
        uvicorn.run(
            "jmedllm.serve.app:app_from_environment",
            factory=True,
            workers=workers,
            # A replacement worker (SIGHUP, a crashed worker) loads its models before it serves.
            timeout_worker_healthcheck=settings.serve.worker_start_timeout_s,
            **common,
        )


@contextmanager
def pid_file(home: Path, port: int) -> Iterator[Path]:
    """``<home>/run/serve-<port>.pid`` while serving: how ``jmedllm admin reload`` finds the process."""
    path = home / "run" / f"serve-{port}.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n", encoding="ascii")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
