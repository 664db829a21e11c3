"""Rate limits in the gateway: 429 in OpenAI's shape, audited and counted; slots freed on every path;
one exact limit across several workers and several gateway processes sharing Redis.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from gateway_harness import MODEL, RunningGateway, cli_key, running_gateway, serve_process
from redis_server import delete_keys, require_redis

from jmedllm.serve.db import Database, Store
from jmedllm.serve.stub import DEFAULT_REPLY, run_stub

REPO = Path(__file__).resolve().parents[3]
MY_NUMBER = "123456789018"  # valid check digit; the policy below blocks it
BLOCKING_POLICY = "input: [{rail: pii}]\noutput: [{rail: pii}]\ncategory_actions: {MY_NUMBER: block}\n"

LIMITERS = ["memory", pytest.param("redis", marks=pytest.mark.services)]


@contextmanager
def limited_gateway(
    tmp_path: Path, limiter: str, limits: dict[str, Any], **extra: Any
) -> Iterator[RunningGateway]:
    """A gateway with ``limits``, in memory or on the test Redis; its Redis keys are deleted afterwards."""
    if limiter == "redis":
        extra["redis_url"] = require_redis()
    with running_gateway(tmp_path, limits=limits, **extra) as gateway:
        try:
            yield gateway
        finally:
            if limiter == "redis":
                # The harness's keys have fresh random prefixes; its user names are fixed, so
                # Redis tests limit per key only, and delete their own keys.
                for key in gateway.keys.values():
                    delete_keys(f"jmedllm:rl:key:{key.split('_')[1]}:*")


def chat(content: str = "こんにちは", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 16, **extra}


def audit_records(gateway: RunningGateway) -> list[dict[str, Any]]:
    return [e.to_record() for e in gateway.store.iter_audit()]


@pytest.mark.parametrize("limiter", LIMITERS)
def test_over_the_limit_a_request_gets_429_in_openais_shape(tmp_path: Path, limiter: str) -> None:
    with limited_gateway(tmp_path, limiter, {"per_key": {"requests_per_minute": 3}}) as gateway:
        client = gateway.openai("physician")
        for _ in range(3):
            client.chat.completions.create(**chat())
        reached = len(gateway.stub.requests)
        with pytest.raises(openai.RateLimitError) as refused:
            client.completions.create(model=MODEL, prompt="所見：", max_tokens=8)
        assert len(gateway.stub.requests) == reached  # neither guard nor upstream saw it
        error = refused.value
        assert error.status_code == 429
        retry_after = int(error.response.headers["retry-after"])
        assert 1 <= retry_after <= 60
        body = error.response.json()
        assert body == {
            "error": {
                "message": f"rate limit exceeded: 3 requests per minute per API key; retry after {retry_after} s",
                "type": "rate_limit_error",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
        assert error.code == "rate_limit_exceeded"
        assert error.response.headers["x-request-id"]

        # Another key is not limited by this one's count; listing models is never limited.
        gateway.openai("nurse").chat.completions.create(**chat())
        assert len(list(client.models.list())) == 2

        refusal = [e for e in audit_records(gateway) if e["outcome"] == "rate_limited"]
        assert len(refusal) == 1
        assert refusal[0]["action"] == "POST /v1/completions" and refusal[0]["details"]["status"] == 429
        assert refusal[0]["details"]["rate_limit"] == {"scope": "key", "limit": "requests_per_minute"}
        assert refusal[0]["key_prefix"] == gateway.keys["physician"].split("_")[1]
        with gateway.client() as http:
            metrics = http.get("/metrics", headers=gateway.headers("auditor")).text
        assert 'jmedllm_rate_limited_total{limit="requests_per_minute",scope="key"} 1.0' in metrics
        assert "jmedllm_rate_limiter_errors_total 0.0" in metrics


def test_a_users_keys_share_the_users_limit(tmp_path: Path) -> None:
    with limited_gateway(tmp_path, "memory", {"per_user": {"requests_per_minute": 2}}) as gateway:
        second_key = gateway.store.create_key("physician-user")[1]
        with gateway.client() as http:
            replies = [
                http.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=chat())
                for key in (gateway.keys["physician"], second_key, second_key)
            ]
            assert [r.status_code for r in replies] == [200, 200, 429]
            reply = replies[-1]
            assert reply.json()["error"]["message"].startswith(
                "rate limit exceeded: 2 requests per minute per user"
            )
            # Another user has a limit of their own.
            assert (
                http.post("/v1/chat/completions", headers=gateway.headers("nurse"), json=chat()).status_code
                == 200
            )


@pytest.mark.parametrize("limiter", LIMITERS)
def test_tokens_per_minute_counts_plain_and_streamed_replies(tmp_path: Path, limiter: str) -> None:
    with limited_gateway(tmp_path, limiter, {"per_key": {"tokens_per_minute": 1}}) as gateway:
        plain = gateway.openai("physician").chat.completions.create(**chat())
        assert plain.usage.total_tokens >= 1
        with pytest.raises(openai.RateLimitError, match="1 tokens per minute per API key"):
            gateway.openai("physician").chat.completions.create(**chat())
        # A stream's tokens count when it ends (taken from its usage).
        nurse = gateway.openai("nurse")
        chunks = list(nurse.chat.completions.create(**chat(), stream=True))
        assert chunks[-1].choices[0].finish_reason == "stop"
        with pytest.raises(openai.RateLimitError) as refused:
            nurse.chat.completions.create(**chat())
        assert 55 <= int(refused.value.response.headers["retry-after"]) <= 60
        tokens = [e["details"].get("tokens") for e in audit_records(gateway) if e["outcome"] == "ok"]
        assert all(t and t["prompt"] + t["completion"] >= 1 for t in tokens) and len(tokens) == 2


@pytest.mark.parametrize("limiter", LIMITERS)
def test_the_concurrency_slot_is_freed_on_every_path(tmp_path: Path, limiter: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(BLOCKING_POLICY, encoding="utf-8")
    limits = {"per_key": {"concurrent": 1}}
    with limited_gateway(tmp_path, limiter, limits, guard={"policy": str(policy)}) as gateway:
        stub = gateway.stub.config
        headers = gateway.headers("physician")
        with gateway.client() as http:

            def post(body: dict[str, Any]) -> httpx.Response:
                return http.post("/v1/chat/completions", headers=headers, json=body)

            def slot_is_free() -> None:
                assert post(chat()).status_code == 200

            slot_is_free()  # a plain reply
            assert post(chat(stream=True, stream_options={"include_usage": True})).status_code == 200
            slot_is_free()  # after a whole stream
            assert post(chat(f"マイナンバーは{MY_NUMBER}です")).json()["jmedllm"]["blocked"] is True
            assert post(chat(f"マイナンバーは{MY_NUMBER}です", stream=True)).status_code == 200
            slot_is_free()  # after blocked replies, plain and streamed
            assert post(chat(max_tokens=10**6)).status_code == 400
            stub.fail_status = 500
            try:
                assert post(chat()).status_code == 502
                assert '"error"' in post(chat(stream=True)).text  # an error event in the stream
            finally:
                stub.fail_status = None
            slot_is_free()  # after upstream errors

            # A slow stream holds the slot; a second request meanwhile is refused.
            stub.echo, stub.reply, stub.delay_s = False, "あ" * 400, 0.02
            try:
                with http.stream(
                    "POST", "/v1/chat/completions", headers=headers, json=chat(stream=True, max_tokens=200)
                ) as s:
                    lines = s.iter_lines()  # kept: dropping the iterator would close the connection
                    next(lines)
                    busy = post(chat())
                    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
                    assert busy.json()["error"]["message"].startswith(
                        "rate limit exceeded: 1 requests in flight"
                    )
                # The client left mid-stream: the gateway notices and frees the slot.
                deadline = time.monotonic() + 10
                while post(chat()).status_code != 200:
                    assert time.monotonic() < deadline, "the slot of a dropped stream was never freed"
                    time.sleep(0.05)
            finally:
                stub.echo, stub.reply, stub.delay_s = True, DEFAULT_REPLY, 0.0
        outcomes = [e["outcome"] for e in audit_records(gateway)]
        assert "client_disconnected" in outcomes and "block" in outcomes
        assert outcomes.count("rate_limited") >= 1  # the busy refusal, audited like any request
        assert gateway.store.verify_audit().ok


# --- several workers, several processes, one Redis -------------------------------------------


@pytest.mark.services
def test_several_workers_and_gateways_on_one_redis_hold_the_limit_exactly(tmp_path: Path) -> None:
    redis_url = require_redis()
    user = f"dr-{uuid.uuid4().hex[:10]}"  # fresh, so no earlier run's window in Redis counts
    with run_stub(echo=True) as stub:
        config = {
            "home": str(tmp_path / "home"),
            "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
            "redis_url": redis_url,
            "models": [{"name": MODEL, "backends": [{"type": "openai", "base_url": stub.base_url}]}],
            "guard": {"policy": "default"},
            "serve": {"drain_seconds": 0},
            "limits": {"per_key": {"requests_per_minute": 25}, "per_user": {"requests_per_minute": 25}},
        }
        path = tmp_path / "serve.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        key = cli_key(path, user=user)
        with ExitStack() as stack:
            # Two gateway processes, one with two workers, sharing one Redis and one database.
            gateways = [stack.enter_context(serve_process(path, workers=workers)) for workers in (2, 1)]
            body = chat("めまい", max_tokens=4)

            def post(n: int) -> httpx.Response:
                return httpx.post(
                    f"{gateways[n % 2].root}/v1/chat/completions",
                    headers={"Authorization": f"Bearer {key}"},
                    json=body,
                    timeout=60,
                )

            try:
                with ThreadPoolExecutor(60) as pool:
                    replies = list(pool.map(post, range(60)))
            finally:
                delete_keys(f"jmedllm:rl:key:{key.split('_')[1]}:*")
                delete_keys(f"jmedllm:rl:user:{user}:*")
        errors = [gateway.stderr for gateway in gateways]
    statuses = [r.status_code for r in replies]
    assert statuses.count(200) == 25 and statuses.count(429) == 35, (Counter(statuses), errors)
    refused = [r for r in replies if r.status_code == 429]
    assert all(r.json()["error"]["code"] == "rate_limit_exceeded" for r in refused)
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in refused)
    # Both gateways served and refused (the work was really shared), and nothing failed open.
    for port_index in (0, 1):
        assert 200 in statuses[port_index::2] and 429 in statuses[port_index::2]
    for err in errors:
        assert "Redis unreachable" not in err
        lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert any(line.get("event") == "gateway stopped" for line in lines)
    store = Store(Database(f"sqlite:///{tmp_path / 'shared.db'}"))
    served = [e.event for e in store.iter_audit() if e.event.action == "POST /v1/chat/completions"]
    assert sorted(e.outcome for e in served) == ["ok"] * 25 + ["rate_limited"] * 35
    assert store.verify_audit().ok


def test_without_redis_the_gateway_fails_open_and_says_so(tmp_path: Path) -> None:
    # Nothing listens on port 1: the limiter cannot reach Redis.
    limits = {"per_key": {"requests_per_minute": 1}}
    with running_gateway(tmp_path, limits=limits, redis_url="redis://127.0.0.1:1/0") as gateway:
        client = gateway.openai("physician")
        for _ in range(3):
            client.chat.completions.create(**chat())
        with gateway.client() as http:
            metrics = http.get("/metrics", headers=gateway.headers("auditor")).text
        assert "jmedllm_rate_limiter_errors_total 1.0" in metrics
        assert "Redis unreachable" in gateway.logs.getvalue()
