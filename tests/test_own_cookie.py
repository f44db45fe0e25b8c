"""The consent cookie's own declaration follows the cookie settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import registry_data

from consent.codec import CookieCodec
from consent.own_cookie import codec_cookie, consent_cookie
from consent.registry import Registry


@pytest.mark.parametrize(
    ("kwargs", "name", "lifetime", "domain"),
    [
        ({}, "__Host-consent", "400d", None),
        ({"secure": False}, "consent", "400d", None),
        ({"domain": "example.com"}, "__Secure-consent", "400d", "example.com"),
        ({"name": "cc", "max_age_days": 90}, "__Host-cc", "90d", None),
        ({"max_age_days": 999}, "__Host-consent", "400d", None),
    ],
)
def test_the_declaration_names_the_real_cookie(
    kwargs: dict[str, object], name: str, lifetime: str, domain: str | None
) -> None:
    cookie = consent_cookie(**kwargs)  # type: ignore[arg-type]
    assert (cookie.name, cookie.lifetime, cookie.domain, cookie.party) == (name, lifetime, domain, "first")
    assert "choices" in cookie.purpose


def test_the_codec_declares_the_cookie_it_writes() -> None:
    registry = Registry.model_validate(registry_data(2))
    codec = CookieCodec(registry, ["k" * 32], name="cc", domain="example.com", max_age=timedelta(days=30))
    assert codec_cookie(codec) == consent_cookie("cc", domain="example.com", max_age_days=30)


@pytest.mark.parametrize(
    ("config", "name"),
    [
        ({"CONSENT_COOKIE_SECURE": False}, "consent"),
        ({"CONSENT_COOKIE_SECURE": True}, "__Host-consent"),
        ({"CONSENT_COOKIE_SECURE": True, "CONSENT_COOKIE_DOMAIN": "example.com"}, "__Secure-consent"),
    ],
)
def test_the_panel_lists_the_consent_cookie_under_strictly_necessary(
    config: dict[str, object], name: str
) -> None:
    from flask_helpers import example_app, find

    app = example_app(**config)
    html = (
        app.test_client().get("/consent/preferences", base_url="https://example.com").get_data(as_text=True)
    )
    assert len([e for e in find(html, "table") if "data-consent-own-cookie" in e.attrs]) == 1
    necessary = html.index('id="consent-category-necessary"')
    functional = html.index('id="consent-category-functional"')
    assert necessary < html.index("data-consent-own-cookie") < functional
    assert f"<code>{name}</code>" in html
    assert "400 days" in html[html.index("data-consent-own-cookie") :][:600]


def test_the_panel_says_what_the_cookie_is_for_in_the_visitors_language() -> None:
    from flask_helpers import example_app

    from consent.own_cookie import PURPOSE

    english = example_app().test_client().get("/consent/preferences").get_data(as_text=True)
    german = example_app(CONSENT_LOCALE="de").test_client().get("/consent/preferences").get_data(as_text=True)

    assert "Remembers your cookie choices" in english and PURPOSE.startswith("Remembers your cookie choices")
    assert "Speichert Ihre Cookie-Auswahl" in german and "Remembers your cookie choices" not in german
    assert "Das eigene Einwilligungs-Cookie dieser Website" in german
