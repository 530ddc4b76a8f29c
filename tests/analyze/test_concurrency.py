"""The limiter protocol: FixedLimiter bounds in-flight work; `auto` needs the adaptive module."""

from __future__ import annotations

import asyncio
import sys

import pytest
from analyze.concurrency import FixedLimiter, Limiter, OutcomeKind, RequestOutcome, make_limiter

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


def test_auto_without_adaptive_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "analyze.adaptive_limit", None)
    with pytest.raises(RuntimeError, match=r"--concurrency auto needs analyze\.adaptive_limit"):
        make_limiter("auto", initial=8)
