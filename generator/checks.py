"""Verdicts on the run: each states its rule and whether this run met it.

The page colours its metric cards with these, and the docs quote them, so the
words 'passed' or 'missed' always follow from the numbers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .format import loss, p_value, pct, signed, signed_pct
from .format import number as number_text
from .stats import ALPHA

# the baselines' names as the checks say them
BASELINES = {"length": "the longer answer wins", "one_word": "the one-word rule",
             "bag_of_tokens": "a bag-of-tokens logistic regression"}


@dataclass(frozen=True)
class Check:
    id: str
    stage: str          # pretrain | sft | reward | rl
    label: str          # what is measured
    value: str          # this run's figure, formatted
    rule: str           # the rule, in words, with its threshold from this run
    passed: bool


POSITION_SLACK = 0.05   # a bucket of later positions may sit at most 5% above positions 16-31


def run_checks(summary: dict) -> list[Check]:
    p, s, r, t = summary["pretrain"], summary["sft"], summary["reward"], summary["theory"]
    ln_v = t["ln_vocab"]
    checks = [
        Check("untrained_near_ln_v", "pretrain", "Loss before training", loss(p["initial_loss"]),
              f"within 5% of ln V = {loss(ln_v)} (an untrained model guesses uniformly)",
              abs(p["initial_loss"] - ln_v) <= 0.05 * ln_v),
        Check("val_below_uniform", "pretrain", "Final validation loss", loss(p["final_val_loss"]),
              f"at least 35% below ln V, i.e. at most {loss(0.65 * ln_v)}",
              p["final_val_loss"] <= 0.65 * ln_v),
        Check("val_below_bigram", "pretrain", "Final validation loss vs bigram", loss(p["final_val_loss"]),
              f"below the bigram baseline's {loss(p['bigram_val_loss'])}",
              p["final_val_loss"] < p["bigram_val_loss"]),
        Check("context_helps", "pretrain", "Later positions vs positions 16-31", signed_pct(p["position_excess"]),
              f"no later stretch of the window predicted more than {pct(POSITION_SLACK)} worse than positions 16-31 "
              f"({loss(p['position_val_loss'][1]['loss']) if len(p['position_val_loss']) > 1 else 'n/a'})",
              p["position_excess"] <= POSITION_SLACK),
        # The kept model is the one the dev pairs chose (early stopping), not one that learned its few
        # demonstrations by heart: these two ask that it learned from them, not how close to memorising it came.
        Check("sft_loss_drop", "sft", "SFT loss of the kept model", loss(s["final_loss"]),
              f"below its {loss(s['first_loss'])} before fine-tuning",
              s["final_loss"] < s["first_loss"]),
        Check("sft_token_accuracy", "sft", "Answer-token accuracy of the kept model", pct(s["final_token_accuracy"]),
              f"above the {pct(s['first_token_accuracy'])} before fine-tuning",
              s["final_token_accuracy"] > s["first_token_accuracy"]),
    ]
    if s["heldout_loss"] is not None:
        checks.append(Check("sft_generalises", "sft", "Held-out answer loss", loss(s["heldout_loss"]),
                            f"below its value before fine-tuning, {loss(s['heldout_first_loss'])}",
                            s["heldout_loss"] < s["heldout_first_loss"]))
    strongest = r["strongest_baseline"]
    checks += [
        Check("rm_starts_at_ln2", "reward", "First reward-model loss", loss(r["first_loss"]),
              f"close to ln 2 = {loss(t['ln_2'])}, since a fresh head gives margins near 0",
              abs(r["first_loss"] - t["ln_2"]) <= 0.1),
        Check("rm_train_accuracy", "reward", "Training pairs ranked right", pct(r["train_accuracy"]),
              "every training pair ranked right (100%)", r["train_accuracy"] == 1.0),
        Check("rm_heldout_accuracy", "reward", "Held-out pairs ranked right", pct(r["heldout_accuracy"]),
              f"at least 75% with a positive mean held-out margin (here {signed(r['heldout_mean_margin'])})",
              r["heldout_accuracy"] >= 0.75 and r["heldout_mean_margin"] > 0),
        Check("rm_beats_baselines", "reward", "Held-out accuracy vs the strongest baseline",
              f"{pct(r['heldout_accuracy'])} vs {pct(r['strongest_baseline_accuracy'])}",
              f"above the strongest baseline ({BASELINES[strongest]}), by a paired sign test on the same pairs "
              f"at p < {ALPHA} (here p = {p_value(r['vs_strongest_baseline_p'])})",
              beats(r["heldout_accuracy"], r["strongest_baseline_accuracy"], r["vs_strongest_baseline_p"])),
    ]
    return checks + rl_checks(summary["rl"])


def rl_checks(rl: dict) -> list[Check]:
    """Stage 4, judged on the held-out questions: the proxy, the gold standard, the honest baseline, the leash."""
    return [
        Check("rl_reward_rises", "rl", "Reward-model score, held-out questions", signed(rl["reward_after"]),
              f"above its value before RL, {signed(rl['reward_before'])}, by a paired sign test over the "
              f"{rl['questions']} questions at p < {ALPHA} (here p = {p_value(rl['reward_vs_before_p'])})",
              moved(rl["reward_before"], rl["reward_after"], rl["reward_vs_before_p"]) == "rose"),
        Check("rl_rubric_holds", "rl", "Rubric score, held-out questions", pct(rl["rubric_after"]),
              f"not below its value before RL, {pct(rl['rubric_before'])}, by a paired sign test at p < {ALPHA} "
              f"(here p = {p_value(rl['rubric_vs_before_p'])}; the rubric is never trained on)",
              moved(rl["rubric_before"], rl["rubric_after"], rl["rubric_vs_before_p"]) != "fell"),
        Check("rl_beats_best_of_n", "rl", "Reward-model score vs best-of-n",
              f"{signed(rl['reward_after'])} vs {signed(rl['best_of_n_reward'])}",
              f"above best-of-{rl['best_of_n']} sampling from the fine-tuned model, by a paired sign test over the "
              f"{rl['questions']} questions at p < {ALPHA} (here p = {p_value(rl['vs_best_of_n_p'])})",
              beats(rl["reward_after"], rl["best_of_n_reward"], rl["vs_best_of_n_p"])),
        Check("rl_kl_restrains", "rl", "KL from the reference, with and without the penalty",
              f"{number_text(rl['kl_after'])} vs {number_text(rl['beta0_kl_after'])}",
              f"the penalised run (beta = {number_text(rl['beta'])}) drifts less than the run with beta = 0, "
              f"by more than {KL_CLOSE:.0%} (or {number_text(KL_FLOOR)} nats)",
              drift_compared(rl["kl_after"], rl["beta0_kl_after"]) == "less"),
    ]


def moved(before: float, after: float, p: float) -> str:
    """How a score on the same questions moved: 'rose' or 'fell' when a paired test puts it beyond luck
    (p < ALPHA), else 'unclear'."""
    if p >= ALPHA or after == before:
        return "unclear"
    return "rose" if after > before else "fell"


# Two drifts are too close to call within 25% of each other, or within 0.05 nats near zero: each is one
# run's estimate from a few sampled answers, with no test behind it.
KL_CLOSE = 0.25
KL_FLOOR = 0.05


def drift_compared(kl: float, kl_unpenalised: float) -> str:
    """The penalised run's KL from the reference against the unpenalised run's: 'less', 'close' or 'more'."""
    tolerance = max(KL_CLOSE * abs(kl_unpenalised), KL_FLOOR)
    if kl < kl_unpenalised - tolerance:
        return "less"
    return "more" if kl > kl_unpenalised + tolerance else "close"


def beats(accuracy: float, baseline: float, p: float) -> bool:
    """A scorer beats a baseline only when it ranks more pairs right and a paired test says that is unlikely luck."""
    return accuracy > baseline and p < ALPHA


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


READABLE = 0.8     # an answer with fewer of its words in the course's own texts reads as garbled
LONG_WORD = 3      # words this long or longer are looked up (a stray "do" or "a" says little)


def known_word_share(text: str, course_texts: list[str]) -> float:
    """The share of the distinct words of LONG_WORD letters or more in a text that occur anywhere in the
    course's texts: near 1 for text made of the course's words, low for garbled output. Distinct, so a
    word repeated to the end of the answer counts once. A number, not a judgement of sense or content."""
    vocabulary = {w for t in course_texts for w in re.findall(r"[a-z]+", t.lower())}
    used = {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= LONG_WORD}
    return sum(w in vocabulary for w in used) / len(used) if used else 0.0


def word_variety(text: str) -> float:
    """Distinct words over all words of a text: near 1 for prose, low for a text that repeats a few words."""
    words = re.findall(r"[a-z]+", text.lower())
    return len(set(words)) / len(words) if words else 0.0


def distinct_long_words(text: str) -> int:
    return len({w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= LONG_WORD})


CLOSE_CALL = 0.4    # a margin smaller than this is under 60% under Bradley-Terry: a near coin flip
NEAR_TWIN = 0.8     # answers sharing this much of their wording say nearly the same thing


def shared_wording(a: str, b: str) -> float:
    """How much of their wording two texts share, 0 to 1, word by word, in order."""
    return difflib.SequenceMatcher(None, a.lower().split(), b.lower().split(), autojunk=False).ratio()


def twin(case: dict) -> tuple[float, float]:
    """How much of its wording the fine-tuned model's case answer shares with the specific reference answer
    (shared_wording), and the score gap between them (own answer minus reference)."""
    shared = shared_wording(case["sft_answer"], case["specific_answer"])
    return shared, case["sft_answer_score"] - case["specific_score"]


def case_twin_gap(case: dict) -> dict | None:
    """When the fine-tuned model's answer to the case is worded almost like the specific reference answer
    (NEAR_TWIN) yet the reward model is at least 60% sure one of the two is better (a gap of CLOSE_CALL or
    more, on Bradley-Terry's scale): the brittleness RL would exploit. Near-identical texts should score
    nearly alike, so the test is similarity and score distance together, not a large gap alone.
    Returns the shared-wording share and the score gap (own answer minus reference), else None."""
    shared, gap = twin(case)
    return {"shared": shared, "gap": gap} if shared >= NEAR_TWIN and abs(gap) >= CLOSE_CALL else None
