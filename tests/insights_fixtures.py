"""Fixtures for the insights tests: an initialised ledger database (ledger and insights tables) per backend.

Loaded with ``pytest_plugins = ["ledger_fixtures", "insights_fixtures"]``; PostgreSQL comes from the
ledger's throwaway cluster, whose reset drops only the ledger's tables, so this drops the insights' too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from consent.insights import create_insights_tables
from consent.insights.schema import TABLES, open_engine
from consent.ledger import Ledger


@pytest.fixture
def insights_url(ledger_url: str, ledger_backend: str, request: pytest.FixtureRequest) -> str:
    """The test's database with the ledger's schema and the insights' tables, and nothing in them."""
    if ledger_backend == "postgresql":
        request.getfixturevalue("pg_cluster").execute(
            f"DROP TABLE IF EXISTS {', '.join(t.name for t in TABLES)} CASCADE"
        )
    Ledger(ledger_url, timeout=None).init()
    engine = open_engine(ledger_url)
    try:
        create_insights_tables(engine)
    finally:
        engine.dispose()
    return ledger_url


@pytest.fixture
def insights_engine(insights_url: str) -> Iterator[Engine]:
    engine = open_engine(insights_url, timeout=10.0)
    yield engine
    engine.dispose()
