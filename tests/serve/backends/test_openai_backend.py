"""The openai backend against the vLLM-shaped stub, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from jmedllm.core.settings import BackendSettings, ServedModel, load_settings
from jmedllm.serve.backends import BACKENDS, BackendBusy, BackendError, BackendUnavailable, Delta
from jmedllm.serve.backends.base import GenerationRequest
from jmedllm.serve.backends.openai import OpenAIBackend
from jmedllm.serve.stub import StubServer, run_stub

pytestmark = pytest.mark.anyio

REPLY = "Blood pressure 120/80. 血圧は正常です。"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server() -> Iterator[StubServer]:
    with run_stub() as running:
        yield running


@pytest.fixture
def stub(server: StubServer) -> StubServer:
    server.reset(REPLY, chunk_chars=3)
    return server


def _backend(base_url: str, **options: Any) -> OpenAIBackend:
    config = BackendSettings(type="openai", base_url=base_url, **options)
    served = ServedModel(name="demo", backends=[config])
    backend = BACKENDS.get("openai")(config, served, load_settings())
    assert isinstance(backend, OpenAIBackend)
    return backend


@pytest.fixture
async def backend(stub: StubServer) -> AsyncIterator[OpenAIBackend]:
    backend = _backend(stub.base_url, timeout_s=5)
    await backend.start()
    yield backend
    await backend.close()


def _chat(text: str = "血圧は？", **params: Any) -> GenerationRequest:
    return GenerationRequest(
        kind="chat",
        model="demo",
        request_id="req-1",
        messages=[{"role": "user", "content": text}],
        params={"max_tokens": 64, **params},
    )


async def _collect(backend: OpenAIBackend, request: GenerationRequest) -> list[Delta]:
    return [delta async for delta in backend.stream(request)]


async def test_generate_returns_text_finish_reason_and_usage(
    backend: OpenAIBackend, stub: StubServer
) -> None:
    result = await backend.generate(_chat(temperature=0.2, stop=["zzz"], seed=3, top_p=None))
    assert result.text == REPLY
    assert result.finish_reason == "stop"
    assert result.usage.completion_tokens == -(-len(REPLY) // 3)
    assert result.usage.prompt_tokens == 2
    [request] = stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.body == {
        "max_tokens": 64,
        "temperature": 0.2,
        "stop": ["zzz"],
        "seed": 3,
        "model": "demo",
        "messages": [{"role": "user", "content": "血圧は？"}],
    }


async def test_completion_goes_to_completions(backend: OpenAIBackend, stub: StubServer) -> None:
    request = GenerationRequest(kind="completion", model="demo", request_id="r", prompt="abc", params={})
    result = await backend.generate(request)
    assert result.text == REPLY
    body = stub.requests[-1].body
    assert stub.requests[-1].path == "/v1/completions"
    assert body is not None
    assert (body["prompt"], body["max_tokens"]) == ("abc", 16)  # max_tokens is always sent
    deltas = await _collect(backend, request)
    assert "".join(d.text for d in deltas) == REPLY


async def test_upstream_model_name_is_configurable(stub: StubServer) -> None:
    backend = _backend(stub.base_url, model="Qwen/Qwen2.5-7B-Instruct")
    await backend.start()
    try:
        await backend.generate(_chat())
    finally:
        await backend.close()
    assert stub.requests[-1].body["model"] == "Qwen/Qwen2.5-7B-Instruct"  # type: ignore[index]


async def test_stream_yields_deltas_in_order_then_usage(backend: OpenAIBackend, stub: StubServer) -> None:
    deltas = await _collect(backend, _chat())
    *pieces, last = deltas
    assert [d.text for d in pieces] == [REPLY[i : i + 3] for i in range(0, len(REPLY), 3)]
    assert all(d.finish_reason is None and d.usage is None for d in pieces)
    assert last.text == ""
    assert last.finish_reason == "stop"
    assert last.usage is not None
    assert last.usage.completion_tokens == len(pieces)
    assert last.usage.prompt_tokens == 2
    body = stub.requests[-1].body
    assert body is not None
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_stream_deltas_arrive_as_the_upstream_sends_them(
    backend: OpenAIBackend, stub: StubServer
) -> None:
    stub.config.delay_s = 0.15
    stub.config.reply = "abcdef"
    loop = asyncio.get_running_loop()
    started = loop.time()
    arrivals = []
    async for delta in backend.stream(_chat()):
        arrivals.append(loop.time() - started)
        if delta.text == "abc":
            # The first piece is here long before the upstream has sent the second one.
            assert arrivals[-1] < 0.3
    assert arrivals[-1] >= 0.3


async def test_stream_length_and_max_tokens(backend: OpenAIBackend) -> None:
    deltas = await _collect(backend, _chat(max_tokens=2))
    assert "".join(d.text for d in deltas) == REPLY[:6]
    assert deltas[-1].finish_reason == "length"
    result = await backend.generate(_chat(max_tokens=2))
    assert (result.text, result.finish_reason) == (REPLY[:6], "length")


async def test_api_key_is_sent_as_bearer_and_kept_out_of_the_label(stub: StubServer) -> None:
    stub.config.api_key = "sk-upstream-secret"
    backend = _backend(stub.base_url, api_key="sk-upstream-secret")
    assert backend.label == f"openai:127.0.0.1:{stub.port}"
    await backend.start()
    try:
        assert (await backend.generate(_chat())).text == REPLY
        assert await backend.health()
    finally:
        await backend.close()
    assert stub.requests[0].headers["authorization"] == "Bearer sk-upstream-secret"
    assert "secret" not in backend.label


async def test_wrong_upstream_key_is_a_gateway_problem_not_the_clients(stub: StubServer) -> None:
    stub.config.api_key = "sk-right"
    backend = _backend(stub.base_url, api_key="sk-wrong")
    await backend.start()
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(_chat())
    finally:
        await backend.close()
    assert caught.value.status == 502
    assert "sk-wrong" not in str(caught.value)


def test_label_never_shows_credentials_in_the_url() -> None:
    backend = _backend("https://user:pw@llm.example.org/v1")
    assert backend.label == "openai:llm.example.org:443"


@pytest.mark.parametrize("streaming", [False, True])
async def test_upstream_400_keeps_status_and_message(
    backend: OpenAIBackend, stub: StubServer, streaming: bool
) -> None:
    stub.config.fail_status = 400
    stub.config.fail_message = "This model's maximum context length is 4096 tokens."
    with pytest.raises(BackendError) as caught:
        if streaming:
            await _collect(backend, _chat())
        else:
            await backend.generate(_chat())
    assert caught.value.status == 400
    assert "maximum context length is 4096" in str(caught.value)


@pytest.mark.parametrize("streaming", [False, True])
async def test_upstream_500_becomes_502(backend: OpenAIBackend, stub: StubServer, streaming: bool) -> None:
    stub.config.fail_status = 500
    with pytest.raises(BackendError) as caught:
        if streaming:
            await _collect(backend, _chat())
        else:
            await backend.generate(_chat())
    assert caught.value.status == 502
    assert not isinstance(caught.value, BackendUnavailable)


async def test_upstream_429_becomes_busy(backend: OpenAIBackend, stub: StubServer) -> None:
    stub.config.fail_status = 429
    with pytest.raises(BackendBusy) as caught:
        await backend.generate(_chat())
    assert caught.value.status == 429


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("streaming", [False, True])
async def test_connection_refused_is_unavailable(streaming: bool) -> None:
    backend = _backend(f"http://127.0.0.1:{_free_port()}/v1", timeout_s=2)
    await backend.start()
    try:
        assert not await backend.health()
        with pytest.raises(BackendUnavailable) as caught:
            if streaming:
                await _collect(backend, _chat())
            else:
                await backend.generate(_chat())
    finally:
        await backend.close()
    assert caught.value.status == 503


async def test_silent_upstream_times_out_as_unavailable(stub: StubServer) -> None:
    stub.config.first_delay_s = 1.0
    backend = _backend(stub.base_url, timeout_s=0.2)
    await backend.start()
    try:
        with pytest.raises(BackendUnavailable):
            await backend.generate(_chat())
    finally:
        await backend.close()


async def test_stream_broken_mid_way_raises_after_the_first_deltas(
    backend: OpenAIBackend, stub: StubServer
) -> None:
    stub.config.break_after = 2
    received: list[str] = []
    with pytest.raises(BackendError) as caught:
        async for delta in backend.stream(_chat()):
            received.append(delta.text)
    assert received == [REPLY[:3], REPLY[3:6]]
    assert caught.value.status == 502
    assert not isinstance(caught.value, BackendUnavailable)


async def test_in_stream_error_event_raises(backend: OpenAIBackend, stub: StubServer) -> None:
    stub.config.break_after = 1
    stub.config.break_with = "error_event"
    with pytest.raises(BackendError, match="mid-stream") as caught:
        await _collect(backend, _chat())
    assert caught.value.status == 502


async def test_stream_without_usage_counts_pieces(backend: OpenAIBackend, stub: StubServer) -> None:
    # An upstream that ignores stream_options.include_usage: one chunk per token is the best count.
    stub.config.reply = "abcdefghi"
    stub.config.usage_chunk = False
    deltas = await _collect(backend, _chat())
    assert deltas[-1].usage is not None
    assert (deltas[-1].usage.prompt_tokens, deltas[-1].usage.completion_tokens) == (0, 3)


async def test_health_follows_the_upstream(backend: OpenAIBackend, stub: StubServer) -> None:
    assert await backend.health()
    stub.config.healthy = False
    assert not await backend.health()


async def test_not_started_backend_is_unavailable(stub: StubServer) -> None:
    backend = _backend(stub.base_url)
    assert not await backend.health()
    with pytest.raises(BackendUnavailable):
        await backend.generate(_chat())
    await backend.close()  # safe without start


async def test_max_concurrency_queues_then_refuses(stub: StubServer) -> None:
    stub.config.delay_s = 0.02  # 13 pieces: each request holds its slot ~0.3 s
    backend = _backend(stub.base_url, max_concurrency=1, max_queue=1)
    await backend.start()
    try:
        first = asyncio.create_task(backend.generate(_chat()))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(backend.generate(_chat()))
        await asyncio.sleep(0.01)
        assert backend.queue_depth == 1
        with pytest.raises(BackendBusy):
            await backend.generate(_chat())
        assert (await first).text == REPLY
        assert (await second).text == REPLY
        assert backend.queue_depth == 0
    finally:
        await backend.close()


async def test_closing_a_stream_early_releases_the_upstream_connection(stub: StubServer) -> None:
    stub.config.delay_s = 0.05
    backend = _backend(stub.base_url, max_concurrency=1, max_queue=1)
    await backend.start()
    try:
        stream = backend.stream(_chat())
        first = await stream.__anext__()
        assert first.text == REPLY[:3]
        await stream.aclose()  # what the router does when its client disconnects
        stub.config.delay_s = 0.0
        result = await asyncio.wait_for(backend.generate(_chat()), timeout=2)
        assert result.text == REPLY
    finally:
        await backend.close()


async def test_a_big_streamed_piece_passes_and_a_runaway_line_is_a_broken_stream(stub: StubServer) -> None:
    # aiohttp reads a stream line by line, up to 2 * read_bufsize: 1 MiB here, far above any
    # token an upstream streams, and bounded, so a runaway line cannot exhaust memory.
    stub.config.reply = "あ" * 100_000  # one piece of ~300 kB of UTF-8
    stub.config.chunk_chars = 100_000
    backend = _backend(stub.base_url, timeout_s=10)
    await backend.start()
    try:
        deltas = await _collect(backend, _chat(max_tokens=4))
        assert "".join(d.text for d in deltas) == stub.config.reply
        stub.config.reply = "x" * 1_100_000
        stub.config.chunk_chars = 1_100_000
        with pytest.raises(BackendError) as caught:
            await _collect(backend, _chat(max_tokens=4))
        assert caught.value.status == 502 and "broke off" in str(caught.value)
    finally:
        await backend.close()


async def test_proxy_settings_from_the_environment_apply_as_with_httpx(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An HTTP(S)_PROXY in the environment is used for the upstream (httpx's trust_env), read
    # once at start; NO_PROXY exempts hosts.
    for name in (
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    proxied = _backend(stub.base_url, timeout_s=2)
    await proxied.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    exempt = _backend(stub.base_url, timeout_s=2)
    await exempt.start()
    try:
        with pytest.raises(BackendUnavailable):
            await proxied.generate(_chat())
        assert (await exempt.generate(_chat())).text == REPLY
    finally:
        await proxied.close()
        await exempt.close()
