"""Google's Additional Consent (AC) string, v2: Google ad partners that are not on IAB's vendor list.

Format ``2~<consented ids>~dv.<disclosed but not consented ids>``, ids dot-separated and ascending,
e.g. ``2~1.35.41~dv.9.21``. The ids are the registry vendors' ``google_atp_id``\\ s; every such vendor
is disclosed (it is listed in the second layer).
"""

from __future__ import annotations

from ..registry import Registry
from ..state import ConsentState, Decision

AC_VERSION = 2


def additional_consent(registry: Registry, state: ConsentState) -> str | None:
    """The AC string for this visitor; ``None`` when no vendor has a Google ATP id or none decided."""
    return ac_string_of(registry.derived(atp_vendors), state)


def ac_string_of(atp: tuple[tuple[int, str], ...], state: ConsentState) -> str | None:
    """:func:`additional_consent` with the registry's :func:`atp_vendors` at hand."""
    if not atp or not state.is_decided:
        return None
    consented: set[int] = set()
    refused: set[int] = set()
    for atp_id, vendor_id in atp:
        granted = state.vendor_decision(vendor_id) is Decision.GRANTED and state.allows(vendor_id)
        (consented if granted else refused).add(atp_id)
    refused -= consented
    return f"{AC_VERSION}~{'.'.join(map(str, sorted(consented)))}~dv.{'.'.join(map(str, sorted(refused)))}"


def atp_vendors(registry: Registry) -> tuple[tuple[int, str], ...]:
    """(Google ATP id, registry vendor id) of every vendor with one, worked out once per registry."""
    return tuple((v.google_atp_id, v.id) for v in registry.vendors if v.google_atp_id is not None)
