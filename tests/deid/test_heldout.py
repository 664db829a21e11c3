"""The hand-written held-out set: its parser, then the engine scored on it.

``fixtures/heldout.txt`` was written independently of the synthetic corpus (other
templates, names and values), so its scores estimate quality on unseen documents. Run
with ``-s`` to see the per-label table and every missed / false-positive string.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from deid_heldout import heldout_module

from jmedllm.deid.evaluate import evaluate
from jmedllm.deid.labels import DIRECT_IDENTIFIERS, LABELS

heldout = heldout_module()

# Regression floors just under what the engine reaches on this set (2026-11-28: recall
# 0.9915, precision 0.9947, masked 0). Its dev half was used to tune the recognizers, so
# it is no longer an unbiased estimate: heldout2 (blind) is. Issue targets: recall >= 0.99,
# precision >= 0.95, protected terms masked <= 2%.
MIN_CHAR_RECALL = 0.985
MIN_CHAR_PRECISION = 0.98
MAX_PROTECTED_MASKED = 0.02


# --------------------------------------------------------------------------- parser


def test_parse_document_offsets_are_exact() -> None:
    text, spans, protected = heldout.parse_document(
        "氏名：[[PERSON|比嘉 綾]]（[[PERSON|ヒガ アヤ]]）さん、{{橋本病}}。TEL [[PHONE|098-000-1111]]"
    )
    assert text == "氏名：比嘉 綾（ヒガ アヤ）さん、橋本病。TEL 098-000-1111"
    assert [(text[s["start"] : s["end"]], s["label"]) for s in spans] == [
        ("比嘉 綾", "PERSON"),
        ("ヒガ アヤ", "PERSON"),
        ("098-000-1111", "PHONE"),
    ]
    assert protected == [{"start": text.index("橋本病"), "end": text.index("橋本病") + 3, "term": "橋本病"}]


def test_parse_document_without_markers() -> None:
    assert heldout.parse_document("WBC 12.3×10³/μL") == ("WBC 12.3×10³/μL", [], [])


@pytest.mark.parametrize(
    "bad",
    ["[[NAME|比嘉]]", "[[PERSON|比嘉]", "{{橋本病}", "[[PERSON| 比嘉]]", "[[PERSON|]]", "a ]] b"],
)
def test_parse_document_rejects_malformed_markers(bad: str) -> None:
    with pytest.raises(ValueError):
        heldout.parse_document(bad, "t")


def test_parse_heldout_documents_comments_and_blank_lines() -> None:
    source = "# comment\n\n=== a 外来\n\n[[DATE|R5.4.1]] 受診\n  {{川崎病}}\n\n=== b 看護記録\n知念\n"
    records = heldout.parse_heldout(source)
    assert [(r["id"], r["kind"], r["text"]) for r in records] == [
        ("a", "外来", "R5.4.1 受診\n  川崎病"),
        ("b", "看護記録", "知念"),
    ]
    assert records[0]["spans"] == [{"start": 0, "end": 6, "label": "DATE"}]
    assert records[0]["protected"] == [{"start": 12, "end": 15, "term": "川崎病"}]
    assert records[1]["spans"] == []


def test_parse_heldout_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        heldout.parse_heldout("=== a x\nfoo\n=== a y\nbar\n")


def _my_number_ok(digits: str) -> bool:
    body = [int(c) for c in digits[:11]][::-1]
    weights = (2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6)
    r = sum(d * w for d, w in zip(body, weights, strict=True)) % 11
    return int(digits[11]) == (0 if r <= 1 else 11 - r)


def test_fixture_is_well_formed() -> None:
    records = heldout.load_heldout()
    assert len(records) >= 60
    labels = {s["label"] for r in records for s in r["spans"]}
    assert labels == set(LABELS)  # every label is exercised
    assert sum(len(r["protected"]) for r in records) >= 80
    for record in records:
        text = record["text"]
        for span in record["spans"]:
            value = text[span["start"] : span["end"]]
            assert value.strip() == value and value, (record["id"], value)
            if span["label"] == "MY_NUMBER":
                digits = "".join(c for c in value if c.isdigit())
                digits = digits.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                assert len(digits) == 12 and _my_number_ok(digits), (record["id"], value)
        ordered = sorted(record["spans"], key=lambda s: s["start"])
        for a, b in itertools.pairwise(ordered):
            assert a["end"] <= b["start"], (record["id"], a, b)


# --------------------------------------------------------------------------- engine


@pytest.fixture(scope="module")
def scored() -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    pytest.importorskip("fugashi")
    pytest.importorskip("unidic_lite")
    from jmedllm.deid.engine import PhiAnalyzer

    gold = heldout.load_heldout()
    analyzer = PhiAnalyzer()
    pred = {record["id"]: analyzer.analyze(record["text"]) for record in gold}
    return gold, pred


def test_predicted_offsets_are_valid(scored: tuple[list[dict[str, Any]], dict[str, list[Any]]]) -> None:
    gold, pred = scored
    for record in gold:
        for span in pred[record["id"]]:
            assert 0 <= span.start < span.end <= len(record["text"])


def test_heldout_scores(scored: tuple[list[dict[str, Any]], dict[str, list[Any]]]) -> None:
    gold, pred = scored
    report = evaluate(gold, [{"id": doc_id, "spans": spans} for doc_id, spans in pred.items()])
    heldout.print_report("held-out de-identification", report, gold, pred)

    assert report.n_missing_predictions == 0
    assert {s.label for s in report.labels if s.n_gold} >= DIRECT_IDENTIFIERS
    assert report.char_recall is not None and report.char_recall >= MIN_CHAR_RECALL, report.char_recall
    assert report.char_precision is not None and report.char_precision >= MIN_CHAR_PRECISION, (
        report.char_precision
    )
    rate = report.protected_masked_rate
    assert rate is not None and rate <= MAX_PROTECTED_MASKED, rate
