"""Vendor presets and Microsoft consent signals: what they add to loading a registry and to a page.

Run with ``python -m benchmarks.bench_presets``. Targets are ratios of timings taken in the same run,
interleaved (see ``_timing``), never absolute times:

(a) loading the example registry written with presets / the same registry written out in full
    (both without translations)
    (expansion happens once per load, at start-up; the target keeps it a small part of validation);
(b) rendering the Microsoft UET + Clarity default / rendering the Google Consent Mode default
    (both are per-request work of the same kind: a few dictionary look-ups and a JSON dump).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks._timing import Verdicts, interleaved, median, micros, ratio
from consent.consent_mode import consent_mode_values, render_consent_mode_default
from consent.loader import load_registry, parse_registry
from consent.microsoft_consent import render_microsoft_consent_default
from consent.presets import catalogue
from consent.state import ConsentState

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT / "examples" / "reviews" / "vendors.toml"
SHORT = ROOT / "examples" / "reviews" / "vendors.presets.toml"
MICROSOFT = """
[[vendors]]
id = "bing-ads"
number = 35
preset = "microsoft-uet"
category = "marketing"
params = { tag_id = "26012345" }
[[vendors]]
id = "clarity"
number = 36
preset = "microsoft-clarity"
category = "statistics"
params = { project_id = "abcdefghij" }
"""
TARGETS = {"load": 1.5, "signals": 3.0}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_presets")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20)
    args = parser.parse_args(list(argv))
    catalogue()  # read once per process, like the loader does

    full_text, short_text = FULL.read_text("utf-8"), SHORT.read_text("utf-8")
    # The presets file leaves the translations out: compare with the full file without them too.
    full_text = full_text[: full_text.index("[translations.de]")]
    loads = interleaved(
        {
            "full": lambda: parse_registry(full_text, "toml"),
            "presets": lambda: parse_registry(short_text, "toml"),
        },
        rounds=args.rounds,
        number=max(1, args.number // 4),
    )
    registry = load_registry(FULL)
    with_microsoft = parse_registry(
        SHORT.read_text("utf-8").replace("# The EEA", MICROSOFT + "# The EEA"), "toml"
    )
    state = ConsentState.accept_all(with_microsoft)
    signals = interleaved(
        {
            "google": lambda: render_consent_mode_default(
                consent_mode_values(with_microsoft, state), nonce="n"
            ),
            "microsoft": lambda: render_microsoft_consent_default(with_microsoft, state, nonce="n"),
        },
        rounds=args.rounds,
        number=args.number * 10,
    )
    rows = [
        ("(a) load: presets registry / full registry", ratio(loads, "presets", "full"), TARGETS["load"]),
        (
            "(b) default: Microsoft UET+Clarity / Google Consent Mode",
            ratio(signals, "microsoft", "google"),
            TARGETS["signals"],
        ),
    ]
    verdict = Verdicts()
    for label, value, target in rows:
        print(f"{label}: {value:.2f}x (target <= {target}x) {verdict(value <= target)}")
    print(
        f"    full registry load {micros(median(loads, 'full'))}, {len(registry.vendors)} vendors; "
        f"presets load {micros(median(loads, 'presets'))}"
    )
    print("targets met" if not verdict.missed else "targets FAILED")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
