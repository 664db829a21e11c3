"""The OpenAI-compatible API: ``/v1/models``, ``/v1/chat/completions``, ``/v1/completions``.

Each handler: authorise → parse → resolve the model and the caller's right to it → guard
the input → generate → guard the output → reply in vLLM's shape. The request's
:class:`CallRecord` is finished exactly once, whatever happens, so every request leaves
one audit event.

The two generation endpoints are the gateway's hot path. The app serves them straight
from the ASGI scope (:class:`jmedllm.serve.app.GenerationRoutes`), ahead of FastAPI's
routing, dependency solving and middleware, through :func:`serve_generation`; the FastAPI routes
below call the same function and are there for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from jmedllm.guard.pipeline import GuardOutcome
from jmedllm.serve._json import FastJSONResponse, dumps
from jmedllm.serve.auth import ModelsCaller, authorise
from jmedllm.serve.backends.base import BackendBusy, BackendError, Delta, GenerationRequest
from jmedllm.serve.context import CallRecord
from jmedllm.serve.errors import ApiError, error_body
from jmedllm.serve.output_guard import OutputGuard
from jmedllm.serve.ratelimit import RateLimitExceededError, request_scopes
from jmedllm.serve.roles import Permission
from jmedllm.serve.routes._body import parse_body
from jmedllm.serve.routing import aclose_quietly
from jmedllm.serve.schemas import ChatCompletionRequest, CompletionRequest, new_id, now, random_hex

if TYPE_CHECKING:
    from jmedllm.serve.gateway import Gateway
    from jmedllm.serve.routing import ModelRoute

__all__ = ["GENERATION_PATHS", "router", "serve_generation"]

#: The generation endpoints and the kind of request each serves.
GENERATION_PATHS = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}

router = APIRouter()


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


@router.get("/v1/models")
async def list_models(request: Request, record: ModelsCaller) -> FastJSONResponse:
    gateway = _gateway(request)
    data = [
        {
            "id": route.name,
            "object": "model",
            "created": gateway.started_at,
            "owned_by": "jmedllm",
            "root": route.name,
            "parent": None,
        }
        for route in gateway.routes.values()
        if route.allows(record.role)
    ]
    await record.finish(gateway, raise_on_audit_failure=True)
    return FastJSONResponse({"object": "list", "data": data})


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(request: Request) -> FastJSONResponse | StreamingResponse:
    return await serve_generation(_gateway(request), request, "/v1/chat/completions")


@router.post("/v1/completions", response_model=None)
async def completions(request: Request) -> FastJSONResponse | StreamingResponse:
    return await serve_generation(_gateway(request), request, "/v1/completions")


async def serve_generation(
    gateway: Gateway, request: Request, endpoint: str
) -> FastJSONResponse | StreamingResponse:
    """Serve one generation request: the response, an error response included (OpenAI's shape).

    The caller's key is checked here (:func:`authorise`, as the other routes' dependency
    does); a refusal, like every other outcome, leaves exactly one audit event.
    """
    state = request.scope.get("state")
    request_id = (state.get("request_id") if state else None) or random_hex()
    record = CallRecord(request_id=request_id, endpoint=endpoint, method="POST")
    try:
        await authorise(gateway, request, record, Permission.GENERATE)
        return await _serve(gateway, request, record, GENERATION_PATHS[endpoint])
    except ApiError as exc:
        return exc.response()


async def _serve(
    gateway: Gateway, request: Request, record: CallRecord, kind: str
) -> FastJSONResponse | StreamingResponse:
    try:
        call = await _prepare(gateway, request, record, kind)
        if call.blocked is not None:
            response = call.blocked_response()
        elif call.body.stream:
            # The stream's generator finishes the record when the stream ends.
            return StreamingResponse(
                _stream(gateway, call),
                media_type="text/event-stream",
                headers={"x-request-id": record.request_id},
            )
        else:
            response = await _complete(gateway, call)
    except ApiError as exc:
        record.status = exc.status
        record.outcome = {401: "denied", 403: "denied", 429: "rate_limited", 499: "client_disconnected"}.get(
            exc.status, "error"
        )
        await record.finish(gateway)
        raise
    except BackendError as exc:
        record.status = exc.status
        record.outcome = "error"
        await record.finish(gateway)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, BackendBusy) else None
        raise ApiError(exc.status, exc.message, headers=headers) from None
    except Exception:
        # Audited, and its rate-limit lease released, even when something unexpected fails (500).
        record.status, record.outcome = 500, "error"
        await record.finish(gateway)
        raise
    await record.finish(gateway, raise_on_audit_failure=True)
    response.headers["x-request-id"] = record.request_id
    return response


class _Call:
    """A parsed, authorised, input-guarded request, ready for a backend."""

    def __init__(
        self,
        record: CallRecord,
        kind: str,
        body: ChatCompletionRequest | CompletionRequest,
        route: ModelRoute,
        generation: GenerationRequest,
    ) -> None:
        self.record = record
        self.kind = kind
        self.body = body
        self.route = route
        self.generation = generation
        self.blocked: str | None = None
        self.id = new_id("chatcmpl" if kind == "chat" else "cmpl")
        self.created = now()

    def extension(self, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"request_id": self.record.request_id, "guard": dict(self.record.guard)}
        data.update(extra)
        return data

    def blocked_response(self) -> FastJSONResponse | StreamingResponse:
        assert self.blocked is not None
        if self.body.stream:
            return StreamingResponse(
                _blocked_stream(self),
                media_type="text/event-stream",
                headers={"x-request-id": self.record.request_id},
            )
        return FastJSONResponse(self.completion_object(self.blocked, "stop", 0, 0, blocked=True))

    def completion_object(
        self,
        text: str,
        finish_reason: str,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        blocked: bool = False,
    ) -> dict[str, Any]:
        usage = {
            "prompt_tokens": prompt_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "completion_tokens": completion_tokens,
        }
        if self.kind == "chat":
            choice: dict[str, Any] = {
                "index": 0,
                "message": {"role": "assistant", "content": text, "tool_calls": []},
                "logprobs": None,
                "finish_reason": finish_reason,
                "stop_reason": None,
            }
            obj = "chat.completion"
        else:
            choice = {
                "index": 0,
                "text": text,
                "logprobs": None,
                "finish_reason": finish_reason,
                "stop_reason": None,
                "prompt_logprobs": None,
            }
            obj = "text_completion"
        return {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.route.name,
            "choices": [choice],
            "usage": usage,
            "jmedllm": self.extension(blocked=blocked),
        }

    # --- streaming chunks, framed exactly as vLLM frames them -------------------------
    def chunk(self, text: str | None, *, first: bool = False, finish_reason: str | None = None) -> bytes:
        if self.kind == "chat":
            delta: dict[str, Any] = {"role": "assistant", "content": ""} if first else {"content": text or ""}
            choice: dict[str, Any] = {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            obj = "chat.completion.chunk"
        else:
            choice = {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish_reason}
            obj = "text_completion"
        if finish_reason is not None:
            choice["stop_reason"] = None
        data: dict[str, Any] = {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.route.name,
            "choices": [choice],
        }
        if finish_reason is not None:
            data["jmedllm"] = self.extension(blocked=self.blocked is not None)
        return _sse(data)

    def usage_chunk(self, prompt_tokens: int, completion_tokens: int) -> bytes:
        return _sse(
            {
                "id": self.id,
                "object": "chat.completion.chunk" if self.kind == "chat" else "text_completion",
                "created": self.created,
                "model": self.route.name,
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                    "completion_tokens": completion_tokens,
                },
            }
        )


#: Texts up to this many characters are guarded on the event loop: the PII rail takes
#: ~0.15 ms on a typical prompt, less than handing it to a worker thread and back.
INLINE_GUARD_CHARS = 2_000


async def _guard(
    gateway: Gateway, texts: list[str], stage: str, roles: list[str] | None = None
) -> GuardOutcome:
    if sum(len(t) for t in texts) <= INLINE_GUARD_CHARS:
        return gateway.guard.check(texts, stage=stage, roles=roles)  # type: ignore[arg-type]
    return await run_in_threadpool(partial(gateway.guard.check, texts, stage=stage, roles=roles))  # type: ignore[arg-type]


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + dumps(data) + b"\n\n"


_DONE = b"data: [DONE]\n\n"


async def _prepare(gateway: Gateway, request: Request, record: CallRecord, kind: str) -> _Call:
    body: ChatCompletionRequest | CompletionRequest = await parse_body(
        request, record, ChatCompletionRequest if kind == "chat" else CompletionRequest
    )
    record.stream = body.stream
    route = gateway.routes.get(body.model)
    if route is None:
        raise ApiError(404, f"the model {body.model!r} does not exist", code="model_not_found", param="model")
    record.model = route.name
    record.use_route(route)
    if not route.allows(record.role):
        raise ApiError(
            403, f"role {record.role!r} may not use the model {route.name!r}", code="permission_denied"
        )
    max_tokens = body.requested_max_tokens or route.served.max_tokens
    if max_tokens > route.served.max_tokens:
        raise ApiError(
            400,
            f"max_tokens is {max_tokens}, above this model's limit of {route.served.max_tokens}",
            param="max_tokens",
        )

    await _take_rate_limit(gateway, record)

    # Every message is masked; the intent rails judge what the user (or a tool) wrote, not
    # the operator's system prompt or earlier assistant turns (``Rail.roles``).
    if isinstance(body, ChatCompletionRequest):
        texts, roles = [m.text for m in body.messages], [m.role for m in body.messages]
    else:
        texts, roles = [body.prompt_text], None
    outcome = await _guard(gateway, texts, "input", roles)
    decision = outcome.to_dict() if gateway.guard.enabled else None
    if decision is not None:
        record.guard["input"] = decision
    if isinstance(body, ChatCompletionRequest):
        messages = [m.as_backend_message(t) for m, t in zip(body.messages, outcome.texts, strict=True)]
        generation = GenerationRequest(
            "chat", route.name, record.request_id, messages=messages, params=body.sampling_params(max_tokens)
        )
    else:
        generation = GenerationRequest(
            "completion",
            route.name,
            record.request_id,
            prompt=outcome.texts[0],
            params=body.sampling_params(max_tokens),
        )
    call = _Call(record, kind, body, route, generation)
    if not outcome.decision.allowed:
        call.blocked = outcome.decision.message or ""  # the pipeline fills in the policy's message
        record.outcome = outcome.decision.action.value  # "block" or "escalate"
    return call


async def _take_rate_limit(gateway: Gateway, record: CallRecord) -> None:
    """Count the request against its key's and user's limits, or refuse it with 429 (nothing counted)."""
    scopes = request_scopes(gateway.settings.limits, key=record.key_prefix, user=record.actor)
    if not scopes or gateway.limiter is None:
        return
    try:
        record.lease = await gateway.limiter.acquire(scopes)
    except RateLimitExceededError as exc:
        gateway.metrics.rate_limited.labels(exc.scope, exc.limit_name).inc()
        record.detail["rate_limit"] = {"scope": exc.scope, "limit": exc.limit_name}
        raise ApiError(
            429, exc.message, code="rate_limit_exceeded", headers={"Retry-After": str(exc.retry_after)}
        ) from None


async def _complete(gateway: Gateway, call: _Call) -> FastJSONResponse:
    generation, backend = await call.route.generate(call.generation)
    record = call.record
    record.backend = backend.label
    record.prompt_tokens = generation.usage.prompt_tokens
    record.completion_tokens = generation.usage.completion_tokens
    text = generation.text
    finish_reason = generation.finish_reason
    echo = call.generation.prompt if isinstance(call.body, CompletionRequest) and call.body.echo else ""
    blocked = False
    if gateway.guard.has_rails("output"):
        outcome = await _guard(gateway, [text], "output")
        record.guard["output"] = outcome.to_dict()
        if outcome.decision.allowed:
            text = outcome.texts[0]
        else:
            text = outcome.decision.message or ""
            finish_reason = "stop"
            blocked = True
            record.outcome = f"output_{outcome.decision.action.value}"
    return FastJSONResponse(
        call.completion_object(
            echo + text,
            finish_reason,
            generation.usage.prompt_tokens,
            generation.usage.completion_tokens,
            blocked=blocked,
        )
    )


async def _blocked_stream(call: _Call) -> AsyncIterator[bytes]:
    # The record was finished by _serve: nothing here reaches a backend.
    if call.kind == "chat":
        yield call.chunk(None, first=True)
    yield call.chunk(call.blocked)
    yield call.chunk(None, finish_reason="stop")
    if call.body.include_usage:
        yield call.usage_chunk(0, 0)
    yield _DONE


async def _stream(gateway: Gateway, call: _Call) -> AsyncIterator[bytes]:
    record = call.record
    guard = OutputGuard(gateway.guard) if gateway.guard.has_rails("output") else None
    finish_reason = "stop"
    iterator: AsyncIterator[Delta] | None = None
    try:
        iterator, first, backend = await call.route.stream(call.generation)
        record.backend = backend.label
        if call.kind == "chat":
            yield call.chunk(None, first=True)
        elif isinstance(call.body, CompletionRequest) and call.body.echo:
            # echo: the prompt as the model saw it (identifiers already masked), as vLLM sends it.
            yield call.chunk(call.generation.prompt)

        async def deltas(rest: AsyncIterator[Delta]) -> AsyncIterator[Delta]:
            yield first
            async for delta in rest:
                yield delta

        stopped = False
        async for delta in deltas(iterator):
            # Counted as they stream (a delta is a token), so a stream that ends early —
            # client gone, guard stop, upstream break — still charges its tokens to the
            # rate limits and metrics; the backend's own usage replaces the count at the end.
            if delta.usage is not None:
                record.prompt_tokens = delta.usage.prompt_tokens
                record.completion_tokens = delta.usage.completion_tokens
            elif delta.text:
                record.completion_tokens += 1
            if delta.finish_reason is not None:
                finish_reason = delta.finish_reason
            pieces = [delta.text] if guard is None else guard.feed(delta.text)
            for piece in pieces:
                if piece:
                    yield _content(call, piece)
            if guard is not None and guard.blocked:
                stopped = True
                break
        if stopped:
            finish_reason = "stop"
        if guard is not None:
            if not guard.blocked:
                tail = guard.flush()
                if tail:
                    yield _content(call, tail)
            if guard.blocked:
                yield _content(call, guard.message)
                # The final chunk's extension then says the reply was the guard's message.
                call.blocked = guard.message
                record.outcome = f"output_{guard.decision().action.value}"  # block or escalate
            record.guard["output"] = guard.decision_dict()
        yield call.chunk(None, finish_reason=finish_reason)
        if call.body.include_usage:
            yield call.usage_chunk(record.prompt_tokens, record.completion_tokens)
        # Audit before [DONE]: a client that saw the end of its stream finds its event logged.
        await _finish_stream(gateway, record, iterator)
        yield _DONE
    except BackendError as exc:
        # Before the first byte the status would still be ours to choose, but the
        # response has started; an error event then [DONE] is what vLLM sends, and
        # the stock client raises it as an APIError instead of hanging.
        record.status = exc.status
        record.outcome = "error"
        yield _sse(error_body(exc.status, exc.message))
        await _finish_stream(gateway, record, iterator)
        yield _DONE
    except (anyio.get_cancelled_exc_class(), GeneratorExit):
        record.outcome = "client_disconnected"
        record.status = 499
        raise
    finally:
        if not record.finished:  # the normal and error paths finished it before [DONE]
            await _finish_stream(gateway, record, iterator)


def _content(call: _Call, text: str) -> bytes:
    """A content chunk; the first one of a stream fixes the time to first token."""
    if call.record.ttft_s is None:
        call.record.ttft_s = call.record.latency_ms / 1000.0
    return call.chunk(text)


async def _finish_stream(gateway: Gateway, record: CallRecord, iterator: AsyncIterator[Delta] | None) -> None:
    # Shielded: when the client disconnects the task is being cancelled, and the audit
    # event must still be written.
    with anyio.CancelScope(shield=True):
        if iterator is not None:
            # Frees an embedded worker when the client left or the guard stopped the reply.
            await aclose_quietly(iterator)
        await record.finish(gateway)
