"""A vendor's entry: host and cookie matching, lifetimes, and what its scripts, pixels and embeds may say."""

from __future__ import annotations

import pytest
from conftest import registry_data
from pydantic import ValidationError

import consent.registry
import consent.registry_vendors
from consent.registry import Registry
from consent.registry_vendors import Cookie, Embed, Pixel, Script, Vendor, duration_seconds


def test_the_registry_module_still_exports_the_vendor_models() -> None:
    for name in ("Cookie", "Script", "Pixel", "Embed", "Vendor", "VendorTcf", "ConsentModeType", "Slug"):
        assert getattr(consent.registry, name) is getattr(consent.registry_vendors, name), name


# -- matching --------------------------------------------------------------------------------------


def test_vendor_covers_host() -> None:
    vendor = Vendor(
        id="v",
        number=1,
        name="V",
        category="c",
        policy_url="https://v.example.com/",
        hosts=("v.example.com", "*.cdn.example.net"),
    )

    assert vendor.covers_host("img.cdn.example.net")
    assert not vendor.covers_host("example.net")


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("_ga", "_ga", True),
        ("_ga", "_gat", False),
        ("_ga_*", "_ga_ABC123", True),
        ("_ga_*", "_ga_", True),
        ("_ga_*", "_ga", False),
        ("*_id", "session_id", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "acb", False),
        ("x.y", "xzy", False),  # the dot is literal, not a regex wildcard
        ("(x)", "(x)", True),
    ],
)
def test_cookie_matches(pattern: str, name: str, expected: bool) -> None:
    assert Cookie(name=pattern).matches(name) is expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("session", None),
        ("30s", 30),
        ("30min", 1800),
        ("24h", 86400),
        ("7d", 7 * 86400),
        ("2w", 14 * 86400),
        ("1y", 31557600),
        ("2 y", 2 * 31557600),
    ],
)
def test_duration_seconds(value: str, seconds: int | None) -> None:
    assert duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["forever", "1", "d", "-1d", "1.5y", "1 year", ""])
def test_duration_seconds_rejects_nonsense(value: str) -> None:
    with pytest.raises(ValueError, match="is not 'session'"):
        duration_seconds(value)


def test_thirteen_months_is_just_under_400_days() -> None:
    assert 390 * 86400 < (duration_seconds("13mo") or 0) < 400 * 86400


def test_twelve_months_make_a_year() -> None:
    assert duration_seconds("12mo") == duration_seconds("1y")


def test_cookie_lifetime_is_validated() -> None:
    with pytest.raises(ValidationError, match="forever"):
        Cookie(name="x", lifetime="forever")

    assert Cookie(name="x", lifetime="13mo").lifetime_seconds == duration_seconds("13mo")
    assert Cookie(name="x").lifetime_seconds is None


@pytest.mark.parametrize("name", ["src", "nonce", "onload", "data-consent-key", "Async", "x y", '"><script'])
def test_script_attributes_cannot_smuggle_sources_or_handlers(name: str) -> None:
    data = registry_data(1)
    data["vendors"][0]["scripts"] = [
        {"src": "https://cdn.vendor-1.example.com/a.js", "attributes": {name: "x"}}
    ]

    with pytest.raises(ValidationError):
        Registry.model_validate(data)


def test_a_script_has_exactly_one_of_src_and_inline() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Script()
    with pytest.raises(ValidationError, match="exactly one"):
        Script(src="https://cdn.example.com/a.js", inline="x()")
    assert Script(inline="x()").src is None


@pytest.mark.parametrize(
    "src", ["http://cdn.example.com/a.js", "javascript:alert(1)", "//cdn.example.com/a.js"]
)
def test_scripts_pixels_and_embeds_load_over_https_only(src: str) -> None:
    with pytest.raises(ValidationError):
        Script(src=src)
    with pytest.raises(ValidationError):
        Pixel(src=src)
    with pytest.raises(ValidationError):
        Embed(src=src)


def test_an_embed_source_may_hold_fields_filled_at_render_time() -> None:
    assert Embed(src="https://www.youtube-nocookie.com/embed/{video}").src.endswith("{video}")


def test_a_noscript_pixel_belongs_in_the_body() -> None:
    with pytest.raises(ValidationError, match="belongs in the body"):
        Pixel(src="https://px.example.com/p.gif", noscript=True, placement="head")
    assert Pixel(src="https://px.example.com/p.gif", noscript=True).placement == "body"


def test_vendor_embed_by_name_or_first() -> None:
    first = Embed(name="video", src="https://v.example.com/embed/{id}")
    second = Embed(name="map", src="https://v.example.com/map/{id}")
    vendor = Vendor(
        id="v", number=1, name="V", category="c", policy_url="https://v.example.com/", embeds=(first, second)
    )

    assert vendor.embed() is first
    assert vendor.embed("map") is second
    assert vendor.embed("nope") is None
    assert vendor.model_copy(update={"embeds": ()}).embed() is None


@pytest.mark.parametrize(
    "host", ["example", "https://v.example.com", "v.example.com/path", "*.*.example.com"]
)
def test_vendor_hosts_are_host_names(host: str) -> None:
    with pytest.raises(ValidationError, match="is not a host name"):
        Vendor(id="v", number=1, name="V", category="c", policy_url="https://v.example.com/", hosts=(host,))
