"""Course -> Run: run the three training stages and capture everything they produce.

The Run is a plain JSON-able dict (written as build/metrics.json); it is the
single source of every number the page and the documents show.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .content import Course, Settings
from .training import baselines
from .training.model import GPT, generate
from .training.pretrain import pretrain
from .training.reward import (
    cross_validated_margins,
    fold_numbers,
    giveaway_word,
    length_baseline_accuracy,
    score,
    train_reward_model,
    without_word,
    word_rule_accuracy,
)
from .training.sft import build_batch, sft, token_accuracy
from .training.tokenizer import END, END_OF_TEXT, Tokenizer, chat_example, chat_prompt
from .workers import worker_pool

TRAINING_DIR = Path(__file__).parent / "training"
ANSWER_SLACK = 8     # tokens allowed beyond the longest expert answer when a model answers
QUICK_ANSWER_TOKENS = 32   # a --quick run is a rehearsal: its (unfinished) models' answers are cut short
BEFORE_SFT_TOKENS = 40     # the pretrained model never stops on its own: 40 tokens show what it does

Log = Callable[[str], None]


def code_version() -> str:
    """A short hash of the training code, so a run card says which code made it."""
    digest = hashlib.sha256()
    for path in sorted(TRAINING_DIR.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def split_corpus(tok: Tokenizer, course: Course, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Tokenise each document; its last `val_fraction` goes to validation."""
    eot = tok.ids[END_OF_TEXT]
    train, val = [], []
    for doc in course.corpus:
        ids = tok.encode(doc.text)
        cut = int(len(ids) * (1 - val_fraction))
        train += ids[:cut] + [eot]
        val += ids[cut:] + [eot]
    return np.array(train), np.array(val)


def answers(model: GPT, tok: Tokenizer, questions: list[str], max_tokens: int) -> list[str]:
    """Ask chat questions; the model answers each greedily until <|end|> (or max_tokens)."""
    outs = generate(model, [tok.encode(chat_prompt(q)) for q in questions], max_tokens, stop=tok.ids[END])
    return [tok.decode([i for i in out if i != tok.ids[END]]) for out in outs]


# A diverging run overflows on its way to a NaN loss: that is reported once, clearly, by
# stop_if_diverged (naming stage and step), not as a screenful of NumPy warnings first.
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def run_pipeline(course: Course, quick: bool = False, log: Log = print, timings: dict | None = None) -> dict:
    """Train all three stages on `course` and return the Run (per-stage seconds go into `timings`)."""
    s: Settings = course.quick_settings if quick else course.settings
    timings = {} if timings is None else timings

    log("== Tokenizer: byte-pair encoding ==")
    tok = course.tokenizer(s.vocab_size)
    train_ids, val_ids = split_corpus(tok, course, s.val_fraction)
    log(f"{tok.size} tokens ({len(tok.merges)} merges); {len(train_ids)} training and "
        f"{len(val_ids)} validation tokens")

    log("== Stage 1: pretraining (next-token prediction) ==")
    started = time.perf_counter()
    rng = np.random.default_rng(s.seed)
    model = GPT(rng, s.model)
    prompts = {p: tok.encode(p) for p in course.case.sample_prompts}
    pre = pretrain(model, train_ids, val_ids, prompts, s.pretrain, rng, log)
    base = {"uniform": baselines.uniform_loss(tok.size),
            "unigram": baselines.unigram_loss(train_ids, val_ids, tok.size),
            "bigram": baselines.bigram_loss(train_ids, val_ids, tok.size)}
    case_rng = np.random.default_rng([s.seed, 1])
    prefix = tok.encode(course.case.prompt_prefix)
    case_continuation = tok.decode(generate(model, [prefix], s.pretrain.sample_tokens, case_rng,
                                            s.pretrain.temperature)[0])
    timings["pretrain"] = time.perf_counter() - started

    log("== Stage 2: supervised fine-tuning (completion-only loss) ==")
    started = time.perf_counter()
    questions = [(p, False) for p in course.sft_pairs] + [(p, True) for p in course.heldout_pairs]
    asked = [p.question for p, _ in questions] + [course.case.question]
    examples = [(tok.encode(chat_prompt(p.question)), tok.encode(p.answer + END)) for p in course.sft_pairs]
    heldout_examples = [(tok.encode(chat_prompt(p.question)), tok.encode(p.answer + END))
                        for p in course.heldout_pairs]
    budget = max(len(a) for _, a in examples + heldout_examples) + ANSWER_SLACK
    budget = min(budget, QUICK_ANSWER_TOKENS) if quick else budget
    before = answers(model, tok, asked, min(budget, BEFORE_SFT_TOKENS))
    heldout_before = _heldout_fit(model, heldout_examples, tok.ids[END_OF_TEXT])
    sft_log = sft(model, examples, tok.ids[END_OF_TEXT], s.sft, log)
    after = answers(model, tok, asked, budget)
    heldout_fit = _heldout_fit(model, heldout_examples, tok.ids[END_OF_TEXT])
    case_sft_answer = after[-1]
    timings["sft"] = time.perf_counter() - started

    log("== Stage 3: reward model (Bradley-Terry) ==")
    started = time.perf_counter()
    prefs = course.preferences
    chosen = [tok.encode(chat_example(p.prompt, p.chosen)) for p in prefs]
    rejected = [tok.encode(chat_example(p.prompt, p.rejected)) for p in prefs]
    pad = tok.ids[END_OF_TEXT]
    log(f"training the reward model and {s.reward.folds} cross-validation models (each scores pairs it never saw) "
        "side by side, one per CPU core")
    chosen_text, rejected_text = [p.chosen for p in prefs], [p.rejected for p in prefs]
    word, side = giveaway_word(chosen_text, rejected_text)
    edited = ([tok.encode(chat_example(p.prompt, without_word(p.chosen, word))) for p in prefs],
              [tok.encode(chat_example(p.prompt, without_word(p.rejected, word))) for p in prefs]) if word else None
    with worker_pool(jobs=1 + s.reward.folds) as cores:
        final = cores.apply_async(train_reward_model, (model, chosen, rejected, pad, s.reward,
                                                       np.random.default_rng([s.seed, 2])))
        heldout_margins, edited_margins = cross_validated_margins(model, chosen, rejected, pad, s.reward, s.seed,
                                                                  cores.imap, edited)
        rm, rm_log = final.get()
    for line in rm_log.lines():
        log(line)
    fold_of = fold_numbers(len(prefs), s.reward.folds)
    final_chosen, final_rejected = score(rm, chosen, pad), score(rm, rejected, pad)
    case_texts = [course.case.specific_answer, course.case.vague_answer, case_sft_answer]
    case_scores = score(rm, [tok.encode(chat_example(course.case.question, t)) for t in case_texts], pad)
    length_acc = length_baseline_accuracy(chosen_text, rejected_text)
    timings["reward"] = time.perf_counter() - started

    run = {
        "config": _config(s, quick, tok),
        "data": {
            "corpus_documents": len(course.corpus),
            "corpus_words": sum(len(d.text.split()) for d in course.corpus),
            "corpus_characters": sum(len(d.text) for d in course.corpus),
            "train_tokens": int(len(train_ids)), "val_tokens": int(len(val_ids)),
            "sft_pairs": len(course.sft_pairs), "heldout_questions": len(course.heldout_pairs),
            "preference_pairs": len(prefs),
        },
        "tokenizer": {"vocab": tok.vocab, "merges": [list(m) for m in tok.merges],
                      "alphabet_size": len(course.alphabet()),
                      "sample": _token_chips(tok, course.corpus[0].text)},
        "pretrain": {
            "train_loss": pre.train_loss, "evals": pre.evals, "baselines": base,
            "samples": [{"step": x["step"], "prompt": x["prompt"], "text": tok.decode(x["ids"])}
                        for x in pre.samples],
        },
        "sft": {
            "loss": sft_log.loss, "token_accuracy": sft_log.token_accuracy,
            "heldout_loss": heldout_fit[0], "heldout_token_accuracy": heldout_fit[1],
            "heldout_first_loss": heldout_before[0], "heldout_first_token_accuracy": heldout_before[1],
            "answers": [{"id": p.id, "heldout": held, "question": p.question, "expert": p.answer,
                         "before": b, "after": a}
                        for (p, held), b, a in zip(questions, before, after)],
        },
        "reward": {
            "length_baseline_accuracy": length_acc,
            "word_rule": {"word": word, "marks": {1: "rejected", -1: "chosen", 0: "neither"}[side],
                          "heldout_accuracy": word_rule_accuracy(chosen_text, rejected_text, s.reward.folds),
                          # the reward model's held-out accuracy when the word is deleted from every answer
                          "model_heldout_accuracy_without_word":
                              float(np.mean(edited_margins > 0)) if word else None},
            "history": {"loss": rm_log.loss, "rewards/chosen": rm_log.chosen,
                        "rewards/rejected": rm_log.rejected, "rewards/margins": rm_log.margins,
                        "rewards/accuracies": rm_log.accuracies},
            "pairs": [{"id": p.id, "category": p.category,
                       "chosen_score": float(c), "rejected_score": float(r), "margin": float(c - r),
                       "correct": bool(c > r), "heldout_margin": float(h), "heldout_correct": bool(h > 0),
                       "fold": int(f), "chosen_chars": len(p.chosen), "rejected_chars": len(p.rejected)}
                      for p, c, r, h, f in zip(prefs, final_chosen, final_rejected, heldout_margins, fold_of)],
        },
        "case": {
            "prompt_prefix": course.case.prompt_prefix, "pretrain_continuation": case_continuation,
            "question": course.case.question, "sft_answer": case_sft_answer,
            "specific_answer": course.case.specific_answer, "vague_answer": course.case.vague_answer,
            "specific_score": float(case_scores[0]), "vague_score": float(case_scores[1]),
            "sft_answer_score": float(case_scores[2]),
        },
    }
    run["summary"] = summarise(run)
    log(f"done in {sum(timings.values()):.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")
    return run


def _heldout_fit(model: GPT, examples: list, pad_id: int) -> tuple[float | None, float | None]:
    """Loss and answer-token accuracy on held-out questions the model never trained on."""
    if not examples:
        return None, None
    x, y, mask = build_batch(examples, pad_id)
    logits = model(x)
    return float(logits.cross_entropy(y, mask).data), token_accuracy(logits.data, y, mask)


def _token_chips(tok: Tokenizer, text: str, words: int = 40) -> list[str]:
    """The opening of the first corpus document, split into its BPE tokens."""
    opening = " ".join(text.split()[:words])
    return [tok.vocab[i] for i in tok.encode(opening)]


def _config(s: Settings, quick: bool, tok: Tokenizer) -> dict:
    params = GPT(np.random.default_rng(0), s.model).parameters()
    return {
        "seed": s.seed, "vocab_size": s.vocab_size, "merges": len(tok.merges), "quick": quick,
        "val_fraction": s.val_fraction, "code_version": code_version(),
        "parameters": int(sum(p.data.size for p in params)),
        **{name: dataclasses.asdict(getattr(s, name)) for name in ("model", "pretrain", "sft", "reward")},
    }


def summarise(run: dict) -> dict:
    """The headline figures every renderer quotes."""
    pre, sft_, rm = run["pretrain"], run["sft"], run["reward"]
    pairs = rm["pairs"]
    heldout = [p["heldout_margin"] for p in pairs]
    return {
        "pretrain": {
            "initial_loss": pre["evals"][0]["val_loss"],
            "first_train_loss": pre["train_loss"][0],
            "final_train_loss": float(np.mean(pre["train_loss"][-20:])),
            "final_val_loss": pre["evals"][-1]["val_loss"],
            "final_perplexity": pre["evals"][-1]["perplexity"],
            "uniform_loss": pre["baselines"]["uniform"],
            "unigram_val_loss": pre["baselines"]["unigram"],
            "bigram_val_loss": pre["baselines"]["bigram"],
            "tokens_seen": pre["evals"][-1]["tokens_seen"],
        },
        "sft": {
            "first_loss": sft_["loss"][0], "final_loss": sft_["loss"][-1],
            "first_token_accuracy": sft_["token_accuracy"][0],
            "final_token_accuracy": sft_["token_accuracy"][-1],
            "heldout_loss": sft_["heldout_loss"], "heldout_token_accuracy": sft_["heldout_token_accuracy"],
            "heldout_first_loss": sft_["heldout_first_loss"],
            "heldout_first_token_accuracy": sft_["heldout_first_token_accuracy"],
        },
        "reward": {
            "first_loss": rm["history"]["loss"][0], "final_loss": rm["history"]["loss"][-1],
            "first_margin": rm["history"]["rewards/margins"][0],
            "final_margin": rm["history"]["rewards/margins"][-1],
            "train_accuracy": float(np.mean([p["correct"] for p in pairs])),
            "heldout_accuracy": float(np.mean([p["heldout_correct"] for p in pairs])),
            "heldout_mean_margin": float(np.mean(heldout)),
            "length_baseline_accuracy": rm["length_baseline_accuracy"],
            "word_rule_accuracy": rm["word_rule"]["heldout_accuracy"],
            "heldout_accuracy_without_word": rm["word_rule"]["model_heldout_accuracy_without_word"],
            "pairs": len(pairs),
        },
        "config": {k: run["config"][k] for k in ("seed", "vocab_size", "merges", "parameters",
                                                  "quick", "code_version")},
        "theory": {"ln_vocab": math.log(run["config"]["vocab_size"]), "ln_2": math.log(2.0)},
    }
