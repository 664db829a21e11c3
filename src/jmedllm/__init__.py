"""jmedllm: build, safety-verify and deploy Japanese medical LLMs.

Importing the package is cheap by design: nothing here imports torch, transformers,
fastapi or spacy. Capabilities live in subpackages (``jmedllm.core``, ``jmedllm.deid``,
``jmedllm.data``, ``jmedllm.train``, ``jmedllm.eval``, ``jmedllm.guard``,
``jmedllm.serve``, ``jmedllm.clinic``) and load their heavy dependencies lazily.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jmedllm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
