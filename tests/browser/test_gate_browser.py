"""What the page loads from third parties, before and after each kind of choice."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from consent.registry import Registry

from .support import ARTICLE, Visit

pytestmark = pytest.mark.browser

both = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def source_hosts(registry: Registry, category: str, *, scripts: bool) -> dict[str, set[str]]:
    """Per vendor of ``category``, the hosts its pixels (and ``scripts``) load from."""
    return {
        vendor.id: {
            urlsplit(src).hostname or ""
            for src in [p.src for p in vendor.pixels] + ([s.src for s in vendor.scripts] if scripts else [])
            if src
        }
        for vendor in registry.vendors_in(category)
    }


def uncovered(hosts: set[str], registry: Registry, category: str) -> set[str]:
    vendors = registry.vendors_in(category)
    return {host for host in hosts if not any(vendor.covers_host(host) for vendor in vendors)}


@both
def test_custom_statistics_loads_only_the_statistics_vendors(visit: Visit, seed_registry: Registry) -> None:
    visit.open(ARTICLE)
    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    panel.get_by_role("checkbox", name="Statistics", exact=True).check()
    mark = visit.traffic.mark()

    visit.submit(panel.get_by_role("button", name="Save choices").click)

    status = visit.status()
    assert status["categories"] == {
        "necessary": "granted",
        "functional": "denied",
        "statistics": "granted",
        "marketing": "denied",
    }
    for vendor in seed_registry.optional_vendors():
        expected = "granted" if vendor.category == "statistics" else "denied"
        assert status["vendors"][vendor.id] == expected, vendor.id
    # A browser without JavaScript never fetches scripts, only the pixels and frames.
    wanted = source_hosts(seed_registry, "statistics", scripts=visit.javascript)
    assert set().union(*wanted.values()) == {
        "sb.scorecardresearch.com",
        "ir-na.amazon-adsystem.com",
        *(["www.googletagmanager.com"] if visit.javascript else []),
    }
    # Right after saving (in place with JavaScript, on the page the form leads to without), then on
    # a fresh load of the article: only statistics hosts, and every statistics script and pixel.
    after_save = visit.traffic.hosts(mark)
    mark = visit.traffic.mark()
    visit.open(ARTICLE)
    for hosts in (after_save, visit.traffic.hosts(mark)):
        assert not uncovered(hosts, seed_registry, "statistics")
        for vendor_id, needed in wanted.items():
            assert needed <= hosts, f"{vendor_id} did not load from {needed - hosts}"


@both
def test_withdrawal_stops_third_parties_and_deletes_their_cookies(visit: Visit) -> None:
    visit.open(ARTICLE)
    visit.submit(visit.banner.get_by_role("button", name="Accept all").click)
    if visit.javascript:
        assert "www.googletagmanager.com" in visit.traffic.hosts()
    else:
        assert "bat.bing.com" in visit.traffic.hosts()  # no scripts without JavaScript, but pixels
        # The (faked) Google Analytics script cannot run here: put its cookie where it would have.
        visit.context.add_cookies([{"name": "_ga", "value": "GA1.1.123", "url": visit.page.url}])
    assert "_ga" in visit.cookie_names(), "the Google Analytics stand-in set its first-party cookie"
    consent_id = visit.status()["consent_id"]

    panel = visit.open_second_layer(visit.settings_link)
    mark = visit.traffic.mark()
    visit.submit(panel.get_by_role("button", name="Withdraw consent").click)
    visit.open(ARTICLE)

    assert visit.traffic.since(mark) == []
    assert "_ga" not in visit.cookie_names()
    status = visit.status()
    assert status["method"] == "withdraw"
    assert status["consent_id"] == consent_id
    assert {d for c, d in status["categories"].items() if c != "necessary"} == {"denied"}
    expect(visit.banner).to_have_count(0)  # withdrawing is an answer: no new prompt


@both
def test_click_to_load_grants_only_that_vendor(visit: Visit, seed_registry: Registry) -> None:
    page = visit.page
    visit.open(ARTICLE)
    slot = page.locator("[data-consent-vendor='google-youtube']")
    if visit.javascript:
        page.evaluate("window.__marker = 1")
    mark = visit.traffic.mark()

    visit.submit(slot.get_by_role("button", name="Load content from Google YouTube").click)

    iframe = slot.locator("iframe")
    expect(iframe).to_be_attached()
    assert urlsplit(iframe.get_attribute("src") or "").hostname == "www.youtube-nocookie.com"
    if visit.javascript:
        assert page.evaluate("window.__marker") == 1, "the embed was swapped in without a reload"
    else:
        iframe.scroll_into_view_if_needed()  # the reloaded page starts at the top; the frame loads lazily
        visit.settle()
    hosts = visit.traffic.hosts(mark)
    youtube = seed_registry.vendor("google-youtube")
    assert hosts, "the video frame was requested"
    assert all(youtube.covers_host(host) for host in hosts), hosts
    status = visit.status()
    assert status["vendors"]["google-youtube"] == "granted"
    others = {
        v.id: status["vendors"][v.id] for v in seed_registry.optional_vendors() if v.id != "google-youtube"
    }
    assert set(others.values()) == {"unasked"}
    expect(visit.banner).to_be_visible()  # one embed answers no purpose: the banner still asks
    expect(page.locator("[data-consent-vendor='google-maps'] iframe")).to_have_count(0)
