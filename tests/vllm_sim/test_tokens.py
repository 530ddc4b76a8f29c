import random

from hypothesis import given
from hypothesis import strategies as st
from vllm_sim.tokens import count_tokens, filler_text, message_text, prompt_token_count, truncate_to_tokens


def test_count_is_ceil_of_a_quarter_of_the_chars() -> None:
    assert [count_tokens("x" * n) for n in (0, 1, 4, 5, 8, 9)] == [0, 1, 1, 2, 2, 3]


@given(st.integers(min_value=0, max_value=40000), st.integers())
def test_filler_has_exactly_the_requested_tokens(n: int, seed: int) -> None:
    assert count_tokens(filler_text(random.Random(seed), n)) == n


def test_filler_is_prose_and_deterministic() -> None:
    text = filler_text(random.Random(5), 50)
    assert text == filler_text(random.Random(5), 50)
    assert text[0].isupper() and " " in text


def test_truncation_keeps_a_prefix_of_n_tokens() -> None:
    text = "abcdefghij"
    assert truncate_to_tokens(text, 2) == "abcdefgh"


def test_message_text_accepts_strings_and_text_parts() -> None:
    assert message_text("hi") == "hi"
    assert message_text([{"type": "text", "text": "a"}, {"type": "image_url"}, {"text": "b"}]) == "ab"
    assert message_text(None) == ""


def test_prompt_tokens_add_a_per_message_overhead() -> None:
    assert prompt_token_count(["abcd", "abcde"]) == 1 + 2 + 2 * 4
