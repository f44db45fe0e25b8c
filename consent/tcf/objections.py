"""Objections to legitimate interest, as a pure transition over a custom save's ticked ids.

Where an objection is stored: **as a denial**, in the signed cookie's existing vendor and category
planes (no second store, no new cookie format). ``consent.tcf.derive`` already reads a denial as an
objection, so the TC string's legitimate-interest bits follow:

- objecting to a **vendor**'s legitimate interest denies that registry vendor: its GVL id loses its
  legitimate-interest bit (and its consent bit: one decision per vendor is stored);
- objecting to a **purpose**'s legitimate interest denies every optional category whose TCF vendors
  rely on legitimate interest for that purpose: the purpose loses its legitimate-interest bit, and
  those categories their consent.

This is coarser than the TCF's separate consent and objection planes (a visitor cannot consent to a
vendor while objecting to its legitimate interest); it never signals more than the visitor allowed.
And since the store records a category as granted only when all its vendors are, declining one vendor
of a category also withdraws the purposes that category stands for (``consent.tcf.derive``): one
vendor objection takes the category's purpose consents and legitimate interests with it.
Objections count for a custom save (the second layer's "Save choices") only: "Accept all" and
"Reject all" mean what they say.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..decisions import custom_grants
from ..errors import UnknownIdError
from ..registry import Registry
from .derive import tcf_table


def objectable_purposes(registry: Registry) -> dict[int, tuple[str, ...]]:
    """Each purpose some optional category's TCF vendors rely on legitimate interest for, and those
    categories."""
    found: dict[int, list[str]] = {}
    for category_id, _consent, _features, li_purposes in tcf_table(registry).category_purposes:
        for purpose in li_purposes:
            found.setdefault(purpose, []).append(category_id)
    return {purpose: tuple(found[purpose]) for purpose in sorted(found)}


def objectable_vendors(registry: Registry) -> tuple[str, ...]:
    """The optional registry vendors whose GVL declarations include legitimate interest."""
    table = tcf_table(registry)
    li_ids = {slug for slug, bit in table.vendor_bits if bit & table.legitimate_interest_mask}
    return tuple(v.id for v in registry.vendors if v.id in li_ids)


def apply_objections(
    registry: Registry,
    categories: Iterable[str],
    vendors: Iterable[str],
    object_purposes: Iterable[str],
    object_vendors: Iterable[str],
) -> tuple[list[str], list[str]]:
    """The categories and vendors a custom save ticks once the objections are applied (as denials).

    Unknown or non-objectable purposes and vendors raise :class:`~consent.errors.UnknownIdError`.
    """
    categories, vendors = list(categories), list(vendors)
    purposes = objectable_purposes(registry)
    denied_categories: set[str] = set()
    for raw in object_purposes:
        purpose = int(raw) if raw.isdigit() else -1
        if purpose not in purposes:
            raise UnknownIdError("legitimate-interest purpose", raw)
        denied_categories.update(purposes[purpose])
    allowed_vendors = set(objectable_vendors(registry))
    denied_vendors = set(object_vendors)
    for vendor_id in denied_vendors:
        if vendor_id not in allowed_vendors:
            raise UnknownIdError("legitimate-interest vendor", vendor_id)
    if not denied_categories and not denied_vendors:
        return categories, vendors
    for category_id in denied_categories:
        denied_vendors.update(v.id for v in registry.vendors_in(category_id))
    # Spell the grants out vendor by vendor, so a ticked category cannot grant an objected member.
    granted = custom_grants(registry, categories, vendors)  # unknown ids fail later, in apply()
    granted -= denied_vendors
    kept = [
        c
        for c in categories
        if c not in denied_categories and any(v.id in granted for v in registry.vendors_in(c))
    ]
    unknown = [v for v in vendors if v not in registry.vendor_bits]  # still refused by apply()
    return kept, [v.id for v in registry.vendors if v.id in granted] + unknown
