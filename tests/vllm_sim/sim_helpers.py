"""Shared helpers of the simulator tests (a module apart from conftest so tests can import it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

ClientFactory = Callable[..., Awaitable[TestClient]]


def chat_body(content: str = "Judge these two solutions.", **extra: Any) -> dict[str, Any]:
    return {"model": "sim-model", "messages": [{"role": "user", "content": content}], **extra}
