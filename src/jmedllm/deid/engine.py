"""The de-identification engine: normalise, run recognizers, protect terms, resolve
overlaps, map spans back to the original text.

Recognizers work on normalised text (one normalisation per document, shared by all of
them), so ``０３ー１２３４ー５６７８``, ``03-1234-5678`` and ``03−1234−5678`` are one
pattern; :class:`~jmedllm.core.jatext.normalization.OffsetMap` then returns spans on
the exact original characters.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import replace

from jmedllm.core.jatext.normalization import normalize
from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig

__all__ = ["MERGEABLE_LABELS", "PhiAnalyzer", "merge_adjacent", "resolve_overlaps"]

#: Labels whose neighbouring pieces form one identifier (姓 + 名, 都道府県 + 市区町村 + 番地).
MERGEABLE_LABELS = frozenset({"PERSON", "ADDRESS", "FACILITY"})


def _katakana(char: str) -> bool:
    """Katakana (incl. ー): the script of foreign names joined by ・."""
    return "\u30a0" <= char <= "\u30ff"


_NAME_LIKE = frozenset({"PERSON", "FACILITY", "ADDRESS"})


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
        spans = self.analyze_normalized(normalized)
        if offsets.is_identity:
            return spans
        mapped = []
        for span in spans:
            start, end = offsets.to_original(span.start, span.end)
            mapped.append(Span(start, end, span.label, span.score, span.source))
        return mapped

    def analyze_normalized(self, normalized: str) -> list[Span]:
        """The same on text that is already normalised; offsets index ``normalized``."""
        context = TextContext(normalized, options=self.config.options)
        found: list[Span] = []
        wanted = set(self.config.labels)
        min_score = self.config.min_score
        for name, recognizer in self.recognizers:
            for span in recognizer.analyze(context):
                if span.label in wanted and span.score >= min_score:
                    # A new Span rather than dataclasses.replace: this is the hot path.
                    found.append(Span(span.start, span.end, span.label, span.score, name))
        if self.config.protect_terms and found:
            from jmedllm.deid.protect import find_protected_terms

            found = drop_protected(found, find_protected_terms(context, self.config.extra_protected_terms))
        return merge_adjacent(resolve_overlaps(found), normalized)


def drop_protected(spans: Iterable[Span], protected: Sequence[tuple[int, int]]) -> list[Span]:
    """Drop name-like spans that lie inside a protected medical term (橋本 in 橋本病)."""
    if not protected:
        return list(spans)
    starts = [p[0] for p in protected]
    kept = []
    for span in spans:
        if span.label in _NAME_LIKE:
            i = bisect_left(starts, span.start + 1) - 1
            if i >= 0 and protected[i][0] <= span.start and span.end <= protected[i][1]:
                continue
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
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), -priority.get(s.source, 0), -s.score, s.start))
    kept: list[Span] = []
    starts: list[int] = []
    for span in ordered:
        i = bisect_left(starts, span.start)
        if i > 0 and kept[i - 1].end > span.start:
            continue
        if i < len(kept) and kept[i].start < span.end:
            continue
        kept.insert(i, span)
        starts.insert(i, span.start)
    return kept


def merge_adjacent(spans: Sequence[Span], text: str) -> list[Span]:
    """Merge neighbouring spans of one mergeable label separated by nothing, a space, or a
    ``・`` between katakana (ジョン・スミス); a ``・`` between kanji separates two people
    (山田 太郎・山田 花子) and stays outside."""
    merged: list[Span] = []
    for span in spans:
        if merged:
            last = merged[-1]
            gap = text[last.end : span.start]
            if (
                last.label == span.label
                and span.label in MERGEABLE_LABELS
                and len(gap) <= 1
                and (
                    gap in ("", " ")
                    or (gap == "・" and _katakana(text[last.end - 1]) and _katakana(text[span.start]))
                )
            ):
                merged[-1] = replace(last, end=span.end, score=max(last.score, span.score))
                continue
        merged.append(span)
    return merged
