"""The gateway test harness: a running gateway on 127.0.0.1 in front of the stub upstream, with one key per role.

The gateway is a real uvicorn server in a thread (the stock ``openai`` client talks to
it over HTTP, exactly as users' tools do). The stub records what reached the upstream,
so tests can check that identifiers were masked before leaving the gateway.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from jmedllm.core.settings import ROLES, Settings, load_settings
from jmedllm.serve.app import create_app
from jmedllm.serve.db import Database, Store
from jmedllm.serve.stub import StubServer, run_stub

#: The repository root (``jmedllm serve`` subprocesses run there).
REPO = Path(__file__).resolve().parents[2]
ORG = "test-hospital"
#: A model every clinical role may use, and one that also admits clerks.
MODEL = "demo"
CLERK_MODEL = "clerk-notes"


@dataclass
class RunningGateway:
    base_url: str
    root: str
    keys: dict[str, str]
    stub: StubServer
    settings: Settings
    config_path: Path
    logs: io.StringIO
    store: Store
    extra_keys: dict[str, str] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.root, timeout=30)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def openai(self, role: str = "physician") -> Any:
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=self.keys[role], max_retries=0, timeout=30)


@contextmanager
def serve_in_thread(app: Any, *, host: str = "127.0.0.1", timeout_s: float = 60.0) -> Iterator[str]:
    """Run an ASGI app (with its lifespan) on a free port; yield its root URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_config=None, log_level="critical", access_log=False, timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)
        sock.close()


def gateway_config(
    tmp_path: Path, stub: StubServer, *, database_url: str | None = None, **extra: Any
) -> Path:
    """Write the gateway's YAML exactly as the issue's config contract shapes it."""
    config: dict[str, Any] = {
        "home": str(tmp_path / "home"),
        "database_url": database_url or f"sqlite:///{tmp_path / 'gateway.db'}",
        "models": [
            {
                "name": MODEL,
                "backends": [{"type": "openai", "base_url": stub.base_url, "api_key": "upstream-secret"}],
            },
            {
                "name": CLERK_MODEL,
                "backends": [{"type": "openai", "base_url": stub.base_url, "api_key": "upstream-secret"}],
                "roles": ["admin", "physician", "nurse", "pharmacist", "clerk"],
            },
        ],
        "guard": {"policy": "default"},
    }
    config.update(extra)
    path = tmp_path / "jmedllm.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def running_gateway(
    tmp_path: Path, *, database_url: str | None = None, **extra: Any
) -> Iterator[RunningGateway]:
    with run_stub(echo=True, api_key="upstream-secret") as stub:
        path = gateway_config(tmp_path, stub, database_url=database_url, **extra)
        settings = load_settings(path)
        logs = io.StringIO()
        app = create_app(settings, log_stream=logs)
        with serve_in_thread(app) as root:
            database = Database(settings.effective_database_url)
            store = Store(database)
            store.create_org(ORG)
            keys: dict[str, str] = {}
            for role in ROLES:
                store.create_user(f"{role}-user", org=ORG, role=role)
                keys[role] = store.create_key(f"{role}-user")[1]
            try:
                yield RunningGateway(f"{root}/v1", root, keys, stub, settings, path, logs, store)
            finally:
                database.close()


@dataclass
class ServeProcess:
    """A `jmedllm serve` process: its handle, root URL and (after it stops) its stderr."""

    process: subprocess.Popen[str]
    root: str
    stderr: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_key(config: Path, org: str = ORG, user: str = "dr-test", role: str = "physician") -> str:
    """Create an organisation, a user and a key through the CLI; return the key."""
    from typer.testing import CliRunner

    from jmedllm.cli import app

    runner = CliRunner()
    for args in (
        ["admin", "org", "create", org],
        ["admin", "user", "create", user, "--org", org, "--role", role],
    ):
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["admin", "key", "create", "--user", user, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@contextmanager
def serve_process(config: Path, *, workers: int = 1, port: int | None = None) -> Iterator[ServeProcess]:
    """Run `python -m jmedllm serve --config CONFIG` until the block ends (SIGTERM), waiting for /readyz.

    stderr goes to a file, not a pipe: a busy gateway logs a line per request, and a pipe
    nobody reads fills up and blocks the gateway mid-request.
    """
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JMEDLLM_")}
    log_path = config.with_name(f"{config.stem}-{port}.stderr.log")
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jmedllm", "serve", "--config", str(config),
                "--port", str(port), "--workers", str(workers),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )  # fmt: skip
    running = ServeProcess(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{running.root}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the gateway did not become ready: {log_path.read_text(encoding='utf-8')[-2000:]}"
                )
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        running.stderr = log_path.read_text(encoding="utf-8")
