"""``consent ledger ...``: create, read, check and prune the consent ledger from the command line.

Every command takes ``--url`` (default: ``$CONSENT_LEDGER_URL``). Commands that write or check the chain
(``verify``, ``checkpoint``, ``prune``, ``replay``) need the ledger key: ``$CONSENT_LEDGER_KEY``, or else
``$SECRET_KEY`` from which the site derives its default key the same way (see :func:`derive_key`).
Exit codes follow ``consent`` (:mod:`consent._exit`): 0 fine, 1 the answer is "no" (a broken chain, a
ledger behind its checkpoint, records held for another ledger, nothing found), 2 the command could not
run (no key, a key that is likely wrong, an unreadable checkpoint file), 141 the reader of the output
went away (``consent ledger export | head``; quietly, as a command ended by SIGPIPE).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from .._exit import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_FAIL, EXIT_OK, silence_stdout
from ..registry import duration_seconds
from ..state import Method
from .checkpoint import append_checkpoint, load_checkpoints
from .errors import CheckpointError, LedgerError
from .notice import render_notice
from .records import Record, derive_key
from .store import Ledger, Stats, open_ledger

METHOD_ORDER = tuple(m.value for m in Method)
EXPORT_FIELDS = (
    "seq",
    "record_id",
    "consent_id",
    "recorded_at",
    "method",
    "control",
    "layer",
    "policy",
    "locale",
    "path",
    "signals",
    "revision",
    "notice",
    "version",
    "subject",
    "decided_at",
    "expires_at",
    "mac",
)


def add_ledger_commands(subparsers: Any) -> None:
    """Add the ``ledger`` group to the ``consent`` command (see :data:`consent.cli.COMMAND_GROUPS`)."""
    ledger = subparsers.add_parser(
        "ledger",
        help="the consent ledger (proof of consent)",
        description="Create, read, check and prune the consent ledger.",
    )
    commands = ledger.add_subparsers(dest="ledger_command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("CONSENT_LEDGER_URL"),
        help="database URL: sqlite:///path or postgresql://... (default: $CONSENT_LEDGER_URL)",
    )

    init = commands.add_parser("init", parents=[common], help="create or upgrade the schema (idempotent)")
    init.set_defaults(handler=_init)

    show = commands.add_parser(
        "show", parents=[common], help="a consent id's decisions (or one record) with the notice shown"
    )
    show.add_argument("id", metavar="ID", help="a consent id or a record id")
    show.set_defaults(handler=_show)

    export = commands.add_parser("export", parents=[common], help="every record, as JSON lines or CSV")
    export.add_argument("--since", type=_date, metavar="DATE", help="only records from DATE (YYYY-MM-DD) on")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(handler=_export)

    verify = commands.add_parser(
        "verify", parents=[common], help="check the chain; exit 1 naming every broken record"
    )
    verify.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="also check against the checkpoints in FILE (repeatable): exit 1 if the ledger is behind "
        "one, differs from one, or is another ledger",
    )
    verify.set_defaults(handler=_verify)

    checkpoint = commands.add_parser(
        "checkpoint",
        parents=[common],
        help="sign the chain's head (seq, mac, time, ledger id); keep it away from the database",
    )
    checkpoint.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="append it to the checkpoint log FILE, after checking the ledger against the checkpoints "
        "already there (default: print it)",
    )
    checkpoint.set_defaults(handler=_checkpoint)

    stats = commands.add_parser(
        "stats", parents=[common], help="accept / reject / custom per day, answers per category"
    )
    stats.add_argument("--since", type=_date, metavar="DATE")
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.set_defaults(handler=_stats)

    prune = commands.add_parser("prune", parents=[common], help="delete records older than DURATION")
    prune.add_argument(
        "--older-than", required=True, type=_duration, metavar="DURATION", help="e.g. 30d, 12w, 25mo, 2y"
    )
    prune.set_defaults(handler=_prune)

    replay = commands.add_parser("replay", parents=[common], help="write spooled records to the database")
    replay.add_argument(
        "--spool",
        default=os.environ.get("CONSENT_LEDGER_SPOOL"),
        metavar="DIR",
        help="the spool directory (default: $CONSENT_LEDGER_SPOOL)",
    )
    replay.add_argument(
        "--into-other-ledger",
        action="store_true",
        help="also write the records spooled for another ledger (or by an older version) into this one: "
        "a deliberate move",
    )
    replay.set_defaults(handler=_replay)


# -- argument types -------------------------------------------------------------------------------------


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _duration(value: str) -> timedelta:
    try:
        seconds = duration_seconds(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not seconds:
        raise argparse.ArgumentTypeError("the duration must be positive, e.g. 30d")
    return timedelta(seconds=seconds)


def key_from_environment() -> bytes | None:
    """``$CONSENT_LEDGER_KEY``, else the key derived from ``$SECRET_KEY``, else ``None``."""
    key = os.environ.get("CONSENT_LEDGER_KEY")
    if key:
        return key.encode()
    secret = os.environ.get("SECRET_KEY")
    return derive_key(secret) if secret else None


# -- plumbing --------------------------------------------------------------------------------------------


NO_KEY = (
    "consent ledger: this command needs the ledger key: set CONSENT_LEDGER_KEY, or SECRET_KEY (the "
    "site's Flask secret key, from which the ledger key is derived when CONSENT_LEDGER_KEY is unset)\n"
)
WRONG_KEY_HINT = (
    "check CONSENT_LEDGER_KEY (or SECRET_KEY, from which the key is derived when CONSENT_LEDGER_KEY is "
    "unset): it must be the key the site writes the ledger with"
)


def _run(args: argparse.Namespace, body: Any, *, key: bool = False, spool: str | None = None) -> int:
    if not args.url:
        sys.stderr.write("consent ledger: no database URL: pass --url or set CONSENT_LEDGER_URL\n")
        return EXIT_ERROR
    secret = key_from_environment() if key else None
    if key and secret is None:
        sys.stderr.write(NO_KEY)
        return EXIT_ERROR
    try:
        with open_ledger(args.url, secret, spool=spool) as ledger:
            status = int(body(ledger))
            sys.stdout.flush()  # a reader that went away shows here, not at exit
            return status
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except CheckpointError as exc:
        sys.stderr.write("".join(f"consent ledger: {problem}\n" for problem in exc.problems))
        return EXIT_ERROR
    except (LedgerError, SQLAlchemyError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"consent ledger: {message}\n")
        return EXIT_ERROR


def _init(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        before, after = ledger.init()
        where = ledger.url.render_as_string(hide_password=True)
        if before == after:
            print(f"{where}: the ledger schema is current (version {after})")
        elif before == 0:
            print(f"{where}: created the ledger schema (version {after})")
        else:
            print(f"{where}: upgraded the ledger schema from version {before} to {after}")
        print(f"ledger id {ledger.ledger_id()}")
        # The banner's impression counters live beside the records (aggregates only: see consent.insights).
        from ..insights.schema import create_insights_tables

        create_insights_tables(ledger.engine)
        return EXIT_OK

    return _run(args, run)


def _time(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else "-"


def describe(record: Record, out: TextIO) -> None:
    """A record in words (what ``show`` prints before the notice)."""
    place = f"seq {record.seq}" if record.seq is not None else "in the spool, not yet in the database"
    out.write(f"record {record.record_id}  ({place})\n")
    out.write(f"  recorded    {_time(record.recorded_at)}\n")
    out.write(f"  consent id  {record.consent_id}\n")
    out.write(
        f"  decision    {record.method} (control {record.control!r}, {record.layer} layer), policy {record.policy}\n"
    )
    out.write(f"  valid       {_time(record.decided_at)} to {_time(record.expires_at)}\n")
    out.write(f"  locale      {record.locale}    page {record.path or '-'}\n")
    out.write(f"  signals     {', '.join(record.signals) or 'none'}\n")
    out.write(f"  registry    revision {record.revision}, consent-gate {record.version}\n")
    if record.subject is not None:
        out.write(f"  subject     {record.subject}\n")
    cats = ", ".join(f"{k} {v}" for k, v in record.categories.items())
    out.write(f"  categories  {cats}\n")
    for decision, label in (("granted", "granted"), ("denied", "denied"), ("unasked", "not asked")):
        ids = record.decisions("vendors", decision)
        if ids:
            lines = textwrap.wrap(", ".join(ids), 78, break_on_hyphens=False)
            out.write(f"  vendors {label:<9} " + "\n                    ".join(lines) + "\n")


def _show(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        single = ledger.get(args.id)
        found = [single] if single is not None else ledger.history(args.id)
        if not found:
            sys.stderr.write(f"consent ledger: no record and no consent id {args.id!r}\n")
            return EXIT_FAIL
        if single is None:
            print(f"consent id {args.id}: {len(found)} decision{'s' if len(found) != 1 else ''}")
        shown: set[str] = set()
        for record in found:
            print()
            describe(record, sys.stdout)
            if record.notice in shown:
                print(f"  notice      sha256 {record.notice} (the same as above)")
                continue
            shown.add(record.notice)
            document = ledger.notice(record.notice)
            if document is None:
                print(f"  notice      sha256 {record.notice} -- MISSING from the ledger")
                continue
            print(f"  notice      sha256 {record.notice}, as the visitor was shown it:")
            for line in render_notice(document).splitlines():
                print(f"    | {line}" if line else "    |")
        return EXIT_OK

    return _run(args, run)


def _export(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        out: TextIO = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
        try:
            if args.format == "jsonl":
                for record in ledger.export(args.since):
                    out.write(json.dumps(record.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            else:
                categories: dict[str, None] = {}
                vendors: dict[str, None] = {}
                for record in ledger.export(args.since):
                    categories.update(dict.fromkeys(record.categories))
                    vendors.update(dict.fromkeys(record.vendors))
                writer = csv.writer(out)
                writer.writerow(
                    [
                        *EXPORT_FIELDS,
                        *(f"category:{c}" for c in categories),
                        *(f"vendor:{v}" for v in vendors),
                    ]
                )
                for record in ledger.export(args.since):
                    data = record.as_dict()
                    data["signals"] = " ".join(record.signals)
                    writer.writerow(
                        [
                            *("" if data[f] is None else data[f] for f in EXPORT_FIELDS),
                            *(record.categories.get(c, "") for c in categories),
                            *(record.vendors.get(v, "") for v in vendors),
                        ]
                    )
        finally:
            if out is not sys.stdout:
                out.close()
        return EXIT_OK

    return _run(args, run)


def _verify(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        checkpoints = [point for path in args.checkpoint for point in load_checkpoints(path)]
        result = ledger.verify(checkpoints)
        if result.key_likely_wrong:
            sys.stderr.write(f"consent ledger: {result.problems[0].message}: {WRONG_KEY_HINT}\n")
            return EXIT_ERROR
        for problem in result.problems:
            print(f"BROKEN {problem}")
        count = len(result.problems)
        if count:
            print(f"{count} problem{'s' if count != 1 else ''} in {result.checked} records")
            return EXIT_FAIL
        print(f"ok: {result.checked} records, chain head seq {result.head_seq} mac {result.head_mac or '-'}")
        if checkpoints:
            latest = max(checkpoints, key=lambda point: point.seq)
            print(
                f"ok: consistent with {len(checkpoints)} checkpoint{'s' if len(checkpoints) != 1 else ''} "
                f"of ledger {result.ledger_id} (the furthest at seq {latest.seq}, {latest.where})"
            )
        return EXIT_OK

    return _run(args, run, key=True)


def _checkpoint(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        if args.output and os.path.exists(args.output) and os.path.getsize(args.output):
            problems = ledger.check_checkpoints(load_checkpoints(args.output))
            if problems:
                for problem in problems:
                    print(f"BROKEN {problem}")
                sys.stderr.write(
                    f"consent ledger: the ledger contradicts the checkpoints in {args.output}: no new "
                    "checkpoint is written (if the ledger was re-created on purpose, start a new file)\n"
                )
                return EXIT_FAIL
        point = ledger.checkpoint()
        if not args.output:
            print(point.line())
            return EXIT_OK
        append_checkpoint(args.output, point)
        print(f"checkpoint of ledger {point.ledger_id} at seq {point.seq} appended to {args.output}")
        return EXIT_OK

    return _run(args, run, key=True)


def _stats(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        stats = ledger.stats(args.since)
        if args.format == "json":
            print(json.dumps(stats_json(stats), indent=2, sort_keys=True))
        else:
            sys.stdout.write(render_stats(stats))
        return EXIT_OK

    return _run(args, run)


def stats_json(stats: Stats) -> dict[str, Any]:
    return {
        "days": {
            day.isoformat(): {
                "methods": dict(stats.methods[day]),
                "categories": {c: dict(v) for c, v in stats.categories.get(day, {}).items()},
            }
            for day in sorted(stats.methods)
        },
        "total": stats.total,
    }


def render_stats(stats: Stats) -> str:
    """The acceptance report: decisions per day by method, then answers per day by category."""
    days = sorted(stats.methods)
    if not days:
        return "no decisions recorded\n"
    methods = [m for m in METHOD_ORDER if any(stats.methods[d][m] for d in days)]
    methods += sorted({m for d in days for m in stats.methods[d]} - set(methods))
    lines = ["Decisions per day"]
    header = f"{'day':<12}{'total':>7}" + "".join(f"{m:>12}" for m in methods)
    lines.append(header)
    totals: Counter[str] = Counter()
    for day in days:
        counts = stats.methods[day]
        totals.update(counts)
        lines.append(
            f"{day.isoformat():<12}{sum(counts.values()):>7}" + "".join(f"{counts[m]:>12}" for m in methods)
        )
    lines.append(f"{'all':<12}{sum(totals.values()):>7}" + "".join(f"{totals[m]:>12}" for m in methods))
    categories = sorted({c for d in days for c in stats.categories.get(d, {})})
    if categories:
        lines += ["", "Answers per category: granted / denied (share granted)"]
        lines.append(f"{'day':<12}" + "".join(f"{c:>22}" for c in categories))
        cat_totals: dict[str, Counter[str]] = {c: Counter() for c in categories}

        def cell(counter: Counter[str]) -> str:
            granted, denied = counter["granted"], counter["denied"]
            share = f"{100 * granted / (granted + denied):.0f}%" if granted + denied else "-"
            return f"{granted} / {denied} ({share})"

        for day in days:
            row = stats.categories.get(day, {})
            for c in categories:
                cat_totals[c].update(row.get(c, Counter()))
            lines.append(
                f"{day.isoformat():<12}" + "".join(f"{cell(row.get(c, Counter())):>22}" for c in categories)
            )
        lines.append(f"{'all':<12}" + "".join(f"{cell(cat_totals[c]):>22}" for c in categories))
    return "\n".join(lines) + "\n"


def _prune(args: argparse.Namespace) -> int:
    def run(ledger: Ledger) -> int:
        deleted = ledger.prune(args.older_than)
        print(f"pruned {deleted} record{'s' if deleted != 1 else ''} older than {args.older_than.days} days")
        return EXIT_OK

    return _run(args, run, key=True)


def _replay(args: argparse.Namespace) -> int:
    if not args.spool:
        sys.stderr.write("consent ledger: no spool: pass --spool or set CONSENT_LEDGER_SPOOL\n")
        return EXIT_ERROR
    if not os.path.isdir(args.spool):
        sys.stderr.write(f"consent ledger: there is no spool directory {args.spool}\n")
        return EXIT_ERROR

    def run(ledger: Ledger) -> int:
        result = ledger.replay(into_other_ledger=args.into_other_ledger)
        print(
            f"replayed {result.read} spooled record{'s' if result.read != 1 else ''}"
            + (f", {result.rejected} unreadable kept in rejected.jsonl" if result.rejected else "")
        )
        for group in result.held:
            sys.stderr.write(f"consent ledger: refused: {ledger.held_message(group)}\n")
        return EXIT_FAIL if result.held else EXIT_OK

    return _run(args, run, key=True, spool=args.spool)


__all__ = ["add_ledger_commands", "describe", "key_from_environment", "render_stats"]
