"""Length-controlled Bradley-Terry ("style control", as Arena-Hard does): the same pairwise model with one
more term, so a model is not credited for the judge liking longer code.

    logit P(a beats b) = theta_a - theta_b + gamma * (len_a - len_b) / (len_a + len_b)

fitted by weighted logistic regression (Newton's method) on every within-task pair, with the plain fit's
weights (1/(N-1)) and its prior (`prior` pseudo-wins on each side of every model pair, at length
difference 0). With equal lengths the fit is exactly the plain Bradley-Terry fit; strengths exp(theta) are
normalised to a geometric mean of 1. gamma > 0: the judge prefers the longer candidate at equal models.
gamma has a weak Gaussian prior (penalty LC_LENGTH_RIDGE * gamma^2 / 2), so that a judge picking the longer
candidate every time gives a large, finite gamma rather than none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyze.report import constants as c
from analyze.report.bradley_terry import Outcomes


@dataclass(frozen=True)
class LengthControlled:
    strength: np.ndarray  # per model, geometric mean 1
    length_coefficient: float  # gamma: log-odds per unit of normalised length difference


def fit_length_controlled(outcomes: Outcomes, prior: float = c.BT_PRIOR_WINS) -> LengthControlled | None:
    """None when some pair's code length is unknown or there are no pairs."""
    if outcomes.length is None or outcomes.winner.size == 0:
        return None
    n = outcomes.n_models
    weights = outcomes.pair_weights()
    weights = np.ones(outcomes.winner.size) if weights is None else weights
    # Each observed pair is one row "winner beat loser" (y = 1); the prior adds both outcomes of every pair.
    rows_a, rows_b, lengths, ys, ws = [outcomes.winner], [outcomes.loser], [outcomes.length], [], [weights]
    ys.append(np.ones(outcomes.winner.size))
    if prior > 0:
        a, b = np.triu_indices(n, k=1)
        rows_a += [a, a]
        rows_b += [b, b]
        lengths += [np.zeros(a.size), np.zeros(a.size)]
        ys += [np.ones(a.size), np.zeros(a.size)]
        ws += [np.full(a.size, prior), np.full(a.size, prior)]
    first, second = np.concatenate(rows_a), np.concatenate(rows_b)
    design = np.zeros((first.size, n + 1))
    design[np.arange(first.size), first] += 1.0
    design[np.arange(first.size), second] -= 1.0
    design[:, n] = np.concatenate(lengths)
    y, w = np.concatenate(ys), np.concatenate(ws)
    beta = np.zeros(n + 1)
    for _ in range(c.LC_MAX_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (w * (y - p))
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design
        # a weak Gaussian prior on gamma keeps it finite when length alone separates the outcomes
        gradient[n] -= c.LC_LENGTH_RIDGE * beta[n]
        hessian[n, n] += c.LC_LENGTH_RIDGE
        # theta is defined up to a constant (the Hessian is singular there): the least-squares step
        # never moves along that direction, nor along gamma when every length difference is 0
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < c.BT_TOLERANCE:
            break
    theta = beta[:n] - beta[:n].mean()
    return LengthControlled(np.exp(theta), float(beta[n]))
