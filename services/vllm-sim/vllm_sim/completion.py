"""What the simulated model answers: content, its token count and finish reason, deterministic per prompt."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from vllm_sim.chat_request import ChatRequest
from vllm_sim.errors import ApiError
from vllm_sim.schema_gen import SchemaError, generator_for
from vllm_sim.settings import SimConfig
from vllm_sim.tokens import count_tokens, filler_text, pad_to_tokens, truncate_to_tokens


@dataclass(slots=True)
class Completion:
    content: str
    tokens: int
    finish_reason: str  # "stop" or "length"


def content_rng(seed: int, request_seed: int | None, texts: list[str]) -> random.Random:
    """A generator fixed by (simulator seed, request seed, prompt), so equal requests get equal answers."""
    digest = hashlib.blake2b(f"{seed}|{request_seed}".encode(), digest_size=8)
    for text in texts:
        digest.update(b"\x1e")
        digest.update(text.encode())
    return random.Random(int.from_bytes(digest.digest(), "big"))


def generation_cap(config: SimConfig, request: ChatRequest) -> int:
    """max_tokens, or (like vLLM) whatever context is left after the prompt."""
    if request.max_tokens is not None:
        return request.max_tokens
    return config.max_model_len - request.prompt_tokens


def make_completion(config: SimConfig, request: ChatRequest) -> Completion:
    rng = content_rng(config.seed, request.seed, request.texts)
    cap = generation_cap(config, request)
    if request.schema_key is not None:
        try:
            value = generator_for(request.schema_key).generate(rng)
        except SchemaError as exc:
            raise ApiError(400, f"response_format schema: {exc}", param="response_format") from exc
        text = json.dumps(value, ensure_ascii=False)
        tokens = count_tokens(text)
        if tokens > cap:  # like a real server: cut mid-JSON and say so
            return Completion(truncate_to_tokens(text, cap), cap, "length")
        # Structured answers vary in length like free text (a long rationale, many issues): the answer
        # takes the drawn --output-len when that is longer than the JSON, so its latency follows the
        # configured distribution; trailing whitespace carries the difference and keeps the JSON valid.
        wanted = min(config.output_len.draw(rng, request.prompt_tokens), cap)
        if wanted > tokens:
            text = pad_to_tokens(text, wanted)
            tokens = wanted
        return Completion(text, tokens, "stop")
    drawn = config.output_len.draw(rng, request.prompt_tokens)
    if drawn > cap:
        return Completion(filler_text(rng, cap), cap, "length")
    return Completion(filler_text(rng, drawn), drawn, "stop")
