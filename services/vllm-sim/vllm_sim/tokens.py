"""Cheap deterministic token accounting (~4 characters a token) and filler text of an exact token count."""

from __future__ import annotations

import random

from vllm_sim.settings import CHARS_PER_TOKEN, MESSAGE_OVERHEAD_TOKENS

_WORD_TEXT = (
    "the function handles input validation correctly but misses the empty case and the loop "
    "could be simplified candidate solution returns expected result for typical data while edge "
    "cases such as negative numbers or very large lists are not covered readability is good names "
    "are clear and the structure follows common idioms complexity is linear in time and constant "
    "in memory error handling relies on exceptions raised by the standard library tests would "
    "help confirm behaviour overall this implementation is reasonable maintainable and robust"
)
_WORDS = _WORD_TEXT.split()
FILLER_WORDS: tuple[str, ...] = tuple(_WORDS)
_CORPUS_SEED = 20240601
_CORPUS_CHARS = 1 << 16


def _build_corpus() -> str:
    # Fixed seed: the same filler text in every process, so outputs are reproducible across runs.
    rng = random.Random(_CORPUS_SEED)
    sentences: list[str] = []
    size = 0
    while size < _CORPUS_CHARS:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
        sentence = " ".join(words).capitalize() + ". "
        sentences.append(sentence)
        size += len(sentence)
    return "".join(sentences)


CORPUS = _build_corpus()
_SENTENCE_STARTS = [0] + [i + 2 for i in range(len(CORPUS) - 2) if CORPUS[i] == "." and CORPUS[i + 1] == " "]


def count_tokens(text: str) -> int:
    """Tokens in `text`: ceil(chars / CHARS_PER_TOKEN)."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def message_text(content: object) -> str:
    """The text of a chat message `content`: a string, or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def filler_chars(rng: random.Random, n_chars: int) -> str:
    """`n_chars` of plausible prose starting at a sentence chosen by `rng`."""
    if n_chars <= 0:
        return ""
    start = _SENTENCE_STARTS[rng.randrange(len(_SENTENCE_STARTS))]
    end = start + n_chars
    if end <= len(CORPUS):
        return CORPUS[start:end]
    repeats = end // len(CORPUS) + 1
    return (CORPUS * repeats)[start:end]


def filler_text(rng: random.Random, n_tokens: int) -> str:
    """Prose whose `count_tokens` is exactly `n_tokens`."""
    return filler_chars(rng, n_tokens * CHARS_PER_TOKEN)


def pad_to_tokens(text: str, n_tokens: int) -> str:
    """`text` followed by spaces so that it counts exactly `n_tokens` (at least its own count)."""
    return text + " " * max(0, n_tokens * CHARS_PER_TOKEN - len(text))


def truncate_to_tokens(text: str, n_tokens: int) -> str:
    return text[: n_tokens * CHARS_PER_TOKEN]


def prompt_token_count(texts: list[str]) -> int:
    """Prompt tokens of chat messages, including a per-message template overhead."""
    return sum(count_tokens(t) for t in texts) + MESSAGE_OVERHEAD_TOKENS * len(texts)
