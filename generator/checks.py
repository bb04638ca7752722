"""Verdicts on the run: each states its rule and whether this run met it.

The page colours its metric cards with these, and the docs quote them, so the
words 'passed' or 'missed' always follow from the numbers.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from .format import loss, pct, signed


@dataclass(frozen=True)
class Check:
    id: str
    stage: str          # pretrain | sft | reward
    label: str          # what is measured
    value: str          # this run's figure, formatted
    rule: str           # the rule, in words, with its threshold from this run
    passed: bool


def run_checks(summary: dict) -> list[Check]:
    p, s, r, t = summary["pretrain"], summary["sft"], summary["reward"], summary["theory"]
    ln_v = t["ln_vocab"]
    return [
        Check("untrained_near_ln_v", "pretrain", "Loss before training", loss(p["initial_loss"]),
              f"within 5% of ln V = {loss(ln_v)} (an untrained model guesses uniformly)",
              abs(p["initial_loss"] - ln_v) <= 0.05 * ln_v),
        Check("val_below_uniform", "pretrain", "Final validation loss", loss(p["final_val_loss"]),
              f"at least 35% below ln V, i.e. at most {loss(0.65 * ln_v)}",
              p["final_val_loss"] <= 0.65 * ln_v),
        Check("val_below_bigram", "pretrain", "Final validation loss vs bigram", loss(p["final_val_loss"]),
              f"below the bigram baseline's {loss(p['bigram_val_loss'])}",
              p["final_val_loss"] < p["bigram_val_loss"]),
        Check("sft_loss_drop", "sft", "Final SFT loss", loss(s["final_loss"]),
              f"at most 25% of the first step's {loss(s['first_loss'])}, i.e. {loss(0.25 * s['first_loss'])}",
              s["final_loss"] <= 0.25 * s["first_loss"]),
        Check("sft_token_accuracy", "sft", "Answer-token accuracy", pct(s["final_token_accuracy"]),
              "at least 90% of the expert's answer tokens predicted", s["final_token_accuracy"] >= 0.9),
        Check("rm_starts_at_ln2", "reward", "First reward-model loss", loss(r["first_loss"]),
              f"close to ln 2 = {loss(t['ln_2'])}, since a fresh head gives margins near 0",
              abs(r["first_loss"] - t["ln_2"]) <= 0.1),
        Check("rm_train_accuracy", "reward", "Training pairs ranked right", pct(r["train_accuracy"]),
              "every training pair ranked right (100%)", r["train_accuracy"] == 1.0),
        Check("rm_heldout_accuracy", "reward", "Held-out pairs ranked right", pct(r["heldout_accuracy"]),
              f"at least 75% with a positive mean held-out margin (here {signed(r['heldout_mean_margin'])})",
              r["heldout_accuracy"] >= 0.75 and r["heldout_mean_margin"] > 0),
        Check("rm_beats_length", "reward", "Held-out accuracy vs length rule", pct(r["heldout_accuracy"]),
              f"above the longer-answer-wins baseline's {pct(r['length_baseline_accuracy'])}",
              r["heldout_accuracy"] > r["length_baseline_accuracy"]),
        Check("rm_beats_word_rule", "reward", "Held-out accuracy vs one-word rule", pct(r["heldout_accuracy"]),
              f"above the one-word rule's {pct(r['word_rule_accuracy'])} (one word alone judges each pair)",
              r["heldout_accuracy"] > r["word_rule_accuracy"]),
    ]


WORD_SHORTCUT = 0.65    # a one-word rule this good on held-out pairs is a shortcut a model could take


def word_reliance(summary: dict) -> str | None:
    """How much the reward model leans on the giveaway word, from its held-out accuracy with the word
    deleted: 'little' (within 5 points of before), 'partly' (still above 60%) or 'mostly' (near a
    coin toss). None when no word is a real shortcut (the one-word rule ranks under 65% of held-out
    pairs right): deleting such a word mostly measures how the model copes with edited text."""
    r = summary["reward"]
    without = r["heldout_accuracy_without_word"]
    if without is None or r["word_rule_accuracy"] < WORD_SHORTCUT:
        return None
    if without >= r["heldout_accuracy"] - 0.05:
        return "little"
    return "partly" if without > 0.6 else "mostly"


def accuracy_interval(accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval around an accuracy measured on n pairs: how far the figure could
    move on another draw of pairs of the same kind."""
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


READABLE = 0.8     # an answer with fewer of its words in the course's own texts reads as garbled


def known_word_share(text: str, course_texts: list[str]) -> float:
    """The share of an answer's words that occur anywhere in the course's texts: near 1 for an
    answer in the course's language, low for garbled output (a number, not a judgement of content)."""
    vocabulary = {w for t in course_texts for w in re.findall(r"[a-z]+", t.lower())}
    used = re.findall(r"[a-z]+", text.lower())
    return sum(w in vocabulary for w in used) / len(used) if used else 0.0


CLOSE_CALL = 0.4    # a margin smaller than this is under 60% under Bradley-Terry: a near coin flip
NEAR_TWIN = 0.8     # answers sharing this much of their wording say nearly the same thing
SCORE_GAP = 1.0     # a score gap this large is a 73% preference under Bradley-Terry


def case_twin_gap(case: dict) -> dict | None:
    """When the fine-tuned model's answer to the case is worded almost like the specific reference
    answer yet the reward model scores the two far apart: the brittleness RL would exploit.
    Returns the shared-wording share and the score gap (own answer minus reference), else None."""
    own, reference = case["sft_answer"].lower().split(), case["specific_answer"].lower().split()
    shared = difflib.SequenceMatcher(None, own, reference, autojunk=False).ratio()
    gap = case["sft_answer_score"] - case["specific_score"]
    return {"shared": shared, "gap": gap} if shared >= NEAR_TWIN and abs(gap) >= SCORE_GAP else None
