"""Run files: typed, validated, and never holding a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmedllm.core.errors import ConfigError, InputFileError, RegistryError
from jmedllm.eval.config import CandidateConfig, load_run_config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_run_files_validate() -> None:
    for path in sorted((REPO / "configs" / "eval").glob("*.yaml")):
        config = load_run_config(path)
        assert config.candidates, path
        assert config.task_names()


def test_defaults_and_overrides(tmp_path: Path) -> None:
    config = load_run_config(
        write(tmp_path, "candidates: [{name: m, model: smollm2-135m-instruct}]\n"), limit=2
    )
    assert config.suite == "smoke"
    assert config.task_limit() == 2
    assert config.out == Path("runs/run")
    assert config.candidates[0].kind == "local"
    assert config.candidates[0].wants_logprobs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("candidates: []\n", "candidates"),
        ("candidates: [{name: a, model: x}, {name: a, model: y}]\n", "unique: a"),
        ("candidates: [{name: a, model: x, api_key: secret}]\n", "candidates.0.api_key: Extra inputs"),
        ("candidates: [{name: a, model: x, api_key_env: K}]\n", "api_key_env only applies"),
        ("candidates: [{name: a, model: x, base_url: ftp://h}]\n", "http:// or https://"),
        ("candidates: [{name: 'a b', model: x}]\n", "candidates.0.name"),
        ("limit: 0\ncandidates: [{name: a, model: x}]\n", "limit"),
        ("- just a list\n", "must be a YAML mapping"),
        ("candidates: [{name: a\n", "not valid UTF-8 YAML"),
    ],
)
def test_invalid_run_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_run_config(write(tmp_path, text))


def test_unknown_suite_and_task_list_the_known_ones(tmp_path: Path) -> None:
    config = load_run_config(write(tmp_path, "suite: nope\ncandidates: [{name: a, model: x}]\n"))
    with pytest.raises(ConfigError, match="known suites: smoke"):
        config.task_names()
    config = load_run_config(write(tmp_path, "tasks: [jmle, nope]\ncandidates: [{name: a, model: x}]\n"))
    with pytest.raises(RegistryError, match=r"known: .*jmle"):
        config.task_names()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="run config not found"):
        load_run_config(tmp_path / "absent.yaml")


def test_endpoint_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    candidate = CandidateConfig(
        name="gw", model="demo", base_url="http://127.0.0.1:8000/v1", api_key_env="GW_KEY"
    )
    monkeypatch.delenv("GW_KEY", raising=False)
    with pytest.raises(ConfigError, match="GW_KEY is not set"):
        candidate.api_key()
    monkeypatch.setenv("GW_KEY", "jmk_x_y")
    assert candidate.api_key() == "jmk_x_y"
    assert not candidate.wants_logprobs
    assert CandidateConfig(name="v", model="m", base_url="http://h/v1").api_key() == "EMPTY"
