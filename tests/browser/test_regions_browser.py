"""Regions, Global Privacy Control, Consent Mode and subdomains in Chromium, third-party requests recorded.

The example site runs behind a pretend proxy: it trusts ``X-Test-Region``, which each browser context
sends with ``extra_http_headers`` (with ``Sec-GPC: 1`` for a visitor whose browser sends the signal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Response, Route, expect

from consent.registry import Registry, Vendor

from .conftest import launch_resolving
from .support import ARTICLE, LiveServer, Traffic, Visit, describe_violations, serve_example

pytestmark = pytest.mark.browser

REGION = "X-Test-Region"
both = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
DATA_LAYER = "() => (window.dataLayer || []).map((entry) => Array.from(entry))"
EXPAND_DETAILS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"
OPT_OUT = "Do not sell or share my personal information"
GA = "www.googletagmanager.com"


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The example site, trusting the region header its (pretend) CDN sets."""
    with serve_example({"CONSENT_REGION_HEADER": REGION}) as server:
        yield server


def visitor(
    browse: Callable[..., Visit],
    region: str | None,
    *,
    gpc: bool = False,
    javascript: bool = True,
    headers: dict[str, str] | None = None,
) -> Visit:
    """A first-time visitor from ``region`` (``None``: the CDN sent none), whose browser may send GPC."""
    extra = dict(headers or {})
    if region is not None:
        extra[REGION] = region
    if gpc:
        extra["Sec-GPC"] = "1"
    return browse(javascript=javascript, extra_http_headers=extra)


def notice(visit: Visit) -> Locator:
    """The first layer in opt-out regions."""
    return visit.page.get_by_role("region", name="Your privacy choices")


def source_hosts(vendors: list[Vendor], *, scripts: bool) -> set[str]:
    """The hosts the pixels (and ``scripts``) of these vendors load from."""
    sources = [p.src for v in vendors for p in v.pixels]
    if scripts:
        sources += [s.src for v in vendors for s in v.scripts if s.src]
    return {urlsplit(src).hostname or "" for src in sources}


def sellers(registry: Registry) -> list[Vendor]:
    return [v for v in registry.vendors if v.sale_share]


def others(registry: Registry) -> list[Vendor]:
    return [v for v in registry.optional_vendors() if not v.sale_share]


def sale_only_hosts(registry: Registry, *, scripts: bool) -> set[str]:
    """Hosts only a sale/share vendor loads from: a request to one means such a vendor ran."""
    keep = others(registry)
    hosts = source_hosts(sellers(registry), scripts=scripts)
    return {h for h in hosts if not any(v.covers_host(h) for v in keep)}


def data_layer(visit: Visit) -> list[list[Any]]:
    layer: list[list[Any]] = visit.page.evaluate(DATA_LAYER)
    return layer


def consent_commands(layer: list[list[Any]], kind: str) -> list[tuple[int, dict[str, str]]]:
    """``(index, settings)`` of every ``gtag('consent', kind, settings)`` in the data layer."""
    return [(i, entry[2]) for i, entry in enumerate(layer) if entry[:2] == ["consent", kind]]


def config_indexes(layer: list[list[Any]]) -> list[int]:
    return [i for i, entry in enumerate(layer) if entry[:1] == ["config"]]


def granted(settings: dict[str, Any]) -> set[str]:
    return {k for k, v in settings.items() if v == "granted"}


def stored_types(registry: Registry, status: dict[str, Any]) -> set[str]:
    """The Consent Mode types the stored choices grant (by purpose, or by a vendor's own mapping)."""
    types: set[str] = set()
    for category in registry.categories:
        if status["categories"][category.id] == "granted":
            types.update(t.value for t in category.consent_mode)
    for vendor in registry.vendors:
        if status["vendors"][vendor.id] == "granted":
            types.update(t.value for t in vendor.consent_mode)
    return types


# -- opt-in regions, unknown regions, untrusted headers ----------------------------------------------


@pytest.mark.parametrize("gpc", [False, True], ids=["no-gpc", "gpc"])
@pytest.mark.parametrize("region", ["DE", "GB"])
def test_opt_in_region_makes_no_third_party_request_before_a_choice(
    browse: Callable[..., Visit], region: str, gpc: bool
) -> None:
    visit = visitor(browse, region, gpc=gpc)
    visit.open(ARTICLE)

    expect(visit.banner).to_be_visible()
    expect(visit.banner.get_by_text("Global Privacy Control")).to_have_count(1 if gpc else 0)
    expect(notice(visit)).to_have_count(0)
    visit.settle()
    assert visit.traffic.since() == []
    # The UK exempts first-party statistics (the visitor may object); they never leave the site.
    expect(visit.page.locator("img.traffic-pixel")).to_have_count(1 if region == "GB" else 0)
    status = visit.status()
    assert (status["decided"], status["current_policy"]) == (False, "opt-in")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {REGION: "ZZ"},
        {REGION: "XX"},
        {REGION: "not a region"},
        # Headers a visitor may send but the site does not trust: never a way out of opt-in.
        {"X-Region": "US-CA", "CF-IPCountry": "US", "CloudFront-Viewer-Country-Region": "CA"},
    ],
    ids=["missing", "ZZ", "XX", "malformed", "untrusted"],
)
def test_unknown_region_and_untrusted_headers_behave_as_opt_in(
    browse: Callable[..., Visit], headers: dict[str, str]
) -> None:
    visit = browse(extra_http_headers=headers)
    visit.open(ARTICLE)

    expect(visit.banner).to_be_visible()
    expect(notice(visit)).to_have_count(0)
    expect(visit.page.locator("footer .consent-privacy-choices")).to_have_count(0)
    visit.settle()
    assert visit.traffic.since() == []
    assert visit.status()["current_policy"] == "opt-in"


# -- opt-out regions -------------------------------------------------------------------------------


@both
def test_opt_out_region_one_click_stops_the_sale_share_vendors(
    browse: Callable[..., Visit], javascript: bool, seed_registry: Registry
) -> None:
    visit = visitor(browse, "US-CA", javascript=javascript)
    visit.open(ARTICLE)
    selling = sale_only_hosts(seed_registry, scripts=javascript)
    assert selling

    # The notice instead of the banner, and the persistent link with the opt-out icon.
    expect(notice(visit)).to_be_visible()
    expect(visit.banner).to_have_count(0)
    link = visit.page.locator("footer a.consent-privacy-choices")
    expect(link).to_have_text("Your Privacy Choices")
    expect(link.locator("svg.consent-choices-icon")).to_be_visible()
    # Every declared vendor loads, and nothing undeclared.
    visit.settle()
    requested = visit.traffic.hosts()
    everyone = list(seed_registry.optional_vendors())
    assert source_hosts(everyone, scripts=javascript) <= requested
    assert all(any(v.covers_host(h) for v in everyone) for h in requested), requested

    mark = visit.traffic.mark()
    button = notice(visit).get_by_role("button", name=OPT_OUT)
    visit.submit(button.click)  # one step: no confirmation, no second layer

    expect(notice(visit)).to_have_count(0)
    visit.page.wait_for_load_state("networkidle")
    visit.settle()
    status = visit.status()
    assert (status["method"], status["policy"]) == ("opt_out", "opt-out")
    assert {v for v, d in status["vendors"].items() if d == "denied"} == {
        v.id for v in sellers(seed_registry)
    }
    after = visit.traffic.hosts(mark)
    assert not after & selling, after & selling
    if javascript:  # the page was reloaded: the others run on
        assert source_hosts(others(seed_registry), scripts=True) <= after

    # ... and on the next page.
    mark = visit.traffic.mark()
    visit.open("/")
    expect(notice(visit)).to_have_count(0)
    visit.settle()
    assert not visit.traffic.hosts(mark) & selling
    expect(visit.page.locator("footer a.consent-privacy-choices svg.consent-choices-icon")).to_be_visible()


def test_opt_out_region_with_gpc_never_loads_the_sale_share_vendors(
    browse: Callable[..., Visit], seed_registry: Registry
) -> None:
    visit = visitor(browse, "US-CA", gpc=True)
    selling = sale_only_hosts(seed_registry, scripts=True)

    for path in (ARTICLE, "/"):
        mark = visit.traffic.mark()
        visit.open(path)
        visit.settle()

        honoured = notice(visit).locator("[data-consent-gpc-honoured]")
        expect(honoured).to_be_visible()
        expect(honoured).to_contain_text("Global Privacy Control")
        expect(honoured).to_contain_text("we honour it")
        expect(notice(visit).get_by_role("button", name=OPT_OUT)).to_have_count(0)
        requested = visit.traffic.hosts(mark)
        assert not requested & selling, requested & selling
        assert source_hosts(others(seed_registry), scripts=True) <= requested
    assert visit.status()["decided"] is False  # no banner needed: the signal is the opt-out


def test_gpc_visitor_may_opt_in_explicitly_and_consent_mode_is_updated(
    browse: Callable[..., Visit], seed_registry: Registry
) -> None:
    visit = visitor(browse, "US-CA", gpc=True)
    visit.open(ARTICLE)
    ((_, default),) = consent_commands(data_layer(visit), "default")
    assert not granted(default) & {"ad_storage", "ad_user_data", "ad_personalization"}
    selling = sale_only_hosts(seed_registry, scripts=True)
    mark = visit.traffic.mark()

    panel = visit.open_second_layer(visit.page.locator("footer a.consent-privacy-choices"))
    expect(panel.locator("[data-consent-gpc-honoured]")).to_be_visible()
    visit.submit(panel.get_by_role("button", name="Accept all").click)

    status = visit.status()
    assert (status["method"], status["signals"]) == ("accept_all", ["gpc"])
    updates = consent_commands(data_layer(visit), "update")
    assert [granted(u) for _, u in updates] == [stored_types(seed_registry, status)]
    assert {"ad_storage", "ad_user_data", "ad_personalization"} <= granted(updates[0][1])
    assert visit.traffic.hosts(mark) & selling  # started without a reload


# -- Google Consent Mode ----------------------------------------------------------------------------


def test_consent_mode_default_comes_before_any_google_config(
    browse: Callable[..., Visit], seed_registry: Registry
) -> None:
    visit = visitor(browse, "US-CA")
    visit.open(ARTICLE)

    layer = data_layer(visit)
    ((index, default),) = consent_commands(layer, "default")
    configs = config_indexes(layer)
    assert configs, layer  # both Google Analytics properties run in California before any choice
    assert index < min(configs)
    assert granted(default) == {t for c in seed_registry.categories for t in c.consent_mode}
    assert GA in visit.traffic.hosts()


def test_consent_mode_update_after_a_choice_then_the_stored_default_after_a_reload(
    browse: Callable[..., Visit], seed_registry: Registry
) -> None:
    visit = visitor(browse, "DE")
    visit.open(ARTICLE)
    ((_, default),) = consent_commands(data_layer(visit), "default")
    assert granted(default) == {"security_storage"}
    assert config_indexes(data_layer(visit)) == []  # no Google tag before a choice

    panel = visit.open_second_layer(visit.banner.get_by_role("link", name="Customize"))
    panel.get_by_role("checkbox", name="Statistics", exact=True).check()
    visit.submit(panel.get_by_role("button", name="Save choices").click)

    status = visit.status()
    expected = stored_types(seed_registry, status)
    assert expected == {"security_storage", "analytics_storage"}
    layer = data_layer(visit)
    updates = consent_commands(layer, "update")
    assert [granted(u) for _, u in updates] == [expected]
    assert set(updates[0][1]) == set(default)  # every type, granted or denied

    visit.page.reload(wait_until="networkidle")

    layer = data_layer(visit)
    ((index, default),) = consent_commands(layer, "default")
    assert granted(default) == expected  # a returning visitor never starts as denied
    assert consent_commands(layer, "update") == []
    configs = config_indexes(layer)
    assert configs and index < min(configs)


# -- subdomains -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def subdomain_server() -> Iterator[LiveServer]:
    """The example site with one consent for every ``*.reviews.test`` (plain http: no prefix)."""
    with serve_example({"CONSENT_COOKIE_DOMAIN": "reviews.test", "CONSENT_COOKIE_SECURE": False}) as server:
        yield server


@pytest.fixture(scope="module")
def subdomain_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium resolving every ``*.reviews.test`` to the loopback address."""
    mapped = launch_resolving(browser, "*.reviews.test")
    try:
        yield mapped
    finally:
        mapped.close()


def test_a_decision_on_one_subdomain_is_honoured_on_another(
    subdomain_browser: Browser, subdomain_server: LiveServer
) -> None:
    port = urlsplit(subdomain_server.url).port
    www, blog = f"http://www.reviews.test:{port}", f"http://blog.reviews.test:{port}"
    context = subdomain_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        context.set_default_timeout(10_000)
        traffic = Traffic(www)

        def route(route: Route) -> None:
            host = urlsplit(route.request.url).hostname or ""
            if host.endswith(".reviews.test"):
                route.continue_()
            else:
                traffic.route(route)

        context.route("**/*", route)
        page = context.new_page()
        page.goto(f"{www}{ARTICLE}", wait_until="networkidle")
        banner = page.get_by_role("region", name="This website uses cookies")
        expect(banner).to_be_visible()
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            banner.get_by_role("button", name="Reject all").click()
        assert answer.value.ok
        expect(banner).to_be_hidden()

        (cookie,) = [c for c in context.cookies() if c.get("name") == "consent"]
        assert cookie.get("domain") == ".reviews.test"
        assert cookie.get("httpOnly") is True

        page.goto(f"{blog}{ARTICLE}", wait_until="networkidle")
        expect(page.get_by_role("region", name="This website uses cookies")).to_have_count(0)
        status = page.evaluate("async () => (await fetch('/consent/status')).json()")
        assert (status["decided"], status["method"]) == (True, "reject_all")
        assert traffic.since() == []
        assert not subdomain_server.errors
    finally:
        context.close()


# -- accessibility of the opt-out notice and dialog ---------------------------------------------------


@pytest.mark.parametrize(
    ("color_scheme", "gpc"), [("light", False), ("dark", True)], ids=["light", "dark-gpc"]
)
def test_opt_out_notice_and_preferences_dialog_have_no_axe_violations(
    browse: Callable[..., Visit], color_scheme: str, gpc: bool
) -> None:
    headers = {REGION: "US-CA"} | ({"Sec-GPC": "1"} if gpc else {})
    visit = browse(color_scheme=color_scheme, extra_http_headers=headers)
    visit.open(ARTICLE)
    expect(notice(visit)).to_be_visible()
    expect(notice(visit).locator("[data-consent-gpc-honoured]")).to_have_count(1 if gpc else 0)

    violations = visit.axe()
    assert not violations, "notice:\n" + describe_violations(violations)

    panel = visit.open_second_layer(notice(visit).get_by_role("link", name="Your Privacy Choices"))
    expect(panel.get_by_role("button", name=OPT_OUT)).to_be_visible()
    visit.page.evaluate(EXPAND_DETAILS)
    expect(visit.page.locator("dialog[open] details:not([open])")).to_have_count(0)

    violations = visit.axe()
    assert not violations, "dialog:\n" + describe_violations(violations)


# -- shared caches ----------------------------------------------------------------------------------

COMBINATIONS = [
    ("DE", False, "Reject all"),
    ("DE", True, "Accept all"),
    ("GB", False, "Reject all"),
    ("US-CA", False, OPT_OUT),
    ("US-CA", True, "OK"),
    (None, False, "Accept all"),
    ("untrusted", True, "Reject all"),
]


def test_every_response_that_depends_on_region_signal_or_consent_says_so(
    browse: Callable[..., Visit], live_server: LiveServer
) -> None:
    checked: list[str] = []
    for region, gpc, choice in COMBINATIONS:
        if region == "untrusted":
            visit = visitor(browse, None, gpc=gpc, headers={"X-Region": "US-CA"})
        else:
            visit = visitor(browse, region, gpc=gpc)
        seen: list[Response] = []

        def record(response: Response, seen: list[Response] = seen) -> None:
            if response.url.startswith(live_server.url) and response.request.resource_type in (
                "document",
                "fetch",
            ):
                seen.append(response)

        visit.page.on("response", record)
        visit.open(ARTICLE)  # undecided
        first_layer = notice(visit) if region == "US-CA" else visit.banner
        visit.submit(first_layer.get_by_role("button", name=choice, exact=True).click)
        visit.open("/")  # decided
        visit.page.reload(wait_until="domcontentloaded")

        kinds = {(r.request.method, r.request.resource_type) for r in seen}
        assert {("GET", "document"), ("POST", "fetch")} <= kinds, kinds
        for response in seen:
            headers = response.headers
            vary = {v.strip().lower() for v in headers.get("vary", "").split(",")}
            directives = {d.strip() for d in headers.get("cache-control", "").split(",")}
            where = f"{region}/{'gpc' if gpc else '-'}: {response.request.method} {response.url}"
            assert {"cookie", "sec-gpc", REGION.lower()} <= vary, where
            assert directives & {"private", "no-store"}, where
            assert "public" not in directives, where
            checked.append(where)
    assert len(checked) >= 4 * len(COMBINATIONS)
