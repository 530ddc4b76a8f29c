"""Rankings compare reads off a run: a task's candidates best first, models by Bradley-Terry strength."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analyze.judging.ranking import exact_kendall_tau
from analyze.report.journal import Candidate


def task_ranking(group: Sequence[Candidate]) -> list[str]:
    """Candidate ids, best first (rank 1 first)."""
    return [c.candidate_id for c in sorted(group, key=lambda c: c.rank)]


def model_order(models: Sequence[str], strength: np.ndarray) -> list[str]:
    """Strongest first, as the report's ranking table; equal strengths by name so ties cannot flip tau."""
    return [models[i] for i in sorted(range(len(models)), key=lambda i: (-strength[i], models[i]))]


def leaderboard_tau(models: Sequence[str], first: np.ndarray, second: np.ndarray) -> float | None:
    return exact_kendall_tau(model_order(models, first), model_order(models, second))


def places(models: Sequence[str], strength: np.ndarray) -> dict[str, int]:
    """Each model's place in the order, 1 = strongest."""
    return {model: i for i, model in enumerate(model_order(models, strength), start=1)}


def spearman(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks (ties share their mean rank); None when either
    side is constant or has fewer than two values."""
    if len(first) < 2:
        return None
    a = pd.Series(first, dtype=float).rank(method="average").to_numpy()
    b = pd.Series(second, dtype=float).rank(method="average").to_numpy()
    if a.std() == 0 or b.std() == 0:
        return None
    rho = float(np.corrcoef(a, b)[0, 1])
    return None if math.isnan(rho) else rho


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None
