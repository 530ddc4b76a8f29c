"""The judge against the ground truth beyond pairwise accuracy: where the truth came from, how well the
correctness score separates passing from failing candidates (AUROC), and the tasks whose first choice
failed although another candidate passed. docs/report.md#can-this-ranking-be-trusted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analyze.report import constants as c
from analyze.report.journal import Candidate

SCORE = "correctness"
INPUT = c.PASSED_SOURCES[0]  # a label without passed_source is the input's


def truth_sources(groups: Sequence[Sequence[Candidate]]) -> dict[str, int]:
    """Labelled candidates by where `passed` came from; a label without `passed_source` is the input's
    (journals before execution carried only the input's labels)."""
    counts = Counter(x.passed_source or INPUT for group in groups for x in group if x.passed is not None)
    return {source: counts[source] for source in c.PASSED_SOURCES}


# --- AUROC ----------------------------------------------------------------------------------------


def auroc_from_counts(passed: np.ndarray, failed: np.ndarray) -> float | None:
    """P(score of a passing > score of a failing candidate) + P(equal) / 2, from the number of passing and
    failing candidates at each score value (ascending); None without both."""
    n_pass, n_fail = passed.sum(), failed.sum()
    if n_pass == 0 or n_fail == 0:
        return None
    below = np.cumsum(failed) - failed  # failing candidates scored strictly lower
    return float((passed * (below + failed / 2)).sum() / (n_pass * n_fail))


def auroc_figures(
    groups: Sequence[Sequence[Candidate]],
    resamples: int = c.BOOTSTRAP_RESAMPLES,
    seed: int = c.BOOTSTRAP_SEED,
    confidence: float = c.CONFIDENCE,
) -> dict[str, Any]:
    """Pooled over candidates (a score should mean the same in every task); the interval draws tasks."""
    scored = [
        [(x.scores[SCORE], x.passed) for x in group if x.passed is not None and SCORE in x.scores]
        for group in groups
    ]
    scored = [pairs for pairs in scored if pairs]
    values = np.unique([score for pairs in scored for score, _ in pairs])
    # per task: how many passing / failing candidates got each score, so a resample is one product
    counts = np.zeros((len(scored), 2, values.size))
    for t, pairs in enumerate(scored):
        for score, passed in pairs:
            counts[t, 0 if passed else 1, np.searchsorted(values, score)] += 1
    pooled = counts.sum(axis=0)
    value = auroc_from_counts(pooled[0], pooled[1])
    low = high = None
    if value is not None and resamples > 0:
        rng = np.random.default_rng(seed)
        flat = counts.reshape(len(scored), -1)
        draws = np.empty(resamples)
        for r in range(resamples):  # one draw at a time: memory stays O(tasks x score values)
            drawn = np.bincount(rng.integers(0, len(scored), len(scored)), minlength=len(scored))
            total = (drawn @ flat).reshape(2, values.size)
            auc = auroc_from_counts(total[0], total[1])
            draws[r] = np.nan if auc is None else auc
        if not np.isnan(draws).all():
            tail = (1 - confidence) / 2 * 100
            low, high = (float(v) for v in np.nanpercentile(draws, [tail, 100 - tail]))
    return {
        "truth_auroc": value,
        "truth_auroc_ci_low": low,
        "truth_auroc_ci_high": high,
        "truth_auroc_passed": int(pooled[0].sum()),
        "truth_auroc_failed": int(pooled[1].sum()),
    }


# --- first choices that failed --------------------------------------------------------------------


@dataclass(frozen=True)
class Miss:
    """A task whose rank-1 candidate failed while `best_passing` (the best-ranked that passed) did not."""

    chosen: Candidate
    best_passing: Candidate


def judge_misses(groups: Sequence[Sequence[Candidate]]) -> tuple[list[Miss], int]:
    """(misses, tasks that could be missed: rank-1's outcome known and some candidate passed)."""
    misses: list[Miss] = []
    eligible = 0
    for group in groups:
        chosen = min(group, key=lambda x: x.rank)
        passing = [x for x in group if x.passed is True]
        if chosen.passed is None or not passing:
            continue
        eligible += 1
        if chosen.passed is False:
            misses.append(Miss(chosen, min(passing, key=lambda x: x.rank)))
    return misses, eligible


def miss_figures(misses: Sequence[Miss], eligible: int) -> dict[str, Any]:
    return {
        "truth_first_choice_tasks": eligible,
        "truth_first_choice_misses": len(misses),
        "truth_first_choice_miss_rate": len(misses) / eligible if eligible else None,
    }


MISS_COLUMNS = (
    "task_id",
    "chosen_candidate",
    "chosen_model",
    "passed_source",
    "exec_status",
    "tests_passed",
    "tests_total",
    "detail",
    "best_passing_candidate",
    "best_passing_model",
    "best_passing_rank",
)


def miss_row(miss: Miss) -> tuple[Any, ...]:
    """judge_misses.csv's row; the execution's fields are empty when the label came from the input."""
    chosen, run = miss.chosen, miss.chosen.execution
    return (
        chosen.task_id,
        chosen.candidate_id,
        chosen.model,
        chosen.passed_source or INPUT,
        None if run is None else run.status,
        None if run is None else run.tests_passed,
        None if run is None else run.tests_total,
        None if run is None else run.detail,
        miss.best_passing.candidate_id,
        miss.best_passing.model,
        miss.best_passing.rank,
    )
