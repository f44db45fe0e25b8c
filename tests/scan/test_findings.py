"""From observations to findings: each kind with its severity, and what is not a finding."""

from __future__ import annotations

import pytest

from consent.loader import load_registry
from consent.registry import Registry
from consent.scan import CookieDatabase, ScanReport, analyse, attribution_chain
from consent.scan.findings import suggest_category
from consent.scan.observations import SeenCookie, SeenRequest, SeenStorage

from .builders import SITE, cookie, request, run, storage, visit, with_vendor
from .site import COOKIE_DB, REGISTRY

TRACKLY = "https://cdn.trackly.test/tracker.js"
COUNTLY = "https://stats.countly.test/tracker.js?cookie=_cnt&max_age=2592000"
DAY = 86400.0


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(REGISTRY)


def check(registry: Registry, *visits: object, cookie_db: bool = False) -> ScanReport:
    database = CookieDatabase.load(COOKIE_DB) if cookie_db else None
    return analyse(run(*visits), registry, attribution_chain(registry, cookie_db=database))  # type: ignore[arg-type]


def codes(report: ScanReport) -> set[tuple[str, str, str]]:
    return {(f.severity.value, f.code, f.subject) for f in report.findings}


def seen_everything() -> list[SeenCookie | SeenStorage | SeenRequest]:
    """What Accept all shows on the test site: both vendors, so nothing is stale."""
    return [
        request(TRACKLY),
        request(COUNTLY),
        cookie("_trk", lifetime=300 * DAY),
        cookie("_cnt", lifetime=30 * DAY),
    ]


@pytest.mark.parametrize(
    ("state", "code"),
    [("before", "before-consent"), ("reject", "after-reject"), ("only:statistics", "not-accepted")],
)
def test_marketing_without_consent_is_a_violation(registry: Registry, state: str, code: str) -> None:
    report = check(
        registry,
        visit(state, request(TRACKLY), cookie("_trk", lifetime=300 * DAY), storage("trk_id")),
    )
    assert codes(report) == {
        ("error", code, "cdn.trackly.test"),
        ("error", code, "_trk (news.example)"),
        ("error", code, "localStorage trk_id (news.example)"),
    }
    assert all(f.vendor == "trackly" and f.states == (state,) for f in report.findings)


def test_a_category_accepted_alone_allows_its_own_vendors(registry: Registry) -> None:
    report = check(registry, visit("only:statistics", request(COUNTLY), cookie("_cnt", lifetime=30 * DAY)))
    assert report.findings == ()


def test_what_happened_before_the_choice_belongs_to_the_before_state(registry: Registry) -> None:
    report = check(
        registry, visit("reject", request(TRACKLY, after_choice=False), cookie("_trk", after_choice=False))
    )
    assert report.findings == ()


def test_one_finding_lists_every_page(registry: Registry) -> None:
    report = check(
        registry,
        visit("before", request(TRACKLY)),
        visit("before", request(TRACKLY), page=SITE + "/about"),
    )
    (finding,) = report.findings
    assert finding.pages == (SITE + "/", SITE + "/about")


def test_stale_vendor_only_once_accept_all_was_scanned(registry: Registry) -> None:
    assert check(registry, visit("before")).findings == ()
    report = check(registry, visit("accept", request(TRACKLY)))
    assert codes(report) == {("warning", "stale-vendor", "countly")}


def test_undeclared_cookie_known_to_the_database(registry: Registry) -> None:
    report = check(
        registry,
        visit("accept", *seen_everything(), cookie("_hjSessionUser_9", lifetime=365 * DAY)),
        cookie_db=True,
    )
    (finding,) = report.findings
    assert (finding.severity.value, finding.code) == ("warning", "undeclared-cookie")
    assert "Hotjar" in finding.message
    suggestion = finding.suggestion
    assert suggestion is not None and suggestion.new_vendor
    assert (suggestion.vendor_id, suggestion.category) == ("hotjar", "statistics")
    assert suggestion.policy_url == "https://www.hotjar.com/legal/policies/privacy/"
    assert [(c.name, c.party, c.lifetime) for c in suggestion.cookies] == [
        ("_hjSessionUser_9", "first", "365d")
    ]


def test_an_unknown_cookie_is_suggested_into_the_strictest_optional_category(registry: Registry) -> None:
    report = check(registry, visit("accept", *seen_everything(), cookie("mystery", lifetime=None)))
    (finding,) = report.findings
    assert finding.suggestion is not None and finding.suggestion.category == "marketing"
    assert finding.suggestion.cookies[0].lifetime == "session"


def test_an_undeclared_host_loaded_by_a_vendor_joins_that_vendor(registry: Registry) -> None:
    chained = request("https://pixel.trackly-cdn2.test/p.gif", "image", initiator=TRACKLY)
    report = check(registry, visit("accept", *seen_everything(), chained))
    (finding,) = report.findings
    assert (finding.code, finding.subject, finding.vendor) == (
        "undeclared-host",
        "pixel.trackly-cdn2.test",
        "trackly",
    )
    assert finding.suggestion is not None and not finding.suggestion.new_vendor
    assert finding.suggestion.hosts == ("pixel.trackly-cdn2.test",)


def test_a_chained_host_inherits_the_violation(registry: Registry) -> None:
    chained = request("https://pixel.trackly-cdn2.test/p.gif", "image", initiator=TRACKLY)
    report = check(registry, visit("before", request(TRACKLY), chained))
    assert ("error", "before-consent", "pixel.trackly-cdn2.test") in codes(report)
    assert ("warning", "undeclared-host", "pixel.trackly-cdn2.test") in codes(report)


def test_an_unknown_host_is_a_new_vendor(registry: Registry) -> None:
    report = check(registry, visit("accept", *seen_everything(), request("https://cdn.unknown.test/x.js")))
    (finding,) = report.findings
    assert finding.suggestion is not None
    assert (finding.suggestion.vendor_id, finding.suggestion.new_vendor) == ("cdn-unknown-test", True)
    assert finding.suggestion.policy_url == "https://cdn.unknown.test/"


@pytest.mark.parametrize(("days", "finding"), [(30, False), (30.5, False), (60, True)])
def test_lifetime_longer_than_declared(registry: Registry, days: float, finding: bool) -> None:
    seen = [request(TRACKLY), request(COUNTLY), cookie("_cnt", lifetime=days * DAY)]
    report = check(registry, visit("accept", *seen))
    expected = {("warning", "lifetime-longer", "_cnt (news.example)")} if finding else set()
    assert codes(report) == expected


def test_a_session_cookie_declared_but_persistent(registry: Registry) -> None:
    data = registry.model_dump(mode="python")
    for vendor in data["vendors"]:
        vendor["cookies"] = [{**c, "lifetime": "session"} for c in vendor["cookies"]]
    session = Registry.model_validate(data)
    report = check(session, visit("accept", *seen_everything()))
    assert {f.subject for f in report.findings if f.code == "lifetime-longer"} == {
        "_trk (news.example)",
        "_cnt (news.example)",
    }


@pytest.mark.parametrize(
    ("seen", "problem"),
    [
        (
            cookie("_trk", ".trackly.test"),
            "declared first-party but set on the third-party domain trackly.test",
        ),
        (cookie("trk_uid"), "declared third-party but set on the site's own domain news.example"),
        (cookie("trk_uid", "elsewhere.test"), "declared on trackly-sync.test but set on elsewhere.test"),
    ],
)
def test_attributes_that_contradict_the_registry(registry: Registry, seen: SeenCookie, problem: str) -> None:
    report = check(registry, visit("accept", *seen_everything(), seen))
    found = [f for f in report.findings if f.code == "attributes-contradict"]
    assert len(found) == 1 and found[0].severity.value == "warning" and problem in found[0].message


def test_a_state_not_reached_is_a_warning_and_its_record_is_not_judged(registry: Registry) -> None:
    report = check(registry, visit("reject", request(TRACKLY), problem="no control for after Reject all"))
    assert codes(report) == {("warning", "state-unreached", "reject")}


def test_never_suggest_into_a_required_category(registry: Registry) -> None:
    with_required = with_vendor(registry, "auth", 7, "necessary", "auth.news-cdn.test")
    seen = cookie("auth_token", set_by="https://auth.news-cdn.test/login")
    report = check(with_required, visit("accept", *seen_everything(), seen))
    (finding,) = report.findings
    assert finding.code == "undeclared-cookie" and finding.vendor == "auth" and finding.suggestion is None
    assert suggest_category(with_required, "Security") != "necessary"


def test_suggestions_merge_per_vendor(registry: Registry) -> None:
    report = check(
        registry,
        visit(
            "accept",
            *seen_everything(),
            cookie("x1", set_by=TRACKLY),
            cookie("x2", set_by=TRACKLY),
            request("https://pixel.trackly-cdn2.test/p.gif", "image", initiator=TRACKLY),
        ),
    )
    (merged,) = report.suggestions()
    assert merged.vendor_id == "trackly"
    assert [c.name for c in merged.cookies] == ["x1", "x2"] and merged.hosts == ("pixel.trackly-cdn2.test",)


def test_report_severity_helpers(registry: Registry) -> None:
    report = check(registry, visit("before", request(TRACKLY)), visit("accept", request(TRACKLY)))
    assert report.worst is not None and report.worst.value == "error"
    assert report.severity_counts() == {"error": 1, "warning": 1, "info": 0}
    assert len(report.at_least("warning")) == 2 and len(report.at_least("error")) == 1


def test_without_a_registry_everything_is_undeclared_and_nothing_is_suggested() -> None:
    report = analyse(run(visit("accept", request(TRACKLY), cookie("_trk"))), None, attribution_chain(None))
    assert {f.code for f in report.findings} == {"undeclared-host", "undeclared-cookie"}
    assert report.suggestions() == []


class Preset:
    """A stand-in for an entry of the preset catalogue (``consent.presets.Preset`` has these fields)."""

    def __init__(
        self,
        preset_id: str,
        category: str,
        *,
        hosts: tuple[str, ...] = (),
        cookie_names: tuple[str, ...] = (),
        required_reason: str | None = None,
    ) -> None:
        from consent.registry import Cookie

        self.id, self.name, self.category = preset_id, preset_id.title(), category
        self.policy_url = f"https://{preset_id}.test/privacy"
        self.hosts, self.required_reason = hosts, required_reason
        self.cookies = tuple(Cookie(name=n, lifetime="1y") for n in cookie_names)


@pytest.mark.parametrize(
    ("preset", "seen", "expected"),
    [
        (  # an analytics preset before consent: a violation, and a suggestion that names the preset
            Preset("clarity", "statistics", hosts=("*.clarity.ms",), cookie_names=("_clck",)),
            [request("https://www.clarity.ms/tag/x"), cookie("_clck")],
            {
                ("error", "before-consent", "www.clarity.ms"),
                ("error", "before-consent", "_clck (news.example)"),
                ("warning", "undeclared-host", "www.clarity.ms"),
                ("warning", "undeclared-cookie", "_clck (news.example)"),
            },
        ),
        (  # a service necessary by nature: undeclared, but no violation and no suggestion
            Preset("stripe", "necessary", hosts=("js.stripe.com",), required_reason="payments"),
            [request("https://js.stripe.com/v3/")],
            {("warning", "undeclared-host", "js.stripe.com")},
        ),
    ],
)
def test_a_plugged_in_preset_catalogue(
    registry: Registry,
    preset: Preset,
    seen: list[SeenCookie | SeenRequest],
    expected: set[tuple[str, str, str]],
) -> None:
    from consent.scan.attribute import CatalogueAttributor

    report = analyse(
        run(visit("before", *seen)), registry, attribution_chain(registry, CatalogueAttributor((preset,)))
    )
    assert codes(report) == expected
    for finding in report.findings:
        assert finding.vendor == preset.id
        if finding.severity.value == "error":
            continue  # violations carry no suggestion
        suggestion = finding.suggestion
        if preset.required_reason:
            assert suggestion is None
        else:
            assert suggestion is not None and (suggestion.vendor_id, suggestion.category) == (
                preset.id,
                "statistics",
            )


def test_a_server_side_vendor_is_never_stale(registry: Registry) -> None:
    data = registry.model_dump(mode="python", exclude_none=True)
    data["vendors"] = [
        *data["vendors"],
        {
            "id": "spam-filter",
            "number": 90,
            "name": "Spam filter",
            "category": data["vendors"][-1]["category"],
            "policy_url": "https://spam.example/privacy",
        },
    ]
    with_server_side = Registry.model_validate(data)
    report = check(with_server_side, visit("accept", request(TRACKLY)))
    assert "spam-filter" not in {subject for _, _, subject in codes(report)}
    assert ("warning", "stale-vendor", "countly") in codes(report)
