"""The visitor's language: negotiation, UI catalogs, registry translations, text direction.

Catalog hygiene (complete, plural forms, compiled, extracted) is in ``test_translations.py``."""

from __future__ import annotations

import pytest
from conftest import registry_data
from flask import Flask, Request, render_template_string
from flask.testing import FlaskClient
from flask_helpers import PAGE, example_app, find, html_of, synthetic_app

from consent.ext import Consent
from consent.i18n import (
    UI_LOCALES,
    fallback_chain,
    negotiate,
    normalize,
    preferred_languages,
    text_direction,
    translations,
)
from consent.registry import Registry


def banner_html(client: FlaskClient, language: str | None = None, path: str = PAGE) -> str:
    headers = {"Accept-Language": language} if language else {}
    return html_of(client.get(path, headers=headers))


def lang_of(html: str, selector: dict[str, str]) -> tuple[str | None, str | None]:
    (element,) = find(html, **selector)
    return element.attrs.get("lang"), element.attrs.get("dir")


def button_texts(html: str) -> list[str]:
    (banner,) = find(html, "section", id="consent-banner")
    return [b.inner_text for b in find(banner.outer_html, "button")]


# -- negotiation in the app -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "buttons", "lang"),
    [
        ("de", ["Alle akzeptieren", "Alle ablehnen"], "de"),
        ("de-AT,de;q=0.9", ["Alle akzeptieren", "Alle ablehnen"], "de"),
        ("fr", ["Tout accepter", "Tout refuser"], "fr"),
        ("fr-CA", ["Tout accepter", "Tout refuser"], "fr"),
        ("en", ["Accept all", "Reject all"], "en"),
        ("ja", ["すべて許可", "すべて拒否"], "ja"),  # the example offers every widget language
        ("tlh", ["Accept all", "Reject all"], "en"),
        ("xx-unknown", ["Accept all", "Reject all"], "en"),
        ("tlh, fr;q=0.8, de;q=0.5", ["Tout accepter", "Tout refuser"], "fr"),
        ("de;q=0.4, fr;q=0.9", ["Tout accepter", "Tout refuser"], "fr"),
        (None, ["Accept all", "Reject all"], "en"),
    ],
)
def test_accept_language_picks_the_ui_language(
    client: FlaskClient, language: str | None, buttons: list[str], lang: str
) -> None:
    html = banner_html(client, language)
    assert button_texts(html) == buttons
    assert lang_of(html, {"tag": "section", "id": "consent-banner"}) == (lang, "ltr")


def test_german_registry_texts(client: FlaskClient) -> None:
    html = banner_html(client, "de", "/consent/preferences")
    titles = [e.inner_text for e in find(html, class_="consent-category__title")]
    assert titles == ["Unbedingt erforderlich", "Funktionen", "Statistiken", "Marketing"]
    assert "Dient dazu, Bots und Spam abzuwehren." in html
    assert "Immer aktiv" in html
    assert lang_of(html, {"tag": "html"}) == ("de", "ltr")


def test_german_notice_in_the_banner(client: FlaskClient) -> None:
    html = banner_html(client, "de")
    assert "Um Ihnen ein besseres Website-Erlebnis zu bieten" in html
    assert "To give you a better website experience" not in html


def test_french_registry_texts(client: FlaskClient) -> None:
    html = banner_html(client, "fr", "/consent/preferences?fragment=1")
    titles = [e.inner_text for e in find(html, class_="consent-category__title")]
    assert titles[0] == "Strictement nécessaires"
    assert "Toujours actif" in html
    assert lang_of(html, {"tag": "form", "class_": "consent-panel"}) == ("fr", "ltr")


def test_german_lifetimes(client: FlaskClient) -> None:
    html = banner_html(client, "de", "/consent/preferences?fragment=1")
    cells = [td.inner_text for td in find(html, "td")]
    assert "13 Monate" in cells
    assert "Sitzung" in cells
    assert "13 months" not in cells


def test_german_settings_link_and_placeholder(client: FlaskClient) -> None:
    html = banner_html(client, "de")
    (link,) = find(html, "a", class_="consent-settings-link")
    assert link.inner_text == "Cookie-Einstellungen"
    assert "Inhalt von Google YouTube ist blockiert" in html
    assert "Google YouTube content is blocked" not in html


def test_a_fixed_locale_wins_over_accept_language() -> None:
    client = example_app(CONSENT_LOCALE="fr").test_client()
    html = banner_html(client, "de")
    assert button_texts(html) == ["Tout accepter", "Tout refuser"]
    assert lang_of(html, {"tag": "section", "id": "consent-banner"}) == ("fr", "ltr")


def test_a_locale_callable_is_asked_per_request() -> None:
    def from_query(request: Request) -> str:
        return request.args.get("lang", "en")

    client = example_app(CONSENT_LOCALE=from_query).test_client()
    assert button_texts(banner_html(client, "fr", PAGE + "?lang=de"))[0] == "Alle akzeptieren"
    assert button_texts(banner_html(client, "fr", PAGE))[0] == "Accept all"


def test_offered_locales_limit_the_negotiation() -> None:
    client = example_app(CONSENT_LOCALES=["en", "de"]).test_client()
    assert button_texts(banner_html(client, "fr"))[0] == "Accept all"
    assert button_texts(banner_html(client, "fr, de;q=0.5"))[0] == "Alle akzeptieren"


def test_the_locale_argument_beats_the_config(seed_registry: Registry) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", CONSENT_LOCALE="de")
    Consent(app, registry=seed_registry, locale="fr")

    @app.get("/")
    def page() -> str:
        return render_template_string("{{ consent_banner() }}")

    assert button_texts(html_of(app.test_client().get("/")))[0] == "Tout accepter"


# -- right-to-left --------------------------------------------------------------------------------


def arabic_registry() -> Registry:
    data = registry_data(4)
    data["locales"] = ["en", "ar"]
    data["translations"] = {
        "ar": {
            "notice": "نستخدم ملفات تعريف الارتباط",
            "categories": {"statistics": {"title": "إحصاءات"}},
            "vendors": {"vendor-2": {"description": "وصف المورد"}},
        }
    }
    return Registry.model_validate(data)


@pytest.fixture
def arabic_client() -> FlaskClient:
    return synthetic_app(arabic_registry()).test_client()


def test_an_rtl_locale_sets_dir(arabic_client: FlaskClient) -> None:
    html = banner_html(arabic_client, "ar", "/")
    assert lang_of(html, {"tag": "section", "id": "consent-banner"}) == ("ar", "rtl")
    assert lang_of(html, {"tag": "dialog"}) == ("ar", "rtl")


def test_an_rtl_preferences_page(arabic_client: FlaskClient) -> None:
    html = banner_html(arabic_client, "ar", "/consent/preferences")
    assert lang_of(html, {"tag": "html"}) == ("ar", "rtl")
    assert "إحصاءات" in html
    assert "وصف المورد" in html


def test_an_rtl_site_uses_the_arabic_ui_catalog(arabic_client: FlaskClient) -> None:
    html = banner_html(arabic_client, "ar", "/")
    assert button_texts(html) == ["قبول الكل", "رفض الكل"]
    assert "نستخدم ملفات تعريف الارتباط" in html


def test_the_same_site_in_english_is_ltr(arabic_client: FlaskClient) -> None:
    html = banner_html(arabic_client, "en", "/")
    assert lang_of(html, {"tag": "section", "id": "consent-banner"}) == ("en", "ltr")
    assert "نستخدم" not in html


# -- functions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferred", "available", "expected"),
    [
        (["de"], ["en", "de", "fr"], "de"),
        (["de-CH"], ["en", "de", "fr"], "de"),
        (["pt-BR", "fr"], ["en", "de", "fr"], "fr"),
        (["zh"], ["en", "de", "fr"], "en"),
        ([], ["en", "de"], "en"),
        (["pt-br"], ["en", "pt-BR", "pt"], "pt-BR"),
        (["pt_BR"], ["en", "pt-PT", "pt-BR"], "pt-BR"),
        (["pt-AO"], ["en", "pt-PT", "pt-BR"], "pt-PT"),
        (["DE"], ["en", "de"], "de"),
        (["*"], ["en", "de"], "en"),
    ],
)
def test_negotiate(preferred: list[str], available: list[str], expected: str) -> None:
    assert negotiate(preferred, available, "en") == expected


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ("pt-PT", "pt"),
        ("pt", "pt"),
        ("pt-BR", "pt-BR"),
        ("pt-br", "pt-BR"),
        ("pt-AO", "pt"),
        ("es-MX", "es-419"),
        ("es-AR", "es-419"),
        ("es-419", "es-419"),
        ("es-ES", "es"),
        ("es", "es"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-Hans-SG", "zh-Hans"),
        ("zh-TW", "en"),
        ("zh-Hant", "en"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn", "en"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("de-AT", "de"),
        ("iw", "he"),
        ("ar-EG", "ar"),
        ("sr", "en"),
        ("xx-unknown", "en"),
        ("x-private", "en"),
        ("*", "en"),
        ("", "en"),
        ("de;q=1", "en"),
    ],
)
def test_negotiate_with_region_fallbacks_over_every_ui_locale(wanted: str, expected: str) -> None:
    assert negotiate([wanted], UI_LOCALES, "en") == expected


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        # es-MX falls back to es-419 before es, and to es when es-419 is not offered.
        ("es-MX", ["en", "es", "es-419"], "es-419"),
        ("es-MX", ["en", "es"], "es"),
        # A language alone gets a regional variant of the same script, never another script.
        ("de", ["en", "de-AT"], "de-AT"),
        ("zh-TW", ["en", "zh-Hans"], "en"),
        ("zh-TW", ["en", "zh-Hans", "zh-Hant"], "zh-Hant"),
        # The available locale is returned in its own case, as a BCP 47 tag, whatever the visitor sent.
        ("PT_br", ["en", "pt_BR"], "pt-BR"),
        ("zh-hans-cn", ["en", "zh-Hans"], "zh-Hans"),
    ],
)
def test_negotiate_prefers_the_nearest_available(wanted: str, available: list[str], expected: str) -> None:
    assert negotiate([wanted], available, "en") == expected


def test_negotiate_keeps_the_visitors_order() -> None:
    assert negotiate(["tlh", "zh-TW", "es-MX", "de"], UI_LOCALES, "en") == "es-419"


@pytest.mark.parametrize(
    ("tag", "chain"),
    [
        ("es-MX", ("es-MX", "es-Latn-MX", "es-419", "es-Latn", "es")),
        ("zh-CN", ("zh-CN", "zh-Hans-CN", "zh-Hans", "zh")),
        ("pt_AO", ("pt-AO", "pt-Latn-AO", "pt-PT", "pt-Latn", "pt")),
        ("*", ()),
        ("not a tag", ()),
    ],
)
def test_fallback_chain(tag: str, chain: tuple[str, ...]) -> None:
    assert fallback_chain(tag) == chain


# -- Accept-Language, bounded ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-CH", "fr", "en", "de", "*"]),
        ("de;q=0.4, fr;q=0.9", ["fr", "de"]),
        ("ja, fr;q=0.8, de;q=0.5", ["ja", "fr", "de"]),
        ("en;q=0, de", ["de"]),
        ("de;q=0.5, fr;q=0.5, it;q=0.5", ["de", "fr", "it"]),
        ("de; q=0.7, fr ;q=0.8", ["fr", "de"]),
        ("de;q=2, fr;q=abc, it;level=1, es", ["es"]),
        ("<script>, en", ["en"]),
        ("", []),
        (None, []),
        (",,,", []),
    ],
)
def test_preferred_languages(header: str | None, expected: list[str]) -> None:
    assert preferred_languages(header) == expected


def test_preferred_languages_reads_a_bounded_prefix() -> None:
    header = ", ".join(["de-DE;q=0.9"] * 50_000)  # about 650 KB
    tags = preferred_languages(header)
    assert 0 < len(tags) <= 16
    assert preferred_languages("x" * 300 + ", de") == []
    assert preferred_languages("en, " + "x" * 300) == ["en"]


def test_preferred_languages_keeps_at_most_the_first_entries() -> None:
    header = ",".join(f"l{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40))
    assert len(preferred_languages(header, max_chars=10_000)) == 16
    assert preferred_languages("de, fr, it", max_entries=2) == ["de", "fr"]


@pytest.mark.parametrize(
    ("locale", "direction"),
    [
        ("ar", "rtl"),
        ("he", "rtl"),
        ("fa-IR", "rtl"),
        ("ar_EG", "rtl"),
        ("en", "ltr"),
        ("de-AT", "ltr"),
        ("not a locale", "ltr"),
        ("", "ltr"),
    ],
)
def test_text_direction(locale: str, direction: str) -> None:
    assert text_direction(locale) == direction


def test_normalize() -> None:
    assert normalize(" pt_BR ") == "pt-BR"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "Alle akzeptieren"),
        ("de-AT", "Alle akzeptieren"),
        ("fr_CA", "Tout accepter"),
        ("en", "Accept all"),
        ("es", "Aceptar todo"),
        ("es-MX", "Aceptar todo"),
        ("zh-CN", "全部接受"),
        ("pt-BR", "Aceitar tudo"),
        ("no", "Godta alle"),
        ("tlh", "Accept all"),
        ("", "Accept all"),
    ],
)
def test_translations(locale: str, expected: str) -> None:
    assert translations(locale).gettext("Accept all") == expected


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [("de", 1, "%(num)d Jahr"), ("de", 2, "%(num)d Jahre"), ("en", 2, "%(num)d years")],
)
def test_translated_plurals(locale: str, n: int, expected: str) -> None:
    assert translations(locale).ngettext("%(num)d year", "%(num)d years", n) == expected
