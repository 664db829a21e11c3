"""Every YAML file shipped under configs/ validates against the settings model."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmedllm.core.settings import load_settings

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("**/*.yaml"))


def test_there_are_shipped_configs() -> None:
    assert CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_config_is_valid(path: Path) -> None:
    settings = load_settings(path)
    assert settings.offline is True  # shipped configs never switch the hub on
