"""The local spool: where records go when the database cannot take them, until it can.

A spool is a directory::

    records.jsonl     records waiting, one canonical JSON per line, appended and fsynced one by one
    draining.jsonl    the batch being replayed (``records.jsonl`` renamed), deleted once it is all in
    notices/<sha256>.json   the notices those records point to, each written once
    rejected.jsonl    lines that could not be read (a write torn by a crash), kept for inspection
    drain.lock        held (``flock``) by whoever replays, so only one process does

A record counts as acknowledged once :meth:`Spool.append` returns: the line and its notice are on disk
(``fsync``). A write torn by a crash was never acknowledged; the next append starts on a new line so a
torn tail never spoils a good record. Replaying is idempotent (the ledger skips record ids it has), so
a replay interrupted at any point is simply run again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
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

#: ``(record, notice body or None)`` pairs handed to the writer while replaying.
Batch = Sequence[tuple[Record, bytes | None]]


@dataclass(frozen=True)
class DrainResult:
    read: int = 0
    rejected: int = 0
    busy: bool = False  # another process was replaying


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


class Spool:
    """An append-only, fsynced store of records in ``directory`` (created on first use)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

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
        line = record.canonical() + b"\n"
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

    def notice(self, digest: str) -> bytes | None:
        try:
            return (self.directory / NOTICES / f"{digest}.json").read_bytes()
        except FileNotFoundError:
            return None

    def records(self) -> Iterator[Record]:
        """Every readable record still waiting (being replayed first), without taking any lock."""
        for path in (self.draining_path, self.records_path):
            for record, _line in self._read(path, reject=False):
                if record is not None:
                    yield record

    def _read(self, path: Path, *, reject: bool) -> Iterator[tuple[Record | None, bytes]]:
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
                yield Record.from_content(json.loads(line)), line
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if reject:
                    self.reject(line, f"unreadable spool line ({exc})")
                yield None, line
        if tail.strip() and reject:
            # A write torn by a crash: it was never acknowledged (append had not returned).
            self.reject(tail, "torn last line")
            yield None, tail

    def reject(self, line: bytes, why: str) -> None:
        """Set ``line`` aside in ``rejected.jsonl`` (fsynced), saying why in the log."""
        log.warning("consent ledger spool %s: %s, kept in %s", self.directory, why, REJECTED)
        fd = os.open(self.directory / REJECTED, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            _write_all(fd, line.rstrip(b"\n") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

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
        blocking: bool = True,
        chunk: int = 200,
        between: Callable[[], None] | None = None,
        rounds: int = 3,
    ) -> DrainResult:
        """Hand every waiting record to ``write`` in chunks; drop the spooled copies once written.

        ``write`` must be idempotent and raise if it could not store a chunk: the records then stay in
        the spool for the next attempt. ``between`` runs after each chunk (the ledger's writer serves
        visitors there). Without ``blocking``, returns at once when another process is replaying.
        """
        read = rejected = 0
        with self._drain_lock(blocking) as locked:
            if not locked:
                return DrainResult(busy=True)
            for _ in range(rounds):
                if not self.draining_path.exists() and not self._take_records():
                    break
                notices: dict[str, bytes | None] = {}
                batch: list[tuple[Record, bytes | None]] = []
                for record, _line in self._read(self.draining_path, reject=True):
                    if record is None:
                        rejected += 1
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
                os.unlink(self.draining_path)
                _fsync_dir(self.directory)
        return DrainResult(read=read, rejected=rejected)

    def describe(self) -> dict[str, Any]:
        waiting = sum(1 for _ in self.records())
        return {"directory": str(self.directory), "waiting": waiting}


__all__ = ["Batch", "DrainResult", "Spool"]
