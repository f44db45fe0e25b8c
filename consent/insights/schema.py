"""The insights' own tables (SQLAlchemy Core), in the ledger's database, beside the ledger's tables.

They never hold anything about a person: no consent id, no IP address, no cookie value.

==================================  ================================================================
``consent_insights_impressions``    counters per (day, region, locale, page template, variant): how
                                    often the first layer was shown, and how often to an undecided
                                    visitor; added to by :mod:`consent.insights.counters`
``consent_insights_decisions``      one row per ledger record, reduced to what the rates need (day,
                                    region, locale, variant, method, GPC, time to decide, the answered
                                    and granted categories as bit masks) and keyed by the record's
                                    ``seq``; filled by :mod:`consent.insights.decisions`, so a report
                                    aggregates indexed columns instead of parsing a million JSON bodies
``consent_insights_categories``     the bit each category id has in those masks
``consent_insights_cursor``         the last ledger ``seq`` folded into the decisions table
==================================  ================================================================

The ledger's own tables are only read. :func:`create_insights_tables` is idempotent; ``consent ledger
init`` is where a site calls it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()
_Big = BigInteger().with_variant(Integer(), "sqlite")

#: Column widths; longer values are cut to fit (they come from the site's configuration, not visitors).
REGION_LENGTH = 32
LOCALE_LENGTH = 16
TEMPLATE_LENGTH = 100
VARIANT_LENGTH = 64
#: Categories a bit mask can hold (a signed 64-bit integer, the sign bit unused).
MAX_CATEGORIES = 63

impressions = Table(
    "consent_insights_impressions",
    metadata,
    Column("day", Date, primary_key=True),
    Column("region", String(REGION_LENGTH), primary_key=True),
    Column("locale", String(LOCALE_LENGTH), primary_key=True),
    Column("template", String(TEMPLATE_LENGTH), primary_key=True),
    Column("variant", String(VARIANT_LENGTH), primary_key=True),
    Column("shown", _Big, nullable=False),
    Column("undecided", _Big, nullable=False),
)

decisions = Table(
    "consent_insights_decisions",
    metadata,
    Column("seq", _Big, primary_key=True, autoincrement=False),
    Column("day", Date, nullable=False),
    Column("region", String(REGION_LENGTH), nullable=False),
    Column("locale", String(LOCALE_LENGTH), nullable=False),
    Column("variant", String(VARIANT_LENGTH), nullable=False),
    Column("method", String(16), nullable=False),
    Column("gpc", SmallInteger, nullable=False),
    Column("seconds", Integer, nullable=True),
    Column("asked", BigInteger, nullable=False),
    Column("granted", BigInteger, nullable=False),
    # Every report filters on a day range, groups by the dimensions and sums the rest: an index on all
    # of it in that order lets the scan read the index alone, already grouped (about a quarter faster
    # on SQLite over a million rows than the table with a plain day index).
    Index(
        "consent_insights_decisions_report",
        "day",
        "region",
        "locale",
        "variant",
        "method",
        "gpc",
        "seconds",
        "asked",
        "granted",
    ),
)

categories = Table(
    "consent_insights_categories",
    metadata,
    Column("bit", Integer, primary_key=True, autoincrement=False),
    Column("category", String(64), nullable=False, unique=True),
)

cursor = Table(
    "consent_insights_cursor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", _Big, nullable=False),
)

#: The one row of ``consent_insights_cursor``.
CURSOR_ROW = 1

TABLES = (impressions, decisions, categories, cursor)


def open_engine(url: str, *, timeout: float | None = None) -> Engine:
    """An engine on the ledger's database (``sqlite:///file`` or ``postgresql://...``), as the ledger makes it."""
    from ..ledger.store import make_engine

    return make_engine(url, timeout=timeout)


def create_insights_tables(engine: Engine) -> None:
    """Create the insights' tables and indexes that are missing (safe to run any number of times)."""
    with engine.connect() as conn:
        conn.execution_options(ledger_write=True)
        with conn.begin():
            metadata.create_all(conn, checkfirst=True)


__all__ = [
    "CURSOR_ROW",
    "MAX_CATEGORIES",
    "TABLES",
    "categories",
    "create_insights_tables",
    "cursor",
    "decisions",
    "impressions",
    "metadata",
    "open_engine",
]
