"""TaskSlots: a bound on started tasks that follows the limiter's current limit."""

from __future__ import annotations

import asyncio

import pytest
from analyze.running.task_slots import TaskSlots, limit_multiple


async def test_acquire_waits_at_the_bound_until_a_release() -> None:
    slots = TaskSlots(lambda: 2, recheck_s=10.0)
    await slots.acquire()
    await slots.acquire()
    third = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0.01)
    assert not third.done() and slots.held == 2
    slots.release()
    await asyncio.wait_for(third, 1.0)
    assert slots.held == 2


async def test_a_growing_bound_admits_waiters_without_any_release() -> None:
    limit = [1]
    slots = TaskSlots(limit_multiple(lambda: limit[0], 2, 1), recheck_s=0.01)
    for _ in range(2):
        await slots.acquire()
    waiters = [asyncio.create_task(slots.acquire()) for _ in range(6)]
    await asyncio.sleep(0.05)
    assert not any(w.done() for w in waiters)
    limit[0] = 4  # e.g. the adaptive limiter grew from 1 to 4 while every started task is still busy
    await asyncio.wait_for(asyncio.gather(*waiters), 1.0)
    assert slots.held == 8


def test_limit_multiple_has_a_floor() -> None:
    assert limit_multiple(lambda: 1, 2, 4)() == 4
    assert limit_multiple(lambda: 300, 2, 4)() == 600


async def test_a_cancel_that_arrives_with_a_free_slot_is_not_swallowed() -> None:
    """A stopped run cancels its dispatcher; a slot freed in the same loop tick must not undo that."""
    slots = TaskSlots(lambda: 1, recheck_s=10.0)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0.01)  # now waiting for a slot
    slots.release()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.held == 0
