"""Japanese medical licensing exam (医師国家試験) scoring, compatible with IgakuQA's points.

Questions come in either of two JSONL formats:

* IgakuQA's: ``problem_id``, ``problem_text``, ``choices`` (a list), ``answer`` (a list of
  letters), ``points`` (``"1"``/``"3"`` or an int);
* the JMLE format in ``shared/data/jmle``: ``id``, ``question``, ``choices`` ({a..e}),
  ``answer`` (a list of letters, or one letter).

Points come from ``points`` where present, otherwise from the section: clinical
questions in the 必修 sections B and E are worth 3, every other question 1 (REFERENCE §3;
the shared JMLE file holds clinical case questions only, so the section decides). A
multi-answer question is correct only when the predicted set equals the answer set,
order-free. Per-question overrides accept alternative answers (``accepted``) or mark a
question excluded from marking so that everyone gets its points (``all_correct``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jmedllm.core.errors import InputFileError, JmedllmError
from jmedllm.core.jsonl import read_records

__all__ = [
    "ExamScore",
    "JmleScore",
    "Override",
    "Question",
    "jsonl_files",
    "load_overrides",
    "load_predictions",
    "load_questions",
    "parse_answer",
    "score",
]

_ID = re.compile(r"^(\d+)([A-Z])(\d+)$")
_IGNORED_SUFFIXES = ("_metadata.jsonl", "_translate.jsonl")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Separators between letters of a multi-answer prediction: comma, Japanese comma, space, slash…
_SEPARATORS = re.compile(r"[\s,、，/・;；]+")


class ScoringInputError(JmedllmError):
    """A questions, predictions or overrides file cannot be used as it is."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    exam: str
    section: str
    answer: frozenset[str]
    points: int


@dataclass(frozen=True, slots=True)
class Override:
    """``all_correct``: excluded from marking, everyone scores; ``accepted``: answer sets that also count."""

    all_correct: bool = False
    accepted: tuple[frozenset[str], ...] = ()


@dataclass
class ExamScore:
    points: int = 0
    max_points: int = 0
    correct: int = 0
    n: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max_points": self.max_points, "accuracy": self.accuracy, "n": self.n}


@dataclass
class JmleScore:
    exams: dict[str, ExamScore] = field(default_factory=dict)
    missing_predictions: int = 0
    unknown_predictions: int = 0

    @property
    def n(self) -> int:
        return sum(e.n for e in self.exams.values())

    @property
    def accuracy(self) -> float:
        return sum(e.correct for e in self.exams.values()) / self.n if self.n else 0.0

    @property
    def mean_points(self) -> float:
        return sum(e.points for e in self.exams.values()) / len(self.exams) if self.exams else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON: per exam points, max_points, accuracy, n; then the means."""
        return {
            "exams": {exam: self.exams[exam].to_dict() for exam in sorted(self.exams, key=int)},
            "mean_points": self.mean_points,
            "accuracy": self.accuracy,
            "n": self.n,
        }


def parse_answer(value: Any) -> frozenset[str]:
    """Letters from ``"a,c"``, ``"ａ、ｃ"``, ``["a", "c"]``, ``"C"`` … as a set; empty when none."""
    if value is None:
        return frozenset()
    items: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
    letters: set[str] = set()
    for item in items:
        text = unicodedata.normalize("NFKC", str(item)).strip().lower()
        for part in _SEPARATORS.split(text):
            if part:
                letters.add(part)
    return frozenset(letters)


def _split_id(problem_id: str, where: str) -> tuple[str, str]:
    match = _ID.match(problem_id)
    if match is None:
        raise ScoringInputError(
            f"{where}: question id {problem_id!r} is not like 112A1 (exam number, section letter, number)"
        )
    return match.group(1), match.group(2)


def jsonl_files(path: Path, what: str) -> list[Path]:
    """The JSONL files of a path: the file itself, or every one under a directory (metadata and translations skipped)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.jsonl") if not p.name.endswith(_IGNORED_SUFFIXES))
        if not files:
            raise ScoringInputError(f"no {what} JSONL files in {path}")
        return files
    if not path.is_file():
        raise InputFileError(f"{what} not found: {path}")
    return [path]


def _points(record: Mapping[str, Any], section: str, where: str) -> int:
    raw = record.get("points")
    if raw is None or raw == "":
        return 3 if section in ("B", "E") else 1
    try:
        points = int(str(raw).strip())
    except ValueError:
        raise ScoringInputError(f"{where}: points {raw!r} is not a whole number") from None
    if points < 0:
        raise ScoringInputError(f"{where}: points must not be negative")
    return points


def load_questions(path: str | Path) -> dict[str, Question]:
    """Questions by id from a JSONL file or a directory of them (IgakuQA or JMLE format)."""
    questions: dict[str, Question] = {}
    for file in jsonl_files(Path(path), "questions"):
        for line, record in read_records(file):
            where = f"{file}:{line}"
            problem_id = record.get("problem_id", record.get("id"))
            if not isinstance(problem_id, str):
                raise ScoringInputError(f"{where}: a question needs 'problem_id' (IgakuQA) or 'id' (JMLE)")
            if "answer" not in record:
                raise ScoringInputError(f"{where}: question {problem_id} has no 'answer'")
            exam, section = _split_id(problem_id, where)
            answer = parse_answer(record["answer"])
            if not answer:
                raise ScoringInputError(f"{where}: question {problem_id} has an empty answer")
            if problem_id in questions:
                raise ScoringInputError(f"{where}: question {problem_id} appears twice")
            questions[problem_id] = Question(
                problem_id, exam, section, answer, _points(record, section, where)
            )
    return questions


def load_predictions(path: str | Path) -> dict[str, frozenset[str]]:
    """Predicted answer sets by question id (a later line for the same id replaces an earlier one)."""
    predictions: dict[str, frozenset[str]] = {}
    for file in jsonl_files(Path(path), "predictions"):
        for line, record in read_records(file):
            problem_id = record.get("problem_id", record.get("id"))
            if not isinstance(problem_id, str):
                raise ScoringInputError(f"{file}:{line}: a prediction needs 'problem_id'")
            predictions[problem_id] = parse_answer(record.get("prediction"))
    return predictions


def load_overrides(path: str | Path | None) -> dict[str, Override]:
    """``{"116A71": {"all_correct": true}, "112B30": {"accepted": [["a"], ["d"]]}}``."""
    if path is None:
        return {}
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"overrides not found: {file}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScoringInputError(
            f"overrides {file} is not valid UTF-8 JSON ({exc.__class__.__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ScoringInputError(f"overrides {file} must be a JSON object keyed by question id")
    overrides: dict[str, Override] = {}
    for problem_id, spec in data.items():
        if not isinstance(spec, dict) or not set(spec) <= {"all_correct", "accepted"}:
            raise ScoringInputError(
                f"overrides {file}: {problem_id} must be an object with 'all_correct' and/or 'accepted'"
            )
        accepted = spec.get("accepted", [])
        if not isinstance(accepted, list):
            raise ScoringInputError(f"overrides {file}: {problem_id}.accepted must be a list of answer lists")
        overrides[problem_id] = Override(
            all_correct=bool(spec.get("all_correct", False)),
            accepted=tuple(parse_answer(a) for a in accepted),
        )
    return overrides


def is_correct(question: Question, predicted: frozenset[str] | None, override: Override | None) -> bool:
    if override is not None and override.all_correct:
        return True
    if not predicted:
        return False
    accepted = (question.answer, *(override.accepted if override else ()))
    return predicted in accepted


def score(
    questions: Mapping[str, Question],
    predictions: Mapping[str, frozenset[str]],
    overrides: Mapping[str, Override] | None = None,
) -> JmleScore:
    """Points and accuracy per exam; a question without a prediction scores 0."""
    overrides = overrides or {}
    result = JmleScore()
    for question in _sorted(questions.values()):
        exam = result.exams.setdefault(question.exam, ExamScore())
        exam.n += 1
        exam.max_points += question.points
        predicted = predictions.get(question.id)
        if predicted is None:
            result.missing_predictions += 1
        if is_correct(question, predicted, overrides.get(question.id)):
            exam.correct += 1
            exam.points += question.points
    result.unknown_predictions = sum(1 for pid in predictions if pid not in questions)
    return result


def _sorted(questions: Iterable[Question]) -> Iterator[Question]:
    return iter(sorted(questions, key=lambda q: q.id))
