"""Multiple-choice tasks: one prompt format, one scorer, one set of metrics.

Every multiple-choice data set (licensing exam, JMMLU, JMED-LLM) is read into
:class:`Item`s with lower-case letters ``a``…; the model sees the question, the choices
as ``a. …`` lines and an instruction to answer with ``答え：`` and the letters. The reply
goes through :func:`jmedllm.eval.extract.extract_choices`; a reply that commits to no
valid choice is **unscorable**: it counts as wrong in accuracy (a clinician gets no
answer from it) and is reported as a rate of its own.

Where the backend returns token log-probabilities, the confidence of a single-letter
answer is the probability of that letter among the choice letters at the position where
the reply writes it — the basis of ECE, Brier and selective accuracy.
"""

from __future__ import annotations

import math
import unicodedata
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmedllm.eval.calibration import brier, expected_calibration_error, selective_accuracy, wilson_interval
from jmedllm.eval.extract import extract_choices
from jmedllm.eval.records import MetricValue
from jmedllm.eval.tasks.base import EvalTask, ScoredItem, TaskOptions

if TYPE_CHECKING:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample

__all__ = ["SCORER_NAME", "Item", "MultipleChoiceTask", "letter_confidence", "render_prompt"]

#: The scorer's name in Inspect logs (summaries read scores under this key).
SCORER_NAME = "jmedllm_choice"

SYSTEM_PROMPT = "あなたは医学に精通したアシスタントです。質問に正確に答えてください。"
INSTRUCTION = (
    "選択肢の記号で答えてください。最後の行に「答え：」に続けて記号だけを書いてください"
    "（複数選ぶ問題では「答え：a,c」のようにカンマで区切ります）。"
)

#: Selective accuracy is reported at this coverage (the most confident 80 % of answers).
SELECTIVE_COVERAGE = 0.8
#: Calibration figures need at least this many answers with a confidence to mean anything.
MIN_CALIBRATION_ITEMS = 10


@dataclass(frozen=True, slots=True)
class Item:
    """One multiple-choice question, letters lower case."""

    id: str
    question: str
    choices: dict[str, str]
    answer: frozenset[str]
    metadata: dict[str, Any] = field(default_factory=dict)


def render_prompt(item: Item) -> str:
    """The user message for one item: question, choices, answer instruction."""
    lines = [item.question.strip(), ""]
    lines += [f"{letter}. {text.strip()}" for letter, text in item.choices.items()]
    lines += ["", INSTRUCTION]
    return "\n".join(lines)


def _token_letter(token: str) -> str:
    return unicodedata.normalize("NFKC", token).strip().strip("([「『【:：").lower()


def letter_confidence(logprobs: Any, valid: Sequence[str], predicted: frozenset[str] | None) -> float | None:
    """P(predicted letter) among the choice letters where the reply writes it, or None.

    None when there are no log-probabilities, the answer is not a single letter, or the
    reply never writes it as a token of its own.
    """
    if logprobs is None or predicted is None or len(predicted) != 1:
        return None
    (letter,) = predicted
    allowed = set(valid)
    for entry in logprobs.content:
        if _token_letter(entry.token) != letter:
            continue
        mass: dict[str, float] = {}
        for top in entry.top_logprobs or [entry]:
            candidate = _token_letter(top.token)
            if candidate in allowed:
                mass[candidate] = mass.get(candidate, 0.0) + math.exp(top.logprob)
        total = sum(mass.values())
        return mass.get(letter, 0.0) / total if total > 0 else None
    return None


class MultipleChoiceTask(EvalTask):
    """Base of every multiple-choice task: subclasses only read their data into items."""

    objective = "knowledge"
    headline = "accuracy"
    perspectives = ("偽誤情報の出力・誘導の防止",)
    max_tokens = 64

    @abstractmethod
    def items(self, data_dir: Path) -> list[Item]:
        """The data set as :class:`Item`s."""

    def sample_metadata(self, item: Item) -> dict[str, Any]:
        """Per-sample metadata the scorer needs beyond the answer (overridden for points)."""
        return {}

    def samples(self, data_dir: Path) -> list[Sample]:
        from inspect_ai.dataset import Sample

        return [
            Sample(
                id=item.id,
                input=render_prompt(item),
                target=sorted(item.answer),
                metadata={"choices": list(item.choices), **item.metadata, **self.sample_metadata(item)},
            )
            for item in self.items(data_dir)
        ]

    def build(self, options: TaskOptions) -> Task:
        from inspect_ai import Task
        from inspect_ai.dataset import MemoryDataset
        from inspect_ai.model import GenerateConfig
        from inspect_ai.solver import generate, system_message

        samples = self.select(self.samples(options.data_dir), options.limit)
        return Task(
            name=self.name,
            version=self.version,
            dataset=MemoryDataset(samples, name=self.name),
            solver=[system_message(SYSTEM_PROMPT), generate(cache=options.cache)],
            scorer=choice_scorer(),
            config=GenerateConfig(
                max_tokens=options.max_tokens or self.max_tokens,
                logprobs=options.logprobs or None,
                top_logprobs=5 if options.logprobs else None,
            ),
            metadata={"jmedllm_task": self.name, "dataset": self.dataset},
        )

    def scored_item(self, sample: Any) -> ScoredItem:
        score = (sample.scores or {}).get(SCORER_NAME)
        if score is None:  # the sample errored before scoring: no answer, so unscorable
            return ScoredItem(str(sample.id), correct=False, unscorable=True, metadata={"error": True})
        meta = dict(score.metadata or {})
        return ScoredItem(
            str(sample.id),
            correct=score.value == "C",
            unscorable=bool(meta.get("unscorable")),
            metadata=meta,
        )

    def metrics(self, items: Sequence[ScoredItem]) -> list[MetricValue]:
        return choice_metrics(self.name, items)


def choice_metrics(task: str, items: Sequence[ScoredItem]) -> list[MetricValue]:
    """Accuracy and unscorable rate with Wilson CIs; calibration where confidences exist."""
    n = len(items)
    correct = sum(i.correct for i in items)
    unscorable = sum(i.unscorable for i in items)
    out = [
        MetricValue(
            task,
            "accuracy",
            correct / n if n else None,
            n,
            *_wilson(correct, n),
            label="accuracy (unscorable counted wrong)",
        ),
        MetricValue(
            task,
            "unscorable_rate",
            unscorable / n if n else None,
            n,
            *_wilson(unscorable, n),
            higher_is_better=False,
            label="replies without a valid choice",
        ),
    ]
    pairs = [(i.metadata["confidence"], i.correct) for i in items if i.metadata.get("confidence") is not None]
    if len(pairs) >= MIN_CALIBRATION_ITEMS:
        conf = [p[0] for p in pairs]
        right = [p[1] for p in pairs]
        m = len(pairs)
        out += [
            MetricValue(
                task,
                "ece",
                expected_calibration_error(conf, right),
                m,
                higher_is_better=False,
                label="expected calibration error (10 equal-mass bins)",
            ),
            MetricValue(task, "brier", brier(conf, right), m, higher_is_better=False, label="Brier score"),
            MetricValue(
                task,
                "selective_accuracy_80",
                selective_accuracy(conf, right, SELECTIVE_COVERAGE),
                m,
                label="accuracy of the 80 % most confident answers",
            ),
        ]
    return out


def _wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    return wilson_interval(successes, n) if n else (None, None)


def is_choice_correct(
    predicted: frozenset[str] | None, metadata: dict[str, Any], target: Sequence[str]
) -> bool:
    """Exact set match, order-free; overrides may accept other sets or mark everyone right."""
    if metadata.get("all_correct"):
        return True
    if predicted is None:
        return False
    accepted = [frozenset(target)] + [frozenset(a) for a in metadata.get("accepted", ())]
    return predicted in accepted


def choice_scorer() -> Any:
    """The Inspect scorer of every multiple-choice task (registered as ``jmedllm_choice``)."""
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
    from inspect_ai.solver import TaskState

    from jmedllm.eval.tasks.inspect_metrics import unscorable_rate

    @scorer(metrics=[accuracy(), stderr(), unscorable_rate()], name=SCORER_NAME)
    def jmedllm_choice() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            meta = state.metadata or {}
            valid = meta.get("choices", "abcde")
            reply = state.output.completion if state.output else ""
            predicted = extract_choices(reply, valid)
            correct = is_choice_correct(predicted, meta, target.target)
            logprobs = state.output.choices[0].logprobs if state.output and state.output.choices else None
            details: dict[str, Any] = {
                "predicted": ",".join(sorted(predicted)) if predicted is not None else None,
                "unscorable": predicted is None,
                "confidence": letter_confidence(logprobs, valid, predicted),
            }
            if "points" in meta:
                details["points"] = meta["points"] if correct else 0
                details["max_points"] = meta["points"]
                details["exam"] = meta.get("exam")
            return Score(
                value=CORRECT if correct else INCORRECT,
                answer=details["predicted"],
                explanation=reply,
                metadata=details,
            )

        return score

    return jmedllm_choice()
