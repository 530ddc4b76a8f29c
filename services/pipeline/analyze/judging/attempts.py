"""What the next attempt changes after a reply that was cut or invalid, and the journal entry of each try.

A reply is never answered by the same request: sampling greedily, the same bytes give the same cut.
- Cut at max_tokens while the server stopped short of it: the server's context ran out because the
  prompt is longer than estimated; the next attempt budgets with the prompt size the server reported.
- Cut at max_tokens after using all of it: the bound did not hold (a server that pads JSON with
  whitespace, or no structured output); tighter bounds and a frequency penalty against repetition.
- Invalid (not JSON, a missing score ...): a repair turn quoting the reply and the validation error.
Every retry also takes a new sampling seed, and from the third attempt on a greedy judge samples at a
small temperature. Transport failures (no reply) resend the same bytes after a backoff: there was no
answer to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from analyze.constants import REPLY_TAIL_CHARS
from analyze.judging.request import AttemptSpec, JudgeRequest, Repair
from analyze.settings import Settings

OUTCOME_OK = "ok"
OUTCOME_LENGTH = "length"  # cut at max_tokens before the verdict was complete
OUTCOME_INVALID = "invalid"
OUTCOME_NO_REPLY = "no_reply"  # transport error: nothing came back
# From this attempt on, a judge sampling at temperature 0 samples at settings.retry_temperature.
SAMPLE_FROM_ATTEMPT = 3


@dataclass(frozen=True)
class Rejection:
    """A reply that gave no verdict: cut or invalid."""

    outcome: str  # OUTCOME_LENGTH or OUTCOME_INVALID
    error: str
    reply: str
    completion_tokens: int | None
    prompt_tokens: int | None


def next_attempt(request: JudgeRequest, rejection: Rejection, settings: Settings) -> tuple[AttemptSpec, str]:
    """The next attempt's spec and why it differs from `request`'s (see the module doc)."""
    spec = request.attempt
    number = spec.number + 1
    temperature = spec.temperature
    if temperature == 0 and number >= SAMPLE_FROM_ATTEMPT:
        temperature = settings.retry_temperature
    base = replace(spec, number=number, seed=spec.seed + 1, temperature=temperature)
    measured = rejection.prompt_tokens
    if rejection.outcome == OUTCOME_LENGTH:
        used = rejection.completion_tokens
        # The server stopping short of max_tokens means it had less room than budgeted; learn the prompt
        # size only when it is larger than assumed, else that would change nothing.
        larger = (measured or 0) > request.prompt_tokens_estimate
        if used is not None and used < request.max_tokens and larger:
            ratio = (measured or 0) / request.prompt_content_estimate
            why = (
                f"cut after {used} of max_tokens {request.max_tokens}: the server counted the prompt "
                f"as {measured} tokens (budgeted {request.prompt_tokens_estimate}), so its context ran "
                "out; budgeting with the measured prompt size"
            )
            return replace(base, token_ratio=max(ratio, spec.token_ratio or 0.0)), why
        why = (
            f"cut at max_tokens {request.max_tokens} although the schema's largest verdict fits it "
            "(whitespace outside the schema, or no structured output): tighter bounds and a "
            "frequency penalty"
        )
        penalty = max(spec.frequency_penalty, settings.retry_frequency_penalty)
        return replace(base, tighten=spec.tighten + 2, frequency_penalty=penalty), why
    why = f"invalid verdict ({rejection.error}): a repair turn quoting the reply and the error"
    return replace(base, repair=Repair(rejection.reply, rejection.error)), why


def changed_knobs(before: JudgeRequest | None, after: JudgeRequest) -> dict[str, list[Any]]:
    """{knob: [old, new]} for every knob of `after` that differs from `before`'s."""
    if before is None:
        return {}
    old, new = before.knobs(), after.knobs()
    return {name: [old[name], new[name]] for name in new if old[name] != new[name]}


def attempt_entry(
    request: JudgeRequest,
    *,
    number: int,
    outcome: str,
    changed: dict[str, list[Any]],
    why: str | None,
    error: str | None = None,
    reply: Any = None,
) -> dict[str, Any]:
    """One try of one request, as the journal's `attempt_log` holds it (docs/journal-format.md)."""
    entry: dict[str, Any] = {
        "attempt": number,  # every send of this request, transport resends included
        "outcome": outcome,
        "changed": changed,
        "why": why,
        "error": error,
        "request_digest": request.digest,
        **request.knobs(),
    }
    if reply is not None:
        entry.update(
            backend=reply.backend,
            latency_s=reply.latency_s,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
        if outcome == OUTCOME_LENGTH:
            entry["reply_tail"] = reply.text[-REPLY_TAIL_CHARS:]
    return entry
