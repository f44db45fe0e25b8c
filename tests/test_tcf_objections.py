"""Objections to legitimate interest, held apart from consent (``consent.tcf.objections``), what they do
to the TC string, and the TCF part of the second layer (``consent.tcf.panel``), without Flask."""

from __future__ import annotations

import pytest

from consent.decisions import Action, apply
from consent.errors import UnknownIdError
from consent.regions import resolve_region
from consent.registry import Registry
from consent.state import ConsentState, Decision
from consent.tcf import CmpSettings, load_gvl, load_gvl_texts, tc_model_for
from consent.tcf.model import TCModel
from consent.tcf.objections import objectable_purposes, objectable_vendors, read_objections
from consent.tcf.panel import tcf_panel

CMP = CmpSettings(cmp_id=300, cmp_version=2)
REGISTRY = Registry.model_validate(
    {
        "name": "Objections",
        "categories": [
            {"id": "necessary", "title": "Necessary", "required": True, "justification": "The site needs it."},
            {"id": "ads", "title": "Ads"},
            {"id": "measure", "title": "Measurement"},
        ],
        "vendors": [
            {"id": "cdn", "number": 1, "name": "CDN", "category": "necessary", "policy_url": "https://c.example/p"},
            {"id": "alpha", "number": 2, "name": "Alpha", "category": "ads", "policy_url": "https://a.example/p",
             "tcf_id": 10, "tcf": {"purposes": [1, 3, 4], "legitimate_interest_purposes": [2, 7],
                                   "special_purposes": [1], "features": [2]}},
            {"id": "beta", "number": 3, "name": "Beta", "category": "ads", "policy_url": "https://b.example/p",
             "tcf_id": 20, "tcf": {"purposes": [1, 2, 3, 4]}},
            {"id": "gamma", "number": 4, "name": "Gamma", "category": "measure", "policy_url": "https://g.example/p",
             "tcf_id": 30, "tcf": {"purposes": [1, 8], "legitimate_interest_purposes": [9],
                                   "special_features": [1]}},
        ],
        "tcf": {"vendor_list_version": 1},
    }
)  # fmt: skip
REGION = resolve_region(REGISTRY, "DE")


def decide(
    categories: list[str], vendors: list[str], purposes: list[str], objected: list[str]
) -> ConsentState:
    object_vendors, object_purposes = read_objections(REGISTRY, purposes, objected)
    return apply(
        REGISTRY, REGION, ConsentState(REGISTRY), Action.CUSTOM, categories, vendors,
        object_vendors=object_vendors, object_purposes=object_purposes,
    )  # fmt: skip


def model_of(state: ConsentState) -> TCModel:
    model = tc_model_for(REGISTRY, state, CMP)
    assert model is not None
    return model


def test_what_can_be_objected_to() -> None:
    assert objectable_purposes(REGISTRY) == {2: ("ads",), 7: ("ads",), 9: ("measure",)}
    assert objectable_vendors(REGISTRY) == ("alpha", "gamma")


def test_no_objection_signals_every_legitimate_interest_of_what_was_decided() -> None:
    model = model_of(decide(["ads", "measure"], [], [], []))
    assert {2, 7, 9} <= model.purpose_legitimate_interests
    assert {10, 30} <= set(model.vendor_legitimate_interests)
    assert {10, 20, 30} <= set(model.vendor_consents)


def test_a_vendor_may_have_consent_and_an_objection_to_its_legitimate_interest() -> None:
    state = decide(["ads", "measure"], [], [], ["alpha"])
    assert state.vendor_decision("alpha") is Decision.GRANTED  # the consent stands
    assert state.category_decision("ads") is Decision.GRANTED
    model = model_of(state)
    assert 10 in model.vendor_consents and 10 not in model.vendor_legitimate_interests
    assert 30 in model.vendor_legitimate_interests
    assert {2, 7} <= model.purpose_legitimate_interests  # other vendors still rely on them


def test_a_purpose_objection_clears_only_that_purposes_legitimate_interest() -> None:
    state = decide(["ads", "measure"], [], ["9"], [])
    assert state.category_decision("measure") is Decision.GRANTED
    model = model_of(state)
    assert 9 not in model.purpose_legitimate_interests and {2, 7} <= model.purpose_legitimate_interests
    assert 8 in model.purpose_consents  # consent to measure's purposes stands
    assert 30 in model.vendor_consents


def test_a_denial_still_counts_as_an_objection() -> None:
    model = model_of(decide(["measure"], [], [], []))
    assert 10 not in model.vendor_legitimate_interests and not {2, 7} & model.purpose_legitimate_interests
    assert 9 in model.purpose_legitimate_interests


def test_objections_survive_the_cookie() -> None:
    from consent.codec import CookieCodec

    codec = CookieCodec(REGISTRY, "key")
    state = decide(["ads", "measure"], [], ["9"], ["alpha"])
    decoded = REGION.read(codec.decode(codec.encode(state)))
    assert model_of(decoded) == model_of(state)


@pytest.mark.parametrize(
    ("purposes", "vendors"),
    [(["1"], []), (["3"], []), (["abc"], []), (["٢"], []), ([], ["beta"]), ([], ["cdn"]), ([], ["x"])],
)
def test_what_cannot_be_objected_to_is_refused(purposes: list[str], vendors: list[str]) -> None:
    with pytest.raises(UnknownIdError):
        read_objections(REGISTRY, purposes, vendors)


# -- the panel ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gvl():  # type: ignore[no-untyped-def]
    from examples.reviews.app import TCF_FILES

    return load_gvl(TCF_FILES / "vendor-list.json")


def test_the_panel_lists_what_the_vendors_declare_in_the_gvl_words(gvl) -> None:  # type: ignore[no-untyped-def]
    panel = tcf_panel(REGISTRY, gvl, ConsentState(REGISTRY))
    assert [p.id for p in panel.purposes] == [1, 2, 3, 4, 7, 8, 9]
    assert panel.purposes[4].name == "Measure advertising performance"
    assert [p.id for p in panel.special_purposes] == [1]
    assert [p.id for p in panel.features] == [2]
    assert [p.name for p in panel.special_features] == ["Use precise geolocation data"]
    assert {s.id for s in panel.stacks} == {2, 8, 9, 17}  # the example GVL's stacks within what is used
    assert [(o.purpose.id, o.objected) for o in panel.legitimate_interest_purposes] == [
        (2, False), (7, False), (9, False)
    ]  # fmt: skip
    assert [v.vendor.id for v in panel.legitimate_interest_vendors] == ["alpha", "gamma"]


def test_the_panel_shows_objections_and_translations(gvl) -> None:  # type: ignore[no-untyped-def]
    from examples.reviews.app import TCF_FILES

    german = gvl.translated(load_gvl_texts(TCF_FILES / "purposes-de.json"))
    state = decide(["ads", "measure"], [], ["9"], ["alpha"])
    panel = tcf_panel(REGISTRY, german, state)
    assert panel.purposes[4].name == "Werbeleistung messen"
    # What the visitor objected to is shown ticked, and nothing else.
    assert [(o.purpose.id, o.objected) for o in panel.legitimate_interest_purposes] == [
        (2, False), (7, False), (9, True)
    ]  # fmt: skip
    assert [(v.vendor.id, v.objected) for v in panel.legitimate_interest_vendors] == [
        ("alpha", True), ("gamma", False)
    ]  # fmt: skip
    # A denied purpose reads as objected (that is what the TC string says of it).
    denied = tcf_panel(REGISTRY, german, decide(["measure"], [], [], []))
    assert [(o.purpose.id, o.objected) for o in denied.legitimate_interest_purposes] == [
        (2, True), (7, True), (9, False)
    ]  # fmt: skip
