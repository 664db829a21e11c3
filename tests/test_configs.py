"""Every YAML file shipped under configs/ validates against its typed config."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmedllm.core.settings import load_settings
from jmedllm.deid.config import DeidConfig, load_deid_config

ROOT = Path(__file__).resolve().parents[1] / "configs"
SETTINGS = sorted(ROOT.glob("*.yaml")) + sorted((ROOT / "serve").glob("*.yaml"))
DEID = sorted((ROOT / "deid").glob("*.yaml"))
GUARD = sorted((ROOT / "guard").glob("*.yaml"))


def test_there_are_shipped_configs() -> None:
    assert SETTINGS and DEID and GUARD


@pytest.mark.parametrize("path", GUARD, ids=lambda p: p.name)
def test_shipped_guard_policies_are_valid(path: Path) -> None:
    from jmedllm.guard.policy import load_policy

    policy = load_policy(str(path))
    assert policy.input and policy.output  # a shipped policy never runs without rails


@pytest.mark.parametrize("path", SETTINGS, ids=lambda p: p.name)
def test_shipped_settings_are_valid(path: Path) -> None:
    assert load_settings(path).offline is True  # shipped configs never switch the hub on


@pytest.mark.parametrize("path", DEID, ids=lambda p: p.name)
def test_shipped_deid_configs_are_valid(path: Path) -> None:
    config = load_deid_config(path)
    assert isinstance(config, DeidConfig)


def test_default_deid_yaml_matches_the_code_defaults() -> None:
    assert load_deid_config(ROOT / "deid" / "default.yaml") == DeidConfig()


def test_deid_config_errors_are_clear(tmp_path: Path) -> None:
    from jmedllm.core.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "institution_id_patterns:\n  - {name: x, regex: '(', label: PATIENT_ID}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="invalid regex"):
        load_deid_config(bad)
    bad.write_text("labls: [PERSON]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown settings"):
        load_deid_config(bad)
    bad.write_text("labels: [NAME]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown de-identification labels"):
        load_deid_config(bad)
