"""What the page's playground section reads from the run: the models labelled by the stage that trained
them, the data its JavaScript needs (the weights apart, so they are parsed only when used), and the
rows of its static tables (what the page carries; the printed snapshot)."""

from __future__ import annotations

from .training.tokenizer import ASSISTANT, END, END_OF_TEXT, SPECIAL_TOKENS, USER

SNAPSHOT_TEXTS = 3      # reference texts the printed snapshot shows
ATTENTION_WINDOW = 40   # the heatmaps show the last this many tokens (as playground.js does)


def models(view: dict) -> list[dict]:
    """Each shipped model with its stage's name from the course's teaching text, in training order."""
    stages = view["teaching"]["stages"]
    return [{**{k: v for k, v in m.items() if k != "weights"},
             "label": stages.get(m["stage"], {}).get("name", m["name"])}
            for m in view["run"]["playground"]["models"]]


def page_data(view: dict) -> dict:
    """Everything the playground's JavaScript reads, except the weights."""
    run, part = view["run"], view["run"]["playground"]
    case = run["case"]
    return {
        "architecture": part["architecture"],
        "vocab": run["tokenizer"]["vocab"], "merges": run["tokenizer"]["merges"],
        "special": list(SPECIAL_TOKENS),
        "chat": {"user": USER, "assistant": ASSISTANT, "end": END, "end_of_text": END_OF_TEXT,
                 "max_tokens": part["reference"]["chat"]["max_tokens"]},
        "models": [{k: m[k] for k in ("name", "stage", "kind", "label")} for m in models(view)],
        "defaults": {"text": part["reference"]["texts"][0]["text"], "question": case["question"],
                     "seed": run["config"]["seed"]},
        "attention_window": ATTENTION_WINDOW,
        "pairs": [{k: p[k] for k in ("id", "prompt", "chosen", "rejected")} for p in view["preferences"]],
        "judge": part["fool_the_judge"],
        "game": part["game"]["sentences"],
    }


def weights(run: dict) -> dict:
    """name -> {parameter path: {shape, float16}}: the one large block of the page."""
    return {m["name"]: m["weights"] for m in run["playground"]["models"]}


def snapshot(view: dict) -> list[dict]:
    """The printed page's stand-in for the live widget: NumPy's top-5 next tokens for a few fixed texts."""
    lms = [m for m in models(view) if m["kind"] == "language"]
    return [{"text": t["text"], "next": [(m, t["next"][m["name"]]) for m in lms]}
            for t in view["run"]["playground"]["reference"]["texts"][:SNAPSHOT_TEXTS]]


def initial(view: dict) -> dict:
    """What the section shows before its models load, as NumPy computed it with the shipped weights: the
    first reference text's tokens and bars, the first pair's scores. The JavaScript redraws the same
    things, so loading the models never moves the page."""
    part = view["run"]["playground"]
    first = part["reference"]["texts"][0]
    lms = [m for m in models(view) if m["kind"] == "language"]
    judge = next((m for m in models(view) if m["kind"] == "reward"), None)
    pair = view["preferences"][0]
    scores = {(r["prompt"], r["answer"]): r["score"] for r in part["reference"]["rewards"]
              if judge and r["model"] == judge["name"]}
    known = [t for t in first["tokens"] if t["id"] is not None]
    arch = part["architecture"]
    return {
        "text": first["text"], "tokens": first["tokens"], "known": len(known),
        "unknown": [t["text"] for t in first["tokens"] if t["id"] is None],
        "bars": [(m, first["next"][m["name"]]) for m in lms],
        "attention_tokens": known[-ATTENTION_WINDOW:], "attention_start": max(0, len(known) - ATTENTION_WINDOW),
        "heads": [(layer, head) for layer in range(arch["n_layer"]) for head in range(arch["n_head"])],
        "pair": pair, "scores": tuple(scores.get((pair["prompt"], pair[side])) for side in ("chosen", "rejected")),
    }
