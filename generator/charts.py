"""Run -> Plotly figure specs (plain dicts), drawn on the page in one dark template.

The palette here is the page's palette: the stylesheet reads the same colours,
so a stage has one colour everywhere. Hover text is formatted through format.py.
"""

from __future__ import annotations

import statistics

import plotly.graph_objects as go

from . import format as fmt
from . import ticks

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MONO = 'ui-monospace, "SF Mono", "Cascadia Code", "JetBrains Mono", Menlo, Consolas, monospace'

# One palette for the page and the charts (WCAG AA against --bg and --surface).
PALETTE: dict[str, str] = {
    "bg": "#0e1117",
    "surface": "#151a22",
    "surface-2": "#1b222c",
    "surface-3": "#232c38",
    "border": "#2b3543",
    "text": "#e8edf3",
    "muted": "#a7b3c2",
    "faint": "#8995a5",
    "grid": "#232c38",
    "axis": "#3b4757",
    "accent": "#8cb4ff",
    "pass": "#4fd18b",
    "fail": "#ff8a7a",
    "chosen": "#5fd4a6",
    "rejected": "#ff8f80",
    "baseline": "#b6c0cc",
}

# Each stage's colour, and a lighter tint for a second series of the same stage.
STAGE_COLOURS: dict[str, str] = {
    "pretrain": "#6ea8fe",
    "sft": "#b79cff",
    "reward": "#f2b45a",
    "rl": "#f58fb8",
}
STAGE_TINTS: dict[str, str] = {
    "pretrain": "#bcd6ff",
    "sft": "#e0d4ff",
    "reward": "#ffe0ad",
    "rl": "#ffd1e3",
}

# Shared by every figure; the page sends it once and sets it as layout.template.
TEMPLATE: dict = {
    "layout": {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 13, "color": PALETTE["muted"]},
        "colorway": list(STAGE_COLOURS.values()),
        "xaxis": {"gridcolor": PALETTE["grid"], "linecolor": PALETTE["axis"], "zeroline": False,
                  "ticks": "outside", "tickcolor": PALETTE["axis"], "ticklen": 4,
                  "title": {"standoff": 6, "font": {"size": 12}}},
        "yaxis": {"gridcolor": PALETTE["grid"], "linecolor": PALETTE["axis"], "zeroline": False,
                  "ticks": "outside", "tickcolor": PALETTE["axis"], "ticklen": 4,
                  "title": {"standoff": 8, "font": {"size": 12}}},
        "hoverlabel": {"bgcolor": PALETTE["surface-3"], "bordercolor": PALETTE["border"],
                       "font": {"family": FONT, "size": 13, "color": PALETTE["text"]}},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom",
                   "bgcolor": "rgba(0,0,0,0)", "font": {"size": 12, "color": PALETTE["muted"]}},
        "margin": {"l": 8, "r": 12, "t": 36, "b": 8},    # around the axes' labels; fit_margins adds room for them
        "hovermode": "closest",
        "dragmode": False,
    }
}

# Page-level options for Plotly.newPlot.
CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False, "doubleClick": False}

ROUND = 5   # chart coordinates only; every number a reader sees is formatted by format.py


def _r(values) -> list[float]:
    return [round(float(v), ROUND) for v in values]


def _line(x, y, name: str, colour: str, text: list[str], *, width: float = 2.2, dash: str = "solid",
          mode: str = "lines", opacity: float = 1.0, marker_size: int = 7, legend: bool = True) -> dict:
    trace = {"type": "scatter", "mode": mode, "x": list(x), "y": _r(y), "name": name,
             "line": {"color": colour, "width": width, "dash": dash}, "opacity": opacity,
             "text": text, "hovertemplate": "%{text}<extra></extra>", "showlegend": legend}
    if "markers" in mode:
        trace["marker"] = {"color": colour, "size": marker_size, "line": {"color": PALETTE["bg"], "width": 1.5}}
    return trace


def _reference(y: float, x0, x1, label: str, colour: str, dash: str, side: str) -> tuple[dict, dict]:
    """A horizontal reference line with a direct label (no legend entry)."""
    trace = {"type": "scatter", "mode": "lines", "x": [x0, x1], "y": _r([y, y]), "name": label,
             "line": {"color": colour, "width": 1.4, "dash": dash}, "hoverinfo": "skip", "showlegend": False}
    return trace, _note(0.005 if side == "left" else 0.995, y, label, colour, side)


def _layout(x_title: str, y_title: str, **extra) -> dict:
    layout = {"xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}}}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def moving_average(values: list[float], window: int) -> list[float]:
    """Trailing mean over up to `window` steps (the smoothed training curve)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def smoothing_window(steps: int) -> int:
    return max(5, steps // 30)


def pretrain_loss(run: dict) -> dict:
    pre = run["pretrain"]
    colour, tint = STAGE_COLOURS["pretrain"], STAGE_TINTS["pretrain"]
    train = pre["train_loss"]
    steps = list(range(len(train)))
    window = smoothing_window(len(train))
    smooth = moving_average(train, window)
    evals = pre["evals"]
    last = max(len(train) - 1, evals[-1]["step"])
    base = pre["baselines"]
    traces = [
        _line(steps, train, "Training loss, each step", colour, [f"Step {fmt.integer(s)}: training loss "
                                                                   f"{fmt.loss(v)}" for s, v in zip(steps, train)],
              width=1.2, opacity=0.35),
        _line(steps, smooth, f"Training loss, mean of last {window} steps", colour,
              [f"Step {fmt.integer(s)}: mean training loss {fmt.loss(v)}" for s, v in zip(steps, smooth)],
              width=2.6),
        _line([e["step"] for e in evals], [e["val_loss"] for e in evals], "Validation loss (unseen text)", tint,
              [f"Step {fmt.integer(e['step'])}: validation loss {fmt.loss(e['val_loss'])}, perplexity "
               f"{fmt.perplexity(e['perplexity'])}" for e in evals], mode="lines+markers", dash="dot", width=2.2),
    ]
    notes = []
    for key, label, dash, side in (("uniform", "uniform guess, ln V", "dash", "right"),
                                   ("unigram", "unigram baseline", "dashdot", "left"),
                                   ("bigram", "bigram baseline", "dot", "left")):
        trace, note = _reference(base[key], 0, last, f"{label} {fmt.loss(base[key])}", PALETTE["baseline"], dash,
                                 side)
        traces.insert(0, trace)
        notes.append(note)
    values = train + [e["val_loss"] for e in evals] + list(base.values())
    low, high = min(values), max(values)
    pad = 0.08 * (high - low or 1.0)
    return {"data": traces, "layout": _layout("training step", "loss (nats)", annotations=notes,
                                               yaxis={"range": [max(0.0, low - pad), high + pad]},
                                               xaxis={"range": [0, last]})}


def context(run: dict) -> dict:
    """Does more context help? The pretrained model's validation loss by position in the window, bucket by bucket."""
    buckets = run["summary"]["pretrain"]["position_val_loss"]
    labels = [f"{fmt.integer(b['from'])}-{fmt.integer(b['to'])}" for b in buckets]
    losses = [b["loss"] for b in buckets]
    at = list(range(len(buckets)))          # bars at 0, 1, 2, ... labelled with their positions
    trace = {"type": "bar", "x": at, "y": _r(losses), "name": "Validation loss",
             "marker": {"color": STAGE_COLOURS["pretrain"]},
             "text": [f"Positions {label}: validation loss {fmt.loss(v)}" for label, v in zip(labels, losses)],
             "textposition": "none", "hovertemplate": "%{text}<extra></extra>", "showlegend": False}
    bigram = run["summary"]["pretrain"]["bigram_val_loss"]
    _, note = _reference(bigram, 0, 1, f"bigram baseline {fmt.loss(bigram)}", PALETTE["baseline"], "dot", "right")
    line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": round(bigram, ROUND),
            "y1": round(bigram, ROUND), "line": {"color": PALETTE["baseline"], "width": 1.4, "dash": "dot"}}
    top = max(losses + [bigram]) * 1.1
    return {"data": [trace], "layout": _layout("positions in the window (tokens of context before them)",
                                               "validation loss (nats)", annotations=[note], shapes=[line],
                                               xaxis={"tickvals": at, "ticktext": labels, "showgrid": False,
                                                      "range": [-0.5, len(at) - 0.5]},
                                               yaxis={"range": [0, top]},
                                               margin={"t": 14})}


def sft_loss(run: dict) -> dict:
    sft = run["sft"]
    colour, tint = STAGE_COLOURS["sft"], STAGE_TINTS["sft"]
    steps = sft["steps"]
    traces = [_line(steps, sft["loss"], "Training questions", colour,
                    [f"Step {fmt.integer(s)}: loss on answer tokens {fmt.loss(v)}"
                     for s, v in zip(steps, sft["loss"])], width=2.6)]
    dev, held = sft["dev_loss_curve"], sft["heldout_loss_curve"]
    if dev:
        traces.append(_line(steps, dev, "Dev pairs", PALETTE["baseline"],
                            [f"Step {fmt.integer(s)}: dev loss {fmt.loss(v)}" for s, v in zip(steps, dev)],
                            width=2.0, dash="dot"))
        kept = dev[steps.index(sft["best_step"])]
        lowest = f"Step {fmt.integer(sft['best_step'])}: dev loss {fmt.loss(kept)}, the model kept"
        traces.append({**_line([sft["best_step"]], [kept], "Model kept", PALETTE["baseline"], [lowest],
                               mode="markers", marker_size=9, legend=False), "cliponaxis": False})
    if held:
        traces.append(_line(steps, held, "Held-out questions", tint,
                            [f"Step {fmt.integer(s)}: held-out loss {fmt.loss(v)} (never trained on)"
                             for s, v in zip(steps, held)], width=2.2, dash="dash"))
    top = max(sft["loss"] + dev + held) * 1.08
    shapes, kept = _kept_model(sft)
    return {"data": traces, "layout": _layout("fine-tuning step", "loss on answer tokens (nats)",
                                               annotations=kept, shapes=shapes,
                                               xaxis={"range": [0, steps[-1]]}, yaxis={"range": [0, top]})}


def _note(x: float, y: float, text: str, colour: str, side: str) -> dict:
    """A direct label at a fraction x of the plot's width and a data y."""
    return {"xref": "paper", "x": x, "xanchor": side, "yref": "y", "y": y, "yanchor": "bottom", "text": text,
            "showarrow": False, "font": {"size": 12, "color": colour}, "bgcolor": "rgba(14,17,23,0.75)"}


def _kept_model(sft: dict) -> tuple[list[dict], list[dict]]:
    """A vertical line at the step whose weights early stopping kept, labelled at its foot, where no curve runs
    (none without dev pairs)."""
    if not sft["dev_loss_curve"]:
        return [], []
    at = sft["best_step"] / (sft["steps"][-1] or 1)          # the x axis runs from 0 to the last step
    line = {"type": "line", "xref": "x", "x0": sft["best_step"], "x1": sft["best_step"], "yref": "paper", "y0": 0,
            "y1": 1, "line": {"color": STAGE_COLOURS["sft"], "width": 1.4, "dash": "dashdot"}}
    side = "left" if at < 0.6 else "right"
    return [line], [_note(at, 0, f" kept: step {fmt.integer(sft['best_step'])} ", STAGE_COLOURS["sft"], side)]


def sft_accuracy(run: dict) -> dict:
    sft = run["sft"]
    colour, tint = STAGE_COLOURS["sft"], STAGE_TINTS["sft"]
    steps = sft["steps"]
    traces = [_line(steps, sft["token_accuracy"], "Training questions", colour,
                    [f"Step {fmt.integer(s)}: {fmt.pct(v)} of answer tokens right"
                     for s, v in zip(steps, sft["token_accuracy"])], width=2.6)]
    held = sft["heldout_token_accuracy_curve"]
    if held:
        traces.append(_line(steps, held, "Held-out questions", tint,
                            [f"Step {fmt.integer(s)}: {fmt.pct(v)} of held-out answer tokens right (never trained on)"
                             for s, v in zip(steps, held)], width=2.2, dash="dash"))
    shapes, kept = _kept_model(sft)
    return {"data": traces, "layout": _layout("fine-tuning step", "answer tokens predicted right",
                                               annotations=kept, shapes=shapes, xaxis={"range": [0, steps[-1]]},
                                               yaxis={"range": [0, 1.04], "tickformat": ".0%"})}


def _reward_curve(run: dict, key: str, label: str, y_title: str, value, reference: tuple | None,
                  yaxis: dict | None = None) -> dict:
    series = run["reward"]["history"][key]
    steps = list(range(len(series)))
    traces = [_line(steps, series, label, STAGE_COLOURS["reward"],
                    [f"Step {fmt.integer(s)}: {label.lower()} {value(v)}" for s, v in zip(steps, series)],
                    mode="lines+markers", legend=False)]
    notes = []
    if reference:
        ref_y, ref_label = reference
        trace, note = _reference(ref_y, 0, steps[-1], ref_label, PALETTE["baseline"], "dash", "right")
        traces.insert(0, trace)
        notes.append(note)
    return {"data": traces, "layout": _layout("reward-model step", y_title, annotations=notes,
                                               yaxis=yaxis or {}, xaxis={"dtick": 1}, margin={"t": 14})}


def reward_loss(run: dict) -> dict:
    ln2 = run["summary"]["theory"]["ln_2"]
    top = max(run["reward"]["history"]["loss"] + [ln2]) * 1.12
    return _reward_curve(run, "loss", "Loss", "loss (nats)", fmt.loss,
                         (ln2, f"coin flip, ln 2 = {fmt.loss(ln2)}"), {"range": [0, top]})


def reward_margin(run: dict) -> dict:
    return _reward_curve(run, "rewards/margins", "Mean margin", "chosen − rejected score", fmt.signed,
                         (0.0, "no preference, margin 0"))


def reward_accuracy(run: dict) -> dict:
    return _reward_curve(run, "rewards/accuracies", "Accuracy", "pairs ranked right", fmt.pct,
                         (0.5, f"coin flip, {fmt.pct(0.5)}"), {"range": [0, 1.04], "tickformat": ".0%"})


def reward_scores(run: dict) -> dict:
    history = run["reward"]["history"]
    steps = list(range(len(history["rewards/chosen"])))
    traces = [_line(steps, history[key], label, colour,
                    [f"Step {fmt.integer(s)}: mean score of {label.lower()} {fmt.score(v)}"
                     for s, v in zip(steps, history[key])], mode="lines+markers")
              for key, label, colour in (("rewards/chosen", "Chosen answers", PALETTE["chosen"]),
                                         ("rewards/rejected", "Rejected answers", PALETTE["rejected"]))]
    return {"data": traces, "layout": _layout("reward-model step", "mean score", xaxis={"dtick": 1},
                                               margin={"t": 30})}


def _spread(count: int, width: float = 0.5) -> list[float]:
    """Deterministic vertical offsets (golden-ratio sequence) so equal scores do not hide each other."""
    return [((i * 0.6180339887) % 1.0 - 0.5) * width for i in range(count)]


def score_distribution(run: dict) -> dict:
    """Final scores of chosen and rejected answers as two strips of points, each with its box (quartiles)."""
    pairs = run["reward"]["pairs"]
    traces, shapes = [], []
    for row, (key, label, colour) in enumerate((("rejected_score", "Rejected", PALETTE["rejected"]),
                                                ("chosen_score", "Chosen", PALETTE["chosen"]))):
        scores = [p[key] for p in pairs]
        low, q1, median, q3, high = min(scores), *statistics.quantiles(scores, n=4, method="inclusive"), max(scores)
        line = {"color": colour, "width": 1.6}
        shapes += [
            {"type": "rect", "x0": q1, "x1": q3, "y0": row - 0.3, "y1": row + 0.3, "line": line,
             "fillcolor": "rgba(0,0,0,0)", "layer": "below"},
            {"type": "line", "x0": median, "x1": median, "y0": row - 0.3, "y1": row + 0.3, "line": line},
            {"type": "line", "x0": low, "x1": q1, "y0": row, "y1": row, "line": line, "layer": "below"},
            {"type": "line", "x0": q3, "x1": high, "y0": row, "y1": row, "line": line, "layer": "below"},
        ]
        traces.append({
            "type": "scatter", "mode": "markers", "name": label, "x": _r(scores),
            "y": _r(row + dy for dy in _spread(len(scores))),
            "marker": {"color": colour, "size": 8, "opacity": 0.9, "line": {"color": PALETTE["bg"], "width": 1}},
            "text": [f"{p['id']}: {label.lower()} answer scored {fmt.score(p[key])}" for p in pairs],
            "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
        })
    shapes.append({"type": "line", "xref": "x", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1,
                   "line": {"color": PALETTE["baseline"], "width": 1, "dash": "dot"}})
    return {"data": traces, "layout": _layout("final reward score", "", shapes=shapes, margin={"t": 10},
                                               yaxis={"tickvals": [0, 1], "ticktext": ["Rejected", "Chosen"],
                                                      "range": [-0.6, 1.6], "ticks": "", "showgrid": False,
                                                      "tickfont": {"size": 13}})}


RL_RUNS = (("beta", "KL penalty on", "solid", 2.6), ("beta0", "no KL penalty (beta = 0)", "dash", 2.0))


def _rl_eval_chart(run: dict, key: str, y_title: str, value, bon_key: str, yaxis: dict | None = None) -> dict:
    """A held-out measure at each evaluation step, for both RL runs, with the best-of-n line."""
    rl = run["rl"]
    traces = []
    for name, label, dash, width in RL_RUNS:
        evals = rl["runs"][name]["evals"]
        steps = [e["step"] for e in evals]
        colour = STAGE_COLOURS["rl"] if name == "beta" else STAGE_TINTS["rl"]
        traces.append(_line(steps, [e[key] for e in evals], label, colour,
                            [f"{label}, step {fmt.integer(e['step'])}: {value(e[key])}" for e in evals],
                            width=width, dash=dash, mode="lines+markers"))
    last = rl["runs"]["beta"]["evals"][-1]["step"]
    bon = rl["best_of_n"][bon_key]
    trace, note = _reference(bon, 0, last, f"best-of-{fmt.integer(rl['best_of_n']['n'])}, no training: {value(bon)}",
                             PALETTE["baseline"], "dot", "right")
    return {"data": [trace, *traces], "layout": _layout("RL step", y_title, annotations=[note], yaxis=yaxis or {},
                                                        xaxis={"range": [0, last]}, margin={"t": 30})}


def rl_score(run: dict) -> dict:
    return _rl_eval_chart(run, "score", "reward-model score", fmt.signed, "score")


def rl_rubric(run: dict) -> dict:
    return _rl_eval_chart(run, "rubric_score", "rubric score", fmt.pct, "rubric_score",
                          {"range": [0, 1.04], "tickformat": ".0%"})


def _rl_step_chart(run: dict, key: str, y_title: str, value) -> dict:
    """A per-step training log of both RL runs (measured on each step's sampled answers)."""
    traces = []
    for name, label, dash, width in RL_RUNS:
        series = run["rl"]["runs"][name][key]
        colour = STAGE_COLOURS["rl"] if name == "beta" else STAGE_TINTS["rl"]
        traces.append(_line(range(len(series)), series, label, colour,
                            [f"{label}, step {fmt.integer(i)}: {value(v)}" for i, v in enumerate(series)],
                            width=width, dash=dash, mode="lines+markers"))
    return {"data": traces, "layout": _layout("RL step", y_title, margin={"t": 30}, yaxis={"rangemode": "tozero"})}


def rl_kl(run: dict) -> dict:
    return _rl_step_chart(run, "kl", "KL from the reference (nats per answer)", fmt.number)


def rl_length(run: dict) -> dict:
    return _rl_step_chart(run, "length", "answer length (tokens)", fmt.number)


def rl_frontier(run: dict) -> dict:
    """The proxy and the gold standard against the drift that bought them: reward-model score (top) and
    rubric score (bottom) against KL from the reference, at each evaluation, for both runs."""
    rl, traces = run["rl"], []
    for name, label, dash, width in RL_RUNS:
        evals = rl["runs"][name]["evals"]
        colour = STAGE_COLOURS["rl"] if name == "beta" else STAGE_TINTS["rl"]
        for key, axis, value, what in (("score", "y", fmt.signed, "reward-model score"),
                                       ("rubric_score", "y2", fmt.pct, "rubric")):
            trace = _line([e["kl"] for e in evals], [e[key] for e in evals], label, colour,
                          [f"{label}, step {fmt.integer(e['step'])}: KL {fmt.number(e['kl'])}, {what} {value(e[key])}"
                           for e in evals], width=width, dash=dash, mode="lines+markers", legend=axis == "y")
            traces.append({**trace, "yaxis": axis})
    layout = _layout("KL from the reference (nats per answer)", "reward-model score", margin={"t": 30},
                     xaxis={"anchor": "y2"}, yaxis={"domain": [0.55, 1.0]},
                     yaxis2={"domain": [0.0, 0.42], "title": {"text": "rubric score"}, "tickformat": ".0%",
                             "range": [0, 1.04], "anchor": "x"})
    return {"data": traces, "layout": layout}


# chart id -> builder. The page draws them in this order.
CHARTS = {
    "pretrain-loss": pretrain_loss,
    "context": context,
    "sft-loss": sft_loss,
    "sft-accuracy": sft_accuracy,
    "reward-loss": reward_loss,
    "reward-margin": reward_margin,
    "reward-accuracy": reward_accuracy,
    "reward-scores": reward_scores,
    "score-distribution": score_distribution,
    "rl-score": rl_score,
    "rl-rubric": rl_rubric,
    "rl-kl": rl_kl,
    "rl-length": rl_length,
    "rl-frontier": rl_frontier,
}


LEGEND_TOP = 48     # px above the plot for a one-row legend (Plotly's own need there is 44 to 47 px)


def fit_margins(spec: dict) -> dict:
    """Set the margins to hold the axes' tick labels and titles (sized for a chart about 600 x 300 px),
    and the legend above the plot.

    Plotly's automargin finds them by drawing a chart, measuring its labels and drawing it again (and a
    legend taller than the top margin pushes it the same way); sized here, each chart is drawn once,
    which halves its cost in the browser.
    """
    layout = spec["layout"]
    margin = {**TEMPLATE["layout"]["margin"], **layout.get("margin", {})}
    if any(trace.get("showlegend", True) and trace.get("name") for trace in spec["data"]):
        margin["t"] = max(margin["t"], LEGEND_TOP)
    x, ys = ticks.axes({**spec, "layout": {**layout, "margin": margin}}, TEMPLATE, 600, 300)
    size = TEMPLATE["layout"]["font"]["size"]

    def room(axis: dict, labels: float) -> float:
        title = axis["title"]
        tick = axis["ticklen"] if axis.get("ticks") == "outside" else 0
        named = title["standoff"] + 1.2 * title["font"]["size"] if title.get("text") else 0
        return tick + 4 + labels + named

    left = 0.0
    for ref, y in ys.items():           # stacked y axes share the left margin: room for the widest
        settings = ticks.merged(TEMPLATE, layout, ticks.axis_key(ref))
        left = max(left, room(settings, y.widest_label(settings.get("tickfont", {}).get("size", size))))
    layout["margin"] = {**margin, "l": round(margin["l"] + left),
                        "b": round(margin["b"] + room(ticks.merged(TEMPLATE, layout, "xaxis"), 1.2 * size)),
                        "r": round(max(margin["r"], x.widest_label(size) / 2 + 2))}
    return spec


def figures(run: dict) -> dict[str, dict]:
    """Every chart of the page, as chart id -> {data, layout}.

    Each spec is checked against Plotly's schema (the plotly package pins the same
    plotly.js version the page embeds), so a misspelt attribute fails the build.
    """
    specs = {name: fit_margins(build(run)) for name, build in CHARTS.items()}
    for spec in specs.values():
        go.Figure(spec)             # raises ValueError naming any invalid property
    return specs
