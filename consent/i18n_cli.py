"""``consent i18n``: registry texts out to translators (``extract``) and back into the registry (``merge``)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from ._exit import EXIT_ERROR, EXIT_OK, report_problems
from .errors import RegistryError, TranslationFileError
from .i18n import normalize
from .loader import load_registry
from .registry_texts import extract_catalog, merge_catalog, read_catalog, write_catalog


def add_i18n_commands(subparsers: Any) -> None:
    """Add the ``i18n`` group to the ``consent`` command (see :data:`consent.cli.COMMAND_GROUPS`)."""
    group = subparsers.add_parser(
        "i18n",
        help="translate registry texts (see 'consent i18n --help')",
        description="Extract a registry's visible texts to a PO file for translators, and merge the "
        "translations back into the registry, keeping its comments and layout.",
    )
    commands = group.add_subparsers(dest="i18n_command", metavar="COMMAND", required=True)

    extract = commands.add_parser("extract", help="write every visible registry text as a PO file")
    extract.add_argument("registry", metavar="REGISTRY", type=Path)
    extract.add_argument(
        "--locale", "-l", help="the target language (pre-fills existing translations); none: a template"
    )
    extract.add_argument("--output", "-o", metavar="FILE", type=Path, help="write to FILE, not stdout")
    extract.set_defaults(handler=_extract)

    merge = commands.add_parser("merge", help="write a PO file's translations into the registry")
    merge.add_argument("registry", metavar="REGISTRY", type=Path)
    merge.add_argument("catalog", metavar="FILE.po", type=Path)
    merge.add_argument("--locale", "-l", help="the registry locale to fill (default: the PO file's Language)")
    merge.set_defaults(handler=_merge)


def _report(exc: RegistryError | TranslationFileError) -> int:
    return report_problems(exc)


def _extract(args: argparse.Namespace) -> int:
    try:
        registry = load_registry(args.registry)
    except RegistryError as exc:
        return _report(exc)
    buffer = io.BytesIO()
    write_catalog(extract_catalog(registry, normalize(args.locale) if args.locale else None), buffer)
    if args.output is None:
        sys.stdout.write(buffer.getvalue().decode("utf-8"))
        return EXIT_OK
    try:
        args.output.write_bytes(buffer.getvalue())
    except OSError as exc:
        sys.stderr.write(f"{args.output}: cannot write: {exc}\n")
        return EXIT_ERROR
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    try:
        catalog = read_catalog(args.catalog)
        locale = normalize(args.locale) if args.locale else None
        result = merge_catalog(args.registry, catalog, source=str(args.catalog), locale=locale)
    except (RegistryError, TranslationFileError) as exc:
        return _report(exc)
    count = len(result.changed)
    sys.stdout.write(
        f"{args.registry}: {count} translation{'s' if count != 1 else ''} merged into "
        f"translations.{result.locale}"
        + (f", {result.unchanged} already there" if result.unchanged else "")
        + (f", {result.fuzzy} fuzzy left out" if result.fuzzy else "")
        + "\n"
    )
    for path in result.changed:
        sys.stdout.write(f"  translations.{result.locale}.{path}\n")
    return EXIT_OK
