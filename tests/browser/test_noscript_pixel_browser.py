"""A ``noscript`` pixel is fetched only by a browser without JavaScript; the vendor's script only with it.

The page is the gate's own output for an approved vendor (``render_scripts``), served from a fake origin;
every request is answered locally and recorded, so nothing reaches the internet.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Route

from consent.gate import decide, render_scripts
from consent.registry import Registry
from consent.state import ConsentState

ORIGIN = "https://site.test"
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def registry() -> Registry:
    return Registry.model_validate(
        {
            "name": "Pixels",
            "categories": [{"id": "marketing", "title": "Marketing"}],
            "vendors": [
                {
                    "id": "meta-pixel",
                    "number": 1,
                    "name": "Meta Pixel",
                    "category": "marketing",
                    "policy_url": "https://www.facebook.com/privacy/policy/",
                    "hosts": ["connect.facebook.net", "www.facebook.com"],
                    "scripts": [{"src": "https://connect.facebook.net/en_US/fbevents.js"}],
                    "pixels": [
                        {"src": "https://www.facebook.com/tr?id=1&ev=PageView&noscript=1", "noscript": True},
                        {"src": "https://www.facebook.com/tr?id=1&ev=Always"},
                    ],
                }
            ],
        }
    )


def page_html() -> str:
    reg = registry()
    tags = render_scripts(decide(reg, ConsentState.accept_all(reg)), "body")
    return (
        f"<!doctype html><html lang=en><head><title>t</title></head><body><p>Article</p>{tags}</body></html>"
    )


@pytest.mark.browser
@pytest.mark.parametrize(
    ("javascript", "expected"), [(True, {"fbevents.js", "Always"}), (False, {"noscript=1", "Always"})]
)
def test_only_one_of_script_and_noscript_pixel_is_fetched(
    browser: Browser, javascript: bool, expected: set[str]
) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    fetched: list[str] = []
    html = page_html()

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(ORIGIN):
            route.fulfill(status=200, content_type="text/html", body=html)
            return
        fetched.append(url)
        kind: dict[str, Any] = (
            {"content_type": "image/gif", "body": GIF}
            if route.request.resource_type == "image"
            else {"content_type": "application/javascript", "body": ""}
        )
        route.fulfill(status=200, **kind)

    try:
        context.route("**/*", route)
        page = context.new_page()
        page.goto(f"{ORIGIN}/", wait_until="load")
        page.wait_for_timeout(200)
    finally:
        context.close()

    seen = {
        marker for marker in ("fbevents.js", "noscript=1", "Always") if any(marker in url for url in fetched)
    }
    assert seen == expected, fetched
