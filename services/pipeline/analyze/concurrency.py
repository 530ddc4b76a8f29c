"""How many requests may be in flight: the `Limiter` protocol the runner uses, and a fixed limiter.

The runner only talks to `Limiter`, so an adaptive implementation (`analyze.adaptive_limit`) can watch
each `RequestOutcome` and move `limit` up or down while the run goes on.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class OutcomeKind(enum.StrEnum):
    OK = "ok"
    OVERLOADED = "overloaded"  # 429 or 503: the fleet asks us to slow down
    ERROR = "error"


@dataclass(frozen=True)
class RequestOutcome:
    kind: OutcomeKind
    latency_s: float
    backend: str | None = None


@runtime_checkable
class Limiter(Protocol):
    limit: int

    async def acquire(self) -> None: ...

    def release(self, outcome: RequestOutcome) -> None: ...


class FixedLimiter:
    """At most `limit` permits at once; outcomes are ignored."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency must be at least 1, got {limit}")
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)

    async def acquire(self) -> None:
        await self._semaphore.acquire()

    def release(self, outcome: RequestOutcome) -> None:
        self._semaphore.release()


ADAPTIVE_MODULE = "analyze.adaptive_limit"


def make_limiter(concurrency: str, *, initial: int, base_urls: list[str] | None = None) -> Limiter:
    """`auto`: the adaptive limiter from `initial`, watching `base_urls`; a number: a FixedLimiter."""
    if concurrency != "auto":
        return FixedLimiter(int(concurrency))
    try:
        module = importlib.import_module(ADAPTIVE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ADAPTIVE_MODULE:
            raise
        raise RuntimeError(
            f"--concurrency auto needs {ADAPTIVE_MODULE}.AdaptiveLimiter, which is not installed; "
            "pass a number instead"
        ) from exc
    return module.AdaptiveLimiter(initial, base_urls=base_urls or [])


async def close_limiter(limiter: Limiter) -> None:
    """Stop background work an adaptive limiter may run (its metrics watch); fixed limiters have none."""
    aclose = getattr(limiter, "aclose", None)
    if aclose is not None:
        await aclose()
