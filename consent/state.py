"""A visitor's consent: what they decided about each purpose and vendor, when, and how.

Decisions are kept in the same compact form the cookie carries: one bit-plane of grants indexed by
vendor number, plus a few "code" planes saying under which category each vendor was shown. A decision
therefore keeps its meaning when vendors are added, removed or reordered, and a vendor that moved to
another category reads as "not yet asked". Questions such as :meth:`ConsentState.allows` are O(1).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .registry import Registry, Vendor

#: How long a decision is honoured before the visitor is asked again.
DEFAULT_LIFETIME = timedelta(days=182)
#: The longest re-ask interval a site may configure (13 months, the CNIL's and others' guidance), in
#: average months of 30.44 days as a registry reads ``"13mo"``. The cookie stores whole days (395).
MAX_LIFETIME = timedelta(days=395, hours=16, minutes=30)


class Decision(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    UNASKED = "unasked"


class Method(StrEnum):
    """How a decision was given."""

    ACCEPT_ALL = "accept_all"
    REJECT_ALL = "reject_all"
    CUSTOM = "custom"
    WITHDRAW = "withdraw"
    SIGNAL = "signal"
    EMBED = "embed"  # a click-to-load placeholder granted one vendor
    OPT_OUT = "opt_out"  # "Do not sell or share" in an opt-out region
    ACKNOWLEDGE = "acknowledge"  # a notice (opt-out or notice-only region) was seen and dismissed


class Policy(StrEnum):
    """The legal regime a decision was taken under, strictest first."""

    OPT_IN = "opt-in"
    OPT_OUT = "opt-out"
    NOTICE = "notice"


_STRICTNESS = {Policy.OPT_IN: 0, Policy.OPT_OUT: 1, Policy.NOTICE: 2}


class Signal(StrEnum):
    GPC = "gpc"


def new_consent_id() -> str:
    """A random, meaningless identifier for one visitor's consent (never personal data)."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


@dataclass(frozen=True, slots=True)
class ConsentState:
    """One visitor's consent, read against a registry.

    Build one with :meth:`undecided`, :meth:`accept_all`, :meth:`reject_all`, :meth:`withdrawn` or
    :meth:`with_choices`; read one from a cookie with :class:`consent.codec.CookieCodec`.
    """

    registry: Registry
    consent_id: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    revision: str | None = None  # the first 8 hex digits of the registry revision decided against
    method: Method | None = None
    policy: Policy = Policy.OPT_IN
    signals: frozenset[Signal] = frozenset()
    # (category key, decision) in code order: a vendor whose code is i was shown under table[i - 1].
    table: tuple[tuple[int, Decision], ...] = ()
    granted_plane: bytes = b""
    code_planes: tuple[bytes, ...] = field(default=())
    # Not stored in the cookie, but set per request from the visitor's region (see ``in_region``):
    #: optional vendors that may run while the visitor has not decided about them (opt-out and
    #: notice-only regions, and per-region exemptions such as UK PECR first-party statistics).
    defaults: frozenset[str] = frozenset()
    #: the policy in force where the visitor is now (``None``: the one they decided under).
    current_policy: Policy | None = None
    #: vendors that must not run now whatever was stored (a Global Privacy Control signal overrides an
    #: earlier opt-in to sale or sharing that was given without it).
    suppressed: frozenset[str] = frozenset()

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def undecided(
        cls, registry: Registry, *, signals: Iterable[Signal] = (), policy: Policy = Policy.OPT_IN
    ) -> ConsentState:
        return cls(registry, signals=frozenset(signals), policy=policy)

    @classmethod
    def accept_all(cls, registry: Registry, **kwargs: object) -> ConsentState:
        return cls.undecided(registry).with_choices(
            {v.id: True for v in registry.optional_vendors()},
            {c.id: True for c in registry.categories if not c.required},
            method=Method.ACCEPT_ALL,
            **kwargs,  # type: ignore[arg-type]
        )

    @classmethod
    def reject_all(cls, registry: Registry, **kwargs: object) -> ConsentState:
        return cls.undecided(registry).with_choices(
            {v.id: False for v in registry.optional_vendors()},
            {c.id: False for c in registry.categories if not c.required},
            method=Method.REJECT_ALL,
            **kwargs,  # type: ignore[arg-type]
        )

    def withdrawn(self, **kwargs: object) -> ConsentState:
        """Every optional purpose and vendor denied, keeping the consent id."""
        return self.with_choices(
            {v.id: False for v in self.registry.optional_vendors()},
            {c.id: False for c in self.registry.categories if not c.required},
            method=Method.WITHDRAW,
            **kwargs,  # type: ignore[arg-type]
        )

    def with_choices(
        self,
        vendors: Mapping[str, bool],
        categories: Mapping[str, bool] | None = None,
        *,
        method: Method,
        now: datetime | None = None,
        lifetime: timedelta = DEFAULT_LIFETIME,
        signals: Iterable[Signal] | None = None,
        policy: Policy | None = None,
    ) -> ConsentState:
        """A new state: these decisions on top of the ones this state still holds.

        Vendors and categories not named keep their current decision (or stay unasked). Unknown ids
        raise ``KeyError``; required ones are ignored, since they are never a choice.
        """
        registry = self.registry
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise ValueError(f"consent lifetime must be within 13 months, got {lifetime}")
        vendor_choice: dict[str, bool] = {}
        for vendor in registry.optional_vendors():
            decision = self.vendor_decision(vendor.id)
            if decision is not Decision.UNASKED:
                vendor_choice[vendor.id] = decision is Decision.GRANTED
        for vendor_id, granted in vendors.items():
            if not registry.is_required(registry.vendor(vendor_id)):
                vendor_choice[vendor_id] = bool(granted)
        category_choice: dict[str, bool] = {}
        for category in registry.categories:
            if category.required:
                continue
            decision = self.category_decision(category.id)
            if decision is not Decision.UNASKED:
                category_choice[category.id] = decision is Decision.GRANTED
        for category_id, choice in (categories or {}).items():
            if not registry.category(category_id).required:
                category_choice[category_id] = bool(choice)

        optional = [c for c in registry.ordered_categories() if not c.required]
        table = tuple(
            (c.key, Decision.GRANTED if category_choice[c.id] else Decision.DENIED)
            if c.id in category_choice
            else (c.key, Decision.UNASKED)
            for c in optional
        )
        code_of = {c.id: i + 1 for i, c in enumerate(optional)}
        max_number = max((v.number for v in registry.vendors), default=0)
        size = (max_number + 7) // 8
        grants = bytearray(size)
        planes = [bytearray(size) for _ in range(len(table).bit_length())]
        for vendor_id, is_granted in vendor_choice.items():
            vendor = registry.vendor(vendor_id)
            index = vendor.number - 1
            if is_granted:
                grants[index >> 3] |= 1 << (index & 7)
            code = code_of[vendor.category]
            for p, plane in enumerate(planes):
                if code >> p & 1:
                    plane[index >> 3] |= 1 << (index & 7)
        when = (now or datetime.now(UTC)).replace(microsecond=0)
        return ConsentState(
            registry=registry,
            consent_id=self.consent_id or new_consent_id(),
            decided_at=when,
            expires_at=when + timedelta(days=lifetime.days or 1),
            revision=registry.revision[:8],
            method=method,
            policy=policy if policy is not None else self.policy,
            signals=frozenset(signals) if signals is not None else self.signals,
            table=table,
            granted_plane=bytes(grants),
            code_planes=tuple(bytes(p) for p in planes),
        )

    def in_region(
        self, policy: Policy, defaults: Iterable[str] = (), suppressed: Iterable[str] = ()
    ) -> ConsentState:
        """This state read where ``policy`` applies, with ``defaults`` running until the visitor decides.

        An undecided visitor is under the current policy; a decided one keeps the policy they decided
        under, and is asked again (:meth:`needs_prompt`) when the current one is stricter.
        """
        # Spelled out rather than dataclasses.replace: this runs on every request.
        return ConsentState(
            self.registry,
            self.consent_id,
            self.decided_at,
            self.expires_at,
            self.revision,
            self.method,
            self.policy if self.decided_at is not None else policy,
            self.signals,
            self.table,
            self.granted_plane,
            self.code_planes,
            defaults if isinstance(defaults, frozenset) else frozenset(defaults),
            policy,
            suppressed if isinstance(suppressed, frozenset) else frozenset(suppressed),
        )

    @property
    def choice_key(self) -> Hashable:
        """Everything :meth:`allows` depends on besides the registry: equal keys, equal answers."""
        return (
            self.decided_at is not None,
            self.table,
            self.granted_plane,
            self.code_planes,
            self.policy,
            self.signals,
            self.defaults,
            self.suppressed,
        )

    # -- questions -----------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The consent id (``consent_id``): what the visitor quotes, and what the ledger is keyed by."""
        return self.consent_id

    @property
    def is_decided(self) -> bool:
        """Whether the visitor has recorded any decision (that has not expired)."""
        return self.decided_at is not None

    def vendor_decision(self, vendor_id: str) -> Decision:
        identity = self.registry.identities.get(vendor_id)
        if identity is None:
            return Decision.DENIED  # never "allowed" for a vendor the visitor was not shown
        if identity.required:
            return Decision.GRANTED
        if self.decided_at is None:
            return Decision.UNASKED
        index = identity.number - 1
        byte, mask = index >> 3, 1 << (index & 7)
        code = 0
        bit = 1
        for plane in self.code_planes:  # inlined bit reads: this runs on every allows() of every page
            if byte < len(plane) and plane[byte] & mask:
                code |= bit
            bit <<= 1
        if code == 0 or code > len(self.table) or self.table[code - 1][0] != identity.category_key:
            return Decision.UNASKED
        granted = self.granted_plane
        return Decision.GRANTED if byte < len(granted) and granted[byte] & mask else Decision.DENIED

    def allows(self, vendor_id: str) -> bool:
        """Whether this vendor may run: required, explicitly granted under its current category, or
        not yet decided about where the visitor's region lets it run until they object."""
        if vendor_id in self.suppressed:
            return False
        decision = self.vendor_decision(vendor_id)
        return decision is Decision.GRANTED or (decision is Decision.UNASKED and vendor_id in self.defaults)

    def category_decision(self, category_id: str) -> Decision:
        category = self.registry.get_category(category_id)
        if category is None:
            return Decision.DENIED
        if category.required:
            return Decision.GRANTED
        key = category.key
        for entry_key, decision in self.table:
            if entry_key == key:
                return decision
        return Decision.UNASKED

    def allows_category(self, category_id: str) -> bool:
        """Whether a purpose is on: granted, or not asked yet where the visitor's region lets every
        vendor of it run meanwhile (so it agrees with what :meth:`allows` lets run)."""
        decision = self.category_decision(category_id)
        if decision is not Decision.UNASKED:
            return decision is Decision.GRANTED
        if not self.defaults:
            return False
        vendors = self.registry.vendors_in(category_id)
        return bool(vendors) and all(self.allows(v.id) for v in vendors)

    def granted_vendors(self) -> tuple[Vendor, ...]:
        """Every vendor that may run, required ones included, in registry order."""
        return tuple(v for v in self.registry.vendors if self.allows(v.id))

    def unasked_vendors(self) -> tuple[Vendor, ...]:
        """Optional vendors the visitor has not decided about (new, or moved to another purpose)."""
        return tuple(
            v for v in self.registry.optional_vendors() if self.vendor_decision(v.id) is Decision.UNASKED
        )

    def new_vendors(self) -> tuple[Vendor, ...]:
        """Vendors to highlight as new: unasked ones, once the visitor has decided about others.

        A click-to-load grant alone answers no purpose, so it makes nothing "new".
        """
        answered = any(d is not Decision.UNASKED for _, d in self.table)
        return self.unasked_vendors() if self.is_decided and answered else ()

    def needs_prompt(self, registry: Registry | None = None) -> bool:
        """Whether the banner must ask: no decision yet, or something consent-relevant is new."""
        registry = registry or self.registry
        if registry is not self.registry:
            return self.rebind(registry).needs_prompt()
        if self.decided_at is None:
            return True
        if self.stricter_policy_applies:
            return True
        if self.policy is not Policy.OPT_IN:
            return False  # outside opt-in regions a notice, once dismissed or answered, is enough
        if self.revision == registry.revision[:8] and all(d is not Decision.UNASKED for _, d in self.table):
            return False  # nothing consent-relevant changed and every purpose was answered
        if any(self.category_decision(c.id) is Decision.UNASKED for c in registry.categories):
            return True
        return bool(self.unasked_vendors())

    @property
    def stricter_policy_applies(self) -> bool:
        """Whether the visitor is now where a stricter policy applies than the one they decided under."""
        current = self.current_policy
        return current is not None and _STRICTNESS[current] < _STRICTNESS[self.policy]

    def rebind(self, registry: Registry) -> ConsentState:
        """The same stored decisions read against another registry."""
        return replace(self, registry=registry)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (what the status endpoint and the ``consent:change`` event carry)."""
        return {
            "decided": self.is_decided,
            "needs_prompt": self.needs_prompt(),
            "consent_id": self.consent_id,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "method": self.method.value if self.method else None,
            "policy": self.policy.value,
            "current_policy": (self.current_policy or self.policy).value,
            "signals": sorted(s.value for s in self.signals),
            "revision": self.registry.revision,
            "categories": {c.id: self.category_decision(c.id).value for c in self.registry.categories},
            "vendors": {v.id: self.vendor_decision(v.id).value for v in self.registry.vendors},
        }


__all__ = [
    "DEFAULT_LIFETIME",
    "MAX_LIFETIME",
    "ConsentState",
    "Decision",
    "Method",
    "Policy",
    "Signal",
    "new_consent_id",
]
