"""The ledger's writer thread: visitors' records are queued, and committed in batches by one thread.

A request waits at most the ledger's timeout for its record; one thread per ledger and process commits
whatever is queued in one transaction, and replays the spool between batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from .records import Record
from .spool import Batch

#: Records committed per transaction at most (queued decisions, or a replayed chunk).
MAX_BATCH = 200


class Pending:
    """One record a visitor's request waits for (at most the ledger's timeout)."""

    __slots__ = ("abandoned", "done", "notice", "ok", "record")

    def __init__(self, record: Record, notice: bytes | None) -> None:
        self.record = record
        self.notice = notice
        self.done = threading.Event()
        self.ok = False
        self.abandoned = False


class Writer:
    """One thread per ledger and process that commits queued records in batches, then replays."""

    def __init__(
        self,
        append: Callable[[Batch], object],
        failed: Callable[[BaseException], None],
        spool_waiting: Callable[[], bool],
        drain: Callable[[Callable[[], None]], None],
    ) -> None:
        #: The ledger's: commit a batch of new records; note a failure; whether the spool has records
        #: to replay; replay them, calling back between chunks.
        self.append = append
        self.failed = failed
        self.spool_waiting = spool_waiting
        self.drain = drain
        self.queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="consent-ledger-writer", daemon=True)
        self.thread.start()

    def submit(self, pending: Pending) -> None:
        self.queue.put(pending)

    def stop(self, timeout: float = 5.0) -> None:
        self.queue.put(None)
        self.thread.join(timeout)

    def _take(self, first: Pending) -> list[Pending]:
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.stopping = True
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while not self.stopping:
            item = self.queue.get()
            if item is None:
                break
            if self._serve(self._take(item)) and self.spool_waiting():
                self.drain(self.serve_queued)

    def serve_queued(self) -> None:
        """Commit whatever visitors queued meanwhile (called between replayed chunks)."""
        while not self.stopping:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self.stopping = True
                return
            self._serve(self._take(item))

    def _serve(self, batch: list[Pending]) -> bool:
        live = [p for p in batch if not p.abandoned]  # an abandoned record is already in the spool
        if not live:
            return True
        try:
            self.append([(p.record, p.notice) for p in live])
            ok = True
        except Exception as exc:
            self.failed(exc)
            ok = False
        for pending in live:
            pending.ok = ok
            pending.done.set()
        return ok


__all__ = ["MAX_BATCH", "Pending", "Writer"]
