"""``consent scan`` speed on the example site (issue: its 3 pages in every state in under 60 s).

Run with ``python -m benchmarks.bench_scan``. The example site and the fake third parties of the
scanner's tests run on loopback; the scan is the real one (Debian's Chromium, every state, the default
politeness: 2 contexts at once, 0.25 s between page loads). Besides the absolute target the issue sets,
it reports the scan as a ratio of its visits done one after another, each timed alone in the same run:
how much the parallel, polite crawl gains over the simplest loop.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from consent.loader import load_registry
from consent.scan import ScanOptions, analyse, attribution_chain, scan_site
from consent.scan.report import speed_line

ROOT = Path(__file__).resolve().parents[1]
for tree in (ROOT, ROOT / "tests"):  # the fixtures live in the test tree, and import its helpers by name
    if str(tree) not in sys.path:
        sys.path.insert(0, str(tree))

from tests.browser.support import REGISTRY, serve_example  # noqa: E402
from tests.scan.fakes import serve_fake_hosts  # noqa: E402

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    pages = int((argv or ["3"])[0]) if argv else 3
    registry = load_registry(REGISTRY)
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_fake_hosts(Path(folder)) as fakes,
        serve_example() as site,
    ):
        host_map = fakes.host_map()
        run = scan_site(site.url + "/", ScanOptions(pages=pages, host_map=host_map))
        report = analyse(run, registry, attribution_chain(registry))
        # The baseline: one visit of the first page before any choice, alone, in the same run.
        started = time.monotonic()
        scan_site(site.url + "/", ScanOptions(pages=1, host_map=host_map, categories=()))
        one = (time.monotonic() - started) / 3  # that scan visited before, reject and accept
    print(f"consent scan of the example site ({pages} pages)")
    print(f"  {speed_line(report)}")
    print(f"  findings: {', '.join(f'{f.code} {f.subject}' for f in report.findings) or 'none'}")
    ratio = run.duration / (one * len(run.visits))
    print(f"  scan / its {len(run.visits)} visits one by one ({one:.2f} s each): {ratio:.2f}x")
    ok = run.duration < TARGET_SECONDS
    print(
        f"  {'duration':<62} {run.duration:6.1f} s  (target < {TARGET_SECONDS:.0f} s)  {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
