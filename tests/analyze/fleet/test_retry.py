"""Error classification (what is retried, what is the instance's fault) and backoff timing rules."""

from __future__ import annotations

import random

import pytest
from analyze.fleet.chat_transport import ChatConnectionError, ChatHTTPError, ChatTimeout
from analyze.fleet.concurrency import OutcomeKind
from analyze.fleet.retry import Backoff, classify_error, parse_retry_after
from multidict import CIMultiDict


def status_error(status: int, message: str = "boom", headers: dict[str, str] | None = None) -> ChatHTTPError:
    """What the runner's transport raises for an error answer (headers as aiohttp gives them)."""
    return ChatHTTPError(
        status, f"Error code: {status} - {message}", {"message": message}, CIMultiDict(headers or {})
    )


# (failure, (kind, retryable, outcome, backend fault)): a failure is ("status", code, message), "timeout",
# "connection" or "other"; each HTTP stack (this transport, the openai SDK in test_multi_vllm) raises its own.
FAILURES: list[tuple[tuple[object, ...], tuple[str, bool, OutcomeKind, bool]]] = [
    (("status", 429, "boom"), ("retries_exhausted", True, OutcomeKind.OVERLOADED, False)),
    (("status", 503, "boom"), ("retries_exhausted", True, OutcomeKind.OVERLOADED, False)),
    (("status", 500, "boom"), ("retries_exhausted", True, OutcomeKind.ERROR, True)),
    (
        ("status", 400, "maximum context length is 8192 tokens"),
        ("context_length", False, OutcomeKind.ERROR, False),
    ),
    (("status", 400, "bad field"), ("error", False, OutcomeKind.ERROR, False)),
    (("status", 401, "boom"), ("error", False, OutcomeKind.ERROR, False)),
    (("timeout",), ("timeout", True, OutcomeKind.ERROR, True)),
    (("connection",), ("retries_exhausted", True, OutcomeKind.ERROR, True)),
    (("other",), ("error", False, OutcomeKind.ERROR, False)),
]


def transport_error(failure: tuple[object, ...]) -> BaseException:
    match failure:
        case ("status", int(status), str(message)):
            return status_error(status, message)
        case ("timeout",):
            return ChatTimeout("request timed out")
        case ("connection",):
            return ChatConnectionError("refused")
    return ValueError("odd")


@pytest.mark.parametrize(("failure", "expected"), FAILURES)
def test_classification(failure: tuple[object, ...], expected: tuple[str, bool, OutcomeKind, bool]) -> None:
    got = classify_error(transport_error(failure))
    assert (got.kind, got.retryable, got.outcome, got.backend_fault) == expected


def test_only_a_connection_error_is_unreachable() -> None:
    assert classify_error(ChatConnectionError("refused")).maybe_not_up
    assert (
        classify_error(status_error(502)).maybe_not_up and not classify_error(status_error(500)).maybe_not_up
    )
    assert not classify_error(ChatTimeout("t")).unreachable


def test_retry_after_forms() -> None:
    assert parse_retry_after(CIMultiDict({"retry-after": "3"})) == 3.0
    assert parse_retry_after(CIMultiDict({"retry-after-ms": "250"})) == 0.25
    assert parse_retry_after(CIMultiDict({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert parse_retry_after(CIMultiDict({})) is None
    assert classify_error(status_error(429, headers={"Retry-After": "2"})).retry_after_s == 2.0


def test_backoff_grows_with_jitter_and_caps() -> None:
    backoff = Backoff(base_s=1.0, max_s=8.0, retry_after_max_s=5.0)
    rng = random.Random(0)
    for attempt, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {backoff.delay(attempt, rng=rng) for _ in range(20)}
        assert all(cap / 2 <= d <= cap for d in delays) and len(delays) > 1
    assert backoff.delay(1, retry_after_s=3.0) == 3.0
    assert backoff.delay(1, retry_after_s=60.0) == 5.0
