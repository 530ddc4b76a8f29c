"""The sandbox's client: HTTP/1.1 over its unix socket (the sandbox has no network), or over TCP on
loopback for development. Protocol: docs/sandbox.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from analyze.execution.address import SandboxAddress
from analyze.inputs.outcomes import ExecutionResult, OutcomeError, result_from_record

HEALTH_PATH = "/health"
EXECUTE_PATH = "/v1/execute"
HEALTH_TIMEOUT_S = 5.0
# Above the sandbox's own wall-clock limits: it answers every execution itself, timeouts included.
EXECUTE_GRACE_S = 30.0


class SandboxError(RuntimeError):
    """The sandbox could not be reached or answered something that is not a result."""


@dataclass(frozen=True)
class SandboxHealth:
    slots: int
    languages: tuple[str, ...]
    limits: dict[str, Any]
    version: str


class SandboxClient:
    """One aiohttp session to one sandbox; `execute` may be called concurrently (one connection each)."""

    def __init__(self, address: SandboxAddress, *, connections: int = 64) -> None:
        self.address = address
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector: aiohttp.BaseConnector
            if self.address.socket_path:
                connector = aiohttp.UnixConnector(path=self.address.socket_path, limit=self._connections)
            else:
                connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _call(self, method: str, path: str, body: Any, timeout_s: float) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        try:
            async with self._http().request(
                method,
                self.address.base_url + path,
                data=data,
                headers={"Content-Type": "application/json"} if data is not None else None,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                text = await response.text()
                if response.status != 200:
                    raise SandboxError(f"{self.address}{path}: HTTP {response.status}: {text[:300]}")
                return json.loads(text)
        except (aiohttp.ClientError, TimeoutError, OSError, json.JSONDecodeError) as exc:
            raise SandboxError(f"{self.address}{path}: {type(exc).__name__}: {exc}") from exc

    async def health(self) -> SandboxHealth:
        answer = await self._call("GET", HEALTH_PATH, None, HEALTH_TIMEOUT_S)
        slots = answer.get("slots") if isinstance(answer, dict) else None
        if answer.get("status") != "ok" or isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise SandboxError(f"{self.address}{HEALTH_PATH}: not healthy: {str(answer)[:300]}")
        languages = answer.get("languages") or []
        return SandboxHealth(
            slots=slots,
            languages=tuple(str(name) for name in languages),
            limits=answer.get("limits") or {},
            version=str(answer.get("version", "")),
        )

    async def execute(self, request: dict[str, Any], *, timeout_s: float) -> ExecutionResult:
        """The sandbox's result for one candidate; `timeout_s` bounds the whole call."""
        answer = await self._call("POST", EXECUTE_PATH, request, timeout_s + EXECUTE_GRACE_S)
        try:
            return result_from_record(answer)
        except OutcomeError as exc:
            raise SandboxError(f"{self.address}{EXECUTE_PATH}: not a result ({exc})") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
