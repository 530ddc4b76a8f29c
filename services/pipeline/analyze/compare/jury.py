"""The runs as a jury: each run is a judge of the same tasks, and their verdicts are pooled.

- Pooled scores: each judge's overall scores are z-normalised over its candidates (a lenient judge and a
  harsh one weigh the same), and a candidate's pooled score is their mean; each task is ranked by it.
- Pooled strengths: one Bradley-Terry fit over every judge's pairs (the report's weights and prior), with
  the report's task bootstrap (a task's pairs from every judge drawn together).
- Kendall's W per task over the judges' rankings, averaged over the tasks.
- With ground truth (`passed`), each judge's pairwise accuracy (the report's), and a jury weighting each
  judge by the log-odds of its smoothed accuracy (0 at or below chance) beside the unweighted one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from analyze.compare import constants as cc
from analyze.compare.rankings import leaderboard_tau, mean, task_ranking
from analyze.compare.runs import Run
from analyze.constants import OVERALL
from analyze.judging.ranking import exact_kendall_tau
from analyze.report import aggregate, bradley_terry
from analyze.report.analysis import BootstrapSettings
from analyze.report.bradley_terry import Outcomes
from analyze.report.journal import Candidate
from analyze.report.judge_trust import truth_figures

Key = tuple[str, str]  # (task_id, candidate_id)


def kendall_w(rankings: Sequence[Sequence[str]]) -> float | None:
    """Kendall's W of m rankings of the same n items: 12 S / (m^2 (n^3 - n)), S the squared deviations
    of the items' rank sums from their mean; 1 = every judge ranks alike, 0 = no agreement."""
    m, n = len(rankings), len(rankings[0]) if rankings else 0
    if m < 2 or n < 2:
        return None
    sums = {item: 0 for item in rankings[0]}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            sums[item] += rank
    centre = m * (n + 1) / 2
    spread = math.fsum((total - centre) ** 2 for total in sums.values())
    return 12 * spread / (m**2 * (n**3 - n))


def normalised_scores(groups: dict[str, list[Candidate]]) -> dict[Key, float]:
    """One judge's overall scores as z-scores over all its candidates (0 for a judge with one score)."""
    values = {(c.task_id, c.candidate_id): c.scores.get(OVERALL, 0.0) for g in groups.values() for c in g}
    scores = np.asarray(list(values.values()), dtype=float)
    centre, spread = (scores.mean(), scores.std()) if scores.size else (0.0, 0.0)
    return {key: (v - centre) / spread if spread > 0 else 0.0 for key, v in values.items()}


def pooled_groups(
    judges: Sequence[dict[str, list[Candidate]]], weights: Sequence[float]
) -> tuple[dict[str, list[Candidate]], dict[Key, float]]:
    """The jury's verdicts: each task's candidates re-ranked by the weighted mean normalised score
    (ties: by mean rank over the judges, then id), and the pooled score of each."""
    z = [normalised_scores(groups) for groups in judges]
    total = math.fsum(weights)
    pooled: dict[Key, float] = {}
    groups: dict[str, list[Candidate]] = {}
    for task, first in judges[0].items():
        mean_rank = {
            c.candidate_id: mean(
                [next(x.rank for x in g[task] if x.candidate_id == c.candidate_id) for g in judges]
            )
            for c in first
        }
        for c in first:
            key = (task, c.candidate_id)
            pooled[key] = math.fsum(w * scores[key] for w, scores in zip(weights, z, strict=True)) / total
        order = sorted(
            first, key=lambda c: (-pooled[(task, c.candidate_id)], mean_rank[c.candidate_id], c.candidate_id)
        )
        groups[task] = [dataclasses.replace(c, rank=i) for i, c in enumerate(order, start=1)]
    return groups, pooled


def _outcomes(
    judges: Sequence[dict[str, list[Candidate]]], models: list[str], weights: Sequence[float]
) -> Outcomes:
    """Every judge's pairs in one fit; task t is the same task for each judge (drawn together)."""
    parts = [
        aggregate.pairwise_outcomes([c for g in groups.values() for c in g], models) for groups in judges
    ]
    pair_weights = [
        o.weight * w if o.weight is not None else np.full(o.task.size, w)
        for o, w in zip(parts, weights, strict=True)
    ]
    return Outcomes(
        np.concatenate([o.task for o in parts]),
        np.concatenate([o.winner for o in parts]),
        np.concatenate([o.loser for o in parts]),
        len(models),
        weight=np.concatenate(pair_weights),
    )


def accuracy_weight(figures: dict[str, Any]) -> float:
    """log(p / (1 - p)) of the smoothed pairwise accuracy p, 0 when p <= 1/2 or without pairs: the
    weight of a voter right with probability p in an optimal weighted vote (Nitzan and Paroush 1982)."""
    pairs, accuracy = figures["truth_pairs"], figures["truth_pairwise_accuracy"]
    if not pairs or accuracy is None:
        return 0.0
    p = (accuracy * pairs + cc.ACCURACY_SMOOTHING) / (pairs + 2 * cc.ACCURACY_SMOOTHING)
    return max(0.0, math.log(p / (1 - p)))


def _truth(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "pairwise_accuracy": figures["truth_pairwise_accuracy"],
        "ci_low": figures["truth_pairwise_ci_low"],
        "ci_high": figures["truth_pairwise_ci_high"],
        "pairs": figures["truth_pairs"],
    }


def jury_figures(
    runs: list[Run], judges: list[dict[str, list[Candidate]]], settings: BootstrapSettings
) -> dict[str, Any]:
    names = [run.name for run in runs]
    candidates = [c for groups in judges for g in groups.values() for c in g]
    models = aggregate.model_names(candidates)
    tasks = list(judges[0])
    equal = [1.0] * len(judges)
    pooled, pooled_score = pooled_groups(judges, equal)
    outcomes = _outcomes(judges, models, equal)
    strength = bradley_terry.fit(outcomes.win_matrix(), settings.prior)
    low, high = bradley_terry.bootstrap_interval(
        outcomes, resamples=settings.resamples, seed=settings.seed, prior=settings.prior
    )
    ws = [
        task_w for task in tasks if (task_w := kendall_w([task_ranking(g[task]) for g in judges])) is not None
    ]
    per_judge = []
    labelled = any(c.passed is not None for c in candidates)
    truths = [truth_figures(list(groups.values()), settings.resamples, settings.seed) for groups in judges]
    weights = [accuracy_weight(figures) for figures in truths] if labelled else equal
    for name, groups, figures, weight in zip(names, judges, truths, weights, strict=True):
        own = bradley_terry.fit(
            aggregate.pairwise_outcomes([c for g in groups.values() for c in g], models).win_matrix(),
            settings.prior,
        )
        taus = [
            t
            for task in tasks
            if (t := exact_kendall_tau(task_ranking(groups[task]), task_ranking(pooled[task]))) is not None
        ]
        row = {
            "judge": name,
            "mean_task_kendall_tau_with_pool": mean(taus),
            "top1_with_pool": mean(
                [float(task_ranking(groups[t])[0] == task_ranking(pooled[t])[0]) for t in tasks]
            ),
            "leaderboard_kendall_tau_with_pool": leaderboard_tau(models, own, strength),
        }
        if labelled:
            row |= {f"truth_{k}": v for k, v in _truth(figures).items()} | {"weight": weight}
        per_judge.append(row)
    model_rows = _model_rows(models, pooled_score, pooled, strength, low, high)
    result: dict[str, Any] = {
        "judges": names,
        "tasks": len(tasks),
        "kendall_w": mean(ws),
        "kendall_w_tasks": len(ws),
        "per_judge": per_judge,
        "models": model_rows,
        "truth": None,
    }
    if labelled:
        result["truth"] = _weighted(judges, models, weights, pooled, settings, model_rows)
    return result


def _weighted(
    judges: list[dict[str, list[Candidate]]],
    models: list[str],
    weights: list[float],
    pooled: dict[str, list[Candidate]],
    settings: BootstrapSettings,
    model_rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """The unweighted jury's accuracy beside the accuracy-weighted one's (and its strengths)."""
    unweighted = _truth(truth_figures(list(pooled.values()), settings.resamples, settings.seed))
    if math.fsum(weights) <= 0:  # no judge beats chance: nobody to weigh
        return {"weights": weights, "unweighted": unweighted, "weighted": None}
    weighted, _ = pooled_groups(judges, weights)
    strength = bradley_terry.fit(_outcomes(judges, models, weights).win_matrix(), settings.prior)
    for row in model_rows:
        row["weighted_bt_strength"] = float(strength[models.index(row["model"])])
    return {
        "weights": weights,
        "unweighted": unweighted,
        "weighted": _truth(truth_figures(list(weighted.values()), settings.resamples, settings.seed)),
    }


def _model_rows(
    models: list[str],
    score: dict[Key, float],
    pooled: dict[str, list[Candidate]],
    strength: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> list[dict[str, Any]]:
    rows = []
    for i, model in enumerate(models):
        mine = [score[(c.task_id, c.candidate_id)] for g in pooled.values() for c in g if c.model == model]
        rows.append(
            {
                "model": model,
                "mean_normalised_score": mean(mine),
                "bt_strength": float(strength[i]),
                "bt_ci_low": None if math.isnan(low[i]) else float(low[i]),
                "bt_ci_high": None if math.isnan(high[i]) else float(high[i]),
            }
        )
    return sorted(rows, key=lambda row: (-row["bt_strength"], row["model"]))
