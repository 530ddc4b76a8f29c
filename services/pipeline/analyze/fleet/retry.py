"""Which request errors are worth retrying, and how long to wait before the next attempt.

The runner retries itself, so each attempt can report its outcome to the concurrency limiter and pick a
fresh backend; its transport (`analyze.fleet.chat_transport`) never retries. `classify_error` knows that
transport's exceptions; `MultiVLLMClient` maps the openai SDK's onto the same `classify_status`
(`analyze.fleet.multi_vllm.classify_sdk_error`).
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

from analyze.constants import CONTEXT_LENGTH_MARKERS
from analyze.fleet.chat_transport import ChatConnectionError, ChatHTTPError, ChatTimeout
from analyze.fleet.concurrency import OutcomeKind

OVERLOADED_STATUSES = frozenset({429, 503})
# Answers that refuse every request alike, whatever the task: a wrong key (401/403), model or URL (404),
# or a request the server rejects as invalid (400; context length is told apart before). The run stops
# when they repeat (analyze.running.fail_fast) instead of spending the whole input on them.
REFUSING_STATUSES = frozenset({400, 401, 403, 404})
# What a server that is not up yet answers: 503 from vLLM or the simulator while it loads, 502 from
# nginx while no instance is up (a refused connection is the third case).
NOT_UP_STATUSES = frozenset({502, 503})


@dataclass(frozen=True)
class ErrorClass:
    kind: str  # a failures.jsonl kind
    retryable: bool
    outcome: OutcomeKind
    backend_fault: bool  # the instance looks broken: skip it for a cooldown
    reason: str
    retry_after_s: float | None = None
    status: int | None = None  # the HTTP status, when the server answered
    unreachable: bool = False  # no answer at all: refused, reset, DNS

    @property
    def refuses_every_request(self) -> bool:
        return self.kind == "error" and self.status in REFUSING_STATUSES

    @property
    def maybe_not_up(self) -> bool:
        """The server may still be starting: worth a readiness probe before counting the attempt."""
        return self.unreachable or self.status in NOT_UP_STATUSES


def is_context_length_error(status: int, message: str, body: object) -> bool:
    if status not in (400, 413, 422):
        return False
    text = f"{message} {body}".lower()
    return any(marker in text for marker in CONTEXT_LENGTH_MARKERS)


def parse_retry_after(headers: object) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header: a number or an HTTP date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def classify_status(status: int, message: str, body: object, headers: object) -> ErrorClass:
    """An HTTP error answer: overload (429/503), server fault (5xx), context length, or a client error."""
    reason = f"HTTP {status}: {message}"[:300]
    if is_context_length_error(status, message, body):
        return ErrorClass("context_length", False, OutcomeKind.ERROR, False, reason, status=status)
    retry_after = parse_retry_after(headers)
    if status in OVERLOADED_STATUSES:
        return ErrorClass(
            "retries_exhausted", True, OutcomeKind.OVERLOADED, False, reason, retry_after, status
        )
    if status >= 500 or status in (408, 409):
        return ErrorClass(
            "retries_exhausted", True, OutcomeKind.ERROR, status >= 500, reason, retry_after, status
        )
    return ErrorClass("error", False, OutcomeKind.ERROR, False, reason, status=status)


TIMED_OUT = ErrorClass("timeout", True, OutcomeKind.ERROR, True, "request timed out")


def unreachable(exc: BaseException) -> ErrorClass:
    return ErrorClass(
        "retries_exhausted", True, OutcomeKind.ERROR, True, f"connection error: {exc}", unreachable=True
    )


def unknown_error(exc: BaseException) -> ErrorClass:
    """Anything else (a bug, a malformed answer): not retried, not the instance's fault."""
    return ErrorClass("error", False, OutcomeKind.ERROR, False, f"{type(exc).__name__}: {exc}"[:300])


def classify_error(exc: BaseException) -> ErrorClass:
    """An error of the runner's transport (`analyze.fleet.chat_transport`)."""
    if isinstance(exc, ChatTimeout):
        return TIMED_OUT
    if isinstance(exc, ChatConnectionError):
        return unreachable(exc)
    if isinstance(exc, ChatHTTPError):
        return classify_status(exc.status, exc.message, exc.body, exc.headers)
    return unknown_error(exc)


@dataclass(frozen=True)
class Backoff:
    base_s: float
    max_s: float
    retry_after_max_s: float

    def delay(
        self, attempt: int, retry_after_s: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Wait after failed attempt `attempt` (from 1): Retry-After if given, else jittered backoff."""
        if retry_after_s is not None:
            return min(retry_after_s, self.retry_after_max_s)
        cap = min(self.max_s, self.base_s * (2 ** (attempt - 1)))
        return (rng or random).uniform(cap / 2, cap)
