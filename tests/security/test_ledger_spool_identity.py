"""Issue 13.5 / 12: spooled records go to their own ledger, never to the one the site points at next.

The attack: records spooled while database A was down were replayed into database B once the site
switched URLs; a replay into A interrupted midway, then a replay into B, left the records in both (each
ledger passing ``verify``). Each ledger now has an id (``consent ledger init``), every spooled line
names it, and a replay writes only its own ledger's records: the rest are held, loudly, until their
own ledger replays them or an operator moves them on purpose (``replay --into-other-ledger``).
Both backends; on PostgreSQL, A and B are two databases of the test server.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from ledger_helpers import KEY, LEDGER_TABLES
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from consent.cli import main
from consent.ledger import Ledger, LedgerError, Record, Spool, build_record
from consent.ledger import schema as tables
from consent.ledger.engine import make_engine
from consent.ledger.spool import HELD
from consent.registry import Registry
from consent.state import ConsentState

pytest_plugins = ["ledger_fixtures"]

Capsys = pytest.CaptureFixture[str]
# The site's CONSENT_LEDGER_TIMEOUT: long enough for a loaded test machine. After the first timeout of
# the outage, every decision goes straight to the spool (RETRY_AFTER), as it would on a site.
SITE_TIMEOUT = 2.0
RETRY_AFTER = 600.0


@pytest.fixture
def urls(ledger_backend: str, ledger_url: str, tmp_path: Path) -> tuple[str, str]:
    """Two empty databases of the test's backend: A (the site's first) and B (the one it moves to)."""
    if ledger_backend == "sqlite":
        return ledger_url, f"sqlite:///{tmp_path / 'ledger-b.sqlite3'}"
    url_b = make_url(ledger_url).set(database="consent_b").render_as_string(hide_password=False)
    with psycopg.connect(ledger_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'consent_b'").fetchone() is None:
            conn.execute("CREATE DATABASE consent_b")
    with psycopg.connect(url_b, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {', '.join(LEDGER_TABLES)} CASCADE")  # type: ignore[arg-type]
    return ledger_url, url_b


@pytest.fixture(autouse=True)
def ledger_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENT_LEDGER_KEY", KEY)
    monkeypatch.delenv("CONSENT_LEDGER_URL", raising=False)


@pytest.fixture
def ledgers(urls: tuple[str, str]) -> Iterator[Callable[..., Ledger]]:
    """``ledgers(url, spool=..., **kwargs)``: a ledger as the site or an operator opens one, closed afterwards."""
    made: list[Ledger] = []

    def make(url: str, **kwargs: Any) -> Ledger:
        ledger = Ledger(url, kwargs.pop("key", KEY), **kwargs)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        ledger.close()


@contextlib.contextmanager
def database_locked(url: str) -> Iterator[None]:
    """Another writer holds the ledger's write lock: to the site, its database is down."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database or "", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    with psycopg.connect(url) as pg:
        pg.execute("SELECT * FROM consent_ledger_chain FOR UPDATE")
        try:
            yield
        finally:
            pg.rollback()


def decide(ledger: Ledger, registry: Registry) -> tuple[Record, str]:
    receipt = ledger.record_decision(
        ConsentState.accept_all(registry), control="a", layer="first", locale="en"
    )
    return receipt.record, receipt.stored_in


def spool_during_outage(site: Ledger, url: str, registry: Registry, count: int) -> list[str]:
    """``count`` decisions made while the site's database (at ``url``) is locked: every one spooled."""
    spooled = []
    with database_locked(url):
        for _ in range(count):
            record, stored_in = decide(site, registry)
            assert stored_in == "spool"
            spooled.append(record.record_id)
        site.close()  # the site stops (or moves) before the database is back
    return spooled


def site_on_a_goes_down(
    url_a: str, ledgers: Callable[..., Ledger], registry: Registry, spool: Path, count: int
) -> tuple[Ledger, Record, list[str]]:
    """The site on A stores a decision (it meets its database), then A is down for ``count`` more."""
    site_a = ledgers(url_a, spool=spool, timeout=SITE_TIMEOUT, retry_after=RETRY_AFTER)
    first, stored_in = decide(site_a, registry)
    assert stored_in == "database"
    return site_a, first, spool_during_outage(site_a, url_a, registry, count)


def ids_in(url: str) -> list[str]:
    with Ledger(url, KEY, timeout=None) as ledger:
        return [record.record_id for record in ledger.export()]


def verified(url: str) -> bool:
    with Ledger(url, KEY, timeout=None) as ledger:
        return ledger.verify().ok


def init(url: str) -> str:
    with Ledger(url, KEY, timeout=None) as ledger:
        ledger.init()
        return ledger.ledger_id()


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


# -- identity -----------------------------------------------------------------------------------------


def test_init_gives_each_ledger_its_own_lasting_id(urls: tuple[str, str], capsys: Capsys) -> None:
    url_a, url_b = urls
    assert main(["ledger", "init", "--url", url_a]) == 0
    first = capsys.readouterr().out
    id_a = init(url_a)  # init again: the id stays

    assert f"ledger id {id_a}" in first
    assert len(id_a) == 32 and int(id_a, 16) >= 0
    assert init(url_b) != id_a


def test_a_version_1_ledger_is_upgraded_to_an_identity_and_keeps_its_records(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path
) -> None:
    url_a, _ = urls
    old = ledgers(url_a, spool=tmp_path / "spool")
    engine = make_engine(url_a, timeout=None, create=True)
    with engine.begin() as conn:  # a database as version 1 left it
        tables.versions.create(conn)
        tables.MIGRATIONS[1](conn)
        conn.execute(
            tables.versions.insert().values(version=1, applied_at=tables.utcnow(), package_version="0")
        )
    engine.dispose()
    assert old.schema_version() == 1
    _, stored_in = decide(old, registry)
    assert stored_in == "spool"  # a request never upgrades the schema

    assert old.init() == (1, tables.SCHEMA_VERSION)
    assert old.replay().read == 1  # spooled before anyone knew the id: it was tagged with the URL
    assert len(old.ledger_id()) == 32
    assert len(ids_in(url_a)) == 1


# -- the attack: records spooled for A, replayed into B -------------------------------------------------


def test_records_spooled_for_a_are_held_not_replayed_when_the_site_moves_to_b(
    urls: tuple[str, str],
    registry: Registry,
    ledgers: Callable[..., Ledger],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: Capsys,
) -> None:
    url_a, url_b = urls
    id_a, id_b = init(url_a), init(url_b)
    spool = tmp_path / "spool"
    site_a, first, spooled = site_on_a_goes_down(url_a, ledgers, registry, spool, 30)

    site_b = ledgers(url_b, spool=spool, timeout=None)  # the site now points at B, with the same spool
    with caplog.at_level(logging.ERROR, logger="consent.ledger"):
        own, stored_in = decide(site_b, registry)
        assert stored_in == "database"
        # B's writer goes through the spool after its own write, and says what it refused.
        wait_for(lambda: any("spooled records belong to" in r.getMessage() for r in caplog.records))
    assert not Spool(spool).pending()

    assert ids_in(url_b) == [own.record_id]  # not one of A's records
    held = list((spool / HELD).glob("*.jsonl"))
    assert [path.name for path in held] == [f"{id_a}.jsonl"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert f"30 spooled records belong to ledger {id_a}" in logged
    assert f"not to this ledger {id_b}" in logged
    assert "--into-other-ledger" in logged and f"consent ledger replay --url '{site_a.owner_url}'" in logged

    # Where they belong, they go in (and B still has none of them).
    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool)]) == 0
    assert "replayed 30 spooled records" in capsys.readouterr().out
    assert ids_in(url_a) == [first.record_id, *spooled]
    assert ids_in(url_b) == [own.record_id]
    assert not list((spool / HELD).glob("*.jsonl"))
    assert verified(url_a) and verified(url_b)


def test_an_interrupted_replay_into_a_then_a_replay_into_b_leaves_every_record_in_a_only(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path, capsys: Capsys
) -> None:
    url_a, url_b = urls
    id_a, id_b = init(url_a), init(url_b)
    spool = tmp_path / "spool"
    _, first, spooled = site_on_a_goes_down(url_a, ledgers, registry, spool, 300)

    # The replay into A dies after its first chunk (200 records) is committed.
    replayer = ledgers(url_a, spool=spool, timeout=None)
    append_batch, chunks = replayer._append_batch, []

    def dies_on_the_second_chunk(batch: Any) -> None:
        chunks.append(len(batch))
        if len(chunks) == 2:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        append_batch(batch)

    replayer._append_batch = dies_on_the_second_chunk  # type: ignore[method-assign]
    with pytest.raises(OperationalError):
        replayer.replay()
    assert len(ids_in(url_a)) == 1 + 200

    # Then someone replays the same spool into B: refused, loudly, nothing written.
    assert main(["ledger", "replay", "--url", url_b, "--spool", str(spool)]) == 1
    out, err = capsys.readouterr()
    assert "replayed 0 spooled records" in out
    assert f"300 spooled records belong to ledger {id_a}" in err
    assert f"not to this ledger {id_b}" in err
    assert "--into-other-ledger" in err
    assert ids_in(url_b) == []

    # The replay into A, run again, completes: every record once, in A only.
    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool)]) == 0
    assert ids_in(url_a) == [first.record_id, *spooled]
    assert ids_in(url_b) == []
    assert verified(url_a) and verified(url_b)
    assert not Spool(spool).pending() and not Spool(spool).held()


def test_moving_records_into_another_ledger_is_a_deliberate_command(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path, capsys: Capsys
) -> None:
    url_a, url_b = urls
    init(url_a), init(url_b)
    spool = tmp_path / "spool"
    _, _, spooled = site_on_a_goes_down(url_a, ledgers, registry, spool, 5)
    assert main(["ledger", "replay", "--url", url_b, "--spool", str(spool)]) == 1  # held first
    capsys.readouterr()

    assert main(["ledger", "replay", "--url", url_b, "--spool", str(spool), "--into-other-ledger"]) == 0

    assert "replayed 5 spooled records" in capsys.readouterr().out
    assert ids_in(url_b) == spooled
    assert not Spool(spool).held()
    assert verified(url_b)


def test_records_spooled_before_the_site_ever_met_its_database_are_tied_to_its_url(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path, capsys: Capsys
) -> None:
    url_a, url_b = urls
    spool = tmp_path / "spool"
    site_a = ledgers(url_a, spool=spool)  # deployed before 'consent ledger init' ran: the id is unknown
    spooled = [decide(site_a, registry) for _ in range(3)]
    assert {stored_in for _, stored_in in spooled} == {"spool"}
    site_a.close()
    init(url_a), init(url_b)

    assert main(["ledger", "replay", "--url", url_b, "--spool", str(spool)]) == 1
    assert f"belong to ledger (id not known when spooled) at {site_a.owner_url}" in capsys.readouterr().err
    assert ids_in(url_b) == []
    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool)]) == 0
    assert ids_in(url_a) == [record.record_id for record, _ in spooled]


def test_records_spooled_without_an_owner_by_an_older_version_wait_for_a_decision(
    urls: tuple[str, str], registry: Registry, tmp_path: Path, capsys: Capsys
) -> None:
    url_a, _ = urls
    init(url_a)
    spool = tmp_path / "spool"
    legacy = Spool(spool)  # not bound to a ledger: bare lines, as before ledgers had ids
    records = [decide_offline(registry) for _ in range(2)]
    for record in records:
        legacy.append(record)

    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool)]) == 1
    assert "spooled by an older consent-gate" in capsys.readouterr().err
    assert ids_in(url_a) == []
    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool), "--into-other-ledger"]) == 0
    assert ids_in(url_a) == [r.record_id for r in records]


def decide_offline(registry: Registry) -> Record:
    return build_record(
        ConsentState.accept_all(registry), notice="0" * 64, control="a", layer="first", locale="en"
    )


def test_a_configured_ledger_id_refuses_another_database_and_spools_for_its_own(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path
) -> None:
    url_a, url_b = urls
    id_a, id_b = init(url_a), init(url_b)
    spool = tmp_path / "spool"
    site = ledgers(url_b, spool=spool, ledger_id=id_a)  # configured for A, pointed at B by mistake

    _, stored_in = decide(site, registry)

    assert stored_in == "spool"
    assert ids_in(url_b) == []
    with pytest.raises(LedgerError, match=f"is ledger {id_b}, not ledger {id_a} as configured"):
        site.ledger_id()
    lines = [line for line in (spool / "records.jsonl").read_bytes().splitlines() if line]
    assert all(f'"ledger_id":"{id_a}"'.encode() in line for line in lines)
    assert main(["ledger", "replay", "--url", url_a, "--spool", str(spool)]) == 0
    assert len(ids_in(url_a)) == 1


def test_history_shows_only_this_ledgers_spooled_records(
    urls: tuple[str, str], registry: Registry, ledgers: Callable[..., Ledger], tmp_path: Path
) -> None:
    url_a, url_b = urls
    init(url_a), init(url_b)
    spool = tmp_path / "spool"
    waiting = site_on_a_goes_down(url_a, ledgers, registry, spool, 1)[2][0]
    consent_id = next(r for r in Spool(spool).records() if r.record_id == waiting).consent_id

    assert ledgers(url_a, spool=spool).get(waiting) is not None
    assert ledgers(url_b, spool=spool).get(waiting) is None
    assert ledgers(url_b, spool=spool).history(consent_id) == []
    assert Spool(spool).pending()
