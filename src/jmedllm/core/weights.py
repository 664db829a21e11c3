"""Small linear models on disk: coefficient arrays and JSON metadata in one compressed ``.npz``.

The judge's and the guard's models are shipped this way rather than pickled: loading
reads numbers and a JSON string (``allow_pickle=False``), never code. Metadata carries a
format version and the hashed feature count, so a file built for other features is
refused with the command that rebuilds it instead of scoring garbage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jmedllm.core.errors import InputFileError

__all__ = ["load_weights", "save_weights"]


def save_weights(path: Path, arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    """Write ``arrays`` (coefficients as float32, anything else as given) and ``meta``."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **dict(arrays), meta=np.array(json.dumps(dict(meta), ensure_ascii=False)))


def load_weights(
    path: Path, *, what: str, version: int, n_features: int, rebuild: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arrays (as float64) and metadata of a weights file, checked against ``version``."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != version or meta.get("n_features") != n_features:
                raise InputFileError(
                    f"{what} {path} was built for another version", hint=f"rebuild it: {rebuild}"
                )
            return {name: data[name].astype("float64") for name in data.files if name != "meta"}, meta
    except FileNotFoundError:
        raise InputFileError(f"{what} not found: {path}", hint=f"build it: {rebuild}") from None
