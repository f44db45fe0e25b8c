"""Microsoft UET and Clarity consent wired into pages and decisions (the functions: test_microsoft_consent)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from flask_helpers import JSON, post, synthetic_app
from preset_helpers import MAPPED_CATEGORIES, MICROSOFT_VENDORS

from consent.loader import parse_registry
from consent.registry import Registry

REGISTRY = MAPPED_CATEGORIES + MICROSOFT_VENDORS


def app_and_client() -> tuple[Flask, FlaskClient]:
    app = synthetic_app(parse_registry(REGISTRY, "toml"))
    return app, app.test_client()


def test_the_head_carries_the_defaults_before_any_tag() -> None:
    _, client = app_and_client()
    html = client.get("/").get_data(as_text=True)
    default = re.search(r'<script data-consent-microsoft="default">(.*?)</script>', html)
    assert default is not None
    assert "window.uetq.push('consent','default',{\"ad_storage\":\"denied\"})" in default.group(1).replace(
        " ", ""
    )
    assert "'consentv2'" in default.group(1)
    assert html.index("data-consent-microsoft") < html.index("</head>")
    assert "bat.bing.com" not in html  # the tag itself waits for consent


def test_a_decision_answers_the_update_values() -> None:
    _, client = app_and_client()
    accepted = post(client, {"action": "accept_all"}, headers=JSON).get_json()
    assert accepted["microsoft_consent"] == {
        "uet": {"ad_storage": "granted"},
        "clarity": {"ad_Storage": "granted", "analytics_Storage": "granted"},
    }
    custom = post(client, {"action": "custom", "category": "statistics"}, headers=JSON).get_json()
    assert custom["microsoft_consent"] == {
        "uet": {"ad_storage": "denied"},
        "clarity": {"ad_Storage": "denied", "analytics_Storage": "granted"},
    }


def test_a_returning_visitor_starts_from_the_stored_choice() -> None:
    _, client = app_and_client()
    post(client, {"action": "accept_all"})
    html = client.get("/").get_data(as_text=True)
    assert '{"ad_storage":"granted"}' in html.replace(" ", "")


def test_a_site_without_microsoft_vendors_gets_no_microsoft_script(
    make_registry: Callable[..., Registry],
) -> None:
    app = synthetic_app(make_registry(4))
    assert "data-consent-microsoft" not in app.test_client().get("/").get_data(as_text=True)
    assert (
        "microsoft_consent" not in post(app.test_client(), {"action": "accept_all"}, headers=JSON).get_json()
    )
