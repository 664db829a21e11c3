"""Scoring against hand-built gold with numbers worked out by hand."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jmedllm.core.records import Span
from jmedllm.deid.evaluate import DeidReport, evaluate
from jmedllm.deid.labels import LABELS
from jmedllm.deid.synth import generate_corpus

TEXT = "氏名 山田 太郎、TEL 03-1234-5678、92歳。橋本病あり。"
NAME, PHONE, AGE, EPONYM = "山田 太郎", "03-1234-5678", "92歳", "橋本病"


def _at(value: str, label: str = "", text: str = TEXT) -> dict[str, Any]:
    start = text.index(value)
    return {"start": start, "end": start + len(value), "label": label}


def _gold() -> list[dict[str, Any]]:
    term = _at(EPONYM)
    return [
        {
            "id": "d1",
            "text": TEXT,
            "spans": [_at(NAME, "PERSON"), _at(PHONE, "PHONE"), _at(AGE, "AGE")],
            "protected": [{"start": term["start"], "end": term["end"], "term": EPONYM}],
        }
    ]


def _pred(*spans: dict[str, Any], doc_id: str = "d1") -> list[dict[str, Any]]:
    return [{"id": doc_id, "spans": list(spans)}]


def test_perfect_prediction() -> None:
    report = evaluate(_gold(), _pred(*_gold()[0]["spans"]))
    assert report.char_recall == report.char_recall_all == report.char_precision == report.f2 == 1.0
    assert report.protected_masked == 0 and report.protected_masked_rate == 0.0
    # The space inside 山田 太郎 is not counted: 4 + 12 direct characters, + 3 for AGE.
    assert (report.direct_gold_chars, report.all_gold_chars) == (16, 19)
    assert report.n_documents == 1 and report.n_missing_predictions == 0
    assert report.label("PERSON").n_found == report.label("PERSON").n_gold == 1


def test_empty_prediction_and_missing_record() -> None:
    for pred in (_pred(), []):
        report = evaluate(_gold(), pred)
        assert report.char_recall == 0.0 and report.char_recall_all == 0.0
        assert report.char_precision is None  # nothing predicted: undefined, not perfect
        assert report.f2 == 0.0
        assert report.n_missing_predictions == (1 if pred == [] else 0)
        assert all(s.n_found == 0 for s in report.labels)


def test_partial_prediction() -> None:
    # Only 山田 of the name, the whole phone number, nothing for the age.
    report = evaluate(_gold(), _pred(_at("山田", "PERSON"), _at(PHONE, "PHONE")))
    assert report.char_recall == pytest.approx(14 / 16)
    assert report.char_recall_all == pytest.approx(14 / 19)
    assert report.char_precision == 1.0
    assert report.f2 == pytest.approx(5 * (14 / 16) / (4 + 14 / 16))
    person, phone, age = report.label("PERSON"), report.label("PHONE"), report.label("AGE")
    assert (person.n_found, person.char_recall) == (0, 0.5)  # half a name is not a found name
    assert (phone.n_found, phone.entity_recall) == (1, 1.0)
    assert (age.n_found, age.entity_recall, age.char_recall) == (0, 0.0, 0.0)
    assert report.label("EMAIL").entity_recall is None  # no gold EMAIL


def test_entity_threshold_is_ninety_percent() -> None:
    start = TEXT.index(PHONE)
    eleven = {"start": start, "end": start + 11, "label": "PHONE"}  # 11/12 = 0.917
    ten = {"start": start, "end": start + 10, "label": "PHONE"}  # 10/12 = 0.833
    assert evaluate(_gold(), _pred(eleven)).label("PHONE").n_found == 1
    assert evaluate(_gold(), _pred(ten)).label("PHONE").n_found == 0
    assert evaluate(_gold(), _pred(ten), entity_threshold=0.8).label("PHONE").n_found == 1
    with pytest.raises(ValueError):
        evaluate(_gold(), _pred(ten), entity_threshold=0)


def test_split_name_is_found_and_labels_are_ignored() -> None:
    # 山田 and 太郎 predicted separately (the space between is not counted), the phone
    # number under a wrong label: still masked, so still recalled.
    report = evaluate(_gold(), _pred(_at("山田"), _at("太郎", "PERSON"), _at(PHONE, "DATE")))
    assert report.label("PERSON").n_found == 1 and report.label("PERSON").char_recall == 1.0
    assert report.char_recall == 1.0 and report.char_precision == 1.0


def test_over_masking_protected_terms() -> None:
    # 橋本 inside 橋本病 masked as a name: the term counts as masked and costs precision.
    spans = [*_gold()[0]["spans"], _at("橋本", "PERSON")]
    report = evaluate(_gold(), _pred(*spans))
    assert (report.protected_total, report.protected_masked, report.protected_masked_rate) == (1, 1, 1.0)
    assert report.char_recall == 1.0
    assert report.char_precision == pytest.approx(19 / 21)
    assert report.f2 == pytest.approx(5 * (19 / 21) / (4 * (19 / 21) + 1))


def test_micro_average_over_documents_and_span_objects() -> None:
    other = "電話 090-1111-2222 まで"
    gold = [*_gold(), {"id": "d2", "text": other, "spans": [_at("090-1111-2222", "PHONE", other)]}]
    pred = [
        {"id": "d1", "spans": [Span(TEXT.index(PHONE), TEXT.index(PHONE) + 12, "PHONE")]},
        {"id": "d2", "spans": [Span(0, 2, "PHONE")]},  # 電話: wrong characters
    ]
    report = evaluate(gold, pred)
    assert report.n_documents == 2
    assert report.char_recall == pytest.approx(12 / (16 + 13))
    assert report.char_precision == pytest.approx(12 / 14)
    assert report.label("PHONE").n_gold == 2 and report.label("PHONE").n_found == 1
    assert report.n_gold_entities["PHONE"] == 2


def test_unknown_duplicate_and_out_of_range_records_are_errors() -> None:
    with pytest.raises(ValueError, match="not in gold: 'nope'"):
        evaluate(_gold(), _pred(doc_id="nope"))
    with pytest.raises(ValueError, match="duplicate id 'd1'"):
        evaluate(_gold(), _pred() + _pred())
    with pytest.raises(ValueError, match="outside a text"):
        evaluate(_gold(), _pred({"start": 0, "end": len(TEXT) + 1, "label": "PERSON"}))
    bad_gold = _gold()
    bad_gold[0]["spans"].append({"start": 0, "end": 2, "label": "NAME"})
    with pytest.raises(ValueError, match="unknown gold label"):
        evaluate(bad_gold, _pred())


def test_report_rendering() -> None:
    report = evaluate(_gold(), _pred(_at(PHONE, "PHONE")))
    assert isinstance(report, DeidReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.n_documents = 3  # type: ignore[misc]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["labels"]["PHONE"] == {
        "n_gold": 1, "n_found": 1, "entity_recall": 1.0, "gold_chars": 12, "covered_chars": 12, "char_recall": 1.0,
    }  # fmt: skip
    assert data["char_precision"] == 1.0 and data["char_recall"] == pytest.approx(12 / 16)
    assert data["labels"]["EMAIL"]["entity_recall"] is None
    rows = report.rows()
    assert rows[0] == ("label", "gold entities", "found", "entity recall", "char recall")
    assert [r[0] for r in rows[1 : 1 + len(LABELS)]] == list(LABELS)
    assert all(len(r) == len(rows[0]) and all(isinstance(c, str) for c in r) for r in rows)
    by_name = {r[0]: r for r in rows}
    assert by_name["direct identifiers"][1:] == ("2", "1", "0.5000", "0.7500")
    assert by_name["EMAIL"][3] == "n/a"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 50), keep=st.lists(st.booleans(), min_size=1, max_size=60))
def test_properties_on_synthetic_documents(seed: int, keep: list[bool]) -> None:
    gold = list(generate_corpus(3, seed=seed))
    # Gold as prediction: perfect, and no protected term is touched (they never overlap).
    perfect = evaluate(gold, [{"id": d["id"], "spans": d["spans"]} for d in gold])
    assert perfect.char_recall_all == perfect.char_precision == 1.0 and perfect.protected_masked == 0
    # A subset of the gold spans: precision stays 1, recall can only fall, and adding a
    # span back never lowers it.
    subset = [
        {"id": d["id"], "spans": [s for i, s in enumerate(d["spans"]) if keep[i % len(keep)]]} for d in gold
    ]
    partial = evaluate(gold, subset)
    assert partial.char_precision in (None, 1.0)
    assert partial.char_recall_all is not None and partial.char_recall_all <= 1.0
    more = [
        {"id": p["id"], "spans": [*p["spans"], *g["spans"][:1]]} for p, g in zip(subset, gold, strict=True)
    ]
    assert evaluate(gold, more).char_recall_all >= partial.char_recall_all
