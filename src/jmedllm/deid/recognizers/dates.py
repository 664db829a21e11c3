"""Dates (DATE) and ages of 90 and over (AGE).

Dates: :func:`jmedllm.core.jatext.eras.find_dates` already reads every 和暦/西暦 form in
running text (令和5年4月1日, R5.4.1, H31/4/30, 2023-04-01, 4月1日 …) and reports
impossible ones (平成32年) with ``error`` set; those are date-shaped identifiers too and
are kept. This module adds what a date *parser* rightly refuses but a de-identifier must
catch: a letter era with a year only (``S60年``, ``S60生``), ``23/04/01``, and a bare
``4/1`` — the last only with a clinical date context (入院, 退院, 手術, 受診, 生年月日,
``日:`` labels, a range ``4/1〜4/3``, a weekday or a time, or the head of a course-record
line: ``4/1 BT 38.5℃``), because ``1/2錠``, ``3/4`` and ``140/90`` are doses, fractions
and pressures. Also compact ``19450312`` after a date label (or before 生), and English
dates (``Mar 12, 1945``, ``12 March 2023``). Relative forms (第3病日, 術後5日目, 3日前)
are not dates and nothing here matches them.

Decision: a weekday ``(月)`` and a time (``10:30``, ``午後3時``) written right after a
date belong to the DATE span — together they pin down an event, and leaving them would
leak the weekday next to a masked date. So do 上旬/中旬/下旬 after a month and the end day
of a range (``4月1日〜3日``).

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

__all__ = ["AgeRecognizer", "DateRecognizer", "kanji_number"]

# --- dates ---------------------------------------------------------------------------------

_WEEKDAY = r" ?\((?:月|火|水|木|金|土|日)(?:曜日?)?\)"
_TIME = r"(?:[ T]?(?:午前|午後|AM|PM)? ?\d{1,2}(?::\d{2}(?::\d{2})?|時(?!間)(?:\d{1,2}分)?(?:\d{1,2}秒)?))"
# 上旬/中旬/下旬 narrow a year-month to ten days: part of the date expression.
_AFTER_DATE = re.compile(rf"(?:(?<=月)(?:上旬|中旬|下旬|初旬))?(?:{_WEEKDAY})?{_TIME}?")
# The last day of a range whose month is not repeated: 4月1日〜3日.
_DAY_RANGE = re.compile(r" ?[〜~\-] ?(?:[1-9]|[12][0-9]|3[01])日(?!間|目|後|前|分|以|毎|おき|ごと)")
# find_dates runs only on the runs of characters a date can be written with that hold a
# date's core (below): the same dates, a fraction of the scan.
_RUN_CHARS = r"0-9A-Za-z〇一二三四五六七八九十元年月日明治大正昭和平成令 \t./\-"
_RUN_SET = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz〇一二三四五六七八九十元年月日明治大正昭和平成令 \t./-"
)
_RUN = re.compile(f"[{_RUN_CHARS}]*")
# A core: 年 or 月, or the separator after a 西暦 year (2023/4) or a letter-era year (R5.4).
_CORE = re.compile(r"[年月]|(?:1[89]|2[0-2])[0-9]{2}[./\-][0-9]|[MTSHRmtshr]\.?[0-9]{1,2}[./\-][0-9]")
# English month names: "Mar 12, 1945", "12 March 2023", "March 2023".
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_EN_MONTH = re.compile(rf"(?:{_MONTHS})\.?")  # word boundaries are checked in Python (ASCII only)
_EN_DAY_BEFORE = re.compile(r"(?<![0-9])(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)? (?:of )?$")
_EN_AFTER = re.compile(
    r" (?:(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?(?![0-9]),? (?:19|20)[0-9]{2}|(?:[1-9]|[12][0-9]|3[01])"
    r"(?:st|nd|rd|th)?(?![0-9:])|(?:19|20)[0-9]{2})(?![0-9])"
)
_EN_YEAR_AFTER = re.compile(r",? (?:19|20)[0-9]{2}(?![0-9])")
# A letter era with a year only: the parser needs a month, but "S60年", "S60生" and "H15〜"
# are years. Without 年 a following word must say so: S1/S2 heart sounds, T2 images and
# H2 blockers are not years.
# The look-behind sits after the letter so that the scan can skip ahead to M/T/S/H/R.
_LETTER_YEAR = re.compile(r"[MTSHR](?<![A-Za-z0-9].)(?:元|[0-9]{1,2})(?:年|(?=生|頃|〜|~|から|より|まで))")
# n/n and nn/n/n; whether they are dates is decided from their context.
# Boundaries are checked in Python (_slashed_bounded): a look-behind first would stop sre
# from skipping ahead to digits.
_SLASHED = re.compile(r"(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})(?:/(?P<c>[0-9]{1,2}))?")
_DATE_WORDS = (
    "入院|退院|受診|手術|生年月日|誕生日|初診|再診|来院|外来|発症|受傷|死亡|転院|検査|施行|"
    "日付|日時|予定|開始|終了|採血|撮影|実施|前回|次回|最終|紹介|月日"
)
_CONTEXT_BEFORE = re.compile(rf"(?:{_DATE_WORDS})|(?<![0-9])日[ :]*$|[0-9]{{1,2}}/[0-9]{{1,2}} ?[〜~\-] ?$")
# Compact 20230401 / 19450312: a date only where a date label stands just before it, or
# 生/生まれ right after it; elsewhere eight digits are as likely an ID or a count.
_COMPACT = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
_COMPACT_AFTER = re.compile(r"生|出生")
_COMPACT_BEFORE_WORDS = re.compile(rf"(?:{_DATE_WORDS}|DOB|[Dd]ate|[Bb]irth|生)日?[ :]*$|日[ :]*$")
_CONTEXT_AFTER = re.compile(
    rf" ?(?:[〜~\-] ?[0-9]{{1,2}}/[0-9]{{1,2}}|[〜~](?![0-9])|より|から|まで|に(?:て|{_DATE_WORDS})"
    rf"|(?:当院|当科|他院|同院|近医|前医)?(?:{_DATE_WORDS})|{_WEEKDAY}"
    rf"| [0-9]{{1,2}}:[0-9]{{2}}|、[0-9]{{1,2}}/[0-9]{{1,2}})"
)
# Doses and amounts: "1/2錠", "1/3量", "2/3程度" are never dates, whatever precedes them.
_NOT_DATE_AFTER = re.compile(
    r" ?(?:錠|包|本|T|A|V|量|程度|回|杯|倍|mg|ml|mL|g|%|以下|以上|周|ずつ|希釈|cm|mm|分割)"
)
# n/n at the head of a line (after an optional bullet), then a space, colon or bracket:
# the date of a progress-note entry.
_LINE_HEAD = re.compile(r"[ \t]*(?:[・\-*●○■□◆◇>]|[0-9]{1,2}[.)])?[ \t]*")
_AFTER_LINE_HEAD = re.compile(r"[ \t]*[:)]|[ \t]+[^\s0-9ぁ-ゖ]")
_TNM = re.compile(r"[a-c]?N[0-3x]|M[01x]")
# S1–S12 and T1–T12 are lung/liver segments and vertebrae (S9/10, S4-5, T11-12) far more
# often than 昭和/大正 year-months; with a day (S4.5.6) or 年 they stay dates.
_ANATOMY_LIKE = re.compile(r"[STst]\.?(?:[1-9]|1[0-2])[/\-.][0-9]{1,2}")


def _slashed_is_date(text: str, m: re.Match[str]) -> float:
    """Score for ``n/n`` or ``nn/n/n``; 0.0 when it is not a date."""
    start, end = m.span()
    if (start > 0 and text[start - 1] in "0123456789/.") or (end < len(text) and text[end] in "0123456789/."):
        return 0.0  # a piece of 140/90, 2023/4/1 or 1.5/2
    three = m.group("c") is not None
    if three and len(m.group("a")) != 2:
        return 0.0
    month, day = (int(m.group("b")), int(m.group("c"))) if three else (int(m.group("a")), int(m.group("b")))
    if not (1 <= month <= 12 and 1 <= day <= 31) or _NOT_DATE_AFTER.match(text, end):
        return 0.0
    if three:
        return 0.75  # nn/n/n is a two-digit-year date in Japanese records
    before = text[max(0, m.start() - 10) : m.start()].rsplit("\n", 1)[-1]
    if _CONTEXT_AFTER.match(text, m.end()) or _CONTEXT_BEFORE.search(before):
        return 0.8
    if _LINE_HEAD.fullmatch(before) and _AFTER_LINE_HEAD.match(text, end):
        return 0.75  # "4/1 BT 38.5℃", "4/1：解熱": a dated line of a course record
    return 0.0


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
        if "/" in text:
            for m in _SLASHED.finditer(text):
                score = _slashed_is_date(text, m)
                if score:
                    found.append((m.start(), m.end(), score))
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
        return _extend_and_dedupe(text, found)


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


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


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
