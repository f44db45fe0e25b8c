"""Signed checkpoints of the chain's head, kept away from the database, to catch a rollback.

The chain proves that no record was edited or removed from its middle, but not that the ledger was not
rolled back: deleting the newest records and restoring an older head (a valid one, from a backup), or
wiping everything and starting again, leaves a chain that verifies. A checkpoint is what the head was
at a moment -- ``(ledger id, seq, record id, mac, time)`` -- signed with the ledger key. Kept where the
database's owner cannot reach it (another host, object storage with retention), it lets
``consent ledger verify --checkpoint FILE`` fail when the ledger is behind it, differs from it at its
seq, or is another ledger altogether.

A checkpoint file is a log: one checkpoint per line (canonical JSON), appended and fsynced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import CheckpointError
from .records import canonical_json, format_time, parse_time
from .spool import append_line

#: Version of a checkpoint line's layout.
CHECKPOINT_FORMAT = 1
_SIGNATURE_DOMAIN = b"consent-ledger/checkpoint\n"


@dataclass(frozen=True)
class Checkpoint:
    """The head of ledger ``ledger_id`` at ``at``: record ``record_id`` at ``seq`` with MAC ``mac``.

    ``source`` says where it was read (``file:line``), for messages; it is not signed.
    """

    ledger_id: str
    seq: int
    record_id: str | None
    mac: str
    at: datetime
    signature: str = ""
    source: str = ""

    def content(self) -> dict[str, Any]:
        """What the signature covers."""
        return {
            "format": CHECKPOINT_FORMAT,
            "ledger_id": self.ledger_id,
            "seq": self.seq,
            "record_id": self.record_id,
            "mac": self.mac,
            "at": format_time(self.at),
        }

    def expected_signature(self, key: bytes) -> str:
        return hmac.new(key, _SIGNATURE_DOMAIN + canonical_json(self.content()), hashlib.sha256).hexdigest()

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(
            self.ledger_id, self.seq, self.record_id, self.mac, self.at, self.expected_signature(key)
        )

    def is_signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(self.expected_signature(key), self.signature)

    def line(self) -> str:
        """The checkpoint as one line of a checkpoint file (without the newline)."""
        return canonical_json(self.content() | {"signature": self.signature}).decode()

    @property
    def where(self) -> str:
        return f"checkpoint {self.source} ({format_time(self.at)})" if self.source else "the checkpoint"

    @classmethod
    def parse(cls, line: str, source: str = "") -> Checkpoint:
        """A checkpoint from its line; ``ValueError`` (or ``KeyError``/``TypeError``) if it is not one."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"unknown checkpoint format {data.get('format')!r}")
        unknown = set(data) - {"format", "ledger_id", "seq", "record_id", "mac", "at", "signature"}
        if unknown:
            raise ValueError(f"unknown field {sorted(unknown)[0]!r}")
        seq = data["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError(f"seq must be a whole number, not {seq!r}")
        record_id = data["record_id"]
        return cls(
            ledger_id=str(data["ledger_id"]),
            seq=seq,
            record_id=str(record_id) if record_id is not None else None,
            mac=str(data["mac"]),
            at=parse_time(str(data["at"])),
            signature=str(data["signature"]),
            source=source,
        )


def load_checkpoints(path: str | os.PathLike[str]) -> list[Checkpoint]:
    """Every checkpoint in the file at ``path``, oldest first.

    Raises :class:`CheckpointError` listing every unreadable line (or a missing or empty file): a
    checkpoint that cannot be read must not pass for one that was checked.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError([f"{file}: cannot read the checkpoint file: {exc}"]) from exc
    found: list[Checkpoint] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint.parse(line, f"{file}:{number}"))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{file}:{number}: not a checkpoint ({exc})")
    if not found and not problems:
        problems.append(f"{file}: holds no checkpoint")
    if problems:
        raise CheckpointError(problems)
    return found


def append_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Add ``checkpoint`` as the last line of the file at ``path`` (created if missing), fsynced."""
    append_line(path, checkpoint.line().encode())


__all__ = ["CHECKPOINT_FORMAT", "Checkpoint", "append_checkpoint", "load_checkpoints"]
