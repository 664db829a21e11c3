"""Japanese text normalisation that keeps clinical meaning and exact offsets.

Plain NFKC is what Japanese NLP pipelines reach for, and on clinical text it is wrong in
a few places that matter:

* ``10³/μL`` becomes ``103/μL`` and ``10⁹/L`` becomes ``109/L`` (superscripts fold);
* ``①12`` becomes ``112`` (circled numbers fold into the digits that follow);
* neologdn-style cleaners delete ``〜`` and so turn ``3〜5mg`` into ``35mg``.

:class:`JapaneseNormalizer` applies NFKC *except* for those characters, and folds the
variants that differ only by the encoding a file came from: CP932 decodes 〜 as
U+FF5E and − as U+FF0D while EUC-JP and Shift_JIS give U+301C and U+2212, so the same
hospital export would otherwise normalise two ways. The dash family becomes ``-``, the
prolonged sound mark ``ー`` becomes ``-`` only between digits (``03ー1234ー5678``), and
invisible characters that hide identifiers from pattern matching (zero-width space,
word joiner, BOM, soft hyphen) are removed.

Every normalised character keeps a link to the original characters it came from
(:class:`OffsetMap`), so a span found on the normalised text maps back to exactly the
original characters — the contract de-identification depends on.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload

__all__ = ["JapaneseNormalizer", "NormalizerConfig", "OffsetMap", "normalize"]

# Characters NFKC would fold but whose folding changes clinical meaning.
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ"
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"
_CIRCLED = (
    "".join(map(chr, range(0x2460, 0x2474)))  # ①–⑳
    + "".join(map(chr, range(0x24EA, 0x2500)))  # ⓪, ⓫–⓴, ⓵–⓾, ⓿
    + "".join(map(chr, range(0x2776, 0x2794)))  # ❶–❿, ➀–➉, ➊–➓
    + "".join(map(chr, range(0x3251, 0x3260)))  # ㉑–㉟
    + "".join(map(chr, range(0x32B1, 0x32C0)))  # ㊱–㊿
)
_KEEP = frozenset(_SUPERSCRIPTS + _SUBSCRIPTS + _CIRCLED)

_DASH = "-"
_WAVE = "〜"  # U+301C, the JIS wave dash: the range marker in 3〜5mg
# Folded everywhere, before NFKC (so these never reach NFKC's own mapping).
_FOLD = {
    **dict.fromkeys("‐‑‒–−﹣－⁃", _DASH),  # hyphen, nb-hyphen, figure/en dash, minus, small/full-width
    **dict.fromkeys("～∼〜⁓", _WAVE),  # CP932's full-width tilde, tilde operator, swung dash
    "―": "—",  # CP932's horizontal bar and JIS's em dash are the same character in practice
    "‖": "∥",  # same CP932/JIS split for the double vertical line
}
# Folded to "-" only when both neighbours are digits (phone numbers, dates, ranges);
# elsewhere ー is a vowel mark (データ) and — a long dash in prose.
_DASH_BETWEEN_DIGITS = frozenset("ーｰ—―")
# Folded to 〜 only between digits: ASCII ~ elsewhere belongs to URLs and paths.
_WAVE_BETWEEN_DIGITS = frozenset("~")
_DROP = frozenset("\u200b\u2060\ufeff\u00ad")  # zero-width space, word joiner, BOM, soft hyphen

# Characters that compose with the character before them under NFKC although their
# canonical combining class is 0: half-width (semi-)voiced marks and Hangul jamo.
_JOINERS = frozenset("\uff9e\uff9f") | frozenset(map(chr, range(0x1160, 0x11FA)))

# Runs of characters that NFKC maps one-to-one and that nothing else folds or composes:
# ASCII (but ~), CJK punctuation, kana, kanji — and, when NFKC is on, the full-width
# forms and the ideographic space, which CP932 exports are full of. Such a run is
# normalised with one C-level NFKC call and maps linearly; everything else takes the
# per-cluster path.
_STABLE = (
    "\t\n\r\x20-\x7d\u3001-\u3003\u3005-\u3007\u3008-\u3011\u3012-\u301b\u301d-\u301f"
    "\u3041-\u3096\u30a1-\u30fb\u30fd\u30fe\u4e00-\u9fff"
    # signs of clinical notes that NFKC leaves alone: ° ± × ÷ μ ※ arrows, shapes, 〒
    "\u00b0\u00b1\u00d7\u00f7\u03bc\u203b\u2190-\u2193\u25a0\u25a1\u25b2\u25b3\u25bc\u25bd"
    "\u25c6\u25c7\u25cb\u25ce\u25cf\u2605\u2606\u266a"
)
_STABLE_RUN = re.compile(f"[{_STABLE}]+")
# The long-vowel mark ー is folded to "-" only between two digits (03ー1234), so it joins a
# run unless a digit stands on both sides; it is the commonest character that would
# otherwise end a run (every katakana loanword holds one). 〜 (U+301C) is the fold's own
# target, so it stays as it is.
_DIGIT = "0-9\uff10-\uff19"
# An invisible character that will be dropped next to it counts as a possible digit: in
# 0ー<zero-width space>0 the mark ends up between digits once the space is gone.
_DIGIT_OR_DROPPED = _DIGIT + "\u200b\u2060\ufeff\u00ad"
_ONE_TO_ONE_RUN = re.compile(
    f"(?:[{_STABLE}\u3000\uff01-\uff5d\u301c]|(?<![{_DIGIT_OR_DROPPED}])\u30fc|\u30fc(?![{_DIGIT_OR_DROPPED}]))+"
)


@dataclass(frozen=True, slots=True)
class NormalizerConfig:
    """Switches for :class:`JapaneseNormalizer`; the defaults suit clinical text."""

    nfkc: bool = True
    """Apply NFKC (full-width → ASCII, half-width kana → full-width, ㍻ → 平成, ㎎ → mg)."""
    keep_superscripts: bool = True
    """Keep ⁰–⁹ and ₀–₉ (``10³/μL`` must not read ``103/μL``)."""
    keep_circled_numbers: bool = True
    """Keep ①–㊿ and ❶–➓ (``①12`` must not read ``112``)."""
    fold_dashes: bool = True
    """Fold the hyphen/minus family to ``-`` and ``ー``/``—`` between digits too."""
    fold_waves: bool = True
    """Fold ``～``/``∼`` to ``〜`` and ``~`` between digits too."""
    drop_invisible: bool = True
    """Remove zero-width space, word joiner, BOM and soft hyphen."""


class OffsetMap:
    """Maps normalised indices back to the original text.

    Indexing gives the original index where the source of a normalised character
    starts; ``offset_map[len(normalized)] == len(original)``. Characters produced
    together (``㍻`` → ``平成``, ``ｶﾞ`` → ``ガ``) all map to the whole original cluster.

    Internally the map is a list of segments, so memory grows with the number of
    changed places, not with the length of the text.
    """

    __slots__ = ("_linear", "_n_starts", "_o_ends", "_o_starts", "norm_length", "orig_length")

    def __init__(self, norm_length: int, orig_length: int) -> None:
        self.norm_length = norm_length
        self.orig_length = orig_length
        self._n_starts: list[int] = []
        self._o_starts: list[int] = []
        self._o_ends: list[int] = []  # end of the original cluster (for non-linear segments)
        self._linear: list[bool] = []

    def _append(self, n_start: int, o_start: int, o_end: int, linear: bool) -> None:
        # Consecutive one-to-one segments merge, so unchanged and width-folded text costs one entry.
        if (
            linear
            and self._linear
            and self._linear[-1]
            and self._o_ends[-1] == o_start
            and n_start - self._n_starts[-1] == o_start - self._o_starts[-1]
        ):
            self._o_ends[-1] = o_end
            return
        self._n_starts.append(n_start)
        self._o_starts.append(o_start)
        self._o_ends.append(o_end)
        self._linear.append(linear)

    def source(self, index: int) -> tuple[int, int]:
        """The original ``[start, end)`` that normalised character ``index`` came from."""
        if not 0 <= index < self.norm_length:
            raise IndexError(f"normalised index {index} out of range 0..{self.norm_length - 1}")
        seg = bisect_right(self._n_starts, index) - 1
        if self._linear[seg]:
            start = self._o_starts[seg] + index - self._n_starts[seg]
            return start, start + 1
        return self._o_starts[seg], self._o_ends[seg]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span ``[start, end)`` to the original span it covers."""
        if not 0 <= start <= end <= self.norm_length:
            raise IndexError(f"span [{start}, {end}) out of range for length {self.norm_length}")
        if start == end:
            position = self[start]
            return position, position
        return self.source(start)[0], self.source(end - 1)[1]

    def to_normalized(self, index: int) -> int:
        """The first normalised index whose source starts at or after original ``index``."""
        if not 0 <= index <= self.orig_length:
            raise IndexError(f"original index {index} out of range 0..{self.orig_length}")
        lo, hi = 0, self.norm_length
        while lo < hi:  # offsets are monotone, so bisect on them
            mid = (lo + hi) // 2
            if self.source(mid)[0] < index:
                lo = mid + 1
            else:
                hi = mid
        return lo

    @property
    def is_identity(self) -> bool:
        """True when every character maps to the same index (nothing changed length)."""
        if self.norm_length != self.orig_length or len(self._linear) > 1:
            return False
        return not self._linear or (self._linear[0] and self._o_starts[0] == 0)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index == self.norm_length:
            return self.orig_length
        return self.source(index)[0]

    def __len__(self) -> int:
        return self.norm_length + 1

    def __iter__(self) -> Iterator[int]:
        for seg, n_start in enumerate(self._n_starts):
            n_end = self._n_starts[seg + 1] if seg + 1 < len(self._n_starts) else self.norm_length
            if self._linear[seg]:
                yield from range(self._o_starts[seg], self._o_starts[seg] + n_end - n_start)
            else:
                for _ in range(n_end - n_start):
                    yield self._o_starts[seg]
        yield self.orig_length

    def __repr__(self) -> str:
        return f"OffsetMap(normalized={self.norm_length}, original={self.orig_length}, segments={len(self._n_starts)})"


class JapaneseNormalizer:
    """NFKC-based normalisation for Japanese clinical text with an exact offset map.

    ``normalize(text)`` returns ``(normalized, offset_map)``; the result is idempotent
    (normalising it again changes nothing).
    """

    def __init__(self, config: NormalizerConfig | None = None) -> None:
        self.config = config or NormalizerConfig()
        cfg = self.config
        keep: set[str] = set()
        if cfg.keep_superscripts:
            keep.update(_SUPERSCRIPTS + _SUBSCRIPTS)
        if cfg.keep_circled_numbers:
            keep.update(_CIRCLED)
        self._keep = frozenset(keep)
        fold = {
            k: v
            for k, v in _FOLD.items()
            if (v == _DASH and cfg.fold_dashes) or (v == _WAVE and cfg.fold_waves)
        }
        if cfg.fold_dashes:
            fold.update({k: v for k, v in _FOLD.items() if v not in (_DASH, _WAVE)})
        self._fold = fold
        contextual: set[str] = set()
        if cfg.fold_dashes:
            contextual |= _DASH_BETWEEN_DIGITS
        if cfg.fold_waves:
            contextual |= _WAVE_BETWEEN_DIGITS
        self._contextual = frozenset(contextual)
        self._drop = _DROP if cfg.drop_invisible else frozenset()
        self._fast_run = _ONE_TO_ONE_RUN if cfg.nfkc else _STABLE_RUN

    def normalize(self, text: str) -> tuple[str, OffsetMap]:
        """Normalise ``text``; see the module docstring for what changes and why."""
        pieces: list[tuple[str, int, int, bool]] = []  # (output, original start, original end, one-to-one)
        pos, n = 0, len(text)
        while pos < n:
            run = self._fast_run.match(text, pos)
            if run is not None:
                end = run.end()
                # The last character of a run may be the base of a following combining mark.
                if end < n and self._attaches(text, end):
                    end -= 1
                if end > pos:
                    chunk = text[pos:end]
                    out = unicodedata.normalize("NFKC", chunk) if self.config.nfkc else chunk
                    pieces.append((out, pos, end, len(out) == end - pos))
                    pos = end
                    continue
            cluster_end = pos + 1
            while cluster_end < n and self._attaches(text, cluster_end):
                cluster_end = self._attachment_end(text, cluster_end)
            cluster = text[pos:cluster_end]
            out = self._transform(cluster)
            # One-to-one only when nothing inside the cluster can have moved (NFKC may
            # compose or reorder combining marks); otherwise map to the whole cluster.
            pieces.append(
                (out, pos, cluster_end, len(out) == len(cluster) and (len(out) == 1 or out == cluster))
            )
            pos = cluster_end
        return self._assemble(text, pieces)

    __call__ = normalize

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _joins(char: str) -> bool:
        """True if ``char`` attaches to the character before it (a combining mark)."""
        return unicodedata.combining(char) != 0 or char in _JOINERS

    def _attaches(self, text: str, index: int) -> bool:
        """True if ``text[index:]`` starts with marks that attach to the character before.

        Invisible characters that will be dropped do not separate a mark from its base
        (``は`` + zero-width space + ``゙`` must become ``ば``, or normalising twice would
        compose what normalising once did not).
        """
        end = self._attachment_end(text, index)
        return end > index and self._joins(text[end - 1])

    def _attachment_end(self, text: str, index: int) -> int:
        while index < len(text) and text[index] in self._drop:
            index += 1
        return index + 1 if index < len(text) and self._joins(text[index]) else index

    def _transform(self, cluster: str) -> str:
        if self._drop and any(c in self._drop for c in cluster):
            cluster = "".join(c for c in cluster if c not in self._drop)
            if not cluster:
                return ""
        base, marks = cluster[0], cluster[1:]
        if base in self._keep:
            return base + self._transform_marks(marks)
        if base in self._contextual:
            # Decided in _assemble, which sees the neighbours; marks are normalised now.
            return base + self._transform_marks(marks)
        base = self._fold.get(base, base)
        out = unicodedata.normalize("NFKC", base + marks) if self.config.nfkc else base + marks
        # NFKC of a cluster may itself produce a foldable character (e.g. ﹣ → -): fold again.
        return "".join(self._fold.get(c, c) for c in out)

    def _transform_marks(self, marks: str) -> str:
        if not marks:
            return ""
        return unicodedata.normalize("NFKC", marks) if self.config.nfkc else marks

    def _contextual_fold(self, char: str, before: str, after: str) -> str:
        if not (before.isascii() and before.isdigit() and after.isascii() and after.isdigit()):
            if char in _DASH_BETWEEN_DIGITS and self.config.nfkc:
                return unicodedata.normalize("NFKC", self._fold.get(char, char))
            return self._fold.get(char, char)
        return _DASH if char in _DASH_BETWEEN_DIGITS else _WAVE

    def _assemble(self, text: str, pieces: list[tuple[str, int, int, bool]]) -> tuple[str, OffsetMap]:
        out: list[str] = []
        length = 0
        spans: list[tuple[int, int, int, bool]] = []  # (norm start, orig start, orig end, linear)
        contextual = self._contextual
        for index, (piece, o_start, o_end, linear) in enumerate(pieces):
            if contextual and piece and piece[0] in contextual:
                before = out[-1][-1] if out and out[-1] else ""
                after = next((pieces[k][0][0] for k in range(index + 1, len(pieces)) if pieces[k][0]), "")
                piece = self._contextual_fold(piece[0], before, after) + piece[1:]
            if not piece:
                continue
            spans.append((length, o_start, o_end, linear))
            out.append(piece)
            length += len(piece)
        offset_map = OffsetMap(length, len(text))
        for n_start, o_start, o_end, linear in spans:
            offset_map._append(n_start, o_start, o_end, linear)
        return "".join(out), offset_map


_DEFAULT = JapaneseNormalizer()


def normalize(text: str) -> tuple[str, OffsetMap]:
    """Normalise Japanese clinical text with the default :class:`NormalizerConfig`.

    Returns ``(normalized, offset_map)`` where ``offset_map.to_original(start, end)``
    turns a span on ``normalized`` into the span of the original characters.

    >>> normalized, offsets = normalize("ＨｂＡ１ｃ　７．２％、10³/μL、3～5mg")
    >>> normalized
    'HbA1c 7.2%、10³/μL、3〜5mg'
    >>> offsets.to_original(0, 5)
    (0, 5)
    """
    return _DEFAULT.normalize(text)
