"""Identifiers: patient IDs, My Number, insurance numbers and other identification codes.

Clinical text is full of digit runs that identify no one (lab values, order quantities,
lot numbers), so most identifiers here are *context-gated*: a label (患者ID, 保険者番号,
免許 …) must stand just before the value, and the span covers the value only — the
label stays readable. Two kinds carry their own evidence and may stand alone: a
12-digit My Number with a valid check digit (and no label of another kind), and the
letter-digit shapes of passports (AB1234567) and residence cards (AB12345678CD).
Check digits (``_checkdigits``) also set the score of labelled numbers: a labelled
number that fails its check is still reported — a typo in an identifier still
identifies — but lower.

Forms number repeated fields (``公費負担者番号① 15130727``, ``受給者番号(2)``) and write IDs
digit by digit (``ID:0 0 4 1 2 7 3 8``): both are read. Any other *labelled code* — a
label word ending in 番号/コード/No. (報告番号, 交付番号, 医療機関コード, 施設番号, 受診券整理番号,
口座番号 …) followed by a code with at least three digits — is OTHER_ID, unless another
recognizer owns the label (電話番号, 郵便番号, 保険者番号, 患者番号 …) or the code is
clinical, product or bibliographic (ICDコード, 病名コード, 治験薬コード, ロット番号, 別冊No.).
A bank account number after 普通/当座/口座 near a bank's name is OTHER_ID too. Foreign
letters' labels count too (Hospital No., Chart #, Prontuário → PATIENT_ID; Passport No., SSN,
Our ref → OTHER_ID; Policy No., Member ID → INSURANCE_ID); trial registrations (jRCT…, UMIN…)
identify a study and are never reported.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.labels import LABELS
from jmedllm.deid.recognizers._checkdigits import is_valid_insurer_number, is_valid_my_number

__all__ = [
    "InstitutionIdRecognizer",
    "InsuranceIdRecognizer",
    "MyNumberRecognizer",
    "OtherIdRecognizer",
    "PatientIdRecognizer",
]

_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# "患者ID: ", "ID#", "カルテは ", "患者ID(8817320)", "診察券番号:No.25-0419", "第 412876"
_SEP = r"[ ]?(?::|#|=|は|\()?[ ]?(?:No\.? ?|番号)?[ ]?(?:第 ?(?=[0-9]))?"


def _free(text: str, start: int, end: int, *, check_before: bool = True) -> bool:
    """Not glued to letters or digits on either side (and not followed by "-<digit>")."""
    if check_before and start > 0 and text[start - 1] in _ALNUM:
        return False
    if end < len(text) and text[end] in _ALNUM:
        return False
    return not (end + 1 < len(text) and text[end] == "-" and text[end + 1].isdigit())


def _digits(s: str) -> str:
    return s.replace("-", "").replace(" ", "")


# --- patient IDs -----------------------------------------------------------------------------

_PATIENT_LABELS = (
    "患者ID|患者番号|患者No|患者コード|カルテ番号|カルテNo|カルテID|カルテ|診察券番号|診察券No|診察券|"
    "入院番号|外来番号|検体番号|検体ID|検体No|受付番号|受付No|画像ID|画像番号|登録番号|病歴番号|"
    "病理番号|病理組織番号|病理No|標本番号|症例番号|症例ID|受診者番号|利用者番号|利用者ID|"
    # trial subjects and examinations: 被験者識別コード：J03-105-0027, 検査番号：CT24-061782
    "被験者識別コード|被験者識別番号|被験者コード|被験者番号|被験者ID|症例識別コード|症例登録番号|患者識別番号|"
    "検査番号|検査ID|検査No|オーダー番号|オーダNo|依頼番号|予約番号|"
    "診療録番号|診療録No|診療録ID|医療記録番号|受診番号|受診ID|来院番号|"
    "MRN|ID"
)
# Letters of foreign hospitals: Hospital No. SBMC-0048817, Medical Record Number 12345, and
# Portuguese, Spanish, German records: Prontuário 2024-00871, NHC 882211. A pattern of its
# own, of plain words in both cases, so that sre still skips ahead on their first letters.
_EN_RECORD_WORDS = (
    "Hospital", "Hosp.", "Patient", "Medical record", "Medical Record", "Health record", "Health Record",
    "Record", "Chart", "Unit", "Case", "Clinic", "Registration", "Accession", "Specimen", "Sample",
)  # fmt: skip
_EN_PATIENT_LABELS = "|".join(
    re.escape(f"{w}{space}{no}")
    for word in (*_EN_RECORD_WORDS, "NHS")
    for w in {word, word[0].lower() + word[1:]}
    for space in ("", " ")
    for no in ("Number", "number", "No", "no", "#", "Nr")
)
_FOREIGN_PATIENT_LABELS = (
    "Prontuário|prontuário|Prontuario|prontuario|Historia clínica|historia clínica|Historia clinica|"
    "historia clinica|NHC|Patientennummer|Fallnummer"
)
# 登録番号 alone is a patient's; after another word glued before it, that word's code.
_PATIENT_WORD_BEFORE = re.compile(r"(?:患者|症例|病歴|利用者|受診者|被験者|がん|腫瘍)$")
_JA_WORD_CHAR = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff々]")
# A short note between a label and its value: 患者ID（旧）, 公費負担者番号（更新前）.
_NOTE = r"(?:[ ]?\([\u3041-\u30ff\u4e00-\u9fff]{1,5}\))?"
# Public registrations of clinical trials (jRCT1051230117, UMIN000012345, NCT01234567)
# name a study, not a person.
_TRIAL_REGISTRY = re.compile(r"jRCT|UMIN|NCT[0-9]|JapicCTI|JMA-IIA|ISRCTN|ChiCTR|EudraCT|DRKS|CTRI")
# One more group of digits after a space, ending where the value visibly ends.
_DIGIT_GROUP = re.compile(r"(?: [0-9]{3,8}){1,2}(?=$|[\s、。,)」])")
# Digits written one by one with spaces ("ID:0 0 4 1 2 7 3 8") are one value.
_PATIENT_VALUE = r"(?P<v>[0-9](?: [0-9]){4,19}(?![0-9])|[A-Za-z0-9][A-Za-z0-9\-_]{2,23})"
# Whose record, between the label and the value: 患者ID：母 7720415、児 7720416.
_WHOSE = r"(?:(?:母|父|児|本人|夫|妻|長男|長女|次男|次女|第[1-9一二三]子) ?)?"
_PATIENT = re.compile(rf"(?:{_PATIENT_LABELS})\.?{_NOTE}{_SEP}{_WHOSE}{_PATIENT_VALUE}")
# More values of one label, each after its owner: 、児 7720416.
_MORE_WHOSE = re.compile(
    r"[、,] ?(?:母|父|児|本人|夫|妻|長男|長女|次男|次女|第[1-9一二三]子) ?(?P<v>[0-9]{4,12}|[A-Za-z][A-Za-z0-9\-]{3,15})(?![0-9A-Za-z])"
)
_PATIENT_FOREIGN = re.compile(rf"(?:{_EN_PATIENT_LABELS}|{_FOREIGN_PATIENT_LABELS})\.?{_SEP}{_PATIENT_VALUE}")
# _PATIENT_FOREIGN is tried only where its "No"/"number"/"#" or a foreign label stands (a
# search for 200 English labels over every Latin letter of a note would cost 10x the rest).
_FOREIGN_ANCHOR = re.compile(
    r"Number|number|No|no|Nr|#|Prontu|prontu|NHC|Historia|historia|Patientennummer|Fallnummer"
)
_EN_RECORD_BEFORE = re.compile(
    "(?:"
    + "|".join(
        re.escape(w) for word in (*_EN_RECORD_WORDS, "NHS") for w in {word, word[0].lower() + word[1:]}
    )
    + ") ?$"
)


@RECOGNIZERS.register("ids.patient")
class PatientIdRecognizer(Recognizer):
    """Patient and record identifiers (PATIENT_ID) after 患者ID, カルテ番号, 診察券番号,
    入院番号, 検体番号, 受付番号, 画像ID, MRN, ID …; the span is the value only."""

    labels: ClassVar[tuple[str, ...]] = ("PATIENT_ID",)
    priority: ClassVar[int] = 70

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        for m in (*_PATIENT.finditer(text), *_foreign_patient_labels(text)):
            start, end = m.span("v")
            value = m.group("v").rstrip("-_")
            end = start + len(value)
            if not any(c.isdigit() for c in value) or _TRIAL_REGISTRY.match(value):
                continue
            glued = start > 0 and text[start - 1] in _ALNUM  # written right after its label
            bare_id = text.startswith(("ID", "MRN"), m.start())
            if (
                text.startswith("登録番号", m.start())
                and m.start() > 0
                and _JA_WORD_CHAR.match(text, m.start() - 1)
                and not _PATIENT_WORD_BEFORE.search(text, max(0, m.start() - 4), m.start())
            ):
                continue  # 外国人登録番号, 医師登録番号: another word's number, left to OTHER_ID
            if glued and bare_id and not value[0].isdigit():
                continue  # "IDDM123": the letters continue a word; "ID12345", "画像IDCT2023…" are fine
            if not _free(text, start, end, check_before=not glued):
                continue
            if value.isdigit() and (more := _DIGIT_GROUP.match(text, end)) is not None:
                end = more.end()  # "患者ID：1234 5678": digit groups written apart
            if bare_id and m.start() > 0 and text[m.start() - 1].isascii() and text[m.start() - 1].isalpha():
                continue  # the "ID" of "COVID-19" or "UUID"
            spans.append(Span(start, end, "PATIENT_ID", 0.85 if bare_id else 0.95))
            pos = end
            while (more_whose := _MORE_WHOSE.match(text, pos)) is not None:
                spans.append(Span(*more_whose.span("v"), "PATIENT_ID", 0.9))
                pos = more_whose.end()
        return spans


def _foreign_patient_labels(text: str) -> list[re.Match[str]]:
    """Matches of _PATIENT_FOREIGN, found from their "No"/"number"/"#" or foreign label."""
    out: list[re.Match[str]] = []
    done = 0
    for a in _FOREIGN_ANCHOR.finditer(text):
        start = a.start()
        if start < done:
            continue
        m = _PATIENT_FOREIGN.match(text, start) if a.group()[0] in "PpNHhF" else None
        if m is None and start > 0 and (text[start - 1] == " " or a.group() == "#"):
            word = _EN_RECORD_BEFORE.search(text, max(0, start - 22), start)
            if word is not None and not (word.start() > 0 and _is_ascii_letter(text[word.start() - 1])):
                m = _PATIENT_FOREIGN.match(text, word.start())
        if m is not None:
            out.append(m)
            done = m.end()
    return out


@RECOGNIZERS.register("ids.institution")
class InstitutionIdRecognizer(Recognizer):
    """The institution's own identifier formats from config.institution_id_patterns, each
    with its own label and optional context words (within 12 characters before)."""

    labels: ClassVar[tuple[str, ...]] = LABELS
    priority: ClassVar[int] = 75

    @cached_property
    def _compiled(self) -> list[tuple[re.Pattern[str], str, tuple[str, ...]]]:
        return [(re.compile(p.regex), p.label, p.context) for p in self.config.institution_id_patterns]

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        for pattern, label, words in self._compiled:
            for m in pattern.finditer(text):
                if m.end() == m.start():
                    continue
                if words:
                    before = text[max(0, m.start() - 12) : m.start()]
                    if not any(w in before for w in words):
                        continue
                spans.append(Span(m.start(), m.end(), label, 0.95 if words else 0.85))
        return spans


# --- My Number -------------------------------------------------------------------------------

# The first digit written out: a leading repetition would leave re without a first-character
# set, trying a match at every position instead of skipping ahead to digits.
_MY_NUMBER = re.compile(r"[0-9][0-9]{3}([ \-]?)[0-9]{4}\1[0-9]{4}")
_MY_NUMBER_CONTEXT = re.compile(r"マイナンバー|個人番号|[Mm]y ?[Nn]umber")
# Labels of other numbers: a 12-digit run after these is theirs, not a My Number.
_OTHER_NUMBER_CONTEXT = re.compile(
    r"ID|番号|No|NO|#|TEL|Tel|電話|FAX|免許|年金|住民票|保険|口座|カード|記号|コード|受付|検体|ロット|伝票"
)
_TIMESTAMP = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9]"
)


@RECOGNIZERS.register("ids.my_number")
class MyNumberRecognizer(Recognizer):
    """My Numbers (MY_NUMBER): 12 digits (4-4-4 with spaces or hyphens allowed) with a valid
    check digit, or any 12 digits after マイナンバー/個人番号 (lower score if invalid)."""

    labels: ClassVar[tuple[str, ...]] = ("MY_NUMBER",)
    priority: ClassVar[int] = 70

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        for m in _MY_NUMBER.finditer(text):
            start, end = m.span()
            if not _free(text, start, end):
                continue
            digits = _digits(m.group())
            valid = is_valid_my_number(digits)
            before = text[max(0, start - 20) : start]
            if _MY_NUMBER_CONTEXT.search(before):
                spans.append(Span(start, end, "MY_NUMBER", 0.95 if valid else 0.7))
            elif valid and not _OTHER_NUMBER_CONTEXT.search(before) and not _TIMESTAMP.fullmatch(digits):
                spans.append(Span(start, end, "MY_NUMBER", 0.75))
        return spans


# --- insurance -------------------------------------------------------------------------------

# A kana or kanji prefix before a hyphen is part of the value: 保険証番号 テスト-000123.
_NUMBER_VALUE = (
    r"[A-Z]{0,2}[0-9]{6,10}|[0-9]{2,4}(?:[ \-][0-9]{2,6}){1,3}|[\u30a1-\u30fa\u4e00-\u9fff]{1,4}-[0-9]{3,10}"
)
# A form numbers repeated fields: 公費負担者番号① 15130727, 受給者番号(2): 7204134, 第1公費.
_MARKER = r"(?:[ ]?(?:[\u2460-\u2473]|\([1-9]\)|第[1-9]|\([\u3041-\u30ff\u4e00-\u9fff]{1,5}\)))?"
_INSURANCE = re.compile(
    r"(?P<label>介護保険被保険者番号|介護保険番号|被保険者証番号|被保険者番号|保険証番号|被保険者No\.?|"
    r"公費負担者番号|負担者番号|公費受給者番号|受給者証番号|受給者番号|保険者番号|保険者No\.?|保険者|国保|"
    # the same labels in katakana (half-width on billing printouts: ﾎｹﾝｼｬ, ｺｳﾋ1, ｼﾞｭｷｭｳｼｬ)
    r"ホケンシャ(?:バンゴウ)?|コウヒ[1-4]?|ジュキュウシャ(?:バンゴウ)?)"
    rf"{_MARKER}[ ]?[:#は]?[ ]?(?P<v>{_NUMBER_VALUE})"
)
# 記号・番号・枝番 of a health-insurance card. The 記号 is digits, letters or katakana (kanji
# too when a 番号 follows); 番号 and 枝番 are digits. Written either after their own labels
# (記号 ABC 番号 123 枝番 01) or together after one combined label (記号・番号 3126・68527,
# 被保険者証記号番号 1234-5678, 記号番号:12 345), joined by ・, -, / or a space.
_LABEL_SEP = r"[ ]{0,2}(?::|は|;)?[ ]{0,2}"
_KIGO_CHAR = r"(?:(?!番号|枝番)[0-9A-Za-z\u30a1-\u30fa\u30fc\u4e00-\u9fff々])"
_PART_SEP = r"[ ]?[・\-/][ ]?|[ ]"
_SYMBOL_NUMBER = re.compile(
    rf"記号(?P<both>[・/、,\- ]?(?:及び|および|と|、)?番号)?(?:[・/、,\- ]?枝番)?{_LABEL_SEP}"
    # (記号 湘電 72: a kanji abbreviation of the insurer, a space, a number)
    rf"(?P<kigo>{_KIGO_CHAR}(?:{_KIGO_CHAR}|-(?=[0-9A-Za-z\u30a1-\u30fa])|(?<=[0-9]) (?=[0-9])|(?<=[\u4e00-\u9fff]) (?=[0-9])){{0,11}})"
    # after a combined label, the number (and 枝番) follow the symbol directly
    rf"(?(both)(?:(?:{_PART_SEP})(?P<tail>[0-9]{{1,10}}(?:(?:{_PART_SEP})[0-9]{{1,3}})?))?)"
    rf"(?:[ 、,・/]*番号{_LABEL_SEP}(?P<bango>[0-9][0-9\-]{{0,11}}))?"
    rf"(?:[ 、,・/(]*枝番{_LABEL_SEP}(?P<eda>[0-9]{{1,3}}))?"
)
# Insurance of foreign records: Policy No. AXA-123456, Member ID: W123456789, Medicare 1EG4-TE5-MK73.
_EN_INSURANCE = re.compile(
    r"(?:Policy|Member(?:ship)?|Insurance|Insured|Subscriber|Group|Medicare|Medicaid|Health [Ii]nsurance)"
    r"(?: ?(?:[Nn]umber|[Nn]o\.?|#|ID))?[ ]?[:#]?[ ]?(?P<v>[A-Z0-9][A-Za-z0-9]*(?:[\-./][A-Za-z0-9]+){0,4})"
)
# 記号・番号・枝番 labelled in katakana on a printout in half-width katakana (NFKC: full-width).
_KATAKANA_CARD = re.compile(
    r"(?<![ァ-ヺ])(?:キゴウ|バンゴウ|エダバン) ?: ?(?P<v>[0-9A-Zァ-ヺ][0-9A-Zァ-ヺー\-]{0,11})(?![0-9A-Za-z])"
)
# Every label above holds one of these (a cheap test before the full patterns).
_INSURANCE_GATE = re.compile("番号|保険|記号|枝番|国保|ホケンシャ|コウヒ|ジュキュウシャ|キゴウ")
_BRANCH = re.compile(rf"枝番(?:号)?\)?{_LABEL_SEP}(?P<v>[0-9]{{1,3}})")  # "(枝番)01" too
_HAS_NON_KANJI = re.compile(r"[0-9A-Za-z\u30a1-\u30fa]")


@RECOGNIZERS.register("ids.insurance")
class InsuranceIdRecognizer(Recognizer):
    """Insurance identifiers (INSURANCE_ID): 保険者番号 (8 or 6 digits, check digit scored),
    記号・番号・枝番 (separately labelled or after one combined label), 公費負担者/受給者番号,
    介護保険被保険者番号 — after their labels."""

    labels: ClassVar[tuple[str, ...]] = ("INSURANCE_ID",)
    priority: ClassVar[int] = 70

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        for m in _EN_INSURANCE.finditer(text):
            if m.start() > 0 and _is_ascii_letter(text[m.start() - 1]):
                continue
            if sum(c.isdigit() for c in m.group("v")) >= 3 and _free(text, *m.span("v")):
                spans.append(Span(*m.span("v"), "INSURANCE_ID", 0.85))
        if not _INSURANCE_GATE.search(text):
            return spans
        for m in _INSURANCE.finditer(text):
            start, end = m.span("v")
            if not _free(text, start, end):
                continue
            label = m.group("label")
            if label.startswith("保険者") and not (m.start() > 0 and text[m.start() - 1] == "被"):
                score = 0.95 if is_valid_insurer_number(_digits(m.group("v"))) else 0.7
            else:
                score = 0.9
            spans.append(Span(start, end, "INSURANCE_ID", score))
        if "記号" in text:
            spans += self._symbol_number(text)
        if "キゴウ" in text:  # ｷｺﾞｳ:4402  ﾊﾞﾝｺﾞｳ:1387  ｴﾀﾞﾊﾞﾝ:00 on a katakana printout
            spans += [
                Span(*m.span("v"), "INSURANCE_ID", 0.85)
                for m in _KATAKANA_CARD.finditer(text)
                if _free(text, *m.span("v"))
            ]
        if "枝番" in text:
            taken = {(s.start, s.end) for s in spans}
            for m in _BRANCH.finditer(text):
                if m.span("v") not in taken and _free(text, *m.span("v")):
                    spans.append(Span(*m.span("v"), "INSURANCE_ID", 0.8))
        return spans

    @staticmethod
    def _symbol_number(text: str) -> list[Span]:
        spans: list[Span] = []
        for m in _SYMBOL_NUMBER.finditer(text):
            kigo_start, kigo_end = m.span("kigo")
            if m.group("tail") is not None:
                kigo_end = m.end("tail")
            pure_kanji = _HAS_NON_KANJI.search(m.group("kigo")) is None
            if pure_kanji and m.group("bango") is None and m.group("tail") is None:
                continue  # 記号欄に記載, 記号不明: words, not a symbol
            numbered = m.group("bango") is not None or m.group("tail") is not None
            parts = [(kigo_start, kigo_end)]
            parts += [m.span(g) for g in ("bango", "eda") if m.group(g) is not None]
            for start, end in parts:
                if _free(text, start, end, check_before=not pure_kanji):
                    spans.append(
                        Span(start, end, "INSURANCE_ID", 0.9 if numbered or m.group("both") else 0.75)
                    )
        return spans


# --- other identification codes --------------------------------------------------------------

# Label → the shape of the number it introduces (looked for within 20 characters after it).
_CONTEXT_SHAPES: dict[str, re.Pattern[str]] = {
    "免許": re.compile(r"[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}"),  # driver's licence
    "年金": re.compile(r"[0-9]{4}[ \-]?[0-9]{6}"),  # basic pension number
    "住民票": re.compile(r"[0-9]{11}"),  # 住民票コード
    # (after their labels the shapes are read loosely: other countries' passports, and
    # cards copied with a digit dropped, are still the person's)
    "旅券": re.compile(r"[A-Z]{1,2}[0-9]{7,8}(?:[A-Z]{2})?"),
    "パスポート": re.compile(r"[A-Z]{1,2}[0-9]{7,8}(?:[A-Z]{2})?"),
    "在留カード": re.compile(r"[A-Z]{2}[0-9]{7,8}[A-Z]{2}"),
}
# Labels whose number must follow right after them (お薬手帳を持参。血圧 120/80 is no ID):
# 身体障害者手帳 第12345号, 療育手帳番号：1234567, 精神障害者保健福祉手帳 No.123456.
_CLOSE_SHAPES: dict[str, re.Pattern[str]] = {
    "手帳": re.compile(r"[ ]?(?:番号|No\.?)?[ :]*第?[ ]?(?P<v>[0-9]{3,12})(?![0-9])"),
}
_OTHER_CONTEXT = re.compile("|".join([*_CONTEXT_SHAPES, *_CLOSE_SHAPES]))
_LETTER_CODE = re.compile(r"[A-Z][A-Z][0-9]{7}(?:[0-9][A-Z]{2})?")  # [A-Z]{2}, written out (see _MY_NUMBER)
_LABEL_LETTERS = ("ID", "NO")

# Generic labelled codes: <label word>番号/コード/No. followed by a code — 報告番号：IR-2024-0338,
# 交付番号 0615-2273, 医療機関コード 1410923, 施設番号 105, 受診券整理番号, 口座番号. The label
# word (kanji, kana or letters) is read backwards from the anchor. One scan of plain
# literals finds these anchors and the bank-account words below (sre skips ahead on them).
_ANCHOR = re.compile(r"番号|コード|No|NO\.|普通|当座|貯蓄|口座")
_BANK_KINDS = frozenset({"普通", "当座", "貯蓄", "口座"})
_CODE_LABEL_BEFORE = re.compile(r"[\u4e00-\u9fff々\u3041-\u3096\u30a1-\u30fa\u30fcA-Za-z]{1,10}$")
_PARTICLES = frozenset("のはをがにでともへや")  # "長男の番号は…": no label word
# Labels the other recognizers own (phone, postal, insurance, My Number, patient), and
# clinical or bibliographic codes that identify no one (ICD-10, 薬価, lot, 別冊No.).
_CODE_LABEL_OWNED = re.compile(
    r"(?:電話|TEL|Tel|tel|FAX|Fax|fax|携帯|内線|郵便|(?<!労働|雇用)保険|保険者|保険証|者証|受給者|負担者|記号|個人|"
    r"マイナンバー|患者|カルテ|診察券|被験者)$"
)
_CODE_LABEL_CLINICAL = re.compile(
    r"ICD|DPC|JAN|YJ|HOT|JLAC|EAN|病名|疾患|診断|薬価|薬剤|医薬品|薬品|治験薬|^薬|項目|手技|術式|処置|"
    r"ロット|Lot|LOT|lot|製造|製品|分類|病期|部位|遺伝子|染色体|計画書|プロトコル|[Pp]rotocol|"
    r"病室|部屋|ベッド|病床|別冊|写真|資料|付録|文献|設問|問題|頁|ページ|(?:試験|図|表|問|品|型|色)$"
)
# Separator, an optional field marker (①, (1), 第1), then the code: letters and digits,
# "-", "," or "/" between them, spaces only between digit groups.
_CODE_VALUE = re.compile(
    r"\)?(?:\([\u3041-\u30ff\u4e00-\u9fff]{1,5}\))?[ ]?(?:[:#=]|は)?[ ]?(?:[\u2460-\u2473]|\([1-9]\))?[ ]?(?:第 ?)?"
    # a kana or kanji prefix before a hyphen: 母子健康手帳番号 中野-R4-03117
    r"(?P<v>(?:[\u30a1-\u30fa\u4e00-\u9fff]{1,4}-(?=[A-Za-z0-9]))?[A-Za-z0-9](?:[A-Za-z0-9]|[\-,/](?=[A-Za-z0-9])|(?<=[0-9]) (?=[0-9]{2})"
    # a kana or kanji part between hyphens: 照会番号：R6-照-00842
    r"|-[\u30a1-\u30fa\u4e00-\u9fff]{1,3}(?=-[A-Za-z0-9])){1,29})"
)
# Identity documents and references of foreign records, after their English (or Portuguese,
# Spanish) labels: Passport No. M12345678, SSN 123-45-6789, CPF 123.456.789-09, Our ref: KH/2231.
# The value needs three digits; the label's own "No."/"number" may follow the word.
_EN_ID_WORDS = (
    "Passport|SSN|Social Security|Social Insurance|CPF|RG|DNI|NIE|NIF|PPSN|PPS|ID [Cc]ard|Identity [Cc]ard|"
    "National ID|National [Ii]nsurance|Driver'?s [Ll]icen[cs]e|Driving [Ll]icen[cs]e|Licen[cs]e|Residence [Cc]ard|"
    "Our ref|Your ref|Ref|Reference|File|Claim|Account|Employee|Staff|Student"
)
_EN_ID = re.compile(
    rf"(?:{_EN_ID_WORDS})\.?(?: ?(?:[Nn]umber|[Nn]o\.?|[Nn]º|#|ID|Nr\.?))?[ ]?[:#]?[ ]?"
    r"(?P<v>[A-Z0-9][A-Za-z0-9]*(?:(?:[\-./]| (?=[0-9]{2,}(?![A-Za-z])))[A-Za-z0-9]+){0,5})"
)
# A bank account: 普通 3049771, 当座預金 1234567, 口座 0123456 — near a bank's name.
_ACCOUNT_NUMBER = re.compile(r"(?:預金)?(?:口座)?(?:番号)?[ :]*(?P<v>[0-9]{6,8})(?![0-9])")
_BANK_CONTEXT = re.compile(r"銀行|信用金庫|信金|信用組合|支店|口座|振込|振替|ゆうちょ|農協|JA|金庫|預金")


@RECOGNIZERS.register("ids.other")
class OtherIdRecognizer(Recognizer):
    """Other identification codes (OTHER_ID): passport (AB1234567), residence card
    (AB12345678CD), and after their labels driver's licence (12 digits), basic pension
    number (4-6 digits) and 住民票コード (11 digits); generic labelled codes (報告番号：IR-…,
    医療機関コード 1234567) and bank account numbers."""

    labels: ClassVar[tuple[str, ...]] = ("OTHER_ID",)
    priority: ClassVar[int] = 60

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        found: dict[tuple[int, int], float] = {}
        for m in _OTHER_CONTEXT.finditer(text):
            if m.group() in _CLOSE_SHAPES:
                close = _CLOSE_SHAPES[m.group()].match(text, m.end())
                if close is not None and _free(text, *close.span("v")):
                    found[close.span("v")] = 0.9
                continue
            shape = _CONTEXT_SHAPES[m.group()]
            for v in shape.finditer(text, m.end(), min(len(text), m.end() + 34)):
                if v.start() > m.end() + 20:
                    break
                if _free(text, *v.span()):
                    found[v.span()] = 0.95
                    break
        for m in _LETTER_CODE.finditer(text):
            if m.group().startswith(_LABEL_LETTERS):
                continue  # "患者ID6996358", "NO1234567": a label glued to its number
            if m.span() not in found and _free(text, *m.span()):
                found[m.span()] = 0.9 if len(m.group()) == 12 else 0.7
        for m in _EN_ID.finditer(text):
            value = m.group("v")
            if m.start() > 0 and _is_ascii_letter(text[m.start() - 1]):
                continue  # "Pref", "Xfile": a longer word (checked here so that the scan skips ahead)
            if sum(c.isdigit() for c in value) >= 3 and _free(text, *m.span("v")):
                found.setdefault(m.span("v"), 0.85)
        for anchor in _ANCHOR.finditer(text):
            if anchor.group() in _BANK_KINDS:
                span = _account(text, anchor)
                if span is not None:
                    found.setdefault(span, 0.85)
                if anchor.group() != "口座" or not text.startswith("番号", anchor.end()):
                    continue
            span = _labelled_code(text, anchor)
            if span is not None:
                found.setdefault(span, 0.8)
        for m in _PLATE.finditer(text):
            # a car's registration plate: 品川500さ2417 (a visitor's, a patient's family's car)
            place = _PLATE_HEAD.search(text, max(0, m.start() - 9), m.start())
            if place is not None and _free(text, place.start(), m.end()):
                found.setdefault((place.start(), m.end()), 0.85)
        if "-" in text:
            for m in _DOCUMENT_CODE.finditer(text):
                code = m.group()
                if (
                    sum(c.isdigit() for c in code) >= 4
                    and _LONG_DIGITS.search(code, code.index("-"))  # K461-2 is a procedure code
                    and not _TRIAL_REGISTRY.match(code)
                    and not code.startswith(_NOT_CODE_PREFIXES)
                    and _free(text, *m.span())
                    and not _NOT_PERSONAL_CODE_BEFORE.search(text, max(0, m.start() - 16), m.start())
                ):
                    found.setdefault(m.span(), 0.7)
        return [Span(s, e, "OTHER_ID", score) for (s, e), score in sorted(found.items())]


# Document, report and record codes with no label before them (IR-2024-0219-007,
# TCC-241118-014, GTS-HR-2025-0047, KJ-2024-0031): capitals, then hyphenated groups holding a
# run of three or more digits and four digits in all. Such codes link back to a record
# (REFERENCE §1, standard 3), whatever label they were written with. (The look-behind comes
# after the first letter, so that the scan skips ahead to capitals.)
_DOCUMENT_CODE = re.compile(
    r"[A-Z](?<![A-Za-z0-9\-][A-Z])[A-Z]{0,4}[0-9]{0,4}(?:-[A-Z0-9]{1,8}){1,4}(?![A-Za-z0-9])"
)  # also P24-11736, B24-03319: a specimen's letter and year before its number
_LONG_DIGITS = re.compile(r"[0-9]{3}")
# A Japanese registration plate: the office's place name, the class number, one hiragana and
# the four-digit serial (品川500さ2417, 横浜 480 こ 33-17). The scan looks for the hiragana and
# the serial; the place name and the class number before them are checked afterwards.
_PLATE = re.compile(r"[\u3041-\u3093] ?[0-9]{1,2}-?[0-9]{2}(?![0-9])")
_PLATE_HEAD = re.compile(r"(?<![\u4e00-\u9fff々])[\u4e00-\u9fff々]{1,4} ?(?<![0-9])[0-9]{2,3} ?\Z")
# Labels of codes that name a protocol, a product or a batch, not a person's record.
_NOT_PERSONAL_CODE_BEFORE = re.compile(
    r"(?:計画書番号|プロトコル|[Pp]rotocol|治験薬|薬剤コード|ロット|[Ll]ot|製造番号|型番|品番|規格|試験番号|課題番号)"
    r"(?:コード|番号|記号)?[ :No.#]*$"
)
# Codes of things, not of people or their records: standards, genes, scores, devices.
_NOT_CODE_PREFIXES = (
    *("ISO-", "JIS-", "IEC-", "HLA-", "COVID-", "SARS-", "CYP", "ICD-", "DSM-", "JCS-", "NYHA-"),
    *("TEL", "FAX", "Tel", "Fax"),  # ℡ after NFKC, glued to its number
)


def _account(text: str, kind: re.Match[str]) -> tuple[int, int] | None:
    """The account number after 普通/当座/貯蓄/口座, when a bank is named nearby."""
    m = _ACCOUNT_NUMBER.match(text, kind.end())
    if m is None or not _free(text, *m.span("v")):
        return None
    return m.span("v") if _BANK_CONTEXT.search(text, max(0, kind.start() - 40), m.end()) else None


def _labelled_code(text: str, anchor: re.Match[str]) -> tuple[int, int] | None:
    """The code after a generic label ending in 番号/コード/No./NO. (anchored on that ending)."""
    start, end = anchor.span()
    literal = anchor.group()
    if literal == "口座":  # 口座番号: the label word is 口座
        start, end, literal = end, end + 2, "番号"
    if literal == "No":
        if text[end : end + 1] == ".":
            end += 1
        elif text[end : end + 1] not in (" ", ":", "#"):
            return None  # "Nov", "None": not a number label
    # 指定医 番号, 受診券 番号: text written with spaces between words keeps its label apart
    label_end = start - 1 if start > 1 and text[start - 1] == " " and text[start - 2] != " " else start
    label = _CODE_LABEL_BEFORE.search(text, max(0, label_end - 10), label_end)
    if label is None:
        if literal == "No" and (m := _CODE_VALUE.match(text, end)) is not None:
            # No.Q250618-01, No.2024-1187 heading a record: one code long enough to be one
            # (not a list of items, No.1,2,4)
            value = m.group("v").split(" ")[0]
            v_start = m.start("v")
            if (
                sum(c.isdigit() for c in value) >= 4
                and len(value) >= 6
                and "," not in value
                and _LONG_DIGITS.search(value)
                and _free(text, v_start, v_start + len(value))
            ):
                return v_start, v_start + len(value)
        return None  # "番号 1234" alone: whose number is not said
    word = label.group()
    if word[-1] in _PARTICLES or _CODE_LABEL_OWNED.search(word) or _CODE_LABEL_CLINICAL.search(word):
        return None
    if literal[0] == "N" and not _is_japanese_label(word):
        return None  # "FeNO 35", "aNO": nitric oxide, not a number label
    m = _CODE_VALUE.match(text, end)
    if m is None:
        return None
    value = m.group("v")
    if sum(c.isdigit() for c in value) < 3 or not _free(text, *m.span("v")):
        return None  # "県番号 14", "No.1": an item number, not a code
    if _TRIAL_REGISTRY.match(value):
        return None  # a study's public registration, not a person's code
    return m.span("v")


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_japanese_label(word: str) -> bool:
    return not word[-1].isascii()
