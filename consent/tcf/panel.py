"""What the second layer shows of the TCF: purposes, special purposes, features, special features and
stacks in the GVL's words, and the legitimate interests a visitor can object to.

A pure function of registry, GVL (already translated for the visitor's language) and state; the
template is ``widget/templates/consent/tcf_purposes.html``. Only what the registry's TCF vendors
declare is listed (a site shows the purposes its vendors use, not the whole policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import Registry, Vendor
from ..state import ConsentState, Decision
from .gvl import GVL, Purpose, Stack
from .objections import objectable_purposes, objectable_vendors


@dataclass(frozen=True, slots=True)
class ObjectablePurpose:
    purpose: Purpose
    objected: bool


@dataclass(frozen=True, slots=True)
class ObjectableVendor:
    vendor: Vendor
    purposes: tuple[Purpose, ...]  # the purposes it pursues on legitimate interest
    objected: bool
    legitimate_interest_url: str | None


@dataclass(frozen=True, slots=True)
class TcfPanel:
    purposes: tuple[Purpose, ...]
    special_purposes: tuple[Purpose, ...]
    features: tuple[Purpose, ...]
    special_features: tuple[Purpose, ...]
    stacks: tuple[Stack, ...]
    legitimate_interest_purposes: tuple[ObjectablePurpose, ...]
    legitimate_interest_vendors: tuple[ObjectableVendor, ...]
    vendor_list_version: int


def tcf_panel(registry: Registry, gvl: GVL, state: ConsentState) -> TcfPanel:
    """The TCF part of the second layer for this visitor."""
    consent: set[int] = set()
    li: set[int] = set()
    special: set[int] = set()
    features: set[int] = set()
    special_features: set[int] = set()
    for vendor in registry.vendors:
        if vendor.tcf is None:
            continue
        consent.update(vendor.tcf.purposes)
        li.update(vendor.tcf.legitimate_interest_purposes)
        special.update(vendor.tcf.special_purposes)
        features.update(vendor.tcf.features)
        special_features.update(vendor.tcf.special_features)
    used = consent | li

    def pick(table: dict[int, Purpose], ids: set[int]) -> tuple[Purpose, ...]:
        return tuple(table[i] for i in sorted(ids) if i in table)

    stacks = tuple(
        stack
        for stack in gvl.stacks.values()
        if stack.purposes and set(stack.purposes) <= used and set(stack.special_features) <= special_features
    )
    objectable = objectable_purposes(registry)
    li_purposes = tuple(
        ObjectablePurpose(
            gvl.purposes[p],
            # Objected to, or refused (a denied purpose is signalled as objected too).
            p in state.objected_purposes
            or any(state.category_decision(c) is Decision.DENIED for c in categories),
        )
        for p, categories in objectable.items()
        if p in gvl.purposes
    )
    li_vendors = []
    for vendor_id in objectable_vendors(registry):
        vendor = registry.vendor(vendor_id)
        assert vendor.tcf is not None
        gvl_vendor = gvl.vendors.get(vendor.tcf_id or 0)
        claim = None
        if gvl_vendor is not None:
            claim = next((u.leg_int_claim for u in gvl_vendor.urls if u.leg_int_claim), None)
        li_vendors.append(
            ObjectableVendor(
                vendor,
                pick(gvl.purposes, set(vendor.tcf.legitimate_interest_purposes)),
                bool(state.objections & registry.vendor_bits[vendor_id])
                or state.vendor_decision(vendor_id) is Decision.DENIED,
                claim,
            )
        )
    return TcfPanel(
        purposes=pick(gvl.purposes, used),
        special_purposes=pick(gvl.special_purposes, special),
        features=pick(gvl.features, features),
        special_features=pick(gvl.special_features, special_features),
        stacks=stacks,
        legitimate_interest_purposes=li_purposes,
        legitimate_interest_vendors=tuple(li_vendors),
        vendor_list_version=gvl.vendor_list_version,
    )
