"""Comparing registries: relevant vs cosmetic changes, number reuse, and when to ask visitors again."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import registry_data

from consent.diff import RegistryDiff, diff_registries, render_json, render_markdown, render_text
from consent.registry import Registry

Edit = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    # vendor-1 functional, vendor-2 statistics, vendor-3 marketing, vendor-4 necessary (required), ...
    return registry_data(8)


def vendor(data: dict[str, Any], vendor_id: str) -> dict[str, Any]:
    return next(v for v in data["vendors"] if v["id"] == vendor_id)


def category(data: dict[str, Any], category_id: str) -> dict[str, Any]:
    return next(c for c in data["categories"] if c["id"] == category_id)


def diff_after(edit: Edit, old: dict[str, Any] | None = None) -> RegistryDiff:
    before = old if old is not None else base()
    after = copy.deepcopy(before)
    edit(after)
    return diff_registries(Registry.model_validate(before), Registry.model_validate(after))


def new_vendor(number: int, category_id: str, vendor_id: str = "newcomer") -> dict[str, Any]:
    return {
        "id": vendor_id,
        "number": number,
        "name": "Newcomer",
        "category": category_id,
        "policy_url": "https://newcomer.example.com/privacy",
        "hosts": ["newcomer.example.com"],
    }


def test_identical_registries() -> None:
    diff = diff_after(lambda d: None)

    assert diff.empty
    assert not diff.reprompt
    assert diff.errors == diff.warnings == ()
    assert diff.old_revision == diff.new_revision


# -- cosmetic changes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: vendor(d, "vendor-1").update(name="Renamed"), "name"),
    ],
)
def test_cosmetic_vendor_changes_need_no_prompt(edit: Edit, field: str) -> None:
    diff = diff_after(edit)

    (change,) = diff.vendors_changed
    assert change.id == "vendor-1"
    assert [(c.field, c.kind) for c in change.changes] == [(field, "cosmetic")]
    assert not diff.reprompt and not diff.needs_review
    assert diff.old_revision == diff.new_revision


# -- changes a person must review (issue #12, item 10) ---------------------------------------------


def _with_cookie(lifetime: str, party: str = "first") -> Edit:
    return lambda d: vendor(d, "vendor-1").update(
        cookies=[{"name": "_v", "lifetime": lifetime, "party": party, "purpose": "Counts."}]
    )


@pytest.mark.parametrize(
    ("old", "edit", "field", "old_value", "new_value"),
    [
        (
            lambda d: vendor(d, "vendor-1").update(description="Measures traffic."),
            lambda d: vendor(d, "vendor-1").update(
                description="Measures traffic and builds marketing profiles."
            ),
            "description",
            "'Measures traffic.'",
            "'Measures traffic and builds marketing profiles.'",
        ),
        (
            None,
            lambda d: category(d, "statistics").update(description="We sell insights to partners."),
            "description",
            "''",
            "'We sell insights to partners.'",
        ),
        (_with_cookie("90d"), _with_cookie("395d"), "cookies[_v].lifetime", "'90d'", "'395d'"),
        (_with_cookie("90d"), _with_cookie("90d", "third"), "cookies[_v].party", "'first'", "'third'"),
        (
            None,
            lambda d: vendor(d, "vendor-1").update(without_consent="Nothing."),
            "without_consent",
            "null",
            "'Nothing.'",
        ),
        (
            None,
            lambda d: vendor(d, "vendor-1").update(policy_url="https://new.example.com/p"),
            "policy_url",
            "'https://vendor-1.example.com/privacy'",
            "'https://new.example.com/p'",
        ),
    ],
    ids=["vendor-description", "purpose-description", "lifetime", "party", "without-consent", "policy"],
)
def test_material_changes_need_review_with_old_and_new(
    old: Edit | None, edit: Edit, field: str, old_value: str, new_value: str
) -> None:
    before = base()
    if old is not None:
        old(before)
    diff = diff_after(edit, before)

    (change,) = diff.vendors_changed or diff.categories_changed
    assert [(c.field, c.kind) for c in change.changes] == [(field, "review")]
    assert diff.needs_review and not diff.reprompt
    (line,) = diff.reviews
    assert line.endswith(f"{field}: {old_value} -> {new_value}")
    text = render_text(diff)
    assert "A person must review 1 change(s)" in text
    assert "Visitors need not be asked again." not in text
    assert f"{field} (review): {old_value} -> {new_value}" in text


def test_a_host_change_is_relevant_and_reviewed() -> None:
    diff = diff_after(lambda d: vendor(d, "vendor-1")["hosts"].append("new.example.net"))

    (change,) = diff.vendors_changed
    assert [(c.field, c.kind) for c in change.changes] == [("hosts", "relevant")]
    assert diff.needs_review


def test_a_long_description_is_shown_whole_for_review() -> None:
    words = "Measures traffic to our pages and, from 2027 on, also builds marketing profiles for partners."
    diff = diff_after(lambda d: vendor(d, "vendor-1").update(description=words))

    assert words in render_text(diff)
    assert words in render_markdown(diff)


def test_reordering_hosts_is_no_change() -> None:
    def edit(d: dict[str, Any]) -> None:
        vendor(d, "vendor-1")["hosts"].reverse()

    old = base()
    vendor(old, "vendor-1")["hosts"] = ["a.example.com", "b.example.com"]

    assert diff_after(edit, old).empty


def test_reordering_vendors_is_no_change() -> None:
    assert diff_after(lambda d: d["vendors"].reverse()).empty


def test_cosmetic_category_change() -> None:
    diff = diff_after(lambda d: category(d, "statistics").update(title="Audience", description="Counting."))

    (change,) = diff.categories_changed
    assert {c.field for c in change.changes} == {"title", "description"}
    assert change.name == "Audience"
    assert not change.relevant
    assert not diff.reprompt


# -- vendors added and removed ---------------------------------------------------------------------


def test_vendor_added_to_optional_category_reprompts() -> None:
    diff = diff_after(lambda d: d["vendors"].append(new_vendor(100, "marketing")))

    assert [v.id for v in diff.vendors_added] == ["newcomer"]
    assert diff.reprompt
    assert diff.reasons == ("new vendor 'newcomer' in optional category 'marketing'",)
    assert diff.old_revision != diff.new_revision


def test_vendor_added_to_required_category_does_not_reprompt() -> None:
    diff = diff_after(lambda d: d["vendors"].append(new_vendor(100, "necessary")))

    assert [v.id for v in diff.vendors_added] == ["newcomer"]
    assert not diff.reprompt


def test_vendor_removed_does_not_reprompt_but_asks_to_retire_its_number() -> None:
    diff = diff_after(lambda d: d["vendors"].remove(vendor(d, "vendor-3")))

    assert [v.id for v in diff.vendors_removed] == ["vendor-3"]
    assert not diff.reprompt
    assert diff.errors == ()
    (warning,) = diff.warnings
    assert "number 3 of 'vendor-3'" in warning
    assert "retired_numbers" in warning


def test_removed_vendor_with_retired_number_is_clean() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["vendors"].remove(vendor(d, "vendor-3"))
        d["retired_numbers"] = [3]

    diff = diff_after(edit)

    assert diff.warnings == ()
    assert diff.errors == ()


# -- relevant vendor changes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (
            lambda d: vendor(d, "vendor-1").update(category="marketing"),
            "category",
            "vendor 'vendor-1' moved from 'functional' to 'marketing'",
        ),
        (
            lambda d: vendor(d, "vendor-1").update(number=100),
            "number",
            "vendor 'vendor-1' was renumbered from 1 to 100",
        ),
    ],
    ids=["category", "number"],
)
def test_relevant_vendor_change_reprompts(edit: Edit, field: str, reason: str) -> None:
    diff = diff_after(edit)

    (change,) = diff.vendors_changed
    assert [c.field for c in change.changes] == [field]
    assert change.relevant
    assert diff.reasons == (reason,)
    assert diff.old_revision != diff.new_revision


@pytest.mark.parametrize(
    ("edit", "old"),
    [
        (lambda d: vendor(d, "vendor-1").update(hosts=[]), None),
        (
            lambda d: vendor(d, "vendor-1").update(sale_share=False),
            lambda d: vendor(d, "vendor-1").update(sale_share=True),
        ),
        (lambda d: vendor(d, "vendor-1").update(category="necessary"), None),
        (lambda d: vendor(d, "vendor-4")["hosts"].append("more.example.com"), None),
    ],
    ids=["hosts-removed", "sale-share-off", "moved-to-required", "required-vendor-new-host"],
)
def test_relevant_change_that_takes_nothing_new_does_not_reprompt(edit: Edit, old: Edit | None) -> None:
    before = base()
    if old is not None:
        old(before)

    diff = diff_after(edit, before)

    (change,) = diff.vendors_changed
    assert change.relevant
    assert not diff.reprompt


def test_field_change_keeps_old_and_new_values() -> None:
    diff = diff_after(lambda d: vendor(d, "vendor-1").update(category="marketing", name="Renamed"))

    (change,) = diff.vendors_changed
    moved = change.change("category")
    assert moved is not None
    assert (moved.old, moved.new, moved.relevant) == ("functional", "marketing", True)
    renamed = change.change("name")
    assert renamed is not None
    assert (renamed.old, renamed.new, renamed.relevant) == ("Vendor 1", "Renamed", False)


# -- categories ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "reprompt"),
    [
        (lambda d: d["categories"].append({"id": "social", "title": "Social"}), True),
        (
            lambda d: d["categories"].append(
                {"id": "security", "title": "Security", "required": True, "justification": "Safety."}
            ),
            False,
        ),
        (lambda d: category(d, "statistics").update(required=True, justification="Needed."), False),
    ],
    ids=["optional-added", "required-added", "made-required"],
)
def test_category_changes(edit: Edit, reprompt: bool) -> None:
    diff = diff_after(edit)

    assert diff.reprompt is reprompt
    assert diff.old_revision != diff.new_revision


def test_category_made_optional_reprompts() -> None:
    diff = diff_after(lambda d: category(d, "necessary").update(required=False, justification=None))

    (change,) = diff.categories_changed
    assert change.relevant
    assert change.change("required") is not None
    assert diff.reasons == ("category 'necessary' is no longer required: visitors must now choose",)


def test_category_removed() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["categories"].remove(category(d, "marketing"))
        for v in d["vendors"]:
            if v["category"] == "marketing":
                v["category"] = "statistics"

    diff = diff_after(edit)

    assert [c.id for c in diff.categories_removed] == ["marketing"]
    # The vendors that moved are what visitors must be asked about.
    assert diff.reasons == (
        "vendor 'vendor-3' moved from 'marketing' to 'statistics'",
        "vendor 'vendor-7' moved from 'marketing' to 'statistics'",
    )


# -- number reuse ----------------------------------------------------------------------------------


def test_number_of_removed_vendor_reused_is_an_error() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["vendors"].remove(vendor(d, "vendor-3"))
        d["vendors"].append(new_vendor(3, "marketing"))

    diff = diff_after(edit)

    (error,) = diff.errors
    assert error.startswith("number 3 belonged to 'vendor-3' (removed) and now names 'newcomer'")


def test_swapped_numbers_are_errors() -> None:
    def edit(d: dict[str, Any]) -> None:
        vendor(d, "vendor-1")["number"] = 2
        vendor(d, "vendor-2")["number"] = 1

    diff = diff_after(edit)

    assert len(diff.errors) == 2
    assert "number 1 belonged to 'vendor-1' and now names 'vendor-2'" in diff.errors[0]


def test_renamed_vendor_id_keeping_its_number_is_an_error() -> None:
    diff = diff_after(lambda d: vendor(d, "vendor-1").update(id="vendor-one"))

    assert [v.id for v in diff.vendors_added] == ["vendor-one"]
    assert [v.id for v in diff.vendors_removed] == ["vendor-1"]
    assert len(diff.errors) == 1


def test_number_retired_before_reused_is_an_error() -> None:
    old = base()
    old["retired_numbers"] = [50]

    def edit(d: dict[str, Any]) -> None:
        d["retired_numbers"] = []  # forgetting the retirement is what lets the loader accept it
        d["vendors"].append(new_vendor(50, "marketing"))

    diff = diff_after(edit, old)

    assert diff.errors == ("number 50 was retired and is reused by 'newcomer'",)


# -- rendering -------------------------------------------------------------------------------------


def _busy(d: dict[str, Any]) -> None:
    d["vendors"].append(new_vendor(100, "marketing"))
    d["vendors"].remove(vendor(d, "vendor-2"))
    vendor(d, "vendor-1").update(category="marketing", description="Now | with a pipe.")
    d["categories"].append({"id": "social", "title": "Social"})


def test_text_rendering() -> None:
    text = render_text(diff_after(_busy))

    assert "Vendors added:\n  + newcomer (Newcomer) in marketing" in text
    assert "Vendors removed:\n  - vendor-2 (Vendor 2) in statistics" in text
    assert "  ~ vendor-1 (Vendor 1)" in text
    assert "category (relevant): 'functional' -> 'marketing'" in text
    assert "description (review): '' -> 'Now | with a pipe.'" in text
    assert "WARNING: number 2 of 'vendor-2'" in text
    assert "Visitors must be asked again:\n  - new optional category 'social'" in text


def test_text_rendering_without_changes() -> None:
    text = render_text(diff_after(lambda d: None))

    assert "No changes." in text
    assert text.endswith("Visitors need not be asked again.\n")


def test_json_rendering() -> None:
    diff = diff_after(_busy)
    data = json.loads(render_json(diff))

    assert data["reprompt"] is True
    assert data["old_revision"] == diff.old_revision
    assert data["new_revision"] == diff.new_revision
    assert data["vendors"]["added"] == [
        {"id": "newcomer", "number": 100, "name": "Newcomer", "category": "marketing"}
    ]
    assert [v["id"] for v in data["vendors"]["removed"]] == ["vendor-2"]
    (changed,) = data["vendors"]["changed"]
    assert changed["relevant"] is True
    assert {
        "field": "category",
        "old": "functional",
        "new": "marketing",
        "relevant": True,
        "kind": "relevant",
    } in changed["changes"]
    assert data["categories"]["added"] == [{"id": "social", "title": "Social", "required": False}]
    assert len(data["reasons"]) == 3


def test_markdown_rendering() -> None:
    text = render_markdown(diff_after(_busy))

    assert text.startswith("# Registry changes: `")
    assert "**Visitors must be asked again:**" in text
    assert "| `vendor-1` | category | **relevant** | 'functional' | 'marketing' |" in text
    assert "Now \\| with a pipe." in text
    assert "## Vendors added\n\n- `newcomer` Newcomer in `marketing`" in text


def test_markdown_lists_errors() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["vendors"].remove(vendor(d, "vendor-3"))
        d["vendors"].append(new_vendor(3, "marketing"))

    text = render_markdown(diff_after(edit))

    assert "## Errors\n\n- number 3 belonged to 'vendor-3'" in text


def test_seed_registry_against_itself(seed_registry: Registry) -> None:
    diff = diff_registries(seed_registry, seed_registry)

    assert diff.empty
    assert not diff.reprompt


@pytest.mark.parametrize(
    ("edit", "field", "warning"),
    [
        (
            lambda d: vendor(d, "vendor-1")["hosts"].append("api.vendor-1.example.com"),
            "hosts",
            "vendor 'vendor-1' sends data to new hosts (api.vendor-1.example.com)",
        ),
        (
            lambda d: vendor(d, "vendor-1").update(sale_share=True),
            "sale_share",
            "vendor 'vendor-1' now sells or shares personal data",
        ),
    ],
    ids=["hosts-added", "sale-share-on"],
)
def test_material_change_the_cookie_keeps_warns_how_to_ask_again(
    edit: Edit, field: str, warning: str
) -> None:
    # The consent cookie keeps decisions about these vendors, so the diff must not promise a re-prompt.
    diff = diff_after(edit)

    (change,) = diff.vendors_changed
    assert [c.field for c in change.changes] == [field]
    assert not diff.reprompt
    (message,) = [w for w in diff.warnings if w.startswith(warning)]
    assert "give it a new number" in message
