"""The fourth to twenty-first hand-written sets, scored as CI floors.

Each was written by a different writer who never read the engine, its lexicons, the
synthetic templates or the other sets (the headers of the fixtures state their
conventions), and scored before any rule was changed for it:

* ``heldout4.txt`` (60 documents, ordinary hospital records) and ``heldout5.txt`` (60,
  home care, schools, authorities and messy exports: OCR spacing, half-width katakana,
  HL7, FHIR) were then used as **dev sets**: every miss was read and general rules were
  written for them (tests/deid/test_unseen_shapes.py holds those shapes with other values).
* ``heldout7.txt`` (50, a regional hospital's everyday documents), ``heldout9.txt`` (50,
  specialty departments and research case reports), ``heldout10.txt`` (50, messy real-world
  text: OCR, spaced words, half-width kana, chats, e-mails, foreign residents) and
  ``heldout15.txt`` (50, machine-made exports, logs and receipts) were used as dev sets too,
  after their first scores (0.954, 0.907 and 0.852 for heldout9, 10 and 15).
* On 2026-11-29 (afternoon) six more were written: ``heldout17.txt`` (50, specialty
  departments' paperwork, chats, overseas referrals; first score 0.958) and ``heldout19.txt``
  (50, a large urban hospital's messy everyday text: ward boards, handovers, staff chats,
  foreign patients; first score 0.793) became dev sets; ``heldout16.txt`` (regional and
  community care), ``heldout18.txt`` (administrative, legal and insurance paperwork),
  ``heldout20.txt`` (a year of ordinary records) and ``heldout21.txt`` (text from outside
  the hospital: letters, diaries, workplace and insurer correspondence, posts) are blind.
* ``heldout6.txt`` (a realistic mix), ``heldout8.txt`` (a year of a de-identification
  service's input), ``heldout11.txt`` (a regional network's year in Kyushu, Tohoku and
  Hokkaido), ``heldout12.txt`` (community and long-term care), ``heldout13.txt`` (acute care,
  legal inquiries, international patients, IT exports) and ``heldout14.txt`` (families and
  children) are **blind** too: only their aggregate scores have ever been printed, never a
  miss. heldout20 and heldout21 were written last, after every rule of the afternoon, and
  scored once.

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
# the end of the 2026-11-29 afternoon session (docs/deid.md). The ceiling for
# protected terms is 2%; heldout11 (110 protected terms, blind) has 4 masked, 3.6%, and
# heldout16 (89, blind) 2, 2.2%: their ceilings record those misses rather than hide them.
SETS = [
    ("heldout4.txt", 60, 0.985, 0.98, 0.02),
    ("heldout5.txt", 60, 0.975, 0.975, 0.02),
    ("heldout6.txt", 50, 0.965, 0.97, 0.02),
    ("heldout7.txt", 50, 0.985, 0.975, 0.02),
    ("heldout8.txt", 50, 0.955, 0.98, 0.02),
    ("heldout9.txt", 50, 0.975, 0.97, 0.02),
    ("heldout10.txt", 50, 0.945, 0.975, 0.02),
    ("heldout11.txt", 50, 0.935, 0.975, 0.04),
    ("heldout12.txt", 50, 0.915, 0.97, 0.02),
    ("heldout13.txt", 50, 0.925, 0.96, 0.02),
    ("heldout14.txt", 50, 0.95, 0.965, 0.02),
    ("heldout15.txt", 50, 0.93, 0.975, 0.02),
    ("heldout16.txt", 50, 0.95, 0.95, 0.025),
    ("heldout17.txt", 50, 0.97, 0.965, 0.02),
    ("heldout18.txt", 50, 0.945, 0.98, 0.02),
    ("heldout19.txt", 50, 0.895, 0.955, 0.02),
    ("heldout20.txt", 50, 0.965, 0.975, 0.02),
    ("heldout21.txt", 50, 0.925, 0.97, 0.02),
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
