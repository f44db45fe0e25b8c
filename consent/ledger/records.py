"""One ledger record per decision, its canonical form, and the HMAC chain that links the records.

A record says who (the pseudonymous consent id, and a site's own subject id only if it adds one), when,
how (method, control, layer), what the visitor chose (every category and every vendor), what they were
shown (the hash of the notice, see :mod:`consent.ledger.notice`), in which locale, on which page and
under which privacy signals. It never holds an IP address, a user agent or anything else about the
person.

The canonical form is compact JSON with sorted keys (UTF-8). Each stored record carries
``mac = HMAC-SHA256(key, "consent-ledger/1" | seq | previous record id | previous mac | canonical)``, so
editing a record, deleting one or reordering them breaks the chain at a point that names the record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .._version import __version__
from ..state import ConsentState
from .errors import LedgerError

#: Version of the record layout inside ``body`` (a new field means a new format number).
RECORD_FORMAT = 1
#: Salt of the ledger key derived from a site's ``SECRET_KEY`` (see :func:`derive_key`).
KEY_SALT = b"consent.ledger.key"
_MAC_DOMAIN = b"consent-ledger/1"


@lru_cache(maxsize=1)
def package_version() -> str:
    return __version__


def new_record_id(now: float | None = None) -> str:
    """32 hex digits: 48 bits of milliseconds (so ids sort by time, and indexes stay compact) + 80 random."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis & 0xFFFFFFFFFFFF:012x}{secrets.token_hex(10)}"


def derive_key(secret_key: str | bytes) -> bytes:
    """The default ledger key: HMAC-SHA256 of :data:`KEY_SALT` under the site's ``SECRET_KEY``.

    A key of its own (``CONSENT_LEDGER_KEY``) is better: rotating ``SECRET_KEY`` would otherwise change
    the ledger key, and records made under the old one would no longer verify.
    """
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if not secret:
        raise LedgerError("the ledger key cannot be derived from an empty secret key")
    return hmac.new(secret, KEY_SALT, hashlib.sha256).digest()


def as_key(key: str | bytes) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    if not raw:
        raise LedgerError("the ledger key must not be empty")
    return raw


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (microseconds kept)."""
    if value.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def chain_mac(key: bytes, seq: int, prev_id: str | None, prev_mac: str, body: bytes) -> str:
    """The MAC of the record stored at ``seq`` after ``prev_id`` (whose MAC is ``prev_mac``)."""
    mac = hmac.new(key, _MAC_DOMAIN, hashlib.sha256)
    mac.update(f"\n{seq}\n{prev_id or ''}\n{prev_mac}\n".encode())
    mac.update(body)
    return mac.hexdigest()


def tag(key: bytes, kind: str, seq: int, record_id: str | None, mac: str) -> str:
    """A MAC over a pointer into the chain (its head, or the point it was pruned back to)."""
    return hmac.new(key, f"{kind}\n{seq}\n{record_id or ''}\n{mac}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Record:
    """One decision as the ledger keeps it; ``seq`` and ``mac`` are set once it is in the database."""

    record_id: str
    consent_id: str
    recorded_at: datetime
    method: str
    control: str
    layer: str
    categories: Mapping[str, str]
    vendors: Mapping[str, str]
    revision: str
    notice: str
    locale: str
    path: str | None = None
    signals: tuple[str, ...] = ()
    policy: str = "opt-in"
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    version: str = field(default_factory=package_version)
    subject: str | None = None
    #: Where the visitor was (the registry's region id), which wording of the first layer they saw, and
    #: when it was shown: optional, in the content only when known (older records' MACs are unchanged).
    region: str | None = None
    variant: str | None = None
    shown_at: datetime | None = None
    #: Objections to legitimate interest (IAB TCF): vendor ids and purpose numbers; in the content only
    #: when there are any.
    objected_vendors: tuple[str, ...] = ()
    objected_purposes: tuple[int, ...] = ()
    seq: int | None = None
    mac: str | None = None

    def content(self) -> dict[str, Any]:
        """What the MAC covers and the database's ``body`` column holds (no ``seq``, no ``mac``)."""
        return {
            "format": RECORD_FORMAT,
            "record_id": self.record_id,
            "consent_id": self.consent_id,
            "recorded_at": format_time(self.recorded_at),
            "method": self.method,
            "control": self.control,
            "layer": self.layer,
            "policy": self.policy,
            "decided_at": format_time(self.decided_at) if self.decided_at else None,
            "expires_at": format_time(self.expires_at) if self.expires_at else None,
            "categories": dict(self.categories),
            "vendors": dict(self.vendors),
            "revision": self.revision,
            "notice": self.notice,
            "locale": self.locale,
            "path": self.path,
            "signals": list(self.signals),
            "version": self.version,
            "subject": self.subject,
        } | {
            key: value
            for key, value in (
                ("region", self.region),
                ("variant", self.variant),
                ("shown_at", format_time(self.shown_at) if self.shown_at else None),
                (
                    "objections",
                    {"vendors": list(self.objected_vendors), "purposes": list(self.objected_purposes)}
                    if self.objected_vendors or self.objected_purposes
                    else None,
                ),
            )
            if value is not None
        }

    def canonical(self) -> bytes:
        return canonical_json(self.content())

    def as_dict(self) -> dict[str, Any]:
        """The content plus where it sits in the chain (what ``export`` writes)."""
        return {"seq": self.seq, **self.content(), "mac": self.mac}

    @classmethod
    def from_content(
        cls, data: Mapping[str, Any], *, seq: int | None = None, mac: str | None = None
    ) -> Record:
        if data.get("format") != RECORD_FORMAT:
            raise ValueError(f"unknown ledger record format {data.get('format')!r}")
        decided, expires = data.get("decided_at"), data.get("expires_at")
        return cls(
            record_id=str(data["record_id"]),
            consent_id=str(data["consent_id"]),
            recorded_at=parse_time(data["recorded_at"]),
            method=str(data["method"]),
            control=str(data["control"]),
            layer=str(data["layer"]),
            policy=str(data["policy"]),
            decided_at=parse_time(decided) if decided else None,
            expires_at=parse_time(expires) if expires else None,
            categories={str(k): str(v) for k, v in data["categories"].items()},
            vendors={str(k): str(v) for k, v in data["vendors"].items()},
            revision=str(data["revision"]),
            notice=str(data["notice"]),
            locale=str(data["locale"]),
            path=data.get("path"),
            signals=tuple(str(s) for s in data.get("signals") or ()),
            version=str(data["version"]),
            subject=data.get("subject"),
            region=data.get("region"),
            variant=data.get("variant"),
            shown_at=parse_time(data["shown_at"]) if data.get("shown_at") else None,
            objected_vendors=tuple(str(v) for v in (data.get("objections") or {}).get("vendors", ())),
            objected_purposes=tuple(int(p) for p in (data.get("objections") or {}).get("purposes", ())),
            seq=seq,
            mac=mac,
        )

    @classmethod
    def from_body(cls, body: str | bytes, *, seq: int | None = None, mac: str | None = None) -> Record:
        return cls.from_content(json.loads(body), seq=seq, mac=mac)

    def decisions(self, kind: str, decision: str) -> list[str]:
        """Ids of ``kind`` (``"categories"`` or ``"vendors"``) with this decision, in record order."""
        table = self.categories if kind == "categories" else self.vendors
        return [k for k, v in table.items() if v == decision]


def build_record(
    state: ConsentState,
    *,
    notice: str,
    control: str,
    layer: str,
    locale: str,
    path: str | None = None,
    signals: Iterable[str] = (),
    subject: str | None = None,
    now: datetime | None = None,
    record_id: str | None = None,
    region: str | None = None,
    variant: str | None = None,
    shown_at: datetime | None = None,
) -> Record:
    """The record of a decision that produced ``state`` (which must be decided and carry an id)."""
    if not state.is_decided or state.consent_id is None or state.method is None:
        raise ValueError("only a decision (a decided state with a consent id) can be recorded")
    registry = state.registry
    when = now or datetime.now(UTC)
    return Record(
        record_id=record_id or new_record_id(when.timestamp()),
        consent_id=state.consent_id,
        recorded_at=when,
        method=state.method.value,
        control=control,
        layer=layer,
        policy=state.policy.value,
        decided_at=state.decided_at,
        expires_at=state.expires_at,
        categories={c.id: state.category_decision(c.id).value for c in registry.ordered_categories()},
        vendors={v.id: state.vendor_decision(v.id).value for v in registry.vendors},
        revision=registry.revision,
        notice=notice,
        locale=locale,
        path=path,
        signals=tuple(sorted(set(signals) | {s.value for s in state.signals})),
        subject=subject,
        region=region,
        variant=variant,
        shown_at=shown_at,
        objected_vendors=tuple(v.id for v in registry.vendors_in_mask(state.objections)),
        objected_purposes=tuple(sorted(state.objected_purposes)),
    )


__all__ = [
    "KEY_SALT",
    "RECORD_FORMAT",
    "Record",
    "build_record",
    "canonical_json",
    "chain_mac",
    "derive_key",
    "new_record_id",
    "package_version",
]
