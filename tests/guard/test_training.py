"""The guard model's training data and threshold rule (the fit itself is `jmedllm guard train`)."""

from __future__ import annotations

from collections import Counter

import pytest

from jmedllm.guard.model import load_intent_model
from jmedllm.guard.training import GUARD_FILES, _threshold, examples


def _blocked(scores: list[float], threshold: float) -> int:
    return sum(s >= threshold for s in scores)


def test_the_threshold_blocks_at_most_the_budget_of_negatives() -> None:
    negatives = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    positives = [0.99, 0.85, 0.75]
    scores = negatives + positives
    labels = [False] * 10 + [True] * 3
    threshold = _threshold(scores, labels, 0.2)
    assert _blocked(negatives, threshold) == 2  # 20 % of ten
    assert _blocked(positives, threshold) == 2 and threshold <= 0.85
    assert _blocked(negatives, _threshold(scores, labels, 0.0)) == 0


def test_no_group_of_negatives_is_blocked_above_its_own_bound() -> None:
    # Twenty easy negatives dilute the overall rate; the hard group must still be protected.
    hard = [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45]
    easy = [0.01 * i for i in range(20)]
    scores = hard + easy + [0.95]
    labels = [False] * 30 + [True]
    groups = ["hard"] * 10 + ["easy"] * 20 + ["attack"]
    loose = _threshold(scores, labels, 0.2)
    assert _blocked(hard, loose) == 6  # 6 of 30 negatives, all of them from the hard group
    strict = _threshold(scores, labels, 0.2, groups=groups, max_group_false_block=0.1)
    assert _blocked(hard, strict) == 1
    # Groups smaller than min_group are not held to their own bound.
    assert (
        _blocked(
            hard, _threshold(scores, labels, 0.2, groups=groups, max_group_false_block=0.1, min_group=11)
        )
        == 6
    )


@pytest.fixture(scope="module")
def every_example() -> list:
    return examples()


def test_the_training_data_is_labelled_split_and_free_of_leaks(every_example: list) -> None:
    assert {e.label for e in every_example} == {"harmful", "injection", "benign"}
    assert {e.split for e in every_example} == {"train", "dev", "test"}
    assert len({(e.source, e.id) for e in every_example}) == len(every_example)
    # The same prompt in two splits would let test figures reward memorising it.
    splits: dict[str, set[str]] = {}
    for example in every_example:
        splits.setdefault(example.text.strip(), set()).add(example.split)
    leaked = [text[:40] for text, found in splits.items() if len(found) > 1]
    assert leaked == []
    counts = Counter(e.label for e in every_example)
    # The minimum amounts of labelled data (train + dev + test).
    assert counts["harmful"] >= 300 and counts["injection"] >= 150 and counts["benign"] >= 300
    assert sum(e.pii for e in every_example if e.label == "benign") >= 50
    sources = {e.source for e in every_example}
    assert set(GUARD_FILES) <= sources  # every listed file is read, none is empty


def test_the_shipped_model_carries_its_dev_threshold() -> None:
    model = load_intent_model()
    assert 0.0 < model.thresholds["attack"] < 1.0
    assert model.meta["max_false_block_dev"] == {"all": 0.03, "per_source": 0.05}


def test_a_guard_file_with_an_unknown_label_is_refused_by_name(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jmedllm.guard import training

    bad = tmp_path / "oops.jsonl"
    bad.write_text(
        '{"id": "x-1", "split": "train", "prompt": "テスト", "label": "harmful", "category": "fraud"}\n'
        '{"id": "x-2", "split": "train", "prompt": "テスト2", "label": "harmfull"}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(training, "_guard_file", lambda name: tmp_path / name)
    with pytest.raises(ValueError, match=r"oops.jsonl: line 'x-2' has label 'harmfull'"):
        list(training._guard_examples("oops"))
