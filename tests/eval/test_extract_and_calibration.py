"""Answer extraction from Japanese replies, and the calibration metrics."""

from __future__ import annotations

import pytest

from jmedllm.eval.calibration import brier, expected_calibration_error, selective_accuracy, wilson_interval
from jmedllm.eval.extract import extract_choices


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("c", {"c"}),
        ("C.", {"c"}),
        ("ｃ", {"c"}),
        ("(c)", {"c"}),
        ("「a」", {"a"}),
        ("答え：ｃ", {"c"}),
        ("答えはbです。", {"b"}),
        ("正解は a, e です", {"a", "e"}),
        ("解答：ａ、ｅ", {"a", "e"}),
        ("a,c", {"a", "c"}),
        ("The answer is C.", {"c"}),
        ("Answer: b and d", {"b", "d"}),
        ("急性心筋梗塞が疑われるため、(d) が最も適切である。", {"d"}),
        ("dが正しい。", {"d"}),
    ],
)
def test_extracts_committed_choices(reply: str, expected: set[str]) -> None:
    assert extract_choices(reply) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "わかりません。",
        "I am not sure which option is correct.",
        "a か b のどちらかだと思います。(a) (b)",  # two candidates: not a commitment
        "答え：f",  # not a valid choice
    ],
)
def test_unscorable_replies_are_none(reply: str) -> None:
    assert extract_choices(reply) is None


def test_valid_choices_limit_the_letters() -> None:
    assert extract_choices("答え：e", valid="abcd") is None
    assert extract_choices("答え：e", valid="abcdef") == {"e"}


def test_ece_on_equal_mass_bins() -> None:
    # Perfectly calibrated in each bin: confidence equals the bin's accuracy.
    confidences = [0.5] * 10 + [1.0] * 10
    correct = [True, False] * 5 + [True] * 10
    assert expected_calibration_error(confidences, correct, bins=2) == pytest.approx(0.0)
    # Always 0.9 confident, right half the time: ECE 0.4.
    assert expected_calibration_error([0.9] * 20, [True, False] * 10) == pytest.approx(0.4)
    assert expected_calibration_error([], []) == 0.0


def test_brier_and_selective_accuracy() -> None:
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert brier([0.5, 0.5], [True, False]) == pytest.approx(0.25)
    confidences = [0.9, 0.8, 0.3, 0.2]
    correct = [True, True, False, True]
    assert selective_accuracy(confidences, correct, 0.5) == 1.0
    assert selective_accuracy(confidences, correct, 1.0) == 0.75
    with pytest.raises(ValueError, match="coverage"):
        selective_accuracy(confidences, correct, 0.0)
    with pytest.raises(ValueError, match="same length"):
        brier([0.5], [True, False])


def test_wilson_interval() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35  # 0.278: not the degenerate [0, 0] of a normal interval
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)
