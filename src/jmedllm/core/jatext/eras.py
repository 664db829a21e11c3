"""Japanese era (和暦) and Western (西暦) dates in clinical text.

* :func:`parse_date` reads one whole string as a date: ``令和5年4月1日``, ``R5.4.1``,
  ``㍻31年4月30日``, ``昭和六十年一月二日``, ``2023-04-01``, ``20230401``, ``4月1日`` ...
* :func:`find_dates` finds dates inside running text; offsets index the original text.
  Date-shaped strings naming a day that never existed (``平成32年4月1日``) are still
  reported, with ``value=None`` and ``error`` set, because a de-identifier must redact them.
* :func:`to_wareki` / :func:`to_iso` format dates.

Precision may be a year, a year and month, a full date, or a month and day without a year.
Impossible dates raise :class:`~jmedllm.core.errors.EraDateError`; messages quote at most
a short piece of the input, since the input may be clinical text.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from jmedllm.core.errors import EraDateError

__all__ = ["ERAS", "DateMatch", "Era", "JapaneseDate", "find_dates", "parse_date", "to_iso", "to_wareki"]

Precision = Literal["day", "month", "year"]


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era: its name, its one-letter abbreviation and its first and last day."""

    name: str
    letter: str
    start: date
    end: date | None  # None: the current era, still open


# The last day of an era is the day before the next one starts.
ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 10, 23), date(1912, 7, 29)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)
_ERA_BY_KEY: dict[str, Era] = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}
_MIN_YEAR, _MAX_YEAR = 1868, 2200  # Western years outside this are more likely typos or IDs
_FORMS_HINT = "write e.g. 令和5年4月1日, R5.4.1, 2023年4月1日, 2023-04-01, 20230401 or 4月1日"


@dataclass(frozen=True, slots=True)
class JapaneseDate:
    """A date of year, year-month, day or month-day (no year) precision.

    ``era``/``era_year`` record the era the source was written in (``None`` for 西暦);
    ``year`` is always the Western year. Construction validates the date.
    """

    year: int | None
    month: int | None = None
    day: int | None = None
    era: str | None = None
    era_year: int | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def precision(self) -> Precision:
        """``"day"`` (also for month-day without a year), ``"month"`` or ``"year"``."""
        return "day" if self.day is not None else "month" if self.month is not None else "year"

    def iso(self) -> str:
        """ISO 8601: ``2023-04-01``, ``2023-04``, ``2023``, or ``--04-01`` without a year."""
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        parts = [f"{self.year:04d}"] + [f"{v:02d}" for v in (self.month, self.day) if v is not None]
        return "-".join(parts)

    def to_date(self) -> date:
        """The :class:`datetime.date`; only a full date (year, month and day) has one."""
        if self.year is None or self.month is None or self.day is None:
            raise EraDateError(
                f"{self.iso()} is not a full date (it has no {'year' if self.year is None else 'day'})",
                hint="use .iso() for partial dates, or check .precision first",
            )
        return date(self.year, self.month, self.day)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in text: ``text[start:end]`` are the original characters.

    ``value`` is ``None`` and ``error`` says why when the date cannot exist.
    """

    start: int
    end: int
    value: JapaneseDate | None
    error: str | None = None


# --- validation -------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _label(jd: JapaneseDate) -> str:
    """The date as written in the source form, for messages (never longer than ~20 chars)."""
    if jd.era is not None and jd.era_year is not None:
        text = f"{jd.era}{'元' if jd.era_year == 1 else jd.era_year}年"
    else:
        text = "" if jd.year is None else f"{jd.year}年"
    if jd.month is not None:
        text += f"{jd.month}月"
    return text + (f"{jd.day}日" if jd.day is not None else "")


def _suggest(year: int, month: int | None, day: int | None) -> str:
    """``did you mean ...?`` with the same Western date in its right era."""
    try:
        return f"did you mean {to_wareki(JapaneseDate(year, month, day))}?"
    except EraDateError:  # month or day invalid too: suggest the year alone
        return f"did you mean {to_wareki(JapaneseDate(year))}?"


def _validate(jd: JapaneseDate) -> None:
    y, m, d = jd.year, jd.month, jd.day
    if (y is not None, m is not None, d is not None) not in {
        (True, False, False),
        (True, True, False),
        (True, True, True),
        (False, True, True),
    }:
        raise EraDateError(
            f"a date needs a year, a year and month, a full date, or a month and day (got {y}/{m}/{d})",
            hint="pass year, year+month, year+month+day, or month+day",
        )
    label = _label(jd)
    era = None
    if jd.era is not None or jd.era_year is not None:
        era = _ERA_BY_KEY.get(jd.era or "")
        if era is None or era.name != jd.era or jd.era_year is None or y is None:
            raise EraDateError(
                f"unknown era or missing era year: era={jd.era!r}, era_year={jd.era_year}",
                hint="era is one of 明治, 大正, 昭和, 平成, 令和 and needs era_year and year",
            )
        if jd.era_year < 1:
            raise EraDateError(
                f"{era.name}{jd.era_year}年 does not exist: an era starts at year 1",
                hint=f"the first year of an era is written 元年 ({era.name}元年)",
            )
        if era.end is not None and y > era.end.year:
            last = era.end.year - era.start.year + 1
            raise EraDateError(
                f"{label} does not exist: {era.name} ended in its {_ordinal(last)} year ({era.end})",
                hint=_suggest(y, m, d),
            )
        if y != era.start.year + jd.era_year - 1:
            raise EraDateError(
                f"{label} is year {era.start.year + jd.era_year - 1}, not {y}",
                hint="leave year as the Western year that era and era_year name",
            )
    if m is not None and not 1 <= m <= 12:
        raise EraDateError(f"{label} does not exist: there is no month {m}", hint="months run from 1 to 12")
    if m is not None and d is not None:
        # Without a year, allow 2月29日: it exists in leap years.
        last_day = calendar.monthrange(2000 if y is None else y, m)[1]
        if not 1 <= d <= last_day:
            where = f"{m}月" if y is None else f"{y}年{m}月"
            leap = f" ({y} is not a leap year)" if m == 2 and d == 29 else ""
            raise EraDateError(
                f"{label} does not exist: {where} has {last_day} days{leap}",
                hint=f"the last day of that month is {m}月{last_day}日",
            )
    if era is not None and y is not None:
        first = date(y, m or 1, d or 1)
        last = date(y, m or 12, d or calendar.monthrange(y, m or 12)[1])
        began = last < era.start
        if began or (era.end is not None and first > era.end):
            when = f"began on {era.start}" if began else f"ended on {era.end}"
            raise EraDateError(f"{label} does not exist: {era.name} {when}", hint=_suggest(y, m, d))


# --- patterns ---------------------------------------------------------------------------

_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_KNUM = "〇一二三四五六七八九十"
_SP = "[ \t]*"
_NUM = f"(?:[0-9]{{1,2}}|[{_KNUM}]{{1,3}})"  # month or day written with 月/日
_ERA_YEAR = f"(?:元|[0-9]{{1,3}}|[{_KNUM}]{{1,4}})"
_NO_NUM_BEFORE = f"(?<![0-9{_KNUM}])"
_NO_ALNUM_BEFORE = "(?<![A-Za-z0-9])"  # so that the S of "ABS5.1" is not 昭和
_NO_NUM_AFTER = "(?![0-9]|[./-][0-9])"  # not the start of "R5.4.12345" or "2023/4/1/2"
_LETTERS = "[MTSHRmtshr]"


def _units(p: str, month_required: bool) -> str:
    """``年`` then optional ``N月`` then optional ``N日``, as named groups ``p_m``/``p_d``."""
    month_day = f"{_SP}(?P<{p}_m>{_NUM}){_SP}月(?:{_SP}(?P<{p}_d>{_NUM}){_SP}日)?"
    return f"{_SP}年(?:{month_day}){'' if month_required else '?'}"


def _compile(strict: bool) -> re.Pattern[str]:
    """One alternation; each branch is a named group whose name says how to read it.

    ``strict`` is the running-text flavour: Western years must look like 1800-2299,
    letter-era and separator forms need a month, and bare ``20230401`` is not a date
    (too likely an ID). The loose flavour reads a whole string and reports bad values.
    """
    west_year = "(?:1[89]|2[0-2])[0-9]{2}" if strict else "[0-9]{4}"
    west_kanji_year = (
        f"{west_year}|[〇一二三四五六七八九]{{4}}" if strict else "[0-9]{1,6}|[〇一二三四五六七八九]{1,6}"
    )
    # In running text only plausible months/days count, so "2019-20" is not a date.
    sm, sd = ("(?:1[0-2]|0?[1-9])", "(?:3[01]|[12][0-9]|0?[1-9])") if strict else ("[0-9]{1,2}",) * 2
    opt = "" if strict else "?"
    branches = [
        f"(?P<ka>(?P<ka_e>明治|大正|昭和|平成|令和){_SP}(?P<ka_y>{_ERA_YEAR}){_units('ka', False)})",
        f"(?P<kl>{_NO_ALNUM_BEFORE}(?P<kl_e>{_LETTERS}){_SP}(?P<kl_y>{_ERA_YEAR}){_units('kl', strict)})",
        f"(?P<sl>{_NO_ALNUM_BEFORE}(?P<sl_e>{_LETTERS})\\.?(?P<sl_y>[0-9]{{1,2}})"
        f"(?:(?P<sl_s>[./-])(?P<sl_m>{sm})(?:(?P=sl_s)(?P<sl_d>{sd}))?){opt}{_NO_NUM_AFTER})",
        f"(?P<wk>{_NO_NUM_BEFORE}(?P<wk_y>{west_kanji_year}){_units('wk', False)})",
        f"(?P<ws>{_NO_NUM_BEFORE}(?P<ws_y>{west_year})(?P<ws_s>[./-])(?P<ws_m>{sm})"
        f"(?:(?P=ws_s)(?P<ws_d>{sd}))?{_NO_NUM_AFTER})",
        f"(?P<md>{_NO_NUM_BEFORE}(?P<md_m>{_NUM}){_SP}月{_SP}(?P<md_d>{_NUM}){_SP}日)",
    ]
    if not strict:
        branches.append("(?P<wc>(?P<wc_y>[0-9]{4})(?P<wc_m>[0-9]{2})(?P<wc_d>[0-9]{2}))")
    return re.compile("|".join(branches))


_WHOLE = _compile(strict=False)
_IN_TEXT = _compile(strict=True)
# NFKC folds the full-width hyphen but not these; clinical text uses them all as separators.
_DASHES = str.maketrans(dict.fromkeys("−‐‑–﹣", "-"))


def _to_int(raw: str) -> int:
    """ASCII digits, digit-style kanji (二〇二三) or 十-style kanji (二十三, up to 99)."""
    if raw.isascii():
        return int(raw)
    if "十" not in raw:
        return int("".join(str(_KANJI_DIGITS[c]) for c in raw))
    tens, _, units = raw.partition("十")
    if len(tens) > 1 or len(units) > 1 or "〇" in tens + units or "十" in units:
        raise EraDateError(f"cannot read the kanji number {raw!r}", hint="write e.g. 二十三 or 二〇二三")
    return 10 * (_KANJI_DIGITS[tens] if tens else 1) + (_KANJI_DIGITS[units] if units else 0)


def _from_match(m: re.Match[str]) -> JapaneseDate:
    kind = m.lastgroup  # the branch: its group closes last
    fields = {f: m.group(f"{kind}_{f}") if f"{kind}_{f}" in m.re.groupindex else None for f in "eymd"}
    month = _to_int(fields["m"]) if fields["m"] else None
    day = _to_int(fields["d"]) if fields["d"] else None
    if fields["e"]:
        era = _ERA_BY_KEY[fields["e"].upper()]
        era_year = 1 if fields["y"] == "元" else _to_int(fields["y"] or "")
        return JapaneseDate(era.start.year + era_year - 1, month, day, era.name, era_year)
    year = _to_int(fields["y"]) if fields["y"] else None
    if year is not None and not _MIN_YEAR <= year <= _MAX_YEAR:
        raise EraDateError(
            f"year {year} is implausible: Western years must be between {_MIN_YEAR} and {_MAX_YEAR}",
            hint="check the year for a typo",
        )
    return JapaneseDate(year, month, day)


def _clip(text: str, limit: int = 16) -> str:
    # Any date form fits in 16 characters; longer input is likely clinical text that may
    # carry names, so only its length is shown.
    return repr(text) if len(text) <= limit else f"a {len(text)}-character text"


# --- public functions -------------------------------------------------------------------


def parse_date(text: str) -> JapaneseDate:
    """Read the whole of ``text`` (surrounding whitespace ignored) as one date.

    Raises :class:`EraDateError` when it is not a date or names a day that never existed.
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    match = _WHOLE.fullmatch(cleaned)
    if match is None:
        raise EraDateError(f"cannot read {_clip(text.strip())} as a date", hint=_FORMS_HINT)
    return _from_match(match)


def to_iso(text: str) -> str:
    """``parse_date(text).iso()``: ``令和5年4月1日`` → ``2023-04-01``."""
    return parse_date(text).iso()


def _era_for(jd: JapaneseDate) -> Era:
    """The era to write a Western date in.

    A full date uses the era holding that day; a year-month the era holding the month's
    first day (so 2019年5月 → 令和元年5月); a year alone the era holding its last day
    (so 2019 → 令和元年, 1989 → 平成元年). A span that begins before 明治 but reaches
    into it (1868年10月) is written in 明治.
    """
    assert jd.year is not None and jd.era is None
    ref = date(jd.year, jd.month, jd.day or 1) if jd.month else date(jd.year, 12, 31)
    last = date(jd.year, jd.month or 12, jd.day or calendar.monthrange(jd.year, jd.month or 12)[1])
    for era in reversed(ERAS):
        if era.start <= ref:
            return era
    if last >= ERAS[0].start:
        return ERAS[0]
    raise EraDateError(
        f"{jd.iso()} is before 明治 began ({ERAS[0].start}); 和暦 conversion starts there",
        hint="keep earlier dates in 西暦",
    )


def to_wareki(
    value: date | str | JapaneseDate,
    *,
    style: Literal["kanji", "letter"] = "kanji",
    gannen: bool = True,
) -> str:
    """Write a date in 和暦: ``令和5年4月1日`` (``style="kanji"``) or ``R5.4.1`` (``"letter"``).

    Strings are read with :func:`parse_date`. A :class:`JapaneseDate` that records its
    source era keeps it (``H31`` stays ``平成31年``); otherwise see :func:`_era_for`.
    ``gannen`` writes year 1 as ``元年`` in the kanji style (the letter style never does).
    """
    if isinstance(value, str):
        jd = parse_date(value)
    elif isinstance(value, JapaneseDate):
        jd = value
    else:
        jd = JapaneseDate(value.year, value.month, value.day)
    if jd.year is None:
        raise EraDateError(f"{_label(jd)} has no year to convert to 和暦", hint="add the year")
    era = _ERA_BY_KEY[jd.era] if jd.era is not None else _era_for(jd)
    era_year = jd.year - era.start.year + 1
    if style == "letter":
        return era.letter + ".".join(str(v) for v in (era_year, jd.month, jd.day) if v is not None)
    if style != "kanji":
        raise EraDateError(f"unknown style {style!r}", hint="use style='kanji' or style='letter'")
    text = f"{era.name}{'元' if gannen and era_year == 1 else era_year}年"
    if jd.month is not None:
        text += f"{jd.month}月"
    return text + (f"{jd.day}日" if jd.day is not None else "")


def find_dates(text: str, *, normalized: bool = False) -> list[DateMatch]:
    """Every date in running text, in order; ``text[m.start:m.end]`` is the original date.

    Needs year and month for letter-era (``R5.4``) and separator forms (``2023/4``);
    ``令和元年``, ``2023年4月`` and ``4月1日`` count; compact ``20230401`` does not.
    Impossible dates come back with ``value=None`` and ``error`` set. Pass
    ``normalized=True`` when ``text`` already went through :func:`normalize` (the
    de-identification engine does): normalising twice costs time and changes nothing.
    """
    from jmedllm.core.jatext.normalization import normalize

    if normalized:
        clean, to_original = text, None
    else:
        clean, offsets = normalize(text)
        to_original = offsets.to_original
    found: list[DateMatch] = []
    for match in _IN_TEXT.finditer(clean):
        start, end = to_original(match.start(), match.end()) if to_original else match.span()
        try:
            found.append(DateMatch(start, end, _from_match(match)))
        except EraDateError as err:
            found.append(DateMatch(start, end, None, err.one_line()))
    return found
