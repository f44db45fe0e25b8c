"""Timing helpers shared by the benchmarks: interleaved rounds and paired ratios, never absolute targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from time import process_time

Samples = dict[str, list[float]]


def interleaved(cases: Mapping[str, Callable[[], object]], *, rounds: int, number: int) -> Samples:
    """Seconds per call of each case, one sample per round.

    Every round times ``number`` calls of each case in turn (the order rotates from round to round), so
    a burst of load on a noisy machine hits neighbouring samples alike instead of skewing one case. The
    clock is this process's CPU time: time spent waiting while other programs run does not count.
    """
    names = list(cases)
    samples: Samples = {name: [] for name in names}
    for case in cases.values():  # warm caches and lazy imports outside the measurement
        case()
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            call = cases[name]
            start = process_time()
            for _ in range(number):
                call()
            samples[name].append((process_time() - start) / number)
    return samples


def median(samples: Samples, name: str) -> float:
    return statistics.median(samples[name])


def ratio(samples: Samples, numerator: str, denominator: str) -> float:
    """The median over rounds of the ratio between two cases timed side by side in that round."""
    pairs = zip(samples[numerator], samples[denominator], strict=True)
    return statistics.median(a / b for a, b in pairs)


class Verdicts:
    """Counts the targets a benchmark misses: ``verdict(ok)`` is the word that ends a target's line."""

    def __init__(self) -> None:
        self.missed = 0

    def __call__(self, ok: bool) -> str:
        self.missed += not ok
        return "PASS" if ok else "FAIL"

    @property
    def status(self) -> int:
        """The benchmark's exit status: 1 when any target was missed."""
        return 1 if self.missed else 0


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us"
