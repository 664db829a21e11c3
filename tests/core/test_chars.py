"""Character statistics and kana conversion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jmedllm.core.jatext import char_stats, is_japanese_char, to_hiragana, to_katakana


def test_char_stats_counts_each_class() -> None:
    stats = char_stats("患者はカルテ ｶﾙﾃ ABC１２")
    assert stats.total == 16
    assert stats.kanji == 2  # 患者
    assert stats.hiragana == 1  # は
    assert stats.katakana == 6  # カルテ + ｶﾙﾃ
    assert stats.ascii == 5  # two spaces + ABC
    assert stats.digits == 2  # full-width １２
    assert stats.whitespace == 2
    assert stats.japanese_ratio == pytest.approx(9 / 16)
    assert stats.kanji_ratio == pytest.approx(2 / 16)


def test_char_stats_kanji_edges_and_empty_text() -> None:
    assert char_stats("々〆〇𠮷").kanji == 4  # iteration marks and an astral (extension B) kanji
    empty = char_stats("")
    assert empty.total == 0 and empty.hiragana_ratio == 0.0 and empty.japanese_ratio == 0.0


@pytest.mark.parametrize(
    ("char", "expected"), [("あ", True), ("ア", True), ("ｱ", True), ("漢", True), ("A", False), ("。", False)]
)
def test_is_japanese_char(char: str, expected: bool) -> None:
    assert is_japanese_char(char) is expected


def test_kana_conversion() -> None:
    assert to_katakana("かんじゃ ゔぁ ゝゞ ABC") == "カンジャ ヴァ ヽヾ ABC"
    assert to_hiragana("カンジャ ヴァ ヵヶ ー ヷ") == "かんじゃ ゔぁ ゕゖ ー ヷ"


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096)))
def test_kana_round_trip_keeps_length(text: str) -> None:
    katakana = to_katakana(text)
    assert len(katakana) == len(text)
    assert to_hiragana(katakana) == text
