"""Checks across a registry's fields, on raw data: every problem found in one pass, malformed parts skipped."""

from __future__ import annotations

from typing import Any

from conftest import registry_data

from consent.registry_checks import semantic_problems


def paths(data: dict[str, Any]) -> dict[str, str]:
    return dict(semantic_problems(data))


def test_a_clean_registry_has_no_problems() -> None:
    assert semantic_problems(registry_data(8)) == []


def test_every_problem_is_listed_with_its_path() -> None:
    data = registry_data(8)
    data["categories"].append(dict(data["categories"][0]))  # a duplicate id
    data["retired_numbers"] = [9]
    data["vendors"][1]["id"] = data["vendors"][0]["id"]  # a duplicate id
    data["vendors"][2]["number"] = data["vendors"][3]["number"]  # a reused number
    data["vendors"][4]["number"] = 9  # a retired one
    data["vendors"][5]["category"] = "nowhere"
    data["vendors"][6]["scripts"] = [{"src": "https://elsewhere.example.net/x.js"}]
    data["regions"] = [
        {"id": "eu", "policy": "opt-in", "codes": ["DE"], "exempt_vendors": ["vendor-4"]},  # required
        {"id": "de", "policy": "opt-out", "codes": ["DE"], "exempt_vendors": ["vendor-1"]},
    ]
    data["translations"] = {"de": {"vendors": {"ghost": {"name": "Geist"}}}}

    found = paths(data)

    assert "duplicate category id" in found["categories.4.id"]
    assert "duplicate vendor id" in found["vendors.1.id"]
    assert "is already used by" in found["vendors.3.number"]
    assert "is retired" in found["vendors.4.number"]
    assert "unknown category 'nowhere'" in found["vendors.5.category"]
    assert "not among" in found["vendors.6.scripts.0.src"]
    assert "'vendor-4' is not an optional vendor" in found["regions.0.exempt_vendors"]
    assert "DE is already in region 'eu'" in found["regions.1.codes"]
    assert "only make sense in an opt-in region" in found["regions.1.exempt_vendors"]
    assert "no vendor 'ghost'" in found["translations.de.vendors.ghost"]


def test_malformed_parts_are_skipped_not_fatal() -> None:
    """The loader reports per-field errors beside these: what cannot be read is left to them."""
    data: dict[str, Any] = {
        "categories": "not a list",
        "vendors": [None, 3, {"id": 7, "number": "one", "hosts": None}, {"id": "v", "scripts": "x"}],
        "regions": {"not": "a list"},
        "translations": ["neither"],
        "tcf": "nor",
    }
    assert semantic_problems(data) == []


def test_a_registry_without_categories_is_refused() -> None:
    data = registry_data(2)
    data["categories"] = []
    assert paths(data)["categories"] == "at least one category is needed"
