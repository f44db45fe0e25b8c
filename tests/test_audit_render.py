"""The audit report as text, JSON and Markdown: every purpose and vendor listed, then the findings."""

from __future__ import annotations

import json

import pytest
from audit_helpers import clean, documented, messy, run, vendor

from consent.audit import audit
from consent.audit_render import escape_markdown, render_json, render_markdown, render_text
from consent.registry import Registry


def test_text_report_groups_vendors_by_category_in_order() -> None:
    text = render_text(run(documented()))

    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings == [
        "== Necessary (required) ==",
        "== Features (optional) ==",
        "== Statistics (optional) ==",
        "== Marketing (optional) ==",
    ]
    features = text.split("== Features")[1].split("== Statistics")[0]
    assert "Vendor 1 [vendor-1, #1]" in features
    assert "Vendor 5 [vendor-5, #5]" in features
    assert "Purpose: Counts | visits" in features
    assert "Privacy policy: https://vendor-1.example.com/privacy" in features
    assert "Hosts: cdn.vendor-1.example.com" in features
    assert "Without consent: Nothing is counted." in features
    assert "_v (first-party, 2 years): Tells visitors apart." in features
    assert "sid (first-party, not stated)" in features
    assert "s (first-party, session)" in text
    assert "Sells or shares personal data: yes" in text.split("== Necessary")[1]


def test_text_report_summary_and_findings() -> None:
    text = render_text(run(messy()))

    assert "8 vendors in 4 categories; findings: 2 error, 1 warning, 2 info" in text
    assert "  Necessary [necessary]: 2" in text
    assert "ERROR cookie-lifetime-over-400-days [vendor-1]" in text


def test_json_report() -> None:
    data = json.loads(render_json(run(documented())))

    assert data["registry"]["name"] == "Synthetic"
    assert data["summary"]["categories"] == {"necessary": 2, "functional": 2, "statistics": 2, "marketing": 2}
    assert data["summary"]["findings"] == {"error": 2, "warning": 2, "info": 2}
    assert data["findings"][0]["severity"] == "error"
    assert [c["id"] for c in data["categories"]] == ["necessary", "functional", "statistics", "marketing"]
    v1 = data["categories"][1]["vendors"][0]
    assert v1["id"] == "vendor-1"
    assert v1["cookies"][0] == {
        "name": "_v",
        "party": "first",
        "lifetime": "2y",
        "lifetime_text": "2 years",
        "purpose": "Tells visitors apart.",
        "domain": None,
    }
    assert data["categories"][0]["vendors"][0]["sale_share"] is True


def test_markdown_report() -> None:
    text = render_markdown(run(documented()))

    assert text.startswith("# Cookie audit: Synthetic\n")
    assert "| Necessary | yes | 2 |" in text
    assert "- **error** `cookie-lifetime-over-400-days` (vendor-1):" in text
    assert "## Features (optional)" in text
    assert "### Vendor 1" in text
    assert "Counts \\| visits" in text  # a pipe would break the table
    assert "| \\_v | first |  | 2 years | Tells visitors apart. |" in text
    assert "- Privacy policy: <https://vendor-1.example.com/privacy>" in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("<script>", "\\<script\\>"),
        ("_x_ *y*", "\\_x\\_ \\*y\\*"),
        ("two\nlines", "two lines"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_seed_registry_report(seed_registry: Registry) -> None:
    report = audit(seed_registry)
    text = render_text(report)

    assert sum(report.counts().values()) == len(seed_registry.vendors)
    for v in seed_registry.vendors:
        assert f"[{v.id}, #{v.number}]" in text
    assert json.loads(render_json(report))["summary"]["vendors"] == len(seed_registry.vendors)
    assert render_markdown(report).count("\n### ") == len(seed_registry.vendors)
    # The example site keeps advertising out of its required category.
    assert not [f for f in report.findings if f.code == "marketing-in-required"]


def test_the_reports_declare_the_consent_cookie() -> None:
    from consent.own_cookie import consent_cookie

    report = audit(
        Registry.model_validate(clean()),
        own_cookie=consent_cookie("cc", domain="mysite.org", max_age_days=180),
    )
    text, markdown = render_text(report), render_markdown(report)
    data = json.loads(render_json(report))

    assert "__Secure-cc (first-party, on mysite.org, 180 days): Remembers your cookie choices" in text
    assert "| \\_\\_Secure-cc | first | mysite.org | 180 days | Remembers your cookie choices" in markdown
    assert data["consent_cookie"]["name"] == "__Secure-cc"
    assert data["consent_cookie"]["lifetime"] == "180d"


def test_the_default_consent_cookie_is_the_host_only_one() -> None:
    report = run(clean())
    assert report.own_cookie is not None
    assert (report.own_cookie.name, report.own_cookie.lifetime) == ("__Host-consent", "400d")
    assert "__Host-consent (first-party, 400 days)" in render_text(report)


def test_text_and_markdown_show_a_third_party_cookie_domain() -> None:
    data = clean()
    vendor(data, "vendor-3")["cookies"] = [
        {"name": "IDE", "party": "third", "domain": "doubleclick.net", "lifetime": "390d", "purpose": "Ads."}
    ]
    report = run(data)

    assert "IDE (third-party, on doubleclick.net, 390 days): Ads." in render_text(report)
    assert "| IDE | third | doubleclick.net | 390 days | Ads. |" in render_markdown(report)
