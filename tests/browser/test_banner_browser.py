"""The first and second layer in a real browser, with JavaScript and without."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from .support import ARTICLE, OPTIONAL_CATEGORIES, Visit

pytestmark = pytest.mark.browser

both = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def save_statistics_only(visit: Visit) -> None:
    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    panel.get_by_role("checkbox", name="Statistics", exact=True).check()
    visit.submit(panel.get_by_role("button", name="Save choices").click)


def optional_categories(status: dict[str, Any]) -> dict[str, str]:
    return {c: status["categories"][c] for c in OPTIONAL_CATEGORIES}


@both
def test_first_visit_shows_the_banner_and_contacts_no_third_party(visit: Visit) -> None:
    visit.open(ARTICLE)

    banner = visit.banner
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading", name="This website uses cookies")).to_be_visible()
    expect(banner.get_by_role("button", name="Accept all")).to_be_visible()
    expect(banner.get_by_role("button", name="Reject all")).to_be_visible()
    expect(banner.get_by_role("link", name="Customize")).to_be_visible()
    assert visit.traffic.since() == []


@both
def test_reject_all_is_remembered_and_loads_nothing_third_party(visit: Visit) -> None:
    visit.open(ARTICLE)

    visit.submit(visit.banner.get_by_role("button", name="Reject all").click)

    expect(visit.banner).to_be_hidden()
    status = visit.status()
    assert status["method"] == "reject_all"
    assert optional_categories(status) == dict.fromkeys(OPTIONAL_CATEGORIES, "denied")
    visit.page.reload(wait_until="networkidle")
    expect(visit.banner).to_have_count(0)
    for path in ("/", ARTICLE):
        visit.open(path)
        expect(visit.banner).to_have_count(0)
    assert visit.traffic.since() == []


@both
def test_settings_link_reopens_the_second_layer_with_the_saved_choices(visit: Visit) -> None:
    visit.open(ARTICLE)
    save_statistics_only(visit)
    visit.open(ARTICLE)

    panel = visit.open_second_layer(visit.settings_link)

    if visit.javascript:
        assert visit.page.url.endswith(ARTICLE), "the dialog opens in place"
        expect(visit.page.locator("dialog[open]")).to_have_count(1)
    else:
        assert "/consent/preferences" in visit.page.url
    expect(panel.get_by_role("checkbox", name="Statistics", exact=True)).to_be_checked()
    expect(panel.get_by_role("checkbox", name="Marketing", exact=True)).not_to_be_checked()
    expect(panel.get_by_role("checkbox", name="Features", exact=True)).not_to_be_checked()
    expect(panel.get_by_role("button", name="Withdraw consent")).to_be_visible()


def test_a_choice_in_the_dialog_dispatches_consent_change(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.page.evaluate(
        "document.addEventListener('consent:change', (e) => { window.__consentChange = e.detail; })"
    )

    save_statistics_only(visit)

    detail = visit.page.wait_for_function("() => window.__consentChange").json_value()
    assert detail["method"] == "custom"
    assert detail["categories"] == {
        "necessary": "granted",
        "functional": "denied",
        "statistics": "granted",
        "marketing": "denied",
    }
    assert detail["consent_id"] == visit.status()["consent_id"]


def test_the_dialog_traps_focus(visit: Visit) -> None:
    page = visit.page
    visit.open(ARTICLE)
    visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    in_dialog = "document.querySelector('dialog[open]').contains(document.activeElement)"
    assert page.evaluate(in_dialog), "opening the dialog moves the focus into it"
    page.evaluate("window.__first = document.activeElement")

    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.matches('[data-consent-close]')"), (
        "Shift+Tab from the first control wraps to the last"
    )
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement === window.__first"), (
        "Tab from the last control wraps to the first"
    )
    for _ in range(30):  # more than twice round the dialog's controls: the focus never leaves it
        page.keyboard.press("Tab")
        assert page.evaluate(in_dialog)


def test_escape_closes_the_dialog_and_returns_focus_to_its_opener(visit: Visit) -> None:
    page = visit.page
    visit.open(ARTICLE)
    link = visit.settings_link
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("dialog[open]")).to_be_visible()
    assert page.evaluate("document.querySelector('dialog[open]').contains(document.activeElement)")

    page.keyboard.press("Escape")

    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(link).to_be_focused()
    expect(visit.banner).to_be_visible()  # closing without a choice decides nothing
    assert visit.status()["decided"] is False


@both
def test_the_whole_flow_works_by_keyboard_alone(visit: Visit) -> None:
    page = visit.page
    visit.open(ARTICLE)

    visit.tab_to(visit.banner.get_by_role("link", name="Customize"))
    if visit.javascript:
        page.keyboard.press("Enter")
        panel = page.locator("dialog[open] [data-consent-panel]")
        expect(panel).to_be_visible()
    else:
        visit.submit(lambda: page.keyboard.press("Enter"))
        panel = page.locator("[data-consent-panel]")
    statistics = panel.get_by_role("checkbox", name="Statistics", exact=True)
    visit.tab_to(statistics)
    page.keyboard.press("Space")
    expect(statistics).to_be_checked()
    visit.tab_to(panel.get_by_role("button", name="Save choices"))
    visit.submit(lambda: page.keyboard.press("Enter"))

    status = visit.status()
    assert status["method"] == "custom"
    assert optional_categories(status) == {
        "functional": "denied",
        "statistics": "granted",
        "marketing": "denied",
    }
    expect(visit.banner).to_be_hidden()


def test_accept_and_reject_look_the_same(visit: Visit) -> None:
    visit.open(ARTICLE)

    def look(button: Locator) -> dict[str, object]:
        return button.evaluate(  # type: ignore[no-any-return]
            """(el) => {
                const s = getComputedStyle(el), r = el.getBoundingClientRect();
                return {bg: s.backgroundColor, fg: s.color, border: s.borderColor, weight: s.fontWeight,
                        size: s.fontSize, height: r.height};
            }"""
        )

    accept = look(visit.banner.get_by_role("button", name="Accept all"))
    reject = look(visit.banner.get_by_role("button", name="Reject all"))

    assert accept == reject


def test_screenshots_of_both_layers(visit: Visit, artifacts: Path) -> None:
    """Pictures for the README: the first layer, the banner alone, and the dialog with details open."""
    page = visit.page
    visit.open("/")  # a short page: nothing of the article shows through the banner's rounded corners
    expect(visit.banner).to_be_visible()
    visit.banner.screenshot(path=artifacts / "banner.png")
    visit.open(ARTICLE)
    expect(visit.banner).to_be_visible()
    page.screenshot(path=artifacts / "first-layer.png")

    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    statistics = panel.locator("section.consent-category").filter(
        has=page.get_by_role("checkbox", name="Statistics", exact=True)
    )
    statistics.locator("summary").click()
    expect(statistics.locator("details")).to_have_attribute("open", "")
    # The purpose at the top of the dialog, with a little of the one above it for context.
    statistics.evaluate(
        """(el) => {
            el.scrollIntoView({ block: 'start' });
            el.closest('[data-consent-dialog-content]').scrollBy(0, -72);
        }"""
    )
    page.screenshot(path=artifacts / "second-layer.png")

    for name in ("first-layer.png", "banner.png", "second-layer.png"):
        assert (artifacts / name).stat().st_size > 5_000
