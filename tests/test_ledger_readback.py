"""Records read back without a database: the state a record's cookie held, and the ledger's tallies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ledger_helpers import same_state, with_vendor_moved

from consent.codec import CookieCodec
from consent.ledger import Record, build_notice, build_record, notice_hash
from consent.ledger.readback import state_from_record, tally
from consent.registry import Registry
from consent.state import ConsentState, Decision, Method

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Notices:
    """A notice lookup that counts its calls (the tallies must look each notice up once)."""

    def __init__(self, *documents: Mapping[str, Any]) -> None:
        self.documents = {notice_hash(d): d for d in documents}
        self.calls: list[str] = []

    def __call__(self, digest: str) -> Mapping[str, Any] | None:
        self.calls.append(digest)
        return self.documents.get(digest)


def record_of(state: ConsentState, notice: Mapping[str, Any], *, when: datetime = T0) -> Record:
    method = state.method.value if state.method else ""
    return build_record(
        state, notice=notice_hash(notice), control=method, layer="first", locale="en", now=when
    )


@pytest.fixture
def notice(registry: Registry) -> dict[str, Any]:
    return build_notice(registry, "en")


def test_a_record_reads_back_as_its_cookie_does(registry: Registry, notice: dict[str, Any]) -> None:
    codec = CookieCodec(registry, "k")
    accepted = ConsentState.accept_all(registry, now=T0)
    custom = accepted.with_choices(
        {"google-youtube": False}, {"marketing": False}, method=Method.CUSTOM, now=T0 + timedelta(days=2)
    )

    for state in (accepted, custom):
        later = state.decided_at + timedelta(hours=1) if state.decided_at else T0
        read = state_from_record(record_of(state, notice), registry, Notices(notice), when=later)
        same_state(read, codec.decode(codec.encode(state), now=later), registry)
    assert not state_from_record(record_of(custom, notice), registry, Notices(notice)).allows(
        "google-youtube"
    )


def test_an_expired_record_reads_as_undecided_but_keeps_its_id(
    registry: Registry, notice: dict[str, Any]
) -> None:
    state = ConsentState.accept_all(registry, now=T0)
    record = record_of(state, notice)
    assert record.expires_at is not None

    just_before = state_from_record(record, registry, Notices(notice), when=record.expires_at - timedelta(1))
    at_expiry = state_from_record(record, registry, Notices(notice), when=record.expires_at)

    assert just_before.is_decided
    assert not at_expiry.is_decided and at_expiry.consent_id == state.consent_id


def test_a_vendor_shown_under_another_purpose_reads_as_not_asked(
    make_registry: Callable[..., Registry],
) -> None:
    old = make_registry(8)
    new, moved = with_vendor_moved(old)
    notice = build_notice(old, "en")  # what the visitor saw: the vendor under statistics
    record = record_of(ConsentState.accept_all(old, now=T0), notice)

    read = state_from_record(record, new, Notices(notice), when=T0)
    without_notice = state_from_record(record, new, Notices(), when=T0)

    assert read.vendor_decision(moved) is Decision.UNASKED
    # No notice to say where it was shown: the record's answer stands.
    assert without_notice.vendor_decision(moved) is Decision.GRANTED


def test_vendors_and_signals_the_registry_no_longer_knows_are_dropped(
    registry: Registry, notice: dict[str, Any]
) -> None:
    record = record_of(ConsentState.accept_all(registry, now=T0), notice)
    record = dataclasses.replace(
        record,
        vendors={**record.vendors, "gone-vendor": "granted"},
        signals=(*record.signals, "no-such-signal"),
    )

    read = state_from_record(record, registry, Notices(notice), when=T0)

    assert read.is_decided and registry.get_vendor("gone-vendor") is None
    assert "no-such-signal" not in {s.value for s in read.signals}


def test_tally_counts_each_record_once_per_day_and_skips_required_categories(
    registry: Registry, notice: dict[str, Any]
) -> None:
    day1, day2 = T0, T0 + timedelta(days=1)
    custom = ConsentState.undecided(registry).with_choices(
        {}, {"statistics": True, "marketing": False, "functional": False}, method=Method.CUSTOM, now=day2
    )
    records = [
        record_of(ConsentState.accept_all(registry, now=day1), notice, when=day1),
        record_of(ConsentState.reject_all(registry, now=day1), notice, when=day1),
        record_of(custom, notice, when=day2),
    ]
    notices = Notices(notice)

    stats = tally(records, notices)

    assert stats.total == 3
    assert stats.methods[day1.date()] == {"accept_all": 1, "reject_all": 1}
    assert stats.methods[day2.date()] == {"custom": 1}
    assert stats.categories[day1.date()]["marketing"] == {"granted": 1, "denied": 1}
    assert stats.categories[day2.date()]["statistics"] == {"granted": 1}
    assert "necessary" not in stats.categories[day1.date()]  # required: never a choice
    assert notices.calls == [notice_hash(notice)]  # one look-up per notice, not per record


def test_tally_without_its_notice_counts_every_answered_category(registry: Registry) -> None:
    record = record_of(ConsentState.accept_all(registry, now=T0), {"format": 1})

    stats = tally([record], Notices())

    answered = {c for c, d in record.categories.items() if d != "unasked"}
    assert set(stats.categories[T0.date()]) == answered
    assert tally([], Notices()).total == 0
