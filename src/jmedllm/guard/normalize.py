"""Undo the disguises attackers put on Japanese prompts before a classifier judges them.

Obfuscation only works against a guard that reads the surface: full-width letters,
zero-width characters, 「指 示 を 無 視」 spelt out with spaces, hiragana instead of kanji
and katakana, text written backwards, instructions hidden in base64. :func:`views`
returns the text as the classifier should read it plus every decoded reading (reversed,
base64 payloads); a rail scores each view and keeps the worst. Offsets are not needed
here — nothing is masked from these views — so NFKC is safe to apply.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

__all__ = ["canonical", "views"]

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
# Single characters separated by spaces or dots: 「指 示 を 無 視」, "i g n o r e".
_SPACED = re.compile(r"(?:(?<=^)|(?<=\s))((?:\S[ 　.・_\-]){3,}\S)(?=\s|$)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_WHITESPACE = re.compile(r"\s+")
_KATAKANA = {chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)}


def canonical(text: str) -> str:
    """The reading a classifier sees: NFKC, lower case, no zero-width characters, spaced-out
    letters joined, whitespace collapsed, katakana folded to hiragana (カタカナ and かたかな meet)."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text or "")).casefold()
    text = _SPACED.sub(lambda m: re.sub(r"[ 　.・_\-]", "", m.group(1)), text)
    # Runs of whitespace read as one space, none at the ends: padding must not move a score.
    text = _WHITESPACE.sub(" ", text).strip()
    return text.translate(str.maketrans(_KATAKANA))


def _decoded_base64(text: str) -> list[str]:
    out = []
    for match in _BASE64.finditer(text):
        chunk = match.group(0)
        try:
            raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        # Keep only payloads that read as text (not random bytes that happen to decode).
        printable = sum(ch.isprintable() for ch in decoded)
        if decoded and printable / len(decoded) > 0.9:
            out.append(decoded)
    return out


def views(text: str) -> list[str]:
    """Canonical text, then its reversal, then any base64 payload it carries (each canonical)."""
    base = canonical(text)
    found = [base, base[::-1]]
    found += [canonical(payload) for payload in _decoded_base64(unicodedata.normalize("NFKC", text or ""))]
    return found
