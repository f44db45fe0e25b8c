"""Folding ledger records into the insights' decisions table: fields, required purposes, the cursor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from insights_helpers import add_notice, add_records, content
from sqlalchemy import Engine, select

from consent.insights import schema as tables
from consent.insights import sync_decisions
from consent.insights.decisions import MAX_SECONDS
from consent.ledger import Ledger
from consent.ledger import schema as ledger_schema
from consent.registry import Registry
from consent.state import ConsentState, Method

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]
DAY = date(2026, 5, 4)


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(tables.decisions).order_by(tables.decisions.c.seq)))


def bits(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.category: r.bit for r in conn.execute(select(tables.categories))}


def test_a_record_from_the_real_ledger_is_folded(
    make_ledger: Callable[..., Ledger], insights_engine: Engine, registry: Registry
) -> None:
    ledger = make_ledger()
    state = ConsentState.undecided(registry).with_choices(
        {}, {"statistics": True, "marketing": False}, method=Method.CUSTOM
    )
    receipt = ledger.record_decision(state, control="custom", layer="second", locale="de", signals=("gpc",))
    assert receipt.stored_in == "database"

    assert sync_decisions(insights_engine) == 1

    (row,) = rows(insights_engine)
    mask = bits(insights_engine)
    assert (row.method, row.locale, row.gpc, row.day) == (
        "custom",
        "de",
        1,
        receipt.record.recorded_at.date(),
    )
    assert (row.region, row.variant, row.seconds) == ("", "", None)  # the ledger does not record them yet
    assert "necessary" not in mask  # required: never a choice
    assert row.asked == (1 << mask["statistics"]) | (1 << mask["marketing"])
    assert row.granted == 1 << mask["statistics"]


def test_region_variant_and_time_to_decide_are_read_when_the_record_has_them(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(
        insights_engine,
        [
            content(
                "accept_all",
                DAY,
                granted=("functional", "statistics", "marketing"),
                region="uk",
                variant="plain",
                seconds=12.7,
            ),
            content("reject_all", DAY, region=None, variant=None, seconds=None),
            content("custom", DAY, granted=("functional",), unasked=("marketing",), seconds=10 * MAX_SECONDS),
        ],
    )
    sync_decisions(insights_engine)

    first, second, third = rows(insights_engine)
    mask = bits(insights_engine)
    assert (first.region, first.variant, first.seconds, first.granted) == ("uk", "plain", 12, first.asked)
    assert (second.region, second.variant, second.seconds, second.granted) == ("", "", None, 0)
    assert third.seconds == MAX_SECONDS
    assert third.asked == (1 << mask["functional"]) | (1 << mask["statistics"])  # marketing was not asked
    assert third.granted == 1 << mask["functional"]


def test_only_new_records_are_folded_and_a_second_sync_adds_nothing(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all", DAY) for _ in range(7)])
    assert sync_decisions(insights_engine, batch=3) == 7
    assert sync_decisions(insights_engine) == 0
    add_records(insights_engine, [content("reject_all", DAY) for _ in range(2)])
    assert sync_decisions(insights_engine) == 2

    assert [r.method for r in rows(insights_engine)] == ["accept_all"] * 7 + ["reject_all"] * 2
    assert [r.seq for r in rows(insights_engine)] == list(range(1, 10))


def test_folding_never_writes_to_the_ledgers_tables(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all", DAY)])
    with insights_engine.connect() as conn:
        before = [
            list(conn.execute(select(t)))
            for t in (ledger_schema.records, ledger_schema.notices, ledger_schema.chain)
        ]
    sync_decisions(insights_engine)
    with insights_engine.connect() as conn:
        after = [
            list(conn.execute(select(t)))
            for t in (ledger_schema.records, ledger_schema.notices, ledger_schema.chain)
        ]
    assert before == after
