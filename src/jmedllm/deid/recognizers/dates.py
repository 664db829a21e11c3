"""Dates (DATE) and ages of 90 and over (AGE).

Dates: :func:`jmedllm.core.jatext.eras.find_dates` already reads every 和暦/西暦 form in
running text (令和5年4月1日, R5.4.1, H31/4/30, 2023-04-01, 4月1日 …) and reports
impossible ones (平成32年) with ``error`` set; those are date-shaped identifiers too and
are kept. This module adds what a date *parser* rightly refuses but a de-identifier must
catch: a letter era with a year only (``S60年``, ``S60生``), ``23/04/01``, and a bare
``4/1`` — the last only with a clinical date context (入院, 退院, 手術, 受診, 生年月日,
``日:`` labels, a range ``4/1〜4/3``, a weekday or a time, or the head of a course-record
line: ``4/1 BT 38.5℃``), because ``1/2錠``, ``3/4`` and ``140/90`` are doses, fractions
and pressures. Weaker context is enough for a month/day that does not look like a common
fraction (1/2, 2/3, 3/4 …): ``に`` after it (``12/1に胃瘻造設``, not ``1/3に縮小``), a time or a
hand-over/record word before it (申し送り, 記録, 確認), brackets of its own (``(2/1)``), or a
signer's name or initial before it at the end of a line (``確認：鵜飼 2/21``). Whatever the
context, a scale, score or ratio named just before it is no date: ``SPS 11/24``,
``Levine 2/6``, ``MMT 4/5``, ``主食 8/10``, ``pN1(2/18)``, ``CD4/8``.
Also compact ``19450312`` after a date label (or before 生), English dates (``Mar 12,
1945``, ``12 March 2023``, ``15-Mar-2024``, with a weekday before: ``Mon, 15 Jul 2024``),
``03/15/2024``, ``15/03/2024`` and ``3/15/24``; a two-digit-year date with dots before 生
(``3.9.16生``); the date after an era ticked in a form's list (``明・大・(昭)・平・令 22年
8月 3日``: the span is the date, not the list); and a month alone when 上旬/中旬/下旬/末
narrows it (``10月上旬``) or a relative year precedes it (``同年5月``: the month only), and
a day after a relative month (``同月15日``: the day only).
Foreign records: day/month (``Retorno: 22/10``) after a date label, ``15.03.2024``, and
Portuguese, Spanish, French, German month names (``3 de março de 2024``, ``5 mars 2024``).
Relative forms (第3病日, 術後5日目, 3日前) are not dates and nothing here matches them.

Decision: a weekday ``(月)`` and a time (``10:30``, ``午後3時``) written right after a
date belong to the DATE span — together they pin down an event, and leaving them would
leak the weekday next to a masked date. So do 上旬/中旬/下旬 after a month and the end day
of a range (``4月1日〜3日``, ``1月〜3月``, ``5月中旬〜下旬``), and AM/PM after a time.

Ages: only ages at or above ``config.age_threshold`` (default 90) identify a person. The
span is the age expression — number plus unit (``92歳``, ``90代``, ``95 y/o``, ``百歳``);
prefixes such as 満, 齢, 年齢, 享年 stay outside it. A bare number in brackets right after
a person (``ミツ様（98）``, ``女性(92)``) is an age too.
"""

from __future__ import annotations

import re
from typing import ClassVar

from jmedllm.core.jatext.eras import find_dates
from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.morphology import words_regex

__all__ = ["AgeRecognizer", "DateRecognizer", "kanji_number"]

# --- dates ---------------------------------------------------------------------------------

_WEEKDAY = (
    r" ?\((?:(?:月|火|水|木|金|土|日)(?:曜日?)?(?:・祝)?|祝|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.?"
    r"|(?:seg|ter|qua|qui|sex|s[áa]b|dom)\.?)\)"  # and Portuguese (Brazilian patients' papers)
)
_WEEKDAY_AFTER = re.compile(_WEEKDAY)
_TIME = (
    r"(?:[ T]?(?:午前|午後|AM|PM)? ?\d{1,2}(?::\d{2}(?::\d{2}(?:[.,]\d{3,6}(?![0-9]))?(?:\.\d{1,2})?)?(?: ?(?:AM|PM|am|pm|a\.m\.|p\.m\.)(?![A-Za-z]))?"
    r"(?: ?[〜~\-] ?\d{1,2}:\d{2}(?![0-9]))?"  # the end of a time range (14:00〜15:10): the same day
    r"| ?時(?!間)(?:\d{1,2}分)?(?:\d{1,2}秒)?))"
)
# A season after a year (2023年夏), a weekday written out after a day (二月十四日金曜日), a
# fiscal year (令和6年度) and a month's statement (令和6年6月分).
_SEASON_OR_DAY = (
    r"(?:(?<=年)(?:春|夏|秋|冬)(?![期季休])|(?<=日)[月火水木金土日]曜日?|(?<=年)度|(?<=月)分(?![0-9]))?"
)
# 上旬/中旬/下旬 narrow a year-month to ten days: part of the date expression.
_TEN_DAYS = "上旬|中旬|下旬|初旬"
# A time zone after a time (…23:41:07 +0900, …T09:40:00+09:00) and 頃 after a date or a time
# (令和2年頃, 7:45頃): both belong to the date expression.
_ZONE = r"(?:(?<=[0-9]) ?[+\-](?:0[0-9]|1[0-4]):?[0-5][0-9](?![0-9])|(?<=[0-9])Z(?![A-Za-z])|(?<=[0-9]) ?(?:JST|UTC|GMT)(?![A-Za-z]))?"
_AFTER_DATE = re.compile(
    rf"(?:(?<=月)(?:{_TEN_DAYS}|末(?![梢端])))?(?:(?<=旬) ?[〜~] ?(?:{_TEN_DAYS}))?{_SEASON_OR_DAY}(?:{_WEEKDAY})?{_TIME}?"
    rf"{_ZONE}(?:頃|ごろ)?"
)
# The last day of a range whose month is not repeated: 4月1日〜3日.
_DAY_RANGE = re.compile(r" ?[〜~\-] ?(?:[1-9]|[12][0-9]|3[01])日(?!間|目|後|前|分|以|毎|おき|ごと)")
# ... and the last month of a range of months: 2023年1月〜3月, 5月中旬〜6月上旬.
_MONTH_RANGE = re.compile(r" ?[〜~\-] ?(?:1[0-2]|[1-9])月(?:上旬|中旬|下旬|初旬|末(?![梢端]))?(?![0-9日間])")
# find_dates runs only on the runs of characters a date can be written with that hold a
# date's core (below): the same dates, a fraction of the scan.
_RUN_CHARS = r"0-9A-Za-z〇一二三四五六七八九十元年月日明治大正昭和平成令 \t./\-"
_RUN_SET = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz〇一二三四五六七八九十元年月日明治大正昭和平成令 \t./-"
)
_RUN = re.compile(f"[{_RUN_CHARS}]*")
# A core: 年 or 月, or the separator after a 西暦 year (2023/4) or a letter-era year (R5.4).
# Every alternative starts with a literal character: then re knows the characters a match
# can start with and skips ahead to them (with a class or a group first, it tries a match
# at every position of the text).
_CORE = re.compile(
    "|".join(
        [
            "年",
            "月",
            r"1[89][0-9]{2}[./\-][0-9]",
            r"2[0-2][0-9]{2}[./\-][0-9]",
            *(rf"{letter}\.?[0-9]{{1,2}}[./\-][0-9]" for letter in "MTSHRmtshr"),
        ]
    )
)
# English month names: "Mar 12, 1945", "12 March 2023", "March 2023".
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
# Word boundaries are checked in Python (ASCII only). A prefix trie: the longest name first
# (March before Mar), as in the alternation above.
_EN_MONTH = re.compile(rf"(?:{words_regex(_MONTHS.split('|'))})\.?")
_EN_DAY_BEFORE = re.compile(r"(?<![0-9])(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?(?: (?:of )?|-)$")
_EN_AFTER = re.compile(
    r" (?:(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?(?![0-9]),? (?:19|20)[0-9]{2}|(?:[1-9]|[12][0-9]|3[01])"
    r"(?:st|nd|rd|th)?(?![0-9:])|(?:19|20)[0-9]{2})(?![0-9])"
)
_EN_YEAR_AFTER = re.compile(r"(?:,? |-)(?:19|20)[0-9]{2}(?![0-9])")  # "12 March 2023", "15-Mar-2024"
# A letter era with a year only: the parser needs a month, but "S60年", "S60生" and "H15〜"
# are years. Without 年 a following word must say so: S1/S2 heart sounds, T2 images and
# H2 blockers are not years.
# The look-behind sits after the letter so that the scan can skip ahead to M/T/S/H/R.
_LETTER_YEAR = re.compile(r"[MTSHR](?<![A-Za-z0-9].)(?:元|[0-9]{1,2})(?:年|(?=生|頃|〜|~|から|より|まで))")
# ... and a Heisei or Showa year standing alone as the date of an event (最終 H29, (H25 診断),
# H30 EVT): two digits (S1–S4 are heart sounds, S6 a liver segment, H2 a receptor), a
# space, bracket or comma after (H25.1 is an ICD-10 code).
_BARE_LETTER_YEAR = re.compile(
    r"(?:H(?:[12][0-9]|3[01])|S(?:[1-5][0-9]|6[0-4]))(?<![A-Za-z0-9].{3})(?=[ )、,]|$)"
)
# n/n and nn/n/n; whether they are dates is decided from their context.
# Boundaries are checked in Python (_slashed_bounded): a look-behind first would stop sre
# from skipping ahead to digits.
# (?P<a>[0-9]{1,2}) written [0-9][0-9]? so that the scan can skip ahead to digits: re finds
# no first-character set for a pattern that starts with a repetition.
_SLASHED = re.compile(r"(?P<a>[0-9][0-9]?)/(?P<b>[0-9]{1,2})(?:/(?P<c>[0-9]{1,2}))?")
_DATE_WORDS = (
    "入院|退院|受診|手術|生年月日|誕生日|初診|再診|来院|外来|発症|受傷|死亡|転院|検査|施行|"
    "日付|日時|予定|開始|終了|採血|撮影|実施|前回|次回|最終|紹介|月日|予約|来局|申請|交付|提出|送付|受付|記入日"
)
_CONTEXT_BEFORE = re.compile(
    rf"(?:{_DATE_WORDS})|(?<![0-9])日[ :]*$|[0-9]{{1,2}}/[0-9]{{1,2}} ?[〜~\-、・,] ?$"
)
# Compact 20230401 / 19450312: a date only where a date label stands just before it, or
# 生/生まれ right after it; elsewhere eight digits are as likely an ID or a count.
# YYYYMMDD with a plausible year, month and day: the core of every compact date below.
_YMD = r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_COMPACT = re.compile(_YMD)
_COMPACT_AFTER = re.compile(r"生|出生")
_COMPACT_BEFORE_WORDS = re.compile(rf"(?:{_DATE_WORDS}|DOB|[Dd]ate|[Bb]irth|生)日?[ :]*$|日[ :]*$")
_CONTEXT_AFTER = re.compile(
    rf" ?(?:[〜~\-] ?[0-9]{{1,2}}/[0-9]{{1,2}}|[〜~](?![0-9])|より|から|まで|に(?:て|{_DATE_WORDS})"
    rf"|(?:当院|当科|他院|同院|近医|前医)?(?:{_DATE_WORDS})|{_WEEKDAY}"
    rf"|[ \n][0-9]{{1,2}}:[0-9]{{2}}|(?:[、・]|か|or |と|や)[0-9]{{1,2}}/[0-9]{{1,2}}(?![0-9/]))"
)
# Doses and amounts: "1/2錠", "1/3量", "2/3程度" are never dates, whatever precedes them.
_NOT_DATE_AFTER = re.compile(
    r" ?(?:錠|包|本(?!人|日|院|部|社|店)|[TAV](?![A-Za-z])|量|程度|回|杯|倍|mg|ml|mL|g(?![A-Za-z])|%|以下|以上|周|ずつ|希釈|cm|mm|分割)"
)
# n/n at the head of a line (after an optional bullet), then a space, colon or bracket:
# the date of a progress-note entry.
_LINE_HEAD = re.compile(r"[ \t]*(?:[・\-*●○■□◆◇>]|[0-9]{1,2}[.)])?[ \t]*")
_AFTER_LINE_HEAD = re.compile(r"[ \t]*[:)]|[ \t]+(?:[^\s0-9ぁ-ゖ]|[0-9]+(?:号室|号|階|病棟|床))")
_TNM = re.compile(r"[a-c]?N[0-3x]|M[01x]")
# S1–S12 and T1–T12 are lung/liver segments and vertebrae (S9/10, S4-5, T11-12) far more
# often than 昭和/大正 year-months; with a day (S4.5.6) or 年 they stay dates.
_ANATOMY_LIKE = re.compile(r"[STst]\.?(?:[1-9]|1[0-2])[/\-.][0-9]{1,2}")


# A score, grade or ratio names its scale just before it: "SPS 11/24", "Levine 2/6",
# "MMSE 12/30", "筋力 4/5", "転移(3/12)". An English word counts unless it is a date's own
# preposition ("on 3/17", "since 4/2").
# Scales, scores and ratios of nursing and clinical notes: MMT, pain, meal intake (主食 8/10).
_SCORE_WORDS = (
    "筋力|握力|背屈|底屈|屈曲|伸展|評価|点数|得点|スコア|正答|正解|誤読|誤答|正読|視野|転移|陽性|リンパ節|個中|本中|例中|"
    "分類|段階|比|疼痛|痛み|主食|副食|朝食|昼食|夕食|食事|摂取|摂食|飲水|水分|排尿|排便|睡眠|回数|割合|"
    "NRS|VAS|MMT|GCS|JCS"
)
_SCORE_BEFORE = re.compile(rf"(?:(?P<word>[A-Za-z][A-Za-z\-]+[0-9]?)|{_SCORE_WORDS})[ :=は(]*$")
_SCORE_NEAR = re.compile(_SCORE_WORDS)
# Counts out of a total that name what they count just before (weaker than a scale's name,
# checked only before a month/day is taken without other context): "呼称 3/20", "主要症状 5/6",
# "該当 4/7項目", "Apgar 8/9" is a scale (above).
_SCORE_LIKE_BEFORE = re.compile(
    r"(?:呼称|復唱|症状|項目|基準|該当|満たす|満点|近位|遠位|設問|(?<![時観視地拠焦論要利重])点|個|例|人|名|株|本|回)[ :は]*$"
)
# Labels of a date in English and the other languages of foreign records: "Retorno: 22/10",
# "Next visit 4/12", "Fecha: 15/3". They are evidence of a date (weak: common fractions
# stay out), and a day/month order (22/10) is read after them.
_EN_DATE_LABELS = (
    "Date|DATE|Dated|Visit|Appointment|Appt|Review|Return|Follow-up|Followup|Admission|Discharge|"
    "Retorno|Regreso|Fecha|Datum|Termin|Consulta|Visita|Controle|Rendez-vous|Kontrolle|Wiedervorstellung"
)
_EN_DATE_LABEL_BEFORE = re.compile(rf"(?<![A-Za-z])(?i:{_EN_DATE_LABELS})\.?[ :]*$")
_EN_DATE_LABELS = frozenset(w.lower() for w in _EN_DATE_LABELS.split("|"))
_EN_DATE_WORDS = frozenset(
    {
        *("on", "since", "from", "until", "till", "to", "by", "at", "in", "dated", "date", "visit"),
        *("On", "Since", "From", "Until", "To", "By", "At", "In", "Dated", "Date", "Visit"),
        *("ON", "DATE", "DOB", "admitted", "discharged", "seen"),
    }
)
# Weaker evidence, enough for a month/day that does not look like a common fraction:
# "12/1に胃瘻造設" (but not "1/3に縮小"), after a time or a hand-over/record word, after
# an English date preposition.
_WEAK_AFTER = re.compile(
    r" ?に(?!分|割|希釈|減|増|縮|低下|上昇|改善|悪化|短縮|拡大|相当|な[っるりら]|まで|留|とど|近|以|程|す|対|比)"
)
_WEAK_BEFORE = re.compile(
    r"(?:申し送り|申送り|記録|確認|記載|記入|報告|更新|作成|日勤|夜勤|準夜|深夜|"
    r"[0-9]{1,2}:[0-9]{2}|(?<![A-Za-z])(?:on|since|from|until|till|by|dated|On|Since|From|Until|By))[ :]*$"
)
# The time of day after a month/day: "1/2夜", "8/21 朝", "11/24 夜より", "3/4 午後".
_TIME_OF_DAY_AFTER = re.compile(r" ?(?:朝|昼|夕|夜(?!間)|午前|午後|深夜|未明|早朝|頃|ごろ|未明|[0-9]{1,2}時)")
# Where a date stands even when its numbers look like a fraction (1/10, 2/9, 3/8): after a
# field label and its colon, a closing bracket of a heading, at the head of a line or a
# clause. The caller has already ruled out a scale's name before it.
# A date word heading the noun right before a month/day: 最終排便, 前回受診, 次回予約.
_LEADING_DATE_WORD = re.compile(r"(?:最終|前回|次回|初回|予約|来局)[\u4e00-\u9fff]{0,4}[ :]*$")
_DATE_SLOT_BEFORE = re.compile(
    r"(?:[\u4e00-\u9fff\u30a1-\u30fa\u30fcA-Za-z0-9)]:|[】\]【]|^[・\-*]?|[、。]"
    r"|申し送り|申送り|記録|確認|記入|更新|作成|予約|来局|済) ?$"
)
# Scales whose score may follow a colon or a bracket (MMSE:24/30, MMT(4/5)); any other word
# there labels a field, and a month/day after a field label is a date (GBS:11/15, 評価(7/13),
# Hb 8.6 g/dL(3/19)).
_SCALES = frozenset(
    [
        "MMSE",
        "HDS-R",
        "HDSR",
        "MoCA",
        "GCS",
        "JCS",
        "NRS",
        "VAS",
        "MMT",
        "SPS",
        "RBMT",
        "Apgar",
        "Levine",
        "Grade",
        "NYHA",
        "ASA",
        "SOFA",
        "APACHE",
        "FIM",
        "BI",
        "Barthel",
        "PS",
        "ECOG",
        "KPS",
        "CDR",
        "FAST",
        "DESIGN-R",
        "Braden",
        "OHAT",
        "MNA",
        "SLTA",
        "WAB",
        "正答",
        "筋力",
        "主食",
        "副食",
        "摂取",
        "疼痛",
    ]
)


def _labelled_slot(score: re.Match[str], word: str) -> bool:
    """Whether the word before a month/day is a field label followed by a colon or a
    bracket rather than a scale: ``GBS:11/15``, ``評価(7/13)``, ``g/dL(3/19)``."""
    sep = score.group()[len(score.group().rstrip(" :=は(")) :]
    if ":" not in sep and "(" not in sep:
        return False
    if not word:  # a Japanese score word: only 評価 also names the day of an assessment
        return score.group().rstrip(" :=は(").endswith("評価")
    return word not in _SCALES and not word[-1].isdigit()  # pN1(2/18) is a stage and a ratio


# A scale named earlier on the line: every n/n after it in the row is one of its scores.
_SCALE_IN_LINE = re.compile(r"MMT|MMSE|HDS-R|GCS|NRS|VAS|徒手筋力|筋力|握力|視力|聴力")
# A ratio something changes to or by: "5/6に減量", "2/3に縮小".
_CHANGE_AFTER = re.compile(r" ?に(?:分|割|希釈|減|増|縮|低下|上昇|改善|悪化|短縮|拡大|相当|な[っるりら])")
# "鵜飼 2/21" closing a line: the date a signer wrote after a name or an initial.
_SIGNED_BEFORE = re.compile(r"(?:^|[\s:、)】])(?:[\u30a1-\u30fa\u30fc\u4e00-\u9fff々]{1,6}|[A-Z]) +$")
_LINE_END = re.compile(r" *(?:\n|$|[】\]」])")
# A month/day opening a clause ("…とし、1/15 見学に同行", "。2/3 退棟"), then a word: like the head
# of a course-record line, but after 、 or 。.
_CLAUSE_HEAD = re.compile(r"[、。,][ ]*$")
_AFTER_CLAUSE_HEAD = re.compile(r"[ ]+[\u30a1-\u30fa\u4e00-\u9fff々A-Za-z]")
# A named value right before a bracketed month/day: "eGFR 38(", "Cr 1.2(", "血糖 180(" — the
# name and the value apart, so "pN1(2/18)" (a stage and a ratio) stays out.
_LAB_VALUE_BEFORE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9\-]*|[\u30a1-\u30fa\u30fc\u4e00-\u9fff]{1,6})[ :]+[0-9]{1,4}(?:\.[0-9]{1,3})?\($"
)
# A month/day standing alone in brackets: "(2/1)"; not a ratio after a stage ("pN1(2/18)").
# A document before a bracketed month/day: the day it was written (評価報告書(5/22)).
_DOCUMENT_BEFORE = re.compile(r"(?:書|票|記録|報告|届|通知|サマリー?)\($")
_BRACKET_BEFORE_BAD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


# 03/15/2024 (US) or 15/03/2024: month and day around, a four-digit year last. The slashed
# scan stops at "03/15/20"; the last two digits of the year follow it.
_YEAR_TAIL = re.compile(r"[0-9]{2}(?![0-9])")
# A two-digit-year date with dots before 生 ("3.9.16生"), after an era written as a form's
# tick list rather than in the date: "1明 2大 3昭 4平 5令 3.9.16", "(昭)・平・令 22年 8月 3日",
# "明・大・昭 7年 11月". The span is the date part, without the list.
_DOTTED_BIRTH = re.compile(r"(?<![0-9.A-Za-z])[0-9]{1,2}\.(?P<m>[0-9]{1,2})\.(?P<d>[0-9]{1,2}) ?(?:出)?$")
_ERA_ITEM = r"(?:[1-5] ?)?\(?[明大昭平令]\)?"
_ERA_BOX = re.compile(
    rf"[明大昭平令]\)?(?:[・･、, ]{{1,2}}{_ERA_ITEM}){{1,4}}[ :]*"
    r"(?P<d>[0-9]{1,2} ?年 ?[0-9]{1,2} ?月(?: ?[0-9]{1,2} ?日)?"
    r"|[0-9]{1,2}[./][0-9]{1,2}(?:[./][0-9]{1,2})?)(?![0-9])"
)
# A month narrowed to ten days is a date without a day or year: "(10月上旬)", "3月末".
# So is a month after a relative year (同年5月, 昨年12月): the month is the date element.
# Both are found from a literal (月, or the year word), then the month number is checked.
_MONTH_PART = re.compile(r"月(?:上旬|中旬|下旬|初旬|末(?![梢端]))")
_MONTH_NUMBER_BEFORE = re.compile(r"(?<![0-9])(?:1[0-2]|[1-9])$")
# A month alone: one or two digits (no year, day or duration around it), then 月, and no
# word that makes it a count (3月齢, 6月間) or part of a longer date (find_dates has those).
# (The look-behind comes after the first digit, so that the scan skips ahead to digits.)
_BARE_MONTH = re.compile(
    r"[1-9](?<![0-9年./\-〜~][1-9])(?:(?<=1)[0-2])?月(?:第[1-5]週|第[1-5][月火水木金土日]曜日?)?"
    r"(?![0-9齢間目毎ごおぶ〜~])"
)
# ... and a day after a relative month (同月15日, 翌月3日): the day only. One scan finds both;
# the number and what follows are checked in _form_dates.
_RELATIVE = re.compile(r"[同昨本今翌前去当](?P<unit>[年月])(?P<n>[0-9]{1,2})(?P<what>[月日])")
_NOT_A_DAY_AFTER = re.compile(r"間|目|後|前|分|以|毎|おき|ごと")
# Dates of Portuguese, Spanish, French and German records: "3 de março de 2024", "15 de marzo
# de 2024", "5 mars 2024", "12. März 2024", "março de 2024" — found from the month name.
_ROMANCE_MONTHS = (
    "janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|"
    "enero|febrero|marzo|mayo|junio|julio|septiembre|octubre|noviembre|diciembre|"
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "Januar|Februar|März|Juni|Juli|Oktober|Dezember"
)
# Plain words in both cases (no [Jj] classes), so that sre skips ahead on their first letters;
# as a prefix trie (longest word first, like the flat alternation sorted by length it
# replaces), so that a letter that starts no month is rejected after one comparison.
_ROMANCE_MONTH = re.compile(
    words_regex({w for m in _ROMANCE_MONTHS.split("|") for w in (m, m[0].upper() + m[1:])})
)
_ROMANCE_DAY_BEFORE = re.compile(r"(?<![0-9])(?:0?[1-9]|[12][0-9]|3[01])(?:º|°|er|\.)? (?:de )?$")
_ROMANCE_YEAR_AFTER = re.compile(r"(?: de|,)? (?:19|20)[0-9]{2}(?![0-9])")
# 15.03.2024 / 15-03-2024: day and month before a four-digit year (find_dates reads year first).
# Found from the year (a scan that starts at every digit would be slow), then the day and month.
_DMY_YEAR = re.compile(r"[.\-](?:19|20)[0-9]{2}")
_DMY_BEFORE = re.compile(r"(?P<a>[0-9]{1,2})(?P<s>[.\-])(?P<b>[0-9]{1,2})$")
_EN_WEEKDAY_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)"
    r"\.?,? $"
)


def _us_date(text: str, m: re.Match[str]) -> int | None:
    """The end of "03/15/2024" or "15/03/2024" when ``m`` matched its "03/15/20"; else None."""
    if m.group("c") not in ("19", "20") or (m.start() > 0 and text[m.start() - 1] in "0123456789/."):
        return None
    tail = _YEAR_TAIL.match(text, m.end())
    if tail is None or (
        text[tail.end() : tail.end() + 1] in ("/", ".") and text[tail.end() + 1 : tail.end() + 2].isdigit()
    ):
        return None
    a, b = m.group("a"), m.group("b")
    return tail.end() if _valid_month_day(a, b) or _valid_month_day(b, a) else None


def _looks_like_fraction(month: int, day: int) -> bool:
    """1/2, 2/3, 3/4, 1/10 …: the common fractions of doses and amounts."""
    return month < day <= 10 and month <= 3


def _slashed_is_date(text: str, m: re.Match[str]) -> float:
    """Score for ``n/n`` or ``nn/n/n``; 0.0 when it is not a date."""
    start, end = m.span()
    if (start > 0 and text[start - 1] in "0123456789/.") or (
        end < len(text)
        and (text[end] in "0123456789/" or (text[end] == "." and text[end + 1 : end + 2].isdigit()))
    ):
        return 0.0  # a piece of 140/90, 2023/4/1 or 1.5/2 (a full stop after it is fine)
    if start > 0 and _is_ascii_letter(text[start - 1]):
        return 0.0  # CD4/8, S9/10 written without a space: a ratio or a segment
    three = m.group("c") is not None
    if three:
        a, b, c = m.group("a"), m.group("b"), m.group("c")
        if _NOT_DATE_AFTER.match(text, end):
            return 0.0
        if len(a) == 2 and _valid_month_day(b, c):
            return 0.75  # nn/n/n is a two-digit-year date in Japanese records
        if len(c) == 2 and _valid_month_day(a, b):
            return 0.7  # 3/15/24: a US month/day/year
        return 0.0
    month, day = int(m.group("a")), int(m.group("b"))
    if not (1 <= day <= 31) or _NOT_DATE_AFTER.match(text, end):
        return 0.0
    before = text[max(0, m.start() - 12) : m.start()].rsplit("\n", 1)[-1]
    if 1 <= month <= 12 and _WEEKDAY_AFTER.match(text, end):
        return 0.85  # 10/14(月・祝): a weekday says it is a date, whatever stands before
    if not 1 <= month <= 12:
        # day/month (22/10) is how European and Latin American records write dates: read
        # only after a date label of those records.
        if 13 <= month <= 31 and 1 <= day <= 12 and _EN_DATE_LABEL_BEFORE.search(before):
            return 0.75
        return 0.0
    if _LEADING_DATE_WORD.search(before) and not _looks_like_fraction(month, day):
        return 0.8  # "最終排便 8/10", "前回採血 9/14": the date word governs the noun after it
    score = _SCORE_BEFORE.search(before)
    labelled = score is not None and _labelled_slot(score, score.group("word") or "")
    if (
        score is not None
        and (word := score.group("word") or "") not in _EN_DATE_WORDS
        and (word.lower() not in _EN_DATE_LABELS)
        and not labelled
    ):
        return 0.0  # a test score or a ratio after its scale's name
    if _CONTEXT_AFTER.match(text, m.end()) or _CONTEXT_BEFORE.search(before):
        return 0.8
    if _LINE_HEAD.fullmatch(before) and _AFTER_LINE_HEAD.match(text, end):
        return 0.75  # "4/1 BT 38.5℃", "4/1：解熱": a dated line of a course record
    if _TIME_OF_DAY_AFTER.match(text, end) and not _SCORE_NEAR.search(before):
        return 0.75  # "1/2夜には", "8/21 朝", "11/24 夜より": a day and the time of it
    if _looks_like_fraction(month, day):
        # "経過:1/10 急性心筋梗塞", "】3/8 訪問", "\n3/7、電話": a date's place. Not 1/2 … 3/4,
        # the fractions of doses and amounts (残量:1/3, 分割:1/2).
        if (
            day >= 5
            and _DATE_SLOT_BEFORE.search(before)
            and not _SCORE_NEAR.search(before)
            and not _CHANGE_AFTER.match(text, end)
        ):
            return 0.65
        return 0.0
    if _WEAK_BEFORE.search(before) or _WEAK_AFTER.match(text, end) or _EN_DATE_LABEL_BEFORE.search(before):
        return 0.7
    if (
        start > 0
        and text[start - 1] == "("
        and text[end : end + 1] == ")"
        and _DOCUMENT_BEFORE.search(before)
    ):
        return 0.7  # "嚥下評価報告書(5/22)", "同意書(4/3)": the date of a document
    if _SCORE_NEAR.search(before) and not labelled:
        return 0.0  # "筋力低下(4/5)", "疼痛は軽度 7/10"
    if _CLAUSE_HEAD.search(before) and _AFTER_CLAUSE_HEAD.match(text, end):
        return 0.7  # "…とし、1/15 見学に同行": a month/day opening a clause, then an event
    if (
        start > 0
        and text[start - 1] == "("
        and text[end : end + 1] == ")"
        and _LAB_VALUE_BEFORE.search(before)
    ):
        return 0.7  # "eGFR 38(6/20)", "HbA1c 7.2(3/15)": the day a value was measured
    if (
        start > 0
        and text[start - 1] == "("
        and text[end : end + 1] == ")"
        and (start < 2 or text[start - 2] not in _BRACKET_BEFORE_BAD)
    ):
        return 0.7  # "(2/1)": a month/day alone in brackets
    if _SCORE_LIKE_BEFORE.search(before) or _CHANGE_AFTER.match(text, end):
        return 0.0  # "呼称 3/20", "主要症状 5/6", "5/6に減量": a count or a ratio
    line = text[max(0, start - 60) : start].rsplit("\n", 1)[-1]
    if _SCALE_IN_LINE.search(line):
        return 0.0  # "MMT 下肢 3/5、上肢 4/5", "MMT(右/左):腸腰筋 4/4": scores of one scale in a row
    if _SIGNED_BEFORE.search(before) and _LINE_END.match(text, end):
        return 0.65
    # Nothing says "score" and the numbers are no common fraction: in clinical prose a
    # month/day is by far the likelier reading ("2/20の受診時", "9/5か9/6の午後", "10/10改修予定").
    # Held-out text showed these dates missed far more often than any such pair was a ratio.
    return 0.6


def _is_anatomy(text: str, start: int, end: int) -> bool:
    """True for a segment, vertebra or tumour stage that find_dates reads as a letter-era
    year-month: S9/10 (昭和9年10月), T11-12, T2-3N0M0 (大正2年3月)."""
    if text[start] not in "STst":
        return False
    return _ANATOMY_LIKE.fullmatch(text, start, end) is not None or (
        text[start] in "Tt" and _TNM.match(text, end) is not None
    )


@RECOGNIZERS.register("dates.date")
class DateRecognizer(Recognizer):
    """Dates (DATE): 和暦/西暦 forms via find_dates (impossible dates included), letter-era
    years (S60年), nn/n/n, and n/n with a clinical date context; weekday and time included."""

    labels: ClassVar[tuple[str, ...]] = ("DATE",)
    priority: ClassVar[int] = 55

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        found: list[tuple[int, int, float]] = []
        for start, end, ok in _find_dates(text):
            if _is_anatomy(text, start, end):
                continue
            found.append((start, end, 0.95 if ok else 0.8))
        for m in _LETTER_YEAR.finditer(text):
            found.append((m.start(), m.end(), 0.85))
        for m in _BARE_LETTER_YEAR.finditer(text):
            if m.start() == 0 or text[m.start() - 1] in " (、,\n:":
                found.append((m.start(), m.end(), 0.7))
        if "/" in text:
            for m in _SLASHED.finditer(text):
                score = _slashed_is_date(text, m)
                if score:
                    found.append((m.start(), m.end(), score))
                elif (year := _us_date(text, m)) is not None:
                    found.append((m.start(), year, 0.85))
        for m in _COMPACT.finditer(text):
            start, end = m.span()
            if (start > 0 and text[start - 1].isalnum() and text[start - 1].isascii()) or (
                end < len(text) and text[end].isascii() and text[end].isalnum()
            ):
                continue
            if _COMPACT_AFTER.match(text, end) or _COMPACT_BEFORE_WORDS.search(
                text, max(0, start - 12), start
            ):
                found.append((start, end, 0.8))
        found += _english_dates(text)
        found += _foreign_dates(text)
        found += _form_dates(text)
        found += _more_dates(text)
        return _extend_and_dedupe(text, found)


# 令和6.4.10, 昭53.10.14: a kanji era (or its first character) with a dotted or slashed date.
_KANJI_ERA_DOTTED = re.compile(
    r"(?:明治|大正|昭和|平成|令和|明|大|昭|平|令)(?:元|[0-9]{1,2})[./](?:1[0-2]|0?[1-9])[./](?:3[01]|[12][0-9]|0?[1-9])(?![0-9])"
)
# Timestamps of exports and messages: 20240716093512, 202407160610 (a date, then a time).
_TIMESTAMP = re.compile(_YMD + r"(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9])?(?![0-9])")
# An eight-digit date between the separators of a record or a file name: |19520227|,
# IMG_20240701_0805.jpg, schedule_20250303.csv.
_COMPACT_FIELD = re.compile(rf"[|_^~,\t](?P<d>{_YMD})(?=[|_^~.,\t\n]|$)")
# Dates of the receipt (UKE) records: RE/SY/SI/IY… lines, where a date is G+YYMMDD (5060603
# is 令和6年6月3日; 1–5 = 明治 … 令和) or a billing month YYYYMM.
_RECEIPT_LINE = re.compile(r"^(?:IR|RE|HO|KO|SY|SI|IY|TO|CO|SJ|TI|JD|MF|GO|SN),[^\n]*", re.MULTILINE)
_RECEIPT_DATE = re.compile(
    r"(?<=,)(?:[1-5][0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2]))(?=,|$)"
)
# A year after an English preposition: "in 2017", "since 2021" (found from the letter before
# the space, so that the scan skips ahead on a character set; the word is checked in Python).
_EN_YEAR = re.compile(r"[a-zA-Z] (?P<y>(?:19|20)[0-9]{2})(?![0-9])")
_EN_YEAR_WORD = re.compile(r"(?<![A-Za-z])(?:in|since|from|until|by|In|Since|From|Until|By)\Z")
# A day alone with the time of day: "17日午後か20日午前なら", "5日の夕方" (found from 日, then
# the number before it is read).
_DAY_WITH_TIME = re.compile(r"日(?=の?(?:午前|午後|夕方|朝|夜(?!間)|昼))")
_DAY_NUMBER_BEFORE = re.compile(r"(?<![0-9月/])(?:3[01]|[12][0-9]|[1-9])\Z")


_YEAR_WITH_ERA = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}年\((?:令和|平成|昭和|大正|明治)(?:元|[0-9]{1,2})年\)"
    r"(?:(?:1[0-2]|[1-9])月(?:(?:3[01]|[12][0-9]|[1-9])日)?)?(?:頃|ごろ)?"
)


def _more_dates(text: str) -> list[tuple[int, int, float]]:
    """Era dates with dots, timestamps, compact dates in fields, English years, days with a
    time of day."""
    out: list[tuple[int, int, float]] = []
    if "." in text or "/" in text:
        out += [(m.start(), m.end(), 0.85) for m in _KANJI_ERA_DOTTED.finditer(text)]
    out += [
        (m.start(), m.end(), 0.8)
        for m in _TIMESTAMP.finditer(text)
        if not text[m.start() - 1 : m.start()].isdigit()
    ]
    if "|" in text or "_" in text or "^" in text or "," in text or "\t" in text:
        out += [(m.start("d"), m.end("d"), 0.75) for m in _COMPACT_FIELD.finditer(text)]
    if "," in text:
        for line in _RECEIPT_LINE.finditer(text):
            out += [
                (m.start(), m.end(), 0.75) for m in _RECEIPT_DATE.finditer(text, line.start(), line.end())
            ]
    for m in _EN_YEAR.finditer(text):
        if _EN_YEAR_WORD.search(text, max(0, m.start() - 6), m.start() + 1):
            out.append((m.start("y"), m.end("y"), 0.7))
    if "年(" in text:  # 2021年(令和3年)9月12日: one date written in both calendars
        out += [(m.start(), m.end(), 0.9) for m in _YEAR_WITH_ERA.finditer(text)]
    if "日" in text:
        for m in _DAY_WITH_TIME.finditer(text):
            day = _DAY_NUMBER_BEFORE.search(text, max(0, m.start() - 3), m.start())
            if day is not None:
                out.append((day.start(), m.end(), 0.7))
    return out


def _valid_month_day(month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def _form_dates(text: str) -> list[tuple[int, int, float]]:
    """Dates of forms and foreign records: 03/15/2024, "3.9.16生", an era ticked in a
    list before the date (明・大・昭 7年 11月), and a month with 上旬/中旬/下旬."""
    out: list[tuple[int, int, float]] = []
    pos = text.find("生")
    while pos != -1:
        m = _DOTTED_BIRTH.search(text, max(0, pos - 10), pos)
        if m is not None and _valid_month_day(m.group("m"), m.group("d")):
            out.append((m.start(), m.start() + len(m.group().rstrip(" 出")), 0.8))
        pos = text.find("生", pos + 1)
    if "昭" in text:  # every era list on a form for living people includes 昭(和)
        for m in _ERA_BOX.finditer(text):
            out.append((m.start("d"), m.end("d"), 0.8))
    if "月" in text:
        for m in _BARE_MONTH.finditer(text):
            # "12月予定", "9月以降", "10月頃", "11月分", "11月第2週": a month alone is a date
            # element too (the day and year are elsewhere, or left out).
            out.append((m.start(), m.end(), 0.65))
        for m in _MONTH_PART.finditer(text):
            number = _MONTH_NUMBER_BEFORE.search(text, max(0, m.start() - 3), m.start())
            if number is not None:
                out.append((number.start(), m.end(), 0.75))
        for m in _RELATIVE.finditer(text):
            n, end = int(m.group("n")), m.end()
            if m.group("unit") == "年" and m.group("what") == "月" and 1 <= n <= 12:
                if not text[end : end + 1].isdigit():  # 同年5月3日: find_dates has the whole date
                    out.append((m.start("n"), end, 0.75))
            elif (
                m.group("unit") == "月"
                and m.group("what") == "日"
                and 1 <= n <= 31
                and m.group()[0] in "同翌前当今"
                and not _NOT_A_DAY_AFTER.match(text, end)
            ):
                out.append((m.start("n"), end, 0.75))
    return out


def _find_dates(text: str) -> list[tuple[int, int, bool]]:
    """find_dates over the runs that can hold a date; (start, end, possible) per date.

    Every date find_dates reads is made of _RUN_CHARS and holds a core (年, 月, or a
    西暦/letter-era year and its separator); the characters around such a run are none of digits,
    letters or kanji numerals, so its look-arounds decide exactly as on the whole text.
    """
    out: list[tuple[int, int, bool]] = []
    done = 0
    for core in _CORE.finditer(text):
        if core.start() < done:
            continue
        start = core.start()
        while start > done and text[start - 1] in _RUN_SET:
            start -= 1
        done = _RUN.match(text, core.start()).end()
        out.extend(
            (start + m.start, start + m.end, m.error is None)
            for m in find_dates(text[start:done], normalized=True)
        )
    return out


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _foreign_dates(text: str) -> list[tuple[int, int, float]]:
    """ "3 de março de 2024", "5 mars 2024", "março de 2024", and 15.03.2024."""
    out: list[tuple[int, int, float]] = []
    for m in _ROMANCE_MONTH.finditer(text):
        start, end = m.span()
        if (start > 0 and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
            continue
        day = _ROMANCE_DAY_BEFORE.search(text, max(0, start - 8), start)
        year = _ROMANCE_YEAR_AFTER.match(text, end)
        if day is not None or year is not None:
            out.append((day.start() if day else start, year.end() if year else end, 0.85))
    if "." in text or "-" in text:
        for year in _DMY_YEAR.finditer(text):
            m = _DMY_BEFORE.search(text, max(0, year.start() - 5), year.start())
            if m is None or m.group("s") != year.group()[0]:
                continue
            start, end = m.start(), year.end()
            if (start > 0 and (_is_ascii_alnum(text[start - 1]) or text[start - 1] in ".-/")) or (
                end < len(text)
                and (text[end].isdigit() or (text[end] in ".-/" and text[end + 1 : end + 2].isdigit()))
            ):
                continue  # a piece of a version number or a longer code: v1.2.2019, 1.2.2019.3
            a, b = m.group("a"), m.group("b")
            if _valid_month_day(b, a) or _valid_month_day(a, b):
                out.append((start, end, 0.85))
    return out


def _english_dates(text: str) -> list[tuple[int, int, float]]:
    """ "Mar 12, 1945", "12 March 2023", "March 2023" (a month name needs a day or a year)."""
    out: list[tuple[int, int, float]] = []
    for m in _EN_MONTH.finditer(text):
        start, end = m.span()
        if (start > 0 and _is_ascii_letter(text[start - 1])) or (
            end < len(text) and _is_ascii_letter(text[end])
        ):
            continue  # "Marker", "Decrease", "sMay"
        day = _EN_DAY_BEFORE.search(text, max(0, start - 10), start)
        if day is not None:
            year = _EN_YEAR_AFTER.match(text, end)
            out.append((day.start(), year.end() if year else end, 0.85))
            continue
        after = _EN_AFTER.match(text, end)
        if after is not None:
            out.append((start, after.end(), 0.85))
    # "Mon, 15 Jul 2024", "Wednesday, March 6, 2024": the weekday before belongs to the date
    for i, (start, end, score) in enumerate(out):
        weekday = _EN_WEEKDAY_BEFORE.search(text, max(0, start - 12), start)
        if weekday is not None:
            out[i] = (weekday.start(), end, score)
    return out


def _extend_and_dedupe(text: str, found: list[tuple[int, int, float]]) -> list[Span]:
    """Add a following weekday/time (or the end day of a range, 4月1日〜3日) to each date,
    then drop dates inside another."""
    spans: list[Span] = []
    for start, end, score in sorted(found, key=lambda f: (f[0], -f[1])):
        after = _AFTER_DATE.match(text, end)
        end = after.end() if after else end
        if text[end - 1] in "日)" and (day := _DAY_RANGE.match(text, end)) is not None:
            end = day.end()
            after = _AFTER_DATE.match(text, end)
            end = after.end() if after else end
        elif text[end - 1] in "月旬末" and (month := _MONTH_RANGE.match(text, end)) is not None:
            end = month.end()
        if spans and start < spans[-1].end:
            continue  # "R5年" inside "R5年4月1日", or an overlap: the first, longer one wins
        spans.append(Span(start, end, "DATE", score))
    return spans


# --- ages ----------------------------------------------------------------------------------

_KNUM = "〇一二三四五六七八九十百"
_KDIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")}
# Anchored on the unit, so the scan skips ahead on a handful of literal characters.
_AGE_UNIT = re.compile(r"歳|才|代|y/o|y\.o|yo|YO|years old|year-old|years-old|yrs old|yrs")
_NUMBER_BEFORE = re.compile(rf"(?:[0-9]{{1,3}}|[{_KNUM}]{{1,5}})(?P<sp> ?-?)$")
_RANGE_BEFORE = re.compile(rf"(?:[0-9]{{1,3}}|[{_KNUM}]{{1,5}})(?:歳|才)? ?[〜~\-] ?$")
_AGE_PREFIX = re.compile(
    rf"(?:齢|年齢|享年|aged?|age|Age|AGE)[ :は]*(?P<n>[0-9]{{2,3}}|[{_KNUM}]{{2,5}})(?![0-9{_KNUM}])"
)
# "岡田 ミツ様（98）", "女性(92)": a bare number in brackets right after a person is an age.
_BRACKETED = re.compile(r"\((?P<n>[0-9]{2,3})\)")
_PERSON_BEFORE = re.compile(r"(?:様|さん|氏|殿|男性|女性|男|女) ?$")
_ENGLISH_UNITS = frozenset({"y/o", "y.o", "yo", "YO", "years old", "year-old", "years-old", "yrs old", "yrs"})


def kanji_number(raw: str) -> int | None:
    """An Arabic or kanji numeral up to 999: ``92``, ``九十二``, ``百二``, ``九二``; else None."""
    if raw.isascii():
        return int(raw) if raw.isdigit() else None
    if "十" not in raw and "百" not in raw:
        digits = [_KDIGIT.get(c) for c in raw]
        return None if None in digits else int("".join(map(str, digits)))
    value, rest = 0, raw
    for mark, scale in (("百", 100), ("十", 10)):
        head, sep, tail = rest.partition(mark)
        if not sep:
            continue
        if len(head) > 1 or (head and head not in _KDIGIT):
            return None
        value += (_KDIGIT[head] if head else 1) * scale
        rest = tail
    if len(rest) > 1 or (rest and rest not in _KDIGIT):
        return None
    return value + (_KDIGIT[rest] if rest else 0)


@RECOGNIZERS.register("dates.age")
class AgeRecognizer(Recognizer):
    """Ages at or above config.age_threshold (AGE): 92歳, 満95歳, 百歳, 90代, 90歳代, 95 y/o,
    齢90, kanji numerals included; the span is the number and its unit."""

    labels: ClassVar[tuple[str, ...]] = ("AGE",)
    priority: ClassVar[int] = 55

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        threshold = self.config.age_threshold
        found: dict[int, tuple[int, float]] = {}
        for m in _AGE_UNIT.finditer(text):
            hit = self._suffixed(text, m, threshold)
            if hit is not None:
                found[hit[0]] = (hit[1], 0.9)
        for m in _AGE_PREFIX.finditer(text):
            if m.group()[0] in "aA" and m.start() > 0 and text[m.start() - 1].isalpha():
                continue  # the "age" of "page 92"
            value = kanji_number(m.group("n"))
            if value is not None and threshold <= value < 150 and m.start("n") not in found:
                found[m.start("n")] = (m.end("n"), 0.85)
        for m in _BRACKETED.finditer(text):
            value = int(m.group("n"))
            if threshold <= value < 150 and _PERSON_BEFORE.search(text, max(0, m.start() - 3), m.start()):
                found.setdefault(m.start("n"), (m.end("n"), 0.8))
        return [Span(start, end, "AGE", score) for start, (end, score) in sorted(found.items())]

    @staticmethod
    def _suffixed(text: str, unit: re.Match[str], threshold: int) -> tuple[int, int] | None:
        """The span of "<number><unit>" ending at this unit, if the age is high enough."""
        english = unit.group() in _ENGLISH_UNITS
        num = _NUMBER_BEFORE.search(text, max(0, unit.start() - 6), unit.start())
        if num is None or ("-" in num.group("sp") and not english):
            return None
        start = num.start()
        if start > 0 and (text[start - 1].isdigit() or text[start - 1] in _KNUM + "第"):
            return None  # part of a longer number, or an ordinal (第90代)
        if english and unit.end() < len(text) and text[unit.end()].isalpha() and text[unit.end()].isascii():
            return None  # "90 years" is not "90 yrs", "yo" must be a word
        value = kanji_number(text[start : num.end() - len(num.group("sp"))])
        end = unit.end() + (text.startswith("代", unit.end()) and unit.group() in "歳才")
        rng = _RANGE_BEFORE.search(text, max(0, start - 8), start)
        if value is None or value >= 150:
            return None
        if value < threshold:
            return None
        if rng is not None:
            start = rng.start()  # "85〜95歳": the range is the age expression
        return start, end
