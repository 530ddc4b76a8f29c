"""Random Llama weights (numpy, float32) with a built-in logit prior, in Hugging Face tensor names.

Pure noise would make every token about equally likely, so sampled answers and JSON strings would run
until max_tokens. Instead every token embedding carries a constant channel (dimension 0); after the
final RMSNorm that channel dominates the hidden state, so column 0 of lm_head acts as a per-token bias
while the other columns add context-dependent noise. Tokens that end a message or a JSON string get a
positive bias (see settings); everything else only noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from vllm_cpu_serve import settings


def _normal(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    return rng.normal(0.0, std, size=shape).astype(np.float32)


def llama_weights(vocab_size: int, logit_bias: Mapping[int, float], seed: int) -> dict[str, np.ndarray]:
    """Tensors for LlamaForCausalLM with the shape in settings; logit_bias maps token id -> extra logit."""
    rng = np.random.default_rng(seed)
    hidden, inter = settings.HIDDEN_SIZE, settings.INTERMEDIATE_SIZE
    head_dim = hidden // settings.NUM_ATTENTION_HEADS
    kv_dim = head_dim * settings.NUM_KEY_VALUE_HEADS
    std, out_std = settings.INIT_STD, settings.OUTPUT_PROJ_STD
    ones = np.ones(hidden, dtype=np.float32)

    embed = _normal(rng, (vocab_size, hidden), std)
    embed[:, 0] = settings.CONSTANT_CHANNEL_VALUE
    tensors: dict[str, np.ndarray] = {"model.embed_tokens.weight": embed}
    for layer in range(settings.NUM_LAYERS):
        prefix = f"model.layers.{layer}"
        tensors |= {
            f"{prefix}.input_layernorm.weight": ones.copy(),
            f"{prefix}.post_attention_layernorm.weight": ones.copy(),
            f"{prefix}.self_attn.q_proj.weight": _normal(rng, (hidden, hidden), std),
            f"{prefix}.self_attn.k_proj.weight": _normal(rng, (kv_dim, hidden), std),
            f"{prefix}.self_attn.v_proj.weight": _normal(rng, (kv_dim, hidden), std),
            f"{prefix}.self_attn.o_proj.weight": _normal(rng, (hidden, hidden), out_std),
            f"{prefix}.mlp.gate_proj.weight": _normal(rng, (inter, hidden), std),
            f"{prefix}.mlp.up_proj.weight": _normal(rng, (inter, hidden), std),
            f"{prefix}.mlp.down_proj.weight": _normal(rng, (hidden, inter), out_std),
        }
    tensors["model.norm.weight"] = ones.copy()
    tensors["lm_head.weight"] = _lm_head(rng, vocab_size, logit_bias)
    return tensors


def _lm_head(rng: np.random.Generator, vocab_size: int, logit_bias: Mapping[int, float]) -> np.ndarray:
    hidden = settings.HIDDEN_SIZE
    # RMSNorm scales the hidden state to norm sqrt(hidden); nearly all of it sits in the constant channel.
    constant_channel_after_norm = math.sqrt(hidden)
    # The remaining channels after the norm have a combined norm of about sqrt(hidden) * INIT_STD *
    # sqrt(hidden - 1); scale the noise columns so the logit noise has std LM_HEAD_NOISE_STD.
    noise_norm = math.sqrt(hidden) * settings.INIT_STD * math.sqrt(hidden - 1)
    head = _normal(rng, (vocab_size, hidden), settings.LM_HEAD_NOISE_STD / noise_norm)
    head[:, 0] = 0.0
    for token_id, bias in sorted(logit_bias.items()):
        head[token_id, 0] = bias / constant_channel_after_norm
    return head
