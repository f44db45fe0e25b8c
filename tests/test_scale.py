"""Cost grows linearly with the registry: loading 4,000 vendors costs at most 6 times loading 1,000.

Ratios measured in one run (best of three each), never absolute times. Loading used to be quadratic
(the JSON line locator counted newlines from the start of the file for every key) and so did the
audit's shared-host check (every pair of host patterns).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import best_of, load_times  # noqa: E402
from benchmarks.scale import WRITERS, registry_data  # noqa: E402
from consent.audit import audit  # noqa: E402
from consent.loader import parse_registry  # noqa: E402


@pytest.fixture(scope="module")
def loads() -> dict[tuple[str, int], float]:
    return load_times((1000, 4000))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_loading_grows_linearly(loads: dict[tuple[str, int], float], fmt: str) -> None:
    assert loads[(fmt, 4000)] / loads[(fmt, 1000)] <= 6


@pytest.mark.slow
def test_the_audit_grows_linearly() -> None:
    small, big = (parse_registry(WRITERS["json"](registry_data(n)), "json") for n in (1000, 4000))
    assert best_of(lambda: audit(big)) / best_of(lambda: audit(small)) <= 6


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_a_generated_registry_loads_in_every_format(fmt: str) -> None:
    registry = parse_registry(WRITERS[fmt](registry_data(50)), fmt, f"scale.{fmt}")
    assert len(registry.vendors) == 50
    assert registry.vendor("vendor-50").scripts[0].src == "https://cdn.vendor-50.example/tag.js"
