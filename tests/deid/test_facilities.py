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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 1. A kind written first, a space, then the name (kana, kanji, の, katakana).
        ("施設の名称：特別養護老人ホーム 若葉の郷\n死亡の原因", ["特別養護老人ホーム 若葉の郷"]),
        ("デイサービスセンター つくし（週2回）を利用", ["デイサービスセンター つくし"]),
        (
            "退院先：サービス付き高齢者向け住宅 ひだまり白石に入居",
            ["サービス付き高齢者向け住宅 ひだまり白石"],
        ),
        ("ケアマネ（居宅介護支援センター かもめ）", ["居宅介護支援センター かもめ"]),
        ("居宅介護支援事業所 ちゅらさん　那覇市", ["居宅介護支援事業所 ちゅらさん"]),
        ("連携先：回復期リハビリテーション病院 さくらの森\n", ["回復期リハビリテーション病院 さくらの森"]),
        ("送迎：介護タクシー めんそーれ　090-1234-5678", ["介護タクシー めんそーれ"]),
        ("福祉用具：合同会社 あかばなタクシー", ["合同会社 あかばなタクシー"]),
        ("障害者支援施設 ひかり学園に入所中", ["障害者支援施設 ひかり学園"]),
        ("浦添市消防本部 西原出張所より搬送", ["浦添市消防本部 西原出張所"]),
        ("小規模多機能ホーム きらり、看多機 ほっと", ["小規模多機能ホーム きらり", "看多機 ほっと"]),
        ("就労継続支援B型事業所 ひだまり工房に通所", ["就労継続支援B型事業所 ひだまり工房"]),
        ("函館ケアステーション星より報告", ["函館ケアステーション星"]),
        ("施設名：やすらぎの郷", ["やすらぎの郷"]),
        # 2. Kana names MeCab cuts up, fused names, departments naming a clinic.
        ("ほくと皮フ科　院長", ["ほくと皮フ科"]),
        (
            "前回は2019年にはこだて産婦人科レディースクリニックで分娩",
            ["はこだて産婦人科レディースクリニック"],
        ),
        ("府立こども医療センターへ紹介", ["府立こども医療センター"]),
        ("（前橋こころのクリニック）", ["前橋こころのクリニック"]),
        ("福井県立こころの病院に入院歴", ["福井県立こころの病院"]),
        ("連絡先：つくしがおか在宅診療所　0166", ["つくしがおか在宅診療所"]),
        ("しらかば在宅クリニックより", ["しらかば在宅クリニック"]),
        ("紹介元：さかた東内科医院", ["さかた東内科医院"]),
        ("勤務先（ひなた物産株式会社）の食堂", ["ひなた物産株式会社"]),
        ("社会医療法人 清和会 りんかい中央病院　整形外科", ["社会医療法人 清和会 りんかい中央病院"]),
        (
            "独立行政法人 国立病院機構 ひがし札幌医療センター",
            ["独立行政法人 国立病院機構 ひがし札幌医療センター"],
        ),
        ("保険者：ひばり商事健康保険組合", ["ひばり商事健康保険組合"]),
        (
            "かえで調剤薬局 駅前通店、あおい薬局 中央通り店",
            ["かえで調剤薬局 駅前通店", "あおい薬局 中央通り店"],
        ),
        ("みなと小児科アレルギー科　院長", ["みなと小児科アレルギー科"]),
        ("医療法人社団 わかば会 いずみ内科リウマチ科", ["医療法人社団 わかば会 いずみ内科リウマチ科"]),
        ("あさひが丘病院、ひよし台内科循環器クリニック", ["あさひが丘病院", "ひよし台内科循環器クリニック"]),
        (
            "(医)さくら会 さくら病院、（公財）ときわ会 常磐病院",
            ["(医)さくら会 さくら病院", "（公財）ときわ会 常磐病院"],
        ),
        ("振込先：ゆうちょ銀行 〇一八支店", ["ゆうちょ銀行 〇一八支店"]),
        # 3. English names.
        ("転院先：Minato Bay University Hospital（救急科）", ["Minato Bay University Hospital"]),
        ("from Sakuragawa General Hospital, Dept. of Surgery", ["Sakuragawa General Hospital"]),
        ("Aoba Family Clinic and Hinode Pharmacy", ["Aoba Family Clinic", "Hinode Pharmacy"]),
        ("Kanagawa Heart Medical Center", ["Kanagawa Heart Medical Center"]),
        ("moved to Sunrise Nursing Home", ["Sunrise Nursing Home"]),
        ("works for Kaede Trading Co., Ltd. since 2019", ["Kaede Trading Co., Ltd."]),
        ("Hikari International School", ["Hikari International School"]),
        ("referred by Dr. Ito at Sakura Clinic.", ["Sakura Clinic"]),
        ("University of the Ryukyus Hospital", ["University of the Ryukyus Hospital"]),
        ("Internada no Hospital Santa Aurora em Campinas.", ["Hospital Santa Aurora"]),
        ("前医：Hospital das Clínicas, Bệnh viện Hòa Bình", ["Hospital das Clínicas", "Bệnh viện Hòa Bình"]),
        ("前医：서울하늘병원、미소치과", ["서울하늘병원", "미소치과"]),
        # Form labels whose value is a facility; the value stops at a role or a space.
        ("紹介先：ひまわり\n", ["ひまわり"]),
        ("医療機関：こうべ北野メンタルクリニック　担当医師：鷲尾", ["こうべ北野メンタルクリニック"]),
        ("訪問看護ステーションあおば所長 山田", ["訪問看護ステーションあおば"]),
        ("勤務先：株式会社林食品", ["株式会社林食品"]),
        # Wards and rooms.
        ("病棟：東4階病棟、本館5階病棟", ["東4階病棟", "本館5階病棟"]),
        ("7階西病棟 712号室 2番ベッド", ["7階西病棟 712号室 2番ベッド"]),
    ],
)
def test_facility_found_general(text: str, expected: list[str]) -> None:
    assert facilities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Generic pharmacies and hospital categories, form labels before a colon.
        "処方箋はどの保険薬局でも受け取れます。かかりつけ薬局、院外薬局、門前薬局。",
        "連携病院：\n計画管理病院：\n協力病院：\n搬送先病院：\n入院予定病院：",
        "訪問看護ステーション名：\n医療機関名：なし\n事業所名：不明",
        "急性期病院、地域医療支援病院、救急病院、協力病院、紹介先病院、後方病院、療養型病院。",
        "災害拠点病院、臨床研修病院、特定機能病院、市中病院、労災病院、赤十字病院、医師会病院。",
        "認知症疾患医療センター、総合周産期母子医療センター、急患センター、へき地診療所。",
        "かかりつけ医、かかりつけ医院、産婦人科医院、一般病院、精神科病院、単科精神科病院。",
        # Words before a type word that are no names.
        "このため産科診療所を受診。毎年学校で健診。翌日皮膚科を受診。",
        "すぐ病院へ。たくさんの病院。ふだんは病院に行かない。母は病院へ。",
        "東京の病院に入院。地域の病院。いつもの病院。",
        # After a kind: activities, counts, people, departments.
        "デイケア プログラム。デイサービス 週3回。グループホーム 入居中。ショートステイ 3日間。",
        "市民病院 山田先生。総合病院 循環器内科。大学病院 小児科 佐藤先生。",
        "訪問看護ステーション 担当 島袋。介護タクシー 利用。調剤薬局 で受け取り。グループホーム長。",
        # Departments alone; English generic words.
        "循環器内科、アレルギー科、皮フ科、リウマチ科に紹介。",
        "General Hospital. The Clinic. Red Cross Hospital. Medical Center. Hospital Day 3.",
        "紹介先：山田先生\n紹介先：整形外科\n転院先：自宅近くの病院\n紹介元：人間ドック\n依頼元：病棟",
        "となりの病院、よその病院、いつものクリニック。",
        "住宅型有料老人ホーム、就労継続支援B型事業所、介護施設。",
    ],
)
def test_no_facility_general(text: str) -> None:
    assert facilities(text) == []


def test_department_glued_to_a_hospital_is_not_part_of_it() -> None:
    assert facilities("さくら病院循環器内科に紹介") == ["さくら病院"]
    assert facilities("北斗医療センター内科") == ["北斗医療センター"]


def test_department_after_a_company_is_not_part_of_it() -> None:
    assert facilities("（ミドリ製薬株式会社 開発部）") == ["ミドリ製薬株式会社"]


def test_person_after_a_home_is_not_part_of_it() -> None:
    assert facilities("特別養護老人ホームつばさ苑の清水です") == ["特別養護老人ホームつばさ苑"]
    assert facilities("グループホームひまわりの田中さん") == ["グループホームひまわり"]


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("担当ケアマネ(居宅介護支援事業所かまだ)より連絡。", ["居宅介護支援事業所かまだ"]),
        ("通訳はNPO法人こもれび交流ネットに依頼。", ["NPO法人こもれび交流ネット"]),
        ("職業:調理師(ガンジスダイニング 柏台町店)", ["ガンジスダイニング 柏台町店"]),
        ("入所後はすみれユニットで生活。", ["すみれユニット"]),
        ("Referred from Hospital Monte Verde.", ["Hospital Monte Verde"]),
    ],
)
def test_facility_found_after_heldout2(text: str, expected: list[str]) -> None:
    assert facilities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "グループホームに入所予定だ。",
        "NPO法人の支援を受けている。",
        "ラーメン店を経営している。",
        "ストロークユニットに入院した。",
        "脳卒中ユニットで加療。",
        "Hospital No. ZQ-0417, DOB 1960/01/01",
        "Hospital Number: 554-21",
    ],
)
def test_no_facility_after_heldout2(text: str) -> None:
    assert facilities(text) == []
