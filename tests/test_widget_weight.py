"""The first layer stays light in every widget language: banner HTML, CSS and JS ≤ 7 KB gzipped."""

from __future__ import annotations

import gzip
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask_helpers import PAGE, example_app, find, html_of

from consent.i18n import UI_LOCALES, translations

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "widget" / "static"
SEED = ROOT / "examples" / "reviews" / "vendors.toml"
BUDGET = 7 * 1024
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


@pytest.fixture(scope="module", params=["seed notice", "widget notice"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    config: dict[str, Any] = {"CONSENT_LOCALES": list(UI_LOCALES)}
    if request.param == "widget notice":
        config["CONSENT_REGISTRY"] = without_notices(tmp_path_factory.mktemp("registry") / "vendors.json")
    return example_app(**config).test_client()


def first_layer_html(client: Any, locale: str) -> str:
    html = html_of(client.get(PAGE, headers={"Accept-Language": locale}))
    (banner,) = find(html, "section", id="consent-banner")
    assert banner.attrs.get("lang") == locale
    dialogs = [element.outer_html for element in find(html, "dialog")]
    return banner.outer_html + "".join(dialogs)


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_the_first_layer_fits_the_budget_in_every_language(client: Any, assets: int, locale: str) -> None:
    html = first_layer_html(client, locale)
    weight = gzipped(html) + assets
    assert weight <= BUDGET, f"{locale}: {weight} bytes gzipped (HTML {gzipped(html)}, CSS+JS {assets})"


def test_the_widget_notice_is_measured_in_its_translation(client: Any) -> None:
    """The fixture shows what it claims: the widget's Greek notice, or the seed's own (English) one."""
    assert translations("el").gettext(WIDGET_NOTICE) != WIDGET_NOTICE
    html = first_layer_html(client, "el")
    widget_notice = translations("el").gettext(WIDGET_NOTICE)[:40] in html
    seed_notice = "HubPages uses cookies" in html
    assert widget_notice != seed_notice
