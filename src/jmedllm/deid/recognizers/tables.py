"""Cells of CSV and TSV exports and Markdown tables whose header names an identifier column.

EHR and scheduling systems export lists as delimited text: ``時刻,患者ID,氏名,カナ,生年月日,
郵便番号,住所,電話``. Below such a header a cell carries no context of its own — ``0019920``
is an ID, ``小鳥遊 ひなた`` a name, ``181-0013`` a postal code only because of the column
they sit in — and the context-gated recognizers miss most of them. This recognizer reads
the header once and labels every non-empty cell of an identifier column in the rows
below it, as long as they keep the header's number of fields (a quoted cell may hold the
delimiter). A block ends at the first line that does not.

Only the header decides, never the cell's shape, so a column the table does not name
(処方, 病名, 検査値) is left to the other recognizers: it is clinical content.
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext

__all__ = ["TableColumnRecognizer", "column_label"]

# Column names (NFKC, lower case, without spaces, quotes, brackets and trailing 欄/列) → label.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "PATIENT_ID": (
        "患者id",
        "患者番号",
        "患者no",
        "患者コード",
        "id",
        "カルテ番号",
        "カルテno",
        "カルテid",
        "診察券番号",
        "診察券no",
        "受付番号",
        "受診番号",
        "検体番号",
        "検体id",
        "利用者id",
        "利用者番号",
        "受診者番号",
        "被験者番号",
        "被験者id",
        "症例番号",
        "mrn",
        "patientid",
        "patientno",
        "chartno",
        "recordno",
        "cardno",
        "accession",
        "accessionno",
        "accessionnumber",
        "visitno",
        "visitid",
        "encounterid",
        "admissionno",
        "admissionid",
    ),
    "PERSON": (
        "氏名",
        "名前",
        "お名前",
        "患者名",
        "患者氏名",
        "利用者名",
        "利用者氏名",
        "受診者名",
        "フリガナ",
        "ふりがな",
        "カナ",
        "カナ氏名",
        "氏名カナ",
        "氏名(カナ)",
        "よみ",
        "読み",
        "保護者名",
        "保護者氏名",
        "家族氏名",
        "家族名",
        "キーパーソン",
        "緊急連絡先氏名",
        "担当者",
        "担当医",
        "主治医",
        "医師名",
        "担当看護師",
        "看護師名",
        "担当ns",
        # an operating list's and a log's staff columns
        "術者",
        "執刀医",
        "助手",
        "第一助手",
        "第二助手",
        "麻酔科",
        "麻酔科医",
        "麻酔医",
        "麻酔担当",
        "器械出し",
        "外回り",
        "依頼医",
        "記録者",
        "入力者",
        "作成者",
        "記載者",
        "報告者",
        "確認者",
        "実施者",
        "name",
        "patientname",
        "fullname",
        "kana",
        "familyname",
        "givenname",
        "firstname",
        "lastname",
        "guardianname",
        "doctorname",
        "staffname",
        "username",
        "operatorname",
    ),
    "POSTAL_CODE": ("郵便番号", "〒", "zip", "zipcode", "postalcode"),
    "ADDRESS": ("住所", "現住所", "住所1", "住所2", "居住地", "所在地", "address", "address1", "address2"),
    "PHONE": (
        "電話",
        "電話番号",
        "tel",
        "携帯",
        "携帯番号",
        "携帯電話",
        "連絡先",
        "連絡先電話",
        "緊急連絡先",
        "fax",
        "phone",
        "mobile",
        "telephone",
    ),
    "EMAIL": ("メール", "メールアドレス", "email", "mail"),
    "DATE": (
        "生年月日",
        "誕生日",
        "dob",
        "birth",
        "birthday",
        "birthdate",
        "dateofbirth",
        "入院日",
        "退院日",
        "受診日",
        "来院日",
        "初診日",
        "死亡日",
        "手術日",
        "診断日",
        "診断年",
        "発症日",
        "発症日時",
        "生年月",
        "予約日",
        "予約日時",
        "来院日時",
        "受付日時",
        "受診日時",
        "採血日時",
        "検査日",
        "検査日時",
        "実施日",
        "実施日時",
        "発生日時",
    ),
    "INSURANCE_ID": (
        "保険証番号",
        "被保険者番号",
        "被保険者証番号",
        "保険者番号",
        "記号番号",
        "記号・番号",
        "公費負担者番号",
        "受給者番号",
        "介護保険番号",
    ),
    # wards and rooms identify a patient within a hospital on the day of the export (a bed
    # number alone says little)
    "FACILITY": (
        "病棟",
        "病室",
        "室",
        "病室番号",
        "部屋",
        "部屋番号",
        "居室",
        "医療機関",
        "医療機関名",
        "施設名",
        "事業所名",
        "ward",
        "room",
        "roomno",
    ),
    "MY_NUMBER": ("マイナンバー", "個人番号"),
    "OTHER_ID": (
        "社員番号",
        "職員番号",
        "学籍番号",
        "旅券番号",
        "パスポート番号",
        "免許証番号",
        "予約番号",
        "予約id",
        "オーダ番号",
        "オーダー番号",
        "依頼番号",
        "伝票番号",
        "reservationid",
        "reservationno",
        "orderid",
        "orderno",
        "医療機関コード",
        "clinicid",
        "hospitalid",
        "facilityid",
        "staffid",
        "employeeid",
    ),
}
_LABEL_OF: dict[str, str] = {name: label for label, names in _COLUMNS.items() for name in names}
# Underscores, hyphens and dots too: patient_id, card-no and Patient.Name are one key.
_NOISE = re.compile(r"[\s\"'「」『』【】\[\]_.\-]|欄$|列$")
_DELIMITERS = (",", "\t", "|")  # CSV, TSV and Markdown tables (| 氏名 | 病名 |)
# A cell holding a value: a letter or a digit, not a dash or a dot marking it empty.
_FILLED = re.compile(r"[^\W_]")
# The rule under a Markdown header (|---|:---:|): no values.
_RULE_CELL = re.compile(r"\s*:?-{2,}:?\s*")
#: A header has at least this many fields, and a cell of an identifier column is at most
#: this long (a longer one is free text: a note, not a value).
MIN_FIELDS = 3
MAX_CELL = 80


def column_label(name: str) -> str | None:
    """The identifier label a column header names, or None (NFKC, case and spacing ignored)."""
    key = _NOISE.sub("", unicodedata.normalize("NFKC", name)).lower()
    return _LABEL_OF.get(key)


def _cells(line: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each field of ``line``, quotes included; a quoted field may hold the delimiter."""
    out: list[tuple[int, int]] = []
    start, quoted = 0, False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            out.append((start, i))
            start = i + 1
    out.append((start, len(line)))
    return out


def _value(line: str, start: int, end: int) -> tuple[int, int]:
    """The cell's value without surrounding whitespace and quotes."""
    while start < end and (line[start].isspace() or line[start] == '"'):
        start += 1
    while end > start and (line[end - 1].isspace() or line[end - 1] == '"'):
        end -= 1
    return start, end


@RECOGNIZERS.register("structure.table_columns")
class TableColumnRecognizer(Recognizer):
    """Values under identifier columns of CSV/TSV exports and Markdown tables (the header
    names the column)."""

    labels: ClassVar[tuple[str, ...]] = tuple(_COLUMNS)
    # Below the label-gated recognizers: where both find a value, theirs has the finer span.
    priority: ClassVar[int] = 50

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        if "," not in text and "\t" not in text and "|" not in text:
            return []
        spans: list[Span] = []
        lines: list[tuple[int, str]] = []
        offset = 0
        for line in text.split("\n"):
            lines.append((offset, line))
            offset += len(line) + 1
        i = 0
        while i < len(lines):
            header = self._header(lines[i][1])
            if header is None:
                i += 1
                continue
            delimiter, columns = header
            i += 1
            while i < len(lines):
                base, line = lines[i]
                cells = _cells(line, delimiter)
                if len(cells) != len(columns):
                    break
                if delimiter == "|" and all(_RULE_CELL.fullmatch(line, a, b) for a, b in cells[1:-1]):
                    i += 1
                    continue  # |---|---|
                for (start, end), label in zip(cells, columns, strict=True):
                    if label is None:
                        continue
                    start, end = _value(line, start, end)
                    if 0 < end - start <= MAX_CELL and _FILLED.search(line, start, end):
                        spans.append(Span(base + start, base + end, label, 0.85))
                i += 1
        return spans

    @staticmethod
    def _header(line: str) -> tuple[str, list[str | None]] | None:
        """The delimiter and each column's label when ``line`` is a header naming an identifier column."""
        for delimiter in _DELIMITERS:
            if line.count(delimiter) + 1 < MIN_FIELDS:
                continue
            names = [line[s:e] for s, e in _cells(line, delimiter)]
            if any(len(n.strip()) > 30 for n in names):
                continue  # a sentence with commas, not a header
            columns = [column_label(n) for n in names]
            if any(columns):
                return delimiter, columns
        return None
