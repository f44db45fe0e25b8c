"""The scanner against real pages in Chromium: the example site and the purpose-built test site.

Every third party is a local fake (``fakes.py``) reached through ``--host-resolver-rules``; nothing
leaves the machine. Each seeded fault must be found with its severity, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from consent.scan import ScanReport
from tests.browser.support import REGISTRY as EXAMPLE_REGISTRY
from tests.browser.support import serve_example

from .conftest import summary
from .site import REGISTRY, registry_variant, serve_site

pytestmark = pytest.mark.browser

Scan = Callable[..., ScanReport]

#: What the example site does differently from its registry (reported to the lead; see the README's
#: "Scanning the live site"): no page embeds Vimeo or calls the AdSense Host API, and the example's
#: traffic pixel never sets the ``hp_visit`` cookie its registry entry declares.
EXAMPLE_GAPS: set[tuple[str, str, str]] = set()  # the example scans clean
TRACKLY = {
    ("host", "cdn.trackly.test"),
    ("host", "collect.trackly-sync.test"),
    ("cookie", "_trk (127.0.0.1)"),
    ("cookie", "trk_uid (collect.trackly-sync.test)"),
    ("storage", "localStorage trk_id (127.0.0.1)"),
}


def violations(codes: tuple[str, ...]) -> set[tuple[str, str, str]]:
    return {("error", code, subject) for code in codes for _, subject in TRACKLY}


def test_example_site_scan(scan: Scan) -> None:
    with serve_example() as server:
        report = scan(server.url + "/", EXAMPLE_REGISTRY, pages=3)
    run = report.run
    assert [p.removeprefix(server.url) for p in run.pages] == ["/", "/movie-review-her", "/privacy"]
    assert run.states == [
        "before",
        "reject",
        "accept",
        "only:functional",
        "only:statistics",
        "only:marketing",
    ]
    assert all(v.problem is None for v in run.visits), [v.problem for v in run.visits]
    assert not report.at_least("error")
    assert summary(report) == EXAMPLE_GAPS
    # Accept all really ran the trackers (through the fakes): the scan saw them and credited them.
    accept = run.visit(run.pages[1], "accept")
    assert accept is not None
    assert {"www.googletagmanager.com", "www.youtube-nocookie.com"} <= {r.host for r in accept.requests}
    assert "_ga" in {c.name for c in accept.cookies}


def test_clean_site_has_no_findings_and_robots_txt_is_honoured(scan: Scan) -> None:
    with serve_site("none") as url:
        report = scan(url + "/", REGISTRY, pages=5)
    assert [p.removeprefix(url) for p in report.run.pages] == ["/", "/about", "/contact"]
    assert report.findings == ()
    assert report.run.states == ["before", "reject", "accept", "only:statistics", "only:marketing"]
    # The trackers ran when allowed: a clean report is not an empty scan.
    accept = report.run.visit(url + "/", "accept")
    assert accept is not None
    seen = {c.name: c for c in accept.cookies}
    assert {"_trk", "_cnt", "trk_uid", "consent"} <= set(seen)
    assert seen["_trk"].set_via == "script" and "cdn.trackly.test/tracker.js" in (seen["_trk"].set_by or "")
    assert seen["trk_uid"].set_via == "header" and seen["trk_uid"].domain == "collect.trackly-sync.test"
    assert {s.key for s in accept.storage} == {"trk_id"}
    chained = next(r for r in accept.requests if r.host == "collect.trackly-sync.test")
    assert chained.initiator is not None and "cdn.trackly.test" in chained.initiator
    assert all(v.screenshot for v in report.run.visits if v.page == url + "/")


def test_sitemap_pages_and_robots_txt_ignored(scan: Scan) -> None:
    with serve_site("none") as url:
        report = scan(url + "/", REGISTRY, pages=6, robots=False, sitemap=True, categories=())
    # /hidden is linked from nowhere but the sitemap; /private is disallowed by robots.txt.
    assert {url + "/hidden", url + "/private"} <= set(report.run.pages)


def test_foreign_banner_through_selectors(scan: Scan) -> None:
    with serve_site("foreign-leak") as url:
        report = scan(
            url + "/", REGISTRY, pages=1, accept_selector="#cmp-accept", reject_selector="#cmp-reject"
        )
    assert report.run.states == ["before", "reject", "accept"] and not report.run.widget
    assert all(v.screenshot for v in report.run.visits)
    assert summary(report) == violations(("after-reject",)) | {
        ("warning", "undeclared-cookie", "cmp (127.0.0.1)"),  # the other manager's own cookie
        ("warning", "stale-vendor", "countly"),  # this site never loads it
    }


@pytest.mark.parametrize(
    ("fault", "replacements", "expected"),
    [
        ("before-consent", (), violations(("before-consent", "after-reject", "not-accepted"))),
        ("reject-leak", (), violations(("after-reject", "not-accepted"))),
        (
            "none",
            (
                (
                    '[[vendors]]\nid = "countly"',
                    '[[vendors]]\nid = "oldchat"\nnumber = 3\nname = "OldChat"\ncategory = "marketing"\n'
                    'policy_url = "https://oldchat.test/privacy"\nhosts = ["widget.oldchat.test"]\n\n'
                    '[[vendors]]\nid = "countly"',
                ),
            ),
            {("warning", "stale-vendor", "oldchat")},
        ),
        (
            "none",
            (('lifetime = "30d"', 'lifetime = "7d"'),),
            {("warning", "lifetime-longer", "_cnt (127.0.0.1)")},
        ),
        (
            "none",
            (('name = "trk_uid"\nparty = "third"', 'name = "trk_uid"\nparty = "first"'),),
            {("warning", "attributes-contradict", "trk_uid (collect.trackly-sync.test)")},
        ),
    ],
    ids=[
        "tracker-before-consent",
        "reject-leaves-tracker",
        "stale-entry",
        "longer-lifetime",
        "first-party-claim",
    ],
)
def test_seeded_fault_is_found(
    scan: Scan,
    tmp_path: Path,
    fault: str,
    replacements: tuple[tuple[str, str], ...],
    expected: set[tuple[str, str, str]],
) -> None:
    registry = registry_variant(tmp_path, "vendors.toml", *replacements)
    with serve_site(fault, registry) as url:
        report = scan(url + "/", registry, pages=1)
    assert summary(report) == expected
