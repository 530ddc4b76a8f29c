"""The limiter protocol: FixedLimiter bounds in-flight work; `auto` needs the adaptive module."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from analyze.fleet.adaptive_limit import AdaptiveLimiter, make_limiter
from analyze.fleet.concurrency import FixedLimiter, Limiter, OutcomeKind, RequestOutcome, permit

OK = RequestOutcome(OutcomeKind.OK, latency_s=0.0)


async def test_fixed_limiter_never_exceeds_its_limit() -> None:
    limiter = FixedLimiter(3)
    in_flight = peak = 0

    async def work() -> None:
        nonlocal in_flight, peak
        await limiter.acquire()
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        limiter.release(OK)

    await asyncio.gather(*(work() for _ in range(20)))
    assert peak == 3 and isinstance(limiter, Limiter)


def test_fixed_limiter_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FixedLimiter(0)


def test_make_limiter_number() -> None:
    limiter = make_limiter("7", initial=64)
    assert isinstance(limiter, FixedLimiter) and limiter.limit == 7


@pytest.mark.parametrize(
    "make", [lambda: FixedLimiter(1), lambda: AdaptiveLimiter(1)], ids=["fixed", "adaptive"]
)
async def test_a_permit_comes_back_whatever_ends_the_block(make: Callable[[], Limiter]) -> None:
    limiter = make()
    outcomes: list[RequestOutcome] = []
    release = limiter.release
    limiter.release = lambda outcome: (outcomes.append(outcome), release(outcome))[1]  # type: ignore[method-assign]

    with pytest.raises(UnicodeEncodeError):
        async with permit(limiter):
            "\ud800".encode()  # what a task with a lone surrogate did between taking a slot and sending
    blocked = asyncio.create_task(asyncio.sleep(10))
    async with permit(limiter) as held:
        held.outcome = OK

    async def hold_forever() -> None:
        async with permit(limiter):
            await blocked

    holder = asyncio.create_task(hold_forever())
    await asyncio.sleep(0.01)
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    # one permit, four blocks: had any of them kept it, this would wait forever
    async with asyncio.timeout(2), permit(limiter):
        pass
    assert [o.kind for o in outcomes] == [
        OutcomeKind.NOT_SENT,
        OutcomeKind.OK,
        OutcomeKind.NOT_SENT,
        OutcomeKind.NOT_SENT,
    ]
    blocked.cancel()
