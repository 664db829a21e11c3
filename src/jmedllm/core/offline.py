"""Keep every library off the network.

jmedllm runs in hospitals and CI machines where a model hub is unreachable or must not be
contacted. Hugging Face libraries read these variables when they are first imported, so
:func:`enforce_offline` must run before ``transformers``/``huggingface_hub`` load; code
that loads models also passes ``local_files_only=True`` as a second line of defence.
"""

from __future__ import annotations

import os

__all__ = ["OFFLINE_ENV", "enforce_offline", "is_offline"]

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "INSPECT_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def enforce_offline() -> None:
    """Set the offline variables in this process (and so in its children)."""
    for name, value in OFFLINE_ENV.items():
        os.environ[name] = value


def is_offline() -> bool:
    """True when the Hugging Face hub libraries will not contact the network."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
