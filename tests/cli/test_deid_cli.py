"""The `jmedllm deid` CLI contract: JSONL in, JSONL out in input order, original offsets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jmedllm.cli import app

runner = CliRunner()
NOTE = "主治医：山田太郎先生。TEL ０３ー１２３４ー５６７８、令和5年4月1日入院。橋本病の既往。"


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_detect_writes_spans_on_the_original_text_in_input_order(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [{"id": "b", "text": NOTE}, {"id": 7, "text": "所見なし。"}])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["deid", "detect", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    first, second = _read(out)
    assert first["id"] == "b" and second == {"id": 7, "spans": []}
    found = {(s["label"], NOTE[s["start"] : s["end"]]) for s in first["spans"]}
    assert {("PERSON", "山田太郎"), ("PHONE", "０３ー１２３４ー５６７８"), ("DATE", "令和5年4月1日")} <= found
    assert not any("橋本" in text for _, text in found)
    assert all(set(s) == {"start", "end", "label", "score"} for s in first["spans"])


def test_redact_modes_keep_other_fields(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": NOTE, "ward": "4A", "patient": "p1"}])
    for mode in ("mask", "pseudonymize", "hash"):
        out = tmp_path / f"{mode}.jsonl"
        audit = tmp_path / f"{mode}.audit.jsonl"
        result = runner.invoke(
            app,
            [
                "deid",
                "redact",
                str(source),
                "-o",
                str(out),
                "--mode",
                mode,
                "--patient-field",
                "patient",
                "--audit",
                str(audit),
            ],
            env={"JMEDLLM_DEID_SECRET": "s" * 32},
        )
        assert result.exit_code == 0, result.output
        [record] = _read(out)
        assert record["ward"] == "4A" and record["patient"] == "p1"
        assert (
            "山田" not in record["text"] and "１２３４" not in record["text"] and "橋本病" in record["text"]
        )
        audit_text = audit.read_text(encoding="utf-8")
        assert audit_text.count("\n") >= 3 and "山田" not in audit_text and "１２３４" not in audit_text
    assert "［氏名］" in _read(tmp_path / "mask.jsonl")[0]["text"]


def test_malformed_lines_stop_with_line_number_or_are_skipped_and_counted(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "text": "a"}\n{"id": 2, "txt": "b"}\nnot json\n{"id": 4, "text": "d"}\n', encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    stopped = runner.invoke(app, ["deid", "detect", str(source), "-o", str(out)])
    assert stopped.exit_code == 1
    assert "line 2: missing field 'text'" in stopped.output
    skipped = runner.invoke(app, ["deid", "detect", str(source), "-o", str(out), "--on-error", "skip"])
    assert skipped.exit_code == 0, skipped.output
    assert [r["id"] for r in _read(out)] == [1, 4]
    assert "skipped 2 bad lines" in skipped.output


def test_stdin_to_stdout_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "JMEDLLM_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    line = json.dumps({"id": "x", "text": NOTE}, ensure_ascii=False) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "jmedllm", "deid", "detect", "-", "-o", "-"],
        input=line.encode("utf-8"),
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    [record] = [json.loads(x) for x in result.stdout.decode("utf-8").splitlines()]
    assert record["id"] == "x" and any(s["label"] == "PHONE" for s in record["spans"])
    assert b"deid detect" in result.stderr  # the summary goes to stderr, never into the records


def test_check_shows_spans() -> None:
    result = runner.invoke(app, ["deid", "check", NOTE])
    assert result.exit_code == 0 and "PHONE" in result.output


@pytest.mark.parametrize("bad", [["--mode", "shred"], ["--on-error", "maybe"]])
def test_bad_options(tmp_path: Path, bad: list[str]) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "a"}])
    result = runner.invoke(app, ["deid", "redact", str(source), *bad])
    assert result.exit_code == 2


def test_synth_then_evaluate_round_trip(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    assert runner.invoke(app, ["deid", "synth", "-n", "20", "--seed", "3", "-o", str(gold)]).exit_code == 0
    assert runner.invoke(app, ["deid", "detect", str(gold), "-o", str(pred)]).exit_code == 0
    result = runner.invoke(app, ["deid", "evaluate", "--gold", str(gold), "--pred", str(pred), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n_documents"] == 20
