"""The ledger's tables (SQLAlchemy Core) and their versioned, idempotent creation and upgrade.

Only ``consent ledger init`` (:meth:`Ledger.init`) creates or upgrades the schema; a request never
does. ``consent_ledger_version`` holds one row per applied version, and every version's steps run in
one transaction under a lock, so running ``init`` twice, or from two machines at once, is harmless.

==================================  ================================================================
``consent_ledger_records``          one row per decision: ``seq`` (its place in the chain), the
                                    record id, a few columns for lookups, the canonical ``body``,
                                    ``prev_id`` / ``prev_mac`` (the link) and ``mac``
``consent_ledger_notices``          each distinct notice once, keyed by its SHA-256
``consent_ledger_chain``            one row: the chain's head (last seq, id, mac) and base (where it
                                    was last pruned back to), each with a MAC under the ledger key
``consent_ledger_identity``         one row: the ledger's id, a random name given at ``init``
                                    (version 2); spooled records and checkpoints carry it, so they
                                    are never taken for another ledger's
``consent_ledger_version``          applied schema versions
==================================  ================================================================
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)

from .errors import SchemaError
from .records import package_version

#: The schema version this package writes and reads.
SCHEMA_VERSION = 2

metadata = MetaData()
_Seq = BigInteger().with_variant(Integer(), "sqlite")

versions = Table(
    "consent_ledger_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime, nullable=False),
    Column("package_version", String(32), nullable=False),
)

records = Table(
    "consent_ledger_records",
    metadata,
    Column("seq", _Seq, primary_key=True, autoincrement=False),
    Column("record_id", String(32), nullable=False, unique=True),
    Column("consent_id", String(32), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("method", String(16), nullable=False),
    Column("notice", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_id", String(32), nullable=True),
    Column("prev_mac", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    Index("consent_ledger_records_consent", "consent_id", "recorded_at"),
    Index("consent_ledger_records_time", "recorded_at"),
)

notices = Table(
    "consent_ledger_notices",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

chain = Table(
    "consent_ledger_chain",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("head_seq", _Seq, nullable=False),
    Column("head_id", String(32), nullable=True),
    Column("head_mac", String(64), nullable=False),
    Column("head_tag", String(64), nullable=True),
    Column("base_seq", _Seq, nullable=False),
    Column("base_id", String(32), nullable=True),
    Column("base_mac", String(64), nullable=False),
    Column("base_tag", String(64), nullable=True),
)

identity = Table(
    "consent_ledger_identity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ledger_id", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

#: The one row of ``consent_ledger_chain`` (and of ``consent_ledger_identity``).
CHAIN_ROW = 1
#: ``pg_advisory_xact_lock`` key that serialises ``init`` on PostgreSQL (appends lock the chain row).
INIT_LOCK = 0x636F6E73  # "cons"


def utcnow() -> datetime:
    """Naive UTC, the form every ``DateTime`` column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def _version_1(conn: Connection) -> None:
    for table in (records, notices, chain):
        table.create(conn, checkfirst=True)
    if conn.execute(select(chain.c.id)).first() is None:
        conn.execute(
            insert(chain).values(
                id=CHAIN_ROW,
                head_seq=0,
                head_id=None,
                head_mac="",
                head_tag=None,
                base_seq=0,
                base_id=None,
                base_mac="",
                base_tag=None,
            )
        )


def new_ledger_id() -> str:
    """32 hex digits (128 random bits): a ledger's name, never reused."""
    return secrets.token_hex(16)


def _version_2(conn: Connection) -> None:
    identity.create(conn, checkfirst=True)
    if conn.execute(select(identity.c.id)).first() is None:
        conn.execute(insert(identity).values(id=CHAIN_ROW, ledger_id=new_ledger_id(), created_at=utcnow()))


#: Each version's steps, applied in order; a step must be safe on a database that half-has it.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _version_1, 2: _version_2}


def current_version(conn: Connection) -> int:
    """The highest applied schema version, 0 for a database without the ledger."""
    if not inspect(conn).has_table(versions.name):
        return 0
    value = conn.execute(select(func.max(versions.c.version))).scalar()
    return int(value or 0)


def upgrade(conn: Connection) -> tuple[int, int]:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's (write-locked) transaction.

    Returns ``(before, after)``; raises :class:`SchemaError` for a database newer than this package.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INIT_LOCK})
    versions.create(conn, checkfirst=True)
    before = current_version(conn)
    if before > SCHEMA_VERSION:
        raise SchemaError(
            f"the ledger schema is at version {before}, newer than this package's {SCHEMA_VERSION}: "
            "upgrade consent-gate"
        )
    for number in range(before + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[number](conn)
        conn.execute(
            insert(versions).values(version=number, applied_at=utcnow(), package_version=package_version())
        )
    return before, SCHEMA_VERSION


def read_ledger_id(conn: Connection) -> str:
    """The ledger's id (the schema must be current: see :func:`check_version`)."""
    value = conn.scalar(select(identity.c.ledger_id).where(identity.c.id == CHAIN_ROW))
    if value is None:
        raise SchemaError("the ledger has no identity: run 'consent ledger init'")
    return str(value)


def check_version(conn: Connection) -> None:
    """Raise :class:`SchemaError` unless the schema is exactly the version this package writes."""
    try:
        found = conn.execute(select(func.max(versions.c.version))).scalar()
    except Exception as exc:  # no such table: the schema was never created
        raise SchemaError("the ledger has no schema: run 'consent ledger init'") from exc
    if found != SCHEMA_VERSION:
        raise SchemaError(
            f"the ledger schema is at version {found}, this package needs {SCHEMA_VERSION}: "
            "run 'consent ledger init'"
        )


__all__ = [
    "CHAIN_ROW",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "chain",
    "check_version",
    "current_version",
    "identity",
    "metadata",
    "new_ledger_id",
    "notices",
    "read_ledger_id",
    "records",
    "upgrade",
    "versions",
]
