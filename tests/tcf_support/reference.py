"""Slow, straightforward derivations of the TCF and GPP signals, to hold the fast ones against.

``consent.tcf.signal`` and ``consent.gpp.cmpapi`` join their output from per-registry tables and
memoised pieces; these functions walk the registry and ask the state vendor by vendor, as the first
version of the package did, and build TCData and the GPP PingReturn as plain dicts. Random registries
and states to compare them over are made here too.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from consent.gpp import decode_gpp
from consent.gpp.cmpapi import GPP_API_VERSION, SUPPORTED_APIS
from consent.gpp.sections import UsSection
from consent.registry import Registry
from consent.state import ConsentState, Decision, Method, Policy
from consent.tcf import IdSet, PublisherTC, TCModel
from consent.tcf.derive import CmpSettings
from consent.tcf.model import NO_LEGITIMATE_INTEREST_PURPOSES

PURPOSE_COUNT = 11
SPECIAL_FEATURE_COUNT = 2


# -- the TC model, vendor by vendor -----------------------------------------------------------------------


def reference_model(registry: Registry, state: ConsentState, cmp: CmpSettings) -> TCModel | None:
    """The TC model of ``state``, read vendor by vendor and category by category."""
    if not state.is_decided:
        return None
    settings = registry.tcf
    assert settings is not None
    declared: dict[str, tuple[set[int], set[int], set[int]]] = defaultdict(lambda: (set(), set(), set()))
    disclosed: set[int] = set()
    legitimate: set[int] = set()
    for vendor in registry.vendors:
        if vendor.tcf_id is None:
            continue
        disclosed.add(vendor.tcf_id)
        if vendor.tcf is None:
            continue
        consent, features, li = declared[vendor.category]
        consent.update(vendor.tcf.purposes)
        features.update(vendor.tcf.special_features)
        li.update(vendor.tcf.legitimate_interest_purposes)
        only_special = not vendor.tcf.purposes and not vendor.tcf.legitimate_interest_purposes
        if vendor.tcf.legitimate_interest_purposes or (only_special and vendor.tcf.special_purposes):
            legitimate.add(vendor.tcf_id)
    purposes: set[int] = set()
    special: set[int] = set()
    objected: set[int] = set()
    li_candidates: set[int] = set()
    for category in registry.ordered_categories():
        if category.required:
            continue
        consent, features, li = declared[category.id]
        named = settings.categories.get(category.id)
        consent_ids = set(named.purposes) if named else consent
        feature_ids = set(named.special_features) if named else features
        li_ids = li - NO_LEGITIMATE_INTEREST_PURPOSES
        decision = state.category_decision(category.id)
        if decision is Decision.GRANTED:
            purposes |= consent_ids
            special |= feature_ids
        elif decision is Decision.DENIED:
            objected |= consent_ids | li_ids
        li_candidates |= li_ids
    objected |= state.objected_purposes  # objections to a purpose's legitimate interest
    granted: set[int] = set()
    refused: set[int] = set()
    denied: set[int] = set()
    for vendor in registry.vendors:
        if vendor.tcf_id is None or registry.is_required(vendor):
            continue
        decision = state.vendor_decision(vendor.id)
        if decision is Decision.GRANTED and state.allows(vendor.id):
            granted.add(vendor.tcf_id)
        else:
            refused.add(vendor.tcf_id)
            if decision is Decision.DENIED:
                denied.add(vendor.tcf_id)
        if state.objections & registry.vendor_bits[vendor.id]:  # consent may stand beside the objection
            denied.add(vendor.tcf_id)
    assert state.decided_at is not None
    return TCModel(
        created=state.decided_at,
        last_updated=state.decided_at,
        cmp_id=cmp.cmp_id,
        cmp_version=cmp.cmp_version,
        consent_screen=cmp.consent_screen,
        consent_language=cmp.consent_language,
        vendor_list_version=settings.vendor_list_version,
        tcf_policy_version=settings.tcf_policy_version,
        is_service_specific=cmp.is_service_specific,
        use_non_standard_texts=settings.use_non_standard_texts,
        special_feature_optins=frozenset(special),
        purpose_consents=frozenset(purposes),
        purpose_legitimate_interests=frozenset(li_candidates - objected),
        purpose_one_treatment=settings.purpose_one_treatment,
        publisher_cc=settings.publisher_country,
        vendor_consents=IdSet(granted - refused),
        vendor_legitimate_interests=IdSet(legitimate - denied),
        disclosed_vendors=IdSet(disclosed),
        publisher_tc=_reference_publisher(registry, state, frozenset(purposes), frozenset(objected)),
    )


def _reference_publisher(
    registry: Registry, state: ConsentState, purposes: frozenset[int], objected: frozenset[int]
) -> PublisherTC | None:
    settings = registry.tcf
    assert settings is not None
    if not (
        settings.publisher_purposes
        or settings.publisher_legitimate_interest_purposes
        or settings.custom_purposes
    ):
        return None
    customs = settings.custom_purposes
    return PublisherTC(
        frozenset(settings.publisher_purposes) & purposes,
        frozenset(settings.publisher_legitimate_interest_purposes)
        - objected
        - NO_LEGITIMATE_INTEREST_PURPOSES,
        max((c.id for c in customs), default=0),
        frozenset(
            c.id
            for c in customs
            if c.legal_basis == "consent" and state.category_decision(c.category) is Decision.GRANTED
        ),
        frozenset(
            c.id
            for c in customs
            if c.legal_basis == "legitimate_interest"
            and state.category_decision(c.category) is not Decision.DENIED
        ),
    )


def reference_ac_string(registry: Registry, state: ConsentState) -> str | None:
    atp = [(v.google_atp_id, v.id) for v in registry.vendors if v.google_atp_id is not None]
    if not atp or not state.is_decided:
        return None
    consented = {i for i, v in atp if state.vendor_decision(v) is Decision.GRANTED and state.allows(v)}
    refused = {i for i, _ in atp} - consented
    return f"2~{'.'.join(map(str, sorted(consented)))}~dv.{'.'.join(map(str, sorted(refused)))}"


# -- TCData and the GPP PingReturn as dicts --------------------------------------------------------------


def reference_tcdata(
    registry: Registry,
    state: ConsentState,
    cmp: CmpSettings,
    tc_string: str | None,
    *,
    gdpr_applies: bool,
    banner_shown: bool,
) -> dict[str, Any]:
    """TCData, member by member, for ``state`` (``tc_string``: what the reference model encodes to)."""
    settings = registry.tcf
    assert settings is not None
    base: dict[str, Any] = {
        "tcString": "",
        "tcfPolicyVersion": settings.tcf_policy_version,
        "cmpId": cmp.cmp_id,
        "cmpVersion": cmp.cmp_version,
        "gdprApplies": gdpr_applies,
        "eventStatus": "cmpuishown" if banner_shown else "tcloaded",
        "cmpStatus": "loaded",
    }
    if not gdpr_applies:
        return base
    model = reference_model(registry, state, cmp)
    disclosed = sorted({v.tcf_id for v in registry.vendors if v.tcf_id is not None})
    consents = model.vendor_consents if model else IdSet()
    li_vendors = model.vendor_legitimate_interests if model else IdSet()
    publisher = (model.publisher_tc if model else None) or PublisherTC()
    count = publisher.num_custom_purposes
    base |= {
        "tcString": tc_string or "",
        "isServiceSpecific": cmp.is_service_specific,
        "useNonStandardTexts": settings.use_non_standard_texts,
        "publisherCC": settings.publisher_country,
        "purposeOneTreatment": settings.purpose_one_treatment,
        "purpose": {
            "consents": _flags(model.purpose_consents if model else frozenset(), PURPOSE_COUNT),
            "legitimateInterests": _flags(
                model.purpose_legitimate_interests if model else frozenset(), PURPOSE_COUNT
            ),
        },
        "vendor": {
            "consents": {str(i): i in consents for i in disclosed},
            "legitimateInterests": {str(i): i in li_vendors for i in disclosed},
            "disclosedVendors": {str(i): True for i in disclosed},
        },
        "specialFeatureOptins": _flags(
            model.special_feature_optins if model else frozenset(), SPECIAL_FEATURE_COUNT
        ),
        "publisher": {
            "consents": _flags(publisher.purpose_consents, PURPOSE_COUNT),
            "legitimateInterests": _flags(publisher.purpose_legitimate_interests, PURPOSE_COUNT),
            "customPurpose": {
                "consents": _flags(publisher.custom_purpose_consents, count),
                "legitimateInterests": _flags(publisher.custom_purpose_legitimate_interests, count),
            },
            "restrictions": {},
        },
    }
    ac_string = reference_ac_string(registry, state)
    if ac_string is not None:
        base["addtlConsent"] = ac_string
    return base


def _flags(ids: frozenset[int], count: int) -> dict[str, bool]:
    top = max(count, max(ids, default=0))
    return {str(i): i in ids for i in range(1, top + 1)}


def reference_ping(
    cmp: CmpSettings, policy_version: int, gvl_version: int | None, *, gdpr_applies: bool
) -> dict[str, Any]:
    return {
        "gdprApplies": gdpr_applies,
        "cmpLoaded": True,
        "cmpStatus": "loaded",
        "displayStatus": "hidden",
        "apiVersion": "2.3",
        "cmpVersion": cmp.cmp_version,
        "cmpId": cmp.cmp_id,
        "gvlVersion": gvl_version,
        "tcfPolicyVersion": policy_version,
    }


def reference_gpp_data(
    gpp_string: str, sids: Sequence[int], *, cmp_id: int, banner_visible: bool
) -> dict[str, Any]:
    """The PingReturn object, with the sections decoded from the string."""
    decoded = decode_gpp(gpp_string)
    return {
        "gppVersion": GPP_API_VERSION,
        "cmpStatus": "loaded",
        "cmpDisplayStatus": "visible" if banner_visible else "hidden",
        "signalStatus": "ready",
        "supportedAPIs": list(SUPPORTED_APIS),
        "cmpId": cmp_id,
        "sectionList": list(decoded.section_ids),
        "applicableSections": list(sids),
        "gppString": gpp_string,
        "parsedSections": {s.name: s.parsed() for s in decoded.sections if isinstance(s, UsSection)},
    }


# -- random registries and states ------------------------------------------------------------------------

OPTIONAL = ("statistics", "marketing", "personalisation", "functional")
LI_PURPOSES = (2, 7, 8, 9, 10, 11)


def random_registry(rng: random.Random) -> Registry:
    """A TCF registry of every shape: scattered GVL ids (one range entry each) or runs of neighbours,
    ids shared by several registry vendors, vendors without a GVL id, required ones with one, site
    purposes and custom purposes, ids up to 3,000."""
    optional = OPTIONAL[: rng.randint(1, len(OPTIONAL))]
    categories: list[dict[str, Any]] = [
        {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
        *({"id": c, "title": c.title(), "order": i} for i, c in enumerate(optional, start=1)),
    ]
    count = rng.randint(1, 40)
    shape = rng.choice(["scattered", "neighbours", "mixed"])
    if shape == "scattered":  # no two ids consecutive
        pool = sorted(rng.sample(range(1, 1500), count))
        ids = [2 * i for i in pool]
    elif shape == "neighbours":
        start = rng.randint(1, 2900)
        ids = list(range(start, start + count))
    else:
        ids = [rng.randint(1, 3000) for _ in range(count)]
    vendors = []
    for n, tcf_id in enumerate(ids, start=1):
        vendor: dict[str, Any] = {
            "id": f"vendor-{n}",
            "number": n,
            "name": f"Vendor {n}",
            "category": rng.choice(("necessary", *optional)) if rng.random() < 0.15 else rng.choice(optional),
            "policy_url": f"https://vendor-{n}.example.com/privacy",
        }
        if rng.random() < 0.85:
            vendor["tcf_id"] = rng.choice(ids) if rng.random() < 0.1 else tcf_id  # some ids shared
            if rng.random() < 0.8:
                vendor["tcf"] = {
                    "purposes": rng.sample(range(1, 12), rng.randint(0, 5)),
                    "legitimate_interest_purposes": rng.sample(LI_PURPOSES, rng.randint(0, 3)),
                    "special_features": rng.sample((1, 2), rng.randint(0, 2)),
                    "special_purposes": rng.sample((1, 2, 3), rng.randint(0, 2)),
                }
        if rng.random() < 0.2:
            vendor["google_atp_id"] = rng.randint(1, 3000)
        vendors.append(vendor)
    tcf: dict[str, Any] = {
        "vendor_list_version": rng.randint(1, 4095),
        "tcf_policy_version": rng.choice([4, 5]),
        "publisher_country": rng.choice(["DE", "FR", "GB", "AA"]),
        "purpose_one_treatment": rng.random() < 0.2,
        "use_non_standard_texts": rng.random() < 0.2,
    }
    if rng.random() < 0.3:
        tcf["categories"] = {
            rng.choice(optional): {"purposes": rng.sample(range(1, 12), 3), "special_features": [1]}
        }
    if rng.random() < 0.4:
        tcf["publisher_purposes"] = rng.sample(range(1, 12), rng.randint(1, 4))
        tcf["publisher_legitimate_interest_purposes"] = rng.sample(LI_PURPOSES, rng.randint(0, 2))
    if rng.random() < 0.4:
        tcf["custom_purposes"] = [
            {
                "id": i,
                "name": f"Custom {i}",
                "category": rng.choice(("necessary", *optional)),
                "legal_basis": rng.choice(["consent", "legitimate_interest"]),
            }
            for i in rng.sample(range(1, 20), rng.randint(1, 4))
        ]
    return Registry.model_validate(
        {"name": "Random TCF site", "categories": categories, "vendors": vendors, "tcf": tcf}
    )


def random_state(rng: random.Random, registry: Registry) -> ConsentState:
    """Undecided, accept all, reject all, or a custom save of random choices; sometimes read where
    Global Privacy Control suppresses some vendors, or with optional vendors running by default."""
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
        days=rng.randint(0, 900), seconds=rng.randint(0, 86399)
    )
    kind = rng.choice(["undecided", "accept", "reject", "custom", "custom", "custom"])
    if kind == "undecided":
        state = ConsentState.undecided(registry)
    elif kind == "accept":
        state = ConsentState.accept_all(registry, now=when)
    elif kind == "reject":
        state = ConsentState.reject_all(registry, now=when)
    else:
        optional = [v.id for v in registry.vendors if not registry.is_required(v)]
        objecting = rng.random() < 0.5  # objections to legitimate interest, held beside the consents
        state = ConsentState.undecided(registry).with_choices(
            {v: rng.random() < 0.5 for v in rng.sample(optional, rng.randint(0, len(optional)))},
            {c.id: rng.random() < 0.5 for c in registry.optional_categories if rng.random() < 0.8},
            method=Method.CUSTOM,
            now=when,
            objections=rng.sample(optional, rng.randint(0, len(optional))) if objecting else (),
            objected_purposes=rng.sample(range(2, 12), rng.randint(0, 4)) if objecting else (),
        )
    if rng.random() < 0.3:
        ids = [v.id for v in registry.vendors]
        state = state.in_region(
            rng.choice(list(Policy)),
            rng.sample(ids, rng.randint(0, len(ids))),
            suppressed=rng.sample(ids, rng.randint(0, len(ids))),
        )
    return state
