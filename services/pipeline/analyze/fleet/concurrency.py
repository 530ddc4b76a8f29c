"""How many requests may be in flight: the `Limiter` protocol the runner uses, and a fixed limiter.

The runner only talks to `Limiter`, so an adaptive implementation (`analyze.fleet.adaptive_limit`) can watch
each `RequestOutcome` and move `limit` up or down while the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class OutcomeKind(enum.StrEnum):
    OK = "ok"
    OVERLOADED = "overloaded"  # 429 or 503: the fleet asks us to slow down
    ERROR = "error"
    NOT_SENT = "not_sent"  # the permit was given back before any answer (cancelled, or the send failed)


@dataclass(frozen=True)
class RequestOutcome:
    kind: OutcomeKind
    latency_s: float
    backend: str | None = None


NOT_SENT = RequestOutcome(OutcomeKind.NOT_SENT, 0.0)


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


@dataclass
class Permit:
    """One request's permit; its holder sets `outcome` before leaving the `permit` block."""

    outcome: RequestOutcome = NOT_SENT


@contextlib.asynccontextmanager
async def permit(limiter: Limiter) -> AsyncIterator[Permit]:
    """The one place a request takes a limiter permit and gives it back: exactly once, whatever
    happens inside the block (an exception, a cancellation) -- a permit lost there would shrink the
    run's concurrency for good, and with it at zero the run would hang."""
    await limiter.acquire()
    held = Permit()
    try:
        yield held
    finally:
        limiter.release(held.outcome)


async def close_limiter(limiter: Limiter) -> None:
    """Stop background work an adaptive limiter may run (its metrics watch); fixed limiters have none."""
    aclose = getattr(limiter, "aclose", None)
    if aclose is not None:
        await aclose()
