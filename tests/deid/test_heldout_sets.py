"""The fourth to fifteenth hand-written sets (2026-11-29), scored as CI floors.

Each was written by a different writer who never read the engine, its lexicons, the
synthetic templates or the other sets (the headers of the fixtures state their
conventions), and scored before any rule was changed for it:

* ``heldout4.txt`` (60 documents, ordinary hospital records) and ``heldout5.txt`` (60,
  home care, schools, authorities and messy exports: OCR spacing, half-width katakana,
  HL7, FHIR) were then used as **dev sets**: every miss was read and general rules were
  written for them (tests/deid/test_unseen_shapes.py holds those shapes with other values).
* ``heldout7.txt`` (50, a regional hospital's everyday documents) was written later the same
  day and used as a dev set too, after its first score.
* ``heldout9.txt`` (50, specialty departments and research case reports) and
  ``heldout10.txt`` (50, messy real-world text: OCR, spaced words, half-width kana, chats,
  e-mails, foreign residents) were written in the day session and used as dev sets after
  their first scores (0.954 and 0.907), and so was ``heldout15.txt`` (50, machine-made
  exports, logs and receipts; first score 0.852) in the last hour.
* ``heldout6.txt`` (50 documents, a realistic mix), ``heldout8.txt`` (50, a year of a
  de-identification service's input), ``heldout11.txt`` (50, a regional network's year
  in Kyushu, Tohoku and Hokkaido), ``heldout12.txt`` (50, community and long-term care) and
  ``heldout13.txt`` (50, acute care, legal inquiries, international patients, IT exports)
  and ``heldout14.txt`` (50, families and children) are **blind**: only their aggregate
  scores have ever been printed, never a miss.
  heldout12 and heldout13 were written after every rule of the day session and scored once.

Floors sit just under the figures measured on 2026-11-29 (docs/deid.md), so a regression
fails CI. The issue's target (recall ≥ 0.99) is not met on any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from deid_heldout import heldout_module

from jmedllm.deid.evaluate import evaluate

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# (fixture, documents, recall floor, precision floor, protected-terms ceiling); measured at
# the end of the 2026-11-29 day session (docs/deid.md). The ceiling for protected
# terms is 2%; heldout11 (110 protected terms, scored blind) has 4 masked, 3.6%, and its
# ceiling records that miss rather than hide it.
SETS = [
    ("heldout4.txt", 60, 0.98, 0.98, 0.02),
    ("heldout5.txt", 60, 0.97, 0.975, 0.02),
    ("heldout6.txt", 50, 0.96, 0.97, 0.02),
    ("heldout7.txt", 50, 0.98, 0.975, 0.02),
    ("heldout8.txt", 50, 0.95, 0.98, 0.02),
    ("heldout9.txt", 50, 0.965, 0.965, 0.02),
    ("heldout10.txt", 50, 0.93, 0.97, 0.02),
    ("heldout11.txt", 50, 0.92, 0.975, 0.04),
    ("heldout12.txt", 50, 0.91, 0.97, 0.02),
    ("heldout13.txt", 50, 0.915, 0.96, 0.02),
    ("heldout14.txt", 50, 0.945, 0.965, 0.02),
    ("heldout15.txt", 50, 0.875, 0.975, 0.02),
]


@pytest.fixture(scope="module")
def analyzer() -> Any:
    pytest.importorskip("fugashi")
    from jmedllm.deid.engine import PhiAnalyzer

    return PhiAnalyzer()


@pytest.mark.parametrize(("fixture", "documents", "recall", "precision", "protected"), SETS)
def test_heldout_set_scores(
    analyzer: Any, fixture: str, documents: int, recall: float, precision: float, protected: float
) -> None:
    gold = heldout_module().load_heldout(FIXTURES / fixture)
    assert len(gold) == documents
    report = evaluate(gold, [{"id": g["id"], "spans": analyzer.analyze(g["text"])} for g in gold])
    # Aggregates only: the blind set's misses are never printed.
    assert report.char_recall >= recall, f"recall={report.char_recall}"
    assert report.char_precision >= precision, f"precision={report.char_precision}"
    assert report.protected_masked <= protected * report.protected_total
