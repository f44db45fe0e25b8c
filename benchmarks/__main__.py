"""Every benchmark in one run: ``python -m benchmarks`` (what ``make bench`` calls).

Each prints its ratios against a baseline measured in the same run and PASS/FAIL per target; the exit
status is non-zero when any target fails.
"""

from __future__ import annotations

import sys

from benchmarks import (
    bench_adtech,
    bench_codec,
    bench_gpp,
    bench_i18n,
    bench_insights,
    bench_ledger,
    bench_pages,
    bench_presets,
    bench_scale,
    bench_scan,
    bench_scoped,
    bench_security,
    bench_tcf,
)


def main() -> int:
    failed = []
    for name, run in (
        ("cookie store", lambda: bench_codec.main([])),
        ("pages and widget", bench_pages.main),
        ("consent ledger", bench_ledger.main),
        ("presets and Microsoft consent", lambda: bench_presets.main([])),
        ("global privacy platform", lambda: bench_gpp.main([])),
        ("scale: 34, 1,000 and 4,000 vendors", bench_scale.main),
        ("scripts limited to pages", lambda: bench_scoped.main([])),
        ("IAB TCF strings", lambda: bench_tcf.main([])),
        ("visitor's language", lambda: bench_i18n.main([])),
        ("consent insights", lambda: bench_insights.main([])),
        ("consent scan", bench_scan.main),
        ("hardening", lambda: bench_security.main([])),
        ("article with IAB TCF and GPP on", lambda: bench_adtech.main([])),
    ):
        print(f"\n=== {name} ===", flush=True)
        if run() != 0:
            failed.append(name)
    print(f"\n{'all targets met' if not failed else 'targets missed in: ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
