"""Structured request logs: one JSON object per line, never a prompt, a reply or an identifier.

Each record carries the request id, route, model, status, latency, token counts, the
guard's action and categories, and the caller's *key prefix* (not the user's name: staff
names are personal information too). Values are passed as ``extra={"fields": {...}}`` so
nothing reaches the log by string formatting of request content.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["LOGGER_NAME", "JsonFormatter", "configure_logging", "get_logger"]

LOGGER_NAME = "jmedllm.serve"
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages and tracebacks can quote request content.
            data["error_type"] = record.exc_info[0].__name__
        try:
            # orjson writes what json.dumps(default=str) writes; datetimes and dataclasses are
            # passed to str() as json would pass them, the rest json writes (see serve/_json.py).
            return orjson.dumps(data, default=str, option=_ORJSON_OPTIONS).decode("utf-8")
        except TypeError:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{record.levelname.lower():7} {record.getMessage()} {tail}".rstrip()


def configure_logging(level: str = "INFO", fmt: str = "json", stream: Any = None) -> logging.Logger:
    """Attach one handler to the gateway's logger (idempotent: reconfiguring replaces it)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if getattr(handler, "_jmedllm", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else _TextFormatter())
    handler._jmedllm = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
