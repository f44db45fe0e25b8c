"""Server-rendered SVG charts: named and described, scaled by viewBox, escaped, values where they belong."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from consent.insights.charts import Series, bar_chart, data_table, line_chart, percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_line_chart_is_an_image_named_by_its_title_and_desc() -> None:
    svg = parse(
        line_chart(
            "rates", "Rates per day", ["2026-05-01", "2026-05-02"], [Series("Accept all", [0.5, 0.25])]
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "rates-title"
    assert svg.get("aria-describedby") == "rates-desc"
    assert svg.findtext(f"{SVG}title") == "Rates per day"
    desc = svg.findtext(f"{SVG}desc") or ""
    assert "2026-05-01 to 2026-05-02" in desc
    assert "Accept all: from 50.0 % to 25.0 %, lowest 25.0 %, highest 50.0 %" in desc
    assert svg.get("viewBox") == "0 0 400 240" and svg.get("width") == "100%"


def test_line_chart_plots_values_on_a_percent_axis() -> None:
    svg = parse(line_chart("c", "t", ["a", "b", "c"], [Series("s", [0.0, 1.0, None])]))
    (path,) = svg.iter(f"{SVG}path")
    points = re.findall(r"[ML]([\d.]+),([\d.]+)", path.get("d") or "")
    assert len(points) == 2  # the missing value is left out, not drawn as zero
    (_, y0), (_, y1) = ((float(x), float(y)) for x, y in points)
    assert y0 > y1  # 0 % lower than 100 %
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"0 %", "50 %", "100 %", "a", "c", "s"} <= set(labels)
    assert "b" not in labels  # only the ends of the axis are labelled


def test_series_differ_by_pattern_as_well_as_colour() -> None:
    svg = parse(line_chart("c", "t", ["a", "b"], [Series("one", [0.1, 0.2]), Series("two", [0.3, 0.4])]))
    first, second = svg.iter(f"{SVG}path")
    assert first.get("stroke") != second.get("stroke")
    assert first.get("stroke-dasharray") != second.get("stroke-dasharray")


def test_bar_chart_lengths_follow_the_values() -> None:
    svg = parse(bar_chart("b", "Opt-in", [("statistics", 0.5), ("marketing", 0.25), ("unknown", None)]))
    rects = [float(r.get("width") or 0) for r in svg.iter(f"{SVG}rect")]
    track, half, _, quarter, _, empty = rects
    assert half == pytest.approx(track / 2)
    assert quarter == pytest.approx(track / 4)
    assert empty == 0
    assert svg.findtext(f"{SVG}desc") == "statistics: 50.0 %; marketing: 25.0 %; unknown: -"


def test_texts_are_escaped() -> None:
    markup = str(bar_chart("b", "<script>", [("<img src=x>", 0.5)]))
    assert "<script>" not in markup and "<img" not in markup
    assert "&lt;script&gt;" in markup
    parse(markup)


def test_data_table_has_caption_and_headers() -> None:
    table = parse(data_table("Per region", ("region", "rate"), [["eu", "50 %"], ["<uk>", "1 %"]]))
    assert table.findtext(".//caption") == "Per region"
    assert [th.get("scope") for th in table.iter("th")] == ["col", "col", "row", "row"]
    assert [th.text for th in table.iter("th")][2:] == ["eu", "<uk>"]


@pytest.mark.parametrize(("value", "text"), [(None, "-"), (0.5, "50.0 %"), (1 / 3, "33.3 %")])
def test_percent(value: float | None, text: str) -> None:
    assert percent(value) == text
