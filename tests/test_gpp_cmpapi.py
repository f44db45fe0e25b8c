"""The GPP PingReturn as the page carries it (``consent.gpp.cmpapi``): joined from memoised pieces,
from the signal's own sections or decoded from the string, and equal to the object built member by
member from the decoded string (``tcf_support.reference``), over 600 random requests."""

from __future__ import annotations

import json
import random

import pytest
from conftest import registry_data, vendor
from tcf_support.reference import reference_gpp_data

from consent.errors import GPPStringError
from consent.gpp import TcfEuV2Section, derive_gpp, gpp_data
from consent.gpp.cmpapi import gpp_data_json, gpp_signal_json
from consent.registry import Registry
from consent.state import ConsentState, Method

TC_STRINGS = (
    None,
    "CQdWToAQdWToAAKAAAENAAFgAKAAAAAAAAAAPoQAwAAgAFA-gAAAAAAA.IAAA.YAAAAAAAAAAA",
    "CQdWToAQdWToAAKAAAENAAFgAKAAAAAAAAAAPoQAwAAgAFA-gAAAAAAA.IAAA",
)
REGIONS = (None, "", "DE", "GB", "US", "US-CA", "US-VA", "US-CO", "US-CT", "US-TX", "us-ca")


def us_registry(sellers: bool) -> Registry:
    data = registry_data(0)
    data["vendors"] = [
        vendor("ads", 1, "marketing", sale_share=sellers),
        vendor("retargeting", 2, "marketing", sale_share=True),
        vendor("analytics", 3, "statistics"),
    ]
    if not sellers:
        data["vendors"].pop(1)
    data["regions"] = [
        {"id": "eea", "policy": "opt-in", "codes": ["DE", "FR"]},
        {"id": "us", "policy": "opt-out", "codes": ["US-CA", "US-VA", "US-CO", "US-CT", "US-TX"]},
    ]
    return Registry.model_validate(data)


def random_state(rng: random.Random, registry: Registry) -> ConsentState:
    kind = rng.choice(["undecided", "accept", "reject", "custom"])
    if kind == "undecided":
        return ConsentState.undecided(registry)
    if kind == "accept":
        return ConsentState.accept_all(registry)
    if kind == "reject":
        return ConsentState.reject_all(registry)
    return ConsentState.undecided(registry).with_choices(
        {v.id: rng.random() < 0.5 for v in registry.vendors if not registry.is_required(v)},
        {},
        method=Method.CUSTOM,
    )


def test_the_ping_return_equals_the_reference_over_random_requests() -> None:
    rng = random.Random(7)
    registries = (us_registry(True), us_registry(False))
    seen: set[tuple[int, ...]] = set()
    for _ in range(600):
        registry = rng.choice(registries)
        signal = derive_gpp(
            registry,
            random_state(rng, registry),
            rng.choice(REGIONS),
            rng.random() < 0.5,
            rng.choice(TC_STRINGS),
            approach=rng.choice(["state", "national"]),
            mspa=rng.choice(["none", "opt_out_option", "service_provider"]),
        )
        cmp_id, visible = rng.randint(1, 4095), rng.random() < 0.5
        expected = reference_gpp_data(signal.gpp, signal.sids, cmp_id=cmp_id, banner_visible=visible)
        text = json.dumps(expected, separators=(",", ":"), ensure_ascii=False)
        assert gpp_signal_json(signal, cmp_id=cmp_id, banner_visible=visible) == text
        assert gpp_data_json(signal.gpp, signal.sids, cmp_id=cmp_id, banner_visible=visible) == text
        assert gpp_data(signal.gpp, signal.sids, cmp_id=cmp_id, banner_visible=visible) == expected
        seen.add(tuple(s.id for s in signal.sections))
    assert {(), (2,), (7,), (8,), (9,), (10,), (12,), (2, 8)} <= seen  # every shape met


def test_extra_parsed_sections_are_added_only_for_sections_present() -> None:
    registry = us_registry(True)
    signal = derive_gpp(registry, ConsentState.undecided(registry), "DE", False, TC_STRINGS[1])
    data = gpp_data(signal.gpp, signal.sids, extra_parsed={"tcfeuv2": [{"Version": 2}], "usca": [{}]})
    assert data["parsedSections"] == {"tcfeuv2": [{"Version": 2}]}


def test_a_string_that_does_not_decode_gives_no_ping_return() -> None:
    with pytest.raises(GPPStringError):
        gpp_data_json("DBABMA~", [2])
    with pytest.raises(GPPStringError, match="section"):
        gpp_data_json("DBABMA", [2])  # the header lists a section that does not follow


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("CO=bad", "base64url segments"),
        ("CQdW..IAAA", "base64url segments"),
        ("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "not version 2"),  # a TCF v1 string
    ],
)
def test_a_tc_section_that_is_not_a_version_2_string_is_refused(text: str, reason: str) -> None:
    with pytest.raises(GPPStringError, match=reason):
        TcfEuV2Section(text)
