"""Utilization arithmetic: measured slot utilization and what perfect balancing could reach."""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def utilization(busy_slot_seconds: float, slots: int, makespan_s: float) -> float:
    """Busy slot-seconds over the slot-seconds the fleet offered during the run."""
    if slots <= 0 or makespan_s <= 0:
        return 0.0
    return busy_slot_seconds / (slots * makespan_s)


def in_order_bound(durations: Sequence[float], slots: int) -> float:
    """Utilization of a perfect dispatcher that starts each request, in input order, on the first free slot.

    With the same request durations this is the best any client-side or nginx policy can do without
    knowing output lengths in advance: what it loses is the drain, when the last long generations run
    while the other slots have nothing left to do.
    """
    if not durations or slots <= 0:
        return 0.0
    free_at = [0.0] * slots
    makespan = 0.0
    for duration in durations:
        start = heapq.heappop(free_at)
        end = start + duration
        makespan = max(makespan, end)
        heapq.heappush(free_at, end)
    return sum(durations) / (slots * makespan)
