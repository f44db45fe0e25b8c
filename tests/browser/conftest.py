"""Browser fixtures: the example site on a live server, Debian's Chromium, and a visitor per context.

Every request that leaves the site is answered with a stub and recorded (see ``support.Traffic``), so
nothing reaches the internet and a test can assert which hosts a page tried to contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from consent.scan.browser import CHROMIUM
from consent.scan.browser import CHROMIUM_ARGS as SCANNER_ARGS

from .support import ARTIFACTS, LiveServer, Traffic, Visit, serve_example

# The scanner drives the same Chromium with the same switches (see the developer guide).
CHROMIUM_ARGS = list(SCANNER_ARGS)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The example site, one fresh app per test module (consent lives in cookies: contexts keep tests apart)."""
    with serve_example() as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, one for the whole session (`playwright install` cannot download browsers here)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium, install it with "
            "`apt-get install chromium` (`playwright install` is not used)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def launch_resolving(browser: Browser, names: str) -> Browser:
    """Another Chromium like ``browser`` that resolves the host pattern ``names`` to the loopback address."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing", pytrace=False)
    return browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {names} 127.0.0.1"]
    )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def javascript() -> bool:
    """Whether the visitor's browser runs JavaScript; tests parametrize it to cover both."""
    return True


@pytest.fixture
def browse(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Visit]]:
    """A factory of visitors, each in a new context; every context is closed after the test."""
    contexts: list[BrowserContext] = []
    errors_before = len(live_server.errors)

    def new_visit(*, javascript: bool = True, **options: Any) -> Visit:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-US")  # the browser's language: its Accept-Language header
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            reduced_motion="reduce",
            **options,
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        traffic = Traffic(live_server.url)
        context.route("**/*", traffic.route)
        context.on("request", traffic.started)
        context.on("requestfinished", traffic.ended)
        context.on("requestfailed", traffic.ended)
        return Visit(context, context.new_page(), traffic, javascript)

    yield new_visit
    for context in contexts:
        context.close()
    errors = live_server.errors[errors_before:]
    assert not errors, "the site failed on a request:\n" + "\n".join(errors)


@pytest.fixture
def visit(browse: Callable[..., Visit], javascript: bool) -> Visit:
    """A first-time visitor, with JavaScript unless the test parametrizes ``javascript``."""
    return browse(javascript=javascript)
