"""Calibration and uncertainty of scored answers: ECE, Brier, selective accuracy, CIs.

Definitions follow REFERENCE §3: expected calibration error over **10 equal-mass bins**
(each bin holds the same number of predictions, sorted by confidence, so sparse high-
confidence regions do not produce noisy bins), the Brier score of the confidence against
correctness, accuracy among the most confident fraction of answers (selective accuracy),
and 95 % confidence intervals by Wilson's score interval for proportions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "bootstrap_interval",
    "brier",
    "expected_calibration_error",
    "selective_accuracy",
    "wilson_interval",
]


def _check(confidences: Sequence[float], correct: Sequence[bool]) -> None:
    if len(confidences) != len(correct):
        raise ValueError("confidences and correctness must have the same length")
    if any(not 0.0 <= c <= 1.0 for c in confidences):
        raise ValueError("confidences must lie in [0, 1]")


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """Σ_b (|b|/n) · |accuracy(b) − mean confidence(b)| over ``bins`` equal-mass bins."""
    _check(confidences, correct)
    n = len(confidences)
    if n == 0:
        return 0.0
    order = sorted(range(n), key=lambda i: confidences[i])
    total = 0.0
    for b in range(bins):
        members = order[b * n // bins : (b + 1) * n // bins]
        if not members:
            continue
        accuracy = sum(correct[i] for i in members) / len(members)
        confidence = sum(confidences[i] for i in members) / len(members)
        total += len(members) / n * abs(accuracy - confidence)
    return total


def brier(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared difference between confidence and correctness (0 is perfect)."""
    _check(confidences, correct)
    if not confidences:
        return 0.0
    return sum((c - float(k)) ** 2 for c, k in zip(confidences, correct, strict=True)) / len(confidences)


def selective_accuracy(confidences: Sequence[float], correct: Sequence[bool], coverage: float) -> float:
    """Accuracy over the ``coverage`` fraction of answers with the highest confidence."""
    _check(confidences, correct)
    if not 0.0 < coverage <= 1.0:
        raise ValueError("coverage must lie in (0, 1]")
    if not confidences:
        return 0.0
    keep = max(1, round(coverage * len(confidences)))
    order = sorted(range(len(confidences)), key=lambda i: confidences[i], reverse=True)[:keep]
    return sum(correct[i] for i in order) / keep


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion (sensible at 0 %, 100 % and small n)."""
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the ratio Σnumerators / Σdenominators.

    For weighted rates that Wilson's interval does not fit (IgakuQA points earned over
    points available, where questions weigh 1 or 3). Items are resampled whole; the seed
    is fixed so a summary is reproducible.
    """
    import numpy as np

    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.shape != den.shape or num.ndim != 1 or len(num) == 0:
        raise ValueError("numerators and denominators must be equally long and not empty")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(num), size=(resamples, len(num)))
    totals = den[picks].sum(axis=1)
    ratios = np.divide(num[picks].sum(axis=1), totals, out=np.zeros(resamples), where=totals > 0)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return (float(low), float(high))
