"""The wiring of regions, Global Privacy Control, Consent Mode and a cookie shared by subdomains.

These tests drive the example site through the test client and check what only the Flask layer does:
reading the region header, the subdivision header or a resolver into a code, reading ``Sec-GPC``,
rendering the first layer, the panel, the link and the Consent Mode default into the page, the JSON
answer, ``/.well-known/gpc.json``, Vary and Cache-Control, and the cookie's name and domain. The rules
themselves (each region's policy, what runs before a decision, what GPC stops, what an opt-out or an
acknowledgement decides, which Consent Mode types a stored choice grants) are tested without Flask in
``test_regions.py``, ``test_decisions.py``, ``test_state.py`` and ``test_consent_mode.py``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import vendor
from flask import Flask, Request
from flask.testing import FlaskClient
from flask_helpers import (
    JSON,
    PAGE,
    codec_of,
    consent_from,
    example_app,
    find,
    html_of,
    post,
    set_cookies,
    synthetic_app,
)
from werkzeug.test import TestResponse

from consent.consent_mode import consent_mode_values
from consent.regions import default_vendors, policy_of
from consent.registry import ConsentModeType, Registry
from consent.state import ConsentState, Signal

REGION = "X-Region"
TYPES = {t.value for t in ConsentModeType}
ADS = {"ad_storage", "ad_user_data", "ad_personalization"}
GPC = {"Sec-GPC": "1"}


@pytest.fixture
def app() -> Flask:
    """The example site behind a proxy that sets the visitor's region in ``X-Region``."""
    return example_app(CONSENT_REGION_HEADER=REGION)


def at(code: str | None, *, gpc: bool = False, **more: str) -> dict[str, str]:
    """Request headers of a visitor from ``code`` (``None``: the proxy sent no region)."""
    headers = {REGION: code} if code is not None else {}
    return headers | (GPC if gpc else {}) | more


def optional(registry: Registry) -> set[str]:
    return {v.id for v in registry.optional_vendors()}


def sellers(registry: Registry) -> set[str]:
    return {v.id for v in registry.vendors if v.sale_share}


def sourced(registry: Registry) -> set[str]:
    """Vendors whose presence shows in the page as a script or pixel tag."""
    return {v.id for v in registry.vendors if v.scripts or v.pixels}


def loaded(html: str) -> set[str]:
    """Vendors whose scripts or pixels the page contains."""
    return {key.split(":")[0] for key in re.findall(r'data-consent-key="([^"]+)"', html)}


def first_layer(html: str) -> str | None:
    """Which first layer the page shows: "opt-in" (the banner), "opt-out", "notice", or None."""
    sections = list(find(html, "section", id="consent-banner"))
    if not sections:
        return None
    (section,) = sections
    (title,) = find(section.outer_html, "h2")
    actions = frozenset(str(b.attrs["value"]) for b in find(section.outer_html, "button", name="action"))
    kinds = {
        ("This website uses cookies", frozenset({"accept_all", "reject_all"})): "opt-in",
        ("This website uses cookies", frozenset({"acknowledge"})): "notice",
        ("Your privacy choices", frozenset({"opt_out", "acknowledge"})): "opt-out",
        ("Your privacy choices", frozenset({"acknowledge"})): "opt-out",  # with GPC: already opted out
    }
    return kinds[(title.inner_text, actions)]


def honours_gpc(html: str) -> bool:
    return "data-consent-gpc-honoured" in html


def consent_mode_default(html: str) -> tuple[int, dict[str, Any]]:
    """Where the page's Consent Mode default script starts, and its settings."""
    (script,) = find(html, "script", data_consent_mode="default")
    match = re.search(r"gtag\('consent','default',(\{.*?\})\);", script.outer_html)
    assert match is not None
    settings: dict[str, Any] = json.loads(match.group(1))
    return script.start, settings


def first_google_tag(html: str) -> int:
    """Where the first Google tag (the gtag.js loader or a ``gtag('config')``) starts."""
    starts = [
        s.start
        for s in find(html, "script")
        if "googletagmanager.com" in (s.attrs.get("src") or "") or "gtag('config'" in s.outer_html
    ]
    assert starts, "no Google tag on the page"
    return min(starts)


def granted(values: dict[str, str]) -> set[str]:
    return {t for t, v in values.items() if v == "granted"}


def vary_of(response: TestResponse) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def decide(client: FlaskClient, app: Flask, headers: dict[str, str], **form: Any) -> ConsentState:
    response = post(client, form, headers=headers)
    assert response.status_code == 303, response.get_data(as_text=True)
    state = consent_from(response, app)
    assert state is not None
    return state


# -- where the region comes from ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {REGION: "US-CA"},
        {"CF-IPCountry": "US", "CF-Region-Code": "CA"},
        {"CloudFront-Viewer-Country": "US", "CloudFront-Viewer-Country-Region": "CA"},
        {REGION: "US-CA", "Sec-GPC": "1"},
    ],
)
def test_a_region_header_is_ignored_unless_configured(
    headers: dict[str, str], seed_registry: Registry
) -> None:
    client = example_app().test_client()  # no CONSENT_REGION_HEADER

    response = client.get(PAGE, headers=headers)

    html = html_of(response)
    assert first_layer(html) == "opt-in"
    assert loaded(html) == set()
    assert client.get("/consent/status", headers=headers).json["current_policy"] == "opt-in"  # type: ignore[index]
    assert not vary_of(response) & {h.lower() for h in headers if h != "Sec-GPC"}


@pytest.mark.parametrize(
    ("code", "layer", "policy"),
    [
        # The header's value reaches resolve_region as it is; the policy of each code is the core's
        # (test_regions.py, test_the_example_site_policy_by_code).
        ("US-CA", "opt-out", "opt-out"),
        ("", "opt-in", "opt-in"),
        (None, "opt-in", "opt-in"),
        ("US-CA, US-TX", "opt-in", "opt-in"),
    ],
)
def test_a_configured_region_header_is_trusted(
    code: str | None, layer: str, policy: str, client: FlaskClient, seed_registry: Registry
) -> None:
    html = html_of(client.get(PAGE, headers=at(code)))

    assert first_layer(html) == layer
    expected = optional(seed_registry) & sourced(seed_registry) if policy == "opt-out" else set()
    assert loaded(html) == expected
    assert client.get("/consent/status", headers=at(code)).json["current_policy"] == policy  # type: ignore[index]


@pytest.mark.parametrize(
    ("headers", "policy"),
    [
        ({"X-Country": "US", "X-Subdivision": "CA"}, "opt-out"),
        ({"X-Country": "US"}, "opt-in"),
        ({"X-Subdivision": "CA"}, "opt-in"),  # a subdivision of nowhere
    ],
)
def test_the_subdivision_header_is_joined_to_the_country(headers: dict[str, str], policy: str) -> None:
    app = example_app(CONSENT_REGION_HEADER="X-Country", CONSENT_SUBDIVISION_HEADER="X-Subdivision")
    client = app.test_client()

    response = client.get(PAGE, headers=headers)

    assert first_layer(html_of(response)) == policy
    assert {"x-country", "x-subdivision"} <= vary_of(response)


def geoip(table: dict[str, str | None]) -> Callable[[Request], str | None]:
    """A stand-in for a GeoIP lookup: the region of the visitor's address."""
    return lambda request: table.get(request.remote_addr or "")


@pytest.mark.parametrize(
    ("address", "policy"),
    [
        ("203.0.113.5", "opt-out"),
        ("192.0.2.1", "opt-in"),  # the resolver knows no region: unknown, whatever the header says
    ],
)
def test_a_resolver_callable_decides_the_region(address: str, policy: str) -> None:
    resolver = geoip({"203.0.113.5": "US-CA", "192.0.2.1": None})
    # The resolver wins over a configured header: it is what the site chose.
    app = example_app(CONSENT_REGION_RESOLVER=resolver, CONSENT_REGION_HEADER=REGION)
    client = app.test_client()

    response = client.get(PAGE, headers=at("JP"), environ_base={"REMOTE_ADDR": address})

    assert first_layer(html_of(response)) == policy
    # A cache cannot key on an address lookup: the page is private, and the header is no key of it.
    assert response.cache_control.private
    assert REGION.lower() not in vary_of(response)


# -- Global Privacy Control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "honoured"),
    [
        ("1", True),
        # Whitespace around a field value is not part of it (RFC 9110, section 5.5): servers strip it.
        ("1 ", True),
        (" 1", True),
        ("0", False),
        ("true", False),
        ("1,1", False),
        ("01", False),
        ("1.0", False),
        ("yes", False),
        ("", False),
        ("1;q=1", False),
    ],
)
def test_gpc_is_exactly_1(value: str, honoured: bool, client: FlaskClient, seed_registry: Registry) -> None:
    headers = at("US-CA") | {"Sec-GPC": value}

    html = html_of(client.get(PAGE, headers=headers))

    assert honours_gpc(html) is honoured
    assert bool(loaded(html) & sellers(seed_registry)) is not honoured
    state = decide(client, client.application, headers, action="acknowledge")
    assert state.signals == ({Signal.GPC} if honoured else set())


def test_gpc_in_an_opt_in_region_grants_nothing_and_the_banner_notes_it(client: FlaskClient) -> None:
    # That GPC grants nothing in any opt-in region is the core's rule (test_regions.py); here: the page.
    without = html_of(client.get(PAGE, headers=at("DE")))
    with_gpc = html_of(client.get(PAGE, headers=at("DE", gpc=True)))

    assert first_layer(with_gpc) == first_layer(without) == "opt-in"
    assert loaded(with_gpc) == loaded(without) == set()
    assert "Global Privacy Control" in with_gpc
    assert "Global Privacy Control" not in without


def test_gpc_in_an_opt_out_region_is_the_opt_out(client: FlaskClient, seed_registry: Registry) -> None:
    html = html_of(client.get(PAGE, headers=at("US-CA", gpc=True)))

    assert first_layer(html) == "opt-out"
    assert honours_gpc(html)
    assert loaded(html) == (optional(seed_registry) - sellers(seed_registry)) & sourced(seed_registry)
    # No button to opt out again: the signal already did.
    assert 'value="opt_out"' not in next(find(html, "section", id="consent-banner")).outer_html
    status = client.get("/consent/status", headers=at("US-CA", gpc=True)).json
    assert status is not None and not status["decided"]


# -- the one-step opt-out and the notice ------------------------------------------------------------


def test_the_opt_out_by_script_asks_for_a_reload(client: FlaskClient, seed_registry: Registry) -> None:
    response = post(client, {"action": "opt_out"}, headers=at("US-CA") | JSON)

    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["reload"] is True  # the ad scripts already on the page must go
    assert {v for v, d in body["vendors"].items() if d == "denied"} == sellers(seed_registry)
    assert granted(body["consent_mode"]) == TYPES - ADS


def test_the_opt_out_is_one_step_from_the_notice_and_from_the_preferences(client: FlaskClient) -> None:
    notice = next(find(html_of(client.get(PAGE, headers=at("US-CA"))), "section", id="consent-banner"))
    (button,) = find(notice.outer_html, "button", value="opt_out")
    assert button.inner_text == "Do not sell or share my personal information"
    (form,) = find(notice.outer_html, "form")
    assert form.attrs["method"] == "post"

    panel = html_of(client.get(f"/consent/preferences?next={PAGE}", headers=at("US-CA")))
    assert len(list(find(panel, "button", value="opt_out"))) == 1
    gpc_panel = html_of(client.get(f"/consent/preferences?next={PAGE}", headers=at("US-CA", gpc=True)))
    assert honours_gpc(gpc_panel)
    assert not list(
        find(html_of(client.get("/consent/preferences", headers=at("DE"))), "button", value="opt_out")
    )


@pytest.mark.parametrize(
    ("code", "gpc", "on"),
    [
        # The region and GPC reach the panel's boxes; that saving them untouched keeps what ran, in
        # every region, is the core's rule (test_decisions.py).
        ("US-CA", True, {"functional", "statistics"}),
        ("GB", False, set()),  # one statistics vendor runs (exempt), not the purpose
    ],
)
def test_the_panel_shows_what_runs(
    code: str, gpc: bool, on: set[str], client: FlaskClient, app: Flask, seed_registry: Registry
) -> None:
    html = html_of(client.get(f"/consent/preferences?next={PAGE}", headers=at(code, gpc=gpc)))

    purposes = {e.attrs["value"] for e in find(html, "input", name="category") if "checked" in e.attrs}
    assert purposes == on
    ticked = {str(e.attrs["value"]) for e in find(html, "input", name="vendor") if "checked" in e.attrs}
    expected = default_vendors(seed_registry, seed_registry.policy_for(code), gpc)
    assert ticked == expected
    # Saving the panel untouched keeps what ran.
    form = {"action": "custom", "category": sorted(on), "vendor": sorted(ticked)}
    state = decide(client, app, at(code, gpc=gpc), **form)
    assert {v for v in optional(seed_registry) if state.allows(v)} == expected


LINKS = [
    ("US-CA", True, "Your Privacy Choices"),
    ("DE", False, "Cookie settings"),
    (None, False, "Cookie settings"),
]


def test_the_persistent_link(client: FlaskClient) -> None:
    # One app for every region, twice over: the link is cached, and no region may get another's.
    for code, icon, text in LINKS * 2:
        html = html_of(client.get(PAGE, headers=at(code)))
        (link,) = find(html, "a", class_="consent-settings-link")
        assert link.inner_text == text
        assert bool(list(find(link.outer_html, "svg", class_="consent-choices-icon"))) is icon
        assert link.attrs["href"] == "/consent/preferences"


def test_an_opt_out_decision_read_in_an_opt_in_region_asks_again(client: FlaskClient, app: Flask) -> None:
    # The stored decision is read where the visitor is now; which readings ask again is the core's rule
    # (test_regions.py: every method, region and exemption).
    decide(client, app, at("US-CA"), action="opt_out")

    html = html_of(client.get(PAGE, headers=at("DE")))

    assert first_layer(html) == "opt-in"
    assert loaded(html) == set()
    status = client.get("/consent/status", headers=at("DE")).json
    assert status is not None
    assert (status["decided"], status["needs_prompt"]) == (True, True)
    assert (status["policy"], status["current_policy"]) == ("opt-out", "opt-in")
    # Back in California the decision stands.
    assert first_layer(html_of(client.get(PAGE, headers=at("US-CA")))) is None


# -- notice-only regions (a synthetic registry: the example site has none) ---------------------------


def notice_registry() -> Registry:
    def tagged(vendor_id: str, number: int, category: str, **extra: Any) -> dict[str, Any]:
        host = f"{vendor_id}.example.com"
        return vendor(
            vendor_id, number, category, hosts=[host], scripts=[{"src": f"https://{host}/tag.js"}], **extra
        )

    return Registry.model_validate(
        {
            "name": "Notice",
            "categories": [
                {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
                {"id": "statistics", "title": "Statistics", "order": 1},
                {"id": "marketing", "title": "Marketing", "order": 2},
            ],
            "vendors": [
                tagged("stats", 1, "statistics", consent_mode=["analytics_storage"]),
                tagged("ads", 2, "marketing", sale_share=True, consent_mode=["ad_storage"]),
            ],
            "regions": [{"id": "jp", "policy": "notice", "codes": ["JP"]}],
        }
    )


@pytest.fixture
def notice_app() -> Flask:
    return synthetic_app(notice_registry(), CONSENT_REGION_HEADER=REGION)


def test_a_notice_only_region_shows_the_notice(notice_app: Flask) -> None:
    # What runs under a notice, with or without GPC, and what acknowledging or declining later does are
    # the core's rules (test_regions.py, test_decisions.py); here: the notice layer in the page.
    client = notice_app.test_client()

    html = html_of(client.get("/", headers=at("JP")))

    assert first_layer(html) == "notice"
    assert loaded(html) == {"stats", "ads"}


# -- /.well-known/gpc.json ---------------------------------------------------------------------------


def test_gpc_json_is_served(client: FlaskClient) -> None:
    response = client.get("/.well-known/gpc.json", headers=at("US-CA", gpc=True))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"gpc": True, "lastUpdate": "2026-11-25"}
    assert response.cache_control.public
    assert response.cache_control.max_age == 86400
    assert "cookie" not in vary_of(response)  # the same for everyone
    assert "Set-Cookie" not in response.headers


def test_gpc_json_without_a_date_and_switched_off(notice_app: Flask) -> None:
    assert notice_app.test_client().get("/.well-known/gpc.json").json == {"gpc": True}
    off = synthetic_app(notice_registry(), CONSENT_GPC_JSON=False)
    assert off.test_client().get("/.well-known/gpc.json").status_code == 404


# -- shared caches -----------------------------------------------------------------------------------

COMBINATIONS = list(
    itertools.product(["DE", "GB", "US-CA", "ZZ", None], [False, True], [None, "accept_all", "opt_out"])
)


@pytest.mark.parametrize(("code", "gpc", "decision"), COMBINATIONS)
def test_every_response_that_depends_on_region_signal_or_consent_says_so(
    code: str | None, gpc: bool, decision: str | None, client: FlaskClient
) -> None:
    headers = at(code, gpc=gpc)
    responses = []
    if decision is not None:
        responses.append(post(client, {"action": decision}, headers=headers))
        responses.append(post(client, {"action": decision}, headers=headers | JSON))
    for path in (PAGE, "/", "/privacy", f"/consent/preferences?next={PAGE}", "/consent/status"):
        responses.append(client.get(path, headers=headers))

    for response in responses:
        assert response.status_code in (200, 303)
        assert {"cookie", "sec-gpc", REGION.lower()} <= vary_of(response), response.request.path
        directives = response.cache_control
        assert directives.private or directives.no_store, response.request.path
        assert not directives.public


def test_the_pages_do_differ_by_region_signal_and_consent(client: FlaskClient, app: Flask) -> None:
    # What the Vary headers above protect: these pages are not the same.
    def page(headers: dict[str, str]) -> str:
        return html_of(client.get(PAGE, headers=headers))

    assert page(at("DE")) != page(at("US-CA"))
    assert page(at("US-CA")) != page(at("US-CA", gpc=True))
    assert page(at("DE")) != page(at("DE", gpc=True))
    undecided = page(at("DE"))
    decide(client, app, at("DE"), action="accept_all")
    assert page(at("DE")) != undecided


def test_a_site_cache_control_is_made_private() -> None:
    app = example_app(CONSENT_REGION_HEADER=REGION)

    @app.get("/cached")
    def cached() -> Any:
        from flask import render_template_string

        response = app.make_response(render_template_string("{{ consent_banner() }}"))
        response.cache_control.public = True
        response.cache_control.max_age = 600
        return response

    response = app.test_client().get("/cached", headers=at("US-CA"))

    assert response.cache_control.private
    assert not response.cache_control.public
    assert {"cookie", "sec-gpc", "x-region"} <= vary_of(response)


def test_a_page_that_uses_no_consent_helper_is_left_alone(notice_app: Flask) -> None:
    response = notice_app.test_client().get("/plain", headers=at("JP", gpc=True))

    assert "Vary" not in response.headers
    assert "Cache-Control" not in response.headers


# -- Consent Mode in the page ------------------------------------------------------------------------

# The values for every stored choice and region are the core's (test_consent_mode.py,
# test_the_example_site_values_for_each_stored_choice); these cases prove that a decision's JSON answer
# and the page's default script carry them: a posted choice, the region and GPC of an undecided visitor,
# and a choice stored under GPC read with the signal.
STATES: dict[str, tuple[str | None, bool, dict[str, Any] | None, set[str]]] = {
    # name: (region, GPC, decision form, granted types)
    "statistics-in-de": (
        "DE",
        False,
        {"action": "custom", "category": "statistics"},
        {"security_storage", "analytics_storage"},
    ),
    "undecided-in-ca-gpc": ("US-CA", True, None, TYPES - ADS),
    "accepted-in-ca-gpc": ("US-CA", True, {"action": "accept_all"}, TYPES),
}


@pytest.mark.parametrize("name", list(STATES))
def test_the_consent_mode_default_matches_the_stored_choices_and_comes_first(
    name: str, client: FlaskClient, app: Flask, seed_registry: Registry
) -> None:
    code, gpc, form, expected = STATES[name]
    headers = at(code, gpc=gpc)
    if form is not None:
        decision = post(client, form, headers=headers | JSON)
        assert decision.status_code == 200
        body = decision.json
        assert body is not None
        assert granted(body["consent_mode"]) == expected  # what consent.js pushes as the update

    html = html_of(client.get(PAGE, headers=headers))
    start, settings = consent_mode_default(html)

    assert granted(settings) == expected
    assert set(settings) == TYPES  # no wait_for_update unless configured
    # The same answer as the library gives for the stored cookie read here.
    region = seed_registry.policy_for(code)
    stored = ConsentState(seed_registry)
    if form is not None:
        cookie = client.get_cookie(codec_of(app).name)
        assert cookie is not None
        stored = codec_of(app).decode(cookie.value)
    state = stored.in_region(policy_of(region), default_vendors(seed_registry, region, gpc))
    assert settings == consent_mode_values(seed_registry, state)
    if any(v.startswith("hubpages-google-analytics") for v in loaded(html)):
        assert start < first_google_tag(html)
    # Before every script of the page but none: nothing may run before the default.
    assert all(s.start >= start for s in find(html, "script"))


def test_the_google_tag_is_on_the_page_only_with_the_default_before_it(
    client: FlaskClient, app: Flask
) -> None:
    for headers in (at("US-CA"), at("DE")):
        if headers == at("DE"):
            decide(client, app, headers, action="accept_all")
        html = html_of(client.get(PAGE, headers=headers))
        start, _ = consent_mode_default(html)
        assert start < first_google_tag(html)


def test_wait_for_update_and_the_nonce() -> None:
    app = example_app(CONSENT_REGION_HEADER=REGION, CONSENT_CONSENT_MODE_WAIT=500, CONSENT_CSP="enforce")
    response = app.test_client().get(PAGE, headers=at("US-CA"))
    html = html_of(response)

    _, settings = consent_mode_default(html)
    assert settings["wait_for_update"] == 500
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    scripts = list(find(html, "script"))
    assert len(scripts) > 10
    assert {s.attrs.get("nonce") for s in scripts} == {nonce.group(1)}


@pytest.mark.parametrize(("setting", "emitted"), [(None, True), (True, True), (False, False)])
def test_consent_mode_can_be_switched(setting: bool | None, emitted: bool) -> None:
    app = example_app(CONSENT_CONSENT_MODE=setting)
    client = app.test_client()

    html = html_of(client.get(PAGE))
    body = post(client, {"action": "accept_all"}, headers=JSON).json

    assert ("data-consent-mode" in html) is emitted
    assert body is not None and ("consent_mode" in body) is emitted


def test_a_registry_without_a_mapping_emits_no_consent_mode() -> None:
    data = notice_registry().model_dump(mode="python")
    for item in data["vendors"]:
        item["consent_mode"] = ()
    app = synthetic_app(Registry.model_validate(data))

    assert "data-consent-mode" not in html_of(app.test_client().get("/"))


def advanced_registry(advanced: bool) -> Registry:
    data = notice_registry().model_dump(mode="python")
    data["vendors"][0].update(
        hosts=["www.googletagmanager.com"],
        scripts=[{"src": "https://www.googletagmanager.com/gtag/js?id=G-1", "placement": "head"}],
        consent_mode_advanced=advanced,
    )
    return Registry.model_validate(data)


@pytest.mark.parametrize("advanced", [False, True], ids=["basic", "advanced"])
def test_basic_and_advanced_mode_in_the_page(advanced: bool) -> None:
    app = synthetic_app(advanced_registry(advanced), CONSENT_REGION_HEADER=REGION, CONSENT_CSP="enforce")
    client = app.test_client()

    response = client.get("/", headers=at("DE"))
    html = html_of(response)

    start, settings = consent_mode_default(html)
    assert settings["analytics_storage"] == "denied"
    assert first_layer(html) == "opt-in"
    assert ("stats" in loaded(html)) is advanced  # advanced: the tag loads, with storage denied
    if advanced:
        assert start < first_google_tag(html)
        assert "https://www.googletagmanager.com" in response.headers["Content-Security-Policy"]
    status = client.get("/consent/status", headers=at("DE")).json
    assert status is not None and status["vendors"]["stats"] == "unasked"  # loading is not consent


# -- one consent across subdomains ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "name", "domain", "secure"),
    [
        ({}, "__Host-consent", None, True),
        ({"CONSENT_COOKIE_DOMAIN": "reviews.test"}, "__Secure-consent", "reviews.test", True),
        (
            {"CONSENT_COOKIE_DOMAIN": "reviews.test", "CONSENT_COOKIE_SECURE": False},
            "consent",
            "reviews.test",
            False,
        ),
        ({"CONSENT_COOKIE_SECURE": False}, "consent", None, False),
    ],
)
def test_the_cookie_name_and_domain(
    config: dict[str, Any], name: str, domain: str | None, secure: bool
) -> None:
    app = example_app(**({"CONSENT_COOKIE_SECURE": True} | config))
    client = app.test_client()
    scheme = "https" if secure else "http"

    response = post(
        client,
        {"action": "accept_all"},
        headers={"Origin": f"{scheme}://www.reviews.test"},
        base_url=f"{scheme}://www.reviews.test",
    )

    jars = set_cookies(response)
    assert list(jars) == [name]
    morsel = jars[name][name]
    assert (morsel["domain"] or None) == domain
    assert bool(morsel["secure"]) is secure
    assert morsel["path"] == "/"
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    if name.startswith("__Host-"):  # the prefix's rules: Secure, Path=/, no Domain
        assert morsel["secure"] and not morsel["domain"]


@pytest.mark.parametrize("secure", [True, False])
def test_a_decision_on_one_subdomain_is_honoured_on_another(secure: bool) -> None:
    app = example_app(
        CONSENT_COOKIE_DOMAIN="reviews.test", CONSENT_COOKIE_SECURE=secure, CONSENT_REGION_HEADER=REGION
    )
    client = app.test_client()
    scheme = "https" if secure else "http"
    www, blog = f"{scheme}://www.reviews.test", f"{scheme}://blog.reviews.test"
    assert first_layer(html_of(client.get(PAGE, base_url=blog, headers=at("DE")))) == "opt-in"

    response = post(client, {"action": "reject_all"}, headers=at("DE") | {"Origin": www}, base_url=www)
    assert response.status_code == 303

    html = html_of(client.get(PAGE, base_url=blog, headers=at("DE")))
    assert first_layer(html) is None
    status = client.get("/consent/status", base_url=blog).json
    assert status is not None and (status["decided"], status["method"]) == (True, "reject_all")
    # Another site is no subdomain.
    other = client.get("/consent/status", base_url=f"{scheme}://reviews.example").json
    assert other is not None and not other["decided"]


def test_without_a_cookie_domain_each_host_decides_alone() -> None:
    app = example_app(CONSENT_COOKIE_SECURE=True)
    client = app.test_client()
    www, blog = "https://www.reviews.test", "https://blog.reviews.test"

    post(client, {"action": "accept_all"}, headers={"Origin": www}, base_url=www)

    assert client.get("/consent/status", base_url=www).json["decided"] is True  # type: ignore[index]
    assert client.get("/consent/status", base_url=blog).json["decided"] is False  # type: ignore[index]


def test_a_decision_posted_from_a_sibling_subdomain_is_refused() -> None:
    # A shared cookie is no licence for cross-origin posts: the form must come from the host it posts to.
    app = example_app(CONSENT_COOKIE_DOMAIN="reviews.test")
    client = app.test_client()

    response = post(
        client,
        {"action": "accept_all"},
        headers={"Origin": "https://evil.reviews.test"},
        base_url="https://www.reviews.test",
    )

    assert response.status_code == 400
    assert not set_cookies(response)


def test_a_failing_resolver_means_an_unknown_region_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Request) -> str | None:
        raise OSError("the GeoIP database is missing")

    client = example_app(CONSENT_REGION_RESOLVER=broken).test_client()

    response = client.get(PAGE)

    assert response.status_code == 200
    assert first_layer(html_of(response)) == "opt-in"
    assert "region resolver failed" in caplog.text
