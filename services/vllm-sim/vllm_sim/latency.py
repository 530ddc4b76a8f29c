"""The latency model: TTFT = overhead + prompt x prefill; then ITL per further token; load and jitter."""

from __future__ import annotations

import random

from vllm_sim.settings import SimConfig


def load_multiplier(config: SimConfig, running: int) -> float:
    """Slow-down as the batch fills: 1 + load_factor x running / max_num_seqs."""
    return 1.0 + config.load_factor * running / config.max_num_seqs


def jitter_factor(config: SimConfig, rng: random.Random) -> float:
    if config.jitter == 0:
        return 1.0
    return 1.0 + rng.uniform(-config.jitter, config.jitter)


def ttft_seconds(config: SimConfig, prompt_tokens: int, running: int, rng: random.Random) -> float:
    if config.time_scale == 0:
        return 0.0
    base_ms = config.ttft_overhead_ms + prompt_tokens * config.prefill_ms_per_token
    return base_ms / 1000 * load_multiplier(config, running) * jitter_factor(config, rng) * config.time_scale


def decode_seconds(config: SimConfig, tokens: int, running: int, rng: random.Random) -> float:
    """Time to produce `tokens` more tokens after the first."""
    if config.time_scale == 0 or tokens <= 0:
        return 0.0
    per_token = config.itl_ms / 1000 * load_multiplier(config, running) * config.time_scale
    return tokens * per_token * jitter_factor(config, rng)
