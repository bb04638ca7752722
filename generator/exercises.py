"""The numbers behind the class exercises, derived from the run (their wording is in templates/exercises.j2).

The page (with a "check your answer" reveal) and the study guide (with the working) show the same
exercises. Every value here is a raw number; the templates format it through format.py.
"""

from __future__ import annotations

import math

SHOWN_PAIRS = 4     # pairs shown in "predict which pairs the reward model gets wrong"


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def numbers(run: dict) -> dict:
    summary = run["summary"]
    final = summary["pretrain"]["final_val_loss"]
    # the typical probability of the right next token, rounded as the student is shown it,
    # so the answer is exactly what their calculator gives
    p = max(0.01, round(math.exp(-final), 2))
    pairs = run["reward"]["pairs"]
    wrong = [i for i, pair in enumerate(pairs) if not pair["heldout_correct"]][:SHOWN_PAIRS // 2]
    right = [i for i, pair in enumerate(pairs) if pair["heldout_correct"]][:SHOWN_PAIRS - len(wrong)]
    shown = sorted(wrong + right)
    bt_pair = pairs[0]
    return {
        "p": p,
        "loss_at_p": -math.log(p),
        "ln_vocab": summary["theory"]["ln_vocab"],
        "predict": [{"number": i + 1, **pairs[i]} for i in shown],
        "predict_wrong": [i + 1 for i in shown if not pairs[i]["heldout_correct"]],
        "bt_margin": round(bt_pair["margin"], 3),
        "bt_probability": sigmoid(round(bt_pair["margin"], 3)),
        "bt_loss": -math.log(sigmoid(round(bt_pair["margin"], 3))),
    }
