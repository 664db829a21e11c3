"""Tests for jmedllm.core.jatext.eras: 和暦/西暦 parsing, formatting and finding dates in text."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jmedllm.core.errors import EraDateError
from jmedllm.core.jatext.eras import (
    ERAS,
    DateMatch,
    Era,
    JapaneseDate,
    find_dates,
    parse_date,
    to_iso,
    to_wareki,
)

# --- the era table ----------------------------------------------------------------------


def test_era_table() -> None:
    assert [(e.name, e.letter, e.start) for e in ERAS] == [
        ("明治", "M", date(1868, 10, 23)),
        ("大正", "T", date(1912, 7, 30)),
        ("昭和", "S", date(1926, 12, 25)),
        ("平成", "H", date(1989, 1, 8)),
        ("令和", "R", date(2019, 5, 1)),
    ]
    assert all(isinstance(e, Era) for e in ERAS)
    for era, nxt in pairwise(ERAS):
        assert era.end is not None and (nxt.start - era.end).days == 1
    assert ERAS[-1].end is None
    with pytest.raises(AttributeError):
        ERAS[0].name = "x"  # type: ignore[misc]


# --- parse_date: accepted forms ---------------------------------------------------------

WAREKI_KANJI = [
    ("令和5年4月1日", 2023, 4, 1, "令和", 5),
    ("令和元年", 2019, None, None, "令和", 1),
    ("令和元年5月", 2019, 5, None, "令和", 1),
    ("平成31年4月30日", 2019, 4, 30, "平成", 31),
    ("令和 5 年 4 月 1 日", 2023, 4, 1, "令和", 5),
    ("㍻31年4月30日", 2019, 4, 30, "平成", 31),
    ("㋿5年4月1日", 2023, 4, 1, "令和", 5),
    ("㍼60年1月2日", 1985, 1, 2, "昭和", 60),
    ("令和５年４月１日", 2023, 4, 1, "令和", 5),
    ("令和　５年", 2023, None, None, "令和", 5),
    ("昭和六十年一月二日", 1985, 1, 2, "昭和", 60),
    ("平成三十一年四月三十日", 2019, 4, 30, "平成", 31),
    ("昭和六四年一月七日", 1989, 1, 7, "昭和", 64),
    ("令和元年十二月三十一日", 2019, 12, 31, "令和", 1),
    ("明治元年10月23日", 1868, 10, 23, "明治", 1),
    ("大正元年7月30日", 1912, 7, 30, "大正", 1),
    ("昭和64年1月", 1989, 1, None, "昭和", 64),
    ("  令和5年  ", 2023, None, None, "令和", 5),
]

WAREKI_LETTER = [
    ("R5.4.1", 2023, 4, 1, "令和", 5),
    ("H31/4/30", 2019, 4, 30, "平成", 31),
    ("S60.1.2", 1985, 1, 2, "昭和", 60),
    ("R05-04-01", 2023, 4, 1, "令和", 5),
    ("H.31.4.30", 2019, 4, 30, "平成", 31),
    ("R5年4月1日", 2023, 4, 1, "令和", 5),
    ("R元年5月1日", 2019, 5, 1, "令和", 1),
    ("S60", 1985, None, None, "昭和", 60),
    ("H31", 2019, None, None, "平成", 31),
    ("r5.4.1", 2023, 4, 1, "令和", 5),
    ("h31/4/30", 2019, 4, 30, "平成", 31),
    ("T15.12.24", 1926, 12, 24, "大正", 15),
    ("M45.7.29", 1912, 7, 29, "明治", 45),
    ("R5.4", 2023, 4, None, "令和", 5),
    ("Ｒ５．４．１", 2023, 4, 1, "令和", 5),
    ("R5－4－1", 2023, 4, 1, "令和", 5),
]

SEIREKI = [
    ("2023年4月1日", 2023, 4, 1),
    ("2023/4/1", 2023, 4, 1),
    ("2023-04-01", 2023, 4, 1),
    ("2023.4.1", 2023, 4, 1),
    ("2023年4月", 2023, 4, None),
    ("2023/04", 2023, 4, None),
    ("2023年", 2023, None, None),
    ("20230401", 2023, 4, 1),
    ("２０２３年４月１日", 2023, 4, 1),
    ("２０２３／４／１", 2023, 4, 1),
    ("二〇二三年四月一日", 2023, 4, 1),
    ("2023−04−01", 2023, 4, 1),
    ("2024年2月29日", 2024, 2, 29),
    ("1868年1月1日", 1868, 1, 1),
    ("2200年12月31日", 2200, 12, 31),
]


@pytest.mark.parametrize(("text", "year", "month", "day", "era", "era_year"), WAREKI_KANJI + WAREKI_LETTER)
def test_parse_wareki(
    text: str, year: int, month: int | None, day: int | None, era: str, era_year: int
) -> None:
    assert parse_date(text) == JapaneseDate(year, month, day, era, era_year)


@pytest.mark.parametrize(("text", "year", "month", "day"), SEIREKI)
def test_parse_seireki(text: str, year: int, month: int | None, day: int | None) -> None:
    parsed = parse_date(text)
    assert (parsed.year, parsed.month, parsed.day) == (year, month, day)
    assert parsed.era is None and parsed.era_year is None


@pytest.mark.parametrize(
    ("text", "month", "day"),
    [
        ("4月1日", 4, 1),
        ("十二月二十五日", 12, 25),
        ("2月29日", 2, 29),
        ("４月１日", 4, 1),
        ("1 月 31 日", 1, 31),
    ],
)
def test_parse_month_day(text: str, month: int, day: int) -> None:
    parsed = parse_date(text)
    assert parsed == JapaneseDate(None, month, day)
    assert parsed.precision == "day"
    assert parsed.iso() == f"--{month:02d}-{day:02d}"


# --- parse_date: rejections -------------------------------------------------------------


def _error(text: str) -> EraDateError:
    with pytest.raises(EraDateError) as info:
        parse_date(text)
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.parametrize("text", ["令和0年", "平成0年4月1日", "R0.4.1", "令和〇年"])
def test_era_year_zero(text: str) -> None:
    err = _error(text)
    assert "does not exist" in str(err)
    assert err.hint is not None and "元年" in err.hint


@pytest.mark.parametrize(
    ("text", "era", "last_year", "suggestion"),
    [
        ("平成32年", "平成", "31st", "令和2年"),
        ("平成32年4月1日", "平成", "31st", "令和2年4月1日"),
        ("H32.4.1", "平成", "31st", "令和2年4月1日"),
        ("昭和65年", "昭和", "64th", "平成2年"),
        ("大正16年", "大正", "15th", "昭和2年"),
        ("明治46年", "明治", "45th", "大正2年"),
    ],
)
def test_era_year_past_end(text: str, era: str, last_year: str, suggestion: str) -> None:
    err = _error(text)
    assert era in str(err) and last_year in str(err)
    assert err.hint == f"did you mean {suggestion}?"


@pytest.mark.parametrize(
    ("text", "era", "phrase", "suggestion"),
    [
        ("平成31年5月1日", "平成", "ended on 2019-04-30", "令和元年5月1日"),
        ("令和元年4月30日", "令和", "began on 2019-05-01", "平成31年4月30日"),
        ("昭和64年1月8日", "昭和", "ended on 1989-01-07", "平成元年1月8日"),
        ("平成元年1月7日", "平成", "began on 1989-01-08", "昭和64年1月7日"),
        ("明治元年10月22日", "明治", "began on 1868-10-23", None),
        ("平成31年5月", "平成", "ended on 2019-04-30", "令和元年5月"),
        ("令和元年4月", "令和", "began on 2019-05-01", "平成31年4月"),
        ("昭和元年12月24日", "昭和", "began on 1926-12-25", "大正15年12月24日"),
    ],
)
def test_date_outside_era(text: str, era: str, phrase: str, suggestion: str | None) -> None:
    err = _error(text)
    assert era in str(err) and phrase in str(err)
    if suggestion is not None:
        assert err.hint == f"did you mean {suggestion}?"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("2月30日", "2月 has 29 days"),
        ("2023年2月29日", "not a leap year"),
        ("4月31日", "4月 has 30 days"),
        ("2023年13月", "no month 13"),
        ("2023/0/1", "no month 0"),
        ("令和5年4月31日", "has 30 days"),
        ("R5.4.0", "has 30 days"),
        ("2023年2月30日", "2023年2月 has 28 days"),
        ("1900年2月29日", "not a leap year"),
    ],
)
def test_invalid_month_or_day(text: str, phrase: str) -> None:
    assert phrase in str(_error(text))


@pytest.mark.parametrize("text", ["1700年", "1867/12/31", "2201-01-01", "22010101", "99年4月1日", "0年"])
def test_implausible_western_year(text: str) -> None:
    assert "implausible" in str(_error(text))


@pytest.mark.parametrize(
    "text",
    [
        "xxx",
        "",
        "   ",
        "4/1",
        "2023",
        "R5.4.1.2",
        "令和5年4月1日に入院",
        "X5.4.1",
        "2023/4-1",
        "平成年",
        "元年",
    ],
)
def test_unreadable(text: str) -> None:
    err = _error(text)
    assert str(err).startswith("cannot read") and "as a date" in str(err)
    assert err.hint is not None and "R5.4.1" in err.hint


def test_unreadable_message_does_not_echo_long_input() -> None:
    secret = "患者山田太郎" * 20
    err = _error(secret)
    assert "山田" not in str(err)
    assert len(err.message) < 60


def test_bad_kanji_number() -> None:
    assert "kanji" in str(_error("昭和十十年"))


# --- JapaneseDate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "iso", "precision"),
    [
        (JapaneseDate(2023, 4, 1), "2023-04-01", "day"),
        (JapaneseDate(2023, 4), "2023-04", "month"),
        (JapaneseDate(2023), "2023", "year"),
        (JapaneseDate(None, 4, 1), "--04-01", "day"),
        (JapaneseDate(1900, 12, 31), "1900-12-31", "day"),
    ],
)
def test_iso_and_precision(value: JapaneseDate, iso: str, precision: str) -> None:
    assert value.iso() == iso
    assert value.precision == precision


def test_to_date() -> None:
    assert parse_date("令和5年4月1日").to_date() == date(2023, 4, 1)
    for partial in (JapaneseDate(2023, 4), JapaneseDate(2023), JapaneseDate(None, 4, 1)):
        with pytest.raises(EraDateError, match="not a full date"):
            partial.to_date()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 2023, "month": None, "day": 1},
        {"year": None, "month": 4, "day": None},
        {"year": None, "month": None, "day": None},
        {"year": 2023, "month": 4, "day": 1, "era": "平成", "era_year": 5},
        {"year": 2023, "month": 4, "day": 1, "era": "令和", "era_year": None},
        {"year": 2023, "month": 4, "day": 1, "era": "R", "era_year": 5},
        {"year": 2023, "month": 2, "day": 29},
    ],
)
def test_japanese_date_validates(kwargs: dict[str, object]) -> None:
    with pytest.raises(EraDateError):
        JapaneseDate(**kwargs)  # type: ignore[arg-type]


def test_japanese_date_is_frozen_and_slotted() -> None:
    value = JapaneseDate(2023, 4, 1)
    with pytest.raises(AttributeError):
        value.year = 2024  # type: ignore[misc]
    assert not hasattr(value, "__dict__")


# --- to_wareki / to_iso -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (date(2023, 4, 1), {}, "令和5年4月1日"),
        (date(2019, 5, 1), {}, "令和元年5月1日"),
        (date(2019, 5, 1), {"gannen": False}, "令和1年5月1日"),
        (date(2019, 4, 30), {}, "平成31年4月30日"),
        (date(1989, 1, 7), {}, "昭和64年1月7日"),
        (date(1989, 1, 8), {}, "平成元年1月8日"),
        (date(1926, 12, 24), {}, "大正15年12月24日"),
        (date(1926, 12, 25), {}, "昭和元年12月25日"),
        (date(1912, 7, 29), {}, "明治45年7月29日"),
        (date(1912, 7, 30), {}, "大正元年7月30日"),
        (date(1868, 10, 23), {}, "明治元年10月23日"),
        (date(2023, 4, 1), {"style": "letter"}, "R5.4.1"),
        (date(2019, 5, 1), {"style": "letter"}, "R1.5.1"),
        (date(1989, 1, 7), {"style": "letter"}, "S64.1.7"),
        (JapaneseDate(2023, 4), {}, "令和5年4月"),
        (JapaneseDate(2023, 4), {"style": "letter"}, "R5.4"),
        (JapaneseDate(2019, 5), {}, "令和元年5月"),
        (JapaneseDate(2019, 4), {}, "平成31年4月"),
        (JapaneseDate(1989, 1), {}, "昭和64年1月"),
        (JapaneseDate(2019), {}, "令和元年"),
        (JapaneseDate(1989), {}, "平成元年"),
        (JapaneseDate(2019), {"style": "letter"}, "R1"),
        (JapaneseDate(1868, 10), {}, "明治元年10月"),
        (JapaneseDate(1868), {}, "明治元年"),
        ("2023-04-01", {}, "令和5年4月1日"),
        ("H31", {}, "平成31年"),  # a recorded source era is kept
        ("平成31年4月", {"style": "letter"}, "H31.4"),
        ("令和元年", {"gannen": False}, "令和1年"),
    ],
)
def test_to_wareki(value: date | str | JapaneseDate, kwargs: dict[str, object], expected: str) -> None:
    assert to_wareki(value, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (date(1868, 10, 22), "before 明治"),
        (JapaneseDate(1868, 9), "before 明治"),
        (JapaneseDate(1867), "before 明治"),
        (JapaneseDate(None, 4, 1), "no year"),
        ("xxx", "cannot read"),
    ],
)
def test_to_wareki_rejects(value: date | str | JapaneseDate, phrase: str) -> None:
    with pytest.raises(EraDateError, match=phrase):
        to_wareki(value)


def test_to_wareki_rejects_unknown_style() -> None:
    with pytest.raises(EraDateError, match="style"):
        to_wareki(date(2023, 4, 1), style="roman")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("令和5年4月1日", "2023-04-01"), ("H31/4", "2019-04"), ("S60", "1985"), ("4月1日", "--04-01")],
)
def test_to_iso(text: str, expected: str) -> None:
    assert to_iso(text) == expected


@given(st.dates(min_value=date(1868, 10, 23), max_value=date(2100, 12, 31)))
def test_round_trip_kanji(value: date) -> None:
    assert parse_date(to_wareki(value)).to_date() == value
    assert parse_date(to_wareki(value, gannen=False)).to_date() == value


@given(st.dates(min_value=date(1868, 10, 23), max_value=date(2100, 12, 31)))
def test_round_trip_letter(value: date) -> None:
    assert parse_date(to_wareki(value, style="letter")).to_date() == value


@given(st.dates(min_value=date(1868, 10, 23), max_value=date(2100, 12, 31)))
def test_round_trip_partial(value: date) -> None:
    for partial in (JapaneseDate(value.year, value.month), JapaneseDate(value.year)):
        for style in ("kanji", "letter"):
            parsed = parse_date(to_wareki(partial, style=style))  # type: ignore[arg-type]
            assert (parsed.year, parsed.month, parsed.day) == (partial.year, partial.month, None)


@given(st.dates(min_value=date(1868, 1, 1), max_value=date(2200, 12, 31)))
def test_round_trip_iso(value: date) -> None:
    assert to_iso(value.isoformat()) == value.isoformat()
    assert to_iso(value.strftime("%Y%m%d")) == value.isoformat()


# --- find_dates -------------------------------------------------------------------------


def _found(text: str) -> list[tuple[str, str | None, bool]]:
    """(original substring, iso or None, has error) for each match."""
    matches = find_dates(text)
    assert all(isinstance(m, DateMatch) for m in matches)
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    return [(text[m.start : m.end], m.value.iso() if m.value else None, m.error is not None) for m in matches]


def test_find_dates_clinical_text() -> None:
    text = "令和5年4月1日に入院。H31/4/30退院、2023年5月10日再診。3月2日より発熱"
    assert _found(text) == [
        ("令和5年4月1日", "2023-04-01", False),
        ("H31/4/30", "2019-04-30", False),
        ("2023年5月10日", "2023-05-10", False),
        ("3月2日", "--03-02", False),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("既往:㍻31年4月30日に手術", [("㍻31年4月30日", "2019-04-30", False)]),
        ("㋿元年５月１日から", [("㋿元年５月１日", "2019-05-01", False)]),
        ("受診日２０２３年４月１日。", [("２０２３年４月１日", "2023-04-01", False)]),
        ("Ｒ５．４．１来院", [("Ｒ５．４．１", "2023-04-01", False)]),
        ("ｈ３１／４／３０", [("ｈ３１／４／３０", "2019-04-30", False)]),
        ("令和元年に発症", [("令和元年", "2019", False)]),
        ("2023年4月頃から", [("2023年4月", "2023-04", False)]),
        ("H31/4より", [("H31/4", "2019-04", False)]),
        ("2023/4/1〜2023/4/5", [("2023/4/1", "2023-04-01", False), ("2023/4/5", "2023-04-05", False)]),
        ("2023-04-01T10:00", [("2023-04-01", "2023-04-01", False)]),
        ("昭和六十年一月二日生", [("昭和六十年一月二日", "1985-01-02", False)]),
        ("令和　５年　４月", [("令和　５年　４月", "2023-04", False)]),
        ("R5.4.1.", [("R5.4.1", "2023-04-01", False)]),
    ],
)
def test_find_dates_offsets_on_original(text: str, expected: list[tuple[str, str | None, bool]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "original", "phrase"),
    [
        ("平成32年4月1日に受診", "平成32年4月1日", "平成"),
        ("2月30日に転倒", "2月30日", "29 days"),
        ("令和0年", "令和0年", "元年"),
        ("2023/2/29再診", "2023/2/29", "leap"),
        ("H31.5.1退院", "H31.5.1", "ended on 2019-04-30"),
        ("1800年1月1日", "1800年1月1日", "implausible"),
    ],
)
def test_find_dates_impossible_dates_are_reported(text: str, original: str, phrase: str) -> None:
    (match,) = find_dates(text)
    assert text[match.start : match.end] == original
    assert match.value is None
    assert match.error is not None and phrase in match.error


@pytest.mark.parametrize(
    "text",
    [
        "ID 20230401",
        "12023/4/1",
        "R5.4.12345",
        "R5 と S60 で",
        "2023/04/01/99",
        "ABS5.1",
        "検体番号 2019-20",
        "3年前から",
        "1日3回",
        "3ヶ月",
        "4/1に受診",
    ],
)
def test_find_dates_ignores_non_dates(text: str) -> None:
    assert find_dates(text) == []


def test_find_dates_western_year_alone() -> None:
    assert _found("2023年度") == [("2023年", "2023", False)]


def test_find_dates_empty() -> None:
    assert find_dates("") == []
    assert find_dates("発熱なし") == []
