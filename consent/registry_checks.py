"""Checks across a registry's fields: duplicates, dangling references, reused numbers, hosts.

They run on raw, possibly malformed data (skipping what they cannot read), so that the loader reports
them next to the per-field errors in one go; the registry's model runs them again on valid data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .inline_urls import inline_urls
from .registry_rules import category_key, host_matches


def _items(data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list | tuple):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, Mapping)]


def semantic_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems that span fields: duplicates, dangling references, reused numbers.

    Works on raw, possibly malformed data (skipping what it cannot read) so that the loader can report
    these next to the per-field errors in one go.
    """
    problems: list[tuple[str, str]] = []
    categories = _items(data, "categories")
    vendors = _items(data, "vendors")

    category_ids: dict[str, int] = {}
    keys: dict[int, str] = {}
    for i, cat in categories:
        cid = cat.get("id")
        if isinstance(cid, str):
            if cid in category_ids:
                problems.append((f"categories.{i}.id", f"duplicate category id {cid!r}"))
            category_ids.setdefault(cid, i)
            key = category_key(cid)
            if key in keys and keys[key] != cid:
                problems.append(
                    (f"categories.{i}.id", f"category id {cid!r} collides with {keys[key]!r}: rename one")
                )
            keys.setdefault(key, cid)
        if cat.get("required") is True and not str(cat.get("justification") or "").strip():
            problems.append(
                (f"categories.{i}.justification", "a required category needs a written justification")
            )
    if isinstance(data.get("categories"), list | tuple) and not data["categories"]:
        problems.append(("categories", "at least one category is needed"))

    retired = data.get("retired_numbers")
    retired_set = set(retired) if isinstance(retired, list | tuple) else set()
    seen_ids: dict[str, int] = {}
    seen_numbers: dict[int, str] = {}
    for i, vendor in vendors:
        vid = vendor.get("id")
        label = f"vendor {vid!r}" if isinstance(vid, str) else "vendor"
        if isinstance(vid, str):
            if vid in seen_ids:
                problems.append((f"vendors.{i}.id", f"duplicate vendor id {vid!r}"))
            seen_ids.setdefault(vid, i)
        number = vendor.get("number")
        if isinstance(number, int) and not isinstance(number, bool):
            if number in seen_numbers:
                problems.append(
                    (f"vendors.{i}.number", f"number {number} is already used by {seen_numbers[number]!r}")
                )
            elif number in retired_set:
                problems.append(
                    (f"vendors.{i}.number", f"number {number} is retired and may never be reused")
                )
            seen_numbers.setdefault(number, str(vid))
        cat_id = vendor.get("category")
        if isinstance(cat_id, str) and category_ids and cat_id not in category_ids:
            known = ", ".join(sorted(category_ids))
            problems.append((f"vendors.{i}.category", f"{label} is in unknown category {cat_id!r} ({known})"))
        hosts = [h for h in vendor.get("hosts") or () if isinstance(h, str)]
        for kind in ("scripts", "pixels", "embeds"):
            for j, part in _items(vendor, kind):
                src = part.get("src")
                if not isinstance(src, str):
                    continue
                host = urlsplit(src.replace("{", "").replace("}", "")).hostname
                if host and not any(host_matches(p, host) for p in hosts):
                    problems.append(
                        (f"vendors.{i}.{kind}.{j}.src", f"host {host!r} is not among {label}'s hosts")
                    )
        for j, script in _items(vendor, "scripts"):
            for url in inline_urls(script.get("inline")):  # checked like a src where the text decides
                if url.host and not any(host_matches(p, url.host) for p in hosts):
                    problems.append(
                        (
                            f"vendors.{i}.scripts.{j}.inline",
                            f"the inline script loads {url.text!r}: host {url.host!r} is not among {label}'s hosts",
                        )
                    )

    seen_codes: dict[str, str] = {}
    for i, region in _items(data, "regions"):
        rid = str(region.get("id"))
        for code in region.get("codes") or ():
            if isinstance(code, str):
                if code in seen_codes:
                    problems.append(
                        (f"regions.{i}.codes", f"{code} is already in region {seen_codes[code]!r}")
                    )
                seen_codes.setdefault(code, rid)
        exempt = region.get("exempt_vendors") or ()
        if exempt and region.get("policy") != "opt-in":
            problems.append((f"regions.{i}.exempt_vendors", "exemptions only make sense in an opt-in region"))
        optional = {
            str(v.get("id"))
            for _, v in vendors
            if not any(c.get("id") == v.get("category") and c.get("required") is True for _, c in categories)
        }
        for vendor_id in exempt if isinstance(exempt, list | tuple) else ():
            if vendor_id not in optional:
                problems.append(
                    (
                        f"regions.{i}.exempt_vendors",
                        f"{vendor_id!r} is not an optional vendor of this registry",
                    )
                )

    problems.extend(_tcf_problems(data, set(category_ids)))

    translations = data.get("translations")
    if isinstance(translations, Mapping):
        for locale, texts in translations.items():
            if not isinstance(texts, Mapping):
                continue
            for kind, noun, known_ids in (
                ("categories", "category", set(category_ids)),
                ("vendors", "vendor", set(seen_ids)),
            ):
                entries = texts.get(kind)
                if isinstance(entries, Mapping):
                    for ref in entries:
                        if ref not in known_ids:
                            problems.append(
                                (f"translations.{locale}.{kind}.{ref}", f"no {noun} {ref!r} to translate")
                            )
    return problems


def _tcf_problems(data: Mapping[str, Any], category_ids: set[str]) -> list[tuple[str, str]]:
    problems = [
        (f"vendors.{i}.tcf", "declarations from the GVL need the vendor's 'tcf_id'")
        for i, vendor in _items(data, "vendors")
        if vendor.get("tcf") is not None and vendor.get("tcf_id") is None
    ]
    tcf = data.get("tcf")
    if not isinstance(tcf, Mapping) or not category_ids:
        return problems
    mapping = tcf.get("categories")
    for category_id in mapping if isinstance(mapping, Mapping) else ():
        if category_id not in category_ids:
            problems.append((f"tcf.categories.{category_id}", f"no category {category_id!r}"))
    seen: set[object] = set()
    for i, custom in _items(tcf, "custom_purposes"):
        if custom.get("category") not in category_ids:
            problems.append((f"tcf.custom_purposes.{i}.category", f"no category {custom.get('category')!r}"))
        if custom.get("id") in seen:
            problems.append(
                (f"tcf.custom_purposes.{i}.id", f"custom purpose {custom.get('id')} appears twice")
            )
        seen.add(custom.get("id"))
    return problems


__all__ = ["semantic_problems"]
