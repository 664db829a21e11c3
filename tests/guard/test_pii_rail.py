"""The PII rail: masks identifiers in Japanese clinical text, never blocks, keeps eponyms."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.deid.recognizers._checkdigits import is_valid_my_number
from jmedllm.guard.base import RAILS
from jmedllm.guard.rails.pii import PiiRail

#: A My Number with a correct check digit (REFERENCE §1).
MY_NUMBER = "123456789018"

CLINICAL = "患者氏名：山田太郎様、電話090-1234-5678、カルテ番号12345678の方。"
VISIT = "山田さんは2024年3月5日に来院。電話090-1234-5678。"


@pytest.fixture(scope="module")
def rail() -> PiiRail:
    return PiiRail("pii")


def test_the_rail_is_registered_as_pii() -> None:
    assert RAILS.get("pii") is PiiRail and RAILS.get("guard.rail.pii") is PiiRail


def test_masks_names_phones_and_ids(rail: PiiRail) -> None:
    result = rail.check(CLINICAL, stage="input")
    assert result == RailResult(
        "pii",
        GuardAction.MASK,
        categories=("PATIENT_ID", "PERSON", "PHONE"),
        score=0.95,
        latency_ms=result.latency_ms,
        transformed_text="患者氏名：［氏名］様、電話［電話番号］、カルテ番号［患者ID］の方。",
    )
    assert result.latency_ms > 0


def test_masks_a_my_number(rail: PiiRail) -> None:
    assert is_valid_my_number(MY_NUMBER)
    result = rail.check(f"マイナンバーは{MY_NUMBER}、氏名は佐藤花子。", stage="output")
    assert result.action is GuardAction.MASK and result.categories == ("MY_NUMBER", "PERSON")
    assert result.transformed_text == "マイナンバーは［個人番号］、氏名は［氏名］。"


@pytest.mark.parametrize(
    "text",
    [
        "発熱と咳嗽が3日続いています。鑑別を挙げてください。",
        "橋本病の既往あり。パーキンソン病で加療中。",
        "川崎病の既往。高安動脈炎疑い。クッシング症候群を疑う。",
        "バセドウ病とアルツハイマー型認知症。",
        "",
    ],
    ids=["no-identifiers", "hashimoto", "kawasaki-takayasu", "basedow-alzheimer", "empty"],
)
def test_leaves_texts_without_identifiers_alone(rail: PiiRail, text: str) -> None:
    result = rail.check(text, stage="input")
    assert (result.rail, result.action, result.categories, result.score) == (
        "pii",
        GuardAction.ALLOW,
        (),
        0.0,
    )
    assert result.transformed_text is None


def test_labels_limit_what_is_masked() -> None:
    result = PiiRail("phones", labels=["PHONE"]).check(CLINICAL, stage="input")
    assert result.rail == "phones" and result.categories == ("PHONE",)
    assert result.transformed_text == "患者氏名：山田太郎様、電話［電話番号］、カルテ番号12345678の方。"
    # Nothing of the chosen labels: allowed.
    assert PiiRail("ids", labels=["MY_NUMBER"]).check(CLINICAL, stage="input").action is GuardAction.ALLOW


def test_min_score_drops_weaker_findings(rail: PiiRail) -> None:
    # 「山田さん」 alone is a weaker finding (0.85) than the date and the phone (0.95).
    assert (
        rail.check(VISIT, stage="input").transformed_text
        == "［氏名］さんは［日付］に来院。電話［電話番号］。"
    )
    strict = PiiRail("pii", min_score=0.9).check(VISIT, stage="input")
    assert strict.categories == ("DATE", "PHONE")
    assert strict.transformed_text == "山田さんは［日付］に来院。電話［電話番号］。"
    assert PiiRail("pii", min_score=1.0).check(VISIT, stage="input").action is GuardAction.ALLOW


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"labels": "PHONE"}, "rail 'pii': labels must be a list"),
        ({"labels": ["PHONES"]}, "rail 'pii': unknown labels ['PHONES']"),
        ({"min_score": "high"}, "rail 'pii': min_score must be a number in [0, 1]"),
        ({"min_score": 1.5}, "rail 'pii': min_score must be a number in [0, 1]"),
    ],
)
def test_bad_options_are_refused_rather_than_failing_open(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PiiRail("pii", **options)
    assert str(caught.value).startswith(message)


def test_threads_at_once_get_the_same_results(rail: PiiRail) -> None:
    texts = [CLINICAL, VISIT, f"個人番号 {MY_NUMBER}", "橋本病の既往あり。", "鈴木さん、佐藤医師"] * 6
    expected = [rail.check(t, stage="input").transformed_text for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: rail.check(t, stage="input").transformed_text, texts))
    assert got == expected
    assert expected[:5] == [
        "患者氏名：［氏名］様、電話［電話番号］、カルテ番号［患者ID］の方。",
        "［氏名］さんは［日付］に来院。電話［電話番号］。",
        "個人番号 ［個人番号］",
        None,
        "［氏名］さん、［氏名］医師",
    ]
