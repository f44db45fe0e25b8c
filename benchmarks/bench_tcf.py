"""How much a TC string costs per request, beside one HMAC-SHA1 verification of the same run.

Run from the repository root::

    python -m benchmarks.bench_tcf [--rounds 31] [--number 300]

Measures, for a registry of 1,000 IAB vendors and a visitor's mixed choices:

(a) encoding the TC string (core + Disclosed Vendors, the latter precomputed per registry), the
    issue's target: under 50 us on this machine, and reported as a ratio to (h);
(b) encoding without the per-registry table (Disclosed Vendors encoded again), for comparison;
(c) the whole derivation from the stored state (the visitor's vendor masks renumbered to GVL ids
    through per-registry byte tables) plus encoding, through the TC model (``tc_string_for``);
(d) what a page needs per request (``tcf_signal``): the TC string, TCData as JSON and the AC string,
    joined from the per-registry ``SignalTable`` (nothing of a visitor is kept between requests);
(h) the baseline: one HMAC-SHA1 verification (``hmac.digest`` of a 100-byte value and a constant-time
    comparison), which every request already pays to read the consent cookie.

The 50 us target is the issue's own absolute figure; everything else is a ratio. Exits with status 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import hmac
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from consent.registry import Registry
from consent.state import ConsentState, Method
from consent.tcf.derive import CmpSettings, tc_model_for, tc_string_for, tcf_table
from consent.tcf.signal import tcf_signal
from consent.tcf.tcstring import encode_tc_string

from ._timing import interleaved, median, micros, ratio

VENDORS = 1000
ENCODE_TARGET_SECONDS = 50e-6
#: Generous: encoding a 1,000-vendor string may cost this many HMAC verifications (it is ~10 on the
#: development machine); the absolute target above is the issue's.
RATIO_TARGET = 40.0
CMP = CmpSettings(cmp_id=300, cmp_version=4)


def tcf_registry(vendor_count: int = VENDORS) -> Registry:
    """Vendors spread over three optional categories, every one an IAB vendor (ids up to ~1,500)."""
    categories: list[dict[str, Any]] = [
        {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
        {"id": "statistics", "title": "Statistics", "order": 1},
        {"id": "marketing", "title": "Marketing", "order": 2},
        {"id": "personalisation", "title": "Personalisation", "order": 3},
    ]
    rng = random.Random(7)
    tcf_ids = sorted(rng.sample(range(1, 1500), vendor_count))
    vendors = [
        {
            "id": f"vendor-{n}",
            "number": n,
            "name": f"Vendor {n}",
            "category": ("statistics", "marketing", "personalisation")[n % 3],
            "policy_url": f"https://vendor-{n}.example.com/privacy",
            "tcf_id": tcf_id,
            "tcf": {"purposes": [1, 2, 3, 4, 7], "legitimate_interest_purposes": [7, 8, 9] if n % 2 else []},
        }
        for n, tcf_id in enumerate(tcf_ids, start=1)
    ]
    return Registry.model_validate(
        {
            "name": "TCF benchmark",
            "categories": categories,
            "vendors": vendors,
            "tcf": {"vendor_list_version": 140},
        }
    )


def mixed_state(registry: Registry, seed: int = 0) -> ConsentState:
    rng = random.Random(seed)
    return ConsentState.undecided(registry).with_choices(
        {v.id: rng.random() < 0.6 for v in registry.vendors},
        {c.id: True for c in registry.categories if not c.required},
        method=Method.CUSTOM,
        now=datetime(2026, 5, 4, tzinfo=UTC),
    )


def run(*, rounds: int, number: int) -> list[tuple[str, str, str, bool]]:
    registry = tcf_registry()
    state = mixed_state(registry)
    table = tcf_table(registry)
    model = tc_model_for(registry, state, CMP)
    assert model is not None and len(model.vendor_consents) > 400
    key = b"k" * 32
    value = b"v" * 100
    expected = hmac.digest(key, value, "sha1")

    samples = interleaved(
        {
            "encode": lambda: encode_tc_string(model, disclosed_segment=table.disclosed_segment),
            "encode, no table": lambda: encode_tc_string(model),
            "derive + encode": lambda: tc_string_for(registry, state, CMP),
            "signal": lambda: tcf_signal(registry, state, CMP),
            "hmac": lambda: hmac.compare_digest(hmac.digest(key, value, "sha1"), expected),
        },
        rounds=rounds,
        number=number,
    )
    encode = median(samples, "encode")
    encode_ratio = ratio(samples, "encode", "hmac")
    return [
        (
            f"(a) encode {VENDORS} vendors ({micros(encode)}; HMAC {micros(median(samples, 'hmac'))})",
            micros(encode),
            f"< {ENCODE_TARGET_SECONDS * 1e6:.0f} us",
            encode < ENCODE_TARGET_SECONDS,
        ),
        (
            "(a) encode / one HMAC-SHA1 verification",
            f"{encode_ratio:.1f}x",
            f"<= {RATIO_TARGET:.0f}x",
            encode_ratio <= RATIO_TARGET,
        ),
        (
            f"(b) encode without the per-registry table ({micros(median(samples, 'encode, no table'))})",
            f"{ratio(samples, 'encode, no table', 'hmac'):.1f}x",
            "info",
            True,
        ),
        (
            f"(c) derive from the stored state + encode ({micros(median(samples, 'derive + encode'))})",
            f"{ratio(samples, 'derive + encode', 'hmac'):.1f}x",
            "info",
            True,
        ),
        (
            f"(d) the page's signal: TC string + TCData + AC ({micros(median(samples, 'signal'))})",
            f"{ratio(samples, 'signal', 'hmac'):.1f}x",
            "info",
            True,
        ),
    ]


def report(rows: Sequence[tuple[str, str, str, bool]], *, rounds: int, number: int) -> str:
    width = max(len(r[0]) for r in rows)
    lines = [
        f"TCF benchmark: {rounds} interleaved rounds of {number} calls, ratios are medians of per-round ratios",
        f"{'measure':<{width}}  {'value':>10}  {'target':>9}  result",
    ]
    lines += [
        f"{label:<{width}}  {value:>10}  {target:>9}  {'PASS' if ok else 'FAIL'}"
        for label, value, target, ok in rows
    ]
    failed = [r for r in rows if not r[3]]
    lines.append(f"{len(rows) - len(failed)} of {len(rows)} targets met" + (": FAILED" if failed else ""))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_tcf", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds (median taken)")
    parser.add_argument("--number", type=int, default=300, help="calls per case per round")
    args = parser.parse_args(argv)
    rows = run(rounds=args.rounds, number=args.number)
    print(report(rows, rounds=args.rounds, number=args.number))
    return 1 if any(not r[3] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
