"""The consent cookie: a compact binary payload, signed with itsdangerous under a list of keys.

Layout of the payload before signing (all integers big-endian)::

    version:1  decided_at:4 (seconds since 2020-01-01)  lifetime_days:2  revision:4  consent_id:10
    method/policy:1  signals:1  table_size:1  table_size * (category_key:2 decision:1)
    granted plane, then ceil(log2(table_size + 1)) code planes, each ceil(max_vendor_number / 8) bytes
    [objected purposes:4 (bit p-1 for IAB purpose p), objection plane]  only in version 2

Version 2 adds the trailer of legitimate-interest objections (IAB TCF); a cookie without any is written
as version 1, as it always was, and a reader that knows only version 1 takes a version 2 cookie as
undecided (it asks again) rather than misreading it.

Reading a cookie never raises: anything that is not an authentic, current cookie for this registry is
"undecided" (logged at debug level).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import struct
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import Signer

from .errors import ConfigurationError, CookieError
from .registry import Registry
from .registry_rules import category_key
from .state import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    PURPOSE_NUMBERS,
    ConsentState,
    Decision,
    Method,
    Policy,
    Signal,
    assemble,
)

log = logging.getLogger("consent.codec")

FORMAT_VERSION = 1
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_EPOCH_SECONDS = EPOCH.timestamp()
#: Browsers cap cookie lifetimes at 400 days (Chrome, and the cookie RFC draft).
MAX_COOKIE_AGE = timedelta(days=400)
#: Per-cookie limit that every browser honours (name, value and attributes).
MAX_COOKIE_BYTES = 4096
#: How far in the future a decision time may lie before it is treated as forged (clock skew).
CLOCK_SKEW = timedelta(minutes=5)
_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
DEFAULT_SALT = "consent.cookie"
DEFAULT_NAME = "consent"

_HEADER = struct.Struct(">BIH4s10sBBB")
_ENTRY = struct.Struct(">HB")
_SIGNATURE_CHARS = 27  # base64 of an HMAC-SHA1
_METHODS = list(Method)
_POLICIES = list(Policy)
_DECISIONS = {1: Decision.GRANTED, 2: Decision.DENIED, 3: Decision.UNASKED}
_DECISION_CODES = {d: c for c, d in _DECISIONS.items()}
_SIGNAL_BITS = {Signal.GPC: 1}
_SIGNAL_MASK = sum(_SIGNAL_BITS.values())
#: The format of a cookie with legitimate-interest objections after the planes.
OBJECTIONS_VERSION = 2
_PURPOSES = struct.Struct(">I")
_NO_PURPOSES: frozenset[int] = frozenset()
#: Every combination of signal bits, decoded once.
_SIGNALS = tuple(
    frozenset(s for s, bit in _SIGNAL_BITS.items() if bits & bit) for bits in range(_SIGNAL_MASK + 1)
)
#: The table size is one byte: at most this many optional categories.
MAX_OPTIONAL_CATEGORIES = 255


def cookie_name(base: str = DEFAULT_NAME, *, secure: bool = True, domain: str | None = None) -> str:
    """``__Host-`` for a secure host-only cookie, ``__Secure-`` when shared with a domain."""
    if not secure:
        return base
    return f"__Secure-{base}" if domain else f"__Host-{base}"


def payload_size(registry: Registry, *, objections: bool = False) -> int:
    """Bytes of the unsigned payload for ``registry`` (the same for every choice), with or without
    legitimate-interest objections."""
    table = sum(1 for c in registry.categories if not c.required)
    max_number = max((v.number for v in registry.vendors), default=0)
    plane = (max_number + 7) // 8
    trailer = _PURPOSES.size + plane if objections else 0
    return _HEADER.size + table * _ENTRY.size + plane * (1 + table.bit_length()) + trailer


def cookie_size(registry: Registry, name: str, *, objections: bool = False) -> int:
    """Length of ``name=value`` for any state of ``registry`` (with objections: the largest a TCF
    site's cookie gets)."""
    return len(name) + 1 + _b64_len(payload_size(registry, objections=objections)) + 1 + _SIGNATURE_CHARS


def may_object(registry: Registry) -> bool:
    """Whether visitors can object to legitimate interest here (the registry has IAB TCF vendors)."""
    return any(v.tcf_id is not None for v in registry.vendors)


def cookie_size_problem(registry: Registry) -> str | None:
    """Why ``registry`` cannot be stored in a cookie, or ``None`` when it can."""
    optional = sum(1 for c in registry.categories if not c.required)
    if optional > MAX_OPTIONAL_CATEGORIES:
        return (
            f"the consent cookie holds at most {MAX_OPTIONAL_CATEGORIES} optional categories, not {optional}"
        )
    size = cookie_size(registry, cookie_name(DEFAULT_NAME, domain="x"), objections=may_object(registry))
    if size > MAX_COOKIE_BYTES:
        return (
            f"a consent cookie for this registry would take {size} bytes, over the {MAX_COOKIE_BYTES}-byte "
            "browser limit: use lower vendor numbers or fewer optional categories"
        )
    return None


def _b64_len(raw: int) -> int:
    return (raw * 4 + 2) // 3


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    return binascii.a2b_base64(data.translate(_FROM_URLSAFE) + b"=" * (-len(data) % 4), strict_mode=True)


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64digest(digest: bytes) -> bytes:
    """A 20-byte HMAC-SHA1 as itsdangerous writes it: URL-safe base64 without padding."""
    return binascii.b2a_base64(digest, newline=False)[:-1].translate(_TO_URLSAFE)


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
#: Every 10-bit value as two base-32 letters: a consent id (80 bits) is eight look-ups.
_BASE32_PAIRS = tuple(a + b for a in _BASE32 for b in _BASE32)


def _consent_id_text(raw: bytes) -> str:
    """The 10-byte consent id as its 16 lower-case base-32 letters (``base64.b32encode``, faster)."""
    n = int.from_bytes(raw, "big")
    p = _BASE32_PAIRS
    return (
        p[n >> 70] + p[n >> 60 & 1023] + p[n >> 50 & 1023] + p[n >> 40 & 1023]
        + p[n >> 30 & 1023] + p[n >> 20 & 1023] + p[n >> 10 & 1023] + p[n & 1023]
    )  # fmt: skip


#: Above this many optional categories the codec does not list every table a cookie may hold.
_LISTED_TABLES_MAX = 6


class _StoredTables:
    """What a cookie's purpose table means, worked out once per codec for the usual layout.

    A cookie written against the registry as it is now lists every optional purpose in display order;
    each of the 3**n answer combinations of that layout maps straight to its answers, and a vendor is
    decided when its code planes spell its own purpose's position (``expected``), so reading one is a
    dictionary look-up and a few mask operations. Any other layout (a purpose since added, removed or
    reordered) is read the long way.
    """

    __slots__ = ("answers", "expected", "members")

    def __init__(self, optional: Sequence[tuple[int, str, int]], width: int) -> None:
        #: The table's bytes (key, answer per purpose) to the answers as the state holds them.
        self.answers: dict[bytes, tuple[tuple[str, Decision], ...]] = {}
        if len(optional) <= _LISTED_TABLES_MAX:
            combos: list[tuple[bytes, tuple[tuple[str, Decision], ...]]] = [(b"", ())]
            for key, category_id, _ in optional:
                combos = [
                    (raw + _ENTRY.pack(key, code), (*answers, (category_id, decision)))
                    for raw, answers in combos
                    for code, decision in _DECISIONS.items()
                ]
            self.answers = dict(combos)
        planes = [0] * len(optional).bit_length()
        for code, (_, _, mask) in enumerate(optional, start=1):
            for p in range(len(planes)):
                if code >> p & 1:
                    planes[p] |= mask
        #: The code planes of a cookie in which every vendor was decided under its current purpose,
        #: laid end to end as the cookie holds them (``width`` bytes each).
        self.expected = sum(plane << (width * 8 * p) for p, plane in enumerate(planes))
        #: Every vendor of an optional purpose.
        self.members = 0
        for _, _, mask in optional:
            self.members |= mask


@lru_cache(maxsize=256)
def _table_struct(size: int) -> struct.Struct:
    return struct.Struct(">" + "HB" * size)


class CookieCodec:
    """Turns a :class:`ConsentState` into a signed cookie value and back.

    ``secret_keys`` is one key or a list, oldest first: the newest signs, all verify, so keys rotate
    without anyone losing their choices; a key dropped from the list invalidates what it signed.
    """

    def __init__(
        self,
        registry: Registry,
        secret_keys: str | bytes | Sequence[str | bytes],
        *,
        salt: str = DEFAULT_SALT,
        name: str = DEFAULT_NAME,
        secure: bool = True,
        domain: str | None = None,
        lifetime: timedelta = DEFAULT_LIFETIME,
        max_age: timedelta = MAX_COOKIE_AGE,
    ) -> None:
        given = (secret_keys,) if isinstance(secret_keys, str | bytes) else tuple(secret_keys)
        #: The keys as given, oldest first (the Flask layer compares them to notice a rotation).
        self.keys = given
        keys = [k.encode() if isinstance(k, str) else k for k in given]
        if not keys or not all(keys):
            raise ConfigurationError("the consent cookie needs a non-empty secret key")
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise ConfigurationError("the consent lifetime must be between 1 day and 13 months")
        self.registry = registry
        #: Signs with the newest key, in itsdangerous' format (HMAC-SHA1 of the payload under a key
        #: derived from the secret and the salt).
        self.signer = Signer(keys, salt=salt, digest_method=hashlib.sha1)
        # Verifying is one HMAC per key, newest first, compared as text: each derived key's HMAC state
        # is set up once and copied per cookie (no digest look-up by name, no key padding per request),
        # and a signature with stray low bits (an altered copy) never matches.
        self._verifiers = tuple(
            hmac.new(self.signer.derive_key(k), digestmod=hashlib.sha1) for k in reversed(keys)
        )
        self.secure = secure
        self.domain = domain
        self.name = cookie_name(name, secure=secure, domain=domain)
        self._in_header = re.compile(rf"(?:^|;)[ \t]*{re.escape(self.name)}[ \t]*=([^;]*)")
        self.lifetime = lifetime
        self.max_age = min(max_age, MAX_COOKIE_AGE)
        optional = registry.optional_categories
        self._optional_ids = frozenset(c.id for c in optional)
        # Category key (as the cookie stores it) to the category and the vendors in it now.
        self._optional_by_key = {c.key: (c.id, registry.category_masks[c.id]) for c in optional}
        self._lifetime_seconds = int(lifetime.total_seconds())
        self._lifetime_delta = timedelta(seconds=self._lifetime_seconds)
        self._width = (max((v.number for v in registry.vendors), default=0) + 7) // 8
        self._tables = _StoredTables(
            [(c.key, c.id, registry.category_masks[c.id]) for c in optional], self._width
        )
        self._may_object = may_object(registry)
        size = cookie_size(registry, self.name, objections=self._may_object)
        if sum(1 for c in registry.categories if not c.required) > MAX_OPTIONAL_CATEGORIES:
            raise ConfigurationError(
                f"the consent cookie holds at most {MAX_OPTIONAL_CATEGORIES} optional categories"
            )
        if size > MAX_COOKIE_BYTES:
            raise ConfigurationError(
                f"this registry's consent cookie would take {size} bytes (limit {MAX_COOKIE_BYTES})"
            )

    # -- writing -------------------------------------------------------------------------------

    def encode(self, state: ConsentState) -> str:
        decided_at, expires_at, method = state.decided_at, state.expires_at, state.method
        if decided_at is None or expires_at is None or method is None:
            raise CookieError("only a decided state can be stored")
        registry = self.registry
        decided = int((decided_at - EPOCH).total_seconds())
        days = (expires_at - decided_at).days
        signals = 0
        for signal in state.signals:
            signals |= _SIGNAL_BITS[signal]
        objected = state.objections & state.registry.optional_mask
        objecting = bool(objected or state.objected_purposes)
        if objecting and not self._may_object:  # the cookie's size was checked without the trailer
            raise CookieError("objections to legitimate interest need IAB TCF vendors in the registry")
        consent_id = base64.b32decode(state.consent_id.upper() if state.consent_id else "A" * 16)
        # The table lists the optional purposes shown; a vendor's "code" is the 1-based position of the
        # purpose it was decided under, spread over log2(len(table) + 1) planes.
        table = [(cid, d) for cid, d in state.categories if cid in self._optional_ids]
        planes = [0] * len(table).bit_length()
        for code, (category_id, _) in enumerate(table, start=1):
            members = state.decided & registry.category_masks[category_id]
            for p in range(len(planes)):
                if code >> p & 1:
                    planes[p] |= members
        parts = [
            _HEADER.pack(
                OBJECTIONS_VERSION if objecting else FORMAT_VERSION,
                decided,
                days,
                bytes.fromhex(state.revision or "00000000"),
                consent_id,
                _METHODS.index(method) | _POLICIES.index(state.policy) << 4,
                signals,
                len(table),
            )
        ]
        parts += [_ENTRY.pack(category_key(cid), _DECISION_CODES[d]) for cid, d in table]
        width = self._width
        for bits in (state.granted & state.decided, *planes):
            parts.append(bits.to_bytes(width, "little"))
        if objecting:
            parts.append(_PURPOSES.pack(sum(1 << (p - 1) for p in state.objected_purposes)))
            parts.append(objected.to_bytes(width, "little"))
        return self.signer.sign(_b64encode(b"".join(parts))).decode("ascii")

    def cookie_options(self) -> dict[str, Any]:
        """Attributes for ``set_cookie``: server-set, HttpOnly, SameSite=Lax, Secure by default."""
        return {
            "max_age": int(self.max_age.total_seconds()),
            "path": "/",
            "domain": self.domain,
            "secure": self.secure,
            "httponly": True,
            "samesite": "Lax",
        }

    # -- reading -------------------------------------------------------------------------------

    def value_in(self, header: str | None) -> str | None:
        """This cookie's value in a request's ``Cookie`` header (the first, as browsers send the most
        specific first), without parsing the visitor's other cookies; ``None`` when it is absent.

        Unlike a full parser it does not skip quoted values of other cookies (which browsers never send
        with a ``;`` inside): whatever it finds must still carry a valid signature."""
        if not header:
            return None
        found = self._in_header.search(header)
        if found is None:
            return None
        value = found[1].strip(" \t")
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        return value

    def decode(self, value: str | None, *, now: datetime | None = None) -> ConsentState:
        """The state a cookie holds, or an undecided one for anything not authentic and current."""
        if value is None:  # no cookie: the normal first visit, nothing to log
            return ConsentState(self.registry)
        try:
            return self._decode(value, now)
        except Exception as exc:  # every failure means "undecided", by design
            log.debug("consent cookie rejected: %s", exc)
            return ConsentState(self.registry)

    def _decode(self, value: str, now: datetime | None) -> ConsentState:
        # Every request reads its cookie, so this is written for speed: one HMAC per key compared as
        # text, one struct call for the header and the table, seconds as integers until the end.
        if len(value) > MAX_COOKIE_BYTES:
            raise CookieError("oversized cookie")
        raw = value.encode("ascii")
        body, dot, signature = raw.rpartition(b".")
        if not dot:
            raise CookieError("no signature")
        for verifier in self._verifiers:
            mac = verifier.copy()
            mac.update(body)
            if hmac.compare_digest(_b64digest(mac.digest()), signature):
                break
        else:
            raise CookieError("bad signature")
        try:
            payload = _b64decode(body)
        except binascii.Error as exc:
            raise CookieError(f"bad encoding: {exc}") from None
        (version, decided, days, revision, consent_id, how, signals, size) = _HEADER.unpack_from(payload)
        if version != FORMAT_VERSION and version != OBJECTIONS_VERSION:
            raise CookieError(f"unknown format version {version}")
        if not 0 < days <= MAX_LIFETIME.days:
            raise CookieError(f"lifetime of {days} days is out of range")
        method = _METHODS[how & 0x0F]
        policy = _POLICIES[how >> 4]
        offset = _HEADER.size + size * _ENTRY.size
        plane_count = 1 + size.bit_length()
        rest = len(payload) - offset
        objecting = version == OBJECTIONS_VERSION
        if objecting:  # the purposes, and one more plane
            rest -= _PURPOSES.size
            plane_count += 1
        if rest < 0 or rest % plane_count:
            raise CookieError("truncated planes")
        width = rest // plane_count
        # A site that shortens its re-ask interval shortens it for decisions already stored, too.
        lasts = min(days * 86400, self._lifetime_seconds)
        current = (now.timestamp() if now is not None else time.time()) - _EPOCH_SECONDS
        cid = _consent_id_text(consent_id)
        if decided > current + _SKEW_SECONDS:
            raise CookieError("decision dated in the future")
        if current >= decided + lasts:
            log.debug("consent cookie expired %d s ago", current - decided - lasts)
            return ConsentState(self.registry, consent_id=cid)
        decided_at = EPOCH + timedelta(seconds=decided)
        expires_at = decided_at + (
            self._lifetime_delta if lasts == self._lifetime_seconds else timedelta(seconds=lasts)
        )
        granted = int.from_bytes(payload[offset : offset + width], "little")
        tables = self._tables
        categories = tables.answers.get(payload[_HEADER.size : offset])
        if categories is not None and width == self._width:
            # The usual layout (every purpose there is, in display order): a vendor is decided when
            # each of its code planes holds what its own purpose's position spells.
            mismatch = 0
            codes_end = offset + width * (plane_count - 1 if objecting else plane_count)
            differ = int.from_bytes(payload[offset + width : codes_end], "little") ^ tables.expected
            while differ:
                mismatch |= differ
                differ >>= width * 8
            decided_mask = tables.members & ~mismatch
        else:
            categories, decided_mask = self._read_table(
                payload, size, offset, width, plane_count - 1 if objecting else plane_count
            )
        objections, objected_purposes = 0, _NO_PURPOSES
        if objecting:
            end = len(payload)
            (purpose_bits,) = _PURPOSES.unpack_from(payload, end - width - _PURPOSES.size)
            objected_purposes = frozenset(p for p in PURPOSE_NUMBERS if purpose_bits >> (p - 1) & 1)
            objections = int.from_bytes(payload[end - width : end], "little") & self.registry.optional_mask
        return assemble(
            self.registry,
            cid,
            decided_at,
            expires_at,
            revision.hex(),
            method,
            policy,
            _SIGNALS[signals & _SIGNAL_MASK],
            categories,
            granted & decided_mask,
            decided_mask,
            objections=objections,
            objected_purposes=objected_purposes,
        )

    def _read_table(
        self, payload: bytes, size: int, offset: int, width: int, plane_count: int
    ) -> tuple[tuple[tuple[str, Decision], ...], int]:
        """The answers and the decided vendors of a table in any layout (purposes since added,
        removed or reordered): a vendor counts as decided only under the purpose it is in now."""
        code_planes = [
            int.from_bytes(payload[offset + width * p : offset + width * (p + 1)], "little")
            for p in range(1, plane_count)
        ]
        entries = _table_struct(size).unpack_from(payload, _HEADER.size)
        by_key = self._optional_by_key
        categories = []
        seen: set[str] = set()
        decided_mask = 0
        for code in range(1, size + 1):
            known = by_key.get(entries[2 * code - 2])
            if known is None or known[0] in seen:
                # A purpose the registry no longer has (or a forged repeat): its vendors read as unasked.
                continue
            category_id, members = known
            seen.add(category_id)
            categories.append((category_id, _DECISIONS[entries[2 * code - 1]]))
            for p, plane in enumerate(code_planes):
                members &= plane if code >> p & 1 else ~plane
            decided_mask |= members
        return tuple(categories), decided_mask
