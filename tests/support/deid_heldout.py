"""The held-out sets' parser (``tests/deid/heldout.py``), loaded by path once, under one
module name (``tests/deid`` is not a package), for every ``test_heldout*.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_PATH = Path(__file__).resolve().parents[1] / "deid" / "heldout.py"
_NAME = "_jmedllm_deid_heldout"


def heldout_module() -> ModuleType:
    module = sys.modules.get(_NAME)
    if module is None:
        spec = importlib.util.spec_from_file_location(_NAME, _PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
    return module
