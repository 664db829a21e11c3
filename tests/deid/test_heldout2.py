"""The second hand-written held-out set: fixture sanity, then the engine scored on it.

``fixtures/heldout2.txt`` was written blind (without reading the engine, its lexicons,
the synthetic templates or the first held-out set), in document kinds the first set does
not use: triage, home visits, dental, dialysis, interpreter notes, chat, e-mail, FAX
cover sheets and so on. Conventions are those of the first set: PERSON excludes
honorifics and roles, a bracketed kana reading is its own PERSON span, POSTAL_CODE
includes 〒, a date directly followed by a time (or a bracketed weekday) is one DATE span,
AGE only for ages ≥ 90, IDs exclude their labels, wards and rooms are FACILITY, a
department after a facility is not part of it, a prefecture alone is not annotated.

The fixture text is not printed by default, so that engineers who tune the engine do not
see it by accident. Set ``JMEDLLM_SHOW_MISSES=1`` (and run with ``-s``) to print the
per-label table, the missed gold spans, the false positives and the masked protected
terms; without it only the aggregate numbers appear in assertion messages.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from deid_heldout import heldout_module

from jmedllm.deid.evaluate import evaluate
from jmedllm.deid.labels import DIRECT_IDENTIFIERS, LABELS

heldout = heldout_module()

FIXTURE2 = Path(__file__).resolve().parent / "fixtures" / "heldout2.txt"

# Provisional; the integrator sets the final thresholds.
# Regression floors just under the engine's figures on this set (2026-11-28: recall 0.9687,
# precision 0.9993, masked 0). Written blind; only its dev half (even ids) was ever shown to
# the recognizers' authors, so its odd half remains an honest estimate (recall 0.929).
MIN_CHAR_RECALL = 0.96
MIN_CHAR_PRECISION = 0.98
MAX_PROTECTED_MASKED = 0.02
MIN_DOCUMENTS = 45
SHOW = os.environ.get("JMEDLLM_SHOW_MISSES") == "1"

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# A 保険者番号 (not 被保険者番号) label just before an INSURANCE_ID span.
_INSURER_LABEL = re.compile(r"(?<!被)保険者番号[\s：:]*$")


def _load() -> list[dict[str, Any]]:
    return heldout.load_heldout(FIXTURE2)


def _digits(value: str) -> str:
    return "".join(c for c in value.translate(_FULLWIDTH_DIGITS) if c.isdigit())


def _my_number_ok(digits: str) -> bool:
    """My Number check digit: weights 2..7,2..6 over the first 11 digits read right to left."""
    if len(digits) != 12:
        return False
    body = [int(c) for c in digits[:11]][::-1]
    weights = (2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6)
    r = sum(d * w for d, w in zip(body, weights, strict=True)) % 11
    return int(digits[11]) == (0 if r <= 1 else 11 - r)


def _insurer_number_ok(digits: str) -> bool:
    """保険者番号 check digit (8 digits, or 6 for 国保/介護保険): Luhn-style over the body."""
    if len(digits) not in (6, 8):
        return False
    total = 0
    for i, c in enumerate(reversed(digits[:-1])):
        product = int(c) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return int(digits[-1]) == (10 - total % 10) % 10


# --------------------------------------------------------------------------- check digits


def test_check_digit_helpers() -> None:
    assert _my_number_ok("123456789018")
    assert not _my_number_ok("123456789019")
    assert _insurer_number_ok("06139653")
    assert not _insurer_number_ok("06139654")
    assert _insurer_number_ok("138057")  # 国保: body 13805 -> check 7
    assert not _insurer_number_ok("1234")


# --------------------------------------------------------------------------- fixture


def test_fixture2_is_well_formed() -> None:
    records = _load()
    assert len(records) >= MIN_DOCUMENTS
    assert len({r["kind"] for r in records}) >= 30  # many document kinds
    labels = {s["label"] for r in records for s in r["spans"]}
    assert labels == set(LABELS)  # every label is exercised
    assert sum(len(r["protected"]) for r in records) >= 60
    n_my_number = n_insurer = 0
    for record in records:
        text = record["text"]
        for span in record["spans"]:
            value = text[span["start"] : span["end"]]
            assert value and value.strip() == value, (record["id"], span)
            if span["label"] == "MY_NUMBER":
                assert _my_number_ok(_digits(value)), (record["id"], "MY_NUMBER check digit")
                n_my_number += 1
            elif span["label"] == "INSURANCE_ID":
                line_before = text[: span["start"]].rsplit("\n", 1)[-1]
                if _INSURER_LABEL.search(line_before):
                    assert _insurer_number_ok(_digits(value)), (record["id"], "保険者番号 check digit")
                    n_insurer += 1
            elif span["label"] == "AGE":
                number = _digits(value)
                if number:  # kanji numerals are checked by eye
                    assert int(number) >= 90, (record["id"], "AGE below 90")
            elif span["label"] == "POSTAL_CODE":
                assert re.fullmatch(r"〒?\d{3}-\d{4}", value), (record["id"], "POSTAL_CODE")
        ordered = sorted(record["spans"], key=lambda s: (s["start"], s["end"]))
        for a, b in itertools.pairwise(ordered):
            assert a["end"] <= b["start"], (record["id"], "overlapping spans")
        for term in record["protected"]:
            assert text[term["start"] : term["end"]] == term["term"]
            for span in record["spans"]:
                assert term["end"] <= span["start"] or span["end"] <= term["start"], (
                    record["id"],
                    "protected term overlaps a span",
                )
    assert n_my_number >= 2
    assert n_insurer >= 4


def test_fixture2_offsets_round_trip() -> None:
    """Re-inserting the markers at the recorded offsets reproduces the annotated source."""
    source = FIXTURE2.read_text(encoding="utf-8")
    blocks = re.split(r"^=== \S+.*$", source, flags=re.MULTILINE)[1:]
    records = _load()
    assert len(blocks) == len(records)
    for record, block in zip(records, blocks, strict=True):
        text = record["text"]
        marks = [(s["start"], s["end"], f"[[{s['label']}|", "]]") for s in record["spans"]]
        marks += [(p["start"], p["end"], "{{", "}}") for p in record["protected"]]
        out, pos = [], 0
        for start, end, left, right in sorted(marks):
            out += [text[pos:start], left, text[start:end], right]
            pos = end
        out.append(text[pos:])
        assert "".join(out) == block.strip("\n").strip(), record["id"]


# --------------------------------------------------------------------------- engine


@pytest.fixture(scope="module")
def scored2() -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    pytest.importorskip("fugashi")
    pytest.importorskip("unidic_lite")
    from jmedllm.deid.engine import PhiAnalyzer

    gold = _load()
    analyzer = PhiAnalyzer()
    pred = {record["id"]: analyzer.analyze(record["text"]) for record in gold}
    return gold, pred


def test_heldout2_predicted_offsets_are_valid(
    scored2: tuple[list[dict[str, Any]], dict[str, list[Any]]],
) -> None:
    gold, pred = scored2
    for record in gold:
        for span in pred[record["id"]]:
            assert 0 <= span.start < span.end <= len(record["text"])


def test_heldout2_scores(scored2: tuple[list[dict[str, Any]], dict[str, list[Any]]]) -> None:
    gold, pred = scored2
    report = evaluate(gold, [{"id": doc_id, "spans": spans} for doc_id, spans in pred.items()])

    if SHOW:
        heldout.print_report("held-out set 2", report, gold, pred)

    summary = (
        f"recall={report.char_recall} precision={report.char_precision} "
        f"protected_masked={report.protected_masked_rate} (set JMEDLLM_SHOW_MISSES=1 for details)"
    )
    assert report.n_missing_predictions == 0
    assert {s.label for s in report.labels if s.n_gold} >= DIRECT_IDENTIFIERS
    assert report.char_recall is not None and report.char_recall >= MIN_CHAR_RECALL, summary
    assert report.char_precision is not None and report.char_precision >= MIN_CHAR_PRECISION, summary
    rate = report.protected_masked_rate
    assert rate is not None and rate <= MAX_PROTECTED_MASKED, summary
