"""``consent tcf ...``: import the Global Vendor List into a registry, decode a TC string."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .._exit import EXIT_ERROR, EXIT_OK, report_problems
from ..errors import GVLError, RegistryError, TCStringError
from .gvl import load_gvl
from .importer import import_gvl
from .tcstring import decode_tc_string


def add_tcf_commands(subparsers: Any) -> None:
    """Add the ``tcf`` group to the ``consent`` command (see :data:`consent.cli.COMMAND_GROUPS`)."""
    group = subparsers.add_parser("tcf", help="IAB TCF v2.3: vendor list import, TC strings")
    commands = group.add_subparsers(dest="tcf_command", metavar="COMMAND", required=True)

    importing = commands.add_parser(
        "import", help="map IAB vendors into a registry, keeping the site's own fields and comments"
    )
    importing.add_argument("gvl", metavar="GVL.json", type=Path)
    importing.add_argument("--registry", required=True, metavar="FILE", type=Path)
    importing.add_argument(
        "--vendors", type=_id_list, default=[], metavar="1,2,...", help="GVL vendor ids to add if missing"
    )
    importing.add_argument(
        "--category", default="marketing", help="category of added vendors (default: marketing)"
    )
    importing.set_defaults(handler=_import)

    decode = commands.add_parser("decode", help="print a TC string's fields as JSON")
    decode.add_argument("string", metavar="TC_STRING")
    decode.set_defaults(handler=_decode)


def _id_list(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of vendor ids: {text!r}") from exc
    if any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError("vendor ids start at 1")
    return ids


def _import(args: argparse.Namespace) -> int:
    try:
        gvl = load_gvl(args.gvl)
        report = import_gvl(args.registry, gvl, vendor_ids=args.vendors, category=args.category)
    except GVLError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_ERROR
    except RegistryError as exc:
        return report_problems(exc)
    except OSError as exc:
        sys.stderr.write(f"{args.registry}: {exc}\n")
        return EXIT_ERROR
    out = sys.stdout
    out.write(
        f"{args.registry}: GVL version {gvl.vendor_list_version}, tcfPolicyVersion {gvl.tcf_policy_version}\n"
    )
    out.write(f"  updated: {', '.join(map(str, report.updated)) or 'none'}\n")
    out.write(f"  added: {', '.join(map(str, report.added)) or 'none'}\n")
    for reason in report.skipped:
        out.write(f"  skipped: {reason}\n")
    if report.policy_version_changed:
        out.write("  the TCF policy version changed: visitors who decided before now are asked again\n")
    return EXIT_OK


def _decode(args: argparse.Namespace) -> int:
    try:
        model = decode_tc_string(args.string, require_disclosed_vendors=False)
    except TCStringError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_ERROR
    fields: dict[str, Any] = {}
    for name in model.__dataclass_fields__:
        fields[name] = _plain(getattr(model, name))
    sys.stdout.write(json.dumps(fields, indent=2, default=str) + "\n")
    return EXIT_OK


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset) or type(value).__name__ == "IdSet":
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
