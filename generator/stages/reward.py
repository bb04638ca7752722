"""Stage 3 in the pipeline: train the reward model on every pair, and cross-validated copies that
each score pairs they never saw; record how the held-out scores compare with baselines that know
nothing of the subject."""

from __future__ import annotations

import numpy as np

from .. import stats
from ..training import reward_baselines as baselines
from ..training.reward import cross_validated_margins, fold_numbers, score, train_reward_model
from ..workers import worker_pool
from .context import Context

TITLE = "reward model (Bradley-Terry)"


def run(ctx: Context) -> dict:
    s, prefs, sft_model = ctx.settings, ctx.course.preferences, ctx.models["sft"]
    chosen_text, rejected_text = [p.chosen for p in prefs], [p.rejected for p in prefs]
    chosen = [ctx.chat(p.prompt, p.chosen) for p in prefs]
    rejected = [ctx.chat(p.prompt, p.rejected) for p in prefs]
    word, side = baselines.giveaway_word(chosen_text, rejected_text)
    edited = ([ctx.chat(p.prompt, baselines.without_word(p.chosen, word)) for p in prefs],
              [ctx.chat(p.prompt, baselines.without_word(p.rejected, word)) for p in prefs]) if word else None
    ctx.log(f"training the reward model and {s.reward.folds} cross-validation models (each scores pairs it "
            "never saw) side by side, one per CPU core")
    with worker_pool(jobs=1 + s.reward.folds) as cores:
        final = cores.apply_async(train_reward_model, (sft_model, chosen, rejected, ctx.pad, s.reward,
                                                       np.random.default_rng([s.seed, 2])))
        heldout_margins, edited_margins = cross_validated_margins(sft_model, chosen, rejected, ctx.pad, s.reward,
                                                                  s.seed, cores.imap, edited)
        model, history = final.get()
    for line in history.lines():
        ctx.log(line)
    ctx.models["reward"] = model

    case = ctx.course.case
    case_texts = [case.specific_answer, case.vague_answer, ctx.case["sft_answer"]]
    case_scores = score(model, [ctx.chat(case.question, t) for t in case_texts], ctx.pad)
    ctx.case.update(specific_answer=case.specific_answer, vague_answer=case.vague_answer,
                    specific_score=float(case_scores[0]), vague_score=float(case_scores[1]),
                    sft_answer_score=float(case_scores[2]))

    fold_of = fold_numbers(len(prefs), s.reward.folds)
    final_chosen, final_rejected = score(model, chosen, ctx.pad), score(model, rejected, ctx.pad)
    answer_ids = ([ctx.tok.encode(t) for t in chosen_text], [ctx.tok.encode(t) for t in rejected_text])
    rules = {"length": baselines.length_rule(chosen_text, rejected_text),
             "one_word": baselines.word_rule(chosen_text, rejected_text, s.reward.folds),
             "bag_of_tokens": baselines.bag_of_tokens(*answer_ids, ctx.tok.size, s.reward.folds)}
    return {
        "baselines": {name: [float(x) for x in right] for name, right in rules.items()},   # per pair: 1, 0.5 or 0
        "word_rule": {"word": word, "marks": {1: "rejected", -1: "chosen", 0: "neither"}[side],
                      # the reward model's held-out accuracy when the word is deleted from every answer
                      "model_heldout_accuracy_without_word": float(np.mean(edited_margins > 0)) if word else None},
        "history": {"loss": history.loss, "rewards/chosen": history.chosen,
                    "rewards/rejected": history.rejected, "rewards/margins": history.margins,
                    "rewards/accuracies": history.accuracies},
        "pairs": [{"id": p.id, "category": p.category,
                   "chosen_score": float(c), "rejected_score": float(r), "margin": float(c - r),
                   "correct": bool(c > r), "heldout_margin": float(h), "heldout_correct": bool(h > 0),
                   "fold": int(f), "chosen_chars": len(p.chosen), "rejected_chars": len(p.rejected)}
                  for p, c, r, h, f in zip(prefs, final_chosen, final_rejected, heldout_margins, fold_of)],
    }


BASELINE_NAMES = {"length": "longer answer wins", "one_word": "one-word rule",
                  "bag_of_tokens": "bag-of-tokens logistic regression"}


def summarise(part: dict) -> dict:
    pairs, history = part["pairs"], part["history"]
    right = np.array([1.0 if p["heldout_correct"] else 0.0 for p in pairs])
    accuracy = {name: float(np.mean(scores)) for name, scores in part["baselines"].items()}
    strongest = max(accuracy, key=lambda name: (accuracy[name], name))      # ties: a fixed order
    n, k = len(pairs), float(right.sum())
    return {
        "first_loss": history["loss"][0], "final_loss": history["loss"][-1],
        "first_margin": history["rewards/margins"][0], "final_margin": history["rewards/margins"][-1],
        "train_accuracy": float(np.mean([p["correct"] for p in pairs])),
        "heldout_accuracy": k / n, "heldout_right": int(k), "pairs": n,
        "heldout_mean_margin": float(np.mean([p["heldout_margin"] for p in pairs])),
        "heldout_interval": list(stats.wilson_interval(k, n)),           # the true accuracy on pairs like these
        "heldout_predictive_interval": list(stats.predictive_interval(k, n)),   # the score on another n pairs
        "length_baseline_accuracy": accuracy["length"],
        "word_rule_accuracy": accuracy["one_word"],
        "bag_of_tokens_accuracy": accuracy["bag_of_tokens"],
        "strongest_baseline": strongest,
        "strongest_baseline_accuracy": accuracy[strongest],
        "vs_strongest_baseline_p": stats.sign_test(right, np.array(part["baselines"][strongest])),
        "vs_length_p": stats.sign_test(right, np.array(part["baselines"]["length"])),
        "heldout_accuracy_without_word": part["word_rule"]["model_heldout_accuracy_without_word"],
    }
