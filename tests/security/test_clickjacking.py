"""#13.2: a foreign page can neither frame the consent controls nor have a framed decision recorded.

The attack: a foreign page framed the preferences page (or the article with its banner) and had the
visitor click Accept all; the server recorded an ``accept_all`` in the ledger for a consent the browser
never stored. Consent pages and endpoints now say who may frame them (``frame-ancestors``, and
``X-Frame-Options`` for older browsers), and the decision endpoint refuses what the browser's fetch
metadata says comes from another site or from a frame another site drew. Chromium's side of it:
``tests/browser/test_clickjacking_browser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_helpers import ORIGIN, PAGE, example_app, set_cookies
from ledger_helpers import app_ledger, close_ledger

from consent.ledger import Ledger

CSP = "Content-Security-Policy"
SITE_ORIGIN = ORIGIN["Origin"]


def framing_rules(headers: object) -> list[str]:
    return [
        part.strip()
        for value in headers.getlist(CSP)  # type: ignore[attr-defined]
        for part in value.split(";")
        if part.strip().startswith("frame-ancestors")
    ]


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/consent/preferences", None),
        ("get", "/consent/status", None),
        ("post", "/consent/", {"action": "accept_all"}),
        ("get", PAGE, None),  # the article: its banner has Accept all
    ],
)
def test_consent_pages_and_endpoints_may_be_framed_only_by_the_site(
    method: str, path: str, data: dict[str, str] | None
) -> None:
    client = example_app().test_client()
    response = getattr(client, method)(path, data=data, headers=ORIGIN)
    assert response.status_code in (200, 303)
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert framing_rules(response.headers) == ["frame-ancestors 'self'"]


def test_a_page_without_consent_controls_keeps_its_own_framing_policy() -> None:
    response = example_app().test_client().get("/t/pixel.gif")
    assert "X-Frame-Options" not in response.headers
    assert framing_rules(response.headers) == []


def test_with_the_csp_on_every_html_page_carries_frame_ancestors() -> None:
    app = example_app(CONSENT_CSP="enforce")

    @app.get("/plain")
    def plain() -> str:
        return "<p>no consent helpers here</p>"

    client = app.test_client()
    for path in ("/plain", PAGE, "/consent/preferences"):
        response = client.get(path)
        (policy,) = response.headers.getlist(CSP)  # one policy, the framing rule inside it
        assert "frame-ancestors 'self'" in policy, path
        assert "default-src 'self'" in policy, path


def test_a_report_only_policy_still_enforces_the_framing_rule() -> None:
    # Browsers ignore frame-ancestors in a report-only policy: the consent pages send it enforced.
    response = example_app(CONSENT_CSP="report-only").test_client().get("/consent/preferences")
    assert framing_rules(response.headers) == ["frame-ancestors 'self'"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy-Report-Only"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_ancestors_are_configurable() -> None:
    app = example_app(CONSENT_FRAME_ANCESTORS=["'self'", "https://partner.example"])
    response = app.test_client().get("/consent/preferences")
    assert framing_rules(response.headers) == ["frame-ancestors 'self' https://partner.example"]
    assert (
        "X-Frame-Options" not in response.headers
    )  # it cannot name a partner; CSP-aware browsers obey the CSP
    none = example_app(CONSENT_FRAME_ANCESTORS=[]).test_client().get("/consent/preferences")
    assert framing_rules(none.headers) == ["frame-ancestors 'none'"]
    assert none.headers["X-Frame-Options"] == "DENY"


def test_a_site_may_turn_the_framing_rule_off() -> None:
    response = example_app(CONSENT_FRAME_ANCESTORS=None).test_client().get("/consent/preferences")
    assert framing_rules(response.headers) == []
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("bad", ["'self'", ["'self'; script-src *"], ["https://a.example, https://b"], [""]])
def test_a_malformed_ancestor_list_fails_at_start_up(bad: object) -> None:
    from consent.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="CONSENT_FRAME_ANCESTORS"):
        example_app(CONSENT_FRAME_ANCESTORS=bad)


# -- the decision endpoint ------------------------------------------------------------------------------


@pytest.fixture
def ledger_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    Ledger(url, timeout=None).init()
    app = example_app(
        CONSENT_LEDGER_URL=url, CONSENT_LEDGER_KEY="k" * 32, CONSENT_LEDGER_SPOOL=str(tmp_path / "spool")
    )
    yield app
    close_ledger(app)


def decide(client: FlaskClient, fetch_metadata: dict[str, str]) -> tuple[int, bool]:
    response = client.post("/consent/", data={"action": "accept_all"}, headers={**ORIGIN, **fetch_metadata})
    return response.status_code, "consent" in set_cookies(response)


@pytest.mark.parametrize(
    "fetch_metadata",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Dest": "frame"},
        {"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "iframe"},
    ],
)
def test_a_framed_or_cross_site_decision_is_refused_and_recorded_nowhere(
    ledger_app: Flask, fetch_metadata: dict[str, str]
) -> None:
    status, stored = decide(ledger_app.test_client(), fetch_metadata)
    assert status == 403
    assert not stored
    assert app_ledger(ledger_app).count() == 0


@pytest.mark.parametrize(
    "fetch_metadata",
    [
        {},  # an old browser: the Origin check alone applies
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"},
        # The site framing its own page (frame-ancestors 'self' allows it) is the site's own choice.
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
    ],
)
def test_a_decision_made_on_the_site_is_recorded(ledger_app: Flask, fetch_metadata: dict[str, str]) -> None:
    status, stored = decide(ledger_app.test_client(), fetch_metadata)
    assert status == 303
    assert stored
    assert app_ledger(ledger_app).count() == 1
