"""The vLLM-shaped stub upstream: framing, options and lifecycle, checked over real HTTP."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jmedllm.serve.stub import DEFAULT_REPLY, StubServer, run_stub

CHAT = {"model": "demo", "messages": [{"role": "user", "content": "血圧は？"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[StubServer]:
    with run_stub() as running:
        yield running


@pytest.fixture
def stub(server: StubServer) -> StubServer:
    server.reset()
    return server


def _events(raw: bytes) -> list[str]:
    """Split an SSE body into its ``data:`` payloads, checking the framing on the way."""
    assert raw.endswith(b"\n\n")
    payloads = []
    for event in raw.decode().split("\n\n")[:-1]:
        assert event.startswith("data: "), event
        assert "\n" not in event
        payloads.append(event[len("data: ") :])
    return payloads


def _stream(stub: StubServer, path: str, body: dict[str, Any]) -> list[str]:
    with httpx.Client() as client:
        response = client.post(f"{stub.base_url}{path}", json={**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return _events(response.content)


def test_chat_completion_is_shaped_like_vllm(stub: StubServer) -> None:
    stub.reset("Hello world", chunk_chars=3)
    response = httpx.post(f"{stub.base_url}/chat/completions", json=CHAT)
    assert response.status_code == 200
    data = response.json()
    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert data["model"] == "demo"
    assert isinstance(data["created"], int)
    [choice] = data["choices"]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "Hello world"
    assert choice["message"]["tool_calls"] == []
    assert choice["finish_reason"] == "stop"
    assert choice["stop_reason"] is None
    assert choice["logprobs"] is None
    # "Hello world" in pieces of 3 characters is 4 tokens; the prompt "血圧は？" is 2.
    assert data["usage"] == {
        "prompt_tokens": 2,
        "total_tokens": 6,
        "completion_tokens": 4,
        "prompt_tokens_details": None,
    }


def test_text_completion_is_shaped_like_vllm(stub: StubServer) -> None:
    stub.reset("ok", chunk_chars=1)
    data = httpx.post(f"{stub.base_url}/completions", json={"model": "m", "prompt": "abc"}).json()
    assert data["id"].startswith("cmpl-")
    assert data["object"] == "text_completion"
    assert data["choices"][0]["text"] == "ok"
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["prompt_tokens"] == 3
    assert data["usage"]["completion_tokens"] == 2


def test_chat_stream_framing_matches_vllm(stub: StubServer) -> None:
    reply = "Hello, こんにちは"
    stub.reset(reply, chunk_chars=4)
    payloads = _stream(stub, "/chat/completions", {**CHAT, "stream_options": {"include_usage": True}})
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    # Compact, UTF-8 JSON exactly as pydantic writes it.
    assert all(
        p == json.dumps(c, ensure_ascii=False, separators=(",", ":"))
        for p, c in zip(payloads[:-1], chunks, strict=True)
    )
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "demo" for c in chunks)
    first, *content, usage = chunks
    assert first["choices"] == [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
    ]
    assert "usage" not in first
    assert len(content) == math.ceil(len(reply) / 4)
    assert "".join(c["choices"][0]["delta"]["content"] for c in content) == reply
    assert all(c["choices"][0]["finish_reason"] is None for c in content[:-1])
    assert all("stop_reason" not in c["choices"][0] for c in content[:-1])
    assert content[-1]["choices"][0]["finish_reason"] == "stop"
    assert content[-1]["choices"][0]["stop_reason"] is None
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 1, "total_tokens": 4, "completion_tokens": 3}


def test_stream_without_include_usage_has_no_usage_chunk(stub: StubServer) -> None:
    stub.reset("abcdef", chunk_chars=2)
    payloads = _stream(stub, "/chat/completions", CHAT)
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert payloads[-1] == "[DONE]"
    assert all(c["choices"] for c in chunks)
    assert all("usage" not in c for c in chunks)
    assert len(chunks) == 1 + 3


def test_completion_stream_has_no_role_chunk(stub: StubServer) -> None:
    stub.reset("abcdef", chunk_chars=2)
    payloads = _stream(
        stub, "/completions", {"model": "m", "prompt": "p", "stream_options": {"include_usage": True}}
    )
    chunks = [json.loads(p) for p in payloads[:-1]]
    texts = [c["choices"][0]["text"] for c in chunks[:-1]]
    assert texts == ["ab", "cd", "ef"]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3


def test_max_tokens_cuts_the_reply_with_finish_reason_length(stub: StubServer) -> None:
    stub.reset("abcdefgh", chunk_chars=2)
    data = httpx.post(f"{stub.base_url}/chat/completions", json={**CHAT, "max_tokens": 2}).json()
    payloads = _stream(stub, "/chat/completions", {**CHAT, "max_tokens": 2})
    assert data["choices"][0]["message"]["content"] == "abcd"
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 2
    last = json.loads(payloads[-2])
    assert last["choices"][0]["finish_reason"] == "length"


def test_stop_strings_cut_the_reply(stub: StubServer) -> None:
    stub.reset("one. two. three.")
    data = httpx.post(f"{stub.base_url}/chat/completions", json={**CHAT, "stop": [" two", "zzz"]}).json()
    assert data["choices"][0]["message"]["content"] == "one."
    assert data["choices"][0]["finish_reason"] == "stop"


def test_echo_replies_with_the_last_user_message(stub: StubServer) -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "患者は"}, {"type": "text", "text": "[氏名]"}],
            },
        ],
    }
    stub.reset(echo=True)
    data = httpx.post(f"{stub.base_url}/chat/completions", json=body).json()
    assert data["choices"][0]["message"]["content"] == "患者は[氏名]"


def test_requests_are_recorded_with_headers_and_body(stub: StubServer) -> None:
    httpx.post(f"{stub.base_url}/chat/completions", json=CHAT, headers={"X-Trace": "t1"})
    httpx.get(f"{stub.base_url}/models")
    first, second = stub.requests
    assert (first.method, first.path, first.body) == ("POST", "/v1/chat/completions", CHAT)
    assert first.headers["x-trace"] == "t1"
    assert (second.method, second.path, second.body) == ("GET", "/v1/models", None)


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_fail_status_answers_with_an_openai_error_body(stub: StubServer, status: int) -> None:
    stub.reset(fail_status=status, fail_message="boom")
    response = httpx.post(f"{stub.base_url}/chat/completions", json={**CHAT, "stream": True})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] == "boom"
    assert error["code"] == status
    assert error["type"]


def test_api_key_is_required_when_set(stub: StubServer) -> None:
    stub.reset(api_key="sk-upstream")
    denied = httpx.post(f"{stub.base_url}/chat/completions", json=CHAT)
    allowed = httpx.post(
        f"{stub.base_url}/chat/completions", json=CHAT, headers={"Authorization": "Bearer sk-upstream"}
    )
    assert denied.status_code == 401
    assert denied.json()["error"]["type"] == "AuthenticationError"
    assert allowed.status_code == 200


def test_invalid_requests_are_rejected(stub: StubServer) -> None:
    no_messages = httpx.post(f"{stub.base_url}/chat/completions", json={"model": "m"})
    not_json = httpx.post(f"{stub.base_url}/completions", content=b"[1, 2", headers={"content-type": "x"})
    assert no_messages.status_code == 400
    assert not_json.status_code == 400


def test_models_and_health_follow_the_healthy_switch(stub: StubServer) -> None:
    stub.reset(model="upstream-model")
    models = httpx.get(f"{stub.base_url}/models").json()
    assert httpx.get(f"{stub.url}/health").status_code == 200
    stub.config.healthy = False  # the config is live
    assert httpx.get(f"{stub.url}/health").status_code == 503
    assert httpx.get(f"{stub.base_url}/models").status_code == 503
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["upstream-model"]
    assert models["data"][0]["object"] == "model"


def test_break_after_drops_the_connection_mid_stream(stub: StubServer) -> None:
    stub.reset("abcdefgh", chunk_chars=1, break_after=3)
    received = []
    url = f"{stub.base_url}/chat/completions"
    with (
        httpx.Client() as client,
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", url, json={**CHAT, "stream": True}) as response,
    ):
        received.extend(response.iter_lines())
    contents = [json.loads(line[6:])["choices"][0]["delta"]["content"] for line in received if line]
    assert "".join(contents) == "abc"


def test_break_with_error_event_sends_vllms_error_then_done(stub: StubServer) -> None:
    stub.reset("abcdefgh", chunk_chars=2, break_after=1, break_with="error_event")
    payloads = _stream(stub, "/chat/completions", CHAT)
    assert payloads[-1] == "[DONE]"
    assert json.loads(payloads[-2])["error"]["code"] == 500
    assert json.loads(payloads[1])["choices"][0]["delta"]["content"] == "ab"


def test_default_reply_and_empty_reply(stub: StubServer) -> None:
    data = httpx.post(f"{stub.base_url}/chat/completions", json=CHAT).json()
    stub.config.reply = ""
    payloads = _stream(stub, "/chat/completions", CHAT)
    assert data["choices"][0]["message"]["content"] == DEFAULT_REPLY
    # An empty reply still ends with one chunk carrying the finish reason.
    last = json.loads(payloads[-2])["choices"][0]
    assert last["delta"] == {"content": ""}
    assert last["finish_reason"] == "stop"


def test_reply_may_be_a_function_of_the_request(stub: StubServer) -> None:
    stub.reset(lambda body: f"max={body.get('max_tokens')}", chunk_chars=100)
    data = httpx.post(f"{stub.base_url}/chat/completions", json={**CHAT, "max_tokens": 7}).json()
    assert data["choices"][0]["message"]["content"] == "max=7"


def test_the_server_stops_cleanly_and_frees_its_port() -> None:
    with run_stub() as stub:
        assert stub.base_url == f"http://127.0.0.1:{stub.port}/v1"
        assert httpx.get(f"{stub.url}/health").status_code == 200
    assert not stub.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{stub.url}/health")


def test_the_stock_openai_client_reads_the_stub(stub: StubServer) -> None:
    openai = pytest.importorskip("openai")
    stub.reset("Hello, こんにちは", chunk_chars=2, api_key="sk-up")
    client = openai.OpenAI(base_url=stub.base_url, api_key="sk-up", max_retries=0)
    try:
        whole = client.chat.completions.create(model="demo", messages=[{"role": "user", "content": "hi"}])
        chunks = list(
            client.chat.completions.create(
                model="demo",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        completion = client.completions.create(model="demo", prompt="abc", max_tokens=3)
        models = client.models.list()
    finally:
        client.close()
    assert whole.choices[0].message.content == "Hello, こんにちは"
    assert whole.usage is not None
    assert whole.usage.completion_tokens == 6  # 12 characters in pieces of 2
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello, こんにちは"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 7
    assert completion.choices[0].text == "Hello,"
    assert completion.choices[0].finish_reason == "length"
    assert [m.id for m in models.data] == ["stub-model"]
