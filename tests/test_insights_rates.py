"""Rates from impressions and decisions: exact counts per dimension, filters, GPC, timing, variants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from insights_helpers import D1, D2, add_notice, add_records, add_shown, content, fill
from sqlalchemy import Engine

from consent.insights import build_report, current_report
from consent.insights.rates import NOT_RECORDED, Tally, compare_variants

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]


@pytest.fixture
def filled(insights_engine: Engine) -> Engine:
    fill(insights_engine)
    return insights_engine


def test_totals(filled: Engine) -> None:
    report = current_report(filled)
    t = report.total
    assert (t.shown, t.undecided) == (180, 150)
    assert (t.accept_all, t.reject_all, t.custom, t.other_answers) == (60, 33, 10, 2)
    assert t.answers == 105
    assert t.no_decision == 45
    assert t.rate(t.accept_all) == pytest.approx(60 / 150)
    assert t.rate(t.no_decision) == pytest.approx(45 / 150)
    assert t.gpc_share == pytest.approx(30 / 105)


def test_rows_by_each_dimension(filled: Engine) -> None:
    by_day = current_report(filled, by="day").rows
    assert list(by_day) == ["2026-05-04", "2026-05-05"]
    assert (by_day["2026-05-04"].undecided, by_day["2026-05-04"].answers) == (140, 100)
    assert (by_day["2026-05-05"].undecided, by_day["2026-05-05"].answers) == (10, 5)

    by_region = build_report(filled, by="region").rows
    assert by_region["uk"].rate(by_region["uk"].accept_all) == pytest.approx(10 / 40)
    assert by_region["eu"].undecided == 110

    by_locale = build_report(filled, by="locale").rows
    assert by_locale["de"].reject_all == 10

    by_variant = build_report(filled, by="variant").rows
    assert (by_variant["control"].undecided, by_variant["control"].answers) == (100, 80)
    assert (by_variant["plain"].undecided, by_variant["plain"].answers) == (50, 25)


def test_category_opt_in_counts_only_answers_asked(filled: Engine) -> None:
    t = current_report(filled).total
    # 105 answers were asked about every optional purpose except the 2 acknowledgements (all asked too)
    assert t.asked == {"functional": 105, "statistics": 105, "marketing": 105}
    assert t.granted == {"functional": 60, "statistics": 70, "marketing": 60}
    assert t.opt_in("statistics") == pytest.approx(70 / 105)
    assert "necessary" not in t.asked


def test_time_to_decide_buckets_only_timed_answers(filled: Engine) -> None:
    t = current_report(filled).total
    assert t.timing == [50, 0, 20, 10, 3]  # 3 s, 20 s, 90 s, 400 s
    assert t.timed == 83


def test_since_and_until_are_inclusive_utc_days(filled: Engine) -> None:
    first = current_report(filled, until=D1).total
    second = current_report(filled, since=D2).total
    assert (first.undecided, first.answers) == (140, 100)
    assert (second.undecided, second.answers) == (10, 5)
    assert current_report(filled, since=D2 + timedelta(days=1)).total.answers == 0


def test_records_without_region_or_variant_are_reported_as_not_recorded(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_records(insights_engine, [content("accept_all", D1, region=None, variant=None)])
    report = current_report(insights_engine, by="region")
    assert list(report.rows) == [NOT_RECORDED]


def test_more_answers_than_counted_impressions_never_give_rates_above_one(insights_engine: Engine) -> None:
    add_notice(insights_engine)
    add_shown(insights_engine, D1, 2, 2)
    add_records(insights_engine, [content("accept_all", D1) for _ in range(5)])
    t = current_report(insights_engine).total
    assert t.trials == 5
    assert t.rate(t.accept_all) == 1.0
    assert t.no_decision == 0


def test_unknown_dimension_is_refused(insights_engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown dimension 'path'"):
        build_report(insights_engine, by="path")


def test_variants_are_compared_with_the_control() -> None:
    variants = {
        "control": Tally(undecided=2000, accept_all=1000),
        "plain": Tally(undecided=2000, accept_all=1010),
        "pushy": Tally(undecided=2000, accept_all=1200),
    }
    control, results = compare_variants(variants)
    by_name = {r.variant: r for r in results}
    assert control == "control"
    assert by_name["control"].accept_vs_control is None
    plain, pushy = by_name["plain"].accept_vs_control, by_name["pushy"].accept_vs_control
    assert plain is not None and pushy is not None
    assert not plain.significant and plain.p > 0.5
    assert pushy.significant and pushy.p < 1e-4
    assert by_name["pushy"].accept.low < 0.6 < by_name["pushy"].accept.high


def test_the_control_defaults_to_the_first_variant_without_one_named_control() -> None:
    control, _ = compare_variants({"a": Tally(undecided=10), "b": Tally(undecided=10)})
    assert control == "a"
    control, _ = compare_variants({"a": Tally(undecided=10), "b": Tally(undecided=10)}, "b")
    assert control == "b"
