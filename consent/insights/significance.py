"""Confidence intervals and a significance test for rates (pure functions, standard library only).

Each variant's rate gets a Wilson score interval (good for small counts and rates near 0 or 1, where
the normal approximation fails); two variants are compared with a two-sided two-proportion z-test
with a pooled standard error. A difference counts as significant only when ``p < alpha``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: z for a two-sided 95 % interval.
Z_95 = 1.959963984540054
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Interval:
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two rates compared: their difference, the test's z and p, and the verdict at ``alpha``."""

    difference: float
    z: float
    p: float
    significant: bool


def wilson(successes: int, trials: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``successes / trials`` (``(0, 0, 1)`` without trials)."""
    if trials <= 0:
        return Interval(0.0, 0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def two_proportions(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, alpha: float = ALPHA
) -> Comparison:
    """Two-sided pooled z-test of ``a`` against ``b``; without trials on a side nothing is significant."""
    if trials_a <= 0 or trials_b <= 0:
        return Comparison(0.0, 0.0, 1.0, False)
    pa, pb = successes_a / trials_a, successes_b / trials_b
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        return Comparison(pa - pb, 0.0, 1.0, False)
    z = (pa - pb) / se
    p = math.erfc(abs(z) / math.sqrt(2))
    return Comparison(pa - pb, z, p, p < alpha)


__all__ = ["ALPHA", "Comparison", "Interval", "two_proportions", "wilson"]
