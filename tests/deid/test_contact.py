"""PHONE, EMAIL and URL recognizers, on normalised text as the engine runs them."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jmedllm.core.jatext import normalize
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers.contact import (
    EmailRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
    is_plausible_phone,
)


def found(recognizer: Recognizer, raw: str) -> list[str]:
    text, _ = normalize(raw)
    spans = recognizer.analyze(TextContext(text))
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.label in recognizer.labels and 0.0 <= s.score <= 1.0 and s.source == ""
    return [text[s.start : s.end] for s in spans]


# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TEL 03-1234-5678", "03-1234-5678"),
        ("代表 0120-123-456 まで", "0120-123-456"),
        ("携帯 090-1234-5678", "090-1234-5678"),
        ("(03)1234-5678", "(03)1234-5678"),
        ("03(1234)5678", "03(1234)5678"),
        ("03 1234 5678", "03 1234 5678"),
        ("0312345678", "0312345678"),
        ("09012345678", "09012345678"),
        ("+81-3-1234-5678", "+81-3-1234-5678"),
        ("+81 90 1234 5678", "+81 90 1234 5678"),
        ("+81(0)3-1234-5678", "+81(0)3-1234-5678"),
        ("０３－１２３４－５６７８", "03-1234-5678"),  # full width, folded by normalisation
        ("０３ー１２３４ー５６７８", "03-1234-5678"),  # ー between digits
        ("℡０３−１２３４−５６７８", "03-1234-5678"),
        ("03-1234-5678 内線123", "03-1234-5678 内線123"),
        ("FAX：045-123-4567", "045-123-4567"),
        ("電話番号：06-6123-4567。", "06-6123-4567"),
        ("連絡先 1234-5678", "1234-5678"),  # local number, only with a label
        ("0800-123-4567", "0800-123-4567"),
        ("03.1234.5678", "03.1234.5678"),
        ("03-12345678", "03-12345678"),
        ("長男の番号は080-9876-5432です", "080-9876-5432"),
        ("自宅75-6508-8995へ電話", "75-6508-8995"),  # phone-shaped, outside the plan: still a phone
        ("04-0814-7264まで", "04-0814-7264"),
    ],
)
def test_phone_shapes(raw: str, expected: str) -> None:
    assert found(PhoneRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "2023-04-01に入院",
        "BP 140/90 mmHg",
        "WBC 12300/μL",
        "HbA1c 7.2%",
        "5mg/kg",
        "第3病日",
        "3-4回/週",
        "患者ID: 0312345678",
        "カルテ番号 0312345678",
        "電話で2回連絡した",
        "012345678901",  # 12 digits: not a phone number
        "10312345678",  # inside a longer number
        "0901234567",  # 090 + 7 digits is not a current mobile number
        "0012345678",
        "1/2錠",
        "Plt 23.4×10⁴/μL",
        "ロット 0312345678-1",
        "0.0312345678",
        "患者ID 12-3456-7890",
        "ロット2023-0401-1234",
    ],
)
def test_phone_negatives(raw: str) -> None:
    assert found(PhoneRecognizer(), raw) == []


def test_phone_context_raises_score() -> None:
    text, _ = normalize("TEL 03-1234-5678。紹介元の診療所は以前から 03-1234-5679")
    labelled, bare = PhoneRecognizer().analyze(TextContext(text))
    assert labelled.score > bare.score >= 0.8


def test_labelled_typo_is_still_reported_lower() -> None:
    text, _ = normalize("TEL 0901234567")
    (span,) = PhoneRecognizer().analyze(TextContext(text))
    assert span.score < 0.85


def test_standalone_extension() -> None:
    # The number only: the word 内線 is a label and stays readable, like ID labels.
    assert found(PhoneRecognizer(), "内線1234へ連絡") == ["1234"]
    assert found(PhoneRecognizer(), "担当：小松（内線7131）") == ["7131"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a number alone in brackets after a person says whose contact number it is
        ("相談者：長女　朴　智恩（0602980360）", "0602980360"),
        ("夫（０６０ー２９８ー０３６０）", "060-298-0360"),
        # right after a relation or an honorific
        ("長女 0602980360", "0602980360"),
        ("田中様：0602980360", "0602980360"),
        # 代表/直通 label a number on letterheads, even one outside the numbering plan
        ("〒123-4567 東京都中央区本町4-10-16　代表 (06)0592-2987", "(06)0592-2987"),
        ("ハイツ本町101号室　代表 03(0112)8270", "03(0112)8270"),
        ("直通：0422-33-2826", "0422-33-2826"),
        ("Phone: 090-1234-5678", "090-1234-5678"),
    ],
)
def test_phone_by_context(raw: str, expected: str) -> None:
    assert found(PhoneRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "0602980360",  # 0X0 + 7 digits, no context: not a current number
        "患者ID（0602980360）",  # brackets, but the label says it is an ID
        "代表的な値は 120 130",  # 代表 the word: no trunk 0, no phone
        "代表 1234 5678",
        "血圧（128/76）",
        "体重（65.3）",
        "第3病日",
        "3-4回/日",
    ],
)
def test_phone_context_negatives(raw: str) -> None:
    assert found(PhoneRecognizer(), raw) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # other countries: a country code, then groups (8–15 digits in all)
        ("家族（上海在住）+86 138 2206 5174", "+86 138 2206 5174"),
        ("+1 (212) 555-0148 (office)", "+1 (212) 555-0148"),
        ("+44 161 496 0732", "+44 161 496 0732"),
        ("+49-30-901820-55", "+49-30-901820-55"),
        ("TEL: +33 1 42 68 53 00", "+33 1 42 68 53 00"),  # all short groups: only with a label
        # a bracket opened before the number is not part of it
        ("TEL（045-331-7720）", "045-331-7720"),
        ("電話 (090-4417-2286)", "090-4417-2286"),
    ],
)
def test_phone_international_and_brackets(raw: str, expected: str) -> None:
    assert found(PhoneRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "+33 1 42 68 53 00",  # short groups without a label: a list of values
        "変化量 +10 20 30 40 50",
        "CRP +1.5 mg/dL",
        "尿蛋白2+ 100 200",
        "BE +2 5 7",
        "+12 3456",  # too few digits
        "x+44 161 496 0732",
    ],
)
def test_phone_international_negatives(raw: str) -> None:
    assert found(PhoneRecognizer(), raw) == []


def test_address_then_phone_stay_apart() -> None:
    analyzer = PhiAnalyzer(
        DeidConfig(recognizers=("contact.phone", "address.address", "address.postal_code"))
    )
    raw = "〒８３７－５８６３ 東京都練馬区栄町三丁目25番地15　レジデンス栄町1038　代表 ０４２２-３３-２８２６"
    spans = analyzer.analyze(raw)
    assert [(s.label, raw[s.start : s.end]) for s in spans] == [
        ("POSTAL_CODE", "〒８３７－５８６３"),
        ("ADDRESS", "東京都練馬区栄町三丁目25番地15　レジデンス栄町1038"),
        ("PHONE", "０４２２-３３-２８２６"),
    ]


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("0312345678", True),
        ("09012345678", True),
        ("0120123456", True),
        ("08001234567", True),
        ("0901234567", False),
        ("0012345678", False),
        ("031234567", False),
        ("813 12345678", False),
        ("81312345678", True),  # +81 3-1234-5678
    ],
)
def test_numbering_plan(digits: str, ok: bool) -> None:
    assert is_plausible_phone(digits) is ok


_DIGIT = st.integers(0, 9).map(str)


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.sampled_from(["090", "080", "070"]),
    body=st.lists(_DIGIT, min_size=8, max_size=8).map("".join),
    style=st.sampled_from(["{a}-{b}-{c}", "{a}{b}{c}", "{a} {b} {c}", "{a}ー{b}ー{c}"]),
    full_width=st.booleans(),
)
def test_any_mobile_number_is_found_whole(prefix: str, body: str, style: str, full_width: bool) -> None:
    raw = style.format(a=prefix, b=body[:4], c=body[4:])
    if full_width:
        raw = raw.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    text, _ = normalize(f"連絡は{raw}まで")
    spans = PhoneRecognizer().analyze(TextContext(text))
    assert [text[s.start : s.end] for s in spans] == [text[3:-2]]


# --- e-mail and URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("メール taro.yamada@example.co.jp まで", ["taro.yamada@example.co.jp"]),
        ("連絡先:hanako+clinic@mail.example.com。", ["hanako+clinic@mail.example.com"]),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐへ", ["taro@example.jp"]),
        ("yamada@病院.jp", ["yamada@病院.jp"]),
        ("info@example.jpまたはfax", ["info@example.jp"]),
        ("@のみ", []),
        ("a@b", []),
        ("価格は@100円", []),
    ],
)
def test_email(raw: str, expected: list[str]) -> None:
    assert found(EmailRecognizer(), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "詳細は https://www.example-hospital.jp/info/page.html を参照。",
            ["https://www.example-hospital.jp/info/page.html"],
        ),
        ("https://example.jp/a/b?x=1&y=2。", ["https://example.jp/a/b?x=1&y=2"]),
        ("www.example.jp/pathを参照", ["www.example.jp/path"]),
        ("http://192.168.0.1:8080/emr", ["http://192.168.0.1:8080/emr"]),
        ("http://例え.jp/", ["http://例え.jp/"]),
        ("ブログ example-clinic.com 参照", ["example-clinic.com"]),
        ("example.com と https://x.example.jp/a", ["example.com", "https://x.example.jp/a"]),
        ("https://x.example.jp/a と example.com", ["https://x.example.jp/a", "example.com"]),
        ("user@example.com", []),
        ("Dr.Smith", []),
        ("ver.2.0", []),
        ("HbA1c 7.2%", []),
        ("taro@example.jp", []),  # an e-mail address, not a URL
    ],
)
def test_url(raw: str, expected: list[str]) -> None:
    assert found(UrlRecognizer(), raw) == expected


# --- registry, engine, speed -------------------------------------------------------------------


def test_registered_with_labels_and_docstrings() -> None:
    for name, label in [("contact.phone", "PHONE"), ("contact.email", "EMAIL"), ("contact.url", "URL")]:
        cls = RECOGNIZERS.get(name)
        assert cls.labels == (label,)
        assert len((cls.__doc__ or "").strip()) >= 10


def test_engine_maps_spans_back_to_full_width_characters() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("contact.phone", "contact.email", "contact.url")))
    raw = "緊急連絡先：℡０３ー１２３４ー５６７８、ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"
    spans = analyzer.analyze(raw)
    assert [(s.label, raw[s.start : s.end], s.source) for s in spans] == [
        ("PHONE", "０３ー１２３４ー５６７８", "contact.phone"),
        ("EMAIL", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "contact.email"),
    ]


@pytest.mark.parametrize(
    "raw",
    ["0" * 20000, "TEL " * 5000, "@" * 5000, "a" * 20000 + "@", "www." * 5000, "-0" * 10000, "+1 " * 10000],
)
def test_pathological_inputs_stay_fast(raw: str) -> None:
    context = TextContext(normalize(raw)[0])
    start = time.perf_counter()
    for cls in (PhoneRecognizer, EmailRecognizer, UrlRecognizer):
        cls().analyze(context)
    assert time.perf_counter() - start < 2.0


def test_id_word_must_label_the_number_directly() -> None:
    # a person's name between 保険 and the number: it is that person's phone, not an ID
    assert found(PhoneRecognizer(), "窓口：国民保険課 高木　0155-24-7781") == ["0155-24-7781"]
    assert found(PhoneRecognizer(), "保険証番号: 0155247781") == []
    assert found(PhoneRecognizer(), "患者ID 0907654321") == []
    assert found(PhoneRecognizer(), "カルテ No. 0312349876") == []
