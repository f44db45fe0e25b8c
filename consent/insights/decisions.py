"""Adding the ledger's decisions into the insights' daily counters, once each, in ``seq`` order.

The ledger keeps each decision as canonical JSON (its MAC covers exactly those bytes), with only
``method`` and ``recorded_at`` as columns. Parsing a million bodies for every report would take
seconds, so :func:`sync_decisions` reads the records added since its last run (by ``seq``) once, and
adds them to ``consent_insights_answers`` and ``consent_insights_purposes`` (counters per day, region,
locale and variant) in the same transaction that moves its cursor: each record counts exactly once,
and a pruned ledger keeps its past rates. It only reads the ledger's tables.

What a record gives:

- only answers to a first layer count (:data:`ANSWER_METHODS`); withdrawals, click-to-load grants and
  signals answer no banner and are skipped (the cursor moves past them);
- ``region``, ``variant`` and ``shown_at`` are read when the record carries them (the ledger format does
  not have them yet: see the README). Without them the region and variant are ``""`` ("not recorded")
  and the answer cannot be timed;
- time to decide is ``recorded_at - shown_at``. The record's own ``decided_at`` is the decision itself
  (``recorded_at`` for a first decision), so without ``shown_at`` nothing in a record measures how long
  the visitor took;
- the categories asked are those neither ``unasked`` nor required in the record's notice (required
  purposes are never a choice); granted ones are a subset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..ledger import schema as ledger_schema
from ..ledger.records import parse_time
from ..state import Signal
from . import schema
from .errors import InsightsError

#: Methods that answer a first layer: the opt-in banner's three, the opt-out and notice layers' two.
ANSWER_METHODS = ("accept_all", "reject_all", "custom", "opt_out", "acknowledge")
_COUNTED = {"accept_all": "accept_all", "reject_all": "reject_all", "custom": "custom"}
#: Records read per transaction.
BATCH = 5000

Grain = tuple[date, str, str, str]


def _required(conn: Connection, cache: dict[str, frozenset[str]], digest: str) -> frozenset[str]:
    found = cache.get(digest)
    if found is None:
        notices = ledger_schema.notices
        body = conn.scalar(select(notices.c.body).where(notices.c.hash == digest))
        document = json.loads(body) if body else {}
        found = frozenset(c["id"] for c in document.get("categories", []) if c.get("required"))
        cache[digest] = found
    return found


def seconds_to_decide(data: Mapping[str, Any]) -> float | None:
    """``recorded_at - shown_at`` in seconds, when the record has a usable ``shown_at``."""
    shown_at = data.get("shown_at")
    if not shown_at:
        return None
    try:
        elapsed = (parse_time(str(data["recorded_at"])) - parse_time(str(shown_at))).total_seconds()
    except ValueError:
        return None
    return elapsed if elapsed >= 0 else None


def timing_column(seconds: float) -> str:
    for name, bound in schema.TIMING:
        if bound is None or seconds <= bound:
            return name
    raise AssertionError("the last bucket is open")


class Tallies:
    """Counts of a batch of records, per grain, ready to be added to the two tables."""

    def __init__(self) -> None:
        self.answers: dict[Grain, dict[str, int]] = {}
        self.purposes: dict[tuple[Grain, str], list[int]] = {}

    def add(self, data: Mapping[str, Any], required: frozenset[str]) -> None:
        method = str(data.get("method") or "")
        if method not in ANSWER_METHODS:
            return
        grain: Grain = (
            parse_time(str(data["recorded_at"])).date(),
            str(data.get("region") or "")[: schema.REGION_LENGTH],
            str(data.get("locale") or "")[: schema.LOCALE_LENGTH],
            str(data.get("variant") or "")[: schema.VARIANT_LENGTH],
        )
        counts = self.answers.get(grain)
        if counts is None:
            counts = self.answers[grain] = dict.fromkeys(
                (c.name for c in schema.answers.columns if not c.primary_key), 0
            )
        counts[_COUNTED.get(method, "other_answers")] += 1
        if Signal.GPC.value in (data.get("signals") or ()):
            counts["gpc"] += 1
        seconds = seconds_to_decide(data)
        if seconds is not None:
            counts[timing_column(seconds)] += 1
        for category, decision in (data.get("categories") or {}).items():
            if decision == "unasked" or category in required:
                continue
            tally = self.purposes.setdefault((grain, str(category)[: schema.CATEGORY_LENGTH]), [0, 0])
            tally[0] += 1
            tally[1] += decision == "granted"

    def write(self, conn: Connection) -> None:
        def keys(grain: Grain) -> dict[str, Any]:
            return dict(zip(("day", "region", "locale", "variant"), grain, strict=True))

        schema.add_counts(conn, schema.answers, ({**keys(g), **c} for g, c in self.answers.items()))
        schema.add_counts(
            conn,
            schema.purposes,
            (
                {**keys(g), "category": c, "asked": a, "granted": n}
                for (g, c), (a, n) in self.purposes.items()
            ),
        )


def _cursor(conn: Connection) -> int:
    where = schema.cursor.c.id == schema.CURSOR_ROW
    statement = select(schema.cursor.c.seq).where(where)
    if conn.dialect.name == "postgresql":  # one sync at a time moves the cursor
        statement = statement.with_for_update()
    # (SQLite: the transaction began with BEGIN IMMEDIATE, which already excludes other writers.)
    try:
        found = conn.scalar(statement)
    except (OperationalError, ProgrammingError):  # no such table
        found = None
    if found is None:
        raise InsightsError("the insights' tables are missing: run 'consent ledger init'")
    return int(found)


def sync_decisions(engine: Engine, *, batch: int = BATCH) -> int:
    """Add the ledger records stored since the last run into the counters; returns how many were read.

    Safe beside a running site and beside another sync: each batch is one transaction that adds its
    counts and moves the cursor past it, so no record is ever counted twice or skipped.
    """
    read = 0
    cache: dict[str, frozenset[str]] = {}
    records = ledger_schema.records
    while True:
        with engine.connect() as conn:
            conn.execution_options(ledger_write=True)
            with conn.begin():
                last = _cursor(conn)
                rows = conn.execute(
                    select(records.c.seq, records.c.notice, records.c.body)
                    .where(records.c.seq > last)
                    .order_by(records.c.seq)
                    .limit(batch)
                ).all()
                if not rows:
                    return read
                tallies = Tallies()
                for row in rows:
                    tallies.add(json.loads(row.body), _required(conn, cache, row.notice))
                tallies.write(conn)
                conn.execute(
                    update(schema.cursor)
                    .where(schema.cursor.c.id == schema.CURSOR_ROW)
                    .values(seq=rows[-1].seq)
                )
                read += len(rows)


__all__ = ["ANSWER_METHODS", "Tallies", "seconds_to_decide", "sync_decisions"]
