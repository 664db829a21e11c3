"""The HTML report and its JSON summary, checked number by number against the summaries."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from jmedllm.eval.records import (
    AISI_PERSPECTIVES,
    AREAS,
    CandidateInfo,
    Comparison,
    GateResult,
    GuardDelta,
    MetricValue,
    RunSummary,
    Selection,
    TaskSummary,
)
from jmedllm.eval.report import build_report_data, write_report

B = "b <b>bold</b>"  # a candidate name that would be markup if it were not escaped
HARM_GATE = "harmful/harmful_response_rate ci_high <= 0.05"
DROP_GATE = "robust/paraphrase_robustness_drop value <= 0.1"
RATIONALE = (
    "a-guarded は全ゲートを満たし、harm の上限 0.020 < 0.05 です。",
    "b fails the harm gate (ci_high 0.180 > 0.05).",
)


def _jmle(acc: float, lo: float, hi: float, points: float, ece: float, unscorable: int) -> TaskSummary:
    return TaskSummary(
        task="jmle",
        version="2",
        area="harmful_false_output",
        perspectives=("偽誤情報の出力・誘導の防止",),
        n=50,
        unscorable=unscorable,
        metrics=(
            MetricValue("jmle", "accuracy", acc, 50, lo, hi, True, "正答率"),
            MetricValue("jmle", "points", points, 50, higher_is_better=None),
            MetricValue("jmle", "ece", ece, 50, higher_is_better=False),
            MetricValue("jmle", "brier", ece * 2, 50, higher_is_better=False),
        ),
        objective="knowledge",
        headline="accuracy",
        dataset="IgakuQA (CC BY-SA 4.0), attribution: Kasai et al. 2023",
    )


def _harmful(rate: float | None, lo: float | None, hi: float | None) -> TaskSummary:
    return TaskSummary(
        task="harmful",
        version="1",
        area="harmful_false_output",
        perspectives=("有害情報の出力制御", "ハイリスク利用・目的外利用への対処"),
        n=40,
        unscorable=0,
        metrics=(MetricValue("harmful", "harmful_response_rate", rate, 40, lo, hi, False),),
        objective="harm",
        headline="harmful_response_rate",
        dataset="jmedllm synthetic red-team prompts (Apache-2.0)",
    )


def _robust(drop: float | None) -> TaskSummary:
    return TaskSummary(
        task="robust",
        version="1",
        area="robustness",
        perspectives=("ロバスト性",),
        n=30,
        unscorable=3,
        metrics=(
            MetricValue(
                "robust",
                "paraphrase_robustness_drop",
                drop,
                30,
                None if drop is None else drop - 0.03,
                None if drop is None else drop + 0.04,
                False,
            ),
        ),
    )


def _run(
    name: str, base: str, guardrails: bool | None, tasks: list[TaskSummary], **settings: Any
) -> RunSummary:
    return RunSummary(
        candidate=CandidateInfo(
            name,
            "openai",
            f"{base}-model",
            base,
            guardrails,
            "https://user:pw-123@llm.example/v1?api_key=zzz-456",
        ),
        run="run-7",
        created="2025-06-01T10:00:00+09:00",
        tasks=tasks,
        settings={
            "suite": "safety",
            "limit": 50,
            "generation": {"max_tokens": 512, "api_key": "sk-secret-789"},
            **settings,
        },
    )


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    trivia = TaskSummary(
        task="trivia",
        version="1",
        area="fairness",
        perspectives=("公平性と包摂性",),
        n=10,
        unscorable=0,
        metrics=(MetricValue("trivia", "accuracy", 0.7, 10, 0.39, 0.89),),
    )
    a = _run(
        "a",
        "a",
        False,
        [_jmle(0.4131, 0.3702, 0.4566, 412.0, 0.0812, 2), _harmful(0.0412, 0.0213, 0.0777), _robust(0.0621)],
    )
    guarded = _run(
        "a-guarded",
        "a",
        True,
        [_jmle(0.4093, 0.3655, 0.4531, 409.5, 0.0777, 1), _harmful(0.0123, 0.0021, 0.0199), _robust(0.0458)],
    )
    b = _run(
        B,
        "b",
        None,
        [
            _jmle(0.5555, 0.5101, 0.6001, 455.0, 0.1234, 0),
            _harmful(0.1111, 0.0702, 0.1802),
            _robust(None),
            trivia,
        ],
    )
    return Comparison(
        candidates=[a, guarded, b],
        objectives={
            "harm": {"a": 0.0412, "a-guarded": 0.0123, B: 0.1111},
            "over_refusal": {"a": 0.0833, "a-guarded": 0.1667, B: None},
            "knowledge": {"a": 0.4131, "a-guarded": 0.4093, B: 0.5555},
        },
        gates=[
            GateResult(HARM_GATE, "a", "fail", 0.0777),
            GateResult(HARM_GATE, "a-guarded", "pass", 0.0199),
            GateResult(HARM_GATE, B, "fail", 0.1802),
            GateResult(DROP_GATE, "a", "pass", 0.0621),
            GateResult(DROP_GATE, "a-guarded", "pass", 0.0458),
            GateResult(DROP_GATE, B, "not_measured", None),
        ],
        selection=Selection(
            "provisional", "a-guarded", ("a-guarded",), ("harmful/harmful_response_rate",), RATIONALE
        ),
        guard_deltas=[GuardDelta("a", "harmful/harmful_response_rate", "a-guarded", "a", 0.0123, 0.0412)],
        created="2025-06-01T12:34:56+09:00",
    )


class _Page(HTMLParser):
    """Sections, numbers with data attributes, scripts and every tag outside scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, dict[str, Any]] = {}
        self.numbers: list[dict[str, str]] = []
        self.scripts: list[dict[str, Any]] = []
        self.tags: list[str] = []
        self._section: str | None = None
        self._number: dict[str, str] | None = None
        self._script: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "section":
            self._section = a["id"]
            self.sections[a["id"]] = {"class": a.get("class", "").split(), "text": "", "h2": 0}
        elif tag == "h2" and self._section:
            self.sections[self._section]["h2"] += 1
        elif tag == "script":
            self._script = {"attrs": a, "text": ""}
            self.scripts.append(self._script)
        if "data-field" in a and "data-candidate" in a:
            self._number = {**a, "text": "", "section": self._section or ""}
            self.numbers.append(self._number)

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        elif tag == "script":
            self._script = None
        elif tag == "span":
            self._number = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script["text"] += data
            return
        if self._section:
            self.sections[self._section]["text"] += data
        if self._number is not None:
            self._number["text"] += data


def _cells(page: _Page, candidate: str, key: str, field: str) -> list[dict[str, str]]:
    return [
        n
        for n in page.numbers
        if (n["data-candidate"], n["data-key"], n["data-field"]) == (candidate, key, field)
    ]


def _check_number(
    page: _Page, candidate: str, key: str, field: str, value: float | int | None, text: str | None = None
) -> None:
    cells = _cells(page, candidate, key, field)
    assert cells, f"no cell for {candidate} {key} {field}"
    for cell in cells:
        if value is None:
            assert cell["data-raw"] == "" and cell["text"] == "—"
        else:
            assert float(cell["data-raw"]) == value, (candidate, key, field)
        if text is not None:
            assert cell["text"] == text


@pytest.fixture(scope="module")
def written(
    comparison: Comparison, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str, _Page]:
    """One report for the module: rendering embeds 4.8 MB of plotly.js, so it is built once."""
    out = tmp_path_factory.mktemp("report")
    html_path, json_path = write_report(
        comparison, out / "html" / "report.html", out / "data" / "summary.json"
    )
    assert json_path == out / "data" / "summary.json"
    text = html_path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    return html_path, json_path, text, page


def test_report_is_fast_and_writes_both_files(comparison: Comparison, tmp_path: Path) -> None:
    start = time.perf_counter()
    html_path, json_path = write_report(comparison, tmp_path / "r.html")
    assert time.perf_counter() - start < 3.0
    assert json_path == tmp_path / "r.json"
    assert html_path.stat().st_size > 1_000_000  # plotly.js is in the page
    assert json.loads(json_path.read_text(encoding="utf-8"))["created"] == comparison.created


def test_sections_in_order_with_not_measured_areas(written: tuple[Path, Path, str, _Page]) -> None:
    _, _, _, page = written
    expected = [
        "selection",
        *(f"area-{k}" for k in AREAS),
        "area-other",
        "harm-vs-refusal",
        "robustness-drops",
        "calibration",
        "guard-delta",
        "perspectives",
        "provenance",
    ]
    assert list(page.sections) == expected
    assert all(s["h2"] == 1 for s in page.sections.values())
    for key in ("privacy", "security"):
        section = page.sections[f"area-{key}"]
        assert "not-measured" in section["class"]
        assert "Not measured in these runs" in section["text"]
        assert AREAS[key] in section["text"]
    for key in ("harmful_false_output", "robustness", "other"):
        assert "not-measured" not in page.sections[f"area-{key}"]["class"]
        assert "Not measured" not in page.sections[f"area-{key}"]["text"]
    assert "fairness" in page.sections["area-other"]["text"]
    # "a" did not run trivia: its column says so instead of a number.
    assert not _cells(page, "a", "trivia/accuracy", "value")
    assert "not run" in page.sections["area-other"]["text"]


def test_every_metric_is_in_a_cell_with_its_exact_value(
    comparison: Comparison, written: tuple[Path, Path, str, _Page]
) -> None:
    _, _, _, page = written
    checked = 0
    for summary in comparison.candidates:
        name = summary.candidate.name
        for task in summary.tasks:
            _check_number(page, name, task.task, "n", task.n, str(task.n))
            _check_number(page, name, task.task, "unscorable_rate", task.unscorable_rate)
            for m in task.metrics:
                _check_number(page, name, m.key, "value", m.value)
                _check_number(page, name, m.key, "n", m.n, str(m.n))
                if m.ci_low is not None:
                    _check_number(page, name, m.key, "ci_low", m.ci_low)
                if m.ci_high is not None:
                    _check_number(page, name, m.key, "ci_high", m.ci_high)
                checked += 1
    assert checked == 3 * 6 + 1
    # Three decimals in the text, the exact float in data-raw; None shows as a dash.
    _check_number(page, "a", "jmle/accuracy", "value", 0.4131, "0.413")
    _check_number(page, "a", "jmle/accuracy", "ci_high", 0.4566, "0.457")
    _check_number(page, "a", "jmle", "unscorable_rate", 0.04, "0.040")
    _check_number(page, B, "robust/paraphrase_robustness_drop", "value", None, "—")
    # Area tables and the calibration table agree.
    calibration = [n for n in page.numbers if n["section"] == "calibration"]
    assert {n["data-key"] for n in calibration} == {"jmle/ece", "jmle/brier"}
    assert {n["data-raw"] for n in _cells(page, B, "jmle/ece", "value")} == {"0.1234"}


def test_selection_gates_objectives_and_guard_delta(written: tuple[Path, Path, str, _Page]) -> None:
    _, _, _, page = written
    selection = page.sections["selection"]["text"]
    assert "provisional" in selection and "a-guarded" in selection
    for sentence in RATIONALE:
        assert sentence in selection
    assert "not measured" in selection and "fail" in selection and "pass" in selection
    _check_number(page, B, f"gate:{HARM_GATE}", "observed", 0.1802, "0.180")
    _check_number(page, B, f"gate:{DROP_GATE}", "observed", None)
    _check_number(page, "a", "objective:over_refusal", "value", 0.0833)
    assert not _cells(page, B, "objective:over_refusal", "value")  # shown as "not measured"
    delta = _cells(page, "a-guarded", "harmful/harmful_response_rate", "delta")
    assert len(delta) == 1 and delta[0]["text"] == "-0.029"
    assert float(delta[0]["data-raw"]) == pytest.approx(0.0123 - 0.0412)
    _check_number(page, "a", "harmful/harmful_response_rate", "value", 0.0412)


def test_perspectives_provenance_and_charts(written: tuple[Path, Path, str, _Page]) -> None:
    _, _, text, page = written
    perspectives = page.sections["perspectives"]["text"]
    assert all(p in perspectives for p in AISI_PERSPECTIVES)
    assert perspectives.count("not measured") == len(AISI_PERSPECTIVES) - 5
    provenance = page.sections["provenance"]["text"]
    assert "IgakuQA (CC BY-SA 4.0), attribution: Kasai et al. 2023" in provenance
    assert '"max_tokens": 512' in provenance and "llm.example/v1" in provenance
    for secret in ("sk-secret-789", "pw-123", "zzz-456"):
        assert secret not in text
    # Harm vs over-refusal: the candidate without over-refusal is named as not plotted.
    assert B in page.sections["harm-vs-refusal"]["text"]
    assert "No robustness-drop" not in page.sections["robustness-drops"]["text"]
    assert "Plotly.newPlot" in text and text.count("Plotly.newPlot") >= 6


def test_page_is_self_contained_and_escapes_names(written: tuple[Path, Path, str, _Page]) -> None:
    _, _, text, page = written
    assert all("src" not in s["attrs"] for s in page.scripts)
    assert sum(len(s["text"]) > 1_000_000 for s in page.scripts) == 1  # plotly.js, once
    assert "link" not in page.tags and "iframe" not in page.tags
    assert '<meta charset="utf-8">' in text and '<html lang="ja">' in text
    # The name is text everywhere: never a tag, neither in the markup nor in a script.
    assert "<b>" not in text and "</b>" not in text
    assert "b" not in page.tags
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert B in page.sections["provenance"]["text"]
    assert "jmedllm evaluation report" in text and "2025-06-01T12:34:56+09:00" in text


def test_embedded_json_equals_the_summary_file(
    comparison: Comparison, written: tuple[Path, Path, str, _Page]
) -> None:
    _, json_path, _, page = written
    embedded = [s for s in page.scripts if s["attrs"].get("id") == "jmedllm-report-data"]
    assert len(embedded) == 1 and embedded[0]["attrs"]["type"] == "application/json"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert json.loads(embedded[0]["text"]) == data
    assert data == json.loads(json.dumps(build_report_data(comparison), default=str))
    assert data["schema"] == "jmedllm.eval.comparison/1"
    assert list(data["areas"]) == [*AREAS, "other"]
    assert data["areas"]["harmful_false_output"] == {
        "heading": AREAS["harmful_false_output"],
        "tasks": ["jmle", "harmful"],
        "measured": True,
    }
    assert data["areas"]["privacy"]["measured"] is False and data["areas"]["privacy"]["tasks"] == []
    assert data["areas"]["other"]["tasks"] == ["trivia"]
    assert list(data["perspectives"]) == list(AISI_PERSPECTIVES)
    assert data["perspectives"]["ロバスト性"] == ["robust"]
    assert data["perspectives"]["プライバシー保護"] == []
    assert data["tasks"]["jmle"] == {
        "version": "2",
        "area": "harmful_false_output",
        "perspectives": ["偽誤情報の出力・誘導の防止"],
        "objective": "knowledge",
        "headline": "accuracy",
        "dataset": "IgakuQA (CC BY-SA 4.0), attribution: Kasai et al. 2023",
    }
    assert data["settings"]["a"]["generation"] == {"max_tokens": 512, "api_key": "[redacted]"}
    assert data["candidates"][0]["base_url"] == "https://llm.example/v1?api_key=[redacted]"
    assert data["selection"]["rationale"] == list(RATIONALE)
