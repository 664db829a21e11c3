"""What an evaluation produces: per-candidate summaries and the comparison across them.

Inspect writes the full logs (every prompt, reply and score); jmedllm reads them once
and keeps what decisions need in plain JSON records:

* :class:`RunSummary` — one candidate's run: for each task, its metrics as
  :class:`MetricValue` (value, 95 % CI, n, unscorable rate), written as
  ``<run>/<candidate>/summary.json``;
* :class:`Comparison` — candidates side by side, the hard gates, the Pareto front, the
  selection with its written rationale and the guardrail delta table
  (``comparison.json``), built by :mod:`jmedllm.eval.compare`.

Both are light (no Inspect, no torch) so ``compare`` and ``report`` run anywhere the
JSON files are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from jmedllm.core.errors import InputFileError

__all__ = [
    "AISI_PERSPECTIVES",
    "AREAS",
    "OBJECTIVES",
    "CandidateInfo",
    "Comparison",
    "GateResult",
    "GuardDelta",
    "MetricValue",
    "RunSummary",
    "Selection",
    "TaskSummary",
]

SUMMARY_SCHEMA = "jmedllm.eval.summary/1"
COMPARISON_SCHEMA = "jmedllm.eval.comparison/1"

#: The four safety areas the call requires, in report order (key → heading).
AREAS: dict[str, str] = {
    "harmful_false_output": "Harmful and false output (有害・偽誤情報の出力制御)",
    "privacy": "Privacy (プライバシー保護)",
    "security": "Security (セキュリティ確保)",
    "robustness": "Robustness (ロバスト性)",
}

#: Japan AISI's evaluation perspectives (AIセーフティに関する評価観点ガイド, REFERENCE §3).
AISI_PERSPECTIVES: tuple[str, ...] = (
    "有害情報の出力制御",
    "偽誤情報の出力・誘導の防止",
    "公平性と包摂性",
    "ハイリスク利用・目的外利用への対処",
    "プライバシー保護",
    "セキュリティ確保",
    "説明可能性",
    "ロバスト性",
    "データ品質",
    "検証可能性",
)

#: The selection objectives (REFERENCE §3: Pareto front over harm, over-refusal, knowledge).
OBJECTIVES: dict[str, str] = {
    "harm": "harmful-response rate (lower is better)",
    "over_refusal": "over-refusal rate (lower is better)",
    "knowledge": "medical knowledge accuracy (higher is better)",
}

Objective = Literal["harm", "over_refusal", "knowledge"]


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric of one task for one candidate.

    ``value`` is None when nothing could be measured (no scorable item); ``ci_low`` /
    ``ci_high`` bound the 95 % interval (Wilson for proportions, bootstrap otherwise)
    and are None for metrics without one. ``higher_is_better`` is None for descriptive
    figures (e.g. the number of points available).
    """

    task: str
    metric: str
    value: float | None
    n: int
    ci_low: float | None = None
    ci_high: float | None = None
    higher_is_better: bool | None = True
    label: str = ""

    @property
    def key(self) -> str:
        return f"{self.task}/{self.metric}"

    def bound(self, which: Literal["value", "ci_low", "ci_high"]) -> float | None:
        return self.value if which == "value" else getattr(self, which)


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """One task of one run: its metrics, how many items, how many were unscorable."""

    task: str
    version: str
    area: str
    perspectives: tuple[str, ...]
    n: int
    unscorable: int
    metrics: tuple[MetricValue, ...]
    objective: Objective | None = None
    """Which selection objective this task's ``headline`` metric feeds, if any."""
    headline: str | None = None
    """The metric that stands for this task in comparisons (e.g. ``accuracy``)."""
    log: str | None = None
    """The Inspect log, relative to the summary file."""
    status: str = "success"
    dataset: str | None = None
    """Where the items come from and under which licence (the attribution to keep)."""

    @property
    def unscorable_rate(self) -> float | None:
        return self.unscorable / self.n if self.n else None

    def metric(self, name: str) -> MetricValue | None:
        return next((m for m in self.metrics if m.metric == name), None)


@dataclass(frozen=True, slots=True)
class CandidateInfo:
    """Which candidate a summary belongs to (never its API key)."""

    name: str
    kind: str
    model: str
    base: str
    """The underlying model, shared by runs of it with and without guardrails."""
    guardrails: bool | None = None
    """True when replies passed through the gateway's guardrails, False when not, None if unknown."""
    base_url: str | None = None


@dataclass(slots=True)
class RunSummary:
    """One candidate's evaluation run (``summary.json``)."""

    candidate: CandidateInfo
    run: str
    created: str
    tasks: list[TaskSummary] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    """What shaped the numbers: suite, limits, generation config, engine versions."""
    path: Path | None = None
    """Where the summary was read from (not serialised)."""

    def task(self, name: str) -> TaskSummary | None:
        return next((t for t in self.tasks if t.task == name), None)

    def metrics(self) -> Iterable[MetricValue]:
        for task in self.tasks:
            yield from task.metrics

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SUMMARY_SCHEMA,
            "candidate": asdict(self.candidate),
            "run": self.run,
            "created": self.created,
            "settings": self.settings,
            "tasks": [
                {
                    **{k: v for k, v in asdict(t).items() if k != "metrics"},
                    "perspectives": list(t.perspectives),
                    "unscorable_rate": t.unscorable_rate,
                    "metrics": [asdict(m) for m in t.metrics],
                }
                for t in self.tasks
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path | None = None) -> RunSummary:
        where = str(path) if path else "summary"
        if data.get("schema") != SUMMARY_SCHEMA:
            raise InputFileError(
                f"{where} is not a jmedllm evaluation summary (schema {data.get('schema')!r})",
                hint=f"expected schema {SUMMARY_SCHEMA!r}, written by `jmedllm eval run`",
            )
        try:
            tasks = [
                TaskSummary(
                    task=t["task"],
                    version=str(t["version"]),
                    area=t["area"],
                    perspectives=tuple(t.get("perspectives", ())),
                    n=int(t["n"]),
                    unscorable=int(t["unscorable"]),
                    metrics=tuple(MetricValue(**m) for m in t["metrics"]),
                    objective=t.get("objective"),
                    headline=t.get("headline"),
                    log=t.get("log"),
                    status=t.get("status", "success"),
                    dataset=t.get("dataset"),
                )
                for t in data["tasks"]
            ]
            return cls(
                candidate=CandidateInfo(**data["candidate"]),
                run=data["run"],
                created=data["created"],
                tasks=tasks,
                settings=dict(data.get("settings", {})),
                path=path,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(f"{where} is malformed: {exc}") from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> RunSummary:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputFileError(f"cannot read {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path} is not JSON (line {exc.lineno})") from None
        return cls.from_dict(data, path)


@dataclass(frozen=True, slots=True)
class GateResult:
    """One hard gate applied to one candidate: passed, failed, or not measured."""

    gate: str
    """The gate as written, e.g. ``harmful/harmful_response_rate ci_high <= 0.05``."""
    candidate: str
    status: Literal["pass", "fail", "not_measured"]
    observed: float | None


@dataclass(frozen=True, slots=True)
class Selection:
    """The outcome of selection and the reasons, in sentences a reviewer can check."""

    status: Literal["selected", "provisional", "none"]
    """``provisional``: a winner exists but some gate could not be measured."""
    selected: str | None
    pareto_front: tuple[str, ...]
    deciding_metrics: tuple[str, ...]
    rationale: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GuardDelta:
    """One metric of one base model, with guardrails minus without."""

    base: str
    metric: str
    """``task/metric``."""
    guarded: str
    unguarded: str
    value_guarded: float | None
    value_unguarded: float | None

    @property
    def delta(self) -> float | None:
        if self.value_guarded is None or self.value_unguarded is None:
            return None
        return self.value_guarded - self.value_unguarded


@dataclass(slots=True)
class Comparison:
    """Candidates side by side, gates, Pareto front, selection, guardrail deltas."""

    candidates: list[RunSummary]
    objectives: dict[str, dict[str, float | None]]
    """Objective → candidate → value (None: not measured)."""
    gates: list[GateResult]
    selection: Selection
    guard_deltas: list[GuardDelta]
    created: str

    def to_dict(self) -> dict[str, Any]:
        rows: dict[str, dict[str, Any]] = {}
        for summary in self.candidates:
            for m in summary.metrics():
                row = rows.setdefault(
                    m.key,
                    {
                        "task": m.task,
                        "metric": m.metric,
                        "label": m.label,
                        "higher_is_better": m.higher_is_better,
                        "values": {},
                    },
                )
                row["values"][summary.candidate.name] = {
                    "value": m.value,
                    "ci_low": m.ci_low,
                    "ci_high": m.ci_high,
                    "n": m.n,
                }
        return {
            "schema": COMPARISON_SCHEMA,
            "created": self.created,
            "candidates": [
                {**asdict(s.candidate), "summary": str(s.path) if s.path else None} for s in self.candidates
            ],
            "table": list(rows.values()),
            "objectives": self.objectives,
            "gates": [asdict(g) for g in self.gates],
            "selection": {
                **asdict(self.selection),
                "pareto_front": list(self.selection.pareto_front),
                "deciding_metrics": list(self.selection.deciding_metrics),
                "rationale": list(self.selection.rationale),
            },
            "guard_deltas": [{**asdict(d), "delta": d.delta} for d in self.guard_deltas],
        }
