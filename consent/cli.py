"""The ``consent`` command: validate, audit, diff and describe vendor registries.

Exit codes: 0 all good, 1 the command's question answered "no" (findings at or above ``--fail-on``,
visitors must be asked again), 2 the input could not be used (a registry that does not load, a
reused vendor number, bad arguments).

Every subcommand is a parser whose ``handler`` default is a function ``(args) -> int``. Groups that
live in other modules (``consent ledger ...``) are added by a function ``add_<group>_commands(subparsers)``
named in :data:`COMMAND_GROUPS`. Its module is imported only when that group is the command being run,
so the other commands never pay for (or need) its dependencies, such as SQLAlchemy for the ledger.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import audit as audit_module
from . import audit_render
from . import diff as diff_module
from ._exit import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_FAIL, EXIT_OK, EXIT_REVIEW, silence_stdout
from ._version import __version__
from .errors import RegistryError
from .loader import load_registry
from .presets import schema_with_presets
from .registry import Registry

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_TITLE = "consent-gate vendor registry"

#: Subcommand groups provided by other modules: group name -> ("module:function", one-line help).
#: The function gets the top-level ``subparsers`` and adds the group's parser itself, giving every
#: command a ``handler`` with ``set_defaults(handler=...)``.
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "ledger": ("consent.ledger:add_ledger_commands", "the consent ledger (see 'consent ledger --help')"),
    "presets": ("consent.presets.commands:add_presets_commands", "the catalogue of vendor presets"),
    "add": ("consent.presets.commands:add_add_commands", "add a vendor from a preset to a registry file"),
    "tcf": ("consent.tcf.cli:add_tcf_commands", "IAB TCF v2.3: vendor list import, TC strings"),
    "i18n": ("consent.i18n_cli:add_i18n_commands", "translate registry texts (see 'consent i18n --help')"),
    "insights": (
        "consent.insights.cli:add_insights_commands",
        "rates of the banner (see 'consent insights --help')",
    ),
    "scan": ("consent.scan.cli:add_scan_commands", "check a live site against its registry in a browser"),
}

Handler = Callable[[argparse.Namespace], int]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The full parser; groups from :data:`COMMAND_GROUPS` are loaded only if ``argv`` runs them."""
    parser = argparse.ArgumentParser(
        prog="consent", description="Validate, audit and compare cookie-consent vendor registries."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = subparsers.add_parser("validate", help="check registry files and report every problem")
    validate.add_argument("files", nargs="+", metavar="FILE", type=Path)
    validate.set_defaults(handler=_validate)

    audit = subparsers.add_parser("audit", help="a privacy review of a registry")
    audit.add_argument("file", metavar="FILE", type=Path)
    audit.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    audit.add_argument(
        "--fail-on",
        choices=("info", "warning", "error", "never"),
        default="error",
        help="exit 1 when a finding at or above this severity exists (default: error)",
    )
    audit.add_argument(
        "--locales",
        metavar="LIST",
        help="the languages the site offers (CONSENT_LOCALES), comma-separated: lists those the registry "
        "does not translate",
    )
    audit.set_defaults(handler=_audit)

    schema = subparsers.add_parser("schema", help="print the JSON Schema of the registry format")
    schema.add_argument("--output", "-o", metavar="FILE", type=Path, help="write to FILE instead")
    schema.set_defaults(handler=_schema)

    diff = subparsers.add_parser(
        "diff",
        help="compare two registries; exit 1 when visitors must re-consent, 3 when a change needs review",
    )
    diff.add_argument("old", metavar="OLD", type=Path)
    diff.add_argument("new", metavar="NEW", type=Path)
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    diff.set_defaults(handler=_diff)

    command = next((arg for arg in argv if not arg.startswith("-")), None)
    for group, (target, help_text) in COMMAND_GROUPS.items():
        if command == group:
            _add_group(subparsers, group, target)
        else:
            # Listed in --help without importing its module; never run (the real one would be loaded).
            subparsers.add_parser(group, help=help_text, add_help=False)
    return parser


def _add_group(subparsers: Any, group: str, target: str) -> None:
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing module (or a missing optional dependency of it) is expected; any other
        # import error is a bug and should surface.
        reason = f"'consent {group}' is not available: {exc}"
        if exc.name and exc.name != module_name:
            reason += f" (pip install 'consent-gate[{group}]')"
        stub = subparsers.add_parser(group, help=f"(unavailable: {exc.name or module_name})")
        stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(handler=_unavailable(reason))
        return
    getattr(module, function)(subparsers)


def _unavailable(reason: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        sys.stderr.write(reason + "\n")
        return EXIT_ERROR

    return handler


def main(argv: Sequence[str] | None = None, *, context: Mapping[str, Any] | None = None) -> int:
    """Run the ``consent`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    ``context`` adds what a caller knows beyond the command line (``flask consent`` passes the app's
    consent cookie as ``own_cookie``), set on the parsed arguments.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    for name, value in (context or {}).items():
        setattr(args, name, value)
    handler: Handler = args.handler
    try:
        return handler(args)
    except BrokenPipeError:  # `consent audit ... | head`: the reader has what it wanted
        silence_stdout()
        return EXIT_BROKEN_PIPE


# -- commands -----------------------------------------------------------------------------------------


def _load(path: Path) -> Registry | None:
    """The registry at ``path``, or ``None`` after writing every problem to stderr."""
    try:
        return load_registry(path)
    except RegistryError as exc:
        sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
        return None


def _validate(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for path in args.files:
        registry = _load(path)
        if registry is None:
            status = EXIT_ERROR
            continue
        vendors, categories = len(registry.vendors), len(registry.categories)
        sys.stdout.write(
            f"{path}: ok ({vendors} vendor{'s' if vendors != 1 else ''} in {categories} "
            f"categor{'ies' if categories != 1 else 'y'}, revision {registry.revision})\n"
        )
    return status


_AUDIT_RENDERERS = {
    "text": audit_render.render_text,
    "json": audit_render.render_json,
    "markdown": audit_render.render_markdown,
}


def _audit(args: argparse.Namespace) -> int:
    registry = _load(args.file)
    if registry is None:
        return EXIT_ERROR
    offered = [locale.strip() for locale in (args.locales or "").split(",") if locale.strip()]
    report = audit_module.audit(registry, offered, own_cookie=getattr(args, "own_cookie", None))
    sys.stdout.write(_AUDIT_RENDERERS[args.format](report))
    if args.fail_on != "never" and report.at_least(args.fail_on):
        return EXIT_FAIL
    return EXIT_OK


def schema() -> dict[str, Any]:
    """The JSON Schema of the registry format, for editors and CI."""
    generated = Registry.model_json_schema()
    generated.pop("title", None)
    # Editors accept vendor entries that name a preset and leave its fields out.
    return schema_with_presets({"$schema": SCHEMA_DIALECT, "title": SCHEMA_TITLE, **generated})


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"{args.output}: cannot write the schema: {exc}\n")
        return EXIT_ERROR
    return EXIT_OK


_DIFF_RENDERERS = {
    "text": diff_module.render_text,
    "json": diff_module.render_json,
    "markdown": diff_module.render_markdown,
}


def _diff(args: argparse.Namespace) -> int:
    old, new = _load(args.old), _load(args.new)
    if old is None or new is None:
        return EXIT_ERROR
    result = diff_module.diff_registries(old, new)
    sys.stdout.write(_DIFF_RENDERERS[args.format](result))
    if result.errors:
        # The report already lists them; stderr gets them too so that CI logs show why it failed.
        sys.stderr.write("".join(f"error: {e}\n" for e in result.errors))
        return EXIT_ERROR
    if result.reprompt:
        return EXIT_FAIL
    return EXIT_REVIEW if result.needs_review else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
