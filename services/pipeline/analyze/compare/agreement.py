"""One pair of runs over their common tasks: do they rank the models, and each task, alike?

Both runs' Bradley-Terry fits are the report's (pairs weighted 1/(N-1), the prior), made on the common
tasks only, and refitted on the same bootstrap draws of those tasks, so one draw gives a tau between the
two leaderboards and each model's strength in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analyze.compare import constants as cc
from analyze.compare.rankings import leaderboard_tau, mean, model_order, places, spearman, task_ranking
from analyze.compare.runs import Run
from analyze.judging.ranking import exact_kendall_tau
from analyze.report import aggregate, bradley_terry
from analyze.report.analysis import BootstrapSettings
from analyze.report.journal import Candidate
from analyze.report.judge_trust import task_bootstrap_interval


@dataclass(frozen=True)
class Side:
    run: Run
    groups: dict[str, list[Candidate]]  # the common tasks' candidates, by task, in the common order

    def candidates(self) -> list[Candidate]:
        return [candidate for group in self.groups.values() for candidate in group]


def fit_with_draws(
    sides: Sequence[Side], models: list[str], settings: BootstrapSettings
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each side's strengths on the common tasks, and its refits on shared bootstrap draws of them."""
    outcomes = [aggregate.pairwise_outcomes(side.candidates(), models) for side in sides]
    strengths = [bradley_terry.fit(o.win_matrix(), settings.prior) for o in outcomes]
    draws = bradley_terry.bootstrap_fits(
        outcomes, resamples=settings.resamples, seed=settings.seed, prior=settings.prior
    )
    return strengths, draws


def pair_figures(a: Side, b: Side, settings: BootstrapSettings, out_dir: Path) -> dict[str, Any]:
    models = aggregate.model_names([*a.candidates(), *b.candidates()])
    (strength_a, strength_b), (draws_a, draws_b) = fit_with_draws((a, b), models, settings)
    tasks = list(a.groups)
    per_task = [_task_row(task, a, b) for task in tasks]
    taus = [row["kendall_tau"] for row in per_task if row["kendall_tau"] is not None]
    task_interval = task_bootstrap_interval(taus, [1] * len(taus), settings.resamples, settings.seed)
    figures: dict[str, Any] = {
        "a": a.run.name,
        "b": b.run.name,
        "tasks_common": len(tasks),
        "models": len(models),
        **_leaderboard(models, strength_a, strength_b, draws_a, draws_b),
        "top1_agreement": mean([float(row["top1_same"]) for row in per_task]),
        "top1_chance": mean([1 / row["candidates"] for row in per_task]),
        "mean_task_kendall_tau": mean(taus),
        "mean_task_kendall_tau_ci_low": task_interval[0] if task_interval else None,
        "mean_task_kendall_tau_ci_high": task_interval[1] if task_interval else None,
        "mean_task_kendall_tau_tasks": len(taus),
        "score_spearman": _score_spearman(a, b),
    }
    figures["agreement"] = agreement_level(figures)
    figures["models_moved"] = _models_moved(models, strength_a, strength_b, draws_a, draws_b)
    figures["disagreements"] = _queue(per_task, a.run, b.run, out_dir)
    return figures


def agreement_level(figures: dict[str, Any]) -> str:
    """strong, weak, chance or opposed, from the mean per-task tau and its interval (constants); too_few
    under MIN_AGREEMENT_TASKS tasks, unknown with none."""
    tau, low, high = (figures[f"mean_task_kendall_tau{s}"] for s in ("", "_ci_low", "_ci_high"))
    if tau is None:
        return "unknown"
    if figures["mean_task_kendall_tau_tasks"] < cc.MIN_AGREEMENT_TASKS:
        return "too_few"
    if high is not None and high < 0:
        return "opposed"
    if low is not None and low <= 0:
        return "chance"
    return "strong" if tau >= cc.AGREEMENT_STRONG_TAU else "weak"


def _leaderboard(
    models: list[str], first: np.ndarray, second: np.ndarray, draws_a: np.ndarray, draws_b: np.ndarray
) -> dict[str, Any]:
    drawn = [leaderboard_tau(models, x, y) for x, y in zip(draws_a, draws_b, strict=True)]
    known = np.asarray([tau for tau in drawn if tau is not None])
    low, high = bradley_terry.percentile_interval(known[:, None]) if known.size else (None, None)
    return {
        "leaderboard_kendall_tau": leaderboard_tau(models, first, second),
        "leaderboard_kendall_tau_ci_low": None if low is None else float(low[0]),
        "leaderboard_kendall_tau_ci_high": None if high is None else float(high[0]),
        "order_a": model_order(models, first),
        "order_b": model_order(models, second),
    }


def _models_moved(
    models: list[str], first: np.ndarray, second: np.ndarray, draws_a: np.ndarray, draws_b: np.ndarray
) -> list[dict[str, Any]]:
    """Models placed differently whose strength in each run lies outside the other run's interval."""
    if not draws_a.size:
        return []
    low_a, high_a = bradley_terry.percentile_interval(draws_a)
    low_b, high_b = bradley_terry.percentile_interval(draws_b)
    place_a, place_b = places(models, first), places(models, second)
    moved = []
    for i, model in enumerate(models):
        outside_a = not low_a[i] <= second[i] <= high_a[i]
        outside_b = not low_b[i] <= first[i] <= high_b[i]
        if place_a[model] != place_b[model] and outside_a and outside_b:
            moved.append(
                {
                    "model": model,
                    "place_a": place_a[model],
                    "place_b": place_b[model],
                    "strength_a": float(first[i]),
                    "ci_a": [float(low_a[i]), float(high_a[i])],
                    "strength_b": float(second[i]),
                    "ci_b": [float(low_b[i]), float(high_b[i])],
                }
            )
    return sorted(moved, key=lambda row: row["place_a"])


def _task_row(task: str, a: Side, b: Side) -> dict[str, Any]:
    first, second = task_ranking(a.groups[task]), task_ranking(b.groups[task])
    model_of = {c.candidate_id: c.model for c in a.groups[task]}
    return {
        "task_id": task,
        "candidates": len(first),
        "kendall_tau": exact_kendall_tau(first, second),
        "top1_same": first[0] == second[0],
        "best_a": first[0],
        "best_b": second[0],
        "best_a_model": model_of[first[0]],
        "best_b_model": model_of[second[0]],
    }


def _score_spearman(a: Side, b: Side) -> dict[str, float | None]:
    """Per dimension, Spearman's rho of the candidates' scores in the two runs (both scored)."""
    dimensions = [
        d
        for d in aggregate.score_dimensions(a.candidates())
        if d in aggregate.score_dimensions(b.candidates())
    ]
    scores_b = {(c.task_id, c.candidate_id): c.scores for c in b.candidates()}
    result = {}
    for dimension in dimensions:
        pairs = [
            (c.scores[dimension], scores_b[(c.task_id, c.candidate_id)][dimension])
            for c in a.candidates()
            if dimension in c.scores and dimension in scores_b[(c.task_id, c.candidate_id)]
        ]
        result[dimension] = spearman([x for x, _ in pairs], [y for _, y in pairs])
    return result


def _queue(rows: list[dict[str, Any]], a: Run, b: Run, out_dir: Path) -> list[dict[str, Any]]:
    """The tasks that disagree most, for a person to read: lowest tau first, a changed best candidate
    before a kept one; identical rankings are not listed."""
    disagreeing = [row for row in rows if not (row["top1_same"] and row["kendall_tau"] in (None, 1.0))]
    disagreeing.sort(
        key=lambda row: (row["kendall_tau"] if row["kendall_tau"] is not None else 0.0, row["top1_same"])
    )
    return [
        row
        | {"link_a": a.report_link(row["task_id"], out_dir), "link_b": b.report_link(row["task_id"], out_dir)}
        for row in disagreeing[: cc.QUEUE_SIZE]
    ]
