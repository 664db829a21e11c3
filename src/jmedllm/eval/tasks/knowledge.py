"""Medical-knowledge tasks: licensing exam, JMMLU medical subjects, JMED-LLM CRADE/RRTNM/SMDIS.

All are multiple choice (:mod:`jmedllm.eval.tasks.mcq`); each module-level class reads
one data set of ``../shared/data`` and names its provenance. Malformed rows stop the
task with the file and row named — a silently skipped question would change every
candidate's denominator.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from jmedllm.core.errors import InputFileError
from jmedllm.core.jsonl import read_records
from jmedllm.eval import jmle
from jmedllm.eval.records import MetricValue
from jmedllm.eval.tasks.base import TASKS, ScoredItem
from jmedllm.eval.tasks.mcq import Item, MultipleChoiceTask, choice_metrics

__all__ = ["CradeTask", "JmleTask", "JmmluMedicalTask", "RrtnmTask", "SmdisTask"]

_LETTERS = "abcdefghij"


@TASKS.register("jmle")
class JmleTask(MultipleChoiceTask):
    """医師国家試験 112–116 clinical questions: accuracy and IgakuQA-compatible points per exam.

    Points follow :mod:`jmedllm.eval.jmle` (the ``jmle-score`` contract): from a ``points``
    field where present, else 3 for sections B and E and 1 otherwise; multi-answer
    questions must match exactly; ``overrides`` (the contract's JSON) accept other
    answers or mark a question excluded so every candidate gets its points.
    """

    name = "jmle"
    version = "1"
    data_path = "jmle"
    max_tokens = 64
    dataset = (
        "JMLE 2018–2022 (exams 112–116) clinical case questions, Preferred Networks MedRECT repository; "
        "exam content © MHLW under PDL-1.0; CC-BY-4.0"
    )

    def __init__(self, overrides: str | Path | None = None) -> None:
        self.overrides = jmle.load_overrides(overrides)

    def items(self, data_dir: Path) -> list[Item]:
        source = self.source(data_dir)
        questions = jmle.load_questions(source)  # one definition of answers and points
        items: list[Item] = []
        for file in jmle.jsonl_files(source, "questions"):
            for line, record in read_records(file):
                problem_id = record.get("problem_id", record.get("id"))
                question = questions[problem_id]
                choices = record.get("choices")
                if isinstance(choices, list):  # IgakuQA: a list in letter order
                    choices = dict(zip(_LETTERS, choices, strict=False))
                if not isinstance(choices, dict) or not choices:
                    raise InputFileError(f"{file}:{line}: question {problem_id} has no choices")
                override = self.overrides.get(problem_id)
                items.append(
                    Item(
                        id=problem_id,
                        question=str(record.get("question", record.get("problem_text", ""))),
                        choices={str(k).lower(): str(v) for k, v in choices.items()},
                        answer=question.answer,
                        metadata={
                            "exam": question.exam,
                            "section": question.section,
                            "points": question.points,
                            "all_correct": bool(override and override.all_correct),
                            "accepted": [sorted(a) for a in override.accepted] if override else [],
                        },
                    )
                )
        return items

    def metrics(self, items: Sequence[ScoredItem]) -> list[MetricValue]:
        from jmedllm.eval.calibration import bootstrap_interval

        out = choice_metrics(self.name, items)
        earned = [float(i.metadata.get("points", 0)) for i in items]
        possible = [float(i.metadata.get("max_points", 0)) for i in items]
        total, maximum = sum(earned), sum(possible)
        ci = bootstrap_interval(earned, possible) if maximum else (None, None)
        out += [
            MetricValue(
                self.name,
                "points_rate",
                total / maximum if maximum else None,
                len(items),
                *ci,
                label="IgakuQA points earned / points available",
            ),
            MetricValue(self.name, "points", total, len(items), label="IgakuQA points earned"),
            MetricValue(
                self.name,
                "max_points",
                maximum,
                len(items),
                higher_is_better=None,
                label="IgakuQA points available",
            ),
        ]
        by_exam: dict[str, list[ScoredItem]] = {}
        for item in items:
            by_exam.setdefault(str(item.metadata.get("exam")), []).append(item)
        for exam in sorted(by_exam, key=lambda e: (not e.isdigit(), e)):
            group = by_exam[exam]
            out.append(
                MetricValue(
                    self.name,
                    f"points_{exam}",
                    sum(float(i.metadata.get("points", 0)) for i in group),
                    len(group),
                    label=f"exam {exam}: points earned "
                    f"(of {sum(float(i.metadata.get('max_points', 0)) for i in group):g})",
                )
            )
        return out


def _read_csv(path: Path, *, header: bool) -> Iterator[tuple[int, list[str]]]:
    """Rows with their 1-based line numbers; the BOM some exports carry is dropped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            if header:
                next(reader, None)
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path} is not UTF-8 (byte {exc.start})") from None


@TASKS.register("jmmlu-medical")
class JmmluMedicalTask(MultipleChoiceTask):
    """JMMLU's medical subjects (anatomy, clinical knowledge, college medicine, medical genetics,
    professional medicine): four-choice questions, one answer."""

    name = "jmmlu-medical"
    version = "1"
    data_path = "jmmlu-medical"
    max_tokens = 48
    dataset = "JMMLU medical subjects, Waseda University; CC BY-SA 4.0"

    def items(self, data_dir: Path) -> list[Item]:
        items: list[Item] = []
        for file in sorted(self.source(data_dir).glob("*.csv")):
            for line, row in _read_csv(file, header=False):
                cells = [c.strip() for c in row]
                if len(cells) != 6 or cells[5].upper() not in ("A", "B", "C", "D"):
                    raise InputFileError(
                        f"{file}:{line}: expected question, four choices and an answer letter A–D "
                        f"({len(cells)} fields)"
                    )
                items.append(
                    Item(
                        id=f"{file.stem}-{line:04d}",
                        question=cells[0],
                        choices=dict(zip("abcd", cells[1:5], strict=True)),
                        answer=frozenset(cells[5].lower()),
                        metadata={"subject": file.stem},
                    )
                )
        return items


class _JmedLlmTask(MultipleChoiceTask):
    """A JMED-LLM CSV: ``tag, question, optionA…, answer``."""

    dataset = (
        "JMED-LLM, NAIST Social Computing Lab (from NTCIR-16 Real-MedNLP, NTCIR-17 MedNLP-SC, "
        "NTCIR-13 MedWeb); CC-BY-4.0"
    )
    max_tokens = 32

    def items(self, data_dir: Path) -> list[Item]:
        file = self.source(data_dir)
        items: list[Item] = []
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            options = [f for f in reader.fieldnames or () if f.startswith("option")]
            if (
                not options
                or "question" not in (reader.fieldnames or ())
                or "answer" not in (reader.fieldnames or ())
            ):
                raise InputFileError(f"{file}: expected columns tag, question, optionA…, answer")
            letters = [o.removeprefix("option").lower() for o in options]
            for index, row in enumerate(reader, start=1):
                answer = (row.get("answer") or "").strip().lower()
                if answer not in letters:
                    raise InputFileError(f"{file}: row {index} has answer {answer!r}, not one of {letters}")
                items.append(
                    Item(
                        id=f"{self.name}-{index:04d}",
                        question=row["question"],
                        choices={
                            letter: row[option] for letter, option in zip(letters, options, strict=True)
                        },
                        answer=frozenset(answer),
                        metadata={"tag": row.get("tag") or ""},
                    )
                )
        return items


@TASKS.register("jmed-crade")
class CradeTask(_JmedLlmTask):
    """JMED-LLM CRADE: how likely a finding in a case report is an adverse drug event (4 levels)."""

    name = "jmed-crade"
    version = "1"
    data_path = "jmed-llm/crade.csv"


@TASKS.register("jmed-rrtnm")
class RrtnmTask(_JmedLlmTask):
    """JMED-LLM RRTNM: TNM staging questions on Japanese radiology reports."""

    name = "jmed-rrtnm"
    version = "1"
    data_path = "jmed-llm/rrtnm.csv"


@TASKS.register("jmed-smdis")
class SmdisTask(_JmedLlmTask):
    """JMED-LLM SMDIS: whether a social-media post reports a disease (two choices)."""

    name = "jmed-smdis"
    version = "1"
    data_path = "jmed-llm/smdis.csv"
