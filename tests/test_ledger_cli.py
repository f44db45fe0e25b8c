"""``consent ledger ...``: every command, its output and its exit code, on both backends."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_helpers import KEY
from sqlalchemy import delete, select, update

from consent.cli import main
from consent.ledger import Ledger, Record, derive_key
from consent.ledger import schema as tables
from consent.registry import Registry
from consent.state import ConsentState, Method

Capsys = pytest.CaptureFixture[str]
MakeLedger = Callable[..., Ledger]
NOW = datetime.now(UTC)
ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["ledger_fixtures"]


@pytest.fixture(autouse=True)
def ledger_environment(monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> None:
    monkeypatch.setenv("CONSENT_LEDGER_URL", ledger_url)
    monkeypatch.setenv("CONSENT_LEDGER_KEY", KEY)
    monkeypatch.delenv("SECRET_KEY", raising=False)


def decide(ledger: Ledger, state: ConsentState, when: datetime = NOW, locale: str = "en") -> Record:
    receipt = ledger.record_decision(
        state, control=state.method.value if state.method else "", layer="second", locale=locale,
        path="/movie-review-her", now=when,
    )  # fmt: skip
    assert receipt.stored_in == "database"
    return receipt.record


@pytest.fixture
def filled(make_ledger: MakeLedger, registry: Registry) -> tuple[Ledger, list[Record]]:
    """Five decisions: two 60 days ago, three today; one visitor decides twice."""
    ledger = make_ledger()
    old = NOW - timedelta(days=60)
    visitor = ConsentState.accept_all(registry, now=old)
    records = [
        decide(ledger, visitor, old),
        decide(ledger, ConsentState.reject_all(registry, now=old), old),
        decide(ledger, visitor.with_choices({}, {"marketing": False}, method=Method.CUSTOM, now=NOW)),
        decide(ledger, ConsentState.accept_all(registry, now=NOW), locale="de"),
        decide(ledger, ConsentState.reject_all(registry, now=NOW)),
    ]
    return ledger, records


# -- init ----------------------------------------------------------------------------------------------


def test_init_creates_then_finds_the_schema_current(capsys: Capsys, ledger_url: str) -> None:
    assert main(["ledger", "init"]) == 0
    out = capsys.readouterr().out
    assert "created the ledger schema (version 2)" in out
    with Ledger(ledger_url, KEY, timeout=None) as ledger:
        assert f"ledger id {ledger.ledger_id()}" in out

    assert main(["ledger", "init", "--url", ledger_url]) == 0
    assert "the ledger schema is current (version 2)" in capsys.readouterr().out


def test_every_command_needs_a_url(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_URL")

    assert main(["ledger", "stats"]) == 2
    assert "pass --url or set CONSENT_LEDGER_URL" in capsys.readouterr().err


def test_an_unreachable_database_is_an_error_not_a_traceback(capsys: Capsys) -> None:
    assert main(["ledger", "stats", "--url", "postgresql://postgres@127.0.0.1:1/none"]) == 2

    assert capsys.readouterr().err.startswith("consent ledger: ")


# -- show -----------------------------------------------------------------------------------------------


def test_show_prints_each_decision_and_the_notice_the_visitor_saw(
    filled: tuple[Ledger, list[Record]], registry: Registry, capsys: Capsys
) -> None:
    _, records = filled

    assert main(["ledger", "show", records[0].consent_id]) == 0

    out = capsys.readouterr().out
    assert f"consent id {records[0].consent_id}: 2 decisions" in out
    assert f"record {records[0].record_id}" in out and f"record {records[2].record_id}" in out
    assert "decision    accept_all (control 'accept_all', second layer)" in out
    assert "decision    custom" in out
    assert "page /movie-review-her" in out
    assert f"notice      sha256 {records[0].notice}, as the visitor was shown it:" in out
    assert "(the same as above)" in out  # the second decision saw the same notice: printed once
    assert "This website uses cookies" in out
    assert "To give you a better website experience" in out  # the registry's own statement
    assert "[Accept all] [Reject all] [Customize]" in out
    for vendor in registry.vendors:
        assert vendor.name in out


def test_show_finds_a_single_record_and_its_locale(
    filled: tuple[Ledger, list[Record]], capsys: Capsys
) -> None:
    _, records = filled
    german = records[3]

    assert main(["ledger", "show", german.record_id]) == 0

    out = capsys.readouterr().out
    assert f"record {german.record_id}" in out
    assert "[de]" in out and "locale      de" in out


def test_show_an_unknown_id_answers_no(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    assert main(["ledger", "show", "nobody"]) == 1
    assert "no record and no consent id 'nobody'" in capsys.readouterr().err


# -- export ---------------------------------------------------------------------------------------------


def test_export_jsonl_since_a_date(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    _, records = filled
    since = (NOW - timedelta(days=1)).date().isoformat()

    assert main(["ledger", "export", "--since", since]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["record_id"] for line in lines] == [r.record_id for r in records[2:]]
    assert [line["seq"] for line in lines] == [3, 4, 5]
    assert all(len(line["mac"]) == 64 for line in lines)
    assert lines[0]["categories"]["marketing"] == "denied"
    assert "ip" not in lines[0] and "user_agent" not in lines[0]


def test_export_csv_to_a_file(
    filled: tuple[Ledger, list[Record]], tmp_path: Path, registry: Registry
) -> None:
    _, records = filled
    target = tmp_path / "ledger.csv"

    assert main(["ledger", "export", "--format", "csv", "--output", str(target)]) == 0

    table = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["record_id"] for row in table] == [r.record_id for r in records]
    assert table[0]["method"] == "accept_all"
    assert table[2]["category:marketing"] == "denied"
    assert {f"vendor:{v.id}" for v in registry.vendors} <= set(table[0])
    assert table[1]["vendor:google-youtube"] == "denied"


def test_export_rejects_a_bad_date(capsys: Capsys) -> None:
    assert main(["ledger", "export", "--since", "yesterday"]) == 2
    assert "not a date" in capsys.readouterr().err


# -- verify ---------------------------------------------------------------------------------------------


def test_verify_a_sound_ledger(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    assert main(["ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: 5 records, chain head seq 5 mac ")


def test_verify_names_an_edited_and_a_deleted_record(
    filled: tuple[Ledger, list[Record]], capsys: Capsys
) -> None:
    ledger, records = filled
    edited, deleted = records[1], records[3]
    r = tables.records
    with ledger.engine.begin() as conn:
        body = conn.scalar(select(r.c.body).where(r.c.record_id == edited.record_id))
        conn.execute(
            update(r)
            .where(r.c.record_id == edited.record_id)
            .values(body=body.replace('"marketing":"denied"', '"marketing":"granted"'))
        )
        conn.execute(delete(r).where(r.c.record_id == deleted.record_id))

    assert main(["ledger", "verify"]) == 1

    out = capsys.readouterr().out
    broken = [line for line in out.splitlines() if line.startswith("BROKEN")]
    assert len(broken) == 2
    assert broken[0].startswith(f"BROKEN record {edited.record_id} (seq 2): altered")
    assert broken[1].startswith(f"BROKEN record {deleted.record_id} (seq 4): missing: deleted")
    assert "2 problems in 4 records" in out


def test_verify_needs_the_key(filled: tuple[Ledger, list[Record]], monkeypatch: pytest.MonkeyPatch,
                              capsys: Capsys) -> None:  # fmt: skip
    monkeypatch.delenv("CONSENT_LEDGER_KEY")

    assert main(["ledger", "verify"]) == 2
    err = capsys.readouterr().err
    assert "set CONSENT_LEDGER_KEY, or SECRET_KEY" in err
    assert "derived when CONSENT_LEDGER_KEY is unset" in err


@pytest.mark.parametrize(
    "wrong", [{"CONSENT_LEDGER_KEY": "not-the-key"}, {"SECRET_KEY": "not-the-site-secret"}]
)
def test_verify_with_a_wrong_key_says_the_key_is_likely_wrong(
    filled: tuple[Ledger, list[Record]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    wrong: dict[str, str],
) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_KEY")
    for name, value in wrong.items():
        monkeypatch.setenv(name, value)

    assert main(["ledger", "verify"]) == 2

    out, err = capsys.readouterr()
    assert "BROKEN" not in out  # not five records "altered"
    assert err.count("\n") == 1
    assert "the ledger key is likely wrong: not one of the 5 records nor the chain head verifies" in err
    assert "check CONSENT_LEDGER_KEY (or SECRET_KEY" in err


def test_one_edited_record_is_not_taken_for_a_wrong_key(make_ledger: MakeLedger, registry: Registry,
                                                        capsys: Capsys) -> None:  # fmt: skip
    ledger = make_ledger()
    record = decide(ledger, ConsentState.accept_all(registry))
    with ledger.engine.begin() as conn:
        body = conn.scalar(select(tables.records.c.body))
        conn.execute(update(tables.records).values(body=body.replace('"granted"', '"denied"', 1)))

    assert main(["ledger", "verify"]) == 1

    assert f"BROKEN record {record.record_id} (seq 1): altered" in capsys.readouterr().out


def test_export_into_a_reader_that_stops_early_exits_quietly(
    make_ledger: MakeLedger, registry: Registry, ledger_url: str
) -> None:
    """``consent ledger export | head -c 100``: no traceback, exit 141 (as if ended by SIGPIPE)."""
    ledger = make_ledger(timeout=None)
    for _ in range(100):
        decide(ledger, ConsentState.accept_all(registry))
    with subprocess.Popen(
        [sys.executable, "-m", "consent.cli", "ledger", "export"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env=os.environ | {"CONSENT_LEDGER_URL": ledger_url, "CONSENT_LEDGER_KEY": KEY},
    ) as export:  # fmt: skip
        assert export.stdout is not None and export.stderr is not None
        first = export.stdout.read(100)
        export.stdout.close()  # the reader goes away long before the 100 records (~150 KB) are written
        err = export.stderr.read()

    assert first.startswith(b'{"categories"')
    assert (export.returncode, err) == (141, b"")


def test_the_ledger_commands_do_not_import_the_consent_command() -> None:
    code = "import sys, consent.ledger.cli; print('consent.cli' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_key_can_be_derived_from_secret_key(
    make_ledger: MakeLedger,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    decide(make_ledger(key=derive_key("site-secret")), ConsentState.accept_all(registry))
    monkeypatch.delenv("CONSENT_LEDGER_KEY")
    monkeypatch.setenv("SECRET_KEY", "site-secret")

    assert main(["ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 records")


# -- stats ----------------------------------------------------------------------------------------------


def test_stats_prints_the_acceptance_report(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    old, today = (NOW - timedelta(days=60)).date().isoformat(), NOW.date().isoformat()

    assert main(["ledger", "stats"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Decisions per day"
    assert out[1].split() == ["day", "total", "accept_all", "reject_all", "custom"]
    assert out[2].split() == [old, "2", "1", "1", "0"]
    assert out[3].split() == [today, "3", "1", "1", "1"]
    assert out[4].split() == ["all", "5", "2", "2", "1"]
    assert "Answers per category: granted / denied (share granted)" in out
    header = next(line for line in out if line.startswith("day") and "marketing" in line)
    assert header.split() == ["day", "functional", "marketing", "statistics"]
    marketing_today = next(line for line in out if line.startswith(today) and "/" in line)
    assert "1 / 2 (33%)" in marketing_today  # accept, custom without marketing, reject


def test_stats_as_json_since_a_date(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    today = NOW.date().isoformat()

    assert main(["ledger", "stats", "--since", today, "--format", "json"]) == 0

    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3
    assert data["days"][today]["methods"] == {"accept_all": 1, "reject_all": 1, "custom": 1}
    assert data["days"][today]["categories"]["marketing"] == {"granted": 1, "denied": 2}


# -- prune and replay -----------------------------------------------------------------------------------


def test_prune_older_than_30_days(filled: tuple[Ledger, list[Record]], capsys: Capsys) -> None:
    ledger, records = filled

    assert main(["ledger", "prune", "--older-than", "30d"]) == 0

    assert capsys.readouterr().out == "pruned 2 records older than 30 days\n"
    assert [r.record_id for r in ledger.export()] == [r.record_id for r in records[2:]]
    assert main(["ledger", "verify"]) == 0


@pytest.mark.parametrize("bad", ["soon", "0d", "-3d"])
def test_prune_needs_a_positive_duration(bad: str, capsys: Capsys) -> None:
    assert main(["ledger", "prune", "--older-than", bad]) == 2


def test_replay_writes_the_spool(make_ledger: MakeLedger, registry: Registry, tmp_path: Path,
                                 capsys: Capsys) -> None:  # fmt: skip
    writer = make_ledger(init=False)
    receipts = [
        writer.record_decision(
            ConsentState.accept_all(registry), control="accept_all", layer="first", locale="en"
        )
        for _ in range(3)
    ]
    assert {r.stored_in for r in receipts} == {"spool"}  # no schema yet
    assert main(["ledger", "init"]) == 0
    capsys.readouterr()

    assert main(["ledger", "replay", "--spool", str(tmp_path / "spool")]) == 0

    assert capsys.readouterr().out == "replayed 3 spooled records\n"
    assert [r.record_id for r in writer.export()] == [r.record.record_id for r in receipts]
    assert main(["ledger", "replay", "--spool", str(tmp_path / "spool")]) == 0
    assert capsys.readouterr().out == "replayed 0 spooled records\n"


def test_replay_needs_a_spool(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_SPOOL", raising=False)

    assert main(["ledger", "replay"]) == 2
    assert "pass --spool" in capsys.readouterr().err


def test_replay_refuses_a_spool_that_does_not_exist(tmp_path: Path, capsys: Capsys) -> None:
    assert main(["ledger", "replay", "--spool", str(tmp_path / "typo")]) == 2
    assert "there is no spool directory" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_init_creates_the_insights_tables_too(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, inspect

    from consent.cli import main
    from consent.insights.schema import TABLES

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert main(["ledger", "init", "--url", url]) == 0
    engine = create_engine(url)
    try:
        assert {t.name for t in TABLES} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
