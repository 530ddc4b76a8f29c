"""Slots (max-num-seqs) and a bounded FIFO waiting queue, with busy-slot-time accounting."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class QueueFull(Exception):
    """The waiting queue is at max-waiting."""


class SlotPool:
    def __init__(self, max_num_seqs: int, max_waiting: int) -> None:
        self.max_num_seqs = max_num_seqs
        self.max_waiting = max_waiting
        self.running = 0
        self.kv_tokens = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._busy_done = 0.0
        # Sum of the start times of held slots: in-flight busy time is held x now - this, in O(1).
        self._start_sum = 0.0
        self._held = 0  # slots whose holder has started (running also counts grants not yet resumed)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def busy_seconds(self, now: float | None = None) -> float:
        """Slot-seconds held so far, including slots held right now (monotonic)."""
        now = time.monotonic() if now is None else now
        return self._busy_done + self._held * now - self._start_sum

    def resize(self, max_num_seqs: int, max_waiting: int) -> None:
        self.max_num_seqs = max_num_seqs
        self.max_waiting = max_waiting
        self._wake()

    async def _acquire(self) -> None:
        if self.running < self.max_num_seqs and not self._waiters:
            self.running += 1
            return
        if len(self._waiters) >= self.max_waiting:
            raise QueueFull
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release_count()  # granted just before the cancel: pass the slot on
            else:
                self._waiters.remove(fut)
            raise

    def _release_count(self) -> None:
        self.running -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.running < self.max_num_seqs:
            fut = self._waiters.popleft()
            if not fut.done():
                self.running += 1
                fut.set_result(None)

    @asynccontextmanager
    async def slot(self, kv_tokens: int) -> AsyncIterator[None]:
        """Hold one slot (waiting in FIFO order if needed) for the body of the `async with`."""
        await self._acquire()
        start = time.monotonic()
        self._start_sum += start
        self._held += 1
        self.kv_tokens += kv_tokens
        try:
            yield
        finally:
            end = time.monotonic()
            self._busy_done += end - start
            self._start_sum -= start
            self._held -= 1
            self.kv_tokens -= kv_tokens
            self._release_count()
