"""The insights dashboard in Chromium: axe-core finds nothing, 375 px fits, no JavaScript needed, screenshots.

The dashboard is mounted on the example site (as a site would, behind an access check) over a SQLite
ledger filled with 90 days of generated data. The screenshots land in ``docs/`` for the README.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from consent.insights import create_insights_tables
from consent.insights.dashboard import create_insights_blueprint
from consent.insights.schema import open_engine
from consent.ledger import Ledger

from .support import AXE, ROOT, describe_violations, serve_app

pytestmark = pytest.mark.browser
DASHBOARD = "/admin/consent-insights/"
DOCS = ROOT / "docs"
END = date(2026, 11, 30)


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.insights_data import generate
    from examples.reviews.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('insights') / 'ledger.sqlite3'}"
    Ledger(url, timeout=None).init()
    engine = open_engine(url)
    create_insights_tables(engine)
    generate(engine, records=24_000, days=90, end=END)
    engine.dispose()
    app = create_app({"TESTING": True, "CONSENT_LEDGER_URL": url})
    app.register_blueprint(create_insights_blueprint(lambda: True), url_prefix=DASHBOARD.rstrip("/"))
    with serve_app(app) as url:
        yield url


def open_dashboard(
    browser: Browser, base: str, *, width: int, height: int = 900, javascript: bool = True
) -> Page:
    context = browser.new_context(
        base_url=base,
        viewport={"width": width, "height": height},
        java_script_enabled=javascript,
        locale="en-US",
    )
    page = context.new_page()
    page.goto(DASHBOARD)
    expect(page.get_by_role("heading", name="Consent insights")).to_be_visible()
    return page


def axe(page: Page) -> list[dict[str, object]]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci`", pytrace=False)
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, object]] = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
    )
    return violations


@pytest.mark.parametrize("width", [1280, 375])
def test_dashboard_has_no_axe_violations(browser: Browser, dashboard_url: str, width: int) -> None:
    page = open_dashboard(browser, dashboard_url, width=width)
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")

    violations = axe(page)

    assert not violations, "\n" + describe_violations(violations)  # type: ignore[arg-type]
    page.context.close()


def test_every_chart_is_named_and_has_a_table(browser: Browser, dashboard_url: str) -> None:
    page = open_dashboard(browser, dashboard_url, width=1280)
    for name in ("Decision rates per day", "Share of answers that granted each category"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_role("table", name="Rates per region")).to_be_visible()
    expect(page.get_by_role("table", name="Answers per category")).to_be_visible()
    expect(page.get_by_role("row", name="uk")).to_have_count(1)
    page.context.close()


def test_fits_a_375px_screen(browser: Browser, dashboard_url: str) -> None:
    page = open_dashboard(browser, dashboard_url, width=375)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    chart = page.get_by_role("img", name="Decision rates per day").bounding_box()
    assert chart is not None and chart["width"] <= 375 and chart["width"] > 300
    page.context.close()


def test_the_filter_form_works_without_javascript(browser: Browser, dashboard_url: str) -> None:
    page = open_dashboard(browser, dashboard_url, width=1280, javascript=False)
    page.get_by_role("textbox", name="From").fill("2026-11-01")
    page.get_by_label("Rows by").select_option("region")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By region")).to_be_visible()
    assert "since=2026-11-01" in page.url
    expect(page.get_by_text("From 2026-11-01 to today (UTC days)")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize(
    ("name", "width", "height"), [("insights-desktop.png", 1280, 1100), ("insights-mobile.png", 375, 1400)]
)
def test_screenshots_for_the_readme(
    browser: Browser, dashboard_url: str, name: str, width: int, height: int
) -> None:
    page = open_dashboard(browser, dashboard_url, width=width, height=height)
    target: Path = DOCS / name
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 10_000
    page.context.close()
