"""What the page's playground section reads from the run: the models labelled by the stage that trained
them, the data its JavaScript needs (the weights apart, so they are parsed only when used), and the
rows of its static tables (what the page carries; the printed snapshot)."""

from __future__ import annotations

from .training.tokenizer import ASSISTANT, END, END_OF_TEXT, SPECIAL_TOKENS, USER

SNAPSHOT_TEXTS = 3      # reference texts the printed snapshot shows


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
        "defaults": {"text": case["prompt_prefix"], "question": case["question"], "seed": run["config"]["seed"]},
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
