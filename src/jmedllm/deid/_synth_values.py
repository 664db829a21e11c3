"""Random identifier values for the synthetic de-identification corpus.

Every value is invented: names are drawn from common surname/given-name lists (plus
Faker's ``ja_JP`` pairs when Faker is installed), numbers are random, e-mail domains and
URLs use the reserved ``example.*`` names. The point is *surface variety*, because that
is where de-identifiers fail: variant kanji (髙/﨑/邊/齋/𠮷), kana readings, katakana
foreign names with ``・``, romaji, full-width digits, ``ー`` as a dash, CP932's ``～``/``－``,
era ligatures (㍻, ㋿) and check-digit-valid My Number and 保険者番号 values.

Each generator returns plain ``str``; the template layer decides the label. Surface
transforms (:func:`widen_digits`, :func:`to_halfwidth_kana`, :func:`cp932_dashes`) are
applied per segment before offsets are computed, so they may change lengths freely.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jmedllm.core.jatext.eras import ERAS

__all__ = [
    "Ent",
    "NamePair",
    "Values",
    "cp932_dashes",
    "insurer_check_digit",
    "my_number_check_digit",
    "to_halfwidth_kana",
    "widen_digits",
]


@dataclass(frozen=True, slots=True)
class Ent:
    """An identifier value and its gold label (becomes one span of the corpus)."""

    value: str
    label: str


# --- check digits (REFERENCE §1) -------------------------------------------------------


def my_number_check_digit(first11: str) -> int:
    """Check digit of a My Number from its first 11 digits."""
    if len(first11) != 11 or not first11.isdigit():
        raise ValueError("a My Number check digit needs exactly 11 ASCII digits")
    weights = (2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6)
    r = sum(int(d) * w for d, w in zip(reversed(first11), weights, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def insurer_check_digit(body: str) -> int:
    """Check digit of a 保険者番号 from the digits before it (7 for 8-digit, 5 for 国保)."""
    if not body.isdigit():
        raise ValueError("a 保険者番号 check digit needs ASCII digits")
    total = 0
    for i, d in enumerate(reversed(body)):
        product = int(d) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


# --- surface transforms ----------------------------------------------------------------

_WIDE_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_CP932 = str.maketrans({"〜": "～", "-": "－", "−": "－"})


def _halfwidth_table() -> dict[str, str]:
    # Invert NFKC over the half-width katakana block, then add the voiced forms that
    # need two half-width characters (ガ → ｶﾞ).
    table: dict[str, str] = {}
    halves = [chr(c) for c in range(0xFF61, 0xFFA0)]
    for h in halves:
        table.setdefault(unicodedata.normalize("NFKC", h), h)
    for h in halves:
        for mark in "\uff9e\uff9f":
            composed = unicodedata.normalize("NFKC", h + mark)
            if len(composed) == 1:
                table.setdefault(composed, h + mark)
    return {k: v for k, v in table.items() if "\u30a0" <= k <= "\u30ff"}


_HALFWIDTH = str.maketrans(_halfwidth_table())


def widen_digits(text: str) -> str:
    """ASCII digits → full-width digits (CP932 exports, hand-typed forms)."""
    return text.translate(_WIDE_DIGITS)


def to_halfwidth_kana(text: str) -> str:
    """Katakana → half-width katakana (old EHR and receipt systems)."""
    return text.translate(_HALFWIDTH)


def cp932_dashes(text: str) -> str:
    """〜 and - as CP932 decodes them (U+FF5E, U+FF0D)."""
    return text.translate(_CP932)


# --- name lists --------------------------------------------------------------------------

# (kanji, kana, romaji). Variant kanji and eponym-colliding surnames (橋本, 川崎, 長谷川,
# 田中, 森田) are deliberate: they are what breaks name recognizers and term protection.
_SURNAMES: tuple[tuple[str, str, str], ...] = (
    ("髙橋", "タカハシ", "Takahashi"), ("山﨑", "ヤマザキ", "Yamazaki"), ("渡邊", "ワタナベ", "Watanabe"),
    ("齋藤", "サイトウ", "Saito"), ("𠮷田", "ヨシダ", "Yoshida"), ("髙木", "タカギ", "Takagi"), ("濵田", "ハマダ", "Hamada"),
    ("德永", "トクナガ", "Tokunaga"), ("宮﨑", "ミヤザキ", "Miyazaki"), ("渡辺", "ワタナベ", "Watanabe"),
    ("橋本", "ハシモト", "Hashimoto"), ("川崎", "カワサキ", "Kawasaki"), ("長谷川", "ハセガワ", "Hasegawa"),
    ("田中", "タナカ", "Tanaka"), ("森田", "モリタ", "Morita"), ("佐藤", "サトウ", "Sato"), ("鈴木", "スズキ", "Suzuki"),
    ("伊藤", "イトウ", "Ito"), ("小林", "コバヤシ", "Kobayashi"), ("中村", "ナカムラ", "Nakamura"), ("加藤", "カトウ", "Kato"),
    ("山本", "ヤマモト", "Yamamoto"), ("松本", "マツモト", "Matsumoto"), ("井上", "イノウエ", "Inoue"),
    ("木村", "キムラ", "Kimura"), ("清水", "シミズ", "Shimizu"), ("山口", "ヤマグチ", "Yamaguchi"), ("阿部", "アベ", "Abe"),
    ("池田", "イケダ", "Ikeda"), ("菊池", "キクチ", "Kikuchi"), ("大和田", "オオワダ", "Owada"), ("東海林", "ショウジ", "Shoji"),
    ("五十嵐", "イガラシ", "Igarashi"), ("小鳥遊", "タカナシ", "Takanashi"), ("一ノ瀬", "イチノセ", "Ichinose"),
    ("金", "キム", "Kim"),
)  # fmt: skip
_GIVEN: tuple[tuple[str, str, str], ...] = (
    ("太郎", "タロウ", "Taro"), ("花子", "ハナコ", "Hanako"), ("一郎", "イチロウ", "Ichiro"), ("美咲", "ミサキ", "Misaki"),
    ("健太", "ケンタ", "Kenta"), ("陽菜", "ヒナ", "Hina"), ("翔", "ショウ", "Sho"), ("さくら", "サクラ", "Sakura"),
    ("ミツ", "ミツ", "Mitsu"), ("キヨ", "キヨ", "Kiyo"), ("ヨシ子", "ヨシコ", "Yoshiko"), ("勝", "マサル", "Masaru"),
    ("和子", "カズコ", "Kazuko"), ("清", "キヨシ", "Kiyoshi"), ("大翔", "ヒロト", "Hiroto"), ("結衣", "ユイ", "Yui"),
    ("惠子", "ケイコ", "Keiko"), ("宏", "ヒロシ", "Hiroshi"), ("千代", "チヨ", "Chiyo"), ("正男", "マサオ", "Masao"),
    ("奈々", "ナナ", "Nana"),
)  # fmt: skip
_FOREIGN: tuple[tuple[str, str], ...] = (
    ("ジョン・スミス", "John Smith"), ("マリア・ガルシア", "Maria Garcia"), ("グエン・ヴァン・アン", "Nguyen Van Anh"),
    ("アナ・サントス", "Ana Santos"), ("ミハイル・イワノフ", "Mikhail Ivanov"), ("エミリー・ブラウン", "Emily Brown"),
    ("ラジェシュ・クマール", "Rajesh Kumar"), ("ホセ・ロドリゲス", "Jose Rodriguez"), ("チャン・ティ・ラン", "Tran Thi Lan"),
    ("ソフィア・ミュラー", "Sofia Muller"),
)  # fmt: skip
_CHINESE: tuple[tuple[str, str], ...] = (
    ("王 偉", "Wang Wei"), ("李 娜", "Li Na"), ("張 敏", "Zhang Min"), ("劉 洋", "Liu Yang"), ("陳 静", "Chen Jing"),
    ("朴 智恩", "Park Jieun"),
)  # fmt: skip

_TOWNS = (
    "緑ヶ丘", "桜台", "本町", "栄町", "旭町", "若葉", "東雲", "青葉台", "宮前", "中央", "富士見", "春日",
)  # fmt: skip
_BUILDINGS = (
    "メゾン", "コーポ", "ハイツ", "グランドパレス", "サンシャイン", "レジデンス", "パークハウス", "ヴィラ",
)  # fmt: skip
_PREFS_CITIES = (
    ("東京都", ("世田谷区", "練馬区", "八王子市", "町田市", "江戸川区")), ("大阪府", ("大阪市北区", "堺市中区", "豊中市", "枚方市")),
    ("神奈川県", ("横浜市港北区", "川崎市中原区", "相模原市南区", "藤沢市")), ("愛知県", ("名古屋市昭和区", "豊田市", "岡崎市")),
    ("北海道", ("札幌市中央区", "旭川市", "函館市")), ("福岡県", ("福岡市博多区", "北九州市小倉北区", "久留米市")), ("宮城県", ("仙台市青葉区", "石巻市")),
    ("広島県", ("広島市中区", "福山市")), ("京都府", ("京都市左京区", "宇治市")), ("沖縄県", ("那覇市", "沖縄市")),
)  # fmt: skip
_KANJI_DIGITS = "〇一二三四五六七八九"
_PLACE_WORDS = (
    "さくら", "青葉", "みどり", "ひまわり", "若葉", "あおぞら", "つばさ", "ふれあい", "城南", "北斗", "明星", "清流",
)  # fmt: skip
_CORP = ("医療法人社団", "医療法人", "社会医療法人", "医療法人財団", "一般財団法人", "社会福祉法人")
_CORP_NAMES = ("緑風会", "仁愛会", "慈恵会", "清和会", "光陽会", "誠心会", "博愛会", "健生会")
_DOMAINS = ("example.jp", "example.ne.jp", "example.co.jp", "example.or.jp", "example.com", "clinic.example")
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class NamePair:
    """A person's name in the forms a record may write it."""

    family: str
    given: str
    family_kana: str
    given_kana: str
    family_roma: str
    given_roma: str
    foreign: bool = False

    def full(self, sep: str = " ") -> str:
        """姓 + 名 (foreign names keep their own ``・``)."""
        return self.family if self.foreign else f"{self.family}{sep}{self.given}"

    def kana(self, sep: str = " ") -> str:
        return self.family_kana if self.foreign else f"{self.family_kana}{sep}{self.given_kana}"

    def romaji(self, rng: random.Random) -> str:
        if self.foreign:
            return self.family_roma
        styles = (
            f"{self.given_roma} {self.family_roma.upper()}",
            f"{self.family_roma.upper()} {self.given_roma}",
            f"{self.family_roma} {self.given_roma}",
        )
        return rng.choice(styles)


class Values:
    """Draws identifier values from one seeded ``random.Random`` (and Faker, if given)."""

    def __init__(self, rng: random.Random, faker: Any | None = None) -> None:
        self.rng = rng
        self.faker = faker

    # -- people --------------------------------------------------------------------------
    def name(self, *, allow_foreign: bool = True) -> NamePair:
        r = self.rng.random()
        if allow_foreign and r < 0.07:
            kata, roma = self.rng.choice(_FOREIGN)
            return NamePair(kata, "", kata, "", roma, "", foreign=True)
        if allow_foreign and r < 0.10:
            kanji, roma = self.rng.choice(_CHINESE)
            fam, giv = kanji.split(" ")
            rf, rg = roma.split(" ")
            return NamePair(fam, giv, fam, giv, rf, rg)
        if self.faker is not None and r < 0.55:
            f = self.faker.last_name_pair()
            g = self.faker.first_name_pair()
            return NamePair(f[0], g[0], f[1], g[1], f[2], g[2])
        f, g = self.rng.choice(_SURNAMES), self.rng.choice(_GIVEN)
        return NamePair(f[0], g[0], f[1], g[1], f[2], g[2])

    def name_sep(self) -> str:
        return self.rng.choice((" ", " ", "　", ""))

    # -- places ----------------------------------------------------------------------------
    def _number(self, n: int) -> str:
        style = self.rng.random()
        if style < 0.2 and n < 10:
            return _KANJI_DIGITS[n]
        if style < 0.3:
            return widen_digits(str(n))
        return str(n)

    def address(self) -> str:
        rng = self.rng
        if self.faker is not None and rng.random() < 0.35:
            pref, city, town = self.faker.prefecture(), self.faker.city(), self.faker.town()
        else:
            pref, cities = rng.choice(_PREFS_CITIES)
            city, town = rng.choice(cities), rng.choice(_TOWNS)
        chome, ban, go = rng.randint(1, 9), rng.randint(1, 40), rng.randint(1, 30)
        shape = rng.random()
        if shape < 0.35:
            block = f"{self._number(chome)}丁目{ban}番{go}号"
        elif shape < 0.55:
            block = f"{_KANJI_DIGITS[chome]}丁目{ban}番地{go}"
        elif shape < 0.85:
            dash = rng.choice(("-", "-", "－", "ー"))
            block = f"{chome}{dash}{ban}{dash}{go}"
        else:
            block = widen_digits(f"{chome}-{ban}-{go}").replace("-", "－")
        if rng.random() < 0.3:
            pref = ""  # records often start at the city
        building = ""
        if rng.random() < 0.5:
            room = rng.choice(
                (
                    f"{rng.randint(1, 12)}0{rng.randint(1, 9)}号室",
                    f"{rng.randint(101, 1205)}",
                    f"{rng.randint(2, 9)}F",
                )
            )
            building = (
                rng.choice((" ", "　", ""))
                + f"{rng.choice(_BUILDINGS)}{rng.choice(_TOWNS)}{rng.choice((' ', ''))}{room}"
            )
        return f"{pref}{city}{town}{block}{building}"

    def postal_code(self) -> tuple[str, str]:
        """(mark, code): the 〒 mark (with or without a space after it), or none."""
        code = f"{self.rng.randint(100, 999)}-{self.rng.randint(0, 9999):04d}"
        r = self.rng.random()
        if r < 0.15:
            code = code.replace("-", "")
        elif r < 0.3:
            code = widen_digits(code).replace("-", "－")
        return self.rng.choice(("〒", "〒", "〒 ", "")), code

    def facility(self, kind: str = "hospital") -> str:
        rng = self.rng
        place = rng.choice(_PLACE_WORDS + tuple(t for t in _TOWNS))
        corp = f"{rng.choice(_CORP)}{rng.choice(('', ' ', '　'))}{rng.choice(_CORP_NAMES)}{rng.choice((' ', '　', ''))}"
        if kind == "hospital":
            base = rng.choice(
                (
                    f"{place}総合病院",
                    f"{place}病院",
                    f"{place}中央病院",
                    f"市立{place}病院",
                    f"{place}医療センター",
                    f"{place}記念病院",
                )
            )
        elif kind == "clinic":
            base = rng.choice(
                (
                    f"{place}内科クリニック",
                    f"{place}整形外科医院",
                    f"{place}診療所",
                    f"{place}ファミリークリニック",
                    f"{place}眼科",
                )
            )
        elif kind == "pharmacy":
            base = rng.choice(
                (f"{place}薬局", f"{place}調剤薬局 {rng.choice(_TOWNS)}店", f"すこやか薬局{place}店")
            )
        elif kind == "care":
            base = rng.choice(
                (
                    f"特別養護老人ホーム{place}苑",
                    f"介護老人保健施設{place}",
                    f"{place}訪問看護ステーション",
                    f"{place}居宅介護支援事業所",
                    f"グループホーム{place}",
                )
            )
        elif kind == "work":
            if self.faker is not None and rng.random() < 0.5:
                return str(self.faker.company())
            return rng.choice(
                (
                    f"株式会社{place}物産",
                    f"{place}運輸株式会社",
                    f"{place}市立{place}小学校",
                    f"有限会社{place}工務店",
                )
            )
        else:
            raise ValueError(f"unknown facility kind {kind!r}")
        public = base.startswith("市立")  # a municipal hospital has no 医療法人
        return (
            corp if kind in {"hospital", "clinic", "care"} and not public and rng.random() < 0.35 else ""
        ) + base

    # -- contact ---------------------------------------------------------------------------
    def phone(self, *, mobile: bool | None = None) -> str:
        rng = self.rng
        if mobile is None:
            mobile = rng.random() < 0.4
        if mobile:
            parts = [
                rng.choice(("090", "080", "070")),
                f"{rng.randint(0, 9999):04d}",
                f"{rng.randint(0, 9999):04d}",
            ]
        elif rng.random() < 0.08:
            parts = ["0120", f"{rng.randint(0, 999):03d}", f"{rng.randint(0, 999):03d}"]
        else:
            area = rng.choice(
                ("03", "06", "045", "052", "011", "092", "022", "082", "075", "098", "0422", "0266")
            )
            mid = 6 - len(area)  # 10 digits in all: area code + exchange + 4-digit subscriber
            parts = [area, f"{rng.randint(0, 10**mid - 1):0{mid}d}", f"{rng.randint(0, 9999):04d}"]
        a, b, c = parts
        shape = rng.random()
        if shape < 0.35:
            out = f"{a}-{b}-{c}"
        elif shape < 0.45:
            out = f"({a}){b}-{c}"
        elif shape < 0.52:
            out = f"{a}({b}){c}"
        elif shape < 0.62:
            out = f"{a}ー{b}ー{c}"
        elif shape < 0.72:
            out = widen_digits(f"{a}－{b}－{c}")
        elif shape < 0.8:
            out = f"+81-{a[1:]}-{b}-{c}"
        elif shape < 0.85:
            out = f"+81 {a[1:]} {b} {c}"
        elif shape < 0.93:
            out = f"{a}{b}{c}"
        else:
            out = f"{a} {b} {c}"
        return out

    def email(self, person: NamePair | None = None) -> str:
        rng = self.rng
        if person is not None and not person.foreign and rng.random() < 0.6:
            local = rng.choice(
                (
                    f"{person.given_roma}.{person.family_roma}",
                    f"{person.family_roma[0]}{person.given_roma}",
                    f"{person.family_roma}{rng.randint(1, 99)}",
                )
            ).lower()
        else:
            local = rng.choice(("info", "renkei", "chiiki", "soudan", "yakuzai")) + str(
                rng.randint(1, 9) if rng.random() < 0.5 else ""
            )
        return f"{local}@{rng.choice(('', 'mail.', 'med.'))}{rng.choice(_DOMAINS)}"

    def url(self) -> str:
        rng = self.rng
        host = (
            rng.choice(("www.", ""))
            + rng.choice(("sakura-clinic", "aoba-hp", "midori-care", "hoshi-naika", "renkei"))
            + "."
        )
        path = rng.choice(("", "/", "/renkei/", "/contact", "/~clinic/index.html", "/patient?id=1234"))
        return f"{rng.choice(('https://', 'https://', 'http://'))}{host}{rng.choice(_DOMAINS)}{path}"

    # -- dates and ages --------------------------------------------------------------------------
    def event_date(self) -> date:
        return date(2017, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 8))

    def birth_date(self, age: int, on: date) -> date:
        year = on.year - age - (1 if self.rng.random() < 0.5 else 0)
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def date_text(self, d: date, *, style: str | None = None) -> str:
        """``d`` written in one of the shapes Japanese records use (era, Western, ligature …)."""
        rng = self.rng
        era = next(e for e in reversed(ERAS) if e.start <= d)
        ey = d.year - era.start.year + 1
        ey_text = "元" if ey == 1 and rng.random() < 0.6 else str(ey)
        style = style or rng.choice(
            (
                "era",
                "era",
                "era_short",
                "era_slash",
                "ligature",
                "western",
                "western",
                "iso",
                "slash",
                "dot",
                "md",
                "ym",
            )
        )
        if style == "era":
            return f"{era.name}{ey_text}年{d.month}月{d.day}日"
        if style == "era_short":
            return f"{era.letter}{ey}.{d.month}.{d.day}"
        if style == "era_slash":
            return f"{era.letter}{ey}/{d.month}/{d.day}"
        if style == "ligature":
            lig = {"令和": "㋿", "平成": "㍻", "昭和": "㍼", "大正": "㍽", "明治": "㍾"}[era.name]
            return f"{lig}{ey_text}年{d.month}月{d.day}日"
        if style == "western":
            return f"{d.year}年{d.month}月{d.day}日"
        if style == "iso":
            return d.isoformat()
        if style == "slash":
            return f"{d.year}/{d.month:02d}/{d.day:02d}"
        if style == "dot":
            return f"{d.year}.{d.month}.{d.day}"
        if style == "md":
            return f"{d.month}月{d.day}日"
        if style == "ym":
            return f"{d.year}年{d.month}月"
        raise ValueError(f"unknown date style {style!r}")

    def age(self) -> int:
        # A third of patients are ≥ 90 so AGE spans are common enough to measure.
        r = self.rng.random()
        if r < 0.33:
            return self.rng.randint(90, 104)
        return self.rng.randint(1, 17) if r < 0.38 else self.rng.randint(18, 89)

    # -- identifiers -------------------------------------------------------------------------
    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def my_number(self) -> str:
        body = str(self.rng.randint(1, 9)) + self.digits(10)
        num = body + str(my_number_check_digit(body))
        shape = self.rng.random()
        if shape < 0.4:
            return num
        sep = " " if shape < 0.7 else "-"
        return f"{num[:4]}{sep}{num[4:8]}{sep}{num[8:]}"

    def insurer_number(self) -> str:
        if self.rng.random() < 0.25:  # 国民健康保険: 6 digits
            body = f"{self.rng.randint(1, 47):02d}" + self.digits(3)
        else:
            body = (
                self.rng.choice(("01", "06", "31", "32", "33", "34", "39", "63"))
                + f"{self.rng.randint(1, 47):02d}"
                + self.digits(3)
            )
        return body + str(insurer_check_digit(body))

    def patient_id(self) -> tuple[str, str]:
        """(context word, value)."""
        rng = self.rng
        choices = (
            ("患者ID", self.digits(rng.choice((7, 8, 10)))),
            ("ID", self.digits(8)),
            ("カルテ番号", rng.choice(("K", "", "C-")) + self.digits(7)),
            ("カルテNo.", self.digits(6)),
            ("診察券番号", f"{self.digits(2)}-{self.digits(4)}"),
            ("入院番号", f"A{rng.randint(2017, 2025)}-{self.digits(5)}"),
            ("検体番号", f"S{rng.randint(17, 25)}-{self.digits(6)}"),
            ("画像ID", f"CT{rng.randint(2017, 2025)}{self.digits(7)}"),
            ("受付番号", self.digits(9)),
        )
        return rng.choice(choices)

    def other_id(self) -> tuple[str, str]:
        """(what it is, value) for passport, residence card, licence, pension, 住民票コード."""
        rng = self.rng
        letters = "".join(rng.choice(_LETTERS) for _ in range(4))
        return rng.choice(
            (
                ("旅券番号", f"{letters[:2]}{self.digits(7)}"),
                ("在留カード番号", f"{letters[:2]}{self.digits(8)}{letters[2:]}"),
                ("運転免許証番号", self.digits(12)),
                ("基礎年金番号", f"{self.digits(4)}-{self.digits(6)}"),
                ("住民票コード", self.digits(11)),
            )
        )

    def insured_symbol(self) -> str:
        """被保険者証の記号・番号 (INSURANCE_ID)."""
        return f"{self.rng.randint(1, 9999)}・{self.rng.randint(1, 99999)}"

    def care_insured_number(self) -> str:
        return self.digits(10)
