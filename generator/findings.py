"""What the run's numbers say, decided once: every outcome the prose states.

A finding names one outcome of the run (is the validation loss below the bigram
baseline? does the reward model beat its strongest baseline by a paired test?) and
decides its value here, by a rule written next to the figures it reads. Templates
choose their sentences by a finding's value, through the `claim` macro in
templates/claims.j2, never by comparing numbers themselves. So a sentence that says
"beats" can only appear in a run where the rule for "beats" holds:

- tests/test_findings.py flips every finding on fixture runs and checks the sentence;
- an audit render (render_outputs(..., audit=True)) marks every claim, and a test fails
  on any sentence that states an outcome outside a claim.

A rule reads the facts of a run (`facts`): the run's summary, plus a `derived` part
measured here from the run's texts and curves (how many held-out answers are empty, how
a training curve moved), which metrics.json holds only as raw texts and lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import stats
from .checks import (
    CLOSE_CALL,
    NEAR_TWIN,
    READABLE,
    WORD_SHORTCUT,
    distinct_long_words,
    drift_compared,
    known_word_share,
    moved,
    run_checks,
    twin,
    word_reliance,
    word_variety,
)
from .contamination import LEAK
from .stats import ALPHA

Rule = Callable[[dict], str]
RULES: dict[str, tuple[tuple[str, ...], Rule]] = {}

CLOSE = 0.02          # losses within 2% of each other are "about the same"


def finding(name: str, values: tuple[str, ...]) -> Callable[[Rule], Rule]:
    """Register a rule: facts -> one of `values`."""
    def register(rule: Rule) -> Rule:
        RULES[name] = (values, rule)
        return rule
    return register


def compare(a: float, b: float, p: float | None = None) -> str:
    """How score a compares with score b on the same items: 'beats' (higher and p < ALPHA),
    'higher' (higher, not distinguishable from luck), 'tie', 'lower' or 'worse' (lower, p < ALPHA).
    Without a p-value, any difference counts."""
    if a == b:
        return "tie"
    significant = p is None or p < ALPHA
    if a > b:
        return "beats" if significant else "higher"
    return "worse" if significant else "lower"


COMPARISON = ("beats", "higher", "tie", "lower", "worse")


def relative(before: float, after: float) -> str:
    """A loss after training compared with before: 'fell', 'flat' (within CLOSE) or 'rose'."""
    if after < before * (1 - CLOSE):
        return "fell"
    return "rose" if after > before * (1 + CLOSE) else "flat"


CHANGE = ("fell", "flat", "rose")


# ---- the facts a rule reads ---------------------------------------------------------------------
def _trend(values: list[float]) -> dict:
    return {"first": values[0], "last": values[-1], "rises": sum(b > a for a, b in zip(values, values[1:])),
            "steps": len(values) - 1}


VARIETY = 0.5     # a text with fewer distinct words than half its words repeats itself: "do do do do"
FEW_WORDS = 3     # ... and one with fewer distinct words of 3+ letters says too little to read


def _words(text: str, course_texts: list[str]) -> dict:
    return {"share": known_word_share(text, course_texts), "variety": word_variety(text),
            "distinct": distinct_long_words(text)}


def reads_as(m: dict) -> str:
    """What a model's text reads as, from its word measures: 'repetitive' (a handful of words over and over),
    'garbled' (under READABLE of its distinct 3+-letter words are words of the course) or 'words' (made of the
    course's words: a number about the words, not a judgement of sense)."""
    if m["variety"] < VARIETY or m["distinct"] < FEW_WORDS:
        return "repetitive"
    return "words" if m["share"] >= READABLE else "garbled"


def as_answer(kind: str) -> str:
    """What reads_as found, said of an answer: 'readable' (made of the course's words), 'garbled' or 'repetitive'."""
    return "readable" if kind == "words" else kind


def _rejected_longer(pair: dict) -> bool:
    return pair["rejected_chars"] > pair["chosen_chars"]


def _lowest_step(sft: dict) -> int | None:
    """The fine-tuning step at which the held-out loss was lowest (None without held-out questions)."""
    curve = sft["heldout_loss_curve"]
    return sft["steps"][int(np.argmin(curve))] if curve else None


def facts(run: dict, course_texts: list[str]) -> dict:
    """The summary and what the rules need beyond it, measured from the run's texts and curves:
    `course_texts` are the texts of the course (words found there count as the course's words)."""
    r, history = run["reward"], run["reward"]["history"]
    right = np.array([1.0 if p["heldout_correct"] else 0.0 for p in r["pairs"]])
    wrong = [p for p in r["pairs"] if not p["heldout_correct"]]
    sigmoid = [1 / (1 + math.exp(-p["margin"])) for p in r["pairs"]]
    heldout_sigmoid = [1 / (1 + math.exp(-p["heldout_margin"])) for p in r["pairs"]]
    answers = run["sft"]["answers"]
    trained = [a for a in answers if not a["heldout"] and not a["dev"]]
    heldout = [a for a in answers if a["heldout"]]
    written = [a["after"] for a in heldout if a["after"].strip()]
    reads = [reads_as(_words(text, course_texts)) for text in written]
    trained_reads = [reads_as(_words(a["after"], course_texts)) for a in trained if a["after"].strip()]
    case = run["case"]
    shared, gap = twin(case)
    beta0 = run["rl"]["runs"]["beta0"]["evals"]
    return {**run["summary"],
            "case": {k: case[k] for k in ("specific_score", "vague_score", "sft_answer_score", "rl_answer_score",
                                          "sft_answer_rubric", "rl_answer_rubric", "rl_prompt_shared")},
            "derived": {
        "pretrain": {"epochs": run["summary"]["pretrain"]["tokens_seen"] / run["data"]["train_tokens"]},
        "sft": {"trained": len(trained), "trained_verbatim": sum(a["after"] == a["expert"] for a in trained),
                "heldout_lowest_step": _lowest_step(run["sft"]), "dev": sum(a["dev"] for a in answers),
                "dev_last_loss": run["sft"]["dev_loss_curve"][-1] if run["sft"]["dev_loss_curve"] else None,
                "last_loss": run["sft"]["loss"][-1],
                "heldout": len(heldout), "heldout_empty": len(heldout) - len(written),
                # the share of the held-out answers' words that are words of the course (empty answers aside)
                "heldout_word_share": known_word_share(" ".join(written), course_texts) if written else 0.0,
                **{f"heldout_{kind}": reads.count(kind) for kind in ("words", "garbled", "repetitive")},
                **{f"trained_{kind}": trained_reads.count(kind) for kind in ("words", "garbled", "repetitive")}},
        "reward": {"vs_word_p": stats.sign_test(right, np.array(r["baselines"]["one_word"])),
                   "vs_bag_p": stats.sign_test(right, np.array(r["baselines"]["bag_of_tokens"])),
                   "expected_accuracy": float(np.mean(sigmoid)),
                   "expected_heldout_accuracy": float(np.mean(heldout_sigmoid)),
                   "wrong": len(wrong), "wrong_rejected_longer": sum(map(_rejected_longer, wrong)),
                   "rejected_longer": sum(map(_rejected_longer, r["pairs"])),
                   "margins": _trend(history["rewards/margins"]), "loss": _trend(history["loss"]),
                   "chosen": _trend(history["rewards/chosen"]), "rejected": _trend(history["rewards/rejected"]),
                   "final_accuracy": history["rewards/accuracies"][-1]},
        "rl": {f"beta0_{name}_p": stats.sign_test(np.array(beta0[-1][f"question_{kind}"]),
                                                  np.array(beta0[0][f"question_{kind}"]))
               for name, kind in (("reward", "scores"), ("rubric", "rubric"))},
        "case": {"answer_word_share": known_word_share(case["sft_answer"], course_texts),
                 "answer_reads_as": reads_as(_words(case["sft_answer"], course_texts)),
                 "rl_answer_word_share": known_word_share(case["rl_answer"], course_texts),
                 "rl_answer_reads_as": reads_as(_words(case["rl_answer"], course_texts)),

                 "twin_shared": shared, "twin_gap": gap},
    }}


# ---- the checks: each check of generator/checks.py is a finding too ----------------------------
CHECKS = ("untrained_near_ln_v", "val_below_uniform", "val_below_bigram", "context_helps", "sft_loss_drop",
          "sft_token_accuracy", "sft_generalises", "rm_starts_at_ln2", "rm_train_accuracy",
          "rm_heldout_accuracy", "rm_beats_baselines", "rl_reward_rises", "rl_rubric_holds", "rl_beats_best_of_n",
          "rl_kl_restrains")


OPTIONAL_CHECKS = ("sft_generalises",)     # measured only when the course holds questions back


def _check_rule(check_id: str) -> Rule:
    def rule(s: dict) -> str:
        found = {c.id: c.passed for c in run_checks(s)}
        return "absent" if check_id not in found else ("met" if found[check_id] else "missed")
    rule.__doc__ = f"The check {check_id!r} of generator/checks.py: 'met' or 'missed' ('absent': not measured)."
    return rule


for _id in CHECKS:
    finding(_id, ("met", "missed", "absent") if _id in OPTIONAL_CHECKS else ("met", "missed"))(_check_rule(_id))


@finding("checks", ("all_met", "some_missed"))
def _checks(s: dict) -> str:
    """Whether every check of the run was met (the headline says "k of n", naming each one not met)."""
    return "all_met" if all(c.passed for c in run_checks(s)) else "some_missed"


# ---- stage 1: pretraining ---------------------------------------------------------------------
@finding("pretrain_loss", CHANGE)
def _pretrain_loss(s: dict) -> str:
    """The validation loss, before training to after the last step."""
    p = s["pretrain"]
    return relative(p["initial_loss"], p["final_val_loss"])


@finding("initial_vs_ln_v", ("above", "below"))
def _initial_vs_ln_v(s: dict) -> str:
    """Which side of ln V (an even guess) the untrained model's validation loss lies."""
    return "above" if s["pretrain"]["initial_loss"] >= s["theory"]["ln_vocab"] else "below"


@finding("pretrain_vs_baselines", ("below_bigram", "below_unigram", "above_unigram"))
def _vs_baselines(s: dict) -> str:
    """The final validation loss against the counting baselines: below the bigram's (the model uses more than
    the previous token), below only the unigram's, or not even that."""
    p = s["pretrain"]
    if p["final_val_loss"] < p["bigram_val_loss"]:
        return "below_bigram"
    return "below_unigram" if p["final_val_loss"] < p["unigram_val_loss"] else "above_unigram"


@finding("bigram_vs_unigram", ("helps", "no_help"))
def _bigram_vs_unigram(s: dict) -> str:
    """Whether counting the previous token predicts better than counting tokens alone."""
    p = s["pretrain"]
    return "helps" if p["bigram_val_loss"] < p["unigram_val_loss"] else "no_help"


@finding("below_uniform", ("below", "not_below"))
def _below_uniform(s: dict) -> str:
    """The final validation loss against ln V, an even guess."""
    return "below" if s["pretrain"]["final_val_loss"] < s["theory"]["ln_vocab"] else "not_below"


GAP = 0.1     # training and validation losses further apart than this (nats) are a gap worth reading


@finding("train_vs_val", ("undertrained", "memorising", "close", "val_lower"))
def _train_vs_val(s: dict) -> str:
    """The loss on training text against the validation loss, both measured after the last step in the same way.
    'undertrained' when the model is not below the bigram baseline: a small gap then says only that it has
    learned little of either text, not that it generalises."""
    p = s["pretrain"]
    if p["final_val_loss"] >= p["bigram_val_loss"]:
        return "undertrained"
    gap = p["final_val_loss"] - p["train_text_loss"]
    if gap > GAP:
        return "memorising"
    return "val_lower" if gap < -GAP else "close"


@finding("epochs", ("many", "few", "about_once", "part"))
def _epochs(s: dict) -> str:
    """How many times pretraining read its training text: 3 or more, 2 to 3, 0.75 to 2 (once or twice), or less."""
    n = s["derived"]["pretrain"]["epochs"]
    return "many" if n >= 3 else "few" if n >= 2 else "about_once" if n >= 0.75 else "part"


@finding("context", ("helps", "flat", "hurts"))
def _context(s: dict) -> str:
    """Does more context help? 'hurts' when a later stretch of the window is predicted more than 5% worse
    than positions 16-31; 'helps' when the last positions beat the first 16 by more than CLOSE."""
    p = s["pretrain"]
    if p["position_excess"] > 0.05:
        return "hurts"
    return "helps" if p["long_context_loss"] < p["short_context_loss"] * (1 - CLOSE) else "flat"


SOME_WORDS, WORDS, RECEDED = 0.15, 0.3, 0.15


@finding("samples", ("rising", "mixed", "receded", "some_words", "noise"))
def _samples(s: dict) -> str:
    """What the samples' words of 3+ letters show, checkpoint by checkpoint (the share that are words of the
    corpus): 'noise' (never SOME_WORDS), 'receded' (the last checkpoint RECEDED or more below the best),
    'rising' (WORDS or more at the end, never falling by more than 5 points between checkpoints), 'mixed'
    (WORDS or more at the end, with a dip on the way), 'some_words' (less than WORDS at the end)."""
    shares = [c["share"] for c in s["pretrain"]["sample_word_share"]]
    if not shares or max(shares) < SOME_WORDS:
        return "noise"
    if max(shares) - shares[-1] >= RECEDED:
        return "receded"
    if shares[-1] >= WORDS:
        return "rising" if all(b >= a - 0.05 for a, b in zip(shares, shares[1:])) else "mixed"
    return "some_words"


# ---- stage 2: supervised fine-tuning -----------------------------------------------------------
@finding("sft_loss", ("memorised", "fell", "not_fell"))
def _sft_loss(s: dict) -> str:
    """The kept model's loss on the training answers: down to a quarter of its start or less, down, or not down."""
    f = s["sft"]
    if f["final_loss"] <= 0.25 * f["first_loss"]:
        return "memorised"
    return "fell" if f["final_loss"] < f["first_loss"] else "not_fell"


@finding("sft_accuracy", ("rose", "not_rose"))
def _sft_accuracy(s: dict) -> str:
    """Answer-token accuracy on the training answers, before fine-tuning and after."""
    f = s["sft"]
    return "rose" if f["final_token_accuracy"] > f["first_token_accuracy"] else "not_rose"


@finding("sft_start", ("above_pretrain", "not_above"))
def _sft_start(s: dict) -> str:
    """The answer loss before fine-tuning against pretraining's final validation loss."""
    return "above_pretrain" if s["sft"]["first_loss"] > s["pretrain"]["final_val_loss"] else "not_above"


@finding("sft_stop", ("early", "full", "start", "too_few", "off"))
def _sft_stop(s: dict) -> str:
    """How fine-tuning ended and which model it kept: stopped before its maximum steps because the dev pairs'
    loss stopped falling ('early'), or ran every step ('full'), keeping the step with the lowest dev loss;
    'start': the dev loss never fell below its value before fine-tuning, so the model kept is the pretrained
    one. Without dev pairs it runs every step and keeps the last: the course has too few pairs to spare
    them ('too_few'), or course.toml sets dev_pairs = 0 ('off')."""
    f = s["sft"]
    if f["dev_loss"] is None:
        return "off" if f["dev_pairs_asked"] == 0 else "too_few"
    if f["best_step"] == 0:
        return "start"
    return "early" if f["stopped_early"] else "full"


@finding("sft_heldout", ("fell", "flat", "rose", "none"))
def _sft_heldout(s: dict) -> str:
    """The held-out answers' loss from before fine-tuning to the end ('none': no held-out questions)."""
    f = s["sft"]
    return "none" if f["heldout_loss"] is None else relative(f["heldout_first_loss"], f["heldout_loss"])


@finding("sft_heldout_curve", ("rebounded", "steady", "none"))
def _sft_heldout_curve(s: dict) -> str:
    """Whether the kept model's held-out loss is more than CLOSE above the lowest the held-out loss reached
    during fine-tuning (the dev pairs, which chose the kept step, are a few pairs: a noisy guide)."""
    f = s["sft"]
    if f["heldout_loss"] is None:
        return "none"
    return "rebounded" if f["heldout_loss"] > f["heldout_lowest_loss"] * (1 + CLOSE) else "steady"


@finding("sft_heldout_accuracy", ("rose", "flat", "fell", "none"))
def _sft_heldout_accuracy(s: dict) -> str:
    """Held-out answer-token accuracy before and after fine-tuning (within 1 point: flat)."""
    f = s["sft"]
    if f["heldout_token_accuracy"] is None:
        return "none"
    gap = f["heldout_token_accuracy"] - f["heldout_first_token_accuracy"]
    return "flat" if abs(gap) < 0.01 else "rose" if gap > 0 else "fell"


@finding("sft_transfer", ("most", "part", "little", "none", "n/a"))
def _sft_transfer(s: dict) -> str:
    """How much of the training answers' fall in loss the held-out answers show: 75% or more, 25% or more,
    something, nothing (their loss did not fall). 'n/a': no held-out questions, or the training loss did not fall."""
    f = s["sft"]
    if f["heldout_loss"] is None or f["final_loss"] >= f["first_loss"]:
        return "n/a"
    share = (f["heldout_first_loss"] - f["heldout_loss"]) / (f["first_loss"] - f["final_loss"])
    return "most" if share >= 0.75 else "part" if share >= 0.25 else "little" if share > 0 else "none"


@finding("sft_heldout_answers", ("readable", "garbled", "repetitive", "empty", "none"))
def _sft_heldout_answers(s: dict) -> str:
    """What the fine-tuned model writes to the held-out questions (each answer read by reads_as): 'empty' when
    most are empty; 'readable' when at least half of those written are made of the course's words; else
    'repetitive' or 'garbled', whichever more of them are."""
    d = s["derived"]["sft"]
    if not d["heldout"]:
        return "none"
    if d["heldout_empty"] * 2 > d["heldout"]:
        return "empty"
    written = d["heldout"] - d["heldout_empty"]
    if d["heldout_words"] * 2 >= written:
        return "readable"
    return "repetitive" if d["heldout_repetitive"] >= d["heldout_garbled"] else "garbled"


@finding("sft_empty_answers", ("some", "none"))
def _sft_empty(s: dict) -> str:
    """Whether any held-out answer is empty (the model's first token was the end marker)."""
    return "some" if s["derived"]["sft"]["heldout_empty"] else "none"


@finding("sft_drift", ("drift", "verbatim", "undertrained"))
def _sft_drift(s: dict) -> str:
    """Trained questions whose answer, written by the model alone, is not the demonstration word for word,
    though the model predicts 90% of its tokens given the right ones ('drift'); 'undertrained' below 90%."""
    d = s["derived"]["sft"]
    if s["sft"]["final_token_accuracy"] < 0.9:
        return "undertrained"
    return "drift" if d["trained_verbatim"] < d["trained"] else "verbatim"


@finding("case_answer", ("readable", "garbled", "repetitive"))
def _case_answer(s: dict) -> str:
    """The fine-tuned model's answer to the case, read by reads_as."""
    return as_answer(s["derived"]["case"]["answer_reads_as"])


# ---- stage 3: the reward model ------------------------------------------------------------------
@finding("rm_loss", CHANGE)
def _rm_loss(s: dict) -> str:
    r = s["reward"]
    return relative(r["first_loss"], r["final_loss"])


@finding("rm_loss_vs_ln2", ("below", "not_below"))
def _rm_loss_vs_ln2(s: dict) -> str:
    """The final training loss against ln 2, the loss of a model that cannot tell the answers apart."""
    return "below" if s["reward"]["final_loss"] < s["theory"]["ln_2"] else "not_below"


@finding("rm_first_loss", ("below_ln2", "margin", "curvature"))
def _rm_first_loss(s: dict) -> str:
    """Why the first loss differs from ln 2. To first order the loss of small margins m is ln 2 - mean(m)/2 +
    mean(m^2)/8: 'margin' when the mean margin leaning the wrong way explains at least half of the excess,
    'curvature' when it is mostly the spread of the margins (-ln sigmoid is curved), 'below_ln2' when under."""
    r = s["reward"]
    excess = r["first_loss"] - s["theory"]["ln_2"]
    if excess <= 0:
        return "below_ln2"
    return "margin" if -r["first_margin"] / 2 >= excess / 2 else "curvature"


@finding("rm_final_margin", ("positive", "not_positive"))
def _rm_final_margin(s: dict) -> str:
    return "positive" if s["reward"]["final_margin"] > 0 else "not_positive"


@finding("rm_margin_trend", ("flat", "grew", "shrank", "flipped", "rising_negative", "falling_negative"))
def _rm_margin_trend(s: dict) -> str:
    """How the mean training margin moved: barely (under 0.05), grew (ends positive, up), shrank (ends positive,
    down), flipped (started positive, ends negative), or ends negative rising or falling."""
    t = s["derived"]["reward"]["margins"]
    change = t["last"] - t["first"]
    if abs(change) < 0.05:
        return "flat"
    if t["last"] > 0:
        return "grew" if change > 0 else "shrank"
    if t["first"] > 0:
        return "flipped"
    return "rising_negative" if change > 0 else "falling_negative"


@finding("rm_loss_direction", ("up", "down"))
def _rm_loss_direction(s: dict) -> str:
    """Which way the training loss went over the logged steps (the margin story reads it with the margin's)."""
    d = s["derived"]["reward"]["loss"]
    return "up" if d["last"] > d["first"] else "down"


@finding("rm_margin_direction", ("up", "down"))
def _rm_margin_direction(s: dict) -> str:
    """Which way the mean training margin went over the logged steps."""
    d = s["derived"]["reward"]["margins"]
    return "up" if d["last"] > d["first"] else "down"


@finding("rm_loss_with_margin", ("as_expected", "both_same_way"))
def _rm_loss_with_margin(s: dict) -> str:
    """Whether the loss moved against the mean margin (as Bradley-Terry predicts) or the same way."""
    d = s["derived"]["reward"]
    loss_up = d["loss"]["last"] > d["loss"]["first"]
    margin_up = d["margins"]["last"] > d["margins"]["first"]
    return "both_same_way" if loss_up == margin_up else "as_expected"


@finding("rm_scores", ("apart", "both_up", "both_down", "together"))
def _rm_scores(s: dict) -> str:
    """How the mean chosen and rejected scores moved: apart (chosen up, rejected down), both up, both down, or
    towards each other (chosen down, rejected up)."""
    d = s["derived"]["reward"]
    chosen_up = d["chosen"]["last"] > d["chosen"]["first"]
    rejected_up = d["rejected"]["last"] > d["rejected"]["first"]
    if chosen_up and not rejected_up:
        return "apart"
    if chosen_up == rejected_up:
        return "both_up" if chosen_up else "both_down"
    return "together"


@finding("rm_accuracy_vs_margin", ("close", "accuracy_higher", "accuracy_lower"))
def _rm_accuracy_vs_margin(s: dict) -> str:
    """The final training accuracy against sigmoid(final mean margin): within 5 points, or which is higher."""
    accuracy = s["derived"]["reward"]["final_accuracy"]
    probability = 1 / (1 + math.exp(-s["reward"]["final_margin"]))
    if abs(accuracy - probability) <= 0.05:
        return "close"
    return "accuracy_higher" if accuracy > probability else "accuracy_lower"


def _calibration(accuracy: float, expected: float) -> str:
    if accuracy > expected + 0.05:
        return "under_confident"
    return "over_confident" if accuracy < expected - 0.05 else "calibrated"


CALIBRATION = ("under_confident", "over_confident", "calibrated")


@finding("rm_calibration", CALIBRATION)
def _rm_calibration(s: dict) -> str:
    """Training accuracy against the mean of sigmoid(margin), the accuracy the model expects of itself."""
    return _calibration(s["reward"]["train_accuracy"], s["derived"]["reward"]["expected_accuracy"])


@finding("rm_heldout_calibration", CALIBRATION)
def _rm_heldout_calibration(s: dict) -> str:
    """The same on held-out pairs."""
    return _calibration(s["reward"]["heldout_accuracy"], s["derived"]["reward"]["expected_heldout_accuracy"])


@finding("rm_train_gap", ("memorises", "close"))
def _rm_train_gap(s: dict) -> str:
    """Training accuracy 15 points or more above held-out accuracy: the reward model's version of memorising."""
    r = s["reward"]
    return "memorises" if r["train_accuracy"] - r["heldout_accuracy"] >= 0.15 else "close"


@finding("rm_vs_strongest", COMPARISON)
def _rm_vs_strongest(s: dict) -> str:
    """The reward model's held-out accuracy against the strongest baseline's, by a paired sign test."""
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["strongest_baseline_accuracy"], r["vs_strongest_baseline_p"])


@finding("rm_vs_length", COMPARISON)
def _rm_vs_length(s: dict) -> str:
    """... against 'the longer answer wins', by a paired sign test."""
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["length_baseline_accuracy"], r["vs_length_p"])


@finding("rm_vs_word", COMPARISON)
def _rm_vs_word(s: dict) -> str:
    """... against the one-word rule, by a paired sign test."""
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["word_rule_accuracy"], s["derived"]["reward"]["vs_word_p"])


@finding("rm_vs_bag", COMPARISON)
def _rm_vs_bag(s: dict) -> str:
    """... against the bag-of-tokens logistic regression, by a paired sign test."""
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["bag_of_tokens_accuracy"], s["derived"]["reward"]["vs_bag_p"])


@finding("strongest_baseline", ("length", "one_word", "bag_of_tokens"))
def _strongest(s: dict) -> str:
    """Which baseline ranks the most held-out pairs right."""
    return s["reward"]["strongest_baseline"]


@finding("rm_heldout_margin", ("positive", "not_positive"))
def _rm_margin(s: dict) -> str:
    return "positive" if s["reward"]["heldout_mean_margin"] > 0 else "not_positive"


@finding("rm_interval_above_chance", ("yes", "no"))
def _rm_interval(s: dict) -> str:
    """Whether even the low end of the 95% interval for the true accuracy is above a coin toss."""
    return "yes" if s["reward"]["heldout_interval"][0] > 0.5 else "no"


@finding("rm_mistakes", ("none", "longer_rejected", "not_length"))
def _rm_mistakes(s: dict) -> str:
    """Where the held-out mistakes fall: none at all; more often (by 20 points) on pairs whose rejected answer
    is the longer one than such pairs are common; or not so."""
    d, n = s["derived"]["reward"], s["reward"]["pairs"]
    if not d["wrong"]:
        return "none"
    return "longer_rejected" if d["wrong_rejected_longer"] / d["wrong"] > d["rejected_longer"] / n + 0.2 \
        else "not_length"


@finding("word_rule", ("shortcut", "weak", "chance"))
def _word_rule(s: dict) -> str:
    """The one-word rule on held-out pairs: a shortcut (WORD_SHORTCUT or more), weak (above a coin toss), or
    no better than a coin toss."""
    accuracy = s["reward"]["word_rule_accuracy"]
    return "shortcut" if accuracy >= WORD_SHORTCUT else "weak" if accuracy > 0.5 else "chance"


@finding("word_reliance", ("little", "partly", "mostly", "not_read"))
def _word_reliance(s: dict) -> str:
    """How much the reward model leans on the giveaway word (checks.word_reliance); 'not_read' when no word
    is a real shortcut, so the deletion figure is not read."""
    return word_reliance(s) or "not_read"


@finding("without_word", ("same", "different"))
def _without_word(s: dict) -> str:
    """Whether deleting the word changed the held-out accuracy at all."""
    r = s["reward"]
    return "same" if r["heldout_accuracy_without_word"] == r["heldout_accuracy"] else "different"


# ---- the case ----------------------------------------------------------------------------------
@finding("case_preference", ("clear", "barely", "reversed"))
def _case_preference(s: dict) -> str:
    """The reward model's margin of the specific case answer over the vague one: at least CLOSE_CALL, positive
    but smaller (a near coin flip), or not positive."""
    case = s["case"]
    margin = case["specific_score"] - case["vague_score"]
    return "clear" if margin >= CLOSE_CALL else "barely" if margin > 0 else "reversed"


@finding("case_own_answer", ("nonsense_above_both", "nonsense_above_specific", "nonsense_above_vague", "close",
                             "above_both", "below_both", "between"))
def _case_own_answer(s: dict) -> str:
    """The fine-tuned model's own case answer among the reference answers' scores. A garbled answer scored above
    the specific (right) answer, the vague one or both is flagged first; else whether all three are within
    CLOSE_CALL, or where it falls."""
    c = s["case"]
    own, specific, vague = c["sft_answer_score"], c["specific_score"], c["vague_score"]
    if s["derived"]["case"]["answer_reads_as"] != "words" and own > min(specific, vague):
        return "nonsense_above_both" if own > max(specific, vague) else \
            "nonsense_above_specific" if own > specific else "nonsense_above_vague"
    if max(own, specific, vague) - min(own, specific, vague) < CLOSE_CALL:
        return "close"
    if own > max(specific, vague):
        return "above_both"
    return "below_both" if own < min(specific, vague) else "between"


@finding("case_twin", ("brittle", "none"))
def _case_twin(s: dict) -> str:
    """The fine-tuned model's case answer is worded almost like the specific reference answer (NEAR_TWIN of its
    words or more, in order), yet the reward model is at least 60% sure one of the two is better (a score gap of
    CLOSE_CALL or more): a judge that near-identical texts can move is what RL would exploit."""
    d = s["derived"]["case"]
    return "brittle" if d["twin_shared"] >= NEAR_TWIN and abs(d["twin_gap"]) >= CLOSE_CALL else "none"


@finding("case_rl_score", ("higher", "close", "lower"))
def _case_rl_score(s: dict) -> str:
    """The reward model's score for the RL policy's case answer against the fine-tuned model's: within
    CLOSE_CALL (a near coin flip between the two) is 'close'."""
    c = s["case"]
    gap = c["rl_answer_score"] - c["sft_answer_score"]
    return "close" if abs(gap) < CLOSE_CALL else "higher" if gap > 0 else "lower"


@finding("case_rl_rubric", ("rose", "same", "fell", "absent"))
def _case_rl_rubric(s: dict) -> str:
    """The case's rubric score after RL against before ('absent' when the case lists no facts to state)."""
    c = s["case"]
    if c["rl_answer_rubric"] is None:
        return "absent"
    gap = c["rl_answer_rubric"] - c["sft_answer_rubric"]
    return "same" if abs(gap) < 1e-9 else "rose" if gap > 0 else "fell"


@finding("case_rl_nonsense", ("above_specific", "above_vague", "none"))
def _case_rl_nonsense(s: dict) -> str:
    """The RL policy's case answer, when it is no answer (garbled or repetitive), scored above the expert's
    specific answer, above only the vague one (each by CLOSE_CALL or more: a 60% preference), or neither."""
    c = s["case"]
    if s["derived"]["case"]["rl_answer_reads_as"] == "words":
        return "none"
    return "above_specific" if c["rl_answer_score"] >= c["specific_score"] + CLOSE_CALL else \
        "above_vague" if c["rl_answer_score"] >= c["vague_score"] + CLOSE_CALL else "none"


@finding("case_rl_seen", ("trained", "new"))
def _case_rl_seen(s: dict) -> str:
    """Whether the case's question is (nearly) one of the preference prompts RL trained on (NEAR_TWIN of its
    wording shared, in order), so its RL answer shows training on its own material, not carrying over."""
    return "trained" if s["case"]["rl_prompt_shared"] >= NEAR_TWIN else "new"


@finding("case_rl_answer", ("readable", "garbled", "repetitive"))
def _case_rl_answer(s: dict) -> str:
    """The RL policy's answer to the case, read by reads_as."""
    return as_answer(s["derived"]["case"]["rl_answer_reads_as"])


# ---- the data ----------------------------------------------------------------------------------
@finding("contamination", ("clean", "leaked"))
def _contamination(s: dict) -> str:
    """Whether any held-out SFT answer, preference answer or case answer shares more than LEAK of its word
    8-grams with the corpus or the fine-tuning pairs."""
    d = s["data"]
    return "leaked" if max(d["heldout_sft_overlap"], d["preference_overlap"], d["case_overlap"]) > LEAK else "clean"


# ---- stage 4: reinforcement learning -----------------------------------------------------------
@finding("rl_reward", ("rose", "unclear", "fell"))
def _rl_reward(s: dict) -> str:
    """The reward model's mean score on the held-out questions, after RL against before, by a paired sign test
    over the questions."""
    rl = s["rl"]
    return moved(rl["reward_before"], rl["reward_after"], rl["reward_vs_before_p"])


@finding("rl_rubric", ("rose", "unclear", "fell", "floor"))
def _rl_rubric(s: dict) -> str:
    """The rubric score on the held-out questions, after RL against before, by a paired sign test; 'floor'
    when the answers state none of the facts, before or after (the rubric cannot show a change)."""
    rl = s["rl"]
    if max(rl["rubric_before"], rl["rubric_after"]) == 0:
        return "floor"
    return moved(rl["rubric_before"], rl["rubric_after"], rl["rubric_vs_before_p"])


@finding("rl_vs_best_of_n", COMPARISON)
def _rl_vs_bon(s: dict) -> str:
    rl = s["rl"]
    return compare(rl["reward_after"], rl["best_of_n_reward"], rl["vs_best_of_n_p"])


@finding("rl_gaming", ("games_judge", "unclear", "both_rose", "no_gain"))
def _rl_gaming(s: dict) -> str:
    """Without the KL penalty, each by a paired sign test over the held-out questions: the judge's score rose
    while the rubric fell (the policy games the judge), rose with the rubric, rose while the rubric did
    neither ('unclear': too few facts stated to tell), or did not rise ('no_gain')."""
    rl, d = s["rl"], s["derived"]["rl"]
    if moved(rl["reward_before"], rl["beta0_reward_after"], d["beta0_reward_p"]) != "rose":
        return "no_gain"
    truth = moved(rl["rubric_before"], rl["beta0_rubric_after"], d["beta0_rubric_p"])
    return {"fell": "games_judge", "rose": "both_rose"}.get(truth, "unclear")


@finding("kl_restrains", ("yes", "close", "no"))
def _kl_restrains(s: dict) -> str:
    """The penalised run's drift from the reference against the unpenalised run's (checks.drift_compared)."""
    rl = s["rl"]
    return {"less": "yes", "close": "close", "more": "no"}[drift_compared(rl["kl_after"], rl["beta0_kl_after"])]


class Findings:
    """The value of every finding for one run; asking for an unknown finding or value is an error."""

    def __init__(self, facts: dict):
        self.values = {name: rule(facts) for name, (_, rule) in RULES.items()}

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def holds(self, name: str, *values: str) -> bool:
        """Whether the finding has one of `values` (each must be a value the finding can take)."""
        allowed = RULES[name][0]
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"finding {name!r} cannot be {unknown}; its values are {allowed}")
        return self.values[name] in values
