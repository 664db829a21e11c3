"""Redaction modes: mask tags, consistent pseudonyms, date shifts that keep intervals, hash codes."""

from __future__ import annotations

import re
from datetime import date

import pytest

from jmedllm.core.jatext import parse_date
from jmedllm.core.records import Span
from jmedllm.deid.redact import Redactor

SECRET = b"test-secret-0123456789abcdef"


def _spans(text: str, items: list[tuple[str, str]]) -> list[Span]:
    out, position = [], 0
    for value, label in items:
        start = text.index(value, position)
        out.append(Span(start, start + len(value), label, 1.0, "test"))
        position = start + len(value)
    return out


def test_mask_writes_category_tags() -> None:
    text = "山田太郎さん TEL 03-1234-5678"
    redacted, replacements = Redactor("mask", secret=SECRET).redact(
        text, _spans(text, [("山田太郎", "PERSON"), ("03-1234-5678", "PHONE")])
    )
    assert redacted == "［氏名］さん TEL ［電話番号］"
    assert [r.label for r in replacements] == ["PERSON", "PHONE"]
    assert all(len(r.original_hmac) == 32 and "山田" not in r.original_hmac for r in replacements)


def test_pseudonyms_are_consistent_within_a_key_and_differ_across_keys() -> None:
    text = "山田太郎さんと山田太郎さん"
    spans = _spans(text, [("山田太郎", "PERSON"), ("山田太郎", "PERSON")])
    redactor = Redactor("pseudonymize", secret=SECRET)
    first, _ = redactor.redact(text, spans, key="patient-1")
    a, b = first.split("と")
    assert a == b and "山田" not in first
    again, _ = Redactor("pseudonymize", secret=SECRET).redact(text, spans, key="patient-1")
    assert again == first  # same secret and key: same surrogate, run after run
    names = {Redactor("pseudonymize", secret=SECRET).redact(text, spans, key=f"p{i}")[0] for i in range(8)}
    assert len(names) > 1


def test_date_shift_keeps_intervals_and_format() -> None:
    text = "2023年4月1日入院、2023年4月11日退院。令和5年4月1日。R5.4.1。2023/04/01"
    spans = _spans(
        text,
        [
            ("2023年4月1日", "DATE"),
            ("2023年4月11日", "DATE"),
            ("令和5年4月1日", "DATE"),
            ("R5.4.1", "DATE"),
            ("2023/04/01", "DATE"),
        ],
    )
    _, replacements = Redactor("pseudonymize", secret=SECRET).redact(text, spans, key="p1")
    values = [r.replacement for r in replacements]
    d1, d2 = (parse_date(v).to_date() for v in values[:2])
    assert (d2 - d1).days == 10  # the interval survives
    assert d1 != date(2023, 4, 1)
    assert values[2].startswith(("令和", "平成")) and re.fullmatch(r"[RH]\d+\.\d+\.\d+", values[3])
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", values[4])
    assert len({parse_date(v).to_date() for v in values[2:]} | {d1}) == 1  # one offset per patient


def test_impossible_dates_are_masked_when_pseudonymising() -> None:
    text = "平成32年1月1日"
    redacted, _ = Redactor("pseudonymize", secret=SECRET).redact(text, [Span(0, len(text), "DATE")], key="p")
    assert redacted == "［日付］"


def test_ids_keep_their_shape_and_ages_generalise() -> None:
    text = "患者ID：ＡＢ１２３４５ 95歳 090-1111-2222"
    spans = _spans(text, [("ＡＢ１２３４５", "PATIENT_ID"), ("95歳", "AGE"), ("090-1111-2222", "PHONE")])
    _, replacements = Redactor("pseudonymize", secret=SECRET).redact(text, spans, key="p")
    new_id, age, phone = (r.replacement for r in replacements)
    assert re.fullmatch("[Ａ-Ｚａ-ｚA-Za-z]{2}[０-９]{5}", new_id) and new_id != "ＡＢ１２３４５"
    assert age == "90歳以上"
    assert re.fullmatch(r"0\d{2}-\d{4}-\d{4}", phone) and phone != "090-1111-2222"


def test_hash_codes_are_stable_across_documents_and_unlinkable_without_the_secret() -> None:
    text = "カルテ番号 1234567"
    span = [Span(6, 13, "PATIENT_ID")]
    a, _ = Redactor("hash", secret=SECRET).redact(text, span, key="doc1")
    b, _ = Redactor("hash", secret=SECRET).redact(text, span, key="doc2")
    c, _ = Redactor("hash", secret=b"another-secret-0123456789").redact(text, span, key="doc1")
    assert a == b != c
    assert re.fullmatch(r"カルテ番号 ［患者ID#[0-9a-f]{10}］", a)
    assert "1234567" not in a


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="mode"):
        Redactor("shred", secret=SECRET)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="16 bytes"):
        Redactor("mask", secret=b"short")
    with pytest.raises(ValueError, match="overlap"):
        Redactor("mask", secret=SECRET).redact("abcdef", [Span(0, 3, "PERSON"), Span(2, 4, "PERSON")])
