"""The third blind set: written with other templates, rare names and CSV/FHIR exports.

``fixtures/heldout3.txt`` was written without reading the engine, its lexicons, the
synthetic templates or the first two sets' bodies (its header lists the conventions it
adds). Its even-numbered documents (0-based) were then used to find what the engine
misses — the dev half; the odd half has only ever been measured. Floors sit just under
the measured figures, so a regression fails CI; the issue's target (recall ≥ 0.99) is
not met on this set (docs/deid.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from deid_heldout import heldout_module

from jmedllm.deid.evaluate import evaluate

FIXTURE3 = Path(__file__).resolve().parent / "fixtures" / "heldout3.txt"


@pytest.fixture(scope="module")
def halves() -> dict[str, Any]:
    pytest.importorskip("fugashi")
    from jmedllm.deid.engine import PhiAnalyzer

    gold = heldout_module().load_heldout(FIXTURE3)
    analyzer = PhiAnalyzer()
    out = {}
    for name, part in (("dev", gold[0::2]), ("blind", gold[1::2])):
        pred = [{"id": g["id"], "spans": analyzer.analyze(g["text"])} for g in part]
        out[name] = evaluate(part, pred)
    return out


# Measured at the end of the 2026-11-29 day session: dev 0.9731, blind 0.9275 (0.9190 at the
# end of the night session, 0.862 before it, 0.877 before any change).
@pytest.mark.parametrize(("half", "recall"), [("dev", 0.965), ("blind", 0.92)])
def test_heldout3_scores(halves: dict[str, Any], half: str, recall: float) -> None:
    report = halves[half]
    assert report.n_documents >= 31
    assert report.char_recall >= recall, f"recall={report.char_recall}"
    assert report.char_precision >= 0.97, f"precision={report.char_precision}"
    assert report.protected_masked <= 0.02 * report.protected_total
