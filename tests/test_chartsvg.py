"""The static chart drawings (print, and browsers without Plotly) and the axes they share with Plotly."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET

import pytest

from generator import chartsvg, ticks
from generator import format as fmt
from generator.charts import PALETTE, TEMPLATE, figures

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_tick_labels_have_the_decimals_their_step_needs():
    assert [fmt.tick(v, 0.5) for v in (0, 0.5, 1, 1.5, -0.5)] == ["0", "0.5", "1", "1.5", "\u22120.5"]
    assert [fmt.tick(v, 0.2, percent=True) for v in (0, 0.2, 1)] == ["0%", "20%", "100%"]
    assert fmt.tick(200, 100) == "200" and fmt.tick(0.25, 0.05) == "0.25" and fmt.tick(-1e-12, 0.1) == "0"


def test_ticks_step_as_plotly_steps_them():
    assert [ticks.nice_step(r) for r in (0.13, 0.3, 0.7, 1.0, 12)] == [0.2, 0.5, 1.0, 1.0, 20]
    axis = ticks.Axis({"range": [0, 1.04], "tickformat": ".0%"}, [], True, "y", 200, 10)
    assert [text for _, text in axis.ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert axis.at(0) == 200 and axis.at(1.04) == 10
    assert ticks.Axis({"rangemode": "tozero"}, [3.0, 7.0], True, "y", 200, 10).low == 0


@pytest.fixture(scope="module")
def specs(quick_run) -> dict:
    return figures(quick_run)


def test_margins_hold_the_tick_labels_and_titles(specs):
    """Plotly draws each chart once, without automargin, so the spec's margins must hold its labels."""
    assert not any(TEMPLATE["layout"][axis].get("automargin") for axis in ("xaxis", "yaxis"))
    for name, spec in specs.items():
        margin = spec["layout"]["margin"]
        _, ys = ticks.axes(spec, TEMPLATE, 600, 300)
        assert all(margin["l"] >= y.widest_label(13) + 8 for y in ys.values()), name
        assert margin["b"] >= 13 + 8, name


def test_every_chart_draws_as_svg(specs):
    for name, spec in specs.items():
        svg = chartsvg.render(spec, 300)
        root = parse(svg)
        assert root.get("viewBox") == f"0 0 {chartsvg.WIDTH} 300" and root.get("aria-hidden") == "true"
        texts = [t.text for t in root.iter(f"{SVG}text")]
        for axis in [key for key in spec["layout"] if key.startswith(("xaxis", "yaxis"))]:
            title = spec["layout"][axis].get("title", {}).get("text")
            assert not title or title in texts, (name, axis)
        traces = [t for t in spec["data"] if "lines" in t.get("mode", "") or "markers" in t.get("mode", "")]
        assert len(root.findall(f"{SVG}path")) >= len(traces), name
        legend = [t["name"] for t in spec["data"] if t.get("showlegend", True) and t.get("name")]
        assert set(legend) <= set(texts), name
        for note in spec["layout"].get("annotations", []):
            assert note["text"] in texts, name


def test_palette_colours_follow_the_stylesheet(specs):
    """Palette colours are CSS variables, so the print stylesheet recolours the drawing for paper."""
    svg = chartsvg.render(specs["score-distribution"], 250)
    assert "var(--chosen)" in svg and "var(--rejected)" in svg
    assert PALETTE["chosen"] not in svg


def test_a_chart_it_cannot_draw_fails_the_build(specs):
    spec = copy.deepcopy(specs["sft-loss"])
    spec["data"][0]["type"] = "histogram"
    with pytest.raises(ValueError, match="scatter and bar"):
        chartsvg.render(spec, 300)
    spec = copy.deepcopy(specs["sft-loss"])
    spec["data"][0]["line"]["dash"] = "5px,2px"
    with pytest.raises(ValueError, match="dash"):
        chartsvg.render(spec, 300)


def test_bars_stand_on_zero_and_fill_four_fifths_of_their_slot(specs):
    spec = specs["context"]
    svg = chartsvg.render(spec, 300)
    x, ys = ticks.axes(spec, chartsvg.TEMPLATE, chartsvg.WIDTH, 300)
    bars = re.search(r'<path d="(M[^"]*Z)"', svg).group(1).split("Z")[:-1]
    assert len(bars) == len(spec["data"][0]["y"])
    for i, (bar, loss) in enumerate(zip(bars, spec["data"][0]["y"])):
        left, bottom, top, right = map(float, re.match(r"M([\d.]+),([\d.]+)V([\d.]+)H([\d.]+)", bar).groups())
        assert bottom == pytest.approx(ys["y"].at(0), abs=0.06) and top == pytest.approx(ys["y"].at(loss), abs=0.06)
        assert (left + right) / 2 == pytest.approx(x.at(i), abs=0.1)
        assert right - left == pytest.approx(0.8 * (x.at(1) - x.at(0)), abs=0.1)
