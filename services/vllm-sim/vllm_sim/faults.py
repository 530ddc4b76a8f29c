"""Which injected fault (if any) a request gets, from one uniform draw."""

from __future__ import annotations

import enum

from vllm_sim.settings import SimConfig


class Fault(enum.Enum):
    NONE = "none"
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    CONTEXT = "400_context"
    HANG = "hang"


def pick_fault(config: SimConfig, u: float) -> Fault:
    """Map `u` in [0, 1) onto the fault probabilities laid end to end."""
    edge = 0.0
    for fault, p in (
        (Fault.RATE_LIMIT, config.fail_429),
        (Fault.SERVER_ERROR, config.fail_500),
        (Fault.UNAVAILABLE, config.fail_503),
        (Fault.CONTEXT, config.fail_400_context),
        (Fault.HANG, config.hang_rate),
    ):
        edge += p
        if u < edge:
            return fault
    return Fault.NONE
