"""The first layer stays light in every widget language: banner HTML, CSS and JS ≤ 7 KB gzipped."""

from __future__ import annotations

import gzip
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask_helpers import PAGE, example_app, find, html_of

from consent.i18n import UI_LOCALES, translations

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "widget" / "static"
SEED = ROOT / "examples" / "reviews" / "vendors.toml"
BUDGET = 7 * 1024
REGION = "X-Test-Region"
OPT_OUT = "Do not sell or share my personal information"
WIDGET_NOTICE = (
    "We and our partners use cookies and similar technologies to run this site, to measure its audience, "
    "to show embedded content and to personalise ads. Nothing optional is used unless you agree. You can "
    "change your mind at any time under “Cookie settings”."
)


def gzipped(text: str | bytes) -> int:
    return len(gzip.compress(text.encode() if isinstance(text, str) else text, 9))


@pytest.fixture(scope="module")
def assets() -> int:
    return gzipped((STATIC / "consent.css").read_bytes()) + gzipped((STATIC / "consent.js").read_bytes())


def without_notices(path: Path) -> Path:
    """The seed registry with no notice of its own, so the widget's (translated, longest) one shows."""
    data: dict[str, Any] = tomllib.loads(SEED.read_text(encoding="utf-8"))
    data.pop("notice", None)
    for texts in data.get("translations", {}).values():
        texts.pop("notice", None)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@dataclass
class Site:
    client: Any
    headers: dict[str, str]


@pytest.fixture(scope="module", params=["seed notice", "widget notice", "opt-out notice"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The example site offering every language: as it is, without registry notices (the widget's own,
    translated one shows), and to a Californian (the opt-out first layer)."""
    config: dict[str, Any] = {"CONSENT_LOCALES": list(UI_LOCALES), "CONSENT_REGION_HEADER": REGION}
    if request.param == "widget notice":
        config["CONSENT_REGISTRY"] = without_notices(tmp_path_factory.mktemp("registry") / "vendors.json")
    headers = {REGION: "US-CA"} if request.param == "opt-out notice" else {}
    return Site(example_app(**config).test_client(), headers)


def first_layer_html(site: Site, locale: str) -> str:
    html = html_of(site.client.get(PAGE, headers={"Accept-Language": locale, **site.headers}))
    (banner,) = find(html, "section", id="consent-banner")
    assert banner.attrs.get("lang") == locale
    dialogs = [element.outer_html for element in find(html, "dialog")]
    return banner.outer_html + "".join(dialogs)


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_the_first_layer_fits_the_budget_in_every_language(site: Site, assets: int, locale: str) -> None:
    html = first_layer_html(site, locale)
    weight = gzipped(html) + assets
    assert weight <= BUDGET, f"{locale}: {weight} bytes gzipped (HTML {gzipped(html)}, CSS+JS {assets})"


def test_each_site_shows_the_first_layer_it_claims(site: Site) -> None:
    """The widget's Greek notice, the seed's own (English) one, or the Greek opt-out button."""
    greek = translations("el")
    assert greek.gettext(WIDGET_NOTICE) != WIDGET_NOTICE
    html = first_layer_html(site, "el")
    shown = {
        "widget notice": greek.gettext(WIDGET_NOTICE) in html,
        "seed notice": "HubPages uses cookies" in html,
        "opt-out notice": greek.gettext(OPT_OUT) in html,
    }
    assert sum(shown.values()) == 1
