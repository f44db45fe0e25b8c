"""Compare two versions of a registry: what changed, and whether visitors must be asked again.

Each changed field is *relevant* (a field of :attr:`Registry.revision`: a vendor's number, category,
hosts, sale/share flag; a category's existence and ``required``; new optional vendors and purposes,
moved or renumbered vendors re-ask visitors), *review* (what a purpose or vendor does or keeps:
descriptions, ``without_consent``, cookies with lifetimes, parties and domains, policy links, tags,
Consent Mode types; the cookie cannot tell "measures traffic" from "builds marketing profiles", so a
person decides, and gives the vendor a new number when earlier consent no longer covers it), or
*cosmetic* (names, titles, order: past decisions stand).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .audit_render import escape_markdown as _md
from .registry import Category, Registry, Vendor

#: Vendor fields whose change alters what a visitor agreed to (the ones in the revision fingerprint).
RELEVANT_VENDOR_FIELDS = frozenset({"number", "category", "hosts", "sale_share"})
#: Category fields whose change alters what a visitor agreed to.
RELEVANT_CATEGORY_FIELDS = frozenset({"required"})
#: Vendor fields whose change a person must review: what the vendor does, keeps, loads and where.
REVIEW_VENDOR_FIELDS = frozenset({
    "description", "without_consent", "cookies", "policy_url", "scripts", "pixels", "embeds", "consent_mode",
    "consent_mode_advanced", "tcf", "tcf_id", "google_atp_id",
})  # fmt: skip
#: Category fields whose change a person must review: what the purpose is.
REVIEW_CATEGORY_FIELDS = frozenset({"description", "justification", "consent_mode"})
#: Fields compared as sets: reordering them is not a change.
_SET_FIELDS = frozenset({"hosts"})


@dataclass(frozen=True)
class FieldChange:
    """One field of a vendor or category that differs between the two registries."""

    field: str
    old: Any
    new: Any
    relevant: bool
    #: A person must decide whether earlier consent still covers it (relevant changes always need that).
    review: bool = False

    @property
    def kind(self) -> str:
        """``relevant``, ``review`` or ``cosmetic``."""
        return "relevant" if self.relevant else "review" if self.review else "cosmetic"


@dataclass(frozen=True)
class ItemChange:
    """A vendor or category present in both registries with at least one changed field."""

    id: str
    name: str
    changes: tuple[FieldChange, ...]

    @property
    def relevant(self) -> bool:
        return any(c.relevant for c in self.changes)

    def change(self, field: str) -> FieldChange | None:
        return next((c for c in self.changes if c.field == field), None)


@dataclass(frozen=True)
class RegistryDiff:
    """Everything that differs between ``old`` and ``new``, and what it means for stored consent."""

    old_revision: str
    new_revision: str
    vendors_added: tuple[Vendor, ...]
    vendors_removed: tuple[Vendor, ...]
    vendors_changed: tuple[ItemChange, ...]
    categories_added: tuple[Category, ...]
    categories_removed: tuple[Category, ...]
    categories_changed: tuple[ItemChange, ...]
    #: Reasons visitors must be asked again (empty when they need not be).
    reasons: tuple[str, ...]
    #: Broken identities: a vendor number that now names another vendor. Always a mistake.
    errors: tuple[str, ...]
    #: Worth fixing but harmless today, e.g. a freed number that is not listed as retired.
    warnings: tuple[str, ...]
    #: Changes a person must decide about, each with its old and new value (kind "review").
    reviews: tuple[str, ...] = ()

    @property
    def reprompt(self) -> bool:
        return bool(self.reasons)

    @property
    def needs_review(self) -> bool:
        """Whether a change to what a purpose or vendor does awaits a person's decision."""
        return bool(self.reviews)

    @property
    def empty(self) -> bool:
        return not (
            self.vendors_added
            or self.vendors_removed
            or self.vendors_changed
            or self.categories_added
            or self.categories_removed
            or self.categories_changed
        )


def diff_registries(old: Registry, new: Registry) -> RegistryDiff:
    """Compare two registries by vendor and category id."""
    old_vendors = {v.id: v for v in old.vendors}
    new_vendors = {v.id: v for v in new.vendors}
    old_categories = {c.id: c for c in old.categories}
    new_categories = {c.id: c for c in new.categories}

    vendors_added = tuple(v for v in new.vendors if v.id not in old_vendors)
    vendors_removed = tuple(v for v in old.vendors if v.id not in new_vendors)
    vendors_changed = _changed(old_vendors, new.vendors, RELEVANT_VENDOR_FIELDS, REVIEW_VENDOR_FIELDS)
    categories_added = tuple(c for c in new.categories if c.id not in old_categories)
    categories_removed = tuple(c for c in old.categories if c.id not in new_categories)
    categories_changed = _changed(
        old_categories, new.categories, RELEVANT_CATEGORY_FIELDS, REVIEW_CATEGORY_FIELDS
    )
    errors, warnings = _number_problems(old, new)
    reasons = tuple(_reasons(new, vendors_added, vendors_changed, categories_added, categories_changed))
    warnings.extend(_material_changes(new, vendors_changed))
    return RegistryDiff(
        old_revision=old.revision,
        new_revision=new.revision,
        vendors_added=vendors_added,
        vendors_removed=vendors_removed,
        vendors_changed=vendors_changed,
        categories_added=categories_added,
        categories_removed=categories_removed,
        categories_changed=categories_changed,
        reasons=reasons,
        errors=tuple(errors),
        warnings=tuple(warnings),
        reviews=tuple(_reviews(vendors_changed, categories_changed)),
    )


def _changed(
    before: Mapping[str, Vendor | Category],
    after: Iterable[Vendor | Category],
    relevant: frozenset[str],
    review: frozenset[str],
) -> tuple[ItemChange, ...]:
    """Items present on both sides (matched by id) with at least one differing field."""
    compared = (_compare(before[item.id], item, relevant, review) for item in after if item.id in before)
    return tuple(change for change in compared if change.changes)


def _compare(old: BaseModel, new: BaseModel, relevant: frozenset[str], review: frozenset[str]) -> ItemChange:
    before = old.model_dump(mode="json")
    after = new.model_dump(mode="json")
    changes: list[FieldChange] = []
    for field in after:
        if field == "id":
            continue
        a, b = before.get(field), after[field]
        # Host order carries no meaning, so a reordered list is not a change.
        same = sorted(a or ()) == sorted(b or ()) if field in _SET_FIELDS else a == b
        if same:
            continue
        if field == "cookies":
            changes.extend(_cookie_changes(a or [], b or []))
        else:
            changes.append(FieldChange(field, a, b, field in relevant, field in relevant or field in review))
    name = after.get("name") or after.get("title")  # vendors have names, categories titles
    return ItemChange(str(after["id"]), str(name), tuple(changes))


def _cookie_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> Iterator[FieldChange]:
    """Cookie by cookie (matched by name): a lifetime raised from 90 to 395 days reads as just that."""
    before = {c["name"]: c for c in old}
    after = {c["name"]: c for c in new}
    for name, cookie in after.items():
        previous = before.get(name)
        if previous is None:
            yield FieldChange(f"cookies[{name}]", None, cookie, False, True)
            continue
        for key in cookie:
            if cookie[key] != previous.get(key):
                yield FieldChange(f"cookies[{name}].{key}", previous.get(key), cookie[key], False, True)
    for name, cookie in before.items():
        if name not in after:
            yield FieldChange(f"cookies[{name}]", cookie, None, False, True)


def _reviews(vendors: Iterable[ItemChange], categories: Iterable[ItemChange]) -> Iterator[str]:
    for noun, items in (("vendor", vendors), ("category", categories)):
        changes = ((item, c) for item in items for c in item.changes if c.review)
        for item, c in changes:
            yield f"{noun} {item.id!r} {c.field}: {_value(c.old, full=True)} -> {_value(c.new, full=True)}"


def _number_problems(old: Registry, new: Registry) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    old_by_number = {v.number: v for v in old.vendors}
    new_by_number = {v.number: v for v in new.vendors}
    new_ids = {v.id for v in new.vendors}
    # A stored decision is indexed by number: if the number now names another vendor, visitors who
    # decided about the old one would silently be taken to have decided about the new one.
    for number, vendor in sorted(new_by_number.items()):
        previous = old_by_number.get(number)
        if previous is not None and previous.id != vendor.id:
            gone = "" if previous.id in new_ids else " (removed)"
            errors.append(
                f"number {number} belonged to {previous.id!r}{gone} and now names {vendor.id!r}: "
                "give the new vendor an unused number"
            )
        elif previous is None and number in old.retired_numbers:
            errors.append(f"number {number} was retired and is reused by {vendor.id!r}")
    new_retired = set(new.retired_numbers)
    for number, vendor in sorted(old_by_number.items()):
        if number not in new_by_number and number not in new_retired:
            warnings.append(
                f"number {number} of {vendor.id!r} is no longer used: add it to retired_numbers "
                "so it is never reused"
            )
    return errors, warnings


def _reasons(
    new: Registry,
    vendors_added: Iterable[Vendor],
    vendors_changed: Iterable[ItemChange],
    categories_added: Iterable[Category],
    categories_changed: Iterable[ItemChange],
) -> Iterator[str]:
    # Required vendors and categories are never asked about, so only optional ones can need a prompt.
    for category in categories_added:
        if not category.required:
            yield f"new optional category {category.id!r}"
    for item in categories_changed:
        change = item.change("required")
        if change is not None and change.old and not change.new:
            yield f"category {item.id!r} is no longer required: visitors must now choose"
    for vendor in vendors_added:
        if not new.is_required(vendor):
            yield f"new vendor {vendor.id!r} in optional category {vendor.category!r}"
    for item in vendors_changed:
        vendor = new.vendor(item.id)
        if new.is_required(vendor):
            continue
        if (change := item.change("category")) is not None:
            yield f"vendor {item.id!r} moved from {change.old!r} to {change.new!r}"
        if (change := item.change("number")) is not None:
            # The cookie remembers decisions by number: a renumbered vendor reads as never asked.
            yield f"vendor {item.id!r} was renumbered from {change.old} to {change.new}"


def _material_changes(new: Registry, vendors_changed: Iterable[ItemChange]) -> Iterator[str]:
    # The cookie re-asks only about new vendors and moved ones; a vendor whose data flows grew keeps
    # its earlier decision unless the site gives it a new number, which is the way to ask again.
    for item in vendors_changed:
        vendor = new.vendor(item.id)
        if new.is_required(vendor):
            continue
        if (change := item.change("hosts")) is not None:
            added = sorted(set(change.new) - set(change.old))
            if added:
                yield (
                    f"vendor {item.id!r} sends data to new hosts ({', '.join(added)}): earlier decisions "
                    "still apply; to ask visitors again give it a new number and retire the old one"
                )
        if (change := item.change("sale_share")) is not None and change.new:
            yield (
                f"vendor {item.id!r} now sells or shares personal data: earlier decisions still apply; "
                "to ask visitors again give it a new number and retire the old one"
            )


# -- renderers ----------------------------------------------------------------------------------------

#: What a reviewer does about a change the cookie cannot judge.
REVIEW_ADVICE = (
    "If earlier consent no longer covers what the vendor does now, give it a new number and list the "
    "old one in retired_numbers: visitors are then asked about it again."
)


def diff_data(diff: RegistryDiff) -> dict[str, Any]:
    """The diff as plain JSON-ready data (what :func:`render_json` prints)."""

    def item(change: ItemChange) -> dict[str, Any]:
        return {
            "id": change.id,
            "name": change.name,
            "relevant": change.relevant,
            "changes": [
                {"field": c.field, "old": c.old, "new": c.new, "relevant": c.relevant, "kind": c.kind}
                for c in change.changes
            ],
        }

    return {
        "old_revision": diff.old_revision,
        "new_revision": diff.new_revision,
        "reprompt": diff.reprompt,
        "reasons": list(diff.reasons),
        "review": list(diff.reviews),
        "errors": list(diff.errors),
        "warnings": list(diff.warnings),
        "vendors": {
            "added": [_vendor_summary(v) for v in diff.vendors_added],
            "removed": [_vendor_summary(v) for v in diff.vendors_removed],
            "changed": [item(c) for c in diff.vendors_changed],
        },
        "categories": {
            "added": [{"id": c.id, "title": c.title, "required": c.required} for c in diff.categories_added],
            "removed": [
                {"id": c.id, "title": c.title, "required": c.required} for c in diff.categories_removed
            ],
            "changed": [item(c) for c in diff.categories_changed],
        },
    }


def _vendor_summary(vendor: Vendor) -> dict[str, Any]:
    return {"id": vendor.id, "number": vendor.number, "name": vendor.name, "category": vendor.category}


def render_json(diff: RegistryDiff) -> str:
    return json.dumps(diff_data(diff), indent=2, ensure_ascii=False) + "\n"


def _value(value: Any, *, full: bool = False) -> str:
    """A one-line rendering of a field value; short unless ``full`` (text a person must read whole)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and not full:
        names = [str(v.get("name") or v.get("src") or "?") for v in value]
        return f"[{', '.join(names)}]"
    if isinstance(value, list) and not full:
        return f"[{', '.join(str(v) for v in value)}]"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if full or len(text) <= 80 else text[:77] + "..."


def _change_lines(change: ItemChange) -> Iterator[str]:
    for c in change.changes:
        full = c.kind == "review"
        yield f"{c.field} ({c.kind}): {_value(c.old, full=full)} -> {_value(c.new, full=full)}"


def _changed_section(out: list[str], label: str, changes: tuple[ItemChange, ...]) -> None:
    if changes:
        out.append(f"{label}:")
        for change in changes:
            out.append(f"  ~ {change.id} ({change.name})")
            out.extend(f"      {line}" for line in _change_lines(change))


def render_text(diff: RegistryDiff) -> str:
    out = [f"Revision {diff.old_revision} -> {diff.new_revision}"]
    if diff.empty:
        out.append("No changes.")
    for label, mark, vendors in (
        ("Vendors added", "+", diff.vendors_added),
        ("Vendors removed", "-", diff.vendors_removed),
    ):
        if vendors:
            out.append(f"{label}:")
            out.extend(f"  {mark} {v.id} ({v.name}) in {v.category}" for v in vendors)
    _changed_section(out, "Vendors changed", diff.vendors_changed)
    for label, mark, categories in (
        ("Categories added", "+", diff.categories_added),
        ("Categories removed", "-", diff.categories_removed),
    ):
        if categories:
            out.append(f"{label}:")
            out.extend(f"  {mark} {c.id} ({c.title}){' required' if c.required else ''}" for c in categories)
    _changed_section(out, "Categories changed", diff.categories_changed)
    out.extend(f"ERROR: {e}" for e in diff.errors)
    out.extend(f"WARNING: {w}" for w in diff.warnings)
    if diff.needs_review:
        out.append(f"A person must review {len(diff.reviews)} change(s) to what a purpose or vendor does:")
        out.extend(f"  - {r}" for r in diff.reviews)
        out.append(f"  {REVIEW_ADVICE}")
    if diff.reprompt:
        out.append("Visitors must be asked again:")
        out.extend(f"  - {r}" for r in diff.reasons)
    elif diff.needs_review:
        out.append("Visitors are not asked again unless you decide so (see above).")
    else:
        out.append("Visitors need not be asked again.")
    return "\n".join(out) + "\n"


def render_markdown(diff: RegistryDiff) -> str:
    out = [f"# Registry changes: `{diff.old_revision}` → `{diff.new_revision}`", ""]
    if diff.reprompt:
        out.append("**Visitors must be asked again:**")
        out.append("")
        out.extend(f"- {_md(r)}" for r in diff.reasons)
    elif diff.needs_review:
        out.append("Visitors are not asked again unless you decide so (below).")
    else:
        out.append("Visitors need not be asked again.")
    out.append("")
    if diff.needs_review:
        out.extend(["## To review", "", _md(REVIEW_ADVICE), ""])
        out.extend(f"- {_md(r)}" for r in diff.reviews)
        out.append("")
    if diff.errors:
        out.append("## Errors")
        out.append("")
        out.extend(f"- {_md(e)}" for e in diff.errors)
        out.append("")
    if diff.warnings:
        out.append("## Warnings")
        out.append("")
        out.extend(f"- {_md(w)}" for w in diff.warnings)
        out.append("")
    sections: list[tuple[str, list[str]]] = [
        ("Vendors added", [f"`{v.id}` {_md(v.name)} in `{v.category}`" for v in diff.vendors_added]),
        ("Vendors removed", [f"`{v.id}` {_md(v.name)}" for v in diff.vendors_removed]),
        ("Categories added", [f"`{c.id}` {_md(c.title)}" for c in diff.categories_added]),
        ("Categories removed", [f"`{c.id}` {_md(c.title)}" for c in diff.categories_removed]),
    ]
    for title, lines in sections:
        if lines:
            out.extend([f"## {title}", "", *(f"- {line}" for line in lines), ""])
    for title, changes in (
        ("Vendors changed", diff.vendors_changed),
        ("Categories changed", diff.categories_changed),
    ):
        if changes:
            out.extend(
                [f"## {title}", "", "| Id | Field | Kind | Old | New |", "| --- | --- | --- | --- | --- |"]
            )
            for change in changes:
                for c in change.changes:
                    kind = "cosmetic" if c.kind == "cosmetic" else f"**{c.kind}**"
                    full = c.kind == "review"
                    out.append(
                        f"| `{change.id}` | {_md(c.field)} | {kind} | {_md(_value(c.old, full=full))} "
                        f"| {_md(_value(c.new, full=full))} |"
                    )
            out.append("")
    if diff.empty:
        out.append("No changes.")
    return "\n".join(out).rstrip("\n") + "\n"
