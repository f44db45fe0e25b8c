"""What a visitor's action does to their consent: the domain rules, as pure functions.

Each transition takes the registry, the visitor's :class:`~consent.regions.Region`, their previous
state and what they asked for, and returns the new state as it applies where they are. Nothing here
knows about HTTP: the web layer parses a form into an :class:`Action` and its ids, and calls
:func:`apply`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypedDict, Unpack

from .errors import ConsentError, UnknownIdError
from .regions import Region
from .registry import Registry
from .state import DEFAULT_LIFETIME, ConsentState, Decision, Method, Policy, Signal


class Action(StrEnum):
    """What a visitor can do (the ``action`` a consent form posts)."""

    ACCEPT_ALL = "accept_all"
    REJECT_ALL = "reject_all"
    CUSTOM = "custom"  # a full save of the preferences: what is not ticked is declined
    WITHDRAW = "withdraw"
    GRANT = "grant"  # a click-to-load placeholder: this one vendor
    OPT_OUT = "opt_out"  # "Do not sell or share" in an opt-out region
    ACKNOWLEDGE = "acknowledge"  # a notice was seen and dismissed


METHODS = {
    Action.ACCEPT_ALL: Method.ACCEPT_ALL,
    Action.REJECT_ALL: Method.REJECT_ALL,
    Action.CUSTOM: Method.CUSTOM,
    Action.WITHDRAW: Method.WITHDRAW,
    Action.GRANT: Method.EMBED,
    Action.OPT_OUT: Method.OPT_OUT,
    Action.ACKNOWLEDGE: Method.ACKNOWLEDGE,
}


class DecisionContext(TypedDict):
    """When and where a decision is taken: what every transition stamps on the new state."""

    lifetime: timedelta
    policy: Policy
    signals: frozenset[Signal]
    now: datetime | None


class InvalidChoice(ConsentError, ValueError):
    """An action whose ids do not fit it (a grant must name exactly one vendor)."""


def apply(
    registry: Registry,
    region: Region,
    previous: ConsentState,
    action: Action,
    categories: Iterable[str] = (),
    vendors: Iterable[str] = (),
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
    object_vendors: Iterable[str] = (),
    object_purposes: Iterable[int] = (),
) -> ConsentState:
    """The state after ``action``, read where the visitor is.

    ``categories`` and ``vendors`` are the ticked optional ones (custom saves) or the one vendor a
    placeholder grants. Unknown or required ids raise :class:`~consent.errors.UnknownIdError`.
    ``object_vendors`` and ``object_purposes`` are a custom save's objections to legitimate interest
    (IAB TCF vendors and purpose numbers, see :mod:`consent.tcf.objections`): they replace the ones
    stored. Accept all and Reject all clear them (they mean what they say); other actions keep them.
    """
    object_vendors, object_purposes = list(object_vendors), list(object_purposes)
    if (object_vendors or object_purposes) and action is not Action.CUSTOM:
        raise InvalidChoice("objections to legitimate interest come with a custom save only")
    _optional_vendors(registry, object_vendors)
    ticked_categories = _optional_categories(registry, categories)
    ticked_vendors = _optional_vendors(registry, vendors)
    method = METHODS[action]
    context = DecisionContext(lifetime=lifetime, policy=region.policy, signals=region.signals, now=now)
    if action is Action.ACCEPT_ALL:
        state = _keep_id(ConsentState.accept_all(registry, **context), previous)
    elif action is Action.REJECT_ALL:
        state = _keep_id(ConsentState.reject_all(registry, **context), previous)
    elif action is Action.WITHDRAW:
        state = previous.withdrawn(**context)
    elif action is Action.GRANT:
        if len(ticked_vendors) != 1 or ticked_categories:
            raise InvalidChoice("a click-to-load grant names exactly one vendor")
        state = previous.with_choices({ticked_vendors[0]: True}, method=method, **context)
    elif action is Action.OPT_OUT:  # one step: everything that sells or shares data stops
        sellers = dict.fromkeys((v.id for v in registry.vendors_in_mask(registry.sale_share_mask)), False)
        state = previous.with_choices(sellers, method=method, **context)
    elif action is Action.ACKNOWLEDGE:
        state = previous.with_choices({}, method=method, **context)
    else:
        state = custom_save(
            registry,
            previous,
            ticked_categories,
            ticked_vendors,
            objections=(object_vendors, object_purposes),
            **context,
        )
    return region.read(keep_gpc_opt_out(registry, region, state, method, **context))


def custom_save(
    registry: Registry,
    previous: ConsentState,
    categories: list[str],
    vendors: list[str],
    objections: tuple[Iterable[str], Iterable[int]] = ((), ()),
    **context: Unpack[DecisionContext],
) -> ConsentState:
    """A full save of the preferences: everything shown and not ticked is declined.

    The form works without JavaScript, where ticking a purpose does not tick its vendors: a ticked
    purpose whose vendor boxes were all left alone grants all of them; as soon as any of its vendors is
    ticked, the vendor boxes decide (so unticking one vendor is never overridden by its purpose). A
    purpose is on when all of its vendors are. ``objections`` (vendor ids, IAB purpose numbers) are the
    visitor's objections to legitimate interest, stored as they are posted.
    """
    granted = custom_grants(registry, categories, vendors)
    on = {
        c.id: bool(registry.vendors_in(c.id)) and all(v.id in granted for v in registry.vendors_in(c.id))
        for c in registry.optional_categories
    }
    return previous.with_choices(
        {v: v in granted for v in registry.vendor_ids_optional},
        {c: c in categories and on[c] for c in on},
        method=Method.CUSTOM,
        objections=objections[0],
        objected_purposes=objections[1],
        **context,
    )


def custom_grants(registry: Registry, categories: Iterable[str], vendors: Iterable[str]) -> set[str]:
    """The vendors a custom save grants (see :func:`custom_save`)."""
    ticked = set(vendors)
    granted = set(ticked)
    for category in categories:
        members = {v.id for v in registry.vendors_in(category) if not registry.is_required(v)}
        if not members & ticked:
            granted |= members
    return granted


def keep_gpc_opt_out(
    registry: Registry,
    region: Region,
    state: ConsentState,
    method: Method,
    **context: Unpack[DecisionContext],
) -> ConsentState:
    """A decision taken with Global Privacy Control, outside opt-in regions, keeps its opt-out.

    The signal is an opt-out of sale and sharing: unless the visitor opted in to a vendor explicitly,
    the stored decision says "no" to it, so the opt-out holds on a later visit without the signal.
    """
    if not region.gpc or region.policy is Policy.OPT_IN:
        return state
    unasked = {
        v.id: False
        for v in registry.vendors_in_mask(registry.sale_share_mask)
        if state.vendor_decision(v.id) is Decision.UNASKED
    }
    if not unasked:
        return state
    return state.with_choices(unasked, method=method, **context)


def _keep_id(state: ConsentState, previous: ConsentState) -> ConsentState:
    return replace(state, consent_id=previous.consent_id) if previous.consent_id else state


def _optional_categories(registry: Registry, ids: Iterable[str]) -> list[str]:
    out = list(ids)
    optional = {c.id for c in registry.optional_categories}
    for category_id in out:
        if category_id not in optional:
            raise UnknownIdError("category", category_id)
    return out


def _optional_vendors(registry: Registry, ids: Iterable[str]) -> list[str]:
    out = list(ids)
    bits = registry.vendor_bits
    for vendor_id in out:
        bit = bits.get(vendor_id)
        if bit is None or bit & registry.required_mask:
            raise UnknownIdError("vendor", vendor_id)
    return out
