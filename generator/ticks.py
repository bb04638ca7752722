"""Chart axes as Plotly lays them out: the range, the ticks (steps of 1, 2 or 5 x 10^k) and their labels.

charts.py sizes each chart's margins from these labels (so Plotly draws each chart once, instead of
drawing it, measuring the labels and drawing it again to fit them), and chartsvg.py draws the static
SVG with the same ticks, so the printed chart matches the one on screen.
"""

from __future__ import annotations

import math

from . import format as fmt

GLYPH = 0.6              # a label glyph's width in ems, a little over the mean, so margins err on the roomy side
PX_PER_TICK = {"x": 80, "y": 40}    # Plotly's autoTicks: about one tick per 80 px across, per 40 px up


def nice_step(rough: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is at least `rough` (Plotly's roundDTick)."""
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough * (1 - 1e-9))


def label_width(text: str, size: float) -> float:
    return len(text) * size * GLYPH


class Axis:
    """One linear axis, `letter` x or y: its range, where it is drawn (start -> end, in px) and its ticks."""

    def __init__(self, spec: dict, values: list[float], padded: bool, letter: str, start: float, end: float):
        if "range" in spec:
            low, high = spec["range"]
        else:
            low, high = min(values), max(values)
            pad = 0.05 * ((high - low) or 1.0) if padded else 0.0
            low, high = low - pad, high + pad
            if spec.get("rangemode") == "tozero":           # zero in the range, no padding past it
                low, high = (0.0, high) if min(values) >= 0 else (low, 0.0) if max(values) <= 0 else (low, high)
        self.low, self.high = low, (high if high > low else low + 1)
        self.start, self.end = start, end
        if "tickvals" in spec:
            self.ticks = list(zip(spec["tickvals"], spec["ticktext"]))
            return
        count = min(max(abs(end - start) / PX_PER_TICK[letter], 4), 9) + 1
        step = spec.get("dtick") or nice_step((self.high - self.low) / count)
        percent = spec.get("tickformat") == ".0%"
        first = math.ceil(self.low / step - 1e-9)
        last = math.floor(self.high / step + 1e-9)
        self.ticks = [((first + i) * step, fmt.tick((first + i) * step, step, percent))
                      for i in range(last - first + 1)]

    def at(self, value: float) -> float:
        """Where `value` is drawn."""
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)

    def paper(self, fraction: float) -> float:
        """Where a fraction of the plot area (Plotly's paper coordinates) is drawn."""
        return self.start + fraction * (self.end - self.start)

    def widest_label(self, size: float) -> float:
        return max((label_width(text, size) for _, text in self.ticks), default=0.0)


def axes(spec: dict, template: dict, width: float, height: float) -> tuple[Axis, dict[str, Axis]]:
    """The x axis and the y axes (by trace reference: "y", "y2", ...) of figure `spec`, drawn in a `width` x
    `height` box with the spec's margins; y axes with a domain share the height, as stacked subplots do."""
    layout, margin = spec["layout"], spec["layout"]["margin"]
    x_values = [x for t in spec["data"] for x in t["x"]]
    y_values: dict[str, list[float]] = {}
    for trace in spec["data"]:
        y_values.setdefault(trace.get("yaxis", "y"), []).extend(trace["y"])
    for shape in layout.get("shapes", []):
        if shape.get("xref", "x") == "x":
            x_values += [shape["x0"], shape["x1"]]
        if shape.get("yref", "y") == "y":
            y_values.setdefault("y", []).extend([shape["y0"], shape["y1"]])
    markers = any("markers" in t.get("mode", "") for t in spec["data"])
    x = Axis(merged(template, layout, "xaxis"), x_values, markers, "x", margin["l"], width - margin["r"])
    bottom, top = height - margin["b"], margin["t"]
    ys = {}
    for ref, values in sorted(y_values.items()):
        settings = merged(template, layout, axis_key(ref))
        low, high = settings.get("domain", [0, 1])
        ys[ref] = Axis(settings, values, True, "y", bottom + low * (top - bottom), bottom + high * (top - bottom))
    return x, ys


def axis_key(ref: str) -> str:
    """A trace's axis reference as its layout key: "y" -> "yaxis", "y2" -> "yaxis2"."""
    return ref[0] + "axis" + ref[1:]


def merged(template: dict, layout: dict, key: str) -> dict:
    """An axis' settings: the shared template's (which covers every axis of its letter), with the figure's
    own on top (titles merged too)."""
    base, own = template["layout"].get(key.rstrip("0123456789"), {}), layout.get(key, {})
    return {**base, **own, "title": {**base.get("title", {}), **own.get("title", {})}}
