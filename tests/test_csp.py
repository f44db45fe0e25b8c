"""The Content-Security-Policy: only approved vendors' hosts, a per-response nonce, extras, report-only."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SEED_REGISTRY, registry_data
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_helpers import JSON, PAGE, example_app, find, give, html_of, post, synthetic_app
from werkzeug.test import TestResponse

from consent.csp import GATED_DIRECTIVES, build_policy, host_source, vendor_sources
from consent.gate import decide
from consent.registry import Registry
from consent.state import ConsentState, Method

ENFORCE = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"


def parse_policy(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        assert name not in policy, f"{name} twice"
        policy[name] = sources
    return policy


def policy_of(response: TestResponse, header: str = ENFORCE) -> dict[str, list[str]]:
    assert header in response.headers, dict(response.headers)
    return parse_policy(response.headers[header])


def host_sources(registry: Registry, vendor_ids: set[str], directive: str = "script-src") -> set[str]:
    """What these vendors put in one directive: each directive is built from what loads there (#13.3)."""
    return {s for v in registry.vendors if v.id in vendor_ids for s in vendor_sources(v).get(directive, ())}


def hosts_in(sources: list[str]) -> set[str]:
    return {s for s in sources if s.startswith(("https://", "*."))}


def required_ids(registry: Registry) -> set[str]:
    return {v.id for v in registry.vendors if registry.is_required(v)}


@pytest.fixture
def csp_app() -> Flask:
    return example_app(CONSENT_CSP="enforce")


@pytest.fixture
def csp_client(csp_app: Flask) -> FlaskClient:
    return csp_app.test_client()


# -- on and off -----------------------------------------------------------------------------------------


def test_no_policy_by_default(client: FlaskClient) -> None:
    response = client.get(PAGE)
    # Only the framing rule of a page with consent buttons (#13.2), no source lists.
    assert response.headers.getlist(ENFORCE) == ["frame-ancestors 'self'"]
    assert REPORT_ONLY not in response.headers


def test_enforce_sends_the_enforcing_header(csp_client: FlaskClient) -> None:
    response = csp_client.get(PAGE)
    assert ENFORCE in response.headers
    assert REPORT_ONLY not in response.headers


def test_report_only_sends_the_report_only_header() -> None:
    response = example_app(CONSENT_CSP="report-only").test_client().get(PAGE)
    assert REPORT_ONLY in response.headers
    # Only the framing rule is enforced: browsers ignore frame-ancestors in a report-only policy (#13.2).
    assert response.headers.getlist(ENFORCE) == ["frame-ancestors 'self'"]
    assert "default-src" in policy_of(response, REPORT_ONLY)


@pytest.mark.parametrize("path", ["/consent/status", "/t/pixel.gif"])
def test_non_html_responses_get_no_policy(csp_client: FlaskClient, path: str) -> None:
    response = csp_client.get(path)
    assert response.status_code == 200
    assert "default-src" not in response.headers.get(ENFORCE, "")


def test_a_json_decision_gets_no_policy(csp_client: FlaskClient) -> None:
    response = post(csp_client, {"action": "accept_all"}, headers=JSON)
    assert response.status_code == 200
    # The consent endpoints carry the framing rule only (#13.2), no source lists.
    assert response.headers.getlist(ENFORCE) == ["frame-ancestors 'self'"]


def test_the_preferences_page_gets_a_policy(csp_client: FlaskClient) -> None:
    policy = policy_of(csp_client.get("/consent/preferences"))
    assert policy["style-src"][0] == "'self'"
    assert policy["object-src"] == ["'none'"]


# -- hosts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("directive", GATED_DIRECTIVES)
def test_an_undecided_visitor_allows_no_optional_host(
    csp_client: FlaskClient, seed_registry: Registry, directive: str
) -> None:
    sources = policy_of(csp_client.get(PAGE))[directive]
    assert hosts_in(sources) == host_sources(seed_registry, required_ids(seed_registry), directive)
    optional = host_sources(seed_registry, {v.id for v in seed_registry.optional_vendors()}, directive)
    assert not optional - host_sources(seed_registry, required_ids(seed_registry), directive) & set(sources)


def test_an_undecided_visitor_of_a_site_without_required_hosts_allows_no_host() -> None:
    data = registry_data(6)
    for vendor in data["vendors"]:
        if vendor["category"] == "necessary":
            vendor["hosts"] = []
    app = synthetic_app(Registry.model_validate(data), CONSENT_CSP="enforce")
    policy = policy_of(app.test_client().get("/"))
    for directive in GATED_DIRECTIVES:
        assert hosts_in(policy[directive]) == set()
    assert not any("example.com" in s for sources in policy.values() for s in sources)


@pytest.mark.parametrize("directive", GATED_DIRECTIVES)
def test_statistics_only_allows_exactly_the_statistics_hosts(
    csp_app: Flask, csp_client: FlaskClient, seed_registry: Registry, directive: str
) -> None:
    give(csp_client, csp_app, action="custom", category="statistics")
    sources = policy_of(csp_client.get(PAGE))[directive]
    statistics = {v.id for v in seed_registry.vendors_in("statistics")}
    assert hosts_in(sources) == host_sources(
        seed_registry, statistics | required_ids(seed_registry), directive
    )
    # Google Analytics: its loader's host runs scripts, its beacon hosts only receive requests.
    assert ("https://www.googletagmanager.com/gtag/" in sources) == (directive == "script-src")
    assert ("*.google-analytics.com" in sources) == (directive != "script-src")
    assert "https://pagead2.googlesyndication.com" not in sources


def test_accept_all_allows_every_host(
    csp_app: Flask, csp_client: FlaskClient, seed_registry: Registry
) -> None:
    give(csp_client, csp_app, action="accept_all")
    policy = policy_of(csp_client.get(PAGE))
    for directive in GATED_DIRECTIVES:
        expected = host_sources(seed_registry, {v.id for v in seed_registry.vendors}, directive)
        assert hosts_in(policy[directive]) == expected
    # Server-side only (Akismet) and hosts that serve anyone's code never reach script-src.
    assert not {"https://rest.akismet.com", "*.amazonaws.com", "https://cdnjs.cloudflare.com"} & set(
        policy["script-src"]
    )


def test_a_single_grant_adds_only_its_hosts(
    csp_app: Flask, csp_client: FlaskClient, seed_registry: Registry
) -> None:
    give(csp_client, csp_app, action="grant", vendor="vimeo")
    policy = policy_of(csp_client.get(PAGE))
    required = required_ids(seed_registry)
    added = {d: hosts_in(policy[d]) - host_sources(seed_registry, required, d) for d in GATED_DIRECTIVES}
    assert added == {  # the player is framed; its other hosts serve images and API calls
        "script-src": set(),
        "frame-src": {"https://player.vimeo.com"},
        "img-src": {"https://vimeo.com", "*.vimeocdn.com"},
        "connect-src": {"https://vimeo.com", "*.vimeocdn.com"},
    }


def test_withdrawing_removes_the_hosts(
    csp_app: Flask, csp_client: FlaskClient, seed_registry: Registry
) -> None:
    give(csp_client, csp_app, action="accept_all")
    give(csp_client, csp_app, action="withdraw")
    policy = policy_of(csp_client.get(PAGE))
    for directive in GATED_DIRECTIVES:
        assert hosts_in(policy[directive]) == host_sources(
            seed_registry, required_ids(seed_registry), directive
        )


# -- nonce -----------------------------------------------------------------------------------------------


def nonce_of(policy: dict[str, list[str]]) -> str:
    (nonce,) = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    return nonce.removeprefix("'nonce-").removesuffix("'")


def test_every_script_carries_the_policy_nonce(csp_app: Flask, csp_client: FlaskClient) -> None:
    give(csp_client, csp_app, action="accept_all")
    response = csp_client.get(PAGE)
    nonce = nonce_of(policy_of(response))
    scripts = list(find(html_of(response), "script"))
    assert len(scripts) > 10
    assert {s.attrs.get("nonce") for s in scripts} == {nonce}


def test_the_widget_script_carries_the_nonce_for_an_undecided_visitor(csp_client: FlaskClient) -> None:
    response = csp_client.get(PAGE)
    consent_mode, microsoft, widget = find(html_of(response), "script")
    nonce = nonce_of(policy_of(response))
    assert microsoft.attrs["data-consent-microsoft"] == "default"
    assert microsoft.attrs["nonce"] == nonce
    assert widget.attrs["nonce"] == nonce
    assert "data-consent-reload" in widget.attrs
    assert consent_mode.attrs["data-consent-mode"] == "default"
    assert consent_mode.attrs["nonce"] == nonce


def test_the_style_nonce_is_the_script_nonce(csp_client: FlaskClient) -> None:
    policy = policy_of(csp_client.get(PAGE))
    assert f"'nonce-{nonce_of(policy)}'" in policy["style-src"]


def test_each_response_gets_a_new_nonce(csp_client: FlaskClient) -> None:
    first = nonce_of(policy_of(csp_client.get(PAGE)))
    second = nonce_of(policy_of(csp_client.get(PAGE)))
    assert first != second
    assert len(first) >= 22


def test_consent_nonce_in_a_template_is_the_policy_nonce(csp_app: Flask) -> None:
    @csp_app.get("/own-script")
    def own_script() -> str:
        return render_template_string(
            "<script nonce='{{ consent_nonce() }}'>1</script>{{ consent.is_decided }}"
        )

    response = csp_app.test_client().get("/own-script")
    (script,) = find(html_of(response), "script")
    assert script.attrs["nonce"] == nonce_of(policy_of(response))


def test_no_inline_style_that_the_policy_would_block(csp_app: Flask, csp_client: FlaskClient) -> None:
    give(csp_client, csp_app, action="accept_all")
    response = csp_client.get(PAGE)
    assert "'unsafe-inline'" not in policy_of(response)["style-src"]
    html = html_of(response)
    assert [i for i in find(html, "img") if i.attrs.get("data-consent-key")]  # pixels are on the page
    assert [e.tag for e in find(html) if "style" in e.attrs] == []
    assert not list(find(html, "style"))


def test_no_nonce_on_scripts_without_csp(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="accept_all")
    scripts = list(find(html_of(client.get(PAGE)), "script"))
    assert scripts
    assert all("nonce" not in s.attrs for s in scripts)


# -- extras and reports --------------------------------------------------------------------------------


def test_extra_sources_are_merged() -> None:
    extra = {"img-src": ["https://cdn.example", "'self'"], "font-src": ["https://fonts.example"]}
    app = example_app(CONSENT_CSP="enforce", CONSENT_CSP_EXTRA=extra)
    policy = policy_of(app.test_client().get(PAGE))
    assert "https://cdn.example" in policy["img-src"]
    assert policy["img-src"].count("'self'") == 1
    assert "data:" in policy["img-src"]
    assert policy["font-src"] == ["https://fonts.example"]
    assert "https://cdn.example" not in policy["script-src"]


def test_extra_sources_survive_a_decision() -> None:
    app = example_app(CONSENT_CSP="enforce", CONSENT_CSP_EXTRA={"script-src": ["https://own-cdn.example"]})
    client = app.test_client()
    give(client, app, action="accept_all")
    sources = policy_of(client.get(PAGE))["script-src"]
    assert "https://own-cdn.example" in sources
    assert "https://www.googletagmanager.com/gtag/" in sources


def test_the_report_uri_is_added() -> None:
    app = example_app(CONSENT_CSP="report-only", CONSENT_CSP_REPORT_URI="/csp-reports")
    policy = policy_of(app.test_client().get(PAGE), REPORT_ONLY)
    assert policy["report-uri"] == ["/csp-reports"]


def test_no_report_uri_by_default(csp_client: FlaskClient) -> None:
    assert "report-uri" not in policy_of(csp_client.get(PAGE))


# -- build_policy without Flask ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "source"),
    [("www.youtube.com", "https://www.youtube.com"), ("*.ytimg.com", "*.ytimg.com")],
)
def test_host_source(host: str, source: str) -> None:
    assert host_source(host) == source


def test_build_policy_for_an_undecided_visitor(make_registry: Any) -> None:
    registry = make_registry(3)  # no required vendor among vendor-1..3
    policy = parse_policy(build_policy(decide(registry, ConsentState.undecided(registry)), "abc"))
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'nonce-abc'"],
        "style-src": ["'self'", "'nonce-abc'"],
        "img-src": ["'self'", "data:"],
        "frame-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }


def test_build_policy_puts_each_host_where_the_vendor_loads_from_it() -> None:
    data = registry_data(3)
    data["vendors"][1].update(
        hosts=["cdn.vendor-2.example.com", "px.vendor-2.example.com", "*.beacon.vendor-2.example.com"],
        scripts=[{"src": "https://cdn.vendor-2.example.com/tag.js"}],
        pixels=[{"src": "https://px.vendor-2.example.com/p.gif"}],
    )
    data["vendors"][2].update(
        hosts=["player.vendor-3.example.com", "img.vendor-3.example.com"],
        embeds=[{"src": "https://player.vendor-3.example.com/v/{id}"}],
    )
    registry = Registry.model_validate(data)
    state = ConsentState.undecided(registry).with_choices(
        {"vendor-1": True, "vendor-2": True, "vendor-3": True}, method=Method.EMBED
    )
    policy = parse_policy(build_policy(decide(registry, state), "abc"))
    assert {d: hosts_in(policy[d]) for d in GATED_DIRECTIVES} == {
        "script-src": {"https://cdn.vendor-2.example.com/tag.js"},  # a file at the root: itself only
        "img-src": {
            "https://px.vendor-2.example.com",
            "*.beacon.vendor-2.example.com",
            "https://img.vendor-3.example.com",
        },
        "frame-src": {  # a vendor with scripts may open frames from its hosts (captchas, ad slots)
            "https://cdn.vendor-2.example.com",
            "https://px.vendor-2.example.com",
            "*.beacon.vendor-2.example.com",
            "https://player.vendor-3.example.com",
        },
        "connect-src": {"*.beacon.vendor-2.example.com", "https://img.vendor-3.example.com"},
    }
    # vendor-1 declares a host but loads nothing in the browser (server-side only): it adds nothing.
    assert "vendor-1" not in build_policy(decide(registry, state), "abc")


def test_a_page_that_never_asks_about_consent_still_gets_the_policy() -> None:
    from flask import Flask

    from consent import Consent

    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", CONSENT_CSP="enforce", CONSENT_REGISTRY=str(SEED_REGISTRY))
    Consent(app)

    @app.get("/plain")
    def plain() -> str:
        return (
            '<p>no consent helpers here</p><script src="https://www.googletagmanager.com/gtag/js"></script>'
        )

    response = app.test_client().get("/plain")

    policy = response.headers["Content-Security-Policy"]
    assert "googletagmanager" not in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "Cookie" in response.headers["Vary"]
    assert response.cache_control.private
