"""How many tasks may be started at once: in flight plus waiting out a retry backoff.

A task in backoff holds no limiter permit, so without this bound a run against an overloaded fleet
would start every task of the input. The bound follows the limiter's *current* limit (a multiple of
it), so `--concurrency auto` can grow far past where it started.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class TaskSlots:
    """`acquire` waits while `held >= bound()`; `bound` is read again on every release and recheck."""

    def __init__(self, bound: Callable[[], int], recheck_s: float) -> None:
        self._bound = bound
        self._recheck_s = recheck_s  # a limit that grows frees room without any task finishing
        self._released = asyncio.Event()
        self.held = 0

    @property
    def bound(self) -> int:
        return max(1, self._bound())

    async def acquire(self) -> None:
        while self.held >= self.bound:
            self._released.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that arrives
            # as the event is set, and a cancelled dispatcher would go on starting tasks
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._recheck_s):
                    await self._released.wait()
        self.held += 1

    def release(self) -> None:
        self.held -= 1
        self._released.set()


def limit_multiple(limit: Callable[[], int], factor: int, floor: int) -> Callable[[], int]:
    """`max(floor, factor * limit())`: room for tasks in backoff next to those in flight."""
    return lambda: max(floor, factor * limit())
