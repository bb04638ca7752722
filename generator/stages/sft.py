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


MIN_DEV_PAIRS = 2    # fewer dev pairs than this are too noisy to decide anything: none are set aside


def dev_count(n_pairs: int, n_dev: int) -> int:
    """How many training pairs are set aside as dev pairs: n_dev, but never more than a quarter of them, and
    none if that leaves fewer than MIN_DEV_PAIRS (a course with fewer than 8 pairs never stops early)."""
    count = min(n_dev, n_pairs // 4)
    return count if count >= MIN_DEV_PAIRS else 0


def dev_split(n_pairs: int, n_dev: int, seed: int) -> set[int]:
    """Which training pairs are the dev pairs that decide when to stop: dev_count of them, drawn at random."""
    return set(np.random.default_rng([seed, 5]).permutation(n_pairs)[:dev_count(n_pairs, n_dev)].tolist())


def run(ctx: Context) -> dict:
    course, s = ctx.course, ctx.settings
    dev_ids = dev_split(len(course.sft_pairs), s.sft.dev_pairs, s.seed)
    questions = [(p, False) for p in course.sft_pairs] + [(p, True) for p in course.heldout_pairs]
    asked = [p.question for p, _ in questions] + [course.case.question]

    def example(p):
        return ctx.prompt(p.question), ctx.tok.encode(p.answer) + [ctx.end]
    examples = [example(p) for i, p in enumerate(course.sft_pairs) if i not in dev_ids]
    dev = [example(p) for i, p in enumerate(course.sft_pairs) if i in dev_ids]
    heldout = [example(p) for p in course.heldout_pairs]

    model = copy.deepcopy(ctx.models["pretrained"])       # the pretrained model itself stays as it was
    budget = answer_budget(ctx)
    before = ctx.answers(model, asked, min(budget, BEFORE_SFT_TOKENS))
    history = sft(model, examples, ctx.pad, ctx.train_ids, s.sft, np.random.default_rng([s.seed, 3]), ctx.log,
                  heldout, dev)
    after = ctx.answers(model, asked, budget)
    ctx.models["sft"] = model
    ctx.case.update(question=course.case.question, sft_answer=after[-1])
    return {
        "steps": history.steps, "loss": history.loss, "token_accuracy": history.token_accuracy,
        "heldout_loss_curve": history.heldout_loss, "heldout_token_accuracy_curve": history.heldout_token_accuracy,
        "dev_loss_curve": history.dev_loss, "best_step": history.best_step, "max_steps": s.sft.steps,
        "dev_pairs": len(dev), "dev_pairs_asked": s.sft.dev_pairs,
        "answer_budget": budget,
        "answers": [{"id": p.id, "heldout": held, "dev": not held and i in dev_ids, "question": p.question,
                     "expert": p.answer, "before": b, "after": a}
                    for i, ((p, held), b, a) in enumerate(zip(questions, before, after))],
    }


def summarise(part: dict) -> dict:
    """First and kept (the best step's) figures; the kept model is the one every later stage uses."""
    held, held_accuracy = part["heldout_loss_curve"], part["heldout_token_accuracy_curve"]
    kept = part["steps"].index(part["best_step"])
    return {
        "first_loss": part["loss"][0], "final_loss": part["loss"][kept],
        "first_token_accuracy": part["token_accuracy"][0],
        "final_token_accuracy": part["token_accuracy"][kept],
        "best_step": part["best_step"], "last_step": part["steps"][-1], "max_steps": part["max_steps"],
        "stopped_early": part["steps"][-1] < part["max_steps"], "dev_pairs": part["dev_pairs"],
        "dev_pairs_asked": part["dev_pairs_asked"],
        "dev_first_loss": part["dev_loss_curve"][0] if part["dev_loss_curve"] else None,
        "dev_loss": part["dev_loss_curve"][kept] if part["dev_loss_curve"] else None,
        "heldout_first_loss": held[0] if held else None, "heldout_loss": held[kept] if held else None,
        "heldout_lowest_loss": min(held) if held else None,
        "heldout_first_token_accuracy": held_accuracy[0] if held else None,
        "heldout_token_accuracy": held_accuracy[kept] if held else None,
    }
