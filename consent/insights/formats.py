"""A report as text (for a terminal), CSV (one row per group) and JSON."""

from __future__ import annotations

import csv
import io
import json

from .charts import percent
from .rates import TIMING_LABELS, Report, Tally

CSV_FIELDS = (
    "shown",
    "undecided",
    "answers",
    "accept_all",
    "reject_all",
    "custom",
    "no_decision",
    "accept_all_rate",
    "reject_all_rate",
    "custom_rate",
    "no_decision_rate",
    "gpc_share",
)


def _csv_values(t: Tally) -> list[object]:
    def rate(count: int) -> str:
        value = t.rate(count)
        return "" if value is None else f"{value:.6f}"

    gpc = t.gpc_share
    return [
        t.shown,
        t.undecided,
        t.answers,
        t.accept_all,
        t.reject_all,
        t.custom,
        t.no_decision,
        rate(t.accept_all),
        rate(t.reject_all),
        rate(t.custom),
        rate(t.no_decision),
        "" if gpc is None else f"{gpc:.6f}",
    ]


def render_csv(report: Report) -> str:
    """One row per group of ``report.by`` and a last row ``all``; per category opt-in columns follow."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([report.by, *CSV_FIELDS, *(f"opt_in:{c}" for c in report.categories)])
    for key, tally in [*report.rows.items(), ("all", report.total)]:
        opt_ins = [tally.opt_in(c) for c in report.categories]
        writer.writerow([key, *_csv_values(tally), *("" if v is None else f"{v:.6f}" for v in opt_ins)])
    return out.getvalue()


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n"


def render_text(report: Report) -> str:
    """The report for a terminal: totals, rows by the chosen dimension, categories, variants, timing."""
    total = report.total
    lines = [
        f"First layers shown {total.shown:,}, to undecided visitors {total.undecided:,}, answers {total.answers:,}",
        f"accept all {percent(total.rate(total.accept_all))}, reject all {percent(total.rate(total.reject_all))}, "
        f"custom {percent(total.rate(total.custom))}, no decision {percent(total.rate(total.no_decision))}, "
        f"GPC share {percent(total.gpc_share)}",
        "",
        f"{report.by:<20}{'undecided':>11}{'answers':>9}{'accept':>9}{'reject':>9}{'custom':>9}{'none':>9}{'GPC':>9}",
    ]
    for key, t in report.rows.items():
        lines.append(
            f"{key[:19]:<20}{t.undecided:>11,}{t.answers:>9,}{percent(t.rate(t.accept_all)):>9}"
            f"{percent(t.rate(t.reject_all)):>9}{percent(t.rate(t.custom)):>9}{percent(t.rate(t.no_decision)):>9}"
            f"{percent(t.gpc_share):>9}"
        )
    if report.categories:
        lines += ["", "Opt-in per category (answers asked / granted)"]
        for c in report.categories:
            lines.append(
                f"  {c:<24}{total.asked.get(c, 0):>9,}{total.granted.get(c, 0):>9,}  {percent(total.opt_in(c))}"
            )
    if len(report.variants) > 1:
        lines += ["", f"Wording variants (control: {report.control}), 95 % Wilson intervals"]
        for v in report.variants:
            line = (
                f"  {v.variant:<16} accept {percent(v.accept.rate)} [{percent(v.accept.low)}, {percent(v.accept.high)}]"
                f"  reject {percent(v.reject.rate)} [{percent(v.reject.low)}, {percent(v.reject.high)}]"
            )
            for label, comparison in (("accept", v.accept_vs_control), ("reject", v.reject_vs_control)):
                if comparison is not None:
                    verdict = "significant" if comparison.significant else "NOT significant"
                    line += f"  {label} vs control p={comparison.p:.3f} {verdict}"
            lines.append(line)
    lines += ["", f"Time to decide ({total.timed:,} of {total.answers:,} answers carry a first-shown time)"]
    lines += [f"  {label:<12}{n:>9,}" for label, n in zip(TIMING_LABELS, total.timing, strict=True)]
    return "\n".join(lines) + "\n"


__all__ = ["render_csv", "render_json", "render_text"]
