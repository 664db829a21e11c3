"""Where generation happens: an embedded local model or an OpenAI-compatible upstream.

Importing this package is cheap: it re-exports the interface from :mod:`.base`, and the
two implementations are imported only when asked for (``BACKENDS.get("embedded")`` or
``from jmedllm.serve.backends import EmbeddedBackend``), so a gateway that proxies to
vLLM never imports torch, and one that embeds a model never imports aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jmedllm.serve.backends.base import (
    BACKENDS,
    Backend,
    BackendBusy,
    BackendError,
    BackendUnavailable,
    Delta,
    Generation,
    GenerationRequest,
    Usage,
)

if TYPE_CHECKING:
    from jmedllm.serve.backends.embedded import EmbeddedBackend
    from jmedllm.serve.backends.openai import OpenAIBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendBusy",
    "BackendError",
    "BackendUnavailable",
    "Delta",
    "EmbeddedBackend",
    "Generation",
    "GenerationRequest",
    "OpenAIBackend",
    "Usage",
]

_LAZY = {
    "EmbeddedBackend": "jmedllm.serve.backends.embedded",
    "OpenAIBackend": "jmedllm.serve.backends.openai",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
