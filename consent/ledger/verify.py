"""Checking the ledger: every record's MAC and link, the chain's head and base, the notices, and the
chain against signed checkpoints (see :mod:`consent.ledger.checkpoint`).

Each problem is a :class:`Break` naming the record (and place in the chain) it concerns; a wrong key,
under which nothing verifies, is reported as that one finding rather than as every record altered.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from . import schema
from .checkpoint import Checkpoint
from .engine import naive_utc
from .records import Record, chain_mac, tag


@dataclass(frozen=True)
class Break:
    """One problem :meth:`Ledger.verify` found, named by record id (and place in the chain)."""

    record_id: str | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"record {self.record_id or '?'}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Verification:
    """What :meth:`Ledger.verify` found.

    ``key_likely_wrong``: not one record (nor the chain's head) verifies under the key, which is what a
    wrong key looks like; ``problems`` then holds that one finding instead of every record.
    """

    checked: int
    problems: tuple[Break, ...]
    head_seq: int
    head_mac: str
    ledger_id: str | None = None
    checkpoints: int = 0
    key_likely_wrong: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    conn: Connection,
    key: bytes,
    ledger_id: str,
    head: Any,
    checkpoints: Sequence[Checkpoint],
    *,
    rows: Callable[[Any], Iterable[Any]],
) -> Verification:
    """Check every record's MAC and link, the chain's head and base, every notice's hash, and the
    ledger against ``checkpoints``, in one snapshot ``conn`` of the ledger ``ledger_id`` whose chain row
    is ``head`` (``rows`` streams a statement's rows)."""
    problems: list[Break] = []
    r, n = schema.records, schema.notices
    checked = bad_macs = 0
    if head.base_seq and not hmac.compare_digest(
        tag(key, "base", head.base_seq, head.base_id, head.base_mac), head.base_tag or ""
    ):
        problems.append(Break(head.base_id, head.base_seq, "the pruning point was altered"))
    head_checked = bool(head.head_seq or head.head_tag is not None)
    head_ok = head_checked and head_verifies(key, head)
    if head_checked and not head_ok:
        problems.append(Break(head.head_id, head.head_seq, "the chain head was altered"))
    known_notices: dict[str, bool] = {}
    for row in rows(select(n.c.hash, n.c.body)):
        good = hashlib.sha256(row.body.encode()).hexdigest() == row.hash
        known_notices[row.hash] = good
        if not good:
            problems.append(Break(None, None, f"notice {row.hash} was altered"))
    prev_seq, prev_id, prev_mac = head.base_seq, head.base_id, head.base_mac
    for row in rows(select(r).order_by(r.c.seq)):
        checked += 1
        if row.seq != prev_seq + 1 or row.prev_id != prev_id:
            if row.prev_id is not None and row.prev_id != prev_id:
                missing = row.seq - prev_seq - 1
                gap = f"seq {prev_seq + 1}" + (f" to {row.seq - 1}" if missing > 1 else "")
                problems.append(
                    Break(
                        row.prev_id,
                        row.seq - 1,
                        f"missing: deleted from the ledger ({gap}; record {row.record_id} chains to it)",
                    )
                )
            else:
                problems.append(
                    Break(
                        row.record_id,
                        row.seq,
                        f"out of place: expected seq {prev_seq + 1} after {prev_id}",
                    )
                )
        elif row.prev_mac != prev_mac:
            problems.append(Break(row.record_id, row.seq, "its link to the previous record was altered"))
        expected = chain_mac(key, row.seq, row.prev_id, row.prev_mac, row.body.encode())
        if not hmac.compare_digest(expected, row.mac):
            bad_macs += 1
            problems.append(Break(row.record_id, row.seq, "altered: its MAC does not match its content"))
        else:
            try:
                content = Record.from_body(row.body)
                columns_match = (
                    content.record_id == row.record_id
                    and content.consent_id == row.consent_id
                    and content.method == row.method
                    and content.notice == row.notice
                    and naive_utc(content.recorded_at) == row.recorded_at
                )
            except (ValueError, KeyError, TypeError):
                columns_match = False
            if not columns_match:
                problems.append(
                    Break(row.record_id, row.seq, "altered: its columns disagree with its content")
                )
            elif row.notice not in known_notices:
                problems.append(Break(row.record_id, row.seq, f"its notice {row.notice} is missing"))
        prev_seq, prev_id, prev_mac = row.seq, row.record_id, row.mac
    if head.head_seq != prev_seq or head.head_id != prev_id:
        if head.head_seq > prev_seq:
            problems.append(
                Break(
                    head.head_id,
                    head.head_seq,
                    f"missing: the chain ends at seq {prev_seq} but its head names seq {head.head_seq} "
                    "(the last records were deleted)",
                )
            )
        else:
            problems.append(Break(prev_id, prev_seq, "the chain head does not point at the last record"))
    problems += compare_checkpoints(conn, key, ledger_id, head, checkpoints)
    if checked and bad_macs == checked and not head_ok:
        # Every MAC fails, the head's too: a wrong key, far likelier than every record altered.
        problems = [
            Break(
                None,
                None,
                f"the ledger key is likely wrong: not one of the {checked} records"
                + (" nor the chain head" if head_checked else "")
                + " verifies under it (or every record was rewritten)",
            )
        ]
        return Verification(
            checked, tuple(problems), head.head_seq, head.head_mac, ledger_id, len(checkpoints), True
        )
    return Verification(checked, tuple(problems), head.head_seq, head.head_mac, ledger_id, len(checkpoints))


def head_verifies(key: bytes, head: Any) -> bool:
    """Whether the chain row's head MAC holds under ``key`` (a new ledger's empty head has none)."""
    if not head.head_seq and head.head_tag is None:
        return True
    expected = tag(key, "head", head.head_seq, head.head_id, head.head_mac)
    return hmac.compare_digest(expected, head.head_tag or "")


def compare_checkpoints(
    conn: Connection, key: bytes, ledger_id: str, head: Any, checkpoints: Sequence[Checkpoint]
) -> list[Break]:
    """What contradicts ``checkpoints``: another ledger's, a ledger behind them, or one that diverged."""
    problems: list[Break] = []
    r = schema.records
    for point in checkpoints:
        if not point.is_signed_by(key):
            problems.append(
                Break(
                    None,
                    None,
                    f"{point.where}: its signature does not verify under this ledger key "
                    "(an altered checkpoint, or one signed with another key)",
                )
            )
            continue
        if point.ledger_id != ledger_id:
            problems.append(
                Break(
                    None,
                    None,
                    f"{point.where} is of ledger {point.ledger_id}, but this database is ledger "
                    f"{ledger_id}: the ledger was wiped and created again, or this is another one",
                )
            )
            continue
        if point.seq > head.head_seq:
            problems.append(
                Break(
                    point.record_id,
                    point.seq,
                    f"the ledger is behind {point.where}: that checkpoint saw the chain at seq "
                    f"{point.seq}, the ledger's head is at seq {head.head_seq} (records were removed "
                    "and the head rolled back)",
                )
            )
            continue
        if point.seq == 0 or point.seq < head.base_seq:
            continue  # an empty ledger's checkpoint, or one whose records were pruned since
        if point.seq == head.base_seq:
            found = (head.base_id, head.base_mac)
        else:
            row = conn.execute(select(r.c.record_id, r.c.mac).where(r.c.seq == point.seq)).first()
            found = (row.record_id, row.mac) if row is not None else (None, None)
        if found != (point.record_id, point.mac):
            has = f"record {found[0]}" if found[0] is not None else "no record"
            problems.append(
                Break(
                    point.record_id,
                    point.seq,
                    f"the ledger diverges from {point.where}: at seq {point.seq} that checkpoint saw "
                    f"record {point.record_id} (mac {point.mac[:16]}...), the ledger has {has} there "
                    "(rolled back and written again)",
                )
            )
    return problems


__all__ = ["Break", "Verification", "compare_checkpoints", "head_verifies", "verify_chain"]
