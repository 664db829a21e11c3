"""Optional GiNZA (spaCy ``ja_ginza``) named-entity recognizer for names, facilities, places.

The rule, dictionary and morphology recognizers catch the bulk of Japanese PHI at
10⁵–10⁶ characters per second per core; a neural NER model adds recall on names and
places no dictionary holds, at ~100–1000× the cost (spaCy + SudachiPy + a CNN: about
2×10³ characters per second per core in ``bench/deid_throughput.py``, plus a few seconds
to load). It is therefore registered but **off by default**: enable it with ``DeidConfig(enable=("neural.ginza",))`` for small,
high-stakes batches. Needs the ``ja_ginza`` package (installed as a Python package, so
nothing downloads at run time).

GiNZA 5 tags Sekine's extended named-entity hierarchy (``Person``, ``Province``, ``City``,
``GOE_Other`` for hospitals, ``Company`` …). Only three jmedllm labels are taken from it:

* ``Person`` → PERSON;
* organisation/facility types → FACILITY, only when the name ends in a facility word
  (病院, クリニック, 薬局, ホーム …) — GiNZA calls many clinical phrases organisations;
* ``Province``, ``City``, ``County``, ``GPE_Other``, ``Postal_Address`` → ADDRESS
  (not ``Country`` or regions such as 関東: they identify no one).
"""

from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext

__all__ = ["GinzaRecognizer", "map_ginza_label"]

_PERSON = frozenset({"Person"})
_ADDRESS = frozenset({"Province", "City", "County", "GPE_Other", "Postal_Address"})
_FACILITY_TYPES = frozenset(
    {
        "GOE_Other", "Facility_Other", "Public_Institution", "School", "Research_Institute", "Company",
        "Company_Group", "Corporation_Other", "Organization_Other", "International_Organization",
        "Worship_Place", "Museum", "Position_Vocation",
    }
)  # fmt: skip
# GiNZA tags 医療法人… クリニック as Position_Vocation at times; the suffix test keeps it honest.
_FACILITY_SUFFIX = re.compile(
    r"(病院|医院|クリニック|診療所|薬局|センター|ステーション|ホーム|事業所|施設|苑|園|会|学校|大学|会社|店)$"
)
_SCORE = 0.6  # spaCy's NER gives no per-entity probability; below the rule recognizers' scores
_CHUNK = 2000  # SudachiPy rejects long inputs (~49 KB); documents are split at line ends

_lock = threading.Lock()
_nlp: Any = None


def _load() -> Any:
    """``spacy.load("ja_ginza")`` once per process (thread-safe)."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.load("ja_ginza")
    return _nlp


def map_ginza_label(label: str, text: str) -> str | None:
    """The jmedllm label for a GiNZA entity ``label`` over ``text`` (None: not PHI)."""
    if label in _PERSON:
        return "PERSON"
    if label in _ADDRESS:
        return "ADDRESS"
    if label in _FACILITY_TYPES and _FACILITY_SUFFIX.search(text.rstrip()):
        return "FACILITY"
    return None


def _chunks(text: str) -> list[tuple[int, str]]:
    """(offset, piece) pieces of at most about ``_CHUNK`` characters, cut after newlines."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + _CHUNK)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


@RECOGNIZERS.register("neural.ginza")
class GinzaRecognizer(Recognizer):
    """GiNZA (ja_ginza) NER for person, facility and place names; ~100–1000× slower, off by default."""

    labels: ClassVar[tuple[str, ...]] = ("PERSON", "FACILITY", "ADDRESS")
    priority: ClassVar[int] = 30
    default_enabled: ClassVar[bool] = False

    def analyze(self, context: TextContext) -> list[Span]:
        nlp = _load()
        pieces = _chunks(context.text)
        spans: list[Span] = []
        for (offset, _), doc in zip(pieces, nlp.pipe(p for _, p in pieces), strict=True):
            for ent in doc.ents:
                label = map_ginza_label(ent.label_, ent.text)
                if label is not None and ent.text.strip():
                    spans.append(Span(offset + ent.start_char, offset + ent.end_char, label, _SCORE))
        return spans
