"""The GPP string for one visitor, derived from the signed consent store on each request.

Nothing is stored twice: the string is a pure function of the registry, the visitor's stored
:class:`~consent.state.ConsentState`, where they are (an ISO 3166-2 code such as ``"US-CA"``), the
request's Global Privacy Control signal and, where the TCF applies, the TC string derived the same way.

Which sections, and which apply (``gpp_sid``)
    A US visitor gets one US section, and it is the applicable one. With the default "state" approach a
    visitor from California, Virginia, Colorado or Connecticut gets that state's section (``usca`` 8,
    ``usva`` 9, ``usco`` 10, ``usct`` 12) and a visitor from any other state, or from the US with no state
    known, gets the national section ``usnat`` (7), which IAB offers for every state. With the
    "national" approach every US visitor gets ``usnat``. IAB's implementation guidelines ask for the one
    section that is in force, not a list of everything supported. A TC string, when given, is carried as
    section 2 (``tcfeuv2``) and is the applicable section outside the US (pass one only where the TCF
    applies). When nothing applies, ``gpp_sid`` is ``[-1]`` (CMP API, ``applicableSections``).

How the fields are derived (one omnibus choice, because the registry has one flag, ``sale_share``)
    A *seller* is an optional vendor with ``sale_share = true``. The visitor is **opted out** when no seller may
    run for them now, read exactly as the gate reads it: their stored decisions, their region's policy,
    and in opt-out and notice-only regions the GPC signal, which opts out of sale and sharing (an opt-in
    the visitor gave while sending GPC stands; see ``consent.regions``).

    ======================================  ===================================================
    field                                   value
    ======================================  ===================================================
    SaleOptOutNotice, SharingOptOutNotice,  1 (provided: the banner shows the opt-out notice)
    TargetedAdvertisingOptOutNotice,        when the registry has a seller, else 0 (not
    SharingNotice                           applicable: nothing is sold or shared)
    SaleOptOut, SharingOptOut,              1 opted out / 2 did not opt out when there is a
    TargetedAdvertisingOptOut               seller, else 0 (not applicable)
    SensitiveDataProcessingOptOutNotice,    0 (not applicable): the registry records no
    SensitiveDataLimitUseNotice,            processing of sensitive data, of known children's
    SensitiveDataProcessing (every entry),  data, or for secondary uses that would need consent
    KnownChildSensitiveDataConsents,
    PersonalDataConsents
    MspaCoveredTransaction                  2 (no), unless the site declares itself an MSPA
                                            signatory: ``mspa="opt_out_option"`` or
                                            ``mspa="service_provider"`` make it 1 (yes)
    MspaOptOutOptionMode,                   0, 0 when not covered; 1, 2 in opt-out option
    MspaServiceProviderMode                 mode; 2, 1 in service provider mode
    Gpc (GPC subsection: usnat, usca,       the request's GPC signal; the subsection is always
    usco, usct)                             written where the section has one
    ======================================  ===================================================

    Where the site asks for consent first (an opt-in region), sellers run only once granted, so an
    undecided visitor there reads as opted out (1): nothing is sold for them.

The usnat section is written in version 2 of its specification.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ..regions import resolve_region
from ..registry import Registry
from ..state import ConsentState
from .encoding import encode_header
from .sections import LAYOUTS, Section, TcfEuV2Section, UsSection

Approach = Literal["state", "national"]
MspaMode = Literal["none", "opt_out_option", "service_provider"]

#: US states with their own section that this package writes (the states AdMob reads, among others).
STATE_SECTIONS = {"US-CA": "usca", "US-VA": "usva", "US-CO": "usco", "US-CT": "usct"}
_MSPA_FIELDS: dict[str, dict[str, int]] = {
    "none": {"MspaCoveredTransaction": 2, "MspaOptOutOptionMode": 0, "MspaServiceProviderMode": 0},
    "opt_out_option": {"MspaCoveredTransaction": 1, "MspaOptOutOptionMode": 1, "MspaServiceProviderMode": 2},
    "service_provider": {
        "MspaCoveredTransaction": 1,
        "MspaOptOutOptionMode": 2,
        "MspaServiceProviderMode": 1,
    },
}
_NOTICES = ("SharingNotice", "SaleOptOutNotice", "SharingOptOutNotice", "TargetedAdvertisingOptOutNotice")
_OPT_OUTS = ("SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut")
NO_APPLICABLE_SECTION = -1


@dataclass(frozen=True, slots=True)
class GppSignal:
    """What ad tech reads: the GPP string, the ids of the sections in force, and the sections."""

    gpp: str
    sids: tuple[int, ...]
    sections: tuple[Section, ...]


def us_section_for(region_code: str | None, approach: Approach = "state") -> str | None:
    """The US section a visitor from ``region_code`` gets, or ``None`` outside the US."""
    code = (region_code or "").strip().upper()
    if code.split("-")[0] != "US":
        return None
    if approach == "state" and code in STATE_SECTIONS:
        return STATE_SECTIONS[code]
    return "usnat"


def opted_out_of_sale(
    registry: Registry, state: ConsentState, region_code: str | None, gpc: bool
) -> bool | None:
    """Whether no seller may run for this visitor now; ``None`` when the registry has no seller.

    Read the way the gate reads it: the region's defaults, and GPC where it stops sellers.
    """
    sellers = registry.sale_share_mask
    if not sellers:
        return None
    stored = state if state.registry is registry else state.rebind(registry)
    return not resolve_region(registry, region_code, gpc).read(stored).allowed & sellers


@lru_cache(maxsize=128)
def us_section(name: str, opted_out: bool | None, gpc: bool, mspa: MspaMode = "none") -> UsSection:
    """One US section with the field values documented in this module."""
    layout = LAYOUTS[name]
    present = {spec.name for spec in layout.fields(layout.current)}
    values: dict[str, object] = dict(_MSPA_FIELDS[mspa])
    if opted_out is not None:
        values.update({f: 1 for f in _NOTICES if f in present})
        values.update({f: 1 if opted_out else 2 for f in _OPT_OUTS if f in present})
    return UsSection.build(name, values, gpc=gpc if layout.gpc else None)


@lru_cache(maxsize=128)
def _us_text(name: str, opted_out: bool | None, gpc: bool, mspa: MspaMode) -> str:
    return us_section(name, opted_out, gpc, mspa).encode()


def derive_gpp(
    registry: Registry,
    state: ConsentState,
    region_code: str | None,
    gpc: bool,
    tc_string: str | None = None,
    *,
    approach: Approach = "state",
    mspa: MspaMode = "none",
) -> GppSignal:
    """The visitor's GPP string and applicable section ids (see the module docstring for the mapping)."""
    name = us_section_for(region_code, approach)
    if name is None:  # outside the US: the TC string alone, or no section at all
        if not tc_string:
            return _NO_SECTION
        return GppSignal(f"{_TCF_HEADER}~{tc_string}", (TcfEuV2Section.id,), (TcfEuV2Section(tc_string),))
    # In the US: the state's or the national section, the one in force (after a TC string, if given).
    parts: list[tuple[Section, str]] = []
    if tc_string:
        tcf = TcfEuV2Section(tc_string)
        parts.append((tcf, tcf.text))
    key = (name, opted_out_of_sale(registry, state, region_code, gpc), gpc, mspa)
    section = us_section(*key)
    parts.append((section, _us_text(*key)))
    gpp = "~".join([encode_header(tuple(s.id for s, _ in parts)), *(text for _, text in parts)])
    return GppSignal(gpp, (section.id,), tuple(s for s, _ in parts))


_TCF_HEADER = encode_header((TcfEuV2Section.id,))
_NO_SECTION = GppSignal(encode_header(()), (NO_APPLICABLE_SECTION,), ())


def gpp_url_params(gpp_string: str, sids: tuple[int, ...] | list[int]) -> dict[str, str]:
    """The ``gpp`` and ``gpp_sid`` URL macros for server-side ad calls, pixels and embeds
    (``gpp_sid`` is the applicable ids joined by commas, ``-1`` when none applies)."""
    return {"gpp": gpp_string, "gpp_sid": ",".join(str(s) for s in sids) or str(NO_APPLICABLE_SECTION)}
