"""One typed settings model for the whole platform.

Values come from, in order of precedence: keyword arguments, environment variables
``JMEDLLM_*`` (nested with ``__``: ``JMEDLLM_LOCAL_MODELS__TORCH_THREADS=4``), an optional
YAML file (``--config FILE`` or ``JMEDLLM_CONFIG``), and the defaults written here. YAML
holds values only; defaults and validation live in code.

Secrets are :class:`pydantic.SecretStr` or URLs whose passwords :meth:`Settings.redacted`
masks: nothing that prints settings (``jmedllm doctor``, logs) shows them.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from jmedllm.core.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "ROLES",
    "BackendSettings",
    "GuardSettings",
    "LimitSettings",
    "ModelSettings",
    "RateLimit",
    "ServeSettings",
    "ServedModel",
    "Settings",
    "load_settings",
    "redact_url",
]

#: Environment variable naming the YAML settings file.
CONFIG_ENV = "JMEDLLM_CONFIG"
ENV_PREFIX = "JMEDLLM_"

# Values that must never be accepted as a secret, whatever their length.
_WEAK_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "jmedllm", "default", "test"})


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jmedllm"


def redact_url(url: str) -> str:
    """``postgresql://app:pw@db/x`` → ``postgresql://app:***@db/x``; URLs without a password are unchanged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class ModelSettings(BaseModel):
    """Where models come from and how they run locally."""

    model_config = ConfigDict(extra="forbid")

    default: str = "smollm2-135m-instruct"
    """Model reference used when a command names none: a bundled name, a local HF directory or a .gguf file."""
    cache_dir: Path | None = None
    """Where converted GGUF weights are cached (default: ``<home>/models``)."""
    torch_threads: int | None = Field(default=None, ge=1, le=1024)
    """Threads torch may use on the CPU (default: torch's own choice)."""
    device: Literal["cpu", "cuda", "mps", "auto"] = "cpu"
    """Device for locally loaded models."""


#: The gateway's roles (職種), from the most to the least privileged. Permissions per role
#: live in ``jmedllm.serve.roles``; the list is here because model settings name roles.
ROLES = ("admin", "physician", "nurse", "pharmacist", "clerk", "auditor")
Role = Literal["admin", "physician", "nurse", "pharmacist", "clerk", "auditor"]

# Who may call a served model when its settings do not say: the clinical roles. Clerks
# and auditors see the model list but generate nothing unless a model names them.
_DEFAULT_MODEL_ROLES: tuple[Role, ...] = ("admin", "physician", "nurse", "pharmacist")


class BackendSettings(BaseModel):
    """One place a served model's requests go: an embedded local model or an upstream server."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["embedded", "openai"]
    """``embedded``: generate in this process (torch); ``openai``: any OpenAI-compatible server (vLLM, llama.cpp, TGI)."""
    model: str | None = None
    """embedded: the model reference (default: ``local_models.default``); openai: the upstream model name (default: the served name)."""
    base_url: str | None = None
    """openai: the upstream's ``/v1`` URL, e.g. ``http://127.0.0.1:9000/v1``."""
    api_key: SecretStr | None = None
    """openai: the upstream's API key, if it wants one (never logged)."""
    timeout_s: float = Field(default=120.0, gt=0)
    """openai: seconds to wait for the upstream (connect, and between streamed chunks)."""
    max_queue: int = Field(default=8, ge=1, le=10_000)
    """Requests waiting for a free slot (the embedded worker, or max_concurrency upstream) before new ones get 429."""
    weight: int = Field(default=1, ge=0)
    """Share of traffic when a model has several backends (0 = standby)."""
    max_concurrency: int | None = Field(default=None, ge=1)
    """Requests in flight at once on this backend (default: unlimited for openai, 1 for embedded)."""

    @field_validator("base_url", mode="after")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"http", "https"}:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

    def model_post_init(self, __context: Any) -> None:
        if self.type == "openai" and not self.base_url:
            raise ValueError("an openai backend needs base_url (e.g. http://127.0.0.1:9000/v1)")


class ServedModel(BaseModel):
    """A model name clients ask for, the backends behind it and who may use it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:/-]+$")
    """The name clients send as ``model``."""
    backends: list[BackendSettings] = Field(min_length=1)
    """Where requests go (several: weighted routing and failover)."""
    roles: list[Role] = Field(default_factory=lambda: list(_DEFAULT_MODEL_ROLES))
    """Roles allowed to generate with this model."""
    max_tokens: int = Field(default=1024, ge=1, le=131_072)
    """Upper bound on ``max_tokens`` a request may ask for (400 above it)."""


def _default_served_models() -> list[ServedModel]:
    return [
        ServedModel(
            name="smollm2-135m-instruct",
            backends=[BackendSettings(type="embedded", model="smollm2-135m-instruct")],
            max_tokens=512,
        )
    ]


class GuardSettings(BaseModel):
    """Which guard policy the gateway applies."""

    model_config = ConfigDict(extra="forbid")

    policy: str = "default"
    """``default`` (the built-in policy), ``off`` (no rails; for benchmarks only) or a policy YAML file."""


class RateLimit(BaseModel):
    """Limits over a sliding minute; unset means unlimited."""

    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(default=None, ge=1)
    """Requests started in any 60-second window."""
    tokens_per_minute: int | None = Field(default=None, ge=1)
    """Prompt plus completion tokens of requests finished in any 60-second window."""
    concurrent: int | None = Field(default=None, ge=1)
    """Requests in flight at once."""

    @property
    def enabled(self) -> bool:
        return any(v is not None for v in (self.requests_per_minute, self.tokens_per_minute, self.concurrent))


class LimitSettings(BaseModel):
    """Rate limits per API key and per user (a user's keys share the user's limit)."""

    model_config = ConfigDict(extra="forbid")

    per_key: RateLimit = Field(default_factory=RateLimit)
    """Limits for each API key."""
    per_user: RateLimit = Field(default_factory=RateLimit)
    """Limits for each user, over all their keys."""


class ServeSettings(BaseModel):
    """How the gateway listens and what it keeps."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """Interface to bind; the default is reachable from this machine only."""
    port: int = Field(default=8000, ge=1, le=65535)
    """TCP port."""
    workers: int = Field(default=1, ge=1, le=256)
    """uvicorn worker processes."""
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    """Largest request body accepted (413 above it)."""
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a client may take to send its request body (408 after): slow senders cannot hold workers."""
    audit_retention_days: int | None = Field(default=None, ge=1)
    """Days to keep audit events (``jmedllm audit purge``); unset keeps them forever."""
    log_format: Literal["json", "text"] = "json"
    """Request logs: one JSON object per line (never prompt text), or plain text."""
    public_metrics: bool = False
    """Serve ``/metrics`` without a key (only for a scraper on a private network)."""
    drain_seconds: float = Field(default=5.0, ge=0, le=600)
    """On SIGTERM: seconds to keep serving with ``/readyz`` at 503 (so load balancers stop sending) before closing."""
    shutdown_timeout_s: float = Field(default=60.0, ge=1, le=3600)
    """On shutdown: seconds in-flight requests and streams get to finish."""
    max_connections: int | None = Field(default=None, ge=1)
    """Open connections at once before new ones get 503 (uvicorn's limit_concurrency)."""
    keep_alive_s: float = Field(default=5.0, gt=0, le=600)
    """Idle keep-alive connections are closed after this many seconds."""
    worker_start_timeout_s: int = Field(default=120, ge=5, le=3600)
    """Several workers: seconds a new worker may take to start (load its models) when one is replaced."""
    health_interval_s: float = Field(default=5.0, gt=0, le=3600)
    """Seconds between background health probes of every backend."""
    breaker_failures: int = Field(default=3, ge=1, le=1000)
    """Consecutive failures that take a backend out of rotation (circuit open)."""
    breaker_cooldown_s: float = Field(default=10.0, gt=0, le=3600)
    """Seconds an open circuit waits before one probe request may try the backend again."""


class Settings(BaseSettings):
    """jmedllm's settings. Attribute docstrings are the documentation of each setting."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(default_factory=_default_home)
    """Directory for jmedllm's own state: the SQLite database, caches, logs."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Logging threshold."""
    offline: bool = True
    """Never contact a model hub (sets HF_HUB_OFFLINE and friends for every library)."""
    database_url: str | None = None
    """SQLAlchemy URL (default: SQLite at ``<home>/jmedllm.db``); PostgreSQL for production."""
    redis_url: str | None = None
    """Redis URL: where rate limits are kept, shared by every worker and gateway process (checked by ``jmedllm doctor``)."""
    secret_key: SecretStr | None = None
    """Server secret for keyed pseudonyms (``jmedllm deid``); never printed. API keys need none: they are hashed."""
    local_models: ModelSettings = Field(default_factory=ModelSettings)
    """How local models are found and run (torch threads, device, conversion cache)."""
    models: list[ServedModel] = Field(default_factory=_default_served_models)
    """Models the gateway serves (default: the bundled SmolLM2, embedded)."""
    guard: GuardSettings = Field(default_factory=GuardSettings)
    """Guardrails applied by the gateway."""
    serve: ServeSettings = Field(default_factory=ServeSettings)
    """The gateway's listener, limits and retention."""
    limits: LimitSettings = Field(default_factory=LimitSettings)
    """Rate limits per key and per user (Redis-backed when ``redis_url`` is set)."""

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("database_url", mode="after")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("redis_url", mode="after")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("secret_key", mode="after")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret.lower() in _WEAK_SECRETS or len(secret) < 32:
            raise ValueError(
                "must be at least 32 random characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one or the zero-setup SQLite default."""
        return self.database_url or f"sqlite:///{self.home / 'jmedllm.db'}"

    @property
    def model_cache_dir(self) -> Path:
        return (self.local_models.cache_dir or self.home / "models").expanduser()

    def redacted(self) -> dict[str, str]:
        """Flat ``{"dotted.name": "value"}`` for display, with every secret masked."""
        out: dict[str, str] = {}
        for name, value in self:
            if isinstance(value, BaseModel):
                out.update({f"{name}.{k}": _show(v) for k, v in value})
            elif name == "models":
                # Backends may carry upstream API keys: show names and backend types only.
                out[name] = ", ".join(f"{m.name} ({'+'.join(b.type for b in m.backends)})" for m in value)
            elif name == "secret_key":
                out[name] = "(not set)" if value is None else "********"
            elif name in ("database_url", "redis_url") and isinstance(value, str):
                out[name] = redact_url(value)
            else:
                out[name] = _show(value)
        out["database_url"] = redact_url(self.effective_database_url) + (
            "" if self.database_url else " (default)"
        )
        return out

    def __repr_args__(self) -> Any:
        # repr() ends up in logs and tracebacks: never show URL passwords there either.
        for name, value in super().__repr_args__():
            yield (
                name,
                redact_url(value)
                if name in ("database_url", "redis_url") and isinstance(value, str)
                else value,
            )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _YamlValues(settings_cls), file_secret_settings


def _show(value: Any) -> str:
    return "(not set)" if value is None else str(value)


# The YAML values of the load in progress; a context variable keeps concurrent loads apart.
_yaml_values: ContextVar[dict[str, Any]] = ContextVar("jmedllm_yaml_values", default={})  # noqa: B039


class _YamlValues(PydanticBaseSettingsSource):
    """Settings source for the values parsed from the YAML file by :func:`load_settings`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _yaml_values.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_values.get())


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"settings file not found: {path}", hint=f"check the path or unset {CONFIG_ENV}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read settings file {path}: {exc.__class__.__name__}", hint="save it as UTF-8 text"
        ) from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"settings file {path} is not valid YAML{where}", hint="fix the YAML syntax"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"settings file {path} must hold a mapping of settings, not a {type(data).__name__}"
        )
    return data


def _describe(error: dict[str, Any], config: Path | None) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    env_name = ENV_PREFIX + "__".join(str(part) for part in error["loc"]).upper()
    if env_name in os.environ:
        origin = f"environment variable {env_name}"
    elif config is not None:
        origin = f"{config}"
    else:
        origin = "arguments"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"invalid setting {loc!r} ({origin}): {message}"


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from overrides, the environment, the YAML file and defaults.

    Raises :class:`ConfigError` with one line per problem (the first shown) naming the
    setting, where its value came from and what is wrong.
    """
    path_text = config if config is not None else os.environ.get(CONFIG_ENV)
    path = Path(path_text).expanduser() if path_text else None
    values = _read_yaml(path) if path is not None else {}
    token = _yaml_values.set(values)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            _describe(errors[0], path) + more, hint="see `jmedllm doctor` and docs/design.md#settings"
        ) from None
    finally:
        _yaml_values.reset(token)
