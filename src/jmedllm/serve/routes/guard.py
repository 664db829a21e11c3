"""``POST /v1/guard/check``: the guard's decision on messages or a text, without calling a model.

Used by clinical front-ends to check a draft before sending it, and by the safety
evaluation to measure the guard alone. The reply carries the masked texts (identifiers
already replaced), never the originals.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from jmedllm.serve.auth import GuardCaller
from jmedllm.serve.errors import ApiError
from jmedllm.serve.routes._body import parse_body
from jmedllm.serve.schemas import GuardCheckRequest

__all__ = ["router"]

router = APIRouter()


@router.post("/v1/guard/check")
async def guard_check(request: Request, record: GuardCaller) -> JSONResponse:
    gateway = request.app.state.gateway
    try:
        body = await parse_body(request, record, GuardCheckRequest)
    except ApiError as exc:
        record.status, record.outcome = exc.status, "error"
        await record.finish(gateway)
        raise
    texts = [m.text for m in body.messages] if body.messages is not None else [body.text or ""]
    roles = [m.role for m in body.messages] if body.messages is not None else None
    outcome = await run_in_threadpool(partial(gateway.guard.check, texts, stage=body.stage, roles=roles))
    decision = outcome.to_dict()
    record.guard[body.stage] = decision
    record.outcome = outcome.decision.action.value
    await record.finish(gateway, raise_on_audit_failure=True)
    reply: dict[str, object] = {
        "object": "guard.decision",
        "policy": gateway.guard.policy.name,
        "stage": body.stage,
        "allowed": outcome.decision.allowed,
        "decision": decision,
        "message": outcome.decision.message,
    }
    if body.messages is not None:
        reply["messages"] = [
            m.as_backend_message(t) for m, t in zip(body.messages, outcome.texts, strict=True)
        ]
    else:
        reply["text"] = outcome.texts[0]
    return JSONResponse(reply, headers={"x-request-id": record.request_id})
