"""The admin page's SVG bar chart: well-formed, proportional, every label escaped, no script;
and the statistics helpers behind it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from markupsafe import Markup

from hotline.services.stats import median_of_histogram, month_keys
from hotline.views.charts import bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: Markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_bars_are_proportional_and_labelled() -> None:
    bars = [("2025-01", 10), ("2025-02", 5), ("2025-03", 0), ("2025-04", 20)]
    svg = bar_chart_svg(bars, "Cases per month", "months")
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "months-title"
    assert root.find(f"{SVG}title").text == "Cases per month"  # type: ignore[union-attr]
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 4
    heights = [float(r.get("height", "nan")) for r in rects]
    assert heights[2] == 0
    assert heights[0] == pytest.approx(heights[3] / 2)
    assert heights[1] == pytest.approx(heights[3] / 4)
    assert [r.find(f"{SVG}title").text for r in rects] == [  # type: ignore[union-attr]
        "2025-01: 10",
        "2025-02: 5",
        "2025-03: 0",
        "2025-04: 20",
    ]
    texts = [t.text for t in root.findall(f"{SVG}text")]
    for label, _ in bars:
        assert label in texts
    # Bars stay inside the drawing.
    width = float(root.get("viewBox", "").split()[2])
    for r in rects:
        x, w = float(r.get("x", "-1")), float(r.get("width", "0"))
        assert x >= 0 and x + w <= width


def test_labels_and_title_are_escaped() -> None:
    hostile = '<script>alert("x")</script>&amp;"\'><img src=x onerror=alert(1)>'
    svg = str(bar_chart_svg([(hostile, 3)], hostile, "c1"))
    assert "<script" not in svg and "<img" not in svg
    assert "onerror=alert(1)>" not in svg
    root = ET.fromstring(svg)  # still well-formed XML
    assert root.find(f"{SVG}title").text == hostile  # type: ignore[union-attr]
    assert hostile in [t.text for t in root.findall(f"{SVG}text")]
    assert all(el.tag.startswith(SVG) for el in root.iter())
    assert not any(k.lower().startswith("on") for el in root.iter() for k in el.attrib)


def test_empty_and_zero_data_draw_an_empty_chart() -> None:
    for bars in ([], [("a", 0), ("b", 0)]):
        root = parse(bar_chart_svg(bars, "nothing yet"))
        assert all(float(r.get("height", "1")) == 0 for r in root.findall(f"{SVG}rect"))


def test_axis_top_is_a_round_number() -> None:
    root = parse(bar_chart_svg([("a", 7)], "t"))
    ticks = [t.text for t in root.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "5", "10"]
    root = parse(bar_chart_svg([("a", 1234)], "t"))
    ticks = [t.text for t in root.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "1000", "2000"]


def test_chart_id_must_be_plain() -> None:
    with pytest.raises(ValueError):
        bar_chart_svg([("a", 1)], "t", chart_id='x" onload="alert(1)')


def test_median_of_histogram() -> None:
    assert median_of_histogram([]) is None
    assert median_of_histogram([(4, 0)]) is None
    assert median_of_histogram([(3, 1)]) == 3.0
    assert median_of_histogram([(2, 1), (4, 1)]) == 3.0
    assert median_of_histogram([(10, 1), (1, 2)]) == 1.0  # 1, 1, 10
    assert median_of_histogram([(0, 5), (7, 5)]) == 3.5
    assert median_of_histogram([(5, 2), (1, 1), (9, 1)]) == 5.0  # 1, 5, 5, 9


def test_month_keys_run_back_over_the_year_end() -> None:
    assert month_keys(date(2025, 2, 14), 4) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert len(month_keys(date(2025, 12, 31), 12)) == 12
