"""A tiny random Llama and a character-level tokenizer, built in-process (litgpt's habit).

2 layers, 32-dimensional hidden states: it builds in milliseconds and talks nonsense,
which is all backend and gateway tests need — greedy decoding is deterministic, so
streamed and whole replies can be compared exactly. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["CHAT_TEMPLATE", "tiny_loaded_model"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_loaded_model(*, chat_template: bool = True, max_positions: int = 512) -> Any:
    from tokenizers import Tokenizer, decoders, models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from jmedllm.core.models import LoadedModel, ModelSource

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    chars = [chr(c) for c in range(32, 127)] + list("\nあいうえおかきくけこ血圧医療患者。")
    vocab = {token: i for i, token in enumerate(specials + chars)}
    # BPE without merges is a character-level model; Fuse joins characters back without spaces.
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    import torch

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        # A zero row gives </s> logit 0, below the best of ~120 random logits: greedy replies never end
        # early, so max_tokens and stop strings are what end them.
        model.lm_head.weight[2] = 0
    source = ModelSource("tiny-random", "hf_dir", Path("tiny-random"))
    return LoadedModel(source, model, tokenizer, from_cache=False, load_seconds=0.0)
