"""Objections to legitimate interest (IAB TCF): which ones a site's visitors can make, and reading them
from a custom save.

Where an objection is stored: in the signed cookie's own objection plane beside the consents
(:attr:`ConsentState.objections` for vendors, :attr:`ConsentState.objected_purposes` for purposes),
so a visitor can consent to a vendor and still object to its legitimate interest. ``consent.tcf.derive``
clears the legitimate-interest bit of every objected vendor and purpose; a denial still counts as an
objection too (a visitor who refused a purpose, or pressed Reject all, is not signalled as accepting
its processing on legitimate interest). Objections come with a custom save (the second layer's "Save
choices"): each save replaces them; "Accept all" and "Reject all" clear them.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def read_objections(
    registry: Registry, object_purposes: Iterable[str], object_vendors: Iterable[str]
) -> tuple[list[str], list[int]]:
    """The vendor ids and purpose numbers a custom save objects to, from the form's ``object_vendor``
    and ``object_purpose`` values. Unknown or non-objectable ones raise
    :class:`~consent.errors.UnknownIdError`."""
    purposes = objectable_purposes(registry)
    numbers = []
    for raw in object_purposes:
        purpose = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else -1
        if purpose not in purposes:
            raise UnknownIdError("legitimate-interest purpose", raw)
        numbers.append(purpose)
    allowed = set(objectable_vendors(registry))
    vendors = list(object_vendors)
    for vendor_id in vendors:
        if vendor_id not in allowed:
            raise UnknownIdError("legitimate-interest vendor", vendor_id)
    return vendors, numbers
