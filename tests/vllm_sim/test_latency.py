import random

import pytest
from vllm_sim.latency import decode_seconds, jitter_factor, load_multiplier, ttft_seconds
from vllm_sim.settings import SimConfig

BASE = SimConfig().updated(
    {
        "ttft_overhead_ms": 100,
        "prefill_ms_per_token": 1,
        "itl_ms": 10,
        "jitter": 0,
        "load_factor": 1,
        "max_num_seqs": 4,
    }
)


def test_ttft_is_overhead_plus_prefill_scaled_by_load() -> None:
    rng = random.Random(0)
    assert ttft_seconds(BASE, 50, 0, rng) == pytest.approx(0.150)
    assert ttft_seconds(BASE, 50, 2, rng) == pytest.approx(0.150 * 1.5)


def test_decode_is_itl_per_token() -> None:
    assert decode_seconds(BASE, 9, 0, random.Random(0)) == pytest.approx(0.090)
    assert decode_seconds(BASE, 0, 0, random.Random(0)) == 0


def test_time_scale_multiplies_and_zero_disables() -> None:
    half = BASE.updated({"time_scale": 0.5})
    assert ttft_seconds(half, 0, 0, random.Random(0)) == pytest.approx(0.050)
    zero = BASE.updated({"time_scale": 0})
    assert ttft_seconds(zero, 1000, 4, random.Random(0)) == 0
    assert decode_seconds(zero, 1000, 4, random.Random(0)) == 0


def test_load_multiplier_reaches_one_plus_factor_when_full() -> None:
    assert load_multiplier(BASE, 4) == pytest.approx(2.0)


def test_jitter_stays_within_the_relative_band() -> None:
    jittery = BASE.updated({"jitter": 0.2})
    rng = random.Random(3)
    draws = [jitter_factor(jittery, rng) for _ in range(500)]
    assert min(draws) >= 0.8 and max(draws) <= 1.2
    assert max(draws) - min(draws) > 0.2
