"""The machinery of the PERSON rules (:mod:`jmedllm.deid.recognizers.names`): cue words,
name lexicons and :class:`_Scan`, the evidence and cue scans for one text."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from jmedllm.deid.base import TextContext, Token
from jmedllm.deid.lexicons import load_lexicon, name_kanji
from jmedllm.deid.morphology import (
    HIRAGANA,
    KANJI,
    KATAKANA,
    Morphemes,
    could_be_surname,
    is_unknown_word,
    morphemes,
    words_regex,
)


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
# Capitalised English words that are no names (roles, letter phrases, headings): the ASCII
# entries of person_stopwords.txt.
EN_STOP = frozenset(w for w in _STOP if w.isascii())
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
_LABEL_SEP = re.compile(
    r"(?:\([^()\n]{1,8}\))? *: *|\) *| +|(?:は|が) *「 *"
)  # (ふりがな)やまだ  # 同意者(本人): 山田  # ふりがなは「やまだ」
_COLON = re.compile(r" *:")
_LIST_SEP = re.compile(r" ?[、,] ?")
# What may follow a name standing in a role's slot (機関員 大網）, 主治医 鴨脚より, ケアマネ 一口、).
_SLOT_END = re.compile(r" ?(?:[、,)）/／\n]|$)| (?! )|より|から|へ|が|は|に(?:連絡|相談|報告|依頼|確認)")
# Nouns of a kind no name has: verbal, adjectival and adverbial nouns, counters.
_NOT_NAME_NOUNS = frozenset({"サ変可能", "形状詞可能", "副詞可能", "助数詞可能", "サ変形状詞可能"})
# Ordinary words that fill a role's slot in notes (医師 不在、, 看護師 全員、).
_NOT_IN_SLOT = frozenset(
    _words(
        "不在 全員 各位 一同 複数 数名 以外 本人 家族 御中 宛 同席 未定 なし 担当 当番 休み "
        "侍史 御侍史 机下 御机下 初診 再診 許可 不明 調整中 確認中 同上"
    )
)
_FWD_SKIP = re.compile(r"\.? *(?::|の|\()? *(?:(?:Dr|DR|Mr|Mrs|Ms|Miss|Prof)\.? ?)?")
_FWD_SKIP_FIRST = frozenset(".:の( DMP")  # the characters a non-empty _FWD_SKIP match starts with
_KANA_RUN_FWD = re.compile(f"[{KATAKANA}]+(?:[・= ][{KATAKANA}]+){{0,4}}")
_KANA_RUN_BACK = re.compile(f"[{KATAKANA}]+(?:[・= ][{KATAKANA}]+){{0,4}}\\Z")
_ROMAJI_WORD = "[A-Z][A-Za-z'\\-]+"
_ROMAJI_FWD = re.compile(f"{_ROMAJI_WORD}(?: {_ROMAJI_WORD}){{0,4}}")
_ROMAJI_BACK = re.compile(f"(?<![A-Za-z.])(?:{_ROMAJI_WORD} ){{0,2}}{_ROMAJI_WORD}\\Z")
_ROMAJI_LAST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'-")  # ends a _ROMAJI_WORD
# No lookbehind at the start: it would stop re from skipping ahead to candidate characters;
# the boundaries are checked on the (few) matches instead.
# Each word is [A-Z][a-z]+ or [A-Z]{2,}, written with the capital first so that re can skip
# ahead to capitals.
_ROMAJI_PAIR = re.compile(r"([A-Z](?:[a-z]+|[A-Z]+)) ([A-Z](?:[a-z]+|[A-Z]+))(?![A-Za-z])")
_KANJI_WORD = re.compile(f"[{KANJI}]+(?:ノ[{KANJI}]+)?")  # 一ノ瀬 is a kanji name too
_KANJI_RUN = re.compile(f"[{KANJI}]{{1,10}}")
_KANA_GIVEN = re.compile(f"[{HIRAGANA}]{{1,4}}子?|[{KATAKANA}]{{1,4}}子|[{KATAKANA}]{{2,4}}")
# Kana + 子 is a given name on its own (ヨシ子, みつ子): no lexicon needed.
_KANA_KO = re.compile(f"[{HIRAGANA}{KATAKANA}]{{2,3}}子")  # not は子(宮), と子(ども)
_NOT_NAME_START = frozenset("のはがをにとでもへやおご")
# The characters a kana given name may start with (hiragana, katakana), and end with (+ 子):
# most positions kana_given() is asked about hold neither, and are answered at once.
_KANA_CHARS = frozenset(c for c in map(chr, range(0x3000, 0x3100)) if re.match(f"[{HIRAGANA}{KATAKANA}]", c))
_KANA_GIVEN_LAST = _KANA_CHARS | {"子"}
_KATAKANA_CHARS = frozenset(c for c in _KANA_CHARS if re.match(f"[{KATAKANA}]", c))
_KANA_WORD = re.compile(f"[{HIRAGANA}{KATAKANA}]+")
_ASCII_LETTER = re.compile("[A-Za-z]")
_KATAKANA_CHAR = re.compile(f"[{KATAKANA}]")
_READING_AFTER = re.compile(
    r"(?: ?(?:様|さま|さん|氏|殿|君|くん|ちゃん|先生))? ?[(\[【] ?"
    f"(?P<r>[{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}|[{HIRAGANA}ー]+(?:[ ・][{HIRAGANA}ー]+){{0,3}}"
    r"|[A-Za-z]+(?: [A-Za-z]+){0,4}) ?[)\]】]"
    # ... or the other script after a slash: Maria Garcia / マリア・ガルシア
    f"|(?: ?(?:様|さん|氏))? ?/ ?(?P<a>[{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}|[A-Z][A-Za-z'-]+(?: [A-Z][A-Za-z'-]+){{1,4}})"
)
_TITLE_CASE = re.compile("[A-Z][a-z]+")
_OTHER_FORM = re.compile(r"(?: ?(?:様|さま|さん|氏|殿))? ?(?:\( ?|/ ?)")
_PERSON_FIELD = re.compile(f"[者医師帯勤当係番長士員手直記録責名宛人][ ]?:[ ]?(?=[{KANJI}])")
_FIELD_END = re.compile(r"[ ]?(?:\n|$|[(、,。/]| {2})")
# [{KATAKANA}]{2,} written as one katakana and a repetition: re skips ahead to katakana only
# when the pattern does not start with a repetition.
_KATAKANA_FULL = re.compile(f"[{KATAKANA}][{KATAKANA}]+(?:・[{KATAKANA}]{{2,}})+(?![{KATAKANA}・])")
_KATAKANA_OR_DOT = re.compile(f"[{KATAKANA}・]")
# What every match of _KATAKANA_FULL holds (a cheap test before the costly scan): katakana,
# ・ and katakana, written ・ first so that re skips ahead to the (rare) ・.
_KATAKANA_DOT = re.compile(f"・(?<=[{KATAKANA}]・)(?=[{KATAKANA}])")
_HIRAGANA_NAME = re.compile(f"[{HIRAGANA}ー]{{2,8}}(?:[ ・][{HIRAGANA}ー]{{1,8}}){{0,3}}(?![{HIRAGANA}ー])")
_NOT_HIRAGANA_NAME = frozenset(
    _words(
        "なし ありません ふめい みてい いない とくになし しらない わからない "
        "おはよう おはようございます こんにちは こんばんは おつかれさま おつかれさまです ありがとう "
        "ありがとうございます よろしく よろしくお願いします すみません はい いいえ りょうかい"
    )
)
_READING_BEFORE = re.compile(f"([{KATAKANA}]+(?:[ ・][{KATAKANA}]+){{0,3}}) ?\\(\\Z")
# Particles and marks after which a bare surname reads as a person (田中は / 田中より).
_AFTER_BARE = frozenset(_words("は が を に の と へ も や より から で にて など 、 。 , . ) 」 :"))
_SEI_POS = ("名詞", "固有名詞", "人名", "姓")
_PLACE_POS = ("名詞", "固有名詞", "地名", "一般")
_VARIANT_CHARS = "髙﨑邊邉齋齊澤嶋嶌濱濵廣德櫻國眞冨桒𠮷栁淺團瀨曾惠瀧禮籔藪薮"
# Kanji that only rare surnames bring into name_kanji() (不破, 祖父江, 雲母, 江刺家, 名護 …) but
# that clinical words use all the time (不明, 家族, 母乳, 名称): a word made of them is not a
# name on its characters alone; the surname itself is still matched through the lexicon.
_RARE_SURNAME_KANJI = frozenset(
    "不丑主会位入切刺削力動取品器在垂壁字客家容寸対對尻常干底府座庭建引押摩数敷施是時普景暮極櫛母泊渋湾父"
    "瓶番的益盤目県破祖税種積穴童筋糸縄置老股腰舎色芸袴覧観角解計調譜護豆貝財貫路身込迫速連運郡防附集雨領願養館"
)
_VARIANT_RE = re.compile(f"[{_VARIANT_CHARS}]")
_VS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# One-character suffixes that make a compound of the word before them (研修|医, 保健|所|長).
_COMPOUND_SUFFIX = frozenset("医科室部課棟院局所官士師員者長")
_OLD_KANA = re.compile("[ヱヰゑゐ]")  # キミヱ, ヨシヰ: only names still use them
_KANJI_RUN_BACK = re.compile(f"(?<![{KANJI}])[{KANJI}]{{1,4}}\\Z")
_NAME_GAP = re.compile(" {1,2}(?! )")
_LOOSE_KANA = re.compile(
    f"[{KATAKANA}]{{2,7}}(?![{KATAKANA}・=])|[{HIRAGANA}]{{2,4}}(?![{HIRAGANA}{KATAKANA}{KANJI}])"
)
_NOT_GIVEN_KANA = (
    frozenset(
        _words(
            "さん さま くん ちゃん です ます より から まで なし あり など ほか とも また および こと もの"
            " ため ところ よう した して する され なる ない いる ある こちら そちら どちら"
        )
    )
    | _KATA_STOP
    | _ROLE_WORDS
    | _HONORIFICS
)


# -- the rules of names.py ---------------------------------------------------------------
# A slot: a kanji word between separators (roster, list, signature, form field, brackets).
# Two to five kanji (or one before a space: 朴 智妍), then a separator — not a colon: 既往歴:
_SLOT_WORD = f"([{KANJI}]{{2,5}}(?:ノ[{KANJI}]+)?(?=[\\n /()、,。」】]|$)|[{KANJI}](?= ))"
_SLOT = re.compile(f"[\\n :/(、,【】「]{_SLOT_WORD}")  # a literal first: re skips ahead fast
_SLOT_AT_START = re.compile(_SLOT_WORD)
# Last characters of role words (点検者, 相談員, 薬剤師, 指導医, 栄養士, 認定係): no surname ends so.
_ROLE_TAIL_CHARS = frozenset("者員師医士係")
_SIGN_SUFFIX = frozenset("受記印宛宅方")  # 左右田受 (received by), 山田印, 山田宛
_ONE_GIVEN_END = re.compile(r"$|[\n(、,。]| (?![ぁ-ゖ])")  # not 山田 文 を
_LIST_GAP = re.compile(" ?[、,] ?")
_ROLE_GAP = re.compile(f" ?[、,] ?([{KANJI}{KATAKANA}]{{1,4}}) ")  # 鈴木 康夫、看護 村松: a staff roster
# A field whose label names a person (所属長確認：, 麻酔：, 夜勤帯：), or a sign-off (以上　).
_STRONG_SLOT_BEFORE = re.compile(
    "(?:[者医師帯勤当係番長士員手直記録責名宛人認酔導施転行成署] ?: ?|以上 +)\\Z"
)
_FOREIGN_POS = ("名詞", "固有名詞", "人名", "一般")
_KATAKANA_WORD = re.compile(f"[{KATAKANA}]{{2,}}")
_KANA_JOINERS = frozenset("=・")
# Katakana, a joiner and katakana (only searched for): the joiner first, as re skips ahead to it.
_KANA_PAIR = re.compile(f"[= ・](?<=[{KATAKANA}][= ・])(?=[{KATAKANA}])")
_PART_SPLIT = re.compile("[ ・=]+|, ")
# English given names that are also everyday words: not looked for on their own.
_EN_AMBIGUOUS = frozenset(
    _words("may will mark bill grace hope faith joy rose june april august art pat sue don")
)
_ASCII_UPPER = re.compile("[A-Z]")
_SCRIPT_OF: dict[str, int] = {}  # character → index in _SCRIPTS (-1: none), filled on use
_SCRIPTS = (
    re.compile(f"[{KANJI}]"),
    re.compile(f"[{KATAKANA}・=]"),
    re.compile(f"[{HIRAGANA}]"),
    re.compile("[A-Za-z0-9]"),
)
# English cue words before a name (husband Jerome Reyes, From: Yusuke Kagawa, Ms. S. Tokairin).
_EN_TITLES = frozenset(_words("Mr Mrs Ms Mx Miss Dr Prof"))
_EN_RELATIONS = _words(
    "husband wife son daughter mother father brother sister spouse grandson granddaughter grandmother"
    " grandfather partner friend guardian caregiver niece nephew uncle aunt cousin interpreter"
    " pharmacist nurse monitor"
)
_EN_CUE_WORDS = [
    *_EN_TITLES,
    *_EN_RELATIONS,
    *(w.capitalize() for w in _EN_RELATIONS),
    *_words("Patient Pt Name From To Attn ATTN Cc CC cc Signed Contact Physician Attending Resident"),
    *_words("Fellow Intern Surgeon Author Sender Dear"),
    *_words("Paciente Patiente Patientin Nombre Nome Nom"),  # Spanish, Portuguese, French, German forms
    *("Signed by", "Referred by", "referred by", "Seen by", "seen by"),
]
# One trie whose branches all start with a literal: re skips ahead to candidate letters fast.
_EN_CUE = re.compile(f"{words_regex(_EN_CUE_WORDS)}(?:'s)?\\.? ?:? ?")
_EN_WORD = re.compile("[A-Z](?:\\.|'[A-Z][a-z]+|[a-z]+(?:[-'][A-Za-z][a-z]+)*|[A-Z]+(?:[-'][A-Z]+)*)")
_EN_SEP = re.compile(" |, ")
_EN_DEGREE = re.compile(", (?:MD|M\\.D\\.|RN|PhD|PharmD|DDS|NP|PA-C)(?![A-Za-z])")  # K. Higa, MD
_EN_NAME_BACK = re.compile(
    "(?<![A-Za-z.])(?:[A-Z]\\. ?)*[A-Z][a-z]+(?:[-'][A-Z][a-z]+)*(?: [A-Z][a-z]+(?:[-'][A-Z][a-z]+)*){0,2}\\Z"
)
_EPONYM_NEXT = re.compile(
    " ?(?:'s|[Ss]yndrome|[Dd]isease|[Ss]ign|[Tt]est|[Ss]core|[Ss]cale|[Cc]lassification|[Cc]riteria"
    "|[Mm]ethod|[Pp]rocedure|[Oo]peration|[Rr]eflex|[Tt]riad|[Pp]henomenon|[Tt]umou?r|[Ll]ymphoma|[Cc]ells?"
    "|症候群|病|症|徴候|試験|検査|法|反射|分類|基準|スコア|型)"
)
# Words that stand in brackets after a name but are not its other form: （女）, （本人）.
_NOT_OTHER_FORM = frozenset(_words("男 女 男性 女性 本人 夫 妻 故人 旧姓 通称 代理 代筆 長男 長女 次男 次女"))


@dataclass(frozen=True, slots=True)
class _Lexicons:
    surnames: frozenset[str]
    given: frozenset[str]
    romaji_surnames: frozenset[str]
    romaji_given: frozenset[str]
    foreign: frozenset[str]
    name_kanji: frozenset[str]
    variants: frozenset[str]
    #: Katakana readings of the surnames and given names (scripts/build_name_readings.py).
    kana_surnames: frozenset[str] = frozenset()
    kana_given: frozenset[str] = frozenset()


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
        name_kanji=name_kanji() - _RARE_SURNAME_KANJI,
        variants=frozenset(variants),
        kana_surnames=load_lexicon("name_readings_surnames"),
        kana_given=load_lexicon("name_readings_given"),
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
        self._starts, self._ends = self.tokens.starts, self.tokens.ends
        self.sei = self.tokens.indices(_SEI_POS)  # tokens UniDic tags 人名 姓 (several rules use them)
        # Answers of kind_of() and lexicon_name(): rules ask about the same words repeatedly.
        # Kept for this text only, so that no names outlive it.
        self._kinds: dict[tuple[str, tuple[str, str, str, str]], str | None] = {}
        self._names: dict[str, bool] = {}

    def starting_at(self, pos: int) -> int:
        """Index of the token that starts at ``pos``, or -1."""
        i = bisect_left(self._starts, pos)
        return i if i < len(self._starts) and self._starts[i] == pos else -1

    def ending_at(self, pos: int) -> int:
        """Index of the token that ends at ``pos``, or -1."""
        i = bisect_left(self._starts, pos) - 1
        return i if i >= 0 and self._ends[i] == pos else -1

    # -- evidence ---------------------------------------------------------------------
    def kind(self, tok: Token) -> str | None:
        """S surname, M given name, P either (foreign), L place (surname-like), K other kanji
        word (UniDic tags name characters as prefixes, suffixes, even symbols: 七|夏, 猪|畑,
        𠮷|田); None for anything that cannot be part of a name."""
        return self.kind_of(tok.surface, tok.pos)

    def kind_of(self, s: str, pos: tuple[str, str, str, str]) -> str | None:
        """:meth:`kind` of the word ``s`` with part of speech ``pos``."""
        found = self._kinds.get((s, pos), "")
        if found == "":
            found = self._kinds[s, pos] = _kind(s, pos, self.lex)
        return found

    def name_chars(self, tok: Token) -> bool:
        return self.name_chars_of(tok.surface, tok.pos, tok.start)

    def name_chars_of(self, surface: str, pos: tuple[str, str, str, str], start: int) -> bool:
        """:meth:`name_chars` of the word ``surface`` with part of speech ``pos`` at ``start``."""
        if pos[2] in ("人名", "地名"):
            return True
        plain = _VS.sub("", surface)  # 辻󠄀: the variation selector is its own token
        return all(c in self.lex.name_kanji for c in plain) and (bool(plain) or start > 0)

    def lexicon_name(self, s: str) -> bool:
        """Whether kanji ``s`` is a lexicon name: surname, given name, or surname + given name."""
        found = self._names.get(s)
        if found is None:
            found = self._names[s] = self._lexicon_name(s)
        return found

    def _lexicon_name(self, s: str) -> bool:
        lex = self.lex
        if s and max(s) >= "\ufe00":  # variation selectors lie above U+FE00
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
        return self._accepts([t.surface for t in toks], [t.pos for t in toks], [t.start for t in toks], level)

    def _accepts(
        self,
        surfaces: list[str],
        poss: list[tuple[str, str, str, str]],
        starts: list[int],
        level: int,
        kanji: bool = False,
    ) -> bool:
        """:meth:`accept` of the words ``surfaces`` with parts of speech ``poss`` at ``starts``;
        ``kanji``: all of them are kanji words (of a :meth:`segment`), which have a kind."""
        compact = surfaces[0] if len(surfaces) == 1 else "".join(surfaces)
        if len(compact) > 7 or compact in _STOP:
            return False
        kinds = None if kanji else list(map(self.kind_of, surfaces, poss))
        if kinds is not None and None in kinds:
            return False
        lex = self.lex
        if compact in lex.surnames or compact in lex.given or self.lexicon_name(compact):
            return True  # before the character test: 仲村|渠, 廿|日出, 御|園生 hold rarer kanji
        if len(compact) > 1 and kanji and could_be_surname(compact):
            return True  # 氷室先生: UniDic's likeliest reading is a common noun, but it lists a surname
        if not all(map(self.name_chars_of, surfaces, poss, starts)):
            return False
        if level == 0:
            return True
        if kinds is None:
            kinds = list(map(self.kind_of, surfaces, poss))
        if any(k in ("S", "M", "P", "L") for k in kinds):
            return True
        if len(surfaces) > 1 and all(
            len(w) == 1 and p[2] != "助数詞可能" for w, p in zip(surfaces, poss, strict=True)
        ):
            return True  # no dictionary word: MeCab fell back to single characters (鴨|畑), not 月|日
        return all(k != "K" or is_unknown_word(w) for k, w in zip(kinds, surfaces, strict=True))

    # -- segments ---------------------------------------------------------------------
    def segment(self, pos: int, backward: bool) -> list[int]:
        """Indices of the kanji tokens from ``pos`` outwards (nearest first), across at most
        one space."""
        toks, text = self.tokens, self.text
        starts, ends, surfaces = toks.starts, toks.ends, toks.surfaces
        n = len(starts)
        if backward:  # the token ending at pos (ending_at, inlined: this runs for every cue)
            step, i = -1, bisect_left(starts, pos) - 1
            if i < 0 or ends[i] != pos:
                return []
        else:  # the token starting at pos
            step, i = 1, bisect_left(starts, pos)
            if i >= n or starts[i] != pos:
                return []
        out: list[int] = []
        spaced = False
        while len(out) < 5 and _usable_word(surfaces[i]):
            out.append(i)
            nxt = i + step
            if not 0 <= nxt < n:
                break
            # The gap between the two tokens must be nothing, or one space (once).
            a, b = (ends[nxt], starts[i]) if backward else (ends[i], starts[nxt])
            if a == b:
                i = nxt
            elif b - a == 1 and not spaced and text[a] == " ":
                spaced = True
                i = nxt
            else:
                break
        return out

    def kanji_name(self, pos: int, backward: bool, level: int) -> tuple[int, int] | None:
        """The longest name in the kanji segment at ``pos`` (see :meth:`accept`)."""
        c = self.text[pos - 1 : pos] if backward else self.text[pos : pos + 1]
        if not c or (c < "\u3400" and c not in "\u3005\u3006\u30f6"):
            return None  # no kanji next to pos (KANJI lies above U+3400 but for 々〆ヶ)
        seg = self.segment(pos, backward)
        if not seg:
            return None
        toks = self.tokens
        starts, ends, surfaces, poss = toks.starts, toks.ends, toks.surfaces, toks.pos
        # The words, parts of speech and starts of the segment in text order.
        ordered = seg[::-1] if backward else seg
        words = [surfaces[i] for i in ordered]
        tags = [poss[i] for i in ordered]
        offsets = [starts[i] for i in ordered]
        size = len(seg)
        accepts = self._accepts
        for n in range(size, 0, -1):
            lo = size - n if backward else 0  # the first n tokens from pos, in text order
            hi = lo + n
            edge = seg[n - 1]
            glued = n < size and (ends[seg[n]] == starts[edge] if backward else starts[seg[n]] == ends[edge])
            if glued and (poss[edge][0] == "接尾辞" or (n == 1 and len(surfaces[edge]) == 1)):
                continue  # 入院|中|山田, 兄の高|血圧: a piece of a longer word
            if glued and level == 0 and not accepts(words[lo:hi], tags[lo:hi], offsets[lo:hi], 1, True):
                continue  # 生年|月日(母): cut out of a longer word, name characters are not enough
            if (
                not backward
                and n == size
                and edge + 1 < len(starts)
                and starts[edge + 1] == ends[edge]
                and surfaces[edge + 1] in _COMPOUND_SUFFIX
            ):
                continue  # 研修|医, 保健|所: the word goes on with a suffix (compound_after, inlined)
            if accepts(words[lo:hi], tags[lo:hi], offsets[lo:hi], level, True):
                return offsets[lo], ends[ordered[hi - 1]]
        if seg:  # lexicon names UniDic cuts across the word boundary (篠|﨑花|子)
            start, end = (starts[seg[-1]], pos) if backward else (pos, ends[seg[-1]])
            s = self.text[start:end]
            for k in range(len(s) - 1):
                cut = s[k:] if backward else s[: len(s) - k]
                at = end - len(cut) if backward else start + len(cut)
                aligned = self.starting_at if backward else self.ending_at
                if " " not in cut and self.lexicon_name(cut) and aligned(at) >= 0:
                    return (at, end) if backward else (start, at)
        return None

    def compound_after(self, end: int) -> bool:
        """Whether a one-character suffix (医, 科, 所 …) is glued to the word ending at ``end``."""
        i = self.starting_at(end)
        return i >= 0 and self.tokens.surfaces[i] in _COMPOUND_SUFFIX

    def is_surname(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is a lexicon surname or one token UniDic tags 人名 姓."""
        word = self.text[start:end]
        if word in self.lex.surnames:
            return True
        i = self.starting_at(start)
        return i >= 0 and self.tokens.ends[i] == end and self.tokens.pos[i][3] == "姓"

    def given_after(self, pos: int) -> int | None:
        """End of a kanji given name at ``pos`` that ends at a word boundary: one token UniDic
        tags 人名 名 (of two characters or more), or a lexicon given name."""
        text, toks = self.text, self.tokens
        i = self.starting_at(pos)
        if i < 0:
            return None
        end = -1
        if toks.pos[i][3] == "名" and toks.ends[i] - pos >= 2 and _KANJI_WORD.fullmatch(toks.surfaces[i]):
            end = toks.ends[i]
        else:
            for k in (3, 2):
                if text[pos : pos + k] in self.lex.given and self.ending_at(pos + k) >= 0:
                    end = pos + k
                    break
        if end < 0:
            return None
        if _KANJI_RUN.match(text, end) and not (
            (j := self.starting_at(end)) >= 0 and toks.surfaces[j] in _CUE_WORDS
        ):
            return None  # 結衣|奈: the word goes on
        return end

    def kana_given_loose(self, pos: int) -> int | None:
        """End of a kana given name at ``pos`` after a surname that the context vouches for
        (九十九 キミヱ, 仲村渠 みのり, 金 ミンジュン): a katakana word of 2–7 or a hiragana word of
        2–4 characters standing alone — not a role, an honorific or a function word."""
        m = _LOOSE_KANA.match(self.text, pos)
        if m is None or m.group() in _NOT_GIVEN_KANA or m.group()[0] in _NOT_NAME_START:
            return None
        return m.end()

    def full_name_at(self, pos: int, strong: bool = False) -> tuple[int, int] | None:
        """A kanji word of 1–4 characters, one or two spaces and a given name (廿日出 拓海,
        雲母 晴美, 七戸 キヨノ): the given name vouches for a surname nobody knows. A kana given
        name needs a known surname, or a ``strong`` cue before (氏名 大豆生田 うめ)."""
        text = self.text
        m = _KANJI_WORD.match(text, pos)
        if m is None or m.end() - pos > 4 or m.group() in _STOP or m.group() in _CUE_WORDS:
            return None
        if m.end() - pos > 1 and text[m.end() - 1] in _ROLE_TAIL_CHARS:
            return None  # 点検者 会沢: a role word the lists lack, then the name
        gap = _NAME_GAP.match(text, m.end())
        if gap is None or self.starting_at(pos) < 0:
            return None
        end = self.given_after(gap.end())
        if end is None and self.is_surname(pos, m.end()):
            g = gap.end()
            end = self.kana_given(g, backward=False) or self.kana_given_loose(g) or self.one_kanji_given(g)
        elif end is None and strong:
            end = self.kana_given(gap.end(), backward=False)
        return (pos, end) if end else None

    def one_kanji_given(self, pos: int) -> int | None:
        """End of a one-kanji given name at ``pos`` after a known surname and a space (百目鬼 湊,
        宮ノ下 文): a name kanji standing alone before a line end, bracket, comma or space."""
        text = self.text
        c = text[pos : pos + 1]
        if not c or c not in self.lex.name_kanji or c in _SIGN_SUFFIX or c in _CUE_WORDS:
            return None
        return pos + 1 if _ONE_GIVEN_END.match(text, pos + 1) else None

    def surname_before(self, start: int, end: int) -> int:
        """Start of a kanji surname before the given name ``text[start:end]`` and one space
        (雲母 結衣さん: UniDic reads 雲母 as mica), or ``start``."""
        text, toks = self.text, self.tokens
        if text[start - 1 : start] != " " or not _KANJI_RUN.match(text, start - 2 if start > 1 else 0):
            return start
        i = self.starting_at(start)
        given = text[start:end] in self.lex.given or (
            i >= 0 and toks.ends[i] == end and toks.pos[i][3] == "名" and end - start >= 2
        )
        if not given:
            return start
        m = _KANJI_RUN_BACK.search(text, max(0, start - 6), start - 1)
        lo = self.starting_at(m.start()) if m else -1
        if lo < 0 or m is None or m.group() in _STOP:
            return start
        hi = self.ending_at(m.end())
        if hi < 0 or not all(_usable_word(w) for w in toks.surfaces[lo : hi + 1]):
            return start
        return m.start()

    def kana_given(self, pos: int, backward: bool) -> int | None:
        """End (forward) or start (backward) of a kana given name at ``pos`` (くみ子, トメ):
        a lexicon name, a kana word with an old kana (キミヱ), or a kana token UniDic tags as a
        given name."""
        text, given = self.text, self.lex.given
        if backward:
            if text[pos - 1 : pos] not in _KANA_GIVEN_LAST:
                return None  # no kana (nor 子) before pos: no kana name ends there
        elif text[pos : pos + 1] not in _KANA_CHARS:
            return None  # no kana at pos: no kana name starts there
        for k in range(5, 1, -1):
            cand = text[pos - k : pos] if backward else text[pos : pos + k]
            if (
                len(cand) == k
                and _KANA_GIVEN.fullmatch(cand)
                and (cand in given or _KANA_KO.fullmatch(cand) or _OLD_KANA.search(cand))
            ):
                if cand[0] in _NOT_NAME_START:
                    continue  # のお子さん, とし子 is fine
                beyond = text[pos - k - 1 : pos - k] if backward else text[pos + k : pos + k + 1]
                if beyond and _KANA_WORD.match(beyond) and not (backward and cand.endswith("子")):
                    continue  # えみ|りー・ぶらうん: only part of a longer kana word
                return pos - k if backward else pos + k
        i = self.ending_at(pos) if backward else self.starting_at(pos)
        toks = self.tokens
        if i >= 0 and toks.pos[i][3] == "名" and _KANA_GIVEN.fullmatch(toks.surfaces[i]):
            return toks.starts[i] if backward else toks.ends[i]
        return None

    # -- cue scans ----------------------------------------------------------------------
    # The cue scans find at most one name each: they return it (or None) rather than
    # generate it, which spares a generator per cue.
    def before_cue(self, pos: int, level: int) -> tuple[int, int, float] | None:
        """The name ending right before an honorific or title that starts at ``pos``."""
        text = self.text
        end = pos - 1 if pos > 0 and text[pos - 1] == " " else pos
        if end <= 0:
            return None
        if text[end - 1].isascii():
            # (a romaji name ends with a letter, ' or -: the costly search only then)
            m = _ROMAJI_BACK.search(text, max(0, end - 60), end) if text[end - 1] in _ROMAJI_LAST else None
            return self._romaji(m.start(), end, strict=False) if m else None
        given = self.kana_given(end, backward=True)
        if given is not None:  # 山田くみ子さん, 山田 トメ様: a kanji surname may precede
            sei = self.kanji_name(given - (text[given - 1 : given] == " "), backward=True, level=level)
            return (sei[0] if sei else given), end, 0.9
        kana = (
            _KANA_RUN_BACK.search(text, max(0, end - 40), end) if text[end - 1] in _KATAKANA_CHARS else None
        )
        if kana and self.starting_at(kana.start()) >= 0:
            hit = self._katakana(kana.start(), end, need_name=level > 0)
            k = kana.start()
            if text[k - 1 : k] == " " and self.kana_given_loose(k) == end:
                sei = self.kanji_name(k - 1, backward=True, level=1)
                if sei:  # 金 ミンジュン様: a kanji surname before a katakana given name
                    hit = sei[0], end, 0.85
            return hit
        name = self.kanji_name(end, backward=True, level=level)
        if name:
            return self.surname_before(*name), name[1], 0.9 if level else 0.85
        if level == 0 and self.ending_at(end) < 0 and _KANJI_RUN.match(text, end - 1, end):
            # The honorific was cut into the name's last token (陽|向く|ん, 石川 舞|殿): the
            # head of that token ends the name, and the name may go on before it.
            i = bisect_right(self.tokens.starts, end - 1) - 1
            head = text[self.tokens.starts[i] : end]
            if head in _STOP or not all(c in self.lex.name_kanji for c in head):
                return None
            head_start = self.tokens.starts[i]
            before = self.kanji_name(
                head_start - (text[head_start - 1 : head_start] == " "), backward=True, level=0
            )
            start = before[0] if before else self.tokens.starts[i]
            if end - start >= 2:
                return start, end, 0.75
        return None

    def after_cue(
        self, pos: int, level: int, form: bool = False, slot: bool = True
    ) -> tuple[int, int, float] | None:
        """The name right after a role, relation or label that ends at ``pos``; ``form``: the
        cue is a form field (氏名：), after which even a hiragana word is a name."""
        text = self.text
        # 主治医 鴨脚: a role standing apart from what follows (not a department: 精神科 再診)
        spaced = slot and text[pos : pos + 1] == " "
        if text[pos : pos + 1] in _FWD_SKIP_FIRST:
            pos = _FWD_SKIP.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            return None
        if text[pos].isascii():
            m = _ROMAJI_FWD.match(text, pos)
            return self._romaji(pos, m.end(), strict=level > 0) if m else None
        kana = _KANA_RUN_FWD.match(text, pos) if text[pos] in _KATAKANA_CHARS else None
        if kana and _KATAKANA_CHAR.match(text, pos - 1 if pos else 0, pos):
            return None  # ドクター|カー: a katakana cue glued to katakana is one word
        if kana and self.ending_at(kana.end()) >= 0:
            slot = spaced and self._slot_end(kana.end()) and self._plain_katakana(pos, kana.end())
            hit = self._katakana(pos, kana.end(), need_name=level > 0 and not slot)
            if (
                hit is not None
                and text[hit[1] : hit[1] + 1] == " "
                and (given := self.given_after(hit[1] + 1))
            ):
                return hit[0], given, hit[2]  # サントス 理沙: a katakana surname, a kanji given name
            return hit
        name = self.kanji_name(pos, backward=False, level=level)
        if name is not None and self._verbal_word(*name):
            name = None  # 本人 安心。: one word UniDic knows as a verbal noun, not 安 + 心
        if name is None and level:
            loose = self.kanji_name(pos, backward=False, level=0)
            if loose and _HONORIFIC_NEXT.match(text, loose[1]):
                name = loose  # 妻の翼様: a weak cue before and an honorific after
            elif loose and self.kana_given(loose[1] + (text[loose[1] : loose[1] + 1] == " "), backward=False):
                name = loose  # 院長 金 さくら: the given name vouches for the surname
            elif spaced:
                name = self._slot_word(pos)  # 機関員 大網）, 主治医 鴨脚より: a role, a space, a word
        if name is None and (full := self.full_name_at(pos, strong=level == 0)):
            return full[0], full[1], 0.85  # 担当医 廿日出 拓海: the given name vouches
        if name is None:
            hira = _HIRAGANA_NAME.match(text, pos) if form else None
            if hira and hira.group() not in _NOT_HIRAGANA_NAME and len(hira.group()) >= 3:
                return pos, hira.end(), 0.8  # 患者名：いちのせ まさお — hiragana after a form label
            if (given := self.kana_given(pos, backward=False)) is not None:
                return pos, given, 0.85
            return None
        if text[name[1] - 1] in "殿様" and name[1] - name[0] > 2:
            name = (name[0], name[1] - 1)  # 山田 拓|真殿: the honorific glued into a token
        end = name[1]
        spaced = end + (text[end : end + 1] == " ")
        more = self.kana_given(spaced, backward=False)
        if more is None and spaced > end and (level == 0 or self.is_surname(*name)):
            more = self.kana_given_loose(spaced)  # 氏名：九十九 キミヱ
        return name[0], more or end, 0.9 if level else 0.85

    def _verbal_word(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is one token UniDic tags as a common noun that can be
        a verb or an adjective (安心, 確認, 不安) — never a name, whatever its kanji."""
        i = self.starting_at(start)
        if i < 0 or self.tokens.ends[i] != end:
            return False
        pos = self.tokens.pos[i]
        return pos[1] == "普通名詞" and pos[2] in _NOT_NAME_NOUNS

    def _slot_end(self, end: int) -> bool:
        """Whether a word ending at ``end`` fills a slot: a list separator, a bracket, a line
        end, a particle of reporting (より, から, へ, が, は, に) or another spaced word follows."""
        return _SLOT_END.match(self.text, end) is not None

    def _slot_word(self, pos: int) -> tuple[int, int] | None:
        """The kanji word (or surname and given name) at ``pos`` that fills a role's slot:
        after a role and a space, a name is what notes write there, whether or not the
        lexicons know it — as long as a boundary follows and the word is no verbal noun."""
        if _CUE_RE.match(self.text, pos):
            return None  # 講師 助産師 茂木: another role, whose own slot follows
        seg = self.segment(pos, backward=False)
        ends = self.tokens.ends
        for n in range(min(len(seg), 3), 0, -1):
            end = ends[seg[n - 1]]
            if end - pos <= 7 and self._slot_end(end) and self._nameable(pos, end):
                return pos, end
        return None

    def _nameable(self, start: int, end: int) -> bool:
        """Whether the kanji word(s) at ``start:end`` may be a name standing in a role's slot:
        no verbal or adverbial noun (担当医 交代、, 医師 不在、 are no names)."""
        lo, hi = self.starting_at(start), self.ending_at(end)
        if lo < 0 or hi < 0:
            return False
        poss = self.tokens.pos[lo : hi + 1]
        if any(p[2] == "人名" for p in poss):
            return True
        word = self.text[start:end]
        return (
            word not in _NOT_IN_SLOT
            and word not in _DEPARTMENT_CUES
            and all(p[0] == "名詞" and p[2] not in _NOT_NAME_NOUNS for p in poss)
        )

    def _plain_katakana(self, start: int, end: int) -> bool:
        """A katakana word in a role's slot: one that is no verbal noun or known role."""
        word = self.text[start:end]
        if word in _KATA_STOP or word in _ROLE_WORDS:
            return False
        lo, hi = self.starting_at(start), self.ending_at(end)
        if lo < 0 or hi < 0:
            return False
        poss = self.tokens.pos[lo : hi + 1]
        if any(p[0] != "名詞" or p[2] in _NOT_NAME_NOUNS for p in poss):
            return False
        # A katakana word UniDic knows as an ordinary noun (ステーション, データ) is no name.
        return lo != hi or poss[0][1] == "固有名詞" or is_unknown_word(word)

    def self_introduction(self, pos: int) -> tuple[int, int, float] | None:
        """〇〇病院の山田です: a name between の and です (a caller introducing themselves)."""
        hit = self.before_cue(pos, level=1)
        return hit if hit is not None and self.text[hit[0] - 1 : hit[0]] == "の" else None

    def _katakana(self, start: int, end: int, need_name: bool) -> tuple[int, int, float] | None:
        words = re.split("[・= ]", self.text[start:end])
        while words and (words[0] in _KATA_STOP or words[0] in _ROLE_WORDS):  # ヘルパー ジョンさん → ジョン
            start += len(words.pop(0)) + 1
        for k, word in enumerate(words):
            if k and word in _LABELS and word not in self.lex.given:  # アナ・サントス フリガナ
                words = words[:k]
                end = start + len(" ".join(words))
                break
        if not words or words[-1] in _KATA_STOP or (len(words) == 1 and len(words[0]) < 2):
            return None
        if need_name:
            lo, hi = self.starting_at(start), self.ending_at(end)
            named = lo >= 0 and hi >= 0 and any(p[2] == "人名" for p in self.tokens.pos[lo : hi + 1])
            lex = self.lex
            known = any(w in lex.foreign or w in lex.kana_surnames or w in lex.kana_given for w in words)
            if not (named or len(words) > 1 or known):
                return None
        return start, end, 0.9

    def _romaji(self, start: int, end: int, strict: bool) -> tuple[int, int, float] | None:
        words = self.text[start:end].rstrip(" ").split(" ")
        while words and (words[0].rstrip(".") in _TITLE_WORDS or words[0].rstrip(".,:") in EN_STOP):
            start += len(words.pop(0)) + 1  # Dear Dr. Higa → Higa
        for k, word in enumerate(words):
            if word.rstrip(".,:") in EN_STOP or word.rstrip(".,:") in _TITLE_WORDS:
                words = words[:k]  # Kenji Oshiro Resident: → Kenji Oshiro
                break
        lex = self.lex
        known = [w.lower() in lex.romaji_surnames or w.lower() in lex.romaji_given for w in words]
        caps = len(words) > 1 and all(w.isupper() and len(w) > 1 for w in words)  # NGUYEN THI HOA
        if not words or not (any(known) or (not strict and (caps or any(not w.isupper() for w in words)))):
            return None
        return start, start + len(" ".join(words)), 0.9


def _usable_word(surface: str) -> bool:
    """Whether a word may be part of a kanji name (not a stop or cue word)."""
    if not surface or (surface[0] < "\u3400" and surface[0] not in "\u3005\u3006\u30f6"):
        return False  # the first character is no kanji (KANJI lies above U+3400 but for 々〆ヶ)
    return surface not in _STOP and surface not in _CUE_WORDS and _KANJI_WORD.fullmatch(surface) is not None


_PERSON_KIND = {"姓": "S", "名": "M"}  # UniDic's 人名 subtypes as kinds (others: P)


def _kind(s: str, pos: tuple[str, str, str, str], lex: _Lexicons) -> str | None:
    """:meth:`_Scan.kind` of the word ``s`` with part of speech ``pos``."""
    multi = len(s) > 1
    if s in lex.surnames and (multi or pos[2] in ("人名", "地名")):
        return "S"
    if s in lex.given and (multi or pos[2] == "人名"):
        return "M"
    if pos[2] == "人名":
        return _PERSON_KIND.get(pos[3], "P")
    if pos[2] == "地名" or pos[1] == "固有名詞":
        return "L"  # places and other proper nouns: many surnames are both (立石, 福島)
    if _KANJI_WORD.fullmatch(s):
        return "K"
    return None


def _cueless_romaji(text: str, lex: _Lexicons) -> Iterator[tuple[int, int, float]]:
    """Two capitalised words that are a lexicon surname and given name (Taro Yamada), or a
    lexicon given name and a word that is no English heading or role (Jerome Reyes) — not an
    eponym (Charles Bonnet syndrome)."""
    for m in _ROMAJI_PAIR.finditer(text):
        if _ASCII_LETTER.match(text, m.start() - 1 if m.start() else 0, m.start()):
            continue
        a, b = m.group(1), m.group(2)
        la, lb = a.lower(), b.lower()
        if _EPONYM_NEXT.match(text, m.end()):
            continue  # Charles Bonnet syndrome, Hashimoto disease
        if (la in lex.romaji_surnames and lb in lex.romaji_given) or (
            la in lex.romaji_given and lb in lex.romaji_surnames
        ):
            yield m.start(), m.end(), 0.85
        elif la in lex.romaji_given and la not in _EN_AMBIGUOUS and b not in EN_STOP:
            yield m.start(), m.end(), 0.75


def _english_name(text: str, pos: int) -> tuple[int, int] | None:
    """The capitalised name at ``pos`` (up to five words, initials, a hyphen, ``Last, First``)."""
    start = end = -1
    words = 0
    comma = False
    while words < 5:
        m = _EN_WORD.match(text, pos)
        if m is None or m.group().rstrip(".") in EN_STOP or m.group().rstrip(".") in _TITLE_WORDS:
            if m is not None and words == 0 and m.group().rstrip(".") in _TITLE_WORDS:
                pos = m.end() + (text[m.end() : m.end() + 1] == " ")  # Dear Dr. Higa
                continue
            break
        if m.end() < len(text) and text[m.end()].isalnum():
            break  # "Kagawa2" or a word going on in another script
        if start < 0:
            start = m.start()
        if not m.group().endswith("."):
            end = m.end()
        words += 1
        sep = _EN_SEP.match(text, m.end())
        if sep is None or (sep.group() == ", " and (comma or m.group().endswith("."))):
            break
        comma = comma or sep.group() == ", "
        pos = sep.end()
    if start < 0 or end <= start:
        return None
    return start, end


def _script_glued(a: str, b: str) -> bool:
    """Whether characters ``a`` and ``b`` belong to one script (so one word, if adjacent)."""
    sa = _SCRIPT_OF.get(a)
    if sa is None:
        sa = _SCRIPT_OF[a] = next((k for k, p in enumerate(_SCRIPTS) if p.match(a)), -1)
    sb = _SCRIPT_OF.get(b)
    if sb is None:
        sb = _SCRIPT_OF[b] = next((k for k, p in enumerate(_SCRIPTS) if p.match(b)), -1)
    return sa == sb >= 0


def english_names(text: str, lex: _Lexicons) -> Iterator[tuple[int, int, float]]:
    """Capitalised names after English cue words (husband Jerome Reyes, From: Yusuke Kagawa
    <…>, (Ms. S. Tokairin), Pt: Sakamoto-Lin, Mei, Dear Dr. Higa) and before a degree
    (K. Nakamura, MD)."""
    for m in _EN_CUE.finditer(text):
        if m.start() and text[m.start() - 1].isascii() and text[m.start() - 1].isalpha():
            continue  # "son" in "Johnson", "To" in "Tokyo"
        if m.end() < len(text) and text[m.end() - 1].isalpha() and text[m.end()].isalpha():
            continue
        hit = _english_name(text, m.end())
        if hit and _english_ok(text[hit[0] : hit[1]], m.group().rstrip(". :") in _EN_TITLES, lex):
            yield hit[0], hit[1], 0.85
    for m in _EN_DEGREE.finditer(text):
        back = _EN_NAME_BACK.search(text, max(0, m.start() - 60), m.start())
        words = back.group().split() if back else []
        known = back is not None and (len(words) > 1 or words[0].lower() in lex.romaji_surnames)
        if known and back and not any(w.rstrip(".") in EN_STOP for w in words):
            yield back.start(), back.end(), 0.85


def _english_ok(name: str, titled: bool, lex: _Lexicons) -> bool:
    """Whether the capitalised words after an English cue read as a name: a word of the
    romaji lexicons, two or more words (not only initials), or one word after a title
    (Ms. Higa); a lone all-capitals word (BP, ICU) only from the lexicons."""
    full = [w for w in re.split("[ ,]+", name) if w and not w.endswith(".")]
    if not full:
        return False
    if any(w.lower() in lex.romaji_given or w.lower() in lex.romaji_surnames for w in full):
        return True
    if len(full) == 1:
        return titled and not full[0].isupper()
    return not all(w.isupper() for w in full) or min(map(len, full)) > 2
