"""Records read back without a database: the consent a record's cookie held, and the ledger's tallies.

Pure functions of records and their notices (``notice_of`` looks a notice up by its hash), so the
rules are the same for the database, the spool and an export, and are tested without either.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..registry import Registry
from ..state import ConsentState, Method, Policy, Signal
from .records import Record

NoticeLookup = Callable[[str], Mapping[str, Any] | None]


@dataclass
class Stats:
    """Decisions per day by method, and category answers per day (each record counts once)."""

    methods: dict[date, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    categories: dict[date, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.methods.values())


def tally(records: Iterable[Record], notice_of: NoticeLookup) -> Stats:
    """Decisions per day (UTC) by method, and answers per day by optional category.

    Each record counts once: a visitor who changes their mind counts again. Required categories,
    which are never a choice, are left out (as the record's notice listed them).
    """
    stats = Stats()
    required: dict[str, frozenset[str]] = {}
    for record in records:
        day = record.recorded_at.date()
        stats.methods[day][record.method] += 1
        skip = required.get(record.notice)
        if skip is None:
            document = notice_of(record.notice) or {}
            skip = frozenset(c["id"] for c in document.get("categories", []) if c.get("required"))
            required[record.notice] = skip
        for category_id, decision in record.categories.items():
            if decision != "unasked" and category_id not in skip:
                stats.categories[day][category_id][decision] += 1
    return stats


def state_from_record(
    record: Record, registry: Registry, notice_of: NoticeLookup, *, when: datetime | None = None
) -> ConsentState:
    """The :class:`ConsentState` a record's cookie held, read against ``registry`` with the cookie's
    rules: a vendor since moved to another purpose reads as not asked, and the state is undecided
    once it expired at ``when``."""
    if record.decided_at is None or record.expires_at is None:
        return ConsentState(registry, consent_id=record.consent_id)
    if when is not None and when >= record.expires_at:
        return ConsentState(registry, consent_id=record.consent_id)
    notice = notice_of(record.notice) or {}
    shown_under = {v["id"]: v["category"] for v in notice.get("vendors", [])}
    vendors: dict[str, bool] = {}
    for vendor_id, decision in record.vendors.items():
        vendor = registry.get_vendor(vendor_id)
        if vendor is None or decision == "unasked" or registry.is_required(vendor):
            continue
        if shown_under.get(vendor_id, vendor.category) != vendor.category:
            continue  # moved to another purpose since: the cookie reads it as not asked
        vendors[vendor_id] = decision == "granted"
    categories: dict[str, bool] = {}
    for category_id, decision in record.categories.items():
        category = registry.get_category(category_id)
        if category is None or category.required or decision == "unasked":
            continue
        categories[category_id] = decision == "granted"
    signals = [Signal(s) for s in record.signals if s in Signal._value2member_map_]
    state = ConsentState(registry, consent_id=record.consent_id).with_choices(
        vendors,
        categories,
        method=Method(record.method),
        now=record.decided_at,
        lifetime=max(record.expires_at - record.decided_at, timedelta(days=1)),
        signals=signals,
        policy=Policy(record.policy),
        objections=[v for v in record.objected_vendors if registry.get_vendor(v) is not None],
        objected_purposes=record.objected_purposes,
    )
    return dataclasses.replace(
        state, decided_at=record.decided_at, expires_at=record.expires_at, revision=record.revision[:8]
    )
