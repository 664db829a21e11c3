"""Resilience: a backend dying under load, draining on SIGTERM, reloading under load."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from gateway_harness import MODEL, ORG, cli_key, serve_in_thread, serve_process
from typer.testing import CliRunner

from jmedllm.cli import app as cli_app
from jmedllm.core.settings import load_settings
from jmedllm.serve.app import create_app
from jmedllm.serve.db import Database, Store
from jmedllm.serve.stub import run_stub

BODY = {"model": MODEL, "messages": [{"role": "user", "content": "point"}], "max_tokens": 8}


def _config(tmp_path: Path, backends: list[str], **serve: Any) -> Path:
    config = {
        "home": str(tmp_path / "home"),
        "database_url": f"sqlite:///{tmp_path / 'gateway.db'}",
        "models": [{"name": MODEL, "backends": [{"type": "openai", "base_url": url} for url in backends]}],
        "guard": {"policy": "off"},
        "serve": {"drain_seconds": 0.2, "health_interval_s": 0.2, "breaker_failures": 1, **serve},
    }
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Load:
    """Threads sending requests until stopped; every status is counted."""

    def __init__(self, url: str, key: str, threads: int = 8, body: dict[str, Any] | None = None) -> None:
        self.url, self.key, self.body = url, key, body or BODY
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {self.key}"}) as client:
            while not self._stop.is_set():
                try:
                    status = client.post(f"{self.url}/v1/chat/completions", json=self.body).status_code
                except httpx.HTTPError:
                    status = -1
                with self._lock:
                    self.statuses[status] += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for(self, n: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while sum(self.statuses.values()) < n:
            assert time.monotonic() < deadline, self.statuses
            time.sleep(0.01)


def _posts(stub: Any) -> int:
    return sum(1 for r in stub.requests if r.method == "POST")


def test_killing_one_of_two_backends_fails_no_request_and_it_is_readmitted(tmp_path: Path) -> None:
    stub_b_cm = run_stub(echo=True)
    stub_a_cm = run_stub(echo=True)
    stub_b, stub_a = stub_b_cm.__enter__(), stub_a_cm.__enter__()
    try:
        settings = load_settings(
            _config(tmp_path, [stub_a.base_url, stub_b.base_url], breaker_cooldown_s=0.5)
        )
        with serve_in_thread(create_app(settings)) as root:
            store = Store(Database(settings.effective_database_url))
            store.create_org(ORG)
            store.create_user("dr", org=ORG, role="physician")
            key = store.create_key("dr")[1]
            with Load(root, key) as load:
                load.wait_for(100)
                assert _posts(stub_a) > 10  # both backends were serving
                stub_a_cm.__exit__(None, None, None)  # backend A dies under load
                a_port = stub_a.port
                load.wait_for(sum(load.statuses.values()) + 300)
                assert set(load.statuses) == {200}, load.statuses
                # A comes back on the same address: probes re-admit it without a restart.
                stub_a_cm = run_stub(echo=True, port=a_port)
                stub_a = stub_a_cm.__enter__()
                deadline = time.monotonic() + 10
                while _posts(stub_a) < 10:
                    assert time.monotonic() < deadline, "backend A was not re-admitted"
                    time.sleep(0.05)
            assert set(load.statuses) == {200}, load.statuses
            assert store.audit_count() == sum(load.statuses.values())  # one event per request
    finally:
        stub_a_cm.__exit__(None, None, None)
        stub_b_cm.__exit__(None, None, None)


def test_sigterm_drains_then_finishes_in_flight_streams(tmp_path: Path) -> None:
    # 20 pieces, 0.1 s apart: a 2-second reply.
    with run_stub("x" * 20, chunk_chars=1, delay_s=0.1) as stub:
        config = _config(tmp_path, [stub.base_url], drain_seconds=1.5)
        key = cli_key(config)
        headers = {"Authorization": f"Bearer {key}"}
        with serve_process(config) as served:
            stream_result: dict[str, Any] = {}

            def stream() -> None:
                with httpx.Client(timeout=30) as client:
                    response = client.post(
                        f"{served.root}/v1/chat/completions", headers=headers, json={**BODY, "stream": True}
                    )
                    stream_result["status"] = response.status_code
                    stream_result["text"] = response.text

            thread = threading.Thread(target=stream)
            thread.start()
            time.sleep(0.3)
            served.process.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            assert (
                httpx.get(f"{served.root}/readyz", timeout=5).status_code == 503
            )  # load balancers stop sending
            assert httpx.get(f"{served.root}/healthz", timeout=5).status_code == 200
            during = httpx.post(f"{served.root}/v1/chat/completions", headers=headers, json=BODY, timeout=30)
            assert during.status_code == 200  # still served while draining
            thread.join(timeout=30)
            served.process.wait(timeout=30)
        assert stream_result["status"] == 200 and stream_result["text"].rstrip().endswith("data: [DONE]")
        assert '"event":"draining"' in served.stderr and '"event":"gateway stopped"' in served.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_reload_under_load_drops_no_request(tmp_path: Path, workers: int) -> None:
    with run_stub(echo=True) as old, run_stub(echo=True) as new:
        config = _config(tmp_path, [old.base_url])
        key = cli_key(config)
        with serve_process(config, workers=workers) as served, Load(served.root, key, threads=4) as load:
            load.wait_for(50)
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
            data["models"] = [
                {"name": MODEL, "backends": [{"type": "openai", "base_url": new.base_url}]},
                {"name": "added", "backends": [{"type": "openai", "base_url": new.base_url}]},
            ]
            config.write_text(yaml.safe_dump(data), encoding="utf-8")
            result = CliRunner().invoke(cli_app, ["admin", "reload", "--config", str(config)])
            assert result.exit_code == 0, result.output
            _wait(lambda: _posts(new) >= 50, "the reloaded backend got no traffic", timeout_s=90)

            def everyone_reloaded() -> bool:
                # Several workers are replaced one by one: ask until every answer is new.
                headers = {"Authorization": f"Bearer {key}"}
                answers = [httpx.get(f"{served.root}/v1/models", headers=headers).json() for _ in range(8)]
                return all({m["id"] for m in a["data"]} == {MODEL, "added"} for a in answers)

            _wait(everyone_reloaded, "a worker kept the old models", timeout_s=90)
        assert set(load.statuses) == {200}, load.statuses
        assert '"event":"reloaded"' in served.stderr or workers > 1  # workers are replaced instead


def _wait(condition: Callable[[], bool], message: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
