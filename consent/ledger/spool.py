"""The local spool: where records go when the database cannot take them, until it can.

A spool is a directory::

    records.jsonl     records waiting, one JSON line per record, appended and fsynced one by one
    draining.jsonl    the batch being replayed (``records.jsonl`` renamed), deleted once it is all in
    held/<owner>.jsonl  records refused by the ledger that replayed them: they are another ledger's
    notices/<sha256>.json   the notices those records point to, each written once
    rejected.jsonl    lines that could not be read (a write torn by a crash), kept for inspection
    drain.lock        held (``flock``) by whoever replays, so only one process does

**Each line names its ledger.** A spool bound to a ledger (:attr:`Spool.owner`, which the ledger sets)
writes ``{"spool": 1, "ledger_id": ..., "url": ..., "record": {...}}``: the id of the ledger the record
is for (stored in its database at ``consent ledger init``) when the process has met that database, and
always its URL (without the password). A replay hands over only the lines the replaying ledger owns
(``belongs``); the others are moved to ``held/``, one file per owner, where only a replay by their own
ledger, or a deliberate move (``consent ledger replay --into-other-ledger``), takes them. Lines written
without an owner (by an older version) are held too: nobody knows whose they are.

A record counts as acknowledged once :meth:`Spool.append` returns: the line and its notice are on disk
(``fsync``). A write torn by a crash was never acknowledged; the next append starts on a new line so a
torn tail never spoils a good record. Replaying is idempotent (the ledger skips record ids it has), so
a replay interrupted at any point is simply run again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Record

log = logging.getLogger("consent.ledger")

RECORDS = "records.jsonl"
DRAINING = "draining.jsonl"
REJECTED = "rejected.jsonl"
LOCK = "drain.lock"
NOTICES = "notices"
HELD = "held"
#: Version of the spool line envelope (a bare record, from older versions, has none).
SPOOL_FORMAT = 1


@dataclass(frozen=True)
class Owner:
    """The ledger a spooled record is for: its id once known, and its URL (never the password)."""

    ledger_id: str | None
    url: str

    @property
    def name(self) -> str:
        """The stem of its ``held/`` file: the ledger id, else a digest of the URL."""
        if self.ledger_id is not None:
            return self.ledger_id
        return "url-" + hashlib.sha256(self.url.encode()).hexdigest()[:16]

    def __str__(self) -> str:
        return f"ledger {self.ledger_id or '(id not known when spooled)'} at {self.url}"


#: The ``held/`` file of lines spooled without an owner (by an older version).
UNOWNED = "unowned"


def owner_name(owner: Owner | None) -> str:
    return owner.name if owner is not None else UNOWNED


#: ``(record, notice body or None)`` pairs handed to the writer while replaying.
Batch = Sequence[tuple[Record, bytes | None]]


@dataclass(frozen=True)
class Held:
    """Records kept in ``held/`` for a ledger other than the one replaying (``owner`` None: unknown)."""

    owner: Owner | None
    count: int
    path: Path


@dataclass(frozen=True)
class DrainResult:
    read: int = 0
    rejected: int = 0
    busy: bool = False  # another process was replaying
    held: tuple[Held, ...] = ()  # every held group the replaying ledger does not own, after the replay


def encode_line(record: Record, owner: Owner | None) -> bytes:
    """A spool line: the record in an envelope naming its ledger (a bare record without an owner)."""
    if owner is None:
        return record.canonical()
    envelope = {"spool": SPOOL_FORMAT, "ledger_id": owner.ledger_id, "url": owner.url}
    return json.dumps(envelope | {"record": record.content()}, sort_keys=True, separators=(",", ":")).encode()


def decode_line(line: bytes) -> tuple[Record, Owner | None]:
    """The record of a spool line and the ledger it names (``None`` for a bare record)."""
    data = json.loads(line)
    if "spool" not in data:
        return Record.from_content(data), None
    if data["spool"] != SPOOL_FORMAT:
        raise ValueError(f"unknown spool line format {data['spool']!r}")
    ledger_id = data["ledger_id"]
    owner = Owner(str(ledger_id) if ledger_id is not None else None, str(data["url"]))
    return Record.from_content(data["record"]), owner


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_line(path: str | os.PathLike[str], line: bytes) -> None:
    """Append one line to the file at ``path`` and fsync it (a new file's name too).

    A last line torn by a crash is never glued onto: the new line then starts on a line of its own.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        size = os.fstat(fd).st_size
        prefix = b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b""
        _write_all(fd, prefix + line.rstrip(b"\n") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    if not size:
        _fsync_dir(Path(path).absolute().parent)


class Spool:
    """An append-only, fsynced store of records in ``directory`` (created on first use).

    ``owner`` says which ledger appended records are for; the :class:`~consent.ledger.store.Ledger`
    given this spool sets it to its own.
    """

    def __init__(self, directory: str | os.PathLike[str], owner: Callable[[], Owner] | None = None) -> None:
        self.directory = Path(directory)
        self.owner = owner

    @property
    def records_path(self) -> Path:
        return self.directory / RECORDS

    @property
    def draining_path(self) -> Path:
        return self.directory / DRAINING

    def _ensure_dir(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            (self.directory / NOTICES).mkdir(exist_ok=True, mode=0o700)
            _fsync_dir(self.directory)
            _fsync_dir(self.directory.parent)

    # -- writing --------------------------------------------------------------------------------------

    def append(self, record: Record, notice: bytes | None = None) -> None:
        """Add ``record`` (and its notice, if not spooled yet); durable on disk when this returns."""
        self._ensure_dir()
        if notice is not None:
            self.save_notice(record.notice, notice)
        line = encode_line(record, self.owner() if self.owner is not None else None) + b"\n"
        path = self.records_path
        while True:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(path)
                except FileNotFoundError:
                    continue  # renamed for replay between open and lock: start again on a new file
                stat = os.fstat(fd)
                if (stat.st_dev, stat.st_ino) != (current.st_dev, current.st_ino):
                    continue
                prefix = b""
                if stat.st_size and os.pread(fd, 1, stat.st_size - 1) != b"\n":
                    prefix = b"\n"  # the last write was torn by a crash: never glue onto it
                _write_all(fd, prefix + line)
                os.fsync(fd)
                if stat.st_size == 0:
                    _fsync_dir(self.directory)  # a new file: make its name durable too
                return
            finally:
                os.close(fd)  # also releases the flock

    def save_notice(self, digest: str, body: bytes) -> None:
        target = self.directory / NOTICES / f"{digest}.json"
        if target.exists():
            return
        target.parent.mkdir(exist_ok=True, mode=0o700)
        temp = target.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")  # unique per writer
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            _write_all(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
        _fsync_dir(target.parent)

    # -- reading ----------------------------------------------------------------------------------------

    def pending(self) -> bool:
        """Whether anything waits to be replayed (two ``stat`` calls; no file is opened)."""
        for path in (self.draining_path, self.records_path):
            try:
                if os.stat(path).st_size:
                    return True
            except FileNotFoundError:
                pass
        return False

    def has_held(self) -> bool:
        """Whether ``held/`` exists (records kept for some ledger's replay)."""
        return (self.directory / HELD).is_dir()

    def notice(self, digest: str) -> bytes | None:
        try:
            return (self.directory / NOTICES / f"{digest}.json").read_bytes()
        except FileNotFoundError:
            return None

    def records(self, belongs: Callable[[Owner | None], bool] | None = None) -> Iterator[Record]:
        """Every readable record still waiting (being replayed first), without taking any lock.

        With ``belongs``, only the records whose owner it accepts (held ones included).
        """
        paths = [self.draining_path, self.records_path]
        if belongs is not None:
            paths += self._held_paths()
        for path in paths:
            for record, owner, _line in self._read(path, reject=False):
                if record is not None and (belongs is None or belongs(owner)):
                    yield record

    def _held_paths(self) -> list[Path]:
        return sorted((self.directory / HELD).glob("*.jsonl"))

    def _read(self, path: Path, *, reject: bool) -> Iterator[tuple[Record | None, Owner | None, bytes]]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        for line in complete:
            if not line.strip():
                continue
            try:
                record, owner = decode_line(line)
                yield record, owner, line
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if reject:
                    self.reject(line, f"unreadable spool line ({exc})")
                yield None, None, line
        if tail.strip() and reject:
            # A write torn by a crash: it was never acknowledged (append had not returned).
            self.reject(tail, "torn last line")
            yield None, None, tail

    def reject(self, line: bytes, why: str) -> None:
        """Set ``line`` aside in ``rejected.jsonl`` (fsynced), saying why in the log."""
        log.warning("consent ledger spool %s: %s, kept in %s", self.directory, why, REJECTED)
        append_line(self.directory / REJECTED, line)

    def held(self, belongs: Callable[[Owner | None], bool] | None = None) -> tuple[Held, ...]:
        """The groups of records in ``held/`` (those ``belongs`` refuses, if given)."""
        groups = []
        for path in self._held_paths():
            entries = [(record, owner) for record, owner, _ in self._read(path, reject=False) if record]
            if not entries:
                continue
            owner = entries[0][1]
            if belongs is None or not belongs(owner):
                groups.append(Held(owner, len(entries), path))
        return tuple(groups)

    # -- replaying --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _drain_lock(self, blocking: bool) -> Iterator[bool]:
        self._ensure_dir()
        fd = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    yield False
                    return
                raise
            yield True
        finally:
            os.close(fd)

    def _take_records(self) -> bool:
        """Rename ``records.jsonl`` to ``draining.jsonl`` under the appenders' lock."""
        path = self.records_path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size == 0:
                return False
            os.rename(path, self.draining_path)
            _fsync_dir(self.directory)
            return True
        finally:
            os.close(fd)

    def drain(
        self,
        write: Callable[[Batch], None],
        *,
        belongs: Callable[[Owner | None], bool] | None = None,
        blocking: bool = True,
        chunk: int = 200,
        between: Callable[[], None] | None = None,
        rounds: int = 3,
    ) -> DrainResult:
        """Hand every waiting record to ``write`` in chunks; drop the spooled copies once written.

        ``write`` must be idempotent and raise if it could not store a chunk: the records then stay in
        the spool for the next attempt. With ``belongs``, only the records whose owner it accepts go to
        ``write``; the others move to ``held/`` (and held files it accepts are replayed too). ``between``
        runs after each chunk (the ledger's writer serves visitors there). Without ``blocking``, returns
        at once when another process is replaying.
        """
        read = rejected = 0
        with self._drain_lock(blocking) as locked:
            if not locked:
                return DrainResult(busy=True)
            for _ in range(rounds):
                if not self.draining_path.exists() and not self._take_records():
                    break
                done = self._replay_file(self.draining_path, write, belongs, chunk, between)
                read, rejected = read + done[0], rejected + done[1]
            if belongs is None:
                return DrainResult(read=read, rejected=rejected)
            for path in self._held_paths():
                # Every line of a held file has the same owner (the file is named after it).
                owners = (owner for record, owner, _ in self._read(path, reject=False) if record is not None)
                if belongs(next(owners, None)):
                    done = self._replay_file(path, write, belongs, chunk, between)
                    read, rejected = read + done[0], rejected + done[1]
            return DrainResult(read=read, rejected=rejected, held=self.held(belongs))

    def _replay_file(
        self,
        path: Path,
        write: Callable[[Batch], None],
        belongs: Callable[[Owner | None], bool] | None,
        chunk: int,
        between: Callable[[], None] | None,
    ) -> tuple[int, int]:
        """Replay one file (``write`` what ``belongs`` accepts, hold the rest), then delete it."""
        read = rejected = 0
        notices: dict[str, bytes | None] = {}
        batch: list[tuple[Record, bytes | None]] = []
        for record, owner, line in self._read(path, reject=True):
            if record is None:
                rejected += 1
                continue
            if belongs is not None and not belongs(owner):
                self._hold(line, owner)
                continue
            if record.notice not in notices:
                notices[record.notice] = self.notice(record.notice)
            batch.append((record, notices[record.notice]))
            if len(batch) >= chunk:
                write(batch)
                read += len(batch)
                batch = []
                if between is not None:
                    between()
        if batch:
            write(batch)
            read += len(batch)
        os.unlink(path)
        _fsync_dir(path.parent)
        return read, rejected

    def _hold(self, line: bytes, owner: Owner | None) -> None:
        """Keep ``line`` in ``held/`` for its own ledger (fsynced before its spooled copy goes)."""
        folder = self.directory / HELD
        if not folder.is_dir():
            folder.mkdir(exist_ok=True, mode=0o700)
            _fsync_dir(self.directory)
        append_line(folder / f"{owner_name(owner)}.jsonl", line)

    def describe(self) -> dict[str, Any]:
        waiting = sum(1 for _ in self.records())
        held = sum(group.count for group in self.held())
        return {"directory": str(self.directory), "waiting": waiting, "held": held}


__all__ = ["Batch", "DrainResult", "Held", "Owner", "Spool", "append_line", "decode_line", "encode_line"]
