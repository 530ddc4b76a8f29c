"""A model of nginx round robin in front of vLLM instances, for loads the simulator cannot serve the pipeline.

The simulator draws `--output-len` only for unconstrained answers; the pipeline's JSON-schema answers
get the schema generator's lengths. To say what round robin would lose on the issue's heavy-tailed
load, this replays drawn lengths through the same rules: the client keeps `limit` requests in flight and
sends the next one when one finishes, nginx hands requests to the instances in turn, each instance runs
`slots` at once and queues the rest first come, first served. Pure arithmetic, no clock.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Sequence

from vllm_sim.output_len import parse_output_len

from bench.harness.capacity import service_seconds
from bench.settings import SimProfile


def round_robin_makespan(durations: Sequence[float], instances: int, slots: int, limit: int) -> float:
    """When the last request ends if they are sent in order, `limit` at a time, to instances in turn."""
    finishing: list[tuple[float, int]] = []  # (end time, instance)
    running = [0] * instances
    queued: list[deque[float]] = [deque() for _ in range(instances)]
    now, sent, turn = 0.0, 0, 0

    def send() -> None:
        nonlocal sent, turn
        target, turn = turn, (turn + 1) % instances
        if running[target] < slots:
            running[target] += 1
            heapq.heappush(finishing, (now + durations[sent], target))
        else:
            queued[target].append(durations[sent])
        sent += 1

    while sent < min(limit, len(durations)):
        send()
    while finishing:
        now, instance = heapq.heappop(finishing)
        running[instance] -= 1
        if queued[instance]:
            running[instance] += 1
            heapq.heappush(finishing, (now + queued[instance].popleft(), instance))
        if sent < len(durations):
            send()
    return now


def drawn_durations(
    profile: SimProfile, count: int, prompt_tokens: int, max_tokens: int, seed: int = 0
) -> list[float]:
    """Service seconds of `count` requests whose lengths follow the profile's `--output-len`, capped."""
    lengths = parse_output_len(profile.output_len)
    rng = random.Random(seed)
    return [
        service_seconds(prompt_tokens, min(max_tokens, lengths.draw(rng, prompt_tokens)), profile)
        for _ in range(count)
    ]
