"""axe-core on both layers and the no-JavaScript preferences page; the banner on a 320 px screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .support import ARTICLE, Visit, describe_violations

pytestmark = pytest.mark.browser

EXPAND_DETAILS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"
# The widget has a dark theme of its own: check its contrast too.
schemes = pytest.mark.parametrize("color_scheme", ["light", "dark"])


@pytest.fixture
def visit(browse: Callable[..., Visit], color_scheme: str) -> Visit:
    return browse(color_scheme=color_scheme)


@schemes
def test_first_layer_has_no_axe_violations(visit: Visit) -> None:
    visit.open(ARTICLE)
    expect(visit.banner).to_be_visible()

    violations = visit.axe()

    assert not violations, "\n" + describe_violations(violations)


@schemes
def test_second_layer_dialog_has_no_axe_violations(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    visit.page.evaluate(EXPAND_DETAILS)
    expect(visit.page.locator("dialog[open] details:not([open])")).to_have_count(0)

    violations = visit.axe()

    assert not violations, "\n" + describe_violations(violations)


@schemes
def test_preferences_page_has_no_axe_violations(visit: Visit) -> None:
    # The page the settings link leads to without JavaScript (axe itself needs JavaScript to run).
    visit.open(f"/consent/preferences?next={ARTICLE}")
    visit.page.evaluate(EXPAND_DETAILS)
    expect(visit.page.locator("details:not([open])")).to_have_count(0)

    violations = visit.axe()

    assert not violations, "\n" + describe_violations(violations)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_banner_fits_a_320px_screen(browse: Callable[..., Visit], javascript: bool) -> None:
    visit = browse(javascript=javascript, viewport={"width": 320, "height": 640})
    visit.open(ARTICLE)

    for name in ("Accept all", "Reject all"):
        button = visit.banner.get_by_role("button", name=name)
        expect(button).to_be_in_viewport()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 320
    expect(visit.banner.get_by_role("link", name="Customize")).to_be_in_viewport()
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= 320
