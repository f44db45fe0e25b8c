"""The report in every format, from hand-made observations."""

from __future__ import annotations

import json
import re

import pytest

from consent.loader import load_registry
from consent.scan import ScanReport, analyse, attribution_chain
from consent.scan.html import render_html
from consent.scan.report import render_json, render_markdown, render_text, speed_line

from .builders import cookie, request, run, visit
from .fakes import GIF
from .site import REGISTRY

TRACKLY = "https://cdn.trackly.test/tracker.js"


@pytest.fixture(scope="module")
def report() -> ScanReport:
    registry = load_registry(REGISTRY)
    visits = (
        visit("before", request(TRACKLY), cookie("_trk", lifetime=300 * 86400.0, time=0.4), screenshot=GIF),
        visit("accept", request(TRACKLY), cookie("<b>odd</b>", time=1.5)),
    )
    return analyse(run(*visits), registry, attribution_chain(registry))


def test_speed_line() -> None:
    registry = load_registry(REGISTRY)
    empty = analyse(run(visit("before"), visit("accept")), registry, attribution_chain(registry))
    assert speed_line(empty) == "scanned 1 page in 2 states (2 visits) in 2.0 s: 0.50 pages/s, 1.00 states/s"


def test_text(report: ScanReport) -> None:
    text = render_text(report)
    assert (
        "ERROR before-consent [trackly]: a request to cdn.trackly.test (Trackly (marketing)) before any choice"
        in text
    )
    assert "suggestion: add cookies <b>odd</b> (1d) to new vendor 'news-example' in 'marketing'" in text
    assert text.rstrip().endswith("states/s") and "2 errors, 2 warnings" in text


def test_json(report: ScanReport) -> None:
    data = json.loads(render_json(report))
    assert data["summary"] == {"error": 2, "warning": 2, "info": 0}
    assert {f["code"] for f in data["findings"]} == {"before-consent", "undeclared-cookie", "stale-vendor"}
    before = data["visits"][0]
    assert before["state"] == "before"
    assert [(o["kind"], o["name"], o["verdict"]) for o in before["observations"]] == [
        ("cookie", "_trk", "violation"),
        ("host", "cdn.trackly.test", "violation"),
    ]


def test_markdown(report: ScanReport) -> None:
    text = render_markdown(report)
    assert "| error | `before-consent` | cdn.trackly.test |" in text
    assert "## https://news.example/ — after Accept all" in text


def test_html_is_one_self_contained_file(report: ScanReport) -> None:
    html = render_html(report)
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""src=["']https?:""", html)
    assert 'src="data:image/png;base64,R0lGOD' in html  # the state's screenshot, inline
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>odd</b>" not in html
    assert html.count('class="mark ') == 2  # one timeline marker per cookie
    for heading in ("Summary", "before any choice", "after Accept all"):
        assert heading in html
