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

__all__ = ["NO_ERROR", "extract_choices", "extract_sentence_id"]

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


#: What :func:`extract_sentence_id` returns for "the text holds no error".
NO_ERROR = 0

_NONE_WORDS = r"(?:なし|無し|ない|ありません|誤りなし|誤りはない|誤りはありません|エラーなし|none|no\s*error)"
_SENTENCE_MARKER = re.compile(
    r"(?:答え|解答|回答|answer)\s*(?:は|:|=|is)?\s*(?:第\s*)?(\d+|" + _NONE_WORDS + r")",
    re.IGNORECASE,
)
_NO_ERROR_PROSE = re.compile(
    r"誤り(?:は|が)?(?:なし|ない|ありません|見当たりません|含まれていません)|エラー(?:は)?(?:なし|ありません)"
)
_NUMBER = re.compile(r"(?<!\d)(\d{1,3})(?!\d)")


def extract_sentence_id(reply: str, sentences: int) -> int | None:
    """The sentence a reply names as erroneous, :data:`NO_ERROR` (0) for "none", or None.

    An explicit answer marker wins (``答え：3``, ``答え：なし``); otherwise a reply that is
    only a number or only "なし"; otherwise prose that says no error was found and names
    no number; otherwise exactly one distinct number that is a valid sentence number
    (``3番目の文が誤り``). Numbers outside ``1..sentences`` and replies that name several
    sentences are unscorable (None).
    """
    text = unicodedata.normalize("NFKC", reply or "").strip()
    if not text:
        return None

    def judged(token: str) -> int | None:
        if token.isdigit():
            number = int(token)
            return number if 1 <= number <= sentences else None
        return NO_ERROR

    marker = _SENTENCE_MARKER.search(text)
    if marker:
        return judged(marker.group(1))
    bare = text.strip("「」『』()[]。.、 \n")
    if bare.isdigit() or re.fullmatch(_NONE_WORDS, bare, re.IGNORECASE):
        return judged(bare)
    numbers = {int(m.group(1)) for m in _NUMBER.finditer(text)}
    if not numbers and _NO_ERROR_PROSE.search(text):
        return NO_ERROR
    if len(numbers) == 1:
        return judged(str(numbers.pop()))
    return None
