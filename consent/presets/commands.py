"""``consent presets list|show`` and ``consent add``: browse the catalogue, add a preset to a registry.

``consent add`` writes the entry as ``preset = "<id>"`` with ``params``, not the expanded fields: the
registry stays short, and the facts stay where they are reviewed (the package). Upgrading the package
can then change a vendor's hosts or cookies; ``consent diff`` against the old version shows it, and
the registry revision changes so that visitors are asked again when it matters.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._exit import EXIT_ERROR, EXIT_OK, report_problems
from ..errors import RegistryError
from ..loader import FORMATS, parse_registry
from . import PARAM_VALUE, SUGGESTED_CATEGORIES, Preset, catalogue, is_slug
from .edit import EditError, append_toml, append_yaml


def add_presets_commands(subparsers: Any) -> None:
    """The ``consent presets`` group: ``list`` and ``show``."""
    group = subparsers.add_parser("presets", help="the catalogue of vendor presets")
    commands = group.add_subparsers(dest="presets_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="list the presets, optionally filtered")
    listing.add_argument("--category", choices=SUGGESTED_CATEGORIES, help="only this suggested category")
    listing.add_argument("--search", metavar="TEXT", default="", help="in ids, names, descriptions, hosts")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="every fact of one preset and the entry that uses it")
    show.add_argument("preset", metavar="ID")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=_show)


def add_add_commands(subparsers: Any) -> None:
    """``consent add``: append a preset's entry to a TOML or YAML registry, keeping its layout."""
    add = subparsers.add_parser("add", help="add a vendor from a preset to a registry file")
    add.add_argument("preset", metavar="ID", help="a preset id ('consent presets list')")
    add.add_argument("registry", metavar="REGISTRY", type=Path, help="a .toml or .yaml registry file")
    add.add_argument(
        "--param", "-p", action="append", default=[], metavar="NAME=VALUE", help="a site parameter"
    )
    add.add_argument("--id", dest="vendor_id", metavar="ID", help="the vendor id (default: the preset id)")
    add.add_argument("--category", metavar="ID", help="the category (default: the preset's suggestion)")
    add.set_defaults(handler=_add)


# -- presets list / show ------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    found = catalogue().search(args.search, args.category)
    if args.format == "json":
        rows = [{"id": p.id, "name": p.name, "category": p.category, "family": p.family} for p in found]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    width = max((len(p.id) for p in found), default=0)
    for preset in found:
        sys.stdout.write(f"{preset.id:<{width}}  {preset.category:<10}  {preset.name}\n")
    sys.stdout.write(f"{len(found)} preset{'s' if len(found) != 1 else ''}\n")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    preset = _find(args.preset)
    if preset is None:
        return EXIT_ERROR
    if args.format == "json":
        sys.stdout.write(json.dumps(preset.model_dump(mode="json", exclude_none=True), indent=2) + "\n")
        return EXIT_OK
    sys.stdout.write(describe(preset))
    return EXIT_OK


def describe(preset: Preset) -> str:
    """A plain-text page about one preset, ending with the registry entry that uses it."""
    out = [
        f"{preset.name} ({preset.id}), reviewed {preset.reviewed.isoformat()}",
        f"  {preset.description}",
        f"  suggested category: {preset.category}",
        f"  policy: {preset.policy_url}",
    ]
    if preset.required_reason:
        out.append(f"  why it may be required: {preset.required_reason}")
    if preset.without_consent:
        out.append(f"  without consent: {preset.without_consent}")
    facts = [
        ("TCF vendor id", preset.tcf_id),
        ("Consent Mode", ", ".join(preset.consent_mode)),
        ("sells or shares data", "yes" if preset.sale_share else ""),
    ]
    out += [f"  {label}: {value}" for label, value in facts if value]
    if preset.hosts:
        out.append("  hosts: " + ", ".join(preset.hosts))
    if preset.cookies:
        out.append("  cookies:")
        for cookie in preset.cookies:
            where = f"third party, {cookie.domain}" if cookie.party == "third" else "first party"
            out.append(
                f"    {cookie.name} ({where}, {cookie.lifetime or 'lifetime unknown'}): {cookie.purpose}"
            )
    for kind in ("scripts", "pixels", "embeds"):
        items = getattr(preset, kind)
        if items:
            out.append(f"  {kind}: " + ", ".join(getattr(item, "src", None) or "(inline)" for item in items))
    if preset.params:
        out.append("  site parameters:")
        for name, example in preset.params.items():
            default = preset.defaults.get(name)
            note = f"default {default!r}" if default is not None else "required"
            out.append(f"    {name} ({note}), for example {example!r}")
    if preset.render_params:
        out.append("  render-time parameters (per embed): " + ", ".join(preset.render_params))
    params = ", ".join(f'{name} = "{preset.params[name]}"' for name in preset.required_params)
    out += ["", "  [[vendors]]", f'  id = "{preset.id}"', "  number = …", f'  preset = "{preset.id}"']
    if params:
        out.append(f"  params = {{ {params} }}")
    return "\n".join(out) + "\n"


def _find(preset_id: str) -> Preset | None:
    book = catalogue()
    preset = book.get(preset_id)
    if preset is None:
        hint = book.close_matches(preset_id)
        also = f" (did you mean {', '.join(hint)}?)" if hint else ""
        sys.stderr.write(f"unknown preset {preset_id!r}{also}; see 'consent presets list'\n")
    return preset


# -- add ----------------------------------------------------------------------------------------------


def _add(args: argparse.Namespace) -> int:
    try:
        path: Path = args.registry
        fmt = FORMATS.get(path.suffix.lower())
        if fmt not in ("toml", "yaml"):
            raise EditError(str(path), "consent add edits .toml and .yaml registries")
        preset = _find(args.preset)
        if preset is None:
            return EXIT_ERROR
        text = path.read_text(encoding="utf-8")
        entry = new_entry(preset, _read(text, fmt, str(path)), args.param, args.vendor_id, args.category)
        comment = f"from preset {preset.id!r}, reviewed {preset.reviewed.isoformat()}: check its facts"
        edited = (append_toml if fmt == "toml" else append_yaml)(text, entry, comment)
        parse_registry(edited, fmt, source=str(path))  # never write a registry that does not load
        path.write_text(edited, encoding="utf-8")
    except RegistryError as exc:
        return report_problems(exc)
    except EditError as exc:
        sys.stderr.write(f"{args.registry}: {exc.reason}\n")
        return EXIT_ERROR
    except OSError as exc:
        sys.stderr.write(f"{args.registry}: {exc}\n")
        return EXIT_ERROR
    sys.stdout.write(f"{path}: added {entry['id']!r} (number {entry['number']}) from preset {preset.id!r}\n")
    return EXIT_OK


def _read(text: str, fmt: str, source: str) -> Mapping[str, Any]:
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # any parser's error: the file is not valid in its own format
        raise EditError(source, f"cannot parse the file: {exc}") from exc
    if not isinstance(data, Mapping):
        raise EditError(source, "the top level must be a table of settings")
    return data


def new_entry(
    preset: Preset,
    registry: Mapping[str, Any],
    param_args: Sequence[str],
    vendor_id: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The registry entry for ``preset``: id, the next free number, preset, params and category.

    Raises :class:`EditError` for bad parameters, a taken id or a category the registry lacks.
    """
    vendors = [v for v in registry.get("vendors") or () if isinstance(v, Mapping)]
    vendor_id = vendor_id or preset.id
    if not is_slug(vendor_id):
        raise EditError("<add>", f"{vendor_id!r} is not a vendor id (lower-case words joined by '-')")
    if any(v.get("id") == vendor_id for v in vendors):
        raise EditError("<add>", f"the registry already has a vendor {vendor_id!r}: choose another with --id")
    categories = [c.get("id") for c in registry.get("categories") or () if isinstance(c, Mapping)]
    category = category or preset.category
    if category not in categories:
        known = ", ".join(str(c) for c in categories) or "none"
        raise EditError(
            "<add>", f"the registry has no category {category!r} ({known}): choose one with --category"
        )
    params: dict[str, str] = {}
    for item in param_args:
        name, sep, value = item.partition("=")
        if not sep:
            raise EditError("<add>", f"--param {item!r}: write NAME=VALUE")
        if name not in preset.params:
            known = ", ".join(preset.params) or "none"
            raise EditError(
                "<add>", f"preset {preset.id!r} has no parameter {name!r} (its parameters: {known})"
            )
        if not PARAM_VALUE.match(value):
            raise EditError(
                "<add>", f"--param {name}: {value!r} is not an identifier (letters, digits, ._:@-)"
            )
        params[name] = value
    missing = [name for name in preset.required_params if name not in params]
    if missing:
        examples = " ".join(f"--param {name}={preset.params[name]}" for name in missing)
        raise EditError("<add>", f"preset {preset.id!r} needs {', '.join(missing)} (for example {examples})")
    used = [v.get("number") for v in vendors]
    taken = {n for n in [*used, *(registry.get("retired_numbers") or ())] if isinstance(n, int)}
    number = max(taken, default=0) + 1
    entry: dict[str, Any] = {"id": vendor_id, "number": number, "preset": preset.id, "category": category}
    if params:
        entry["params"] = params
    return entry
