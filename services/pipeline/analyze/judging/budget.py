"""The token budget of one judge request: the largest verdict the schema admits must fit max_tokens.

The bound is computed from the very schema sent, not hoped for (docs/pipeline.md, "Token budget"):
- `max_json_bytes` walks the schema and adds up the longest text each part can produce, compact JSON
  as the server emits it (vLLM with `disable_any_whitespace`): every separator counted with a space,
  every character of a bounded string as 4 bytes (UTF-8's maximum; xgrammar allows no escapes there);
- a token of a byte-level BPE or byte-fallback tokenizer is at least one byte, so tokens <= bytes, plus
  the end-of-sequence token.
A schema part without a bound (a free number, a string without maxLength, an array without maxItems)
raises, so nobody can add an unbounded field without noticing.

`analyze.judging.request` takes the room the server leaves (its context minus the prompt, at most the
configured cap) and picks the loosest bounds of `bounds_ladder` whose largest verdict fits, with that
size as max_tokens.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyze.constants import (
    BUDGET_MARGIN_TOKENS,
    EOS_TOKENS,
    ISSUE_TEXT_MAX_CHARS,
    ISSUE_TEXT_MIN_CHARS,
    ISSUES_MAX_PER_CANDIDATE,
    ISSUES_MIN_PER_CANDIDATE,
    MAX_BYTES_PER_CHAR,
    PROMPT_TOKENS_PER_MESSAGE,
    RATIONALE_MAX_CHARS,
    RATIONALE_MIN_CHARS,
    SEPARATOR_BYTES,
)

# Each step keeps this share of the preferred string lengths and issue counts; the last is the least.
LADDER_SCALES = (1.0, 0.8, 0.64, 0.5, 0.4, 0.32, 0.25, 0.2, 0.15, 0.1, 0.0)


class UnboundedSchemaError(ValueError):
    """A schema part whose longest value is unbounded, so no max_tokens can hold every verdict."""


@dataclass(frozen=True, order=True)
class VerdictBounds:
    """How much a verdict may say: issues per candidate, characters per issue text and of the rationale."""

    issues_per_candidate: int
    issue_text_chars: int
    rationale_chars: int

    def as_dict(self) -> dict[str, int]:
        return {
            "issues_per_candidate": self.issues_per_candidate,
            "issue_text_chars": self.issue_text_chars,
            "rationale_chars": self.rationale_chars,
        }


PREFERRED_BOUNDS = VerdictBounds(ISSUES_MAX_PER_CANDIDATE, ISSUE_TEXT_MAX_CHARS, RATIONALE_MAX_CHARS)
LEAST_BOUNDS = VerdictBounds(ISSUES_MIN_PER_CANDIDATE, ISSUE_TEXT_MIN_CHARS, RATIONALE_MIN_CHARS)


def _scaled(preferred: int, least: int, scale: float) -> int:
    return max(least, math.floor(preferred * scale))


def _scaled_count(preferred: int, least: int, scale: float) -> int:
    # Rounded, not floored: a second issue per candidate is worth more than a few characters of text.
    return max(least, round(preferred * scale))


@functools.cache
def bounds_ladder() -> tuple[VerdictBounds, ...]:
    """Bounds from the preferred to the least, each step tighter (duplicates dropped); built once, since
    every request asks for it (1.3 s of a 10,000-request run's profile)."""
    steps: list[VerdictBounds] = []
    for scale in LADDER_SCALES:
        step = VerdictBounds(
            _scaled_count(PREFERRED_BOUNDS.issues_per_candidate, LEAST_BOUNDS.issues_per_candidate, scale),
            _scaled(PREFERRED_BOUNDS.issue_text_chars, LEAST_BOUNDS.issue_text_chars, scale),
            _scaled(PREFERRED_BOUNDS.rationale_chars, LEAST_BOUNDS.rationale_chars, scale),
        )
        if step not in steps:
            steps.append(step)
    return tuple(steps)


def _json_bytes(value: Any) -> int:
    # Default separators (", " and ": ") are at least as long as what any server emits for a literal.
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _digits(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnboundedSchemaError(f"{where}: integer bounds must be integers, got {value!r}")
    return len(str(value))


def _separated(parts: Iterator[int] | list[int]) -> int:
    sizes = list(parts)
    return sum(sizes) + SEPARATOR_BYTES * max(0, len(sizes) - 1)


def max_json_bytes(schema: Any, where: str = "#") -> int:
    """The most bytes any JSON value valid for `schema` takes, as compact JSON (see the module doc)."""
    if not isinstance(schema, dict):
        raise UnboundedSchemaError(f"{where}: expected a schema object")
    if "const" in schema:
        return _json_bytes(schema["const"])
    if "enum" in schema:
        if not schema["enum"]:
            raise UnboundedSchemaError(f"{where}: empty enum")
        return max(_json_bytes(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties", True) is not False:
            raise UnboundedSchemaError(f"{where}: an object must set additionalProperties to false")
        members = [
            _json_bytes(name) + SEPARATOR_BYTES + max_json_bytes(sub, f"{where}/properties/{name}")
            for name, sub in properties.items()
        ]
        return 2 + _separated(members)
    if kind == "array":
        if "maxItems" not in schema:
            raise UnboundedSchemaError(f"{where}: an array needs maxItems")
        count = schema["maxItems"]
        item = max_json_bytes(schema.get("items", {}), f"{where}/items") if count else 0
        return 2 + _separated([item] * count)
    if kind == "string":
        if "maxLength" not in schema:
            raise UnboundedSchemaError(f"{where}: a string needs maxLength")
        return 2 + MAX_BYTES_PER_CHAR * schema["maxLength"]
    if kind == "integer":
        if "minimum" not in schema or "maximum" not in schema:
            raise UnboundedSchemaError(f"{where}: an integer needs minimum and maximum")
        return max(_digits(schema["minimum"], where), _digits(schema["maximum"], where))
    if kind == "boolean":
        return len("false")
    if kind == "null":
        return len("null")
    raise UnboundedSchemaError(f"{where}: type {kind!r} has no bounded length (use an enum)")


def max_tokens_for_schema(schema: dict[str, Any]) -> int:
    """Tokens the largest valid answer can take: one per byte at most, plus the end of sequence."""
    return max_json_bytes(schema) + EOS_TOKENS


def room_for_answer(max_model_len: int, prompt_tokens: int, cap: int) -> int:
    """What the server leaves for the answer after the prompt, at most the configured cap."""
    return min(cap, max_model_len - prompt_tokens - BUDGET_MARGIN_TOKENS)


def chat_prompt_tokens(estimated_content_tokens: int, messages: int) -> int:
    """Content tokens plus the chat template's role markers per message and before the answer."""
    return estimated_content_tokens + PROMPT_TOKENS_PER_MESSAGE * (messages + 1)
