"""Helpers for the insights tests: ledger records with the fields the insights read, and impressions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from consent.insights.counters import add_impressions
from consent.ledger import schema as ledger_schema
from consent.ledger.records import Record, canonical_json, new_record_id

NOTICE = "a" * 64
OPTIONAL = ("functional", "statistics", "marketing")
EPOCH = date(1970, 1, 1)


def add_notice(engine: Engine, digest: str = NOTICE) -> None:
    """A notice whose only required category is ``necessary`` (what the insights read from it)."""
    document = {
        "format": 1,
        "categories": [{"id": "necessary", "required": True}]
        + [{"id": c, "required": False} for c in OPTIONAL],
    }
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_schema.notices).values(
                hash=digest, body=json.dumps(document), created_at=datetime(2026, 1, 1)
            )
        )


def content(
    method: str,
    day: date,
    *,
    granted: Iterable[str] = (),
    unasked: Iterable[str] = (),
    region: str | None = "eu",
    locale: str = "en",
    variant: str | None = "control",
    gpc: bool = False,
    seconds: float | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A record's content as the ledger stores it, with ``region``, ``variant`` and ``shown_at`` added."""
    when = at or datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    granted, unasked = set(granted), set(unasked)
    categories = {"necessary": "granted"} | {
        c: "unasked" if c in unasked else "granted" if c in granted else "denied" for c in OPTIONAL
    }
    record = Record(
        record_id=new_record_id(when.timestamp()),
        consent_id="c" * 16,
        recorded_at=when,
        method=method,
        control=method,
        layer="first",
        categories=categories,
        vendors={},
        revision="r1",
        notice=NOTICE,
        locale=locale,
        signals=("gpc",) if gpc else (),
        decided_at=when,
    )
    data = record.content()
    if region is not None:
        data["region"] = region
    if variant is not None:
        data["variant"] = variant
    if seconds is not None:
        data["shown_at"] = (when - timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    return data


def add_records(engine: Engine, contents: Iterable[Mapping[str, Any]]) -> None:
    """Append records after the last one (the chain's MACs are not computed: the insights never read them)."""
    with engine.begin() as conn:
        seq = int(conn.scalar(select(func.max(ledger_schema.records.c.seq))) or 0)
        rows = []
        for data in contents:
            seq += 1
            rows.append(
                {
                    "seq": seq,
                    "record_id": data["record_id"],
                    "consent_id": data["consent_id"],
                    "recorded_at": datetime.fromisoformat(data["recorded_at"].replace("Z", "+00:00")).replace(
                        tzinfo=None
                    ),
                    "method": data["method"],
                    "notice": data["notice"],
                    "body": canonical_json(dict(data)).decode(),
                    "prev_id": None,
                    "prev_mac": "",
                    "mac": "",
                }
            )
        if rows:
            conn.execute(insert(ledger_schema.records), rows)


def add_shown(
    engine: Engine,
    day: date,
    shown: int,
    undecided: int,
    *,
    region: str = "eu",
    locale: str = "en",
    template: str = "article",
    variant: str = "control",
) -> None:
    add_impressions(engine, [(((day - EPOCH).days, region, locale, template, variant), (shown, undecided))])


D1, D2 = date(2026, 5, 4), date(2026, 5, 5)


def fill(engine: Engine) -> None:
    """Two days, two regions, two variants; numbers chosen so every rate is a round fraction.

    Totals: shown 180, undecided 150; accept all 60, reject all 33 (30 with GPC), custom 10,
    acknowledge 2, withdraw 5 (no answer).
    """
    add_notice(engine)
    add_shown(engine, D1, 120, 100, region="eu", variant="control")
    add_shown(engine, D1, 50, 40, region="uk", variant="plain", locale="de", template="home")
    add_shown(engine, D2, 10, 10, region="eu", variant="plain")
    records = (
        [
            content("accept_all", D1, granted=("functional", "statistics", "marketing"), seconds=3)
            for _ in range(50)
        ]
        + [content("reject_all", D1, seconds=20, gpc=True) for _ in range(20)]
        + [content("custom", D1, granted=("statistics",), seconds=90) for _ in range(10)]
        + [content("withdraw", D1) for _ in range(5)]  # answers no banner: left out
        + [
            content(
                "accept_all",
                D1,
                region="uk",
                locale="de",
                variant="plain",
                granted=("functional", "statistics", "marketing"),
            )
            for _ in range(10)
        ]
        + [content("reject_all", D1, region="uk", locale="de", variant="plain", gpc=True) for _ in range(10)]
        + [content("acknowledge", D2, variant="plain") for _ in range(2)]
        + [content("reject_all", D2, variant="plain", seconds=400) for _ in range(3)]
    )
    add_records(engine, records)
