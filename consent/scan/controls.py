"""How the scanner makes a consent choice: this package's own banner, or a foreign site's selectors.

This package's widget (``widget/templates/consent/``) is found by its data attributes: the first layer
``[data-consent-banner]`` holds a form whose ``action`` buttons are ``accept_all`` and ``reject_all``
and a ``[data-consent-open]`` link to the preferences page; that page's form ``[data-consent-panel]``
has one ``input[data-consent-category]`` per optional purpose and a ``custom`` ("Save choices") button.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from playwright.async_api import Locator, Page

from .states import ACCEPT, REJECT, ConsentState

BANNER = "[data-consent-banner]"
_BUTTON = BANNER + " button[name=action][value={action}]"
_PREFERENCES_LINK = BANNER + " a[data-consent-open]"
PANEL = "[data-consent-panel]"


class ChoiceUnavailable(Exception):
    """The page offers no control for this state (no banner, or no selector given)."""


@dataclass(frozen=True)
class Controls:
    """Where the scanner clicks: the widget's controls, or CSS selectors a foreign site needs."""

    accept_selector: str | None = None
    reject_selector: str | None = None

    async def has_widget(self, page: Page) -> bool:
        return await page.locator(_BUTTON.format(action="accept_all")).count() > 0

    async def categories(self, page: Page) -> list[str]:
        """The optional categories the widget's preferences page offers (empty without the widget)."""
        link = page.locator(_PREFERENCES_LINK)
        if not await link.count():
            return []
        href = await link.first.get_attribute("href")
        await page.goto(urljoin(page.url, href or ""), wait_until="domcontentloaded")
        boxes = page.locator(PANEL + " input[data-consent-category]")
        return [value for box in await boxes.all() if (value := await box.get_attribute("value"))]

    async def choose(self, page: Page, state: ConsentState) -> bytes | None:
        """Make ``state``'s choice on ``page``; return a PNG of the control area that was used."""
        if state.name in (ACCEPT, REJECT):
            selector = self.accept_selector if state.name == ACCEPT else self.reject_selector
            if selector is None:
                action = "accept_all" if state.name == ACCEPT else "reject_all"
                selector = _BUTTON.format(action=action)
            control = page.locator(selector).first
            if not await control.count():
                raise ChoiceUnavailable(f"no control for {state.label} ({selector})")
            shot = await _screenshot(page.locator(BANNER).first if selector.startswith(BANNER) else control)
            await control.click()
            return shot
        category = state.category
        if category is None:
            return None
        link = page.locator(_PREFERENCES_LINK)
        if not await link.count():
            raise ChoiceUnavailable(f"no preferences link for {state.label}")
        href = await link.first.get_attribute("href")
        await page.goto(urljoin(page.url, href or ""), wait_until="domcontentloaded")
        panel = page.locator(PANEL).first
        for box in await panel.locator("input[data-consent-category]").all():
            await box.set_checked(await box.get_attribute("value") == category)
        # Vendor boxes stay as they are (unticked for a new visitor): a ticked purpose whose vendor
        # boxes were left alone grants all of its vendors (``consent.views.custom_grants``).
        shot = await _screenshot(panel)
        save = panel.locator("button[name=action][value=custom]")
        if not await save.count():
            raise ChoiceUnavailable(f"the preferences form has no 'Save choices' button for {state.label}")
        await save.first.click()
        return shot


async def _screenshot(target: Locator) -> bytes | None:
    try:
        return await target.screenshot(timeout=3000, animations="disabled")
    except Exception:  # a screenshot is a nicety: an element off-screen or hidden must not stop the scan
        return None
