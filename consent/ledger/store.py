"""The ledger: an append-only, HMAC-chained record of consent decisions in SQLite or PostgreSQL.

Writing never holds up a visitor for more than ``timeout`` seconds. :meth:`Ledger.record` hands the
record to the ledger's writer thread (which commits whatever is queued in one transaction) and waits
at most ``timeout``; if the database is down, locked, slow or has no schema, the record goes to the
local :class:`~consent.ledger.spool.Spool` instead (fsynced), and for ``retry_after`` seconds further
records go straight there. After the next successful write the writer replays the spool, between
serving new records. A record is acknowledged once it is committed or fsynced in the spool; records
are idempotent by record id, so a record that reaches both is stored once.

Appends are serialised (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` on the chain
row), so the chain has one order across every process that writes to the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, IntegrityError

from ..registry import Registry
from ..state import ConsentState
from . import schema
from .checkpoint import Checkpoint
from .engine import aware_utc, make_engine, naive_utc, normalize_url
from .errors import LedgerError, SchemaError
from .notice import NoticeBook, load_notice
from .readback import Stats as Stats
from .readback import state_from_record, tally
from .records import Record, as_key, build_record, chain_mac, tag
from .spool import Batch, DrainResult, Held, Owner, Spool
from .verify import Break, Verification, compare_checkpoints, head_verifies, verify_chain
from .writer import MAX_BATCH, Pending, Writer

log = logging.getLogger("consent.ledger")

#: Longest a visitor's decision waits for the database before its record is spooled (seconds).
DEFAULT_TIMEOUT = 0.5
#: After a failure, records go straight to the spool for this long before the database is tried again.
DEFAULT_RETRY_AFTER = 1.0


class Receipt(NamedTuple):
    """Where an acknowledged record is: ``"database"`` (committed) or ``"spool"`` (fsynced locally)."""

    record: Record
    stored_in: str


# Statements of the write path, built once: building a statement costs more than running it on SQLite.
_HEAD_LOCKED = select(schema.chain).where(schema.chain.c.id == schema.CHAIN_ROW).with_for_update()
_SET_HEAD = (
    update(schema.chain)
    .where(schema.chain.c.id == schema.CHAIN_ROW)
    .values(
        head_seq=bindparam("new_seq"),
        head_id=bindparam("new_id"),
        head_mac=bindparam("new_mac"),
        head_tag=bindparam("new_tag"),
    )
)
_INSERT_RECORDS = insert(schema.records)
_INSERT_NOTICES = insert(schema.notices)
_EXISTING = select(schema.records.c.record_id).where(
    schema.records.c.record_id.in_(bindparam("ids", expanding=True))
)
_KNOWN_NOTICES = select(schema.notices.c.hash).where(
    schema.notices.c.hash.in_(bindparam("hashes", expanding=True))
)
#: How long a notice known to be in the database is not looked up again (seconds).
NOTICE_MEMORY = 300.0


# -- the ledger ---------------------------------------------------------------------------------------


class Ledger:
    """The consent ledger in the database at ``url``.

    ``key`` (the HMAC chain key) is needed to write, verify and prune, not to read. ``spool`` is the
    directory records wait in while the database cannot take them; without one, a failed write raises.
    ``registry`` is what :meth:`state_at` reads decisions against by default. ``ledger_id``, if given,
    is the id the database must carry (``consent ledger init`` prints it): a database with another id
    is refused and records wait in the spool for the right one. Creating a ledger makes no connection;
    the schema is created by :meth:`init` (``consent ledger init``) and nothing else.

    The spool belongs to this ledger: each spooled record names it (its id once the process has met
    the database, and its URL), and a replay writes only this ledger's records (see
    :mod:`consent.ledger.spool`).
    """

    def __init__(
        self,
        url: str | URL,
        key: str | bytes | None = None,
        *,
        spool: str | os.PathLike[str] | Spool | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        registry: Registry | None = None,
        retry_after: float = DEFAULT_RETRY_AFTER,
        ledger_id: str | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.key = as_key(key) if key is not None else None
        self.expected_ledger_id = ledger_id
        self._ledger_id: str | None = None  # the database's, once met
        self._reported_held: set[tuple[str, int]] = set()
        self._held_checked = False
        self.spool = spool if isinstance(spool, Spool) or spool is None else Spool(spool)
        if self.spool is not None:
            self.spool.owner = self.owner
        self.timeout = timeout
        self.registry = registry
        self.retry_after = retry_after
        self.engine = make_engine(self.url, timeout=timeout)
        self.notices = NoticeBook()
        self._writer_lock = threading.Lock()
        self._writer: Writer | None = None
        self._pid = os.getpid()
        self._down_until = 0.0
        self._down = False
        self._schema_ok = False
        self._notice_cache: dict[str, dict[str, Any]] = {}
        self._known_notices: dict[str, float] = {}  # notice hash -> until when it need not be looked up

    def __repr__(self) -> str:
        return f"Ledger({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        """Stop the writer thread (after what it has queued) and close every connection."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_key(self) -> bytes:
        if self.key is None:
            raise LedgerError(
                "the ledger key is needed for this: set CONSENT_LEDGER_KEY, or SECRET_KEY from which "
                "the site derives it"
            )
        return self.key

    # -- identity -----------------------------------------------------------------------------------------

    @property
    def owner_url(self) -> str:
        """The database's address as spooled records name it: no password, no options, absolute paths."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self._sqlite_path()}"
        plain = URL.create(
            self.url.get_backend_name(),
            username=self.url.username,
            host=self.url.host,
            port=self.url.port,
            database=self.url.database,
        )
        return plain.render_as_string(hide_password=True)

    def owner(self) -> Owner:
        """Whose spooled records this ledger's are: its id (if known yet) and its URL."""
        return Owner(self._ledger_id or self.expected_ledger_id, self.owner_url)

    def owns(self, owner: Owner | None) -> bool:
        """Whether records spooled for ``owner`` are this ledger's (same id; same URL if no id is known)."""
        if owner is None:
            return False  # spooled by an older version, for no ledger in particular
        mine = self._ledger_id or self.expected_ledger_id
        if owner.ledger_id is not None and mine is not None:
            return owner.ledger_id == mine
        return owner.url == self.owner_url

    def ledger_id(self) -> str:
        """The id stored in the database at ``consent ledger init`` (read once, then remembered)."""
        with self._reading() as conn:
            schema.check_version(conn)
            return self._met(schema.read_ledger_id(conn))

    def _met(self, found: str) -> str:
        """Remember the id found in the database; refuse it if another one was configured."""
        if self.expected_ledger_id is not None and found != self.expected_ledger_id:
            raise LedgerError(
                f"the database at {self.owner_url} is ledger {found}, not ledger {self.expected_ledger_id} "
                "as configured: nothing is written to it (records wait in the spool)"
            )
        if self._ledger_id is not None and found != self._ledger_id:
            log.error(
                "consent ledger: the database at %s is now ledger %s, it was ledger %s: records spooled "
                "for the old one are kept for it, not replayed here",
                self.owner_url,
                found,
                self._ledger_id,
            )
        self._ledger_id = found
        return found

    # -- schema -------------------------------------------------------------------------------------------

    def init(self) -> tuple[int, int]:
        """Create or upgrade the schema (idempotent); returns the versions ``(before, after)``."""
        engine = make_engine(self.url, timeout=None, create=True)
        try:
            with engine.connect() as conn:
                conn.execution_options(ledger_write=True)
                with conn.begin():
                    result = schema.upgrade(conn)
        finally:
            engine.dispose()
        self._schema_ok = False
        return result

    def _sqlite_path(self) -> Path:
        return Path(self.url.database or "").expanduser().absolute()

    def schema_version(self) -> int:
        """The applied schema version; 0 for a database (or SQLite file) without the ledger."""
        if self.dialect == "sqlite" and not self._sqlite_path().exists():
            return 0
        with self._reading() as conn:
            return schema.current_version(conn)

    # -- writing ------------------------------------------------------------------------------------------

    def record_decision(
        self,
        state: ConsentState,
        *,
        control: str,
        layer: str,
        locale: str,
        path: str | None = None,
        signals: Sequence[str] = (),
        subject: str | None = None,
        policy_url: str | None = None,
        now: datetime | None = None,
        region: str | None = None,
        variant: str | None = None,
        variant_texts: Mapping[str, str] | None = None,
        shown_at: datetime | None = None,
    ) -> Receipt:
        """Record the decision that produced ``state``, with the notice shown in ``locale``.

        ``variant`` and ``variant_texts`` are the wording of the first layer the visitor saw when the
        site tests wordings (the exact texts become part of the notice); ``shown_at`` is when it was shown.
        """
        # The first layer the visitor saw depends on their region's policy and on the GPC signal.
        policy = (state.current_policy or state.policy).value
        digest, body = self.notices.get(
            state.registry, locale, policy_url, policy, "gpc" in signals, variant_texts
        )
        record = build_record(
            state,
            notice=digest,
            control=control,
            layer=layer,
            locale=locale,
            path=path,
            signals=signals,
            subject=subject,
            now=now,
            region=region,
            variant=variant,
            shown_at=shown_at,
        )
        return Receipt(record, self.record(record, body))

    def record(self, record: Record, notice: bytes | None = None) -> str:
        """Store ``record`` within ``timeout`` seconds: ``"database"`` or ``"spool"`` once acknowledged.

        ``notice`` is the notice's canonical JSON (stored once per hash). Raises :class:`LedgerError`
        only when neither the database nor the spool could keep the record.
        """
        self._require_key()
        if self._pid != os.getpid():
            self._after_fork()
        if time.monotonic() >= self._down_until:
            pending = Pending(record, notice)
            self._get_writer().submit(pending)
            if pending.done.wait(self.timeout) and pending.ok:
                return "database"
            pending.abandoned = True
            if not pending.done.is_set():
                self._failed(TimeoutError(f"the database took longer than {self.timeout}s"))
        if self.spool is None:
            raise LedgerError(
                f"record {record.record_id} was not stored: the database failed and no spool is set"
            )
        try:
            self.spool.append(record, notice)
        except OSError as exc:
            raise LedgerError(f"record {record.record_id} was not stored: the spool failed: {exc}") from exc
        return "spool"

    def _get_writer(self) -> Writer:
        writer = self._writer
        if writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = Writer(
                        lambda batch: self._append(batch, fresh=True),
                        self._failed,
                        self._spool_waiting,
                        self._drain_from_writer,
                    )
                writer = self._writer
        return writer

    def _after_fork(self) -> None:
        # A forked worker shares neither the parent's thread nor its connections.
        self._pid = os.getpid()
        self._writer = None
        self._writer_lock = threading.Lock()
        self.engine.dispose(close=False)

    def _failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self.retry_after
        self._schema_ok = False
        if not self._down:
            self._down = True
            hint = " (run 'consent ledger init')" if isinstance(exc, SchemaError) else ""
            log.warning("consent ledger: the database failed, records go to the spool%s: %s", hint, exc)

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            log.warning("consent ledger: the database is back; replaying the spool")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(ledger_write=True)
            with conn.begin():
                yield conn

    def _lock_head(self, conn: Connection, key: bytes) -> Any:
        """The chain row, locked for this transaction, after checking its MAC under ``key``."""
        head = conn.execute(_HEAD_LOCKED).one()
        if not head_verifies(key, head):
            raise LedgerError(
                "the chain head does not verify under this ledger key: a different key, or an "
                "altered ledger (run 'consent ledger verify'); nothing is appended"
            )
        return head

    def _append(self, items: Batch, *, fresh: bool = False) -> int:
        """Append the records not yet present, in one transaction; returns how many were new.

        ``fresh`` records were never submitted before (a visitor's decision just made), so the lookup
        of ids already stored is skipped; the unique record id still refuses a duplicate.
        """
        key = self._require_key()
        if not self._schema_ok and self.dialect == "sqlite" and not self._sqlite_path().exists():
            raise SchemaError(f"{self._sqlite_path()} does not exist: run 'consent ledger init'")
        now = time.monotonic()
        with self._writing() as conn:
            if not self._schema_ok:
                schema.check_version(conn)
                self._met(schema.read_ledger_id(conn))
            head = self._lock_head(conn, key)
            existing: set[str] = set()
            if not fresh:
                existing = set(conn.scalars(_EXISTING, {"ids": [r.record_id for r, _ in items]}))
            wanted = {
                r.notice: body
                for r, body in items
                if body is not None and self._known_notices.get(r.notice, 0.0) < now
            }
            if wanted:
                missing = set(wanted) - set(conn.scalars(_KNOWN_NOTICES, {"hashes": list(wanted)}))
                fresh_notices = []
                for digest in sorted(missing):
                    body = wanted[digest]
                    if hashlib.sha256(body).hexdigest() != digest:
                        log.error("consent ledger: notice %s does not match its hash; not stored", digest)
                        continue
                    fresh_notices.append(
                        {"hash": digest, "body": body.decode(), "created_at": schema.utcnow()}
                    )
                if fresh_notices:
                    conn.execute(_INSERT_NOTICES, fresh_notices)
            seq, prev_id, prev_mac = head.head_seq, head.head_id, head.head_mac
            rows = []
            for record, _ in items:
                if record.record_id in existing:
                    continue
                existing.add(record.record_id)
                seq += 1
                body = record.canonical()
                mac = chain_mac(key, seq, prev_id, prev_mac, body)
                rows.append(
                    {
                        "seq": seq,
                        "record_id": record.record_id,
                        "consent_id": record.consent_id,
                        "recorded_at": naive_utc(record.recorded_at),
                        "method": record.method,
                        "notice": record.notice,
                        "body": body.decode(),
                        "prev_id": prev_id,
                        "prev_mac": prev_mac,
                        "mac": mac,
                    }
                )
                prev_id, prev_mac = record.record_id, mac
            if rows:
                conn.execute(_INSERT_RECORDS, rows)
                conn.execute(
                    _SET_HEAD,
                    {
                        "new_seq": seq,
                        "new_id": prev_id,
                        "new_mac": prev_mac,
                        "new_tag": tag(key, "head", seq, prev_id, prev_mac),
                    },
                )
        for digest in wanted:
            self._known_notices[digest] = now + NOTICE_MEMORY
        self._schema_ok = True
        self._recovered()
        return len(rows)

    # -- the spool ----------------------------------------------------------------------------------------

    def replay(self, *, blocking: bool = True, into_other_ledger: bool = False) -> DrainResult:
        """Write this ledger's spooled records to the database (idempotent); raises if it fails.

        Records spooled for another ledger are kept in the spool's ``held/`` folder and listed in the
        result's ``held`` (:meth:`held_message` says why, with the commands that move them). ``into_other_ledger``
        writes every record of the spool here, whichever ledger it was spooled for: the deliberate move.
        """
        if self.spool is None:
            raise LedgerError("this ledger has no spool to replay")
        self._require_key()
        self.ledger_id()  # whose records are ours is decided against the database's own id
        belongs = (lambda owner: True) if into_other_ledger else self.owns
        return self.spool.drain(self._append_batch, belongs=belongs, blocking=blocking, chunk=MAX_BATCH)

    def held_message(self, group: Held) -> str:
        """Why ``group`` is not replayed here, and the commands that move it."""
        assert self.spool is not None
        spool = self.spool.directory
        whose = (
            f"belong to {group.owner}"
            if group.owner is not None
            else "were spooled by an older consent-gate, which did not say for which ledger"
        )
        lines = [
            f"{group.count} spooled record{'s' if group.count != 1 else ''} {whose}, not to this "
            f"ledger {self._ledger_id or '(id not known yet)'} at {self.owner_url}: they are kept in "
            f"{group.path} and never replayed here."
        ]
        if group.owner is not None:
            lines.append(
                f"To replay them into their own ledger: consent ledger replay --url '{group.owner.url}' "
                f"--spool '{spool}'"
            )
        lines.append(
            f"To move them into this ledger on purpose: consent ledger replay --url '{self.owner_url}' "
            f"--spool '{spool}' --into-other-ledger"
        )
        return "\n".join(lines)

    def _report_held(self, groups: Sequence[Held]) -> None:
        for group in groups:
            seen = (str(group.path), group.count)
            if seen not in self._reported_held:
                self._reported_held.add(seen)
                log.error("consent ledger: %s", self.held_message(group))

    def _append_batch(self, batch: Batch) -> None:
        try:
            self._append(batch)
        except (DataError, IntegrityError):
            # The database refuses the data itself, not the moment: store the records one by one and
            # set aside those it still refuses, so that one bad line never holds up the rest.
            assert self.spool is not None
            for item in batch:
                try:
                    self._append([item])
                except (DataError, IntegrityError) as exc:
                    self.spool.reject(item[0].canonical(), f"refused by the database ({exc.orig})")

    def _spool_waiting(self) -> bool:
        """Whether the spool holds records to replay (two ``stat`` calls)."""
        if self.spool is None:
            return False
        if self.spool.pending():
            return True
        if not self._held_checked:  # once per process: records another ledger's replay held for us
            self._held_checked = True
            return self.spool.has_held()
        return False

    def _drain_from_writer(self, between: Callable[[], None]) -> None:
        assert self.spool is not None
        try:
            result = self.spool.drain(
                self._append_batch, belongs=self.owns, blocking=False, chunk=MAX_BATCH, between=between
            )
        except Exception as exc:
            self._failed(exc)
            return
        if result.read:
            log.info("consent ledger: replayed %d spooled records", result.read)
        self._report_held(result.held)

    # -- reading ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if snapshot and self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SET LOCAL statement_timeout = 0"))
                yield conn

    def _rows(self, conn: Connection, statement: Any) -> Iterator[Any]:
        if self.dialect == "postgresql":
            conn = conn.execution_options(stream_results=True, yield_per=500)
        yield from conn.execute(statement)

    def get(self, record_id: str) -> Record | None:
        """One record by its id (from the database, else from the spool)."""
        r = schema.records
        with self._reading() as conn:
            row = conn.execute(select(r.c.seq, r.c.body, r.c.mac).where(r.c.record_id == record_id)).first()
        if row is not None:
            return Record.from_body(row.body, seq=row.seq, mac=row.mac)
        if self.spool is not None:
            return next((x for x in self.spool.records(self.owns) if x.record_id == record_id), None)
        return None

    def history(self, consent_id: str) -> list[Record]:
        """Every decision of ``consent_id``, oldest first, including any still waiting in the spool."""
        r = schema.records
        with self._reading() as conn:
            rows = conn.execute(
                select(r.c.seq, r.c.body, r.c.mac)
                .where(r.c.consent_id == consent_id)
                .order_by(r.c.recorded_at, r.c.seq)
            ).all()
        found = [Record.from_body(row.body, seq=row.seq, mac=row.mac) for row in rows]
        if self.spool is not None and self.spool.pending():
            known = {x.record_id for x in found}
            for record in self.spool.records(self.owns):
                if record.consent_id == consent_id and record.record_id not in known:
                    known.add(record.record_id)
                    found.append(record)
            found.sort(key=lambda x: (x.recorded_at, x.seq if x.seq is not None else math.inf))
        return found

    def notice(self, digest: str) -> dict[str, Any] | None:
        """The notice document with this hash (from the database, else from the spool)."""
        cached = self._notice_cache.get(digest)
        if cached is not None:
            return cached
        with self._reading() as conn:
            body = conn.scalar(select(schema.notices.c.body).where(schema.notices.c.hash == digest))
        if body is None and self.spool is not None:
            raw = self.spool.notice(digest)
            body = raw.decode() if raw is not None else None
        if body is None:
            return None
        document = load_notice(body)
        self._notice_cache[digest] = document
        return document

    def state_at(self, consent_id: str, when: datetime, registry: Registry | None = None) -> ConsentState:
        """What ``consent_id`` allowed at ``when``: the :class:`ConsentState` its cookie held then.

        Read against ``registry`` (default: the ledger's), with the cookie's rules: a vendor that has
        since moved to another purpose reads as not asked, an expired decision as undecided.
        """
        registry = registry or self.registry
        if registry is None:
            raise LedgerError("state_at needs a registry: pass one, or create the Ledger with registry=")
        when = aware_utc(when)
        record = None
        for candidate in self.history(consent_id):
            if candidate.recorded_at <= when:
                record = candidate
        if record is None:
            return ConsentState(registry)
        return self.state_of(record, registry, when=when)

    def state_of(self, record: Record, registry: Registry, *, when: datetime | None = None) -> ConsentState:
        """The :class:`ConsentState` a record's cookie held (undecided once it expired at ``when``)."""
        return state_from_record(record, registry, self.notice, when=when)

    def export(self, since: datetime | None = None) -> Iterator[Record]:
        """Every record in chain order (those recorded at or after ``since``, if given)."""
        r = schema.records
        statement = select(r.c.seq, r.c.body, r.c.mac).order_by(r.c.seq)
        if since is not None:
            statement = statement.where(r.c.recorded_at >= naive_utc(aware_utc(since)))
        with self._reading(snapshot=True) as conn:
            for row in self._rows(conn, statement):
                yield Record.from_body(row.body, seq=row.seq, mac=row.mac)

    def count(self) -> int:
        with self._reading() as conn:
            return int(conn.scalar(select(func.count()).select_from(schema.records)) or 0)

    def stats(self, since: datetime | None = None) -> Stats:
        """Decisions per day (UTC) by method, and answers per day by optional category (see :func:`tally`)."""
        return tally(self.export(since), self.notice)

    # -- checking and pruning -----------------------------------------------------------------------------

    def verify(self, checkpoints: Sequence[Checkpoint] = ()) -> Verification:
        """Check every record's MAC and link, the chain's head and base, and every notice's hash.

        With ``checkpoints`` (see :mod:`consent.ledger.checkpoint`), also that the ledger is the one
        they were taken of and has not been rolled back behind, or away from, any of them.
        """
        key = self._require_key()
        with self._reading(snapshot=True) as conn:
            ledger_id, head = self._identity_and_head(conn)
            return verify_chain(
                conn, key, ledger_id, head, checkpoints, rows=lambda statement: self._rows(conn, statement)
            )

    def _identity_and_head(self, conn: Connection) -> tuple[str, Any]:
        """The ledger's id and its chain row (the schema must be current)."""
        schema.check_version(conn)
        ledger_id = self._met(schema.read_ledger_id(conn))
        return ledger_id, conn.execute(
            select(schema.chain).where(schema.chain.c.id == schema.CHAIN_ROW)
        ).one()

    def check_checkpoints(self, checkpoints: Sequence[Checkpoint]) -> tuple[Break, ...]:
        """Only the checkpoint part of :meth:`verify` (a few lookups, no walk of the chain)."""
        key = self._require_key()
        with self._reading(snapshot=True) as conn:
            ledger_id, head = self._identity_and_head(conn)
            return tuple(compare_checkpoints(conn, key, ledger_id, head, checkpoints))

    def checkpoint(self, *, now: datetime | None = None) -> Checkpoint:
        """The chain's head now, signed with the ledger key (refused if the head does not verify)."""
        key = self._require_key()
        with self._reading() as conn:
            ledger_id, head = self._identity_and_head(conn)
        if not head_verifies(key, head):
            raise LedgerError(
                "the chain head does not verify under this ledger key (a wrong key, or an altered "
                "ledger: run 'consent ledger verify'); no checkpoint is written"
            )
        point = Checkpoint(
            ledger_id, head.head_seq, head.head_id, head.head_mac, aware_utc(now or datetime.now(UTC))
        )
        return point.signed(key)

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete the oldest records, those recorded more than ``older_than`` ago; returns how many.

        Only a prefix of the chain goes (up to the first younger record), and the new start is sealed
        with a MAC, so ``verify`` still checks everything that remains. Notices no record points to any
        more go too.
        """
        if older_than <= timedelta(0):
            raise LedgerError("prune needs a positive age")
        key = self._require_key()
        cutoff = naive_utc(aware_utc(now or datetime.now(UTC)) - older_than)
        r = schema.records
        with self._writing() as conn:
            schema.check_version(conn)
            head = self._lock_head(conn, key)
            first_young = conn.scalar(select(func.min(r.c.seq)).where(r.c.recorded_at >= cutoff))
            last = first_young - 1 if first_young is not None else head.head_seq
            if last <= head.base_seq:
                return 0
            row = conn.execute(select(r.c.record_id, r.c.mac).where(r.c.seq == last)).one()
            deleted = conn.execute(delete(r).where(r.c.seq <= last)).rowcount
            conn.execute(
                update(schema.chain)
                .where(schema.chain.c.id == schema.CHAIN_ROW)
                .values(
                    base_seq=last,
                    base_id=row.record_id,
                    base_mac=row.mac,
                    base_tag=tag(key, "base", last, row.record_id, row.mac),
                )
            )
            used = select(r.c.notice).distinct()
            conn.execute(
                delete(schema.notices).where(
                    schema.notices.c.hash.not_in(used), schema.notices.c.created_at < cutoff
                )
            )
        return int(deleted)


def open_ledger(
    url: str,
    key: str | bytes | None = None,
    *,
    spool: str | os.PathLike[str] | None = None,
    registry: Registry | None = None,
) -> Ledger:
    """A ledger for jobs and scripts: no time limits (``timeout=None``)."""
    return Ledger(url, key, spool=spool, timeout=None, registry=registry)


__all__ = [
    "DEFAULT_TIMEOUT",
    "Ledger",
    "Receipt",
    "Stats",
    "open_ledger",
]
