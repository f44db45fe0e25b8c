"""The insights' tables: created beside the ledger's, idempotently, leaving the ledger's alone."""

from __future__ import annotations

from insights_helpers import D1, add_shown
from sqlalchemy import Engine, inspect, select

from consent.insights import create_insights_tables
from consent.insights.schema import TABLES
from consent.ledger import Ledger
from consent.ledger.schema import MIGRATIONS

CURRENT = max(MIGRATIONS)

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]


def test_creating_twice_is_harmless_and_keeps_data(insights_engine: Engine, insights_url: str) -> None:
    add_shown(insights_engine, D1, 3, 2)
    create_insights_tables(insights_engine)
    create_insights_tables(insights_engine)

    names = set(inspect(insights_engine).get_table_names())
    assert {t.name for t in TABLES} <= names
    with Ledger(insights_url, timeout=None) as ledger:
        before = ledger.schema_version()
    create_insights_tables(insights_engine)
    with Ledger(insights_url, timeout=None) as ledger:
        assert ledger.schema_version() == before == CURRENT  # the ledger's schema is untouched
    for table in TABLES[:3]:  # every counter table is keyed by the day first: reports filter on it
        assert inspect(insights_engine).get_pk_constraint(table.name)["constrained_columns"][0] == "day"
    with insights_engine.connect() as conn:
        assert conn.execute(select(TABLES[0].c.shown, TABLES[0].c.undecided)).all() == [(3, 2)]


def test_no_column_can_hold_a_person(insights_engine: Engine) -> None:
    columns = {c.name for t in TABLES for c in t.columns}
    assert not columns & {"consent_id", "ip", "user_agent", "cookie", "subject", "record_id", "path"}
