"""Character statistics and kana conversion for Japanese text.

The quality filters of Japanese corpora (Swallow, LLM-jp) are written in terms of the
share of hiragana, katakana, kanji and ASCII in a document; :func:`char_stats` computes
them in one pass over the text with C-speed regex scans. Clinical notes are kanji and
katakana heavy, so filters built on these numbers need a clinical profile (see
REFERENCE §2) — these functions only count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CharStats", "char_stats", "is_japanese_char", "to_hiragana", "to_katakana"]

_HIRAGANA = re.compile("[\u3041-\u309f]")  # includes ゝゞゟ and the (semi-)voiced marks
_KATAKANA = re.compile("[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # + small ext. and half-width
# CJK unified ideographs (with extension A and the astral extensions), compatibility
# ideographs, and the iteration mark 々 / 〆 / 〇 that count as kanji in practice.
_KANJI = re.compile("[\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_ASCII = re.compile("[\x00-\x7f]")
_DIGIT = re.compile("[0-9\uff10-\uff19]")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class CharStats:
    """Counts of character classes in a text; ratios are over all characters."""

    total: int
    hiragana: int
    katakana: int
    kanji: int
    ascii: int
    digits: int
    whitespace: int

    def _ratio(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    @property
    def hiragana_ratio(self) -> float:
        return self._ratio(self.hiragana)

    @property
    def katakana_ratio(self) -> float:
        return self._ratio(self.katakana)

    @property
    def kanji_ratio(self) -> float:
        return self._ratio(self.kanji)

    @property
    def ascii_ratio(self) -> float:
        return self._ratio(self.ascii)

    @property
    def japanese_ratio(self) -> float:
        """Share of hiragana, katakana and kanji together (Swallow's "Japanese characters")."""
        return self._ratio(self.hiragana + self.katakana + self.kanji)


def char_stats(text: str) -> CharStats:
    """Count hiragana, katakana, kanji, ASCII, digits (ASCII and full-width) and whitespace."""
    return CharStats(
        total=len(text),
        hiragana=len(_HIRAGANA.findall(text)),
        katakana=len(_KATAKANA.findall(text)),
        kanji=len(_KANJI.findall(text)),
        ascii=len(_ASCII.findall(text)),
        digits=len(_DIGIT.findall(text)),
        whitespace=len(_SPACE.findall(text)),
    )


def is_japanese_char(char: str) -> bool:
    """True for a hiragana, katakana or kanji character."""
    return bool(_HIRAGANA.match(char) or _KATAKANA.match(char) or _KANJI.match(char))


# ぁ..ゖ ↔ ァ..ヶ are a fixed offset apart, as are the iteration marks ゝゞ ↔ ヽヾ.
_HIRA = "".join(map(chr, range(0x3041, 0x3097))) + "ゝゞ"
_KATA = "".join(map(chr, range(0x30A1, 0x30F7))) + "ヽヾ"
_TO_KATA = str.maketrans(_HIRA, _KATA)
_TO_HIRA = str.maketrans(_KATA, _HIRA)


def to_katakana(text: str) -> str:
    """Hiragana → katakana (``かんじゃ`` → ``カンジャ``); everything else unchanged, same length."""
    return text.translate(_TO_KATA)


def to_hiragana(text: str) -> str:
    """Katakana → hiragana (``カンジャ`` → ``かんじゃ``).

    Katakana with no hiragana counterpart (ヷヸヹヺ, ー, half-width forms) stay as they
    are, so the result has the same length and offsets as the input.
    """
    return text.translate(_TO_HIRA)
