"""The example site with IAB TCF and GPP on, in Chromium: a fake ad tag served locally listens through
``__tcfapi`` and ``__gpp`` before and after the visitor decides with the real widget, and asks for an ad
only once the TC string allows it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from consent.tcf import decode_tc_string
from examples.reviews.app import TCF_FILES, tcf_registry

from .support import ARTICLE, LiveServer, Visit, describe_violations, serve_example

pytestmark = pytest.mark.browser

CMP_ID = 300
CONFIG = {
    "CONSENT_TCF_CMP_ID": CMP_ID,
    "CONSENT_TCF_CMP_VERSION": 2,
    "CONSENT_TCF_GVL": TCF_FILES / "vendor-list.json",
    "CONSENT_GPP": True,
    "CONSENT_REGION_HEADER": "X-Region",
}
AD_ORIGIN = "https://ads.tcf-test.example"
# What a TCF-aware ad tag does: listen, and ask for an ad only with consent for Google (755) and purpose 1.
AD_TAG = """
window.adLog = [];
__tcfapi("addEventListener", 2, function (tcData, ok) {
  adLog.push({ api: "tcf", ok: ok, status: tcData.eventStatus, tcString: tcData.tcString,
               gdprApplies: tcData.gdprApplies, li32: !!(tcData.vendor && tcData.vendor.legitimateInterests["32"]) });
  var ready = tcData.eventStatus === "tcloaded" || tcData.eventStatus === "useractioncomplete";
  if (ok && ready && tcData.gdprApplies && tcData.vendor.consents["755"] && tcData.purpose.consents["1"]) {
    fetch("AD_ORIGIN/ad?gdpr=1&gdpr_consent=" + encodeURIComponent(tcData.tcString), { mode: "no-cors" });
  }
});
__gpp("addEventListener", function (event, ok) {
  adLog.push({ api: "gpp", ok: ok, event: event.eventName, data: event.data, gpp: event.pingData.gppString });
});
""".replace("AD_ORIGIN", AD_ORIGIN)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    with serve_example(CONFIG) as server:
        yield server


class AdServer:
    """The fake ad server: serves the tag and records the ad requests."""

    def __init__(self) -> None:
        self.ad_requests: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).path == "/tag.js":
            route.fulfill(status=200, content_type="application/javascript", body=AD_TAG)
        else:
            self.ad_requests.append(url)
            route.fulfill(status=200, content_type="text/plain", body="")


def eea_visit(browse: Callable[..., Visit], region: str = "DE") -> tuple[Visit, AdServer, list[str]]:
    visit = browse(extra_http_headers={"X-Region": region})
    ads = AdServer()
    visit.context.route(f"{AD_ORIGIN}/**", ads.route)  # registered last: it runs before Traffic's
    errors: list[str] = []
    visit.page.on("pageerror", lambda error: errors.append(str(error)))
    visit.page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return visit, ads, errors


def load_tag(page: Page) -> None:
    page.add_script_tag(url=f"{AD_ORIGIN}/tag.js")
    page.wait_for_function("window.adLog && adLog.length >= 2")


def log(page: Page, api: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = page.evaluate("adLog")
    return [entry for entry in entries if entry["api"] == api]


def marketing_hosts_contacted(visit: Visit, mark: int = 0) -> set[str]:
    patterns = [h for v in tcf_registry().vendors_in("marketing") for h in v.hosts]
    return {host for host in visit.traffic.hosts(mark) if any(fnmatch.fnmatch(host, p) for p in patterns)}


def test_the_ad_tag_waits_for_consent_and_hears_the_decision(browse: Callable[..., Visit]) -> None:
    visit, ads, errors = eea_visit(browse)
    page = visit.page
    visit.open(ARTICLE)
    load_tag(page)

    # Before consent: the banner is up, no TC string, no ad request, no ad host contacted.
    [first] = log(page, "tcf")
    assert first == {"api": "tcf", "ok": True, "status": "cmpuishown", "tcString": "", "gdprApplies": True,
                     "li32": False}  # fmt: skip
    [registered] = log(page, "gpp")
    assert registered["event"] == "listenerRegistered" and registered["gpp"] == "DBAA"  # no section yet
    visit.settle()
    assert ads.ad_requests == [] and marketing_hosts_contacted(visit) == set()

    # The visitor accepts with the real widget: listeners hear it without a reload.
    visit.submit(visit.banner.get_by_role("button", name="Accept all").click)
    page.wait_for_function("adLog.filter(e => e.api === 'tcf').length >= 2")
    status = visit.status()
    tc_string = status["tcf"]["tcString"]
    after = log(page, "tcf")[1]
    assert after["status"] == "useractioncomplete" and after["tcString"] == tc_string and after["ok"]
    assert {755, 32, 10}.issubset(decode_tc_string(tc_string).vendor_consents)
    gpp_events = [(e["event"], e["data"]) for e in log(page, "gpp")[1:]]
    assert gpp_events == [
        ("signalStatus", "not ready"),
        ("cmpDisplayStatus", "hidden"),
        ("sectionChange", "tcfeuv2"),
        ("signalStatus", "ready"),
    ]
    assert log(page, "gpp")[-1]["gpp"] == status["gpp"]["gppString"]
    visit.settle()
    [ad] = ads.ad_requests
    assert parse_qs(urlsplit(ad).query)["gdpr_consent"] == [tc_string]

    # The next page: the stub answers at once with the stored string ("tcloaded"), and the ad follows.
    visit.open(ARTICLE)
    load_tag(page)
    [loaded] = log(page, "tcf")
    assert loaded["status"] == "tcloaded" and loaded["tcString"] == tc_string
    visit.settle()
    assert len(ads.ad_requests) == 2
    assert errors == []


def test_reopening_the_preferences_shows_the_cmp_ui_and_an_objection_reaches_the_string(
    browse: Callable[..., Visit],
) -> None:
    visit, ads, errors = eea_visit(browse)
    page = visit.page
    visit.open(ARTICLE)
    visit.submit(visit.banner.get_by_role("button", name="Accept all").click)
    visit.open(ARTICLE)
    load_tag(page)
    assert log(page, "tcf")[0]["li32"] is True

    panel = visit.open_second_layer(visit.settings_link)
    page.wait_for_function("adLog.filter(e => e.api === 'tcf').length >= 2")
    assert log(page, "tcf")[1]["status"] == "cmpuishown"  # consent.js said "consent:shown"
    expect(panel.locator("[data-consent-tcf]")).to_contain_text("Measure advertising performance")
    for summary in panel.locator("[data-consent-tcf] summary").all():
        summary.click()  # every TCF list open, for axe to see
    assert visit.axe() == [], describe_violations(visit.axe())
    for summary in panel.locator("[data-consent-tcf] summary").all():
        summary.click()

    panel.locator("[data-consent-tcf-objections] summary").click()  # closed again above: open it
    panel.get_by_label("Object to AppNexus's legitimate interest", exact=False).check()
    # An objection declines nothing (AppNexus keeps its consent): no script must stop, so no reload; the
    # ad tag's listener hears the new string at once.
    before = len(log(page, "tcf"))
    panel.get_by_role("button", name="Save choices").click()
    page.wait_for_function(f"adLog.filter(e => e.api === 'tcf').length > {before}")
    last = log(page, "tcf")[-1]
    assert last["status"] == "useractioncomplete" and last["li32"] is False
    assert last["tcString"] == visit.status()["tcf"]["tcString"]
    model = decode_tc_string(last["tcString"])
    assert 32 not in model.vendor_legitimate_interests and 32 in model.vendor_consents
    assert visit.status()["vendors"]["appnexus"] == "granted"
    # The next page's stub says the same, from the signed cookie.
    visit.open(ARTICLE)
    load_tag(page)
    [again] = log(page, "tcf")
    assert again["status"] == "tcloaded" and again["li32"] is False
    assert ads.ad_requests  # Google (755) is still allowed: the tag asked for its ads
    assert errors == []


def test_outside_the_eea_gdpr_does_not_apply_and_gpp_carries_the_state_section(
    browse: Callable[..., Visit],
) -> None:
    visit, ads, errors = eea_visit(browse, region="US-CA")
    page = visit.page
    visit.open(ARTICLE)
    load_tag(page)
    [first] = log(page, "tcf")
    assert first["gdprApplies"] is False and first["tcString"] == ""
    [registered] = log(page, "gpp")
    assert registered["gpp"].startswith("DBABBg~")  # usca
    assert page.evaluate("new Promise(r => __gpp('ping', (p) => r(p.applicableSections)))") == [8]
    visit.settle()
    assert ads.ad_requests == []  # the tag asks only where the GDPR applies
    assert errors == []
