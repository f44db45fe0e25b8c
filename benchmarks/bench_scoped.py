"""Scripts limited to pages: rendering the example page's tags when half its scripts carry ``paths``.

Run with ``python -m benchmarks.bench_scoped``. The gate's table is compiled once per registry; a request
only matches its path against the scoped scripts' precompiled patterns. Target: the page's script tags
with every other vendor's scripts scoped (on a path that matches none of them, and on one that matches
all) cost at most 1.5 times the same page with no scope at all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks._timing import Verdicts, interleaved, ratio
from consent.gate import decide, render_scripts
from consent.loader import load_registry
from consent.registry import Registry
from consent.state import ConsentState

SEED = Path(__file__).resolve().parents[1] / "examples" / "reviews" / "vendors.toml"


def scoped(registry: Registry) -> Registry:
    """The registry with every other vendor's scripts limited to ``/checkout*`` and ``/account/*``."""
    data = registry.model_dump(mode="python")
    for i, vendor in enumerate(data["vendors"]):
        if i % 2 == 0:
            for script in vendor["scripts"]:
                script["paths"] = ("/checkout*", "/account/*")
    return Registry.model_validate(data)


def page(registry: Registry, path: str | None) -> Callable[[], object]:
    gate = decide(registry, ConsentState.accept_all(registry))

    def render() -> object:
        return render_scripts(gate, "head", "n0nce", path=path), render_scripts(
            gate, "body", "n0nce", path=path
        )

    return render


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scoped")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=500)
    args = parser.parse_args(argv)
    plain = load_registry(SEED)
    limited = scoped(plain)
    samples = interleaved(
        {
            "no scope": page(plain, "/movie-review-her"),
            "scoped, no match": page(limited, "/movie-review-her"),
            "scoped, all match": page(limited, "/checkout/pay"),
        },
        rounds=args.rounds,
        number=args.number,
    )
    verdict = Verdicts()
    for case in ("scoped, no match", "scoped, all match"):
        value = ratio(samples, case, "no scope")
        print(f"  script tags, {case} / no scope  {value:5.2f}x  (target <= 1.5x)  {verdict(value <= 1.5)}")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
