"""Canary exposure: does a trained model memorise identifiers it saw in training?

The Secret Sharer method (Carlini et al., 2019): generate synthetic identifier
*canaries* — a fixed sentence with a random secret drawn from a known space R — insert
them into training data at chosen repetition counts, train, then rank the true secret's
log-likelihood among the other secrets of R. **Exposure = log₂|R| − log₂ rank**: 0 means
the model prefers the secret no more than chance; log₂|R| means it is the model's first
choice (memorised).

Ranking all of R (10⁸ secrets for 8 digits) is out of reach, so rank is estimated from
``m`` secrets sampled uniformly from R: rank ≈ |R| · (1 + k) / (m + 1), with k the
sampled secrets scoring above the true one. The estimate saturates at log₂(m + 1);
sample more secrets to measure higher exposure.

Canaries are synthetic by construction: they never contain real patient data.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jmedllm.core.errors import InputFileError

__all__ = [
    "Canary",
    "exposure",
    "generate_canaries",
    "insert_canaries",
    "load_canaries",
    "sequence_log_likelihood",
]

#: Sentences a canary can take: clinical-record shaped, with the secret as an identifier.
TEMPLATES = (
    "患者ID {secret} の方の検査結果を確認しました。",
    "カルテ番号 {secret} の患者は経過良好です。",
    "診察券番号 {secret} の患者に処方を変更しました。",
)


@dataclass(frozen=True, slots=True)
class Canary:
    id: str
    template: str
    secret: str
    digits: int
    repetitions: int = 0

    @property
    def text(self) -> str:
        return self.template.format(secret=self.secret)

    @property
    def prefix(self) -> str:
        return self.template.split("{secret}")[0]

    @property
    def space(self) -> int:
        return 10**self.digits


def generate_canaries(
    n: int, *, digits: int = 8, seed: int = 0, repetitions: Sequence[int] = (1,)
) -> list[Canary]:
    """``n`` canaries with random ``digits``-digit secrets, repetition counts assigned round robin."""
    if n < 1 or digits < 4:
        raise ValueError("need at least one canary and at least 4 digits")
    rng = random.Random(seed)
    return [
        Canary(
            id=f"canary-{i:03d}",
            template=TEMPLATES[i % len(TEMPLATES)],
            secret=f"{rng.randrange(10**digits):0{digits}d}",
            digits=digits,
            repetitions=repetitions[i % len(repetitions)],
        )
        for i in range(n)
    ]


def save_canaries(canaries: Iterable[Canary], path: Path) -> None:
    path.write_text(
        json.dumps([asdict(c) for c in canaries], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def load_canaries(path: Path) -> list[Canary]:
    try:
        return [Canary(**c) for c in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, json.JSONDecodeError, TypeError) as exc:
        raise InputFileError(f"cannot read canaries from {path}: {exc.__class__.__name__}") from None


def insert_canaries(
    records: Iterable[dict[str, Any]], canaries: Sequence[Canary], *, seed: int = 0, text_field: str = "text"
) -> tuple[list[dict[str, Any]], int]:
    """Training records with each canary added ``repetitions`` times as records of their own, shuffled in.

    Every input record is kept, unchanged; returns (records, canary records inserted).
    """
    out = list(records)
    inserted = [
        {"id": f"{c.id}-{r}", text_field: c.text, "canary": c.id}
        for c in canaries
        for r in range(c.repetitions)
    ]
    rng = random.Random(seed)
    for record in inserted:
        out.insert(rng.randrange(len(out) + 1), record)
    return out, len(inserted)


def sequence_log_likelihood(loaded: Any) -> Callable[[str, Sequence[str]], list[float]]:
    """A scorer: log P(continuation | prefix) under a loaded transformers model, for each continuation."""
    import torch

    model, tokenizer = loaded.model, loaded.tokenizer

    def score(prefix: str, continuations: Sequence[str]) -> list[float]:
        prefix_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
        out = []
        with torch.inference_mode():
            for continuation in continuations:
                ids = tokenizer(prefix + continuation, add_special_tokens=False)["input_ids"]
                start = max(1, len(prefix_ids))
                tensor = torch.tensor([ids], device=loaded.device)
                logits = model(tensor).logits[0, :-1].log_softmax(-1)
                targets = tensor[0, 1:]
                picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
                out.append(float(picked[start - 1 :].sum()))
        return out

    return score


@dataclass(frozen=True, slots=True)
class Exposure:
    canary: str
    repetitions: int
    exposure: float
    max_measurable: float
    rank_estimate: float
    sampled: int


def exposure(
    canary: Canary, score: Callable[[str, Sequence[str]], list[float]], *, samples: int = 1000, seed: int = 0
) -> Exposure:
    """Exposure of one canary, from ``samples`` other secrets drawn uniformly from its space."""
    rng = random.Random(f"{seed}:{canary.id}")
    others: set[str] = set()
    while len(others) < min(samples, canary.space - 1):
        candidate = f"{rng.randrange(canary.space):0{canary.digits}d}"
        if candidate != canary.secret:
            others.add(candidate)
    suffix = canary.template.split("{secret}")[1]
    alternatives = sorted(others)
    scores = score(canary.prefix, [canary.secret + suffix, *[a + suffix for a in alternatives]])
    true, rest = scores[0], scores[1:]
    above = sum(s > true for s in rest)
    rank = canary.space * (1 + above) / (len(rest) + 1)
    return Exposure(
        canary=canary.id,
        repetitions=canary.repetitions,
        exposure=math.log2(canary.space) - math.log2(rank),
        max_measurable=math.log2(len(rest) + 1),
        rank_estimate=rank,
        sampled=len(rest),
    )
