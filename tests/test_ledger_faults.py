"""Faults: the database stopped or locked mid-run, and writers killed with SIGKILL. Nothing is lost,
nothing is stored twice, and no visitor's decision fails or waits on the database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_helpers import ORIGIN, PAGE, consent_from, example_app
from ledger_helpers import KEY, PgCluster, app_ledger, close_ledger
from sqlalchemy import func, select

from consent.ledger import Ledger, Spool
from consent.ledger import schema as tables

ROOT = Path(__file__).resolve().parents[1]
FORMS = [
    {"action": "accept_all", "layer": "first"},
    {"action": "reject_all", "layer": "first"},
    {"action": "custom", "layer": "second", "category": "statistics"},
]
#: Upper bound for any phase of a fault test: a visitor blocked on the database would hit it.
PHASE_LIMIT = 60.0

pytest_plugins = ["ledger_fixtures"]


class Visitors:
    """Threads that keep posting decisions, each from a new visitor, until told to stop."""

    def __init__(self, app: Flask, threads: int = 3) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.done = 0
        self.consent_ids: list[str] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(n,)) for n in range(threads)]

    def _work(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            client = self.app.test_client()
            response = client.post(
                "/consent/", data=FORMS[(n + i) % len(FORMS)] | {"next": PAGE}, headers=ORIGIN
            )
            state = consent_from(response, self.app)
            with self.lock:
                if response.status_code != 303 or state is None or not state.consent_id:
                    self.failures.append(f"{response.status}: {response.get_data(as_text=True)[:200]}")
                else:
                    self.consent_ids.append(state.consent_id)
                self.done += 1
            i += 1

    def __enter__(self) -> Visitors:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def wait_for(self, more: int) -> None:
        """Until ``more`` further decisions have been answered (each one proves no visitor is stuck)."""
        target = self.done + more
        deadline = time.monotonic() + PHASE_LIMIT
        while self.done < target:
            assert time.monotonic() < deadline, (
                f"visitors are stuck: {self.done} of {target} decisions answered"
            )
            time.sleep(0.01)


@pytest.fixture
def spool_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    written: list[str] = []
    original = Spool.append

    def append(self: Spool, record: Any, notice: Any = None) -> None:
        original(self, record, notice)
        written.append(record.record_id)

    monkeypatch.setattr(Spool, "append", append)
    yield written


def fault_app(url: str, tmp_path: Path) -> Flask:
    Ledger(url, timeout=None).init()
    return example_app(
        CONSENT_LEDGER_URL=url,
        CONSENT_LEDGER_KEY=KEY,
        CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"),
        CONSENT_LEDGER_TIMEOUT=0.25,
    )


def assert_every_record_once(ledger: Ledger, consent_ids: list[str]) -> None:
    ledger.replay()
    assert ledger.spool is not None and not ledger.spool.pending()
    with ledger.engine.connect() as conn:
        count, distinct = conn.execute(
            select(func.count(), func.count(func.distinct(tables.records.c.record_id)))
        ).one()
        stored_ids = sorted(conn.scalars(select(tables.records.c.consent_id)))
    assert count == distinct == len(consent_ids)
    assert stored_ids == sorted(consent_ids)  # each visitor decided once: one record each
    verification = ledger.verify()
    assert verification.ok, verification.problems[:5]


# -- PostgreSQL stopped mid-run ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_stopped_mid_run_loses_and_fails_nothing(
    pg_cluster: PgCluster,
    tmp_path: Path,
    spool_writes: list[str],
) -> None:
    pg_cluster.ensure_running()
    pg_cluster.reset()
    app = fault_app(pg_cluster.url, tmp_path)
    try:
        with Visitors(app) as visitors:
            visitors.wait_for(100)
            pg_cluster.stop()
            visitors.wait_for(150)  # the server is down: every decision still answered
            down = len(spool_writes)
            pg_cluster.start()
            visitors.wait_for(300)  # back up: the spool replays while visitors keep deciding
        assert visitors.failures == []
        assert down > 0  # the fault did happen mid-run
        assert_every_record_once(app_ledger(app), visitors.consent_ids)
    finally:
        pg_cluster.ensure_running()
        close_ledger(app)


# -- SQLite locked by another writer ----------------------------------------------------------------------

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
print("released", flush=True)
"""


@contextlib.contextmanager
def locked_database(database: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``BEGIN EXCLUSIVE`` on ``database`` (a newline on its stdin releases it)."""
    with subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as locker:
        try:
            assert locker.stdout is not None
            assert locker.stdout.readline() == "locked\n"
            yield locker
        finally:
            if locker.poll() is None:
                locker.kill()


def test_sqlite_locked_by_another_writer_loses_and_fails_nothing(
    tmp_path: Path, spool_writes: list[str]
) -> None:
    database = tmp_path / "ledger.sqlite3"
    app = fault_app(f"sqlite:///{database}", tmp_path)
    try:
        with Visitors(app) as visitors:
            visitors.wait_for(100)
            with locked_database(database) as locker:
                before = len(spool_writes)
                visitors.wait_for(150)  # answered while the database is still locked
                locked = len(spool_writes) - before
                assert locker.stdin is not None and locker.stdout is not None
                locker.stdin.write("\n")
                locker.stdin.flush()
                assert locker.stdout.readline() == "released\n"
            visitors.wait_for(300)
        assert visitors.failures == []
        assert locked > 0
        assert_every_record_once(app_ledger(app), visitors.consent_ids)
    finally:
        close_ledger(app)


def test_a_decision_never_waits_for_a_lock_to_be_released(tmp_path: Path) -> None:
    """The lock is released only after the decision is answered: had it waited, it would never end."""
    database = tmp_path / "ledger.sqlite3"
    app = fault_app(f"sqlite:///{database}", tmp_path)
    try:
        with locked_database(database) as locker:
            answer: list[Any] = []
            worker = threading.Thread(
                target=lambda: answer.append(app.test_client().post("/consent/", data={"action": "accept_all"},
                                                                    headers=ORIGIN))
            )  # fmt: skip
            worker.start()
            worker.join(PHASE_LIMIT)
            assert answer and answer[0].status_code == 303, "the decision waited for the database lock"
            assert locker.poll() is None  # still holding the lock
            assert list(Spool(tmp_path / "spool").records())
    finally:
        close_ledger(app)


# -- SIGKILL -------------------------------------------------------------------------------------------

WRITER = """
import sys
sys.path.insert(0, {root!r})
from consent.ledger import Ledger
from consent.loader import load_registry
from consent.state import ConsentState

registry = load_registry({registry!r})
ledger = Ledger(sys.argv[1], {key!r}, spool=sys.argv[2], timeout=0.25, retry_after=0.2)
i = 0
while True:
    state = (ConsentState.accept_all if i % 2 else ConsentState.reject_all)(registry)
    receipt = ledger.record_decision(state, control="x", layer="first", locale="en")
    print(receipt.record.record_id, receipt.stored_in, flush=True)  # acknowledged
    i += 1
"""


def kill_writer_midway(url: str, spool: Path, acknowledged: int) -> list[str]:
    """Run a writer process, SIGKILL it after ``acknowledged`` records; return every id it acknowledged."""
    script = WRITER.format(root=str(ROOT), registry=str(ROOT / "examples/reviews/vendors.toml"), key=KEY)
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", script, url, str(spool)], stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None
        try:
            deadline = time.monotonic() + PHASE_LIMIT
            while len(lines) < acknowledged and time.monotonic() < deadline:
                line = writer.stdout.readline()
                if not line:
                    break
                lines.append(line)
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            lines += writer.stdout.readlines()  # acknowledged before the kill, still in the pipe
            writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert len(lines) >= acknowledged, "the writer did not get going"
    return [line.split()[0] for line in lines if line.endswith("\n")]


@pytest.mark.parametrize("schema_first", [True, False], ids=["into-database", "into-spool"])
def test_a_writer_killed_with_sigkill_loses_no_acknowledged_record(
    ledger_url: str,
    tmp_path: Path,
    schema_first: bool,
) -> None:
    ledger = Ledger(ledger_url, KEY, spool=tmp_path / "spool", timeout=None)
    try:
        if schema_first:
            ledger.init()

        acknowledged = kill_writer_midway(ledger_url, tmp_path / "spool", 300)

        if not schema_first:
            assert ledger.spool is not None and ledger.spool.pending()
            ledger.init()
        ledger.replay()
        stored = {r.record_id for r in ledger.export()}
        assert set(acknowledged) <= stored
        assert ledger.count() == len(stored)  # nothing twice
        assert ledger.verify().ok
    finally:
        ledger.close()


def test_a_replay_killed_midway_is_simply_run_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    acknowledged = kill_writer_midway(url, tmp_path / "spool", 1500)  # no schema yet: all spooled
    ledger = Ledger(url, KEY, spool=tmp_path / "spool", timeout=None)
    try:
        ledger.init()
        with subprocess.Popen(
            [sys.executable, "-m", "consent.cli", "ledger", "replay", "--url", url, "--spool", str(tmp_path / "spool")],
            env=os.environ | {"CONSENT_LEDGER_KEY": KEY}, cwd=ROOT, stdout=subprocess.DEVNULL,
        ) as replay:  # fmt: skip
            wait_until(lambda: ledger.count() > 0 or replay.poll() is not None)
            replay.send_signal(signal.SIGKILL)
        assert replay.returncode == -signal.SIGKILL
        assert 0 < ledger.count() < len(acknowledged)  # killed halfway through

        ledger.replay()

        stored = {r.record_id for r in ledger.export()}
        assert set(acknowledged) <= stored
        assert ledger.count() == len(stored)
        assert ledger.spool is not None and not ledger.spool.pending()
        assert ledger.verify().ok
    finally:
        ledger.close()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PHASE_LIMIT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


@pytest.mark.postgres
def test_a_decision_never_waits_for_a_postgresql_lock(pg_cluster: PgCluster, tmp_path: Path) -> None:
    import psycopg

    pg_cluster.ensure_running()
    pg_cluster.reset()
    app = fault_app(pg_cluster.url, tmp_path)
    try:
        with psycopg.connect(pg_cluster.url) as holder:  # a transaction that keeps the chain locked
            holder.execute("LOCK TABLE consent_ledger_chain IN ACCESS EXCLUSIVE MODE")
            responses = [
                app.test_client().post("/consent/", data={"action": "accept_all"}, headers=ORIGIN)
                for _ in range(3)
            ]
            states = [consent_from(r, app) for r in responses]
            assert [r.status_code for r in responses] == [303, 303, 303]
            assert holder.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS  # still locked
            holder.rollback()
        assert all(s is not None and s.consent_id for s in states)
        assert_every_record_once(app_ledger(app), [s.consent_id for s in states if s and s.consent_id])
    finally:
        close_ledger(app)
