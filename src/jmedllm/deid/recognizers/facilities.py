"""FACILITY: hospitals, clinics, pharmacies, care homes, schools, workplaces, wards.

A facility name in Japanese is a *name part* glued to a *type word*: ``さくら`` + ``病院``,
``医療法人社団 健心会`` + ``さくら病院``, ``わかば`` + ``保育園``, or a care-home kind written
first (``グループホーム`` + ``さくら``). The type word alone is a generic reference (``病院``,
``大学病院``, ``当院``, ``近医``) and must stay, so the rule is:

1. find type words with one trie regex over the text (no per-token loop);
2. walk the shared morphological tokens backwards from it while they can be part of a
   name (nouns, prefixes, katakana, alphanumerics, ``・``), stopping at particles,
   punctuation, verbs, adjectives and words that make a reference relative or generic
   (当/近/他/同/各, 大きな, 地域の, 紹介元, かかりつけ …: ``lexicons/facility_stopwords.txt``);
3. keep the candidate only if the name part is specific — not only type or department
   words (市民, 県立, 総合, 消化器 …: ``facility_generic.txt``). Weak type words
   (センター, 銀行, 工業) and departments (山田整形外科) also need a proper noun, kana,
   alphanumerics, name characters (北斗, 東雲) or a word UniDic does not know;
4. extend over a corporation or home kind written before it with spaces
   (``社会福祉法人 緑風会``, ``特別養護老人ホーム 緑風苑``) and over a branch after it
   (``すこやか薬局 春日店``); accept prefix-form companies (``株式会社ABC``, ``(株)ABC``
   after NFKC of ``㈱``).

MeCab's word boundaries do not always match the name (``宮|前眼|科`` for 宮前眼科,
``な|ごみ`` for なごみ): a type word that starts inside a token it runs out of, and
hiragana names cut into odd pieces, are handled explicitly.

A department after the name (``さくら病院 循環器内科``) is *not* part of the span: it is
not identifying on its own and keeping it readable helps downstream use. Wards and
rooms (``5階東病棟``, ``305号室``) are FACILITY too (REFERENCE §1), unless the option
``{"names.facility": {"wards": False}}`` turns them off.
"""

from __future__ import annotations

import re

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext, Token
from jmedllm.deid.lexicons import load_lexicon, name_kanji
from jmedllm.deid.morphology import (
    KANJI,
    KATAKANA,
    Morphemes,
    is_unknown_word,
    morphemes,
    token_ending_at,
    token_starting_at,
    words_regex,
)
from jmedllm.deid.recognizers.names import outermost

__all__ = ["FacilityRecognizer"]


def _words(text: str) -> list[str]:
    """A space-separated word list (keeps long lists readable)."""
    return text.split()


_STRONG = load_lexicon("facility_suffixes")
_WEAK = load_lexicon("facility_weak_suffixes")
# Clinics are often named after their department: 山田整形外科, さくら眼科. Treated like
# weak suffixes (the name part needs a proper noun), so 消化器内科 stays a department.
_DEPARTMENTS = load_lexicon("departments")
_SUFFIXES = _STRONG | _WEAK | _DEPARTMENTS
_SUFFIX_RE = re.compile(words_regex(_SUFFIXES))
_WEAK_SET = _WEAK | _DEPARTMENTS
# A branch after the name: すこやか薬局 春日店.
_BRANCH = frozenset(_words("店 支店 分院 営業所 出張所 本店"))
# What follows a company name without belonging to it: (株)ABC勤務, 渡辺印刷 is a name.
_AFTER_COMPANY = frozenset(
    _words(
        "勤務 在籍 退職 入社 就職 経営 勤続 所属 出向 派遣 就労 勤め 定年 退社 休職 復職 転職 在職 社員 従業員 職員"
    )
)
# Kinds written before the name: グループホームさくら, 訪問看護ステーションあおば.
_KIND_FIRST = re.compile(words_regex(load_lexicon("facility_kinds")) + " ?")
# A suffix glued to these is another word: 東京大学生, 保育園児 stay facilities, but
# 大学生 makes 大学 a student, not a school.
_NOT_AFTER = {
    "大学": "生",
    "高校": "生",
    "中学校": "生",
    "小学校": "生",
    "ホーム": "ペヘ",
    "ハウス": "ダ",
    **dict.fromkeys(_DEPARTMENTS, "医的系領域学部"),  # 内科医, 外科的
}
# Words that end the backward walk and are not part of the name.
_STOP = load_lexicon("facility_stopwords")
# Words that may be part of a name but do not make it specific (市民病院, 県立中央病院).
_GENERIC = load_lexicon("facility_generic")
_CORP = sorted(load_lexicon("corporations"))
_WORD_CHARS = f"{KANJI}{KATAKANA}A-Za-z0-9"
# Written before a name with a space: the corporation, its 〇〇会, or the kind of home
# (特別養護老人ホーム 緑風苑); without a space the backward walk takes them in anyway.
_KINDS = "特別養護老人ホーム 介護老人保健施設 有料老人ホーム 養護老人ホーム 訪問看護ステーション 居宅介護支援事業所"
_CORP_RE = words_regex([*_CORP, *_KINDS.split()])
_CORP_BEFORE = re.compile(
    f"(?:(?P<corp>{_CORP_RE}) ?(?:(?P<kai1>[{_WORD_CHARS}\u3041-\u3096]{{1,10}})会 ?)?"
    f"|(?<![{_WORD_CHARS}])(?P<kai2>[{_WORD_CHARS}]{{1,8}})会 )\\Z"
)
# Prefix-form names: 株式会社ABC, (株)ABC (NFKC of ㈱), 社会福祉法人さくら会.
_CORP_COMPANY = re.compile(
    f"(?P<co>株式会社|有限会社|合同会社|\\(株\\)|\\(有\\)) ?(?=[{_WORD_CHARS}\u3041-\u3096])"
    f"|(?:{words_regex(_CORP)}) ?(?P<kai>[{_WORD_CHARS}\u3041-\u3096]{{1,12}})会"
)
_HAS_CORP = re.compile("会社|法人|\\((?:株|有)\\)")
_GENERIC_KAI = frozenset(
    _words("学 研究 家族 医師 勉強 講演 説明 協議 委員 評議 理事 自治 町内 親 患者 懇談 研修")
)
# Wards and rooms, found from their last word backwards (病棟, 号室 are rare; a regex
# that tried every position for the optional prefix would cost more than all the rest).
_WARD_WORD = re.compile("病棟|号室")
_WARD_BEFORE = re.compile(
    r"(?<![A-Za-z0-9])(?:\d{1,2}階 ?)?(?:[東西南北中]\d{0,2}|\d{1,2}[東西南北ABCD]?|[A-D]\d{0,2})\Z"
)
_ROOM_BEFORE = re.compile(r"(?<![0-9])\d{2,4}\Z")
_BED_AFTER = re.compile(r" ?\d{1,2}番?床")
_KATA_WORD = re.compile(f"[{KATAKANA}]+")
_ALNUM = re.compile("[A-Za-z0-9&]+")
_HIRA_WORD = re.compile("[\u3041-\u3096]+")
_KANJI_WORD = re.compile(f"[{KANJI}]+")
_NAME_POS = frozenset({"名詞", "接頭辞"})
_PARTICLES = frozenset(_words("の が を に は で と へ も から より まで など て た だ"))
# Parts of speech a hiragana facility name may be cut into (ゆう|あい薬局), unlike すぐ病院.
_HIRA_NAME_POS = frozenset(_words("名詞 感動詞 記号 接頭辞 補助記号 形状詞"))  # すこやか薬局


@RECOGNIZERS.register("names.facility")
class FacilityRecognizer(Recognizer):
    """Facility names (hospitals, clinics, pharmacies, care homes, schools, companies,
    wards and rooms): a specific name part glued to a facility-type suffix."""

    labels = ("FACILITY",)
    priority = 60

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        found: set[tuple[int, int, float]] = set()
        for m in _SUFFIX_RE.finditer(text):
            follow = _NOT_AFTER.get(m.group())
            if follow and m.end() < len(text) and text[m.end()] in follow:
                continue
            # The longest suffix may start inside a word (桜|台中|学校): try shorter ones too.
            aligned = token_starting_at(context, m.start()) >= 0
            for k in range(m.start(), m.end() if not aligned else m.start() + 1):
                suffix = text[k : m.end()]
                if k == m.start() or suffix in _SUFFIXES:
                    hit = self._named(context, k, m.end(), suffix in _WEAK_SET)
                    if hit:
                        found.add(hit)
                        break
        for m in _KIND_FIRST.finditer(text):
            end = _company_end(context, m.end())
            spaced = m.group().endswith(" ")  # after a space, 医師 or 消化器内科 may follow
            if end > m.end() and any(_specific(t, spaced) for t in _tokens_between(context, m.end(), end)):
                corp = _CORP_BEFORE.search(text, max(0, m.start() - 40), m.start())
                begin = corp.start() if corp and corp.group("corp") else m.start()
                found.add((begin, end, 0.85))
        for m in _CORP_COMPANY.finditer(text) if _HAS_CORP.search(text) else ():
            if m.group("co") is not None:
                end = _company_end(context, m.end())
                if end > m.end():
                    found.add((m.start(), end, 0.9))
            elif m.group("kai") not in _GENERIC_KAI:
                found.add((m.start(), m.end(), 0.9))
        options = context.options.get("names.facility", {}) if isinstance(context.options, dict) else {}
        if options.get("wards", True):
            for m in _WARD_WORD.finditer(text):
                ward = m.group() == "病棟"
                before = (_WARD_BEFORE if ward else _ROOM_BEFORE).search(
                    text, max(0, m.start() - 8), m.start()
                )
                if before and before.start() < m.start():
                    bed = None if ward else _BED_AFTER.match(text, m.end())
                    found.add((before.start(), bed.end() if bed else m.end(), 0.8))
        found = {(s, _branch_end(context, e), score) for s, e, score in found}
        return [Span(s, e, "FACILITY", score) for s, e, score in outermost(found)]

    @staticmethod
    def _named(context: TextContext, start: int, end: int, weak: bool) -> tuple[int, int, float] | None:
        """The facility whose type suffix spans ``[start, end)``, or None if it is generic."""
        tokens = morphemes(context)
        last = token_ending_at(context, end)
        if last < 0:
            return None
        first = last
        while first > 0 and tokens[first - 1].end > start:
            first -= 1
        # The suffix may start inside a word: an unknown one (桜|花苑), or one the suffix
        # only begins in (宮|前眼|科: MeCab's cut, not a word); the head is then part of the
        # name. A known word that holds the whole suffix (公園, 動物園, 通園) is no facility.
        name: list[Token] = []
        mid = tokens[first].start != start
        if mid:
            tok = tokens[first]
            if not (is_unknown_word(tok.surface) or tok.end < end or tok.pos[1] == "固有名詞"):
                return None
            name.append(Token(tok.start, start, context.text[tok.start : start], tok.pos))
        i = first - 1
        pos = tokens[first].start
        while i >= 0 and len(name) < 12:
            tok = tokens[i]
            if tok.end != pos or not _name_part(tok, tokens[i - 1] if i > 0 else None):
                break
            name.append(tok)
            pos = tok.start
            i -= 1
        name.reverse()
        name = _hiragana_head(tokens, i, name, start)
        if not name or not _specific_name(name, weak, context.text, start):
            return None
        if mid and start - name[0].start < 2:
            return None  # 公|園: a one-character head alone is no name
        begin = name[0].start
        corp = _CORP_BEFORE.search(context.text, max(0, begin - 40), begin)
        if corp and corp.start() < begin and (corp.group("corp") or corp.group("kai2") not in _GENERIC_KAI):
            return corp.start(), end, 0.95  # 医療法人社団 健心会 さくら病院
        return begin, end, 0.9 if not weak else 0.75


def _tokens_between(context: TextContext, start: int, end: int) -> list[Token]:
    i = token_starting_at(context, start)
    out = []
    tokens = morphemes(context)
    while 0 <= i < len(tokens) and tokens.ends[i] <= end:
        out.append(tokens[i])
        i += 1
    return out


def _branch_end(context: TextContext, end: int) -> int:
    """``end`` moved past a branch name that follows the facility (すこやか薬局 春日店)."""
    tokens = morphemes(context)
    i = token_starting_at(context, end + (context.text[end : end + 1] == " "))
    for j in range(i, min(i + 4, len(tokens)) if i >= 0 else i):
        if tokens.surfaces[j] in _BRANCH and j > i:
            return tokens.ends[j]
        if j > i and tokens.starts[j] != tokens.ends[j - 1]:
            break
        if not _name_part(tokens[j], None) or tokens.surfaces[j] in _STOP:
            break
    return end


def _company_end(context: TextContext, pos: int) -> int:
    """End of the company name that starts at ``pos`` (株式会社ABC|勤務 stops at 勤務)."""
    tokens = morphemes(context)
    i = token_starting_at(context, pos)
    if i < 0:
        return pos
    end = pos
    while i < len(tokens) and tokens[i].start == end and end - pos < 20:
        tok = tokens[i]
        if tok.surface in _STOP or tok.surface in _AFTER_COMPANY or not _name_part(tok, None):
            break
        end = tok.end
        i += 1
    return end


def _hiragana_head(tokens: Morphemes, i: int, name: list[Token], suffix: int) -> list[Token]:
    """Hiragana names UniDic cuts into odd pieces (な|ごみ for なごみ): when the walk stopped
    at a hiragana token glued to a hiragana name part, take the rest of that hiragana word."""
    if name and not _HIRA_WORD.match(name[0].surface):
        return name
    head: list[Token] = []
    edge = name[0].start if name else suffix
    while i >= 0 and tokens.ends[i] == (head[0].start if head else edge) and len(head) < 3:
        s = tokens.surfaces[i]
        if (
            not _HIRA_WORD.fullmatch(s)
            or s in _PARTICLES
            or (not name and tokens.pos[i][0] not in _HIRA_NAME_POS)
        ):
            break
        head.insert(0, tokens[i])
        i -= 1
    if head and (i < 0 or not _HIRA_WORD.search(tokens.surfaces[i][-1:]) or tokens.ends[i] != head[0].start):
        return head + name
    return name


def _name_part(tok: Token, prev: Token | None) -> bool:
    """Whether ``tok`` can continue a facility name backwards."""
    s = tok.surface
    if s in _STOP or len(s) > 12:
        return False
    if s in ("・", "&", "-"):
        return prev is not None and prev.end == tok.start
    if tok.pos[1] == "数詞":  # 第一病院, but not 5月1日さくら病院
        return prev is not None and prev.surface == "第"
    if prev is None and s in ("・", "&", "-"):
        return False
    if (
        tok.pos[2] in ("助数詞", "助数詞可能")
        and prev is not None
        and prev.pos[1] == "数詞"
        and prev.end == tok.start
    ):
        return False
    if tok.pos[0] in _NAME_POS or (tok.pos[0] == "接尾辞" and tok.pos[1] == "名詞的"):
        return True
    if _KANJI_WORD.fullmatch(s):
        return tok.pos[0] != "接尾辞"  # 𠮷 (a symbol to UniDic) in 𠮷田病院
    if tok.pos[0] == "動詞" and len(s) >= 3 and _HIRA_WORD.fullmatch(s):
        return True  # nominalised verbs in names: やすらぎ苑, ふれあいの里
    return bool(_ALNUM.fullmatch(s) or _KATA_WORD.fullmatch(s))


def _specific_name(name: list[Token], weak: bool, text: str, suffix: int) -> bool:
    """Whether a facility name part is specific: some word in it is (:func:`_specific`);
    or it is a place name UniDic cuts into one-character pieces (本|町 for 本町); or, before
    a department, one word standing alone (より清流眼科で)."""
    if any(_specific(t, weak) for t in name):
        return True
    joined = "".join(t.surface for t in name)
    if len(name) > 1 and all(len(t.surface) == 1 for t in name):
        return joined not in _GENERIC and all(c in name_kanji() for c in joined)
    lone = (
        len(name) == 1
        and len(joined) >= 2
        and not _KANJI_WORD.match(text, name[0].start - 1 if name[0].start else 0, name[0].start)
    )
    return weak and lone and text[suffix - 1 : suffix + 1] != "" and _specific(name[0], weak=False)


def _specific(tok: Token, weak: bool) -> bool:
    """Whether ``tok`` makes a facility name specific (not 市民, 総合, 循環器内科 …)."""
    s = tok.surface
    if s in _GENERIC or tok.pos[0] == "接尾辞" or tok.pos[1] == "数詞" or s in ("・", "&", "-"):
        return False
    if not weak:
        return True
    return (
        tok.pos[1] == "固有名詞"
        or not _KANJI_WORD.fullmatch(s)  # katakana, alphanumerics, hiragana, mixed (さくら草)
        or all(c in name_kanji() for c in s)  # 北斗, 東雲, 山田: name characters, not 腫瘍 or 化学
        or is_unknown_word(s)
    )
