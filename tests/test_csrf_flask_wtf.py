"""The consent forms work with flask-wtf's CSRFProtect when a site uses it (and the Origin check stays)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFProtect

from examples.reviews.app import create_app

ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def client() -> FlaskClient:
    app: Flask = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True})
    CSRFProtect(app)
    return app.test_client()


def token_from_banner(client: FlaskClient) -> str:
    html = client.get("/movie-review-her").get_data(as_text=True)
    match = re.search(
        r'<form class="consent-actions"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the banner's form carries no CSRF token"
    return match.group(1)


def test_the_banner_form_carries_the_flask_wtf_token_and_the_post_succeeds(client: FlaskClient) -> None:
    token = token_from_banner(client)

    response = client.post("/consent/", data={"action": "reject_all", "csrf_token": token}, headers=ORIGIN)

    assert response.status_code == 303
    assert "consent=" in response.headers["Set-Cookie"]


def test_a_post_without_the_token_is_refused_by_flask_wtf(client: FlaskClient) -> None:
    token_from_banner(client)  # the session exists, the token is simply not sent

    response = client.post("/consent/", data={"action": "accept_all"}, headers=ORIGIN)

    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "consent=" not in response.headers["Set-Cookie"]


def test_the_origin_check_still_applies_with_a_valid_token(client: FlaskClient) -> None:
    token = token_from_banner(client)

    response = client.post(
        "/consent/",
        data={"action": "accept_all", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )

    assert response.status_code == 400


def test_the_click_to_load_form_carries_the_token_too(client: FlaskClient) -> None:
    html = client.get("/movie-review-her").get_data(as_text=True)
    assert re.search(r'<div class="consent-placeholder"', html)
    (form,) = re.findall(r'<form id="consent-grant-form".*?</form>', html, re.S)
    assert 'name="csrf_token"' in form
