"""Protected medical terms: eponyms survive de-identification; names beside them do not."""

from __future__ import annotations

import pytest

pytest.importorskip("fugashi")
pytest.importorskip("unidic_lite")

import itertools

from jmedllm.core.jatext.normalization import normalize
from jmedllm.deid.base import TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.lexicons import load_lexicon
from jmedllm.deid.protect import find_protected_terms


def protected(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    normalized = normalize(text)[0]
    return [normalized[a:b] for a, b in find_protected_terms(TextContext(normalized), extra)]


@pytest.mark.parametrize(
    "term",
    [
        "橋本病",
        "川崎病",
        "パーキンソン病",
        "クッシング症候群",
        "バセドウ病",
        "長谷川式認知症スケール",
        "田中ビネー知能検査",
        "森田療法",
        "高安動脈炎",
        "菊池病",
        "原田病",
        "大島分類",
        "ギラン・バレー症候群",
        "シェーグレン症候群",
        "クローン病",
        "ベーチェット病",
        # Not in the list: found by the general rule.
        "キーンベック病",
        "オスグッド・シュラッター病",
        "ペルテス病",
        "トッド麻痺",
        "スティーブンス・ジョンソン症候群",
        "ギラン-バレー症候群",
        "フォークト・小柳・原田病",
        "福山型先天性筋ジストロフィー",
        "田中式",
        "Crohn病",
        "パーキンソン様症状",
        "マックバーニー点",
        "フォン・ヒッペル・リンドウ病",  # MeCab keeps ・ inside one of its tokens
    ],
)
def test_eponym_protected(term: str) -> None:
    assert term in "".join(f"[{p}]" for p in protected(f"既往に{term}あり。")), protected(
        f"既往に{term}あり。"
    )


@pytest.mark.parametrize(
    "text", ["山田病院に入院。", "佐藤先生に相談。", "鈴木さんの症状。", "田中法子さん", "山田体温37度"]
)
def test_not_protected(text: str) -> None:
    assert protected(text) == []


def test_spans_are_sorted_and_disjoint() -> None:
    text = "橋本病と長谷川式認知症スケール、ギラン・バレー症候群、パーキンソン病、パーキンソン病"
    spans = find_protected_terms(TextContext(text))
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert [text[a:b] for a, b in spans][:2] == ["橋本病", "長谷川式認知症スケール"]


def test_extra_terms_are_normalised() -> None:
    assert protected("当院では山田式ＡＢＣスケールを用いる", ("山田式ＡＢＣスケール",)) == [
        "山田式ABCスケール"
    ]
    assert protected("自施設スコア", ("自施設スコア",)) == ["自施設スコア"]


def test_eponym_lexicon() -> None:
    eponyms = load_lexicon("eponyms")
    assert len(eponyms) >= 120
    assert {"橋本病", "川崎病", "長谷川式認知症スケール", "田中ビネー知能検査", "森田療法"} <= eponyms


def test_engine_keeps_eponyms_and_masks_names() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("names.person", "names.facility")))
    text = "橋本様は橋本病で川崎病院に通院中。長谷川先生が長谷川式認知症スケールを施行。"
    found = [(s.label, text[s.start : s.end]) for s in analyzer.analyze(text)]
    assert found == [("PERSON", "橋本"), ("FACILITY", "川崎病院"), ("PERSON", "長谷川")]


def test_protection_can_be_switched_off() -> None:
    # A name cue right before an eponym: protected by default, masked when protection is off.
    on = PhiAnalyzer(DeidConfig(recognizers=("names.person",), extra_names=("橋本",)))
    off = PhiAnalyzer(DeidConfig(recognizers=("names.person",), extra_names=("橋本",), protect_terms=False))
    assert [s.label for s in on.analyze("橋本病")] == []
    assert [s.label for s in off.analyze("橋本病")] == ["PERSON"]
