"""Microsoft UET consent mode and Clarity consentv2 in Chromium: defaults before the tags, updates after.

A small Flask app of its own renders the defaults from the stored choice (a plain cookie here: the
codec is not what this proves), then the gate's tags; the UET and Clarity tags are fakes served in
place of bat.bing.com and www.clarity.ms that record the queue they find and every later call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, Response, request
from markupsafe import Markup
from playwright.sync_api import Browser, Page, Route
from preset_helpers import MAPPED_CATEGORIES, only_category

from consent.gate import decide, render_scripts
from consent.loader import parse_registry
from consent.microsoft_consent import microsoft_consent_update, render_microsoft_consent_default
from consent.registry import Registry
from consent.state import ConsentState

from .support import serve_app

pytestmark = pytest.mark.browser

REGISTRY = (
    MAPPED_CATEGORIES
    + """
[[vendors]]
id = "bing-ads"
number = 1
preset = "microsoft-uet"
params = { tag_id = "26012345" }
consent_mode_advanced = true
[[vendors]]
id = "clarity"
number = 2
preset = "microsoft-clarity"
params = { project_id = "abcdefghij" }
consent_mode_advanced = true
"""
)
NONCE = "t3st-n0nce"

# The fake bat.js: keeps what it finds in window.uetq, then stands in for UET and records every push.
FAKE_UET = """
window.__uetFound = JSON.parse(JSON.stringify(window.uetq));
window.__uetLog = [];
window.UET = function (options) {
  this.push = function () { window.__uetLog.push(JSON.parse(JSON.stringify(Array.from(arguments)))); };
  window.__uetTagId = options.ti;
};
"""
# The fake Clarity tag: keeps the calls queued by the stub, then records every later call.
FAKE_CLARITY = """
window.__clarityFound = (window.clarity && window.clarity.q || []).map(function (a) { return Array.from(a); });
window.__clarityLog = [];
window.clarity = function () { window.__clarityLog.push(Array.from(arguments)); };
"""
# What the widget does with the JSON answer to a choice (the lead wires this into consent.js).
APPLY_UPDATE = """
async function choose(choice) {
  const answer = await (await fetch('/choose', { method: 'POST', body: choice })).json();
  const m = answer.microsoft;
  if (m.uet) { window.uetq = window.uetq || []; window.uetq.push('consent', 'update', m.uet); }
  if (m.clarity) { window.clarity('consentv2', m.clarity); }
  window.__chosen = true;
}
document.querySelectorAll('button[data-choice]').forEach(function (b) {
  b.addEventListener('click', function () { choose(b.dataset.choice); });
});
"""


def state_for(registry: Registry, choice: str | None) -> ConsentState:
    if choice == "accept":
        return ConsentState.accept_all(registry)
    if choice == "reject":
        return ConsentState.reject_all(registry)
    if choice in ("statistics", "marketing"):
        return only_category(registry, choice)
    return ConsentState.undecided(registry)


def make_app(registry: Registry) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def page() -> Response:
        state = state_for(registry, request.cookies.get("choice"))
        gate = decide(registry, state, consent_mode=True)
        html = Markup(
            "<!doctype html><html><head><title>t</title>{}{}</head><body>"
            '<button data-choice="accept">Accept</button><button data-choice="reject">Reject</button>'
            '<button data-choice="statistics">Statistics only</button>'
            '<button data-choice="marketing">Marketing only</button>'
            '<script nonce="{}">{}</script></body></html>'
        ).format(
            render_microsoft_consent_default(registry, state, nonce=NONCE),
            render_scripts(gate, "head", nonce=NONCE),
            NONCE,
            Markup(APPLY_UPDATE),
        )
        response = Response(html, content_type="text/html")
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{NONCE}' https://bat.bing.com https://www.clarity.ms; connect-src 'self'"
        )
        return response

    @app.post("/choose")
    def choose() -> Response:
        choice = request.get_data(as_text=True)
        signals = microsoft_consent_update(registry, state_for(registry, choice))
        response = Response(json.dumps({"microsoft": signals.as_dict()}), content_type="application/json")
        response.set_cookie("choice", choice)
        return response

    return app


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_app(make_app(parse_registry(REGISTRY, "toml"))) as url:
        yield url


@contextmanager
def microsoft_fakes(browser: Browser, site: str) -> Iterator[tuple[Page, list[str]]]:
    """A page of ``site`` whose UET and Clarity tags are the fakes above; yields it with the URLs of the
    fakes it loaded. A request to any other outside host, or a console error, fails the test."""
    context = browser.new_context(base_url=site)
    context.set_default_timeout(10_000)
    served: list[str] = []
    outside: list[str] = []
    fakes = {"https://bat.bing.com/bat.js": FAKE_UET, "https://www.clarity.ms/tag/abcdefghij": FAKE_CLARITY}

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(site):
            route.continue_()
        elif url in fakes:
            served.append(url)
            route.fulfill(status=200, content_type="application/javascript", body=fakes[url])
        else:
            outside.append(url)
            route.fulfill(status=204, body="")

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, served
    context.close()
    assert not outside, f"requests to unexpected hosts: {outside}"
    assert not errors, f"console errors (a CSP violation among them?): {errors}"


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    with microsoft_fakes(browser, site) as (page, _):
        yield page


def loaded(page: Page) -> dict[str, Any]:
    page.wait_for_function(
        "() => window.__uetLog && window.__uetLog.length > 0 && window.__clarityLog !== undefined"
    )
    result: dict[str, Any] = page.evaluate(
        "({ uetFound: window.__uetFound, uetLog: window.__uetLog, clarityFound: window.__clarityFound,"
        "   clarityLog: window.__clarityLog, tagId: window.__uetTagId })"
    )
    return result


DENIED = {"ad_storage": "denied"}
GRANTED = {"ad_storage": "granted"}


def clarity(ad: str, analytics: str) -> dict[str, str]:
    return {"ad_Storage": ad, "analytics_Storage": analytics}


def test_the_defaults_are_queued_before_the_tags_load(page: Page) -> None:
    page.goto("/")
    seen = loaded(page)
    # bat.js found the default already queued, then the preset's loader sent the page view.
    assert seen["uetFound"] == ["consent", "default", DENIED]
    assert seen["uetLog"] == [["pageLoad"]]
    assert seen["tagId"] == "26012345"
    assert seen["clarityFound"] == [["consentv2", clarity("denied", "denied")]]
    assert seen["clarityLog"] == []
    # In the document, the default script comes before every Microsoft tag and carries the nonce.
    order = page.eval_on_selector_all(
        "head script", "els => els.map(e => [e.dataset.consentMicrosoft || e.dataset.consentKey, e.nonce])"
    )
    assert order[0] == ["default", NONCE]
    rendered = [key for key, _ in order[1:] if key]  # the loader adds bat.js without a key, after them
    assert rendered == ["bing-ads:script:0", "clarity:script:0"]


@pytest.mark.parametrize(
    ("choice", "uet", "clarity_values"),
    [
        ("accept", GRANTED, clarity("granted", "granted")),
        ("reject", DENIED, clarity("denied", "denied")),
        ("statistics", DENIED, clarity("denied", "granted")),
        ("marketing", GRANTED, clarity("granted", "denied")),
    ],
)
def test_a_javascript_choice_sends_the_update_and_the_next_page_starts_from_it(
    page: Page, choice: str, uet: dict[str, str], clarity_values: dict[str, str]
) -> None:
    page.goto("/")
    loaded(page)
    page.click(f"button[data-choice={choice}]")
    page.wait_for_function("() => window.__chosen === true")
    seen = loaded(page)
    assert seen["uetLog"] == [["pageLoad"], ["consent", "update", uet]]
    assert seen["clarityLog"] == [["consentv2", clarity_values]]
    # The next page renders the stored choice as the default, before the tags again.
    page.goto("/")
    seen = loaded(page)
    assert seen["uetFound"] == ["consent", "default", uet]
    assert seen["clarityFound"] == [["consentv2", clarity_values]]
