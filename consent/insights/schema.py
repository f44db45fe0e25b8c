"""The insights' own tables (SQLAlchemy Core), in the ledger's database, beside the ledger's tables.

Every table is a set of counters per (UTC day, region, locale, wording variant [, ...]): nothing about a
person, no consent id, no IP address, no cookie value, no page path.

==================================  ================================================================
``consent_insights_impressions``    per day, region, locale, page template and variant: how often
                                    the first layer was shown, and how often to an undecided visitor
                                    (:mod:`consent.insights.counters` adds to it)
``consent_insights_answers``        per day, region, locale and variant: the ledger's decisions that
                                    answered a first layer, by method, with GPC, and per time-to-decide
                                    bucket (:mod:`consent.insights.decisions` adds to it)
``consent_insights_purposes``       per day, region, locale, variant and category: answers that were
                                    asked about the category, and that granted it
``consent_insights_cursor``         the last ledger ``seq`` added into the two tables above
==================================  ================================================================

Counters are added with ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` (:func:`add_counts`),
so any number of processes add to the same rows. Every key starts with the day, so the primary key
serves the reports' day ranges; a year of a busy site is tens of thousands of rows, whatever the number
of decisions. The ledger's own tables are only read. :func:`create_insights_tables` is idempotent;
``consent ledger init`` is where a site calls it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, Engine, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()
_Big = BigInteger().with_variant(Integer(), "sqlite")

#: Column widths; longer values are cut to fit (they come from the site's configuration, not visitors).
REGION_LENGTH = 32
LOCALE_LENGTH = 16
TEMPLATE_LENGTH = 100
VARIANT_LENGTH = 64
CATEGORY_LENGTH = 64

#: The time-to-decide buckets: column name and upper bound in seconds (inclusive; ``None`` is open).
TIMING = (("timed_5s", 5), ("timed_15s", 15), ("timed_60s", 60), ("timed_5min", 300), ("timed_longer", None))


def _dimensions() -> list[Column[Any]]:
    return [
        Column("day", Date, primary_key=True),
        Column("region", String(REGION_LENGTH), primary_key=True),
        Column("locale", String(LOCALE_LENGTH), primary_key=True),
        Column("variant", String(VARIANT_LENGTH), primary_key=True),
    ]


impressions = Table(
    "consent_insights_impressions",
    metadata,
    *_dimensions(),
    Column("template", String(TEMPLATE_LENGTH), primary_key=True),
    Column("shown", _Big, nullable=False),
    Column("undecided", _Big, nullable=False),
)

answers = Table(
    "consent_insights_answers",
    metadata,
    *_dimensions(),
    Column("accept_all", _Big, nullable=False),
    Column("reject_all", _Big, nullable=False),
    Column("custom", _Big, nullable=False),
    Column("other_answers", _Big, nullable=False),
    Column("gpc", _Big, nullable=False),
    *(Column(name, _Big, nullable=False) for name, _ in TIMING),
)

purposes = Table(
    "consent_insights_purposes",
    metadata,
    *_dimensions(),
    Column("category", String(CATEGORY_LENGTH), primary_key=True),
    Column("asked", _Big, nullable=False),
    Column("granted", _Big, nullable=False),
)

cursor = Table(
    "consent_insights_cursor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", _Big, nullable=False),
)

#: The one row of ``consent_insights_cursor``.
CURSOR_ROW = 1

TABLES = (impressions, answers, purposes, cursor)


def add_counts(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Add ``rows`` to ``table``'s counters: insert new keys, add the counts to existing ones."""
    batch = list(rows)
    if not batch:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    counters = [c for c in table.columns if not c.primary_key]
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={c.name: c + statement.excluded[c.name] for c in counters},
        ),
        batch,
    )


def open_engine(url: str, *, timeout: float | None = None) -> Engine:
    """An engine on the ledger's database (``sqlite:///file`` or ``postgresql://...``), as the ledger makes it."""
    from ..ledger.engine import make_engine

    return make_engine(url, timeout=timeout)


def create_insights_tables(engine: Engine) -> None:
    """Create the insights' tables that are missing, and the cursor's row (safe to run any number of times)."""
    with engine.connect() as conn:
        conn.execution_options(ledger_write=True)
        with conn.begin():
            metadata.create_all(conn, checkfirst=True)
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(cursor).values(id=CURSOR_ROW, seq=0).on_conflict_do_nothing())


__all__ = [
    "CURSOR_ROW",
    "TABLES",
    "TIMING",
    "add_counts",
    "answers",
    "create_insights_tables",
    "cursor",
    "impressions",
    "metadata",
    "open_engine",
    "purposes",
]
