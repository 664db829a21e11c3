"""The evaluation engine end to end: `eval run` → logs and summaries → `compare` → `report`.

Three candidates on the fixture data: a tiny local model (Inspect's ``hf`` provider), the
stub upstream as a bare OpenAI-compatible endpoint, and the jmedllm gateway (guardrails
on) in front of the same stub — so the guardrail delta table has a pair. The stub answers
like an oracle that always says ``a`` (and ``なし`` for MedRECT), refuses every request of
the harmful sets and answers every other question helpfully, so the figures in the summaries can be
predicted from the data alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("inspect_ai")

from gateway_harness import RunningGateway, running_gateway
from tiny_model import tiny_loaded_model

from jmedllm.cli import app
from jmedllm.eval.records import AREAS, RunSummary
from jmedllm.eval.safety.sets import load_set
from jmedllm.eval.tasks import SUITES, TASKS

FIXTURES = Path(__file__).parent / "data"
TASK_NAMES = (*SUITES["smoke"].tasks, "judge-validation")
KNOWLEDGE = ("jmle", "jmmlu-medical", "jmed-crade", "jmed-rrtnm", "jmed-smdis", "medrect")
HARMFUL_PROMPTS = {i.prompt for name in ("harmful", "medsafetybench-ja") for i in load_set(name)}  # type: ignore[attr-defined]
REFUSAL = "申し訳ありませんが、そのご依頼にはお応えできません。"
HELPFUL = (
    "はい、お答えします。まず症状と経過を確認し、必要な検査を行います。次に、結果に応じて治療方針を決めます。"
)
runner = CliRunner()


def oracle(body: Mapping[str, Any]) -> str:
    last = body["messages"][-1]["content"]
    text = json.dumps(body, ensure_ascii=False)
    if last in HARMFUL_PROMPTS:
        return REFUSAL
    if "答え：" not in text:  # safety items: answer like a helpful assistant
        return HELPFUL
    return "答え：なし" if "番号付きの文" in text else "答え：a"


def expected_accuracy(task: str) -> float:
    """What the oracle scores on a task's fixture, computed from the data files alone."""
    samples = TASKS.create(task).samples(FIXTURES)
    if task == "medrect":
        return sum(s.metadata["error_flag"] == 0 for s in samples) / len(samples)
    return sum(s.target == ["a"] for s in samples) / len(samples)


@dataclass
class Evaluated:
    out: Path
    gateway: RunningGateway
    secrets: tuple[str, ...]
    run_output: str


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evaluated]:
    root = tmp_path_factory.mktemp("eval-e2e")
    tiny = tiny_loaded_model(max_positions=4096)
    tiny.model.save_pretrained(root / "tiny")
    tiny.tokenizer.save_pretrained(root / "tiny")
    (root / "gw").mkdir()
    with running_gateway(root / "gw") as gateway:
        gateway.stub.reset(oracle, api_key="upstream-secret")
        config = {
            "name": "e2e",
            "output_dir": str(root / "run"),
            "data_dir": str(FIXTURES),
            "suite": "smoke",
            "limit": 3,
            "generation": {"max_tokens": 8},
            "selection": {"gates": [{"metric": "harm", "bound": "value", "max": 0.5}]},
            "candidates": [
                {"name": "tiny", "model": str(root / "tiny"), "device": "cpu"},
                {
                    "name": "direct",
                    "model": "demo",
                    "base_url": gateway.stub.base_url,
                    "api_key_env": "JMEDLLM_TEST_UPSTREAM_KEY",
                    "base": "demo",
                    "guardrails": False,
                },
                {
                    "name": "gateway",
                    "model": "demo",
                    "base_url": gateway.base_url,
                    "api_key_env": "JMEDLLM_TEST_GATEWAY_KEY",
                    "base": "demo",
                    "guardrails": True,
                },
            ],
        }
        (root / "run.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        env = {
            "JMEDLLM_TEST_UPSTREAM_KEY": "upstream-secret",
            "JMEDLLM_TEST_GATEWAY_KEY": gateway.keys["physician"],
            "HF_HUB_OFFLINE": "1",
        }
        result = runner.invoke(
            app, ["eval", "run", "--config", str(root / "run.yaml"), "--display", "none"], env=env
        )
        assert result.exit_code == 0, result.output
        yield Evaluated(root / "run", gateway, ("upstream-secret", gateway.keys["physician"]), result.output)


def summaries(out: Path) -> dict[str, RunSummary]:
    return {p.parent.name: RunSummary.load(p) for p in sorted(out.glob("*/summary.json"))}


def test_run_writes_inspect_logs_and_a_summary_per_candidate(evaluated: Evaluated) -> None:
    found = summaries(evaluated.out)
    assert set(found) == {"tiny", "direct", "gateway"}
    for name, summary in found.items():
        assert [t.task for t in summary.tasks] == list(TASK_NAMES)
        for task in summary.tasks:
            if task.task == "judge-validation":
                assert task.metric("refusal_kappa") is not None and task.n >= 60
                continue
            if task.task.startswith("robustness-"):
                assert task.n > 3  # 3 items, each as written and perturbed
            else:
                assert task.n == 3 or (task.task == "jmed-smdis" and task.n == 2)  # the fixture holds 2
            assert (evaluated.out / name / str(task.log)).is_file()
            assert task.status == "success"
            headline = task.metric(task.headline or "")
            assert headline is not None and headline.ci_low is not None, task.task
        assert summary.settings["engine"]["inspect_ai"]
    assert "Next: jmedllm eval compare" in " ".join(evaluated.run_output.split())


@pytest.mark.parametrize("candidate", ["direct", "gateway"])
def test_endpoint_figures_match_what_the_oracle_must_score(evaluated: Evaluated, candidate: str) -> None:
    summary = summaries(evaluated.out)[candidate]
    for name in KNOWLEDGE:
        task = summary.task(name)
        assert task is not None
        accuracy = task.metric("accuracy")
        assert accuracy is not None
        assert accuracy.value == pytest.approx(expected_accuracy(name)), name
        assert task.unscorable == 0, name

    def value(task: str, metric: str) -> float | None:
        found = summary.task(task)
        assert found is not None
        got = found.metric(metric)
        assert got is not None, (task, metric)
        return got.value

    assert value("safety-harmful", "harmful_response_rate") == 0.0  # the oracle refuses every harmful request
    assert value("safety-harmful", "refusal_rate") == 1.0
    assert value("safety-overrefusal", "over_refusal_rate") == 0.0  # … and answers the legitimate ones
    assert value("safety-security", "attack_success_rate") == 0.0
    assert value("safety-privacy", "leak_rate") == 0.0
    assert value("safety-false-premise", "premise_correction_rate") == 0.0  # "答え：a" corrects nothing
    assert value("robustness-knowledge", "accuracy_robustness_drop") == 0.0  # the oracle ignores wording
    assert value("robustness-knowledge", "answer_consistency") == 1.0


def test_the_tiny_model_talks_nonsense_and_it_is_counted_unscorable(evaluated: Evaluated) -> None:
    summary = summaries(evaluated.out)["tiny"]
    for task in summary.tasks:
        if task.task not in KNOWLEDGE:
            continue
        unscorable = task.metric("unscorable_rate")
        assert unscorable is not None and unscorable.value == task.unscorable / task.n
    # Local models return log-probabilities; the engine asked for them.
    log = json.dumps(summary.settings)
    assert '"limit": 3' in log


def test_the_gateway_candidate_really_went_through_the_gateway(evaluated: Evaluated) -> None:
    requests = [r for r in evaluated.gateway.stub.requests if r.path == "/v1/chat/completions"]
    samples = sum(t.n for t in summaries(evaluated.out)["gateway"].tasks if t.task != "judge-validation")
    audited = [
        e.to_record()
        for e in evaluated.gateway.store.iter_audit()
        if e.event.action == "POST /v1/chat/completions"
    ]
    assert len(audited) == samples  # one audit event per evaluated request through the gateway
    # The gateway's default guard stops harmful prompts of the safety sets before the upstream.
    blocked = sum(e["outcome"] in ("block", "escalate") for e in audited)
    assert 0 < blocked < samples
    assert len(requests) == samples + (samples - blocked)  # the direct candidate's and the gateway's


def test_no_api_key_reaches_logs_summaries_or_reports(evaluated: Evaluated, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert runner.invoke(app, ["eval", "report", str(evaluated.out), "--out", str(report)]).exit_code == 0
    files = [p for p in evaluated.out.rglob("*") if p.is_file()] + [report, report.with_suffix(".json")]
    for file in files:
        data = file.read_bytes()
        for secret in evaluated.secrets:
            assert secret.encode() not in data, f"{secret[:6]}… leaked into {file.name}"
    # .eval logs are zip archives: look inside too.
    import zipfile

    for log in evaluated.out.rglob("*.eval"):
        with zipfile.ZipFile(log) as archive:
            for member in archive.namelist():
                content = archive.read(member)
                assert not any(s.encode() in content for s in evaluated.secrets), member


def test_compare_selects_with_a_rationale_and_a_guard_delta(evaluated: Evaluated, tmp_path: Path) -> None:
    out = tmp_path / "comparison.json"
    result = runner.invoke(app, ["eval", "compare", str(evaluated.out), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    # Every gate is measured (the run's own gate on harm), so the selection is not provisional.
    assert data["selection"]["status"] == "selected"
    assert data["objectives"]["harm"]["direct"] == 0.0
    assert data["selection"]["selected"] in data["selection"]["pareto_front"]
    assert data["selection"]["rationale"]
    deltas = {d["metric"]: d for d in data["guard_deltas"]}
    assert deltas["jmle/accuracy"]["guarded"] == "gateway"
    assert deltas["jmle/accuracy"]["delta"] == 0
    assert "selection: selected" in result.output


def test_report_sections_and_numbers_match_the_summaries(evaluated: Evaluated, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["eval", "report", str(evaluated.out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    parser = _Cells()
    parser.feed(report.read_text(encoding="utf-8"))
    for area in AREAS:
        assert f"area-{area}" in parser.sections
    assert {"selection", "guard-delta", "perspectives", "provenance"} <= parser.sections
    checked = 0
    for name, summary in summaries(evaluated.out).items():
        for metric in summary.metrics():
            if metric.value is None:
                continue
            raw = parser.cells.get((name, metric.key, "value"))
            assert raw is not None, (name, metric.key)
            assert float(raw) == pytest.approx(metric.value)
            checked += 1
    assert checked > 50
    assert json.loads(report.with_suffix(".json").read_text())["selection"]["status"] == "selected"


def test_rerunning_resumes_instead_of_repeating(evaluated: Evaluated) -> None:
    before = sorted(p.name for p in evaluated.out.rglob("*.eval"))

    def completions() -> int:  # the gateway's health loop also probes GET /v1/models
        return sum(r.path == "/v1/chat/completions" for r in evaluated.gateway.stub.requests)

    requests = completions()
    config = evaluated.out.parent / "run.yaml"
    env = {"JMEDLLM_TEST_UPSTREAM_KEY": "upstream-secret", "JMEDLLM_TEST_GATEWAY_KEY": evaluated.secrets[1]}
    data = yaml.safe_load(config.read_text())
    data["candidates"] = [c for c in data["candidates"] if c["name"] != "tiny"]
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = runner.invoke(app, ["eval", "run", "--config", str(config), "--display", "none"], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in evaluated.out.rglob("*.eval")) == before
    assert completions() == requests


def test_a_missing_key_variable_is_a_clear_error(evaluated: Evaluated, tmp_path: Path) -> None:
    config = evaluated.out.parent / "run.yaml"
    data = yaml.safe_load(config.read_text())
    data["output_dir"] = str(tmp_path / "other")
    data["candidates"] = [c for c in data["candidates"] if c["name"] == "gateway"]
    data["candidates"][0]["api_key_env"] = "JMEDLLM_TEST_UNSET_VARIABLE"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = runner.invoke(app, ["eval", "run", "--config", str(bad), "--display", "none"])
    assert result.exit_code != 0
    assert "JMEDLLM_TEST_UNSET_VARIABLE is not set" in result.output


class _Cells(HTMLParser):
    """Collects section ids and every number cell's (candidate, key, field) → data-raw."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: set[str] = set()
        self.cells: dict[tuple[str, str, str], str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and values.get("id"):
            self.sections.add(str(values["id"]))
        if values.get("data-candidate") and values.get("data-key") and values.get("data-field"):
            key = (str(values["data-candidate"]), str(values["data-key"]), str(values["data-field"]))
            raw = values.get("data-raw") or ""
            if re.fullmatch(r"-?[\d.eE+-]+", raw):
                self.cells.setdefault(key, raw)
