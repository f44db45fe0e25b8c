"""#13.2 in Chromium: a foreign site frames the preferences page and the article; both frames are
blocked, and a decision it forces through a framed form is refused and never reaches the ledger.

The foreign site runs on loopback under another name (``localhost`` versus the site's ``127.0.0.1``),
so the browser treats it as cross-site, as it would a real attacker's domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from live_server import serve_app
from playwright.sync_api import Browser, Frame, Page, Route
from werkzeug.wrappers import Request, Response

from consent.ledger import Ledger

from .support import ARTICLE, LiveServer, serve_example

pytestmark = pytest.mark.browser


@contextmanager
def foreign_site(html: str) -> Iterator[str]:
    """Another origin on loopback that serves ``html`` at ``/``."""

    @Request.application
    def app(request: Request) -> Response:
        return Response(html, mimetype="text/html")

    with serve_app(app) as url:  # under "localhost": another origin than the site's 127.0.0.1
        yield url.replace("127.0.0.1", "localhost") + "/"


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.sqlite3'}"
    Ledger(url, timeout=None).init()
    return url


@pytest.fixture(scope="module")
def live_server(ledger_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    spool = Path(tmp_path_factory.mktemp("spool")) / "spool"
    with serve_example(
        {"CONSENT_LEDGER_URL": ledger_url, "CONSENT_LEDGER_KEY": "k" * 32, "CONSENT_LEDGER_SPOOL": str(spool)}
    ) as server:
        yield server


def ledger_count(url: str) -> int:
    ledger = Ledger(url, timeout=None)
    try:
        return ledger.count()
    finally:
        ledger.close()


def loopback_only(route: Route) -> None:
    # Nothing may leave the machine: the pages framed here load nothing third-party anyway.
    host = route.request.url.split("/")[2].split(":")[0]
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def framing_page(browser: Browser, html: str) -> tuple[Page, list[str]]:
    context = browser.new_context()
    context.route("**/*", loopback_only)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    return page, console


def child_frame(page: Page, name: str) -> Frame:
    (frame,) = [f for f in page.frames if f.name == name]
    return frame


def rendered(frame: Frame, site: str) -> bool:
    """Whether the frame shows the site's document (a blocked frame shows Chromium's error page)."""
    return frame.url.startswith(site) and frame.locator("body *").count() > 0


def test_a_foreign_site_cannot_frame_the_consent_controls(browser: Browser, live_server: LiveServer) -> None:
    site = live_server.url
    html = (
        f'<iframe name="preferences" src="{site}/consent/preferences"></iframe>'
        f'<iframe name="article" src="{site}{ARTICLE}"></iframe>'
        # The control: a response of the site without consent controls frames fine from here.
        f'<iframe name="control" src="{site}/.well-known/gpc.json"></iframe>'
    )
    with foreign_site(html) as attacker:
        page, console = framing_page(browser, html)
        try:
            page.goto(attacker, wait_until="load")
            page.wait_for_timeout(300)
            assert rendered(child_frame(page, "control"), site)
            for name in ("preferences", "article"):
                frame = child_frame(page, name)
                assert not rendered(frame, site), name
                assert frame.locator("button[name=action]").count() == 0, name
            assert any("frame-ancestors" in text for text in console), console
        finally:
            page.context.close()


def test_a_forced_framed_decision_is_refused_and_not_recorded(
    browser: Browser, live_server: LiveServer, ledger_url: str
) -> None:
    site = live_server.url
    before = ledger_count(ledger_url)
    html = (
        '<iframe name="sink"></iframe>'
        f'<form id="f" method="post" action="{site}/consent/" target="sink">'
        '<input type="hidden" name="action" value="accept_all"><input type="hidden" name="layer" value="first">'
        "</form>"
    )
    with foreign_site(html) as attacker:
        page, _ = framing_page(browser, html)
        try:
            page.goto(attacker, wait_until="load")
            with page.expect_response(lambda r: r.url == f"{site}/consent/") as answer:
                page.evaluate("document.getElementById('f').submit()")
            assert 400 <= answer.value.status < 500
            assert not [c for c in page.context.cookies(site) if c["name"] == "consent"]
        finally:
            page.context.close()
    assert ledger_count(ledger_url) == before


def test_the_same_decision_from_the_site_itself_is_recorded(
    browser: Browser, live_server: LiveServer, ledger_url: str
) -> None:
    """The control for the test above: the same form, posted from the site's own page, counts."""
    site = live_server.url
    before = ledger_count(ledger_url)
    page, _ = framing_page(browser, "")
    try:
        page.goto(f"{site}{ARTICLE}")
        with page.expect_response(lambda r: r.url == f"{site}/consent/") as answer:
            page.get_by_role("button", name="Accept all").first.click()
        assert answer.value.status in (200, 303)
        page.wait_for_load_state("load")
        assert [c for c in page.context.cookies(site) if c["name"] == "consent"]
    finally:
        page.context.close()
    assert ledger_count(ledger_url) == before + 1
