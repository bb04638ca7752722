"""Plotly figure specs (charts.py) -> static SVG: what prints, and what a browser that cannot run Plotly shows.

A printed page cannot wait for Plotly to draw, so every chart also ships as a small SVG drawn
here at build time from the same spec, with the same margins and ticks (ticks.py): lines and
markers, reference lines and their labels, shapes, axes and the legend. It covers what
charts.py uses and raises on anything else, so a new kind of chart is noticed at build time.
Palette colours are written as the stylesheet's CSS variables, so the same drawing is dark on
screen and light on paper.
"""

from __future__ import annotations

from html import escape

from . import ticks
from .charts import PALETTE, STAGE_COLOURS, STAGE_TINTS, TEMPLATE

WIDTH = 720                     # user units; the drawing scales to its box
LEGEND_ROW = 20
TRACE_KEYS = {"type", "mode", "x", "y", "name", "line", "opacity", "text", "textposition", "hovertemplate",
              "hoverinfo", "showlegend", "marker", "yaxis", "cliponaxis"}   # nothing here is clipped to the axes
BAR_WIDTH = 0.8                 # Plotly's default: a bar fills 80% of its slot (bargap 0.2)
# a palette colour -> the CSS variable the stylesheet gives it (print sets some darker, for paper)
CSS_VARS = {**{c.lower(): f"--{name}" for name, c in PALETTE.items()},
            **{c.lower(): f"--stage-{name}" for name, c in STAGE_COLOURS.items()},
            **{c.lower(): f"--tint-{name}" for name, c in STAGE_TINTS.items()}}


def _n(x: float) -> str:
    """A coordinate, one decimal at most."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _paint(**colours: str) -> str:
    """Colours as attributes (fill=..., stroke=...): palette colours through their CSS variables, in one
    style attribute; any other colour as it is."""
    found = {prop: CSS_VARS.get(colour.lower()) for prop, colour in colours.items()}
    plain = [f'{prop}="{escape(colours[prop])}"' for prop, var in found.items() if not var]
    styled = [f"{prop}:var({var})" for prop, var in found.items() if var]
    return " ".join(plain + ([f'style="{";".join(styled)}"'] if styled else []))


def _line(line: dict) -> str:
    """A line's width and dash (Plotly's dash patterns, from Drawing.dashStyle); its colour goes through _paint."""
    width = line.get("width", 2)
    d = max(width, 3)
    dashes = {"solid": "", "dot": f"{d},{d}", "dash": f"{3 * d},{3 * d}", "dashdot": f"{3 * d},{d},{d},{d}",
              "longdash": f"{5 * d},{5 * d}"}
    dash = line.get("dash", "solid")
    if dash not in dashes:
        raise ValueError(f"chartsvg does not draw the line dash {dash!r}")
    return f'stroke-width="{width}"' + (f' stroke-dasharray="{dashes[dash]}"' if dashes[dash] else "")


def render(spec: dict, height: int, width: int = WIDTH) -> str:
    """The figure `spec` ({data, layout} from charts.figures, margins fitted) as SVG, `width` x `height`."""
    data, layout = spec["data"], spec["layout"]
    for trace in data:
        if trace.get("type") not in ("scatter", "bar") or set(trace) - TRACE_KEYS:
            raise ValueError(f"chartsvg draws scatter and bar traces only, without "
                             f"{sorted(set(trace) - TRACE_KEYS)}")
    legend = _legend_rows([t for t in data if t.get("showlegend", True) and t.get("name")],
                          width - layout["margin"]["l"] - layout["margin"]["r"])
    # like Plotly's legend, a legend that wraps pushes the plot area down
    top = max(layout["margin"]["t"], len(legend) * LEGEND_ROW + 10 if legend else 0)
    margin = {**layout["margin"], "t": top}
    x, ys = ticks.axes({**spec, "layout": {**layout, "margin": margin}}, TEMPLATE, width, height)
    plot = (height - margin["b"], margin["t"])      # the plot area's bottom and top: Plotly's paper y 0 and 1
    xs = ticks.merged(TEMPLATE, layout, "xaxis")
    size = TEMPLATE["layout"]["font"]["size"]

    # the chart's figure names and describes it (its Plotly box is the image); this drawing repeats it
    out = [f'<svg class="chart-static" viewBox="0 0 {width} {height}" aria-hidden="true" focusable="false">']
    grid = []
    for ref, y in ys.items():             # each y axis is a subplot of its own band, sharing the x axis
        if xs.get("showgrid", True):
            grid += [f"M{_n(x.at(v))},{_n(y.start)}V{_n(y.end)}" for v, _ in x.ticks]
        if ticks.merged(TEMPLATE, layout, ticks.axis_key(ref)).get("showgrid", True):
            grid += [f"M{_n(x.start)},{_n(y.at(v))}H{_n(x.end)}" for v, _ in y.ticks]
    if grid:
        out.append(f'<path class="cs-grid" d="{"".join(grid)}"/>')
    shapes = layout.get("shapes", [])
    out += [_shape(s, x, ys["y"], plot) for s in shapes if s.get("layer") == "below"]
    for trace in data:
        out += _trace(trace, x, ys[trace.get("yaxis", "y")])
    out += [_shape(s, x, ys["y"], plot) for s in shapes if s.get("layer") != "below"]
    out += [_annotation(note, x, ys["y"]) for note in layout.get("annotations", [])]

    axis_at = max(y.start for y in ys.values())          # the x axis runs along the lowest band
    marks = [f"M{_n(x.at(v))},{_n(axis_at)}v{xs['ticklen']}" for v, _ in x.ticks if xs.get("ticks") == "outside"]
    x_labels = axis_at + xs.get("ticklen", 0) + 3 + size
    out += [f'<text x="{_n(x.at(v))}" y="{_n(x_labels)}" text-anchor="middle">{escape(text)}</text>'
            for v, text in x.ticks]
    if xs["title"].get("text"):
        below = x_labels + xs["title"]["standoff"] + xs["title"]["font"]["size"]
        out.append(f'<text class="cs-title" x="{_n((x.start + x.end) / 2)}" y="{_n(below)}" text-anchor="middle">'
                   f'{escape(xs["title"]["text"])}</text>')
    for ref, y in ys.items():
        settings = ticks.merged(TEMPLATE, layout, ticks.axis_key(ref))
        y_size = settings.get("tickfont", {}).get("size", size)
        if settings.get("ticks") == "outside":
            marks += [f"M{_n(x.start)},{_n(y.at(v))}h-{settings['ticklen']}" for v, _ in y.ticks]
        y_labels = x.start - settings.get("ticklen", 0) - 4
        y_font = f' font-size="{y_size}"' if y_size != size else ""
        out += [f'<text x="{_n(y_labels)}" y="{_n(y.at(v) + 0.35 * y_size)}" text-anchor="end"{y_font}>'
                f"{escape(text)}</text>" for v, text in y.ticks]
        title = settings["title"]
        if title.get("text"):
            cx = y_labels - y.widest_label(y_size) - title["standoff"] - 0.35 * title["font"]["size"]
            cy = (y.start + y.end) / 2
            out.append(f'<text class="cs-title" x="{_n(cx)}" y="{_n(cy)}" text-anchor="middle" '
                       f'transform="rotate(-90 {_n(cx)} {_n(cy)})">{escape(title["text"])}</text>')
    if marks:
        out.append(f'<path class="cs-axis" d="{"".join(marks)}"/>')
    out += _legend(legend, x.start, plot[1])
    out.append("</svg>")
    return "".join(out)


def _bars(trace: dict, x: ticks.Axis, y: ticks.Axis) -> list[str]:
    """Vertical bars from zero, one slot (1 unit of x) each."""
    half = BAR_WIDTH / 2 * (x.at(1) - x.at(0))
    d = "".join(f"M{_n(x.at(a) - half)},{_n(y.at(0))}V{_n(y.at(b))}H{_n(x.at(a) + half)}V{_n(y.at(0))}Z"
                for a, b in zip(trace["x"], trace["y"]))
    return [f'<path d="{d}" {_paint(fill=trace["marker"]["color"])}/>']


def _trace(trace: dict, x: ticks.Axis, y: ticks.Axis) -> list[str]:
    if trace["type"] == "bar":
        return _bars(trace, x, y)
    mode = trace.get("mode", "lines+markers")
    points = [(x.at(a), y.at(b)) for a, b in zip(trace["x"], trace["y"])]
    opacity = f' opacity="{trace["opacity"]}"' if trace.get("opacity", 1) != 1 else ""
    out = []
    if "lines" in mode:
        d = "M" + "L".join(f"{_n(px)},{_n(py)}" for px, py in points)
        out.append(f'<path d="{d}" fill="none" {_paint(stroke=trace["line"]["color"])} {_line(trace["line"])} '
                   f'stroke-linejoin="round"{opacity}/>')
    if "markers" in mode:
        marker = trace["marker"]
        r = marker.get("size", 6) / 2
        d = "".join(f"M{_n(px - r)},{_n(py)}a{_n(r)},{_n(r)} 0 1,0 {_n(2 * r)},0a{_n(r)},{_n(r)} 0 1,0 {_n(-2 * r)},0"
                    for px, py in points)
        edge = marker.get("line")
        paint = _paint(fill=marker["color"], **({"stroke": edge["color"]} if edge else {}))
        edge_width = f" {_line(edge)}" if edge else ""
        fade = f' fill-opacity="{marker["opacity"]}"' if "opacity" in marker else ""
        out.append(f'<path d="{d}" {paint}{edge_width}{fade}{opacity}/>')
    return out


def _shape(shape: dict, x: ticks.Axis, y: ticks.Axis, plot: tuple[float, float]) -> str:
    """A line or box in data coordinates or, with xref/yref "paper", as fractions of the plot area."""
    def at_y(value: float) -> float:
        return plot[0] + value * (plot[1] - plot[0]) if shape.get("yref", "y") == "paper" else y.at(value)

    x0, x1 = (x.paper(shape[k]) if shape.get("xref", "x") == "paper" else x.at(shape[k]) for k in ("x0", "x1"))
    y0, y1 = at_y(shape["y0"]), at_y(shape["y1"])
    stroke = f'{_paint(stroke=shape["line"]["color"])} {_line(shape["line"])}'
    if shape["type"] == "line":
        return f'<path d="M{_n(x0)},{_n(y0)}L{_n(x1)},{_n(y1)}" {stroke}/>'
    if shape["type"] == "rect":
        fill = shape.get("fillcolor", "none")
        fill = "none" if fill in ("none", "rgba(0,0,0,0)") else escape(fill)
        return (f'<rect x="{_n(min(x0, x1))}" y="{_n(min(y0, y1))}" width="{_n(abs(x1 - x0))}" '
                f'height="{_n(abs(y1 - y0))}" fill="{fill}" {stroke}/>')
    raise ValueError(f"chartsvg does not draw the shape {shape['type']!r}")


def _annotation(note: dict, x: ticks.Axis, y: ticks.Axis) -> str:
    """A label at a paper x and a data y, on a backing box as Plotly's bgcolor gives it."""
    if note.get("xref") != "paper" or note.get("yref") != "y" or note.get("showarrow", True):
        raise ValueError("chartsvg draws annotations placed at a paper x and a data y, without an arrow")
    xanchor = note.get("xanchor", "center")
    size = note.get("font", {}).get("size", 12)
    baseline = y.at(note["y"]) - 4 if note.get("yanchor") == "bottom" else y.at(note["y"]) + 0.35 * size
    left = x.paper(note["x"])
    width = ticks.label_width(note["text"], size) * 0.92
    box = left - {"left": 0, "right": width, "center": width / 2}[xanchor]
    colour = _paint(fill=note["font"]["color"]) if "color" in note.get("font", {}) else ""
    anchor = {"left": "start", "right": "end", "center": "middle"}[xanchor]
    return (f'<rect class="cs-note-box" x="{_n(box - 2)}" y="{_n(baseline - size)}" width="{_n(width + 4)}" '
            f'height="{_n(size * 1.3)}"/><text class="cs-note" x="{_n(left)}" y="{_n(baseline)}" '
            f'text-anchor="{anchor}" {colour}>{escape(note["text"])}</text>')


LEGEND_FONT = TEMPLATE["layout"]["legend"]["font"]["size"]


def _legend_rows(traces: list[dict], width: float) -> list[list[tuple[dict, float]]]:
    """The legend's entries (trace, width) in rows no wider than `width`, as a horizontal legend wraps."""
    rows: list[list[tuple[dict, float]]] = []
    used = width
    for trace in traces:
        w = 34 + ticks.label_width(trace["name"], LEGEND_FONT) + 12
        if used + w > width:
            rows.append([])
            used = 0.0
        rows[-1].append((trace, w))
        used += w
    return rows


def _legend(rows: list[list[tuple[dict, float]]], start: float, top: float) -> list[str]:
    """The legend above the plot area, a row at a time."""
    size = LEGEND_FONT
    out = []
    for i, row in enumerate(rows):
        cy, cx = top - 6 - LEGEND_ROW * (len(rows) - i - 0.5), start
        for trace, w in row:
            if "lines" in trace.get("mode", "lines"):
                line = {**trace["line"], "width": min(trace["line"].get("width", 2), 3)}
                out.append(f'<path d="M{_n(cx)},{_n(cy)}h28" {_paint(stroke=line["color"])} {_line(line)}/>')
            else:
                out.append(f'<circle cx="{_n(cx + 14)}" cy="{_n(cy)}" r="{_n(trace["marker"].get("size", 6) / 2)}" '
                           f'{_paint(fill=trace["marker"]["color"])}/>')
            out.append(f'<text x="{_n(cx + 34)}" y="{_n(cy + 0.35 * size)}">{escape(trace["name"])}</text>')
            cx += w
    return out
