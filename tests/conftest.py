"""Test-wide isolation: every test gets its own jmedllm home and no ambient settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports huggingface_hub: no test may try the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

#: The licensed fixture data sets beside the project (``../shared/data``).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("JMEDLLM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JMEDLLM_HOME", str(tmp_path / "home"))
    yield


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole session, so the GGUF is converted at most once."""
    return tmp_path_factory.mktemp("model-cache")
