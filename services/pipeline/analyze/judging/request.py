"""The exact chat request for one task, one order and one attempt: `build_request` is the only builder.

The runner, `analyze_task` and batch export all send what this returns. What it decides:
- the prompt budget: `--max-input-tokens`, lowered when the server's context could not otherwise hold
  the smallest verdict for this N;
- max_tokens: the largest verdict the schema admits (analyze.judging.budget) under the loosest bounds that fit
  in the server's context minus the prompt, capped by `max_output_tokens`;
- the sampling knobs of this attempt (analyze.judging.attempts changes them on a retry) and a repair turn.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any

from analyze.constants import ORDER_FORWARD, REPAIR_QUOTE_MAX_CHARS, SESSION_ID_CHARS
from analyze.fleet.chat_transport import encode_body
from analyze.inputs.tasks import Task
from analyze.judging.budget import (
    BUDGET_MARGIN_TOKENS,
    LEAST_BOUNDS,
    PREFERRED_BOUNDS,
    VerdictBounds,
    bounds_ladder,
    chat_prompt_tokens,
    room_for_answer,
)
from analyze.judging.prompt import (
    REPAIR_PROMPT_FILE,
    JudgePrompt,
    draft_prompt,
    estimate_tokens,
    label_for,
    load_prompt,
    render,
)
from analyze.judging.verdict import response_format, verdict_max_tokens
from analyze.settings import Settings


class BudgetError(ValueError):
    """Even the smallest verdict for this many candidates does not fit the server's context."""


@dataclass(frozen=True)
class JudgeTarget:
    """What the server says about the judge: its model id and context (`/v1/models` max_model_len)."""

    model: str
    max_model_len: int | None = None

    def context(self, settings: Settings) -> int:
        if self.max_model_len:
            return self.max_model_len
        if settings.max_model_len:
            return settings.max_model_len
        return settings.max_input_tokens + settings.max_output_tokens


@dataclass(frozen=True)
class Repair:
    """A follow-up turn: the rejected reply (shortened) and why it was rejected."""

    reply: str
    error: str


@dataclass(frozen=True)
class AttemptSpec:
    """What one attempt sends besides the task; each retry changes at least one of these."""

    number: int = 1
    temperature: float = 0.0
    seed: int = 0
    frequency_penalty: float = 0.0
    tighten: int = 0  # bounds-ladder steps below the loosest bounds that fit
    token_ratio: float | None = None  # the server's prompt tokens per estimated token, once measured
    repair: Repair | None = None


def first_attempt(settings: Settings) -> AttemptSpec:
    return AttemptSpec(temperature=settings.temperature, seed=settings.seed)


@dataclass(frozen=True)
class JudgeRequest:
    prompt: JudgePrompt
    body: dict[str, Any]
    bounds: VerdictBounds
    max_tokens: int
    prompt_tokens_estimate: int  # prompt size the budget assumed (scaled by the measured ratio)
    prompt_content_estimate: int  # the plain estimate of the messages, before any ratio
    attempt: AttemptSpec
    encoded: bytes = field(repr=False, default=b"")
    session_id: str = ""  # the task's X-Session-ID (session_id), the same for every request of the task

    @functools.cached_property
    def digest(self) -> str:
        """Identifies the bytes sent: two attempts with equal digests sent the same request (hashed once:
        the attempt log and the retry check both ask)."""
        return hashlib.sha256(self.encoded).hexdigest()[:16]

    def knobs(self) -> dict[str, Any]:
        """Everything an attempt may change, for the journal's "changed" entries."""
        return {
            "max_tokens": self.max_tokens,
            "bounds": self.bounds.as_dict(),
            "temperature": self.attempt.temperature,
            "seed": self.attempt.seed,
            "frequency_penalty": self.attempt.frequency_penalty,
            "prompt_tokens_estimate": self.prompt_tokens_estimate,
            "repair_turn": self.attempt.repair is not None,
        }


def session_id(task_id: str) -> str:
    """The task's X-Session-ID: a hash of its id, never the id itself, which is input (any characters,
    any length) and would otherwise go into a header and the balancer's logs."""
    return hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:SESSION_ID_CHARS]


def _repair_messages(repair: Repair, settings: Settings) -> list[dict[str, str]]:
    template = load_prompt(REPAIR_PROMPT_FILE, settings.prompts_dir)
    turn = [{"role": "user", "content": render(template, {"error": repair.error})}]
    if not repair.reply:
        return turn
    return [{"role": "assistant", "content": repair.reply[:REPAIR_QUOTE_MAX_CHARS]}, *turn]


def _content_tokens(messages: list[dict[str, str]]) -> int:
    return chat_prompt_tokens(sum(estimate_tokens(m["content"]) for m in messages), len(messages))


def build_request(
    task: Task,
    settings: Settings,
    target: JudgeTarget,
    *,
    order: str = ORDER_FORWARD,
    attempt: AttemptSpec | None = None,
    token_ratio: float = 1.0,
) -> JudgeRequest:
    """The request for `task` in `order` (see the module doc); raises BudgetError when N cannot fit.

    `token_ratio` is the run's measured prompt tokens per estimated token (at least 1 is assumed until a
    reply says otherwise); a ratio measured on this very task (`attempt.token_ratio`) wins.
    """
    attempt = attempt or first_attempt(settings)
    ratio = attempt.token_ratio or token_ratio
    labels = [label_for(i) for i in range(len(task.candidates))]
    context = target.context(settings)
    least = verdict_max_tokens(labels, LEAST_BOUNDS)
    # The prompt yields to the smallest verdict: past that, candidates are truncated harder.
    prompt_room = math.floor((context - least - BUDGET_MARGIN_TOKENS) / ratio)
    input_budget = min(settings.max_input_tokens, prompt_room - chat_prompt_tokens(0, 2))
    if input_budget <= 0:
        raise BudgetError(
            f"{len(labels)} candidates need at least {least} tokens for the verdict; the server's "
            f"context of {context} tokens leaves no room for the prompt"
        )

    # laid out once: the bounds chosen below only change the limits the prompt states
    draft = draft_prompt(
        task,
        seed=settings.seed,
        order=order,
        max_input_tokens=input_budget,
        prompts_dir=settings.prompts_dir,
        feedback=settings.exec_feedback,
    )
    prompt = draft.finish(PREFERRED_BOUNDS)
    extra = _repair_messages(attempt.repair, settings) if attempt.repair else []
    content_estimate = _content_tokens(prompt.messages + extra)
    prompt_tokens = math.ceil(content_estimate * ratio)
    room = room_for_answer(context, prompt_tokens, settings.max_output_tokens)
    ladder = bounds_ladder()
    fitting = [b for b in ladder if verdict_max_tokens(labels, b) <= room]
    if not fitting and attempt.repair and attempt.repair.reply:
        # The quoted reply is what does not fit: name the error alone.
        unquoted = replace(attempt, repair=Repair("", attempt.repair.error))
        return build_request(task, settings, target, order=order, attempt=unquoted, token_ratio=token_ratio)
    if not fitting:
        raise BudgetError(
            f"{len(labels)} candidates need at least {least} tokens for the verdict, but only {room} "
            f"remain of max_output_tokens {settings.max_output_tokens} / the server's context of "
            f"{context} tokens after a prompt of ~{prompt_tokens} tokens"
        )
    bounds = fitting[min(attempt.tighten, len(fitting) - 1)]
    if bounds != PREFERRED_BOUNDS:  # the limits are spelled out in the prompt too
        prompt = draft.finish(bounds)
    max_tokens = verdict_max_tokens(labels, bounds)
    body: dict[str, Any] = {
        "model": target.model,
        "messages": prompt.messages + extra,
        "temperature": attempt.temperature,
        "max_tokens": max_tokens,
        "seed": attempt.seed,
    }
    if attempt.frequency_penalty:
        body["frequency_penalty"] = attempt.frequency_penalty
    encoded = encode_body(body)
    if settings.structured_output:
        body["response_format"] = response_format(labels, bounds)
        encoded = with_response_format(encoded, labels, bounds)
    return JudgeRequest(
        prompt=prompt,
        body=body,
        bounds=bounds,
        max_tokens=max_tokens,
        prompt_tokens_estimate=prompt_tokens,
        prompt_content_estimate=content_estimate,
        attempt=attempt,
        encoded=encoded,
        session_id=session_id(task.task_id),
    )


def with_response_format(encoded: bytes, labels: list[str], bounds: VerdictBounds) -> bytes:
    """`encoded` (a body without response_format) with the verdict schema appended as its last key:
    the same bytes as encoding the whole body, but the schema (half the body) is encoded once per
    labels and bounds, not once per request."""
    return encoded[:-1] + b',"response_format":' + _encoded_response_format(tuple(labels), bounds) + b"}"


@functools.lru_cache(maxsize=256)
def _encoded_response_format(labels: tuple[str, ...], bounds: VerdictBounds) -> bytes:
    return encode_body(response_format(list(labels), bounds))


class TokenRatio:
    """The run's prompt tokens per estimated token: the largest seen so far, never below 1."""

    def __init__(self) -> None:
        self.value = 1.0

    def observe(self, estimated: int, measured: int | None) -> None:
        if measured and estimated > 0:
            self.value = max(self.value, measured / estimated)
