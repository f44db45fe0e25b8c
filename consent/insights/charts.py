"""Charts as inline SVG, rendered on the server (pure functions returning ``Markup``).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>`` (which
states the numbers in words), scales to its container through its ``viewBox``, and tells series apart
by line pattern and direct labels as well as colour. :func:`data_table` gives the same numbers as a
table, which the pages put beside every chart. Every text goes through ``markupsafe`` escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

#: The charts' coordinate width: at a phone's 343 px a 14-unit label still reads at about 12 px.
WIDTH = 400
#: Colours with at least 4.5:1 contrast on white, so lines and labels read for everyone.
PALETTE = ("#1b5e20", "#b71c1c", "#0d47a1", "#4a4a4a", "#6a1b9a", "#8d4e00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f} %"


def _svg_open(chart_id: str, title: str, desc: str, height: int) -> Markup:
    return Markup(
        '<svg class="consent-chart" role="img" aria-labelledby="{i}-title" aria-describedby="{i}-desc" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>'
    ).format(i=chart_id, w=WIDTH, h=height, t=title, d=desc)


def line_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Rates (0..1) over ``labels`` (e.g. days), one line per series, a percent axis and end labels."""
    height, left, right, top, bottom = 240, 56, 100, 12, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    count = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, v)))

    desc_parts = []
    for s in series:
        known = [v for v in s.values if v is not None]
        if known:
            desc_parts.append(
                f"{s.name}: from {percent(known[0])} to {percent(known[-1])}, "
                f"lowest {percent(min(known))}, highest {percent(max(known))}"
            )
    span = f"{labels[0]} to {labels[-1]}" if labels else "no data"
    desc = f"{span}. " + ("; ".join(desc_parts) if desc_parts else "No rates to show.")
    parts = [_svg_open(chart_id, title, desc, height)]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0" stroke-width="1"/>'
                '<text x="{tx}" y="{ty:.1f}" font-size="14" text-anchor="end" fill="#333">{label}</text>'
            ).format(
                l=left, r=left + plot_w, y=y(tick), tx=left - 6, ty=y(tick) + 4, label=f"{int(tick * 100)} %"
            )
        )
    if count:  # the first and last labels: a phone has room for two dates, not more
        ends = [(0, "start" if count > 1 else "middle")] + ([(count - 1, "end")] if count > 1 else [])
        for i, anchor in ends:
            parts.append(
                Markup(
                    '<text x="{x:.1f}" y="{y}" font-size="14" text-anchor="{a}" fill="#333">{t}</text>'
                ).format(x=x(i), y=height - bottom + 18, a=anchor, t=labels[i])
            )
    label_slots: list[float] = []
    for index, s in enumerate(series):
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        points = [(x(i), y(v)) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        path = " ".join(f"{'M' if n == 0 else 'L'}{px:.1f},{py:.1f}" for n, (px, py) in enumerate(points))
        parts.append(
            Markup(
                '<path d="{d}" fill="none" stroke="{c}" stroke-width="2.5" stroke-dasharray="{dash}"'
                ' stroke-linejoin="round"/>'
            ).format(d=path, c=colour, dash=dash or "none")
        )
        if len(points) == 1:
            parts.append(
                Markup('<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"/>').format(*points[0], colour)
            )
        # Direct labels at the line's end, nudged apart so they never overlap.
        slot = points[-1][1]
        for taken in sorted(label_slots):
            if abs(slot - taken) < 16:
                slot = taken + 16
        label_slots.append(slot)
        parts.append(
            Markup('<text x="{x}" y="{y:.1f}" font-size="14" fill="{c}">{name}</text>').format(
                x=left + plot_w + 6, y=slot + 4, c=colour, name=s.name
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, float | None]]) -> Markup:
    """Horizontal bars of rates (0..1), one per item, each labelled with its name and value."""
    row, top, label_w = 30, 8, 130
    height = top * 2 + row * max(1, len(items))
    bar_w = WIDTH - label_w - 60
    desc = "; ".join(f"{name}: {percent(value)}" for name, value in items) or "No data."
    parts = [_svg_open(chart_id, title, desc, height)]
    for i, (name, value) in enumerate(items):
        y = top + i * row
        length = bar_w * max(0.0, min(1.0, value or 0.0))
        parts.append(
            Markup(
                '<text x="{lx}" y="{ty}" font-size="14" text-anchor="end" fill="#222">{name}</text>'
                '<rect x="{bx}" y="{by}" width="{bw}" height="18" fill="#eeeeee"/>'
                '<rect x="{bx}" y="{by}" width="{len:.1f}" height="18" fill="{c}"/>'
                '<text x="{vx:.1f}" y="{ty}" font-size="14" fill="#222">{value}</text>'
            ).format(
                lx=label_w - 8,
                ty=y + 14,
                name=name if len(name) <= 16 else name[:15] + "…",
                bx=label_w,
                by=y + 1,
                bw=bar_w,
                len=length,
                c=PALETTE[2],
                vx=label_w + bar_w + 6,
                value=percent(value, 0),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def data_table(
    caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]], *, first_is_header: bool = True
) -> Markup:
    """A plain table with a caption and column headers; the first cell of each row heads the row."""
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(h) for h in headers)
    body = []
    for cells in rows:
        rendered = [
            Markup('<th scope="row">{}</th>').format(cell)
            if n == 0 and first_is_header
            else Markup("<td>{}</td>").format(cell)
            for n, cell in enumerate(cells)
        ]
        body.append(Markup("<tr>{}</tr>").format(Markup("").join(rendered)))
    return Markup(
        # The wrapper scrolls sideways on a narrow screen: focusable and named, so keyboards can scroll it.
        '<div class="consent-table" tabindex="0" role="region" aria-label="{c}"><table><caption>{c}</caption>'
        "<thead><tr>{h}</tr></thead><tbody>{b}</tbody></table></div>"
    ).format(c=caption, h=head, b=Markup("").join(body))


__all__ = ["Series", "bar_chart", "data_table", "line_chart", "percent"]
