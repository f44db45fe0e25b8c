"""Rates: what the first layer earns, per region, locale, wording variant and day.

A report reads the daily counters (impressions, and the answers and purposes that
:mod:`consent.insights.decisions` adds from the ledger's records) with ``GROUP BY`` queries, one per
table and dimension shown, each returning a row per day, region or variant: the database adds up, and
Python only divides.

Definitions (``undecided`` = first layers shown to visitors who had not decided):

- accept-all, reject-all, custom rate: such decisions / ``undecided``;
- no-decision rate: (``undecided`` - answers) / ``undecided``, where answers are accept-all, reject-all,
  custom, and in opt-out or notice regions opt-out and acknowledge (withdrawals, click-to-load grants
  and signals answer no banner and are left out). A visitor who changes their mind counts again;
- per category opt-in rate: answers that granted the category / answers that were asked about it;
- GPC share: answers sent with Global Privacy Control / answers;
- time to decide: answers per bucket of ``recorded_at - shown_at`` (only records that carry
  ``shown_at``; see :mod:`consent.insights.decisions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from . import schema
from .decisions import sync_decisions
from .significance import Comparison, Interval, two_proportions, wilson

DIMENSIONS = ("day", "region", "locale", "variant")
#: Names of the time-to-decide buckets (:data:`consent.insights.schema.TIMING`).
TIMING_LABELS = ("5 s or less", "6-15 s", "16-60 s", "1-5 min", "over 5 min")
#: What an empty dimension value means in a report.
NOT_RECORDED = "(not recorded)"


@dataclass
class Tally:
    """Additive counts of one group; rates are derived from them."""

    shown: int = 0
    undecided: int = 0
    accept_all: int = 0
    reject_all: int = 0
    custom: int = 0
    other_answers: int = 0
    gpc: int = 0
    timing: list[int] = field(default_factory=lambda: [0] * len(TIMING_LABELS))
    asked: dict[str, int] = field(default_factory=dict)
    granted: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.shown += other.shown
        self.undecided += other.undecided
        self.accept_all += other.accept_all
        self.reject_all += other.reject_all
        self.custom += other.custom
        self.other_answers += other.other_answers
        self.gpc += other.gpc
        self.timing = [a + b for a, b in zip(self.timing, other.timing, strict=True)]
        for mine, theirs in ((self.asked, other.asked), (self.granted, other.granted)):
            for category, count in theirs.items():
                mine[category] = mine.get(category, 0) + count

    @property
    def answers(self) -> int:
        return self.accept_all + self.reject_all + self.custom + self.other_answers

    @property
    def trials(self) -> int:
        """The denominator of the decision rates: undecided impressions (never fewer than the answers,
        which happens when decisions were recorded before the counters were on)."""
        return max(self.undecided, self.answers)

    @property
    def no_decision(self) -> int:
        return self.trials - self.answers

    def rate(self, count: int) -> float | None:
        return count / self.trials if self.trials else None

    def interval(self, count: int) -> Interval:
        return wilson(count, self.trials)

    def opt_in(self, category: str) -> float | None:
        asked = self.asked.get(category, 0)
        return self.granted.get(category, 0) / asked if asked else None

    @property
    def gpc_share(self) -> float | None:
        return self.gpc / self.answers if self.answers else None

    @property
    def timed(self) -> int:
        return sum(self.timing)

    def as_dict(self, categories: Iterable[str]) -> dict[str, Any]:
        return {
            "shown": self.shown,
            "undecided": self.undecided,
            "answers": self.answers,
            "counts": {
                "accept_all": self.accept_all,
                "reject_all": self.reject_all,
                "custom": self.custom,
                "other_answers": self.other_answers,
                "no_decision": self.no_decision,
            },
            "rates": {
                "accept_all": self.rate(self.accept_all),
                "reject_all": self.rate(self.reject_all),
                "custom": self.rate(self.custom),
                "no_decision": self.rate(self.no_decision),
            },
            "gpc_share": self.gpc_share,
            "categories": {
                c: {
                    "asked": self.asked.get(c, 0),
                    "granted": self.granted.get(c, 0),
                    "opt_in": self.opt_in(c),
                }
                for c in categories
            },
            "time_to_decide": dict(zip(TIMING_LABELS, self.timing, strict=True)),
        }


@dataclass(frozen=True)
class VariantResult:
    """One wording variant's rates with 95 % intervals, and how it compares with the control."""

    variant: str
    tally: Tally
    accept: Interval
    reject: Interval
    accept_vs_control: Comparison | None
    reject_vs_control: Comparison | None


@dataclass
class Report:
    since: date | None
    until: date | None
    by: str
    categories: list[str]
    total: Tally
    rows: dict[str, Tally]
    days: dict[str, Tally]
    regions: dict[str, Tally]
    variants: list[VariantResult]
    control: str | None
    templates: dict[str, tuple[int, int]]

    def as_dict(self) -> dict[str, Any]:
        def comparison(c: Comparison | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {"difference": c.difference, "z": c.z, "p": c.p, "significant": c.significant}

        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "by": self.by,
            "categories": self.categories,
            "total": self.total.as_dict(self.categories),
            "rows": {k: v.as_dict(self.categories) for k, v in self.rows.items()},
            "control": self.control,
            "variants": [
                {
                    "variant": v.variant,
                    "undecided": v.tally.undecided,
                    "accept_all": {"rate": v.accept.rate, "low": v.accept.low, "high": v.accept.high},
                    "reject_all": {"rate": v.reject.rate, "low": v.reject.low, "high": v.reject.high},
                    "accept_vs_control": comparison(v.accept_vs_control),
                    "reject_vs_control": comparison(v.reject_vs_control),
                }
                for v in self.variants
            ],
            "templates": {k: {"shown": s, "undecided": u} for k, (s, u) in self.templates.items()},
        }


def _label(value: str) -> str:
    return value or NOT_RECORDED


def _between(column: Any, since: date | None, until: date | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column <= until)
    return conditions


def _key(dimension: str, value: Any) -> str:
    return value.isoformat() if dimension == "day" else _label(value)


def tallies_by(conn: Any, dimension: str, since: date | None, until: date | None) -> dict[str, Tally]:
    """One :class:`Tally` per value of ``dimension``: three ``GROUP BY`` queries over the counters."""
    out: dict[str, Tally] = {}

    def tally(value: Any) -> Tally:
        key = _key(dimension, value)
        found = out.get(key)
        if found is None:
            found = out[key] = Tally()
        return found

    table = schema.impressions
    column = table.c[dimension]
    statement = select(column, func.sum(table.c.shown), func.sum(table.c.undecided))
    for value, shown, undecided in conn.execute(
        statement.where(*_between(table.c.day, since, until)).group_by(column)
    ):
        t = tally(value)
        t.shown += int(shown)
        t.undecided += int(undecided)

    table = schema.answers
    column = table.c[dimension]
    counters = [c.name for c in table.columns if not c.primary_key]
    statement = select(column, *(func.sum(table.c[name]) for name in counters))
    for value, *sums in conn.execute(statement.where(*_between(table.c.day, since, until)).group_by(column)):
        counts = dict(zip(counters, (int(n or 0) for n in sums), strict=True))
        t = tally(value)
        t.accept_all += counts["accept_all"]
        t.reject_all += counts["reject_all"]
        t.custom += counts["custom"]
        t.other_answers += counts["other_answers"]
        t.gpc += counts["gpc"]
        t.timing = [a + counts[name] for a, (name, _) in zip(t.timing, schema.TIMING, strict=True)]

    table = schema.purposes
    column = table.c[dimension]
    statement = select(column, table.c.category, func.sum(table.c.asked), func.sum(table.c.granted))
    for value, category, asked, granted in conn.execute(
        statement.where(*_between(table.c.day, since, until)).group_by(column, table.c.category)
    ):
        t = tally(value)
        t.asked[category] = t.asked.get(category, 0) + int(asked)
        t.granted[category] = t.granted.get(category, 0) + int(granted)
    return dict(sorted(out.items()))


def compare_variants(
    variants: Mapping[str, Tally], control: str | None = None
) -> tuple[str | None, list[VariantResult]]:
    """Each variant's accept/reject intervals and its test against ``control``.

    ``control`` defaults to a variant named ``control``, else the first in order. Variants are compared
    on accept-all and reject-all rates per undecided impression.
    """
    if control is None or control not in variants:
        control = "control" if "control" in variants else next(iter(variants), None)
    base = variants.get(control) if control is not None else None
    results = []
    for name, tally in variants.items():
        versus = base is not None and name != control
        results.append(
            VariantResult(
                variant=name,
                tally=tally,
                accept=tally.interval(tally.accept_all),
                reject=tally.interval(tally.reject_all),
                accept_vs_control=two_proportions(
                    tally.accept_all, tally.trials, base.accept_all, base.trials
                )
                if versus and base is not None
                else None,
                reject_vs_control=two_proportions(
                    tally.reject_all, tally.trials, base.reject_all, base.trials
                )
                if versus and base is not None
                else None,
            )
        )
    return control, results


def build_report(
    engine: Engine,
    *,
    since: date | None = None,
    until: date | None = None,
    by: str = "day",
    control: str | None = None,
) -> Report:
    """The rates between ``since`` and ``until`` (UTC days, inclusive), rows by ``by``.

    Reads the tables as they are: call :func:`consent.insights.decisions.sync_decisions` first to fold
    in the newest ledger records (:func:`current_report` does both).
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}: one of {', '.join(DIMENSIONS)}")
    with engine.connect() as conn:
        views = {
            d: tallies_by(conn, d, since, until) for d in dict.fromkeys((by, "day", "region", "variant"))
        }
        template_rows = conn.execute(
            select(
                schema.impressions.c.template,
                func.sum(schema.impressions.c.shown),
                func.sum(schema.impressions.c.undecided),
            )
            .where(*_between(schema.impressions.c.day, since, until))
            .group_by(schema.impressions.c.template)
        ).all()
    total = Tally()
    for tally in views["day"].values():
        total.add(tally)
    control_name, results = compare_variants(views["variant"], control)
    return Report(
        since=since,
        until=until,
        by=by,
        categories=sorted(total.asked),
        total=total,
        rows=views[by],
        days=views["day"],
        regions=views["region"],
        variants=results,
        control=control_name,
        templates={_label(t): (int(s), int(u)) for t, s, u in sorted(template_rows)},
    )


def current_report(engine: Engine, **options: Any) -> Report:
    """Fold the newest ledger records in, then :func:`build_report` with ``options``."""
    sync_decisions(engine)
    return build_report(engine, **options)


__all__ = [
    "DIMENSIONS",
    "NOT_RECORDED",
    "TIMING_LABELS",
    "Report",
    "Tally",
    "VariantResult",
    "build_report",
    "compare_variants",
    "current_report",
]
