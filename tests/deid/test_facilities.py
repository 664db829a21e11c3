"""FACILITY recognition: hospitals, clinics, care homes, schools, companies (synthetic names)."""

from __future__ import annotations

import pytest

pytest.importorskip("fugashi")
pytest.importorskip("unidic_lite")

from jmedllm.deid.base import RECOGNIZERS, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer

_ANALYZER = PhiAnalyzer(DeidConfig(recognizers=("names.facility",)))


def facilities(text: str, analyzer: PhiAnalyzer = _ANALYZER) -> list[str]:
    return [text[s.start : s.end] for s in analyzer.analyze(text) if s.label == "FACILITY"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("さくら病院に入院中。", ["さくら病院"]),
        ("山田クリニックを受診。", ["山田クリニック"]),
        ("鈴木内科医院より紹介。", ["鈴木内科医院"]),
        ("横浜市立大学附属病院へ転院。", ["横浜市立大学附属病院"]),
        ("東京大学医学部附属病院", ["東京大学医学部附属病院"]),
        ("医療法人社団 健心会 さくら病院 循環器内科", ["医療法人社団 健心会 さくら病院"]),
        ("医療法人社団健心会さくら病院", ["医療法人社団健心会さくら病院"]),
        ("社会福祉法人 緑風会", ["社会福祉法人 緑風会"]),
        ("特別養護老人ホーム 緑風苑に入所。", ["特別養護老人ホーム 緑風苑"]),
        ("グループホームさくら草から", ["グループホームさくら草"]),
        ("訪問看護ステーションあおばより連絡。", ["訪問看護ステーションあおば"]),
        ("ひまわり園、わかば保育園に通う。", ["ひまわり園", "わかば保育園"]),
        ("あおぞら調剤薬局で受け取り。", ["あおぞら調剤薬局"]),
        ("なごみデイサービスセンターを利用。", ["なごみデイサービスセンター"]),
        ("東都第一病院", ["東都第一病院"]),
        ("虎の門病院", ["虎の門病院"]),
        ("山田整形外科、さくら眼科に通院。", ["山田整形外科", "さくら眼科"]),
        ("㈱メディカルテック勤務", ["㈱メディカルテック"]),
        ("株式会社東都電機に勤務。", ["株式会社東都電機"]),
        ("山田工業株式会社", ["山田工業株式会社"]),
        ("八王子市立第二小学校", ["八王子市立第二小学校"]),
        ("𠮷田病院", ["𠮷田病院"]),
        ("3月1日さくら病院受診", ["さくら病院"]),
        ("所沢保健所に届出。", ["所沢保健所"]),
        ("5階東病棟 305号室", ["5階東病棟 305号室"]),  # merged by the engine (one space)
        ("すこやか薬局 春日店で受け取り", ["すこやか薬局 春日店"]),
        ("お薬手帳より清流眼科でも処方", ["清流眼科"]),
        (
            "一般財団法人 光陽会介護老人保健施設ふれあいへ入所",
            ["一般財団法人 光陽会介護老人保健施設ふれあい"],
        ),
        ("有限会社渡辺印刷 勤務", ["有限会社渡辺印刷"]),
        ("紹介元：桜台中学校　医師 岡﨑", ["桜台中学校"]),
        ("2024.12.16\n本町病院\n内科", ["本町病院"]),
        ("なごみデイサービスセンター", ["なごみデイサービスセンター"]),
    ],
)
def test_facility_found(text: str, expected: list[str]) -> None:
    assert facilities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "当院、近医、前医、他院、同院で加療。",
        "大学病院と総合病院を比較。",
        "かかりつけの病院に通院。病院へ行く。薬局でもらう。",
        "地域の病院、大きな病院、近くのクリニック。",
        "当クリニック、本院、市民病院、県立病院。",
        "内科クリニックに通院。消化器内科、循環器内科。",
        "地域包括支援センターに相談。保健所に届出。",
        "デイサービスを利用。デイサービス利用中。グループホーム入所中。",
        "株式会社に勤務。会社員。",
        "大学生。高校生。内科医。外科的治療。",
        "公園を散歩。保育園に通園中。",
        "すぐ病院に行くよう指示。",
        "救急病院、精神科病院、専門病院。",
        "動物園、霊園、学生寮、公園。",
        "グループホームに入所。介護老人保健施設 医師。",
        "腫瘍内科、感染症内科、緩和ケア内科、血液内科に紹介。",
    ],
)
def test_no_facility(text: str) -> None:
    assert facilities(text) == []


def test_department_is_not_part_of_the_facility() -> None:
    assert facilities("紹介先：みどり病院 循環器内科 山田先生") == ["みどり病院"]


def test_wards_can_be_switched_off() -> None:
    analyzer = PhiAnalyzer(
        DeidConfig(recognizers=("names.facility",), options={"names.facility": {"wards": False}})
    )
    assert facilities("5階東病棟 305号室、さくら病院", analyzer) == ["さくら病院"]


def test_recognizer_contract() -> None:
    recognizer = RECOGNIZERS.get("names.facility")()
    assert recognizer.labels == ("FACILITY",)
    text = "医療法人社団 健心会 さくら病院"
    spans = recognizer.analyze(TextContext(text))
    assert spans and all(s.label == "FACILITY" and 0 <= s.start < s.end <= len(text) for s in spans)
    assert all(0.0 <= s.score <= 1.0 for s in spans)


def test_person_and_facility_together() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("names.person", "names.facility")))
    text = "山田病院の山田先生より紹介。"
    found = [(s.label, text[s.start : s.end]) for s in analyzer.analyze(text)]
    assert found == [("FACILITY", "山田病院"), ("PERSON", "山田")]


def test_synthetic_corpus_recall_and_precision() -> None:
    """Character recall and precision on the project's synthetic corpus — another generator
    than these tests': other templates, other facility names."""
    synth = pytest.importorskip("jmedllm.deid.synth")
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("names.person", "names.facility")))
    gold_chars = found = predicted = correct = 0
    for doc in synth.generate_corpus(150, seed=6):
        text, spans = doc["text"], doc["spans"]
        gold = {i for s in spans if s["label"] == "FACILITY" for i in range(s["start"], s["end"])}
        anything = {i for s in spans for i in range(s["start"], s["end"])}
        pred = {i for s in analyzer.analyze(text) if s.label == "FACILITY" for i in range(s.start, s.end)}
        gold = {i for i in gold if not text[i].isspace()}
        pred = {i for i in pred if not text[i].isspace()}
        gold_chars, found = gold_chars + len(gold), found + len(gold & pred)
        predicted, correct = predicted + len(pred), correct + len(pred & anything)
    assert found / gold_chars >= 0.99
    assert correct / predicted >= 0.97
