"""Issue 13.6: a rolled-back ledger passes ``verify``; a signed checkpoint kept elsewhere catches it.

The attacks, by someone who can write to the database but does not hold the ledger key:

1. delete the records appended since a backup and restore the chain head from it;
2. wipe everything and reset the head (or drop the tables and run ``consent ledger init`` again).

Both leave a chain that verifies. ``consent ledger checkpoint`` signs the head (seq, MAC, time, ledger
id) with the ledger key; ``consent ledger verify --checkpoint FILE`` fails when the ledger is behind a
checkpoint, differs from it at its seq, or is another ledger. Both backends.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import KEY
from sqlalchemy import delete, select, update

from consent.cli import main
from consent.ledger import Checkpoint, CheckpointError, Ledger, LedgerError, derive_key, load_checkpoints
from consent.ledger import schema as tables
from consent.registry import Registry
from consent.state import ConsentState

pytest_plugins = ["ledger_fixtures"]

Capsys = pytest.CaptureFixture[str]
MakeLedger = Callable[..., Ledger]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def ledger_environment(monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> None:
    monkeypatch.setenv("CONSENT_LEDGER_URL", ledger_url)
    monkeypatch.setenv("CONSENT_LEDGER_KEY", KEY)
    monkeypatch.delenv("SECRET_KEY", raising=False)


def decide(ledger: Ledger, registry: Registry, count: int = 1) -> None:
    for _ in range(count):
        receipt = ledger.record_decision(
            ConsentState.accept_all(registry), control="a", layer="first", locale="en"
        )
        assert receipt.stored_in == "database"


def chain_row(ledger: Ledger) -> dict[str, Any]:
    with ledger.engine.begin() as conn:
        return dict(conn.execute(select(tables.chain)).one()._mapping)


def roll_back_to(ledger: Ledger, old_head: dict[str, Any]) -> None:
    """Attack 1: delete the records appended since the backup, restore the head it had."""
    with ledger.engine.begin() as conn:
        conn.execute(delete(tables.records).where(tables.records.c.seq > old_head["head_seq"]))
        conn.execute(update(tables.chain).values(**old_head))


def wipe(ledger: Ledger) -> None:
    """Attack 2: delete every record and notice, reset the head and base to a new ledger's."""
    with ledger.engine.begin() as conn:
        conn.execute(delete(tables.records))
        conn.execute(delete(tables.notices))
        conn.execute(
            update(tables.chain).values(
                head_seq=0, head_id=None, head_mac="", head_tag=None,
                base_seq=0, base_id=None, base_mac="", base_tag=None,
            )
        )  # fmt: skip


def verify(capsys: Capsys, *checkpoints: Path) -> tuple[int, str]:
    arguments = ["ledger", "verify"]
    for path in checkpoints:
        arguments += ["--checkpoint", str(path)]
    status = main(arguments)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.fixture
def checkpointed(
    make_ledger: MakeLedger, registry: Registry, tmp_path: Path, capsys: Capsys
) -> tuple[Ledger, dict[str, Any], Path]:
    """Five records (the attacker's backup keeps this head), three more, then a checkpoint at seq 8."""
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    decide(ledger, registry, 5)
    backup = chain_row(ledger)
    decide(ledger, registry, 3)
    checkpoints = tmp_path / "checkpoints.jsonl"
    assert main(["ledger", "checkpoint", "--output", str(checkpoints)]) == 0
    assert "at seq 8 appended to" in capsys.readouterr().out
    return ledger, backup, checkpoints


# -- the attacks ------------------------------------------------------------------------------------


def test_a_rollback_to_an_old_head_passes_verify_but_not_verify_with_a_checkpoint(
    checkpointed: tuple[Ledger, dict[str, Any], Path], capsys: Capsys
) -> None:
    ledger, backup, checkpoints = checkpointed
    roll_back_to(ledger, backup)

    status, without = verify(capsys)
    assert (status, without.splitlines()[0].split(", chain")[0]) == (0, "ok: 5 records")  # undetected

    status, output = verify(capsys, checkpoints)
    assert status == 1
    assert "the ledger is behind checkpoint" in output
    assert "saw the chain at seq 8, the ledger's head is at seq 5" in output


def test_wiping_everything_passes_verify_but_not_verify_with_a_checkpoint(
    checkpointed: tuple[Ledger, dict[str, Any], Path], capsys: Capsys
) -> None:
    ledger, _, checkpoints = checkpointed
    wipe(ledger)

    status, without = verify(capsys)
    assert status == 0 and without.startswith("ok: 0 records")  # undetected

    status, output = verify(capsys, checkpoints)
    assert status == 1
    assert "saw the chain at seq 8, the ledger's head is at seq 0" in output


def test_dropping_the_ledger_and_creating_it_again_is_another_ledger(
    checkpointed: tuple[Ledger, dict[str, Any], Path], capsys: Capsys, ledger_url: str
) -> None:
    ledger, _, checkpoints = checkpointed
    old_id = ledger.ledger_id()
    with ledger.engine.begin() as conn:
        for table in (tables.records, tables.notices, tables.chain, tables.identity, tables.versions):
            table.drop(conn)
    assert main(["ledger", "init", "--url", ledger_url]) == 0
    with Ledger(ledger_url, KEY, timeout=None) as recreated:
        new_id = recreated.ledger_id()
    capsys.readouterr()

    assert verify(capsys)[0] == 0  # undetected
    status, output = verify(capsys, checkpoints)
    assert status == 1
    assert f"is of ledger {old_id}, but this database is ledger {new_id}" in output


def test_a_rollback_written_over_by_new_records_diverges_from_the_checkpoint(
    checkpointed: tuple[Ledger, dict[str, Any], Path], registry: Registry, capsys: Capsys
) -> None:
    ledger, backup, checkpoints = checkpointed
    roll_back_to(ledger, backup)
    ledger.close()
    reopened = Ledger(ledger.url, KEY, timeout=None)
    decide(reopened, registry, 4)  # the site goes on writing: the chain is at seq 9, past the checkpoint
    reopened.close()

    assert verify(capsys)[0] == 0  # undetected
    status, output = verify(capsys, checkpoints)
    assert status == 1
    assert "the ledger diverges from checkpoint" in output and "at seq 8 that checkpoint saw record" in output


def test_the_next_checkpoint_refuses_to_bless_a_rolled_back_ledger(
    checkpointed: tuple[Ledger, dict[str, Any], Path], capsys: Capsys
) -> None:
    ledger, backup, checkpoints = checkpointed
    roll_back_to(ledger, backup)
    before = checkpoints.read_bytes()

    assert main(["ledger", "checkpoint", "--output", str(checkpoints)]) == 1

    captured = capsys.readouterr()
    assert "BROKEN" in captured.out and "behind" in captured.out
    assert "no new checkpoint is written" in captured.err
    assert checkpoints.read_bytes() == before


# -- checkpoints that are sound -----------------------------------------------------------------------


def test_a_ledger_that_only_grew_is_consistent_with_every_checkpoint(
    checkpointed: tuple[Ledger, dict[str, Any], Path], registry: Registry, capsys: Capsys
) -> None:
    ledger, _, checkpoints = checkpointed
    decide(ledger, registry, 2)
    assert main(["ledger", "checkpoint", "--output", str(checkpoints)]) == 0
    decide(ledger, registry, 1)
    capsys.readouterr()

    status, output = verify(capsys, checkpoints)

    assert status == 0
    assert "ok: 11 records" in output
    assert (
        f"ok: consistent with 2 checkpoints of ledger {ledger.ledger_id()} (the furthest at seq 10" in output
    )


def test_a_checkpoint_of_records_pruned_since_still_verifies(
    make_ledger: MakeLedger, registry: Registry, tmp_path: Path
) -> None:
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    old = datetime.now(UTC) - timedelta(days=60)
    for _ in range(3):
        ledger.record_decision(
            ConsentState.accept_all(registry), control="a", layer="first", locale="en", now=old
        )
    at_three = ledger.checkpoint()
    decide(ledger, registry, 2)
    at_five = ledger.checkpoint()

    assert ledger.prune(timedelta(days=30)) == 3

    assert ledger.verify([at_three, at_five]).ok
    assert ledger.verify([at_three, at_five]).checkpoints == 2


def test_an_empty_ledgers_checkpoint_only_pins_its_id(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    empty = ledger.checkpoint()
    decide(ledger, registry, 1)

    assert (empty.seq, empty.record_id, empty.mac) == (0, None, "")
    assert ledger.verify([empty]).ok


# -- checkpoints that are not to be trusted -----------------------------------------------------------


def test_an_altered_checkpoint_fails(
    checkpointed: tuple[Ledger, dict[str, Any], Path], capsys: Capsys, tmp_path: Path
) -> None:
    _, _, checkpoints = checkpointed
    data = json.loads(checkpoints.read_text())
    data["seq"] = 3  # to make a rolled-back ledger look consistent
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps(data) + "\n")

    status, output = verify(capsys, forged)

    assert status == 1
    assert f"checkpoint {forged}:1" in output and "its signature does not verify" in output


def test_a_checkpoint_signed_with_another_key_fails(make_ledger: MakeLedger, registry: Registry) -> None:
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    decide(ledger, registry, 2)
    point = ledger.checkpoint()
    point = Checkpoint(point.ledger_id, point.seq, point.record_id, point.mac, point.at).signed(
        b"another-key"
    )

    problems = ledger.verify([point]).problems

    assert [p.message for p in problems] == [
        "the checkpoint: its signature does not verify under this ledger key "
        "(an altered checkpoint, or one signed with another key)"
    ]


def test_no_checkpoint_is_written_of_a_head_that_does_not_verify(
    make_ledger: MakeLedger, registry: Registry
) -> None:
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    decide(ledger, registry, 2)
    with ledger.engine.begin() as conn:
        conn.execute(update(tables.chain).values(head_tag="0" * 64))

    with pytest.raises(LedgerError, match="no checkpoint is written"):
        ledger.checkpoint()


def test_an_unreadable_checkpoint_file_lists_every_bad_line(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text('{"format": 1}\nnot json\n\n{"format": 9}\n')

    with pytest.raises(CheckpointError) as caught:
        load_checkpoints(path)
    assert [p.split(": ", 1)[0] for p in caught.value.problems] == [f"{path}:1", f"{path}:2", f"{path}:4"]

    assert main(["ledger", "verify", "--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        f"{path}:1: not a checkpoint" in err
        and f"{path}:4: not a checkpoint (unknown checkpoint format 9)" in err
    )


@pytest.mark.parametrize("content", ["", "\n\n"], ids=["empty", "blank"])
def test_a_checkpoint_file_without_a_checkpoint_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text(content)

    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        load_checkpoints(path)


def test_checkpoint_without_output_prints_a_line_to_keep_elsewhere(
    make_ledger: MakeLedger, registry: Registry, capsys: Capsys, tmp_path: Path
) -> None:
    ledger = make_ledger(timeout=None)  # a loaded machine never spools a decision here
    decide(ledger, registry, 1)

    assert main(["ledger", "checkpoint"]) == 0

    line = capsys.readouterr().out.strip()
    point = Checkpoint.parse(line)
    assert (point.ledger_id, point.seq) == (ledger.ledger_id(), 1)
    assert point.is_signed_by(KEY.encode())
    (tmp_path / "elsewhere.jsonl").write_text(line + "\n")
    assert main(["ledger", "verify", "--checkpoint", str(tmp_path / "elsewhere.jsonl")]) == 0


# -- the example ----------------------------------------------------------------------------------------


def test_make_example_writes_a_checkpoint_on_each_start(ledger_url: str, tmp_path: Path) -> None:
    """The commands ``make example`` runs before the server, on a throwaway ledger and log."""
    log = tmp_path / "instance" / "ledger-checkpoints.jsonl"
    planned = subprocess.run(
        ["make", "-n", "example", f"LEDGER_URL={ledger_url}", f"LEDGER_CHECKPOINTS={log}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    before_server = planned[: next(i for i, line in enumerate(planned) if "flask" in line)]
    commands = [line for line in before_server if "consent ledger" in line or line.startswith("mkdir")]
    assert [c.split("consent ledger ")[1].split()[0] for c in commands if "consent ledger" in c] == [
        "init",
        "checkpoint",
    ]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_", "REVIEWS_"))}

    for _ in range(2):  # two starts, two checkpoints
        for command in commands:
            subprocess.run(command, shell=True, cwd=ROOT, env=environment, check=True, capture_output=True)

    points = load_checkpoints(log)
    assert len(points) == 2
    # Signed with the key the example site writes its ledger with (derived from its SECRET_KEY).
    with Ledger(ledger_url, derive_key("dev-only-secret-change-me"), timeout=None) as ledger:
        assert ledger.verify(points).ok
        assert points[0].ledger_id == ledger.ledger_id()
