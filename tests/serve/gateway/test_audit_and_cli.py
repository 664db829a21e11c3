"""The CLI contract and the audit log: one event per request, verified, tamper-evident, exported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from gateway_harness import MODEL, gateway_config, running_gateway, serve_in_thread
from typer.testing import CliRunner

from jmedllm.cli import app
from jmedllm.core.settings import load_settings
from jmedllm.serve.app import create_app
from jmedllm.serve.stub import run_stub

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_contract_end_to_end(tmp_path: Path) -> None:
    with run_stub(echo=True, api_key="upstream-secret") as stub:
        config = str(gateway_config(tmp_path, stub))
        cli("admin", "org", "create", "Sakura Hospital", "--config", config)
        cli(
            "admin",
            "user",
            "create",
            "dr-sato",
            "--org",
            "Sakura Hospital",
            "--role",
            "physician",
            "--config",
            config,
        )
        out = cli("admin", "key", "create", "--user", "dr-sato", "--config", config)
        key = out.strip().splitlines()[-1]
        assert key.startswith("jmk_") and " " not in key
        settings = load_settings(config)
        with serve_in_thread(create_app(settings)) as root:
            headers = {"Authorization": f"Bearer {key}"}
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": "薬疹の初期対応は？"}],
                "max_tokens": 8,
            }
            n = 7
            with httpx.Client(base_url=root, timeout=30) as client:
                for _ in range(n):
                    assert client.post("/v1/chat/completions", headers=headers, json=body).status_code == 200
                prefix = key.split("_")[1]
                cli("admin", "key", "revoke", prefix, "--config", config)
                assert client.post("/v1/chat/completions", headers=headers, json=body).status_code == 401

    verified = runner.invoke(app, ["audit", "verify", "--config", config])
    assert verified.exit_code == 0, verified.output

    export = tmp_path / "audit.jsonl"
    cli("audit", "export", "--config", config, "-o", str(export))
    events = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    served = [e for e in events if e["action"] == "POST /v1/chat/completions"]
    assert len(served) == n + 1  # n served requests and the refused one
    assert [e["outcome"] for e in served] == ["ok"] * n + ["denied"]
    assert {e["actor"] for e in served[:n]} == {"dr-sato"} and served[0]["key_prefix"] == prefix
    assert all(e["request_hash"] and len(e["request_hash"]) == 64 for e in served[:n])
    admin_actions = [e["action"] for e in events if e["role"] == "operator"]
    assert admin_actions[:4] == [
        "admin.org.create",
        "admin.user.create",
        "admin.key.create",
        "admin.key.revoke",
    ]
    assert "薬疹" not in export.read_text(encoding="utf-8")  # bodies are hashed, never stored

    database = tmp_path / "gateway.db"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE audit_events SET outcome = 'ok' WHERE seq = (SELECT MAX(seq) FROM audit_events) - 1"
        )
        bad_seq = connection.execute("SELECT MAX(seq) - 1 FROM audit_events").fetchone()[0]
    broken = runner.invoke(app, ["audit", "verify", "--config", config])
    assert broken.exit_code != 0 and f"seq {bad_seq}" in broken.output


def test_deleting_an_audit_row_is_detected(gateway_config_path: Path, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        seqs = [row[0] for row in connection.execute("SELECT seq FROM audit_events ORDER BY seq")]
        assert len(seqs) >= 5
        connection.execute("DELETE FROM audit_events WHERE seq = ?", (seqs[2],))
    result = runner.invoke(app, ["audit", "verify", "--config", str(gateway_config_path)])
    assert result.exit_code == 1 and f"seq {seqs[2]}: event {seqs[2]} missing" in result.output


@pytest.fixture
def gateway_config_path(tmp_path: Path) -> Path:
    """A gateway database holding a few audited requests."""
    with running_gateway(tmp_path) as gateway, gateway.client() as client:
        for _ in range(6):
            client.get("/v1/models", headers=gateway.headers("nurse"))
        return gateway.config_path


def test_each_request_leaves_exactly_one_event(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway:
        before = gateway.store.audit_count()
        client = gateway.openai("pharmacist")
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "相互作用"}], max_tokens=8
        )
        list(
            client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "用量"}], max_tokens=8, stream=True
            )
        )
        client.completions.create(model=MODEL, prompt="処方：", max_tokens=8)
        list(client.models.list())
        with gateway.client() as raw:
            raw.post("/v1/guard/check", headers=gateway.headers("nurse"), json={"text": "電話090-1111-2222"})
            raw.post("/v1/chat/completions", headers=gateway.headers("nurse"), json={"model": MODEL})  # 400
            raw.get("/v1/models")  # 401
            raw.get("/healthz")  # probes are not audited
        assert gateway.store.audit_count() - before == 7
        assert gateway.store.verify_audit().ok


def test_metrics_move_and_logs_carry_no_prompt_text(tmp_path: Path) -> None:
    planted = "患者 鈴木一郎 様 ID:PT-99812345 電話 03-5555-0123"
    with running_gateway(tmp_path) as gateway, gateway.client() as client:
        before = client.get("/metrics", headers=gateway.headers("auditor")).text
        for stream in (False, True):
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": planted}],
                "max_tokens": 16,
                "stream": stream,
            }
            assert (
                client.post(
                    "/v1/chat/completions", headers=gateway.headers("physician"), json=body
                ).status_code
                == 200
            )
        after = client.get("/metrics", headers=gateway.headers("auditor")).text
        logs = gateway.logs.getvalue()

    def sample(text: str, prefix: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))

    ok = f'jmedllm_requests_total{{endpoint="/v1/chat/completions",model="{MODEL}",status="200"}}'
    assert sample(after, ok) - sample(before, ok) == 2
    assert sample(after, f'jmedllm_tokens_total{{direction="prompt",model="{MODEL}"}}') > 0
    assert sample(after, "jmedllm_time_to_first_token_seconds_count") >= 1
    assert sample(after, 'jmedllm_guard_actions_total{action="mask",category="PERSON"') >= 2
    assert sample(after, "jmedllm_backend_up{") == 2
    assert logs.count('"event":"request"') == 2  # the two chats (scrapes are not logged)
    for identifier in ("鈴木", "一郎", "PT-99812345", "03-5555-0123"):
        assert identifier not in logs


def test_patient_references_are_audited_as_keyed_pseudonyms(tmp_path: Path) -> None:
    secret = "s" * 16 + "e" * 16 + "cret"
    with running_gateway(tmp_path, secret_key=secret) as gateway, gateway.client() as client:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "直近の検査値を要約"}],
            "max_tokens": 8,
        }
        headers = {**gateway.headers("physician"), "X-Jmedllm-Patient": "PT-0012345"}
        assert client.post("/v1/chat/completions", headers=headers, json=body).status_code == 200
        bad = client.post(
            "/v1/chat/completions", headers={**headers, "X-Jmedllm-Patient": "PT 12/34"}, json=body
        )
        assert bad.status_code == 400 and "x-jmedllm-patient" in bad.json()["error"]["message"]
        events = [stored.event for stored in gateway.store.iter_audit()]
        config = str(gateway.config_path)
    stored = events[-2].patient_pseudonym
    assert stored and stored.startswith("pt_") and "0012345" not in json.dumps([e.payload() for e in events])
    looked_up = runner.invoke(app, ["audit", "pseudonym", "PT-0012345", "--config", config])
    assert looked_up.exit_code == 0 and looked_up.stdout.strip() == stored


def test_patient_references_without_a_secret_are_refused(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway, gateway.client() as client:
        assert gateway.settings.secret_key is None
        body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 8}
        headers = {**gateway.headers("physician"), "X-Jmedllm-Patient": "PT-1"}
        response = client.post("/v1/chat/completions", headers=headers, json=body)
    assert response.status_code == 400 and "secret_key" in response.json()["error"]["message"]
    assert not [r for r in gateway.stub.requests if r.method == "POST"]  # no model saw the request
