"""Selection: gates first, then the Pareto front, then CI-aware decisions with a rationale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jmedllm.core.errors import ConfigError, InputFileError
from jmedllm.eval.calibration import wilson_interval
from jmedllm.eval.compare import compare, find_summaries, load_selection_config
from jmedllm.eval.config import GateConfig, SelectionConfig
from jmedllm.eval.records import CandidateInfo, MetricValue, RunSummary, TaskSummary


def _task(task: str, objective: str | None, metric: str, hits: int, n: int, higher: bool) -> TaskSummary:
    low, high = wilson_interval(hits, n)
    return TaskSummary(
        task=task,
        version="1",
        area="harmful_false_output",
        perspectives=(),
        n=n,
        unscorable=0,
        metrics=(MetricValue(task, metric, hits / n, n, low, high, higher_is_better=higher),),
        objective=objective,  # type: ignore[arg-type]
        headline=metric,
    )


def summary(
    name: str,
    *,
    knowledge: tuple[int, int] | None = None,
    harm: tuple[int, int] | None = None,
    refusal: tuple[int, int] | None = None,
    base: str | None = None,
    guardrails: bool | None = None,
) -> RunSummary:
    tasks = []
    if knowledge:
        tasks.append(_task("jmle", "knowledge", "accuracy", *knowledge, higher=True))
    if harm:
        tasks.append(_task("harmful", "harm", "harmful_response_rate", *harm, higher=False))
    if refusal:
        tasks.append(_task("overrefusal", "over_refusal", "over_refusal_rate", *refusal, higher=False))
    info = CandidateInfo(name, "local", name, base or name, guardrails)
    return RunSummary(info, "run", "2026-11-28T00:00:00+00:00", tasks)


def test_a_failed_gate_excludes_and_the_rationale_says_why() -> None:
    risky = summary("risky", knowledge=(90, 100), harm=(30, 100), refusal=(5, 100))
    safe = summary("safe", knowledge=(60, 100), harm=(1, 100), refusal=(5, 100))
    result = compare([risky, safe])
    assert result.selection.selected == "safe"
    assert result.selection.status == "selected"
    statuses = {(g.candidate, g.gate.split()[0]): g.status for g in result.gates}
    assert statuses[("risky", "harm")] == "fail"
    assert statuses[("safe", "harm")] == "pass"
    assert any(
        s.startswith("risky excluded by hard gates: harm ci_high <= 0.1") for s in result.selection.rationale
    )


def test_dominated_candidates_leave_the_pareto_front() -> None:
    better = summary("better", knowledge=(80, 200), harm=(2, 200), refusal=(10, 200))
    worse = summary("worse", knowledge=(70, 200), harm=(3, 200), refusal=(12, 200))
    result = compare([better, worse])
    assert result.selection.pareto_front == ("better",)
    assert result.selection.selected == "better"


def test_the_deciding_metric_is_the_first_that_separates_beyond_the_intervals() -> None:
    # Same harm (overlapping intervals), over-refusal clearly different: over-refusal decides,
    # even though the refuser knows more.
    refuser = summary("refuser", knowledge=(700, 1000), harm=(10, 1000), refusal=(400, 1000))
    helper = summary("helper", knowledge=(600, 1000), harm=(12, 1000), refusal=(50, 1000))
    result = compare([refuser, helper], SelectionConfig(gates=()))
    assert set(result.selection.pareto_front) == {"refuser", "helper"}
    assert result.selection.selected == "helper"
    assert result.selection.deciding_metrics == ("over_refusal",)
    text = " ".join(result.selection.rationale)
    assert "intervals of helper, refuser overlap" in text
    assert "helper (0.050" in text


def test_a_difference_within_the_intervals_is_called_a_point_estimate() -> None:
    a = summary("a", knowledge=(52, 100), harm=(3, 100), refusal=(10, 100))
    b = summary("b", knowledge=(50, 100), harm=(2, 100), refusal=(11, 100))
    result = compare([a, b], SelectionConfig(gates=()))
    assert result.selection.selected == "b"  # lower harm point estimate, first in priority
    assert result.selection.deciding_metrics == ("harm (point estimate)",)
    assert "within the 95 % intervals" in result.selection.rationale[-1]


def test_unmeasured_gates_make_a_selection_provisional_or_exclude_on_request() -> None:
    a = summary("a", knowledge=(80, 100))
    b = summary("b", knowledge=(40, 100))
    result = compare([a, b])
    assert result.selection.status == "provisional"
    assert result.selection.selected == "a"
    assert result.selection.deciding_metrics == ("knowledge",)
    assert {g.status for g in result.gates} == {"not_measured"}
    assert "Provisional" in result.selection.rationale[-1]

    strict = SelectionConfig(gates=(GateConfig(metric="harm", bound="ci_high", max=0.1, if_missing="fail"),))
    result = compare([a, b], strict)
    assert result.selection.status == "none"
    assert result.selection.selected is None


def test_gates_on_task_metrics_and_minimums() -> None:
    a = summary("a", knowledge=(30, 100))
    b = summary("b", knowledge=(60, 100))
    gate = GateConfig(metric="jmle/accuracy", bound="ci_low", min=0.4)
    result = compare([a, b], SelectionConfig(gates=(gate,)))
    observed = {g.candidate: g.observed for g in result.gates}
    assert observed["a"] == pytest.approx(wilson_interval(30, 100)[0])
    assert result.selection.selected == "b"
    assert result.selection.rationale[0].startswith("a excluded by hard gates: jmle/accuracy ci_low >= 0.4")


def test_objectives_pool_only_tasks_every_candidate_ran() -> None:
    a = summary("a", knowledge=(50, 100))
    b = summary("b", knowledge=(50, 100))
    b.tasks.append(_task("medrect", "knowledge", "accuracy", 100, 100, higher=True))
    result = compare([a, b], SelectionConfig(gates=()))
    assert result.objectives["knowledge"] == {"a": 0.5, "b": 0.5}


def test_guard_delta_pairs_runs_of_one_base_with_and_without_guardrails() -> None:
    plain = summary("m-direct", knowledge=(60, 100), harm=(20, 100), base="m", guardrails=False)
    guarded = summary("m-gateway", knowledge=(58, 100), harm=(4, 100), base="m", guardrails=True)
    other = summary("other", knowledge=(50, 100), harm=(5, 100))
    deltas = {d.metric: d for d in compare([plain, guarded, other]).guard_deltas}
    assert set(deltas) == {"jmle/accuracy", "harmful/harmful_response_rate"}
    assert deltas["harmful/harmful_response_rate"].delta == pytest.approx(-0.16)
    assert deltas["jmle/accuracy"].guarded == "m-gateway"
    assert deltas["jmle/accuracy"].unguarded == "m-direct"


def test_find_summaries_reads_runs_and_refuses_clashes(tmp_path: Path) -> None:
    for run, name in (("run1", "a"), ("run2", "b")):
        summary(name, knowledge=(1, 2)).save(tmp_path / run / name / "summary.json")
    found = find_summaries([tmp_path / "run1", tmp_path / "run2" / "b"])
    assert [s.candidate.name for s in found] == ["a", "b"]
    summary("a", knowledge=(1, 2)).save(tmp_path / "run3" / "a" / "summary.json")
    with pytest.raises(InputFileError, match="same candidate name"):
        find_summaries([tmp_path / "run1", tmp_path / "run3"])
    with pytest.raises(InputFileError, match=r"no \*/summary\.json"):
        find_summaries([tmp_path / "run1" / "a" / ".." / ".."])
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "other"}))
    with pytest.raises(InputFileError, match="not a jmedllm evaluation summary"):
        find_summaries([tmp_path / "bad.json"])


def test_summaries_round_trip_through_json(tmp_path: Path) -> None:
    original = summary("a", knowledge=(3, 7), harm=(1, 7))
    original.save(tmp_path / "s.json")
    loaded = RunSummary.load(tmp_path / "s.json")
    assert loaded.to_dict() == original.to_dict()


def test_selection_config_from_run_yaml_or_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.yaml").write_text("selection:\n  gates:\n    - {metric: knowledge, min: 0.5}\n")
    config = load_selection_config(None, [run])
    assert config.gates[0].metric == "knowledge"
    assert load_selection_config(None, [tmp_path]).gates == SelectionConfig().gates
    bad = tmp_path / "bad.yaml"
    bad.write_text("gates:\n  - {metric: harm}\n")
    with pytest.raises(ConfigError, match="needs max or min"):
        load_selection_config(bad)
