"""CSV/TSV exports: cells under identifier columns are found because the header names them."""

from __future__ import annotations

import pytest

from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.recognizers.tables import TableColumnRecognizer, column_label

EXPORT = (
    "外来予約一覧（2024/5/7）\n"
    "時刻,患者ID,氏名,カナ,郵便番号,住所,電話,病名,処方\n"
    '09:00,0001823,御手洗 蓮,ミタライ レン,150-0041,東京都渋谷区神南1-2-3,03-0000-1111,"高血圧症, 脂質異常症",アムロジピン5mg\n'
    "09:15,0019920,小鳥遊 ひなた,タカナシ ヒナタ,181-0013,三鷹市下連雀3-4-5,090-0000-2222,橋本病,チラーヂンS 50μg\n"
    "\n"
    "備考：9時台は混雑。\n"
)


def _found(text: str) -> dict[str, str]:
    from jmedllm.deid.base import TextContext

    spans = TableColumnRecognizer().analyze(TextContext(text))
    return {text[s.start : s.end]: s.label for s in spans}


def test_cells_under_identifier_columns_are_labelled_and_clinical_columns_left_alone() -> None:
    found = _found(EXPORT)
    assert found["0001823"] == "PATIENT_ID" and found["0019920"] == "PATIENT_ID"
    assert found["小鳥遊 ひなた"] == "PERSON" and found["ミタライ レン"] == "PERSON"
    assert found["181-0013"] == "POSTAL_CODE" and found["三鷹市下連雀3-4-5"] == "ADDRESS"
    assert found["090-0000-2222"] == "PHONE"
    # Clinical columns are content; the quoted cell holding a comma keeps the row's shape.
    assert not {"高血圧症, 脂質異常症", "橋本病", "アムロジピン5mg", "09:00"} & set(found)
    assert "9時台は混雑。" not in " ".join(found)


def test_the_engine_masks_a_whole_export() -> None:
    spans = PhiAnalyzer().analyze(EXPORT)
    masked = {EXPORT[s.start : s.end] for s in spans}
    assert {"0001823", "小鳥遊 ひなた", "150-0041", "090-0000-2222"} <= masked
    assert "橋本病" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "所見,部位,程度\n浮腫,下腿,軽度\n",  # a table without identifier columns
        "血圧は120/80、脈拍72、体温36.5。\n",  # prose with commas
        "患者ID,氏名\n0001,山田\n",  # two fields: not a table header
        "時刻\t患者ID\t氏名\n09:00\t0001\n",  # the row does not keep the header's shape
    ],
)
def test_nothing_is_labelled_without_a_header_and_rows_of_its_shape(text: str) -> None:
    assert _found(text) == {}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("患者ID", "PATIENT_ID"),
        (" 氏名（カナ） ", "PERSON"),
        ("氏名(カナ)", "PERSON"),
        ("ＴＥＬ", "PHONE"),
        ("病名", None),
    ],
)
def test_column_names_are_read_after_nfkc_and_spacing(name: str, label: str | None) -> None:
    assert column_label(name) == label
