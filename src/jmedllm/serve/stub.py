"""A small OpenAI-compatible upstream that answers like vLLM, for tests and benchmarks.

:func:`create_stub_app` builds a FastAPI app that serves ``/v1/chat/completions``,
``/v1/completions``, ``/v1/models`` and ``/health`` with vLLM's exact framing, without a
model: the reply is a fixed string (or the last user message, with ``echo=True``) cut
into pieces of ``chunk_chars`` characters, and every piece counts as one token. That
makes replies and token counts deterministic, so tests can assert on them exactly and a
benchmark measures the gateway rather than a model.

:func:`run_stub` serves the app with uvicorn on a background thread (an ephemeral port
by default) and returns a :class:`StubServer` with the ``base_url`` to configure an
``openai`` backend with, the requests received so far, and the :class:`StubConfig`,
which a test may change while the server runs (make it fail, slow it down).

Framing, as vLLM writes it (``model_dump_json(exclude_unset=True)``):

* non-streaming: a ``chat.completion`` / ``text_completion`` object with ``usage``;
* streaming chat: a first chunk whose delta is ``{"role": "assistant", "content": ""}``,
  then one chunk per piece, the last piece carrying ``finish_reason`` (and
  ``stop_reason``); streaming completions have no role chunk;
* with ``stream_options.include_usage``: a final chunk with ``"choices": []`` and usage;
* then ``data: [DONE]``. Every event is ``data: <compact JSON>\\n\\n``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI, Request, Response

__all__ = ["DEFAULT_REPLY", "RecordedRequest", "StubConfig", "StubServer", "create_stub_app", "run_stub"]

#: What the stub says unless told otherwise (ASCII and Japanese, so both paths are exercised).
DEFAULT_REPLY = "Hello from the stub. こんにちは、スタブです。"

Reply = str | Callable[[Mapping[str, Any]], str]


@dataclass(slots=True)
class RecordedRequest:
    """One request the stub received: path, headers (lower-case names) and JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass(slots=True)
class StubConfig:
    """How the stub answers; a test may change any field while the server runs."""

    reply: Reply = DEFAULT_REPLY
    """The reply text, or a function of the request body that returns it."""
    chunk_chars: int = 4
    """Characters per streamed piece; each piece also counts as one completion token."""
    delay_s: float = 0.0
    """Seconds per piece (simulated decoding time), streamed or not."""
    first_delay_s: float = 0.0
    """Extra seconds before the first piece (simulated prefill: time to first token)."""
    fail_status: int | None = None
    """Answer every generation request with this HTTP status and an OpenAI error body."""
    fail_message: str = "the stub was told to fail"
    """The error message sent with ``fail_status``."""
    echo: bool = False
    """Reply with the last user message (chat) or the prompt (completion), so a test sees what arrived."""
    model: str = "stub-model"
    """The model listed by ``/v1/models``; generation accepts any model name and echoes it back."""
    api_key: str | None = None
    """When set, requests without ``Authorization: Bearer <api_key>`` get 401."""
    healthy: bool = True
    """False: ``/health`` and ``/v1/models`` answer 503."""
    break_after: int | None = None
    """Streaming only: stop after this many content pieces, as ``break_with`` says."""
    break_with: Literal["disconnect", "error_event"] = "disconnect"
    """``disconnect``: drop the connection mid-body; ``error_event``: vLLM's in-stream error event, then [DONE]."""
    usage_chunk: bool = True
    """False: ignore ``stream_options.include_usage``, as some older upstreams do."""
    requests: list[RecordedRequest] = field(default_factory=list)
    """Every request received, oldest first."""

    def __post_init__(self) -> None:
        if self.chunk_chars < 1:
            raise ValueError("chunk_chars must be at least 1")


def create_stub_app(
    reply: Reply = DEFAULT_REPLY,
    *,
    chunk_chars: int = 4,
    delay_s: float = 0.0,
    fail_status: int | None = None,
    **options: Any,
) -> FastAPI:
    """Build the stub app; ``options`` are further :class:`StubConfig` fields.

    The config is ``app.state.stub``. Generation accepts any model name and any extra
    fields (vLLM accepts and ignores unknown ones); ``max_tokens`` is honoured in pieces
    (``finish_reason: "length"``), and ``stop`` strings cut the reply (``"stop"``).
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse, Response, StreamingResponse

    app = FastAPI(title="jmedllm OpenAI stub", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.stub = StubConfig(reply, chunk_chars, delay_s, fail_status=fail_status, **options)

    async def record(request: Request, config: StubConfig) -> tuple[dict[str, Any], Response | None]:
        raw = await request.body()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        config.requests.append(RecordedRequest(request.method, request.url.path, headers, body))
        if config.api_key is not None and headers.get("authorization") != f"Bearer {config.api_key}":
            return {}, _error(401, "invalid API key", "AuthenticationError")
        if raw and body is None:
            return {}, _error(400, "the request body is not a JSON object", "BadRequestError")
        return body or {}, None

    async def health(request: Request) -> Response:
        config: StubConfig = request.app.state.stub
        return Response(status_code=200 if config.healthy else 503)

    async def models(request: Request) -> Response:
        config: StubConfig = request.app.state.stub
        _, refusal = await record(request, config)
        if refusal is not None:
            return refusal
        if not config.healthy:
            return _error(503, "the stub is unhealthy", "ServiceUnavailableError")
        card = {
            "id": config.model,
            "object": "model",
            "created": int(time.time()),
            "owned_by": "vllm",
            "root": config.model,
            "parent": None,
            "max_model_len": 4096,
            "permission": [],
        }
        return JSONResponse({"object": "list", "data": [card]})

    async def generate(request: Request, kind: Literal["chat", "completion"]) -> Response:
        # Read per request: StubServer.reset() swaps the config of a running server.
        config: StubConfig = request.app.state.stub
        body, refusal = await record(request, config)
        if refusal is not None:
            return refusal
        if config.fail_status is not None:
            return _error(config.fail_status, config.fail_message, _error_type(config.fail_status))
        if kind == "chat" and not isinstance(body.get("messages"), list):
            return _error(400, "messages: field required", "BadRequestError")
        if kind == "completion" and "prompt" not in body:
            return _error(400, "prompt: field required", "BadRequestError")
        plan = _plan(config, body, kind)
        if body.get("stream"):
            options = body.get("stream_options")
            include_usage = (
                config.usage_chunk and isinstance(options, dict) and bool(options.get("include_usage"))
            )
            return StreamingResponse(_events(config, plan, include_usage), media_type="text/event-stream")
        await _sleep(config.first_delay_s + config.delay_s * len(plan.pieces))
        return JSONResponse(_whole(plan))

    async def chat(request: Request) -> Response:
        return await generate(request, "chat")

    async def completions(request: Request) -> Response:
        return await generate(request, "completion")

    # Plain Starlette routes: no validation or dependency injection to pay for on every request.
    app.add_route("/health", health, methods=["GET"])
    app.add_route("/v1/models", models, methods=["GET"])
    app.add_route("/v1/chat/completions", chat, methods=["POST"])
    app.add_route("/v1/completions", completions, methods=["POST"])
    return app


@dataclass(slots=True)
class _Plan:
    """One reply worked out in advance: its pieces, why it ends and its token counts."""

    kind: Literal["chat", "completion"]
    id: str
    model: str
    created: int
    pieces: list[str]
    finish_reason: str
    prompt_tokens: int

    def usage(self) -> dict[str, Any]:
        completion = len(self.pieces)
        # Key order as vLLM's UsageInfo declares its fields.
        return {
            "prompt_tokens": self.prompt_tokens,
            "total_tokens": self.prompt_tokens + completion,
            "completion_tokens": completion,
            "prompt_tokens_details": None,
        }


def _plan(config: StubConfig, body: Mapping[str, Any], kind: Literal["chat", "completion"]) -> _Plan:
    prompt_text = _prompt_text(body, kind)
    if config.echo:
        text = _last_user_text(body) if kind == "chat" else prompt_text
    else:
        text = config.reply(body) if callable(config.reply) else config.reply
    finish_reason = "stop"
    stops = body.get("stop")
    for stop in [stops] if isinstance(stops, str) else stops or []:
        if isinstance(stop, str) and stop and stop in text:
            text = text[: text.index(stop)]
    n = config.chunk_chars
    pieces = [text[i : i + n] for i in range(0, len(text), n)]
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(max_tokens, int) and 0 < max_tokens < len(pieces):
        pieces = pieces[:max_tokens]
        finish_reason = "length"
    prefix = "chatcmpl-" if kind == "chat" else "cmpl-"
    return _Plan(
        kind=kind,
        id=prefix + uuid.uuid4().hex,
        model=str(body.get("model") or config.model),
        created=int(time.time()),
        pieces=pieces,
        finish_reason=finish_reason,
        prompt_tokens=max(1, -(-len(prompt_text) // n)),
    )


def _prompt_text(body: Mapping[str, Any], kind: str) -> str:
    if kind == "completion":
        prompt = body.get("prompt")
        return prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False)
    return "".join(_content_text(m.get("content")) for m in body.get("messages") or () if isinstance(m, dict))


def _last_user_text(body: Mapping[str, Any]) -> str:
    for message in reversed(body.get("messages") or ()):
        if isinstance(message, dict) and message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _whole(plan: _Plan) -> dict[str, Any]:
    """A non-streaming response with vLLM's fields (``model_dump()``: unset fields as null)."""
    text = "".join(plan.pieces)
    if plan.kind == "chat":
        message = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "annotations": None,
            "audio": None,
            "function_call": None,
            "tool_calls": [],
            "reasoning_content": None,
        }
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": plan.finish_reason,
            "stop_reason": None,
        }
        obj = "chat.completion"
    else:
        choice = {
            "index": 0,
            "text": text,
            "logprobs": None,
            "finish_reason": plan.finish_reason,
            "stop_reason": None,
            "prompt_logprobs": None,
        }
        obj = "text_completion"
    response: dict[str, Any] = {
        "id": plan.id,
        "object": obj,
        "created": plan.created,
        "model": plan.model,
        "choices": [choice],
        "service_tier": None,
        "system_fingerprint": None,
        "usage": plan.usage(),
    }
    if plan.kind == "chat":
        response["prompt_logprobs"] = None
    response["kv_transfer_params"] = None
    return response


def _event(data: Mapping[str, Any]) -> bytes:
    # Compact and UTF-8, as pydantic's model_dump_json writes it.
    return b"data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


_DONE = b"data: [DONE]\n\n"


class _DeliberateDisconnectError(Exception):
    """Raised inside the response body to make uvicorn drop the connection mid-stream."""


async def _events(config: StubConfig, plan: _Plan, include_usage: bool) -> AsyncIterator[bytes]:
    chat = plan.kind == "chat"
    head = {
        "id": plan.id,
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": plan.created,
        "model": plan.model,
    }
    if chat:
        first = {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        }
        yield _event({**head, "choices": [first]})
    await _sleep(config.first_delay_s)
    pieces = plan.pieces or [""]  # an empty reply still ends with one finish chunk
    for i, piece in enumerate(pieces):
        if config.break_after is not None and i >= config.break_after:
            if config.break_with == "error_event":
                error = {"message": "the stub broke the stream", "type": "InternalServerError", "param": None}
                yield _event({"error": {**error, "code": 500}})
                yield _DONE
                return
            raise _DeliberateDisconnectError("the stub drops the connection on purpose")
        await _sleep(config.delay_s)
        last = i == len(pieces) - 1
        choice: dict[str, Any] = {"index": 0}
        if chat:
            choice["delta"] = {"content": piece}
        else:
            choice["text"] = piece
        choice["logprobs"] = None
        choice["finish_reason"] = plan.finish_reason if last else None
        if last or not chat:
            # vLLM sets stop_reason on every completion chunk but only on the last chat chunk.
            choice["stop_reason"] = None
        yield _event({**head, "choices": [choice]})
    if include_usage:
        usage = {k: v for k, v in plan.usage().items() if v is not None}  # exclude_none, as vLLM
        yield _event({**head, "choices": [], "usage": usage})
    yield _DONE


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def _error_type(status: int) -> str:
    return {
        400: "BadRequestError",
        401: "AuthenticationError",
        403: "PermissionDeniedError",
        404: "NotFoundError",
        422: "UnprocessableEntityError",
        429: "RateLimitError",
    }.get(status, "InternalServerError" if status >= 500 else "BadRequestError")


def _error(status: int, message: str, kind: str) -> Response:
    """An error in the shape current vLLM and OpenAI send: ``{"error": {...}}``."""
    from fastapi.responses import JSONResponse

    body = {"error": {"message": message, "type": kind, "param": None, "code": status}}
    return JSONResponse(body, status_code=status)


@dataclass(slots=True)
class StubServer:
    """A running stub: where it listens, what it received, and its live configuration."""

    app: FastAPI
    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``…/v1``) to give an ``openai`` backend or client."""
        return f"{self.url}/v1"

    @property
    def config(self) -> StubConfig:
        return self.app.state.stub  # type: ignore[no-any-return]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far, oldest first (``/health`` is not recorded)."""
        return self.config.requests

    def reset(self, reply: Reply = DEFAULT_REPLY, **options: Any) -> StubConfig:
        """Give the running server a fresh configuration and forget the requests it recorded.

        Starting and stopping uvicorn costs ~0.2 s, so a test module can share one server
        and reset it per test instead.
        """
        config = StubConfig(reply, **options)
        self.app.state.stub = config
        return config


@contextmanager
def run_stub(
    reply: Reply = DEFAULT_REPLY,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    app: FastAPI | None = None,
    startup_timeout_s: float = 10.0,
    **options: Any,
) -> Iterator[StubServer]:
    """Serve the stub (or ``app``) on ``host:port`` in a background thread for the ``with`` block.

    ``port=0`` picks a free port. The socket is bound before the thread starts, so the
    port is known at once and cannot be taken by someone else in between; the block is
    entered only once uvicorn accepts connections. On exit the server stops, and open
    streams are cut after one second rather than holding the test up.
    """
    import uvicorn

    app = app if app is not None else create_stub_app(reply, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the host's logging alone
        log_level="critical",  # the stub's deliberate failures (dropped streams) are not news
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="jmedllm-stub", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the stub server did not start on {host}:{bound_port}")
            time.sleep(0.005)
        yield StubServer(app, host, bound_port, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout_s)
        sock.close()
