"""The one reader of `/v1/models`: which models a backend serves, and each one's context (`max_model_len`).

Readiness probes with it, the judge target is derived from the reading readiness already made (so start-up
reads the list once per backend), and `analyze check` lists the served ids from it. aiohttp, like the
runner's chat transport: one HTTP stack for the whole job.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

MODELS_PATH = "/models"
# Not the runner's request timeout: a backend that does not list its models in this long is not up.
DEFAULT_MODELS_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ServedModel:
    id: str
    max_model_len: int | None  # vLLM's extra field of the OpenAI model object; None when not listed


@dataclass(frozen=True)
class ModelsReading:
    """One backend's `/v1/models` answer, or why there was none (`status` None, `error` says why)."""

    base_url: str
    status: int | None = None
    payload: object = None  # the decoded JSON; None when the body is not JSON
    error: str | None = None
    timed_out: bool = False

    @property
    def served(self) -> tuple[ServedModel, ...] | None:
        """The listed models of a 200 answer; None for any other answer or one without a model list."""
        return served_models(self.payload) if self.status == 200 else None


def _context_length(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def served_models(payload: object) -> tuple[ServedModel, ...] | None:
    """The `data` list of an OpenAI model list, in its order; None when the payload has no such list."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        return None
    return tuple(
        ServedModel(str(m["id"]), _context_length(m.get("max_model_len")))
        for m in data
        if isinstance(m, dict) and "id" in m
    )


async def read_models(
    session: aiohttp.ClientSession, base_url: str, api_key: str, timeout_s: float = DEFAULT_MODELS_TIMEOUT_S
) -> ModelsReading:
    """GET `{base_url}/models`; never raises for a network failure (the reading says what happened)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    try:
        async with session.get(
            base_url.rstrip("/") + MODELS_PATH,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            raw = await response.read()
            status = response.status
    except TimeoutError:  # aiohttp's ServerTimeoutError is one too
        return ModelsReading(base_url, error="no answer within the probe timeout", timed_out=True)
    except aiohttp.ClientError as exc:  # refused, reset, DNS
        return ModelsReading(base_url, error=f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__)
    try:
        payload: object = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        payload = None
    return ModelsReading(base_url, status, payload)


async def read_fleet_models(
    session: aiohttp.ClientSession,
    backends: Sequence[tuple[str, str]],
    timeout_s: float = DEFAULT_MODELS_TIMEOUT_S,
) -> list[ModelsReading]:
    """One reading per `(base_url, api_key)`, concurrently, in the given order."""
    return list(await asyncio.gather(*(read_models(session, url, key, timeout_s) for url, key in backends)))
