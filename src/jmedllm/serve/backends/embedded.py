"""A local model generating inside the gateway process (transformers on CPU or GPU).

The model is loaded in :meth:`EmbeddedBackend.start` through :func:`jmedllm.core.models.load_model`,
so torch and transformers are imported only when an embedded backend actually starts;
importing this module costs nothing.

Generation runs on dedicated worker threads (``max_concurrency``, default 1: a small CPU
model gains nothing from running two generations at once, and torch's global RNG makes
``seed`` reproducible only one at a time). Requests wait in a bounded queue of
``max_queue``; a request that finds it full gets :class:`BackendBusy` (HTTP 429) at
once, because a hospital client retrying later beats a gateway holding sockets open
for minutes.

Tokens reach the event loop one by one: the worker hands each new token to a small
streamer object that detokenizes incrementally and posts the text with
``loop.call_soon_threadsafe`` into the request's ``asyncio.Queue``. When the consumer
goes away (client disconnected, async generator closed) a flag is set that a
``StoppingCriteria`` checks after every token, so the worker is free again within one
decoding step.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmedllm.serve.backends.base import (
    BACKENDS,
    Backend,
    BackendBusy,
    BackendError,
    BackendUnavailable,
    Delta,
    Generation,
    GenerationRequest,
    Usage,
)

if TYPE_CHECKING:
    from jmedllm.core.models import LoadedModel
    from jmedllm.core.settings import BackendSettings, ServedModel, Settings

__all__ = ["EmbeddedBackend"]


@BACKENDS.register("embedded")
class EmbeddedBackend(Backend):
    """A local model (bundled, HF directory or GGUF) generating in this process on worker threads.

    Pass ``loaded`` to serve a model that is already in memory (tests use a tiny random
    model this way); otherwise :meth:`start` loads ``config.model`` or
    ``settings.local_models.default``.
    """

    kind = "embedded"

    def __init__(
        self,
        config: BackendSettings,
        served: ServedModel,
        settings: Settings,
        *,
        loaded: LoadedModel | None = None,
    ) -> None:
        super().__init__(config, served, settings)
        self.reference = config.model or settings.local_models.default
        self.loaded = loaded
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=config.max_queue)
        self._workers: list[threading.Thread] = []
        self._running: set[_Job] = set()
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        # A path reference is shortened to its last part: labels are metric values, not locations.
        name = Path(self.reference).name if "/" in self.reference else self.reference
        return f"embedded:{name}"

    @property
    def queue_depth(self) -> int:
        return self._jobs.qsize()

    async def start(self) -> None:
        if self.loaded is None:
            from jmedllm.core.models import load_model

            self.loaded = await asyncio.to_thread(load_model, self.reference, settings=self.settings)
        if not self._workers:
            for i in range(self.config.max_concurrency or 1):
                worker = threading.Thread(target=self._work, name=f"jmedllm-embedded-{i}", daemon=True)
                worker.start()
                self._workers.append(worker)

    async def close(self) -> None:
        workers, self._workers = self._workers, []
        # Cancel what is queued and running, then wake every worker with one sentinel each.
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.cancel()
                job.fail(BackendUnavailable("the model is shutting down"))
        with self._lock:
            for job in self._running:
                job.cancel()
        for _ in workers:
            self._jobs.put(None)
        for worker in workers:
            await asyncio.to_thread(worker.join, 30)

    async def health(self) -> bool:
        return self.loaded is not None and any(w.is_alive() for w in self._workers)

    async def generate(self, request: GenerationRequest) -> Generation:
        # The same path as streaming, so a whole reply is exactly the concatenated stream;
        # aclosing() cancels the job at once if this coroutine is cancelled.
        parts: list[str] = []
        async with contextlib.aclosing(self.stream(request)) as deltas:
            async for delta in deltas:
                parts.append(delta.text)
                if delta.usage is not None:
                    return Generation("".join(parts), delta.finish_reason or "stop", delta.usage)
        raise BackendError("the generation ended without a result", status=500)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        job = self._submit(request)
        try:
            while True:
                item = await job.events.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.usage is not None:
                    return
        finally:
            # Reached on completion, error, cancellation and aclose(): the worker stops at the next token.
            job.cancel()

    # -- worker side ------------------------------------------------------------------

    def _submit(self, request: GenerationRequest) -> _Job:
        if self.loaded is None or not self._workers:
            raise BackendUnavailable(f"the model {self.reference} is not loaded")
        job = _Job(request, asyncio.get_running_loop())
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            raise BackendBusy(
                f"the model {self.reference} has {self._jobs.qsize()} requests waiting"
            ) from None
        return job

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.cancelled.is_set():
                continue
            with self._lock:
                self._running.add(job)
            try:
                self._run(job)
            except BackendError as exc:
                job.fail(exc)
            except Exception as exc:
                # The exception text comes from torch/transformers (shapes, dtypes), never the prompt.
                job.fail(BackendError(f"generation failed: {type(exc).__name__}: {exc}"[:300], status=500))
            finally:
                with self._lock:
                    self._running.discard(job)

    def _run(self, job: _Job) -> None:
        import torch

        loaded = self.loaded
        assert loaded is not None
        tokenizer, model = loaded.tokenizer, loaded.model
        request = job.request
        input_ids = _encode(tokenizer, request).to(loaded.device)
        prompt_tokens = int(input_ids.shape[1])
        max_tokens = request.max_tokens
        limit = getattr(model.config, "max_position_embeddings", None)
        if isinstance(limit, int) and prompt_tokens + max_tokens > limit:
            raise BackendError(
                f"This model's maximum context length is {limit} tokens. However, you requested "
                f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} in the "
                "completion). Please reduce the length of the messages or completion.",
                status=400,
            )
        bridge = _TokenBridge(tokenizer, job, _stop_strings(request.params.get("stop")))
        sampling = _sampling(request.params)
        seed = request.params.get("seed")
        if seed is not None:
            torch.manual_seed(int(seed))
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with torch.inference_mode():
            model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_tokens,
                streamer=bridge,
                stopping_criteria=_stopping_criteria(job.cancelled),
                pad_token_id=pad,
                **sampling,
            )
        if job.cancelled.is_set() and not bridge.stopped:
            # Usually nobody is listening any more; after close() somebody may be.
            job.fail(BackendUnavailable("the generation was cancelled"))
            return
        bridge.flush()
        if bridge.stopped:
            finish_reason = "stop"
        elif bridge.generated >= max_tokens and bridge.last_token not in _eos_ids(model, tokenizer):
            finish_reason = "length"
        else:
            finish_reason = "stop"
        job.send(Delta("", finish_reason, Usage(prompt_tokens, bridge.generated)))


class _Job:
    """One request on its way through the queue, and the channel its deltas come back on."""

    def __init__(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self.loop = loop
        self.events: asyncio.Queue[Delta | BaseException] = asyncio.Queue()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def send(self, item: Delta | BaseException) -> None:
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, item)
        except RuntimeError:
            self.cancelled.set()  # the event loop is gone: stop generating for it

    def fail(self, exc: BaseException) -> None:
        self.send(exc)


@dataclass(slots=True)
class _TokenBridge:
    """A transformers streamer (``put``/``end``) that turns token ids into text deltas.

    Not transformers' ``TextStreamer``: that one holds text back until a space or a CJK
    ideograph, so kana-only Japanese would arrive in one piece at the end. This one
    decodes a small window of recent tokens (vLLM's incremental detokenizer), emits
    whatever text is complete, holds back only an unfinished UTF-8 sequence (``\\ufffd``)
    and any tail that could still become a stop string, and trips ``stopped`` when a stop
    string appears.
    """

    tokenizer: Any
    job: _Job
    stops: Sequence[str]
    ids: list[int] = field(default_factory=list)
    prefix_offset: int = 0
    read_offset: int = 0
    pending: str = ""
    generated: int = 0
    last_token: int | None = None
    stopped: bool = False
    prompt_seen: bool = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True  # generate() first hands over the prompt itself
            return
        for token in value.reshape(-1).tolist():
            if self.stopped:
                continue  # a token decoded after the stop string is neither shown nor counted
            self.generated += 1
            self.last_token = int(token)
            self.ids.append(int(token))
            self._emit(self._decode_step(final=False))

    def end(self) -> None:
        """Called by generate() when it stops; the backend flushes after reading the finish state."""

    def flush(self) -> None:
        if not self.stopped:
            self._emit(self._decode_step(final=True))
            if self.pending and not self.stopped:
                self.job.send(Delta(self.pending))
                self.pending = ""

    def _decode_step(self, *, final: bool) -> str:
        # Decoding the tokens since prefix_offset with and without the unread ones keeps
        # context for tokenizers whose pieces decode differently alone (SentencePiece
        # leading spaces, byte-level multi-byte characters).
        decode = functools.partial(self.tokenizer.decode, skip_special_tokens=True)
        prefix = decode(self.ids[self.prefix_offset : self.read_offset])
        text = decode(self.ids[self.prefix_offset :])
        if len(text) <= len(prefix) or (text.endswith("\ufffd") and not final):
            return ""
        self.prefix_offset, self.read_offset = self.read_offset, len(self.ids)
        return text[len(prefix) :]

    def _emit(self, text: str) -> None:
        if not text:
            return
        if not self.stops:
            self.job.send(Delta(text))
            return
        self.pending += text
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            if cut:
                self.job.send(Delta(self.pending[:cut]))
            self.pending = ""
            self.stopped = True
            self.job.cancel()  # lets the stopping criteria end generate() at this token
            return
        hold = _longest_stop_prefix(self.pending, self.stops)
        ready = self.pending[: len(self.pending) - hold]
        if ready:
            self.job.send(Delta(ready))
        self.pending = self.pending[len(self.pending) - hold :]


def _longest_stop_prefix(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that is the beginning of some stop string."""
    best = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), best, -1):
            if stop.startswith(text[-n:]):
                best = n
                break
    return best


def _stop_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [s for s in value if isinstance(s, str) and s]
    return []


def _sampling(params: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI sampling parameters as transformers' generate() takes them.

    An omitted ``temperature`` means 1.0, as in OpenAI's API and vLLM; 0 means greedy.
    ``top_k`` is switched off because OpenAI's API has none and transformers would
    otherwise apply its default of 50. ``presence_penalty`` and ``frequency_penalty``
    have no exact transformers equivalent and are ignored.
    """
    temperature = params.get("temperature")
    temperature = 1.0 if temperature is None else float(temperature)
    if temperature <= 0:
        return {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    top_p = params.get("top_p")
    return {
        "do_sample": True,
        "temperature": temperature,
        "top_p": 1.0 if top_p is None else float(top_p),
        "top_k": 0,
    }


def _encode(tokenizer: Any, request: GenerationRequest) -> Any:
    if request.kind == "completion":
        return tokenizer(request.prompt, return_tensors="pt")["input_ids"]
    if not getattr(tokenizer, "chat_template", None):
        raise BackendError(
            "this model has no chat template; use /v1/completions with a prompt instead", status=400
        )
    messages = [
        {"role": m.get("role", "user"), "content": _content_text(m.get("content"))} for m in request.messages
    ]
    try:
        encoded = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    except Exception as exc:
        # Templates raise (via jinja2) on conversations they do not accept, e.g. roles that do not
        # alternate: that is the client's request, not a server fault. Their messages are fixed strings.
        if type(exc).__module__.startswith("jinja2"):
            raise BackendError(
                f"the model's chat template refused the messages: {exc}"[:300], status=400
            ) from exc
        raise
    return encoded["input_ids"]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts; only text reaches a text model
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "" if content is None else str(content)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), getattr(model, "config", None), tokenizer):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


@functools.cache
def _flag_criteria_class() -> type:
    """The StoppingCriteria class, defined on first use so transformers loads only with a model."""
    import torch
    from transformers import StoppingCriteria

    class FlagCriteria(StoppingCriteria):
        """Stops generation once a threading.Event is set (client gone, stop string seen, shutdown)."""

        def __init__(self, flag: threading.Event) -> None:
            self.flag = flag

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full(
                (input_ids.shape[0],), self.flag.is_set(), dtype=torch.bool, device=input_ids.device
            )

    return FlagCriteria


def _stopping_criteria(flag: threading.Event) -> Any:
    from transformers import StoppingCriteriaList

    return StoppingCriteriaList([_flag_criteria_class()(flag)])
