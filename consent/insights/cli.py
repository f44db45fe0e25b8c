"""``consent insights``: the rates of the first layer from the ledger's database.

``--url`` defaults to ``$CONSENT_LEDGER_URL``, as for ``consent ledger``. The command folds the ledger
records added since its last run into the insights' decisions table first (see
:mod:`consent.insights.decisions`), so it needs write access to the database.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from .._exit import EXIT_ERROR, EXIT_OK
from ..errors import ConsentError
from .formats import render_csv, render_json, render_text
from .page import render_html
from .rates import DIMENSIONS, Report, current_report
from .schema import create_insights_tables, open_engine


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def add_insights_commands(subparsers: Any) -> None:
    """Add ``insights`` to the ``consent`` command (see :data:`consent.cli.COMMAND_GROUPS`)."""
    insights = subparsers.add_parser(
        "insights",
        help="accept / reject / custom rates of the banner, per region, locale, variant, day",
        description="Rates of the consent banner from the ledger's database and the impression counters.",
    )
    insights.add_argument(
        "--url",
        default=os.environ.get("CONSENT_LEDGER_URL"),
        help="database URL: sqlite:///path or postgresql://... (default: $CONSENT_LEDGER_URL)",
    )
    insights.add_argument("--since", type=_day, metavar="DATE", help="from this UTC day on (YYYY-MM-DD)")
    insights.add_argument("--until", type=_day, metavar="DATE", help="up to this UTC day, inclusive")
    insights.add_argument("--by", choices=DIMENSIONS, default="day", help="rows by this dimension")
    insights.add_argument("--control", metavar="VARIANT", help="the variant others are compared with")
    insights.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    insights.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    insights.set_defaults(handler=_insights)


def _insights(args: argparse.Namespace) -> int:
    if not args.url:
        sys.stderr.write("consent insights: no database URL: pass --url or set CONSENT_LEDGER_URL\n")
        return EXIT_ERROR
    if args.since and args.until and args.since > args.until:
        sys.stderr.write("consent insights: --since is after --until\n")
        return EXIT_ERROR
    try:
        engine = open_engine(args.url)
        try:
            create_insights_tables(engine)
            report = current_report(
                engine, since=args.since, until=args.until, by=args.by, control=args.control
            )
        finally:
            engine.dispose()
    except (ConsentError, SQLAlchemyError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"consent insights: {message}\n")
        return EXIT_ERROR
    renderers: dict[str, Callable[[Report], str]] = {
        "text": render_text,
        "json": render_json,
        "csv": render_csv,
        "html": render_html,
    }
    output = renderers[args.format](report)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(output)
    else:
        sys.stdout.write(output)
    return EXIT_OK


__all__ = ["add_insights_commands"]
