"""MedRECT-ja: find the sentence of a clinical case that carries a medical error, or say none.

The skill a note-drafting assistant needs most: a clinical text of numbered sentences,
either correct or with one injected error (diagnosis, drug choice, dose, findings …).
The model answers with the sentence number or なし. Metrics: exact accuracy (flag right
and, for erroneous texts, the right sentence), error-detection accuracy and F1 (is there
an error at all), sentence accuracy on erroneous texts, and the false-alarm rate on
correct texts — a model that flags everything must not look good.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmedllm.core.errors import InputFileError
from jmedllm.eval.calibration import wilson_interval
from jmedllm.eval.extract import NO_ERROR, extract_sentence_id
from jmedllm.eval.records import MetricValue
from jmedllm.eval.tasks.base import TASKS, EvalTask, ScoredItem, TaskOptions

if TYPE_CHECKING:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample

__all__ = ["SCORER_NAME", "MedrectTask"]

SCORER_NAME = "jmedllm_medrect"

SYSTEM_PROMPT = "あなたは臨床記録を点検する医師です。"
INSTRUCTION = (
    "上の番号付きの文は臨床症例の記述です。医学的な誤りを含む文が1つある場合と、誤りがない場合があります。"
    "誤りを含む文があればその番号を、なければ「なし」と答えてください。"
    "最後の行に「答え：」に続けて番号または「なし」だけを書いてください。"
)


@TASKS.register("medrect")
class MedrectTask(EvalTask):
    """MedRECT-ja error detection: which sentence of a clinical case is wrong, if any."""

    name = "medrect"
    version = "1"
    data_path = "medrect/medrect-ja.json"
    objective = "knowledge"
    headline = "accuracy"
    perspectives = ("偽誤情報の出力・誘導の防止",)
    dataset = "MedRECT-ja, Preferred Networks (2025), intermediate deduplicated split; CC-BY-4.0"
    max_tokens = 48

    def samples(self, data_dir: Path) -> list[Sample]:
        from inspect_ai.dataset import Sample

        file = self.source(data_dir)
        try:
            records = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(f"cannot read {file}: {exc.__class__.__name__}") from None
        if not isinstance(records, list):
            raise InputFileError(f"{file}: expected a JSON list of cases")
        samples = []
        for index, record in enumerate(records):
            try:
                text = str(record["sentences"]).strip()
                flag = int(record["error_flag"])
                wrong = record.get("error_sentence_id")
                sample_id = str(record.get("sample_id") or f"medrect-{index:04d}")
            except (KeyError, TypeError, ValueError):
                raise InputFileError(f"{file}: case {index} lacks sentences or error_flag") from None
            count = sum(1 for line in text.splitlines() if line.strip())
            if flag and not (isinstance(wrong, int) and 1 <= wrong <= count):
                raise InputFileError(f"{file}: case {index} has error_flag 1 but no valid error_sentence_id")
            samples.append(
                Sample(
                    id=sample_id,
                    input=f"{text}\n\n{INSTRUCTION}",
                    target=str(wrong if flag else NO_ERROR),
                    metadata={"sentences": count, "error_flag": flag, "error_type": record.get("error_type")},
                )
            )
        return samples

    def build(self, options: TaskOptions) -> Task:
        from inspect_ai import Task
        from inspect_ai.dataset import MemoryDataset
        from inspect_ai.model import GenerateConfig
        from inspect_ai.solver import generate, system_message

        return Task(
            name=self.name,
            version=self.version,
            dataset=MemoryDataset(self.select(self.samples(options.data_dir), options.limit), name=self.name),
            solver=[system_message(SYSTEM_PROMPT), generate(cache=options.cache)],
            scorer=medrect_scorer(),
            config=GenerateConfig(max_tokens=options.max_tokens or self.max_tokens),
            metadata={"jmedllm_task": self.name, "dataset": self.dataset},
        )

    def scored_item(self, sample: Any) -> ScoredItem:
        score = (sample.scores or {}).get(SCORER_NAME)
        flag = int((sample.metadata or {}).get("error_flag", 0))
        if score is None:
            return ScoredItem(str(sample.id), False, True, {"error_flag": flag, "error": True})
        meta = dict(score.metadata or {})
        meta.setdefault("error_flag", flag)
        return ScoredItem(str(sample.id), score.value == "C", bool(meta.get("unscorable")), meta)

    def metrics(self, items: Sequence[ScoredItem]) -> list[MetricValue]:
        n = len(items)
        erroneous = [i for i in items if i.metadata.get("error_flag")]
        clean = [i for i in items if not i.metadata.get("error_flag")]

        def flagged(item: ScoredItem) -> bool:
            predicted = item.metadata.get("predicted")
            return predicted is not None and predicted != NO_ERROR

        def rate(name: str, hits: int, total: int, label: str, *, higher: bool = True) -> MetricValue:
            ci = wilson_interval(hits, total) if total else (None, None)
            return MetricValue(
                self.name,
                name,
                hits / total if total else None,
                total,
                *ci,
                higher_is_better=higher,
                label=label,
            )

        detected = sum((not i.unscorable) and flagged(i) == bool(i.metadata.get("error_flag")) for i in items)
        true_pos = sum(flagged(i) for i in erroneous)
        false_pos = sum(flagged(i) for i in clean)
        false_neg = len(erroneous) - true_pos
        f1_den = 2 * true_pos + false_pos + false_neg
        return [
            rate("accuracy", sum(i.correct for i in items), n, "right verdict and, if wrong, right sentence"),
            rate("error_detection_accuracy", detected, n, "error present or not, judged right"),
            MetricValue(
                self.name,
                "error_detection_f1",
                2 * true_pos / f1_den if f1_den else None,
                n,
                label="F1 of flagging erroneous texts",
            ),
            rate(
                "sentence_accuracy",
                sum(i.correct for i in erroneous),
                len(erroneous),
                "erroneous texts: the wrong sentence found",
            ),
            rate(
                "false_alarm_rate", false_pos, len(clean), "correct texts flagged as erroneous", higher=False
            ),
            rate(
                "unscorable_rate",
                sum(i.unscorable for i in items),
                n,
                "replies naming no sentence or none",
                higher=False,
            ),
        ]


def medrect_scorer() -> Any:
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
    from inspect_ai.solver import TaskState

    from jmedllm.eval.tasks.inspect_metrics import unscorable_rate

    @scorer(metrics=[accuracy(), stderr(), unscorable_rate()], name=SCORER_NAME)
    def jmedllm_medrect() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            reply = state.output.completion if state.output else ""
            predicted = extract_sentence_id(reply, int(state.metadata.get("sentences", 0)))
            correct = predicted is not None and str(predicted) == target.text
            return Score(
                value=CORRECT if correct else INCORRECT,
                answer=None if predicted is None else str(predicted),
                explanation=reply,
                metadata={
                    "predicted": predicted,
                    "unscorable": predicted is None,
                    "error_flag": int(state.metadata.get("error_flag", 0)),
                },
            )

        return score

    return jmedllm_medrect()
