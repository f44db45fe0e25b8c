"""Google Consent Mode v2: values from the stored state, the default script, and advanced mode in the gate."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import read_in, registry_data, vendor
from markupsafe import Markup

from consent.codec import CookieCodec
from consent.consent_mode import (
    ConsentModeTable,
    consent_mode_default,
    consent_mode_values,
    granted_types,
    registry_uses_consent_mode,
    render_consent_mode_default,
)
from consent.decisions import Action, apply
from consent.gate import decide, render_scripts
from consent.regions import resolve_region
from consent.registry import ConsentModeType, Registry
from consent.state import ConsentState, Method, Policy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TYPES = [t.value for t in ConsentModeType]
ADS = ("ad_storage", "ad_user_data", "ad_personalization")
SCRIPT_RE = re.compile(r"^<script(?P<attrs>[^>]*)>(?P<code>.*)</script>$", re.S)
PAYLOAD_RE = re.compile(r"gtag\('consent','default',(\{.*?\})\);")


def mode_data(**overrides: Any) -> dict[str, Any]:
    """Categories map some types; one vendor maps its own, in a category that maps none."""
    data: dict[str, Any] = {
        "name": "Consent Mode",
        "categories": [
            {
                "id": "necessary",
                "title": "Necessary",
                "required": True,
                "justification": "Security.",
                "consent_mode": ["security_storage"],
            },
            {"id": "functional", "title": "Features", "order": 1},
            {"id": "statistics", "title": "Statistics", "order": 2, "consent_mode": ["analytics_storage"]},
            {"id": "marketing", "title": "Marketing", "order": 3, "consent_mode": list(ADS)},
        ],
        "vendors": [
            vendor("essential", 1, "necessary"),
            vendor("site-stats", 2, "statistics"),
            vendor(
                "ga",
                3,
                "statistics",
                hosts=["www.googletagmanager.com"],
                scripts=[{"src": "https://www.googletagmanager.com/gtag/js?id=G-1", "placement": "head"}],
            ),
            vendor("prefs", 4, "functional", consent_mode=["personalization_storage"]),
            vendor("video", 5, "functional"),
            vendor(
                "ads",
                6,
                "marketing",
                sale_share=True,
                consent_mode=list(ADS),
                hosts=["ads.example.net"],
                scripts=[{"src": "https://ads.example.net/tag.js"}],
                pixels=[{"src": "https://ads.example.net/p.gif"}],
            ),
        ],
        "regions": [
            {"id": "uk", "policy": "opt-in", "codes": ["GB"], "exempt_vendors": ["site-stats"]},
            {"id": "us", "policy": "opt-out", "codes": ["US-CA"]},
            {"id": "jp", "policy": "notice", "codes": ["JP"]},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.model_validate(mode_data())


def granted(values: dict[str, str]) -> set[str]:
    return {t for t, v in values.items() if v == "granted"}


def payload_of(markup: str) -> dict[str, Any]:
    match = PAYLOAD_RE.search(markup)
    assert match is not None, markup
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# -- which types are granted -------------------------------------------------------------------------


def test_registry_uses_consent_mode(reg: Registry, seed_registry: Registry) -> None:
    assert registry_uses_consent_mode(reg)
    assert registry_uses_consent_mode(seed_registry)
    data = mode_data()
    for category in data["categories"]:
        category.pop("consent_mode", None)
    assert registry_uses_consent_mode(Registry.model_validate(data))  # the vendors still map some
    for item in data["vendors"]:
        item.pop("consent_mode", None)
    assert not registry_uses_consent_mode(Registry.model_validate(data))


def test_every_mapped_type_and_googles_four_are_reported(reg: Registry) -> None:
    values = consent_mode_values(reg, ConsentState(reg))

    assert sorted(values) == sorted(set(TYPES) - {"functionality_storage"})  # the one nobody maps
    assert set(values.values()) <= {"granted", "denied"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("undecided", {"security_storage"}),
        ("accept_all", {"security_storage", "analytics_storage", "personalization_storage", *ADS}),
        ("reject_all", {"security_storage"}),
        ("statistics", {"security_storage", "analytics_storage"}),  # by the category's mapping
        ("prefs", {"security_storage", "personalization_storage"}),  # by the vendor's own mapping
        ("ads-vendor-only", {"security_storage", *ADS}),  # the vendor maps them, its category unasked
        ("marketing-but-not-ads", {"security_storage", *ADS}),  # the purpose granted, one vendor not
    ],
)
def test_values_follow_the_decisions(state: str, expected: set[str], reg: Registry) -> None:
    base = ConsentState(reg)
    states = {
        "undecided": base,
        "accept_all": ConsentState.accept_all(reg, now=NOW),
        "reject_all": ConsentState.reject_all(reg, now=NOW),
        "statistics": base.with_choices(
            {"site-stats": True, "ga": True}, {"statistics": True}, method=Method.CUSTOM, now=NOW
        ),
        "prefs": base.with_choices({"prefs": True}, method=Method.CUSTOM, now=NOW),
        "ads-vendor-only": base.with_choices({"ads": True}, method=Method.EMBED, now=NOW),
        "marketing-but-not-ads": base.with_choices(
            {"ads": False}, {"marketing": True}, method=Method.CUSTOM, now=NOW
        ),
    }

    assert granted(consent_mode_values(reg, read_in(states[state], reg, "DE"))) == expected


def test_types_nobody_maps_are_not_emitted_even_when_everything_is_accepted(reg: Registry) -> None:
    values = consent_mode_values(reg, ConsentState.accept_all(reg, now=NOW))

    assert "functionality_storage" not in values


@pytest.mark.parametrize(
    ("categories", "vendor_modes", "emitted"),
    [
        # Nothing mapped beyond what a site of ads and analytics maps: Google's four, nothing else.
        ({}, {}, {"ad_storage", "ad_user_data", "ad_personalization", "analytics_storage"}),
        (
            {"necessary": ["security_storage"]},
            {},
            {"ad_storage", "ad_user_data", "ad_personalization", "analytics_storage", "security_storage"},
        ),
        (
            {},
            {"vendor-1": ["functionality_storage"]},
            {
                "ad_storage",
                "ad_user_data",
                "ad_personalization",
                "analytics_storage",
                "functionality_storage",
            },
        ),
    ],
)
def test_emitted_types_are_googles_four_and_what_the_registry_maps(
    categories: dict[str, list[str]], vendor_modes: dict[str, list[str]], emitted: set[str]
) -> None:
    data = registry_data(4)
    for category in data["categories"]:
        category["consent_mode"] = categories.get(category["id"], [])
    for entry in data["vendors"]:
        entry["consent_mode"] = vendor_modes.get(entry["id"], [])
    registry = Registry.model_validate(data)
    for state in (ConsentState.undecided(registry), ConsentState.accept_all(registry, now=NOW)):
        assert set(consent_mode_values(registry, state)) == emitted
    # security_storage mapped by the required category is granted before any choice.
    if "security_storage" in emitted:
        assert (
            consent_mode_values(registry, ConsentState.undecided(registry))["security_storage"] == "granted"
        )


@pytest.mark.parametrize(
    ("code", "gpc", "expected"),
    [
        ("DE", False, {"security_storage"}),
        ("DE", True, {"security_storage"}),
        (None, False, {"security_storage"}),
        # UK: one of the two statistics vendors is exempt; the purpose is not fully running.
        ("GB", False, {"security_storage"}),
        ("US-CA", False, {"security_storage", "analytics_storage", "personalization_storage", *ADS}),
        ("US-CA", True, {"security_storage", "analytics_storage", "personalization_storage"}),
        ("JP", False, {"security_storage", "analytics_storage", "personalization_storage", *ADS}),
    ],
)
def test_per_region_defaults_before_a_decision(
    code: str | None, gpc: bool, expected: set[str], reg: Registry
) -> None:
    state = read_in(ConsentState(reg), reg, code, gpc=gpc)

    assert granted(consent_mode_values(reg, state)) == expected


def test_opt_out_denies_the_ad_types_and_keeps_the_rest(reg: Registry) -> None:
    state = ConsentState.undecided(reg, policy=Policy.OPT_OUT).with_choices(
        {"ads": False}, method=Method.OPT_OUT, now=NOW
    )

    values = consent_mode_values(reg, read_in(state, reg, "US-CA"))

    assert granted(values) == {"security_storage", "analytics_storage", "personalization_storage"}


def test_a_returning_visitor_gets_the_same_values_from_the_cookie(reg: Registry) -> None:
    codec = CookieCodec(reg, "secret")
    state = ConsentState(reg).with_choices(
        {"site-stats": True, "ga": True, "prefs": True},
        {"statistics": True},
        method=Method.CUSTOM,
        now=NOW,
    )

    back = read_in(codec.decode(codec.encode(state), now=NOW), reg, "DE")

    assert consent_mode_values(reg, back) == consent_mode_values(reg, state)
    assert granted(consent_mode_values(reg, back)) == {
        "security_storage",
        "analytics_storage",
        "personalization_storage",
    }


def test_the_example_site_maps_its_google_vendors(seed_registry: Registry) -> None:
    mapped = {v.id for v in seed_registry.vendors if v.consent_mode}
    assert {"hubpages-google-analytics", "google-adsense", "google-doubleclick"} <= mapped
    assert not any(v.consent_mode_advanced for v in seed_registry.vendors)  # basic mode by default
    accepted = consent_mode_values(seed_registry, ConsentState.accept_all(seed_registry, now=NOW))
    assert granted(accepted) == set(TYPES)


@pytest.mark.parametrize(
    ("code", "gpc", "on"),
    [
        ("DE", False, set()),
        ("GB", False, set()),
        ("US-CA", False, {"functional", "statistics", "marketing"}),
        ("US-CA", True, {"functional", "statistics"}),
        ("JP", False, {"functional", "statistics", "marketing"}),
    ],
)
def test_allows_category_before_a_decision(code: str, gpc: bool, on: set[str], reg: Registry) -> None:
    state = read_in(ConsentState(reg), reg, code, gpc=gpc)

    assert {c.id for c in reg.categories if not c.required and state.allows_category(c.id)} == on
    assert state.allows_category("necessary")


def test_a_purpose_without_vendors_is_never_on_unasked(reg: Registry) -> None:
    data = mode_data()
    data["categories"].append({"id": "empty", "title": "Empty", "order": 4})
    with_empty = Registry.model_validate(data)
    state = read_in(ConsentState(with_empty), with_empty, "US-CA")

    assert not state.allows_category("empty")
    assert ConsentState.accept_all(with_empty, now=NOW).allows_category("empty")


def test_an_explicit_decision_about_a_purpose_wins_over_the_region(reg: Registry) -> None:
    state = read_in(
        ConsentState.undecided(reg, policy=Policy.OPT_OUT).with_choices(
            {}, {"statistics": False}, method=Method.CUSTOM, now=NOW
        ),
        reg,
        "US-CA",
    )

    assert not state.allows_category("statistics")
    assert state.allows("ga")  # its vendors were not decided about: the region runs them
    assert consent_mode_values(reg, state)["analytics_storage"] == "denied"


# -- the example site: the values for each stored choice, where it is read ----------------------------
# (what the Flask tests checked in the page; they now check only that the page writes these values)

SITE_STATES: dict[str, tuple[str | None, bool, tuple[Action, tuple[str, ...]] | None, set[str]]] = {
    # name: (region, GPC, decision (action, ticked purposes), granted types)
    "undecided-in-de": ("DE", False, None, {"security_storage"}),
    "undecided-unknown": (None, True, None, {"security_storage"}),
    "accepted-in-de": ("DE", False, (Action.ACCEPT_ALL, ()), set(TYPES)),
    "statistics-in-de": (
        "DE",
        False,
        (Action.CUSTOM, ("statistics",)),
        {"security_storage", "analytics_storage"},
    ),
    "rejected-in-de": ("DE", False, (Action.REJECT_ALL, ()), {"security_storage"}),
    "undecided-in-ca": ("US-CA", False, None, set(TYPES)),
    "undecided-in-ca-gpc": ("US-CA", True, None, set(TYPES) - set(ADS)),
    "opted-out-in-ca": ("US-CA", False, (Action.OPT_OUT, ()), set(TYPES) - set(ADS)),
    "accepted-in-ca-gpc": ("US-CA", True, (Action.ACCEPT_ALL, ()), set(TYPES)),
}


@pytest.mark.parametrize("name", list(SITE_STATES))
def test_the_example_site_values_for_each_stored_choice(name: str, seed_registry: Registry) -> None:
    code, gpc, decision, expected = SITE_STATES[name]
    region = resolve_region(seed_registry, code, gpc)
    state = region.read(ConsentState(seed_registry))
    if decision is not None:
        action, categories = decision
        state = apply(seed_registry, region, state, action, categories, now=NOW)
        codec = CookieCodec(seed_registry, "secret")  # as a later request reads it from the cookie
        state = region.read(codec.decode(codec.encode(state), now=NOW))

    values = consent_mode_values(seed_registry, state)

    assert set(values) == set(TYPES)
    assert granted(values) == expected


# -- the default script -------------------------------------------------------------------------------


def test_the_default_script(reg: Registry) -> None:
    values = consent_mode_values(reg, ConsentState(reg))

    markup = render_consent_mode_default(values)

    assert isinstance(markup, Markup)
    match = SCRIPT_RE.match(str(markup))
    assert match is not None
    assert match.group("attrs") == ' data-consent-mode="default"'
    code = match.group("code")
    # The queue and gtag() are defined first, so that consent.js can push an update later.
    assert code.startswith(
        "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    )
    assert payload_of(code) == values
    assert code.index("'default'") < code.index("ads_data_redaction")


@pytest.mark.parametrize(("ad_storage", "redacted"), [("denied", True), ("granted", False)])
def test_ads_data_redaction_only_while_ad_storage_is_denied(ad_storage: str, redacted: bool) -> None:
    values = dict.fromkeys(TYPES, "denied") | {"ad_storage": ad_storage}

    markup = str(render_consent_mode_default(values))

    assert ("gtag('set','ads_data_redaction',true);" in markup) is redacted


@pytest.mark.parametrize(
    ("wait", "expected"), [(None, None), (0, None), (500, 500), ("750", 750), (2000.0, 2000)]
)
def test_wait_for_update(wait: Any, expected: int | None) -> None:
    values = dict.fromkeys(TYPES, "denied")

    payload = payload_of(str(render_consent_mode_default(values, wait_for_update=wait)))

    assert payload.get("wait_for_update") == expected
    assert {k: v for k, v in payload.items() if k != "wait_for_update"} == values


@pytest.mark.parametrize(
    ("nonce", "attribute"),
    [
        ("abc123", ' nonce="abc123"'),
        ('x"><script>alert(1)</script>', ' nonce="x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'),
        (None, None),
        ("", None),
    ],
)
def test_the_nonce_is_an_escaped_attribute(nonce: str | None, attribute: str | None) -> None:
    markup = str(render_consent_mode_default(dict.fromkeys(TYPES, "denied"), nonce))

    match = SCRIPT_RE.match(markup)
    assert match is not None
    if attribute is None:
        assert "nonce" not in match.group("attrs")
    else:
        assert match.group("attrs").startswith(attribute)
    assert markup.count("<script") == 1


def test_values_cannot_close_the_script() -> None:
    hostile = {"ad_storage": "</script><script>alert(1)</script>", "analytics_storage": "granted"}

    markup = str(render_consent_mode_default(hostile))

    assert markup.count("</script>") == 1 and markup.endswith("</script>")
    assert "<script>alert" not in markup
    assert payload_of(markup)["ad_storage"] == hostile["ad_storage"]  # the JSON still means the same


# -- advanced mode in the gate ------------------------------------------------------------------------


def advanced_registry(**ga: Any) -> Registry:
    data = mode_data()
    data["vendors"][2].update(consent_mode=["analytics_storage"], **ga)
    return Registry.model_validate(data)


def script_keys(gate_markup: str) -> set[str]:
    return set(re.findall(r'data-consent-key="([^"]+)"', gate_markup))


@pytest.mark.parametrize(
    ("advanced", "consent_mode", "loaded"), [(False, True, False), (True, True, True), (True, False, False)]
)
def test_advanced_mode_loads_the_tag_before_consent(advanced: bool, consent_mode: bool, loaded: bool) -> None:
    reg = advanced_registry(consent_mode_advanced=advanced)
    state = read_in(ConsentState(reg), reg, "DE")

    gate = decide(reg, state, consent_mode=consent_mode)

    assert not gate.allows("ga")  # loading denied is not consent
    assert "ga" not in gate.allowed_ids
    assert ("ga" in {v.id for v in gate.loaded}) is loaded
    assert ("ga:script:0" in script_keys(render_scripts(gate, "head"))) is loaded
    assert ("www.googletagmanager.com" in gate.hosts) is loaded
    assert "ga" in {v.id for v in gate.blocked}
    # The Consent Mode default that goes with it says denied.
    assert consent_mode_values(reg, state)["analytics_storage"] == "denied"


def test_advanced_mode_never_loads_other_vendors_or_pixels(reg: Registry) -> None:
    advanced = advanced_registry(consent_mode_advanced=True)
    gate = decide(advanced, read_in(ConsentState(advanced), advanced, "DE"), consent_mode=True)

    assert {v.id for v in gate.loaded} == {"essential", "ga"}
    assert "ads.example.net" not in str(render_scripts(gate, "body"))


def test_an_advanced_vendor_once_granted_loads_once() -> None:
    reg = advanced_registry(consent_mode_advanced=True)
    state = ConsentState.accept_all(reg, now=NOW)

    gate = decide(reg, state, consent_mode=True)

    ids = [v.id for v in gate.loaded]
    assert ids.count("ga") == 1
    assert gate.allows("ga")
    assert str(render_scripts(gate, "head")).count("gtag/js") == 1


def test_advanced_mode_loads_only_where_consent_mode_is_on() -> None:
    reg = advanced_registry(consent_mode_advanced=True)
    state = read_in(ConsentState(reg), reg, "DE")

    assert "ga" in {v.id for v in decide(reg, state, consent_mode=True).loaded}
    assert "ga" not in {v.id for v in decide(reg, state, consent_mode=False).loaded}


@pytest.mark.parametrize("wait", [None, 0, 500])
@pytest.mark.parametrize("nonce", [None, "n0nce"])
def test_the_precompiled_default_writes_what_the_plain_one_writes(
    reg: Registry, seed_registry: Registry, wait: int | None, nonce: str | None
) -> None:
    # Every combination of granted and denied over the types each registry emits.
    for registry in (reg, seed_registry):
        names = list(consent_mode_values(registry, ConsentState.undecided(registry)))
        for bits in range(2 ** len(names)):
            values = {n: "granted" if bits >> i & 1 else "denied" for i, n in enumerate(names)}
            expected = render_consent_mode_default(values, nonce, wait)
            assert consent_mode_default(registry, values, nonce, wait) == expected
            # The same types as bits of the registry's emitted types (what a page passes).
            emitted = registry.derived(ConsentModeTable).emitted
            as_bits = sum(1 << i for i, t in enumerate(emitted) if values[t.value] == "granted")
            assert consent_mode_default(registry, as_bits, nonce, wait) == expected


def reference_granted(registry: Registry, state: ConsentState) -> set[str]:
    """The module's rule, spelled out slowly: a type is granted when an allowed vendor maps it, or a
    category that is required, granted, or on while unasked maps it."""
    granted = {t.value for v in registry.vendors if state.allows(v.id) for t in v.consent_mode}
    for category in registry.categories:
        if category.required or state.allows_category(category.id):
            granted.update(t.value for t in category.consent_mode)
    return granted


def test_granted_types_are_the_values_as_bits(reg: Registry, seed_registry: Registry) -> None:
    """The page's bits and the decision JSON's values agree, for states of every kind and region."""
    for registry in (reg, seed_registry):
        emitted = registry.derived(ConsentModeTable).emitted
        optional = [c.id for c in registry.optional_categories]
        states = [ConsentState.undecided(registry), ConsentState.accept_all(registry, now=NOW)]
        states += [
            ConsentState(registry).with_choices(
                {}, {c: i >> k & 1 == 1 for k, c in enumerate(optional)}, method=Method.CUSTOM, now=NOW
            )
            for i in range(2 ** len(optional))
        ]
        for code in ("DE", "GB", "US-CA", "JP"):
            for state in states:
                here = read_in(state, registry, code)
                bits = granted_types(registry, here)
                values = consent_mode_values(registry, here)
                assert values == {
                    t.value: "granted" if bits >> i & 1 else "denied" for i, t in enumerate(emitted)
                }
                assert {t for t, v in values.items() if v == "granted"} == reference_granted(registry, here)
                # Each call gives its own dict: changing one never reaches another visitor.
                values["ad_storage"] = "changed"
                assert consent_mode_values(registry, here)["ad_storage"] != "changed"
