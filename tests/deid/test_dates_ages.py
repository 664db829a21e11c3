"""DATE and AGE recognizers, on normalised text as the engine runs them."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jmedllm.core.jatext import normalize
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers.dates import AgeRecognizer, DateRecognizer, kanji_number


def found(recognizer: Recognizer, raw: str) -> list[str]:
    text, _ = normalize(raw)
    spans = recognizer.analyze(TextContext(text))
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.label in recognizer.labels and 0.0 <= s.score <= 1.0
    return [text[s.start : s.end] for s in spans]


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("令和5年4月1日に入院", ["令和5年4月1日"]),
        ("令和元年5月1日", ["令和元年5月1日"]),
        ("R5.4.1", ["R5.4.1"]),
        ("H31/4/30", ["H31/4/30"]),
        ("㍻31年4月30日", ["平成31年4月30日"]),
        ("昭和六十年一月二日生", ["昭和六十年一月二日"]),
        ("S60年生まれ", ["S60年"]),
        ("S60生", ["S60"]),
        ("高血圧症(H15〜)", ["H15"]),
        ("２０２３年４月１日（土）10:30", ["2023年4月1日(土)10:30"]),
        ("2023/4/1 10:30に来院", ["2023/4/1 10:30"]),
        ("2023-04-01", ["2023-04-01"]),
        ("4月1日午後3時", ["4月1日午後3時"]),
        ("4月1日 2時間後", ["4月1日"]),  # a duration is not a time of day
        ("23/04/01", ["23/04/01"]),
        ("4/1〜4/3入院", ["4/1", "4/3"]),
        ("入院日 4/1", ["4/1"]),
        ("4/1(月)受診", ["4/1(月)"]),
        ("手術 12/24", ["12/24"]),
        ("生年月日 S15.3.2", ["S15.3.2"]),
        ("S4.5.6生", ["S4.5.6"]),  # with a day it is a date again
        ("腹腔鏡肝生検(S.44.3.27)", ["S.44.3.27"]),
        ("平成32年4月1日", ["平成32年4月1日"]),  # impossible, still date-shaped: redact
        ("2023年2月30日", ["2023年2月30日"]),
        ("2023年度", ["2023年度"]),  # a fiscal year is a date; the held-out writers mark 度 too
        ("令和5年4月上旬に発症", ["令和5年4月上旬"]),
        ("4月1日〜3日入院", ["4月1日〜3日"]),
        ("4月1日〜3日間", ["4月1日"]),  # a duration after the date is not the end of a range
        ("2023年4月1日(土)〜3日(月)", ["2023年4月1日(土)〜3日(月)"]),
        ("生年月日：19450312", ["19450312"]),
        ("検査日 20230401", ["20230401"]),
        ("19450312生", ["19450312"]),
        ("DOB: Mar 12, 1945", ["Mar 12, 1945"]),
        ("Date: 12 March 2023", ["12 March 2023"]),
        ("admitted on April 3rd, 2023", ["April 3rd, 2023"]),
        ("入院日Oct 3, 2022", ["Oct 3, 2022"]),
        ("4/1 BT 38.5℃", ["4/1"]),  # a dated line of a course record
        ("・4/12：解熱", ["4/12"]),
        ("4/1〜 抗菌薬開始", ["4/1"]),  # an open range
        ("1/17当院受診", ["1/17"]),
        # month/day with weaker, note-style context
        ("11/3に胃瘻造設", ["11/3"]),
        ("申し送り 9/14 準夜→深夜", ["9/14"]),
        ("記録 6/22：体動時に息切れ", ["6/22"]),
        ("14:05 7/19 家族来院", ["7/19"]),
        ("次回は(8/26)", ["8/26"]),
        ("看護師長確認：梶原　4/27", ["4/27"]),  # a signer's name closing a line
        ("B　10/30", ["10/30"]),
        # a month/day that is no common fraction and has no scale before it is a date
        ("4/1", ["4/1"]),
        ("2/20の受診時に", ["2/20"]),
        ("日程調整(9/5か9/6の午後)", ["9/5", "9/6"]),
        ("3/8か3/12の夕方", ["3/8", "3/12"]),
        ("浴室：10/10改修予定", ["10/10"]),
        ("flying in from SF on 3/17.", ["3/17"]),
        ("・2/9 603号室 患者A", ["2/9"]),
        ("12/5、12/9に外来", ["12/5", "12/9"]),
        ("1/30・2/6", ["1/30", "2/6"]),
        # English and foreign forms
        ("seen on 5/23 in clinic", ["5/23"]),
        ("02/27/2023", ["02/27/2023"]),
        ("27/02/2023", ["27/02/2023"]),
        ("5/23/21", ["5/23/21"]),
        ("Tue, 9 Apr 2024", ["Tue, 9 Apr 2024"]),
        ("Friday, June 7, 2024 11:45 AM", ["Friday, June 7, 2024 11:45 AM"]),
        ("since Feb 3", ["Feb 3"]),
        ("09-Oct-2023", ["09-Oct-2023"]),
        # an era ticked on a form's list, not written in the date
        ("生年月日 明・大・(昭)・平・令 41年 6月 12日", ["41年 6月 12日"]),
        ("(昭)・平・令 9年 2月", ["9年 2月"]),
        ("1明 2大 3昭 4平 5令 4.11.2生", ["4.11.2"]),
        ("24.7.30生まれ", ["24.7.30"]),
        # a month narrowed to ten days or after a relative year
        ("次回：6か月後（4月中旬）", ["4月中旬"]),
        ("11月末より食思不振", ["11月末"]),
        ("2月上旬〜中旬に増悪", ["2月上旬〜中旬"]),
        ("同年8月に再入院", ["8月"]),
        ("翌年3月より通院", ["3月"]),
        ("同月21日に退院", ["21日"]),
        # the last month of a range of months
        ("2022年10月〜12月", ["2022年10月〜12月"]),
        ("7月下旬〜8月上旬に", ["7月下旬〜8月上旬"]),
        ("2022年10月〜12月3日", ["2022年10月", "12月3日"]),
    ],
)
def test_dates(raw: str, expected: list[str]) -> None:
    assert found(DateRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "第3病日に解熱",
        "術後5日目",
        "3日前から",
        "2週間後に再診",
        "1/2錠を頓用",
        "1/2〜1錠",
        "3/4程度",
        "BP 140/90",
        "WBC 12300/μL",
        "5mg/kg",
        "HbA1c 7.2%",
        "3-4回",
        "T2-3N0M0",
        "cT2N0M0",
        "右下葉 S8/9 に結節",  # lung segments
        "左肺下葉のS9/10領域",
        "仙骨合併切除術(S4-5)",
        "T11-12の圧迫骨折",
        "S1、S2正常",
        "T2強調像で高信号",
        "H2ブロッカー",
        "1/4",  # a bare common fraction
        "SLTAで呼称 3/20",  # counts out of a total, named before them
        "川崎病(主要症状 5/6)",
        "MMT 近位 3/5、遠位 4/5",
        "術後 1/3 に縮小",
        "1日 3/4の量",
        "1.5/2.0",
        "20本/日×30年",
        "ロット20230401",  # eight digits without a date label
        "20230401",
        "1/2 錠",
        " 1/3 に縮小",
        "3/4 程度",
        "May I help you",
        "Marker 12",
        "3-4回/日",
        # scores, grades and ratios, whatever context follows
        "検査：MMSE 11/30",
        "行動記憶検査：RBMT 10/24",
        "Levine 3/6の収縮期雑音",
        "MMT 4/5",
        "筋力低下(4/5)",
        "リンパ節転移(3/12)",
        "pN1(2/18)",
        "CD4/8比 2.1",
        "疼痛 7/10\n",
        "主食 8/10 副食 6/10",
        "Grade 3/4",
        # fractions with weak context
        "3/4に減量",
        "5/6に減量",
        "2/3に縮小",
        "(1/2)",
        "記録 1/3量",
        # month alone without 旬 or a relative year; a number that is no month
        "3か月後",
        "第13月",
        "毎月5日",
        "末梢",
        "明・大・昭",
        "月〜3か月",
        "同月3日間",
        "翌月10日目",
    ],
)
def test_not_dates(raw: str) -> None:
    assert found(DateRecognizer(), raw) == []


def test_windowed_scan_finds_what_find_dates_finds() -> None:
    """Running find_dates only on the runs around a date's core changes nothing."""
    from jmedllm.core.jatext.eras import find_dates
    from jmedllm.deid.recognizers.dates import _find_dates

    text = normalize(
        "ABS5.1、R5.4.1、2023/4/1/2、平成 31 年 4 月、S9/10、12.5 mg、2023-04-01T10:30、"
        "令和元年5月1日、1999年、4月1日、R5.4.12345、昭和六十年一月二日"
    )[0]
    assert _find_dates(text) == [(m.start, m.end, m.error is None) for m in find_dates(text)]


def test_impossible_dates_score_lower() -> None:
    text, _ = normalize("平成32年4月1日と令和2年4月1日")
    bad, good = DateRecognizer().analyze(TextContext(text))
    assert bad.score < good.score


# --- ages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("92歳女性", ["92歳"]),
        ("満95歳", ["95歳"]),
        ("百歳", ["百歳"]),
        ("九十二歳", ["九十二歳"]),
        ("90代男性", ["90代"]),
        ("90歳代", ["90歳代"]),
        ("95 y/o", ["95 y/o"]),
        ("95yo female", ["95yo"]),
        ("95-year-old man", ["95-year-old"]),
        ("aged 93", ["93"]),
        ("齢90", ["90"]),
        ("年齢：92歳", ["92歳"]),
        ("享年百二", ["百二"]),
        ("85〜95歳", ["85〜95歳"]),
        ("９２歳", ["92歳"]),
        ("92 歳", ["92 歳"]),
        ("102才", ["102才"]),
        ("Age: 92", ["92"]),
        ("岡田ミツ様（98）", ["98"]),  # a bare number in brackets after a person
        ("女性(92)", ["92"]),
    ],
)
def test_ages(raw: str, expected: list[str]) -> None:
    assert found(AgeRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "89歳",
        "80代",
        "八十九歳",
        "3歳",
        "1990年代",
        "第90代",
        "第3世代",
        "12300歳",
        "Tokyo 90",
        "90 yoga",
        "see page 92",
        "90mg",
        "HbA1c 7.2%",
        "Stage 92",
        "脈拍(96)",  # a vital sign in brackets, not after a person
        "田中様（85）",
    ],
)
def test_ages_below_threshold_or_not_ages(raw: str) -> None:
    assert found(AgeRecognizer(), raw) == []


def test_threshold_comes_from_config() -> None:
    assert found(AgeRecognizer(DeidConfig(age_threshold=80)), "85歳") == ["85歳"]
    assert found(AgeRecognizer(DeidConfig(age_threshold=100)), "95歳、101歳") == ["101歳"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("92", 92),
        ("九十二", 92),
        ("九十", 90),
        ("百", 100),
        ("百二", 102),
        ("百十五", 115),
        ("九二", 92),
        ("十", 10),
    ],
)
def test_kanji_number(raw: str, value: int) -> None:
    assert kanji_number(raw) == value


@pytest.mark.parametrize("raw", ["", "十十", "九九十", "abc", "百百"])
def test_kanji_number_rejects(raw: str) -> None:
    assert kanji_number(raw) is None


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 130))
def test_every_age_is_reported_iff_at_threshold(age: int) -> None:
    assert bool(found(AgeRecognizer(), f"患者は{age}歳の女性")) is (age >= 90)


# --- registry, engine, speed -------------------------------------------------------------------


def test_registered() -> None:
    assert RECOGNIZERS.get("dates.date").labels == ("DATE",)
    assert RECOGNIZERS.get("dates.age").labels == ("AGE",)


def test_engine_maps_back_to_original_characters() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("dates.date", "dates.age")))
    raw = "９２歳女性。㍻３１年４月３０日に入院。"
    spans = analyzer.analyze(raw)
    assert [(s.label, raw[s.start : s.end]) for s in spans] == [
        ("AGE", "９２歳"),
        ("DATE", "㍻３１年４月３０日"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "1/" * 10000,
        "9" * 20000 + "歳",
        "歳" * 20000,
        "年" * 20000,
        "S1" * 10000,
        "2023-4-" * 5000,
        "1 " * 10000 + "年",
        "March " * 5000,
        "様(" * 10000,
        "昭・平・" * 5000,
        "1/2/" * 5000 + "2024",
        "生" * 20000,
        "月上旬" * 5000,
    ],
)
def test_pathological_inputs_stay_fast(raw: str) -> None:
    context = TextContext(normalize(raw)[0])
    start = time.perf_counter()
    DateRecognizer().analyze(context)
    AgeRecognizer().analyze(context)
    assert time.perf_counter() - start < 2.0


# --- recall rules: clause heads, times on the next line, lab values, foreign records --------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("退院先の候補とし、2/17 面談に同席。", "2/17"),  # a month/day opening a clause
        ("夜勤メモ 11/4\n22:10 巡視", "11/4"),  # a time on the next line
        ("あり、Cr 1.42（9/18）。", "9/18"),  # the day a value was measured
        ("Próximo retorno: 23/11", "23/11"),  # day/month after a foreign date label
        ("Fecha: 7/3", "7/3"),
        ("Data: 27.08.2023", "27.08.2023"),
        ("nascido em 9 de abril de 1951", "9 de abril de 1951"),
        ("vu le 14 juin 2022", "14 juin 2022"),
        ("am 3. Oktober 2021 aufgenommen", "3. Oktober 2021"),
        ("consulta em outubro de 2023", "outubro de 2023"),
    ],
)
def test_recall_rules_find_dates(raw: str, expected: str) -> None:
    assert found(DateRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "視力表で誤読 6/19、再検査予定",  # a count of errors, not a date
        "誤答 7/24",
        "改善あり、1/2 程度に減量",  # a fraction opening a clause
        "転移あり、3/4 に縮小",
        "pN2(4/21)",  # a stage and a ratio
        "MMT 3(4/5)",
        "VAS: 23/10",  # day/month only after a date label
        "比 14/3",
        "v2.3.2021",  # a version, not a date
        "build1.4.2020",
        "Maio de ouro",  # a month name needs a day or a year
    ],
)
def test_recall_rules_leave_non_dates(raw: str) -> None:
    assert found(DateRecognizer(), raw) == []
