"""The ledger's database connections: which URLs it takes, and engines with its timeouts and locking.

SQLite (a file, WAL, ``BEGIN IMMEDIATE`` for writers) or PostgreSQL through psycopg 3 (lock, statement
and connect timeouts from the ledger's ``timeout``). Times are stored as naive UTC.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from .errors import LedgerError


def normalize_url(url: str | URL) -> URL:
    """The SQLAlchemy URL for ``url``: ``sqlite:///file`` or ``postgresql://...`` (driver psycopg 3)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise LedgerError(f"not a database URL: {url!s}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            raise LedgerError(
                "a SQLite ledger needs a file: sqlite:///relative/path or sqlite:////absolute/path"
            )
        unknown = set(parsed.query) - {"synchronous"}
        if unknown:
            raise LedgerError(f"unknown SQLite ledger option {sorted(unknown)[0]!r} (only 'synchronous')")
        if _sqlite_sync(parsed) not in SQLITE_SYNC:
            raise LedgerError("synchronous is 'normal' or 'full'")
        return parsed
    raise LedgerError(f"the ledger runs on SQLite or PostgreSQL, not {backend!r}")


#: SQLite's ``synchronous`` settings the ledger accepts, from its URL: ``sqlite:///file?synchronous=full``.
#: ``normal`` (the default, and the usual setting for WAL): a commit survives the process being killed,
#: but the last commits may be lost if the machine loses power. ``full``: every commit is fsynced.
SQLITE_SYNC = ("normal", "full")


def _sqlite_sync(url: URL) -> str:
    value = url.query.get("synchronous", "normal")
    return (value if isinstance(value, str) else value[-1]).lower()


def make_engine(url: str | URL, *, timeout: float | None, create: bool = False) -> Engine:
    """An engine with the ledger's timeouts; no connection is made until one is needed.

    ``timeout`` bounds lock waits (SQLite busy timeout; PostgreSQL ``lock_timeout``) and, on PostgreSQL,
    statements (4x) and connecting (``connect_timeout``, at least libpq's 2 seconds). ``None`` means
    maintenance: long waits are fine. A SQLite file is only created when ``create`` is true.
    """
    parsed = normalize_url(url)
    pool_timeout = timeout if timeout is not None else 30.0
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").expanduser().absolute()
        busy = timeout if timeout is not None else 30.0
        sync = _sqlite_sync(parsed).upper()

        def connect() -> sqlite3.Connection:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            target = f"file:{quote(str(path))}" + ("" if create else "?mode=rw")
            conn = sqlite3.connect(
                target, uri=True, timeout=busy, isolation_level=None, check_same_thread=False
            )
            if create:  # only `init` creates: WAL lets readers (history, export) run beside the writer
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={sync}")
            return conn

        engine = create_engine(
            "sqlite+pysqlite://",
            creator=connect,
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=4,
            pool_timeout=pool_timeout,
        )

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the write lock up front, so two appends never both read the same chain head.
            write = conn.get_execution_options().get("ledger_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if timeout is not None:
        millis = max(1, int(timeout * 1000))
        connect_args = {
            "connect_timeout": max(2, math.ceil(timeout)),
            "options": f"-c lock_timeout={millis} -c statement_timeout={4 * millis}",
        }
    try:
        return create_engine(
            parsed,
            connect_args=connect_args,
            pool_size=4,
            max_overflow=4,
            pool_timeout=pool_timeout,
            pool_recycle=3600,
        )
    except ModuleNotFoundError as exc:
        raise LedgerError(f"PostgreSQL needs psycopg 3: pip install 'consent-gate[ledger]' ({exc})") from exc


def naive_utc(value: datetime) -> datetime:
    """``value`` (timezone-aware) as the naive UTC time the ledger's columns hold."""
    if value.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return value.astimezone(UTC).replace(tzinfo=None)


def aware_utc(value: datetime) -> datetime:
    """``value`` in UTC (a naive time is taken to be UTC already, as the columns give it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


__all__ = ["SQLITE_SYNC", "aware_utc", "make_engine", "naive_utc", "normalize_url"]
