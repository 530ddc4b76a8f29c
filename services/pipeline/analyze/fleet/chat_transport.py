"""The runner's hot path to `/v1/chat/completions`: one shared aiohttp session, bytes in, dicts out.

The openai SDK (with httpx) spent 85-90 % of the pipeline's CPU per request: request models, response
models, retries machinery. The runner needs none of it: it sends one prepared JSON body and reads four
fields of the answer. `MultiVLLMClient` still offers the SDK's interface to users.
Failures are raised as the exceptions below so `analyze.fleet.retry.classify_error` can sort them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from analyze.constants import SESSION_HEADER

CHAT_PATH = "/chat/completions"


class ChatTimeout(Exception):
    """No complete answer within the request timeout."""


class ChatConnectionError(Exception):
    """The instance could not be reached or dropped the connection."""


class ChatHTTPError(Exception):
    """The server answered 4xx/5xx; `message` is shaped like the openai SDK's ("Error code: N - ...")."""

    def __init__(self, status: int, message: str, body: object, headers: Mapping[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers


@dataclass(frozen=True)
class ChatReply:
    text: str
    headers: Mapping[str, str]
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None


def encode_body(body: dict[str, Any]) -> bytes:
    """The request body, encoded once per prompt and reused by every attempt."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_message(status: int, raw: bytes) -> tuple[str, object]:
    """(message, body) of an error answer: vLLM's `{"message": ...}` or OpenAI's `{"error": {...}}`."""
    text = raw.decode("utf-8", errors="replace").strip()
    message = f"Error code: {status}"
    try:
        body: object = json.loads(text)
    except ValueError:
        return message, text
    error = body.get("error", body) if isinstance(body, dict) else None
    detail = error.get("message") if isinstance(error, dict) else None
    if isinstance(detail, str) and detail:
        message += f" - {detail}"
    return message, body


def parse_reply(raw: bytes, headers: Mapping[str, str]) -> ChatReply:
    data = json.loads(raw)
    choice = data["choices"][0]
    usage = data.get("usage") or {}
    return ChatReply(
        text=(choice.get("message") or {}).get("content") or "",
        headers=headers,
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        finish_reason=choice.get("finish_reason"),
    )


class ChatTransport:
    """POSTs prepared chat bodies; the session is made in the running loop on first use."""

    def __init__(self, *, timeout_s: float, connections: int = 0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._connections = connections  # 0: no cap; the limiter already bounds requests in flight
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def complete(self, base_url: str, api_key: str, body: bytes, session_id: str = "") -> ChatReply:
        """POST `body`; `session_id` (hex, analyze.judging.request.session_id) goes in SESSION_HEADER."""
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        if session_id:
            headers[SESSION_HEADER] = session_id
        try:
            async with self._open().post(base_url + CHAT_PATH, data=body, headers=headers) as response:
                raw = await response.read()
                if response.status >= 400:
                    message, error_body = error_message(response.status, raw)
                    raise ChatHTTPError(response.status, message, error_body, response.headers)
                return parse_reply(raw, response.headers)
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError is one too
            raise ChatTimeout("request timed out") from exc
        except aiohttp.ClientError as exc:  # refused, reset, disconnected, torn payload
            raise ChatConnectionError(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
