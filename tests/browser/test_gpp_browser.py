"""The ``__gpp`` stub in Chromium: a page of our own with the stub in ``<head>`` (under a nonce-only CSP),
a fake ad tag served by the same test app that calls the API, and a cross-origin child frame that calls
it through ``postMessage``. Then a simulated decision (``consent:change``) must reach every listener.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, request
from live_server import serve_app
from playwright.sync_api import Browser, Frame, Page

from consent.gpp import derive_gpp, gpp_data, render_gpp_stub
from consent.registry import Registry
from consent.state import ConsentState, Method

pytestmark = pytest.mark.browser

NONCE = "gpp-test-nonce"
# A TC string made by IAB's @iabgpp/cmpapi (see test_gpp_iab.py).
TC_STRING = "CQdWToAQdWToAAKAAAENAAFgAKAAAAAAAAAAPoQAwAAgAFA-gAAAAAAA.IAAA.YAAAAAAAAAAA"

REGISTRY = Registry.model_validate(
    {
        "name": "GPP test",
        "categories": [
            {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
            {"id": "marketing", "title": "Marketing"},
        ],
        "vendors": [
            {
                "id": "ads",
                "number": 1,
                "name": "Ads",
                "category": "marketing",
                "policy_url": "https://ads.example.com/privacy",
                "sale_share": True,
            }
        ],
        "regions": [{"id": "us", "policy": "opt-out", "codes": ["US-CA", "US-TX"]}],
    }
)
OPTED_OUT = ConsentState.undecided(REGISTRY).with_choices({"ads": False}, method=Method.OPT_OUT)

# The fake ad tag: it calls the API the moment it runs, as real tags do, and records what it is told.
AD_TAG = """
// Loaded in <head>, before <body> exists: the locator frame must already be there for early frames.
window.adLog = { events: [], locatorBeforeBody: !document.body && !!window.frames.__gppLocator };
__gpp("addEventListener", function (event, success) {
  adLog.events.push({ name: event.eventName, data: event.data, id: event.listenerId, success: success,
                      signalStatus: event.pingData.signalStatus, gppString: event.pingData.gppString });
});
__gpp("ping", function (data, success) { adLog.ping = data; adLog.pingSuccess = success; });
__gpp("getSection", function (data) { adLog.usnat = data; }, "usnat");
__gpp("getSection", function (data) { adLog.tcfeuv2 = data; }, "tcfeuv2");
__gpp("hasSection", function (data) { adLog.hasUsca = data; }, "usca");
__gpp("hasSection", function (data) { adLog.hasUsnat = data; }, "usnat");
__gpp("getField", function (data) { adLog.saleOptOut = data; }, "usnat.SaleOptOut");
__gpp("getField", function (data) { adLog.gpc = data; }, "usnat.Gpc");
__gpp("nonsense", function (data, success) { adLog.unknown = [data, success]; });
"""

# The child frame: finds the frame with the locator and talks to it by postMessage only. It looks once,
# as it runs: the stub adds the locator at once, so even a frame that loads early finds it.
CHILD = """
window.returns = [];
var target = window;
while (target) {
  try { if (target.frames.__gppLocator) break; } catch (e) {}
  target = target === window.top ? null : target.parent;
}
window.addEventListener("message", function (event) {
  var data = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
  if (data && data.__gppReturn) window.returns.push(data.__gppReturn);
});
target.postMessage({ __gppCall: { command: "ping", parameter: null, version: "1.1", callId: "ping-1" } }, "*");
target.postMessage(JSON.stringify({ __gppCall: { command: "addEventListener", version: "1.1", callId: 7 } }), "*");
"""


# A stub loaded before ours (as the IAB sample stub keeps them): a queued call and a listener.
EARLIER_STUB = """
window.__gpp = function () {
  var args = arguments;
  __gpp.queue = __gpp.queue || [];
  if (!args.length) return __gpp.queue;
  __gpp.queue.push([].slice.apply(args));
};
__gpp("ping", function (data, success) { window.early = [data.gppString, success]; });
__gpp.events = [{ id: 1, parameter: null, callback: function (event) {
  (window.earlyEvents = window.earlyEvents || []).push(event.eventName);
} }];
"""


def page_data(state: ConsentState, region: str, gpc: bool, *, visible: bool) -> dict[str, Any]:
    signal = derive_gpp(REGISTRY, state, region, gpc, TC_STRING)
    return gpp_data(signal.gpp, signal.sids, cmp_id=1, banner_visible=visible)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.after_request
    def csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = f"script-src 'nonce-{NONCE}'; frame-src *"
        return response

    @app.get("/")
    def page() -> str:
        region = request.args.get("region", "US-TX")
        stub = render_gpp_stub(
            page_data(ConsentState.undecided(REGISTRY), region, False, visible=True), NONCE
        )
        child = request.args.get("child", "")
        frame = f'<iframe id="child" src="{child}"></iframe>' if child else ""
        earlier = f'<script nonce="{NONCE}">{EARLIER_STUB}</script>' if request.args.get("earlier") else ""
        return (
            f"<!doctype html><html><head><title>GPP</title>{earlier}{stub}"
            f'<script nonce="{NONCE}" src="/ad.js"></script></head>'
            f"<body><h1>Article</h1>{frame}</body></html>"
        )

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    @app.get("/ad.js")
    def ad_tag() -> Response:
        return Response(AD_TAG, mimetype="application/javascript")

    @app.get("/child")
    def child() -> str:
        return f'<!doctype html><title>child</title><script nonce="{NONCE}">{CHILD}</script>'

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_app(create_app()) as url:
        yield url


@pytest.fixture
def js_errors() -> list[str]:
    """Errors the page reports; the ``page`` fixture fails the test unless the test takes them out."""
    return []


@pytest.fixture
def page(browser: Browser, server: str, js_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=server)
    context.set_default_timeout(10_000)
    outside: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "http://localhost:")):
            route.continue_()
        else:  # nothing may leave the machine
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    page.on("console", lambda message: js_errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert not js_errors, js_errors
    assert not outside, outside


def simulate_decision(page: Page, data: dict[str, Any]) -> None:
    """What the widget does after a decision taken with JavaScript, with the new GPP data in the detail."""
    page.evaluate(
        "data => document.dispatchEvent(new CustomEvent('consent:change', { detail: { decided: true, gpp: data } }))",
        data,
    )


def wait_for_returns(page: Page, frame: Frame, count: int) -> None:
    """Poll from here: under the page's CSP, Playwright's wait_for_function (which evaluates a string) is refused."""
    for _ in range(100):
        if frame.evaluate("(window.returns || []).length") >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the child frame got {frame.evaluate('window.returns')}")


def test_ad_tag_reads_the_server_rendered_signal(page: Page) -> None:
    page.goto("/?region=US-TX")
    log = page.evaluate("adLog")
    expected = page_data(ConsentState.undecided(REGISTRY), "US-TX", False, visible=True)
    assert log["pingSuccess"] is True
    assert log["ping"] == expected
    assert log["ping"]["applicableSections"] == [7]
    assert log["ping"]["sectionList"] == [2, 7]
    assert log["events"] == [
        {
            "name": "listenerRegistered",
            "data": True,
            "id": 1,
            "success": True,
            "signalStatus": "ready",
            "gppString": expected["gppString"],
        }
    ]
    assert log["usnat"] == expected["parsedSections"]["usnat"]
    assert log["usnat"][0]["SaleOptOut"] == 2
    assert log["tcfeuv2"] is None  # TCF data only through __tcfapi
    assert (log["hasUsca"], log["hasUsnat"]) == (False, True)
    assert (log["saleOptOut"], log["gpc"]) == (2, False)
    assert log["unknown"] == [None, False]
    assert page.locator("iframe[name=__gppLocator]").count() == 1
    # the stub ran under a nonce-only CSP, before the ad tag
    assert page.evaluate("document.querySelector('script[data-consent-gpp]').nonce") == NONCE


def test_california_page_has_its_own_section(page: Page) -> None:
    page.goto("/?region=US-CA")
    log = page.evaluate("adLog")
    assert log["ping"]["applicableSections"] == [8]
    assert (log["hasUsca"], log["hasUsnat"], log["usnat"]) == (True, False, None)


def test_decision_fires_events_in_order(page: Page) -> None:
    page.goto("/?region=US-TX")
    after = page_data(OPTED_OUT, "US-TX", True, visible=False)
    simulate_decision(page, after)
    events = page.evaluate("adLog.events")
    assert [(e["name"], e["data"]) for e in events] == [
        ("listenerRegistered", True),
        ("signalStatus", "not ready"),
        ("cmpDisplayStatus", "hidden"),
        ("sectionChange", "usnat"),
        ("signalStatus", "ready"),
    ]
    assert [e["signalStatus"] for e in events[1:]] == ["not ready", "not ready", "not ready", "ready"]
    assert events[-1]["gppString"] == after["gppString"]
    now = page.evaluate("new Promise(r => __gpp('getField', (v) => r(v), 'usnat.SaleOptOut'))")
    assert now == 1
    ping = page.evaluate("new Promise(r => __gpp('ping', (d) => r(d)))")
    assert ping == after


def test_a_failing_listener_does_not_silence_the_others(page: Page, js_errors: list[str]) -> None:
    page.goto("/?region=US-TX")
    page.evaluate(
        "__gpp('addEventListener', (e) => { if (e.eventName !== 'listenerRegistered') throw new Error('vendor bug'); })"
    )
    simulate_decision(page, page_data(OPTED_OUT, "US-TX", False, visible=False))
    assert [e["name"] for e in page.evaluate("adLog.events")][-1] == "signalStatus"
    page.wait_for_timeout(100)  # the listener's error is rethrown asynchronously, for the console
    assert js_errors and all("vendor bug" in error for error in js_errors)
    js_errors.clear()


def test_event_without_gpp_data_changes_nothing(page: Page) -> None:
    page.goto("/?region=US-TX")
    page.evaluate("document.dispatchEvent(new CustomEvent('consent:change', { detail: { decided: true } }))")
    assert len(page.evaluate("adLog.events")) == 1


def test_removed_listener_hears_nothing(page: Page) -> None:
    page.goto("/?region=US-TX")
    removed = page.evaluate("new Promise(r => __gpp('removeEventListener', (d, ok) => r([d, ok]), 1))")
    assert removed[0]["eventName"] == "listenerRemoved"
    assert (removed[0]["data"], removed[1]) == (True, True)
    again = page.evaluate("new Promise(r => __gpp('removeEventListener', (d) => r(d.data), 1))")
    assert again is False
    simulate_decision(page, page_data(OPTED_OUT, "US-TX", False, visible=False))
    assert len(page.evaluate("adLog.events")) == 1


def test_calls_made_to_an_earlier_stub_are_answered(page: Page) -> None:
    page.goto("/?region=US-TX&earlier=1")
    expected = page_data(ConsentState.undecided(REGISTRY), "US-TX", False, visible=True)
    assert page.evaluate("window.early") == [expected["gppString"], True]
    assert page.evaluate("window.earlyEvents") == ["listenerRegistered"]
    simulate_decision(page, page_data(OPTED_OUT, "US-TX", False, visible=False))
    assert page.evaluate("window.earlyEvents")[-1] == "signalStatus"


def test_child_frame_talks_by_post_message(page: Page, server: str) -> None:
    # The child is on another origin (localhost vs 127.0.0.1): only postMessage reaches the stub.
    child = server.replace("127.0.0.1", "localhost") + "/child"
    page.goto(f"/?region=US-TX&child={child}")
    page.wait_for_load_state("load")  # the child frame has loaded too
    assert page.evaluate("adLog.locatorBeforeBody") is True
    child_frame = next(f for f in page.frames if f.url == child)
    wait_for_returns(page, child_frame, 2)
    returns = child_frame.evaluate("window.returns")
    by_id = {r["callId"]: r for r in returns}
    expected = page_data(ConsentState.undecided(REGISTRY), "US-TX", False, visible=True)
    assert by_id["ping-1"]["success"] is True
    assert by_id["ping-1"]["returnValue"] == expected
    assert by_id[7]["returnValue"]["eventName"] == "listenerRegistered"
    simulate_decision(page, page_data(OPTED_OUT, "US-TX", False, visible=False))
    wait_for_returns(page, child_frame, 6)
    names = [
        r["returnValue"]["eventName"] for r in child_frame.evaluate("window.returns") if r["callId"] == 7
    ]
    assert names == [
        "listenerRegistered",
        "signalStatus",
        "cmpDisplayStatus",
        "sectionChange",
        "signalStatus",
    ]
    json.dumps(returns)
