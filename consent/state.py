"""A visitor's consent: what they decided about each purpose and vendor, when, and how.

Vendor decisions are sets of vendors, held as bit masks over vendor numbers (a vendor's stable
identity), so a decision keeps its meaning when vendors are added, removed or reordered, and questions
such as :meth:`ConsentState.allows` are O(1). What a visitor's action does to a state (accept all, a
custom save, GPC...) is decided in :mod:`consent.decisions`; how a state is packed into the cookie, in
:mod:`consent.codec`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from .errors import ConfigurationError, UnknownIdError
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

    Build one with :meth:`undecided`, or with the transitions in :mod:`consent.decisions`; read one
    from a cookie with :class:`consent.codec.CookieCodec`. Vendor decisions are sets of vendors held as
    bit masks (see :attr:`Registry.vendor_bits`): a decision counts only while the vendor is still in
    the purpose it was decided under, so one that moved reads as "not yet asked". How they are packed
    into the cookie is the codec's business alone.
    """

    registry: Registry
    consent_id: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    revision: str | None = None  # the first 8 hex digits of the registry revision decided against
    method: Method | None = None
    policy: Policy = Policy.OPT_IN
    signals: frozenset[Signal] = frozenset()
    #: The answer about each optional purpose the visitor was shown, by category id, in display order.
    categories: tuple[tuple[str, Decision], ...] = ()
    #: Vendors granted, under the purpose they are in now.
    granted: int = 0
    #: Vendors decided about (granted or denied), under the purpose they are in now.
    decided: int = 0
    # Not stored in the cookie, but set per request from the visitor's region (see ``in_region``):
    #: optional vendors that may run while the visitor has not decided about them (opt-out and
    #: notice-only regions, and per-region exemptions such as UK PECR first-party statistics).
    defaults: int = 0
    #: the policy in force where the visitor is now (``None``: the one they decided under).
    current_policy: Policy | None = None
    #: vendors that must not run now whatever was stored (a Global Privacy Control signal overrides an
    #: earlier opt-in to sale or sharing that was given without it).
    suppressed: int = 0
    #: Vendors whose legitimate interest the visitor objected to (IAB TCF), whatever they consented to.
    objections: int = 0
    #: IAB TCF purposes (1-24) whose legitimate interest the visitor objected to.
    objected_purposes: frozenset[int] = frozenset()
    # What :attr:`allowed` works out, kept after its first use (every page asks it many times).
    _allowed: int = field(default=-1, init=False, repr=False, compare=False)

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def undecided(
        cls, registry: Registry, *, signals: Iterable[Signal] = (), policy: Policy = Policy.OPT_IN
    ) -> ConsentState:
        return cls(registry, signals=frozenset(signals), policy=policy)

    @classmethod
    def accept_all(cls, registry: Registry, **kwargs: Any) -> ConsentState:
        """Every optional purpose and vendor granted."""
        return cls.undecided(registry).with_choices(
            dict.fromkeys(registry.vendor_ids_optional, True),
            {c.id: True for c in registry.optional_categories},
            method=Method.ACCEPT_ALL,
            **kwargs,
        )

    @classmethod
    def reject_all(cls, registry: Registry, **kwargs: Any) -> ConsentState:
        """Every optional purpose and vendor denied."""
        return cls.undecided(registry).with_choices(
            dict.fromkeys(registry.vendor_ids_optional, False),
            {c.id: False for c in registry.optional_categories},
            method=Method.REJECT_ALL,
            **kwargs,
        )

    def withdrawn(self, **kwargs: Any) -> ConsentState:
        """Every optional purpose and vendor denied, keeping the consent id."""
        registry = self.registry
        return self.with_choices(
            dict.fromkeys(registry.vendor_ids_optional, False),
            {c.id: False for c in registry.optional_categories},
            method=Method.WITHDRAW,
            **kwargs,
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
        objections: Iterable[str] | None = None,
        objected_purposes: Iterable[int] | None = None,
    ) -> ConsentState:
        """A new decided state: these decisions on top of the ones this state still holds.

        Vendors and categories not named keep their current decision (or stay unasked). Unknown ids
        raise :class:`~consent.errors.UnknownIdError`; required ones are ignored, never a choice.
        ``objections`` and ``objected_purposes`` (legitimate-interest objections, vendor ids and IAB
        purpose numbers) replace the ones held when given, and are kept otherwise.
        """
        registry = self.registry
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise ConfigurationError(f"consent lifetime must be within 13 months, got {lifetime}")
        bits = registry.vendor_bits
        granted, decided = self.granted, self.decided
        for vendor_id, is_granted in vendors.items():
            bit = bits.get(vendor_id)
            if bit is None:
                raise UnknownIdError("vendor", vendor_id)
            if bit & registry.required_mask:
                continue
            decided |= bit
            granted = granted | bit if is_granted else granted & ~bit
        answers = {c: d for c, d in self.categories if d is not Decision.UNASKED}
        for category_id, choice in (categories or {}).items():
            category = registry.get_category(category_id)
            if category is None:
                raise UnknownIdError("category", category_id)
            if not category.required:
                answers[category_id] = Decision.GRANTED if choice else Decision.DENIED
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
            categories=tuple(
                (c.id, answers.get(c.id, Decision.UNASKED)) for c in registry.optional_categories
            ),
            granted=granted & decided,
            decided=decided,
            objections=self.objections if objections is None else registry.mask_of(objections),
            objected_purposes=(
                self.objected_purposes if objected_purposes is None else _purposes(objected_purposes)
            ),
        )

    def in_region(
        self,
        policy: Policy,
        defaults: int | Iterable[str] = 0,
        suppressed: int | Iterable[str] = 0,
    ) -> ConsentState:
        """This state read where ``policy`` applies, with ``defaults`` running until the visitor decides.

        ``defaults`` and ``suppressed`` are vendor masks (or vendor ids). An undecided visitor is under
        the current policy; a decided one keeps the policy they decided under, and is asked again
        (:meth:`needs_prompt`) when the current one is stricter.
        """
        registry = self.registry
        # Spelled out rather than dataclasses.replace: this runs on every request.
        return assemble(
            registry,
            self.consent_id,
            self.decided_at,
            self.expires_at,
            self.revision,
            self.method,
            self.policy if self.decided_at is not None else policy,
            self.signals,
            self.categories,
            self.granted,
            self.decided,
            defaults if isinstance(defaults, int) else registry.mask_of(defaults),
            policy,
            suppressed if isinstance(suppressed, int) else registry.mask_of(suppressed),
            self.objections,
            self.objected_purposes,
        )

    def rebind(self, registry: Registry) -> ConsentState:
        """The same stored decisions read against another registry (an edited one).

        A decision carries over to a vendor of the same id and number still in the same purpose;
        anything else reads as "not yet asked".
        """
        old = self.registry
        decided = 0
        for vendor in old.vendors_in_mask(self.decided):
            now = registry.get_vendor(vendor.id)
            if now is not None and now.number == vendor.number and now.category == vendor.category:
                decided |= registry.vendor_bits[vendor.id]
        optional = {c.id for c in registry.optional_categories}
        return replace(
            self,
            registry=registry,
            categories=tuple((c, d) for c, d in self.categories if c in optional),
            granted=self.granted & decided,
            decided=decided,
            defaults=0,
            suppressed=0,
            current_policy=None,
            # An objection is about a vendor, not a purpose: it holds while the vendor keeps its number.
            objections=sum(
                registry.vendor_bits[v.id]
                for v in old.vendors_in_mask(self.objections)
                if (kept := registry.get_vendor(v.id)) is not None and kept.number == v.number
            ),
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

    @property
    def allowed(self) -> int:
        """The mask of every vendor that may run now: required, granted, or running by default."""
        allowed = self._allowed
        if allowed < 0:
            registry = self.registry
            if self.decided_at is None:
                allowed = (registry.required_mask | self.defaults) & ~self.suppressed
            else:
                free = self.defaults & ~self.decided
                allowed = (registry.required_mask | self.granted | free) & ~self.suppressed
            object.__setattr__(self, "_allowed", allowed)
        return allowed

    def vendor_decision(self, vendor_id: str) -> Decision:
        registry = self.registry
        bit = registry.vendor_bits.get(vendor_id)
        if bit is None:
            return Decision.DENIED  # never "allowed" for a vendor the visitor was not shown
        if bit & registry.required_mask:
            return Decision.GRANTED
        if not bit & self.decided:
            return Decision.UNASKED
        return Decision.GRANTED if bit & self.granted else Decision.DENIED

    def allows(self, vendor_id: str) -> bool:
        """Whether this vendor may run: required, explicitly granted under its current category, or
        not yet decided about where the visitor's region lets it run until they object."""
        bit = self.registry.vendor_bits.get(vendor_id)
        if bit is None:
            return False
        allowed = self._allowed
        return bool(bit & (allowed if allowed >= 0 else self.allowed))

    def category_decision(self, category_id: str) -> Decision:
        category = self.registry.get_category(category_id)
        if category is None:
            return Decision.DENIED
        if category.required:
            return Decision.GRANTED
        for entry, decision in self.categories:
            if entry == category_id:
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
        members = self.registry.category_masks.get(category_id, 0)
        return bool(members) and members & self.allowed == members

    def granted_vendors(self) -> tuple[Vendor, ...]:
        """Every vendor that may run now, required ones included, in registry order."""
        return self.registry.vendors_in_mask(self.allowed)

    def unasked_vendors(self) -> tuple[Vendor, ...]:
        """Optional vendors the visitor has not decided about (new, or moved to another purpose)."""
        return self.registry.vendors_in_mask(self.registry.optional_mask & ~self.decided)

    def new_vendors(self) -> tuple[Vendor, ...]:
        """Vendors to highlight as new: unasked ones, once the visitor has decided about others.

        A click-to-load grant alone answers no purpose, so it makes nothing "new".
        """
        answered = any(d is not Decision.UNASKED for _, d in self.categories)
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
        answered = {c for c, d in self.categories if d is not Decision.UNASKED}
        unanswered = any(c.id not in answered for c in registry.optional_categories)
        if self.revision == registry.revision[:8] and not unanswered:
            return False  # nothing consent-relevant changed since, and every purpose was answered
        return unanswered or bool(registry.optional_mask & ~self.decided)

    @property
    def stricter_policy_applies(self) -> bool:
        """Whether the visitor is now where a stricter policy applies than the one they decided under."""
        current = self.current_policy
        return current is not None and _STRICTNESS[current] < _STRICTNESS[self.policy]

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


#: The IAB TCF's purpose numbers (the TC string has 24 bits for them).
PURPOSE_NUMBERS = range(1, 25)


def _purposes(numbers: Iterable[int]) -> frozenset[int]:
    found = frozenset(numbers)
    for number in found:
        if number not in PURPOSE_NUMBERS:
            raise UnknownIdError("purpose", str(number))
    return found


# A frozen dataclass sets each field through ``object.__setattr__``, which is most of what building a
# state costs; every request builds one or two, so the reading path sets the slots directly instead.
_new_state = object.__new__
(
    _set_registry,
    _set_consent_id,
    _set_decided_at,
    _set_expires_at,
    _set_revision,
    _set_method,
    _set_policy,
    _set_signals,
    _set_categories,
    _set_granted,
    _set_decided,
    _set_defaults,
    _set_current_policy,
    _set_suppressed,
    _set_objections,
    _set_objected_purposes,
    _set_allowed,
) = (getattr(ConsentState, name).__set__ for name in ConsentState.__slots__)


def assemble(
    registry: Registry,
    consent_id: str | None,
    decided_at: datetime | None,
    expires_at: datetime | None,
    revision: str | None,
    method: Method | None,
    policy: Policy,
    signals: frozenset[Signal],
    categories: tuple[tuple[str, Decision], ...],
    granted: int,
    decided: int,
    defaults: int = 0,
    current_policy: Policy | None = None,
    suppressed: int = 0,
    objections: int = 0,
    objected_purposes: frozenset[int] = frozenset(),
) -> ConsentState:
    """``ConsentState(...)`` with every field given, at a third of the cost (for the codec and
    :meth:`ConsentState.in_region`, which run on every request; no checks beyond the types)."""
    state: ConsentState = _new_state(ConsentState)
    _set_registry(state, registry)
    _set_consent_id(state, consent_id)
    _set_decided_at(state, decided_at)
    _set_expires_at(state, expires_at)
    _set_revision(state, revision)
    _set_method(state, method)
    _set_policy(state, policy)
    _set_signals(state, signals)
    _set_categories(state, categories)
    _set_granted(state, granted)
    _set_decided(state, decided)
    _set_defaults(state, defaults)
    _set_current_policy(state, current_policy)
    _set_suppressed(state, suppressed)
    _set_objections(state, objections)
    _set_objected_purposes(state, objected_purposes)
    _set_allowed(state, -1)
    return state


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
