"""The generation endpoints served ahead of FastAPI's routing (``GenerationRoutes``, app.py).

They skip FastAPI's dependency solving and middleware, so what those layers did for them
is checked here: the caller's key, the request id, OpenAI-shaped errors, 500 for the
unexpected (audited), the other methods and routes still answered by FastAPI, and JSON
that orjson would read or write differently still read and forwarded as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from gateway_harness import MODEL, RunningGateway

from jmedllm.serve.app import GatewayApp, GenerationRoutes, RequestIdMiddleware, create_app

CHAT = "/v1/chat/completions"


def chat_body(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": "頭痛"}], "max_tokens": 8, **extra}


def generation_events(gateway: RunningGateway) -> list[dict[str, Any]]:
    events = [e.event for e in gateway.store.iter_audit() if e.event.action.startswith("POST /v1/")]
    return [{"outcome": e.outcome, **e.details} for e in events]


def test_the_fast_path_sits_outside_fastapi_with_the_request_id_outermost(gateway: RunningGateway) -> None:
    # The app handed to uvicorn is still a FastAPI app (routes, OpenAPI, exception handlers)...
    app = create_app(gateway.settings)
    assert isinstance(app, GatewayApp)
    stack = app.build_middleware_stack()
    assert isinstance(stack, RequestIdMiddleware) and isinstance(stack.app, GenerationRoutes)
    # ...and the two endpoints stay documented (the fuzz tests are built from this schema).
    paths = app.openapi()["paths"]
    for path in (CHAT, "/v1/completions"):
        operation = paths[path]["post"]
        assert operation["requestBody"]["required"] is True
        assert operation["security"] == [{"apiKey": []}]


def test_key_role_and_request_id_are_checked_on_the_fast_path(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        missing = client.post(CHAT, json=chat_body())
        auditor = client.post(CHAT, json=chat_body(), headers=gateway.headers("auditor"))
        ok = client.post(
            CHAT, json=chat_body(), headers={**gateway.headers("physician"), "X-Request-Id": "abcdef123456"}
        )
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert auditor.status_code == 403 and auditor.json()["error"]["type"] == "permission_error"
    assert ok.status_code == 200 and ok.headers["x-request-id"] == "abcdef123456"
    assert ok.headers["content-type"] == "application/json"
    assert len(ok.content) == int(ok.headers["content-length"])
    assert missing.headers["x-request-id"] and auditor.headers["x-request-id"]
    events = generation_events(gateway)
    assert [(e["status"], e["outcome"]) for e in events] == [(401, "denied"), (403, "denied"), (200, "ok")]
    assert events[-1]["request_id"] == "abcdef123456" and events[-1]["endpoint"] == CHAT


def test_other_methods_and_paths_still_go_to_fastapi(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        get = client.get(CHAT, headers=gateway.headers("physician"))
        other = client.post("/v1/chat/completion", json=chat_body(), headers=gateway.headers("physician"))
    assert get.status_code == 405 and get.json()["error"]["type"] == "invalid_request_error"
    assert other.status_code == 404 and "error" in other.json()
    assert get.headers["x-request-id"] and other.headers["x-request-id"]


def test_an_unexpected_failure_is_a_500_and_is_audited(
    gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jmedllm.serve.routes import openai as routes

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(routes, "_guard", broken)
    with gateway.client() as client:
        failed = client.post(CHAT, json=chat_body(), headers=gateway.headers("physician"))
    monkeypatch.undo()
    with gateway.client() as client:
        after = client.post(CHAT, json=chat_body(), headers=gateway.headers("physician"))
    # As Starlette's ServerErrorMiddleware answers it, plus the request id; nothing leaks.
    assert failed.status_code == 500 and failed.text == "Internal Server Error"
    assert failed.headers["x-request-id"]
    assert after.status_code == 200  # the gateway keeps serving
    events = generation_events(gateway)
    assert [(e["status"], e["outcome"]) for e in events] == [(500, "error"), (200, "ok")]
    assert events[0]["request_id"] == failed.headers["x-request-id"]


def test_json_orjson_would_change_is_read_and_forwarded_as_before(gateway: RunningGateway) -> None:
    # orjson reads integers beyond 64 bits as floats and refuses to write them: bodies are read
    # with json, and writing falls back to json, so the upstream gets the client's exact seed.
    big = 2**70
    raw = json.dumps(chat_body(seed=big)).encode()
    with gateway.client() as client:
        headers = {**gateway.headers("physician"), "Content-Type": "application/json"}
        ok = client.post(CHAT, content=raw, headers=headers)
        nan = client.post(
            CHAT,
            content=raw.replace(str(big).encode(), b"1", 1)[:-1] + b', "temperature": NaN}',
            headers=headers,
        )
        broken = client.post(CHAT, content=b'{"model": ', headers=headers)
        not_utf8 = client.post(CHAT, content=b'{"model": "\xff"}', headers=headers)
    assert ok.status_code == 200
    assert gateway.stub.requests[-1].body["seed"] == big  # type: ignore[index]
    assert nan.status_code == 400 and nan.json()["error"]["param"] == "temperature"
    assert broken.status_code == 400 and broken.json()["error"]["message"] == "request body is not valid JSON"
    assert not_utf8.status_code == 400
    assert not_utf8.json()["error"]["message"] == "request body is not valid UTF-8"
