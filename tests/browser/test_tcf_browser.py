"""The __tcfapi stub in Chromium: a page of our own with the stub in <head>, a fake ad tag served
locally, and a cross-origin child frame that reaches the API through the __tcfapiLocator frame."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, request
from markupsafe import Markup
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from consent.registry import Registry
from consent.state import ConsentState, Method
from consent.tcf import decode_tc_string
from consent.tcf.cmpapi import build_tcdata, render_tcf_stub
from consent.tcf.derive import CmpSettings

pytestmark = pytest.mark.browser

NONCE = "tcf-test-nonce"
CMP = CmpSettings(cmp_id=300, cmp_version=4)
REGISTRY = Registry.model_validate(
    {
        "name": "TCF page",
        "categories": [{"id": "marketing", "title": "Marketing"}],
        "vendors": [
            {
                "id": "adnet",
                "number": 1,
                "name": "Adnet",
                "category": "marketing",
                "policy_url": "https://adnet.example/privacy",
                "tcf_id": 10,
                "tcf": {"purposes": [1, 2]},
            },
            {
                "id": "measure",
                "number": 2,
                "name": "Measure",
                "category": "marketing",
                "policy_url": "https://measure.example/privacy",
                "tcf_id": 20,
                "tcf": {"purposes": [1]},
            },
        ],
        "tcf": {"vendor_list_version": 140, "tcf_policy_version": 5},
    }
)

# The fake ad tag: what a real one does first (ping, then listen), recorded for the test.
AD_TAG = """
window.adLog = [];
__tcfapi("ping", 2, function (ping, ok) { adLog.push({ command: "ping", ok: ok, ping: ping }); });
window.adListener = null;
__tcfapi("addEventListener", 2, function (data, ok) {
  adListener = data.listenerId;
  adLog.push({ command: "event", ok: ok, status: data.eventStatus, tcString: data.tcString, id: data.listenerId });
});
"""

# A cross-origin frame: it cannot touch the parent's __tcfapi, so it looks for the locator frame.
FRAME = """<!doctype html><title>frame</title><script>
window.replies = [];
var target = null;
for (var w = window; w; w = w === window.top ? null : w.parent) {
  try { if (w.frames.__tcfapiLocator) { target = w; break; } } catch (e) {}
}
window.addEventListener("message", function (event) {
  var data = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
  if (data && data.__tcfapiReturn) replies.push(data.__tcfapiReturn);
});
target.postMessage({ __tcfapiCall: { command: "getTCData", version: 2, callId: "c1", parameter: [10, 20] } }, "*");
target.postMessage(JSON.stringify({ __tcfapiCall: { command: "ping", version: 2, callId: "c2" } }), "*");
</script>"""


def create_app(frame_origin: list[str]) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def page() -> Response:
        decided = request.args.get("state") == "decided"
        state = ConsentState.accept_all(REGISTRY) if decided else ConsentState.undecided(REGISTRY)
        tcdata = build_tcdata(REGISTRY, state, CMP, banner_shown=not decided)
        stub = render_tcf_stub(tcdata, NONCE, gvl_version=140)
        html = Markup(
            '<!doctype html><html><head><title>Article</title>{}<script nonce="{}" src="/ad.js"></script>'
            '</head><body><h1>Article</h1><iframe id="ad-frame" src="{}/frame"></iframe></body></html>'
        ).format(stub, NONCE, frame_origin[0])
        response = Response(str(html), content_type="text/html")
        # The stub must run under a nonce-only CSP, as the site's pages will send.
        response.headers["Content-Security-Policy"] = f"script-src 'nonce-{NONCE}'"
        return response

    @app.get("/ad.js")
    def ad_tag() -> Response:
        return Response(AD_TAG, content_type="application/javascript")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    @app.get("/frame")
    def frame() -> Response:
        return Response(FRAME, content_type="text/html")

    return app


@pytest.fixture(scope="module")
def site() -> Iterator[dict[str, str]]:
    frame_origin: list[str] = []
    server = make_server("127.0.0.1", 0, create_app(frame_origin), threaded=True)
    port = server.server_port
    frame_origin.append(f"http://localhost:{port}")  # another origin than the page's 127.0.0.1
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"page": f"http://127.0.0.1:{port}", "frame": frame_origin[0]}
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page, errors
    context.close()


def decide(tab: Page, tcdata: dict[str, Any]) -> None:
    """What the widget does once a choice is saved: the status JSON, with its "tcf" member, rides on
    the consent:change event."""
    tab.evaluate(
        "tcf => document.dispatchEvent(new CustomEvent('consent:change', { detail: { decided: true, tcf: tcf } }))",
        tcdata,
    )


def ad_log(page: Page) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = page.evaluate("window.adLog")
    return log


def test_a_decided_visitor_ad_tag_gets_ping_and_tcloaded_at_once(
    site: dict[str, str], page: tuple[Page, list[str]]
) -> None:
    tab, errors = page
    tab.goto(site["page"] + "/?state=decided", wait_until="load")
    log = ad_log(tab)
    assert [entry["command"] for entry in log] == ["ping", "event"]  # synchronous: before any request
    ping = log[0]["ping"]
    assert log[0]["ok"] is True
    assert {
        k: ping[k]
        for k in (
            "cmpLoaded",
            "cmpStatus",
            "displayStatus",
            "apiVersion",
            "cmpId",
            "cmpVersion",
            "gvlVersion",
            "tcfPolicyVersion",
            "gdprApplies",
        )
    } == {
        "cmpLoaded": True,
        "cmpStatus": "loaded",
        "displayStatus": "hidden",
        "apiVersion": "2.3",
        "cmpId": 300,
        "cmpVersion": 4,
        "gvlVersion": 140,
        "tcfPolicyVersion": 5,
        "gdprApplies": True,
    }
    event = log[1]
    assert event["ok"] is True and event["status"] == "tcloaded" and event["id"] == 1
    assert set(decode_tc_string(event["tcString"]).vendor_consents) == {10, 20}
    assert tab.locator("iframe[name=__tcfapiLocator]").count() == 1
    # The visitor reopens the preferences: listeners hear the UI is shown, with the current string.
    tab.evaluate("document.dispatchEvent(new CustomEvent('consent:shown'))")
    shown = ad_log(tab)[-1]
    assert (shown["status"], shown["tcString"], shown["id"]) == ("cmpuishown", event["tcString"], 1)
    assert tab.evaluate("new Promise(r => __tcfapi('ping', 2, p => r(p.displayStatus)))") == "visible"
    assert not errors


def test_the_banner_is_reported_then_useractioncomplete_follows_a_decision(
    site: dict[str, str], page: tuple[Page, list[str]]
) -> None:
    tab, errors = page
    tab.goto(site["page"] + "/?state=undecided", wait_until="load")
    log = ad_log(tab)
    assert log[0]["ping"]["displayStatus"] == "visible"
    assert (log[1]["status"], log[1]["tcString"]) == ("cmpuishown", "")
    granted = ConsentState.undecided(REGISTRY).with_choices(
        {"adnet": True, "measure": False}, {"marketing": True}, method=Method.CUSTOM
    )
    new_tcdata = build_tcdata(REGISTRY, granted, CMP)
    decide(tab, new_tcdata)
    log = ad_log(tab)
    assert log[-1]["status"] == "useractioncomplete" and log[-1]["id"] == 1
    assert set(decode_tc_string(log[-1]["tcString"]).vendor_consents) == {10}
    current = tab.evaluate("new Promise(r => __tcfapi('getTCData', 2, (d, ok) => r([d, ok])))")
    assert current[1] is True and current[0]["tcString"] == new_tcdata["tcString"]
    assert current[0]["vendor"]["consents"] == {"10": True, "20": False}
    assert not errors


def test_remove_event_listener_stops_the_events(site: dict[str, str], page: tuple[Page, list[str]]) -> None:
    tab, errors = page
    tab.goto(site["page"] + "/?state=undecided", wait_until="load")
    removed = tab.evaluate("new Promise(r => __tcfapi('removeEventListener', 2, ok => r(ok), adListener))")
    again = tab.evaluate("new Promise(r => __tcfapi('removeEventListener', 2, ok => r(ok), adListener))")
    assert (removed, again) == (True, False)
    before = len(ad_log(tab))
    tab.evaluate("document.dispatchEvent(new CustomEvent('consent:shown'))")
    decide(tab, build_tcdata(REGISTRY, ConsentState.accept_all(REGISTRY), CMP))
    assert len(ad_log(tab)) == before
    assert tab.evaluate("new Promise(r => __tcfapi('ping', 3, (d, ok) => r(ok)))") is False  # only version 2
    assert not errors


def test_a_cross_origin_frame_gets_answers_through_the_locator(
    site: dict[str, str], page: tuple[Page, list[str]]
) -> None:
    tab, errors = page
    tab.goto(site["page"] + "/?state=decided", wait_until="load")
    frame = next(f for f in tab.frames if f.url.startswith(site["frame"]))
    frame.wait_for_function("window.replies.length === 2")
    replies = {reply["callId"]: reply for reply in frame.evaluate("window.replies")}
    assert replies["c1"]["success"] is True
    data = replies["c1"]["returnValue"]
    assert set(decode_tc_string(data["tcString"]).vendor_consents) == {10, 20}
    assert data["vendor"]["consents"] == {"10": True, "20": True}
    assert replies["c2"]["returnValue"]["cmpId"] == 300
    assert json.dumps(replies)  # plain data crossed the frame boundary
    assert not errors
