"""The grounded ranking: within a task, a candidate that passed its tests ranks above one that failed, and
the judge orders candidates of the same outcome (by its own rank). A candidate whose outcome is unknown
(`passed` null: not executed, not_run, unlabelled) is left out, and its task's known candidates are ranked
among themselves: any place given to it would be a guess. Bradley-Terry strengths with the bootstrap of
the judge-only ranking are fitted to these rankings, and Kendall's tau compares the two model orders.
docs/report.md#tests-and-ground-truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analyze.judging.ranking import exact_kendall_tau
from analyze.report import aggregate, bradley_terry
from analyze.report.journal import Candidate


def grounded_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Each task's known-outcome candidates, re-ranked 1..k: passed first, then by the judge's rank.
    Tasks with fewer than two known candidates give no pair and are left out."""
    grounded: list[Candidate] = []
    for group in aggregate.by_task(candidates).values():
        known = sorted((x for x in group if x.passed is not None), key=lambda x: (not x.passed, x.rank))
        if len(known) >= 2:
            grounded += [dataclasses.replace(x, rank=rank) for rank, x in enumerate(known, start=1)]
    return grounded


@dataclass(frozen=True)
class GroundedRanking:
    models: list[str]  # the models with a grounded candidate, strongest first
    strength: dict[str, float]
    ci_low: dict[str, float | None]
    ci_high: dict[str, float | None]
    tasks: int
    candidates: int
    left_out: int  # candidates with an unknown outcome (or alone in their task with one)
    kendall_tau: float | None  # judge-only vs grounded model order, over the models both rank

    def rank(self, model: str) -> int | None:
        return self.models.index(model) + 1 if model in self.strength else None

    def row(self, model: str) -> dict[str, Any]:
        """models.csv's grounded columns."""
        return {
            "grounded_rank": self.rank(model),
            "grounded_bt_strength": self.strength.get(model),
            "grounded_bt_ci_low": self.ci_low.get(model),
            "grounded_bt_ci_high": self.ci_high.get(model),
        }

    def summary(self, judge_order: Sequence[str]) -> dict[str, Any]:
        return {
            "rule": "passed above failed; the judge's rank within an outcome; unknown outcomes left out",
            "tasks": self.tasks,
            "candidates": self.candidates,
            "left_out_candidates": self.left_out,
            "kendall_tau": self.kendall_tau,
            "models": [{"model": m, "judge_rank": i + 1, **self.row(m)} for i, m in enumerate(judge_order)],
        }


GROUNDED_COLUMNS = ("grounded_rank", "grounded_bt_strength", "grounded_bt_ci_low", "grounded_bt_ci_high")


def grounded_ranking(
    candidates: Sequence[Candidate],
    judge_order: Sequence[str],
    *,
    resamples: int,
    seed: int,
    prior: float,
) -> GroundedRanking:
    """`judge_order`: the judge-only ranking's models, strongest first (analysis' model rows)."""
    grounded = grounded_candidates(candidates)
    models = aggregate.model_names(grounded)
    outcomes = aggregate.pairwise_outcomes(grounded, models)
    strength = bradley_terry.fit(outcomes.win_matrix(), prior)
    low, high = bradley_terry.bootstrap_interval(outcomes, resamples=resamples, seed=seed, prior=prior)
    order = sorted(range(len(models)), key=lambda i: -strength[i])  # stable: ties keep name order
    ranked = [models[i] for i in order]
    shared = [m for m in judge_order if m in models]
    return GroundedRanking(
        models=ranked,
        strength={m: float(strength[i]) for i, m in enumerate(models)},
        ci_low={m: _finite(low[i]) for i, m in enumerate(models)},
        ci_high={m: _finite(high[i]) for i, m in enumerate(models)},
        tasks=len({x.task_id for x in grounded}),
        candidates=len(grounded),
        left_out=len(candidates) - len(grounded),
        kendall_tau=exact_kendall_tau(shared, [m for m in ranked if m in shared]),
    )


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
