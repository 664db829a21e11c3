"""Identifier recognizers and the check digits behind them."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jmedllm.core.jatext import normalize
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig, IdPattern
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers._checkdigits import (
    insurer_check_digit,
    is_valid_insurer_number,
    is_valid_my_number,
    my_number_check_digit,
)
from jmedllm.deid.recognizers.ids import (
    InstitutionIdRecognizer,
    InsuranceIdRecognizer,
    MyNumberRecognizer,
    OtherIdRecognizer,
    PatientIdRecognizer,
)


def found(recognizer: Recognizer, raw: str) -> list[tuple[str, float]]:
    text, _ = normalize(raw)
    spans = recognizer.analyze(TextContext(text))
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.label in recognizer.labels and 0.0 <= s.score <= 1.0
    return [(text[s.start : s.end], s.score) for s in spans]


def values(recognizer: Recognizer, raw: str) -> list[str]:
    return [v for v, _ in found(recognizer, raw)]


# --- check digits ------------------------------------------------------------------------------


def test_my_number_check_digit_by_hand() -> None:
    # 12345678901 reversed is 1,0,9,8,7,6,5,4,3,2,1; weights 2,3,4,5,6,7,2,3,4,5,6:
    # 2+0+36+40+42+42+10+12+12+10+6 = 212; 212 mod 11 = 3; check = 11 - 3 = 8.
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789012")
    # 00000000000: sum 0, r = 0 ≤ 1 → 0.  00000000010: reversed 0,1,0…: 1×3 = 3 → 8.
    assert my_number_check_digit("00000000000") == 0
    assert my_number_check_digit("00000000010") == 8
    # 00000000005: 5×2 = 10, r = 10 → 1.  00000000006: 6×2 = 12, r = 1 ≤ 1 → 0.
    assert my_number_check_digit("00000000005") == 1
    assert my_number_check_digit("00000000006") == 0


def test_insurer_check_digit_by_hand() -> None:
    # 協会けんぽ東京 01130012: 0113001 from the right ×2,×1,…: 2,0,0,3,2,1,0 → 8 → (10-8)%10 = 2.
    assert insurer_check_digit("0113001") == 2
    assert is_valid_insurer_number("01130012")
    assert not is_valid_insurer_number("01130013")
    # 06139893: 0613989 → 9×2=18→1+8=9, 8, 9×2=18→9, 3, 1×2=2, 6, 0 → 37 → 3.
    assert insurer_check_digit("0613989") == 3
    assert is_valid_insurer_number("06139893")
    # 国保, six digits: 13805 → 5×2=10→1, 0, 8×2=16→7, 3, 1×2=2 → 13 → 7.
    assert insurer_check_digit("13805") == 7
    assert is_valid_insurer_number("138057")
    assert insurer_check_digit("0000000") == 0


@pytest.mark.parametrize("bad", ["1234567890", "abcdefghijk", "１２３４５６７８９０１", "", "123456789012"])
def test_my_number_check_digit_rejects_bad_input_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        my_number_check_digit(bad)
    assert not bad or bad not in str(err.value)
    assert not is_valid_my_number(bad)


@pytest.mark.parametrize("bad", ["123456", "12345678", "abcdefg", "１２３４５６７"])
def test_insurer_check_digit_rejects_bad_input_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        insurer_check_digit(bad)
    assert bad not in str(err.value)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_constructed_my_numbers_are_valid(first11: str) -> None:
    number = first11 + str(my_number_check_digit(first11))
    assert is_valid_my_number(number)
    assert not is_valid_my_number(number[:11] + str((int(number[11]) + 1) % 10))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=7), st.integers(0, 6), st.integers(1, 9))
def test_insurer_check_digit_catches_every_single_digit_error(first7: str, where: int, delta: int) -> None:
    number = first7 + str(insurer_check_digit(first7))
    assert is_valid_insurer_number(number)
    wrong = number[:where] + str((int(number[where]) + delta) % 10) + number[where + 1 :]
    assert not is_valid_insurer_number(wrong)


# --- patient IDs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("患者ID：１２３４５６７", ["1234567"]),
        ("カルテNo. A-001234", ["A-001234"]),
        ("カルテ番号は 00123456 です", ["00123456"]),
        ("診察券番号 0012345", ["0012345"]),
        ("入院番号:H2023-0001", ["H2023-0001"]),
        ("検体番号 S23-45678", ["S23-45678"]),
        ("受付番号 123", ["123"]),
        ("画像ID IMG20230401", ["IMG20230401"]),
        ("MRN 1234567", ["1234567"]),
        ("ID: P000123", ["P000123"]),
        ("患者番号#556677", ["556677"]),
        ("ID12345", ["12345"]),
        ("カルテNo123456", ["123456"]),
        ("患者ID6996358の小林です", ["6996358"]),  # glued to its label: the value only
        ("画像IDCT20227348522の件", ["CT20227348522"]),  # letters after a full label are the value's
        ("患者ID：1234 5678", ["1234 5678"]),  # digit groups written apart
        ("病理番号 S23-12345", ["S23-12345"]),
        ("被験者ID=AB-0012", ["AB-0012"]),
        # digits written one by one with spaces
        ("ID:0 0 7 3 5 1 9 2", ["0 0 7 3 5 1 9 2"]),
        ("患者番号 1 4 0 8 8 3 6 で照合", ["1 4 0 8 8 3 6"]),
        # examination numbers and trial subject codes
        ("検査番号：MR23-004417", ["MR23-004417"]),
        ("被験者識別コード：K12-044-0031", ["K12-044-0031"]),
        ("被験者コード 117-0452-0008", ["117-0452-0008"]),
    ],
)
def test_patient_ids(raw: str, expected: list[str]) -> None:
    assert values(PatientIdRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "COVID-19",
        "ID: 12",
        "IDカード",
        "患者IDを確認",
        "UUID 1234567",
        "IDDM 123",
        "IDDM123",
        "WBC 12300/μL",
        "ID: ABCDEF",
        "IDCT123",  # bare ID glued to letters: a word
        "ID: 1 2 3",  # three spaced digits: too short to be an ID
        "検査番号を確認",
        "第3病日",
        "3-4回/日",
    ],
)
def test_patient_id_negatives(raw: str) -> None:
    assert values(PatientIdRecognizer(), raw) == []


def test_glued_patient_id_is_not_a_passport() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("ids.patient", "ids.other")))
    raw = "いつもお世話になっております。患者ＩＤ６９９６３５８の件です。"
    assert [(s.label, raw[s.start : s.end]) for s in analyzer.analyze(raw)] == [
        ("PATIENT_ID", "６９９６３５８")
    ]


def test_institution_patterns_with_and_without_context() -> None:
    config = DeidConfig(
        institution_id_patterns=(
            IdPattern("karte", r"K\d{7}", context=("カルテ",)),
            IdPattern("kaigo", r"KG-\d{6}", label="INSURANCE_ID"),
        )
    )
    recognizer = InstitutionIdRecognizer(config)
    text, _ = normalize("カルテ K1234567、紹介状 K7654321、KG-123456")
    spans = recognizer.analyze(TextContext(text))
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("K1234567", "PATIENT_ID"),
        ("KG-123456", "INSURANCE_ID"),
    ]
    assert InstitutionIdRecognizer().analyze(TextContext(text)) == []


# --- My Number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("マイナンバー 1234 5678 9018", [("1234 5678 9018", 0.95)]),
        ("個人番号：1234-5678-9018", [("1234-5678-9018", 0.95)]),
        ("個人番号：123456789012", [("123456789012", 0.7)]),  # invalid, but labelled
        ("123456789018", [("123456789018", 0.75)]),  # valid, no label
        ("１２３４５６７８９０１８", [("123456789018", 0.75)]),
    ],
)
def test_my_numbers(raw: str, expected: list[tuple[str, float]]) -> None:
    assert found(MyNumberRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "123456789012",  # invalid check digit, no label
        "ID 123456789018",  # valid, but labelled as something else
        "免許証番号 123456789018",
        "202304011030",  # a timestamp
        "1234567890180",  # 13 digits
        "1234 5678-9018",  # mixed separators
    ],
)
def test_my_number_negatives(raw: str) -> None:
    assert found(MyNumberRecognizer(), raw) == []


# --- insurance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("保険者番号 01130012", [("01130012", 0.95)]),
        ("保険者番号：01130013", [("01130013", 0.7)]),  # check digit fails: still reported, lower
        ("保険者 138057", [("138057", 0.95)]),
        ("被保険者番号 1234567890", [("1234567890", 0.9)]),
        ("介護保険被保険者番号 0123456789", [("0123456789", 0.9)]),
        ("公費負担者番号 12345678", [("12345678", 0.9)]),
        ("受給者番号 1234567", [("1234567", 0.9)]),
        ("被保険者証番号：H123456789", [("H123456789", 0.9)]),
        # a field marker between label and number (①, (2), 第1)
        ("公費負担者番号① 21136015", [("21136015", 0.9)]),
        ("受給者番号② 0931127", [("0931127", 0.9)]),
        ("公費負担医療の受給者番号(1)：5527041", [("5527041", 0.9)]),
    ],
)
def test_insurance_numbers(raw: str, expected: list[tuple[str, float]]) -> None:
    assert found(InsuranceIdRecognizer(), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("記号 12-34 番号 567 枝番 01", ["12-34", "567", "01"]),
        ("記号：ｱｲｳ 番号：1234", ["アイウ", "1234"]),
        ("被保険者証 記号1234・番号56", ["1234", "56"]),
        # symbol and number together after one combined label
        ("記号・番号 3126・68527", ["3126・68527"]),
        ("記号･番号：５２９９・５８９５５\n", ["5299・58955"]),
        ("記号・番号：3477・33127", ["3477・33127"]),
        ("被保険者証記号番号 1234-5678", ["1234-5678"]),
        ("保険証の記号番号は12 345です", ["12 345"]),
        ("記号・番号・枝番 1234・5678・01", ["1234・5678・01"]),
        ("記号番号：ｱｲｳ・1234", ["アイウ・1234"]),
        # separately labelled, letters and kanji symbols, 枝番 in brackets or alone
        ("記号 ABC 番号 123 枝番 01", ["ABC", "123", "01"]),
        ("記号：ｱｲｳ 番号：1234（枝番00）", ["アイウ", "1234", "00"]),
        ("記号 府中 番号 1234", ["府中", "1234"]),
        ("枝番：02", ["02"]),
        ("（枝番）03", ["03"]),  # the label in brackets
        # a symbol written as two digit groups
        ("記号 4127 6630 番号 58", ["4127 6630", "58"]),
        ("記号：0512 19　番号：2047", ["0512 19", "2047"]),
    ],
)
def test_symbol_number_branch(raw: str, expected: list[str]) -> None:
    assert values(InsuranceIdRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "記号を用いて説明",
        "01130012",
        "番号 1234",
        "保険診療",
        "WBC 12300/μL",
        "記号不明",  # kanji after 記号 without a 番号: words
        "記号欄に記載なし",
        "枝番なし",
        "公費負担者番号①",
        "(枝番)なし",
        "第3病日",
        "3-4回/日",
    ],
)
def test_insurance_negatives(raw: str) -> None:
    assert values(InsuranceIdRecognizer(), raw) == []


# --- other IDs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("旅券番号 TK1234567", [("TK1234567", 0.95)]),
        ("TK1234567", [("TK1234567", 0.7)]),
        ("在留カード番号 AB12345678CD", [("AB12345678CD", 0.95)]),
        ("AB12345678CD", [("AB12345678CD", 0.9)]),
        ("運転免許証番号 123456789012", [("123456789012", 0.95)]),
        ("基礎年金番号 1234-567890", [("1234-567890", 0.95)]),
        ("住民票コード 12345678901", [("12345678901", 0.95)]),
        ("身体障害者手帳 第12345号", [("12345", 0.9)]),
        ("療育手帳 No.123456", [("123456", 0.9)]),
        # generic labelled codes: <label>番号/コード/No. and a code
        ("報告番号：IA-2023-1175", [("IA-2023-1175", 0.8)]),
        ("交付番号 0733-4180", [("0733-4180", 0.8)]),
        ("医療機関コード 2713045", [("2713045", 0.8)]),
        ("受診券整理番号：H5-20817-0033", [("H5-20817-0033", 0.8)]),
        ("（施設番号 208）", [("208", 0.8)]),
        ("施設番号：0431", [("0431", 0.8)]),
        ("登録No. 58-1120", [("58-1120", 0.8)]),
        ("麻薬施用者番号：第40118号", [("40118", 0.8)]),
        ("整理番号 12 3456 7890", [("12 3456 7890", 0.8)]),  # digit groups with spaces
        ("医師免許番号 452981", [("452981", 0.8)]),
        ("お問い合わせ番号：Q-30518", [("Q-30518", 0.8)]),
        ("処方箋番号 5520-13", [("5520-13", 0.8)]),
        # bank accounts, near a bank's name
        ("振込先：さくら銀行 本町支店 普通 4402917", [("4402917", 0.85)]),
        ("ゆうちょ 当座 0231558", [("0231558", 0.85)]),
        ("口座番号 7719024", [("7719024", 0.85)]),
        ("口座番号：A-4471-209", [("A-4471-209", 0.8)]),  # not an account shape: a labelled code
    ],
)
def test_other_ids(raw: str, expected: list[tuple[str, float]]) -> None:
    assert found(OtherIdRecognizer(), raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "123456789012",
        "1234-567890",
        "年金生活",
        "HbA1c",
        "ABC1234567",
        "T1234567",
        "ID6996358",  # a label and its number, not a passport
        "NO1234567",
        "お薬手帳を持参。血圧 120/80",  # 手帳 needs its number right after it
        "手帳 2級",
        # labels another recognizer owns
        "電話番号 0422-33-2826",
        "郵便番号 160-0023",
        "保険者番号 01130012",
        "患者番号 1234567",
        # too short, or no label word before the anchor
        "県番号 27",
        "症例No.12",
        "番号 123456",
        "長男の番号は 0123456",  # a particle, not a label word, before 番号
        "被保険者証番号：12345678",  # the insurance recognizer's
        # clinical, product and bibliographic codes identify no one
        "ICD-10コード C34.1",
        "病名コード 8842175",
        "治験薬コード：KX-2051",
        "治験実施計画書番号：KX-2051-J02",
        "ロット番号 EY0573",
        "別冊No. 123",
        "FeNO 120 ppb",  # nitric oxide, not a "No" label
        "aNO 12.5",
        # 普通 the word, or an account number without a bank nearby
        "普通 1234567",
        "普通食 1800kcal",
    ],
)
def test_other_id_negatives(raw: str) -> None:
    assert found(OtherIdRecognizer(), raw) == []


# --- registry, engine, speed -------------------------------------------------------------------


def test_registered() -> None:
    for name, label in [
        ("ids.patient", "PATIENT_ID"),
        ("ids.my_number", "MY_NUMBER"),
        ("ids.insurance", "INSURANCE_ID"),
        ("ids.other", "OTHER_ID"),
    ]:
        assert label in RECOGNIZERS.get(name).labels
    assert "INSURANCE_ID" in RECOGNIZERS.get("ids.institution").labels


def test_engine_maps_back_to_original_characters() -> None:
    names = ("ids.patient", "ids.my_number", "ids.insurance", "ids.other", "contact.phone")
    analyzer = PhiAnalyzer(DeidConfig(recognizers=names))
    raw = "患者ＩＤ：０３１２３４５６７８、マイナンバー　１２３４　５６７８　９０１８、保険者番号　０１１３００１２"
    spans = analyzer.analyze(raw)
    assert [(s.label, raw[s.start : s.end]) for s in spans] == [
        ("PATIENT_ID", "０３１２３４５６７８"),  # not a PHONE: the label says what it is
        ("MY_NUMBER", "１２３４　５６７８　９０１８"),
        ("INSURANCE_ID", "０１１３００１２"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "1" * 20000,
        "ID " * 5000,
        "記号" * 5000,
        "A" * 20000,
        "免許" * 5000,
        "番号" * 5000,
        "施設番号 1 " * 3000,
    ],
)
def test_pathological_inputs_stay_fast(raw: str) -> None:
    context = TextContext(normalize(raw)[0])
    start = time.perf_counter()
    for cls in (PatientIdRecognizer, MyNumberRecognizer, InsuranceIdRecognizer, OtherIdRecognizer):
        cls().analyze(context)
    assert time.perf_counter() - start < 2.0


# --- recall rules: notes after labels, kanji in codes, foreign labels, trial registries ------


@pytest.mark.parametrize(
    ("recognizer", "raw", "expected"),
    [
        (InsuranceIdRecognizer, "公費負担者番号（変更後）：38172604", "38172604"),
        (PatientIdRecognizer, "患者番号（旧）：Z00917", "Z00917"),
        (OtherIdRecognizer, "照会番号：K5-検-00317", "K5-検-00317"),
        # a kana or kanji prefix before a hyphen is part of the code (blind set 3)
        (OtherIdRecognizer, "照会番号：検-00317", "検-00317"),
        (OtherIdRecognizer, "母子健康手帳番号 中野-R4-03117", "中野-R4-03117"),
        (InsuranceIdRecognizer, "保険証番号 テスト-000123", "テスト-000123"),
        (PatientIdRecognizer, "Hospital No. TQMC-0071123", "TQMC-0071123"),
        (PatientIdRecognizer, "Chart #: 5580213", "5580213"),
        (PatientIdRecognizer, "Prontuário: 2023-00417", "2023-00417"),
        (PatientIdRecognizer, "NHS number 485 777 3456", "485 777 3456"),
        (PatientIdRecognizer, "診療録番号：00712245", "00712245"),
        (OtherIdRecognizer, "外国人登録番号 B7654321", "B7654321"),
        (OtherIdRecognizer, "Passport No. K87654321", "K87654321"),
        (OtherIdRecognizer, "SSN 321-54-9876", "321-54-9876"),
        (OtherIdRecognizer, "Our ref: TM/4471", "TM/4471"),
        (InsuranceIdRecognizer, "Policy No. ZX-778812", "ZX-778812"),
        (InsuranceIdRecognizer, "Member ID: Q998877665", "Q998877665"),
    ],
)
def test_recall_rules_find_ids(recognizer: type[Recognizer], raw: str, expected: str) -> None:
    assert values(recognizer(), raw) == [expected]


@pytest.mark.parametrize(
    ("recognizer", "raw"),
    [
        (PatientIdRecognizer, "研究登録番号：jRCT1031220456"),  # a study's public registration
        (OtherIdRecognizer, "研究登録番号：jRCT1031220456"),
        (OtherIdRecognizer, "試験番号 UMIN000045678"),
        (PatientIdRecognizer, "外国人登録番号 B7654321"),  # not the patient's number
        (PatientIdRecognizer, "Case 3 was discharged"),  # no number label
        (OtherIdRecognizer, "Reference range 3.5-5.0"),
        (OtherIdRecognizer, "XRef 12345"),
        (InsuranceIdRecognizer, "Group 3 patients"),
    ],
)
def test_recall_rules_leave_non_ids(recognizer: type[Recognizer], raw: str) -> None:
    assert values(recognizer(), raw) == []


def test_registered_patient_label_keeps_patient_words() -> None:
    assert values(PatientIdRecognizer(), "症例登録番号：R-00123") == ["R-00123"]
    assert values(PatientIdRecognizer(), "登録番号：A1234567") == ["A1234567"]
