"""Error classification (what is retried, what is the instance's fault) and backoff timing rules."""

from __future__ import annotations

import random

import httpx2
import openai
import pytest
from analyze.fleet.concurrency import OutcomeKind
from analyze.fleet.retry import Backoff, classify_error, parse_retry_after

REQUEST = httpx2.Request("POST", "http://x/v1/chat/completions")


def status_error(
    status: int, message: str = "boom", headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    return openai.APIStatusError(message, response=response, body={"message": message})


@pytest.mark.parametrize(
    ("exc", "kind", "retryable", "outcome", "fault"),
    [
        (status_error(429), "retries_exhausted", True, OutcomeKind.OVERLOADED, False),
        (status_error(503), "retries_exhausted", True, OutcomeKind.OVERLOADED, False),
        (status_error(500), "retries_exhausted", True, OutcomeKind.ERROR, True),
        (
            status_error(400, "maximum context length is 8192 tokens"),
            "context_length",
            False,
            OutcomeKind.ERROR,
            False,
        ),
        (status_error(400, "bad field"), "error", False, OutcomeKind.ERROR, False),
        (status_error(401), "error", False, OutcomeKind.ERROR, False),
        (openai.APITimeoutError(REQUEST), "timeout", True, OutcomeKind.ERROR, True),
        (openai.APIConnectionError(request=REQUEST), "retries_exhausted", True, OutcomeKind.ERROR, True),
        (ValueError("odd"), "error", False, OutcomeKind.ERROR, False),
    ],
)
def test_classification(
    exc: BaseException, kind: str, retryable: bool, outcome: OutcomeKind, fault: bool
) -> None:
    got = classify_error(exc)
    assert (got.kind, got.retryable, got.outcome, got.backend_fault) == (kind, retryable, outcome, fault)


def test_retry_after_forms() -> None:
    assert parse_retry_after(httpx2.Headers({"retry-after": "3"})) == 3.0
    assert parse_retry_after(httpx2.Headers({"retry-after-ms": "250"})) == 0.25
    assert parse_retry_after(httpx2.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert parse_retry_after(httpx2.Headers({})) is None
    assert classify_error(status_error(429, headers={"Retry-After": "2"})).retry_after_s == 2.0


def test_backoff_grows_with_jitter_and_caps() -> None:
    backoff = Backoff(base_s=1.0, max_s=8.0, retry_after_max_s=5.0)
    rng = random.Random(0)
    for attempt, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {backoff.delay(attempt, rng=rng) for _ in range(20)}
        assert all(cap / 2 <= d <= cap for d in delays) and len(delays) > 1
    assert backoff.delay(1, retry_after_s=3.0) == 3.0
    assert backoff.delay(1, retry_after_s=60.0) == 5.0
