"""What the GPP string costs per request, against one HMAC-SHA1 verification (what reading the signed
consent cookie costs at least): ratios and microseconds, measured in one run.

Run from the repository root::

    python -m benchmarks.bench_gpp [--rounds 31] [--number 500]

Cases, each for a decided visitor of the seed registry (34 vendors):

(a) deriving the GPP string for a Californian visitor (``derive_gpp``: the region's reading of the
    state, one usca section with its GPC subsection, the header);
(b) the same with a TC string carried as section 2 (a visitor from Germany);
(c) the ``__gpp`` data as a dict (``gpp_data``: decoding the string again for ``parsedSections``);
(d) the same as the page writes it (``gpp_signal_json``: JSON joined from the signal's own sections,
    the site's members and each US section's parsed form memoised).

Target: (a) at most 10x one HMAC-SHA1 verification of a cookie-sized token; (b) and (c) are reported.
Exits with status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import sys
from collections.abc import Sequence

from consent.gpp import derive_gpp, gpp_data
from consent.gpp.cmpapi import gpp_signal_json
from consent.loader import load_registry
from consent.state import ConsentState, Method

from ._timing import interleaved, median, micros, ratio
from .bench_codec import SEED_REGISTRY

DERIVE_TARGET = 10.0
# A TC string made by IAB's @iabgpp/cmpapi (tests/test_gpp_iab.py makes more).
TC_STRING = "CQdWToAQdWToAAKAAAENAAFgAKAAAAAAAAAAPoQAwAAgAFA-gAAAAAAA.IAAA.YAAAAAAAAAAA"


def run(*, rounds: int, number: int) -> list[tuple[str, str, str, bool | None]]:
    registry = load_registry(SEED_REGISTRY)
    rng = random.Random(5)
    state = ConsentState.undecided(registry).with_choices(
        {v.id: rng.random() < 0.5 for v in registry.optional_vendors()}, method=Method.OPT_OUT
    )
    key = b"benchmark-secret-key"
    token = rng.randbytes(90)  # about what the seed registry's cookie payload signs
    signature = hmac.new(key, token, hashlib.sha1).digest()
    signal = derive_gpp(registry, state, "US-CA", True)

    def verify() -> bool:
        return hmac.compare_digest(hmac.new(key, token, hashlib.sha1).digest(), signature)

    samples = interleaved(
        {
            "hmac": verify,
            "derive": lambda: derive_gpp(registry, state, "US-CA", True),
            "derive+tc": lambda: derive_gpp(registry, state, "DE", False, TC_STRING),
            "data": lambda: gpp_data(signal.gpp, signal.sids),
            "page data": lambda: gpp_signal_json(signal),
        },
        rounds=rounds,
        number=number,
    )
    derive = ratio(samples, "derive", "hmac")
    return [
        ("one HMAC-SHA1 verification", micros(median(samples, "hmac")), "baseline", None),
        ("(a) GPP string, US-CA visitor", micros(median(samples, "derive")), "", None),
        ("(a) ... / HMAC", f"{derive:.1f}x", f"<= {DERIVE_TARGET:.0f}x", derive <= DERIVE_TARGET),
        ("(b) GPP string with TC string", micros(median(samples, "derive+tc")), "", None),
        ("(b) ... / HMAC", f"{ratio(samples, 'derive+tc', 'hmac'):.1f}x", "", None),
        ("(c) __gpp page data", micros(median(samples, "data")), "", None),
        ("(c) ... / HMAC", f"{ratio(samples, 'data', 'hmac'):.1f}x", "", None),
        ("(d) __gpp page data as JSON", micros(median(samples, "page data")), "", None),
        ("(d) ... / HMAC", f"{ratio(samples, 'page data', 'hmac'):.1f}x", "", None),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_gpp", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds (median taken)")
    parser.add_argument("--number", type=int, default=500, help="calls per case per round")
    args = parser.parse_args(argv)
    rows = run(rounds=args.rounds, number=args.number)
    width = max(len(r[0]) for r in rows)
    print(f"GPP benchmark: {args.rounds} interleaved rounds of {args.number} calls, medians")
    for label, value, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"{label:<{width}}  {value:>10}  {target:>8}  {verdict}".rstrip())
    failed = [r for r in rows if r[3] is False]
    print(f"{'all targets met' if not failed else 'FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
