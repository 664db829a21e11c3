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
  before a particle (田中より), variant-kanji surnames, romaji pairs with a lexicon given
  name (Jerome Reyes), katakana names joined by ・, = or a space (シルヴァ=オリヴェイラ マリア).
* **Slots**: rosters, chat logs, signatures and lists write a name alone between
  separators (夜勤：知念、我如古 / 以上　我如古 / 成功（仲本） / 7:44 X Y：了解). A word in such a
  slot is a name when UniDic tags it 姓 or the lexicon has it, or when a given name follows
  (廿日出 拓海: the given name vouches for a surname nobody knows); weaker words (a surname
  that is also a place, unknown name characters) count next to a proven name in a list or
  after a label that names a person (麻酔：, 所属長確認：, 以上).
* **English**: capitalised words after English cue words (husband, Pt:, From:, Ms., Dear
  Dr.) or before a degree (K. Higa, MD).

Honorifics and role words are never part of the span (``山田`` in ``山田様``). The same
name in another script next to a found one is a PERSON too: a reading in brackets
(``山田太郎（ヤマダ タロウ）``, ``（PARK JIYEON）``), a kanji form after a reading or romaji
name. Last, a name found anywhere in the text is a name wherever else it stands as a whole
word (雲母 結衣さん … 母（雲母 晴美）: UniDic reads 雲母 as mica), its surname and given name
included. Eponyms are not matched here — no cue, or a ``様`` that means "-like"
(パーキンソン様症状) — and :mod:`jmedllm.deid.protect` covers the rest.

A role followed by a space and one word up to a boundary is a name's slot too (機関員
大網）, 主治医 鴨脚より), whatever the lexicons know, unless the word is a verbal noun.
Names with no cue whose *shape* vouches for them — a two-part reading or a transliteration
in brackets, initials, Vietnamese and Latin names among Japanese, katakana names with a
lexicon reading, chat speakers, the rest of a given name after a found surname — are found
by :mod:`._name_shapes`.

The cue machinery, lexicons and patterns live in :mod:`._person_rules`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate, chain

from jmedllm.core.jatext.normalization import normalize
from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.morphology import (
    is_unknown_word,
    words_regex,
)
from jmedllm.deid.recognizers._name_shapes import (
    bracketed_forms,
    bracketed_staff,
    chat_senders,
    chat_speakers,
    comma_names,
    department_staff,
    disambiguated,
    given_tails,
    initials,
    katakana_cued,
    katakana_japanese,
    katakana_with_kanji_given,
    latin_in_japanese,
    list_neighbours,
    no_joined,
    role_tails,
    surname_heads,
    user_handles,
    vietnamese_names,
    vouched_by_katakana,
    vouched_by_latin,
    vouched_by_reading,
)
from jmedllm.deid.recognizers._person_rules import (
    _AFTER_BARE,
    _ASCII_LETTER,
    _ASCII_UPPER,
    _COLON,
    _CUE_RE,
    _CUE_WORDS,
    _DEPARTMENT_CUES,
    _EN_AMBIGUOUS,
    _FIELD_END,
    _FOREIGN_POS,
    _GLUE_OK,
    _GLUE_SENSITIVE,
    _GLUED_AFTER,
    _HONORIFICS,
    _KANA_HONORIFICS,
    _KANA_JOINERS,
    _KANA_PAIR,
    _KANA_WORD,
    _KANJI_RUN,
    _KANJI_WORD,
    _KATA_STOP,
    _KATAKANA_DOT,
    _KATAKANA_FULL,
    _KATAKANA_OR_DOT,
    _KATAKANA_WORD,
    _LABEL_SEP,
    _LABELS,
    _LIST_GAP,
    _LIST_SEP,
    _NAME_GAP,
    _NOT_GIVEN_KANA,
    _NOT_OTHER_FORM,
    _OTHER_FORM,
    _PART_SPLIT,
    _PERSON_FIELD,
    _PLACE_POS,
    _READING_AFTER,
    _READING_BEFORE,
    _RELATIONS,
    _ROLE_GAP,
    _ROLE_WORDS,
    _ROLES,
    _SIGN_SUFFIX,
    _SLOT,
    _SLOT_AT_START,
    _SOFT_HONORIFICS,
    _STOP,
    _STRONG_BEFORE,
    _STRONG_SLOT_BEFORE,
    _TITLE_CASE,
    _TITLE_WORDS,
    _VARIANT_RE,
    EN_STOP,
    _cueless_romaji,
    _lexicons,
    _Scan,
    _script_glued,
    _usable_word,
    _words,
    english_names,
)

__all__ = ["PersonRecognizer", "outermost"]


class _DocScan(_Scan):
    """The cue scans plus the rules that need no cue word."""

    # -- cue-less patterns ----------------------------------------------------------------
    def cueless(self) -> Iterator[tuple[int, int, float]]:
        """Names without a cue: 姓+名 tags, a lexicon surname before a particle, variant-kanji
        surnames, romaji pairs of lexicon names."""
        toks, lex, text = self.tokens, self.lex, self.text
        starts, ends, surfaces, poss = toks.starts, toks.ends, toks.surfaces, toks.pos
        n = len(toks)
        places = [i for i in toks.indices(_PLACE_POS) if surfaces[i] in lex.surnames]  # 千葉瑠璃
        for i in sorted(self.sei + places) if places else self.sei:
            start, end = starts[i], ends[i]
            if i > 0 and ends[i - 1] == start and self._glued(surfaces[i - 1]):
                continue
            j = i + 1 if i + 1 < n and text[end : starts[i + 1]] in ("", " ") else -1
            place = poss[i][2] != "人名"
            if (
                j > 0
                and self.kind_of(surfaces[j], poss[j]) == "M"
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
        for m in _KATAKANA_FULL.finditer(text) if _KATAKANA_DOT.search(text) else ():
            if _KATAKANA_OR_DOT.match(text, m.start() - 1 if m.start() else 0, m.start()):
                continue
            # ジョン・スミスです: two katakana names joined by ・ (eponyms are protected later).
            lo, hi = self.starting_at(m.start()), self.ending_at(m.end())
            words = m.group().split("・")
            named = sum(w in lex.foreign for w in words)
            if lo >= 0 and hi >= 0:
                named += sum(p[2] == "人名" for p in toks.pos[lo : hi + 1])
            if named >= 2 or (named and len(words) >= 3):  # チャン・ティ・ラン
                yield m.start(), m.end(), 0.75
        yield from _cueless_romaji(text, lex)

    # -- slots: a name standing alone in a list, roster, signature or form field -----------
    def slots(self, known: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
        """Kanji words standing alone between separators (夜勤：知念、我如古 / 以上　我如古 /
        成功（仲本） / 9:00　江刺家 / 所属長確認：鵜飼　2/21). Alone is how rosters, chat logs
        and signatures write a name, and how few other words appear; still, the word must
        prove itself: a UniDic 姓 or lexicon surname (鵜飼 is also a common noun), or a word
        followed by a given name (廿日出 拓海). Weaker words — a surname that is also a place,
        an unknown run of name characters — count in a list next to a proven name
        (丹羽、及位、四釜) or in a field whose label names a person (麻酔：樋爪). Words the
        other rules found (``known``) are not looked at again; they only link lists."""
        text, lex = self.text, self.lex
        found: list[tuple[int, int, int]] = []  # (start, end, 3 known / 2 proven / 1 weak)
        known_ends: dict[int, int] = {}
        for s, e, _score in known:
            known_ends[s] = max(e, known_ends.get(s, e))
        surnames, name_kanji = lex.surnames, lex.name_kanji
        sei_starts = {self.tokens.starts[i] for i in self.sei}
        first = _SLOT_AT_START.match(text)
        for m in chain((first,) if first else (), _SLOT.finditer(text)):
            start, end = m.span(1)
            if found and found[-1][2] == 3 and start < found[-1][1]:
                continue  # 康夫 in 鈴木 康夫: inside a name already found
            if known_ends.get(start, -1) >= end:
                found.append((start, known_ends[start], 3))
                continue
            word = m.group(1)
            if end - start > 5 or word in _STOP or word in _CUE_WORDS:
                continue
            if text[end : end + 1] == " " and (full := self.full_name_at(start)) is not None:
                found.append((full[0], full[1], 2))
                continue
            if word[-1] in _SIGN_SUFFIX and len(word) > 2 and self.starting_at(end - 1) >= 0:
                word, end = word[:-1], end - 1  # 左右田受, 山田印
            if not 2 <= len(word) <= 4 or (
                word not in surnames and start not in sei_starts and not name_kanji.issuperset(word)
            ):
                continue  # cheap tests first: most slots hold 朝食後, 女性, 既往歴 …
            grade = self._slot_grade(start, end, word)
            if grade == 1 and _STRONG_SLOT_BEFORE.search(text, max(0, start - 12), start):
                grade = 2  # 麻酔：樋爪, 以上　我如古: the label or the sign-off vouches
            if grade:
                found.append((start, end, grade))
        proven = [g >= 2 for _s, _e, g in found]

        def linked(j: int, k: int) -> bool:  # found[j] and found[k] are neighbours in a list
            if not 0 <= j < k < len(found):
                return False
            if _LIST_GAP.fullmatch(text, found[j][1], found[k][0]):
                return True
            role = _ROLE_GAP.fullmatch(text, found[j][1], found[k][0])  # 、看護 : a role between
            return role is not None and (role.group(1) in _STOP or role.group(1) in _ROLE_WORDS)

        for k in [*range(len(found)), *reversed(range(len(found)))]:  # A、B、C: weak next to proven
            if not proven[k]:
                proven[k] = (k > 0 and proven[k - 1] and linked(k - 1, k)) or (
                    k + 1 < len(found) and proven[k + 1] and linked(k, k + 1)
                )
        for k, (start, end, grade) in enumerate(found):
            if grade == 3:
                continue
            line_end = text[start - 1 : start] == " " and text[end : end + 1] in ("\n", "")
            if not proven[k] and not (line_end and text[start:end] in lex.surnames):
                continue  # a lone weak word — but 株式会社ノースケア札幌 木下⏎ signs a line
            more = self._given_after_space(end)
            yield start, more or end, 0.8 if grade == 2 else 0.7

    def _slot_grade(self, start: int, end: int, word: str) -> int:
        """2: a lexicon surname or one token UniDic tags 姓; 1: a surname that is also a
        place (丹羽), or name characters MeCab cut into pieces (及|位); 0: anything else."""
        toks = self.tokens
        i = self.starting_at(start)
        if i < 0:
            return 0
        single = toks.ends[i] == end
        if word in self.lex.surnames:
            if not single and self.ending_at(end) < 0:
                return 0
            return 1 if single and toks.pos[i][2] == "地名" else 2
        if single and toks.pos[i][3] == "姓":
            return 2
        if single and toks.pos[i][2] in ("人名", "地名"):
            return 1  # 知念 (a place to UniDic): a name in a list of names
        if not self.lex.name_kanji.issuperset(word):
            return 0
        if single:  # a word UniDic does not know (one unknown-word token)
            return 1 if is_unknown_word(word) else 0
        return 1 if self.ending_at(end) >= 0 else 0  # 及|位: MeCab's pieces

    def _given_after_space(self, end: int) -> int | None:
        """End of a given name after ``end`` and one or two spaces, else None."""
        gap = _NAME_GAP.match(self.text, end)
        if gap is None:
            return None
        pos = gap.end()
        return self.given_after(pos) or self.kana_given(pos, backward=False) or self.kana_given_loose(pos)

    # -- foreign names in katakana joined by =, ・ or a space ---------------------------
    def katakana_joined(self) -> Iterator[tuple[int, int, float]]:
        """シルヴァ=オリヴェイラ マリア: katakana words joined by =, ・ or one space, at least
        two of them tagged 人名 by UniDic or foreign lexicon names."""
        toks, text, foreign = self.tokens, self.text, self.lex.foreign
        if not _KANA_PAIR.search(text):
            return
        n, done = len(toks), -1
        for i in toks.indices(_FOREIGN_POS):
            if toks.starts[i] < done or not _KATAKANA_WORD.fullmatch(toks.surfaces[i]):
                continue
            hi = last = i
            count = 1
            while hi + 1 < n:
                nxt = hi + 1
                gap = text[toks.ends[hi] : toks.starts[nxt]]
                if gap == "" and toks.surfaces[nxt] in _KANA_JOINERS and nxt + 1 < n:
                    nxt += 1
                    if toks.starts[nxt] != toks.ends[nxt - 1]:
                        break
                elif gap != " ":
                    break
                word = toks.surfaces[nxt]
                if not _KATAKANA_WORD.fullmatch(word) or word in _KATA_STOP:
                    break
                if toks.pos[nxt][2] == "人名" or word in foreign:
                    count, last = count + 1, nxt
                hi = nxt
            done = toks.ends[hi]
            start = toks.starts[i]
            if count >= 2 and not (start and _KATAKANA_OR_DOT.match(text, start - 1)):
                yield start, toks.ends[last], 0.75

    # -- document-level propagation ---------------------------------------------------
    def propagate(self, found: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
        """Every other occurrence of a name found in this text (雲母 結衣さん … 母（雲母 晴美）
        … 雲母）: a name found once, with a cue, is a name wherever it stands alone — the
        surname and given name of a full name included."""
        text = self.text
        words: set[str] = set()
        seen: set[str] = set()
        for start, end, _score in found:
            name = text[start:end]
            if name not in seen:
                seen.add(name)
                words.update(self._name_parts(start, end))
        # Most occurrences lie inside a name already found (the name itself, to begin
        # with), where another copy changes nothing: outermost() keeps the longer span, and
        # of equal ones the best score. Only the others are looked at. ``reach[k]``: the
        # furthest end of the found spans starting at or before ``begins[k]``.
        best: dict[tuple[int, int], float] = {}
        for s, e, score in found:
            best[s, e] = max(score, best.get((s, e), score))
        covered = sorted(best)
        begins = [s for s, _e in covered]
        reach = list(accumulate((e for _s, e in covered), max))
        for word in words:
            at = text.find(word)
            while at >= 0:
                end = at + len(word)
                if (at, end) in best:
                    new = best[at, end] < 0.7
                else:  # not found as such: new unless a longer span holds it
                    k = bisect_right(begins, at) - 1
                    new = k < 0 or reach[k] < end
                if new and self._stands_alone(at, end):
                    yield at, end, 0.7
                at = text.find(word, end)

    def _name_parts(self, start: int, end: int) -> Iterator[str]:
        """The strings worth looking for elsewhere: the name, and its surname and given name."""
        text, lex, toks = self.text, self.lex, self.tokens
        name = text[start:end]
        # (a name without a separator is one part: the regex split is skipped)
        parts = _PART_SPLIT.split(name) if " " in name or "・" in name or "=" in name else [name]
        if len(parts) == 1 and _KANJI_WORD.fullmatch(name):  # 雲母晴美: the surname by tags or lexicon
            i = self.starting_at(start)
            if i >= 0 and toks.ends[i] < end and (toks.pos[i][3] == "姓" or toks.surfaces[i] in lex.surnames):
                parts.append(toks.surfaces[i])
        if len(parts) > 1:
            parts.append(name.replace(" ", ""))
        for part in parts:
            if (
                len(part) < 2
                or part in _STOP
                or part in _CUE_WORDS
                or part in _NOT_GIVEN_KANA
                or part in EN_STOP
            ):
                continue
            if part.isascii() and (len(part) < 3 or not part[0].isupper() or part.lower() in _EN_AMBIGUOUS):
                continue
            yield part

    def _stands_alone(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is a whole word: no letter of its script glued on either
        side (雲母 in 雲母晴美 is fine: a given name follows; not 長谷川 in 長谷川式), save a
        cue word or honorific (母山田, 山田様)."""
        text = self.text
        if start and _script_glued(text[start - 1], text[start]):
            i = self.ending_at(start)
            if i < 0 or self.tokens.surfaces[i] not in _CUE_WORDS or not _KANJI_RUN.match(text, start):
                return False
        if end < len(text) and _script_glued(text[end - 1], text[end]):
            j = self.starting_at(end)
            if j < 0 or not _KANJI_RUN.match(text, end):
                return False
            nxt = self.tokens.surfaces[j]
            return nxt in _CUE_WORDS or nxt in _SIGN_SUFFIX or self.kind_of(nxt, self.tokens.pos[j]) == "M"
        return True

    def _given_run(self, j: int, min_chars: int = 2) -> int | None:
        """End of a given name of ``min_chars``–3 kanji from token ``j`` that ends at a
        boundary: single name characters, given names or unknown words (木村|七|夏). Not
        山田|先生 (a cue), 小泉|門 (too short), 洞|房|結節 (結節 is a known word)."""
        toks, text = self.tokens, self.text
        starts, ends, surfaces, poss = toks.starts, toks.ends, toks.surfaces, toks.pos
        n = len(starts)
        end, k = starts[j], j
        while k < n and starts[k] == end and _usable_word(surfaces[k]):
            word = surfaces[k]
            if not self.name_chars_of(word, poss[k], starts[k]):
                break
            if len(word) > 1 and self.kind_of(word, poss[k]) not in ("M", "P") and not is_unknown_word(word):
                break
            end = ends[k]
            k += 1
        if not starts[j] + min_chars <= end <= starts[j] + 3 or _KANJI_RUN.match(text, end):
            return None
        return end

    def _variant_surname(self, p: int) -> tuple[int, int] | None:
        """The lexicon surname with a variant character at ``p`` that starts a word."""
        text, variants = self.text, self.lex.variants
        for length in (3, 2):
            # (the slice of a 3-character window at the text's end is shorter: never past it)
            for start in range(max(0, p - length + 1), min(p, len(text) - length) + 1):
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
        scan = _DocScan(context, _lexicons())
        self._cued(scan, found)
        found.update(scan.cueless())
        found.update(scan.slots(found))
        found.update(scan.katakana_joined())
        latin = _ASCII_UPPER.search(text) is not None
        if latin:
            found.update(english_names(text, scan.lex))
            found.update(latin_in_japanese(text, scan.lex))
        # names whose shape vouches for them (_name_shapes): readings, initials, chat speakers …
        found.update(vouched_by_reading(text))
        found.update(vouched_by_latin(text))
        found.update(comma_names(text))
        found.update(vouched_by_katakana(text))
        found.update(initials(text))
        found.update(chat_speakers(text))
        found.update(chat_senders(text))
        found.update(role_tails(scan))
        found.update(department_staff(scan))
        found.update(katakana_japanese(scan))
        found.update(katakana_cued(scan))
        found.update(katakana_with_kanji_given(scan))
        found.update(bracketed_staff(scan))
        found.update(vietnamese_names(text))
        found.update(user_handles(text, scan.lex))
        found.update(_readings(scan, found))
        found.update(bracketed_forms(text, found))
        found.update(list_neighbours(scan, found))
        found.update(scan.propagate(found))
        found.update(given_tails(scan, found))
        found.update(surname_heads(scan, found))
        found.update(no_joined(scan, found))
        found.update(disambiguated(text, found))
        return [
            Span(s, e, "PERSON", score)
            for s, e, score in outermost(found)
            if not (text[e - 1] in _MUNICIPAL_UNITS and _RESIDENCE.match(text, e))
            and not _PET_BEFORE.search(text, max(0, s - 6), s)
        ]

    @staticmethod
    def _cued(scan: _Scan, found: set[tuple[int, int, float]]) -> None:
        """Add to ``found`` the names next to cue words (honorifics, roles, labels …)."""
        text = scan.text
        starts, ends = scan.tokens.starts, scan.tokens.ends
        n = len(starts)
        for m in _CUE_RE.finditer(text):
            word = m.group()
            start, end = m.span()
            if word.isascii():
                if _ASCII_LETTER.match(text, start - 1 if start else 0, start) or _ASCII_LETTER.match(
                    text, end
                ):
                    continue  # "ST" in "STEMI", "Dr" in "Drug"
            else:
                # scan.ending_at(end) and scan.starting_at(start), inlined (every cue asks)
                i = bisect_left(starts, end) - 1
                if i < 0 or ends[i] != end:
                    continue  # 様 in 様子, 母 in 母指
                i = bisect_left(starts, start)
                if (i >= n or starts[i] != start) and not (
                    word in _KANA_HONORIFICS and _KANJI_RUN.match(text, start - 1 if start else 0, start)
                ):
                    continue  # but 陽|向く|ん is 陽向くん
            hit = None
            if word == "です":
                hit = scan.self_introduction(start)
            elif start and text[start - 1] == "(" and text[end : end + 1] == ")" and word in _ROLE_WORDS:
                hit = scan.before_cue(start - 1, level=0)  # 加藤 零(看護師), 松本 和子(長女)
            elif word in _HONORIFICS and not (
                word in _GLUE_SENSITIVE and _GLUED_AFTER.match(text, end) and text[end] not in _GLUE_OK
            ):
                hit = scan.before_cue(start, level=0 if word in _SOFT_HONORIFICS else 1)
                if hit is not None and word in _OFFICE_TITLES and not _office_holder(scan, hit):
                    hit = None  # 那覇市保健|所長: the office's name, not its head's
            if hit is not None:
                found.add(hit)
            if word in _LABELS:
                sep = _LABEL_SEP.match(text, end)
                if sep:
                    # 氏名：, (ふりがな), 氏名は「 — and a reading label, whose value is kana anyway
                    form = any(mark in sep.group() for mark in ":)「") or word in _READING_LABELS
                    _name_list(scan, sep.end(), 0, form, found)
            elif word in _DEPARTMENT_CUES:
                if text[end : end + 1] == " ":  # 明星病院 内科 林 零: a signature line
                    hit = scan.after_cue(end, level=1, slot=False)
                    if hit is not None:
                        found.add(hit)
            elif word in _ROLES or word in _RELATIONS:
                # A role written as a form field (主治医：) is as strong as a label.
                colon = _COLON.match(text, end) is not None
                _name_list(scan, end, 0 if colon or word in _STRONG_BEFORE else 1, colon, found)


# Titles of office heads, which also end the name of their office (保健所長, 研究室長).
_OFFICE_TITLES = frozenset(
    _words("委員 委員長 所長 室長 課長 係長 局長 園長 校長 会長 社長 店長 施設長 事務長 主査")
)


def _office_holder(scan: _Scan, hit: tuple[int, int, float]) -> bool:
    """Whether the name before an office title is a person's: a lexicon or UniDic surname
    or name (湯浅委員, 佐藤課長), not a place or an institution's word (那覇市保健|所長)."""
    start, end = hit[0], hit[1]
    word = scan.text[start:end]
    return scan.is_surname(start, end) or scan.lexicon_name(word.replace(" ", ""))


def _name_list(scan: _Scan, pos: int, level: int, form: bool, found: set[tuple[int, int, float]]) -> None:
    """Add to ``found`` the name after a cue, and more names listed after the first
    (出席者：山田、鈴木、佐藤)."""
    for _ in range(8):
        hit = scan.after_cue(pos, level, form)
        if hit is None:
            return
        found.add(hit)
        sep = _LIST_SEP.match(scan.text, hit[1])
        if sep is None:
            return
        pos = sep.end()


def outermost(found: Iterable[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The spans not inside a longer one, each with the best score among its copies, and
    overlapping ones joined.

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
        if start < reach:
            # overlapping parts of one name (宜保 アマンダ from a cue, アマンダ 美咲 from its
            # shape): one span over both
            last = kept[-1]
            kept[-1] = (last[0], end, max(last[2], score))
        else:
            kept.append((start, end, score))
        reach = end
    return kept


# A pet's name is no person's (飼い猫のミケちゃん, 愛犬 コロ): REFERENCE §1 counts people only.
# (猫 and 犬 cover 飼い猫, 愛犬 …: the pattern is matched at the end of the window)
_PET_BEFORE = re.compile("(?:猫|犬|ペット|インコ|ハムスター)の? ?\\Z")
# A place where someone lives is no name, whatever cue stands before it: 長女（宇和島市在住）.
_MUNICIPAL_UNITS = frozenset("市区町村郡県都府道")
_RESIDENCE = re.compile("在住|出身|在勤|居住|在|内|の自宅|の実家")


# Labels of a name's reading: the kana after them is the name, colon or not.
_READING_LABELS = frozenset(
    _words("ふりがな フリガナ よみがな ヨミガナ カナ かな 読み よみ ヨミ カナ氏名 氏名カナ")
)


# Katakana words before a name in brackets that are a team or a place, not the name's
# reading (緩和ケアチーム（ベネット 真理）, デイサービス（山田）).
_NOT_READING_END = re.compile(
    "(?:チーム|センター|ケア|サービス|ステーション|ホーム|クリニック|ルーム|グループ|ユニット|スタッフ)\\Z"
)
# The characters a match of _OTHER_FORM or _READING_AFTER can start with.
_READING_FIRST = frozenset(" 様さ氏殿君くち先([【/")


def _readings(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """The same name in another script next to a found one: a kana or romaji reading in
    brackets (山田太郎(ヤマダ タロウ)), the kanji form after a reading or romaji name
    (タカハシ カズコ(髙橋 和子), Yoshida Masaru / 𠮷田 勝) — but not a role in brackets:
    渡邉(MSW), 山田(ヘルパー)."""
    text, lex = scan.text, scan.lex
    # One pass per span: the rules often find the same name several times (other scores).
    for start, end in {(s, e) for s, e, _ in spans}:
        if text[end : end + 1] not in _READING_FIRST:  # neither _OTHER_FORM nor _READING_AFTER
            if start and end < len(text) and text[end] == ")":
                b = _READING_BEFORE.search(text, max(0, start - 40), start)
                if b and not _NOT_READING_END.search(b.group(1)):
                    yield b.start(1), b.end(1), 0.9
            continue
        other = _OTHER_FORM.match(text, end)
        if other and _KANJI_WORD.match(text, other.end()):  # the kanji form, as after a label
            if _KANJI_RUN.search(text, start, end) is None:
                hit = scan.after_cue(other.end(), level=0)
                if hit is not None:
                    a, b = hit[0], hit[1]
                    if ("(" not in other.group() or text[b : b + 1] == ")") and text[
                        a:b
                    ] not in _NOT_OTHER_FORM:
                        yield a, b, 0.85
            elif "(" in other.group():  # after a kanji name only itself, spaced: 王偉（王 偉）
                close = text.find(")", other.end(), other.end() + 12)
                if close > 0 and text[other.end() : close].replace(" ", "") == text[start:end].replace(
                    " ", ""
                ):
                    yield other.end(), close - (text[close - 1] == " "), 0.85
        m = _READING_AFTER.match(text, end)
        if m and m.group("a"):
            if not any(w in EN_STOP for w in m.group("a").split()):
                yield m.start("a"), m.end("a"), 0.8
        elif m:
            words = re.split("[ ・]", m.group("r"))
            if m.group("r").isascii():  # Jose Rodriguez, YAMADA Taro; not MSW, Dr
                ok = any(
                    w.lower() in lex.romaji_surnames or w.lower() in lex.romaji_given for w in words
                ) or (
                    not any(w in _TITLE_WORDS or w in EN_STOP for w in words)
                    and all(_TITLE_CASE.fullmatch(w) or (len(words) > 1 and w.isupper()) for w in words)
                    and (any(_TITLE_CASE.fullmatch(w) for w in words) or min(map(len, words)) >= 2)
                )  # Wei WANG, Jose Rodriguez, JOAO PEDRO DA SILVA
            else:
                ok = not any(w in _KATA_STOP or w in _ROLE_WORDS for w in words)
            if ok:
                yield m.start("r"), m.end("r"), 0.9
        if start and end < len(text) and text[end] == ")":
            b = _READING_BEFORE.search(text, max(0, start - 40), start)
            if b:
                yield b.start(1), b.end(1), 0.9
