"""Confidence intervals without scipy: of a mean (Student t) and of a proportion (Wilson score)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from analyze.report import constants as c

# Above this many degrees of freedom the Cornish-Fisher series is exact to ~1e-7 and O(1).
_EXACT_DF_LIMIT = 100


def t_two_sided_probability(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer `df` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + math.sin(theta) * total) if df > 1 else 2 * theta / math.pi
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= cos2 * (2 * k - 1) / (2 * k)
    return math.sin(theta) * total


def t_critical(confidence: float, df: int) -> float:
    """The t with P(|T| < t) = confidence, e.g. 12.706 for 0.95 and df=1."""
    if df < 1:
        raise ValueError(f"df must be at least 1, got {df}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if df > _EXACT_DF_LIMIT:
        return (
            z
            + (z**3 + z) / (4 * df)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        )
    low, high = z, z
    while t_two_sided_probability(high, df) < confidence:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        if t_two_sided_probability(middle, df) < confidence:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def mean_ci(
    values: Sequence[float], confidence: float = c.CONFIDENCE
) -> tuple[float, float | None, float | None]:
    """(mean, low, high); low/high are None when fewer than 2 values; mean is NaN for none."""
    n = len(values)
    if n == 0:
        return math.nan, None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None, None
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_critical(confidence, n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def wilson_interval(
    successes: int, n: int, confidence: float = c.CONFIDENCE
) -> tuple[float | None, float | None]:
    """Wilson score interval of a proportion; (None, None) when n = 0.

    Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and does not shrink to a point at 0/n or n/n,
    which small per-model counts hit often."""
    if n <= 0:
        return None, None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in 0..{n}, got {successes}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
