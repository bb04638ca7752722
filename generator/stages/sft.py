"""Stage 2 in the pipeline: fine-tune a copy of the pretrained model on the expert pairs; record the
loss on the training pairs and on held-out questions, and what the model answers before and after."""

from __future__ import annotations

import copy

import numpy as np

from ..training.sft import sft
from .context import Context

TITLE = "supervised fine-tuning (completion-only loss)"

ANSWER_SLACK = 8           # tokens allowed beyond the longest expert answer when a model answers
QUICK_ANSWER_TOKENS = 32   # a --quick run is a rehearsal: its (unfinished) models' answers are cut short
BEFORE_SFT_TOKENS = 40     # the pretrained model never stops on its own: 40 tokens show what it does


def answer_budget(ctx: Context) -> int:
    """How many tokens a fine-tuned model may write: the longest expert answer and a little more."""
    pairs = ctx.course.sft_pairs + ctx.course.heldout_pairs
    budget = max(len(ctx.tok.encode(p.answer)) + 1 for p in pairs) + ANSWER_SLACK
    return min(budget, QUICK_ANSWER_TOKENS) if ctx.quick else budget


def run(ctx: Context) -> dict:
    course, s = ctx.course, ctx.settings
    questions = [(p, False) for p in course.sft_pairs] + [(p, True) for p in course.heldout_pairs]
    asked = [p.question for p, _ in questions] + [course.case.question]
    examples = [(ctx.prompt(p.question), ctx.tok.encode(p.answer) + [ctx.end]) for p in course.sft_pairs]
    heldout = [(ctx.prompt(p.question), ctx.tok.encode(p.answer) + [ctx.end]) for p in course.heldout_pairs]

    model = copy.deepcopy(ctx.models["pretrained"])       # the pretrained model itself stays as it was
    budget = answer_budget(ctx)
    before = ctx.answers(model, asked, min(budget, BEFORE_SFT_TOKENS))
    history = sft(model, examples, ctx.pad, ctx.train_ids, s.sft, np.random.default_rng([s.seed, 3]), ctx.log,
                  heldout)
    after = ctx.answers(model, asked, budget)
    ctx.models["sft"] = model
    ctx.case.update(question=course.case.question, sft_answer=after[-1])
    return {
        "steps": history.steps, "loss": history.loss, "token_accuracy": history.token_accuracy,
        "heldout_loss_curve": history.heldout_loss, "heldout_token_accuracy_curve": history.heldout_token_accuracy,
        "answer_budget": budget,
        "answers": [{"id": p.id, "heldout": held, "question": p.question, "expert": p.answer,
                     "before": b, "after": a}
                    for (p, held), b, a in zip(questions, before, after)],
    }


def summarise(part: dict) -> dict:
    held, held_accuracy = part["heldout_loss_curve"], part["heldout_token_accuracy_curve"]
    return {
        "first_loss": part["loss"][0], "final_loss": part["loss"][-1],
        "first_token_accuracy": part["token_accuracy"][0],
        "final_token_accuracy": part["token_accuracy"][-1],
        "heldout_first_loss": held[0] if held else None, "heldout_loss": held[-1] if held else None,
        "heldout_lowest_loss": min(held) if held else None,
        "heldout_first_token_accuracy": held_accuracy[0] if held else None,
        "heldout_token_accuracy": held_accuracy[-1] if held else None,
    }
