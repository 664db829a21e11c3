"""OpenAI request and response shapes, as vLLM serves them.

Requests are validated strictly where a wrong value would change what is generated
(``max_tokens``, ``temperature``, ``n`` …) and leniently elsewhere: fields this gateway does
not know are accepted (clients send vendor extensions all the time) and their *names*
are logged, never their values. Responses are built as plain dicts in the exact field
order vLLM uses, so the stock ``openai`` client and any vLLM-tested tool parse them.
"""

from __future__ import annotations

import os
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ChatCompletionRequest",
    "ChatMessage",
    "CompletionRequest",
    "GuardCheckRequest",
    "StreamOptions",
    "new_id",
    "random_hex",
]

# Sampling parameters forwarded to backends when the client set them.
SAMPLING_FIELDS = ("temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty")


def random_hex() -> str:
    """128 random bits as 32 hex digits: request and reply ids (a third of ``uuid4().hex``'s cost)."""
    return os.urandom(16).hex()


def new_id(prefix: str) -> str:
    """An id in vLLM's style: ``chatcmpl-<32 hex>``, ``cmpl-<32 hex>``."""
    return f"{prefix}-{os.urandom(16).hex()}"


def now() -> int:
    return int(time.time())


class _Request(BaseModel):
    # extra="allow": unknown fields are accepted and reported by `unknown_fields()`.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    def unknown_fields(self) -> list[str]:
        return sorted((self.model_extra or {}).keys())


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One chat message; ``content`` is text or a list of text parts (images are refused)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    @field_validator("content", mode="after")
    @classmethod
    def _text_only(cls, value: str | list[ContentPart] | None) -> str | list[ContentPart] | None:
        if isinstance(value, list):
            for part in value:
                if part.type != "text" or part.text is None:
                    raise ValueError(f"content parts of type {part.type!r} are not supported; send text")
        return value

    @property
    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content)

    def as_backend_message(self, text: str | None = None) -> dict[str, str]:
        role = "system" if self.role == "developer" else self.role
        return {"role": role, "content": self.text if text is None else text}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False
    continuous_usage_stats: bool = False


class _Sampling(_Request):
    model: str = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    n: int = Field(default=1, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None

    @field_validator("n", mode="after")
    @classmethod
    def _single_choice(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only n=1 is supported")
        return value

    @field_validator("stop", mode="after")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> list[str] | None:
        if value is None:
            return None
        stops = [value] if isinstance(value, str) else value
        if len(stops) > 4 or any(not s for s in stops):
            raise ValueError("stop takes up to 4 non-empty strings")
        return stops

    @model_validator(mode="after")
    def _stream_options_need_stream(self) -> _Sampling:
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed when stream is true")
        return self

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def sampling_params(self, max_tokens: int) -> dict[str, Any]:
        params: dict[str, Any] = {"max_tokens": max_tokens}
        for name in SAMPLING_FIELDS:
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        return params


class ChatCompletionRequest(_Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)

    @property
    def requested_max_tokens(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class CompletionRequest(_Sampling):
    """``POST /v1/completions`` (one prompt per request)."""

    prompt: str | list[str]
    echo: bool = False

    @field_validator("prompt", mode="after")
    @classmethod
    def _one_prompt(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and len(value) != 1:
            raise ValueError("send one prompt per request")
        return value

    @property
    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    @property
    def requested_max_tokens(self) -> int | None:
        return self.max_tokens


class GuardCheckRequest(_Request):
    """``POST /v1/guard/check``: run the guard on messages or a text without calling a model."""

    messages: list[ChatMessage] | None = None
    text: str | None = None
    stage: Literal["input", "output"] = "input"

    @model_validator(mode="after")
    def _one_source(self) -> GuardCheckRequest:
        if (self.messages is None) == (self.text is None):
            raise ValueError("send either messages or text")
        return self
