"""Impressions counted by the example site itself: the first layer's showings, aggregated, nothing else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask_helpers import ORIGIN, PAGE, example_app
from sqlalchemy import Engine
from test_insights_counters import stored

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]


def test_the_banner_counts_impressions_and_decided_pages_do_not(
    insights_url: str, insights_engine: Engine, tmp_path: Path
) -> None:
    app = example_app(CONSENT_LEDGER_URL=insights_url, CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"))
    undecided = app.test_client()
    for _ in range(5):
        assert undecided.get(PAGE, headers={"Accept-Language": "de"}).status_code == 200
    decided = app.test_client()
    decided.post("/consent/", data={"action": "reject_all"}, headers=ORIGIN)
    for _ in range(3):
        decided.get(PAGE)
    counter = app.extensions["consent"].impressions
    assert counter is not None and counter.flush()
    assert stored(insights_engine) == {("", "de", "article", ""): (5, 5)}
    counter.close()
    counter.engine.dispose()


@pytest.mark.slow
def test_50000_page_views_from_8_threads_count_exactly(
    insights_url: str, insights_engine: Engine, tmp_path: Path
) -> None:
    app = example_app(
        CONSENT_LEDGER_URL=insights_url,
        CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"),
        CONSENT_INSIGHTS_INTERVAL=0.05,  # flushes run while the pages are served
    )
    per_thread = 50_000 // 8

    def visit(locale: str) -> None:
        client = app.test_client(use_cookies=False)
        for _ in range(per_thread):
            client.get(PAGE, headers={"Accept-Language": locale})

    locales = ["en", "de", "fr", "es", "it", "nl", "pl", "sv"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(visit, locales))
    counter = app.extensions["consent"].impressions
    assert counter is not None
    counter.close()
    counter.engine.dispose()
    counts = stored(insights_engine)
    assert counts == {("", locale, "article", ""): (per_thread, per_thread) for locale in locales}
