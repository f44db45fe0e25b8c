"""The preset catalogue: every entry is a valid, honest vendor; the loader expands presets in registries."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from preset_helpers import SUGGESTED_CATEGORIES

from consent.errors import RegistryError
from consent.loader import parse_registry
from consent.presets import CatalogueError, Preset, catalogue, parse_catalogue
from consent.registry import Registry
from consent.registry_rules import host_matches

PRESETS = list(catalogue())
IDS = [p.id for p in PRESETS]

CATEGORIES = SUGGESTED_CATEGORIES

#: Every service the issue names, by the id of its preset.
REQUIRED_COVERAGE = [
    "google-analytics-4",
    "matomo",
    "plausible",
    "fathom",
    "adobe-analytics",
    "amplitude",
    "mixpanel",
    "heap",
    "segment",
    "rudderstack",
    "posthog",
    "hotjar",
    "microsoft-clarity",
    "contentsquare",
    "fullstory",
    "google-ads",
    "google-campaign-manager",
    "google-ad-manager",
    "google-adsense",
    "meta-pixel",
    "linkedin-insight",
    "tiktok-pixel",
    "x-pixel",
    "pinterest-tag",
    "snap-pixel",
    "reddit-pixel",
    "microsoft-uet",
    "amazon-ads",
    "criteo",
    "taboola",
    "outbrain",
    "index-exchange",
    "sovrn",
    "xandr",
    "openx",
    "magnite",
    "triplelift",
    "amazon-publisher-services",
    "youtube",
    "vimeo",
    "google-maps",
    "openstreetmap",
    "spotify",
    "soundcloud",
    "x-embed",
    "instagram-embed",
    "facebook-embed",
    "tiktok-embed",
    "calendly",
    "typeform",
    "intercom",
    "zendesk",
    "drift",
    "crisp",
    "hubspot",
    "tawk-to",
    "stripe",
    "paypal",
    "recaptcha",
    "hcaptcha",
    "cloudflare-turnstile",
    "google-fonts",
    "adobe-fonts",
    "cloudflare",
    "jsdelivr",
    "unpkg",
    "sentry",
    "datadog-rum",
    "new-relic",
    "mailchimp",
    "klaviyo",
    "brevo",
]

#: The families whose services may be strictly necessary by nature.
NECESSARY_FAMILIES = {"payments-security", "cdn-fonts"}


def toml_value(value: object) -> str:
    return json.dumps(value)  # a JSON string or number is a TOML one


def entry(preset: Preset, number: int, vendor_id: str | None = None) -> str:
    params = ", ".join(f"{name} = {toml_value(value)}" for name, value in preset.params.items())
    return f'\n[[vendors]]\nid = "{vendor_id or preset.id}"\nnumber = {number}\npreset = "{preset.id}"\n' + (
        f"params = {{ {params} }}\n" if params else ""
    )


def load(text: str, fmt: str = "toml") -> Registry:
    return parse_registry(text, fmt, source="site.toml")


def problems(text: str, fmt: str = "toml") -> list[tuple[int | None, str, str]]:
    with pytest.raises(RegistryError) as caught:
        load(text, fmt)
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def test_the_catalogue_has_at_least_120_presets() -> None:
    assert len(PRESETS) >= 120


def test_it_covers_every_service_the_issue_names() -> None:
    assert set(REQUIRED_COVERAGE) - set(IDS) == set()


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_each_preset_validates_alone(preset: Preset) -> None:
    registry = load(CATEGORIES + entry(preset, 7))
    vendor = registry.vendor(preset.id)
    assert (vendor.number, vendor.preset, vendor.name, vendor.category) == (
        7,
        preset.id,
        preset.name,
        preset.category,
    )
    assert vendor.policy_url == preset.policy_url
    # Site parameters are filled everywhere; only render-time ones stay, and only in embeds.
    for kind in ("hosts", "scripts", "pixels"):
        text = json.dumps(
            [item if isinstance(item, str) else item.model_dump() for item in getattr(vendor, kind)]
        )
        assert not re.search(r"\{[a-z][a-z0-9_]*\}", text), (kind, text)
    for embed in vendor.embeds:
        assert set(re.findall(r"\{([a-z][a-z0-9_]*)\}", embed.src)) <= set(preset.render_params)


def test_all_presets_load_together_in_one_registry() -> None:
    text = CATEGORIES + "".join(entry(p, n) for n, p in enumerate(PRESETS, start=1))
    registry = load(text)
    assert [v.preset for v in registry.vendors] == IDS


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_policy_links_are_https(preset: Preset) -> None:
    parts = urlsplit(preset.policy_url)
    assert parts.scheme == "https" and parts.hostname


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_every_script_pixel_and_embed_host_is_among_the_hosts(preset: Preset) -> None:
    vendor = preset.vendor("x", 1)
    sources = [s.src for s in vendor.scripts if s.src] + [p.src for p in vendor.pixels]
    sources += [re.sub(r"\{[a-z0-9_]+\}", "x", e.src) for e in vendor.embeds]
    for src in sources:
        host = urlsplit(src).hostname
        assert host and any(host_matches(pattern, host) for pattern in vendor.hosts), (src, vendor.hosts)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_only_services_necessary_by_nature_are_required_and_they_say_why(preset: Preset) -> None:
    if preset.category == "necessary":
        assert preset.family in NECESSARY_FAMILIES
        assert preset.required_reason and len(preset.required_reason) > 20
    else:
        assert preset.required_reason is None


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_each_preset_is_dated_and_described(preset: Preset) -> None:
    assert date(2026, 1, 1) <= preset.reviewed <= date(2026, 12, 1)
    assert preset.description.endswith(".") and len(preset.description) > 20
    assert all(c.purpose and c.lifetime for c in preset.cookies)
    assert all(c.domain for c in preset.cookies if c.party == "third")


def test_every_suggested_category_is_one_of_the_four() -> None:
    assert {p.category for p in PRESETS} == {"necessary", "functional", "statistics", "marketing"}


@pytest.mark.parametrize(
    ("preset_id", "tcf_id"),
    [
        ("google-adsense", 755),
        ("index-exchange", 10),
        ("sovrn", 13),
        ("xandr", 32),
        ("openx", 69),
        ("magnite", 52),
        ("triplelift", 28),
        ("amazon-publisher-services", 793),
        ("criteo", 91),
        ("comscore", 77),
        ("microsoft-uet", 1126),
    ],
)
def test_tcf_vendor_ids(preset_id: str, tcf_id: int) -> None:
    preset = catalogue().get(preset_id)
    assert preset is not None and preset.tcf_id == tcf_id
    assert preset.sale_share == (preset.category == "marketing")


# -- using a preset in a registry -------------------------------------------------------------------


def test_params_fill_the_scripts_and_the_site_overrides_fields() -> None:
    registry = load(
        CATEGORIES
        + """
[[vendors]]
id = "site-analytics"
number = 12
preset = "google-analytics-4"
params = { measurement_id = "G-ABC123" }
category = "functional"
description = "Our own words."
hosts = ["www.googletagmanager.com"]
"""
    )
    vendor = registry.vendor("site-analytics")
    assert vendor.scripts[0].src == "https://www.googletagmanager.com/gtag/js?id=G-ABC123"
    assert "gtag('config', 'G-ABC123');" in (vendor.scripts[1].inline or "")
    assert (vendor.category, vendor.description, vendor.hosts) == (
        "functional",
        "Our own words.",
        ("www.googletagmanager.com",),
    )
    assert [c.name for c in vendor.cookies] == ["_ga", "_ga_*"]  # not overridden: the preset's


def test_defaults_apply_and_can_be_overridden() -> None:
    base = CATEGORIES + '[[vendors]]\nid = "fb"\nnumber = 1\npreset = "facebook-login"\n'
    assert load(base).vendor("fb").scripts[0].src == "https://connect.facebook.net/en_US/sdk.js"
    other = load(base + 'params = { locale = "de_DE" }\n').vendor("fb")
    assert other.scripts[0].src == "https://connect.facebook.net/de_DE/sdk.js"


def test_render_time_placeholders_stay_for_the_embed() -> None:
    registry = load(CATEGORIES + '[[vendors]]\nid = "yt"\nnumber = 1\npreset = "youtube"\n')
    assert registry.vendor("yt").embeds[0].src == "https://www.youtube-nocookie.com/embed/{video_id}"


def test_a_plain_registry_does_not_read_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    import consent.presets as presets

    def fail() -> None:
        raise AssertionError("the catalogue was read")

    monkeypatch.setattr(presets, "catalogue", fail)
    assert load(
        CATEGORIES
        + '[[vendors]]\nid = "a"\nnumber = 1\nname = "A"\ncategory = "functional"\npolicy_url = "https://a.example/p"\n'
    )


UNKNOWN_PRESET = (
    CATEGORIES
    + """
[[vendors]]
id = "ga"
number = 1
preset = "google-analytics"
params = { measurement_id = "G-1" }
"""
)


def test_an_unknown_preset_is_reported_on_its_line_with_suggestions() -> None:
    found = problems(UNKNOWN_PRESET)
    line = UNKNOWN_PRESET.splitlines().index('preset = "google-analytics"') + 1
    assert (line, "vendors.0.preset") in [(p[0], p[1]) for p in found]
    message = next(m for _, path, m in found if path == "vendors.0.preset")
    assert "unknown preset 'google-analytics'" in message and "google-analytics-4" in message


def test_a_missing_parameter_is_reported_on_the_preset_line() -> None:
    text = CATEGORIES + '\n[[vendors]]\nid = "hj"\nnumber = 1\npreset = "hotjar"\n'
    line = text.splitlines().index('preset = "hotjar"') + 1
    assert problems(text) == [
        (line, "vendors.0.preset", "preset 'hotjar' needs the parameter 'site_id' (for example '1234567')")
    ]


def test_unknown_and_malformed_parameters_are_reported_on_the_params_line() -> None:
    text = CATEGORIES + (
        '\n[[vendors]]\nid = "hj"\nnumber = 1\npreset = "hotjar"\n'
        'params = { site_id = "1\'); alert(1); //", siteid = "2" }\n'
    )
    line = len(text.splitlines())
    found = problems(text)
    assert {(p[0], p[1]) for p in found} == {
        (line, "vendors.0.params.site_id"),
        (line, "vendors.0.params.siteid"),
    }
    assert any("is not an identifier" in p[2] for p in found)
    assert any("has no parameter 'siteid' (its parameters: site_id)" in p[2] for p in found)


def test_params_without_a_preset_is_a_problem() -> None:
    text = (
        CATEGORIES
        + '\n[[vendors]]\nid = "a"\nnumber = 1\nname = "A"\ncategory = "functional"\npolicy_url = "https://a.example/p"\nparams = { x = "1" }\n'
    )
    assert problems(text) == [(len(text.splitlines()), "vendors.0.params", "'params' without a 'preset'")]


def test_a_preset_never_supplies_the_number() -> None:
    text = CATEGORIES + '\n[[vendors]]\nid = "cf"\npreset = "cloudflare"\n'
    assert problems(text) == [(len(text.splitlines()) - 2, "vendors.0.number", "required field is missing")]


YAML = """\
name: Preset test
categories:
  - id: statistics
    title: Statistics
vendors:
  - id: hj
    number: 1
    preset: hotjr
  - id: pl
    number: 2
    preset: plausible
"""


def test_yaml_and_json_registries_get_the_same_problems_with_lines() -> None:
    found = problems(YAML, "yaml")
    assert (
        8,
        "vendors.0.preset",
        "unknown preset 'hotjr' (did you mean 'hotjar'?); see 'consent presets list'",
    ) in found
    assert (
        11,
        "vendors.1.preset",
        "preset 'plausible' needs the parameter 'domain' (for example 'example.com')",
    ) in found
    data = {
        "name": "J",
        "categories": [{"id": "statistics", "title": "S"}],
        "vendors": [{"id": "pl", "number": 1, "preset": "plausible", "params": {"domian": "x.org"}}],
    }
    text = json.dumps(data, indent=2)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if '"domian"' in row)
    assert (line, "vendors.0.params.domian") in {(p[0], p[1]) for p in problems(text, "json")}


# -- the catalogue's own checks ---------------------------------------------------------------------


BASE = 'name = "X"\ncategory = "functional"\ndescription = "An example service."\npolicy_url = "https://x.example/privacy"\nreviewed = "2026-12-01"\nhosts = ["x.example"]\n'


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ('[[x.scripts]]\nsrc = "https://x.example/{site}.js"\n', "not a declared parameter"),
        ('params = { site = "1" }\n', "never used"),
        (
            'params = { site = "a b" }\n[[x.scripts]]\nsrc = "https://x.example/{site}.js"\n',
            "not a valid parameter value",
        ),
        (
            'render_params = ["video"]\n[[x.scripts]]\nsrc = "https://x.example/{video}.js"\n',
            "not a declared parameter",
        ),
        ('nickname = "x"\n', "Extra inputs"),
    ],
)
def test_a_broken_catalogue_entry_is_an_error_naming_file_and_preset(extra: str, error: str) -> None:
    with pytest.raises(CatalogueError, match=rf"family.toml: preset 'x':(.|\n)*{error}"):
        parse_catalogue({"family.toml": "[x]\n" + BASE + extra})


def test_a_preset_defined_twice_is_an_error() -> None:
    with pytest.raises(CatalogueError, match="defined twice"):
        parse_catalogue({"a.toml": "[x]\n" + BASE, "b.toml": "[x]\n" + BASE})


@pytest.mark.parametrize(
    ("text", "category", "expected"), [("bing", None, {"microsoft-uet"}), ("", "necessary", None)]
)
def test_search(text: str, category: str | None, expected: set[str] | None) -> None:
    found = catalogue().search(text, category)
    if expected is not None:
        assert {p.id for p in found} == expected
    assert found and all(category is None or p.category == category for p in found)


def test_the_schema_for_editors_accepts_preset_entries() -> None:
    from consent.cli import SCHEMA_DIALECT, schema
    from consent.presets import schema_with_presets
    from consent.registry import Registry

    plain = {"$schema": SCHEMA_DIALECT, **Registry.model_json_schema()}
    extended = schema_with_presets(plain)
    assert schema()["$defs"]["Vendor"] == extended["$defs"]["Vendor"]  # what `consent schema` prints
    vendor = extended["$defs"]["Vendor"]
    assert vendor["required"] == ["id", "number"]
    assert set(vendor["else"]["required"]) == set(plain["$defs"]["Vendor"]["required"]) - {"id", "number"}
    assert vendor["if"] == {"required": ["preset"]}
    assert "google-analytics-4" in vendor["properties"]["preset"]["enum"]
    assert vendor["additionalProperties"] is False and "params" in vendor["properties"]
    assert plain["$defs"]["Vendor"]["required"] != ["id", "number"]  # the original is untouched


def test_a_preset_has_every_vendor_field_but_the_sites_own() -> None:
    from consent.registry import Vendor

    own = {"id", "number", "preset"}
    catalogue_only = {"id", "reviewed", "params", "defaults", "render_params", "required_reason", "family"}
    assert set(Preset.model_fields) - catalogue_only == set(Vendor.model_fields) - own
