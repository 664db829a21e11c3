"""Reading request bodies: size limit, UTF-8 JSON, validation into a request model."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from jmedllm.serve.context import CallRecord
from jmedllm.serve.errors import ApiError, validation_message

__all__ = ["parse_body"]

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, limit: int, timeout_s: float = 30.0) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body is larger than the {limit} bytes this gateway accepts")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"request body is larger than the {limit} bytes this gateway accepts")
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, f"the request body did not arrive within {timeout_s:g} s") from None
    except ClientDisconnect:
        # nginx's 499: recorded as the client leaving, not as a server error.
        raise ApiError(499, "the client closed the connection before sending its request") from None
    return b"".join(chunks)


async def parse_body(request: Request, record: CallRecord, model: type[M]) -> M:
    """The body as ``model``; 413/400 with a one-line reason otherwise. Sets the record's body hash."""
    gateway = request.app.state.gateway
    serve = gateway.settings.serve
    raw = await read_body(request, serve.max_body_bytes, serve.body_timeout_s)
    record.body_hash = hashlib.sha256(raw).hexdigest()
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "request body is not valid UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        message, param = validation_message(list(exc.errors()))
        raise ApiError(400, message, param=param) from None
    unknown = getattr(parsed, "unknown_fields", None)
    if callable(unknown):
        record.unknown_fields = unknown()
    return parsed
