"""The consent ledger's core: records, notices, the chain, history and state_at, schema, spool, prune."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import KEY, same_state, with_vendor_moved
from sqlalchemy import delete, func, select, text, update

from consent.codec import CookieCodec
from consent.errors import ConfigurationError
from consent.i18n import translations
from consent.ledger import Ledger, LedgerError, Owner, Record, SchemaError, Spool, build_record, derive_key
from consent.ledger import schema as tables
from consent.ledger.notice import build_notice, notice_hash, render_notice
from consent.ledger.records import chain_mac
from consent.registry import Registry
from consent.state import ConsentState, Decision, Method, Signal

MakeLedger = Callable[..., Ledger]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

pytest_plugins = ["ledger_fixtures"]


def decide(
    ledger: Ledger, state: ConsentState, *, when: datetime | None = None, locale: str = "en"
) -> Record:
    receipt = ledger.record_decision(
        state, control=state.method.value if state.method else "", layer="first", locale=locale, now=when
    )
    assert receipt.stored_in == "database"
    return receipt.record


def rows(ledger: Ledger, table: Any) -> list[Any]:
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(table)).all())


# -- records -----------------------------------------------------------------------------------------


def test_a_record_holds_every_category_and_every_vendor(registry: Registry) -> None:
    state = ConsentState.undecided(registry).with_choices(
        {"google-youtube": True, "google-maps": False},
        {"statistics": True, "marketing": False},
        method=Method.CUSTOM,
    )

    record = build_record(state, notice="n" * 64, control="custom", layer="second", locale="de", path="/p")

    assert record.categories == {c.id: state.category_decision(c.id).value for c in registry.categories}
    assert record.vendors == {v.id: state.vendor_decision(v.id).value for v in registry.vendors}
    assert record.vendors["google-youtube"] == "granted"
    assert record.vendors["google-maps"] == "denied"
    assert record.categories["statistics"] == "granted"
    assert record.categories["functional"] == "unasked"
    assert (record.consent_id, record.method, record.control, record.layer) == (
        state.consent_id,
        "custom",
        "custom",
        "second",
    )
    assert record.revision == registry.revision
    assert record.version


def test_a_record_has_no_field_that_identifies_a_person(registry: Registry) -> None:
    record = build_record(
        ConsentState.accept_all(registry), notice="n" * 64, control="accept_all", layer="first", locale="en"
    )

    assert set(record.content()) == {
        "format", "record_id", "consent_id", "recorded_at", "method", "control", "layer", "policy",
        "decided_at", "expires_at", "categories", "vendors", "revision", "notice", "locale", "path",
        "signals", "version", "subject",
    }  # fmt: skip
    assert record.subject is None


def test_signals_seen_are_recorded(registry: Registry) -> None:
    state = ConsentState.undecided(registry, signals=[Signal.GPC]).with_choices({}, method=Method.REJECT_ALL)

    record = build_record(
        state, notice="n" * 64, control="reject_all", layer="first", locale="en", signals=["gpc"]
    )

    assert record.signals == ("gpc",)


def test_an_undecided_state_cannot_be_recorded(registry: Registry) -> None:
    with pytest.raises(ValueError, match="decided"):
        build_record(ConsentState(registry), notice="n", control="x", layer="first", locale="en")


def test_the_canonical_form_round_trips(registry: Registry) -> None:
    record = build_record(
        ConsentState.accept_all(registry),
        notice="n" * 64,
        control="accept_all",
        layer="first",
        locale="fr",
        path="/x",
        subject="user-7",
    )

    again = Record.from_body(record.canonical())

    assert again == record
    assert again.canonical() == record.canonical()


def test_record_ids_sort_by_time() -> None:
    from consent.ledger.records import new_record_id

    assert new_record_id(1000.0) < new_record_id(1000.002) < new_record_id(2000.0)
    assert len(new_record_id()) == 32


def test_the_default_key_is_derived_with_its_own_salt() -> None:
    import hmac

    assert derive_key("secret") == hmac.new(b"secret", b"consent.ledger.key", hashlib.sha256).digest()
    assert derive_key("secret") != derive_key("other")
    with pytest.raises(LedgerError):
        derive_key("")


# -- notices -----------------------------------------------------------------------------------------


def test_the_notice_holds_what_the_visitor_read_in_their_locale(registry: Registry) -> None:
    english = build_notice(registry, "en")
    german = build_notice(registry, "de")

    assert english["banner"]["statement"] == registry.notice
    assert english["banner"]["accept_all"] == "Accept all"
    assert german["banner"]["accept_all"] == translations("de").gettext("Accept all")
    assert german["banner"]["accept_all"] != "Accept all"
    assert german["banner"]["statement"] == registry.localized("de").notice
    assert [c["id"] for c in english["categories"]] == [c.id for c in registry.ordered_categories()]
    youtube = next(v for v in german["vendors"] if v["id"] == "google-youtube")
    assert youtube["name"] == registry.localized("de").vendor("google-youtube").name
    assert youtube["policy_url"].startswith("https://")
    assert notice_hash(english) != notice_hash(german)
    assert notice_hash(english) == notice_hash(build_notice(registry, "en"))


def test_the_notice_renders_as_text(registry: Registry) -> None:
    text_ = render_notice(build_notice(registry, "en"))

    assert "This website uses cookies" in text_
    assert "[Accept all] [Reject all] [Customize]" in text_
    for vendor in registry.vendors:
        assert vendor.name in text_


def test_each_distinct_notice_is_stored_once(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    for _ in range(3):
        decide(ledger, ConsentState.accept_all(registry))
    decide(ledger, ConsentState.reject_all(registry), locale="de")

    stored = rows(ledger, tables.notices)

    assert len(stored) == 2
    for row in stored:
        assert hashlib.sha256(row.body.encode()).hexdigest() == row.hash
    locales = {json.loads(row.body)["locale"] for row in stored}
    assert locales == {"en", "de"}


# -- the chain ---------------------------------------------------------------------------------------


def test_records_are_chained(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    for _ in range(3):
        decide(ledger, ConsentState.accept_all(registry))

    stored = sorted(rows(ledger, tables.records), key=lambda r: r.seq)

    assert [r.seq for r in stored] == [1, 2, 3]
    assert stored[0].prev_id is None and stored[0].prev_mac == ""
    for before, after in itertools.pairwise(stored):
        assert (after.prev_id, after.prev_mac) == (before.record_id, before.mac)
    for row in stored:
        assert row.mac == chain_mac(KEY.encode(), row.seq, row.prev_id, row.prev_mac, row.body.encode())
    assert ledger.verify().ok


def test_a_record_is_stored_once_whatever_the_replays(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    record = decide(ledger, ConsentState.accept_all(registry))
    assert ledger.spool is not None
    ledger.spool.append(record)
    ledger.spool.append(record)

    ledger.replay()
    ledger.replay()

    assert ledger.count() == 1
    assert ledger.verify().ok


def test_editing_a_choice_is_detected_by_record_id(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    records = [decide(ledger, ConsentState.reject_all(registry)) for _ in range(5)]
    victim = records[2]
    with ledger.engine.begin() as conn:
        body = conn.scalar(
            select(tables.records.c.body).where(tables.records.c.record_id == victim.record_id)
        )
        assert '"marketing":"denied"' in body
        conn.execute(
            update(tables.records)
            .where(tables.records.c.record_id == victim.record_id)
            .values(body=body.replace('"marketing":"denied"', '"marketing":"granted"'))
        )

    result = ledger.verify()

    assert [(p.record_id, p.seq) for p in result.problems] == [(victim.record_id, 3)]
    assert "altered" in result.problems[0].message


def test_deleting_a_record_is_detected_by_its_record_id(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    records = [decide(ledger, ConsentState.accept_all(registry)) for _ in range(5)]
    victim = records[1]
    with ledger.engine.begin() as conn:
        conn.execute(delete(tables.records).where(tables.records.c.record_id == victim.record_id))

    result = ledger.verify()

    assert [(p.record_id, p.seq) for p in result.problems] == [(victim.record_id, 2)]
    assert "deleted" in result.problems[0].message
    assert records[2].record_id in result.problems[0].message


def test_deleting_the_last_records_is_detected(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    records = [decide(ledger, ConsentState.accept_all(registry)) for _ in range(4)]
    with ledger.engine.begin() as conn:
        conn.execute(delete(tables.records).where(tables.records.c.seq >= 3))

    result = ledger.verify()

    assert [p.record_id for p in result.problems] == [records[3].record_id]
    assert "deleted" in result.problems[0].message


def test_rewinding_the_chain_head_is_detected(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    records = [decide(ledger, ConsentState.accept_all(registry)) for _ in range(3)]
    stored = {r.record_id: r for r in rows(ledger, tables.records)}
    second = stored[records[1].record_id]
    with ledger.engine.begin() as conn:
        conn.execute(delete(tables.records).where(tables.records.c.seq == 3))
        conn.execute(update(tables.chain).values(head_seq=2, head_id=second.record_id, head_mac=second.mac))

    result = ledger.verify()

    assert not result.ok
    assert "chain head was altered" in str(result.problems[0])
    # and nothing is appended onto a head that does not verify: the next record waits in the spool
    receipt = ledger.record_decision(
        ConsentState.accept_all(registry), control="accept_all", layer="first", locale="en"
    )
    assert receipt.stored_in == "spool"


def test_an_altered_notice_is_detected(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    record = decide(ledger, ConsentState.accept_all(registry))
    with ledger.engine.begin() as conn:
        conn.execute(update(tables.notices).values(body=text("replace(body, 'cookies', 'biscuits')")))

    result = ledger.verify()

    assert any(record.notice in p.message and "altered" in p.message for p in result.problems)


def test_another_key_neither_verifies_nor_appends(make_ledger: MakeLedger, registry: Registry) -> None:
    decide(make_ledger(), ConsentState.accept_all(registry))
    other = make_ledger(init=False, key="another-key")

    assert not other.verify().ok
    receipt = other.record_decision(
        ConsentState.accept_all(registry), control="accept_all", layer="first", locale="en"
    )
    assert receipt.stored_in == "spool"


def test_writing_and_verifying_need_the_key(make_ledger: MakeLedger, registry: Registry) -> None:
    keyless = make_ledger(key=None)

    with pytest.raises(LedgerError, match="key"):
        keyless.verify()
    with pytest.raises(LedgerError, match="key"):
        keyless.record_decision(ConsentState.accept_all(registry), control="a", layer="first", locale="en")
    assert keyless.count() == 0  # reading needs no key


# -- history and state_at ----------------------------------------------------------------------------


def test_history_lists_a_consent_ids_decisions_in_order(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    first = ConsentState.accept_all(registry, now=T0)
    second = first.with_choices({}, {"marketing": False}, method=Method.CUSTOM, now=T0 + timedelta(days=1))
    third = second.withdrawn(now=T0 + timedelta(days=2))
    other = ConsentState.reject_all(registry, now=T0)
    for when, state in [
        (T0, first),
        (T0, other),
        (T0 + timedelta(days=1), second),
        (T0 + timedelta(days=2), third),
    ]:
        decide(ledger, state, when=when)

    history = ledger.history(first.consent_id or "")

    assert [r.method for r in history] == ["accept_all", "custom", "withdraw"]
    assert {r.consent_id for r in history} == {first.consent_id}
    assert ledger.history("no-such-id") == []


def test_state_at_is_the_state_in_force_then(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger(registry=registry)
    codec = CookieCodec(registry, "cookie-key")
    first = ConsentState.accept_all(registry, now=T0)
    second = first.with_choices(
        {"google-youtube": False}, {"marketing": False}, method=Method.CUSTOM, now=T0 + timedelta(days=3)
    )
    decide(ledger, first, when=T0)
    decide(ledger, second, when=T0 + timedelta(days=3))
    cid = first.consent_id or ""

    before = ledger.state_at(cid, T0 - timedelta(seconds=1))
    during_first = ledger.state_at(cid, T0 + timedelta(days=1))
    during_second = ledger.state_at(cid, T0 + timedelta(days=4))
    expired = ledger.state_at(cid, T0 + timedelta(days=400))

    assert not before.is_decided
    when = T0 + timedelta(days=1)
    same_state(during_first, codec.decode(codec.encode(first), now=when), registry)
    same_state(during_second, codec.decode(codec.encode(second), now=T0 + timedelta(days=4)), registry)
    assert not during_second.allows("google-youtube") and during_first.allows("google-youtube")
    assert not expired.is_decided and expired.consent_id == cid
    assert during_first.id == cid


def test_state_at_reads_a_vendor_moved_to_another_purpose_as_unasked(
    make_ledger: MakeLedger, make_registry: Callable[..., Registry]
) -> None:
    old = make_registry(8)
    new, moved = with_vendor_moved(old)
    ledger = make_ledger()
    state = ConsentState.accept_all(old, now=T0)
    decide(ledger, state, when=T0)
    codec_old, codec_new = CookieCodec(old, "k"), CookieCodec(new, "k")

    from_ledger = ledger.state_at(state.consent_id or "", T0 + timedelta(hours=1), registry=new)
    from_cookie = codec_new.decode(codec_old.encode(state), now=T0 + timedelta(hours=1))

    same_state(from_ledger, from_cookie, new)
    assert from_ledger.vendor_decision(moved) is Decision.UNASKED


def test_state_at_needs_a_registry(make_ledger: MakeLedger) -> None:
    with pytest.raises(LedgerError, match="registry"):
        make_ledger().state_at("x", T0)


# -- schema ------------------------------------------------------------------------------------------


def test_init_is_idempotent_and_versioned(make_ledger: MakeLedger) -> None:
    ledger = make_ledger(init=False)

    assert ledger.schema_version() == 0
    assert ledger.init() == (0, tables.SCHEMA_VERSION)
    assert ledger.init() == (tables.SCHEMA_VERSION, tables.SCHEMA_VERSION)
    assert ledger.schema_version() == tables.SCHEMA_VERSION
    assert [r.version for r in rows(ledger, tables.versions)] == list(range(1, tables.SCHEMA_VERSION + 1))
    assert len(rows(ledger, tables.chain)) == 1


def test_a_newer_schema_is_refused(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    with ledger.engine.begin() as conn:
        conn.execute(
            tables.versions.insert().values(version=99, applied_at=tables.utcnow(), package_version="9")
        )

    with pytest.raises(SchemaError, match="newer"):
        ledger.init()


def test_nothing_creates_the_schema_but_init(
    make_ledger: MakeLedger, registry: Registry, ledger_backend: str
) -> None:
    ledger = make_ledger(init=False)

    receipt = ledger.record_decision(
        ConsentState.accept_all(registry), control="a", layer="first", locale="en"
    )

    assert receipt.stored_in == "spool"
    if ledger_backend == "sqlite":
        assert not Path(ledger.url.database or "").exists()  # not even an empty file
    else:
        assert ledger.schema_version() == 0
    ledger.init()
    ledger.replay()
    assert [r.record_id for r in ledger.export()] == [receipt.record.record_id]


def test_a_ledger_url_is_sqlite_or_postgresql() -> None:
    from consent.ledger import normalize_url

    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg"
    for bad in ("mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "not a url"):
        with pytest.raises(LedgerError):
            normalize_url(bad)


# -- the spool ---------------------------------------------------------------------------------------


def test_a_torn_spool_line_never_spoils_the_next_record(tmp_path: Path, registry: Registry) -> None:
    spool = Spool(tmp_path / "spool")
    first = build_record(
        ConsentState.accept_all(registry), notice="n" * 64, control="a", layer="first", locale="en"
    )
    second = build_record(
        ConsentState.reject_all(registry), notice="n" * 64, control="r", layer="first", locale="en"
    )
    spool.append(first)
    with open(spool.records_path, "ab") as handle:
        handle.write(second.canonical()[:40])  # a crash in the middle of a write
    spool.append(second)
    written: list[Record] = []

    result = spool.drain(lambda batch: written.extend(r for r, _ in batch))

    assert [r.record_id for r in written] == [first.record_id, second.record_id]
    assert result.rejected == 1
    assert (tmp_path / "spool" / "rejected.jsonl").read_bytes() == second.canonical()[:40] + b"\n"
    assert not spool.pending()


def test_a_failed_replay_keeps_the_spool(tmp_path: Path, registry: Registry) -> None:
    spool = Spool(tmp_path / "spool")
    record = build_record(
        ConsentState.accept_all(registry), notice="n" * 64, control="a", layer="first", locale="en"
    )
    spool.append(record)

    def fail(batch: Any) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        spool.drain(fail)

    assert spool.pending()
    assert [r.record_id for r in spool.records()] == [record.record_id]
    assert spool.drain(lambda batch: None).read == 1
    assert not spool.pending()


def test_a_spool_sorts_records_by_owner_and_holds_the_others(tmp_path: Path, registry: Registry) -> None:
    ours, theirs = Owner("a" * 32, "sqlite:////srv/a.db"), Owner("b" * 32, "sqlite:////srv/b.db")
    spool = Spool(tmp_path / "spool")
    made = {}
    for owner in (ours, theirs, None, ours):
        spool.owner = (lambda o=owner: o) if owner is not None else None  # None: a bare line, as before
        record = build_record(
            ConsentState.accept_all(registry), notice="n" * 64, control="a", layer="first", locale="en"
        )
        spool.append(record)
        made[record.record_id] = owner
    written: list[Record] = []

    result = spool.drain(lambda batch: written.extend(r for r, _ in batch), belongs=lambda o: o == ours)

    assert [made[r.record_id] for r in written] == [ours, ours]
    assert sorted((h.owner.name if h.owner else "-", h.count) for h in result.held) == [
        ("-", 1),
        ("b" * 32, 1),
    ]
    assert spool.describe()["held"] == 2 and not spool.pending()
    assert spool.drain(lambda batch: written.extend(r for r, _ in batch), belongs=lambda o: True).read == 2
    assert not spool.held()


def test_history_includes_spooled_records(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    state = ConsentState.accept_all(registry)
    stored = decide(ledger, state)
    assert ledger.spool is not None
    waiting = build_record(
        state.withdrawn(),
        notice=stored.notice,
        control="withdraw",
        layer="second",
        locale="en",
        now=stored.recorded_at + timedelta(seconds=1),
    )
    ledger.spool.append(waiting)

    history = ledger.history(state.consent_id or "")

    assert [(r.record_id, r.seq) for r in history] == [(stored.record_id, 1), (waiting.record_id, None)]
    assert ledger.get(waiting.record_id) == waiting


# -- stats and prune ---------------------------------------------------------------------------------


def test_stats_count_decisions_per_day_and_answers_per_category(
    make_ledger: MakeLedger, registry: Registry
) -> None:
    ledger = make_ledger()
    day1, day2 = T0, T0 + timedelta(days=1)
    decide(ledger, ConsentState.accept_all(registry, now=day1), when=day1)
    decide(ledger, ConsentState.reject_all(registry, now=day1), when=day1)
    custom = ConsentState.undecided(registry).with_choices(
        {}, {"statistics": True, "marketing": False, "functional": False}, method=Method.CUSTOM
    )
    decide(ledger, custom, when=day2)

    stats = ledger.stats()

    assert stats.total == 3
    assert stats.methods[day1.date()] == {"accept_all": 1, "reject_all": 1}
    assert stats.methods[day2.date()] == {"custom": 1}
    assert stats.categories[day1.date()]["marketing"] == {"granted": 1, "denied": 1}
    assert stats.categories[day2.date()]["statistics"] == {"granted": 1}
    assert "necessary" not in stats.categories[day1.date()]  # required: never a choice
    assert ledger.stats(since=day2).total == 1


def test_prune_drops_old_records_and_keeps_the_rest_verifiable(
    make_ledger: MakeLedger, registry: Registry
) -> None:
    ledger = make_ledger()
    now = datetime.now(UTC)
    old = [
        decide(ledger, ConsentState.accept_all(registry), when=now - timedelta(days=90 - i)) for i in range(3)
    ]
    young = [
        decide(ledger, ConsentState.reject_all(registry), when=now - timedelta(days=1)) for _ in range(2)
    ]

    assert ledger.prune(timedelta(days=30)) == 3
    assert ledger.prune(timedelta(days=30)) == 0
    assert [r.record_id for r in ledger.export()] == [r.record_id for r in young]
    assert ledger.get(old[0].record_id) is None
    assert ledger.verify().ok
    decide(ledger, ConsentState.accept_all(registry))
    assert ledger.verify().ok


def test_a_forged_pruning_point_is_detected(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    records = [decide(ledger, ConsentState.accept_all(registry)) for _ in range(3)]
    first = next(r for r in rows(ledger, tables.records) if r.seq == 1)
    with ledger.engine.begin() as conn:  # delete the first record and pretend it was pruned
        conn.execute(delete(tables.records).where(tables.records.c.seq == 1))
        conn.execute(update(tables.chain).values(base_seq=1, base_id=first.record_id, base_mac=first.mac))

    result = ledger.verify()

    assert [p.record_id for p in result.problems] == [records[0].record_id]
    assert "pruning point" in result.problems[0].message


# -- packaging ---------------------------------------------------------------------------------------


def test_without_sqlalchemy_the_cli_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from consent.cli import main

    for name in [m for m in sys.modules if m == "consent.ledger" or m.startswith("consent.ledger.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)

    assert main(["ledger", "init", "--url", "sqlite:///x.db"]) == 2

    assert "pip install 'consent-gate[ledger]'" in capsys.readouterr().err


def test_without_sqlalchemy_a_configured_ledger_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_helpers import example_app

    for name in [m for m in sys.modules if m == "consent.ledger" or m.startswith("consent.ledger.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)

    with pytest.raises(ConfigurationError, match=r"consent-gate\[ledger\]"):
        example_app(CONSENT_LEDGER_URL="sqlite:///x.db")


def test_counts_are_exact(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger()
    for _ in range(7):
        decide(ledger, ConsentState.accept_all(registry))
    with ledger.engine.connect() as conn:
        distinct = conn.scalar(select(func.count(func.distinct(tables.records.c.record_id))))
    assert ledger.count() == distinct == 7


def test_sqlite_durability_is_chosen_in_the_url(
    make_ledger: MakeLedger, registry: Registry, ledger_backend: str
) -> None:
    from consent.ledger import normalize_url

    assert normalize_url("sqlite:///x.db?synchronous=full").query == {"synchronous": "full"}
    with pytest.raises(LedgerError, match="synchronous"):
        normalize_url("sqlite:///x.db?synchronous=off")
    with pytest.raises(LedgerError, match="unknown SQLite ledger option"):
        normalize_url("sqlite:///x.db?journal=memory")
    if ledger_backend == "sqlite":
        ledger = make_ledger(url=make_ledger(init=False).url.render_as_string() + "?synchronous=full")
        decide(ledger, ConsentState.accept_all(registry))
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# -- the benchmark -----------------------------------------------------------------------------------


def test_the_ledger_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.bench_ledger import main

    status = main(rounds=2, number=2)  # far too few to mean anything: only that it runs and reports

    out = capsys.readouterr().out
    assert status in (0, 1)
    assert "decision POST, ledger on SQLite / ledger off" in out
    assert "page view, ledger on / ledger off" in out
    assert out.count("(target <= ") == 2
    assert "records (normal): " in out and ", 0 in the spool" in out


@pytest.mark.postgres
def test_a_record_the_database_refuses_is_set_aside_not_blocking_the_rest(
    registry: Registry, tmp_path: Path, pg_cluster: Any
) -> None:
    pg_cluster.ensure_running()
    pg_cluster.reset()
    ledger = Ledger(pg_cluster.url, KEY, spool=tmp_path / "spool")  # PostgreSQL enforces column sizes
    try:
        ledger.init()
        assert ledger.spool is not None
        good = [
            build_record(
                ConsentState.accept_all(registry), notice="n" * 64, control="a", layer="first", locale="en"
            )
            for _ in range(3)
        ]
        bad = Record.from_content(good[0].content() | {"record_id": "f" * 32, "consent_id": "x" * 40})
        for record in (good[0], bad, good[1], good[2]):
            ledger.spool.append(record)

        ledger.replay()

        assert [r.record_id for r in ledger.export()] == [r.record_id for r in good]
        rejected = (tmp_path / "spool" / "rejected.jsonl").read_bytes().splitlines()
        assert [Record.from_body(line).record_id for line in rejected] == [bad.record_id]
        assert not ledger.spool.pending()
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("policy", "gpc", "shown", "not_shown"),
    [
        ("opt-in", False, "Accept all", "Do not sell"),
        ("opt-out", False, "Do not sell or share my personal information", "Accept all"),
        ("opt-out", True, "we honour it", "Do not sell or share my personal information"),
        ("notice", False, "Cookie settings", "Reject all"),
    ],
)
def test_the_notice_is_the_first_layer_of_the_visitors_region(
    policy: str, gpc: bool, shown: str, not_shown: str, seed_registry: Registry
) -> None:
    from consent.ledger.notice import build_notice, render_notice

    text = render_notice(build_notice(seed_registry, "en", policy=policy, gpc=gpc))
    first_layer = text.split("\n", 3)[:3]

    assert shown in " ".join(text.split())
    assert not_shown not in " ".join(first_layer)


def test_every_notice_string_is_what_the_templates_say() -> None:
    # The notice repeats the templates' wording: each of its strings must be one the widget shows.
    import ast

    from conftest import ROOT

    source = (ROOT / "consent" / "ledger" / "notice.py").read_text()
    templates = " ".join(p.read_text() for p in (ROOT / "widget" / "templates" / "consent").glob("*.html"))
    strings = [
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "_"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(strings) > 20
    missing = [s for s in strings if f'_("{s}"' not in templates and f"_('{s}'" not in templates]
    assert missing == []


def test_objections_to_legitimate_interest_are_recorded_and_read_back(
    make_ledger: MakeLedger, registry: Registry
) -> None:
    ledger = make_ledger(registry=registry)
    codec = CookieCodec(registry, "cookie-key")
    state = ConsentState.accept_all(registry, now=T0).with_choices(
        {}, method=Method.CUSTOM, now=T0, objections=["google-youtube"], objected_purposes=[2, 7]
    )
    record = decide(ledger, state, when=T0)
    assert record.content()["objections"] == {"vendors": ["google-youtube"], "purposes": [2, 7]}
    assert Record.from_body(record.canonical()) == record
    later = ledger.state_at(state.consent_id or "", T0 + timedelta(days=1))
    same_state(later, codec.decode(codec.encode(state), now=T0 + timedelta(days=1)), registry)


def test_a_record_without_objections_keeps_its_old_content(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=T0)
    record = build_record(state, notice="n" * 64, control="accept_all", layer="first", locale="en")
    assert "objections" not in record.content()
