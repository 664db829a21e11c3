"""Japanese postal addresses and postal codes.

A Japanese address reads from the largest unit to the smallest — 都道府県, 市区町村, 町名,
丁目・番地・号, building, room — with no separators, so its *start* is the reliable signal:
one of the 47 prefectures, a 政令指定都市 or Tokyo ward, or a generic ``…市/区/町/村/郡``
(2–5 kanji, ケ/ノ between them, or kana after a prefecture or a label: 四街道市, 鎌ケ谷市,
いすみ市) that is followed by more address (a number, 丁目, another unit). From there the
span runs over address characters (kanji, katakana, digits, ``-``) until sentence
punctuation, a particle, a newline or a stop word (在住, 出身, 病院, 代表, TEL …). Two
cleanups follow: a unit directly followed by 立/民/内/外/役所 ends the address
(``東京都立…`` is an institution, ``東京都内`` a region — but ``四街道市外国府間1-19-6`` is
a town whose name starts with 外), and text after the last house number is kept only when
it names a building (マンション, ハイツ, ビル …) or a room. Then a building and room after
the house number are added (:func:`_building_tail`): any katakana, kanji or Latin name, a
space allowed before it and before its room, with or without 号室 (サンシャイン本町 1001号室,
メゾン東雲 136, レジデンス栄町1038, A棟 305号室) — never a label (代表, TEL, 担当 …) and never a
number starting with 0, which is the phone number a letterhead puts next.
Romaji addresses (``1-2-3 Hongo, Bunkyo-ku, Tokyo``, ``207 Uehara, Nishihara-cho, …``) are
found from their unit word (-ku, -shi, City, a prefecture) back to the house number; the
postal code after them is a POSTAL_CODE of its own. Lung divisions (左肺上区 S1+2, 舌区)
are not wards.

Decisions: a prefecture alone is a quasi-identifier and is reported (score 0.6) only
with a residence word (在住, 出身 …) or a 住所 label; a 政令指定都市 or ward alone is
reported at 0.6. The postal-code span includes the ``〒`` mark when there is one, and
never the word ``郵便番号``; a city named alone is reported at 0.6 when it is foreign and
stands as a word of its own (ハノイ在住, Pokhara), or Japanese and written without 市 before a
residence or movement word (札幌から, 横浜在住); a bare ``NNN-NNNN`` is a postal code after an address label
(住所, ご住所, 自宅, 送付先 …) or right before a prefecture or municipality.
"""

from __future__ import annotations

import re
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.lexicons import load_lexicon
from jmedllm.deid.morphology import morphemes, words_regex

__all__ = ["COUNTRIES", "PREFECTURES", "AddressRecognizer", "PostalCodeRecognizer"]

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
# 政令指定都市, Tokyo's 23 wards, and municipalities spelt in kana (generic runs are kanji).
_CITIES: tuple[str, ...] = (
    "札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "相模原市", "新潟市", "静岡市", "浜松市", "名古屋市", "京都市",
    "大阪市", "堺市", "神戸市", "岡山市", "広島市", "北九州市", "福岡市", "熊本市", "津市", "千代田区", "中央区", "港区", "新宿区",
    "文京区", "台東区", "墨田区", "江東区", "品川区", "目黒区", "大田区", "世田谷区", "渋谷区", "中野区", "杉並区", "豊島区", "北区",
    "荒川区", "板橋区", "練馬区", "足立区", "葛飾区", "江戸川区", "つくば市", "ひたちなか市", "いわき市", "みどり市", "あきる野市",
    "ふじみ野市", "かすみがうら市", "つくばみらい市", "いちき串木野市", "うきは市", "みやま市", "えびの市", "たつの市", "かほく市", "あわら市",
    "南あわじ市", "いなべ市", "みよし市", "にかほ市", "つがる市", "むつ市", "さくら市", "南さつま市", "南アルプス市",
)  # fmt: skip

_K = "\u4e00-\u9fff々〆ヶ"  # kanji (kanji numerals included)
_KATA = "\u30a1-\u30fa\u30fc"
_CHARS = f"{_K}{_KATA}0-9A-Za-z\\-"
_KNUM = "一二三四五六七八九十百〇"
_UNIT = "都道府県市区町村郡"
# Words that end an address wherever they start: residence words, institutions, contact
# labels, clinical verbs written in kanji right after an address.
_STOP = (
    "在住|在勤|在籍|出身|出生|生まれ|育ち|方面|周辺|近郊|付近|近辺|以外|全域|全体|"
    "病院|医院|クリニック|診療所|医療センター|保健所|役所|役場|警察|消防|大学|学校|"
    "電話|TEL|Tel|FAX|Fax|携帯|連絡|自宅|実家|勤務|通院|受診|入院|搬送|転居|転入|居住|住所|"
    # labels that follow an address on letterheads and forms
    "代表|担当|内線|受付|窓口|局番|緊急|氏名|主治医|Phone|PHONE|Mail|MAIL|mail|E-mail|URL|HP"
)
_PLACE_HIRAGANA = "|".join(sorted((c for c in _CITIES if not re.match(f"[{_K}]", c)), key=len, reverse=True))
_BUILDING = (
    "マンション|ハイツ|コーポ|荘|ビル|タワー|レジデンス|アパート|団地|ハイム|コート|パレス|メゾン|"
    "ヒルズ|プラザ|テラス|ハウス|住宅|寮|館|棟|号室|階(?!建)|ガーデン|シティ|ヴィラ|パーク|グラン|ドミール|"
    "カーサ|フラット|ロイヤル|ステージ|アーバン|クレスト|シャルム|フォレスト|ビュー|スクエア|ガーデンズ"
)
_ROOM = rf"\d{{1,4}}(?:号室|号|F|階(?!建))|[A-Z]棟|\d{{1,2}}号棟|\d{{3,4}}(?![0-9{_K}A-Za-z%])"
# A space inside an address, when what follows continues it.
_SPACE_ON = (
    # never a label (代表, TEL …) or a number starting with 0: that is a phone number
    rf" (?!{_STOP}|0)"
    rf"(?=[{_K}]{{1,5}}[市区町村郡]|[{_K}]{{1,6}} ?(?:[1-9]|[{_KNUM}]+(?:丁目|番))"
    rf"|\d{{1,4}}(?:-\d{{1,4}})+(?![0-9])|\d{{1,4}}(?:丁目|番)"
    rf"|[{_CHARS}ぁ-ゖ・]{{0,20}}(?:{_BUILDING})|{_ROOM}"
    # a building without a listed word: katakana in its name and a room number at its end
    rf"|[{_K}]{{0,6}}[{_KATA}][{_K}{_KATA}A-Za-z・]{{0,18}}[0-9]{{1,4}}(?:号室|号)?(?![0-9])"
    rf")"
)
_BODY_UNIT = (
    rf"(?!{_STOP})[{_CHARS}]"
    rf"|が(?=[丘谷崎原浜関島森岡沢台])"  # 自由が丘, 霞が関
    # 1番地の2, 三の丸3-1, 丸の内JPタワー, 日の出町: の inside a place name, never before 病院 …
    rf"|の(?=[0-9{_KNUM}]|[{_K}]{{1,3}}(?:[0-9A-Za-z{_KATA}]|[{_KNUM}]+(?:丁目|番))|[{_K}]{{0,2}}[市区町村郡])"
    rf"|(?<=[上下入])る"  # Kyoto: 御池上る, 東入る
    rf"|(?<=[{_KATA}])・(?=[{_KATA}])"  # メゾン・ド・…
    rf"|{_PLACE_HIRAGANA}"
    # kana inside a name (いすみ市, 勝どき3丁目, 二つ室): only right before more address,
    # and never a particle (にて3日, から2回)
    rf"|(?!に|で|へ|から|まで|より|は|を|と|や|も|の|が)[ぁ-ゖ]{{1,8}}"
    rf"(?=の?[{_K}]{{0,3}}(?:[市区町村郡]|[0-9]|[{_KNUM}]+丁目|[{_KATA}]))"  # おおたかの森南1-5-1
    rf"|{_SPACE_ON}"
)
_PREF_RE = "|".join(PREFECTURES)
_CITY_RE = "|".join(sorted(_CITIES, key=len, reverse=True))
# A generic municipality needs more address after it, or "…町" in prose would match.
_GENERIC_FOLLOW = (
    rf"(?:(?:[{_K}{_KATA}A-Za-z]|(?<=[{_K}ぁ-ゖ])[のが](?=[{_K}])|(?!に|で|へ|から|まで|より|は|を|と|や|も|の|が)[ぁ-ゖ]){{0,8}}?"
    rf"(?: ?[0-9]|[{_KNUM}]+(?:丁目|番)|丁目|番地)|[{_K}]{{1,5}}[区町村]|大字|字)"  # 大津市坂本 3-22-9
)
# Scanning starts at a prefecture, a listed city, or a bare unit character: a generic
# municipality is found from its suffix backwards, which keeps the scan one cheap pass.
# Plain literals only: a named group or a character class in the alternation stops sre
# from skipping ahead on the first characters, and the scan gets 30x slower.
_ANCHOR = re.compile(rf"{_PREF_RE}|{_CITY_RE}|市|区|郡|町|村")
_PREF_SET = frozenset(PREFECTURES)
_CITY_SET = frozenset(_CITIES)
_FOLLOW = re.compile(_GENERIC_FOLLOW)
# 四街道市外国府間1-19-6: a town whose name starts with 内/外 right after the unit.
_INNER_TOWN = re.compile(rf"[内外](?:(?!{_STOP}|局番)[{_K}]){{1,6}}?(?:[1-9]|[{_KNUM}]+(?:丁目|番))")
_BODY = re.compile(rf"(?:{_BODY_UNIT}){{0,80}}")
# Words that begin with a unit character but are no unit: 肺区域, 市中肺炎, 市販薬, 町内会 …
_NOT_UNIT = re.compile("区域|区間|区分|区別|区画|市販|市民|区民|町民|村民")
# Labels written right before an address, with no space: they are not part of it.
_LEAD_WORDS = "現?住所|自宅|実家|本籍地?|居住地|所在地|宛先|送付先|連絡先|勤務先|住居"
_LEAD_BEFORE = re.compile(rf"(?:{_LEAD_WORDS})$")
_LEAD = re.compile(rf"(?:{_LEAD_WORDS})+")
_START = re.compile(rf"{_PREF_RE}|{_CITY_RE}|[{_K}]{{2,5}}[市区郡町村]")
# After a unit: 都立/市民/県内/区役所 … the unit names an institution or region, not a home.
_AFTER_UNIT = re.compile(
    rf"(?<=[{_UNIT}])(?:立(?![川石花野])|民(?!家)|内在|内(?![{_K}])|外(?![{_K}])|役所|役場|議会|庁|全域|医師会)"
)
_NUMERIC = re.compile(rf"[0-9]|[{_KNUM}]+(?:丁目|番|号)|丁目|番地")
_LAST_NUMERIC = re.compile(
    # 十一番地の三: a kanji numeral after 番地の/番の ends the house number too
    rf".*(?:(?:番地|番)の[{_KNUM}]{{1,4}}|[0-9]F?|[{_KNUM}]*(?:丁目|番地|番|号室|号|階(?!建)|棟)|[A-Z](?=棟))",
    re.DOTALL,
)
_BUILDING_RE = re.compile(_BUILDING)
_RESIDENCE_AFTER = re.compile(
    r"内?(?:在住|在勤|出身|出生|生まれ|育ち|居住|に住|から転居|へ転居|に転居|より転居)"
)
# Building and room after a house number (see _building_tail).
_TAIL = re.compile(
    rf" ?(?!0)(?P<name>[{_K}{_KATA}A-Za-zぁ-ゖ・&'][{_K}{_KATA}A-Za-zぁ-ゖ・&']{{0,24}}?)? ?"
    rf"(?P<room>第?[0-9]{{1,4}}(?:号室|号棟|号館|号|F|階(?!建))|[A-Z]棟|[A-Z]-?[0-9]{{2,4}}(?:号室)?"
    rf"|[0-9]{{1,4}}(?:-[0-9A-Z]{{1,4}})?(?:号室)?)"
)
_TAIL_NAME_ALONE = re.compile(
    rf" (?P<name>[{_KATA}][{_KATA}]+[{_K}{_KATA}A-Za-z・]{{0,22}})(?=[ ]*(?:\n|$|[)」』、。]))"
)
# Words that make "<katakana><kanji>" after an address prose, not a building name.
_NOT_BUILDING = re.compile(
    rf"{_STOP}|利用|入所|通所|訪問|介護|同居|独居|生活|在宅|予定|希望|開始|導入|使用|済|中$|者|様|氏|殿|等"
)
_ROOM_SUFFIX = re.compile(r"号室|号棟|号館|号$|F$|階$|棟$")
_TAIL_STOP = re.compile(_STOP)
_TAIL_PARTICLE = re.compile(r"(?:に|で|へ|から|まで|より|は|を|と|や|も|の|が)")
# A name with katakana or Latin letters is a building name (サンシャイン本町, Villa Aoba).
_NAME_MARK = re.compile(rf"[{_KATA}A-Za-z]")
# What may follow a bare room number: the end of the address, not a counter (3か月, 12歳).
_ROOM_END = re.compile(rf"[\s、。,.)」』】\]/・(]|(?:{_STOP})|(?!か|ヶ|カ|ヵ)[ぁ-ゖ]")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# 左肺上区 S1+2, 舌区, 左上区: lung divisions and segments, not wards (左京区 is a ward).
_ANATOMY_NAME = re.compile(rf"[左右][上中下舌肺]|[{_K}]*[肺葉]")
_ADDRESS_LABEL_BEFORE = re.compile(r"(?:住所|居住地|本籍|所在地)[ :]*$")


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch in "々〆ヶ"


# What may follow a municipality named alone: residence and origin, an issuer or insurer
# (倉敷市交付, 大仙市国民健康保険), a move (彦根市→), a facility there (七尾市の施設), a bracket.
_BARE_AFTER = re.compile(
    r"内?(?:在住|在勤|出身|居住|に住|から転居|へ転居|に転居|より転居|から転入|へ転出|交付|発行|長|"
    r"国民健康保険|国保|介護保険|後期高齢|福祉事務所|保健センター|の(?:施設|病院|自宅|実家|墓)|→|-|\)|、|,)"
)
# Words ending in a unit character that name no particular place.
_NOT_MUNICIPALITY = frozenset(
    [
        "同市",
        "当市",
        "本市",
        "他市",
        "各市",
        "近隣市",
        "都市",
        "市町村",
        "区市町村",
        "同区",
        "当区",
        "同町",
        "当町",
        "各区",
        "特別区",
    ]
)


# Every municipality of Japan (lexicons/municipalities.txt, from Japan Post's data): one of
# them stands alone as a place before any particle or boundary (盛岡市で受診, 富山市 在住).
_MUNICIPALITIES = load_lexicon("municipalities")
_GAZETTEER_AFTER = re.compile(
    r"[\s、。,.)」』】/→:]|$|で|に|へ|の|は|が|を|と|や|も|から|まで|より|在|出身|方面"
)


def _bare_municipality(text: str, start: int, unit_end: int) -> bool:
    """Whether the kanji name and unit at ``start:unit_end`` (…市, …区, …町, …村) stand
    alone as a place: a residence word, an issuer or a bracket around it — or, for a
    municipality of the gazetteer, any boundary."""
    if text[unit_end - 1] not in "市区町村" or text[start:unit_end] in _NOT_MUNICIPALITY:
        return False
    if text[start:unit_end] in _MUNICIPALITIES and _GAZETTEER_AFTER.match(text, unit_end):
        return True
    if _BARE_AFTER.match(text, unit_end) is None:
        return False
    if text[unit_end : unit_end + 1] in ("-", ",", "、", ")"):
        # only in a list or a bracket of places: (宇治市), 宇治市、大津市
        return start > 0 and text[start - 1] in "(、, →"
    return True


def _generic_start(text: str, suffix: int) -> int | None:
    """Start of the 2–5 kanji name before a unit character (a label such as 自宅 or 住所
    may be glued before it), or of a 2–5 kana name (いすみ市, ニセコ町) that follows a
    prefecture or stands after a space or punctuation; None if there is none."""
    start = suffix
    while (
        start > 0
        and suffix - start < 9
        and (
            _is_kanji(text[start - 1])
            or (text[start - 1] in "ケノ" and start > 1 and _is_kanji(text[start - 2]))
        )
    ):
        start -= 1  # 鎌ケ谷市, 一ノ関: ケ and ノ written between kanji are part of the name
    if start > 0 and _is_kanji(text[start - 1]):
        return None  # part of a longer kanji run (a word, not a place)
    if suffix - start > 5:
        lead = _LEAD.match(text, start, suffix)
        if lead is None or not 2 <= suffix - lead.end() <= 5:
            return None
        return start
    if suffix - start >= 2:
        return start
    if start < suffix:
        # one kanji: 本町, 南区 are towns and wards, not where an address starts — but 燕市,
        # 旭市 right after a label or a bracket are cities
        if (
            text[suffix - 1 : suffix + 1].endswith("市")
            and (start == 0 or text[start - 1] in _LABEL_END)
            and text[start] not in _NOT_ONE_KANJI_CITY
        ) or text[start : suffix + 1] in _MUNICIPALITIES:
            return start  # (呉市, 津市, 燕市 of the gazetteer anywhere)
        return None
    kana = _KANA_BEFORE.search(text, max(0, suffix - 6), suffix)
    if kana is None or _NOT_KANA_PLACE.search(kana.group()):
        return None
    before = text[kana.start() - 1] if kana.start() > 0 else " "
    if before in _PLACE_BEFORE or (before in "都道府県" and text[: kana.start()].endswith(_PREF_ENDINGS)):
        return kana.start()
    return None


_KANA_BEFORE = re.compile(rf"(?:[ぁ-ゖ]{{2,5}}|[{_KATA}]{{2,5}})$")
# Particles and endings that make a kana run prose, not a place name (…のみ市, …ですが町).
_NOT_KANA_PLACE = re.compile("です|ます|から|まで|より|[はをがにでへとものや]$")
_PLACE_BEFORE = frozenset(" \n\t:：、,。(（「『【[/")
_LABEL_END = frozenset(":：(（「【")
_NOT_ONE_KANJI_CITY = frozenset("同当各本他全両前元新旧某市")  # 各市町村, 同市: no city
_PREF_ENDINGS = tuple(PREFECTURES)


def _trim(text: str, start: int, end: int) -> int:
    """The end of the address proper: before 都立/県内 …, and after its last house number."""
    cut = _AFTER_UNIT.search(text, start, end)
    if cut is not None:
        end = cut.start()
    last = _LAST_NUMERIC.match(text, start, end)
    if last is not None and last.end() < end and not _BUILDING_RE.search(text, last.end(), end):
        end = last.end()
    while end > start and text[end - 1] in " ・-の":
        end -= 1
    return end


def _building_tail(text: str, end: int) -> int:
    """The end of the address with the building and room that follow its house number.

    After 丁目・番地・号 or a 1-2-3 block, a building name (katakana, kanji or letters, with
    at most one space before it and before its room) and a room or floor belong to the
    address: サンシャイン本町 1001号室, メゾン東雲 136, レジデンス栄町1038, A棟 305号室. A
    label (代表, TEL, 担当 …) or a number starting with 0 (a phone) is never taken.
    """
    for _ in range(3):
        m = _TAIL.match(text, end)
        if m is None:
            # a building without a room, closing the line: "…1-2-3 サンシャイン本町"
            alone = _TAIL_NAME_ALONE.match(text, end)
            if alone is not None and not _NOT_BUILDING.search(alone.group("name")):
                end = alone.end()
            break
        name, room = m.group("name") or "", m.group("room")
        suffixed = _ROOM_SUFFIX.search(room) is not None
        if name:
            if _TAIL_STOP.search(name) or _TAIL_PARTICLE.match(name):
                break
            named = _BUILDING_RE.search(name) or _NAME_MARK.search(name)
            if not (named or suffixed):
                break  # a kanji word and a bare number: "長男 45", not a building
        elif not suffixed and not (text[end - 1 : end] and not text[end - 1].isdigit()):
            break  # a bare number after a house number: a count, not a room
        after = m.end()
        if not suffixed and after < len(text) and not _ROOM_END.match(text, after):
            break  # "メゾン 3か月", "ハイツ 12歳"
        if after < len(text) and (
            text[after] in _ALNUM or (text[after] == "-" and text[after + 1 : after + 2].isdigit())
        ):
            break
        end = after
    return end


def _score(text: str, start: int, end: int, unit_end: int, kind: str) -> float:
    """Score by how much of an address there is; 0.0 drops the span."""
    if _NUMERIC.search(text, unit_end, end):
        return 0.95
    if end > unit_end:
        return 0.85
    labelled = _RESIDENCE_AFTER.match(text, end) or _ADDRESS_LABEL_BEFORE.search(
        text, max(0, start - 8), start
    )
    if kind == "pref":
        return 0.6 if labelled else 0.0
    if kind == "city":
        return 0.7 if labelled else 0.6
    return 0.6 if labelled else 0.0


@RECOGNIZERS.register("address.address")
class AddressRecognizer(Recognizer):
    """Postal addresses (ADDRESS) from a prefecture, a major city or a …市/区/町/村 through
    丁目・番地・号 (Arabic or kanji numerals, 2-8-1 forms), building and room number."""

    labels: ClassVar[tuple[str, ...]] = ("ADDRESS",)
    priority: ClassVar[int] = 40

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        pos = 0
        while (m := _ANCHOR.search(text, pos)) is not None:
            pos = m.end()
            found_unit = m.group()
            kind = "pref" if found_unit in _PREF_SET else "city" if found_unit in _CITY_SET else "gen"
            start, unit_end = m.span()
            if _NOT_UNIT.match(text, unit_end - 1):
                continue
            # "空港区域", "富津市": a short city name inside a longer word is no city of its own,
            # unless a label (自宅, 住所) precedes it; the word may still be a municipality.
            if (
                kind == "city"
                and start > 0
                and _is_kanji(text[start - 1])
                and not _LEAD_BEFORE.search(text, max(0, start - 4), start)
            ):
                kind, start = "gen", unit_end - 1
            if kind == "gen":
                found = _generic_start(text, start)
                if found is None or _ANATOMY_NAME.match(text, found, start):
                    continue
                after = text[unit_end : unit_end + 1]
                if after == "立" or (after in ("内", "外") and not _INNER_TOWN.match(text, unit_end)):
                    continue  # 市立, 県内, 市外: an institution or a region, unless a town follows
                if not _FOLLOW.match(text, unit_end):
                    if not _bare_municipality(text, found, unit_end):
                        continue
                    # 那覇市在住, (宇治市), 倉敷市交付: a city alone is where someone lives or
                    # what issued their papers — a quasi-identifier reported like a major city.
                    spans.append(Span(found, unit_end, "ADDRESS", 0.6))
                    pos = unit_end
                    continue
                start = found
                lead = _LEAD.match(text, start, unit_end)
                if lead is not None:
                    start = lead.end()
                    unit = _START.fullmatch(text, start, unit_end)
                    if unit is None:
                        continue  # what is left after 住所/自宅 is not a place name
                    kind = "city" if unit.group() in _CITY_SET else "gen"
            body_end = _BODY.match(text, unit_end).end()
            end = _trim(text, start, body_end)
            unit_end = min(unit_end, end)
            score = _score(text, start, end, unit_end, kind) if end > start else 0.0
            if score >= 0.95:
                end = _building_tail(text, end)
            pos = max(pos, body_end, end)
            if score > 0.0:
                spans.append(Span(start, end, "ADDRESS", score))
        if "-" in text or ", " in text or " City" in text or " Ward" in text or " Prefecture" in text:
            spans += _romaji_addresses(text)
        if " " in text:
            spans += _street_addresses(text)
        covered = [(s.start, s.end) for s in spans]
        places = [*_places(text), *_gazetteer_cities(context)]
        if ", " in text:
            places += _city_countries(text)
        spans += [p for p in places if not any(a <= p.start and p.end <= b for a, b in covered)]
        if "丁目" in text:
            spans += [t for t in _chome_towns(text) if not any(a <= t.start < b for a, b in covered)]
        if "ジュウショ" in text:  # ｼﾞｭｳｼｮ:ｻｲﾀﾏｼ ﾐﾅﾐｸ ﾍﾞｯｼｮ 5-2-14 on a katakana-only printout
            spans += [
                Span(m.start("addr"), m.end("addr"), "ADDRESS", 0.8)
                for m in _KATAKANA_ADDRESS.finditer(text)
                if _KATAKANA_UNIT.search(m.group("addr")) or any(c.isdigit() for c in m.group("addr"))
            ]
        return spans


# Cities named alone (lexicons/foreign_places.txt and japanese_cities.txt).
_FOREIGN = load_lexicon("foreign_places")
_JA_SCRIPT = re.compile(f"[{_K}{_KATA}]")
_LATIN_LETTER = re.compile("[A-Za-z]")
# All three lists are one trie of literals, scanned once (no look-behind first, so the scan
# skips ahead to the possible first characters); boundaries are checked in Python.
_FOREIGN_JA = frozenset(e for e in _FOREIGN if not e.startswith("="))
_FOREIGN_LATIN = frozenset(e[1:] for e in _FOREIGN if e.startswith("="))
_JAPANESE_CITIES = load_lexicon("japanese_cities")
# The gazetteer's cities UniDic reads as one place name (lexicons/city_names.txt): found from
# the place-name tokens of the shared analysis, not by a scan of the text — a scan for 322
# more words that start with as many kanji would try every position.
_CITY_NAMES = load_lexicon("city_names")
_PLACE_POS = ("名詞", "固有名詞", "地名", "一般")
_PLACE = re.compile(words_regex(_FOREIGN_JA | _FOREIGN_LATIN | _JAPANESE_CITIES))
_CITY_WORD = re.compile(" City(?![A-Za-z])")
_PLACE_FOLLOW = re.compile(
    "在住|在勤|出身|出生|生まれ|近郊|郊外|市内|市|在|滞在|赴任|駐在|方面|経由|行き|発|着"
)
_CITY_FOLLOW = re.compile(
    "在住|在勤|出身|から|より|へ|まで|に住|に転居|へ転居|に引っ越|で暮ら|の(?:実家|自宅|病院|施設|墓|家)|近郊|郊外|市内|方面"
)


def _places(text: str) -> list[Span]:
    """Cities named alone: a foreign city standing as a word of its own (no kanji or kana
    glued before it, none after it but a residence word: ローマ字, パリパリ, 上海ガニ are no
    places), or a Japanese city written without 市 with a residence or movement word after
    it (札幌から, 横浜在住)."""
    out = []
    for m in _PLACE.finditer(text):
        start, end = m.span()
        word = m.group()
        if word in _FOREIGN_LATIN:
            if (start and _LATIN_LETTER.match(text, start - 1)) or _LATIN_LETTER.match(text, end):
                continue
            city = _CITY_WORD.match(text, end)
            end = city.end() if city else end
        else:
            if start and _JA_SCRIPT.match(text, start - 1):
                continue
            if word in _JAPANESE_CITIES:
                if not _CITY_FOLLOW.match(text, end):
                    continue
            elif _JA_SCRIPT.match(text, end) and not _PLACE_FOLLOW.match(text, end):
                continue
            elif text[end : end + 1] == "市":
                end += 1  # ハノイ市: the city word is part of the name
        out.append(Span(start, end, "ADDRESS", 0.6))
    return out


# An address after its katakana label on a printout written in half-width katakana only
# (NFKC makes it full-width): katakana words and house numbers up to a wide gap or line end.
_KATAKANA_ADDRESS = re.compile(
    r"(?<![ァ-ヺ])(?:ゲン|シン|ゲンザイ)?ジュウショ ?: ?"
    r"(?P<addr>[ァ-ヺー]+(?: ?[ァ-ヺー0-9][ァ-ヺー0-9\-]*){0,6})"
)
_KATAKANA_UNIT = re.compile(r"(?:シ|ク|チョウ|マチ|ムラ|グン|ケン|チョウメ|バンチ)(?: |$)")


#: Countries in Latin letters: the second half of a foreign address (Sao Paulo, Brazil).
COUNTRIES = frozenset(
    (
        *("Japan", "China", "Korea", "Taiwan", "Vietnam", "Philippines", "Nepal", "India", "Thailand"),
        *("Indonesia", "Myanmar", "Brazil", "Peru", "Bolivia", "Argentina", "Mexico", "USA", "America"),
        *("Canada", "Australia", "Zealand", "England", "France", "Germany", "Italy", "Spain", "Portugal"),
        *("Sri Lanka", "Bangladesh", "Mongolia", "Malaysia", "Singapore", "Cambodia", "Laos", "Pakistan"),
    )
)
# A place and its country after a comma: the place is a city or a region of that country.
_CITY_COUNTRY = re.compile(
    r"(?<![A-Za-z])(?P<city>[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+){0,2}), (?P<country>[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?![a-z])"
)


def _city_countries(text: str) -> list[Span]:
    """A foreign place written before its country (Sao Paulo, Brazil; Cebu City, Philippines)."""
    return [
        Span(m.start("city"), m.end("city"), "ADDRESS", 0.6)
        for m in _CITY_COUNTRY.finditer(text)
        if m.group("country") in COUNTRIES and m.group("city") not in COUNTRIES
    ]


def _gazetteer_cities(context: TextContext) -> list[Span]:
    """Cities of the gazetteer written without 市 before a residence or movement word
    (盛岡から, 那覇在住): place-name tokens of the shared analysis whose surface is one."""
    text, tokens = context.text, morphemes(context)
    out = []
    for i in tokens.indices(_PLACE_POS):
        word = tokens.surfaces[i]
        if word not in _CITY_NAMES:
            continue
        start, end = tokens.starts[i], tokens.ends[i]
        if (start and _JA_SCRIPT.match(text, start - 1)) or not _CITY_FOLLOW.match(text, end):
            continue
        out.append(Span(start, end, "ADDRESS", 0.6))
    return out


# A town and its 丁目 without a municipality before it (東雲二丁目の交差点, 自宅 緑が丘2丁目,
# 本町3丁目5-2, 北4条西5丁目): 丁目 names a part of a town and nothing else, so the town name before it
# (kanji or katakana, が/ケ/ノ inside) and the house number after it make an address.
_CHOME = re.compile(rf"(?:[0-9]{{1,2}}|[{_KNUM}]{{1,3}})丁目")
_TOWN_BEFORE = re.compile(
    rf"(?:[{_K}{_KATA}](?:[がケノヶの](?=[{_K}]))?|[0-9]{{1,2}}(?=条)){{1,8}}\Z"
)  # 北4条西
_HOUSE_AFTER = re.compile(r"(?:[0-9]{1,4}(?:番地?の?|-)?)?(?:[0-9]{1,4}(?:号|-[0-9]{1,4})?)?")


def _chome_towns(text: str) -> list[Span]:
    out = []
    for m in _CHOME.finditer(text):
        town = _TOWN_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if town is None:
            continue
        start = town.start()
        lead = _LEAD.match(text, start, m.start())
        if lead is not None:
            start = lead.end()  # 自宅緑が丘2丁目: the label is not the town's
        if m.start() - start < 2:
            continue  # 1丁目ずつ, 各丁目: no town name
        end = _HOUSE_AFTER.match(text, m.end()).end()
        out.append(Span(start, end, "ADDRESS", 0.8))
    return out


# --- addresses in romaji --------------------------------------------------------------------

# "2-3-4 Kita-Aoyama, Minato-ku, Tokyo 107-0061": found from a unit word (-ku, -shi, City,
# Tokyo …) back to the house number, which must come first, then on to the prefecture,
# postal code and "Japan".
_RJ_WORD = r"[A-Z][a-z]+(?:-[A-Za-z]+)*"
_RJ_UNITS = "ku|shi|cho|machi|gun|mura|son|ken|fu|to"
_RJ_PREFECTURES = (
    "Hokkaido|Aomori|Iwate|Miyagi|Akita|Yamagata|Fukushima|Ibaraki|Tochigi|Gunma|Saitama|Chiba|Tokyo|"
    "Kanagawa|Niigata|Toyama|Ishikawa|Fukui|Yamanashi|Nagano|Gifu|Shizuoka|Aichi|Mie|Shiga|Kyoto|Osaka|"
    "Hyogo|Nara|Wakayama|Tottori|Shimane|Okayama|Hiroshima|Yamaguchi|Tokushima|Kagawa|Ehime|Kochi|"
    "Fukuoka|Saga|Nagasaki|Kumamoto|Oita|Miyazaki|Kagoshima|Okinawa"
)
_RJ_ANCHOR = re.compile(
    rf"-(?:{_RJ_UNITS})(?![A-Za-z])| (?:City|Ward|Prefecture)(?![A-Za-z])|, (?:{_RJ_PREFECTURES})(?![A-Za-z])"
)
_RJ_PLACE = (
    rf"[A-Z][a-z]+-(?:{_RJ_UNITS})(?![A-Za-z])|[A-Z][a-z]+ (?:City|Ward|Prefecture)(?![A-Za-z])"
    rf"|(?:{_RJ_PREFECTURES})(?![A-Za-z])"
)
# The house number: 1-2-3, or a plain number when a comma-separated list follows ("207
# Uehara, Nishihara-cho, …": checked in _romaji_addresses).
_RJ_BACK = re.compile(
    rf"(?:(?:Room|Apt\.?|#) ?[0-9A-Z][0-9A-Z\-]{{0,5}},? )?"
    # the town may come first, as on Japanese envelopes: "Kitahama 2-1-23, Chuo-ku"
    rf"(?:[A-Z][a-z]+(?:-[A-Za-z]+)* (?=[1-9][0-9]{{0,3}}-[0-9]))?[1-9][0-9]{{0,3}}(?P<hy>(?:-[0-9]{{1,4}}){{1,3}})?,? "
    rf"(?:{_RJ_WORD},? ){{0,5}}[A-Z][a-z]+$"
)
# The postal code after the place names is left to PostalCodeRecognizer (POSTAL_CODE).
_RJ_FORWARD = re.compile(
    rf"(?:-(?:{_RJ_UNITS})(?![A-Za-z]))?(?:,? (?:{_RJ_PLACE})){{0,3}}(?:,? Japan(?![A-Za-z]))?"
)


def _romaji_addresses(text: str) -> list[Span]:
    spans: list[Span] = []
    end = 0
    for anchor in _RJ_ANCHOR.finditer(text):
        if anchor.start() < end:
            continue
        back = _RJ_BACK.search(text, max(end, anchor.start() - 80), anchor.start())
        if back is None or (
            back.start() > 0 and (text[back.start() - 1].isalnum() or text[back.start() - 1] == "-")
        ):
            continue
        if back.group("hy") is None and "," not in back.group():
            continue  # "3 Chiba-ken": a bare number and one word is no house address
        end = _RJ_FORWARD.match(text, anchor.end()).end()
        spans.append(Span(back.start(), end, "ADDRESS", 0.9))
    # A municipality in romaji with no house number (Lives in Kawagoe-shi, Saitama): a place
    # a person lives in, like 那覇市在住 (0.6).
    # (found from "-shi"/"-ku", a literal, and read back: the scan skips ahead)
    for m in _RJ_UNIT_AFTER.finditer(text):
        name = _RJ_NAME_BACK.search(text, max(0, m.start() - 20), m.start())
        if name is None or name.start() < end:
            continue
        pref = _RJ_PREF_AFTER.match(text, m.end())
        spans.append(Span(name.start(), pref.end() if pref else m.end(), "ADDRESS", 0.6))
    return spans


_RJ_UNIT_AFTER = re.compile(r"-(?:shi|ku|cho|machi|mura|gun)(?![A-Za-z])")
_RJ_NAME_BACK = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+\Z")
_RJ_PREF_AFTER = re.compile(rf", (?:{_RJ_PREFECTURES})(?![A-Za-z])")


# Street addresses abroad: "14 Harcourt Road, Dublin 2, Ireland", "221B Baker Street, London",
# "350 Fifth Avenue, New York": found from the street word back to the house number, then
# on over the comma-separated places (a district number such as "Dublin 2" included).
_STREET_WORDS = (
    "Road|Street|Avenue|Lane|Drive|Boulevard|Place|Square|Terrace|Crescent|Court|Way|Row|Close|"
    "Gardens|Parade|Highway|Quay|Rd|St|Ave|Blvd|Strasse|Straße|Rue|Via|Calle|Rua|Avenida"
)
_ST_ANCHOR = re.compile(rf" (?:{_STREET_WORDS})\.?(?![A-Za-z])")
_ST_BACK = re.compile(
    r"(?:(?:Flat|Apt\.?|Suite|Unit|Room|#) ?[0-9A-Z]{1,5},? )?(?<![A-Za-z0-9\-.,/])[1-9][0-9]{0,4}[A-Za-z]?,? "
    r"(?:[A-Z][A-Za-z'\-]+ ){0,3}[A-Z][A-Za-z'\-]+$"
)
_ST_PLACE = r"(?!Tel|TEL|Phone|PHONE|Fax|FAX|E-?mail|Dear|Dr\.|Mr|Mrs|Ms)[A-Z][A-Za-z'\-]+(?![0-9])"
# A foreign postal code is kept in the address (no POSTAL_CODE pattern knows it): NW1 6XE, NY 10118.
_ST_CODE = r"[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}(?![A-Za-z0-9])|[0-9]{4,5}(?:-[0-9]{4})?(?![0-9])"
_ST_FORWARD = re.compile(
    rf"(?:,? (?:{_ST_CODE}|{_ST_PLACE}(?: {_ST_PLACE}){{0,2}}(?: [0-9]{{1,2}}(?![0-9])| (?:{_ST_CODE}))?)){{0,4}}"
)


def _street_addresses(text: str) -> list[Span]:
    spans: list[Span] = []
    end = 0
    for anchor in _ST_ANCHOR.finditer(text):
        if anchor.start() < end:
            continue
        back = _ST_BACK.search(text, max(end, anchor.start() - 60), anchor.start())
        if back is None:
            continue
        end = _ST_FORWARD.match(text, anchor.end()).end()
        spans.append(Span(back.start(), end, "ADDRESS", 0.85))
    return spans


# --- postal code -------------------------------------------------------------------------------

# Candidates are found by one cheap pattern; what stands before and after decides.
# The first digit is written out: re gives a pattern that starts with a repetition no
# first-character set, and would try a match at every position instead of skipping ahead.
_POSTAL_CODE = re.compile(r"[0-9][0-9]{2}-?[0-9]{4}")
_POSTAL_BEFORE = re.compile(
    r"(?P<mark>〒 ?)$|(?P<labelled>郵便番号[ :は]*)$"
    r"|(?P<lead>(?:現?住所|ご住所|自宅|実家|本籍地?|居住地|所在地|宛先|送付先|送り先|届け?先|住居|Address)[ :/]*)$"
    # after a romaji address ("…, Okinawa 903-0215") or a ZIP label
    rf"|(?P<romaji>(?:(?<![A-Za-z])(?:{_RJ_PREFECTURES})|-(?:{_RJ_UNITS})|ZIP|Zip|zip|[Pp]ostal [Cc]ode|POSTAL CODE)"
    r",?[ :]*)$"
)
# A bare code: directly before a prefecture, a city, or a generic …市/区/町/村/郡.
_POSTAL_AFTER = re.compile(rf" {{0,2}}(?:{_PREF_RE}|{_CITY_RE}|[{_K}]{{1,6}}[市区町村郡])")


@RECOGNIZERS.register("address.postal_code")
class PostalCodeRecognizer(Recognizer):
    """Postal codes (POSTAL_CODE): 〒160-0023, 郵便番号1600023, or NNN-NNNN before an address.

    The span includes the 〒 mark (it is part of how the code is written), not 郵便番号."""

    labels: ClassVar[tuple[str, ...]] = ("POSTAL_CODE",)
    priority: ClassVar[int] = 60

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        for m in _POSTAL_CODE.finditer(text):
            start, end = m.span()
            if (end < len(text) and text[end].isdigit()) or (
                start > 0 and (text[start - 1].isdigit() or text[start - 1] in "-.")
            ):
                continue
            before = _POSTAL_BEFORE.search(text, max(0, start - 14), start)
            if before is not None and before.group("mark") is not None:
                spans.append(Span(before.start(), end, "POSTAL_CODE", 0.95))
            elif before is not None and before.group("labelled") is not None:
                spans.append(Span(start, end, "POSTAL_CODE", 0.9))
            elif before is not None and (
                before.group("lead") is not None or before.group("romaji") is not None
            ):
                # "住所：276-3322 那覇市…": right after an address label, a code is a postal code
                spans.append(Span(start, end, "POSTAL_CODE", 0.85))
            elif _POSTAL_AFTER.match(text, end):
                spans.append(Span(start, end, "POSTAL_CODE", 0.8))
        return spans
