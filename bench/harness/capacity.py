"""Utilization arithmetic: measured slot utilization and what perfect balancing could reach."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from bench.settings import SimProfile


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


def true_bound(durations: Sequence[float], slots: int) -> float:
    """Utilization no dispatcher can beat, even one that knows every length and may reorder freely.

    The makespan is at least max(total service time / slots, the longest single request): the work
    spread perfectly over every slot, or one request that alone lasts longer than that.
    """
    if not durations or slots <= 0:
        return 0.0
    total = sum(durations)
    return total / (slots * max(total / slots, max(durations)))


def service_seconds(prompt_tokens: int, completion_tokens: int, profile: SimProfile) -> float:
    """How long the simulator keeps a slot for this request at a full batch, queueing left out.

    The simulator's own latency model (vllm_sim.latency) without jitter: TTFT (overhead + prefill), then
    one ITL per token after the first, both slowed by `1 + load_factor` (every slot running). Request
    latencies seen by the client would also count time spent waiting in an instance's queue.
    """
    slowdown = 1.0 + profile.load_factor
    ttft_ms = profile.ttft_overhead_ms + prompt_tokens * profile.prefill_ms_per_token
    decode_ms = max(0, completion_tokens - 1) * profile.itl_ms
    return (ttft_ms + decode_ms) * slowdown / 1000


def imbalance(per_instance: Sequence[float]) -> float:
    """Most loaded instance over the mean (1.0: perfectly even)."""
    if not per_instance or sum(per_instance) <= 0:
        return 1.0
    return max(per_instance) / (sum(per_instance) / len(per_instance))
