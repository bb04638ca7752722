"""What the page template needs beyond the shared view: charts, table orderings, inlined CSS/JS, the CSP.

The shared view (render.build_view) holds the run and the course; this module
derives page-only structure from it (sort orders, token chips, bar geometry)
and never formats a number itself: templates format through format.py's filters.
"""

from __future__ import annotations

import ast
import math
import textwrap

from jinja2 import Environment
from markupsafe import Markup

from . import assets, charts, chartsvg, deck, playground_view
from .render import ALIGNMENT, GUIDE
from .source import SHORT_LINES, Excerpt, highlight_css, locate
from .training.tokenizer import ASSISTANT, END, USER

STAGE_ORDER = ("pretrain", "sft", "reward", "rl")
# Each page section that belongs to a stage (for colours and the pipeline links).
STAGE_SECTION = {"pretrain": "pretraining", "sft": "sft", "reward": "reward", "rl": "rl"}

# Metric cards: check id -> the summary keys whose change (first -> last) the card shows, if any.
CARDS: dict[str, tuple[str, str] | None] = {
    "untrained_near_ln_v": None,
    "val_below_uniform": ("pretrain.initial_loss", "pretrain.final_val_loss"),
    "val_below_bigram": None,
    "context_helps": None,
    "sft_loss_drop": ("sft.first_loss", "sft.final_loss"),
    "sft_token_accuracy": ("sft.first_token_accuracy", "sft.final_token_accuracy"),
    "sft_generalises": ("sft.heldout_first_loss", "sft.heldout_loss"),
    "rm_starts_at_ln2": None,
    "rm_train_accuracy": None,
    "rm_heldout_accuracy": None,
    "rm_beats_baselines": None,
    "rl_reward_rises": ("rl.reward_before", "rl.reward_after"),
    "rl_rubric_holds": ("rl.rubric_before", "rl.rubric_after"),
    "rl_beats_best_of_n": None,
    "rl_kl_restrains": None,
}

# the playground's own stylesheet and scripts (templates/page/), inlined and allowed by hash like page.js
PLAYGROUND_CODE = (("playground.css", "style"), ("playground_model.js", "script"), ("playground.js", "script"))
TOKEN_COLOURS = 6       # token chips cycle through this many background tints
MERGES_SHOWN = 12
DECK_TOKENS = 36        # token chips on the tokens slide
DECK_SAMPLE_CHARS = 150 # a model's text on a slide is cut (with an ellipsis) after this many characters


# A chart's height on the page by its size class (page.css); its static drawing (print, no Plotly) keeps the shape.
CHART_HEIGHTS = {"chart-short": 250, "chart-small": 250, "chart-wide": 380}
CHART_HEIGHT = 340
# ... and on a phone (page.css, max-width 760px), where the preview uses a narrow drawing of this width
NARROW_HEIGHTS = {"chart-short": 250, "chart-small": 250, "chart-wide": 360}
NARROW_HEIGHT = 300
NARROW_WIDTH = 360


def static_height(size: str, narrow: bool = False) -> int:
    heights, default = (NARROW_HEIGHTS, NARROW_HEIGHT) if narrow else (CHART_HEIGHTS, CHART_HEIGHT)
    return next((heights[c] for c in heights if c in size.split()), default)


def static_chart(figure: dict, size: str) -> Markup:
    """A chart's static drawing (printed, and shown where Plotly cannot run) and, inert in a template, a
    narrow one: charts.js previews a chart with whichever of the two comes out nearer its own size."""
    narrow = chartsvg.render(figure, static_height(size, narrow=True), NARROW_WIDTH)
    return Markup(chartsvg.render(figure, static_height(size))
                  + f'<template class="chart-static-narrow">{narrow}</template>')


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def docstring(excerpt: Excerpt) -> str:
    """The first paragraph of the excerpt's docstring, as a caption."""
    node = ast.parse(textwrap.dedent(excerpt.code)).body[0]
    doc = ast.get_docstring(node) or ""
    return " ".join(doc.split("\n\n")[0].split())


def pair_rows(run: dict, preferences: list[dict]) -> list[dict]:
    """Each preference pair with its texts, scores and its rank under every sortable column."""
    texts = {p["id"]: p for p in preferences}
    blank = {"prompt": "", "chosen": "", "rejected": "", "rationale": ""}
    rows = [{**blank, **texts.get(p["id"], {}), **p, "index": i} for i, p in enumerate(run["reward"]["pairs"])]
    orders = {
        "index": lambda r: r["index"],
        "category": lambda r: (r["category"], r["index"]),
        "chosen": lambda r: r["chosen_score"],
        "rejected": lambda r: r["rejected_score"],
        "margin": lambda r: r["margin"],
        "heldout": lambda r: r["heldout_margin"],
    }
    for key, order in orders.items():
        for rank, row in enumerate(sorted(rows, key=order)):
            row.setdefault("rank", {})[key] = rank
    return rows


def bars(values: dict[str, float], width: float = 100.0) -> dict[str, dict]:
    """Geometry (percent of the track) for signed bars around a shared zero."""
    low, high = min(0.0, *values.values()), max(0.0, *values.values())
    span = (high - low) or 1.0
    zero = (0 - low) / span * width
    out = {}
    for key, value in values.items():
        x = (value - low) / span * width
        out[key] = {"x": f"{min(x, zero):.2f}", "w": f"{max(abs(x - zero), 0.4):.2f}",
                    "positive": value >= 0}
    out["zero"] = f"{zero:.2f}"
    return out


def token_merges(run: dict) -> list[tuple[str, str, str]]:
    vocab = run["tokenizer"]["vocab"]
    return [(vocab[a], vocab[b], vocab[a] + vocab[b]) for a, b in run["tokenizer"]["merges"][:MERGES_SHOWN]]


def samples_by_prompt(run: dict) -> list[tuple[str, list[dict]]]:
    grouped: dict[str, list[dict]] = {}
    for sample in run["pretrain"]["samples"]:
        grouped.setdefault(sample["prompt"], []).append(sample)
    return list(grouped.items())


def _words(*texts: str) -> int:
    return sum(len(t.split()) for t in texts)


def deck_view(view: dict) -> dict:
    """What the slides need beyond the page: the deck's structure, and the shortest examples
    (a slide holds few words)."""
    run, teaching = view["run"], view["teaching"]
    trained = [a for a in run["sft"]["answers"] if not a["heldout"] and not a["dev"]]
    heldout = [a for a in run["sft"]["answers"] if a["heldout"]] or trained
    preferences = {p["id"]: p for p in view.get("preferences", [])}
    pairs = [{**preferences.get(p["id"], {}), **p} for p in run["reward"]["pairs"]]
    systems: dict[str, dict] = {}
    for system in view["production"]:
        best = systems.get(system["stage"])
        if best is None or len(system["figure"]) < len(best["figure"]):
            systems[system["stage"]] = system
    stage_number = {stage: i + 1 for i, stage in enumerate(STAGE_ORDER)}
    section_title = view["section_title"]

    def kicker(part: deck.Part) -> str:
        if part.stage:
            return f"Stage {stage_number[part.stage]} · {teaching['stages'][part.stage]['name']}"
        return section_title.get(part.section, "")

    return {
        "deck": deck.DECK, "deck_plans": deck.PLANS, "slide_id": deck.slide_id, "deck_kicker": kicker,
        "slide_plans": lambda slide: [m for m, n in zip(deck.PLANS, slide.minutes) if n],
        "deck_notes": teaching.get("notes", {}),
        "deck_demo": min(trained or heldout, key=lambda a: _words(a["question"], a["expert"])),
        "deck_heldout": min(heldout, key=lambda a: _words(a["question"], a["after"])),
        "deck_rl_question": min(run["rl"]["questions"], key=lambda q: _words(q["question"], q["sft_answer"],
                                                                             q["policy_answer"])),
        "deck_pair": min(pairs, key=lambda p: _words(p.get("prompt", ""), p.get("chosen", ""), p.get("rejected", ""))),
        "pair_prompt": {p["id"]: p.get("prompt", p["id"]) for p in pairs},
        "deck_systems": systems, "deck_tokens": DECK_TOKENS, "deck_sample_chars": DECK_SAMPLE_CHARS,
        "deck_break_minutes": max(slide.minutes[-1] for _, slide in deck.slides() if slide.name == "break"),
        "code_part": lambda symbol, first=None, last=None: locate(symbol).part(first, last),
    }


def page_view(view: dict, env: Environment) -> dict:
    """Extra template variables for templates/page/index.html.j2."""
    run = view["run"]
    bundle = assets.plotly_bundle()
    css = assets.inline_code(env.get_template("page/page.css").render(
        palette=charts.PALETTE, stage_colours=charts.STAGE_COLOURS, stage_tints=charts.STAGE_TINTS,
        highlight=highlight_css(), font=charts.FONT, mono=charts.MONO,
        fold_lines=SHORT_LINES), "style")
    js = assets.inline_code(env.loader.get_source(env, "page/page.js")[0], "script")
    deck_js = assets.inline_code(env.loader.get_source(env, "page/deck.js")[0], "script")
    charts_js = assets.inline_code(env.loader.get_source(env, "page/charts.js")[0], "script")
    first_screen_js = assets.inline_code(env.loader.get_source(env, "page/first_screen.js")[0], "script")
    pg = {name: assets.inline_code(env.loader.get_source(env, f"page/{name}")[0], tag) for name, tag in PLAYGROUND_CODE}
    figures = charts.figures(run)
    chart_data = {"template": charts.TEMPLATE, "config": charts.CONFIG, "figures": figures}
    scripts = [assets.csp_hash(s) for s in (first_screen_js, js, charts_js, deck_js)] + [bundle.sha256,
               assets.csp_hash(pg["playground_model.js"]), assets.csp_hash(pg["playground.js"])]
    styles = [assets.csp_hash(css), assets.csp_hash(""), assets.csp_hash(pg["playground.css"])]
    csp = assets.content_security_policy(scripts, styles)
    docs = {ex.symbol: docstring(ex) for excerpts in view["code"].values() for ex in excerpts}
    case = run["case"]
    return {
        "css": Markup(css), "js": Markup(js), "deck_js": Markup(deck_js), "first_screen_js": Markup(first_screen_js),
        "charts_js": Markup(charts_js),
        "static_chart": lambda chart_id, size="": static_chart(figures[chart_id], size),
        "csp": csp,
        "chart_json": Markup(assets.json_script(chart_data)), "plotly": bundle,
        "stage_order": STAGE_ORDER, "stage_section": STAGE_SECTION, "cards": CARDS,
        "docstrings": docs, "sigmoid": sigmoid, "companion": {"guide": GUIDE, "alignment": ALIGNMENT},
        "token_colours": TOKEN_COLOURS,
        "pairs": pair_rows(run, view.get("preferences", [])),
        "categories": list(dict.fromkeys(p["category"] for p in run["reward"]["pairs"])),
        "merges": token_merges(run), "samples": samples_by_prompt(run), "prompt_samples": samples_by_prompt(run),
        "smoothing_window": charts.smoothing_window(len(run["pretrain"]["train_loss"])),
        "case_bars": bars({"specific": case["specific_score"], "vague": case["vague_score"],
                           "sft": case["sft_answer_score"], "rl": case["rl_answer_score"]}),
        "chat": {"user": USER, "assistant": ASSISTANT, "end": END},
        **deck_view(view),
        **playground_page(view, pg),
    }


def playground_page(view: dict, code: dict[str, str]) -> dict:
    """The playground section's template variables: its models, data, weights, snapshot and inlined code."""
    data = playground_view.page_data(view)
    return {"pg_models": playground_view.models(view), "pg_data": data, "pg_snapshot": playground_view.snapshot(view),
            "pg_initial": playground_view.initial(view),
            "pg_data_json": Markup(assets.json_script(data, sort_keys=True)),
            "pg_weights_json": Markup(assets.json_script(playground_view.weights(view["run"]), sort_keys=True)),
            "pg_css": Markup(code["playground.css"]), "pg_model_js": Markup(code["playground_model.js"]),
            "pg_js": Markup(code["playground.js"])}
