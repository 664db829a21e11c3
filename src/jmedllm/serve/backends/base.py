"""What every backend does: generate a reply, whole or streamed, and say whether it is healthy.

The gateway speaks OpenAI's API to clients; backends receive a :class:`GenerationRequest`
that the guard has already seen (identifiers masked) and return plain text with token
counts. Formatting replies as OpenAI objects and SSE chunks is the router's job, so every
backend streams in exactly the same framing (vLLM's).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from jmedllm.core.errors import JmedllmError
from jmedllm.core.registry import Registry

if TYPE_CHECKING:
    from jmedllm.core.settings import BackendSettings, ServedModel, Settings

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendBusy",
    "BackendError",
    "BackendUnavailable",
    "Delta",
    "Generation",
    "GenerationRequest",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One generation: a chat (``messages``) or a completion (``prompt``).

    ``params`` holds the OpenAI sampling parameters the client sent and the gateway
    accepted (``max_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed``,
    ``presence_penalty``, ``frequency_penalty``); an upstream backend forwards them, an
    embedded one maps what it supports. ``max_tokens`` is always set.
    """

    kind: Literal["chat", "completion"]
    model: str
    request_id: str
    messages: Sequence[Mapping[str, Any]] = ()
    prompt: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def max_tokens(self) -> int:
        return int(self.params.get("max_tokens") or 16)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the backend's tokenizer counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Generation:
    """A whole reply: its text, why it stopped (``stop`` or ``length``) and its usage."""

    text: str
    finish_reason: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class Delta:
    """One streamed piece of a reply.

    The last delta of a stream carries ``finish_reason`` and ``usage`` (its ``text`` may
    be empty); every earlier one carries text only.
    """

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None


class BackendError(JmedllmError):
    """The backend refused or failed the request; ``status`` is the HTTP status to return."""

    exit_code = 1

    def __init__(self, message: str, *, status: int = 502, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class BackendBusy(BackendError):  # noqa: N818 - reads as the condition, like asyncio.QueueFull
    """The backend's queue is full: the client should retry later (HTTP 429)."""

    def __init__(self, message: str = "the model is busy; retry shortly", *, retry_after: int = 1) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class BackendUnavailable(BackendError):  # noqa: N818
    """The backend cannot be reached or is not ready (HTTP 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=503)


class Backend(ABC):
    """A place generation happens. Built with the backend's settings, the served model and the app's settings.

    ``start`` runs once at app startup (load the model, open the HTTP client) and
    ``close`` at shutdown; both must be safe to call when the other failed.
    """

    #: Short kind shown in metrics and logs ("embedded", "openai").
    kind: str = ""

    def __init__(self, config: BackendSettings, served: ServedModel, settings: Settings) -> None:
        self.config = config
        self.served = served
        self.settings = settings

    @property
    def label(self) -> str:
        """Stable, secret-free label for metrics and logs, e.g. ``openai:127.0.0.1:9000``."""
        return self.kind

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare the backend (load weights, open connections)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release what ``start`` acquired."""

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> Generation:
        """Generate a whole reply."""

    @abstractmethod
    def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        """Generate a reply piece by piece (an async generator); the last delta has usage."""

    @abstractmethod
    async def health(self) -> bool:
        """True when the backend can take requests now."""

    @property
    def queue_depth(self) -> int:
        """Requests waiting for this backend (0 when it does not queue)."""
        return 0


#: Backend kinds by the ``type`` of their settings.
BACKENDS: Registry[type[Backend]] = Registry(
    "serve.backend",
    base=Backend,
    modules=("jmedllm.serve.backends.openai", "jmedllm.serve.backends.embedded"),
)
