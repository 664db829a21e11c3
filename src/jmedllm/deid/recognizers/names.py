"""PERSON: names of patients, family and staff — kanji, kana, romaji, foreign katakana.

No single signal is enough in clinical Japanese, so three are combined:

* **Morphology** (UniDic, shared per document through :func:`morphemes`) tags 人名 姓/名,
  but on clinical text it also tags ``整`` (脈拍72/分、整), ``洞`` (洞調律) or single
  letters as names, and it does not know variant spellings (``髙橋`` is an unknown common
  noun, ``篠﨑`` and ``𠮷田`` come out in pieces, ``一ノ瀬`` holds a katakana ノ).
* **Lexicons** (:mod:`jmedllm.deid.lexicons`) confirm surnames and given names, also
  across token boundaries, supply romaji and foreign katakana names, and the set of
  kanji names are made of.
* **Context** decides: an honorific after (様, さん, 先生, 医師, Ns …), a role, relation or
  department before (主治医, 妻, 長男, 〇〇病院 内科 …), a form label (氏名：, 記入者:,
  出席者：A、B), a role in brackets after (加藤 零(看護師)), a caller's ``〇〇の山田です``.
  The stronger the cue, the less the name itself must prove: after さん or 氏名： a
  short kanji word made of name characters is enough (鴨畑さん); after 様 or a title it
  must be a lexicon name, UniDic 人名 or a word UniDic does not know (not 結節様, 音響技師).
  Without any cue only strong shapes count: 姓 + 名 tags (山田花子が), a tagged surname
  before a particle (田中より), variant-kanji surnames, romaji pairs of lexicon names,
  katakana names joined by ・ (ジョン・スミスです).

Honorifics and role words are never part of the span (``山田`` in ``山田様``). The same
name in another script next to a found one is a PERSON too: a reading in brackets
(``山田太郎（ヤマダ タロウ）``), a kanji form after a reading or romaji name. Eponyms are
not matched here — no cue, or a ``様`` that means "-like" (パーキンソン様症状) — and
:mod:`jmedllm.deid.protect` covers the rest.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from jmedllm.core.jatext.normalization import normalize
from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext, Token
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.lexicons import load_lexicon, name_kanji
from jmedllm.deid.morphology import (
    HIRAGANA,
    KANJI,
    KATAKANA,
    Morphemes,
    is_unknown_word,
    morphemes,
    token_ending_at,
    token_starting_at,
    words_regex,
)

__all__ = ["PersonRecognizer", "outermost"]


def _words(text: str) -> list[str]:
    """A space-separated word list (keeps long lists readable)."""
    return text.split()


# Cue words (lexicons/person_*.txt). Titles work on both sides (山田医師 / 主治医 山田);
# after a soft honorific (さん, 先生 …) an unknown kanji word (髙村さん) or katakana word is
# taken as a name, after 様 and titles (結節様, 音響技師) only a word UniDic does not know.
_TITLES = load_lexicon("person_titles")
_SOFT_HONORIFICS = load_lexicon("person_honorifics")
_HONORIFICS = frozenset(["様", "サマ", *_SOFT_HONORIFICS, *_TITLES])
_KANA_HONORIFICS = frozenset(_words("さま さん くん ちゃん 殿"))  # may be cut into the name's token
# Titles that make the next word a name even when UniDic knows it as a word (Dr.荒巻).
_STRONG_BEFORE = frozenset(_words("Dr. Dr DR. Ns NS Nrs ドクター"))
_ROLES = load_lexicon("person_roles") | _TITLES
_RELATIONS = load_lexicon("person_relations")
_LABELS = load_lexicon("person_labels")
_STOP = load_lexicon("person_stopwords")
_KATA_STOP = load_lexicon("katakana_roles")
_TITLE_WORDS = frozenset({"Dr", "DR", "Mr", "Mrs", "Ms", "Miss", "Prof", "Ns", "PT", "OT", "ST", "MSW"})
# 様/殿/氏/君 glued to a following word are no honorifics: パーキンソン様症状 ("-like"),
# 頭殿長 (crown-rump length). 山田様方 (care of), 山田氏宅 are.
_GLUED_AFTER = re.compile(f"[{KANJI}{KATAKANA}]")
_GLUE_SENSITIVE = frozenset(_words("様 殿 氏 君"))
_GLUE_OK = frozenset("方宛御宅")
_HONORIFIC_NEXT = re.compile(" ?(?:様|さま|さん|氏|殿|くん|君|ちゃん|先生)")

_CUE_WORDS = _HONORIFICS | _ROLES | _RELATIONS | _LABELS
# Departments before a space and a name (〇〇病院 内科 林 零) sign a letter.
_DEPARTMENT_CUES = load_lexicon("departments")
_CUE_RE_WORDS = _CUE_WORDS | _DEPARTMENT_CUES | {"です"}
_ROLE_WORDS = _ROLES | _RELATIONS | _LABELS  # not the honorifics: チャン is a name too
_CUE_RE = re.compile(words_regex(_CUE_RE_WORDS))
_LABEL_SEP = re.compile(r"(?:\([^()\n]{1,8}\))? *: *| +")  # 同意者(本人): 山田
_COLON = re.compile(r" *:")
_LIST_SEP = re.compile(r" ?[、,] ?")
_FWD_SKIP = re.compile(r"\.? *(?::|の|\()? *(?:(?:Dr|DR|Mr|Mrs|Ms|Miss|Prof)\.? ?)?")
_KANA_RUN_FWD = re.compile(f"[{KATAKANA}]+(?:[・= ][{KATAKANA}]+){{0,4}}")
_KANA_RUN_BACK = re.compile(f"[{KATAKANA}]+(?:[・= ][{KATAKANA}]+){{0,4}}\\Z")
_ROMAJI_WORD = "[A-Z][A-Za-z'\\-]+"
_ROMAJI_FWD = re.compile(f"{_ROMAJI_WORD}(?: {_ROMAJI_WORD}){{0,2}}")
_ROMAJI_BACK = re.compile(f"(?<![A-Za-z.])(?:{_ROMAJI_WORD} ){{0,2}}{_ROMAJI_WORD}\\Z")
# No lookbehind at the start: it would stop re from skipping ahead to candidate characters;
# the boundaries are checked on the (few) matches instead.
_ROMAJI_PAIR = re.compile(r"([A-Z][a-z]+|[A-Z]{2,}) ([A-Z][a-z]+|[A-Z]{2,})(?![A-Za-z])")
_KANJI_WORD = re.compile(f"[{KANJI}]+(?:ノ[{KANJI}]+)?")  # 一ノ瀬 is a kanji name too
_KANJI_RUN = re.compile(f"[{KANJI}]{{1,10}}")
_KANA_GIVEN = re.compile(f"[{HIRAGANA}]{{1,4}}子?|[{KATAKANA}]{{1,4}}子|[{KATAKANA}]{{2,4}}")
# Kana + 子 is a given name on its own (ヨシ子, みつ子): no lexicon needed.
_KANA_KO = re.compile(f"[{HIRAGANA}{KATAKANA}]{{2,3}}子")  # not は子(宮), と子(ども)
_NOT_NAME_START = frozenset("のはがをにとでもへやおご")
_KANA_WORD = re.compile(f"[{HIRAGANA}{KATAKANA}]+")
_ASCII_LETTER = re.compile("[A-Za-z]")
_KATAKANA_CHAR = re.compile(f"[{KATAKANA}]")
_READING_AFTER = re.compile(
    r"(?: ?(?:様|さま|さん|氏|殿|君|くん|ちゃん|先生))? ?[(\[【] ?"
    f"(?P<r>[{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}|[{HIRAGANA}ー]+(?:[ ・][{HIRAGANA}ー]+){{0,3}}"
    r"|[A-Za-z]+(?: [A-Za-z]+){0,3}) ?[)\]】]"
    # ... or the other script after a slash: Maria Garcia / マリア・ガルシア
    f"|(?: ?(?:様|さん|氏))? ?/ ?(?P<a>[{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}|[A-Z][a-z]+(?: [A-Z][a-z]+){{1,2}})"
)
_TITLE_CASE = re.compile("[A-Z][a-z]+")
_OTHER_FORM = re.compile(r"(?: ?(?:様|さま|さん|氏|殿))? ?(?:\( ?|/ ?)")
_PERSON_FIELD = re.compile(f"[者医師帯勤当係番長士員手直記録責名宛人][ ]?:[ ]?(?=[{KANJI}])")
_FIELD_END = re.compile(r"[ ]?(?:\n|$|[(、,。/]| {2})")
_KATAKANA_FULL = re.compile(f"[{KATAKANA}]{{2,}}(?:・[{KATAKANA}]{{2,}})+(?![{KATAKANA}・])")
_KATAKANA_OR_DOT = re.compile(f"[{KATAKANA}・]")
_HIRAGANA_NAME = re.compile(f"[{HIRAGANA}ー]{{2,8}}(?:[ ・][{HIRAGANA}ー]{{1,8}}){{0,3}}(?![{HIRAGANA}ー])")
_NOT_HIRAGANA_NAME = frozenset(_words("なし ありません ふめい みてい いない とくになし しらない わからない"))
_READING_BEFORE = re.compile(f"([{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}) ?\\(\\Z")
# Particles and marks after which a bare surname reads as a person (田中は / 田中より).
_AFTER_BARE = frozenset(_words("は が を に の と へ も や より から で にて など 、 。 , . ) 」 :"))
_SEI_POS = ("名詞", "固有名詞", "人名", "姓")
_PLACE_POS = ("名詞", "固有名詞", "地名", "一般")
_VARIANT_CHARS = "髙﨑邊邉齋齊澤嶋嶌濱濵廣德櫻國眞冨桒𠮷栁淺團瀨曾惠瀧禮籔藪薮"
_VARIANT_RE = re.compile(f"[{_VARIANT_CHARS}]")
_VS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


@dataclass(frozen=True, slots=True)
class _Lexicons:
    surnames: frozenset[str]
    given: frozenset[str]
    romaji_surnames: frozenset[str]
    romaji_given: frozenset[str]
    foreign: frozenset[str]
    name_kanji: frozenset[str]
    variants: frozenset[str]


@cache
def _lexicons() -> _Lexicons:
    sur, giv = load_lexicon("surnames"), load_lexicon("given_names")
    variants = [s for s in sur if any(c in _VARIANT_CHARS for c in s)]
    return _Lexicons(
        surnames=sur,
        given=giv,
        romaji_surnames=load_lexicon("romaji_surnames"),
        romaji_given=load_lexicon("romaji_given_names"),
        foreign=load_lexicon("foreign_names"),
        name_kanji=name_kanji(),
        variants=frozenset(variants),
    )


class _Scan:
    """The rules for one text: names next to cues (both directions) and cue-less patterns.

    Next to a cue, the kanji tokens up to the nearest non-kanji token, stop word or cue
    word form a *segment*; the longest part of it that reads as a name wins. How much
    evidence a part needs depends on the cue: after a label or a soft honorific, name
    characters suffice (鴨畑先生); after 様, a title or a role, a lexicon entry, a UniDic
    人名 tag or a word UniDic does not know is needed too (not 結節様, 音響技師).
    """

    def __init__(self, context: TextContext, lex: _Lexicons) -> None:
        self.context, self.text, self.lex = context, context.text, lex
        self.tokens: Morphemes = morphemes(context)

    # -- evidence ---------------------------------------------------------------------
    def kind(self, tok: Token) -> str | None:
        """S surname, M given name, P either (foreign), L place (surname-like), K other kanji
        word (UniDic tags name characters as prefixes, suffixes, even symbols: 七|夏, 猪|畑,
        𠮷|田); None for anything that cannot be part of a name."""
        s, pos, lex = tok.surface, tok.pos, self.lex
        multi = len(s) > 1
        if s in lex.surnames and (multi or pos[2] in ("人名", "地名")):
            return "S"
        if s in lex.given and (multi or pos[2] == "人名"):
            return "M"
        if pos[2] == "人名":
            return {"姓": "S", "名": "M"}.get(pos[3], "P")
        if pos[2] == "地名" or pos[1] == "固有名詞":
            return "L"  # places and other proper nouns: many surnames are both (立石, 福島)
        if _KANJI_WORD.fullmatch(s):
            return "K"
        return None

    def name_chars(self, tok: Token) -> bool:
        if tok.pos[2] in ("人名", "地名"):
            return True
        plain = _VS.sub("", tok.surface)  # 辻󠄀: the variation selector is its own token
        return all(c in self.lex.name_kanji for c in plain) and (bool(plain) or tok.start > 0)

    def lexicon_name(self, s: str) -> bool:
        """Whether kanji ``s`` is a lexicon name: surname, given name, or surname + given name."""
        lex = self.lex
        s = _VS.sub("", s)
        if s in _STOP or len(s) < 2:
            return False
        if s in lex.surnames or s in lex.given:
            return True
        for k in range(1, len(s)):
            sei, mei = s[:k], s[k:]
            if sei not in lex.surnames or mei in _STOP:
                continue
            if mei in lex.given or (len(mei) <= 3 and all(c in lex.name_kanji for c in mei)):
                return True
        return False

    def accept(self, toks: list[Token], level: int) -> bool:
        """Whether kanji tokens ``toks`` (in text order) read as a name at evidence ``level``:
        0 name characters suffice, 1 a lexicon entry, 人名 tag or unknown word is needed."""
        compact = "".join(t.surface for t in toks)
        kinds = [self.kind(t) for t in toks]
        if len(compact) > 7 or None in kinds or compact in _STOP or not all(map(self.name_chars, toks)):
            return False
        if (
            level == 0
            or compact in self.lex.surnames
            or compact in self.lex.given
            or self.lexicon_name(compact)
        ):
            return True
        if any(k in ("S", "M", "P", "L") for k in kinds):
            return True
        if len(toks) > 1 and all(len(t.surface) == 1 for t in toks):
            return True  # no dictionary word: MeCab fell back to single characters (鴨|畑)
        return all(k != "K" or is_unknown_word(t.surface) for k, t in zip(kinds, toks, strict=True))

    # -- segments ---------------------------------------------------------------------
    def segment(self, pos: int, backward: bool) -> list[Token]:
        """Kanji tokens from ``pos`` outwards (nearest first), across at most one space."""
        toks, text = self.tokens, self.text
        starts, ends, surfaces = toks.starts, toks.ends, toks.surfaces
        step = -1 if backward else 1
        i = token_ending_at(self.context, pos) if backward else token_starting_at(self.context, pos)
        out: list[Token] = []
        spaced = False
        while 0 <= i < len(starts) and len(out) < 5 and _usable_word(surfaces[i]):
            out.append(toks[i])
            nxt = i + step
            if not 0 <= nxt < len(starts):
                break
            gap = text[ends[nxt] : starts[i]] if backward else text[ends[i] : starts[nxt]]
            if gap == "" or (gap == " " and not spaced):
                spaced = spaced or gap == " "
                i = nxt
            else:
                break
        return out

    def kanji_name(self, pos: int, backward: bool, level: int) -> tuple[int, int] | None:
        """The longest name in the kanji segment at ``pos`` (see :meth:`accept`)."""
        seg = self.segment(pos, backward)
        for n in range(len(seg), 0, -1):
            part = seg[:n][::-1] if backward else seg[:n]
            edge = part[0] if backward else part[-1]
            glued = n < len(seg) and (seg[n].end == edge.start if backward else seg[n].start == edge.end)
            if glued and (edge.pos[0] == "接尾辞" or (n == 1 and len(edge.surface) == 1)):
                continue  # 入院|中|山田, 兄の高|血圧: a piece of a longer word
            if self.accept(part, level):
                return part[0].start, part[-1].end
        if seg:  # lexicon names UniDic cuts across the word boundary (篠|﨑花|子)
            start, end = (seg[-1].start, pos) if backward else (pos, seg[-1].end)
            s = self.text[start:end]
            for k in range(len(s) - 1):
                cut = s[k:] if backward else s[: len(s) - k]
                at = end - len(cut) if backward else start + len(cut)
                aligned = token_starting_at if backward else token_ending_at
                if " " not in cut and self.lexicon_name(cut) and aligned(self.context, at) >= 0:
                    return (at, end) if backward else (start, at)
        return None

    def kana_given(self, pos: int, backward: bool) -> int | None:
        """End (forward) or start (backward) of a kana given name at ``pos`` (くみ子, トメ):
        a lexicon name, or a kana token UniDic tags as a given name."""
        text, given = self.text, self.lex.given
        for k in range(5, 1, -1):
            cand = text[pos - k : pos] if backward else text[pos : pos + k]
            if len(cand) == k and _KANA_GIVEN.fullmatch(cand) and (cand in given or _KANA_KO.fullmatch(cand)):
                if cand[0] in _NOT_NAME_START:
                    continue  # のお子さん, とし子 is fine
                beyond = text[pos - k - 1 : pos - k] if backward else text[pos + k : pos + k + 1]
                if beyond and _KANA_WORD.match(beyond) and not (backward and cand.endswith("子")):
                    continue  # えみ|りー・ぶらうん: only part of a longer kana word
                return pos - k if backward else pos + k
        i = token_ending_at(self.context, pos) if backward else token_starting_at(self.context, pos)
        if i >= 0 and self.tokens[i].pos[3] == "名" and _KANA_GIVEN.fullmatch(self.tokens[i].surface):
            return self.tokens[i].start if backward else self.tokens[i].end
        return None

    # -- cue scans ----------------------------------------------------------------------
    def before_cue(self, pos: int, level: int) -> Iterator[tuple[int, int, float]]:
        """Names ending right before an honorific or title that starts at ``pos``."""
        text = self.text
        end = pos - 1 if pos > 0 and text[pos - 1] == " " else pos
        if end <= 0:
            return
        if text[end - 1].isascii():
            m = _ROMAJI_BACK.search(text, max(0, end - 60), end)
            hit = self._romaji(m.start(), end, strict=False) if m else None
            if hit:
                yield hit
            return
        given = self.kana_given(end, backward=True)
        if given is not None:  # 山田くみ子さん, 山田 トメ様: a kanji surname may precede
            sei = self.kanji_name(given - (text[given - 1 : given] == " "), backward=True, level=level)
            yield (sei[0] if sei else given), end, 0.9
            return
        kana = _KANA_RUN_BACK.search(text, max(0, end - 40), end)
        if kana and token_starting_at(self.context, kana.start()) >= 0:
            hit = self._katakana(kana.start(), end, need_name=level > 0)
            if hit:
                yield hit
            return
        name = self.kanji_name(end, backward=True, level=level)
        if name:
            yield name[0], name[1], 0.9 if level else 0.85
        elif level == 0 and token_ending_at(self.context, end) < 0 and _KANJI_RUN.match(text, end - 1, end):
            # The honorific was cut into the name's last token (陽|向く|ん, 石川 舞|殿): the
            # head of that token ends the name, and the name may go on before it.
            i = bisect_right(self.tokens.starts, end - 1) - 1
            head = text[self.tokens.starts[i] : end]
            if head in _STOP or not all(c in self.lex.name_kanji for c in head):
                return
            head_start = self.tokens.starts[i]
            before = self.kanji_name(
                head_start - (text[head_start - 1 : head_start] == " "), backward=True, level=0
            )
            start = before[0] if before else self.tokens.starts[i]
            if end - start >= 2:
                yield start, end, 0.75

    def after_cue(self, pos: int, level: int, form: bool = False) -> Iterator[tuple[int, int, float]]:
        """Names right after a role, relation or label that ends at ``pos``; ``form``: the
        cue is a form field (氏名：), after which even a hiragana word is a name."""
        text = self.text
        pos = _FWD_SKIP.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            return
        if text[pos].isascii():
            m = _ROMAJI_FWD.match(text, pos)
            hit = self._romaji(pos, m.end(), strict=level > 0) if m else None
            if hit:
                yield hit
            return
        kana = _KANA_RUN_FWD.match(text, pos)
        if kana and _KATAKANA_CHAR.match(text, pos - 1 if pos else 0, pos):
            return  # ドクター|カー: a katakana cue glued to katakana is one word
        if kana and token_ending_at(self.context, kana.end()) >= 0:
            hit = self._katakana(pos, kana.end(), need_name=level > 0)
            if hit:
                yield hit
            return
        name = self.kanji_name(pos, backward=False, level=level)
        if name is None and level:
            loose = self.kanji_name(pos, backward=False, level=0)
            if loose and _HONORIFIC_NEXT.match(text, loose[1]):
                name = loose  # 妻の翼様: a weak cue before and an honorific after
            elif loose and self.kana_given(loose[1] + (text[loose[1] : loose[1] + 1] == " "), backward=False):
                name = loose  # 院長 金 さくら: the given name vouches for the surname
        if name is None:
            hira = _HIRAGANA_NAME.match(text, pos) if form else None
            if hira and hira.group() not in _NOT_HIRAGANA_NAME and len(hira.group()) >= 3:
                yield pos, hira.end(), 0.8  # 患者名：いちのせ まさお — hiragana after a form label
            elif (given := self.kana_given(pos, backward=False)) is not None:
                yield pos, given, 0.85
            return
        if text[name[1] - 1] in "殿様" and name[1] - name[0] > 2:
            name = (name[0], name[1] - 1)  # 山田 拓|真殿: the honorific glued into a token
        end = name[1]
        more = self.kana_given(end + (text[end : end + 1] == " "), backward=False)
        yield name[0], more or end, 0.9 if level else 0.85

    def self_introduction(self, pos: int) -> Iterator[tuple[int, int, float]]:
        """〇〇病院の山田です: a name between の and です (a caller introducing themselves)."""
        for start, end, score in self.before_cue(pos, level=1):
            if self.text[start - 1 : start] == "の":
                yield start, end, score

    def _katakana(self, start: int, end: int, need_name: bool) -> tuple[int, int, float] | None:
        words = re.split("[・= ]", self.text[start:end])
        while words and (words[0] in _KATA_STOP or words[0] in _ROLE_WORDS):  # ヘルパー ジョンさん → ジョン
            start += len(words.pop(0)) + 1
        for k, word in enumerate(words):
            if k and word in _LABELS:  # アナ・サントス フリガナ: アナ・サントス
                words = words[:k]
                end = start + len(" ".join(words))
                break
        if not words or words[-1] in _KATA_STOP or (len(words) == 1 and len(words[0]) < 2):
            return None
        if need_name:
            lo, hi = token_starting_at(self.context, start), token_ending_at(self.context, end)
            named = lo >= 0 and hi >= 0 and any(t.pos[2] == "人名" for t in self.tokens[lo : hi + 1])
            if not (named or len(words) > 1 or any(w in self.lex.foreign for w in words)):
                return None
        return start, end, 0.9

    def _romaji(self, start: int, end: int, strict: bool) -> tuple[int, int, float] | None:
        words = self.text[start:end].rstrip(" ").split(" ")
        while words and words[0].rstrip(".") in _TITLE_WORDS:
            start += len(words.pop(0)) + 1
        lex = self.lex
        known = [w.lower() in lex.romaji_surnames or w.lower() in lex.romaji_given for w in words]
        if not words or not (any(known) or (not strict and any(not w.isupper() for w in words))):
            return None
        return start, start + len(" ".join(words)), 0.9

    # -- cue-less patterns ----------------------------------------------------------------
    def cueless(self) -> Iterator[tuple[int, int, float]]:
        """Names without a cue: 姓+名 tags, a lexicon surname before a particle, variant-kanji
        surnames, romaji pairs of lexicon names."""
        toks, lex, text = self.tokens, self.lex, self.text
        starts, ends, surfaces = toks.starts, toks.ends, toks.surfaces
        n = len(toks)
        places = [i for i in toks.indices(_PLACE_POS) if surfaces[i] in lex.surnames]  # 千葉瑠璃
        for i in sorted(toks.indices(_SEI_POS) + places):
            start, end = starts[i], ends[i]
            if i > 0 and ends[i - 1] == start and self._glued(surfaces[i - 1]):
                continue
            j = i + 1 if i + 1 < n and text[end : starts[i + 1]] in ("", " ") else -1
            place = toks.pos[i][2] != "人名"
            if (
                j > 0
                and self.kind(toks[j]) == "M"
                and self._same_script(surfaces[i], surfaces[j], starts[j] > end)
            ):
                run = self._given_run(j, min_chars=1) if _KANJI_WORD.fullmatch(surfaces[j]) else None
                yield start, max(ends[j], run or 0), 0.85  # 聡|太郎 → 聡太郎
            elif j > 0 and not place and (run := self._given_run(j)) is not None:
                yield start, run, 0.75  # 木村七夏: an unknown given name after a tagged surname
            elif (
                j > 0
                and surfaces[j] in lex.given
                and (j + 1 == n or surfaces[j + 1] in _AFTER_BARE or starts[j + 1] > ends[j])
            ):
                yield start, ends[j], 0.75  # 戸田蒼が: a one-character given name
            elif _KANJI_WORD.fullmatch(surfaces[i]) and (
                given := self.kana_given(end + (text[end : end + 1] == " "), backward=False)
            ):
                yield start, given, 0.8  # 村井ハル, 泉 あおい (not モリ|シン)
            elif (
                len(surfaces[i]) >= 2
                and not place  # not 福島に転居
                and surfaces[i] in lex.surnames
                and (i + 1 == n or starts[i + 1] > end or surfaces[i + 1] in _AFTER_BARE)
            ):
                yield start, end, 0.7
        for m in _VARIANT_RE.finditer(text):
            # Variant-kanji surnames (髙橋, 篠﨑) are unambiguous but unknown to UniDic; find
            # the rare character first, then the lexicon surname around it.
            hit = self._variant_surname(m.start())
            if hit is not None:
                start, end = hit
                gap = text[end : end + 1] == " "
                rest = _KANJI_RUN.match(text, end + gap)
                given = rest.group() if rest else ""
                full = given and self.lexicon_name(text[start:end] + given)
                end = rest.end() if full and rest else end
                kana = None if full else self.kana_given(end + (text[end : end + 1] == " "), backward=False)
                yield start, kana or end, 0.8  # 濵田 和子, 𠮷田ミツ
        for m in _PERSON_FIELD.finditer(text):
            # 夜勤帯：清水 — a field whose label names a person, holding a lexicon surname.
            hit = self.kanji_name(m.end(), backward=False, level=1)
            compact = text[hit[0] : hit[1]].replace(" ", "") if hit else ""
            if (
                hit
                and _FIELD_END.match(text, hit[1])
                and (compact in lex.surnames or self.lexicon_name(compact))
            ):
                yield hit[0], hit[1], 0.7
        for m in _KATAKANA_FULL.finditer(text) if "・" in text else ():
            if _KATAKANA_OR_DOT.match(text, m.start() - 1 if m.start() else 0, m.start()):
                continue
            # ジョン・スミスです: two katakana names joined by ・ (eponyms are protected later).
            lo, hi = token_starting_at(self.context, m.start()), token_ending_at(self.context, m.end())
            words = m.group().split("・")
            named = sum(w in lex.foreign for w in words)
            if lo >= 0 and hi >= 0:
                named += sum(p[2] == "人名" for p in toks.pos[lo : hi + 1])
            if named >= 2 or (named and len(words) >= 3):  # チャン・ティ・ラン
                yield m.start(), m.end(), 0.75
        yield from _cueless_romaji(text, lex)

    def _given_run(self, j: int, min_chars: int = 2) -> int | None:
        """End of a given name of ``min_chars``–3 kanji from token ``j`` that ends at a
        boundary: single name characters, given names or unknown words (木村|七|夏). Not
        山田|先生 (a cue), 小泉|門 (too short), 洞|房|結節 (結節 is a known word)."""
        toks, text = self.tokens, self.text
        end, k = toks.starts[j], j
        while k < len(toks) and toks.starts[k] == end and _usable_word(toks.surfaces[k]):
            word = toks.surfaces[k]
            if not self.name_chars(toks[k]):
                break
            if len(word) > 1 and self.kind(toks[k]) not in ("M", "P") and not is_unknown_word(word):
                break
            end = toks.ends[k]
            k += 1
        if not toks.starts[j] + min_chars <= end <= toks.starts[j] + 3 or _KANJI_RUN.match(text, end):
            return None
        return end

    def _variant_surname(self, p: int) -> tuple[int, int] | None:
        """The lexicon surname with a variant character at ``p`` that starts a word."""
        text, variants = self.text, self.lex.variants
        for length in (3, 2):
            for start in range(max(0, p - length + 1), p + 1):
                if text[start : start + length] in variants and not _KANJI_RUN.match(
                    text, start - 1 if start else 0, start
                ):
                    return start, start + length
        return None

    @staticmethod
    def _glued(prev: str) -> bool:
        """Whether a word directly before a surname makes it part of a longer word
        (子|宮口, 𠮷|田) rather than a cue written without a space (患者山田太郎)."""
        return bool(_KANJI_WORD.fullmatch(prev[-1:])) and prev not in _STOP and prev not in _CUE_WORDS

    @staticmethod
    def _same_script(a: str, b: str, spaced: bool) -> bool:
        """Kanji + kanji (山田太郎), or katakana + space + katakana (ヤマダ タロウ): katakana
        written together is a word (ニューモリシン), not a name."""
        if _KANJI_WORD.fullmatch(a):
            return bool(_KANJI_WORD.fullmatch(b))
        return spaced and bool(_KANA_WORD.fullmatch(a)) and bool(_KANA_WORD.fullmatch(b))


def _usable_word(surface: str) -> bool:
    """Whether a word may be part of a kanji name (not a stop or cue word)."""
    return surface not in _STOP and surface not in _CUE_WORDS and _KANJI_WORD.fullmatch(surface) is not None


@RECOGNIZERS.register("names.person")
class PersonRecognizer(Recognizer):
    """Personal names (patients, family, staff) in kanji, kana and romaji, found with
    UniDic 人名 tags, name lexicons and context (honorifics, roles, relations, labels)."""

    labels = ("PERSON",)
    priority = 55

    def __init__(self, config: DeidConfig | None = None) -> None:
        super().__init__(config)
        names = {normalize(n)[0].strip() for n in self.config.extra_names}
        names.discard("")
        self._extra = re.compile(words_regex(names)) if names else None

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        found: set[tuple[int, int, float]] = set()
        if self._extra is not None:
            found.update((m.start(), m.end(), 1.0) for m in self._extra.finditer(text))
        scan = _Scan(context, _lexicons())
        found.update(self._cued(scan))
        found.update(scan.cueless())
        found.update(_readings(scan, found))
        return [Span(s, e, "PERSON", score) for s, e, score in outermost(found)]

    @staticmethod
    def _cued(scan: _Scan) -> Iterator[tuple[int, int, float]]:
        text, context = scan.text, scan.context
        for m in _CUE_RE.finditer(text):
            word, start, end = m.group(), m.start(), m.end()
            if word.isascii():
                if _ASCII_LETTER.match(text, start - 1 if start else 0, start) or _ASCII_LETTER.match(
                    text, end
                ):
                    continue  # "ST" in "STEMI", "Dr" in "Drug"
            elif token_ending_at(context, end) < 0 or (
                token_starting_at(context, start) < 0
                and not (
                    word in _KANA_HONORIFICS and _KANJI_RUN.match(text, start - 1 if start else 0, start)
                )
            ):
                continue  # 様 in 様子, 母 in 母指; but 陽|向く|ん is 陽向くん
            if word == "です":
                yield from scan.self_introduction(start)
            elif start and text[start - 1] == "(" and text[end : end + 1] == ")" and word in _ROLE_WORDS:
                yield from scan.before_cue(start - 1, level=0)  # 加藤 零(看護師), 松本 和子(長女)
            elif word in _HONORIFICS and not (
                word in _GLUE_SENSITIVE and _GLUED_AFTER.match(text, end) and text[end] not in _GLUE_OK
            ):
                yield from scan.before_cue(start, level=0 if word in _SOFT_HONORIFICS else 1)
            if word in _LABELS:
                sep = _LABEL_SEP.match(text, end)
                if sep:
                    yield from _name_list(scan, sep.end(), level=0, form=":" in sep.group())
            elif word in _DEPARTMENT_CUES:
                if text[end : end + 1] == " ":  # 明星病院 内科 林 零: a signature line
                    yield from scan.after_cue(end, level=1)
            elif word in _ROLES or word in _RELATIONS:
                # A role written as a form field (主治医：) is as strong as a label.
                colon = _COLON.match(text, end) is not None
                yield from _name_list(
                    scan, end, level=0 if colon or word in _STRONG_BEFORE else 1, form=colon
                )


def _name_list(scan: _Scan, pos: int, level: int, form: bool) -> Iterator[tuple[int, int, float]]:
    """Names after a cue, and more names listed after the first (出席者：山田、鈴木、佐藤)."""
    for _ in range(8):
        hits = list(scan.after_cue(pos, level, form))
        yield from hits
        sep = _LIST_SEP.match(scan.text, max(h[1] for h in hits)) if hits else None
        if sep is None:
            return
        pos = sep.end()


def outermost(found: Iterable[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The spans not inside a longer one, each with the best score among its copies.

    The rules often find one name several ways (山田 from a cue, 山田 太郎 from the tags);
    returning only the outermost keeps the engine's per-span work (overlap resolution,
    offset mapping) proportional to the names, not to the rules that fired.
    """
    best: dict[tuple[int, int], float] = {}
    for start, end, score in found:
        if end > start and score > best.get((start, end), -1.0):
            best[start, end] = score
    kept: list[tuple[int, int, float]] = []
    reach = -1
    for (start, end), score in sorted(best.items(), key=lambda item: (item[0][0], -item[0][1])):
        if end <= reach:
            continue  # inside the span that reaches furthest so far
        kept.append((start, end, score))
        reach = end
    return kept


def _cueless_romaji(text: str, lex: _Lexicons) -> Iterator[tuple[int, int, float]]:
    """Two capitalised words that are a lexicon surname and given name (Taro Yamada)."""
    for m in _ROMAJI_PAIR.finditer(text):
        if _ASCII_LETTER.match(text, m.start() - 1 if m.start() else 0, m.start()):
            continue
        a, b = m.group(1).lower(), m.group(2).lower()
        if (a in lex.romaji_surnames and b in lex.romaji_given) or (
            a in lex.romaji_given and b in lex.romaji_surnames
        ):
            yield m.start(), m.end(), 0.85


def _readings(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """The same name in another script next to a found one: a kana or romaji reading in
    brackets (山田太郎(ヤマダ タロウ)), the kanji form after a reading or romaji name
    (タカハシ カズコ(髙橋 和子), Yoshida Masaru / 𠮷田 勝) — but not a role in brackets:
    渡邉(MSW), 山田(ヘルパー)."""
    text, lex = scan.text, scan.lex
    for start, end, _ in list(spans):
        other = _OTHER_FORM.match(text, end)
        if other and _KANJI_WORD.match(text, other.end()):  # the kanji form, as after a label
            for a, b, _score in scan.after_cue(other.end(), level=0):
                if "(" not in other.group() or text[b : b + 1] == ")":
                    yield a, b, 0.85
        m = _READING_AFTER.match(text, end)
        if m and m.group("a"):
            yield m.start("a"), m.end("a"), 0.8
        elif m:
            words = re.split("[ ・]", m.group("r"))
            if m.group("r").isascii():  # Jose Rodriguez, YAMADA Taro; not MSW, Dr
                ok = any(
                    w.lower() in lex.romaji_surnames or w.lower() in lex.romaji_given for w in words
                ) or (
                    not any(w in _TITLE_WORDS for w in words)
                    and all(_TITLE_CASE.fullmatch(w) or (len(words) > 1 and w.isupper()) for w in words)
                    and any(_TITLE_CASE.fullmatch(w) for w in words)
                )  # Wei WANG, Jose Rodriguez
            else:
                ok = not any(w in _KATA_STOP or w in _ROLE_WORDS for w in words)
            if ok:
                yield m.start("r"), m.end("r"), 0.9
        if start and end < len(text) and text[end] == ")":
            b = _READING_BEFORE.search(text, max(0, start - 40), start)
            if b:
                yield b.start(1), b.end(1), 0.9
