"""JSON on the request path: orjson where it writes what the stdlib writes, the stdlib otherwise.

orjson writes the gateway's replies, SSE chunks, upstream request bodies and log lines in
a tenth of the stdlib's time. Where it would write something else (integers beyond 64
bits, keys that are not strings, types it does not know) it refuses, and :func:`dumps`
falls back to ``json``, so the bytes are what ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` wrote before. Floats may be spelled differently (``1e16`` for
``1e+16``): the same number.

Reading is not symmetric: orjson turns integers beyond 64 bits into floats instead of
refusing them. Request bodies are therefore parsed with ``json`` (a ``seed`` of 2**70 is
forwarded exactly); :func:`loads` is used only for upstream replies, where the gateway
reads texts, finish reasons and token counts. The audit log's canonical JSON and hash
stay with the stdlib (``jmedllm.core.records``): they must be reproducible byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["FastJSONResponse", "dumps", "loads"]


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON (``ensure_ascii=False``, no spaces), as ``json.dumps`` would write it."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: a type or value orjson does not take
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse an upstream's JSON; raises ``ValueError`` (or ``RecursionError``) when it is not JSON.

    Integers beyond 64 bits come back as floats (see the module docstring).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # What orjson refuses, json may still accept (NaN, big integers): json has the last word.
        return json.loads(data)


class FastJSONResponse(JSONResponse):
    """A JSON reply written by :func:`dumps`: the bytes Starlette's ``JSONResponse`` writes, faster.

    (One difference: a NaN would be written as ``null`` where Starlette refuses it; the
    gateway's replies hold counts, texts and ids, never a NaN.)
    """

    def render(self, content: Any) -> bytes:
        return dumps(content)
