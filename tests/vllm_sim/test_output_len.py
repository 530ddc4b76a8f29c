import random

import pytest
from vllm_sim.output_len import OutputLenError, parse_output_len


@pytest.mark.parametrize("spec", ["fixed:7", "uniform:3:9", "lognormal:200:0.6", "prompt:40:0.25:0.3"])
def test_spec_round_trips_through_str(spec: str) -> None:
    assert str(parse_output_len(spec)) == spec


def test_fixed_always_draws_n() -> None:
    dist = parse_output_len("fixed:7")
    rng = random.Random(1)
    assert {dist.draw(rng) for _ in range(50)} == {7}


def test_uniform_stays_in_bounds_and_covers_them() -> None:
    dist = parse_output_len("uniform:3:6")
    rng = random.Random(1)
    assert {dist.draw(rng) for _ in range(500)} == {3, 4, 5, 6}


def test_lognormal_median_is_near_the_parameter() -> None:
    dist = parse_output_len("lognormal:200:0.5")
    rng = random.Random(2)
    draws = sorted(dist.draw(rng) for _ in range(2001))
    assert 170 < draws[1000] < 230
    assert min(draws) >= 1


def test_prompt_kind_grows_with_the_prompt() -> None:
    dist = parse_output_len("prompt:50:0.5:0.2")
    rng = random.Random(3)
    short = sorted(dist.draw(rng, 100) for _ in range(1001))[500]  # median 50 + 50
    long = sorted(dist.draw(rng, 2000) for _ in range(1001))[500]  # median 50 + 1000
    assert 85 < short < 115 and 900 < long < 1100
    offset = parse_output_len("prompt:-300:0.5:0")  # the prompt's fixed part taken out
    assert (offset.draw(rng, 1000), offset.draw(rng, 400)) == (200, 1)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("fixed:0", ">= 1"),
        ("uniform:9:3", "A <= B"),
        ("lognormal:-1:0.5", "MEDIAN > 0"),
        ("poisson:3", "expected fixed:N"),
        ("prompt:10:0:0.3", "PER > 0"),
        ("prompt:10:0.1", "prompt:BASE:PER:SIGMA"),
        ("fixed:x", "numbers expected"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(OutputLenError, match=fragment):
        parse_output_len(spec)
