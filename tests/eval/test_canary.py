"""Canary exposure tooling: generation, insertion without loss, the exposure arithmetic."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jmedllm.cli import app
from jmedllm.eval.safety.canary import (
    Canary,
    exposure,
    generate_canaries,
    insert_canaries,
    load_canaries,
    sequence_log_likelihood,
)


def test_generation_is_seeded_and_assigns_repetitions_round_robin() -> None:
    first = generate_canaries(6, digits=6, seed=1, repetitions=(1, 4, 16))
    assert first == generate_canaries(6, digits=6, seed=1, repetitions=(1, 4, 16))
    assert first != generate_canaries(6, digits=6, seed=2, repetitions=(1, 4, 16))
    assert [c.repetitions for c in first] == [1, 4, 16, 1, 4, 16]
    assert all(len(c.secret) == 6 and c.secret.isdigit() and c.secret in c.text for c in first)
    assert first[0].space == 10**6


def test_insertion_keeps_every_record_and_adds_each_canary_its_repetitions() -> None:
    records = [{"id": f"doc-{i}", "text": f"本文{i}"} for i in range(50)]
    canaries = generate_canaries(3, seed=0, repetitions=(1, 2, 5))
    merged, inserted = insert_canaries(records, canaries, seed=0)
    assert inserted == 8
    assert len(merged) == 58
    assert [r for r in merged if "canary" not in r] == records  # originals unchanged and in order
    assert sum(r.get("canary") == canaries[2].id for r in merged) == 5


def scorer_preferring(secret: str) -> object:
    def score(prefix: str, continuations: Sequence[str]) -> list[float]:
        return [0.0 if c.startswith(secret) else -float(int(c[:2] or 0) + 1) for c in continuations]

    return score


def test_exposure_is_maximal_for_a_memorised_secret_and_near_zero_for_an_average_one() -> None:
    canary = Canary("c", "ID {secret} です。", "123456", 6)
    memorised = exposure(canary, scorer_preferring("123456"), samples=255)  # type: ignore[arg-type]
    assert memorised.exposure == pytest.approx(math.log2(256))
    assert memorised.max_measurable == pytest.approx(math.log2(256))

    def flat(prefix: str, continuations: Sequence[str]) -> list[float]:
        # the true secret sits in the middle of the pack
        return [0.0] + [1.0 if i % 2 else -1.0 for i in range(len(continuations) - 1)]

    average = exposure(canary, flat, samples=255)
    assert 0.5 < average.exposure < 1.5


def test_log_likelihood_under_a_real_model_prefers_nothing_by_default() -> None:
    pytest.importorskip("torch")
    from tiny_model import tiny_loaded_model

    score = sequence_log_likelihood(tiny_loaded_model())
    values = score("ID ", ["1234", "9999"])
    assert len(values) == 2 and all(v < 0 for v in values)
    assert values[0] != values[1]


def test_cli_generate_insert(tmp_path: Path) -> None:
    runner = CliRunner()
    manifest = tmp_path / "canaries.json"
    result = runner.invoke(
        app, ["eval", "canary", "generate", "-o", str(manifest), "--n", "4", "--repetitions", "1,3"]
    )
    assert result.exit_code == 0, result.output
    assert [c.repetitions for c in load_canaries(manifest)] == [1, 3, 1, 3]
    source = tmp_path / "train.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": "x"}) + "\n" for i in range(10)))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["eval", "canary", "insert", str(source), "-o", str(out), "--canaries", str(manifest)]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 18
