"""The widget on a real site's pages: inside the site's own forms, under a bar banner, by keyboard, in a
chosen theme, on a phone, and when the browser refuses the consent cookie (issue #12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Request, Route, expect

from .conftest import launch_resolving
from .support import ARTICLE, ROOT, LiveServer, Traffic, Visit, serve_example

pytestmark = pytest.mark.browser

both = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
HALF_WRITTEN = "I half agree: the score is"
# The placeholders of the article that sit inside the comment form, and the ones outside any form.
IN_THE_COMMENT_FORM = ("facebook-login", "google-recaptcha")
ARTICLE_PLACEHOLDERS = ("google-youtube", "google-maps", "paypal", *IN_THE_COMMENT_FORM)


def grant_button(visit: Visit, vendor_id: str) -> Locator:
    return visit.page.locator(f'[data-consent-vendor="{vendor_id}"] button[data-consent-grant]')


def granted(status: dict[str, Any]) -> set[str]:
    return {vendor for vendor, decision in status["vendors"].items() if decision == "granted"}


def record_posts(visit: Visit) -> list[str]:
    posts: list[str] = []

    def on_request(request: Request) -> None:
        if request.method == "POST":
            posts.append(urlsplit(request.url).path)

    visit.page.on("request", on_request)
    return posts


# -- placeholders inside the site's forms ------------------------------------------------------------


def test_the_article_has_placeholders_inside_its_comment_form(visit: Visit) -> None:
    visit.open(ARTICLE)
    form = visit.page.locator("form.comment-form")
    for vendor_id in IN_THE_COMMENT_FORM:
        expect(form.locator(f'[data-consent-vendor="{vendor_id}"] button[data-consent-grant]')).to_have_count(
            1
        )
    found = visit.page.locator("button[data-consent-grant]").evaluate_all("(els) => els.map((e) => e.value)")
    assert sorted(found) == sorted(ARTICLE_PLACEHOLDERS), "the test clicks every placeholder of the article"
    assert visit.page.locator("form form").count() == 0, "no nested forms"


@both
@pytest.mark.parametrize("vendor_id", ARTICLE_PLACEHOLDERS)
def test_a_placeholder_grants_its_vendor_only_and_keeps_the_half_written_comment(
    visit: Visit, vendor_id: str
) -> None:
    visit.open(ARTICLE)
    before = granted(visit.status())
    visit.page.locator("#comment-body").fill(HALF_WRITTEN)
    posts = record_posts(visit)

    visit.submit(grant_button(visit, vendor_id).click)

    assert posts == ["/consent/"], "only the consent endpoint received a post"
    assert granted(visit.status()) - before == {vendor_id}
    assert visit.page.url.endswith(ARTICLE)
    if visit.javascript:
        expect(visit.page.locator("#comment-body")).to_have_value(HALF_WRITTEN)
    else:  # the page came back from the consent endpoint's redirect: the comment was never posted
        expect(visit.page.locator(".comment-list")).not_to_contain_text(HALF_WRITTEN)
    expect(visit.page.locator(f'[data-consent-vendor="{vendor_id}"] .consent-placeholder')).to_have_count(0)
    expect(visit.banner).to_be_visible()  # a click-to-load grant answers no purpose


def test_a_granted_script_vendor_takes_its_placeholders_place_without_a_reload(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.page.evaluate("window.__samePage = true")

    visit.submit(grant_button(visit, "facebook-login").click)

    assert visit.page.evaluate("window.__samePage === true"), "no reload"
    expect(visit.page.locator('[data-consent-slot="placeholder-facebook-login"]')).to_have_count(0)
    expect(visit.page.locator("form.comment-form .fb-login-button")).to_have_count(1)
    expect(grant_button(visit, "google-recaptcha")).to_be_visible()  # the other one is untouched


def test_an_embed_that_already_runs_is_not_rebuilt_by_another_choice(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.submit(grant_button(visit, "google-youtube").click)
    video = visit.page.locator('[data-consent-vendor="google-youtube"] iframe')
    expect(video).to_have_count(1)
    video.evaluate("(el) => { el.__playing = true; }")  # a playing video's state lives in its node

    visit.submit(grant_button(visit, "google-maps").click)
    expect(visit.page.locator('[data-consent-vendor="google-maps"] iframe')).to_have_count(1)
    assert video.evaluate("(el) => el.__playing === true"), "the video was rebuilt by the map's grant"

    visit.submit(visit.banner.get_by_role("button", name="Accept all").click)
    assert video.evaluate("(el) => el.__playing === true"), "the video was rebuilt by Accept all"


@both
def test_a_settings_link_inside_a_form_opens_the_preferences_and_posts_nothing(visit: Visit) -> None:
    visit.open(ARTICLE)
    # Where a site might put it: next to the captcha in its comment form.
    visit.page.evaluate(
        """() => {
            const link = document.querySelector('footer .consent-settings-link').cloneNode(true);
            link.id = 'in-form-settings';
            document.querySelector('form.comment-form').prepend(link);
        }"""
    )
    posts = record_posts(visit)

    panel = visit.open_second_layer(visit.page.locator("#in-form-settings"))

    expect(panel.get_by_role("button", name="Save choices")).to_be_visible()
    assert posts == []


# -- the bar banner leaves the page usable -----------------------------------------------------------


@both
def test_the_last_controls_of_a_long_page_can_be_clicked_under_the_bar(visit: Visit) -> None:
    visit.page.set_viewport_size({"width": 1280, "height": 600})
    visit.open(ARTICLE)
    expect(visit.banner).to_be_visible()
    assert visit.page.evaluate("document.documentElement.scrollHeight > 2 * innerHeight"), "a long page"

    # Playwright's actionability checks: visible, stable, and receiving the click (not covered).
    visit.settings_link.click(trial=True)
    grant_button(visit, IN_THE_COMMENT_FORM[-1]).click(trial=True)
    visit.page.get_by_role("button", name="Post Comment").click(trial=True)

    visit.submit(visit.settings_link.click)  # and the click itself works
    if visit.javascript:
        expect(visit.page.locator("dialog[open] [data-consent-panel]")).to_be_visible()
    else:
        assert "/consent/preferences" in visit.page.url


@pytest.fixture(scope="module")
def banner_last_server() -> Iterator[LiveServer]:
    """The example with ``consent_banner()`` where sites used to put it: last in ``<body>``."""
    base = (ROOT / "examples" / "reviews" / "templates" / "base.html").read_text(encoding="utf-8")
    first = "  {{ consent_banner() }}\n"
    assert first in base
    last = base.replace(first, "", 1).replace("</body>", first + "</body>")
    with serve_example(templates={"base.html": last}) as server:
        yield server


@both
def test_a_bar_last_in_the_body_covers_none_of_the_last_controls(
    browser: Browser, banner_last_server: LiveServer, javascript: bool
) -> None:
    context = browser.new_context(
        base_url=banner_last_server.url,
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 600},
    )
    try:
        context.set_default_timeout(10_000)
        context.route("**/*", Traffic(banner_last_server.url).route)
        page = context.new_page()
        page.goto(ARTICLE)
        banner = page.locator("[data-consent-banner]")
        expect(banner).to_be_visible()
        assert banner.evaluate(
            "(el) => !el.nextElementSibling || !el.nextElementSibling.matches('main, footer')"
        )

        page.locator("footer .consent-settings-link").click(trial=True)
        page.locator('[data-consent-vendor="google-recaptcha"] button[data-consent-grant]').click(trial=True)
        page.get_by_role("button", name="Post Comment").click(trial=True)
        # Scrolled to the very end, the bar sits below the footer instead of over it.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        footer = page.locator("footer").bounding_box()
        bar = banner.bounding_box()
        assert footer and bar and footer["y"] + footer["height"] <= bar["y"] + 1
    finally:
        context.close()


# -- focus order -------------------------------------------------------------------------------------


@both
def test_the_first_layer_comes_first_in_focus_order(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.page.keyboard.press("Tab")
    assert visit.page.evaluate("!!document.activeElement.closest('[data-consent-banner]')")


def focus_summary(visit: Visit) -> dict[str, Any]:
    return visit.page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const el = document.activeElement;
            return {body: el === document.body, shown: el.getClientRects().length > 0,
                    settings: el.matches('[data-consent-open]')};
        }"""
    )


@pytest.mark.parametrize("button", ["Save choices", "Accept all", "Reject all"])
def test_after_saving_in_the_dialog_the_focus_is_on_a_visible_control(visit: Visit, button: str) -> None:
    visit.open(ARTICLE)
    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    panel.get_by_role("button", name=button).focus()

    visit.submit(lambda: visit.page.keyboard.press("Enter"))

    expect(visit.page.locator("dialog[open]")).to_have_count(0)
    focus = focus_summary(visit)
    assert focus == {"body": False, "shown": True, "settings": True}


def test_after_a_choice_in_the_first_layer_the_focus_is_on_a_visible_control(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.banner.get_by_role("button", name="Reject all").focus()

    visit.submit(lambda: visit.page.keyboard.press("Enter"))

    expect(visit.banner).to_be_hidden()
    assert focus_summary(visit) == {"body": False, "shown": True, "settings": True}


# -- one clear action per state ----------------------------------------------------------------------


def panel_buttons(visit: Visit) -> list[str]:
    panel = visit.open_second_layer(visit.settings_link)
    names: list[str] = panel.locator(".consent-actions button").evaluate_all(
        "(els) => els.map((e) => e.textContent.trim())"
    )
    return names


@both
@pytest.mark.parametrize(
    ("choice", "buttons"),
    [
        (None, ["Save choices", "Accept all", "Reject all"]),
        ("Reject all", ["Save choices", "Accept all"]),
        ("Accept all", ["Save choices", "Withdraw consent"]),
    ],
    ids=["undecided", "rejected", "accepted"],
)
def test_the_dialog_offers_one_way_out_per_state(
    visit: Visit, choice: str | None, buttons: list[str]
) -> None:
    visit.open(ARTICLE)
    if choice:
        visit.submit(visit.banner.get_by_role("button", name=choice).click)
        visit.open(ARTICLE)
    assert panel_buttons(visit) == buttons


# -- theme -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["light", "dark"])
def themed_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, LiveServer]]:
    with serve_example({"CONSENT_THEME": request.param}) as server:
        yield request.param, server


BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(28, 28, 34)"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_consent_theme_wins_over_the_os_colour_scheme(
    browser: Browser, themed_server: tuple[str, LiveServer], scheme: str
) -> None:
    theme, server = themed_server
    context = browser.new_context(base_url=server.url, color_scheme=scheme, locale="en-US")  # type: ignore[arg-type]
    try:
        context.route("**/*", Traffic(server.url).route)
        page = context.new_page()
        page.goto(ARTICLE)
        banner = page.locator("[data-consent-banner]")
        expect(banner).to_have_css("background-color", BACKGROUNDS[theme])
        placeholder = page.locator(".consent-placeholder").first
        expect(placeholder).to_have_css("background-color", BACKGROUNDS[theme])
        page.goto("/consent/preferences")
        expect(page.locator("body")).to_have_css("background-color", BACKGROUNDS[theme])
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_auto_theme_follows_the_os(browse: Callable[..., Visit], scheme: str) -> None:
    visit = browse(color_scheme=scheme)
    visit.open(ARTICLE)
    expect(visit.page.locator("[data-consent-banner]")).to_have_css("background-color", BACKGROUNDS[scheme])


# -- the cookie table on a phone ---------------------------------------------------------------------

WRAPPED_WORDS = """(table) => {
    const broken = [];
    for (const th of table.querySelectorAll('th')) {
        const text = th.firstChild;
        let at = 0;
        for (const word of text.data.split(' ')) {
            const range = document.createRange();
            range.setStart(text, at); range.setEnd(text, at + word.length);
            const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
            if (lines.size > 1) broken.push(word);
            at += word.length + 1;
        }
    }
    return broken;
}"""


@both
def test_the_cookie_tables_break_no_header_word_at_375px(
    browse: Callable[..., Visit], javascript: bool
) -> None:
    visit = browse(javascript=javascript, viewport={"width": 375, "height": 740})
    visit.open(ARTICLE)
    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    for details in panel.locator("details").all():
        details.evaluate("(el) => { el.open = true; }")
    tables = panel.locator("table.consent-cookies")
    assert tables.count() > 10
    for table in tables.all():
        assert table.evaluate(WRAPPED_WORDS) == [], table.evaluate("(t) => t.caption.textContent")


# -- a cookie the browser refuses --------------------------------------------------------------------


@pytest.fixture(scope="module")
def secure_cookie_server() -> Iterator[LiveServer]:
    """The example with production's Secure (``__Host-``) consent cookie, served over plain http."""
    with serve_example({"CONSENT_COOKIE_SECURE": True}) as server:
        yield server


def test_a_save_the_browser_refused_is_reported_not_hidden(
    browser: Browser, secure_cookie_server: LiveServer
) -> None:
    # shop.test is an insecure origin (unlike localhost): Chromium drops the Secure cookie it is sent.
    named_host = launch_resolving(browser, "shop.test")
    try:
        origin = f"http://shop.test:{urlsplit(secure_cookie_server.url).port}"
        context = named_host.new_context(base_url=origin, locale="en-US")
        context.route("**/*", Traffic(origin).route)
        page = context.new_page()
        page.goto(ARTICLE)
        banner = page.locator("[data-consent-banner]")
        banner.get_by_role("button", name="Accept all").click()

        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("could not be saved")
        expect(alert).to_be_focused()
        expect(banner).to_be_visible()
        assert banner.evaluate("(el, a) => el.contains(a)", alert.element_handle())
        assert not [c for c in context.cookies() if "consent" in c.get("name", "")]
    finally:
        named_host.close()


# -- pixels for visitors without JavaScript ----------------------------------------------------------

NOSCRIPT_PIXEL = '<noscript><img data-consent-key="px-noscript" src="https://noscript.pixel.test/tr?noscript=1" alt=""></noscript>'
PLAIN_PIXEL = '<img data-consent-key="px-plain" src="https://plain.pixel.test/tr" alt="" hidden>'


def test_a_noscript_pixel_in_the_refreshed_page_does_not_fire_with_javascript(visit: Visit) -> None:
    """consent.js adds the newly approved tags of the refreshed page, but never one meant for visitors
    without JavaScript only (a ``<noscript>`` pixel beside the vendor's script would count twice)."""
    visit.open(ARTICLE)

    def with_pixels(route: Route) -> None:
        if route.request.resource_type != "fetch":
            route.continue_()
            return
        response = route.fetch()
        body = response.text().replace("</body>", NOSCRIPT_PIXEL + PLAIN_PIXEL + "</body>")
        route.fulfill(response=response, body=body)

    visit.page.route(f"**{ARTICLE}", with_pixels)
    visit.submit(grant_button(visit, "google-youtube").click)

    hosts = visit.traffic.hosts()
    assert "plain.pixel.test" in hosts, "the refreshed page's new pixel was added"
    assert "noscript.pixel.test" not in hosts
