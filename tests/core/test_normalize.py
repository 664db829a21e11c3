"""Normalisation keeps clinical meaning, is idempotent, and maps offsets exactly."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jmedllm.core.jatext import JapaneseNormalizer, NormalizerConfig, normalize


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        # NFKC folds what it should
        ("ＨｂＡ１ｃ　７．２％", "HbA1c 7.2%"),
        ("ｱｾﾄｱﾐﾉﾌｪﾝ", "アセトアミノフェン"),
        ("ｶﾞｽ", "ガス"),
        ("㍻31年", "平成31年"),
        ("㋿5年", "令和5年"),
        ("㍼60年", "昭和60年"),
        ("5㎎", "5mg"),
        ("37.5℃", "37.5°C"),
        ("か\u3099", "が"),  # combining dakuten composes
        # ...and keeps what it must
        ("WBC 12.3×10³/μL", "WBC 12.3×10³/μL"),
        ("PLT 25×10⁴/μL", "PLT 25×10⁴/μL"),
        ("H₂O", "H₂O"),
        ("①12", "①12"),
        ("❶発熱", "❶発熱"),
        ("3〜5mg", "3〜5mg"),
        # encoding variants of one character fold to one form
        ("3～5mg", "3〜5mg"),  # CP932's full-width tilde
        ("3∼5mg", "3〜5mg"),
        ("3~5mg", "3〜5mg"),  # ASCII tilde between digits is a range
        ("~/notes", "~/notes"),  # ...but not in a path
        ("Na −3", "Na -3"),
        ("Na －3", "Na -3"),
        ("COVID‐19", "COVID-19"),
        ("1–2日", "1-2日"),
        # ー is a dash only between digits
        ("03ー1234ー5678", "03-1234-5678"),
        ("０３ー１２３４ー５６７８", "03-1234-5678"),
        ("03ｰ1234ｰ5678", "03-1234-5678"),
        ("データー", "データー"),
        ("ー1", "ー1"),
        ("1―2", "1-2"),
        ("前文――後文", "前文——後文"),
        # invisible characters that hide identifiers are removed
        ("090\u200b1234\u200b5678", "09012345678"),
        ("\ufeff患者", "患者"),
        ("", ""),
    ],
)
def test_normalize_examples(original: str, expected: str) -> None:
    assert normalize(original)[0] == expected


def test_plain_nfkc_would_break_clinical_meaning() -> None:
    # Guards the reason this module exists: if NFKC ever stopped folding these, the
    # exceptions above would be dead code worth removing.
    assert unicodedata.normalize("NFKC", "10³") == "103"
    assert unicodedata.normalize("NFKC", "①12") == "112"


@pytest.mark.parametrize(
    ("original", "needle_normalized", "needle_original"),
    [
        ("患者ＩＤ：１２３４５です", "12345", "１２３４５"),
        ("㍻31年4月30日", "平成31年", "㍻31年"),
        ("TEL ０３ー１２３４ー５６７８", "03-1234-5678", "０３ー１２３４ー５６７８"),
        ("ｶﾞｽﾀｰ10", "ガスター10", "ｶﾞｽﾀｰ10"),
        ("か\u3099んこ", "がんこ", "か\u3099んこ"),
        ("😷👨\u200d👩\u200d👧 山田太郎 ❤\ufe0f", "山田太郎", "山田太郎"),
        ("𠮷野家の𩸽定食 ＡＢＣ", "ABC", "ＡＢＣ"),  # astral kanji before the span
        ("e\u0301\u0327tude 佐藤", "佐藤", "佐藤"),  # stacked combining marks (reordered by NFKC)
        ("3～5mg ①", "3〜5mg", "3～5mg"),
        ("\u200b\u200b鈴木", "鈴木", "鈴木"),
    ],
)
def test_spans_map_back_to_the_exact_original_characters(
    original: str, needle_normalized: str, needle_original: str
) -> None:
    normalized, offsets = normalize(original)
    start = normalized.index(needle_normalized)
    o_start, o_end = offsets.to_original(start, start + len(needle_normalized))
    assert original[o_start:o_end] == needle_original


def test_a_span_inside_an_expansion_maps_to_the_whole_source_character() -> None:
    normalized, offsets = normalize("x㍻y")
    assert normalized == "x平成y"
    assert offsets.to_original(1, 2) == (1, 2)  # "平" alone → "㍻"
    assert offsets.to_original(2, 3) == (1, 2)  # "成" alone → "㍻"
    assert offsets.source(1) == (1, 2)


def test_offset_map_sequence_interface() -> None:
    original = "ＡＢ㍻c"
    normalized, offsets = normalize(original)
    assert normalized == "AB平成c"
    assert list(offsets) == [0, 1, 2, 2, 3, 4]
    assert len(offsets) == len(normalized) + 1
    assert offsets[-1] == len(original)
    assert offsets[1:3] == [1, 2]
    assert offsets.to_normalized(3) == 4  # original "c" is normalized index 4
    assert offsets.to_original(5, 5) == (4, 4)
    with pytest.raises(IndexError):
        offsets.to_original(0, 99)


def test_identity_map_is_compact_for_unchanged_text() -> None:
    text = "患者は60代男性。主訴は胸痛。" * 1000
    normalized, offsets = normalize(text)
    assert normalized == text
    assert offsets.is_identity
    assert "segments=1" in repr(offsets)


def test_config_switches() -> None:
    plain = JapaneseNormalizer(
        NormalizerConfig(keep_superscripts=False, keep_circled_numbers=False, fold_waves=False)
    )
    assert plain.normalize("10³ ①2 3～5")[0] == "103 12 3~5"
    no_nfkc = JapaneseNormalizer(NormalizerConfig(nfkc=False))
    assert no_nfkc.normalize("ＡＢ03ー1")[0] == "ＡＢ03-1"


# --- properties --------------------------------------------------------------------

_CLINICAL_ALPHABET = st.sampled_from(
    list("患者様山田髙﨑の血圧はかきくカキクｶｷｸﾞﾟーｰ－−‐—―〜～~・。、 　\n")
    + list("0123456789０１２３４５６７８９abcＡＢＣ³⁴①②❶㍻㋿㎎℃µ")
    + ["\u3099", "\u309a", "\u0301", "\u0327", "\u200b", "\ufeff", "\u00ad", "😷", "𠮷", "❤\ufe0f", "\u200d"]
)
_texts = st.one_of(
    st.lists(_CLINICAL_ALPHABET, max_size=40).map("".join),
    st.text(max_size=40),
)


def _check_map(original: str, normalized: str, offsets) -> None:  # type: ignore[no-untyped-def]
    starts = list(offsets)
    assert len(starts) == len(normalized) + 1
    assert starts[-1] == len(original)
    assert all(a <= b for a, b in itertools.pairwise(starts)), "offset map must be monotone"
    covered: set[int] = set()
    for j in range(len(normalized)):
        o_start, o_end = offsets.source(j)
        assert 0 <= o_start < o_end <= len(original)
        covered.update(range(o_start, o_end))
    # Every original character is the source of some output, unless it was removed on purpose.
    removable = set("\u200b\u2060\ufeff\u00ad")
    for i, char in enumerate(original):
        assert i in covered or char in removable or unicodedata.combining(char), (i, char)


@settings(max_examples=400, deadline=None)
@given(_texts)
@example("1ー\u30992")
@example("ｶ\uff9e")
@example("\u3099か")
def test_map_is_monotone_and_covers_the_text(text: str) -> None:
    normalized, offsets = normalize(text)
    _check_map(text, normalized, offsets)


@settings(max_examples=400, deadline=None)
@given(_texts)
@example("は\u200b\u3099")  # a dropped invisible character between a base and its mark
@example("\u200b\u3099か")
@example("0ー\u200b0")  # a dropped invisible character between ー and a digit (found by hypothesis)
@example("0\u200bー0")
def test_normalization_is_idempotent(text: str) -> None:
    once, _ = normalize(text)
    twice, offsets = normalize(once)
    assert twice == once
    assert offsets.is_identity or len(once) == 0


@settings(max_examples=200, deadline=None)
@given(_texts, st.data())
def test_any_normalized_span_maps_to_a_span_whose_normalization_contains_it(
    text: str, data: st.DataObject
) -> None:
    normalized, offsets = normalize(text)
    if not normalized:
        return
    start = data.draw(st.integers(0, len(normalized) - 1))
    end = data.draw(st.integers(start + 1, len(normalized)))
    o_start, o_end = offsets.to_original(start, end)
    assert 0 <= o_start < o_end <= len(text)
    # The original characters cover at least as much as the span (expansions map whole).
    assert o_end - o_start >= 1
    assert offsets.to_original(0, len(normalized))[0] <= o_start


def test_lone_surrogates_from_surrogateescape_decoding_survive_with_exact_offsets() -> None:
    # Bytes that failed to decode with errors="surrogateescape" become lone surrogates;
    # they must pass through untouched and keep every later offset exact.
    original = b"ID\xff:\xef\xbc\x91\xef\xbc\x92".decode("utf-8", errors="surrogateescape")
    assert original == "ID\udcff:１２"
    normalized, offsets = normalize(original)
    assert normalized == "ID\udcff:12"
    start = normalized.index("12")
    o_start, o_end = offsets.to_original(start, start + 2)
    assert original[o_start:o_end] == "１２"
