"""``jmedllm guard evaluate``: a policy's input stage on a held-out split, as users meet it.

Every prompt runs through the whole pipeline (PII masking first, then the other rails on
the masked text). Reported: block rate per hazard category and injection technique, the
false-block rate on benign prompts (overall, alarming-but-legitimate, per source), what
happens to benign prompts carrying patient identifiers (masked, never blocked), F1 of
blocking attacks, recall at a 1 % false-block rate (from the rails' scores), and latency
p50/p99 per prompt.

With ``external_dir`` (the shared evaluation data), benign text **nobody on this project
wrote** is added as its own groups: the national licensing exam's case vignettes and
JMMLU's medical questions, each question with its choices, as a clinician would paste
them. They are kept out of the summary's false-block rate (that stays on the split) so
figures stay comparable across runs, and reported beside it.

With ``data`` (a labelled JSONL file of one's own, e.g. a blind set written by someone
who never saw the guard's data), that file replaces the split: the same report, on text
the guard was never tuned on.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jmedllm.guard.training import Example

__all__ = ["evaluate_policy", "load_labelled"]

_LABELS = ("harmful", "injection", "benign")


def _rate(hits: int, n: int) -> float:
    return hits / n if n else 0.0


def external_benign(data_dir: Path) -> Iterator[tuple[str, str]]:
    """(group, text) of the external benign sets found under ``data_dir``; absent ones are skipped."""
    jmle = data_dir / "jmle" / "jmle-2018-2022-case-questions.jsonl"
    if jmle.is_file():
        for line in jmle.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                choices = record.get("choices") or {}
                options = [f"{k}. {v}" for k, v in choices.items()] if isinstance(choices, dict) else []
                yield "external/jmle", "\n".join([record["question"], *options])
    for path in sorted((data_dir / "jmmlu-medical").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 5:
                    yield f"external/jmmlu-{path.stem}", "\n".join(row[:5])


def load_labelled(path: Path) -> list[Example]:
    """A labelled JSONL file: ``id``, ``label`` (harmful, injection or benign) and the prompt.

    The prompt is ``prompt`` or ``text``, or the last user message of ``messages``. The
    group reported is ``category`` (harmful), ``technique`` (injection) or ``topic``
    (benign); a benign line with ``"pii": true`` or topic ``with_identifiers`` carries
    patient identifiers (it must be masked, never blocked). A bad line is refused with
    its line number, never skipped: a silently shorter set would flatter the guard.
    """
    from jmedllm.guard.training import Example

    out: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}: line {number} is not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path.name}: line {number} is not a JSON object")
        label = record.get("label")
        if label not in _LABELS:
            raise ValueError(f"{path.name}: line {number} has label {label!r}, not one of {list(_LABELS)}")
        text = record.get("prompt", record.get("text"))
        if text is None and isinstance(record.get("messages"), list):
            users = [
                m.get("content")
                for m in record["messages"]
                if isinstance(m, dict) and m.get("role") == "user"
            ]
            text = users[-1] if users else None
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{path.name}: line {number} has no prompt (prompt, text or a user message)")
        group = record.get({"harmful": "category", "injection": "technique"}.get(label, "topic"))
        pii = label == "benign" and (record.get("pii") is True or group == "with_identifiers")
        out.append(Example(str(record.get("id", number)), text, label, group, "file", path.stem, pii=pii))
    if not out:
        raise ValueError(f"{path.name}: no labelled lines")
    return out


def evaluate_policy(
    policy: str = "default",
    *,
    split: str = "test",
    external_dir: Path | None = None,
    data: Path | None = None,
) -> dict[str, Any]:
    """The report on ``split``, or on the labelled file ``data`` (see :func:`load_labelled`)."""
    from jmedllm.guard.pipeline import GuardPipeline
    from jmedllm.guard.training import examples

    items = load_labelled(data) if data is not None else examples([split])
    pipeline = GuardPipeline.from_reference(policy)
    rows = []
    for item in items:
        outcome = pipeline.check([item.text], stage="input")
        decision = outcome.decision
        scored = [r.score for r in decision.rails if r.rail in ("harmful_intent", "injection")]
        rows.append(
            {
                "item": item,
                "blocked": decision.action.value in ("block", "escalate"),
                "masked": decision.action.value == "mask",
                "score": max(scored) if scored else 0.0,
                "latency_ms": decision.latency_ms,
            }
        )

    groups: dict[str, dict[str, Any]] = {}

    def add(name: str, selected: list[dict[str, Any]]) -> None:
        blocked = sum(r["blocked"] for r in selected)
        groups[name] = {"n": len(selected), "blocked": blocked, "rate": _rate(blocked, len(selected))}

    attacks = [r for r in rows if r["item"].label != "benign"]
    benign = [r for r in rows if r["item"].label == "benign"]
    for category in sorted({r["item"].category for r in attacks if r["item"].label == "harmful"}):
        add(
            f"harmful/{category}",
            [r for r in attacks if r["item"].label == "harmful" and r["item"].category == category],
        )
    for technique in sorted({r["item"].category for r in attacks if r["item"].label == "injection"}):
        add(
            f"injection/{technique}",
            [r for r in attacks if r["item"].label == "injection" and r["item"].category == technique],
        )
    add("harmful (all)", [r for r in attacks if r["item"].label == "harmful"])
    add("injection (all)", [r for r in attacks if r["item"].label == "injection"])
    for source in sorted({r["item"].source for r in benign}):
        add(f"benign/{source} (false block)", [r for r in benign if r["item"].source == source])
    add("benign (all, false block)", benign)

    true_pos = sum(r["blocked"] for r in attacks)
    false_pos = sum(r["blocked"] for r in benign)
    precision = _rate(true_pos, true_pos + false_pos)
    recall = _rate(true_pos, len(attacks))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Recall at 1 % false block: the score threshold that blocks at most 1 % of benign prompts.
    benign_scores = sorted((r["score"] for r in benign), reverse=True)
    allowed = int(0.01 * len(benign_scores))
    cut = benign_scores[allowed] if allowed < len(benign_scores) else 0.0
    recall_at_1 = _rate(sum(r["score"] > cut for r in attacks), len(attacks))
    pii = [r for r in benign if r["item"].pii]
    latencies = sorted(r["latency_ms"] for r in rows)
    external: dict[str, list[bool]] = {}
    for group, text in external_benign(external_dir) if external_dir is not None else ():
        action = pipeline.check([text], stage="input").decision.action.value
        external.setdefault(group, []).append(action in ("block", "escalate"))
    for group, blocked_flags in external.items():
        add(f"{group} (false block)", [{"blocked": b} for b in blocked_flags])
    everything = [b for flags in external.values() for b in flags]
    return {
        "policy": pipeline.policy.name,
        "split": f"file:{data.name}" if data is not None else split,
        "groups": groups,
        "summary": {
            "attacks": len(attacks),
            "benign": len(benign),
            "attack_block_rate": recall,
            "false_block_rate": _rate(false_pos, len(benign)),
            "precision": precision,
            "f1": f1,
            "recall_at_1pct_false_block": recall_at_1,
            "pii_n": len(pii),
            "pii_masked": sum(r["masked"] for r in pii),
            "pii_blocked": sum(r["blocked"] for r in pii),
            "external_benign": len(everything),
            "external_false_block_rate": _rate(sum(everything), len(everything)),
            "latency_p50_ms": statistics.median(latencies) if latencies else 0.0,
            "latency_p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
            if latencies
            else 0.0,
        },
    }
