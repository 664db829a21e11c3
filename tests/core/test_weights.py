"""Weights files: arrays and metadata round-trip, no pickle, stale files refused with the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jmedllm.core.errors import InputFileError
from jmedllm.core.weights import load_weights, save_weights


def test_round_trip_and_version_checks(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_weights(
        path,
        {"coef": np.arange(4, dtype="float32"), "bias": np.array([0.5])},
        {"version": 2, "n_features": 4},
    )
    arrays, meta = load_weights(path, what="test model", version=2, n_features=4, rebuild="make it")
    assert arrays["coef"].tolist() == [0.0, 1.0, 2.0, 3.0] and arrays["coef"].dtype == np.float64
    assert meta == {"version": 2, "n_features": 4}
    with pytest.raises(InputFileError, match=r"built for another version — rebuild it: make it"):
        load_weights(path, what="test model", version=3, n_features=4, rebuild="make it")
    with pytest.raises(InputFileError, match="test model not found"):
        load_weights(tmp_path / "absent.npz", what="test model", version=2, n_features=4, rebuild="make it")
