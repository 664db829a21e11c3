"""Fast morphological analysis (fugashi + unidic-lite) with exact ``str`` offsets.

PERSON, FACILITY and protected-term detection all need UniDic's part of speech (人名 姓/名,
地名) and word boundaries, and they share one tokenisation per document
(:attr:`jmedllm.deid.base.TextContext.tokens`). The engine as a whole must run at
≥ 300,000 characters per second on one core, so this module avoids fugashi's per-node
Python objects (``Tagger`` iteration with ``word.feature`` access runs at ~190k chars/s):

* a :class:`fugashi.GenericTagger` prints one flat string per document with a custom node
  format — the skipped whitespace before the morpheme (``%pS``), the surface (``%m``) and
  its *left context id* (``%phl``), tab-separated. The context id is a small integer whose
  part of speech UniDic lists in ``left-id.def``; printing it instead of four feature
  strings roughly halves MeCab's output work, and one dictionary lookup gives the POS;
* offsets come from accumulating ``len(whitespace) + len(surface)`` with C-level
  ``itertools.accumulate``/``map`` instead of a Python loop per morpheme. MeCab skips the
  characters of its SPACE class (not only ``" "``), so the skipped text is printed rather
  than assumed.

Tabs would collide with the field separator and NUL ends a C string, so both — and the
whitespace MeCab would otherwise keep as tokens (CR, U+3000) — are replaced by a space
(same length, skipped by MeCab) before parsing. Long texts are parsed in
pieces cut at line breaks: MeCab crashes the process on single inputs of around a million
characters, and memory grows with the lattice.

Building ~600,000 frozen :class:`~jmedllm.deid.base.Token` objects per megabyte costs as
much as MeCab itself, and the recognizers look at most tokens only through their surface
or POS. So the analysis is kept as parallel lists (:class:`Morphemes`, shared per
document through :func:`morphemes`), and a ``Token`` is built only when one is indexed;
:func:`tokenize` (behind ``TextContext.tokens``) still returns the full list, reusing the
latest analysis of the same text instead of parsing it twice (held by a weak reference:
no text is kept beyond the context that owns it).

One tagger is loaded lazily per thread (MeCab taggers are not safe to share between
threads); loading takes a fraction of a second, once.
"""

from __future__ import annotations

import re
import shlex
import threading
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import accumulate, compress, count, repeat
from operator import is_
from pathlib import Path
from typing import Any

from jmedllm.core.errors import MissingDependencyError
from jmedllm.deid.base import Token

__all__ = [
    "HIRAGANA",
    "KANJI",
    "KATAKANA",
    "MAX_CHUNK",
    "Morphemes",
    "analyze",
    "could_be_surname",
    "is_unknown_word",
    "morphemes",
    "token_ending_at",
    "token_starting_at",
    "token_starts",
    "tokenize",
    "words_regex",
]

#: Character classes (for use inside ``[...]``) on NFKC-normalised text. KANJI includes the
#: iteration marks 々/〆/ヶ, the compatibility block (﨑 U+FA11 survives NFKC) and the
#: supplementary planes (𠮷 U+20BB7), which UniDic does not even tag as a letter, and the
#: variation selectors that pick a glyph variant of the kanji before them.
KANJI = (
    "\u3005\u3006\u30f6\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    "\ufe00-\ufe0f\U000e0100-\U000e01ef"  # variation selectors: 辻󠄀 is 辻 + U+E0100
)
KATAKANA = "\u30a1-\u30fa\u30fc-\u30fe"
HIRAGANA = "\u3041-\u3096\u309d\u309e"

#: Longest piece handed to MeCab in one call; longer texts are cut at a line break.
MAX_CHUNK = 20_000

# Tab separates the printed fields and NUL would truncate the C string; other whitespace
# MeCab does not skip (CR, form feed, U+3000, line separators) would become tokens. All of
# them become an ASCII space: same length, and skipped.
_WHITESPACE = "\t\x00\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u3000"
_SANITIZE = str.maketrans(_WHITESPACE, " " * len(_WHITESPACE))
# str.translate looks every character up in its table (a fifth of MeCab's own time on a
# typical note); most texts hold none of these characters, and one regex search says so.
_UNSANITARY = re.compile("[" + "".join(f"\\u{ord(c):04x}" for c in _WHITESPACE) + "]")
# Lone surrogates cannot be encoded to UTF-8 for MeCab; one replacement char keeps offsets.
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELDS = r"%pS\t%m\t%phl\t"


class _Local(threading.local):
    tagger: Any = None
    # The same dictionary printing every word of the lattice (-a), for could_be_surname().
    lattice: Any = None
    # The latest analysis, for tokenize(); a weak reference, so no text outlives its context.
    last: weakref.ref[Morphemes] | None = None
    # Words looked up by is_unknown_word() for the current document (cleared per document,
    # so that no name fragments accumulate in a long-running process).
    unknown: dict[str, bool] | None = None
    # Words looked up by could_be_surname(), cleared with ``unknown``.
    names: dict[str, bool] | None = None


_local = _Local()
_lock = threading.Lock()
_pos_table: dict[str, tuple[str, str, str, str]] | None = None
_unknown_ids: frozenset[str] = frozenset()
_surname_ids: frozenset[str] = frozenset()  # context ids of UniDic's 人名 姓 entries
_dicdir: str | None = None
# The POS tuples of the table, one object per distinct value (see Morphemes.indices).
_shared_pos: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}


def _load_dictionary() -> str:
    """The unidic-lite directory and the context-id → POS table (loaded once per process)."""
    global _pos_table, _unknown_ids, _surname_ids, _dicdir
    if _dicdir is None:
        with _lock:
            if _dicdir is None:
                try:
                    import unidic_lite
                except ImportError:
                    raise MissingDependencyError(
                        "unidic-lite", "data", purpose="PERSON/FACILITY detection"
                    ) from None
                dicdir = unidic_lite.DICDIR
                table: dict[str, tuple[str, str, str, str]] = {}
                shared: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}
                unknown = set()
                # Each line: "<id> pos1,pos2,pos3,pos4,cType,cForm,…,goshu"; "*" marks an empty
                # level. Only the unknown-word entries lack a word origin (goshu).
                for line in Path(dicdir, "left-id.def").read_text(encoding="utf-8").splitlines():
                    ident, _, feature = line.partition(" ")
                    fields = feature.split(",")
                    levels = [("" if f == "*" else f) for f in fields[:4]]
                    levels += [""] * (4 - len(levels))
                    pos = (levels[0], levels[1], levels[2], levels[3])
                    # One object per distinct POS (many ids share one), so that
                    # Morphemes.indices() can compare by identity.
                    table[ident] = shared.setdefault(pos, pos)
                    if fields[-1] == "*":
                        unknown.add(ident)
                _pos_table = table
                _shared_pos.update(shared)
                _unknown_ids = frozenset(unknown)
                _surname_ids = frozenset(i for i, p in table.items() if p[2:] == ("人名", "姓"))
                _dicdir = dicdir
    return _dicdir


def _tagger(lattice: bool = False) -> Any:
    """This thread's tagger; ``lattice``: the one that prints every word MeCab considered."""
    tagger = _local.lattice if lattice else _local.tagger
    if tagger is None:
        dicdir = _load_dictionary()
        try:
            import fugashi
        except ImportError:
            raise MissingDependencyError("fugashi", "data", purpose="PERSON/FACILITY detection") from None
        # fugashi splits the argument string with shlex: the formats are quoted so that the
        # backslash escapes reach MeCab; "-r /dev/null" stops it looking for a system mecabrc;
        # "-O ''" cancels the dictionary's own output style, which would override -F.
        args = f"-r /dev/null -d {shlex.quote(dicdir)} -O '' '-F{_FIELDS}' '-U{_FIELDS}' -E ''"
        if lattice:
            tagger = _local.lattice = fugashi.GenericTagger(f"-a {args}")
        else:
            tagger = _local.tagger = fugashi.GenericTagger(args)
    return tagger


def _pieces(text: str) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs of at most about :data:`MAX_CHUNK` characters."""
    if len(text) <= MAX_CHUNK:
        return [(0, text)]
    pieces = []
    start, n = 0, len(text)
    while start < n:
        end = min(start + MAX_CHUNK, n)
        if end < n:
            # Prefer a line break, then a sentence end or a space, so no word is cut.
            cut = max(text.rfind("\n", start, end), text.rfind("。", start, end), text.rfind(" ", start, end))
            if cut > start:
                end = cut + 1
        pieces.append((start, text[start:end]))
        start = end
    return pieces


class Morphemes(Sequence[Token]):
    """The morphemes of one text as parallel lists; ``m[i]`` builds the :class:`Token`.

    ``starts``/``ends`` are ``str`` offsets (ascending), ``surfaces`` the texts and ``pos``
    UniDic's four POS levels (one shared tuple per POS, so comparisons are cheap).
    """

    __slots__ = ("__weakref__", "_made", "ends", "pos", "shared", "starts", "surfaces", "text")

    def __init__(
        self,
        starts: list[int],
        ends: list[int],
        surfaces: list[str],
        pos: list[tuple[str, str, str, str]],
        text: str = "",
    ) -> None:
        self.starts, self.ends, self.surfaces, self.pos, self.text = starts, ends, surfaces, pos, text
        self._made: dict[int, Token] = {}  # rules look at the same few tokens repeatedly
        #: Whether every POS tuple is the dictionary's shared object (true for analyze()'s
        #: output), so that a POS can be found by identity.
        self.shared = False

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.starts)))]
        tok = self._made.get(index)
        if tok is None:
            tok = Token(self.starts[index], self.ends[index], self.surfaces[index], self.pos[index])
            self._made[index] = tok
        return tok

    def indices(self, pos: tuple[str, str, str, str]) -> list[int]:
        """Indices of the morphemes whose POS is ``pos`` (a C-level search, no Python loop).

        On :func:`analyze`'s output every POS is one shared object per value, and an
        identity test (``operator.is_`` mapped in C) is about three times cheaper than the
        tuple comparisons of ``list.index``; the rules run this several times per document.
        """
        if self.shared:
            target = _shared_pos.get(pos)
            if target is None:
                return []
            return list(compress(count(), map(is_, self.pos, repeat(target))))
        found, i = [], -1
        try:
            while True:
                i = self.pos.index(pos, i + 1)
                found.append(i)
        except ValueError:
            return found

    def tokens(self) -> list[Token]:
        """All morphemes as :class:`Token` objects."""
        return list(map(Token, self.starts, self.ends, self.surfaces, self.pos))

    @classmethod
    def from_tokens(cls, tokens: Sequence[Token], text: str = "") -> Morphemes:
        return cls(
            [t.start for t in tokens],
            [t.end for t in tokens],
            [t.surface for t in tokens],
            [t.pos for t in tokens],
            text,
        )


def _analyze_piece(
    tagger: Any, table: dict[str, tuple[str, str, str, str]], offset: int, piece: str, out: Morphemes
) -> None:
    clean = piece.translate(_SANITIZE) if _UNSANITARY.search(piece) else piece
    try:
        parsed = tagger.parse(clean)
        repaired = False
    except UnicodeEncodeError:
        parsed = tagger.parse(_SURROGATE.sub("\ufffd", clean))
        repaired = True
    # fugashi strips the trailing separator, so n morphemes give 3n fields.
    fields = parsed.split("\t")
    if len(fields) < 3:
        return
    ids = fields[2::3]
    # What remains alternates skipped whitespace and surface, so one running sum of their
    # lengths gives every start and end (fewer C-level passes than separate sums).
    del fields[2::3]
    bounds = list(accumulate(map(len, fields), initial=offset))
    starts, ends, surfaces = bounds[1::2], bounds[2::2], fields[1::2]
    if repaired:  # the surfaces hold U+FFFD where the text has a surrogate
        surfaces = [piece[s - offset : e - offset] for s, e in zip(starts, ends, strict=True)]
    if out.starts:
        out.starts += starts
        out.ends += ends
        out.surfaces += surfaces
        out.pos += map(table.__getitem__, ids)
    else:  # the first (usually the only) piece: no copying
        out.starts, out.ends, out.surfaces = starts, ends, surfaces
        out.pos = list(map(table.__getitem__, ids))


def analyze(text: str) -> Morphemes:
    """The morphemes of ``text`` (see :class:`Morphemes`); whitespace gives none."""
    out = Morphemes([], [], [], [], text)
    out.shared = True
    _local.unknown = _local.names = None
    if text:
        tagger = _tagger()
        table = _pos_table
        assert table is not None  # set by _tagger()
        for offset, piece in _pieces(text):
            _analyze_piece(tagger, table, offset, piece, out)
    _local.last = weakref.ref(out)
    return out


def tokenize(text: str) -> list[Token]:
    """Morphemes of ``text`` in order, each with ``text[t.start:t.end] == t.surface``.

    Whitespace produces no token. ``pos`` holds UniDic's four POS levels, empty strings
    for unused levels, e.g. ``("名詞", "固有名詞", "人名", "姓")``.
    """
    last = _local.last() if _local.last is not None else None
    found = last if last is not None and last.text is text else analyze(text)
    return found.tokens()


def morphemes(context: Any) -> Morphemes:
    """The shared analysis of ``context.text`` (a :class:`~jmedllm.deid.base.TextContext`),
    computed once per context — from ``context.tokens`` if someone already built them."""
    found = context.__dict__.get("_jmedllm_morphemes")
    if found is None:
        tokens = context.__dict__.get("tokens")
        found = Morphemes.from_tokens(tokens, context.text) if tokens is not None else analyze(context.text)
        context.__dict__["_jmedllm_morphemes"] = found
    return found


def _document_memo(name: str) -> dict[str, bool]:
    """This thread's answers of one lookup (``_Local.unknown`` or ``_Local.names``) for the
    current document, emptied by :func:`analyze` and kept small."""
    memo = getattr(_local, name)
    if memo is None or len(memo) > 1024:
        memo = {}
        setattr(_local, name, memo)
    return memo


def is_unknown_word(word: str) -> bool:
    """Whether UniDic does not know ``word`` (some piece of it is an unknown-word node).

    Names UniDic lacks (髙橋, rare given names) come out as unknown common nouns, while a
    real word such as 結節 (in 結節様) is in the dictionary: next to a weak cue only the
    former may be a name. Looked up on demand, so it costs nothing on text without cues;
    answers are remembered for the current document only.
    """
    if not word:
        return False
    memo = _document_memo("unknown")
    unknown = memo.get(word)
    if unknown is None:
        fields = _tagger().parse(word.translate(_SANITIZE)).split("\t")
        unknown = memo[word] = any(ident in _unknown_ids for ident in fields[2::3])
    return unknown


def could_be_surname(word: str) -> bool:
    """Whether UniDic lists ``word`` as a whole as a surname among its readings, even when
    the likeliest analysis is another word: 大門 (a gate; also a surname), 氷室 (an ice
    house), 北里. A title after it (氷室Dr., 大門医師へ) then makes it a name; common words
    without such an entry (結節, 肝臓, 確認) never pass. Only surnames: UniDic's given-name
    entries include 正常, 結果 and 長男. Looked up on demand with a second tagger that
    prints MeCab's whole lattice (``-a``); remembered for the current document.
    """
    if not word:
        return False
    memo = _document_memo("names")
    found = memo.get(word)
    if found is None:
        fields = _tagger(lattice=True).parse(word.translate(_SANITIZE)).split("\t")
        # Every node prints (skipped space, surface, context id); one spanning the whole
        # word with a 姓 id is the reading looked for.
        found = memo[word] = any(
            surface == word and ident in _surname_ids
            for surface, ident in zip(fields[1::3], fields[2::3], strict=False)
        )
    return found


def token_starts(context: Any) -> list[int]:
    """Start offsets of the context's morphemes (ascending, for bisection)."""
    return morphemes(context).starts


def token_starting_at(context: Any, pos: int) -> int:
    """Index of the morpheme that starts at ``pos``, or -1."""
    starts = morphemes(context).starts
    i = bisect_left(starts, pos)
    return i if i < len(starts) and starts[i] == pos else -1


def token_ending_at(context: Any, pos: int) -> int:
    """Index of the morpheme that ends at ``pos``, or -1."""
    m = morphemes(context)
    i = bisect_left(m.starts, pos) - 1
    return i if i >= 0 and m.ends[i] == pos else -1


def words_regex(words: Iterable[str]) -> str:
    """A regex source matching any of ``words``, longest first, as a prefix trie.

    Python's ``re`` tries the branches of a flat alternation one after the other at every
    position; nesting the branches by shared prefix lets it reject a position after one or
    two characters, which keeps scanning a document for hundreds of cue words cheap.
    """
    trie: dict[str, Any] = {}
    for word in words:
        if word:
            node = trie
            for ch in word:
                node = node.setdefault(ch, {})
            node[""] = {}
    return _trie_source(trie)


def _trie_source(node: dict[str, Any]) -> str:
    ends_here = "" in node
    # Longer continuations first, so the regex prefers the longest word.
    branches = [re.escape(ch) + _trie_source(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends_here else body
