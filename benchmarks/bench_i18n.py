"""What reading a visitor's language costs, as ratios: hostile headers must cost what normal ones do.

Run from the repository root::

    python -m benchmarks.bench_i18n [--rounds 31] [--number 2000]

Targets, measured in one run on the same machine, never absolute times:

(a) ``preferred_languages`` on a 100 KB ``Accept-Language`` header costs at most 1.5x the same header
    cut at the bound (256 characters): it reads a bounded prefix, never the whole header;
(b) the same for 10,000 one-letter entries against 16 (the entry bound);
(c) negotiating the usual header's tags over all 36 UI locales costs at most 3x negotiating one tag
    that matches the first locale (the chains are cached; the ratio guards against per-call CLDR work).

Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from consent.i18n import UI_LOCALES, negotiate, preferred_languages

from ._timing import Verdicts, interleaved, median, micros, ratio

USUAL = "de-DE,de;q=0.9,en;q=0.8"
HUGE = ("de-DE,de;q=0.9,en;q=0.8," * 5000)[:100_000]
MANY = ",".join(["x"] * 10_000)
BOUNDED = HUGE[:256]
FEW = ",".join(["x"] * 16)
TARGETS = {"a": 1.5, "b": 1.5, "c": 3.0}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args(list(argv))
    usual_tags = preferred_languages(USUAL)
    samples = interleaved(
        {
            "usual": lambda: preferred_languages(USUAL),
            "huge": lambda: preferred_languages(HUGE),
            "bounded": lambda: preferred_languages(BOUNDED),
            "many": lambda: preferred_languages(MANY),
            "few": lambda: preferred_languages(FEW),
            "negotiate usual": lambda: negotiate(usual_tags, UI_LOCALES, "en"),
            "negotiate first": lambda: negotiate(["en"], UI_LOCALES, "en"),
        },
        rounds=args.rounds,
        number=args.number,
    )
    rows = [
        ("(a) 100 KB header / 256-character header", ratio(samples, "huge", "bounded"), TARGETS["a"]),
        ("(b) 10,000 entries / 16 entries", ratio(samples, "many", "few"), TARGETS["b"]),
        (
            "(c) negotiate usual tags / one matching tag",
            ratio(samples, "negotiate usual", "negotiate first"),
            TARGETS["c"],
        ),
    ]
    for name in ("usual", "huge"):
        print(f"  {name} header: {micros(median(samples, name))} per parse")
    verdict = Verdicts()
    for label, value, target in rows:
        print(f"{label:<50} {value:6.2f}x (target <= {target}x)  {verdict(value <= target)}")
    print("FAILED" if verdict.missed else "all targets met")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
