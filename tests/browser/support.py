"""What the browser tests share: the record of third-party traffic and a visitor with its page."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jinja2 import ChoiceLoader, DictLoader
from live_server import serve_app
from playwright.sync_api import BrowserContext, Locator, Page, Request, Route, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REGISTRY = ROOT / "examples" / "reviews" / "vendors.toml"
ARTICLE = "/movie-review-her"
OPTIONAL_CATEGORIES = ("functional", "statistics", "marketing")

# What the fake Google Analytics loader does: set the first-party cookie the real one sets.
GA_LOADER = 'document.cookie = "_ga=GA1.1.123; path=/";'
# 1x1 transparent GIF, the answer to every third-party pixel.
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@dataclass
class LiveServer:
    url: str
    errors: list[str]


class ErrorLog(logging.Handler):
    """Collects what werkzeug logs at ERROR level: the tracebacks of requests that failed.

    It takes every level (and keeps only errors) so that werkzeug sees a handler for its INFO level and
    adds no stderr handler of its own; the access log still reaches pytest's log capture.
    """

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())


@contextmanager
def serve_example(
    config: Mapping[str, Any] | None = None, templates: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """The example site, with ``config`` on top of the testing defaults, on a live server on loopback.

    The server answers any ``Host`` (a test may reach it under other names, such as subdomains mapped to
    127.0.0.1 by the browser); what it logs at ERROR level lands in ``LiveServer.errors``. ``templates``
    (name -> source) take the place of the example's own templates of those names.
    """
    if str(ROOT) not in sys.path:  # the example site is a folder of the repository, not an installed package
        sys.path.insert(0, str(ROOT))
    from examples.reviews.app import create_app

    app = create_app({"TESTING": True, **(config or {})})
    if templates:
        app.jinja_loader = ChoiceLoader([DictLoader(dict(templates)), app.jinja_loader])  # type: ignore[list-item]
    logger = logging.getLogger("werkzeug")
    errors = ErrorLog()
    logger.addHandler(errors)
    try:
        with serve_app(app) as url:
            yield LiveServer(url, errors.messages)
    finally:
        logger.removeHandler(errors)


@dataclass(repr=False)
class Traffic:
    """Routes every request of a context: the site's own go through, everything else is faked and recorded.

    Nothing reaches the internet. Scripts get an empty body, except the Google Analytics loader, which
    sets ``_ga`` like the real one; pixels get a GIF, frames an empty page.
    """

    origin: str
    third_party: list[str] = field(default_factory=list)
    in_flight: set[Request] = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)

    def route(self, route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
            return
        self.third_party.append(request.url)
        kind = request.resource_type
        if kind == "script":
            is_ga = parts.hostname == "www.googletagmanager.com" and parts.path == "/gtag/js"
            route.fulfill(status=200, content_type="application/javascript", body=GA_LOADER if is_ga else "")
        elif kind == "image":
            route.fulfill(status=200, content_type="image/gif", body=GIF)
        elif kind in ("document", "subdocument"):
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>stub</title>")
        else:
            route.fulfill(status=200, content_type="text/plain", body="")

    def __repr__(self) -> str:
        return f"<Traffic: {len(self.third_party)} third-party requests, {len(self.in_flight)} in flight>"

    def started(self, request: Request) -> None:
        self.in_flight.add(request)
        self.last_activity = time.monotonic()

    def ended(self, request: Request) -> None:
        self.in_flight.discard(request)
        self.last_activity = time.monotonic()

    def mark(self) -> int:
        """A bookmark in the record, for :meth:`since` and :meth:`hosts`."""
        return len(self.third_party)

    def since(self, mark: int = 0) -> list[str]:
        return self.third_party[mark:]

    def hosts(self, mark: int = 0) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.third_party[mark:]}


@dataclass(repr=False)
class Visit:
    """One visitor: a fresh browser context (its own cookies), a page, and the context's traffic."""

    context: BrowserContext
    page: Page
    traffic: Traffic
    javascript: bool

    def __repr__(self) -> str:
        return f"<Visit {'with' if self.javascript else 'without'} JavaScript at {self.page.url}>"

    def open(self, path: str) -> None:
        """Load a page of the site and wait until the network is idle."""
        self.page.goto(path, wait_until="networkidle")

    def status(self) -> dict[str, Any]:
        """The stored consent, as the site reads it from this visitor's cookie."""
        response = self.context.request.get("/consent/status")
        assert response.ok, response.status
        data: dict[str, Any] = response.json()
        response.dispose()
        return data

    def cookie_names(self) -> set[str]:
        return {cookie.get("name", "") for cookie in self.context.cookies()}

    @property
    def banner(self) -> Locator:
        """The first layer."""
        return self.page.get_by_role("region", name="This website uses cookies")

    @property
    def settings_link(self) -> Locator:
        """The "Cookie settings" link in the footer (the floating button is its twin)."""
        return self.page.locator("footer .consent-settings-link")

    def submit(self, act: Callable[[], None]) -> None:
        """Do ``act`` (click a button, press Enter...) and wait until its consequences settle: with
        JavaScript the fetch and the in-page update or reload that follows; without, the navigation (a
        form's POST and redirect, or a link) and the page it leads to."""
        if self.javascript:
            act()
            self.settle()
        else:
            with self.page.expect_navigation():
                act()
            self.page.wait_for_load_state("networkidle")

    def open_second_layer(self, control: Locator) -> Locator:
        """Click a link that opens the preferences; the panel, in the dialog (JS) or on its own page."""
        if self.javascript:
            control.click()
            panel = self.page.locator("dialog[open] [data-consent-panel]")
        else:
            with self.page.expect_navigation():
                control.click()
            panel = self.page.locator("[data-consent-panel]")
        expect(panel).to_be_visible()
        return panel

    def tab_to(self, target: Locator, limit: int = 150) -> None:
        """Press Tab until ``target`` has the focus, as a keyboard user would."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if target.evaluate("(el) => el === document.activeElement"):
                return
        raise AssertionError(f"{target} was not reached with {limit} presses of Tab")

    def axe(self, within: str | None = None) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is now, or within the element ``within`` selects."""
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: run `npm ci`", pytrace=False)
        self.page.add_script_tag(path=str(AXE))
        violations: list[dict[str, Any]] = self.page.evaluate(
            "async (within) => (await axe.run(within ?? document, { resultTypes: ['violations'] })).violations",
            within,
        )
        return violations

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until no request of this context has been in flight for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(50)  # lets Playwright deliver the request events
            if not self.traffic.in_flight and time.monotonic() - self.traffic.last_activity >= quiet:
                return
        pending = ", ".join(sorted(r.url for r in self.traffic.in_flight))
        raise AssertionError(f"the network did not settle within {timeout}s; in flight: {pending}")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """axe-core's violations, one rule a line with the offending elements under it."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:10]:
            summary = " ".join(node["failureSummary"].split())
            lines.append(f"    {' '.join(node['target'])}: {summary}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)
