"""``consent scan URL``: the registry checked against what the site really does.

Exit codes as the other commands: 0 nothing at or above ``--fail-on``, 1 findings at or above it,
2 the scan could not run (bad arguments, unreadable files, an unreachable site).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .._exit import EXIT_ERROR, EXIT_FAIL, EXIT_OK, report_problems
from ..errors import RegistryError, ScanError
from ..loader import load_registry
from ..presets import catalogue
from ..registry import Registry
from .attribute import CatalogueAttributor, attribution_chain
from .browser import parse_host_map
from .cookie_db import CookieDatabase
from .findings import ScanReport, analyse
from .html import render_html
from .report import render_json, render_markdown, render_text, speed_line
from .runner import Progress, ScanOptions, scan_site
from .write import add_entries

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}


def add_scan_commands(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="visit a site in every consent state and compare what it does with the registry",
        description="Visit a site in Chromium before any choice, after Reject all, after Accept all and "
        "with each category alone; report what happens that the registry does not allow or describe.",
    )
    parser.add_argument("url", metavar="URL")
    parser.add_argument("--registry", type=Path, metavar="FILE", help="the site's vendor registry")
    parser.add_argument("--pages", type=int, default=10, metavar="N", help="visit up to N pages (default 10)")
    parser.add_argument("--sitemap", action="store_true", help="also take pages from sitemap.xml")
    parser.add_argument("--format", choices=tuple(RENDERERS), default="text")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--fail-on",
        choices=("info", "warning", "error", "never"),
        default="error",
        help="exit 1 when a finding at or above this severity exists (default: error)",
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="add suggested entries to this registry file"
    )
    parser.add_argument("--cookie-db", type=Path, metavar="FILE", help="an Open Cookie Database CSV")
    parser.add_argument("--accept-selector", metavar="CSS", help="the Accept all control of a foreign banner")
    parser.add_argument("--reject-selector", metavar="CSS", help="the Reject all control of a foreign banner")
    parser.add_argument("--no-robots", action="store_true", help="ignore robots.txt")
    parser.add_argument("--concurrency", type=int, default=2, metavar="N", help="browser contexts at once")
    parser.add_argument(
        "--delay", type=float, default=0.25, metavar="SECONDS", help="pause between two page loads"
    )
    parser.add_argument(
        "--host-map",
        action="append",
        default=[],
        metavar="HOST=ADDRESS[:PORT]",
        help="resolve HOST to ADDRESS (tests, staging); '*' maps every host but loopback",
    )
    parser.set_defaults(handler=_scan)


def _scan(args: argparse.Namespace) -> int:
    try:
        registry = _registry(args.registry)
        cookie_db = CookieDatabase.load(args.cookie_db) if args.cookie_db else None
        if args.pages < 1 or args.concurrency < 1 or args.delay < 0:
            raise ScanError(args.url, "--pages and --concurrency must be at least 1, --delay not negative")
        if args.write is not None and registry is None:
            raise ScanError(str(args.write), "--write needs --registry (suggestions refer to its categories)")
        options = ScanOptions(
            pages=args.pages,
            sitemap=args.sitemap,
            robots=not args.no_robots,
            concurrency=args.concurrency,
            delay=args.delay,
            accept_selector=args.accept_selector,
            reject_selector=args.reject_selector,
            host_map=parse_host_map(args.host_map),
        )
        run = scan_site(args.url, options, _progress_printer())
    except RegistryError as exc:
        return report_problems(exc)
    except ScanError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    # What the registry does not declare is named from the preset catalogue, then the cookie database.
    presets = CatalogueAttributor(tuple(catalogue()))
    report = analyse(run, registry, attribution_chain(registry, presets=presets, cookie_db=cookie_db))
    return _finish(args, report)


def _finish(args: argparse.Namespace, report: ScanReport) -> int:
    text = RENDERERS[args.format](report)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    sys.stderr.write(speed_line(report) + "\n")
    if args.write is not None:
        try:
            changes = add_entries(args.write, report.suggestions())
        except (OSError, ScanError) as exc:
            sys.stderr.write(f"error: {args.write}: cannot add the suggestions: {exc}\n")
            return EXIT_ERROR
        for change in changes:
            sys.stderr.write(f"{args.write}: {change}\n")
    if args.fail_on != "never" and report.at_least(args.fail_on):
        return EXIT_FAIL
    return EXIT_OK


def _registry(path: Path | None) -> Registry | None:
    return None if path is None else load_registry(path)


def _progress_printer() -> Any:
    """Progress lines on stderr when it is a terminal; nothing in logs and pipes."""
    if not sys.stderr.isatty():
        return None

    def show(progress: Progress) -> None:
        note = f"  ({progress.problem})" if progress.problem else ""
        sys.stderr.write(f"[{progress.done}/{progress.total}] {progress.state:<18} {progress.page}{note}\n")

    return show
