import math

import pytest
from analyze.report.intervals import mean_ci, t_critical, wilson_interval


@pytest.mark.parametrize(
    ("df", "expected"),
    # Published two-sided 95% critical values of Student's t.
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (10, 2.228), (30, 2.042), (100, 1.984), (1000, 1.962)],
)
def test_t_critical_matches_tables(df: int, expected: float) -> None:
    assert t_critical(0.95, df) == pytest.approx(expected, abs=1e-3)


def test_t_critical_other_confidence() -> None:
    assert t_critical(0.99, 5) == pytest.approx(4.032, abs=1e-3)


def test_t_critical_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="df"):
        t_critical(0.95, 0)
    with pytest.raises(ValueError, match="confidence"):
        t_critical(1.5, 3)


def test_mean_ci_hand_computed() -> None:
    # mean 8, sample sd 2, se 2/sqrt(3), t(0.975, 2) = 4.3027
    mean, low, high = mean_ci([6.0, 8.0, 10.0])
    half = 4.302653 * 2 / math.sqrt(3)
    assert mean == 8.0
    assert low == pytest.approx(8.0 - half, rel=1e-5)
    assert high == pytest.approx(8.0 + half, rel=1e-5)


def test_mean_ci_single_value_has_no_interval() -> None:
    assert mean_ci([7.0]) == (7.0, None, None)


def test_mean_ci_no_values() -> None:
    mean, low, high = mean_ci([])
    assert math.isnan(mean) and low is None and high is None


def test_mean_ci_constant_values_zero_width() -> None:
    assert mean_ci([5.0, 5.0, 5.0]) == (5.0, 5.0, 5.0)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    # Wilson score bounds at 95% (z = 1.959964): centre (p + z²/2n) / (1 + z²/n), half-width
    # z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²); e.g. 8/10: centre 0.716740, half 0.226578.
    [
        (8, 10, 0.490162, 0.943318),
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (1, 2, 0.094531, 0.905469),
    ],
)
def test_wilson_interval_known_counts(successes: int, n: int, low: float, high: float) -> None:
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-6)


def test_wilson_interval_without_trials_and_bad_counts() -> None:
    assert wilson_interval(0, 0) == (None, None)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)
