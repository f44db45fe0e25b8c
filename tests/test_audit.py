"""The privacy audit: findings, their severities, and the three renderings."""

from __future__ import annotations

from typing import Any

import pytest
from audit_helpers import clean, messy, run, vendor

from consent.audit import Finding, Severity, audit
from consent.registry import Registry


def findings(data: dict[str, Any], code: str) -> list[Finding]:
    return [f for f in run(data).findings if f.code == code]


# -- severity --------------------------------------------------------------------------------------


def test_severity_orders_by_weight_not_alphabet() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert Severity.ERROR >= Severity.WARNING
    assert not Severity.INFO > Severity.WARNING
    assert max(Severity) is Severity.ERROR
    assert sorted([Severity.ERROR, Severity.INFO, Severity.WARNING]) == [
        Severity.INFO,
        Severity.WARNING,
        Severity.ERROR,
    ]


def test_severity_compares_with_its_string_value() -> None:
    assert Severity.ERROR > "warning"
    assert Severity.WARNING >= "warning"


def test_finding_reads_as_one_line() -> None:
    finding = Finding(Severity.WARNING, "vendor-without-hosts", "pixel", "no hosts")

    assert str(finding) == "WARNING vendor-without-hosts [pixel]: no hosts"


# -- a clean registry ------------------------------------------------------------------------------


def test_clean_registry_has_no_findings() -> None:
    report = run(clean())

    assert report.findings == ()
    assert report.worst is None
    assert report.at_least(Severity.INFO) == ()


def test_missing_site_policy_is_info() -> None:
    data = clean()
    del data["privacy_policy_url"]

    (finding,) = run(data).findings

    assert (finding.severity, finding.code, finding.vendor) == (Severity.INFO, "site-policy-missing", None)


# -- policy links (the model already requires https; audit re-checks registries built otherwise) ----


@pytest.mark.parametrize(
    ("url", "code"),
    [("http://vendor-1.example.com/privacy", "policy-not-https"), ("", "policy-missing")],
)
def test_policy_link_problems_are_errors(url: str, code: str) -> None:
    registry = Registry.model_validate(clean())
    # model_copy skips validation: the way a registry assembled in code could slip past it.
    broken = registry.vendors[0].model_copy(update={"policy_url": url})
    bad = registry.model_copy(update={"vendors": (broken, *registry.vendors[1:])})

    (finding,) = audit(bad).findings

    assert (finding.severity, finding.code, finding.vendor) == (Severity.ERROR, code, "vendor-1")


# -- cookie lifetimes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [
        (None, ("cookie-lifetime-missing", Severity.WARNING)),
        ("session", None),
        ("30min", None),
        ("1y", None),
        ("13mo", None),
        ("397d", ("cookie-lifetime-over-13-months", Severity.WARNING)),
        ("14mo", ("cookie-lifetime-over-400-days", Severity.ERROR)),  # 400 days are about 13.1 months
        ("400d", ("cookie-lifetime-over-13-months", Severity.WARNING)),  # at Chrome's cap, not over it
        ("401d", ("cookie-lifetime-over-400-days", Severity.ERROR)),
        ("2y", ("cookie-lifetime-over-400-days", Severity.ERROR)),
    ],
)
def test_cookie_lifetimes(lifetime: str | None, expected: tuple[str, Severity] | None) -> None:
    data = clean()
    cookie: dict[str, Any] = {"name": "_v1"}
    if lifetime is not None:
        cookie["lifetime"] = lifetime
    vendor(data, "vendor-1")["cookies"] = [cookie]

    found = [(f.code, f.severity) for f in run(data).findings]

    assert found == ([] if expected is None else [expected])


def test_lifetime_finding_names_cookie_and_vendor() -> None:
    data = clean()
    vendor(data, "vendor-3")["cookies"] = [{"name": "_ga", "lifetime": "2y"}]

    (finding,) = run(data).findings

    assert finding.vendor == "vendor-3"
    assert "'_ga'" in finding.message
    assert "2 years" in finding.message


# -- advertising in a required category ------------------------------------------------------------


def _required(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data["categories"][0].update(changes)
    return data


@pytest.mark.parametrize(
    "make",
    [
        lambda d: _required(d, id="marketing-basics"),
        lambda d: _required(d, title="Advertising"),
        lambda d: _required(d, title="Essential ads"),
        lambda d: _required(d, consent_mode=["ad_user_data"]),
        lambda d: vendor(d, "vendor-4").update(sale_share=True),
        lambda d: vendor(d, "vendor-4").update(consent_mode=["ad_storage"]),
    ],
    ids=["category-id", "category-title", "ads-word", "category-consent-mode", "sale-share", "consent-mode"],
)
def test_advertising_in_a_required_category_is_an_error(make: Any) -> None:
    data = clean()
    make(data)
    # Renaming the required category must keep its vendors in it.
    required_id = data["categories"][0]["id"]
    for v in data["vendors"]:
        if v["category"] == "necessary":
            v["category"] = required_id

    found = findings(data, "marketing-in-required")

    assert {f.vendor for f in found} >= {"vendor-4"}
    assert all(f.severity is Severity.ERROR for f in found)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: _required(d, title="Uploads and headers"),  # "ads" inside words does not count
        lambda d: vendor(d, "vendor-4").update(consent_mode=["security_storage"]),
        lambda d: vendor(d, "vendor-3").update(sale_share=True),  # optional category: fine
    ],
    ids=["words-containing-ads", "security-storage", "optional-sale-share"],
)
def test_not_advertising(make: Any) -> None:
    data = clean()
    make(data)

    assert findings(data, "marketing-in-required") == []


# -- vendors without hosts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "severity"),
    [
        ({}, Severity.INFO),
        ({"cookies": [{"name": "sid", "party": "first", "lifetime": "session"}]}, Severity.INFO),
        ({"cookies": [{"name": "uid", "party": "third", "lifetime": "1d"}]}, Severity.WARNING),
        ({"scripts": [{"inline": "track()"}]}, Severity.WARNING),
    ],
    ids=["nothing", "first-party-cookie", "third-party-cookie", "inline-script"],
)
def test_vendor_without_hosts(extra: dict[str, Any], severity: Severity) -> None:
    data = clean()
    vendor(data, "vendor-2").update(hosts=[], **extra)

    (finding,) = findings(data, "vendor-without-hosts")

    assert finding.vendor == "vendor-2"
    assert finding.severity is severity
    if severity is Severity.WARNING:
        assert "the gate and a scanner cannot check them" in finding.message


# -- shared hosts ----------------------------------------------------------------------------------


def test_host_claimed_by_two_vendors_names_both() -> None:
    data = clean()
    vendor(data, "vendor-2")["hosts"].append("cdn.vendor-1.example.com")

    (finding,) = findings(data, "host-claimed-twice")

    assert finding.severity is Severity.WARNING
    assert "cdn.vendor-1.example.com" in finding.message
    assert "'vendor-1'" in finding.message
    assert "'vendor-2'" in finding.message


def test_host_claimed_by_three_vendors_is_one_finding() -> None:
    data = clean()
    for vid in ("vendor-1", "vendor-2", "vendor-3"):
        vendor(data, vid)["hosts"].append("shared.example.com")

    (finding,) = findings(data, "host-claimed-twice")

    assert "'vendor-1', 'vendor-2' and 'vendor-3'" in finding.message


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("*.tracker.net", "pixel.tracker.net", True),
        ("*.tracker.net", "tracker.net", True),
        ("*.tracker.net", "*.eu.tracker.net", True),
        ("a.tracker.net", "b.tracker.net", False),
        ("*.tracker.net", "tracker.network", False),
    ],
)
def test_overlapping_host_patterns(first: str, second: str, overlap: bool) -> None:
    data = clean()
    vendor(data, "vendor-1")["hosts"] = [first]
    vendor(data, "vendor-2")["hosts"] = [second]

    found = findings(data, "host-claimed-twice")

    assert len(found) == (1 if overlap else 0)


def test_one_vendor_repeating_a_host_is_not_a_clash() -> None:
    data = clean()
    vendor(data, "vendor-1")["hosts"] = ["*.tracker.net", "pixel.tracker.net"]

    assert findings(data, "host-claimed-twice") == []


# -- translations ----------------------------------------------------------------------------------


def _localized_data() -> dict[str, Any]:
    data = clean()
    data["locales"] = ["en", "de"]
    data["notice"] = "We use cookies."
    data["categories"][0]["description"] = "Always on."
    data["categories"][2]["description"] = "Counting visits."
    vendor(data, "vendor-1").update(description="Counts.", without_consent="Nothing.")
    data["translations"] = {
        "de": {
            "notice": "Wir verwenden Cookies.",
            "categories": {
                "necessary": {
                    "title": "Notwendig",
                    "description": "Immer an.",
                    "justification": "Hält die Seite sicher.",
                },
                "functional": {"title": "Funktionen"},
                "statistics": {"title": "Statistik", "description": "Besuche zählen."},
                "marketing": {"title": "Marketing"},
            },
            "vendors": {"vendor-1": {"description": "Zählt.", "without_consent": "Nichts."}},
        }
    }
    return data


def test_complete_translation_has_no_finding() -> None:
    assert findings(_localized_data(), "translation-missing") == []


def test_missing_translations_are_listed_per_locale() -> None:
    data = _localized_data()
    data["locales"].append("fr")
    de = data["translations"]["de"]
    del de["notice"]
    del de["categories"]["necessary"]["justification"]
    de["categories"]["statistics"]["description"] = "  "
    del de["vendors"]["vendor-1"]["without_consent"]

    found = findings(data, "translation-missing")

    assert [f.severity for f in found] == [Severity.WARNING, Severity.WARNING]
    german, french = found
    assert german.message.startswith("locale 'de' lacks 4 texts: ")
    for name in (
        "notice",
        "categories.necessary.justification",
        "categories.statistics.description",
        "vendors.vendor-1.without_consent",
    ):
        assert name in german.message
    assert "vendors.vendor-1.description" not in german.message
    # Nothing at all in French: every non-empty text is missing, empty ones are not asked for.
    assert french.message.startswith("locale 'fr' lacks 10 texts: ")
    assert "categories.functional.description" not in french.message


def test_justification_only_needs_translating_for_required_categories() -> None:
    data = _localized_data()
    data["categories"][2]["justification"] = "Optional anyway."

    assert findings(data, "translation-missing") == []


def test_default_locale_needs_no_translation() -> None:
    data = _localized_data()
    data["locales"] = ["en"]
    del data["translations"]

    assert findings(data, "translation-missing") == []


def test_regional_locale_uses_base_language_translations() -> None:
    data = _localized_data()
    data["locales"] = ["en", "de-AT"]

    assert findings(data, "translation-missing") == []


# -- required categories ---------------------------------------------------------------------------


def test_empty_required_category_is_info() -> None:
    data = clean()
    data["vendors"] = [v for v in data["vendors"] if v["category"] != "necessary"]

    (finding,) = run(data).findings

    assert (finding.severity, finding.code) == (Severity.INFO, "required-category-empty")
    assert "'necessary'" in finding.message


@pytest.mark.parametrize(
    ("script", "warned"),
    [
        ({"src": "https://cdn.vendor-4.example.com/lib.js"}, True),
        ({"src": "https://static.mysite.org/lib.js"}, False),
        ({"inline": "setUp()"}, False),
        ({"src": "https://cdn.vendor-4.example.com/lib.js", "paths": ["/checkout*"]}, False),
    ],
    ids=["third-party", "own-site", "inline", "only-where-needed"],
)
def test_required_third_party_script_loads_before_consent(script: dict[str, str], warned: bool) -> None:
    data = clean()
    vendor(data, "vendor-4")["hosts"].append("static.mysite.org")
    vendor(data, "vendor-4")["scripts"] = [script]

    found = findings(data, "required-third-party-script")

    assert [f.vendor for f in found] == (["vendor-4"] if warned else [])


def test_optional_vendor_scripts_are_fine() -> None:
    data = clean()
    vendor(data, "vendor-3")["scripts"] = [{"src": "https://cdn.vendor-3.example.com/lib.js"}]

    assert findings(data, "required-third-party-script") == []


# -- the report ------------------------------------------------------------------------------------


def test_findings_are_sorted_worst_first() -> None:
    report = run(messy())

    severities = [f.severity for f in report.findings]
    assert severities == sorted(severities, reverse=True)
    assert severities[0] is Severity.ERROR
    assert severities[-1] is Severity.INFO
    assert report.worst is Severity.ERROR


@pytest.mark.parametrize(("floor", "count"), [("info", 5), ("warning", 3), ("error", 2)])
def test_at_least(floor: str, count: int) -> None:
    assert len(run(messy()).at_least(floor)) == count


def test_counts_follow_category_order() -> None:
    data = clean()
    data["categories"][0]["order"] = 9  # necessary last
    report = run(data)

    assert list(report.counts().items()) == [
        ("functional", 2),
        ("statistics", 2),
        ("marketing", 2),
        ("necessary", 2),
    ]
    assert report.severity_counts() == {"error": 0, "warning": 0, "info": 0}


# -- inline scripts, the consent cookie, third-party cookie domains (issue #12) -----------------------


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ("s.src = 'https://' + host + '/sdk.js'", True),
        ("s.src = `https://${host}/sdk.js`", True),
        ("s.src = 'https://cdn.vendor-3.example.com/sdk.js'", False),
        ("start()", False),
    ],
)
def test_an_inline_url_the_text_cannot_decide_is_a_warning(code: str, flagged: bool) -> None:
    data = clean()
    vendor(data, "vendor-3")["scripts"] = [{"inline": code}]

    found = findings(data, "inline-url-unchecked")

    assert [(f.severity, f.vendor) for f in found] == ([(Severity.WARNING, "vendor-3")] if flagged else [])
