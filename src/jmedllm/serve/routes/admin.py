"""Organisation administration over HTTP: users and API keys, for the caller's own organisation.

An ``admin`` key manages its own organisation only; creating organisations is the
host operator's job (``jmedllm admin org create``). Every action is audited, and a new
key is shown once in the reply and never again.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jmedllm.core.errors import JmedllmError
from jmedllm.core.settings import Role
from jmedllm.serve.auth import AdminCaller
from jmedllm.serve.context import CallRecord
from jmedllm.serve.db.store import ConflictError, NotFoundError
from jmedllm.serve.errors import ApiError
from jmedllm.serve.routes._body import parse_body

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    label: str | None = Field(default=None, max_length=200)


def jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


async def _run(
    request: Request, record: CallRecord, action: str, func: Any, *args: Any, **kwargs: Any
) -> Any:
    """Run a store call, audit it as ``action`` and map store errors to HTTP statuses."""
    gateway = request.app.state.gateway
    record.detail["admin_action"] = action
    try:
        result = await run_in_threadpool(func, *args, **kwargs)
    except NotFoundError as exc:
        record.status, record.outcome = 404, "error"
        await record.finish(gateway)
        raise ApiError(404, exc.message) from None
    except ConflictError as exc:
        record.status, record.outcome = 409, "error"
        await record.finish(gateway)
        raise ApiError(409, exc.message) from None
    except JmedllmError as exc:
        record.status, record.outcome = 400, "error"
        await record.finish(gateway)
        raise ApiError(400, exc.message) from None
    await record.finish(gateway, raise_on_audit_failure=True)
    return result


async def _body(request: Request, record: CallRecord, model: type[BaseModel]) -> Any:
    try:
        return await parse_body(request, record, model)
    except ApiError as exc:
        record.status, record.outcome = exc.status, "error"
        await record.finish(request.app.state.gateway)
        raise


def _user_in_org(request: Request, record: CallRecord, user: str) -> None:
    users = request.app.state.gateway.store.list_users(org=record.organisation)
    if not any(u.name == user for u in users):
        raise NotFoundError(f"no user {user!r} in organisation {record.organisation!r}")


@router.get("/users")
async def list_users(request: Request, record: AdminCaller) -> JSONResponse:
    store = request.app.state.gateway.store
    users = await _run(request, record, "user.list", store.list_users, org=record.organisation)
    return JSONResponse({"object": "list", "data": jsonable(users)})


@router.post("/users", status_code=201)
async def create_user(request: Request, record: AdminCaller) -> JSONResponse:
    body = await _body(request, record, UserCreate)
    store = request.app.state.gateway.store
    record.detail["target_role"] = body.role
    user = await _run(
        request, record, "user.create", store.create_user, body.name, org=record.organisation, role=body.role
    )
    return JSONResponse(jsonable(user), status_code=201)


@router.post("/keys", status_code=201)
async def create_key(request: Request, record: AdminCaller) -> JSONResponse:
    body = await _body(request, record, KeyCreate)
    gateway = request.app.state.gateway
    expires_at = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None

    def create() -> Any:
        _user_in_org(request, record, body.user)
        return gateway.store.create_key(body.user, expires_at=expires_at, label=body.label)

    info, plaintext = await _run(request, record, "key.create", create)
    reply = jsonable(info)
    reply["key"] = plaintext  # shown once; only its hash is stored
    return JSONResponse(reply, status_code=201)


@router.get("/keys")
async def list_keys(request: Request, record: AdminCaller) -> JSONResponse:
    gateway = request.app.state.gateway

    def keys() -> list[Any]:
        users = {u.name for u in gateway.store.list_users(org=record.organisation)}
        return [k for k in gateway.store.list_keys() if k.user in users]

    return JSONResponse({"object": "list", "data": jsonable(await _run(request, record, "key.list", keys))})


@router.delete("/keys/{prefix}")
async def revoke_key(prefix: str, request: Request, record: AdminCaller) -> JSONResponse:
    gateway = request.app.state.gateway
    record.detail["target_key"] = prefix

    def revoke() -> Any:
        users = {u.name for u in gateway.store.list_users(org=record.organisation)}
        if not any(k.prefix == prefix and k.user in users for k in gateway.store.list_keys()):
            raise NotFoundError(f"no key {prefix!r} in organisation {record.organisation!r}")
        return gateway.store.revoke_key(prefix)

    return JSONResponse(jsonable(await _run(request, record, "key.revoke", revoke)))
