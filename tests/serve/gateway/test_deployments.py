"""The gateway as deployed: an embedded model, PostgreSQL, the `jmedllm serve` process, import discipline."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml
from gateway_harness import MODEL, ORG, cli_key, running_gateway, serve_in_thread, serve_process
from pg import fresh_pg_database
from sqlalchemy import create_engine, text

from jmedllm.core.settings import load_settings
from jmedllm.serve.app import create_app
from jmedllm.serve.db import Database, Store
from jmedllm.serve.stub import run_stub

REPO = Path(__file__).resolve().parents[3]


def _embedded_config(tmp_path: Path, **backend: object) -> Path:
    config = {
        "home": str(tmp_path / "home"),
        "database_url": f"sqlite:///{tmp_path / 'embedded.db'}",
        "models": [{"name": "tiny", "backends": [{"type": "embedded", "model": "tiny-random", **backend}]}],
        "guard": {"policy": "off"},
    }
    path = tmp_path / "embedded.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_embedded_backend_streams_token_by_token_and_queues(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from tiny_model import tiny_loaded_model

    from jmedllm.serve.backends.embedded import EmbeddedBackend

    settings = load_settings(_embedded_config(tmp_path, max_queue=1))
    application = create_app(settings)
    route = application.state.gateway.routes["tiny"]
    # The tiny in-process model stands in for a local model directory (nothing to load from disk).
    route.backends = [
        EmbeddedBackend(route.served.backends[0], route.served, settings, loaded=tiny_loaded_model())
    ]
    with serve_in_thread(application) as root:
        store = Store(Database(settings.effective_database_url))
        store.create_org(ORG)
        store.create_user("dr", org=ORG, role="physician")
        key = store.create_key("dr")[1]
        from openai import OpenAI

        client = OpenAI(base_url=f"{root}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": "血圧は?"}]
        whole = client.chat.completions.create(model="tiny", messages=messages, max_tokens=12, temperature=0)
        assert whole.choices[0].finish_reason == "length" and whole.usage.completion_tokens == 12
        chunks = list(
            client.chat.completions.create(
                model="tiny", messages=messages, max_tokens=12, temperature=0, stream=True,
                stream_options={"include_usage": True},
            )
        )  # fmt: skip
        pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
        assert "".join(pieces) == whole.choices[0].message.content
        assert len(pieces) >= 6  # token by token, not one lump (no output rails in this policy)
        assert chunks[-1].usage.completion_tokens == 12

        # One generating, one waiting: the rest are turned away at once with 429 and Retry-After.
        body = {"model": "tiny", "messages": messages, "max_tokens": 200, "temperature": 0}
        with ThreadPoolExecutor(8) as pool:
            responses = list(
                pool.map(
                    lambda _: httpx.post(
                        f"{root}/v1/chat/completions",
                        json=body,
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=60,
                    ),
                    range(8),
                )
            )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) >= 2 and 429 in statuses, statuses
        busy = next(r for r in responses if r.status_code == 429)
        assert busy.headers["retry-after"] and busy.json()["error"]["type"] == "rate_limit_error"


@pytest.mark.services
def test_gateway_on_postgresql_audits_and_detects_tampering(tmp_path: Path) -> None:
    with fresh_pg_database() as url, running_gateway(tmp_path, database_url=url) as gateway:
        client = gateway.openai("nurse")
        for _ in range(3):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "褥瘡の予防"}])
        assert gateway.store.audit_count() == 3 and gateway.store.verify_audit().ok
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2"))
        engine.dispose()
        result = gateway.store.verify_audit()
        assert not result.ok and result.first_bad_seq == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_the_serve_command_runs_the_gateway(tmp_path: Path, workers: int) -> None:
    with run_stub(echo=True) as stub:
        config = {
            "home": str(tmp_path / "home"),
            "database_url": f"sqlite:///{tmp_path / 'served.db'}",
            "models": [{"name": MODEL, "backends": [{"type": "openai", "base_url": stub.base_url}]}],
            "guard": {"policy": "default"},
            "serve": {"drain_seconds": 0.2},
        }
        path = tmp_path / "serve.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        key = cli_key(path, org="さくら病院", user="dr-ito")
        headers = {"Authorization": f"Bearer {key}"}
        with serve_process(path, workers=workers) as served:
            reply = httpx.post(
                f"{served.root}/v1/chat/completions",
                headers=headers,
                json={"model": MODEL, "messages": [{"role": "user", "content": "こんにちは"}]},
                timeout=30,
            )
            assert (
                reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == "こんにちは"
            )
            # Concurrent requests, spread over the workers, append to one intact chain.
            body = {"model": MODEL, "messages": [{"role": "user", "content": "めまい"}], "max_tokens": 4}
            with ThreadPoolExecutor(10) as pool:
                statuses = list(
                    pool.map(
                        lambda _: (
                            httpx.post(
                                f"{served.root}/v1/chat/completions", headers=headers, json=body, timeout=30
                            ).status_code
                        ),
                        range(20),
                    )
                )
            assert statuses == [200] * 20
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the parent sees it.
    assert served.process.returncode in (0, -signal.SIGTERM), served.stderr
    assert '"event":"gateway stopped"' in served.stderr
    assert f"{served.root}/v1" in served.stderr
    log_lines = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "request" and line.get("status") == 200 for line in log_lines)
    assert "こんにちは" not in served.stderr
    store = Store(Database(f"sqlite:///{tmp_path / 'served.db'}"))
    served_events = [e for e in store.iter_audit() if e.event.action == "POST /v1/chat/completions"]
    assert len(served_events) == 21 and store.verify_audit().ok


def test_serving_upstream_models_never_imports_torch(tmp_path: Path) -> None:
    """`jmedllm serve` with only upstream backends starts, serves and stops without torch or transformers."""
    code = f"""
import sys
from fastapi.testclient import TestClient
from jmedllm.core.settings import load_settings
from jmedllm.serve.app import create_app
settings = load_settings(home={str(tmp_path / "h")!r}, database_url={f"sqlite:///{tmp_path / 'x.db'}"!r},
    models=[{{"name": "m", "backends": [{{"type": "openai", "base_url": "http://127.0.0.1:9/v1"}}]}}])
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503  # the upstream is not there
heavy = sorted(m for m in ("torch", "transformers", "spacy") if m in sys.modules)
print("heavy:", heavy)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout, result.stdout
