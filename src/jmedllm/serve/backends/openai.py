"""Any OpenAI-compatible upstream (vLLM, llama.cpp server, TGI) reached through aiohttp.

The backend forwards the guarded request as is — messages or prompt, the upstream's own
model name and the sampling parameters the gateway accepted — and turns the upstream's
reply back into plain text and token counts, so the router frames every backend's
output the same way. Streaming is parsed line by line and each content delta is yielded
the moment it arrives: the gateway adds no buffering of its own (output rails window the
text downstream).

Errors keep their meaning for the client: an unreachable or silent upstream is 503, a
request the upstream rejects keeps its 4xx status and message, an upstream failure is
502. The upstream's API key is sent only in the ``Authorization`` header and never
appears in :attr:`OpenAIBackend.label`, logs or error messages.

The client is aiohttp rather than httpx: the upstream call is on every request's path,
and at 100 concurrent requests httpx/httpcore cost ~1.5 ms of CPU per call against
aiohttp's ~0.14 ms (measured on the stub; see docs/serve.md, "Measured overhead").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from jmedllm.core.errors import ConfigError
from jmedllm.serve._json import dumps, loads
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
    from jmedllm.core.settings import BackendSettings, ServedModel, Settings

__all__ = ["OpenAIBackend"]

#: ``health()`` must answer quickly even when the generation timeout is minutes long.
_HEALTH_TIMEOUT_S = 5.0
#: Upstream error messages are passed to clients; a runaway body is cut here.
_MAX_MESSAGE_CHARS = 500
#: Idle upstream connections are closed after this long: below the 5 s keep-alive of
#: uvicorn (vLLM) and most servers, so a request is not sent into a connection the
#: upstream is closing at that moment (aiohttp does not resend a POST).
_KEEPALIVE_S = 4.0
#: The longest SSE line (one streamed event) read from an upstream.
_MAX_LINE_BYTES = 1 << 20
#: What a failed call to the upstream raises: aiohttp's client errors, its timeouts, and a
#: malformed HTTP message (a line too long, a bad chunk).
_HTTP_ERRORS = (aiohttp.ClientError, TimeoutError, HttpProcessingError)
_JSON_HEADERS = {"Content-Type": "application/json"}


@BACKENDS.register("openai")
class OpenAIBackend(Backend):
    """An OpenAI-compatible upstream server (vLLM, llama.cpp, TGI) reached over HTTP with aiohttp.

    One pooled ``aiohttp.ClientSession`` per backend, opened in :meth:`start`. When
    ``max_concurrency`` is set, at most that many requests are in flight upstream and at
    most ``max_queue`` wait for a slot; beyond that :class:`BackendBusy` (429) is raised
    at once instead of piling requests onto an upstream that is already saturated.
    """

    kind = "openai"

    def __init__(self, config: BackendSettings, served: ServedModel, settings: Settings) -> None:
        super().__init__(config, served, settings)
        if not config.base_url:  # BackendSettings refuses this already; kept for hand-built configs
            raise ConfigError(
                f"the openai backend of model {served.name!r} has no base_url",
                hint="set base_url, e.g. http://127.0.0.1:9000/v1",
            )
        self.base_url = config.base_url.rstrip("/")
        self.upstream_model = config.model or served.name
        self._urls = {
            "chat": URL(f"{self.base_url}/chat/completions"),
            "completion": URL(f"{self.base_url}/completions"),
            "models": URL(f"{self.base_url}/models"),
        }
        self._client: aiohttp.ClientSession | None = None
        self._proxy: URL | None = None
        self._proxy_auth: aiohttp.BasicAuth | None = None
        self._slots = asyncio.Semaphore(config.max_concurrency) if config.max_concurrency else None
        self._waiting = 0

    @property
    def label(self) -> str:
        # hostname/port only: a base_url may carry user:password@, which must never reach metrics.
        parts = urlsplit(self.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"openai:{parts.hostname}:{port}"

    @property
    def queue_depth(self) -> int:
        return self._waiting

    async def start(self) -> None:
        if self._client is not None:
            return
        headers = {"Accept": "application/json"}
        if self.config.api_key is not None and self.config.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        timeout_s = self.config.timeout_s
        # As httpx did (trust_env): an HTTP(S)_PROXY from the environment applies unless
        # NO_PROXY exempts the host. Read once here, not on every request.
        try:
            self._proxy, self._proxy_auth = get_env_proxy_for_url(self._urls["chat"])
        except LookupError:
            self._proxy, self._proxy_auth = None, None
        self._client = aiohttp.ClientSession(
            headers=headers,
            # connect bounds the wait for a pooled connection and the TCP connect;
            # sock_read = the longest silence between streamed chunks, per the setting's contract.
            timeout=aiohttp.ClientTimeout(
                total=None, connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s
            ),
            connector=aiohttp.TCPConnector(
                limit=self.config.max_concurrency or 0, limit_per_host=0, keepalive_timeout=_KEEPALIVE_S
            ),
            # A streamed line may be up to twice this (aiohttp's high-water mark).
            read_bufsize=_MAX_LINE_BYTES // 2,
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def health(self) -> bool:
        if self._client is None:
            return False
        timeout_s = min(_HEALTH_TIMEOUT_S, self.config.timeout_s)
        timeout = aiohttp.ClientTimeout(connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s)
        try:
            async with self._client.get(
                self._urls["models"], timeout=timeout, proxy=self._proxy, proxy_auth=self._proxy_auth
            ) as response:
                await response.read()
                return response.status == 200
        except _HTTP_ERRORS:
            return False

    async def generate(self, request: GenerationRequest) -> Generation:
        client = self._require_client()
        url, body = self._request_body(request, stream=False)
        async with self._slot():
            try:
                async with client.post(
                    url, data=body, headers=_JSON_HEADERS, proxy=self._proxy, proxy_auth=self._proxy_auth
                ) as response:
                    content = await response.read()
            except _HTTP_ERRORS as exc:
                raise _unreachable(exc) from exc
            if response.status != 200:
                raise _status_error(response.status, content, response.headers)
            try:
                data = loads(content)
                choice = data["choices"][0]
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise BackendError("the upstream sent a reply that is not an OpenAI completion") from exc
        text = _choice_text(choice, request.kind, streamed=False)
        return Generation(text, choice.get("finish_reason") or "stop", _usage(data.get("usage")) or Usage())

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        client = self._require_client()
        url, body = self._request_body(request, stream=True)
        async with self._slot():
            answered = False
            try:
                async with client.post(
                    url, data=body, headers=_JSON_HEADERS, proxy=self._proxy, proxy_auth=self._proxy_auth
                ) as response:
                    answered = True
                    if response.status != 200:
                        raise _status_error(response.status, await response.read(), response.headers)
                    async for delta in _parse_sse(response.content, request.kind):
                        yield delta
            except _HTTP_ERRORS as exc:
                # Before the headers the upstream is unreachable (503); after them the stream broke (502).
                raise (_broken(exc) if answered else _unreachable(exc)) from exc

    # -- helpers ----------------------------------------------------------------------

    def _require_client(self) -> aiohttp.ClientSession:
        if self._client is None:
            raise BackendUnavailable(f"backend {self.label} is not started")
        return self._client

    def _request_body(self, request: GenerationRequest, *, stream: bool) -> tuple[URL, bytes]:
        # The gateway already validated params; drop unset ones so the upstream applies its defaults.
        body: dict[str, Any] = {k: v for k, v in request.params.items() if v is not None}
        body["max_tokens"] = request.max_tokens
        body["model"] = self.upstream_model
        if request.kind == "chat":
            body["messages"] = [dict(m) for m in request.messages]
        else:
            body["prompt"] = request.prompt
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        else:
            body.pop("stream", None)
            body.pop("stream_options", None)
        return self._urls[request.kind], dumps(body)

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """Hold one in-flight slot while the body runs (a no-op without ``max_concurrency``)."""
        if self._slots is None:
            yield
            return
        if self._slots.locked():
            if self._waiting >= self.config.max_queue:
                raise BackendBusy(f"backend {self.label} has {self._waiting} requests waiting")
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()


def _unreachable(exc: BaseException) -> BackendError:
    if isinstance(exc, TimeoutError):
        return BackendUnavailable(f"the upstream did not answer in time ({type(exc).__name__})")
    return BackendUnavailable(f"the upstream cannot be reached ({type(exc).__name__})")


def _broken(exc: BaseException) -> BackendError:
    return BackendError(f"the upstream stream broke off ({type(exc).__name__})", status=502)


def _status_error(status: int, content: bytes, headers: Mapping[str, str]) -> BackendError:
    """Map an upstream error status to what the gateway's client should see."""
    message = _error_message(content) or f"HTTP {status}"
    if status == 429:
        return BackendBusy(f"the upstream is busy: {message}", retry_after=_retry_after(headers))
    if status in (401, 403):
        # The upstream rejected *our* credentials: a gateway misconfiguration, not the client's fault.
        return BackendError(f"the upstream refused the gateway's credentials ({status})", status=502)
    if 400 <= status < 500:
        return BackendError(message, status=status)
    return BackendError(f"the upstream failed with {status}: {message}", status=502)


def _error_message(content: bytes) -> str:
    """The message of an OpenAI-style error body, in the shapes upstreams actually send.

    OpenAI and current vLLM: ``{"error": {"message": ...}}``; older vLLM:
    ``{"object": "error", "message": ...}``; TGI: ``{"error": "...", "error_type": ...}``.
    """
    try:
        data = json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace").strip()[:_MAX_MESSAGE_CHARS]
    message: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
        message = message or data.get("message") or data.get("detail")
    return str(message)[:_MAX_MESSAGE_CHARS] if message else ""


def _retry_after(headers: Mapping[str, str]) -> int:
    try:
        return max(1, int(float(headers.get("retry-after", "1"))))
    except ValueError:
        return 1


def _usage(data: Any) -> Usage | None:
    if not isinstance(data, dict):
        return None
    return Usage(int(data.get("prompt_tokens") or 0), int(data.get("completion_tokens") or 0))


def _choice_text(choice: Mapping[str, Any], kind: str, *, streamed: bool) -> str:
    if kind == "completion":
        return str(choice.get("text") or "")
    holder = choice.get("delta" if streamed else "message") or {}
    return str(holder.get("content") or "")


async def _parse_sse(content: aiohttp.StreamReader, kind: str) -> AsyncIterator[Delta]:
    """Yield one :class:`Delta` per upstream content delta, then a last one with usage.

    SSE events are ``data: <json>`` lines separated by blank lines; comments (``:``),
    ``event:`` and ``id:`` lines are ignored. The stream ends at ``data: [DONE]``; an
    upstream that closes without it is accepted only if a finish reason was already sent.
    """
    finish_reason: str | None = None
    usage: Usage | None = None
    pieces = 0
    done = False
    async for raw in content:
        if not raw.startswith(b"data:"):
            continue
        payload = raw[5:].decode("utf-8", "replace").strip()
        if payload == "[DONE]":
            done = True
            break
        try:
            chunk = loads(payload)
        except ValueError as exc:
            raise BackendError("the upstream sent a stream event that is not JSON") from exc
        if not isinstance(chunk, dict):
            raise BackendError("the upstream sent a stream event that is not a JSON object")
        if "error" in chunk:
            # vLLM reports a failure after the headers as one error event before [DONE].
            detail = _error_message(payload.encode())
            raise BackendError(f"the upstream failed mid-stream: {detail or 'unknown error'}", status=502)
        usage = _usage(chunk.get("usage")) or usage
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            text = _choice_text(choice, kind, streamed=True)
            if text:
                pieces += 1
                yield Delta(text)
            finish_reason = choice.get("finish_reason") or finish_reason
    if not done and finish_reason is None:
        raise BackendError("the upstream stream ended before it finished", status=502)
    if usage is None:
        # The upstream ignored stream_options.include_usage. vLLM, llama.cpp and TGI send one
        # chunk per generated token, so the chunk count is the best completion count we have
        # without the upstream's tokenizer; the prompt count is unknown and left at 0.
        usage = Usage(0, pieces)
    yield Delta("", finish_reason or "stop", usage)
