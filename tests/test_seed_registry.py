"""The example registry reproduces the consent dialog of the HubPages seed page."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from consent.registry import Registry, Vendor

REGISTRY_PATH = Path(__file__).parents[1] / "examples/reviews/vendors.toml"
SEED_PATH = Path(__file__).parents[2] / "shared/seed/000_9661cc3b3c4bc2a3.txt"

# Corrections the registry makes to the dialog's wording (typos and a blank), applied to the seed text.
FIXUPS = {
    "when the access": "when they access",
    "identifyable": "identifiable",
    "that we used to host": "that we use to host",
    "on the or domains": "on the googleapis.com or google.com domains",
    "This is feature allows": "This feature allows",
}
LINK = "(Privacy Policy)"


@pytest.fixture(scope="module")
def registry() -> Registry:
    with REGISTRY_PATH.open("rb") as fh:
        return Registry.model_validate(tomllib.load(fh))


@pytest.fixture(scope="module")
def dialog_lines() -> list[str]:
    """The dialog's service lines: every non-empty line after "Show Details" up to the next blank."""
    lines = [line.strip() for line in SEED_PATH.read_text(encoding="utf-8").splitlines()]
    start = lines.index("Show Details") + 1
    section: list[str] = []
    for line in lines[start:]:
        if not line:
            break
        section.append(line)
    return section


def _norm(text: str) -> str:
    text = re.sub(r"\s+", " ", text)  # the seed has no-break spaces, e.g. in "Privacy\xa0Policy"
    return text.replace(LINK, "").strip().rstrip(".").casefold()


def _fixed(text: str) -> str:
    for wrong, right in FIXUPS.items():
        text = text.replace(wrong, right)
    return text


def _expected(vendor: Vendor) -> str:
    return " ".join(t for t in (vendor.description, vendor.without_consent) if t)


def _matches(vendor: Vendor, line: str) -> bool:
    """The line is ``<name><text>`` and the text is this vendor's description (after the fix-ups)."""
    if not line.startswith(vendor.name):
        return False
    return _norm(_fixed(line[len(vendor.name) :])) == _norm(_expected(vendor))


def test_registry_top_level(registry: Registry) -> None:
    assert registry.name == "HubPages"
    assert registry.version == "2026-11"
    assert registry.default_locale == "en"
    assert registry.locales == ("en", "de", "fr")
    assert registry.privacy_policy_url == "https://hubpages.com/privacy/"
    assert registry.notice
    assert "EEA" not in registry.notice
    assert [c.id for c in registry.ordered_categories()] == [
        "necessary",
        "functional",
        "statistics",
        "marketing",
    ]
    assert [c.order for c in registry.categories] == [0, 1, 2, 3]
    necessary = registry.category("necessary")
    assert necessary.required and necessary.justification
    assert [c.id for c in registry.categories if c.required] == ["necessary"]
    assert all(c.title and c.description for c in registry.categories)


def test_dialog_names_come_from_the_seed(registry: Registry, dialog_lines: list[str]) -> None:
    # Each dialog line starts with a vendor name; the longest such prefix is the line's name
    # (so "Google AdSense Host API..." is not read as "Google AdSense").
    names = []
    for line in dialog_lines:
        prefixes = [v.name for v in registry.vendors if line.startswith(v.name)]
        assert prefixes, f"no vendor name starts the dialog line {line!r}"
        names.append(max(prefixes, key=len))
    assert len(names) == 34
    assert len(set(names)) == 34
    assert names == [v.name for v in sorted(registry.vendors, key=lambda v: v.number)]


def test_every_dialog_line_matches_exactly_one_vendor(registry: Registry, dialog_lines: list[str]) -> None:
    assert len(dialog_lines) == 34
    matched: list[str] = []
    for line in dialog_lines:
        hits = [v.id for v in registry.vendors if _matches(v, line)]
        assert len(hits) == 1, f"{line!r} matches {hits}"
        matched.extend(hits)
    assert sorted(matched) == sorted(v.id for v in registry.vendors)
    assert len(registry.vendors) == 34


def test_descriptions_without_fixups_are_verbatim(registry: Registry, dialog_lines: list[str]) -> None:
    by_name = {v.name: v for v in registry.vendors}
    checked = 0
    for line in dialog_lines:
        if _fixed(line) != line:
            continue
        name = max((n for n in by_name if line.startswith(n)), key=len)
        assert _norm(line[len(name) :]) == _norm(_expected(by_name[name])), name
        checked += 1
    assert checked == 34 - len(FIXUPS)


def test_numbers_are_one_to_34_in_dialog_order(registry: Registry) -> None:
    numbers = [v.number for v in registry.vendors]
    assert numbers == list(range(1, 35))
    assert len(set(v.id for v in registry.vendors)) == 34


def test_policy_urls_are_https(registry: Registry) -> None:
    for vendor in registry.vendors:
        assert vendor.policy_url.startswith("https://"), vendor.id


def test_necessary_vendors_load_nothing(registry: Registry) -> None:
    necessary = registry.vendors_in("necessary")
    assert {v.id for v in necessary} == {
        "hubpages-device-id",
        "login",
        "akismet",
        "amazon-web-services",
        "cloudflare",
        "google-hosted-libraries",
    }
    for vendor in necessary:
        assert not (vendor.scripts or vendor.pixels or vendor.embeds), vendor.id


def test_loading_vendors_declare_their_hosts(registry: Registry) -> None:
    for vendor in registry.optional_vendors():
        if vendor.scripts or vendor.pixels or vendor.embeds:
            assert vendor.hosts, vendor.id


def test_translations_cover_every_text(registry: Registry) -> None:
    for locale in ("de", "fr"):
        texts = registry.translations[locale]
        assert texts.notice, locale
        for category in registry.categories:
            entry = texts.categories[category.id]
            assert entry.title and entry.description, (locale, category.id)
            if category.required:
                assert entry.justification, (locale, category.id)
        for vendor in registry.vendors:
            entry_v = texts.vendors[vendor.id]
            assert entry_v.description, (locale, vendor.id)
            assert entry_v.description != vendor.description, (locale, vendor.id)
            if vendor.without_consent:
                assert entry_v.without_consent, (locale, vendor.id)
        localized = registry.localized(locale)
        assert localized.revision == registry.revision
        assert [v.name for v in localized.vendors] == [v.name for v in registry.vendors]
