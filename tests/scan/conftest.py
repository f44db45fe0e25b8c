"""Fixtures of the scanner's browser tests: the fake third parties and a scan runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from consent.loader import load_registry
from consent.scan import CookieDatabase, ScanOptions, ScanReport, analyse, attribution_chain, scan_site

from .fakes import FakeHosts, serve_fake_hosts
from .site import COOKIE_DB

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def fake_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHosts]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`", pytrace=False)
    with serve_fake_hosts(tmp_path_factory.mktemp("fake-hosts")) as fakes:
        yield fakes


@pytest.fixture(scope="session")
def scan(fake_hosts: FakeHosts) -> Callable[..., ScanReport]:
    """Scan ``url`` with every other host sent to the fake third parties; print the speed."""

    def run(url: str, registry: Path, *, cookie_db: bool = False, **options: Any) -> ScanReport:
        options.setdefault("delay", 0.0)
        options.setdefault("host_map", fake_hosts.host_map())
        result = scan_site(url, ScanOptions(**options))
        loaded = load_registry(registry)
        database = CookieDatabase.load(COOKIE_DB) if cookie_db else None
        report = analyse(result, loaded, attribution_chain(loaded, cookie_db=database))
        visits = len(result.visits)
        print(
            f"\n{url}: {len(result.pages)} pages x {len(result.states)} states in {result.duration:.1f} s "
            f"({len(result.pages) / result.duration:.2f} pages/s, {visits / result.duration:.2f} states/s)"
        )
        return report

    return run


def summary(report: ScanReport) -> set[tuple[str, str, str]]:
    """Each finding as (severity, code, subject): what the tests compare."""
    return {(f.severity.value, f.code, f.subject) for f in report.findings}
