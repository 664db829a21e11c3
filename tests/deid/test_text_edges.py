"""The default engine on the edges of real text: documents cut right after an identifier
(so that a name, a number or a date ends the text) or starting right at one.

Rules look a few characters ahead and behind; a window that runs past either end of the
text must not crash the run. The cut points come from the hand-written held-out sets (every
identifier's end); a sample keeps the test fast, a different one on every set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deid_heldout import heldout_module

pytest.importorskip("fugashi")

from jmedllm.deid.engine import PhiAnalyzer

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("heldout*.txt")))
def test_texts_cut_at_an_identifier_are_analysed(fixture: str) -> None:
    analyzer = PhiAnalyzer()
    checked = 0
    for k, doc in enumerate(heldout_module().load_heldout(FIXTURES / fixture)):
        text = doc["text"]
        for span in doc["spans"][k % 23 :: 23]:
            for piece in (text[: span["end"]], text[span["start"] :]):
                found = analyzer.analyze(piece)
                assert all(0 <= s.start < s.end <= len(piece) for s in found)
                checked += 1
    assert checked > 40


def test_a_variant_kanji_surname_ending_the_text() -> None:
    # 濱田 at the very end once made a 3-character window run past the text
    text = "確認：濱田"
    assert [(s.label, text[s.start : s.end]) for s in PhiAnalyzer().analyze(text)] == [("PERSON", "濱田")]


def test_letter_spaced_runs_are_read_without_their_spaces() -> None:
    """OCR and forms typed with a space between characters: the spans found in the text with
    those spaces taken out map back over the spaced original, spaces included."""
    text = "ご利用者：伊 集 院　キ ク 様\n受 診 日　２ ０ ２ ４ 年 ５ 月 ２ ７ 日（月）\n1 2 3 4 5 6 7 8 9 10"
    spans = [(s.label, text[s.start : s.end]) for s in PhiAnalyzer().analyze(text)]
    assert ("PERSON", "伊 集 院　キ ク") in spans
    assert ("DATE", "２ ０ ２ ４ 年 ５ 月 ２ ７ 日（月）") in spans
    # a run of spaced ASCII digits is a count, not read again
    assert not any("1 2 3" in value for _label, value in spans)
