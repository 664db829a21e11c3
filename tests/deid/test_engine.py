"""The engine: normalise once, run recognizers, protect terms, resolve overlaps, map back."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import ClassVar

import pytest

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer, drop_protected, merge_adjacent, resolve_overlaps


class _DigitsAsPhone(Recognizer):
    """Test recognizer: every run of 6+ digits and dashes is a PHONE."""

    labels: ClassVar[tuple[str, ...]] = ("PHONE",)
    default_enabled = False

    def analyze(self, context: TextContext) -> list[Span]:
        return [Span(m.start(), m.end(), "PHONE", 0.9) for m in re.finditer(r"[0-9][0-9-]{5,}", context.text)]


class _Yamada(Recognizer):
    """Test recognizer: 山田 and 太郎 are PERSON parts."""

    labels: ClassVar[tuple[str, ...]] = ("PERSON",)
    default_enabled = False

    def analyze(self, context: TextContext) -> list[Span]:
        return [Span(m.start(), m.end(), "PERSON", 0.8) for m in re.finditer("山田|太郎|橋本", context.text)]


@pytest.fixture
def test_recognizers() -> Iterator[None]:
    RECOGNIZERS.register("test.digits")(_DigitsAsPhone)
    RECOGNIZERS.register("test.yamada")(_Yamada)
    yield
    RECOGNIZERS._plugins.pop("test.digits")
    RECOGNIZERS._plugins.pop("test.yamada")


def test_spans_land_on_the_original_full_width_characters(test_recognizers: None) -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("test.digits", "test.yamada")))
    text = "主治医：山田　太郎　ＴＥＬ：０３ー１２３４ー５６７８"
    spans = analyzer.analyze(text)
    assert [(s.label, text[s.start : s.end], s.source) for s in spans] == [
        ("PERSON", "山田　太郎", "test.yamada"),  # two parts and a full-width space merged
        ("PHONE", "０３ー１２３４ー５６７８", "test.digits"),
    ]


def test_protected_terms_keep_eponyms(test_recognizers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import jmedllm.deid.protect as protect

    monkeypatch.setattr(protect, "find_protected_terms", lambda context, extra=(): [(0, 3)])
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("test.yamada",)))
    assert analyzer.analyze("橋本病で山田さん") == [Span(4, 6, "PERSON", 0.8, "test.yamada")]
    unprotected = PhiAnalyzer(DeidConfig(recognizers=("test.yamada",), protect_terms=False))
    assert len(unprotected.analyze("橋本病で山田さん")) == 2


def test_labels_and_min_score_filter(test_recognizers: None) -> None:
    only_person = PhiAnalyzer(DeidConfig(recognizers=("test.digits", "test.yamada"), labels=("PERSON",)))
    assert {s.label for s in only_person.analyze("山田 0312345678")} == {"PERSON"}
    strict = PhiAnalyzer(DeidConfig(recognizers=("test.digits", "test.yamada"), min_score=0.85))
    assert {s.label for s in strict.analyze("山田 0312345678")} == {"PHONE"}


def test_unknown_recognizer_names_fail_clearly() -> None:
    from jmedllm.core.errors import RegistryError

    with pytest.raises(RegistryError, match=r"unknown deid\.recognizer plugin"):
        PhiAnalyzer(DeidConfig(recognizers=("nope",)))


def test_resolve_overlaps_prefers_longer_then_priority_then_score() -> None:
    spans = [
        Span(0, 4, "DATE", 0.9),
        Span(2, 10, "PHONE", 0.5),
        Span(10, 12, "PERSON", 0.4),
        Span(10, 12, "FACILITY", 0.9),
        Span(20, 22, "AGE", 1.0),
    ]
    kept = resolve_overlaps(spans)
    assert [(s.start, s.end, s.label) for s in kept] == [
        (2, 10, "PHONE"),
        (10, 12, "FACILITY"),
        (20, 22, "AGE"),
    ]


def test_resolve_overlaps_never_returns_overlaps() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10), st.floats(0, 1)), max_size=30))
    def check(raw: list[tuple[int, int, float]]) -> None:
        kept = resolve_overlaps([Span(a, a + n, "PHONE", score) for a, n, score in raw])
        assert all(x.end <= y.start for x, y in itertools.pairwise(kept))
        if raw:
            assert max(s.end - s.start for s in kept) == max(n for _, n, _ in raw)

    check()


def test_merge_adjacent_joins_name_parts_but_not_two_people() -> None:
    text = "山田 太郎・山田 花子、ジョン・スミス  鈴木03"
    spans = [
        Span(0, 2, "PERSON"),  # 山田
        Span(3, 5, "PERSON"),  # 太郎 (one space: same person)
        Span(6, 8, "PERSON"),  # 山田 after a ・ between kanji: another person
        Span(9, 11, "PERSON"),  # 花子
        Span(12, 15, "PERSON"),  # ジョン
        Span(16, 19, "PERSON"),  # スミス (・ between katakana: one foreign name)
        Span(21, 23, "PERSON"),  # 鈴木 after two spaces: separate
        Span(23, 25, "PHONE"),
    ]
    merged = merge_adjacent(spans, text)
    assert [text[s.start : s.end] for s in merged] == [
        "山田 太郎",
        "山田 花子",
        "ジョン・スミス",
        "鈴木",
        "03",
    ]
    phones = merge_adjacent([Span(0, 2, "PHONE"), Span(3, 5, "PHONE")], text)
    assert [(s.start, s.end) for s in phones] == [(0, 2), (3, 5)]


def test_drop_protected_only_drops_name_like_spans_inside_terms() -> None:
    spans = [Span(0, 2, "PERSON"), Span(0, 2, "DATE"), Span(5, 9, "PERSON")]
    assert drop_protected(spans, [(0, 3), (6, 8)]) == [Span(0, 2, "DATE"), Span(5, 9, "PERSON")]
