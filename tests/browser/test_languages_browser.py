"""The first layers in every widget language, in Chromium: lang and dir, fair choice, fit at 320 px, axe.

The example site is served with ``CONSENT_LOCALES`` set to every UI locale (test configuration only:
the example itself offers its registry's locales). Its registry texts exist in en, de and fr; the other
languages show the registry's English notice beside the translated widget, which is the fallback a
real site gets too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from consent.i18n import UI_LOCALES, text_direction, translations

from .support import ARTICLE, LiveServer, Visit, describe_violations, serve_example

pytestmark = pytest.mark.browser

RIGHT_TO_LEFT = [locale for locale in UI_LOCALES if text_direction(locale) == "rtl"]
REGION = "X-Test-Region"  # the region header the (pretend) CDN sets: US-CA gets the opt-out notice
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
#: Accept and reject may differ in width by at most this share of the wider one (sub-pixel rounding):
#: the stylesheet gives both the wider label's width, stacked on a narrow screen, side by side on a wide
#: one, even where one label is much longer (Icelandic "Samþykkja allt" / "Hafna öllu").
WIDTH_TOLERANCE = 0.02

LOOK = """(el) => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return {background: s.backgroundColor, color: s.color, border: s.borderColor, borderWidth: s.borderWidth,
            fontSize: s.fontSize, fontWeight: s.fontWeight, fontFamily: s.fontFamily, height: r.height,
            opacity: s.opacity, visibility: s.visibility, textDecoration: s.textDecorationLine};
}"""
BOX = """(el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
            scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
            scrollHeight: el.scrollHeight, clientHeight: el.clientHeight};
}"""


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The example site offering every widget language."""
    with serve_example({"CONSENT_LOCALES": list(UI_LOCALES), "CONSENT_REGION_HEADER": REGION}) as server:
        yield server


def visitor(browse: Callable[..., Visit], locale: str, **options: Any) -> Visit:
    """A first-time visitor whose browser asks for ``locale``, on a 320 px screen unless told otherwise."""
    options.setdefault("viewport", NARROW)
    return browse(locale=locale, **options)


def assert_fits(visit: Visit, elements: list[Locator]) -> None:
    """Nothing overflows or is clipped on a 320 px screen."""
    for element in elements:
        box = element.evaluate(BOX)
        assert box["scrollWidth"] <= box["clientWidth"], (element, box)
        assert box["left"] >= 0 and box["right"] <= NARROW["width"], (element, box)
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    for element in elements[1:]:
        expect(element).to_be_in_viewport()


def open_article(visit: Visit) -> None:
    # The first layer is in the HTML: "load" (styles and scripts in) is enough, no network-idle wait.
    visit.page.goto(ARTICLE, wait_until="load")


def assert_same_prominence(accept: Locator, reject: Locator) -> None:
    assert accept.evaluate(LOOK) == reject.evaluate(LOOK)
    widths = accept.evaluate(BOX)["width"], reject.evaluate(BOX)["width"]
    assert abs(widths[0] - widths[1]) <= WIDTH_TOLERANCE * max(widths), widths


def actions(visit: Visit) -> tuple[Locator, Locator, Locator]:
    banner = visit.page.locator("#consent-banner")
    return (
        banner.locator("button[value=accept_all]"),
        banner.locator("button[value=reject_all]"),
        banner.locator("a[data-consent-open]"),
    )


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_first_layer_in_every_language(browse: Callable[..., Visit], locale: str) -> None:
    visit = visitor(browse, locale)
    open_article(visit)
    banner = visit.page.locator("#consent-banner")
    expect(banner).to_be_visible()
    catalog = translations(locale)

    # The visitor's language, in the right direction, with the widget's own strings translated.
    expect(banner).to_have_attribute("lang", locale)
    expect(banner).to_have_attribute("dir", text_direction(locale))
    accept, reject, customize = actions(visit)
    expect(banner.locator("h2")).to_have_text(catalog.gettext("This website uses cookies"))
    expect(accept).to_have_text(catalog.gettext("Accept all"))
    expect(reject).to_have_text(catalog.gettext("Reject all"))
    expect(customize).to_have_text(catalog.gettext("Customize"))

    # Fair choice: reject looks exactly like accept, and is about as wide, however long its label.
    assert_same_prominence(accept, reject)

    assert_fits(visit, [banner, accept, reject, customize])

    violations = visit.axe(within="#consent-banner")  # the page around it is the example site's
    assert not violations, "\n" + describe_violations(violations)

    # On a desktop screen the two sit side by side, each as wide as its label needs.
    visit.page.set_viewport_size(WIDE)
    assert_same_prominence(accept, reject)
    assert abs(accept.evaluate(BOX)["top"] - reject.evaluate(BOX)["top"]) < 1


@pytest.mark.parametrize("locale", RIGHT_TO_LEFT)
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["wide", "narrow"])
def test_right_to_left_reads_from_the_right(
    browse: Callable[..., Visit], locale: str, viewport: dict[str, int], artifacts: Path
) -> None:
    visit = visitor(browse, locale, viewport=viewport)
    open_article(visit)
    banner = visit.page.locator("#consent-banner")
    expect(banner).to_have_attribute("dir", "rtl")
    visit.page.screenshot(path=artifacts / f"first-layer-{locale}-{viewport['width']}.png")

    boxes = [element.evaluate(BOX) for element in actions(visit)]
    # Reading order is DOM order (accept, reject, customize): on one line each next one sits to the
    # left of the previous; a control that wraps starts a lower line, at the right edge.
    for first, then in pairwise(boxes):
        if abs(first["top"] - then["top"]) < 1:
            assert then["right"] <= first["left"] + 1, (first, then)
        else:
            assert then["top"] >= first["bottom"] - 1, (first, then)
    body = banner.locator(".consent-banner__body").evaluate(BOX)
    assert abs(body["right"] - banner.evaluate(BOX)["right"]) < 40  # the text starts at the right
    assert banner.locator("h2").evaluate("(el) => getComputedStyle(el).direction") == "rtl"


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_opt_out_notice_in_every_language(browse: Callable[..., Visit], locale: str) -> None:
    """The first layer US visitors get: the one-step opt-out, whose label is the longest of all."""
    visit = visitor(browse, locale, extra_http_headers={REGION: "US-CA"})
    open_article(visit)
    banner = visit.page.locator("#consent-banner")
    catalog = translations(locale)
    expect(banner).to_have_attribute("lang", locale)
    expect(banner).to_have_attribute("dir", text_direction(locale))
    opt_out = banner.locator("button[value=opt_out]")
    expect(opt_out).to_have_text(catalog.gettext("Do not sell or share my personal information"))
    choices = banner.locator("a[data-consent-open]")
    expect(choices).to_have_text(catalog.gettext("Your Privacy Choices"))

    assert_fits(visit, [banner, opt_out, banner.locator("button[value=acknowledge]"), choices])
    violations = visit.axe(within="#consent-banner")
    assert not violations, "\n" + describe_violations(violations)
