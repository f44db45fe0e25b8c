"""What consent insights cost (issue: consent insights): an impression on a page, and a report's queries.

Run with ``python -m benchmarks.bench_insights`` (``--records``/``--days`` for other sizes).

- Counting an impression (:meth:`ImpressionCounter.record`, a dict increment under a lock) against
  rendering a decided visitor's article page of the example site through its test client, interleaved
  in the same run: target at most 2 % of the page. The page with an impression counted is also timed
  against the page alone, for information (two page renders differ by more than 2 % from noise alone).
- A full report (:func:`build_report`, by day and by region, and the last 30 days) over 1,000,000 ledger
  records and 365 days of counters, on SQLite and on PostgreSQL (a throwaway server, as the tests
  start it): target under 2 seconds each. Generating the data (bulk inserts, COPY on PostgreSQL) and
  adding the records into the insights' daily counters (:func:`sync_decisions`, once; incremental
  afterwards) are timed and printed, not targets, with the number of counter rows a report reads.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks._timing import Verdicts, interleaved, median, ratio
from benchmarks.bench_pages import ARTICLE, consent_cookie
from benchmarks.insights_data import generate
from consent.insights import ImpressionCounter, build_report, create_insights_tables, sync_decisions
from consent.insights.schema import TABLES, open_engine
from consent.ledger import Ledger
from examples.reviews.app import create_app

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 30)
QUERY_TARGET = 2.0
RECORD_TARGET = 0.02


def impression_cost(workdir: Path, rounds: int, number: int) -> tuple[float, float]:
    """(record / page, page with record / page): medians of per-round ratios."""
    url = f"sqlite:///{workdir / 'counter.sqlite3'}"
    Ledger(url, timeout=None).init()
    engine = open_engine(url)
    create_insights_tables(engine)
    counter = ImpressionCounter(engine, interval=2.0)
    app = create_app({"TESTING": True})
    client = app.test_client(use_cookies=False)
    decided = consent_cookie(app, "reject_all")

    def page() -> object:
        return client.get(ARTICLE, headers=decided)

    def record() -> None:
        counter.record("eea-ch", "en", "article", "control", True)

    def page_and_record() -> object:
        record()
        return page()

    cases: dict[str, Callable[[], object]] = {
        "record_impression": record,
        "decided page": page,
        "decided page + impression": page_and_record,
    }
    samples = interleaved(cases, rounds=rounds, number=number)
    for name in samples:
        print(f"  {name:<30} {median(samples, name) * 1e6:10.2f} µs")
    counter.close()
    engine.dispose()
    return ratio(samples, "record_impression", "decided page"), ratio(
        samples, "decided page + impression", "decided page"
    )


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server (the tests' own helper), stopped and removed afterwards."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ledger_helpers import INSTALL_HINT, PgCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(INSTALL_HINT)
    cluster = PgCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster.url
    finally:
        cluster.destroy()


def query_times(url: str, records: int, days: int) -> dict[str, float]:
    Ledger(url, timeout=None).init()
    engine = open_engine(url)
    create_insights_tables(engine)
    started = time.perf_counter()
    generate(engine, records=records, days=days, end=END)
    print(
        f"    generated {records:,} records and {days} days of counters in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    folded = sync_decisions(engine)
    print(
        f"    added {folded:,} records into the daily counters in {time.perf_counter() - started:.1f} s (once)"
    )
    started = time.perf_counter()
    sync_decisions(engine)
    print(f"    a sync with nothing new: {time.perf_counter() - started:.3f} s")
    with engine.connect() as conn:
        sizes = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in TABLES[:3]}
    print("    counter rows a report reads: " + ", ".join(f"{n} {count:,}" for n, count in sizes.items()))
    times = {}
    for label, options in (
        ("report by day, all time", {"by": "day"}),
        ("report by region, all time", {"by": "region"}),
        ("report by variant, last 30 days", {"by": "variant", "since": END - timedelta(days=29)}),
    ):
        build_report(engine, **options)  # type: ignore[arg-type]  # warm the caches once
        best = []
        for _ in range(3):
            started = time.perf_counter()
            report = build_report(engine, **options)  # type: ignore[arg-type]
            best.append(time.perf_counter() - started)
        times[label] = sorted(best)[1]
        assert report.total.answers > 0
    engine.dispose()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_insights")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--number", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    verdict = Verdicts()

    def report(label: str, value: str, ok: bool, target: str) -> None:
        print(f"  {label:<58} {value:>10}  (target {target})  {verdict(ok)}")

    with tempfile.TemporaryDirectory(prefix="consent-bench-insights-") as tmp:
        workdir = Path(tmp)
        print("Counting an impression against a decided visitor's page (CPU time, interleaved rounds)")
        share, with_counter = impression_cost(workdir, args.rounds, args.number)
        report(
            "record_impression / decided page render",
            f"{100 * share:.3f} %",
            share <= RECORD_TARGET,
            "<= 2 %",
        )
        print(f"  {'decided page + impression / decided page (information)':<58} {with_counter:9.3f}x")

        print(f"Reports over {args.records:,} ledger records and {args.days} days of counters (median of 3)")
        for backend in args.backends.split(","):
            print(f"  {backend}:")
            if backend == "sqlite":
                times = query_times(f"sqlite:///{workdir / 'report.sqlite3'}", args.records, args.days)
            else:
                with postgres() as url:
                    times = query_times(url, args.records, args.days)
            for label, seconds in times.items():
                report(
                    f"{backend}: {label}", f"{seconds:.3f} s", seconds < QUERY_TARGET, f"< {QUERY_TARGET} s"
                )
    print("all targets met" if not verdict.missed else f"{verdict.missed} target(s) FAILED")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
