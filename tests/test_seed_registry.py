"""The example registry reproduces the consent dialog of the HubPages seed page."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from consent.registry import Registry, Vendor

REGISTRY_PATH = Path(__file__).parents[1] / "examples/reviews/vendors.toml"
#: The seed page (a dev machine's ../shared): only the test that rebuilds the data file reads it.
SEED_PATH = Path(__file__).parents[2] / "shared/seed/000_9661cc3b3c4bc2a3.txt"
#: What the seed's consent dialog shows, in this project's own format: per service line, in dialog order,
#: the name it starts with, a SHA-256 of its text (normalised, fix-ups applied) and whether a fix-up
#: changed it. A fresh clone checks the registry against it without ../shared.
DIALOG_PATH = Path(__file__).parent / "data" / "seed_dialog.json"

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
def dialog() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(DIALOG_PATH.read_text(encoding="utf-8"))
    return entries


def seed_dialog_lines(seed_text: str) -> list[str]:
    """The dialog's service lines: every non-empty line after "Show Details" up to the next blank."""
    lines = [line.strip() for line in seed_text.splitlines()]
    start = lines.index("Show Details") + 1
    section: list[str] = []
    for line in lines[start:]:
        if not line:
            break
        section.append(line)
    return section


def dialog_entries(lines: list[str], names: list[str]) -> list[dict[str, Any]]:
    """The data file's entries for these dialog lines; ``names`` are the service names to look for."""
    entries = []
    for line in lines:
        # The longest name that starts the line (so "Google AdSense Host API..." is not "Google AdSense").
        name = max((n for n in names if line.startswith(n)), key=len)
        text = line[len(name) :]
        entries.append({"name": name, "text_sha256": _digest(_fixed(text)), "fixed": _fixed(text) != text})
    return entries


def _digest(text: str) -> str:
    return hashlib.sha256(_norm(text).encode()).hexdigest()


def _norm(text: str) -> str:
    text = re.sub(r"\s+", " ", text)  # the seed has no-break spaces, e.g. in "Privacy\xa0Policy"
    return text.replace(LINK, "").strip().rstrip(".").casefold()


def _fixed(text: str) -> str:
    for wrong, right in FIXUPS.items():
        text = text.replace(wrong, right)
    return text


def _expected(vendor: Vendor) -> str:
    return " ".join(t for t in (vendor.description, vendor.without_consent) if t)


@pytest.mark.skipif(
    not SEED_PATH.exists(),
    reason="the seed page is in ../shared/seed only on the dev machine; tests/data/seed_dialog.json carries "
    "what the other tests need from it",
)
def test_the_data_file_is_what_the_seed_shows(registry: Registry, dialog: list[dict[str, Any]]) -> None:
    lines = seed_dialog_lines(SEED_PATH.read_text(encoding="utf-8"))
    assert all(any(line.startswith(v.name) for v in registry.vendors) for line in lines)
    assert dialog_entries(lines, [v.name for v in registry.vendors]) == dialog


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


def test_dialog_names_come_from_the_seed(registry: Registry, dialog: list[dict[str, Any]]) -> None:
    names = [entry["name"] for entry in dialog]
    assert len(names) == 34
    assert len(set(names)) == 34
    assert names == [v.name for v in sorted(registry.vendors, key=lambda v: v.number)]


def test_every_dialog_line_matches_exactly_one_vendor(
    registry: Registry, dialog: list[dict[str, Any]]
) -> None:
    assert len(dialog) == 34
    matched: list[str] = []
    for entry in dialog:
        hits = [
            v.id
            for v in registry.vendors
            if v.name == entry["name"] and _digest(_expected(v)) == entry["text_sha256"]
        ]
        assert len(hits) == 1, f"{entry['name']!r}: the registry's text differs from the dialog's ({hits})"
        matched.extend(hits)
    assert sorted(matched) == sorted(v.id for v in registry.vendors)
    assert len(registry.vendors) == 34


def test_descriptions_without_fixups_are_verbatim(dialog: list[dict[str, Any]]) -> None:
    # Every fix-up corrects exactly one line; all other lines are the dialog's words unchanged.
    assert sum(1 for entry in dialog if entry["fixed"]) == len(FIXUPS)


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
