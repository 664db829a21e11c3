"""The safety test sets shipped with jmedllm: typed records, loading, splits.

Each set is a JSONL file with a data card beside it in ``jmedllm/eval/safety/data/``.
Every item carries a ``split``: the guardrails train and tune on ``train``/``dev`` and
report on ``test`` only; evaluation runs use every split unless told otherwise.
Loading validates every line against the set's schema and names the file and line of a
bad one — a silently skipped item would change every candidate's denominator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jmedllm.core.errors import InputFileError
from jmedllm.core.taxonomy import HAZARDS, PERSONAS

__all__ = [
    "SETS",
    "FalsePremiseItem",
    "HarmfulItem",
    "JudgeExample",
    "OverRefusalItem",
    "PrivacyItem",
    "SecurityItem",
    "Split",
    "data_path",
    "load_set",
]

Split = Literal["train", "dev", "test"]
Persona = Literal["physician", "nurse", "pharmacist", "patient", "family", "other"]
assert set(PERSONAS) == {"physician", "nurse", "pharmacist", "patient", "family", "other"}


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z]+-\d{4}$")
    split: Split


def _hazard(value: str) -> str:
    if value not in HAZARDS:
        raise ValueError(f"unknown hazard category {value!r}")
    return value


class HarmfulItem(_Item):
    """A harmful request (``harmful``; ``medsafetybench_ja`` adds its source)."""

    category: str
    persona: Persona
    prompt: str = Field(min_length=1)
    expected: Literal["refuse", "refuse_with_referral"]
    severity: int | None = Field(default=None, ge=1, le=3)
    source_file: str | None = None
    source_row: int | None = None
    source_category: int | None = None

    @model_validator(mode="after")
    def _check(self) -> HarmfulItem:
        _hazard(self.category)
        return self


class OverRefusalItem(_Item):
    """A legitimate clinical question with alarming words: the right answer helps."""

    category: str
    persona: Persona
    prompt: str = Field(min_length=1)
    alarming_terms: tuple[str, ...] = ()
    expected: Literal["comply"]

    @model_validator(mode="after")
    def _check(self) -> OverRefusalItem:
        _hazard(self.category)
        return self


class FalsePremiseItem(_Item):
    """A question resting on a false medical claim: the right answer corrects it."""

    topic: str
    persona: Persona
    prompt: str = Field(min_length=1)
    false_claim: str
    correction: str
    correction_keywords: tuple[str, ...] = Field(min_length=1)
    expected: Literal["correct_premise"]


class PrivacyItem(_Item):
    """Patient records in context and a request that must not reveal the target identifiers."""

    probe_type: Literal["other_patient", "reidentify", "needless_repeat", "bulk_export"]
    persona: Persona
    context: str
    prompt: str = Field(min_length=1)
    authorized: str
    target_identifiers: tuple[str, ...] = Field(min_length=1)
    expected: Literal["withhold"]

    @model_validator(mode="after")
    def _check(self) -> PrivacyItem:
        missing = [t for t in self.target_identifiers if t not in self.context]
        if missing:
            raise ValueError(f"{len(missing)} target identifier(s) do not occur in the context")
        return self


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class SecurityItem(_Item):
    """A prompt injection or jailbreak against a system prompt holding a canary."""

    technique: str
    goal: Literal["leak_system_prompt", "injected_action"]
    persona: Persona
    messages: tuple[Message, ...] = Field(min_length=1)
    success_marker: str | None = None

    @model_validator(mode="after")
    def _check(self) -> SecurityItem:
        if self.messages[-1].role != "user":
            raise ValueError("the last message must be the user's")
        if self.goal == "injected_action" and not self.success_marker:
            raise ValueError("injected_action items need a success_marker")
        return self


class JudgeExample(_Item):
    """A labelled (prompt, response) pair: trains and validates the judge."""

    category: str
    prompt: str = Field(min_length=1)
    response: str = Field(min_length=1)
    response_type: str
    verdict: Literal["refuse", "comply"]
    harmful: bool
    harm_score: int = Field(ge=1, le=5)

    @model_validator(mode="after")
    def _check(self) -> JudgeExample:
        if self.category != "benign":
            _hazard(self.category)
        if self.harmful != (self.harm_score >= 4):
            raise ValueError("harmful must equal harm_score >= 4")
        if self.verdict == "refuse" and self.harm_score > 2:
            raise ValueError("a refusal cannot score above 2")
        return self


#: Set name → (file stem, record type).
SETS: dict[str, tuple[str, type[_Item]]] = {
    "harmful": ("harmful", HarmfulItem),
    "medsafetybench-ja": ("medsafetybench_ja", HarmfulItem),
    "overrefusal": ("overrefusal", OverRefusalItem),
    "false-premise": ("false_premise", FalsePremiseItem),
    "privacy": ("privacy", PrivacyItem),
    "security": ("security", SecurityItem),
    "judge-validation": ("judge_validation", JudgeExample),
}


def data_path(name: str) -> Path:
    """The JSONL file of a shipped set."""
    stem, _ = SETS[name]
    return Path(str(resources.files("jmedllm.eval.safety") / "data" / f"{stem}.jsonl"))


def load_set(name: str, splits: Iterable[Split] | None = None, *, path: Path | None = None) -> list[_Item]:
    """Validated records of a set (optionally only some splits; ``path`` overrides the shipped file)."""
    if name not in SETS:
        raise KeyError(f"unknown safety set {name!r}; known: {', '.join(SETS)}")
    wanted = frozenset(splits) if splits is not None else None
    items = _load(name, str(path or data_path(name)))
    return [i for i in items if wanted is None or i.split in wanted]


@cache
def _load(name: str, path: str) -> tuple[_Item, ...]:
    _, model = SETS[name]
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputFileError(f"safety set {name}: {file} not found") from None
    items: list[_Item] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = model.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "not JSON"
            raise InputFileError(f"{file}:{number}: {detail}") from None
        if item.id in seen:
            raise InputFileError(f"{file}:{number}: duplicate id {item.id}")
        seen.add(item.id)
        items.append(item)
    return tuple(items)
