"""The CLI: light imports, every group registered, one-line errors with non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jmedllm.cli import GROUPS, app

runner = CliRunner()
HEAVY = ("torch", "transformers", "fastapi", "spacy", "sqlalchemy", "datatrove", "inspect_ai")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, check=False)


def test_import_and_cli_construction_stay_light() -> None:
    code = (
        "import sys, jmedllm, jmedllm.core.jatext, jmedllm.cli\n"
        "from jmedllm.core import records, registry, settings, models, doctor\n"
        "from typer.main import get_command\n"
        "get_command(jmedllm.cli.app)\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_lists_every_group_without_heavy_imports() -> None:
    code = (
        "import sys\nfrom jmedllm.cli import main\nsys.argv = ['jmedllm', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = _run("-c", code)
    assert "HEAVY []" in result.stdout
    for group in (
        "deid",
        "data",
        "train",
        "eval",
        "guard",
        "serve",
        "admin",
        "audit",
        "clinic",
        "text",
        "model",
    ):
        assert group in result.stdout


def test_groups_are_registered_once_each() -> None:
    names = [g.name for g in GROUPS]
    assert len(names) == len(set(names))
    assert {"deid", "data", "train", "eval", "guard", "serve", "admin", "audit", "clinic"} <= set(names)


@pytest.mark.parametrize("group", [g.name for g in GROUPS if g.planned])
def test_planned_groups_say_which_issue_brings_them(group: str) -> None:
    result = runner.invoke(app, [group])
    assert result.exit_code == 0
    assert "not available yet" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.output.startswith("jmedllm ")


def test_doctor_json() -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] is True
    assert {row["check"] for row in payload["checks"]} >= {"python", "database", "redis", "offline"}
    assert payload["settings"]["secret_key"] == "(not set)"


def test_doctor_table_redacts_and_fails_on_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMEDLLM_DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/x")
    monkeypatch.setenv("JMEDLLM_SECRET_KEY", "k" * 40)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "problems found" in result.output
    assert "hunter2" not in result.output and "k" * 40 not in result.output


@pytest.mark.parametrize(
    ("env", "config_text", "expected"),
    [
        ({"JMEDLLM_LOCAL_MODELS__TORCH_THREADS": "lots"}, None, "JMEDLLM_LOCAL_MODELS__TORCH_THREADS"),
        ({}, "local_models: {torch_threads: 0}\n", "local_models.torch_threads"),
        ({}, "nonsense_key: 1\n", "unknown setting"),
    ],
)
def test_invalid_settings_exit_nonzero_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    config_text: str | None,
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = ["doctor"]
    if config_text is not None:
        config = tmp_path / "c.yaml"
        config.write_text(config_text, encoding="utf-8")
        args = ["--config", str(config), "doctor"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: invalid setting"), result.output
    assert expected in lines[0]


def test_text_commands_on_a_cp932_file(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes("患者ＩＤ：１２３４５ 3～5mg ①発熱 ㍻31年4月30日".encode("cp932"))
    result = runner.invoke(app, ["text", "normalize", str(note)])
    assert result.exit_code == 0, result.output
    assert "患者ID:12345 3〜5mg ①発熱 平成31年4月30日" in result.output
    assert "cp932" in result.output
    detected = runner.invoke(app, ["text", "detect-encoding", str(note)])
    assert detected.exit_code == 0 and "cp932" in detected.output
    out = tmp_path / "note.utf8.txt"
    converted = runner.invoke(app, ["text", "convert", str(note), str(out)])
    assert converted.exit_code == 0
    assert out.read_text(encoding="utf-8") == note.read_bytes().decode("cp932")
    stats = runner.invoke(app, ["text", "stats", str(note)])
    assert json.loads(stats.output)["encoding"] == "cp932"


def test_text_date_conversions() -> None:
    result = runner.invoke(app, ["text", "date", "令和5年4月1日", "H31/4/30", "㍻元年1月8日"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "令和5年4月1日\t2023-04-01",
        "H31/4/30\t2019-04-30",
        "㍻元年1月8日\t1989-01-08",
    ]
    back = runner.invoke(app, ["text", "date", "--to", "wareki", "2019-05-01"])
    assert back.output.strip().endswith("令和元年5月1日")
    bad = runner.invoke(app, ["text", "date", "平成32年1月1日", "2月30日"])
    assert bad.exit_code == 1
    assert bad.output.count("error:") == 2


@pytest.mark.parametrize(
    ("make_file", "expected"),
    [
        (lambda p: p / "missing.txt", "no such file"),
        (lambda p: p, "directory"),
    ],
)
def test_unreadable_files_exit_nonzero_with_one_line(tmp_path: Path, make_file, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["text", "normalize", str(make_file(tmp_path))])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("error:") and expected in line.lower()


def test_undecodable_file_names_the_file_and_byte_offset(tmp_path: Path) -> None:
    bad = tmp_path / "export.csv"
    bad.write_bytes("患者,検査\n".encode() + b"\x80\xff\xfe\x81\x00garbage\xff")
    result = runner.invoke(app, ["text", "normalize", str(bad)])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "export.csv" in line and "offset" in line
    assert "患者" not in line  # file content never reaches error messages


def test_unknown_encoding_name(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text("abc", encoding="utf-8")
    result = runner.invoke(app, ["text", "normalize", "--encoding", "klingon", str(note)])
    assert result.exit_code == 1
    assert "klingon" in result.output


def test_model_info_and_bad_reference() -> None:
    info = runner.invoke(app, ["model", "info", "smollm2-135m-instruct"])
    assert info.exit_code == 0 and "bundled" in info.output
    bad = runner.invoke(app, ["model", "info", "org/some-model"])
    assert bad.exit_code == 1 and "never downloads" in bad.output
    listed = runner.invoke(app, ["model", "list"])
    assert "smollm2-135m-instruct" in listed.output


def test_demo_without_serving_runs_every_step() -> None:
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "03-1234-5678" in result.output and "2019-04-30" in result.output
    assert "jmedllm demo finished" in result.output


def test_python_dash_m_entry_point() -> None:
    result = _run("-m", "jmedllm", "version")
    assert result.returncode == 0 and "jmedllm" in result.stdout


@pytest.mark.slow
def test_model_generate_command(model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMEDLLM_LOCAL_MODELS__CACHE_DIR", str(model_cache))
    result = runner.invoke(
        app,
        [
            "model",
            "generate",
            "smollm2-135m-instruct",
            "What is the capital of France?",
            "--max-new-tokens",
            "12",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Paris" in result.output
