"""Folding ledger records into ``consent_insights_decisions``: one narrow row per decision.

The ledger keeps each decision as canonical JSON (its MAC covers exactly those bytes), with only
``method`` and ``recorded_at`` as columns. Rates over a million records cannot parse a million JSON
bodies per report, so :func:`sync_decisions` reads the records added since its last run (by ``seq``),
once, and keeps what the rates need in indexed columns. It only reads the ledger's tables.

What a record gives:

- ``region``, ``variant`` and ``shown_at`` are read when the record carries them (see the README's
  integration notes: the ledger format does not have them yet). Without them the row's region and
  variant are ``""`` ("not recorded") and its time to decide is unknown.
- time to decide is ``recorded_at - shown_at`` in whole seconds, when the record says when its first
  layer was rendered. The record's own ``decided_at`` is the decision itself (equal to ``recorded_at``
  for a first decision), so without ``shown_at`` nothing in a record measures how long the visitor took.
- categories answered are those neither ``unasked`` nor required in the record's notice (required
  purposes are never a choice); granted ones are a subset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ..ledger import schema as ledger_schema
from ..ledger.records import parse_time
from ..state import Signal
from . import schema
from .errors import InsightsError

#: Records folded per transaction.
BATCH = 5000
#: Times to decide above this many seconds are kept as this (a tab left open overnight is not a datum).
MAX_SECONDS = 86400


def _category_bits(conn: Connection) -> dict[str, int]:
    return {row.category: row.bit for row in conn.execute(select(schema.categories))}


def _bit(conn: Connection, bits: dict[str, int], category: str) -> int:
    bit = bits.get(category)
    if bit is None:
        bit = len(bits)
        if bit >= schema.MAX_CATEGORIES:
            raise InsightsError(f"more than {schema.MAX_CATEGORIES} categories: {category!r} has no bit left")
        conn.execute(insert(schema.categories).values(bit=bit, category=category))
        bits[category] = bit
    return bit


def _required(conn: Connection, cache: dict[str, frozenset[str]], digest: str) -> frozenset[str]:
    found = cache.get(digest)
    if found is None:
        body = conn.scalar(select(ledger_schema.notices.c.body).where(ledger_schema.notices.c.hash == digest))
        document = json.loads(body) if body else {}
        found = frozenset(c["id"] for c in document.get("categories", []) if c.get("required"))
        cache[digest] = found
    return found


def decision_row(seq: int, data: Mapping[str, Any], required: frozenset[str], bit_of: Any) -> dict[str, Any]:
    """The decisions-table row of a record's content (``bit_of(category) -> bit``)."""
    recorded = parse_time(str(data["recorded_at"]))
    seconds: int | None = None
    shown_at = data.get("shown_at")
    if shown_at:
        try:
            elapsed = (recorded - parse_time(str(shown_at))).total_seconds()
        except ValueError:
            elapsed = -1
        seconds = min(int(elapsed), MAX_SECONDS) if elapsed >= 0 else None
    asked = granted = 0
    for category, decision in (data.get("categories") or {}).items():
        if decision == "unasked" or category in required:
            continue
        mask = 1 << bit_of(category)
        asked |= mask
        if decision == "granted":
            granted |= mask
    return {
        "seq": seq,
        "day": recorded.date(),
        "region": str(data.get("region") or "")[: schema.REGION_LENGTH],
        "locale": str(data.get("locale") or "")[: schema.LOCALE_LENGTH],
        "variant": str(data.get("variant") or "")[: schema.VARIANT_LENGTH],
        "method": str(data.get("method") or "")[:16],
        "gpc": int(Signal.GPC.value in (data.get("signals") or ())),
        "seconds": seconds,
        "asked": asked,
        "granted": granted,
    }


def sync_decisions(engine: Engine, *, batch: int = BATCH) -> int:
    """Fold ledger records added since the last run into the decisions table; returns how many.

    Safe beside a running site and beside another sync: each batch is one transaction that moves the
    cursor, and a row already there (same ``seq``) is never written twice.
    """
    added = 0
    required_cache: dict[str, frozenset[str]] = {}
    while True:
        with engine.connect() as conn:
            conn.execution_options(ledger_write=True)
            with conn.begin():
                last = conn.scalar(select(schema.cursor.c.seq).where(schema.cursor.c.id == schema.CURSOR_ROW))
                if last is None:
                    conn.execute(insert(schema.cursor).values(id=schema.CURSOR_ROW, seq=0))
                    last = 0
                if engine.dialect.name == "postgresql":  # one sync at a time moves the cursor
                    conn.execute(
                        select(schema.cursor.c.seq)
                        .where(schema.cursor.c.id == schema.CURSOR_ROW)
                        .with_for_update()
                    )
                    last = conn.scalar(
                        select(schema.cursor.c.seq).where(schema.cursor.c.id == schema.CURSOR_ROW)
                    )
                records = ledger_schema.records
                rows = conn.execute(
                    select(records.c.seq, records.c.notice, records.c.body)
                    .where(records.c.seq > last)
                    .order_by(records.c.seq)
                    .limit(batch)
                ).all()
                if not rows:
                    return added
                bits = _category_bits(conn)
                folded = list(_fold(conn, rows, bits, required_cache))
                conn.execute(insert(schema.decisions), folded)
                conn.execute(
                    update(schema.cursor)
                    .where(schema.cursor.c.id == schema.CURSOR_ROW)
                    .values(seq=rows[-1].seq)
                )
                added += len(folded)


def _fold(
    conn: Connection, rows: Iterable[Any], bits: dict[str, int], cache: dict[str, frozenset[str]]
) -> Iterable[dict[str, Any]]:
    def bit_of(category: str) -> int:
        return _bit(conn, bits, category)

    for row in rows:
        yield decision_row(int(row.seq), json.loads(row.body), _required(conn, cache, row.notice), bit_of)


__all__ = ["decision_row", "sync_decisions"]
