"""Candidates as Inspect models: local models through Inspect's ``hf`` provider, endpoints
through its ``openai-api`` provider.

jmedllm adds only what Inspect cannot know: model references (a bundled name or a
``.gguf`` becomes a Hugging Face directory through :func:`jmedllm.core.models.hf_directory`,
converted once and cached) and keys read from the environment. Greedy decoding
everywhere, so a run is reproducible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jmedllm.core.offline import enforce_offline
from jmedllm.eval.config import CandidateConfig, GenerationConfig
from jmedllm.eval.records import CandidateInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from inspect_ai.model import Model

    from jmedllm.core.settings import Settings

__all__ = ["candidate_info", "inspect_model"]

#: Inspect's provider for any OpenAI-compatible server; the middle part names the service.
OPENAI_PROVIDER = "openai-api/jmedllm"


def candidate_info(candidate: CandidateConfig) -> CandidateInfo:
    """What a summary records about a candidate (never its key)."""
    return CandidateInfo(
        name=candidate.name,
        kind=candidate.kind,
        model=candidate.model,
        base=candidate.base_model,
        guardrails=candidate.guardrails,
        base_url=candidate.base_url,
    )


def inspect_model(
    candidate: CandidateConfig,
    generation: GenerationConfig,
    *,
    max_connections: int,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> Model:
    """The Inspect ``Model`` for a candidate (a local model is loaded here)."""
    enforce_offline()
    from inspect_ai.model import GenerateConfig, get_model

    config = GenerateConfig(
        seed=generation.seed,
        max_connections=candidate.max_connections or max_connections,
    )
    if candidate.kind == "openai":
        # Greedy decoding is asked of endpoints explicitly; local models get do_sample=False
        # instead (transformers ignores, and warns about, a temperature without sampling).
        return get_model(
            f"{OPENAI_PROVIDER}/{candidate.model}",
            base_url=candidate.base_url,
            api_key=candidate.api_key(),
            config=config.merge(GenerateConfig(temperature=0.0)),
        )
    from jmedllm.core.models import hf_directory

    directory = hf_directory(candidate.model, settings=settings, progress=progress)
    args: dict[str, Any] = {"model_path": str(directory), "do_sample": False, "local_files_only": True}
    if candidate.device != "auto":
        args["device"] = candidate.device
    return get_model(f"hf/{candidate.name}", config=config, **args)
