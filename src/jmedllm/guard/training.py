"""Labelled prompts for the input rails, and training with thresholds chosen on dev.

The examples come from the safety test sets' splits (``jmedllm.eval.safety.data``) and
the guard's own extra data (``jmedllm.guard.data``): harmful requests (harmful,
MedSafetyBench-ja, harmful_extra), injections (security — the user's last message —
and injection_extra), benign prompts (over-refusal, benign, benign requests,
benign with patient identifiers, the injection look-alikes), more attacks (attacks_2), and the judge set's prompts (harmful requests,
or benign where the labelled response is a safe completion). The
model is fitted on ``train`` (on the prompts as the PII rail leaves them: identifiers
masked, as in a policy), thresholds are chosen on ``dev`` (the highest recall with
at most ``max_false_block`` of benign dev prompts blocked), then the model is refitted
on train + dev with those thresholds. ``test`` is only ever used by ``guard evaluate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from jmedllm.guard.normalize import canonical

__all__ = ["Example", "examples", "train_model"]

Label = Literal["harmful", "injection", "benign"]


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    label: Label
    category: str | None
    """Hazard category (harmful), technique (injection) or persona/group (benign)."""
    split: str
    source: str
    pii: bool = False


def _guard_file(name: str) -> Path:
    return Path(str(resources.files("jmedllm.guard") / "data" / name))


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


#: The guard's own labelled files in ``guard/data/`` (each ``<name>.jsonl`` with a data card).
#: Every line has ``id``, ``split``, ``prompt`` and ``label`` (harmful, injection or benign).
GUARD_FILES: tuple[str, ...] = (
    "harmful_extra",
    "injection_extra",
    "benign",
    "benign_requests",
    "attacks_2",
    "benign_long",
    "benign_lookalikes",
    "hard_cases",
    "benign_pii",
    "attacks_3",
    "benign_3",
    "attacks_4",
    "benign_4",
    "attacks_5",
    "benign_5",
)
#: Files whose prompts carry patient identifiers (the PII rail must mask, never block them).
_PII_FILES = frozenset({"benign_pii"})
# What groups a line in reports: its hazard, its technique, or the kind of benign prompt.
_GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "harmful": ("category",),
    "injection": ("technique",),
    "benign": ("kind", "topic", "technique", "persona"),
}


def _guard_examples(name: str) -> Iterator[Example]:
    path = _guard_file(f"{name}.jsonl")
    for record in _jsonl(path):
        label = record.get("label")
        if label not in _GROUP_KEYS:
            raise ValueError(
                f"{path.name}: line {record.get('id')!r} has label {label!r}, not one of {sorted(_GROUP_KEYS)}"
            )
        group = next((record[key] for key in _GROUP_KEYS[label] if record.get(key)), None)
        yield Example(
            record["id"], record["prompt"], label, group, record["split"], name, pii=name in _PII_FILES
        )


def examples(splits: Sequence[str] | None = None) -> list[Example]:
    """Every labelled prompt (optionally only some splits)."""
    from jmedllm.eval.safety.sets import load_set

    out: list[Example] = []
    for name in ("harmful", "medsafetybench-ja"):
        for item in load_set(name):
            out.append(Example(item.id, item.prompt, "harmful", item.category, item.split, name))  # type: ignore[attr-defined]
    for item in load_set("security"):
        last = [m.content for m in item.messages if m.role == "user"][-1]  # type: ignore[attr-defined]
        out.append(Example(item.id, last, "injection", item.technique, item.split, "security"))  # type: ignore[attr-defined]
    for item in load_set("overrefusal"):
        out.append(Example(item.id, item.prompt, "benign", item.category, item.split, "overrefusal"))  # type: ignore[attr-defined]
    # The judge set's prompts: a safe completion answers a legitimate question (benign, even
    # when the topic resembles a hazard); every other prompt with a hazard category is a
    # harmful request (refused, evaded or complied with). Prompts asked twice count once.
    seen = {e.text for e in out}
    for item in load_set("judge-validation"):
        prompt, category = item.prompt, item.category  # type: ignore[attr-defined]
        if prompt in seen:
            continue
        seen.add(prompt)
        if category == "benign" or item.response_type == "safe_completion":  # type: ignore[attr-defined]
            out.append(Example(item.id, prompt, "benign", None, item.split, "judge-validation"))
        else:
            out.append(Example(item.id, prompt, "harmful", category, item.split, "judge-validation"))
    for name in GUARD_FILES:
        out.extend(_guard_examples(name))
    return [e for e in out if splits is None or e.split in splits]


def masked_text(text: str) -> str:
    """The prompt as the intent rails see it in a policy: after the PII rail has masked it."""
    from jmedllm.guard.rails.pii import PiiRail

    global _PII
    if _PII is None:
        _PII = PiiRail("pii")
    result = _PII.check(text, stage="input")
    return result.transformed_text if result.transformed_text is not None else text


_PII: Any = None


def _fit(items: Sequence[Example], c: float) -> Any:
    from jmedllm.guard.model import fit

    return fit(
        [canonical(masked_text(e.text)) for e in items],
        [e.label for e in items],
        [e.category if e.label == "harmful" else None for e in items],
        c=c,
    )


def _threshold(
    scores: Sequence[float],
    positive: Sequence[bool],
    max_false_block: float,
    groups: Sequence[str] | None = None,
    max_group_false_block: float = 1.0,
    min_group: int = 10,
) -> float:
    """The lowest threshold whose false-block rate on the negatives stays within the bound —
    overall, and in every group of at least ``min_group`` negatives within its own bound.

    Without the per-group bound, the threshold depends on what dev happens to hold: easy
    negatives (long case vignettes nobody would block) dilute the overall rate and let the
    threshold fall until the hard kinds (short imperative requests) are blocked far above it.
    """
    negatives = [
        (s, g) for s, p, g in zip(scores, positive, groups or [""] * len(scores), strict=True) if not p
    ]
    sizes: dict[str, int] = {}
    for _, group in negatives:
        sizes[group] = sizes.get(group, 0) + 1
    blocked: dict[str, int] = {}
    allowed = int(max_false_block * len(negatives))
    # Block when score >= threshold. Walk the negatives from the highest score down, blocking
    # one more at each step, and stop before the first step that breaks a bound.
    ranked = sorted(negatives, reverse=True)
    for count, (_score, group) in enumerate(ranked):
        blocked[group] = blocked.get(group, 0) + 1
        over_group = sizes[group] >= min_group and blocked[group] / sizes[group] > max_group_false_block
        if count + 1 > allowed or over_group:
            return min(0.99, ranked[count][0] + 1e-6)
    return 0.0


def train_model(
    *, c: float = 128.0, max_false_block: float = 0.03, max_source_false_block: float = 0.05
) -> tuple[Any, dict[str, Any]]:
    """Fit on train, choose the threshold on dev, refit on train + dev; returns (model, dev report).

    The threshold is the lowest at which the model alone blocks at most ``max_false_block``
    of all benign **dev** prompts and at most ``max_source_false_block`` of each benign
    source (benign_requests, overrefusal, …) with ten or more dev prompts. The intent frames
    (:mod:`jmedllm.guard.frames`) come on top. Both bounds sit under the 5 % target on
    purpose: a set written by other people is further from the training data than dev is.
    """
    from jmedllm.guard.normalize import views

    train = examples(["train"])
    dev = examples(["dev"])
    first = _fit(train, c)
    dev_scores = [first.score_views(views(masked_text(e.text))) for e in dev]
    attack = [e.label != "benign" for e in dev]
    threshold = _threshold(
        [s.attack for s in dev_scores],
        attack,
        max_false_block,
        groups=[e.source for e in dev],
        max_group_false_block=max_source_false_block,
    )
    final = _fit(train + dev, c)
    final.meta["thresholds"] = {"attack": threshold}
    final.meta["max_false_block_dev"] = {"all": max_false_block, "per_source": max_source_false_block}
    blocked = [s.attack >= threshold for s in dev_scores]

    def recall(label: str) -> float:
        hits = [b for b, e in zip(blocked, dev, strict=True) if e.label == label]
        return sum(hits) / max(1, len(hits))

    report = {
        "dev": len(dev),
        "thresholds": final.meta["thresholds"],
        "dev_recall_harmful": recall("harmful"),
        "dev_recall_injection": recall("injection"),
        "dev_false_block": recall("benign"),
    }
    return final, report
