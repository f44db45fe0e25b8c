"""Wilson intervals and the two-proportion test against values computed by hand (and R's prop.test)."""

from __future__ import annotations

import pytest

from consent.insights.significance import two_proportions, wilson


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (50, 100, 0.4038, 0.5962),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1000, 0.000177, 0.005643),
    ],
)
def test_wilson_interval(successes: int, trials: int, low: float, high: float) -> None:
    interval = wilson(successes, trials)
    assert interval.rate == pytest.approx(successes / trials)
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def test_wilson_without_trials_says_nothing() -> None:
    assert (wilson(0, 0).low, wilson(0, 0).high) == (0.0, 1.0)


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="11 successes out of 10"):
        wilson(11, 10)


@pytest.mark.parametrize(
    ("a", "n_a", "b", "n_b", "p", "significant"),
    [
        (120, 200, 100, 200, 0.0444, True),  # pooled 0.55, se 0.04975, z = 2.010
        (52, 100, 48, 100, 0.5716, False),
        (500, 1000, 500, 1000, 1.0, False),
    ],
)
def test_two_proportion_z_test(a: int, n_a: int, b: int, n_b: int, p: float, significant: bool) -> None:
    result = two_proportions(a, n_a, b, n_b)
    assert result.p == pytest.approx(p, abs=1e-3)
    assert result.significant is significant
    assert result.difference == pytest.approx(a / n_a - b / n_b)


def test_no_trials_or_no_variance_is_never_significant() -> None:
    assert not two_proportions(0, 0, 5, 10).significant
    assert not two_proportions(0, 10, 0, 10).significant
