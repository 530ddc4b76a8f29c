"""Bradley-Terry strengths from pairwise outcomes (MM algorithm, Hunter 2004) and a task bootstrap.

P(i beats j) = p_i / (p_i + p_j). Strengths are normalised to a geometric mean of 1 (mean log-strength 0).
A prior of `prior` pseudo-wins is credited to each side of every pair of distinct models, which keeps an
undefeated model finite and links models that never met: for two models where a beat b w times in n,
the fitted ratio p_a / p_b is exactly (w + prior) / (n - w + prior).

Every task weighs the same whatever its number of candidates N: a ranking of N yields N(N-1)/2 pairs but
carries only N-1 independent comparisons' worth of information per candidate, so each of its pairs counts
1/(N-1) (`Outcomes.weight`); a task of 5 then weighs as much as a task of 2 per candidate it ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analyze.report import constants as c


@dataclass(frozen=True)
class Outcomes:
    """Every within-task pairwise outcome: the winner's and loser's model index, and the task's index.

    `weight` is each pair's weight in the fit (1/(N-1), None: 1); `length` the pair's normalised code
    length difference (winner - loser) / (winner + loser), None when some length is unknown."""

    task: np.ndarray
    winner: np.ndarray
    loser: np.ndarray
    n_models: int
    weight: np.ndarray | None = None
    length: np.ndarray | None = None

    def win_matrix(self, task_weights: np.ndarray | None = None, *, weighted: bool = True) -> np.ndarray:
        """wins[i, j] = (weighted) number of times model i beat model j; `weighted=False`: plain counts."""
        weights = self.pair_weights(task_weights) if weighted else None
        cells = self.winner * self.n_models + self.loser
        flat = np.bincount(cells, weights=weights, minlength=self.n_models**2)
        return flat.astype(float).reshape(self.n_models, self.n_models)

    def pair_weights(self, task_weights: np.ndarray | None = None) -> np.ndarray | None:
        """Each pair's weight: its own (1/(N-1)) times its task's (a bootstrap draw count)."""
        weights = self.weight
        if task_weights is not None:
            drawn = task_weights[self.task]
            weights = drawn if weights is None else weights * drawn
        return weights


def fit(wins: np.ndarray, prior: float = c.BT_PRIOR_WINS) -> np.ndarray:
    """Strengths (geometric mean 1) maximising the Bradley-Terry likelihood of `wins` plus the prior."""
    n = wins.shape[0]
    if n == 0:
        return np.zeros(0)
    if prior < 0:
        raise ValueError(f"prior must be >= 0, got {prior}")
    off_diagonal = 1.0 - np.eye(n)
    wins = wins * off_diagonal + prior * off_diagonal
    if prior == 0 and not _strongly_connected(wins > 0):
        raise ValueError("without a prior every model must beat and lose to the others (strongly connected)")
    won = wins.sum(axis=1)
    games = wins + wins.T
    strength = np.ones(n)
    for _ in range(c.BT_MAX_ITERATIONS):
        denominator = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        updated = np.divide(won, denominator, out=np.ones(n), where=denominator > 0)
        updated /= np.exp(np.log(updated).mean())
        done = np.max(np.abs(np.log(updated) - np.log(strength))) < c.BT_TOLERANCE
        strength = updated
        if done:
            break
    return strength


def _strongly_connected(beats: np.ndarray) -> bool:
    """True when every model reaches every other through a chain of wins (Hunter's existence condition)."""
    n = beats.shape[0]
    reach = beats | np.eye(n, dtype=bool)
    for _ in range(max(1, int(np.ceil(np.log2(n))))):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return bool(reach.all())


_BOOTSTRAP_CHUNK = 50  # resamples whose draw counts are held at once (50 x tasks floats)


def bootstrap_interval(
    outcomes: Outcomes,
    *,
    resamples: int = c.BOOTSTRAP_RESAMPLES,
    seed: int = c.BOOTSTRAP_SEED,
    prior: float = c.BT_PRIOR_WINS,
    confidence: float = c.CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each strength over `resamples` refits on tasks drawn with replacement."""
    if resamples <= 0 or outcomes.task.size == 0:
        return np.full(outcomes.n_models, np.nan), np.full(outcomes.n_models, np.nan)
    return percentile_interval(
        bootstrap_fits([outcomes], resamples=resamples, seed=seed, prior=prior)[0], confidence
    )


def percentile_interval(fits: np.ndarray, confidence: float = c.CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Each column's central `confidence` range over the rows (resamples)."""
    tail = (1 - confidence) / 2 * 100
    return np.percentile(fits, tail, axis=0), np.percentile(fits, 100 - tail, axis=0)


def bootstrap_fits(
    outcomes: Sequence[Outcomes],
    *,
    resamples: int = c.BOOTSTRAP_RESAMPLES,
    seed: int = c.BOOTSTRAP_SEED,
    prior: float = c.BT_PRIOR_WINS,
) -> list[np.ndarray]:
    """Every Outcomes refitted on the same `resamples` draws of tasks with replacement: one array
    (resamples x models) each. Task t must be the same task in each (analyze compare draws two runs'
    verdicts of one task together); one Outcomes draws as bootstrap_interval always has."""
    tasks = np.unique(np.concatenate([o.task for o in outcomes]))
    if resamples <= 0 or tasks.size == 0:
        return [np.full((0, o.n_models), np.nan) for o in outcomes]
    rng = np.random.default_rng(seed)
    n_tasks = int(tasks.max()) + 1
    per_task = [_per_task_wins(o, n_tasks) for o in outcomes]
    fits = [np.empty((resamples, o.n_models)) for o in outcomes]
    for start in range(0, resamples, _BOOTSTRAP_CHUNK):
        chunk = range(start, min(resamples, start + _BOOTSTRAP_CHUNK))
        counts = np.stack(
            [np.bincount(rng.choice(tasks, size=tasks.size, replace=True), minlength=n_tasks) for _ in chunk]
        ).astype(float)
        for o, wins_by_task, out in zip(outcomes, per_task, fits, strict=True):
            n = o.n_models
            for r, wins in zip(chunk, (counts @ wins_by_task).reshape(len(chunk), n, n), strict=True):
                out[r] = fit(wins, prior)
    return fits


def _per_task_wins(outcomes: Outcomes, n_tasks: int) -> np.ndarray:
    """Each task's (weighted) wins once, so a resample's win matrix is its draw counts times this."""
    n = outcomes.n_models
    per_task = np.zeros((n_tasks, n * n))
    weights = outcomes.pair_weights()
    np.add.at(
        per_task, (outcomes.task, outcomes.winner * n + outcomes.loser), 1.0 if weights is None else weights
    )
    return per_task
