"""The runner's chat transport against the in-process fake: replies, error shapes, timeouts, refusals."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp import web
from analyze.fleet.chat_transport import (
    ChatConnectionError,
    ChatHTTPError,
    ChatTimeout,
    ChatTransport,
    encode_body,
    error_message,
)
from analyze.fleet.retry import classify_error

from tests.analyze.judge_fakes import FakeJudgeServer, completion, error

HELLO = encode_body({"model": "m", "messages": [{"role": "user", "content": "你好"}]})


async def failure(base_url: str, timeout_s: float = 5.0) -> Exception:
    """What one request to `base_url` raises (the test fails if it succeeds)."""
    transport = ChatTransport(timeout_s=timeout_s)
    try:
        await transport.complete(base_url, "k", HELLO)
    except Exception as exc:
        return exc
    finally:
        await transport.aclose()
    raise AssertionError("the request succeeded")


async def test_reply_fields_headers_and_the_exact_body_sent(fake_judge: FakeJudgeServer) -> None:
    transport = ChatTransport(timeout_s=5.0)
    try:
        reply = await transport.complete(fake_judge.base_url, "secret", HELLO)
    finally:
        await transport.aclose()
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("Hello!", 100, 50)
    assert reply.finish_reason == "stop" and reply.headers.get("X-Served-By") == "fake-1"
    assert fake_judge.requests == [json.loads(HELLO)]


async def test_http_errors_carry_status_sdk_style_message_and_retry_after(
    fake_judge: FakeJudgeServer,
) -> None:
    fake_judge.behaviour = lambda _b, _n: error(429, "too busy", {"Retry-After": "2"})
    exc = await failure(fake_judge.base_url)
    assert isinstance(exc, ChatHTTPError)
    assert exc.status == 429 and exc.message == "Error code: 429 - too busy"
    sorted_error = classify_error(exc)
    assert (sorted_error.retryable, sorted_error.retry_after_s) == (True, 2.0)


def test_error_message_reads_vllm_and_openai_bodies_and_plain_text() -> None:
    assert error_message(400, b'{"object": "error", "message": "bad"}')[0] == "Error code: 400 - bad"
    assert error_message(401, b'{"error": {"message": "no key"}}')[0] == "Error code: 401 - no key"
    assert error_message(502, b"<html>Bad Gateway</html>") == ("Error code: 502", "<html>Bad Gateway</html>")


async def test_slow_answer_is_a_timeout(fake_judge: FakeJudgeServer) -> None:
    def slow(_body: dict[str, Any], _n: int) -> web.Response:
        time.sleep(0.5)
        return web.json_response(completion("late"))

    fake_judge.behaviour = slow
    exc = await failure(fake_judge.base_url, timeout_s=0.1)
    assert isinstance(exc, ChatTimeout) and classify_error(exc).kind == "timeout"


async def test_refused_connection_is_a_connection_error() -> None:
    exc = await failure("http://127.0.0.1:9/v1")
    assert isinstance(exc, ChatConnectionError)
    sorted_error = classify_error(exc)
    assert sorted_error.retryable and sorted_error.backend_fault


@pytest.mark.parametrize(
    ("status", "message", "kind", "retryable"),
    [
        (503, "down", "retries_exhausted", True),
        (400, "This model's maximum context length is 2048 tokens", "context_length", False),
        (404, "no such model", "error", False),
    ],
)
def test_transport_errors_sort_like_sdk_errors(status: int, message: str, kind: str, retryable: bool) -> None:
    exc = ChatHTTPError(status, f"Error code: {status} - {message}", {"message": message}, {})
    got = classify_error(exc)
    assert (got.kind, got.retryable) == (kind, retryable)
    assert got.reason.startswith(f"HTTP {status}: Error code: {status}")
