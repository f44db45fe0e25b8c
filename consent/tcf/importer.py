"""Map IAB Global Vendor List entries into a registry file, keeping everything the site wrote.

Vendors already carrying a ``tcf_id`` get their ``tcf`` table refreshed from the GVL (purposes,
legitimate-interest purposes, flexible and special purposes, features, special features, data
retention, data categories); their name, category, policy URL, cookies and every other field stay as
the site wrote them. Vendors named with ``vendor_ids`` that the registry lacks are added under
``category`` with the GVL's name and privacy URL. The registry's ``[tcf]`` table records the GVL
version shown and its ``tcfPolicyVersion``; when the latter changes, ``policy_version_since`` is set
to now so that earlier choices are asked again.

Comments and layout survive: TOML goes through tomlkit, YAML through ruamel.yaml (the ``edit`` extra).
The new text is validated as a registry before the file is replaced.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem, RegistryError
from ..loader import FORMATS, parse_registry
from ..registry import SLUG_PATTERN
from .gvl import GVL, GvlVendor


@dataclass
class ImportReport:
    """What an import changed, for the command to print."""

    updated: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    policy_version_changed: bool = False


def vendor_tcf_table(vendor: GvlVendor) -> dict[str, Any]:
    """A GVL vendor's declarations as a registry vendor's ``tcf`` table (empty lists left out)."""
    table: dict[str, Any] = {}
    for key, values in (
        ("purposes", vendor.purposes),
        ("legitimate_interest_purposes", vendor.leg_int_purposes),
        ("flexible_purposes", vendor.flexible_purposes),
        ("special_purposes", vendor.special_purposes),
        ("features", vendor.features),
        ("special_features", vendor.special_features),
    ):
        if values:
            table[key] = sorted(values)
    if vendor.data_retention is not None and vendor.data_retention.std_retention is not None:
        table["data_retention_days"] = vendor.data_retention.std_retention
    if vendor.data_declaration:
        table["data_categories"] = sorted(vendor.data_declaration)
    return table


def import_gvl(
    path: str | os.PathLike[str],
    gvl: GVL,
    *,
    vendor_ids: Iterable[int] = (),
    category: str = "marketing",
    now: datetime | None = None,
) -> ImportReport:
    """Update the registry file at ``path`` from ``gvl``; raise :class:`RegistryError` if the result is invalid."""
    file = Path(path)
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise RegistryError([Problem(str(file), None, "", f"unknown registry format {file.suffix!r}")])
    text = file.read_text(encoding="utf-8")
    document = _Document.parse(text, fmt, str(file))
    report = _apply(document.data, gvl, list(vendor_ids), category, now or datetime.now(UTC))
    new_text = document.dump()
    parse_registry(new_text, fmt, source=str(file))  # raises RegistryError listing every problem
    file.write_text(new_text, encoding="utf-8")
    return report


def _apply(
    data: MutableMapping[str, Any], gvl: GVL, wanted: list[int], category: str, now: datetime
) -> ImportReport:
    report = ImportReport()
    vendors = data.setdefault("vendors", [])
    by_tcf_id: dict[int, list[MutableMapping[str, Any]]] = {}
    for entry in vendors:
        if isinstance(entry.get("tcf_id"), int):
            by_tcf_id.setdefault(entry["tcf_id"], []).append(entry)
    for tcf_id in sorted(set(by_tcf_id) | set(wanted)):
        gvl_vendor = gvl.vendors.get(tcf_id)
        if gvl_vendor is None:
            report.skipped.append(f"vendor {tcf_id} is not in GVL version {gvl.vendor_list_version}")
            continue
        if gvl_vendor.is_deleted:
            report.skipped.append(f"vendor {tcf_id} ({gvl_vendor.name}) was deleted from the GVL")
            continue
        if tcf_id in by_tcf_id:
            for entry in by_tcf_id[tcf_id]:
                entry["tcf"] = vendor_tcf_table(gvl_vendor)
            report.updated.append(tcf_id)
            continue
        policy = gvl_vendor.privacy_url()
        if not policy or not policy.startswith("https://"):
            report.skipped.append(f"vendor {tcf_id} ({gvl_vendor.name}) has no https privacy URL in the GVL")
            continue
        vendors.append(
            {
                "id": _new_slug(gvl_vendor.name, {str(v.get("id")) for v in vendors}),
                "number": _next_number(data),
                "name": gvl_vendor.name,
                "category": category,
                "policy_url": policy,
                "tcf_id": tcf_id,
                "tcf": vendor_tcf_table(gvl_vendor),
            }
        )
        report.added.append(tcf_id)
    settings = data.setdefault("tcf", {})
    previous = settings.get("tcf_policy_version")
    settings["vendor_list_version"] = gvl.vendor_list_version
    settings["tcf_policy_version"] = gvl.tcf_policy_version
    if previous != gvl.tcf_policy_version:
        settings["policy_version_since"] = now.astimezone(UTC).replace(microsecond=0)
        report.policy_version_changed = previous is not None
    return report


def _new_slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "vendor"
    slug, n = base, 2
    while slug in taken or not re.match(SLUG_PATTERN, slug):
        slug = f"{base}-{n}"
        n += 1
    return slug


def _next_number(data: MutableMapping[str, Any]) -> int:
    used = [v.get("number", 0) for v in data.get("vendors", ())] + list(data.get("retired_numbers", ()))
    return max((n for n in used if isinstance(n, int)), default=0) + 1


@dataclass
class _Document:
    """A registry file parsed by a layout-keeping parser, and how to write it back."""

    data: Any
    fmt: str

    @classmethod
    def parse(cls, text: str, fmt: str, source: str) -> _Document:
        try:
            if fmt == "toml":
                import tomlkit

                return cls(tomlkit.parse(text), fmt)
            if fmt == "yaml":
                from ruamel.yaml import YAML

                return cls(YAML(typ="rt").load(text), fmt)
        except ImportError as exc:
            raise RegistryError(
                [
                    Problem(
                        source,
                        None,
                        "",
                        f"editing a registry needs {exc.name}: pip install 'consent-gate[edit]'",
                    )
                ]
            ) from exc
        return cls(json.loads(text), fmt)

    def dump(self) -> str:
        if self.fmt == "toml":
            import tomlkit

            return tomlkit.dumps(self.data)
        if self.fmt == "yaml":
            from ruamel.yaml import YAML

            out = io.StringIO()
            yaml = YAML(typ="rt")
            yaml.dump(self.data, out)
            return out.getvalue()
        return json.dumps(self.data, indent=2, ensure_ascii=False, default=str) + "\n"
