"""The per-directive Content-Security-Policy in Chromium (#13.3): in both modes the example works for an
undecided visitor and after Accept all, the approved vendors' scripts, pixels and frames load, and
nothing of the site itself is blocked."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import ConsoleMessage

from .support import ARTICLE, LiveServer, Visit, serve_example

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=[False, True], ids=["host-lists", "strict-dynamic"])
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with serve_example({"CONSENT_CSP": "enforce", "CONSENT_CSP_STRICT_DYNAMIC": request.param}) as server:
        yield server


def violations(visit: Visit) -> list[str]:
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    visit.page.on("console", listen)
    return found


def test_an_undecided_visitor_sees_a_working_banner_and_nothing_blocked(browse: Callable[..., Visit]) -> None:
    visit = browse()
    blocked = violations(visit)
    visit.open(ARTICLE)
    assert visit.banner.is_visible()
    assert visit.page.evaluate("() => !!document.querySelector('script[data-consent-script]')")
    assert blocked == []
    assert visit.traffic.third_party == []


def test_after_accept_all_the_vendors_load_under_the_policy(browse: Callable[..., Visit]) -> None:
    visit = browse()
    blocked = violations(visit)
    visit.open(ARTICLE)
    visit.submit(lambda: visit.banner.get_by_role("button", name="Accept all").click())
    visit.open(ARTICLE)
    assert visit.status()["decided"]
    hosts = visit.traffic.hosts()
    # A script, a pixel and a beacon host, each allowed in its own directive, reached the (fake) network.
    assert "www.googletagmanager.com" in hosts  # script-src
    assert "www.facebook.com" in hosts or "bat.bing.com" in hosts  # img-src (remarketing pixels)
    assert "_ga" in visit.cookie_names()  # the fake GA loader ran (a nonced script)
    assert [v for v in blocked if "www.googletagmanager.com" in v] == []
