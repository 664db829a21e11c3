"""Environment checks behind ``jmedllm doctor``.

Each check is a registered plugin (family ``doctor.check``) so that later capabilities
add their own (the gateway: migrations applied; the data pipeline: dictionaries present)
without touching this module. A check never raises for an environment problem: it
returns :class:`CheckResult` rows with a status and, for anything not ``ok``, a fix.
Checks only *look*: they create nothing but the home directory and never print secrets.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import socket
import sqlite3
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jmedllm.core.errors import JmedllmError
from jmedllm.core.registry import Registry
from jmedllm.core.settings import Settings, redact_url

__all__ = ["DOCTOR_CHECKS", "EXTRAS", "CheckResult", "CheckStatus", "DoctorCheck", "run_checks"]

#: Extras and the modules that show each is installed (checked with find_spec: no import).
EXTRAS: dict[str, tuple[str, ...]] = {
    "model": ("torch", "transformers", "gguf", "safetensors"),
    "deid": ("fugashi", "unidic_lite", "faker", "presidio_analyzer"),
    "ginza": ("ginza", "ja_ginza"),
    "data": ("datatrove",),
    "train": ("trl", "peft", "accelerate"),
    "eval": ("inspect_ai",),
    "serve": ("fastapi", "uvicorn", "sqlalchemy", "alembic", "httpx", "redis", "psycopg"),
    "dev": ("pytest", "hypothesis", "ruff"),
}

_TIMEOUT_S = 3.0
EXPECTED_TORCH = "2.13.0"


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One row of the doctor's table."""

    check: str
    status: CheckStatus
    detail: str
    fix: str = ""


class DoctorCheck(ABC):
    """One environment check; ``order`` places it in the table (lower first)."""

    order: int = 100

    @abstractmethod
    def run(self, settings: Settings) -> list[CheckResult]:
        """Inspect the environment; return one or more rows, never raise for a finding."""


DOCTOR_CHECKS: Registry[type[DoctorCheck]] = Registry("doctor.check", base=DoctorCheck)


def run_checks(settings: Settings, only: tuple[str, ...] = ()) -> list[CheckResult]:
    """Run every registered check (or those named in ``only``) in order."""
    plugins = [p for p in DOCTOR_CHECKS.plugins() if not only or p.name in only]
    results: list[CheckResult] = []
    for plugin in sorted(plugins, key=lambda p: (p.obj.order, p.name)):
        try:
            results.extend(plugin.obj().run(settings))
        except Exception as exc:  # a broken check must not hide the others
            results.append(
                CheckResult(plugin.name, CheckStatus.FAIL, f"check crashed: {exc.__class__.__name__}", "")
            )
    return results


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@DOCTOR_CHECKS.register("python")
class PythonCheck(DoctorCheck):
    """Which Python runs jmedllm (3.11 or newer, which the package itself requires)."""

    order = 10

    def run(self, settings: Settings) -> list[CheckResult]:
        current = ".".join(map(str, sys.version_info[:3]))
        detail = f"{current} ({platform.python_implementation()}, {sys.executable})"
        return [CheckResult("python", CheckStatus.OK, detail)]


@DOCTOR_CHECKS.register("extras")
class ExtrasCheck(DoctorCheck):
    """Which optional extras are installed; each missing one says how to add it."""

    order = 20

    def run(self, settings: Settings) -> list[CheckResult]:
        rows = []
        for extra, modules in EXTRAS.items():
            missing = [m for m in modules if not _installed(m)]
            if not missing:
                rows.append(CheckResult(f"extra: {extra}", CheckStatus.OK, "installed"))
            else:
                rows.append(
                    CheckResult(
                        f"extra: {extra}",
                        CheckStatus.WARN,
                        "missing " + ", ".join(missing),
                        f"pip install 'jmedllm[{extra}]'",
                    )
                )
        return rows


@DOCTOR_CHECKS.register("torch")
class TorchCheck(DoctorCheck):
    """torch is the pinned CPU build and uses a sensible number of threads."""

    order = 30

    def run(self, settings: Settings) -> list[CheckResult]:
        if not _installed("torch"):
            return [CheckResult("torch", CheckStatus.SKIP, "not installed", "pip install 'jmedllm[model]'")]
        import torch  # doctor is the one command allowed to pay for this import

        if settings.local_models.torch_threads:
            torch.set_num_threads(settings.local_models.torch_threads)
        threads = torch.get_num_threads()
        cpus = os.cpu_count() or 1
        cuda = "CUDA available" if torch.cuda.is_available() else "CPU only"
        detail = f"{torch.__version__}, {threads} threads on {cpus} CPUs, {cuda}"
        if not torch.__version__.startswith(EXPECTED_TORCH):
            return [CheckResult("torch", CheckStatus.WARN, detail, f"pip install torch=={EXPECTED_TORCH}")]
        if threads > cpus:
            return [
                CheckResult(
                    "torch",
                    CheckStatus.WARN,
                    detail,
                    f"set JMEDLLM_LOCAL_MODELS__TORCH_THREADS={cpus} (oversubscribed)",
                )
            ]
        return [CheckResult("torch", CheckStatus.OK, detail)]


@DOCTOR_CHECKS.register("home")
class HomeCheck(DoctorCheck):
    """The home directory exists and is writable."""

    order = 40

    def run(self, settings: Settings) -> list[CheckResult]:
        home = settings.home
        try:
            home.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
                pass
        except OSError as exc:
            return [
                CheckResult(
                    "home",
                    CheckStatus.FAIL,
                    f"{home}: {exc.strerror or exc}",
                    "set JMEDLLM_HOME to a writable directory",
                )
            ]
        return [CheckResult("home", CheckStatus.OK, str(home))]


@DOCTOR_CHECKS.register("database")
class DatabaseCheck(DoctorCheck):
    """The configured database answers ``SELECT 1`` (SQLite by default)."""

    order = 50

    def run(self, settings: Settings) -> list[CheckResult]:
        url = settings.effective_database_url
        shown = redact_url(url)
        scheme = urlsplit(url).scheme.split("+")[0]
        if scheme != "sqlite" and not (_installed("sqlalchemy") and _installed("psycopg")):
            return [
                CheckResult("database", CheckStatus.SKIP, shown, "pip install 'jmedllm[serve]' to reach it")
            ]
        ping = _ping_sqlite if scheme == "sqlite" else _ping_sqlalchemy
        fix = "start the database or fix JMEDLLM_DATABASE_URL"
        return [_ping_row("database", shown, lambda: ping(url), "reachable", fix)]


def _ping_row(check: str, shown: str, ping: Callable[[], None], ok: str, fix: str) -> CheckResult:
    """Run ``ping``; an exception becomes a failed row (first line of the error, no secrets)."""
    try:
        ping()
    except Exception as exc:
        return CheckResult(check, CheckStatus.FAIL, f"{shown}: {_short_error(exc)}", fix)
    return CheckResult(check, CheckStatus.OK, f"{shown} {ok}")


def _ping_sqlite(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path or ":memory:", timeout=_TIMEOUT_S) as connection:
        connection.execute("SELECT 1").fetchone()


def _ping_sqlalchemy(url: str) -> None:
    from sqlalchemy import create_engine, text

    if url.startswith(("postgresql://", "postgres://")):  # choose psycopg 3, which the serve extra installs
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, connect_args={"connect_timeout": int(_TIMEOUT_S)}, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _short_error(exc: BaseException) -> str:
    # Driver messages can be long and multi-line; keep the first line, without the URL.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first[:160]}" if first else exc.__class__.__name__


@DOCTOR_CHECKS.register("redis")
class RedisCheck(DoctorCheck):
    """Redis answers PING when ``redis_url`` is configured."""

    order = 60

    def run(self, settings: Settings) -> list[CheckResult]:
        if not settings.redis_url:
            return [CheckResult("redis", CheckStatus.SKIP, "not configured: rate limits stay in memory")]
        url = settings.redis_url
        fix = "start Redis or fix JMEDLLM_REDIS_URL"
        return [_ping_row("redis", redact_url(url), lambda: _ping_redis(url), "answered PING", fix)]


def _ping_redis(url: str) -> None:
    if _installed("redis"):
        import redis

        client: Any = redis.Redis.from_url(url, socket_timeout=_TIMEOUT_S, socket_connect_timeout=_TIMEOUT_S)
        try:
            if not client.ping():
                raise ConnectionError("no PONG")
        finally:
            client.close()
        return
    # Without redis-py, a bare RESP PING still tells whether the server is there.
    parts = urlsplit(url)
    with socket.create_connection(
        (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=_TIMEOUT_S
    ) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        reply = sock.recv(64)
    if not reply.startswith((b"+PONG", b"-NOAUTH")):
        raise ConnectionError(f"unexpected reply {reply[:20]!r}")


@DOCTOR_CHECKS.register("offline")
class OfflineCheck(DoctorCheck):
    """Model hubs are switched off, so nothing retries a network that is not there."""

    order = 70

    def run(self, settings: Settings) -> list[CheckResult]:
        if settings.offline:
            return [CheckResult("offline", CheckStatus.OK, "hub access disabled (HF_HUB_OFFLINE=1)")]
        return [
            CheckResult(
                "offline",
                CheckStatus.WARN,
                "hub access allowed: libraries may try to download",
                "unset JMEDLLM_OFFLINE (default: offline)",
            )
        ]


@DOCTOR_CHECKS.register("bundled-model")
class BundledModelCheck(DoctorCheck):
    """Every bundled model is installed; says whether its converted cache exists."""

    order = 80

    def run(self, settings: Settings) -> list[CheckResult]:
        from jmedllm.core.models import BUNDLED_MODELS, model_cache_path, resolve_model

        rows = []
        for name in BUNDLED_MODELS.names():
            try:
                source = resolve_model(name)
            except JmedllmError as exc:
                rows.append(CheckResult(f"model: {name}", CheckStatus.WARN, exc.message, exc.hint or ""))
                continue
            size_mb = source.path.stat().st_size / 2**20
            detail = f"{source.path.name} ({size_mb:.0f} MiB)"
            if _installed("transformers"):
                cached = (model_cache_path(source, settings.model_cache_dir) / "config.json").is_file()
                detail += "; converted cache ready" if cached else "; first load converts it (~20 s, once)"
            rows.append(CheckResult(f"model: {name}", CheckStatus.OK, detail))
        return rows
