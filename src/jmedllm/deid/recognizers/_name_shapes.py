"""Names found from their shape rather than from a cue word (part of ``names.person``).

The cue rules of :mod:`._person_rules` find a name next to an honorific, a role or a label.
Records written by other hands show names with no such cue whose *shape* vouches for them:

* a two-part name followed by its two-part kana reading, or by a transliteration in Latin
  letters (春夏秋冬 茂(ひととせ しげる), ラマ・スディップ(LAMA Sudip)), a Latin name followed by
  its katakana reading (Pham Van Duc(ファム・ヴァン・ドゥック)), and every form of a name
  listed in a slashed bracket after it (朴 智恩(パク・チウン/PARK JI-EUN));
* initials (S.M., K・T, K. Hirose); Vietnamese names with their diacritics; Latin names
  standing among Japanese with a lexicon name among their words; katakana Japanese names
  whose surname or given name is a lexicon name's reading (ｺﾞﾝﾀﾞ ｼｹﾞﾙ), also after the
  katakana labels of a katakana-only printout (ｼﾒｲ:, ﾂﾏ); katakana surnames with a kanji
  given name (ホフマン 絵里); user names holding a romaji name (kanri02_sato);
* the speaker of a chat line after its time (06:12 ゆき🌸:);
* a name after a staff title the role lexicon lacks, known by its last character and a
  space (臨床遺伝専門医 雪見 透, 医療安全管理室長 神楽 岳), and a surname in brackets after a
  unit or a role (薬剤部(楠));
* the rest of a given name after a found surname (金 容洙, 林 ともか, 我妻 とよ子), a surname
  before a katakana given name found alone (浜 ジョージ), and the next items of a list
  that starts with a full name.

Each rule lists the look-alikes it must leave alone next to it; the tests are in
``tests/deid/test_unseen_shapes.py``. Every function yields ``(start, end, score)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from jmedllm.core.jatext.chars import to_katakana
from jmedllm.deid.lexicons import load_lexicon
from jmedllm.deid.morphology import HIRAGANA, KANJI, KATAKANA, words_regex
from jmedllm.deid.recognizers._person_rules import (
    _CUE_WORDS,
    _DEPARTMENT_CUES,
    _KANJI_RUN,
    _KANJI_WORD,
    _KATA_STOP,
    _KATAKANA_WORD,
    _ROLE_WORDS,
    _STOP,
    _TITLE_WORDS,
    EN_STOP,
    _Lexicons,
    _Scan,
    _words,
)
from jmedllm.deid.recognizers.address import COUNTRIES

__all__ = [
    "bracketed_forms",
    "bracketed_staff",
    "chat_senders",
    "chat_speakers",
    "comma_names",
    "department_staff",
    "disambiguated",
    "given_tails",
    "initials",
    "katakana_cued",
    "katakana_japanese",
    "katakana_with_kanji_given",
    "latin_in_japanese",
    "list_neighbours",
    "no_joined",
    "role_tails",
    "surname_heads",
    "user_handles",
    "vietnamese_names",
    "vouched_by_katakana",
    "vouched_by_latin",
    "vouched_by_reading",
]


# A name in two parts followed by its kana reading in two parts: 春夏秋冬 茂(ひととせ しげる),
# 一尺八寸 律(かまつか りつ), 金 志勲(キム・ジフン). Found from the bracketed reading, then the
# name before it is checked in Python.
_TWO_PART_READING = re.compile(
    f"\\( ?(?P<r>(?P<r1>[{HIRAGANA}ー]{{1,8}})[ ・](?P<r2>[{HIRAGANA}ー]{{1,8}})"
    f"|(?P<k1>[{KATAKANA}]{{1,8}})[ ・=](?P<k2>[{KATAKANA}]{{1,8}})) ?\\)"
)
_TWO_PART_NAME_BEFORE = re.compile(
    f"(?<![{KANJI}{KATAKANA}{HIRAGANA}A-Za-z0-9])(?P<a>[{KANJI}]{{1,5}}) (?P<b>[{KANJI}]{{1,4}}|[{HIRAGANA}]{{2,4}}|[{KATAKANA}]{{2,6}}) ?\\Z"
)


# Initials standing for a person: S.M., I.N., Y.K., K・T (written for anonymity, but still
# identifying next to other details), and an initial before a surname (K. Hirose). Common
# dotted abbreviations are listed out.
# (The look-behind comes after the first letter, so that the scan skips ahead to capitals.)
_INITIALS = re.compile(
    r"[A-Z](?<![A-Za-z0-9.][A-Z])(?:\. ?[A-Z]\.(?: ?[A-Z]\.)?|・[A-Z])(?![A-Za-z0-9])"
    r"|[A-Z](?<![A-Za-z0-9.][A-Z])\. (?:[A-Z]\. )?[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?(?![A-Za-z])"
)
# Where even an abbreviation's letters are a patient's initials: after a patient's or a
# case's label (対象患者：U.K., 症例2：H.T., 男児（R.N.）), or before an honorific or an age.
_INITIALS_PATIENT_BEFORE = re.compile(r"(?:患者|症例[0-9]*|男児|女児|児|本人|氏名|対象者?)[:(]? ?\Z")
_INITIALS_PERSON_AFTER = re.compile(r" ?(?:さん|様|氏|くん|ちゃん|[、,(] ?[0-9]{1,3} ?(?:歳|才|y))")
_NOT_INITIALS = frozenset(
    _words(
        "A.M. P.M. U.S. U.K. E.U. P.S. N.B. I.V. I.M. S.C. O.D. O.S. O.U. B.P. H.R. R.R. G.I. "
        "E.R. D.M. H.T. Q.D. P.O. P.R. S.L. C.C. D.C. L.A. N.Y. B.C. A.D. M.D. D.O. R.N. "
        "Ph.D. T.B. V.S. O.T. P.T. S.T. I.D. O.K. A.S. A.M.A. B.I.D. T.I.D. Q.I.D. N.P.O."
    )
)


# A title the role lexicon lacks, recognised by its last character (医療安全管理室長,
# 臨床遺伝専門医, 事業所管理者, 会計課), then a space and a kanji or katakana word.
_ROLE_TAIL = re.compile(f"[医長者員士師課係] (?=[{KANJI}{KATAKANA}])")  # two kanji before: checked after
_ROLE_HEAD = re.compile(f"[{KANJI}]{{2,9}}\\Z")


def role_tails(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    """Names after a title that ends like a role (…医, …長, …者, …員, …士, …師, …課, …係) and
    a space. Only a lexicon name or a surname vouched by a given name is taken: the title
    is no cue word, so a plain noun in its slot (高齢者 夫婦, 院長 回診) is no name."""
    text = scan.text
    for m in _ROLE_TAIL.finditer(text):
        role = _ROLE_HEAD.search(text, max(0, m.end() - 11), m.end() - 1)
        if role is None or len(role.group()) < 3:
            continue  # (the role word: at least two kanji before its last one)
        if role is None or role.group() in _CUE_WORDS:
            continue  # a cue word of the lexicons: the cue rules read its slot
        hit = scan.after_cue(m.end() - 1, level=1, slot=False)
        if hit is not None:
            yield hit


# A department or office, written in full or as notes abbreviate it, glued to a staff
# member's surname or a space before it, then what staff do: 産科野々村依頼, 循内古賀（PHS…),
# アレルギー科百瀬確認済, 総務課古家から, 警備猪狩へ報告, 整形 安積より.
_DEPARTMENT_ABBREVIATIONS = (
    "循内 消内 呼内 腎内 神内 血内 糖内 内分泌 代謝内 消外 呼外 心外 脳外 乳外 整形 形成 皮膚 耳鼻 泌尿 "
    "産婦 麻酔 放射線 病理 検査部 薬剤部 薬局 輸血部 栄養部 手術部 看護部 医事課 総務課 施設課 "
    "情報システム課 医療福祉相談室 地域連携室 医療安全管理室 リハ 警備 清掃 臨床工学 看護補助 病棟クラーク"
)
_DEPARTMENT_GLUED = re.compile(words_regex([*_DEPARTMENT_CUES, *_DEPARTMENT_ABBREVIATIONS.split()]) + " ?")
# What follows a staff member's surname: a particle of reporting, a bracket, punctuation, a
# title, or a verbal noun of what they did.
_STAFF_AFTER = re.compile(
    r"(?:[、。,()/:・\n]|$| |へ|に|から|より|が|は|と|の(?:判断|指示|許可|確認)|Dr|Ns|先生|医師|"
    r"依頼|確認|コール|担当|注|調整|記|報告|対応|了承|同席|診察|指示|許可|判断|承認|仲裁|再診|回診|手術|執刀|読影)"
)


def department_staff(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    """Surnames right after a department or office (産科野々村依頼, 総務課古家から): a lexicon
    or UniDic surname that ends before what staff do or a boundary."""
    text = scan.text
    for m in _DEPARTMENT_GLUED.finditer(text):
        end = m.end()
        if end >= len(text) or not (text[end] >= "\u3400" or text[end] in "々"):
            continue  # no kanji after the department
        hit = scan.kanji_name(end, backward=False, level=1)
        if hit is None:
            continue
        start = hit[0]
        toks = scan.tokens
        i = scan.starting_at(start)
        # the longest run of whole words that is a known surname or name and that what
        # staff do follows (野々村|依頼: the name read with the verbal noun is cut back)
        best = None
        while 0 <= i < len(toks) and toks.ends[i] <= hit[1]:
            stop = toks.ends[i]
            word = text[start:stop]
            if (
                word not in _CUE_WORDS
                and word not in _STOP
                and word not in _DEPARTMENT_CUES
                and (
                    scan.is_surname(start, stop) or (" " in word and scan.lexicon_name(word.replace(" ", "")))
                )
                and _STAFF_AFTER.match(text, stop)
            ):
                best = stop  # only a surname the lexicons or UniDic know: 内科外来 is a word
            i += 1
        if best is not None:
            yield start, best, 0.75


def initials(text: str) -> Iterator[tuple[int, int, float]]:
    """Initials (S.M., Y. K., K・T) and an initial with a surname (K. Hirose)."""
    if "." not in text and "・" not in text:
        return
    for m in _INITIALS.finditer(text):
        word = m.group()
        if word.replace(" ", "") in _NOT_INITIALS and not (
            _INITIALS_PATIENT_BEFORE.search(text, max(0, m.start() - 8), m.start())
            or _INITIALS_PERSON_AFTER.match(text, m.end())
        ):
            continue  # U.K., H.T., R.N. — unless a patient's slot or an age says whose
        last = word.rsplit(" ", 1)[-1]
        if len(last) > 2 and (last in EN_STOP or last in _TITLE_WORDS):
            continue  # "S. Patient", "A. Nurse"
        yield m.start(), m.end(), 0.75


# The speaker of a chat line after its time: "06:12 ゆき🌸:", "[21:24] 七五三掛 潤:",
# "2024/07/01 09:05 大竹 良子(…)". A display name is whatever the person chose, so no
# lexicon decides; a facility or a role speaking (つばさ訪問看護:, 当直:) is left out.
_CHAT_SPEAKER = re.compile(
    r"^[\[(]?(?:[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} )?[0-2]?[0-9]:[0-5][0-9][\])]? "
    f"(?P<n>[{KANJI}{KATAKANA}{HIRAGANA}A-Za-z][{KANJI}{KATAKANA}{HIRAGANA}A-Za-z.・]{{0,7}}"
    f"(?: [{KANJI}{KATAKANA}{HIRAGANA}A-Za-z]{{1,4}}(?=[^\\s:()]{{0,2}}:))?)"
    r"[^\s:()]{0,2}(?=:| ?\()",
    re.MULTILINE,
)
_NOT_SPEAKER = re.compile(
    "看護|介護|病院|医院|クリニック|薬局|ステーション|センター|事業所|科|室|課|部|当直|日勤|夜勤|準夜|深夜|担当|医師|"
    "Dr|Ns|システム|自動|通知|送信|受信|返信|記録|報告|連絡|予定|訪問|来院|入院|退院|受診|処方|検査|採血|内服|投与|"
    "委員|対策|会議|カンファ|ミーティング|回診|申し送り|交換|処置|観察|確認|測定|面談|説明|相談|"
    "外来|病棟|救急|手術|検診|健診|リハ|透析|予約|娩出|診察|麻酔|導入|切開|開始|終了|決定|到着|出発|帰室|"
    "搬送|挿管|抜管|分娩|胎盤|出血|発作|起床|就寝|食|入浴|吸引|巡視|体位|排泄|点滴|服薬|オムツ|おむつ|離床|[をにがはで]$"
)


# A messaging app's export heads each message with the sender and the time on a line of
# their own ("れんママ🌺 21:14", "うりずん 玉城 10:02"). One such line may be a schedule's
# (採血 8:30); a sender writes again, so a name must head two lines or more.
_SENDER_LINE = re.compile(
    r"^(?P<n>[^\s0-9:\-*・■□●○#|][^\n:]{0,15}?) (?:[0-2]?[0-9]:[0-5][0-9])[ \t]*$", re.MULTILINE
)


def chat_senders(text: str) -> Iterator[tuple[int, int, float]]:
    """Senders heading the messages of a chat export, named on two lines or more."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for m in _SENDER_LINE.finditer(text):
        seen.setdefault(m.group("n"), []).append(m.span("n"))
    for name, places in seen.items():
        if len(places) < 2 or _NOT_SPEAKER.search(name) or name in _CUE_WORDS or name in _STOP:
            continue
        for start, end in places:
            yield start, end, 0.7


def chat_speakers(text: str) -> Iterator[tuple[int, int, float]]:
    if ":" not in text:
        return
    for m in _CHAT_SPEAKER.finditer(text):
        name = m.group("n")
        if _NOT_SPEAKER.search(name) or name in _CUE_WORDS or name in _STOP:
            continue
        if name.isascii() and len(name) < 3:
            continue  # 19:52 Xp:, 8:00 CT: an examination, not a display name
        yield m.start("n"), m.end("n"), 0.7


# A Latin-script name standing in Japanese text (同居 Ram Bahadur Thapa、Kiran Rai、同僚 Pham Van
# Duc（…）): two to four capitalised words with Japanese or a bracket on both sides, one of
# them a lexicon name. In English prose capitalised runs are headings and institutions, so
# the Japanese around the words is the evidence.
_LATIN_RUN = re.compile(r"[A-Z](?<![A-Za-z][A-Z])[A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*){1,3}(?![A-Za-z])")


def latin_in_japanese(text: str, lex: _Lexicons) -> Iterator[tuple[int, int, float]]:
    for m in _LATIN_RUN.finditer(text):
        before = text[m.start() - 1] if m.start() else "\n"
        after = text[m.end()] if m.end() < len(text) else "\n"
        if (before.isascii() and before not in " \n(") or (after.isascii() and after not in "\n(),"):
            continue
        if before == " " and (m.start() < 2 or text[m.start() - 2].isascii()):
            continue  # English before the space: prose
        words = m.group().split()
        if any(w in EN_STOP or w in _TITLE_WORDS for w in words):
            continue
        if any(w.lower() in lex.romaji_surnames or w.lower() in lex.romaji_given for w in words):
            yield m.start(), m.end(), 0.75


# Vietnamese names keep their diacritics in records (Nguyễn Thị Lan, Đỗ Thị Mai): two to
# five capitalised words, at least one holding a letter only Vietnamese uses. Place names
# written the same way (Hà Nội) are identifying too.
_VIET_LETTERS = "ĂăÂâĐđÊêÔôƠơƯưẠ-ỹ"
_VIET_MARK = re.compile(f"[{_VIET_LETTERS}]")
_VIET_WORD = "[A-ZĐÀ-ÝĂÂÊÔƠƯẠ-Ỹ][a-zà-ýăâđêôơưạ-ỹ]*"
_VIET_NAME = re.compile(f"(?<![A-Za-zÀ-ỹ]){_VIET_WORD}(?: {_VIET_WORD}){{1,4}}(?![A-Za-zÀ-ỹ])")


def vietnamese_names(text: str) -> Iterator[tuple[int, int, float]]:
    if not _VIET_MARK.search(text):
        return
    for m in _VIET_NAME.finditer(text):
        if _VIET_MARK.search(m.group()) and not any(w in EN_STOP for w in m.group().split()):
            yield m.start(), m.end(), 0.8


# A Japanese name in katakana, surname and given name apart (ゴンダ シゲル, ｵｵﾀｹ ﾘｮｳｺ after
# NFKC): フリガナ columns, billing exports, chat display names. One of the two parts must be
# a lexicon name's reading, and neither may be a katakana word UniDic knows as something
# else (ケア プラン, データ ベース).
_KATAKANA_PAIR = re.compile(f"[{KATAKANA}] [{KATAKANA}]")
# (The look-behind comes after the first character, so that the scan skips ahead to katakana.)
_KATAKANA_OR_DOT = re.compile(f"[{KATAKANA}・=]")
_KATAKANA_CHAR = re.compile(f"[{KATAKANA}]")
_LATIN_OR_DIGIT = re.compile("[A-Za-z0-9]")
_KATAKANA_RUN = re.compile(f"[{KATAKANA}](?<![{KATAKANA}・=].)[{KATAKANA}]{{1,7}}(?![{KATAKANA}・=])")


def katakana_japanese(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    if not _KATAKANA_PAIR.search(scan.text):
        return
    text, lex = scan.text, scan.lex
    words = list(_KATAKANA_RUN.finditer(text))
    for a, b in pairwise(words):
        if b.start() != a.end() + 1 or text[a.end()] != " ":
            continue
        sei, mei = a.group(), b.group()
        if sei in _KATA_STOP or mei in _KATA_STOP or sei in _ROLE_WORDS or mei in _ROLE_WORDS:
            continue
        known_sei, known_mei = sei in lex.kana_surnames, mei in lex.kana_given
        if not (known_sei or known_mei):
            continue
        if not (known_sei and known_mei) and _katakana_line(text, a.start()):
            continue  # a printout all in katakana (ﾂﾏ ﾆ ﾜﾀｽ ｺﾄ): every pair looks like a name
        if not (known_sei and known_mei) and _ordinary_katakana(scan, *(b.span() if known_sei else a.span())):
            continue  # one part vouches; the other must not be a loanword (サトウ キビ, ヤマダ クリニック)
        yield a.start(), b.end(), 0.8


# Labels, relations and roles as a katakana-only printout writes them (ｼﾒｲ:, ﾂﾏ, ﾀﾝﾄｳ):
# after one, a katakana word that is a lexicon name's reading is a name, and so is the word
# paired with it, although every pair in such a line looks like a name.
# (no look-behind first, so that the scan skips ahead; the character before is checked after)
_KATAKANA_CUE = re.compile(
    "(?:"
    + "|".join(
        _words(
            "シメイ カンジャメイ カンジャシメイ ヒホケンシャメイ リヨウシャメイ ツマ オット チョウナン "
            "チョウジョ ジナン ジジョ ハハ チチ ムスメ ムスコ タントウ タントウシャ シュジイ"
        )
    )
    + f")(?: ?: ?| )(?=[{KATAKANA}])"
)


def katakana_cued(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    """A katakana name after a katakana label or relation (ｼﾒｲ:ｺﾞﾝﾀﾞ ｼｹﾞﾙ, ﾂﾏ ｺﾞﾝﾀﾞ ﾐﾁｺ,
    ﾀﾝﾄｳ ｲｼｸﾞﾛ): one word known as a name's reading vouches for one or two words."""
    text, lex = scan.text, scan.lex
    for m in _KATAKANA_CUE.finditer(text):
        if m.start() and _KATAKANA_CHAR.match(text, m.start() - 1):
            continue  # the end of a longer katakana word
        first = _KATAKANA_RUN.match(text, m.end())
        if first is None or first.group() in _KATA_STOP:
            continue
        second = (
            _KATAKANA_RUN.match(text, first.end() + 1) if text[first.end() : first.end() + 1] == " " else None
        )
        sei, mei = first.group(), second.group() if second else ""
        if (
            second is not None
            and (sei in lex.kana_surnames or mei in lex.kana_given)
            and mei not in _KATA_STOP
        ):
            yield first.start(), second.end(), 0.8
        elif sei in lex.kana_surnames or sei in lex.kana_given:
            yield first.start(), first.end(), 0.75


# Katakana words that follow or precede a name reading without being a name: facility and
# product words (ヤマダ クリニック, サトウ キビ). UniDic knows many real name readings as words
# too (ゴンダ), so its dictionary cannot decide.
_LOANWORD_PARTS = frozenset(
    _words("キビ クリニック ホーム ハウス センター ステーション ケア サービス ビル コーポ ハイツ マンション")
)
_LOANWORD_ENDS = (
    "クリニック",
    "ホーム",
    "ハウス",
    "センター",
    "ステーション",
    "サービス",
    "ビル",
    "ハイツ",
    "マンション",
    "ション",
    "ング",
    "ター",
)


def _katakana_line(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is written mostly in katakana (half-width billing
    printouts, after NFKC)."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    letters = [c for c in line if not c.isspace() and not c.isascii()]
    return len(letters) >= 8 and sum("\u30a1" <= c <= "\u30fc" for c in letters) > 0.6 * len(letters)


def _ordinary_katakana(scan: _Scan, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a katakana loanword rather than half of a name."""
    word = scan.text[start:end]
    return word in _LOANWORD_PARTS or any(word.endswith(e) for e in _LOANWORD_ENDS)


# A name in Latin letters in brackets after a katakana or kanji name: ラマ・スディップ(LAMA Sudip),
# カブラル 莉亜(CABRAL Ria), 嘉手苅 エミリー 愛(Emily Ai KADEKARU). The transliteration vouches for
# the name before it; two or more capitalised words, at least one of three letters or more.
_LATIN_READING = re.compile(r"\( ?(?P<r>[A-Z][A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*){1,4}) ?[)/]")
_NAME_BEFORE_LATIN = re.compile(
    f"(?<![{KANJI}{KATAKANA}{HIRAGANA}A-Za-z0-9])(?P<n>(?:[{KANJI}]{{1,5}}|[{KATAKANA}]{{2,8}})"
    f"(?:[ ・=](?:[{KANJI}]{{1,4}}|[{KATAKANA}]{{2,8}})){{1,3}}) ?\\Z"
)


def vouched_by_latin(text: str) -> Iterator[tuple[int, int, float]]:
    """A name followed by its transliteration in Latin letters in brackets."""
    if "(" not in text:
        return
    for m in _LATIN_READING.finditer(text):
        words = m.group("r").split()
        if any(w in EN_STOP or w in _TITLE_WORDS for w in words) or max(map(len, words)) < 3:
            continue
        before = _NAME_BEFORE_LATIN.search(text, max(0, m.start() - 30), m.start())
        if before is None:
            continue
        start = before.start("n")
        parts = re.split("([ ・=])", before.group("n"))
        while len(parts) > 2 and (parts[0] in _DEPARTMENT_CUES or parts[0] in _CUE_WORDS):
            start += len(parts[0]) + len(parts[1])  # 救急科 トーマス・ミラー(Thomas Miller)
            parts = parts[2:]
        words = parts[::2]
        if any(p in _STOP or p in _CUE_WORDS or p in _KATA_STOP or p in _DEPARTMENT_CUES for p in words):
            continue
        yield start, before.end("n"), 0.8
        yield m.start("r"), m.end("r"), 0.8


# A Western name written surname first with a comma, in brackets after its katakana form or
# alone (カストロ（Castro, Liza）, レイエス（Reyes, Antonio）): the comma order is a record's
# way of writing a person, which no place (Tokyo, Japan) of the lexicon is taken for.
_COMMA_NAME = re.compile(
    r"\( ?(?P<r>[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?, [A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?) ?[)、,/]"
)
_KATAKANA_BEFORE = re.compile(f"(?<![{KATAKANA}])[{KATAKANA}]{{2,10}}\\Z")
_LATIN_PLACES = frozenset(e[1:] for e in load_lexicon("foreign_places") if e.startswith("=")) | COUNTRIES


def comma_names(text: str) -> Iterator[tuple[int, int, float]]:
    """Western names written surname, given name in brackets, and a katakana name before them."""
    if ", " not in text:
        return
    for m in _COMMA_NAME.finditer(text):
        words = m.group("r").replace(",", "").split()
        if any(w in EN_STOP or w in _TITLE_WORDS or w in _LATIN_PLACES for w in words):
            continue  # (Sao Paulo, Brazil) is a place: the address rules read it
        yield m.start("r"), m.end("r"), 0.75
        kana = _KATAKANA_BEFORE.search(text, max(0, m.start() - 10), m.start())
        if kana is not None and kana.group() not in _KATA_STOP and kana.group() not in _CUE_WORDS:
            yield kana.start(), kana.end(), 0.75


# ... and the other way round: a name in Latin letters followed by its katakana reading in
# brackets, Pham Van Duc(ファム・ヴァン・ドゥック), Đỗ Thị Mai(ド・ティ・マイ). The words must
# pair up (the same number, give or take one), which no product or place name does by chance.
_LATIN_WORD = "[A-Z\u00c0-\u00de\u0110\u01a0\u01af][A-Za-z\u00c0-\u024f\u1ea0-\u1ef9'\\-]*"
_KATAKANA_READING = re.compile(f"\\((?P<r>[{KATAKANA}]+(?:[・= ][{KATAKANA}]+){{1,3}})[)/、,]")
_LATIN_NAME_BACK = re.compile(
    f"(?<![A-Za-z\u00c0-\u024f\u1ea0-\u1ef9])(?P<n>{_LATIN_WORD}(?: {_LATIN_WORD}){{1,3}}) ?\\Z"
)


def vouched_by_katakana(text: str) -> Iterator[tuple[int, int, float]]:
    """A name in Latin letters followed by its katakana reading in brackets."""
    if "(" not in text:
        return
    for m in _KATAKANA_READING.finditer(text):
        name = _LATIN_NAME_BACK.search(text, max(0, m.start() - 60), m.start())
        if name is None:
            continue
        words = name.group("n").split()
        readings = re.split("[・= ]", m.group("r"))
        if abs(len(words) - len(readings)) > 1 or any(w in EN_STOP or w in _TITLE_WORDS for w in words):
            continue
        if any(r in _KATA_STOP or r in _ROLE_WORDS for r in readings):
            continue
        yield name.start("n"), name.end("n"), 0.8
        yield m.start("r"), m.end("r"), 0.8


# A katakana surname, a space and a kanji given name (ホフマン 絵里, ロドリゲス 健): the given
# name vouches for the katakana word, which must be no katakana word UniDic knows as an
# ordinary noun (データ 健 is no name) unless it is a foreign name of the lexicon.
# (found from the space: katakana is common, a space before kanji is not)
_KATAKANA_KANJI = re.compile(f" (?P<mei>[{KANJI}]{{1,3}})(?![{KANJI}])")
_KATAKANA_BACK = re.compile(f"[{KATAKANA}]{{2,10}}\\Z")


def katakana_with_kanji_given(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    """A katakana surname followed by a space and a lexicon kanji given name."""
    text, lex = scan.text, scan.lex
    for m in _KATAKANA_KANJI.finditer(text):
        if not m.start() or not "\u30a1" <= text[m.start() - 1] <= "\u30fe":
            continue  # (most spaces before kanji follow kanji: a cheap test first)
        back = _KATAKANA_BACK.search(text, max(0, m.start() - 10), m.start())
        if back is None:
            continue
        start = back.start()
        if start and (_KATAKANA_OR_DOT.match(text, start - 1) or _LATIN_OR_DIGIT.match(text, start - 1)):
            continue  # the end of a longer katakana word
        sei, mei = text[start : m.start("mei") - 1], m.group("mei")
        if mei not in lex.given or sei in _KATA_STOP or sei in _ROLE_WORDS:
            continue
        if sei not in lex.foreign and sei not in lex.kana_surnames:
            i = scan.starting_at(start)
            if i < 0 or scan.ending_at(start + len(sei)) != i or scan.tokens.pos[i][1] == "普通名詞":
                continue  # a loanword or a piece of one
        yield start, m.end(), 0.8


# A staff member's surname in brackets after their unit or role: 薬剤部(楠), 放射線科(筧),
# 外科外来(浜), 主治医確認済(関). One kanji is enough here when it is a lexicon surname.
_UNIT_BRACKET = re.compile(f"\\((?P<n>[{KANJI}]{{1,4}})\\)")  # the unit before: checked after
_UNIT_LAST = frozenset("科部室来理師医済棟課係隊")


def bracketed_staff(scan: _Scan) -> Iterator[tuple[int, int, float]]:
    """A surname alone in brackets right after a unit or a role."""
    text, surnames = scan.text, scan.lex.surnames
    if "(" not in text:
        return
    for m in _UNIT_BRACKET.finditer(text):
        if not m.start() or text[m.start() - 1] not in _UNIT_LAST:
            continue
        word = m.group("n")
        if word in _STOP or word in _CUE_WORDS or word in _DEPARTMENT_CUES:
            continue
        if word in surnames or scan.is_surname(*m.span("n")):
            yield m.start("n"), m.end("n"), 0.75


# A user name that holds a person's name (kanri02_sato, takanashi.w, shiori.saito): an
# ASCII handle joined by . or _ with a lexicon romaji name among its parts, or any handle
# after a label that introduces one (user=, 出力者, 表示名 …). Not part of an e-mail address,
# a URL or a file name.
_HANDLE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+")
# (a literal first, so that the scan skips ahead: "_" anywhere, or a dot between letters)
_HANDLE_HINT = re.compile(r"_|\.(?<=[A-Za-z]\.)[A-Za-z]")
# A chat line's time (and date) before a user name: "6/25 07:49 hayase.y（早瀬/研修医）".
_HANDLE_TIME = re.compile(
    r"(?:^|\n)[\[(]?(?:(?:[0-9]{4}/)?[0-9]{1,2}/[0-9]{1,2} )?[0-2]?[0-9]:[0-5][0-9][\])]? \Z"
)
# A mention in a chat (@aya_n, @hayase.y): the name after the mark; not an e-mail's domain.
_MENTION = re.compile(
    r"(?<![A-Za-z0-9._%+\-])@(?P<h>[A-Za-z][A-Za-z0-9]*(?:[._\-][A-Za-z0-9]+)*)(?![A-Za-z0-9@])"
)
_NOT_MENTION = frozenset({"channel", "here", "all", "everyone", "admin", "team"})
_HANDLE_LABEL = re.compile(
    r"(?:user|by|author|login|ユーザー名?|表示名|出力者|更新者|作成者|入力者|記録者|操作者|担当者|アカウント|ID)"
    r" ?[=:]? ?\Z",
    re.IGNORECASE,
)
_FILE_END = re.compile(
    r"\.(?:txt|csv|tsv|pdf|docx?|xlsx?|json|xml|html?|png|jpe?g|log|zip|py|hl7)\Z", re.IGNORECASE
)


def user_handles(text: str, lex: _Lexicons) -> Iterator[tuple[int, int, float]]:
    """User names in logs and exports that identify a person."""
    if not _HANDLE_HINT.search(text):
        return
    for m in _HANDLE.finditer(text):
        start, end = m.span()
        before, after = text[start - 1 : start], text[end : end + 1]
        if (
            before in ("@", "/", ".", "-")
            or after in ("@", "/")
            or (start and text[start - 1].isalnum() and before.isascii())
        ):
            continue  # part of an e-mail address, a path or a longer word
        handle = m.group()
        if _FILE_END.search(handle) or re.fullmatch(r"[A-Za-z]\.(?:[A-Za-z]\.?)+", handle):
            continue  # a file name; initials are another rule's
        parts = [p.lower() for p in re.split(r"[._0-9]+", handle) if p]
        named = any(len(p) >= 3 and (p in lex.romaji_surnames or p in lex.romaji_given) for p in parts)
        if (
            named
            or _HANDLE_LABEL.search(text, max(0, start - 12), start)
            or _HANDLE_TIME.search(text, max(0, start - 20), start)
        ):
            yield start, end, 0.75
    if "@" in text:
        for m in _MENTION.finditer(text):
            if m.group("h").lower() not in _NOT_MENTION:
                # the mark belongs to the handle a display name shows in brackets, 深見 諒 (@fukami.r)
                start = m.start() if text[m.start() - 1 : m.start()] == "(" else m.start("h")
                yield start, m.end("h"), 0.75


# The next item of a list whose item before is a found name, written the same way: a full
# name in Latin letters or a kanji surname and given name with a space (同居 Ram Bahadur
# Thapa、Kiran Rai、…; 出席：江波 透、汐入 遥). The shape, not a cue, vouches: a list of
# two-word items that starts with a name goes on with names.
_LIST_NEXT = re.compile(
    f"[、,/] ?(?P<n>{_LATIN_WORD}(?: {_LATIN_WORD}){{1,2}}|[{KANJI}]{{1,4}} [{KANJI}]{{1,3}}"
    f"|[{KATAKANA}]{{2,10}} [{KANJI}]{{1,3}})"
    "(?=[、,/)\\n。]|$)"
)


def list_neighbours(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """The items after a found name in a list, in the same two-word shape as that name."""
    text = scan.text
    ends = sorted({e for s, e, _ in spans if " " in text[s:e]})
    for end in ends:
        for _ in range(8):
            m = _LIST_NEXT.match(text, end)
            if m is None:
                break
            words = m.group("n").split(" ")
            if any(
                w in EN_STOP or w in _TITLE_WORDS or w in _STOP or w in _CUE_WORDS or w in _DEPARTMENT_CUES
                for w in words
            ):
                break
            if _KATAKANA_WORD.fullmatch(words[0]) and words[1] not in scan.lex.given:
                break  # ロウ 美佳: a katakana surname needs a known given name
            if _KANJI_WORD.fullmatch(words[0]):
                # kanji: a surname or a given name must vouch (検査 長野 is a task and a person)
                first = m.start("n")
                second = first + len(words[0]) + 1
                if not (scan.is_surname(first, second - 1) or scan.given_after(second) == m.end("n")):
                    break
            yield m.start("n"), m.end("n"), 0.75
            end = m.end("n")


# The other forms of a name in brackets after it, several separated by slashes:
# 朴 智恩(パク・チウン/PARK JI-EUN), 陳 美玲(チン メイリン/CHEN MEILING).
_BRACKET_PART = re.compile(
    f"(?P<p>[{KATAKANA}]+(?:[ ・=][{KATAKANA}]+){{0,3}}|[{HIRAGANA}]{{2,}}(?: [{HIRAGANA}]+)?"
    r"|[A-Z][A-Za-z'\-]*\.?(?: [A-Z][A-Za-z'\-]*\.?){0,4})"
)


def bracketed_forms(text: str, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """Every part of a bracket right after a found name that reads as another form of it."""
    if "(" not in text:
        return
    for end in {e for _, e, _ in spans}:
        k = end + (text[end : end + 1] == " ")
        if text[k : k + 1] != "(":
            continue
        close = text.find(")", k, k + 60)
        if close < 0 or "/" not in text[k:close]:
            continue
        pos = k + 1
        for part in text[k + 1 : close].split("/"):
            lead = len(part) - len(part.lstrip(" "))
            m = _BRACKET_PART.fullmatch(part.strip(" "))
            if m is not None:
                words = re.split("[ ・=]", m.group())
                if not any(w.rstrip(".") in EN_STOP or w in _KATA_STOP or w in _ROLE_WORDS for w in words):
                    yield pos + lead, pos + lead + len(m.group()), 0.8
            pos += len(part) + 1


# 阿部(敦), 森田(あ), 鈴木(智): one character in brackets after a surname tells two staff of
# one name apart, and belongs to the name; a sex, a relation or a job (明石(男), 佐藤(妻),
# 須玉(介) for 介護) does not.
_ONE_CHAR_TAG = re.compile(
    f"\\((?![男女父母妻夫兄弟姉妹祖孫甥姪嫁婿娘息長次様介看医薬栄理作言事リ])[{KANJI}{HIRAGANA}{KATAKANA}]\\)"
)


def disambiguated(text: str, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """Found names extended over a one-character tag in brackets right after them."""
    if "(" not in text:
        return
    for start, end, score in list(spans):
        if text[end : end + 1] == "(" and _ONE_CHAR_TAG.match(text, end):
            yield start, end + 3, score


# The rest of a given name after a found surname (金 容|洙, 韓 明|洙, 林 ともか): a kanji
# run, or a kana word of three or more, that reaches a boundary — a bracket, punctuation,
# a line end, an honorific or a role. Rare given-name kanji (洙, 芬) are what the rules
# above stop at; a name part stops before what is clearly not one.
_TAIL_END = r"(?=[\s、。,.()/:」】]|$|様|さん|さま|君|くん|ちゃん|先生|氏|殿|医師|看護師)"
_GIVEN_TAIL = re.compile(
    f"[{KANJI}]{{1,3}}?{_TAIL_END}|[{HIRAGANA}]{{3,5}}?{_TAIL_END}|[{KATAKANA}]{{2,6}}?{_TAIL_END}"
    f"|[{HIRAGANA}]{{1,3}}[子江代枝美恵乃]{_TAIL_END}"  # とよ子, きみ江: kana with a name kanji
    f"|[{HIRAGANA}]{{2}}{_TAIL_END}"  # うめ, とめ: checked against the kana given names
)
_NOT_TAIL_START = frozenset("様氏殿君")
_SURNAME_HEAD = re.compile(f"(?:^|(?<=[\\s:(、]))([{KANJI}]{{1,3}}) \\Z")
_VERBAL_NOUNS = frozenset({"サ変可能", "副詞可能", "形状詞可能", "サ変形状詞可能", "助数詞可能"})


def surname_heads(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """A surname before a katakana given name found alone (浜 ジョージ, 金 ミンジュン): a
    lexicon surname, a UniDic 姓, or any short kanji word when the given name is a lexicon
    name — never a role or a relation (母 ルシア, 当直医 ウィルソン)."""
    text, lex = scan.text, scan.lex
    for start, end, score in list(spans):
        if start < 3 or text[start - 1] != " " or not _KATAKANA_WORD.fullmatch(text, start, end):
            continue
        head = _SURNAME_HEAD.search(text, max(0, start - 5), start)
        if head is None:
            continue
        word, given = head.group(1), text[start:end]
        if word in _CUE_WORDS or word in _STOP or word in _DEPARTMENT_CUES or word[-1] in "医師員長係者":
            continue
        if (
            word in lex.surnames
            or scan.is_surname(*head.span(1))
            or given in lex.foreign
            or given in lex.kana_given
        ):
            yield head.start(1), end, score


# ノ written between kanji inside a surname (竹ノ塚, 宮ノ下, 木ノ内): MeCab cuts it into
# 竹|ノ|塚, so a rule finds only a piece; the piece is joined with the rest and with the
# given name after a space.
_NO_AFTER = re.compile(f"ノ[{KANJI}]{{1,3}}")
_NO_BEFORE = re.compile(f"(?<![{KANJI}])[{KANJI}]{{1,3}}ノ\\Z")


def no_joined(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """Found name pieces joined over a ノ between kanji (竹|ノ塚 聡子 → 竹ノ塚 聡子)."""
    text = scan.text
    if "ノ" not in text:
        return
    for start, end, score in list(spans):
        new_start, new_end = start, end
        after = _NO_AFTER.match(text, end) if _KANJI_RUN.match(text, end - 1, end) else None
        if after is not None:
            new_end = after.end()
            if text[new_end : new_end + 1] == " ":
                new_end = (
                    scan.given_after(new_end + 1) or scan.kana_given(new_end + 1, backward=False) or new_end
                )
        if start and text[start - 1] == "ノ" and _KANJI_RUN.match(text, start):
            before = _NO_BEFORE.search(text, max(0, start - 4), start)
            if before is not None:
                new_start = before.start()
        if (new_start, new_end) != (start, end):
            yield new_start, new_end, score


def given_tails(scan: _Scan, spans: set[tuple[int, int, float]]) -> Iterator[tuple[int, int, float]]:
    """The rest of a given name after a found surname (see the comment above)."""
    text = scan.text
    for start, end, score in list(spans):
        if end >= len(text):
            continue
        if text[end] == " " and " " not in text[start:end] and _KANJI_WORD.fullmatch(text[start:end]):
            tail = _GIVEN_TAIL.match(text, end + 1)  # 林 ともか: a lone surname, then a space
        elif _KANJI_RUN.match(text, end) and " " in text[start:end]:
            tail = _GIVEN_TAIL.match(text, end)  # 金 容|洙: the given name cut short
            if tail is not None and len(tail.group()) > 1:
                continue
        else:
            continue
        if tail is None:
            continue
        word = tail.group()
        if (
            len(word) == 1
            and text[tail.end() + 1 : tail.end() + 2] not in ("", "\n")
            and text[tail.end() + 2 : tail.end() + 3] in (" ", "")
        ):
            continue  # "様 と 説 得": text spaced one character at a time (OCR)
        if len(word) == 2 and "\u3041" <= word[1] <= "\u3096":
            k = scan.starting_at(tail.start())
            if to_katakana(word) not in scan.lex.kana_given or (k >= 0 and scan.tokens.pos[k][0] != "名詞"):
                continue  # two hiragana: only a known given name that is no particle (うめ, not から)
        if word[0] in _NOT_TAIL_START or word in _CUE_WORDS or word in _STOP or word in _DEPARTMENT_CUES:
            continue
        i, j = scan.starting_at(tail.start()), scan.ending_at(tail.end())
        if (
            _KANJI_WORD.match(word)
            and i >= 0
            and j >= i
            and any(
                p[0] not in ("名詞", "接頭辞", "接尾辞", "記号") or p[2] in _VERBAL_NOUNS
                for p in scan.tokens.pos[i : j + 1]
            )
        ):
            continue  # 高橋 確認, 田中 同席: a verbal noun or a verb, not a given name
        yield start, tail.end(), score


# One-character heads of a term's second word (橋本 病(はしもと びょう) is a disease).
_TERM_TAILS = frozenset("病症式法科院室棟課部局")


def vouched_by_reading(text: str) -> Iterator[tuple[int, int, float]]:
    """A surname and a given name whose two-part kana reading follows in brackets: the
    reading vouches for names no lexicon holds (春夏秋冬 茂(ひととせ しげる)). Each part of
    the reading is at least as long as the kanji it reads, as readings are."""
    if "(" not in text:
        return
    for m in _TWO_PART_READING.finditer(text):
        before = _TWO_PART_NAME_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if before is None:
            continue
        a, b = before.group("a"), before.group("b")
        r1, r2 = (m.group("r1"), m.group("r2")) if m.group("r1") else (m.group("k1"), m.group("k2"))
        if a in _STOP or b in _STOP or a in _CUE_WORDS or b in _CUE_WORDS or b in _TERM_TAILS:
            continue
        if len(r1) < len(a) or len(r2) < len(b) or len(r1) > 3 * len(a) + 2:
            continue
        yield before.start("a"), before.end("b"), 0.85
        yield m.start("r"), m.end("r"), 0.85
