"""Contract tests over every registered evaluation task, and the scorers' rules."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jmedllm.core.errors import InputFileError
from jmedllm.eval import jmle
from jmedllm.eval.extract import NO_ERROR, extract_sentence_id
from jmedllm.eval.records import AISI_PERSPECTIVES, AREAS
from jmedllm.eval.tasks import SUITES, TASKS, ScoredItem, TaskOptions, spread
from jmedllm.eval.tasks.mcq import is_choice_correct, letter_confidence

pytest.importorskip("inspect_ai")

FIXTURES = Path(__file__).parent / "data"
ALL_TASKS = TASKS.names()
#: Tasks over the shared data sets (the safety sets ship inside the package; robustness wraps others).
DATA_TASKS = [n for n in ALL_TASKS if not n.startswith(("safety-", "robustness-"))]


@pytest.mark.parametrize("name", ALL_TASKS)
def test_every_task_declares_what_summaries_and_reports_need(name: str) -> None:
    task = TASKS.create(name)
    assert task.name == name
    assert task.version
    assert task.area in AREAS
    assert set(task.perspectives) <= set(AISI_PERSPECTIVES)
    # provenance and licence travel with results
    assert task.dataset and any(licence in task.dataset for licence in ("CC", "MIT", "Apache"))
    if name in DATA_TASKS:
        assert (FIXTURES / task.data_path).exists(), (
            "every data task needs a fixture for the clean-clone tests"
        )


@pytest.mark.parametrize("name", DATA_TASKS)
def test_every_task_reads_its_fixture_into_unique_samples_with_targets(name: str) -> None:
    task = TASKS.create(name)
    samples = task.samples(FIXTURES)
    assert len(samples) >= 2
    ids = [s.id for s in samples]
    assert len(set(ids)) == len(ids)
    for sample in samples:
        assert sample.target
        assert isinstance(sample.input, str) and "答え：" in sample.input


@pytest.mark.parametrize("name", DATA_TASKS)
def test_every_task_builds_an_inspect_task_with_its_limit(name: str) -> None:
    built = TASKS.create(name).build(TaskOptions(FIXTURES, limit=2, logprobs=True))
    assert built.name == name
    assert len(built.dataset) == 2
    assert built.version == TASKS.get(name).version


@pytest.mark.parametrize("name", DATA_TASKS)
def test_every_task_summarises_scored_items_with_intervals(name: str) -> None:
    task = TASKS.create(name)
    items = [
        ScoredItem(
            "1", True, False, {"predicted": 1, "error_flag": 1, "points": 3, "max_points": 3, "exam": "112"}
        ),
        ScoredItem(
            "2", False, False, {"predicted": 2, "error_flag": 1, "points": 0, "max_points": 1, "exam": "112"}
        ),
        ScoredItem(
            "3",
            False,
            True,
            {"predicted": None, "error_flag": 0, "points": 0, "max_points": 1, "exam": "113"},
        ),
        ScoredItem(
            "4",
            True,
            False,
            {"predicted": NO_ERROR, "error_flag": 0, "points": 1, "max_points": 1, "exam": "113"},
        ),
    ]
    metrics = {m.metric: m for m in task.metrics(items)}
    headline = metrics[task.headline]
    assert headline.value == pytest.approx(0.5)
    assert headline.ci_low is not None and headline.ci_low < 0.5 < headline.ci_high
    assert metrics["unscorable_rate"].value == pytest.approx(0.25)
    assert metrics["unscorable_rate"].higher_is_better is False


def test_suites_name_registered_tasks() -> None:
    for suite in SUITES.values():
        assert set(suite.tasks) <= set(ALL_TASKS)
    assert SUITES["smoke"].limit == 3


def test_spread_takes_items_across_the_whole_set() -> None:
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread(list(range(4)), None) == [0, 1, 2, 3]
    assert spread(list(range(4)), 9) == [0, 1, 2, 3]


# -- licensing exam ----------------------------------------------------------------------------


def test_jmle_points_agree_with_the_exam_scoring_contract() -> None:
    """The task's points per exam equal `jmedllm eval jmle-score` on the same predictions."""
    task = TASKS.create("jmle")
    items = task.items(FIXTURES)
    predictions = {"116A16": "c", "116B25": "a", "116A68": "e,d", "112A17": "d"}
    scored = []
    for item in items:
        predicted = jmle.parse_answer(predictions[item.id])
        correct = is_choice_correct(predicted, item.metadata, sorted(item.answer))
        points = item.metadata["points"]
        scored.append(
            ScoredItem(
                item.id,
                correct,
                False,
                {"points": points if correct else 0, "max_points": points, "exam": item.metadata["exam"]},
            )
        )
    metrics = {m.metric: m.value for m in task.metrics(scored)}
    contract = jmle.score(
        jmle.load_questions(FIXTURES / "jmle"), {k: jmle.parse_answer(v) for k, v in predictions.items()}, {}
    ).to_dict()
    assert metrics["points_116"] == contract["exams"]["116"]["points"] == 1 + 0 + 1
    assert metrics["points_112"] == contract["exams"]["112"]["points"] == 1
    assert metrics["max_points"] == sum(e["max_points"] for e in contract["exams"].values()) == 6
    assert metrics["accuracy"] == pytest.approx(contract["accuracy"])


def test_jmle_overrides_accept_alternatives_and_exclusions(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"116A16": {"all_correct": True}, "112A17": {"accepted": [["a"]]}}))
    items = {i.id: i for i in TASKS.create("jmle", overrides=overrides).items(FIXTURES)}
    assert is_choice_correct(None, items["116A16"].metadata, ["c"])
    assert is_choice_correct(frozenset("a"), items["112A17"].metadata, ["d"])
    assert not is_choice_correct(frozenset("b"), items["112A17"].metadata, ["d"])
    assert not is_choice_correct(frozenset("d"), items["116A68"].metadata, ["d", "e"])  # exact set only
    assert is_choice_correct(frozenset("ed"), items["116A68"].metadata, ["d", "e"])


def test_malformed_rows_stop_with_the_file_and_row_named(tmp_path: Path) -> None:
    (tmp_path / "jmmlu-medical").mkdir()
    (tmp_path / "jmmlu-medical" / "anatomy.csv").write_text(
        "問題,A,B,C,D,A\n問題,A,B,C,E\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"anatomy.csv:2: expected question, four choices"):
        TASKS.create("jmmlu-medical").samples(tmp_path)
    with pytest.raises(InputFileError, match="task medrect: data not found"):
        TASKS.create("medrect").samples(tmp_path)


# -- calibration from log-probabilities --------------------------------------------------------


def _logprobs(*positions: list[tuple[str, float]]) -> Any:
    content = [
        SimpleNamespace(
            token=top[0][0],
            logprob=math.log(top[0][1]),
            top_logprobs=[SimpleNamespace(token=t, logprob=math.log(p)) for t, p in top],
        )
        for top in positions
    ]
    return SimpleNamespace(content=content)


def test_confidence_is_the_letter_share_where_the_reply_writes_it() -> None:
    logprobs = _logprobs([("答え", 0.9), ("回答", 0.1)], [("：", 1.0)], [(" c", 0.6), ("a", 0.2), ("x", 0.2)])
    assert letter_confidence(logprobs, "abcde", frozenset("c")) == pytest.approx(0.75)
    assert letter_confidence(logprobs, "abcde", frozenset("ac")) is None  # multi-answer: no confidence
    assert letter_confidence(logprobs, "abcde", frozenset("d")) is None  # never written as a token
    assert letter_confidence(None, "abcde", frozenset("c")) is None


# -- MedRECT answer extraction -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("答え：3", 3),
        ("答え：なし", NO_ERROR),
        ("３", 3),
        ("文7に誤りがあります。\n答え：7", 7),
        ("3番目の文が誤りです。", 3),
        ("誤りはありません。", NO_ERROR),
        ("文2と文5が怪しい", None),
        ("答え：12", None),  # no sentence 12
        ("", None),
    ],
)
def test_sentence_extraction(reply: str, expected: int | None) -> None:
    assert extract_sentence_id(reply, 9) == expected
