"""MultiVLLMClient fail-over rules on in-process fakes: which errors move on, which surface at once."""

from __future__ import annotations

import httpx2
import openai
import pytest
from analyze import MultiVLLMClient
from analyze.fleet.concurrency import OutcomeKind
from analyze.fleet.multi_vllm import BackendPool, classify_sdk_error

from tests.analyze.fleet.test_retry import FAILURES
from tests.analyze.judge_fakes import FakeJudgeServer, error

HELLO = [{"role": "user", "content": "hi"}]
REQUEST = httpx2.Request("POST", "http://x/v1/chat/completions")  # the openai SDK's own HTTP types


def sdk_status_error(
    status: int, message: str = "boom", headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    return openai.APIStatusError(message, response=response, body={"message": message})


def sdk_error(failure: tuple[object, ...]) -> BaseException:
    match failure:
        case ("status", int(status), str(message)):
            return sdk_status_error(status, message)
        case ("timeout",):
            return openai.APITimeoutError(REQUEST)
        case ("connection",):
            return openai.APIConnectionError(request=REQUEST)
    return ValueError("odd")


@pytest.mark.parametrize(("failure", "expected"), FAILURES)
def test_sdk_errors_sort_like_the_runner_transports(
    failure: tuple[object, ...], expected: tuple[str, bool, OutcomeKind, bool]
) -> None:
    got = classify_sdk_error(sdk_error(failure))
    assert (got.kind, got.retryable, got.outcome, got.backend_fault) == expected
    assert got.unreachable == (failure == ("connection",))


def test_sdk_retry_after_is_read() -> None:
    assert classify_sdk_error(sdk_status_error(429, headers={"Retry-After": "2"})).retry_after_s == 2.0


def test_client_error_is_not_failed_over() -> None:
    with FakeJudgeServer(name="a") as a, FakeJudgeServer(name="b") as b:
        a.behaviour = b.behaviour = lambda _body, _n: error(404, "no such model")
        client = MultiVLLMClient([a.base_url, b.base_url])
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="x", messages=HELLO)
        assert len(a.requests) + len(b.requests) == 1
        assert all(backend.failures == 0 for backend in client.pool.backends)


def test_server_error_fails_over_then_surfaces_when_all_fail() -> None:
    with FakeJudgeServer(name="a") as a, FakeJudgeServer(name="b") as b:
        a.behaviour = lambda _body, _n: error(500, "boom")
        client = MultiVLLMClient([a.base_url, b.base_url], cooldown_s=600)
        for _ in range(3):
            client.chat.completions.create(model="x", messages=HELLO)
        assert (len(a.requests), len(b.requests)) == (1, 3)
        b.behaviour = a.behaviour
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="x", messages=HELLO)


def test_pool_prefers_least_outstanding_and_recovers_after_cooldown() -> None:
    pool = BackendPool(["h:1", "h:2"], cooldown_s=0.0)
    first = pool.acquire()
    second = pool.acquire()
    assert first is not second
    pool.release(first, failed=False)
    assert pool.acquire() is first
    pool.release(second, failed=True)
    assert pool.acquire() is second  # cooldown 0: back in rotation at once, and it has fewest outstanding
