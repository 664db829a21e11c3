"""Licensing-exam scoring: both question formats, IgakuQA points, overrides, the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jmedllm.cli import app
from jmedllm.eval.jmle import (
    ScoringInputError,
    load_overrides,
    load_predictions,
    load_questions,
    parse_answer,
    score,
)

SHARED_JMLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "jmle"
runner = CliRunner()


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _igakuqa(pid: str, answer: list[str], points: Any) -> dict[str, Any]:
    return {
        "problem_id": pid,
        "problem_text": "…",
        "choices": ["a", "b", "c", "d", "e"],
        "answer": answer,
        "points": points,
    }


def _jmle(qid: str, answer: list[str] | str) -> dict[str, Any]:
    return {"id": qid, "question": "…", "choices": {c: c for c in "abcde"}, "answer": answer}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a,c", {"a", "c"}),
        ("C, A", {"a", "c"}),
        ("ａ、ｃ", {"a", "c"}),
        (["d", "b"], {"b", "d"}),
        ("", set()),
        (None, set()),
    ],
)
def test_parse_answer(value: Any, expected: set[str]) -> None:
    assert parse_answer(value) == expected


def test_points_from_the_field_or_the_section(tmp_path: Path) -> None:
    questions = load_questions(
        _jsonl(
            tmp_path / "q.jsonl",
            [
                _igakuqa("115A1", ["a"], "1"),
                _igakuqa("115B30", ["b"], 3),
                _jmle("116B27", ["c"]),  # 必修 clinical: 3
                _jmle("116E40", "d"),  # 必修 clinical: 3
                _jmle("116C30", ["e"]),  # 1
            ],
        )
    )
    assert {q.id: q.points for q in questions.values()} == {
        "115A1": 1,
        "115B30": 3,
        "116B27": 3,
        "116E40": 3,
        "116C30": 1,
    }
    assert questions["116E40"].answer == {"d"} and questions["115A1"].exam == "115"


def test_multi_answer_is_exact_and_order_free_and_overrides_apply(tmp_path: Path) -> None:
    questions = load_questions(
        _jsonl(
            tmp_path / "q.jsonl",
            [
                _jmle("112A10", ["a", "c"]),
                _jmle("112A11", ["b"]),
                _jmle("112B30", ["b"]),
                _jmle("116A71", ["e"]),
                _jmle("116A72", ["a"]),
            ],
        )
    )
    predictions = load_predictions(
        _jsonl(
            tmp_path / "p.jsonl",
            [
                {"problem_id": "112A10", "prediction": "c,a", "model": "x"},  # order-free: correct
                {"problem_id": "112A11", "prediction": "b,c"},  # a superset is wrong
                {"problem_id": "112B30", "prediction": "d"},  # wrong, but accepted by override
                {"problem_id": "999A1", "prediction": "a"},  # unknown question: ignored
            ],
        )
    )
    overrides = load_overrides(
        _write(tmp_path / "o.json", {"116A71": {"all_correct": True}, "112B30": {"accepted": [["a"], ["d"]]}})
    )
    result = score(questions, predictions, overrides)
    assert result.to_dict() == {
        "exams": {
            "112": {"points": 1 + 3, "max_points": 1 + 1 + 3, "accuracy": 2 / 3, "n": 3},
            "116": {
                "points": 1,
                "max_points": 2,
                "accuracy": 0.5,
                "n": 2,
            },  # 116A71 excluded: everyone scores
        },
        "mean_points": (4 + 1) / 2,
        "accuracy": 3 / 5,
        "n": 5,
    }
    assert result.missing_predictions == 2 and result.unknown_predictions == 1


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_directories_skip_metadata_and_translations(tmp_path: Path) -> None:
    folder = tmp_path / "igakuqa"
    folder.mkdir()
    _jsonl(folder / "2018.jsonl", [_igakuqa("112A1", ["a"], "1")])
    _jsonl(folder / "2018_metadata.jsonl", [{"problem_id": "112A1", "year": 2018}])
    _jsonl(folder / "2018_translate.jsonl", [_igakuqa("112A1", ["a"], "1")])  # would be a duplicate
    assert list(load_questions(folder)) == ["112A1"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_jmle("A112", ["a"])], "not like 112A1"),
        ([_jmle("112A1", ["a"]), _jmle("112A1", ["b"])], "appears twice"),
        ([{"id": "112A1", "question": "…"}], "has no 'answer'"),
        ([{"question": "…", "answer": ["a"]}], "needs 'problem_id'"),
        ([_igakuqa("112A1", ["a"], "three")], "not a whole number"),
    ],
)
def test_bad_questions_give_clear_errors(tmp_path: Path, rows: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ScoringInputError, match=message):
        load_questions(_jsonl(tmp_path / "q.jsonl", rows))


def test_bad_overrides_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ScoringInputError, match="all_correct"):
        load_overrides(_write(tmp_path / "o.json", {"112A1": {"skip": True}}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ScoringInputError, match="not valid UTF-8 JSON"):
        load_overrides(bad)


@pytest.mark.skipif(not SHARED_JMLE.is_dir(), reason="shared/data/jmle is not beside the project")
def test_cli_contract_on_the_shared_exams(tmp_path: Path) -> None:
    rows = [
        json.loads(line)
        for line in (SHARED_JMLE / "jmle-2018-2022-case-questions.jsonl").open(encoding="utf-8")
    ]
    perfect = _jsonl(
        tmp_path / "perfect.jsonl",
        [{"problem_id": r["id"], "prediction": ",".join(r["answer"])} for r in rows],
    )
    result = runner.invoke(
        app, ["eval", "jmle-score", "--questions", str(SHARED_JMLE), "--predictions", str(perfect), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"exams", "mean_points", "accuracy", "n"}
    assert set(report["exams"]) == {"112", "113", "114", "115", "116"}
    assert report["n"] == len(rows) and report["accuracy"] == 1.0
    for exam, item in report["exams"].items():
        in_exam = [r for r in rows if r["id"].startswith(exam)]
        expected_max = sum(3 if r["id"][3] in "BE" else 1 for r in in_exam)
        assert item == {
            "points": expected_max,
            "max_points": expected_max,
            "accuracy": 1.0,
            "n": len(in_exam),
        }
    # Half the predictions missing: those score 0, and the exam's maximum does not change.
    half = _jsonl(tmp_path / "half.jsonl", [{"problem_id": r["id"], "prediction": "z"} for r in rows[::2]])
    result = runner.invoke(
        app, ["eval", "jmle-score", "--questions", str(SHARED_JMLE), "--predictions", str(half), "--json"]
    )
    assert json.loads(result.stdout)["accuracy"] == 0.0
