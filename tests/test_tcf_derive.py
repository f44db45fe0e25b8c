"""From the stored state to TCF signals: the mapping, re-asking on a new policy version, Additional
Consent, URL macros, TCData and the inline stub's markup."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import vendor

from consent.errors import RegistryError
from consent.registry import Registry
from consent.state import ConsentState, Method, Policy
from consent.tcf import IdSet, decode_tc_string
from consent.tcf.additional_consent import additional_consent
from consent.tcf.cmpapi import build_tcdata, render_tcf_stub, tcf_url_params
from consent.tcf.derive import (
    CmpSettings,
    policy_version_changed,
    tc_model_for,
    tc_string_for,
    tcf_needs_prompt,
)

CMP = CmpSettings(cmp_id=300, cmp_version=4, consent_language="DE")
WHEN = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)


def tcf_registry(**tcf: Any) -> Registry:
    settings = {
        "vendor_list_version": 140,
        "tcf_policy_version": 5,
        "publisher_country": "DE",
        "publisher_purposes": [1, 9],
        "publisher_legitimate_interest_purposes": [7],
        "categories": {"personalisation": {"purposes": [5, 6]}},
        "custom_purposes": [
            {"id": 1, "name": "Newsletter tailoring", "category": "personalisation"},
            {
                "id": 2,
                "name": "Site statistics",
                "category": "statistics",
                "legal_basis": "legitimate_interest",
            },
        ],
    } | tcf
    return Registry.model_validate(
        {
            "name": "TCF site",
            "categories": [
                {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
                {"id": "statistics", "title": "Statistics", "order": 1},
                {"id": "marketing", "title": "Marketing", "order": 2},
                {"id": "personalisation", "title": "Personalisation", "order": 3},
            ],
            "vendors": [
                vendor(
                    "adnet",
                    1,
                    "marketing",
                    tcf_id=10,
                    google_atp_id=89,
                    tcf={
                        "purposes": [1, 2, 3, 4],
                        "legitimate_interest_purposes": [7],
                        "special_features": [1],
                    },
                ),
                vendor("adnet-video", 2, "marketing", tcf_id=10),
                vendor("measure", 3, "statistics", tcf_id=20, google_atp_id=35, tcf={"purposes": [1, 8, 9]}),
                vendor("fraud", 4, "marketing", tcf_id=30, tcf={"special_purposes": [1]}),
                vendor("analytics", 5, "statistics"),
                vendor("cdn-shield", 7, "necessary", tcf_id=40, tcf={"special_purposes": [1]}),
                vendor("chat", 6, "personalisation"),
            ],
            "tcf": settings,
        }
    )


REGISTRY = tcf_registry()


def choose(vendors: dict[str, bool], categories: dict[str, bool]) -> ConsentState:
    return ConsentState.undecided(REGISTRY).with_choices(vendors, categories, method=Method.CUSTOM, now=WHEN)


def test_an_undecided_visitor_has_no_tc_string() -> None:
    state = ConsentState.undecided(REGISTRY)
    assert tc_model_for(REGISTRY, state, CMP) is None
    assert tc_string_for(REGISTRY, state, CMP) is None


def test_accept_all_signals_every_declared_purpose_and_vendor() -> None:
    model = tc_model_for(REGISTRY, ConsentState.accept_all(REGISTRY, now=WHEN), CMP)
    assert model is not None
    assert model.purpose_consents == {1, 2, 3, 4, 8, 9, 5, 6}
    assert model.special_feature_optins == {1}
    assert model.purpose_legitimate_interests == {7}
    assert model.vendor_consents == IdSet([10, 20, 30])  # 40 is required: never asked, no consent
    assert model.vendor_legitimate_interests == IdSet([10, 30, 40])  # 30, 40: only special purposes
    assert model.disclosed_vendors == IdSet([10, 20, 30, 40])
    assert (model.cmp_id, model.cmp_version, model.consent_language) == (300, 4, "DE")
    assert (model.vendor_list_version, model.tcf_policy_version, model.publisher_cc) == (140, 5, "DE")
    assert model.created == WHEN
    assert model.publisher_tc is not None
    assert model.publisher_tc.purpose_consents == {1, 9}
    assert model.publisher_tc.purpose_legitimate_interests == {7}
    assert model.publisher_tc.num_custom_purposes == 2
    assert model.publisher_tc.custom_purpose_consents == {1}
    assert model.publisher_tc.custom_purpose_legitimate_interests == {2}


def test_reject_all_objects_to_legitimate_interest_too_but_still_discloses() -> None:
    model = tc_model_for(REGISTRY, ConsentState.reject_all(REGISTRY, now=WHEN), CMP)
    assert model is not None
    assert (
        not model.purpose_consents
        and not model.purpose_legitimate_interests
        and not model.special_feature_optins
    )
    assert not model.vendor_consents and model.vendor_legitimate_interests == IdSet([40])
    assert model.disclosed_vendors == IdSet([10, 20, 30, 40])
    assert model.publisher_tc is not None and not model.publisher_tc.custom_purpose_legitimate_interests


def test_a_custom_choice_maps_category_by_category() -> None:
    state = choose(
        {"adnet": True, "adnet-video": True, "fraud": True, "measure": False},
        {"marketing": True, "statistics": False, "personalisation": False},
    )
    model = tc_model_for(REGISTRY, state, CMP)
    assert model is not None
    assert model.purpose_consents == {1, 2, 3, 4}
    assert model.purpose_legitimate_interests == {7}
    assert model.vendor_consents == IdSet([10, 30])
    assert model.publisher_tc is not None
    assert model.publisher_tc.purpose_consents == {1}  # 9 came from statistics, denied
    assert model.publisher_tc.custom_purpose_consents == frozenset()
    assert model.publisher_tc.custom_purpose_legitimate_interests == frozenset()  # statistics denied


def test_a_gvl_vendor_needs_every_registry_vendor_carrying_its_id() -> None:
    state = choose({"adnet": True, "adnet-video": False, "fraud": True}, {"marketing": True})
    model = tc_model_for(REGISTRY, state, CMP)
    assert model is not None
    assert 10 not in model.vendor_consents and 10 not in model.vendor_legitimate_interests
    assert 30 in model.vendor_consents


def test_the_derived_string_decodes_to_the_model_at_day_level() -> None:
    state = ConsentState.accept_all(REGISTRY, now=WHEN)
    decoded = decode_tc_string(tc_string_for(REGISTRY, state, CMP) or "")
    model = tc_model_for(REGISTRY, state, CMP)
    assert model is not None
    assert decoded.vendor_consents == model.vendor_consents
    assert decoded.disclosed_vendors == model.disclosed_vendors
    assert decoded.publisher_tc == model.publisher_tc
    assert decoded.created == datetime(2026, 5, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((1, 1), "cmp_id"),
        ((0, 1), "cmp_id"),
        ((300, 0), "cmp_version"),
        ((300, 1, "english"), "consent_language"),
    ],
)
def test_cmp_settings_refuse_what_iab_never_assigns(arguments: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CmpSettings(*arguments)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"categories": {"ads": {"purposes": [2]}}}, "tcf.categories.ads"),
        ({"custom_purposes": [{"id": 1, "name": "X", "category": "ads"}]}, "tcf.custom_purposes.0.category"),
    ],
)
def test_the_registry_refuses_tcf_references_to_unknown_categories(
    changes: dict[str, Any], path: str
) -> None:
    with pytest.raises(RegistryError) as info:
        tcf_registry(**changes)
    assert [p.path for p in info.value.problems] == [path]


def test_gvl_declarations_need_a_tcf_id() -> None:
    data = REGISTRY.model_dump(mode="json", exclude_none=True)
    data["vendors"][4]["tcf"] = {"purposes": [1]}
    with pytest.raises(RegistryError) as info:
        Registry.model_validate(data)
    assert [p.path for p in info.value.problems] == ["vendors.4.tcf"]


# -- re-asking when the policy version changes --------------------------------------------------------


def test_policy_version_changed_reads_strings_models_and_numbers() -> None:
    string = tc_string_for(REGISTRY, ConsentState.accept_all(REGISTRY, now=WHEN), CMP) or ""
    assert not policy_version_changed(5, string)
    assert policy_version_changed(6, string)
    assert policy_version_changed(6, decode_tc_string(string))
    assert not policy_version_changed(6, 6)
    assert policy_version_changed(5, "not a TC string")


def test_visitors_who_decided_before_the_new_policy_version_are_asked_again() -> None:
    since = datetime(2026, 6, 1, tzinfo=UTC)
    registry = tcf_registry(tcf_policy_version=6, policy_version_since=since)
    before = ConsentState.accept_all(registry, now=WHEN)
    after = ConsentState.accept_all(registry, now=datetime(2026, 6, 2, tzinfo=UTC))
    assert tcf_needs_prompt(registry, before)
    assert not tcf_needs_prompt(registry, after)
    assert not tcf_needs_prompt(REGISTRY, before)  # no date given: nothing to compare


# -- Additional Consent and URL macros --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ConsentState.accept_all(REGISTRY, now=WHEN), "2~35.89~dv."),
        (ConsentState.reject_all(REGISTRY, now=WHEN), "2~~dv.35.89"),
        (choose({"adnet": True}, {"marketing": True}), "2~89~dv.35"),
        (ConsentState.undecided(REGISTRY), None),
    ],
)
def test_additional_consent_lists_consented_then_disclosed_ids(
    state: ConsentState, expected: str | None
) -> None:
    assert additional_consent(REGISTRY, state) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("CQabc", True), {"gdpr": "1", "gdpr_consent": "CQabc"}),
        ((None, True), {"gdpr": "1", "gdpr_consent": ""}),
        (("CQabc", False), {"gdpr": "0", "gdpr_consent": ""}),
        (("CQabc", True, "2~1~dv."), {"gdpr": "1", "gdpr_consent": "CQabc", "addtl_consent": "2~1~dv."}),
    ],
)
def test_url_params(args: tuple[Any, ...], expected: dict[str, str]) -> None:
    assert tcf_url_params(*args) == expected


# -- TCData and the stub --------------------------------------------------------------------------------------


def test_tcdata_of_a_decided_visitor() -> None:
    state = choose({"adnet": True, "adnet-video": True}, {"marketing": True, "statistics": False})
    data = build_tcdata(REGISTRY, state, CMP)
    assert decode_tc_string(data["tcString"]).vendor_consents == IdSet([10])
    assert data["eventStatus"] == "tcloaded" and data["cmpStatus"] == "loaded" and data["gdprApplies"] is True
    assert (data["cmpId"], data["cmpVersion"], data["tcfPolicyVersion"]) == (300, 4, 5)
    assert data["purpose"]["consents"] == {str(i): i in {1, 2, 3, 4} for i in range(1, 12)}
    assert data["vendor"]["consents"] == {"10": True, "20": False, "30": False, "40": False}
    assert data["vendor"]["disclosedVendors"] == {"10": True, "20": True, "30": True, "40": True}
    assert data["specialFeatureOptins"] == {"1": True, "2": False}
    assert data["publisher"]["customPurpose"]["consents"] == {"1": False, "2": False}
    assert data["publisherCC"] == "DE" and data["isServiceSpecific"] is True
    assert data["addtlConsent"] == "2~89~dv.35"


def test_tcdata_while_the_banner_asks() -> None:
    data = build_tcdata(REGISTRY, ConsentState.undecided(REGISTRY), CMP, banner_shown=True)
    assert data["tcString"] == "" and data["eventStatus"] == "cmpuishown"
    assert not any(data["vendor"]["consents"].values())


def test_tcdata_where_gdpr_does_not_apply_carries_no_signals() -> None:
    data = build_tcdata(REGISTRY, ConsentState.accept_all(REGISTRY), CMP, gdpr_applies=False)
    assert data == {
        "tcString": "",
        "tcfPolicyVersion": 5,
        "cmpId": 300,
        "cmpVersion": 4,
        "gdprApplies": False,
        "eventStatus": "tcloaded",
        "cmpStatus": "loaded",
    }


def test_the_stub_carries_the_nonce_and_cannot_be_broken_out_of() -> None:
    data = build_tcdata(REGISTRY, ConsentState.accept_all(REGISTRY), CMP) | {"tcString": "</script><b>x</b>"}
    html = str(render_tcf_stub(data, 'n"once', gvl_version=140))
    assert html.startswith('<script nonce="n&#34;once">')
    assert html.count("</script>") == 1 and html.endswith("</script>")
    payload = re.search(r"\}\)\((.*)\);</script>$", html, re.S)
    assert payload is not None
    tcdata, ping = json.loads(f"[{payload.group(1)}]")
    assert tcdata["tcString"] == "</script><b>x</b>"
    assert ping["gvlVersion"] == 140 and ping["apiVersion"] == "2.3"


def test_the_stub_without_a_nonce_has_no_nonce_attribute() -> None:
    assert str(render_tcf_stub({"gdprApplies": False}, None)).startswith("<script>")


def test_a_vendor_a_signal_suppresses_gets_no_consent() -> None:
    state = ConsentState.accept_all(REGISTRY, now=WHEN).in_region(Policy.OPT_IN, suppressed=["adnet"])
    model = tc_model_for(REGISTRY, state, CMP)
    assert model is not None
    assert model.vendor_consents == IdSet([20, 30])
    assert 10 in model.vendor_legitimate_interests  # suppressed is not an objection
    assert additional_consent(REGISTRY, state) == "2~35~dv.89"
