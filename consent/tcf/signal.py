"""What the TCF tells ad tech about one visitor, per request: the TC string, the AC string, TCData and
the ``ping`` answer, joined from per-registry pieces.

Everything is derived afresh from the stored state on every request (``consent.tcf.derive`` says how a
decision becomes a TCF signal). What does not depend on the visitor is prepared once per registry in a
:class:`SignalTable`: TCData's constant members, its vendor maps as per-byte tables, and, for each
combination of category decisions met (a handful per site), the purpose bits of the TC string, the
Publisher TC segment and the TCData text around the vendor maps. A request then reads the visitor's
masks, renumbers them to GVL ids, spells out the two vendor sections and the two vendor maps, and joins.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Final, NamedTuple

from ..registry import Registry
from ..state import ConsentState
from .additional_consent import ac_string_of, atp_vendors
from .bits import encode_segment
from .derive import (
    PURPOSES_UNDECIDED,
    CmpSettings,
    PurposeSignals,
    TcfTable,
    decision_bits,
    tcf_table,
    vendor_masks,
)
from .gather import ByteFragments
from .model import PublisherTC
from .tcstring import (
    NO_RESTRICTIONS,
    cmp_bits,
    core_bits,
    dates_bits,
    publisher_tc_segment,
    purpose_bits,
)

API_VERSION: Final = "2.3"
#: Purposes and special features the TCF v2.3 policy defines (the keys TCData always lists).
PURPOSE_COUNT: Final = 11
SPECIAL_FEATURE_COUNT: Final = 2
_COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"))  # made once: json.dumps builds one per call


@dataclass(frozen=True, slots=True)
class TcfSignal:
    """What the TCF tells ad tech about one visitor."""

    tc_string: str | None  # None: undecided, or the GDPR does not apply
    ac_string: str | None
    #: The TCData object (:func:`consent.tcf.cmpapi.build_tcdata`) as compact JSON, without ``listenerId``.
    tcdata_json: str
    #: The ``ping`` answer (PingReturn) as compact JSON.
    ping_json: str


@dataclass(frozen=True, slots=True)
class DecisionPieces:
    """The parts of the TC string and TCData that follow from a visitor's category decisions alone."""

    purpose_bits: str  # the core's SpecialFeatureOptIns ... PublisherCC
    publisher_segment: str  # "" or "." and the Publisher TC segment
    #: TCData from ``isServiceSpecific``'s successor up to the opening of ``vendor.consents``.
    before_consents: str
    #: TCData from the end of ``vendor.legitimateInterests`` to the end of ``publisher``.
    after_legitimate: str


@dataclass(frozen=True, slots=True)
class SignalTable:
    """What every visitor of one registry shares, built once per registry (:meth:`Registry.derived`)."""

    tcf: TcfTable
    atp: tuple[tuple[int, str], ...]  # Google Additional Consent: (ATP id, registry vendor id)
    #: A GVL index mask as the members of TCData's vendor maps: ``"10":true,"13":false,...`` over every
    #: disclosed vendor.
    vendor_members: ByteFragments
    undecided: DecisionPieces
    #: :class:`DecisionPieces` by (granted, denied) bits over ``tcf.decision_categories`` and the purposes
    #: objected to.
    pieces: Callable[[int, int, frozenset[int]], DecisionPieces]

    @classmethod
    def build(cls, registry: Registry) -> SignalTable:
        tcf = tcf_table(registry)
        ids = list(tcf.disclosed)  # GVL index i stands for ids[i]
        members = ByteFragments(range(len(ids)), lambda i, on: f'"{ids[i]}":{"true" if on else "false"}')
        build = partial(_pieces, tcf, "{" + members((1 << len(ids)) - 1) + "}")
        return cls(
            tcf,
            registry.derived(atp_vendors),
            members,
            build(PURPOSES_UNDECIDED),
            lru_cache(maxsize=256)(
                lambda granted, denied, objected: build(tcf.purpose_signals(granted, denied, objected))
            ),
        )


def _pieces(tcf: TcfTable, disclosed_json: str, signals: PurposeSignals) -> DecisionPieces:
    settings = tcf.settings
    publisher = signals.publisher_tc or PublisherTC()
    custom = publisher.num_custom_purposes
    constants = {
        "useNonStandardTexts": settings.use_non_standard_texts,
        "publisherCC": settings.publisher_country,
        "purposeOneTreatment": settings.purpose_one_treatment,
        "purpose": {
            "consents": _flags(signals.purposes, PURPOSE_COUNT),
            "legitimateInterests": _flags(signals.purposes_li, PURPOSE_COUNT),
        },
    }
    after = {
        "specialFeatureOptins": _flags(signals.special_features, SPECIAL_FEATURE_COUNT),
        "publisher": {
            "consents": _flags(publisher.purpose_consents, PURPOSE_COUNT),
            "legitimateInterests": _flags(publisher.purpose_legitimate_interests, PURPOSE_COUNT),
            "customPurpose": {
                "consents": _flags(publisher.custom_purpose_consents, custom),
                "legitimateInterests": _flags(publisher.custom_purpose_legitimate_interests, custom),
            },
            "restrictions": {},
        },
    }
    return DecisionPieces(
        purpose_bits(
            signals.special_features,
            signals.purposes,
            signals.purposes_li,
            settings.purpose_one_treatment,
            settings.publisher_country,
        ),
        "" if signals.publisher_tc is None else "." + publisher_tc_segment(signals.publisher_tc),
        _members_json(constants) + ',"vendor":{"consents":{',
        f'}},"disclosedVendors":{disclosed_json}}}' + _members_json(after),
    )


def _flags(ids: frozenset[int], count: int) -> dict[str, bool]:
    """A TCData map of ids ``1 ... count`` (or up to the highest id) to whether each is in ``ids``."""
    top = max(count, max(ids, default=0))
    return {str(i): i in ids for i in range(1, top + 1)}


def tcf_signal(
    registry: Registry,
    state: ConsentState,
    cmp: CmpSettings,
    *,
    gdpr_applies: bool = True,
    banner_shown: bool = False,
    gvl_version: int | None = None,
) -> TcfSignal:
    """The visitor's TC string, AC string, TCData and ``ping`` answer, derived from the stored state.

    ``eventStatus`` is ``"cmpuishown"`` when the page shows the banner, else ``"tcloaded"``; an
    undecided visitor has an empty ``tcString``, and no string at all is written where the GDPR does
    not apply. ``gvl_version`` is what ``ping`` reports as ``gvlVersion``.
    """
    table = registry.derived(SignalTable.build)
    tcf = table.tcf
    settings = tcf.settings
    policy_version = settings.tcf_policy_version
    site = _site_pieces(
        policy_version,
        settings.vendor_list_version,
        settings.use_non_standard_texts,
        cmp.cmp_id,
        cmp.cmp_version,
        cmp.consent_screen,
        cmp.consent_language,
        cmp.is_service_specific,
        gdpr_applies,
        banner_shown,
        gvl_version,
    )
    if not gdpr_applies:
        return TcfSignal(None, None, '{"tcString":""' + site.head + "}", site.ping)
    tc_string = None
    consents = legitimate = 0
    pieces = table.undecided
    when = state.decided_at
    if when is not None:  # decided
        if state.registry is not registry:
            state = state.rebind(registry)  # as the gate reads a state against another registry
        pieces = table.pieces(*decision_bits(tcf, state))
        consents, legitimate = vendor_masks(tcf, state)
        sections = tcf.vendor_sections
        core = core_bits(
            dates_bits(when, when),
            site.cmp_bits,
            pieces.purpose_bits,
            sections.bits(consents),
            sections.bits(legitimate),
            NO_RESTRICTIONS,
        )
        tc_string = f"{encode_segment(core)}.{tcf.disclosed_segment}{pieces.publisher_segment}"
    ac_string = ac_string_of(table.atp, state)
    consent_members, legitimate_members = table.vendor_members.pair(consents, legitimate)
    tcdata = "".join(
        (
            '{"tcString":"',
            tc_string or "",  # base64url and dots: nothing to escape in JSON
            '"',
            site.head,
            site.service,
            pieces.before_consents,
            consent_members,
            '},"legitimateInterests":{',
            legitimate_members,
            pieces.after_legitimate,
            "" if ac_string is None else ',"addtlConsent":' + _COMPACT_JSON.encode(ac_string),
            "}",
        )
    )
    return TcfSignal(tc_string, ac_string, tcdata, site.ping)


class SitePieces(NamedTuple):
    """What the site's CMP settings and vendor list fix, for one language and situation."""

    head: str  # TCData's members after tcString, up to cmpStatus
    service: str  # TCData's isServiceSpecific member
    ping: str  # the ping answer
    cmp_bits: str  # the core's CmpId ... UseNonStandardTexts


@lru_cache(maxsize=64)
def _site_pieces(
    policy_version: int,
    vendor_list_version: int,
    use_non_standard_texts: bool,
    cmp_id: int,
    cmp_version: int,
    consent_screen: int,
    consent_language: str,
    is_service_specific: bool,
    gdpr_applies: bool,
    banner_shown: bool,
    gvl_version: int | None,
) -> SitePieces:
    """Memoised: a site has a few of these (per consent language, banner shown or not)."""
    head = _members_json(
        {
            "tcfPolicyVersion": policy_version,
            "cmpId": cmp_id,
            "cmpVersion": cmp_version,
            "gdprApplies": gdpr_applies,
            "eventStatus": "cmpuishown" if banner_shown else "tcloaded",
            "cmpStatus": "loaded",
        }
    )
    return SitePieces(
        head,
        _members_json({"isServiceSpecific": is_service_specific}),
        ping_json(gdpr_applies, cmp_version, cmp_id, gvl_version, policy_version),
        cmp_bits(
            cmp_id,
            cmp_version,
            consent_screen,
            consent_language,
            vendor_list_version,
            policy_version,
            is_service_specific,
            use_non_standard_texts,
        ),
    )


@lru_cache(maxsize=64)
def ping_json(
    gdpr_applies: bool,
    cmp_version: int | None,
    cmp_id: int | None,
    gvl_version: int | None,
    policy_version: int | None,
    cmp_status: str = "loaded",
) -> str:
    """The ``ping`` answer (PingReturn) as compact JSON (memoised: it depends on the site only)."""
    ping = {
        "gdprApplies": gdpr_applies,
        "cmpLoaded": True,
        "cmpStatus": cmp_status,
        "displayStatus": "hidden",
        "apiVersion": API_VERSION,
        "cmpVersion": cmp_version,
        "cmpId": cmp_id,
        "gvlVersion": gvl_version,
        "tcfPolicyVersion": policy_version,
    }
    return _COMPACT_JSON.encode(ping)


def _members_json(members: dict[str, Any]) -> str:
    """``members`` as JSON object members to append to an object: ``,"a":1,"b":2``."""
    return "," + _COMPACT_JSON.encode(members)[1:-1]
