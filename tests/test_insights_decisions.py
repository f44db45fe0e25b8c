"""Adding ledger records into the daily counters: fields, required purposes, the cursor, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from insights_helpers import add_notice, add_records, content
from sqlalchemy import Engine, select

from consent.insights import schema as tables
from consent.insights import sync_decisions
from consent.insights.decisions import seconds_to_decide, timing_column
from consent.ledger import Ledger
from consent.ledger import schema as ledger_schema
from consent.registry import Registry
from consent.state import ConsentState, Method

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]
DAY = date(2026, 5, 4)


def answers(engine: Engine) -> dict[tuple[Any, ...], dict[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(tables.answers)).mappings().all()
    keys = ("day", "region", "locale", "variant")
    return {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k not in keys and v} for r in rows}


def purposes(engine: Engine) -> dict[tuple[Any, ...], tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(tables.purposes)).all()
    return {(r.region, r.variant, r.category): (r.asked, r.granted) for r in rows}


def test_a_record_from_the_real_ledger_is_counted(
    make_ledger: Callable[..., Ledger], insights_engine: Engine, registry: Registry
) -> None:
    ledger = make_ledger()
    state = ConsentState.undecided(registry).with_choices(
        {}, {"statistics": True, "marketing": False}, method=Method.CUSTOM
    )
    receipt = ledger.record_decision(state, control="custom", layer="second", locale="de", signals=("gpc",))
    assert receipt.stored_in == "database"

    assert sync_decisions(insights_engine) == 1

    day = receipt.record.recorded_at.date()
    # the ledger records no region, variant or first-shown time yet
    assert answers(insights_engine) == {(day, "", "de", ""): {"custom": 1, "gpc": 1}}
    assert purposes(insights_engine) == {("", "", "statistics"): (1, 1), ("", "", "marketing"): (1, 0)}
    # 'necessary' is required (never a choice); 'functional' was not asked


def test_region_variant_and_time_to_decide_are_read_when_the_record_has_them(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    everything = ("functional", "statistics", "marketing")
    add_records(
        insights_engine,
        [
            content("accept_all", DAY, granted=everything, region="uk", variant="plain", seconds=12.7),
            content("accept_all", DAY, granted=everything, region="uk", variant="plain", seconds=2),
            content("reject_all", DAY, region=None, variant=None),
            content("custom", DAY, granted=("functional",), unasked=("marketing",), seconds=4000),
            content("withdraw", DAY, region="uk", variant="plain"),  # answers no banner
            content("embed", DAY, region="uk", variant="plain", granted=everything),
        ],
    )
    assert sync_decisions(insights_engine) == 6

    assert answers(insights_engine) == {
        (DAY, "uk", "en", "plain"): {"accept_all": 2, "timed_15s": 1, "timed_5s": 1},
        (DAY, "", "en", ""): {"reject_all": 1},
        (DAY, "eu", "en", "control"): {"custom": 1, "timed_longer": 1},
    }
    assert purposes(insights_engine) == {
        ("uk", "plain", "functional"): (2, 2),
        ("uk", "plain", "statistics"): (2, 2),
        ("uk", "plain", "marketing"): (2, 2),
        ("", "", "functional"): (1, 0),
        ("", "", "statistics"): (1, 0),
        ("", "", "marketing"): (1, 0),
        ("eu", "control", "functional"): (1, 1),
        ("eu", "control", "statistics"): (1, 0),
    }


def test_each_record_counts_once_across_batches_and_runs(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all", DAY) for _ in range(7)])
    assert sync_decisions(insights_engine, batch=3) == 7
    assert sync_decisions(insights_engine) == 0
    add_records(insights_engine, [content("reject_all", DAY) for _ in range(2)])
    assert sync_decisions(insights_engine) == 2

    assert answers(insights_engine) == {(DAY, "eu", "en", "control"): {"accept_all": 7, "reject_all": 2}}
    assert purposes(insights_engine)[("eu", "control", "statistics")] == (9, 0)


def test_syncing_never_writes_to_the_ledgers_tables(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all", DAY)])
    ledger_tables = (ledger_schema.records, ledger_schema.notices, ledger_schema.chain)
    with insights_engine.connect() as conn:
        before = [list(conn.execute(select(t))) for t in ledger_tables]
    sync_decisions(insights_engine)
    with insights_engine.connect() as conn:
        after = [list(conn.execute(select(t))) for t in ledger_tables]
    assert before == after


@pytest.mark.parametrize(
    ("shown_at", "seconds"),
    [
        ("2026-05-04T11:59:30Z", 30.0),
        ("2026-05-04T12:00:00Z", 0.0),
        ("2026-05-04T12:00:05Z", None),  # after the decision: a clock problem, not a time
        ("soon", None),
        (None, None),
    ],
)
def test_seconds_to_decide(shown_at: str | None, seconds: float | None) -> None:
    assert seconds_to_decide({"recorded_at": "2026-05-04T12:00:00Z", "shown_at": shown_at}) == seconds


@pytest.mark.parametrize(
    ("seconds", "column"),
    [
        (0, "timed_5s"),
        (5, "timed_5s"),
        (5.5, "timed_15s"),
        (60, "timed_60s"),
        (300, "timed_5min"),
        (301, "timed_longer"),
    ],
)
def test_timing_buckets(seconds: float, column: str) -> None:
    assert timing_column(seconds) == column


def test_two_syncs_at_once_count_every_record_once(insights_engine: Engine) -> None:
    import threading

    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all" if n % 3 else "custom", DAY) for n in range(1500)])
    read: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            read.append(sync_decisions(insights_engine, batch=50))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sum(read) == 1500
    assert answers(insights_engine) == {(DAY, "eu", "en", "control"): {"accept_all": 1000, "custom": 500}}


def test_without_the_tables_sync_says_what_to_run(insights_engine: Engine) -> None:
    from consent.insights import InsightsError

    tables.metadata.drop_all(insights_engine)
    with pytest.raises(InsightsError, match="consent ledger init"):
        sync_decisions(insights_engine)
