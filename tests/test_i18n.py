"""The visitor's language: negotiation, UI catalogs, registry translations, text direction; catalog hygiene."""

from __future__ import annotations

import gettext as gnu_gettext
import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import registry_data
from flask import Flask, Request, render_template_string
from flask.testing import FlaskClient
from flask_helpers import PAGE, example_app, find, html_of, synthetic_app

from consent.ext import Consent
from consent.i18n import UI_LOCALES, negotiate, normalize, text_direction, translations
from consent.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "widget" / "translations"
CATALOG_LOCALES = [locale for locale in UI_LOCALES if locale != "en"]


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
        ("ja", ["Accept all", "Reject all"], "en"),
        ("xx-unknown", ["Accept all", "Reject all"], "en"),
        ("ja, fr;q=0.8, de;q=0.5", ["Tout accepter", "Tout refuser"], "fr"),
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


def test_an_rtl_registry_without_ui_catalog_falls_back_to_english_strings(arabic_client: FlaskClient) -> None:
    html = banner_html(arabic_client, "ar", "/")
    assert button_texts(html) == ["Accept all", "Reject all"]
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
        ("es", "Accept all"),
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


# -- catalogs --------------------------------------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def template() -> Catalog:
    return read_catalog(TRANSLATIONS / "messages.pot")


def message_ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def gnu_catalog(data: bytes) -> dict[Any, str]:
    return dict(gnu_gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_the_compiled_catalog_matches_its_po_file(locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(po_path(locale)))
    shipped = (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    expected, actual = gnu_catalog(compiled.getvalue()), gnu_catalog(shipped)
    assert {k: v for k, v in actual.items() if k} == {k: v for k, v in expected.items() if k}
    assert len(expected) > 30


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_every_template_message_is_translated(locale: str) -> None:
    catalog = read_catalog(po_path(locale))
    missing = []
    for message in template():
        if not message.id:
            continue
        translated = catalog.get(message.id)
        strings = () if translated is None else translated.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if translated is None or translated.fuzzy or not all(strings):
            missing.append(message.id)
    assert missing == []


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_no_obsolete_messages(locale: str) -> None:
    assert message_ids(read_catalog(po_path(locale))) == message_ids(template())


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in read_catalog(po_path(locale)):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for string in strings:
            assert set(placeholder.findall(string)) == wanted, (message.id, string)


def test_the_template_covers_every_string_in_the_code() -> None:
    method_map = [("consent/**.py", "python"), ("widget/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    extracted = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords):
        extracted.add(message if isinstance(message, str) else tuple(message))
    assert extracted == message_ids(template())


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_the_po_files_are_not_marked_fuzzy(locale: str) -> None:
    assert not read_catalog(po_path(locale)).fuzzy
