"""The de-identification engine: normalise, run recognizers, protect terms, resolve
overlaps, map spans back to the original text.

Recognizers work on normalised text (one normalisation per document, shared by all of
them), so ``０３ー１２３４ー５６７８``, ``03-1234-5678`` and ``03−1234−5678`` are one
pattern; :class:`~jmedllm.core.jatext.normalization.OffsetMap` then returns spans on
the exact original characters.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from jmedllm.core.jatext.normalization import normalize
from jmedllm.core.records import Span
from jmedllm.deid import protect
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.morphology import KANJI

__all__ = ["MERGEABLE_LABELS", "PhiAnalyzer", "merge_adjacent", "resolve_overlaps"]

#: Labels whose neighbouring pieces form one identifier (姓 + 名, 都道府県 + 市区町村 + 番地).
MERGEABLE_LABELS = frozenset({"PERSON", "ADDRESS", "FACILITY"})


def _katakana(char: str) -> bool:
    """Katakana (incl. ー): the script of foreign names joined by ・."""
    return "\u30a0" <= char <= "\u30ff"


_NAME_LIKE = frozenset({"PERSON", "FACILITY", "ADDRESS"})
_KE_BETWEEN_KANJI = re.compile(f"(?<=[{KANJI}])ケ(?=[{KANJI}])")


class PhiAnalyzer:
    """Finds PHI spans in Japanese clinical text.

    >>> analyzer = PhiAnalyzer()
    >>> [(s.label, text[s.start:s.end]) for text in ["TEL ０３ー１２３４ー５６７８"] for s in analyzer.analyze(text)]
    [('PHONE', '０３ー１２３４ー５６７８')]
    """

    def __init__(self, config: DeidConfig | None = None) -> None:
        self.config = config or DeidConfig()
        self.recognizers: list[tuple[str, Recognizer]] = [
            (name, RECOGNIZERS.get(name)(self.config)) for name in self._selected()
        ]
        # Looked up once: the registry lookups cost more than the overlap resolution itself.
        self._priority = {name: type(recognizer).priority for name, recognizer in self.recognizers}
        self._wanted = frozenset(self.config.labels)

    def _selected(self) -> list[str]:
        cfg = self.config
        if cfg.recognizers is not None:
            names = list(cfg.recognizers)
            for name in names:
                RECOGNIZERS.get(name)  # unknown names fail here, with the known ones listed
        else:
            names = [p.name for p in RECOGNIZERS.plugins() if p.obj.default_enabled]
        names += [n for n in cfg.enable if n not in names and RECOGNIZERS.get(n)]
        return [n for n in names if n not in cfg.disable]

    def analyze(self, text: str) -> list[Span]:
        """PHI spans of ``text``, sorted, non-overlapping, with offsets into ``text``."""
        normalized, offsets = normalize(text)
        found = self._find(normalized)
        if offsets.is_identity:
            return [Span(*raw) for raw in found]
        to_original = offsets.to_original
        mapped = []
        for start, end, label, score, source in found:
            start, end = to_original(start, end)
            mapped.append(Span(start, end, label, score, source))
        return mapped

    def analyze_normalized(self, normalized: str) -> list[Span]:
        """The same on text that is already normalised; offsets index ``normalized``."""
        return [Span(*raw) for raw in self._find(normalized)]

    def _find(self, normalized: str) -> list[_Raw]:
        """The final spans on ``normalized`` as plain tuples.

        Intermediate spans stay tuples and only the survivors become :class:`Span` objects:
        a frozen, validated dataclass costs about a microsecond to build, and the rules
        find several candidates per identifier (overlaps, parts merged later).
        """
        if "ケ" in normalized:
            # 駒ケ嶺, 一ケ谷: a full-size ケ between kanji is the small ヶ UniDic and the name
            # lexicons spell (駒ヶ嶺 is a surname to UniDic, 駒|ケ|嶺 three nouns); one
            # character for one, so every offset stays valid.
            normalized = _KE_BETWEEN_KANJI.sub("ヶ", normalized)
        found = self._raw(normalized)
        if " " in normalized and _SPACED_GATE.search(normalized):
            found += _letter_spaced(normalized, self._raw)
        return _merge_adjacent(_resolve_overlaps(found, self._priority), normalized)

    def _raw(self, normalized: str) -> list[_Raw]:
        """Every recognizer's spans on ``normalized``, protected terms dropped."""
        context = TextContext(normalized, options=self.config.options)
        found: list[_Raw] = []
        wanted, min_score = self._wanted, self.config.min_score
        for name, recognizer in self.recognizers:
            for span in recognizer.analyze(context):
                if span.label in wanted and span.score >= min_score:
                    found.append((span.start, span.end, span.label, span.score, name))
        # Protected terms only ever remove name-like spans: without one, nothing to look for.
        if self.config.protect_terms and any(map(_NAME_LIKE.__contains__, map(itemgetter(2), found))):
            protected = protect.find_protected_terms(context, self.config.extra_protected_terms)
            found = _drop_protected(found, protected, normalized)
        return found


#: A span inside the engine: (start, end, label, score, source).
_Raw = tuple[int, int, str, float, str]

# Letter-spaced text: OCR of forms, and forms typed with a space between characters
# (ご 住 所 〒2 4 1 - 0 8 2 1, 伊 集 院 キ ク 様, ２ ０ ２ ４ 年 ５ 月). Words are what the
# recognizers read, so such runs are read a second time with their single spaces taken out
# and the spans found there are mapped back. A run is four or more single characters, each
# with one space after it, two of them at least not ASCII (0 1 2 3 … is a count; spaced
# digits of a phone are read by the phone recognizer itself).
_SPACED_GATE = re.compile(r" \S \S \S")
_SPACED_RUN = re.compile(r"(?<!\S)\S(?: \S){3,}(?!\S)")


def _letter_spaced(normalized: str, find: Callable[[str], list[_Raw]]) -> list[_Raw]:
    """Spans found in ``normalized`` with the single spaces of letter-spaced runs removed,
    mapped back to ``normalized``."""
    keep: list[int] = []  # for each character of the compact text, its offset in normalized
    pos = 0
    for m in _SPACED_RUN.finditer(normalized):
        if sum(not c.isascii() for c in m.group()[::2]) < 2:
            continue
        keep.extend(range(pos, m.start()))
        keep.extend(range(m.start(), m.end(), 2))
        pos = m.end()
    if not keep:
        return []
    keep.extend(range(pos, len(normalized)))
    compact = "".join(normalized[i] for i in keep)
    return [(keep[s], keep[e - 1] + 1, label, score, source) for s, e, label, score, source in find(compact)]


def drop_protected(spans: Iterable[Span], protected: Sequence[tuple[int, int]]) -> list[Span]:
    """Drop name-like spans that lie inside a protected medical term (橋本 in 橋本病)."""
    spans = list(spans)
    raw = [(s.start, s.end, s.label, k) for k, s in enumerate(spans)]
    return [spans[r[3]] for r in _drop_protected(raw, protected)]


def _drop_protected(spans: Sequence[Any], protected: Sequence[tuple[int, int]], text: str = "") -> list[Any]:
    """:func:`drop_protected` of tuples ``(start, end, label, ...)``."""
    if not protected:
        return list(spans)
    starts = [p[0] for p in protected]
    kept = []
    for span in spans:
        if span[2] in _NAME_LIKE:
            start, end = span[0], span[1]
            i = bisect_left(starts, start + 1) - 1
            if i >= 0 and protected[i][0] <= start and end <= protected[i][1]:
                continue
            # A name run into a term (川崎病 湊くん, written without the particle): the term's
            # part is cut off, the rest stays a name.
            # Only at a space: 川崎病院 is a hospital, not 川崎病 and 院.
            if (
                i >= 0
                and start < protected[i][1] < end
                and text[protected[i][1] : protected[i][1] + 1] == " "
            ):
                start = protected[i][1] + 1
            j = bisect_left(starts, end) - 1
            if (
                j >= 0
                and start < protected[j][0] < end
                and text[protected[j][0] - 1 : protected[j][0]] == " "
            ):
                end = protected[j][0] - 1
            if end <= start:
                continue
            if (start, end) != (span[0], span[1]):
                span = (start, end, *span[2:])
        kept.append(span)
    return kept


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a non-overlapping subset: longer spans first, then higher priority and score.

    Priority is the recognizer class's ``priority`` (ties between equally long spans).
    """
    spans = list(spans)
    priority = {
        name: RECOGNIZERS.get(name).priority for name in {s.source for s in spans if s.source in RECOGNIZERS}
    }
    raw = [(s.start, s.end, s.label, s.score, s.source, k) for k, s in enumerate(spans)]
    return [spans[r[5]] for r in _resolve_overlaps(raw, priority)]


def _resolve_overlaps(spans: Sequence[Any], priority: dict[str, int]) -> list[Any]:
    """:func:`resolve_overlaps` of tuples ``(start, end, label, score, source, ...)``; the
    sort is stable, so equal keys keep their order."""
    get = priority.get
    ordered = sorted(spans, key=lambda s: (s[0] - s[1], -get(s[4], 0), -s[3], s[0]))
    kept: list[Any] = []
    starts: list[int] = []
    for span in ordered:
        start = span[0]
        i = bisect_left(starts, start)
        if i > 0 and kept[i - 1][1] > start:
            continue
        if i < len(kept) and kept[i][0] < span[1]:
            continue
        kept.insert(i, span)
        starts.insert(i, start)
    return kept


def merge_adjacent(spans: Sequence[Span], text: str) -> list[Span]:
    """Merge neighbouring spans of one mergeable label separated by nothing, a space, or a
    ``・`` between katakana (ジョン・スミス); a ``・`` between kanji separates two people
    (山田 太郎・山田 花子) and stays outside."""
    raw = [(s.start, s.end, s.label, s.score, s.source) for s in spans]
    return [Span(*r) for r in _merge_adjacent(raw, text)]


def _merge_adjacent(spans: Sequence[_Raw], text: str) -> list[_Raw]:
    """:func:`merge_adjacent` of ``_Raw`` tuples."""
    merged: list[_Raw] = []
    for span in spans:
        if merged:
            last = merged[-1]
            label = span[2]
            if last[2] == label and label in MERGEABLE_LABELS:
                lend, start = last[1], span[0]
                gap = text[lend:start]
                if len(gap) <= 1 and (
                    gap in ("", " ") or (gap == "・" and _katakana(text[lend - 1]) and _katakana(text[start]))
                ):
                    merged[-1] = (last[0], span[1], label, max(last[3], span[3]), last[4])
                    continue
        merged.append(span)
    return merged
