"""Settings: precedence, YAML, validation errors that say what to fix, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmedllm.core.errors import ConfigError
from jmedllm.core.settings import load_settings, redact_url

SECRET = "s3cr3t-" + "x" * 40


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.home == tmp_path / "home"
    assert settings.offline is True
    assert settings.local_models.default == "smollm2-135m-instruct"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'home' / 'jmedllm.db'}"
    assert settings.model_cache_dir == tmp_path / "home" / "models"


def test_precedence_env_over_yaml_over_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "jmedllm.yaml"
    config.write_text(
        "log_level: WARNING\nlocal_models:\n  torch_threads: 2\n  device: cpu\n", encoding="utf-8"
    )
    assert load_settings(config).local_models.torch_threads == 2
    monkeypatch.setenv("JMEDLLM_LOCAL_MODELS__TORCH_THREADS", "3")
    monkeypatch.setenv("JMEDLLM_CONFIG", str(config))
    settings = load_settings()
    assert settings.local_models.torch_threads == 3
    assert settings.log_level == "WARNING"
    assert load_settings(log_level="DEBUG").log_level == "DEBUG"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("local_models:\n  torch_threads: many\n", "invalid setting 'local_models.torch_threads'"),
        ("modles: {}\n", "invalid setting 'modles'"),
        ("database_url: mysql://x/y\n", "sqlite:/// or postgresql://"),
        ("redis_url: http://x\n", "redis://"),
        ("secret_key: changeme\n", "at least 32 random characters"),
        ("log_level: LOUD\n", "invalid setting 'log_level'"),
        ("- a\n- b\n", "must hold a mapping"),
        ("models: [\n", "not valid YAML at line"),
    ],
)
def test_invalid_yaml_settings_give_one_line_errors(tmp_path: Path, yaml_text: str, expected: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    line = info.value.one_line()
    assert expected in line
    assert "\n" not in line
    assert "changeme" not in line  # a rejected secret is not echoed


def test_invalid_env_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMEDLLM_OFFLINE", "perhaps")
    with pytest.raises(ConfigError, match="environment variable JMEDLLM_OFFLINE"):
        load_settings()


def test_missing_and_undecodable_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.yaml")
    cp932 = tmp_path / "cp932.yaml"
    cp932.write_bytes("log_level: 警告\n".encode("cp932"))
    with pytest.raises(ConfigError, match="save it as UTF-8"):
        load_settings(cp932)


def test_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMEDLLM_SECRET_KEY", SECRET)
    monkeypatch.setenv("JMEDLLM_DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:5432/jm")
    monkeypatch.setenv("JMEDLLM_REDIS_URL", "redis://:pw123@127.0.0.1:6379/0")
    settings = load_settings()
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == SECRET
    shown = settings.redacted()
    flat = repr(shown) + repr(settings)
    for secret in (SECRET, "hunter2", "pw123"):
        assert secret not in flat
    assert shown["database_url"] == "postgresql://app:***@127.0.0.1:5432/jm"
    assert shown["secret_key"] == "********"


def test_redact_url() -> None:
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("rediss://:p@h:6380/1") == "rediss://:***@h:6380/1"
