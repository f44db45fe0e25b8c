"""Generated consent data for the insights benchmark and the dashboard's screenshots.

Ledger records are written straight into ``consent_ledger_records`` with bulk inserts (COPY on
PostgreSQL): the insights only read the records' bodies, so the chain's MACs are placeholders and
``consent ledger verify`` would reject these rows. Bodies carry ``region``, ``variant`` and ``shown_at``,
the fields the insights read once the site records them. Impression counters go straight into
``consent_insights_impressions``, a little above the decisions, as a real site's would be.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from consent.insights import schema
from consent.ledger import schema as ledger_schema

REGIONS = ("eea-ch", "uk", "us-opt-out", "")
LOCALES = ("en", "de", "fr")
VARIANTS = ("control", "plain", "short")
TEMPLATES = ("article", "home", "privacy", "search", "author", "tag")
CATEGORIES = ("necessary", "functional", "statistics", "marketing")
NOTICE = "0" * 64
#: (method, weight): what visitors answer; custom answers grant a random subset of the optional purposes.
METHODS = (("accept_all", 52), ("reject_all", 30), ("custom", 14), ("acknowledge", 2), ("withdraw", 2))
_BODY = (
    '{{"categories":{categories},"consent_id":"{consent_id}","control":"{method}","decided_at":"{at}",'
    '"expires_at":null,"format":1,"layer":"first","locale":"{locale}","method":"{method}",'
    '"notice":"' + NOTICE + '","path":"/article","policy":"opt-in","record_id":"{record_id}",'
    '"recorded_at":"{at}","region":"{region}","revision":"r1","shown_at":"{shown}","signals":{signals},'
    '"subject":null,"variant":"{variant}","vendors":{{}},"version":"bench"}}'
)


def notice_row() -> dict[str, Any]:
    """The one notice every generated record points to: 'necessary' is required (never a choice)."""
    document = {
        "format": 1,
        "categories": [{"id": c, "required": c == "necessary"} for c in CATEGORIES],
    }
    return {"hash": NOTICE, "body": json.dumps(document), "created_at": datetime(2026, 1, 1)}


def _categories(method: str, rng: random.Random) -> str:
    optional = CATEGORIES[1:]
    if method == "accept_all":
        granted = set(optional)
    elif method == "custom":
        granted = {c for c in optional if rng.random() < (0.7, 0.5, 0.25)[optional.index(c)]}
    else:
        granted = set()
    decisions = {"necessary": "granted", **{c: "granted" if c in granted else "denied" for c in optional}}
    return json.dumps(decisions, separators=(",", ":"), sort_keys=True)


def record_rows(count: int, days: int, *, end: date, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``count`` records spread over the ``days`` days up to ``end``, with rates that drift over time."""
    rng = random.Random(seed)
    methods = [m for m, _ in METHODS]
    weights = [w for _, w in METHODS]
    start = datetime(end.year, end.month, end.day, tzinfo=UTC) - timedelta(days=days - 1)
    categories = {m: [_categories(m, rng) for _ in range(32)] for m in methods}
    for seq in range(1, count + 1):
        day = (seq - 1) * days // count
        at = start + timedelta(days=day, seconds=rng.randrange(86400))
        drift = day / max(1, days - 1)  # reject-all grows as the year goes on
        method = rng.choices(methods, [weights[0] - 12 * drift, weights[1] + 12 * drift, *weights[2:]])[0]
        shown = at - timedelta(seconds=int(rng.expovariate(1 / 12)) + 1)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        consent_id = f"{rng.getrandbits(80):020x}"
        record_id = f"{int(at.timestamp() * 1000):012x}{rng.getrandbits(80):020x}"
        yield {
            "seq": seq,
            "record_id": record_id,
            "consent_id": consent_id,
            "recorded_at": at.replace(tzinfo=None),
            "method": method,
            "notice": NOTICE,
            "body": _BODY.format(
                categories=rng.choice(categories[method]),
                consent_id=consent_id,
                method=method,
                at=stamp,
                locale=rng.choice(LOCALES),
                record_id=record_id,
                region=rng.choice(REGIONS),
                shown=shown.strftime("%Y-%m-%dT%H:%M:%SZ"),
                signals='["gpc"]' if rng.random() < 0.08 else "[]",
                variant=rng.choice(VARIANTS),
            ),
            "prev_id": None,
            "prev_mac": "",
            "mac": "",
        }


def impression_rows(days: int, *, end: date, per_day: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Counters for every (day, region, locale, template, variant): about ``per_day`` undecided a day."""
    rng = random.Random(seed)
    cells = len(REGIONS) * len(LOCALES) * len(TEMPLATES) * len(VARIANTS)
    for offset in range(days):
        day = end - timedelta(days=days - 1 - offset)
        for region in REGIONS:
            for locale in LOCALES:
                for template in TEMPLATES:
                    for variant in VARIANTS:
                        undecided = int(per_day * rng.uniform(1.2, 1.6) / cells + rng.random())
                        yield {
                            "day": day,
                            "region": region,
                            "locale": locale,
                            "template": template,
                            "variant": variant,
                            "shown": undecided + int(rng.random() * 1.5),
                            "undecided": undecided,
                        }


def _bulk(engine: Engine, table: Any, rows: Iterator[dict[str, Any]], chunk: int = 20_000) -> int:
    columns = [c.name for c in table.columns]
    total = 0
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
                    total += 1
            return total
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                conn.execute(insert(table), batch)
                total += len(batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
            total += len(batch)
    return total


def generate(
    engine: Engine, *, records: int, days: int, end: date, impressions_per_day: int | None = None
) -> None:
    """Fill an initialised ledger database (ledger and insights tables) with generated data."""
    with engine.begin() as conn:
        conn.execute(insert(ledger_schema.notices), [notice_row()])
    _bulk(engine, ledger_schema.records, record_rows(records, days, end=end))
    per_day = impressions_per_day or max(1, records // days)
    _bulk(engine, schema.impressions, impression_rows(days, end=end, per_day=per_day))


__all__ = ["generate", "impression_rows", "notice_row", "record_rows"]
