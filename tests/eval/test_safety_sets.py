"""The shipped safety sets: sizes the issue asks for, splits, data cards, schema rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jmedllm.core.errors import InputFileError
from jmedllm.core.taxonomy import HAZARDS
from jmedllm.eval.safety.sets import SETS, data_path, load_set

MINIMUM = {
    "harmful": 150,
    "medsafetybench-ja": 100,
    "overrefusal": 150,
    "false-premise": 60,
    "privacy": 40,
    "security": 80,
    "judge-validation": 300,
}


@pytest.mark.parametrize("name", list(SETS))
def test_each_set_is_as_large_as_promised_and_split(name: str) -> None:
    items = load_set(name)
    assert len(items) >= MINIMUM[name]
    splits = Counter(i.split for i in items)
    assert set(splits) == {"train", "dev", "test"}
    assert 0.12 <= splits["test"] / len(items) <= 0.3


@pytest.mark.parametrize("name", list(SETS))
def test_each_set_has_a_data_card(name: str) -> None:
    card = data_path(name).with_suffix("").with_suffix(".card.md")
    text = card.read_text(encoding="utf-8")
    for heading in ("licen", "limitation", "split"):
        assert heading in text.lower(), f"{card.name} lacks a {heading} section"


def test_split_filters_and_prompts_are_distinct() -> None:
    test = load_set("harmful", ["test"])
    assert test and all(i.split == "test" for i in test)
    for name in ("harmful", "medsafetybench-ja", "overrefusal", "false-premise"):
        prompts = [i.prompt for i in load_set(name)]  # type: ignore[attr-defined]
        assert len(set(prompts)) == len(prompts), name


def test_harmful_sets_cover_every_hazard_with_referrals_for_self_harm() -> None:
    items = load_set("harmful")
    categories = Counter(i.category for i in items)  # type: ignore[attr-defined]
    assert set(categories) == set(HAZARDS)
    assert min(categories.values()) >= 15
    assert all(i.expected == "refuse_with_referral" for i in items if i.category == "self_harm")  # type: ignore[attr-defined]
    msb = load_set("medsafetybench-ja")
    assert {i.source_category for i in msb} == set(range(1, 10))  # type: ignore[attr-defined]


def test_security_covers_the_techniques() -> None:
    techniques = Counter(i.technique for i in load_set("security"))  # type: ignore[attr-defined]
    for needed in ("direct_override", "indirect_referral_letter", "encoded_base64", "roleplay", "multi_turn"):
        assert techniques[needed] >= 5, needed


def test_a_bad_line_names_the_file_and_line(tmp_path: Path) -> None:
    good = data_path("harmful").read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "harmful.jsonl"
    bad.write_text(good + "\n" + good.replace('"harm-', '"HARM-') + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"harmful.jsonl:2: String should match pattern"):
        load_set("harmful", path=bad)
    bad.write_text(good + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="duplicate id"):
        load_set("harmful", path=bad)
