"""The optional GiNZA recognizer: label mapping, off by default, and (slow) a real model run."""

from __future__ import annotations

import pytest

from jmedllm.deid.base import RECOGNIZERS
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers.neural import GinzaRecognizer, _chunks, map_ginza_label


def test_registered_and_off_by_default() -> None:
    assert RECOGNIZERS.get("neural.ginza") is GinzaRecognizer
    assert GinzaRecognizer.default_enabled is False
    assert GinzaRecognizer.labels == ("PERSON", "FACILITY", "ADDRESS")
    assert "neural.ginza" not in [name for name, _ in PhiAnalyzer().recognizers]
    enabled = PhiAnalyzer(DeidConfig(enable=("neural.ginza",)))
    assert "neural.ginza" in [name for name, _ in enabled.recognizers]


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        ("Person", "山田太郎", "PERSON"),
        ("Province", "東京都新宿区西新宿", "ADDRESS"),
        ("City", "横浜市", "ADDRESS"),
        ("GOE_Other", "聖路加国際病院", "FACILITY"),
        ("Position_Vocation", "医療法人社団 緑会 さくら内科クリニック", "FACILITY"),
        ("Position_Vocation", "患者", None),  # organisation-ish label without a facility word
        ("Company", "厚生労働省", None),
        ("Country", "日本", None),  # identifies no one
        ("Animal_Disease", "橋本病", None),
        ("Date", "5年4月1日", None),  # dates are the rule recognizers' job
    ],
)
def test_label_mapping(label: str, text: str, expected: str | None) -> None:
    assert map_ginza_label(label, text) == expected


def test_chunks_cover_the_text_exactly() -> None:
    text = ("患者は外来受診。\n" * 700) + "末尾"
    pieces = _chunks(text)
    assert "".join(p for _, p in pieces) == text
    assert all(text[o : o + len(p)] == p for o, p in pieces)
    assert len(pieces) > 1 and all(len(p) <= 2000 for _, p in pieces)


@pytest.mark.slow
def test_ginza_finds_a_person_name() -> None:
    pytest.importorskip("ja_ginza")
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("neural.ginza",), protect_terms=False))
    text = "患者 山田太郎さん（85歳）は東京都新宿区西新宿在住。妻と来院。"
    found = {(s.label, text[s.start : s.end]) for s in analyzer.analyze(text)}
    assert ("PERSON", "山田太郎") in found
    assert all(s.source == "neural.ginza" for s in analyzer.analyze(text))
