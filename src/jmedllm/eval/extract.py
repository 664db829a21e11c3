"""Answer extraction from free-text model replies to multiple-choice questions.

Models answer in many shapes: ``c``, ``(c)``, ``「c」``, ``答え：ｃ``, ``正解はa, e``,
``The answer is C.``, or a whole explanation ending in a choice. The rules, in order:
an explicit answer marker (答え, 解答, 正解, 回答, answer) wins; otherwise a reply that *is*
a choice list (``a,c``); otherwise a single bracketed or standalone letter that is a
valid choice. Anything else is unscorable (``None``), counted separately from wrong
answers — guessing a letter out of prose would turn noise into accuracy.

Text is NFKC-normalised first, so full-width letters and punctuation (``ａ``, ``：``,
``，``) read like their ASCII forms; this only feeds the matcher, never a stored text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["extract_choices"]

_MARKER = re.compile(
    r"(?:答え|解答|正解|回答|選択肢|answer(?:\s+is)?|ans)\s*(?:は|:|=|：|is)?\s*"
    r"((?:[\(\[「『【]?\s*[a-z]\s*[\)\]」』】]?\s*(?:[,、，・/と&]|and|及び|および)?\s*)+)",
    re.IGNORECASE,
)
_LIST_ONLY = re.compile(
    r"^[\(\[「『【]?\s*([a-z](?:\s*[,、，・/]\s*[a-z])*)\s*[\)\]」』】]?\s*[.。]?$", re.IGNORECASE
)
_BRACKETED = re.compile(r"[\(\[「『【]\s*([a-z])\s*[\)\]」』】]", re.IGNORECASE)
_STANDALONE = re.compile(r"(?<![a-z])([a-e])(?![a-z])", re.IGNORECASE)


def extract_choices(reply: str, valid: Iterable[str] = "abcde") -> frozenset[str] | None:
    """The set of choice letters a reply commits to, or None when it commits to none."""
    allowed = frozenset(c.lower() for c in valid)
    text = unicodedata.normalize("NFKC", reply or "").strip()
    if not text:
        return None
    for match in _MARKER.finditer(text):
        letters = _letters(match.group(1), allowed)
        if letters:
            return letters
    only = _LIST_ONLY.match(text)
    if only:
        letters = _letters(only.group(1), allowed)
        if letters:
            return letters
    bracketed = {m.group(1).lower() for m in _BRACKETED.finditer(text)} & allowed
    if len(bracketed) == 1:
        return frozenset(bracketed)
    # A lone letter in Japanese prose ("cが正しい"): only when exactly one valid letter stands alone.
    if not re.search(r"[a-z]{2,}", text, re.IGNORECASE):
        standalone = {m.group(1).lower() for m in _STANDALONE.finditer(text)} & allowed
        if len(standalone) == 1:
            return frozenset(standalone)
    return None


def _letters(fragment: str, allowed: frozenset[str]) -> frozenset[str]:
    # Only single letters count: "and" in "a and c" joins choices, it is not a, n and d.
    found = {w.lower() for w in re.findall(r"[a-z]+", fragment, re.IGNORECASE) if len(w) == 1}
    return frozenset(found) if found and found <= allowed else frozenset()
