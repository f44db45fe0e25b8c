"""Impressions of the first layer, counted without tracking anyone.

:meth:`ImpressionCounter.record` adds one to an in-memory counter keyed by (day, region, locale, page
template, variant) under a lock: no visitor id, no IP address, no cookie, nothing per person. A
background thread adds the counters to ``consent_insights_impressions`` every ``interval`` seconds
(``INSERT ... ON CONFLICT DO UPDATE SET shown = shown + excluded.shown``, so any number of processes
add to the same rows), and once more at exit. A process killed outright loses at most the counts of the
last interval; a decision is never involved (decisions are the ledger's records).

Recording never blocks on the database and never raises: while the database fails, counts stay in
memory (at most ``max_keys`` distinct keys; counts for further keys are dropped and counted in
:attr:`ImpressionCounter.dropped`) and the next flush retries.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Engine

from . import schema

log = logging.getLogger("consent.insights")

#: Seconds between flushes unless configured otherwise: what a killed process may lose at most.
DEFAULT_INTERVAL = 2.0
#: Distinct keys kept in memory while the database is unreachable.
DEFAULT_MAX_KEYS = 10_000
_EPOCH = date(1970, 1, 1)

#: (day number since 1970-01-01 UTC, region, locale, template, variant)
Key = tuple[int, str, str, str, str]


def _fit(value: str | None, length: int) -> str:
    return (value or "")[:length]


def add_impressions(engine: Engine, counts: Iterable[tuple[Key, tuple[int, int]]]) -> int:
    """Add ``(key, (shown, undecided))`` counts to the database in one transaction; returns the rows."""
    rows = [
        {
            "day": _EPOCH + timedelta(days=key[0]),
            "region": key[1],
            "locale": key[2],
            "template": key[3],
            "variant": key[4],
            "shown": shown,
            "undecided": undecided,
        }
        for key, (shown, undecided) in counts
    ]
    if rows:
        with engine.connect() as conn:
            conn.execution_options(ledger_write=True)
            with conn.begin():
                schema.add_counts(conn, schema.impressions, rows)
    return len(rows)


class ImpressionCounter:
    """Per-process impression counters, flushed to the database by a background thread.

    ``engine`` is the ledger database's engine (tables from :func:`create_insights_tables`). The
    thread starts with the first recorded impression; ``close()`` (also run at exit) stops it and
    flushes what is left.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if interval <= 0:
            raise ValueError("the flush interval must be positive")
        self.engine = engine
        self.interval = interval
        self.max_keys = max_keys
        #: Impressions not counted because ``max_keys`` keys were already waiting for the database.
        self.dropped = 0
        self._pending: dict[Key, list[int]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing = False
        # Flush at exit without keeping the counter alive for ever.
        ref = weakref.ref(self)

        def at_exit() -> None:
            counter = ref()
            if counter is not None:
                counter.close()

        def after_fork() -> None:
            counter = ref()
            if counter is not None:
                counter._forked()

        self._atexit = at_exit
        atexit.register(at_exit)
        os.register_at_fork(after_in_child=after_fork)

    # -- the hot path ------------------------------------------------------------------------------------

    def record(
        self, region: str | None, locale: str, template: str, variant: str | None, undecided: bool
    ) -> None:
        """Count one showing of the first layer (``undecided``: to a visitor who has not decided)."""
        key = (
            int(time.time() // 86400),
            _fit(region, schema.REGION_LENGTH),
            _fit(locale, schema.LOCALE_LENGTH),
            _fit(template, schema.TEMPLATE_LENGTH),
            _fit(variant, schema.VARIANT_LENGTH),
        )
        if self._thread is None:
            self._start()
        with self._lock:
            counts = self._pending.get(key)
            if counts is None:
                if len(self._pending) >= self.max_keys:
                    self.dropped += 1
                    return
                counts = self._pending[key] = [0, 0]
            counts[0] += 1
            if undecided:
                counts[1] += 1

    # -- flushing ----------------------------------------------------------------------------------------

    def pending(self) -> dict[Key, tuple[int, int]]:
        """A copy of the counts not yet in the database."""
        with self._lock:
            return {k: (v[0], v[1]) for k, v in self._pending.items()}

    def flush(self) -> bool:
        """Add the pending counts to the database; on failure keep them for the next try. True if written."""
        with self._flush_lock:
            with self._lock:
                taken, self._pending = self._pending, {}
            if not taken:
                return True
            try:
                add_impressions(self.engine, ((k, (v[0], v[1])) for k, v in taken.items()))
            except Exception as exc:  # any database failure: keep the counts, never raise to a page
                self._restore(taken)
                if not self._failing:
                    self._failing = True
                    log.warning("consent insights: impression counters kept in memory: %s", exc)
                return False
            if self._failing:
                self._failing = False
                log.warning("consent insights: impression counters written again")
            return True

    def _restore(self, taken: dict[Key, list[int]]) -> None:
        with self._lock:
            for key, (shown, undecided) in taken.items():
                counts = self._pending.get(key)
                if counts is None:
                    if len(self._pending) >= self.max_keys:
                        self.dropped += shown
                        continue
                    counts = self._pending[key] = [0, 0]
                counts[0] += shown
                counts[1] += undecided

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="consent-insights-flush", daemon=True)
            self._thread.start()

    def _forked(self) -> None:
        # A forked worker has none of the parent's threads, and a lock the parent's flush thread held at
        # the fork would stay held for ever: start afresh. The parent's counts are the parent's to flush.
        self._pending = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.engine.dispose(close=False)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def close(self) -> None:
        """Stop the thread and flush what is left (once more, if the first try fails)."""
        self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if not self.flush():
            self.flush()
        atexit.unregister(self._atexit)


# -- a process-wide default, for the Flask layer ------------------------------------------------------------

_default: ImpressionCounter | None = None
_default_lock = threading.Lock()


def configure_impressions(
    engine: Engine | None, *, interval: float = DEFAULT_INTERVAL
) -> ImpressionCounter | None:
    """Set (or with ``None`` remove) the counter :func:`record_impression` uses; the old one is flushed."""
    global _default
    with _default_lock:
        old, _default = (
            _default,
            (ImpressionCounter(engine, interval=interval) if engine is not None else None),
        )
    if old is not None:
        old.close()
    return _default


def record_impression(
    region: str | None, locale: str, template: str, variant: str | None, undecided: bool
) -> None:
    """Count one showing of the first layer with the configured counter (nothing if none is configured)."""
    counter = _default
    if counter is not None:
        counter.record(region, locale, template, variant, undecided)


__all__ = [
    "DEFAULT_INTERVAL",
    "ImpressionCounter",
    "add_impressions",
    "configure_impressions",
    "record_impression",
]
