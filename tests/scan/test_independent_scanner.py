"""Our scan beside an independent one (npm ``@slashgear/gdpr-cookie-scanner``) on the same sites.

Both meet the same fake third parties and visit the site as ``http://site.test/`` (gdpr-scan takes
every request of a site on a bare IP address for a third party's). The test prints both verdicts side
by side and checks that every problem gdpr-scan finds, ours finds too; what only ours finds is limited
to the differences the README explains ("Scanning the live site").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from consent.scan import ScanReport
from tests.browser.support import REGISTRY as EXAMPLE_REGISTRY
from tests.browser.support import serve_example

from .fakes import FakeHosts
from .independent import (
    GDPR_SCAN,
    Verdict,
    gdpr_scan,
    our_verdict,
    side_by_side,
    their_categories,
    their_verdict,
)
from .site import REGISTRY, serve_site

pytestmark = pytest.mark.browser
SITE = "http://site.test/"
NOTHING = frozenset[str]()
# What our registry and the Open Cookie Database call a category, in gdpr-scan's words.
SAME_CATEGORY = {"statistics": "analytics", "Analytics": "analytics", "marketing": "advertising"}


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    if not GDPR_SCAN.exists():
        pytest.fail(f"{GDPR_SCAN} is missing: run `npm ci`", pytrace=False)


def compare(
    scan: Callable[..., ScanReport],
    fake_hosts: FakeHosts,
    tmp_path: Path,
    url: str,
    registry: Path,
    site: str,
    **options: object,
) -> tuple[Verdict, Verdict, ScanReport]:
    host_map = {"site.test": url.removeprefix("http://"), **fake_hosts.host_map()}
    report = scan(SITE, registry, pages=1, host_map=host_map, **options)
    ours, theirs = our_verdict(report), their_verdict(gdpr_scan(SITE, tmp_path, host_map))
    print("\n" + side_by_side(site, ours, theirs))
    return ours, theirs, report


def test_example_site_both_clean(
    scan: Callable[..., ScanReport], fake_hosts: FakeHosts, tmp_path: Path
) -> None:
    with serve_example() as server:
        ours, theirs, _ = compare(scan, fake_hosts, tmp_path, server.url, EXAMPLE_REGISTRY, "example site")
    assert ours == theirs == Verdict(NOTHING, NOTHING)


def test_tracker_before_consent(
    scan: Callable[..., ScanReport], fake_hosts: FakeHosts, tmp_path: Path
) -> None:
    with serve_site("before-consent") as url:
        ours, theirs, _ = compare(
            scan, fake_hosts, tmp_path, url, REGISTRY, "test site, tracker before consent"
        )
    assert theirs.before and theirs.before <= ours.before
    # Playwright's contexts refuse third-party cookies; only ours reads the refused Set-Cookie header.
    assert ours.before - theirs.before == {"cookie trk_uid"}
    assert theirs.after_reject <= ours.after_reject


def test_reject_leaves_tracker(
    scan: Callable[..., ScanReport], fake_hosts: FakeHosts, tmp_path: Path
) -> None:
    with serve_site("reject-leak") as url:
        ours, theirs, _ = compare(scan, fake_hosts, tmp_path, url, REGISTRY, "test site, Reject all leaks")
    assert ours.before == theirs.before == NOTHING
    # gdpr-scan reads the page right after the click; the leak shows on the next page a decided visitor
    # loads, which only our scan visits.
    assert ours.after_reject and theirs.after_reject <= ours.after_reject


def test_undeclared_cookie_is_named_alike(
    scan: Callable[..., ScanReport], fake_hosts: FakeHosts, tmp_path: Path
) -> None:
    with serve_site("undeclared") as url:
        ours, theirs, report = compare(
            scan, fake_hosts, tmp_path, url, REGISTRY, "test site, undeclared cookie", cookie_db=True
        )
    assert ours == theirs == Verdict(NOTHING, NOTHING)
    (finding,) = report.findings
    assert finding.code == "undeclared-cookie" and finding.subject.startswith("_hjSessionUser_42 ")
    rows = [r for rows in report.rows.values() for r in rows if r.kind == "cookie" and r.attribution]
    ours_by_name = {r.name: r.attribution.category for r in rows if r.attribution and r.attribution.category}
    theirs_by_name = their_categories(sorted(ours_by_name))
    print({name: (ours_by_name[name], theirs_by_name[name]) for name in ours_by_name})
    # Where gdpr-scan knows a cookie (our test trackers are unknown to it), it names it as ours does.
    known = {name: category for name, category in theirs_by_name.items() if category != "unknown"}
    assert "_hjSessionUser_42" in known
    assert {n: SAME_CATEGORY.get(ours_by_name[n] or "", ours_by_name[n]) for n in known} == known
