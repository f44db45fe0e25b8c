"""Microsoft UET and Clarity consent through the real extension and its widget, in Chromium.

The page is the extension's own (``consent_head``, ``consent_scripts``, ``consent_banner`` and
``consent.js``); bat.bing.com and www.clarity.ms are fakes that record the consent calls they find
queued when they load, and every call after.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, render_template_string
from playwright.sync_api import Browser, Page
from preset_helpers import MAPPED_CATEGORIES, MICROSOFT_VENDORS

from consent import Consent
from consent.loader import parse_registry

from .support import serve_app
from .test_microsoft_consent_browser import microsoft_fakes

pytestmark = pytest.mark.browser

REGISTRY = MAPPED_CATEGORIES + MICROSOFT_VENDORS
PAGE = """<!doctype html><html lang="en"><head><title>Shop</title>
{{ consent_head() }}{{ consent_scripts("head") }}</head>
<body><main><h1>Shop</h1></main>{{ consent_scripts("body") }}{{ consent_banner() }}</body></html>"""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", CONSENT_COOKIE_SECURE=False)
    Consent(app, registry=parse_registry(REGISTRY, "toml"))
    app.add_url_rule("/", "page", lambda: render_template_string(PAGE))
    with serve_app(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    with microsoft_fakes(browser, site) as (page, served):
        page.loaded = served  # type: ignore[attr-defined]
        yield page


def queued(page: Page) -> Any:
    return page.evaluate(
        "() => ({uet: JSON.parse(JSON.stringify(window.uetq || [])),"
        " clarity: (window.clarity && window.clarity.q || []).map(a => Array.from(a))})"
    )


def test_defaults_come_first_and_accepting_sends_the_update_before_the_tags_load(page: Page) -> None:
    page.goto("/")
    before = queued(page)
    assert before["uet"] == ["consent", "default", {"ad_storage": "denied"}]
    assert before["clarity"] == [["consentv2", {"ad_Storage": "denied", "analytics_Storage": "denied"}]]
    assert page.loaded == []  # type: ignore[attr-defined]  # nothing of Microsoft's before consent

    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.__uetFound !== undefined && window.__clarityFound !== undefined")

    # The tags, started by the widget after the choice, find the default and then the update queued.
    assert page.evaluate("window.__uetFound") == [
        "consent",
        "default",
        {"ad_storage": "denied"},
        "consent",
        "update",
        {"ad_storage": "granted"},
    ]
    assert page.evaluate("window.__clarityFound") == [
        ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "denied"}],
        ["consentv2", {"ad_Storage": "granted", "analytics_Storage": "granted"}],
    ]


def test_a_returning_visitor_starts_from_the_stored_choice(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Reject all").click()
    page.wait_for_function(
        "() => !document.querySelector('[data-consent-banner]') || document.querySelector('[data-consent-banner]').hidden"
    )
    page.goto("/")
    assert queued(page)["uet"] == ["consent", "default", {"ad_storage": "denied"}]
    page.context.clear_cookies()
    page.goto("/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.__uetFound !== undefined")
    page.goto("/")  # the tags load with the page now, after the default the stored choice gives
    page.wait_for_function("() => window.__uetFound !== undefined && window.__clarityFound !== undefined")
    assert page.evaluate("window.__uetFound") == ["consent", "default", {"ad_storage": "granted"}]
    assert page.evaluate("window.__clarityFound") == [
        ["consentv2", {"ad_Storage": "granted", "analytics_Storage": "granted"}]
    ]
