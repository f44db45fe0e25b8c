"""Fixtures for the ledger tests: the PostgreSQL cluster, a ledger URL per backend, ledgers and apps.

Test modules load them with ``pytest_plugins = ["ledger_fixtures"]`` and import helpers (the key,
``same_state``...) from :mod:`ledger_helpers`. Missing PostgreSQL binaries fail the tests that need the
server, with a message saying how to install them: never a skip.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_helpers import example_app
from ledger_helpers import INSTALL_HINT, KEY, PgCluster, close_ledger, find_bindir

from consent.ledger import Ledger
from consent.ledger.store import DEFAULT_TIMEOUT


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL server (the fault tests stop and restart it)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT + (" [CI is set]" if os.environ.get("CI") else ""), pytrace=False)
    cluster = PgCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def ledger_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger_url(ledger_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of the test's backend (no schema yet)."""
    if ledger_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    cluster.ensure_running()
    for attempt in range(50):  # just restarted by a fault test: give it a moment
        try:
            cluster.reset()
            break
        except Exception:
            if attempt == 49:
                raise
            time.sleep(0.1)
    return cluster.url


@pytest.fixture
def make_ledger(ledger_url: str, tmp_path: Path) -> Iterator[Any]:
    """``make_ledger(init=True, **kwargs)``: a :class:`Ledger` on the test's database, closed afterwards."""
    made: list[Ledger] = []

    def make(*, init: bool = True, url: str | None = None, **kwargs: Any) -> Ledger:
        kwargs.setdefault("spool", tmp_path / "spool")
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        ledger = Ledger(url or ledger_url, kwargs.pop("key", KEY), **kwargs)
        made.append(ledger)
        if init:
            ledger.init()
        return ledger

    yield make
    for ledger in made:
        ledger.close()


@pytest.fixture
def ledger_app(ledger_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The example site with its ledger on the test's database (schema created, as `make example` does)."""
    Ledger(ledger_url, timeout=None).init()
    app = example_app(
        CONSENT_LEDGER_URL=ledger_url, CONSENT_LEDGER_KEY=KEY, CONSENT_LEDGER_SPOOL=str(tmp_path / "spool")
    )
    yield app
    close_ledger(app)
