"""Protected medical terms: eponyms that contain a name but identify no one.

``橋本病``, ``川崎病``, ``パーキンソン病``, ``長谷川式認知症スケール`` or ``ギラン・バレー症候群``
hold a surname, a place name or a foreign name, and masking it would destroy the clinical
meaning (REFERENCE §1: eponyms must survive). The engine drops PERSON, FACILITY and
ADDRESS spans that lie inside a protected span, so recognizers may stay eager.

Two sources, because neither is complete alone:

* a curated list (``lexicons/eponyms.txt``) for terms whose name is not right before the
  term word (``田中ビネー知能検査``, ``高安動脈炎``) — plus ``DeidConfig.extra_protected_terms``;
* English eponyms, a capitalised name before a term word (``Kikuchi-Fujimoto disease``,
  ``Hashimoto's thyroiditis``, ``Babinski sign``);
* a general rule on the shared tokens: a name-like token — UniDic 人名/地名, a lexicon
  surname, a katakana or capitalised Latin word — or several joined by ``・``/``-``
  (``スティーブンス・ジョンソン``, ``菊池・藤本``), immediately followed by a term word
  (病, 症候群, 式, 反射, 徴候, 分類, 療法, 型, 様症状 …) that is a whole token.

"Whole token" is what keeps facilities and ordinary compounds out: UniDic reads ``病院``,
``症状``, ``病棟``, ``法律`` or ``体温`` as one word, so ``山田病院`` is not protected while
``田中式`` is, and ``佐藤先生`` never matches at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import compress, count

from jmedllm.core.jatext.normalization import normalize
from jmedllm.deid.base import TextContext
from jmedllm.deid.lexicons import load_lexicon
from jmedllm.deid.morphology import KATAKANA, Morphemes, morphemes, token_ending_at, words_regex

__all__ = ["TERM_WORDS", "find_protected_terms"]


def _words(text: str) -> list[str]:
    """A space-separated word list (keeps long lists readable)."""
    return text.split()


#: Words that make a preceding name an eponym (when they are whole tokens).
TERM_WORDS: tuple[str, ...] = tuple(
    _words(
        "病 症候群 症 式 大式 大学式 法 変法 試験 検査 テスト 分類 スケール スコア 反射 徴候 兆候 サイン 現象 病変 腫 腫瘍 型 "
        "線 点 体 小体 管 膜 細胞 反応 手術 術 療法 結節 斑 腺 窩 孔 靱帯 靭帯 輪 憩室 嚢 囊 麻痺 失語 呼吸 "
        "染色 指数 係数 比 曲線 回路 効果 骨折 奇形 貧血 リンパ腫 肉腫 母斑 白斑 紫斑病 動脈炎 甲状腺炎 脳症 "
        "脳炎 リンパ節炎 潰瘍 ヘルニア 症状 基準 指標 法則 病型 分画 菌 毒素 様症状 様顔貌 様歩行 様変化 様病変 様所見 "
        "様陰影 様皮疹 様発作 様疾患 カテーテル ドレーン チューブ マスク 鉗子 体位 位 肢位 吻合 縫合 切開 手技"
    )
)
# Term words after a katakana name and の (ハリス・ベネディクトの式, ウィルヒョウの三徴).
_OF_TERMS = frozenset(_words("式 法則 分類 基準 徴候 反射 三徴 公式 方程式"))
# Term words that may follow an eponym's name after a space (OCR and hurried typing).
_SPACED_TERMS = frozenset(_words("病 症候群 リンパ節炎 甲状腺炎 脳症 脳炎 動脈炎 徴候 反射 分類 スケール"))
_JOINERS = frozenset("・-=")
# (MeCab may keep an unknown name's ・ inside one token: フォン・|ヒッペル・リンドウ|病)
_KATAKANA_WORD = re.compile(f"[{KATAKANA}]+(?:[・=][{KATAKANA}]+)*")
# Katakana names UniDic cuts into odd pieces (シャ|ルコ|ー・マリー): the whole run counts.
# (one katakana written out before the repetition, so that the search skips ahead to katakana)
_KATAKANA_RUN_BACK = re.compile(f"[{KATAKANA}][{KATAKANA}]*(?:[・=\\-][{KATAKANA}]+)*\\Z")
_LATIN_NAME = re.compile("[A-Z][a-z]+")


@cache
def _term_heads() -> dict[str, tuple[str, ...]]:
    """Term words by the token they start with (症候群 starts with the token 症候), longest first.

    Tokens are looked up by their surface, so the heads are every prefix of a term word.
    """
    heads: dict[str, list[str]] = {}
    for word in TERM_WORDS:
        for k in range(1, len(word) + 1):
            heads.setdefault(word[:k], []).append(word)
    return {h: tuple(sorted(set(ws), key=len, reverse=True)) for h, ws in heads.items()}


@cache
def _eponym_regex() -> re.Pattern[str]:
    return re.compile(words_regex(load_lexicon("eponyms")))


@lru_cache(maxsize=32)
def _extra_regex(extra: tuple[str, ...]) -> re.Pattern[str] | None:
    terms = {normalize(t)[0].strip() for t in extra}
    terms.discard("")
    return re.compile(words_regex(terms)) if terms else None


def find_protected_terms(context: TextContext, extra: Sequence[str] = ()) -> list[tuple[int, int]]:
    """Sorted, non-overlapping ``(start, end)`` of protected terms in ``context.text``.

    ``extra`` adds terms (e.g. :attr:`DeidConfig.extra_protected_terms`); they are
    normalised like the text, so full-width spellings match.
    """
    text = context.text
    spans = [m.span() for m in _eponym_regex().finditer(text)]
    extra_re = _extra_regex(tuple(extra)) if extra else None
    if extra_re is not None:
        spans.extend((m.start(), m.end()) for m in extra_re.finditer(text))
    if not text.isascii() or _LATIN_NAME.search(text):
        spans.extend(_rule_spans(context))
    if " " in text:
        spans.extend(_english_spans(text))
    return _union(spans)


# English eponyms: a capitalised name (or several joined by hyphens, possessive or not)
# before a term word, Kikuchi-Fujimoto disease, Hashimoto's thyroiditis, Babinski sign.
# Found from the term word (a literal scan), then the name is read back.
_EN_TERM = re.compile(
    " (?i:disease|syndrome|sign|test|scale|score|classification|criteria|reflex|phenomenon|"
    "procedure|operation|method|maneuver|manoeuvre|palsy|tumou?r|lymphoma|thyroiditis|system|"
    "assessment|questionnaire|encephalopathy|ulcer|fracture|anomaly|triad|index|staging|grade|type)(?![A-Za-z])"
)
# One or two capitalised words: a person, or a place (Los Angeles classification).
_EN_NAME_BACK = re.compile(
    r"(?<![A-Za-z])(?:[A-Z][a-z]+ )?[A-Z][a-z]+(?:[-\u2013][A-Z][a-z]+)*(?:['\u2019]s)?\Z"
)


def _english_spans(text: str) -> list[tuple[int, int]]:
    found = []
    for m in _EN_TERM.finditer(text):
        name = _EN_NAME_BACK.search(text, max(0, m.start() - 40), m.start())
        if name is not None:
            found.append((name.start(), m.end()))
    return found


def _rule_spans(context: TextContext) -> list[tuple[int, int]]:
    text, m = context.text, morphemes(context)
    heads = _term_heads()
    surnames = load_lexicon("surnames")
    starts, ends, surfaces, pos = m.starts, m.ends, m.surfaces, m.pos
    found = []
    # The candidate tokens picked in C (map/compress): most documents hold a few of them.
    for i in compress(count(), map(heads.__contains__, surfaces)):
        if not i:
            continue
        # Cheapest test first: the token right before the term word must be a name.
        start = starts[i]
        gap = start - ends[i - 1]
        if gap > 1 or (gap == 1 and text[start - 1] != " "):
            continue
        # ハリス・ベネディクトの式: a foreign name, の, a term word
        of = int(
            surfaces[i - 1] == "の"
            and not gap
            and i > 1
            and ends[i - 2] == starts[i - 1]
            and _KATAKANA_WORD.fullmatch(surfaces[i - 2]) is not None
            and surfaces[i] in _OF_TERMS
        )
        if not of and not _name_like(surfaces[i - 1], pos[i - 1], surnames):
            continue
        term_end = next(
            (
                start + len(w)
                for w in heads[surfaces[i]]
                # after a space (菊池 リンパ節炎, バセドウ 病) only a disease word: a short
                # one such as 式 or 法 after a spaced name is a sentence going on
                if text.startswith(w, start)
                and token_ending_at(context, start + len(w)) >= 0
                and (not gap or w in _SPACED_TERMS)
            ),
            None,
        )
        if term_end is not None:
            begin = _names_before(m, i - of, surnames)
            kana = _KATAKANA_RUN_BACK.search(text, max(0, begin - 60), begin + 1) if begin < start else None
            if kana is not None and _KATAKANA_WORD.fullmatch(text[begin : begin + 1]):
                begin = min(begin, kana.start())
            found.append((begin, term_end))
    return found


def _names_before(m: Morphemes, i: int, surnames: frozenset[str]) -> int:
    """Start of the name-like tokens (joined by ・/-) that end right at token ``i``."""
    starts, ends, surfaces, pos = m.starts, m.ends, m.surfaces, m.pos
    begin = starts[i - 1]
    j = i - 2
    while j >= 0 and ends[j] == starts[j + 1]:
        if _name_like(surfaces[j], pos[j], surnames):
            begin = starts[j]
        elif not (
            surfaces[j] in _JOINERS
            and j > 0
            and ends[j - 1] == starts[j]
            and _name_like(surfaces[j - 1], pos[j - 1], surnames)
        ):
            break
        j -= 1
    return begin


def _name_like(surface: str, pos: tuple[str, str, str, str], surnames: frozenset[str]) -> bool:
    return (
        pos[2] in ("人名", "地名")
        or surface in surnames
        or _KATAKANA_WORD.fullmatch(surface) is not None
        or _LATIN_NAME.fullmatch(surface) is not None
    )


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
