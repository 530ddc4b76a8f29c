import numpy as np
import pytest
from analyze.report.bradley_terry import Outcomes, bootstrap_interval, fit


def two_models(a_wins: int, b_wins: int) -> np.ndarray:
    return np.array([[0.0, a_wins], [b_wins, 0.0]])


def test_three_of_four_without_prior_gives_ratio_three() -> None:
    strength = fit(two_models(3, 1), prior=0.0)
    assert strength[0] / strength[1] == pytest.approx(3.0, rel=1e-8)


def test_prior_shrinks_ratio_towards_one() -> None:
    # prior pseudo-wins on each side: ratio (3 + 0.5) / (1 + 0.5)
    strength = fit(two_models(3, 1), prior=0.5)
    assert strength[0] / strength[1] == pytest.approx(3.5 / 1.5, rel=1e-8)


def test_undefeated_model_stays_finite_with_prior() -> None:
    strength = fit(two_models(4, 0), prior=0.5)
    assert strength[0] / strength[1] == pytest.approx(4.5 / 0.5, rel=1e-8)


def test_undefeated_model_without_prior_is_refused() -> None:
    with pytest.raises(ValueError, match="strongly connected"):
        fit(two_models(4, 0), prior=0.0)


def test_strengths_have_geometric_mean_one() -> None:
    wins = np.array([[0, 5, 7], [3, 0, 6], [1, 2, 0]], dtype=float)
    strength = fit(wins)
    assert np.exp(np.log(strength).mean()) == pytest.approx(1.0)
    assert strength[0] > strength[1] > strength[2]


def test_fit_satisfies_likelihood_equations() -> None:
    # At the maximum each model's wins equal its expected wins (prior included).
    wins = np.array([[0, 5, 7], [3, 0, 6], [1, 2, 0]], dtype=float)
    prior = 0.5
    strength = fit(wins, prior)
    padded = wins + prior * (1 - np.eye(3))
    games = padded + padded.T
    expected = (games * strength[:, None] / (strength[:, None] + strength[None, :])).sum(axis=1)
    np.testing.assert_allclose(expected, padded.sum(axis=1), rtol=1e-7)


def test_no_models() -> None:
    assert fit(np.zeros((0, 0))).size == 0


def outcomes_three_tasks() -> Outcomes:
    # task 0: A beats B twice; task 1: B beats A; task 2: A beats B
    return Outcomes(
        task=np.array([0, 0, 1, 2]), winner=np.array([0, 0, 1, 0]), loser=np.array([1, 1, 0, 1]), n_models=2
    )


def test_win_matrix_with_task_weights() -> None:
    outcomes = outcomes_three_tasks()
    np.testing.assert_array_equal(outcomes.win_matrix(), [[0, 3], [1, 0]])
    np.testing.assert_array_equal(outcomes.win_matrix(np.array([2.0, 0.0, 1.0])), [[0, 5], [0, 0]])


def test_bootstrap_is_seeded_and_brackets_the_fit() -> None:
    outcomes = outcomes_three_tasks()
    low, high = bootstrap_interval(outcomes, resamples=100, seed=7)
    again_low, again_high = bootstrap_interval(outcomes, resamples=100, seed=7)
    np.testing.assert_array_equal(low, again_low)
    np.testing.assert_array_equal(high, again_high)
    point = fit(outcomes.win_matrix())
    assert np.all(low <= point) and np.all(point <= high)
    assert low[0] < high[0]


def test_bootstrap_without_resamples_has_no_interval() -> None:
    low, high = bootstrap_interval(outcomes_three_tasks(), resamples=0)
    assert np.isnan(low).all() and np.isnan(high).all()
