"""Impression counters: exact under threads, added across processes, kept while the database fails."""

from __future__ import annotations

import mmap
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select

from consent.insights import ImpressionCounter, configure_impressions, record_impression
from consent.insights import counters as counters_module
from consent.insights.schema import impressions, open_engine

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]
ROOT = Path(__file__).resolve().parents[1]


def stored(engine: Engine) -> dict[tuple[str, str, str, str], tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                impressions.c.region,
                impressions.c.locale,
                impressions.c.template,
                impressions.c.variant,
                impressions.c.shown,
                impressions.c.undecided,
            )
        ).all()
    return {(r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5])) for r in rows}


def test_record_counts_in_memory_until_flushed(insights_engine: Engine) -> None:
    counter = ImpressionCounter(insights_engine, interval=3600)
    counter.record("eu", "en", "article", "control", True)
    counter.record("eu", "en", "article", "control", False)
    counter.record("uk", "de", "home", None, True)

    assert stored(insights_engine) == {}
    assert sum(s for s, _ in counter.pending().values()) == 3
    assert counter.flush() is True
    assert counter.pending() == {}
    assert stored(insights_engine) == {
        ("eu", "en", "article", "control"): (2, 1),
        ("uk", "de", "home", ""): (1, 1),
    }
    counter.close()


def test_flushes_add_to_existing_rows(insights_engine: Engine) -> None:
    first = ImpressionCounter(insights_engine, interval=3600)
    second = ImpressionCounter(insights_engine, interval=3600)  # another process, in effect
    for _ in range(3):
        first.record("eu", "en", "article", "control", True)
    first.flush()
    for _ in range(4):
        second.record("eu", "en", "article", "control", False)
    second.flush()
    first.record("eu", "en", "article", "control", True)
    first.close()
    second.close()

    assert stored(insights_engine) == {("eu", "en", "article", "control"): (8, 4)}


def test_the_day_is_the_utc_day_of_the_impression(insights_engine: Engine) -> None:
    counter = ImpressionCounter(insights_engine, interval=3600)
    counter.record("eu", "en", "article", "control", True)
    counter.close()
    with insights_engine.connect() as conn:
        day = conn.scalar(select(impressions.c.day))
    assert day in {datetime.now(UTC).date(), date.fromordinal(datetime.now(UTC).date().toordinal() - 1)}


def test_long_values_are_cut_to_the_columns(insights_engine: Engine) -> None:
    counter = ImpressionCounter(insights_engine, interval=3600)
    counter.record("r" * 100, "l" * 100, "t" * 500, "v" * 200, True)
    counter.close()
    ((region, locale, template, variant),) = stored(insights_engine)
    assert (len(region), len(locale), len(template), len(variant)) == (32, 16, 100, 64)


def test_a_failing_database_keeps_counts_in_memory_and_a_later_flush_writes_them(
    insights_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    counter = ImpressionCounter(insights_engine, interval=3600)
    working = counter.engine
    counter.engine = create_engine("sqlite:////nonexistent/dir/db.sqlite3")
    counter.record("eu", "en", "article", "control", True)
    counter.record("eu", "en", "article", "control", True)

    assert counter.flush() is False  # never raises
    assert counter.flush() is False
    assert counter.pending() == {next(iter(counter.pending())): (2, 2)}
    assert "kept in memory" in caplog.text

    counter.record("eu", "en", "article", "control", False)
    counter.engine = working
    assert counter.flush() is True
    assert stored(insights_engine) == {("eu", "en", "article", "control"): (3, 2)}
    counter.close()


def test_memory_is_bounded_while_the_database_fails(tmp_path: Path) -> None:
    counter = ImpressionCounter(
        create_engine(f"sqlite:///{tmp_path}/missing/db.sqlite3"), interval=3600, max_keys=5
    )
    for n in range(8):
        counter.record("eu", "en", f"page-{n}", "control", True)
    counter.record("eu", "en", "page-0", "control", True)  # an existing key still counts

    assert len(counter.pending()) == 5
    assert counter.dropped == 3
    assert counter.flush() is False
    assert len(counter.pending()) == 5
    assert sum(s for s, _ in counter.pending().values()) == 6
    counter._closed = True  # nothing can be written; do not retry at exit


def test_interval_must_be_positive(insights_engine: Engine) -> None:
    with pytest.raises(ValueError, match="positive"):
        ImpressionCounter(insights_engine, interval=0)


def test_the_background_thread_flushes_every_interval(insights_engine: Engine) -> None:
    counter = ImpressionCounter(insights_engine, interval=0.1)
    counter.record("eu", "en", "article", "control", True)
    deadline = time.monotonic() + 10
    while not stored(insights_engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored(insights_engine) == {("eu", "en", "article", "control"): (1, 1)}
    counter.close()


def test_record_impression_uses_the_configured_counter(insights_engine: Engine) -> None:
    record_impression("eu", "en", "article", "control", True)  # none configured: nothing happens
    counter = configure_impressions(insights_engine, interval=3600)
    assert counter is not None
    record_impression("eu", "en", "article", "control", True)
    record_impression("eu", "en", "article", "control", False)
    configure_impressions(None)  # flushes the old one

    assert stored(insights_engine) == {("eu", "en", "article", "control"): (2, 1)}
    assert counters_module._default is None


THREADS = 8
IMPRESSIONS = 50_000
KEYS = [
    (region, locale, template, variant)
    for region in ("eu", "uk")
    for locale in ("en", "de")
    for template in ("article", "home")
    for variant in ("control", "plain")
]


def test_fifty_thousand_impressions_from_eight_threads_are_counted_exactly(insights_engine: Engine) -> None:
    counter = ImpressionCounter(insights_engine, interval=0.05)  # many flushes race the recording threads
    barrier = threading.Barrier(THREADS)
    expected: dict[tuple[str, str, str, str], list[int]] = {k: [0, 0] for k in KEYS}
    plans = []
    for t in range(THREADS):
        plan = [(KEYS[(t * 7 + n) % len(KEYS)], (t + n) % 3 != 0) for n in range(IMPRESSIONS // THREADS)]
        for key, undecided in plan:
            expected[key][0] += 1
            expected[key][1] += undecided
        plans.append(plan)

    def run(plan: list[tuple[tuple[str, str, str, str], bool]]) -> None:
        barrier.wait()
        for (region, locale, template, variant), undecided in plan:
            counter.record(region, locale, template, variant, undecided)

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.close()

    assert stored(insights_engine) == {k: (v[0], v[1]) for k, v in expected.items()}
    assert sum(v[0] for v in expected.values()) == IMPRESSIONS


CHILD = """
import mmap, os, struct, sys, time
sys.path.insert(0, {root!r})
from consent.insights import ImpressionCounter
from consent.insights.schema import open_engine
counter = ImpressionCounter(open_engine({url!r}, timeout=5.0), interval={interval})
shared = mmap.mmap(os.open({ticks!r}, os.O_RDWR), {size})
start = time.monotonic()
total = 0
while True:
    counter.record("eu", "en", "article", "control", True)
    total += 1
    slot = int((time.monotonic() - start) / {tick})
    shared[8 * slot: 8 * slot + 8] = struct.pack("q", total)
    time.sleep(0.0005)
"""
TICK = 0.05
SLOTS = 4000


def test_a_killed_process_loses_at_most_the_flush_interval(insights_url: str, tmp_path: Path) -> None:
    interval = 0.5
    ticks = tmp_path / "ticks"
    ticks.write_bytes(b"\0" * 8 * SLOTS)
    source = CHILD.format(
        root=str(ROOT), url=insights_url, interval=interval, ticks=str(ticks), size=8 * SLOTS, tick=TICK
    )
    engine = open_engine(insights_url)
    child = subprocess.Popen([sys.executable, "-c", source])
    try:
        deadline = time.monotonic() + 30
        while sum(s for s, _ in stored(engine).values()) == 0:  # a few flushes have happened
            assert child.poll() is None, "the child died"
            assert time.monotonic() < deadline, "nothing was flushed"
            time.sleep(0.1)
        time.sleep(interval * 3.3)
        started = time.monotonic()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    ((shown, _),) = stored(engine).values()
    engine.dispose()
    with open(ticks, "r+b") as handle:
        shared = mmap.mmap(handle.fileno(), 8 * SLOTS)
        totals = [struct.unpack_from("q", shared, 8 * n)[0] for n in range(SLOTS)]
        shared.close()
    last = max(n for n, total in enumerate(totals) if total)
    recorded = totals[last]
    # What the child had recorded one interval (and two ticks of slack for the write itself) before
    # it died must all be in the database.
    window = int(interval / TICK) + 2
    before_window = max(t for t in totals[: max(0, last - window)] or [0])
    assert shown <= recorded
    assert shown >= before_window, (shown, before_window, recorded)
    assert recorded - shown < recorded  # something was flushed; not everything was lost
    assert started  # the kill happened after several intervals


def test_fifty_thousand_page_views_through_a_flask_app_from_eight_threads(insights_engine: Engine) -> None:
    """The call as the Flask layer will make it: per rendered first layer, with the request's endpoint."""
    from flask import Flask, request

    counter = configure_impressions(insights_engine, interval=0.05)
    app = Flask(__name__)

    @app.get("/<region>/<page>")
    def article(region: str, page: str) -> str:
        undecided = "consent" not in request.cookies
        record_impression(region, "en", str(request.endpoint), "control", undecided)
        return f"<h1>{page}</h1>"

    @app.get("/")
    def home() -> str:
        record_impression("eu", "de", str(request.endpoint), "plain", True)
        return "home"

    views = IMPRESSIONS // THREADS
    barrier = threading.Barrier(THREADS)

    def visitor(t: int) -> None:
        client = app.test_client(use_cookies=False)  # the cookie goes as a plain header
        decided = {"Cookie": "consent=x"}
        barrier.wait()
        for n in range(views):
            if n % 5 == 0:
                assert client.get("/").status_code == 200
            else:
                region = "eu" if t % 2 else "uk"
                assert client.get(f"/{region}/p{n}", headers=decided if n % 4 == 0 else {}).status_code == 200

    threads = [threading.Thread(target=visitor, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    configure_impressions(None)
    assert counter is not None and counter.dropped == 0

    per_thread_home = len(range(0, views, 5))
    articles = [n for n in range(views) if n % 5]
    decided_views = sum(1 for n in articles if n % 4 == 0)
    half = THREADS // 2
    expected = {
        ("eu", "de", "home", "plain"): (THREADS * per_thread_home, THREADS * per_thread_home),
        ("eu", "en", "article", "control"): (half * len(articles), half * (len(articles) - decided_views)),
        ("uk", "en", "article", "control"): (half * len(articles), half * (len(articles) - decided_views)),
    }
    assert stored(insights_engine) == expected
    assert sum(s for s, _ in expected.values()) == IMPRESSIONS


EXIT_AND_FORK = """
import os, sys
sys.path.insert(0, {root!r})
from consent.insights import configure_impressions, record_impression
from consent.insights.schema import open_engine
configure_impressions(open_engine({url!r}, timeout=5.0), interval=3600)  # only exit flushes
for _ in range(5):
    record_impression("eu", "en", "article", "control", True)
pid = os.fork()
if pid == 0:  # a forked worker counts its own impressions, never the parent's again
    record_impression("uk", "en", "article", "control", False)
    configure_impressions(None)
    os._exit(0)
os.waitpid(pid, 0)
record_impression("eu", "en", "article", "control", False)
"""


def test_counts_are_flushed_at_exit_and_a_forked_worker_counts_only_its_own(insights_url: str) -> None:
    source = EXIT_AND_FORK.format(root=str(ROOT), url=insights_url)
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    engine = open_engine(insights_url)
    try:
        assert stored(engine) == {
            ("eu", "en", "article", "control"): (6, 5),
            ("uk", "en", "article", "control"): (1, 0),
        }
    finally:
        engine.dispose()
