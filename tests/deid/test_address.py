"""ADDRESS and POSTAL_CODE recognizers, on normalised text as the engine runs them."""

from __future__ import annotations

import time

import pytest

from jmedllm.core.jatext import normalize
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers.address import PREFECTURES, AddressRecognizer, PostalCodeRecognizer


def found(recognizer: Recognizer, raw: str) -> list[str]:
    text, _ = normalize(raw)
    spans = recognizer.analyze(TextContext(text))
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.label in recognizer.labels and 0.0 <= s.score <= 1.0
    return [text[s.start : s.end] for s in spans]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("東京都新宿区西新宿2丁目8番1号", "東京都新宿区西新宿2丁目8番1号"),
        ("住所：東京都新宿区西新宿２－８－１ 新宿ビル305号室。", "東京都新宿区西新宿2-8-1 新宿ビル305号室"),
        ("横浜市港北区日吉3-4-5に住む", "横浜市港北区日吉3-4-5"),
        ("新宿区西新宿2丁目8番1号", "新宿区西新宿2丁目8番1号"),
        ("大阪府大阪市北区梅田三丁目十二番地の3", "大阪府大阪市北区梅田三丁目十二番地の3"),
        ("東京都新宿区在住の80歳男性", "東京都新宿区"),
        (
            "神奈川県川崎市中原区小杉町1-2-3 パークタワー武蔵小杉1203",
            "神奈川県川崎市中原区小杉町1-2-3 パークタワー武蔵小杉1203",
        ),
        ("埼玉県さいたま市浦和区高砂3-15-1", "埼玉県さいたま市浦和区高砂3-15-1"),
        ("自宅は豊中市中桜塚1-2-3です", "豊中市中桜塚1-2-3"),
        ("自宅豊中市中桜塚1-2-3", "豊中市中桜塚1-2-3"),  # the label 自宅 stays outside
        ("福島県郡山市朝日1丁目23-7", "福島県郡山市朝日1丁目23-7"),
        ("長野県長野市大字南長野字幅下692-2", "長野県長野市大字南長野字幅下692-2"),
        ("愛知県名古屋市中区三の丸3-1-2", "愛知県名古屋市中区三の丸3-1-2"),
        ("静岡県浜松市中区元城町103-2 コーポ山田201", "静岡県浜松市中区元城町103-2 コーポ山田201"),
        ("京都市中京区寺町通御池上る上本能寺前町488", "京都市中京区寺町通御池上る上本能寺前町488"),
        ("左京区下鴨泉川町1-3", "左京区下鴨泉川町1-3"),  # 左京区 is a ward, not a lung division
        ("目黒区自由が丘1-2-3", "目黒区自由が丘1-2-3"),
        ("千代田区霞が関1-2-2。", "千代田区霞が関1-2-2"),
        ("東京都 新宿区 西新宿 2-8-1", "東京都 新宿区 西新宿 2-8-1"),
        ("東京都新宿区西新宿2-8-1 80歳", "東京都新宿区西新宿2-8-1"),
        ("東京都新宿区西新宿2-8-1患者は", "東京都新宿区西新宿2-8-1"),
        ("東京都立川市錦町1-2", "東京都立川市錦町1-2"),
        ("北海道札幌市中央区北1条西2丁目", "北海道札幌市中央区北1条西2丁目"),
        ("鹿児島県鹿児島市山下町11-1 A棟", "鹿児島県鹿児島市山下町11-1 A棟"),
        ("東京都港区六本木6-10-1 ６Ｆ", "東京都港区六本木6-10-1 6F"),
        ("宮城県仙台市青葉区本町3-8-1\n既往歴", "宮城県仙台市青葉区本町3-8-1"),
        ("上市町3丁目", "上市町3丁目"),
        ("沖縄県出身。", "沖縄県"),  # a prefecture alone counts with a residence word
        ("大阪府内在住", "大阪府"),
        ("川崎市在住", "川崎市"),
        # a building after the house number, listed word or not, room with or without 号室
        (
            "相模原市南区本町二丁目39番5号　サンシャイン本町 1001号室　電話 042-123-4567",
            "相模原市南区本町二丁目39番5号 サンシャイン本町 1001号室",
        ),
        ("母は広島県福山市旭町1丁目8番6号 メゾン東雲 136在住", "広島県福山市旭町1丁目8番6号 メゾン東雲 136"),
        (
            "枚方市緑ヶ丘８丁目23番14号　サンシャイン中央 5F\nTEL",
            "枚方市緑ヶ丘8丁目23番14号 サンシャイン中央 5F",
        ),
        ("富津市上野公園8丁目15番9号 ヴィラ青葉台 699", "富津市上野公園8丁目15番9号 ヴィラ青葉台 699"),
        ("岡山県倉敷市中央1丁目2-3　ｻﾝﾊｲﾂ 102号室", "岡山県倉敷市中央1丁目2-3 サンハイツ 102号室"),
        ("東京都港区六本木6-10-1 A棟 305号室", "東京都港区六本木6-10-1 A棟 305号室"),
        ("宮城県仙台市青葉区国分町3-7-1 第2ビル 202", "宮城県仙台市青葉区国分町3-7-1 第2ビル 202"),
        ("住所：東京都新宿区西新宿2-8-1 サンシャイン本町", "東京都新宿区西新宿2-8-1 サンシャイン本町"),
        # ... but never the label or the phone number after it
        (
            "東京都練馬区栄町三丁目25番地15　レジデンス栄町1038　代表 ０４２２-３３-２８２６",
            "東京都練馬区栄町三丁目25番地15 レジデンス栄町1038",
        ),
        ("愛知県豊田市栄町八丁目20番25号　代表 0422ー06ー4407", "愛知県豊田市栄町八丁目20番25号"),
        ("北海道函館市若葉８－１５－２ 0138-12-3456", "北海道函館市若葉8-15-2"),
        ("大阪府豊中市東雲3-18-16　担当 3名", "大阪府豊中市東雲3-18-16"),
        ("東京都新宿区西新宿2-8-1 妻 72歳と二人暮らし", "東京都新宿区西新宿2-8-1"),
        ("東京都新宿区西新宿2-8-1 2階建て", "東京都新宿区西新宿2-8-1"),
        ("東京都新宿区西新宿2-8-1 ヘルパー利用中", "東京都新宿区西新宿2-8-1"),
        # cities not listed: a generic name before 市/町/村/郡, with more address after it
        ("ご住所：〒729-5852　四街道市外国府間1-19-6", "四街道市外国府間1-19-6"),
        ("鎌ケ谷市吾妻橋4ー20ー25", "鎌ケ谷市吾妻橋4-20-25"),
        ("小平市勝どき四丁目21番地25", "小平市勝どき四丁目21番地25"),
        ("住所：いすみ市丸の内ＪＰタワー2丁目20番13号", "いすみ市丸の内JPタワー2丁目20番13号"),
        ("住所：西多摩郡日の出町南赤田一丁目34番11号", "西多摩郡日の出町南赤田一丁目34番11号"),
        ("住所四街道市外国府間1-19-6", "四街道市外国府間1-19-6"),
        ("ニセコ町字曽我1-2", "ニセコ町字曽我1-2"),
        ("神奈川県横浜市西区みなとみらい2-2-1", "神奈川県横浜市西区みなとみらい2-2-1"),
        # 番地の三: a kanji numeral after 番地の ends the house number
        ("住所：山形県米沢市門東町二丁目八番地の五", "山形県米沢市門東町二丁目八番地の五"),
        ("福井県敦賀市本町七番の二\n既往歴", "福井県敦賀市本町七番の二"),
        # romaji; the postal code after it is POSTAL_CODE (PostalCodeRecognizer), not address
        (
            "Address: Room 203, 1-2-3 Hongo, Bunkyo-ku, Tokyo 113-8655, Japan",
            "Room 203, 1-2-3 Hongo, Bunkyo-ku, Tokyo",
        ),
        ("1-1 Chuo-ku, Sapporo City, Hokkaido", "1-1 Chuo-ku, Sapporo City, Hokkaido"),
        # a plain house number, when a comma-separated list of places follows
        (
            "48 Kamiya, Ginoza-son, Kunigami-gun, Okinawa 904-1302",
            "48 Kamiya, Ginoza-son, Kunigami-gun, Okinawa",
        ),
        ("Lives at 15 Shimizu, Kita Ward, Kyoto", "15 Shimizu, Kita Ward, Kyoto"),
    ],
)
def test_addresses(raw: str, expected: str) -> None:
    assert found(AddressRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "東京都の調査では",
        "東京都立駒込病院に入院",
        "東京都内の病院",
        "北海道大学病院",
        "川崎病の既往",
        "川崎病、長谷川式認知症スケール",
        "地区3病棟",
        "市中肺炎",
        "市販薬を3日内服",
        "WBC 12300/μL、BP 140/90",
        "3-4回/週",
        "肺区域S6に結節",
        "都道府県別の統計",
        "市外局番03",
        "都内病院3か所",
        "県外4施設",
        "母は市内に3年住む",
        "中央市場で3回",
        "第3病日",
        "3-4回/日",
        "代表的な症状は発熱",
        "He lives in Yokohama City.",
        "3-4 times a day in Tokyo",
        "3 Chiba-ken",  # a plain number and one place: no house address
        "stage 4 Nagano-ken",
        # lung divisions and segments are not wards
        "左肺上区S1+2に結節",
        "左肺舌区S4の外側に陰影",
        "右上区3か所に散在",
    ],
)
def test_address_negatives(raw: str) -> None:
    assert found(AddressRecognizer(), raw) == []


def test_scores_follow_how_much_address_there_is() -> None:
    text, _ = normalize("沖縄県出身、東京都新宿区在住、住所は東京都新宿区西新宿2-8-1")
    scores = [s.score for s in AddressRecognizer().analyze(TextContext(text))]
    assert scores == sorted(scores) and scores[0] <= 0.6 and scores[-1] >= 0.9


@pytest.mark.parametrize("prefecture", PREFECTURES)
def test_every_prefecture_starts_an_address(prefecture: str) -> None:
    assert found(AddressRecognizer(), f"{prefecture}中央市本町1-2-3") == [f"{prefecture}中央市本町1-2-3"]


def test_all_47_prefectures() -> None:
    assert len(PREFECTURES) == len(set(PREFECTURES)) == 47


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("〒160-0023 東京都新宿区", ["〒160-0023"]),
        ("〒1600023", ["〒1600023"]),
        ("〒 160-0023", ["〒 160-0023"]),
        ("郵便番号160-0023", ["160-0023"]),
        ("郵便番号：160-0023", ["160-0023"]),
        ("160-0023東京都新宿区", ["160-0023"]),
        ("160-0023 横浜市港北区", ["160-0023"]),
        ("160-0023", []),  # bare, without an address after it
        # after an address label, or before any municipality
        ("住所：２７６－３３２２ 那覇市中央4丁目4-1", ["276-3322"]),
        ("ご住所：445-4913　久留米市本町三丁目", ["445-4913"]),
        ("送付先：1690051", ["1690051"]),
        ("自宅 384－9178 福山市桜台8丁目", ["384-9178"]),
        ("344-4399 石巻市中央三丁目5番地11", ["344-4399"]),
        # after a romaji address or a ZIP label
        ("Nakagami-gun, Okinawa 904-2245, Japan", ["904-2245"]),
        ("Bunkyo-ku 113-0033", ["113-0033"]),
        ("ZIP: 060-0042", ["060-0042"]),
        ("Stage 3 113-0033", []),
        ("連絡先：123-4567", []),  # a contact label is a phone's
        ("患者ID 123-4567", []),
        ("3-4回/日", []),
        ("〒160-00234", []),
        ("TEL 03-160-0023", []),
    ],
)
def test_postal_codes(raw: str, expected: list[str]) -> None:
    assert found(PostalCodeRecognizer(), raw) == expected


def test_registered() -> None:
    assert RECOGNIZERS.get("address.address").labels == ("ADDRESS",)
    assert RECOGNIZERS.get("address.postal_code").labels == ("POSTAL_CODE",)


def test_engine_maps_back_to_original_characters() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("address.address", "address.postal_code")))
    raw = "〒１６０－００２３　東京都新宿区西新宿２丁目８番１号に住む。"
    spans = analyzer.analyze(raw)
    assert [(s.label, raw[s.start : s.end]) for s in spans] == [
        ("POSTAL_CODE", "〒１６０－００２３"),
        ("ADDRESS", "東京都新宿区西新宿２丁目８番１号"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "東京都" + "1-" * 10000,
        "東京都" * 5000,
        "中央市" * 5000,
        "町" * 20000,
        "東京都新宿区" + "ア" * 20000,
        "東京都新宿区西新宿2-8-1" + " ア1" * 5000,
        "1-2 " + "Aa " * 5000 + "Minato-ku",
        "Minato-ku, " * 3000,
        "1-2-3 Aa-ku" * 2000,
        "住所" * 5000 + "123-4567",
        "123-4567 " * 3000,
    ],
)
def test_pathological_inputs_stay_fast(raw: str) -> None:
    context = TextContext(normalize(raw)[0])
    start = time.perf_counter()
    AddressRecognizer().analyze(context)
    PostalCodeRecognizer().analyze(context)
    assert time.perf_counter() - start < 2.0


# --- recall rules: foreign street addresses, romaji town before its number -------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Clinic\n27 Merrion Square, Dublin 4, Ireland\nTel: +353", "27 Merrion Square, Dublin 4, Ireland"),
        ("lives at 48A Elm Street, London SW3 4QP.", "48A Elm Street, London SW3 4QP"),
        ("Flat 2, 9 Rose Lane, Leeds, Tel 0113", "Flat 2, 9 Rose Lane, Leeds"),
        ("moving to Umeda 3-4-15, Kita-ku, Osaka soon", "Umeda 3-4-15, Kita-ku, Osaka"),
    ],
)
def test_recall_rules_find_addresses(raw: str, expected: str) -> None:
    assert found(AddressRecognizer(), raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "He walked 3 blocks down the Main Street",  # no house number before the street
        "The 2 St",
        "Rua Augusta sem número",
    ],
)
def test_recall_rules_leave_non_addresses(raw: str) -> None:
    assert found(AddressRecognizer(), raw) == []
