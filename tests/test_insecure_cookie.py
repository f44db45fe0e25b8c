"""A Secure consent cookie over plain http is never stored: said once in the log, and in the decision JSON."""

from __future__ import annotations

import logging

import pytest
from conftest import registry_data
from flask_helpers import synthetic_app

from consent.flask import http as consent_http
from consent.registry import Registry

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consent_http, "_insecure_warned", False)


def decide(base_url: str, secure: bool) -> tuple[dict[str, object], str]:
    app = synthetic_app(Registry.model_validate(registry_data(4)), CONSENT_COOKIE_SECURE=secure)
    client = app.test_client()
    origin = base_url.rstrip("/")
    response = client.post(
        "/consent/", data={"action": "accept_all"}, headers={"Origin": origin, **JSON}, base_url=base_url
    )
    assert response.status_code == 200
    body = response.json
    assert body is not None
    return body, response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    ("base_url", "secure", "stored"),
    [
        ("http://shop.example.test", True, False),  # the case owners hit: Secure over http
        ("https://shop.example.test", True, True),
        ("http://shop.example.test", False, True),  # CONSENT_COOKIE_SECURE = False for local http
        ("http://localhost:5000", True, True),  # localhost is a secure context: browsers keep it
        ("http://127.0.0.1:5000", True, True),
        ("http://[::1]:5000", True, True),
        ("http://app.localhost", True, True),
    ],
)
def test_the_decision_says_whether_the_cookie_can_be_stored(
    base_url: str, secure: bool, stored: bool
) -> None:
    body, set_cookie = decide(base_url, secure)

    assert body["stored"] is stored
    assert ("store_problem" in body) is not stored
    if not stored:
        assert "CONSENT_COOKIE_SECURE = False" in str(body["store_problem"])
        assert "Secure" in set_cookie  # the cookie is still sent: a proxy ending TLS may be in between


def test_it_is_logged_loudly_once_per_process(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="consent"):
        decide("http://shop.example.test", True)
        decide("http://shop.example.test", True)
        decide("https://shop.example.test", True)

    records = [r for r in caplog.records if r.name == "consent"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "'shop.example.test'" in records[0].getMessage()
    assert "CONSENT_COOKIE_SECURE = False" in records[0].getMessage()
    assert "ProxyFix" in records[0].getMessage()


def test_nothing_is_logged_where_the_cookie_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="consent"):
        decide("https://shop.example.test", True)
        decide("http://localhost", True)

    assert not [r for r in caplog.records if r.name == "consent"]


def test_a_form_post_over_http_is_logged_too(caplog: pytest.LogCaptureFixture) -> None:
    app = synthetic_app(Registry.model_validate(registry_data(4)), CONSENT_COOKIE_SECURE=True)
    with caplog.at_level(logging.WARNING, logger="consent"):
        response = app.test_client().post(
            "/consent/",
            data={"action": "reject_all"},
            headers={"Origin": "http://shop.example.test"},
            base_url="http://shop.example.test",
        )
    assert response.status_code == 303
    assert len([r for r in caplog.records if r.name == "consent"]) == 1
