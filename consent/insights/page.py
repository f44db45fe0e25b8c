"""The insights as one HTML document: the dashboard's page and ``consent insights --format html``.

Self-contained (inline CSS, inline SVG, no script, no external resource), so the file opens anywhere
and the dashboard works without JavaScript. Every chart has a data table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from .charts import Series, bar_chart, data_table, line_chart, percent
from .rates import DIMENSIONS, TIMING_LABELS, Report, Tally

STYLE = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
header, main { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
@media (min-width: 60rem) {
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 0 3rem; }
  .consent-wide { grid-column: 1 / -1; }
}
section { min-width: 0; }
h1 { font-size: 1.6rem; margin: 1rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; }
.consent-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem;
  padding: 0; list-style: none; }
.consent-tiles li { border: 1px solid #bbb; border-radius: 0.4rem; padding: 0.5rem 0.75rem; }
.consent-tiles strong { display: block; font-size: 1.4rem; }
.consent-chart { display: block; max-width: 32rem; height: auto; }
.consent-table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-size: 0.9rem; }
input, select, button { font: inherit; padding: 0.3rem 0.5rem; }
button { background: #0d47a1; color: #fff; border: 0; border-radius: 0.3rem; }
details { margin: 0.5rem 0; }
.consent-note { color: #444; font-size: 0.9rem; max-width: 48rem; }
"""

BY_LABELS = {"day": "Day", "region": "Region", "locale": "Locale", "variant": "Variant"}


def _rate_rows(rows: dict[str, Tally]) -> list[list[object]]:
    return [
        [
            key,
            f"{t.shown:,}",
            f"{t.undecided:,}",
            f"{t.answers:,}",
            percent(t.rate(t.accept_all)),
            percent(t.rate(t.reject_all)),
            percent(t.rate(t.custom)),
            percent(t.rate(t.no_decision)),
            percent(t.gpc_share),
        ]
        for key, t in rows.items()
    ]


RATE_HEADERS = ("shown", "undecided", "answers", "accept all", "reject all", "custom", "no decision", "GPC")


def _filters(report: Report, action: str) -> Markup:
    options = Markup("").join(
        Markup('<option value="{v}"{s}>{label}</option>').format(
            v=d, s=Markup(" selected") if d == report.by else "", label=BY_LABELS[d]
        )
        for d in DIMENSIONS
    )
    return Markup(
        '<form method="get" action="{a}" aria-label="Filter the report">'
        '<label>From <input type="date" name="since" value="{s}"></label>'
        '<label>To <input type="date" name="until" value="{u}"></label>'
        '<label>Rows by <select name="by">{o}</select></label>'
        '<button type="submit">Show</button></form>'
    ).format(
        a=action,
        s=report.since.isoformat() if report.since else "",
        u=report.until.isoformat() if report.until else "",
        o=options,
    )


def _tiles(total: Tally) -> Markup:
    tiles = [
        ("First layers shown", f"{total.shown:,}"),
        ("Shown to undecided visitors", f"{total.undecided:,}"),
        ("Accept all", percent(total.rate(total.accept_all))),
        ("Reject all", percent(total.rate(total.reject_all))),
        ("Custom", percent(total.rate(total.custom))),
        ("No decision", percent(total.rate(total.no_decision))),
        ("GPC share of answers", percent(total.gpc_share)),
    ]
    return Markup('<ul class="consent-tiles">{}</ul>').format(
        Markup("").join(Markup("<li>{}<strong>{}</strong></li>").format(name, value) for name, value in tiles)
    )


def _variants(report: Report) -> Markup:
    if len(report.variants) < 2:
        return Markup('<p class="consent-note">No wording test in this period (one variant or none).</p>')
    rows = []
    for v in report.variants:
        verdicts = []
        for label, comparison in (("accept", v.accept_vs_control), ("reject", v.reject_vs_control)):
            if comparison is None:
                continue
            verdicts.append(
                f"{label}: {'+' if comparison.difference >= 0 else ''}{100 * comparison.difference:.1f} points, "
                f"p = {comparison.p:.3f}, " + ("significant" if comparison.significant else "not significant")
            )
        rows.append(
            [
                v.variant + (" (control)" if v.variant == report.control else ""),
                f"{v.tally.undecided:,}",
                f"{percent(v.accept.rate)} ({percent(v.accept.low)} to {percent(v.accept.high)})",
                f"{percent(v.reject.rate)} ({percent(v.reject.low)} to {percent(v.reject.high)})",
                "; ".join(verdicts) or "-",
            ]
        )
    return Markup('{}<p class="consent-note">{}</p>').format(
        data_table(
            "Accept-all and reject-all rates per variant, with 95 % Wilson intervals",
            ("variant", "undecided", "accept all (95 % CI)", "reject all (95 % CI)", "against the control"),
            rows,
        ),
        "Two-sided two-proportion z-test against the control at the 5 % level. 'Not significant' means "
        "the difference could well be chance: keep the test running or stop calling a winner.",
    )


def render_report(
    report: Report, *, title: str = "Consent insights", form_action: str | None = None
) -> Markup:
    """The whole document; with ``form_action`` it carries a filter form (the dashboard) that GETs it."""
    total = report.total
    days = list(report.days)
    over_time = line_chart(
        "consent-rates-over-time",
        "Decision rates per day",
        days,
        [
            Series("Accept all", [t.rate(t.accept_all) for t in report.days.values()]),
            Series("Reject all", [t.rate(t.reject_all) for t in report.days.values()]),
            Series("Custom", [t.rate(t.custom) for t in report.days.values()]),
            Series("No decision", [t.rate(t.no_decision) for t in report.days.values()]),
        ],
    )
    categories = [(c, total.opt_in(c)) for c in report.categories]
    timing = [
        (label, n / total.timed if total.timed else None)
        for label, n in zip(TIMING_LABELS, total.timing, strict=True)
    ]
    period = (
        f"From {report.since.isoformat() if report.since else 'the first day'} to "
        f"{report.until.isoformat() if report.until else 'today'} (UTC days)"
    )
    sections: Sequence[Markup] = [
        Markup('<section class="consent-wide"><h2>Summary</h2>{}</section>').format(_tiles(total)),
        Markup(
            "<section><h2>Rates over time</h2>{}"
            "<details><summary>The numbers per day</summary>{}</details></section>"
        ).format(over_time, data_table("Rates per day", ("day", *RATE_HEADERS), _rate_rows(report.days))),
        Markup("<section><h2>Opt-in per category</h2>{}{}</section>").format(
            bar_chart("consent-category-opt-in", "Share of answers that granted each category", categories),
            data_table(
                "Answers per category",
                ("category", "asked", "granted", "opt-in"),
                [
                    [c, f"{total.asked.get(c, 0):,}", f"{total.granted.get(c, 0):,}", percent(rate)]
                    for c, rate in categories
                ],
            ),
        ),
        Markup('<section class="consent-wide"><h2>Per region</h2>{}</section>').format(
            data_table("Rates per region", ("region", *RATE_HEADERS), _rate_rows(report.regions))
        ),
        Markup('<section class="consent-wide"><h2>By {}</h2>{}</section>').format(
            BY_LABELS[report.by].lower(),
            data_table(f"Rates by {report.by}", (report.by, *RATE_HEADERS), _rate_rows(report.rows)),
        ),
        Markup('<section class="consent-wide"><h2>Wording variants</h2>{}</section>').format(
            _variants(report)
        ),
        Markup("<section><h2>Time to decide</h2>{}{}</section>").format(
            bar_chart("consent-time-to-decide", "Share of timed answers per time to decide", timing),
            Markup('<p class="consent-note">{}</p>').format(
                f"{total.timed:,} of {total.answers:,} answers say when their first layer was shown; "
                "the others cannot be timed."
            ),
        ),
        Markup("<section><h2>First layer per page template</h2>{}</section>").format(
            data_table(
                "Impressions per page template",
                ("template", "shown", "undecided"),
                [[t, f"{s:,}", f"{u:,}"] for t, (s, u) in report.templates.items()],
            )
        ),
    ]
    return Markup(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex"><title>{t}</title><style>{css}</style></head>'
        "<body><header><h1>{t}</h1><p>{period}. Counts are aggregates: no visitor is tracked.</p>{form}</header>"
        "<main>{body}</main></body></html>"
    ).format(
        t=title,
        css=Markup(STYLE),
        period=period,
        form=_filters(report, form_action) if form_action is not None else "",
        body=Markup("").join(sections),
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML file (``--format html``)."""
    return str(render_report(report)) + "\n"


__all__ = ["render_html", "render_report"]
