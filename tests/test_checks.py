"""The verdicts of generator/checks.py on a run written out by hand.

Every figure below is typed here, so each expected verdict and sentence is worked out by hand from
the rule, not by the code under test. Each check is shown passing, failing, and at its threshold
(where the threshold is a number a float can hold exactly).
"""

from __future__ import annotations

import copy

import pytest

from generator import findings
from generator.checks import (
    Check,
    beats,
    case_twin_gap,
    drift_compared,
    known_word_share,
    moved,
    run_checks,
    word_reliance,
    word_variety,
)
from generator.stats import ALPHA

MINUS = "\u2212"

# A run that passes every check. ln V = 5.0 (not a real vocabulary: round numbers keep the
# thresholds exact: 5% of it is 0.25, 65% of it 3.25).
SUMMARY = {
    "theory": {"ln_vocab": 5.0, "ln_2": 0.6931471805599453},
    "pretrain": {"initial_loss": 5.1, "final_val_loss": 2.2, "bigram_val_loss": 2.5, "position_excess": 0.01,
                 "position_val_loss": [{"loss": 2.3}, {"loss": 2.25}, {"loss": 2.2}]},
    "sft": {"first_loss": 4.0, "final_loss": 0.5, "first_token_accuracy": 0.4, "final_token_accuracy": 0.95,
            "heldout_loss": 2.0, "heldout_first_loss": 2.5},
    "reward": {"first_loss": 0.7, "train_accuracy": 1.0, "heldout_accuracy": 0.85, "heldout_mean_margin": 0.4,
               "strongest_baseline": "length", "strongest_baseline_accuracy": 0.5,
               "vs_strongest_baseline_p": 0.004},
    "rl": {"reward_before": 0.2, "reward_after": 0.8, "rubric_before": 0.5, "rubric_after": 0.6,
           "best_of_n_reward": 0.5, "best_of_n": 4, "questions": 8, "vs_best_of_n_p": 0.01,
           "kl_after": 0.3, "beta0_kl_after": 1.2, "beta": 0.05, "reward_vs_before_p": 0.008,
           "rubric_vs_before_p": 0.5},
}

EXPECTED = [
    Check("untrained_near_ln_v", "pretrain", "Loss before training", "5.100",
          "within 5% of ln V = 5.000 (an untrained model guesses uniformly)", True),
    Check("val_below_uniform", "pretrain", "Final validation loss", "2.200",
          "at least 35% below ln V, i.e. at most 3.250", True),
    Check("val_below_bigram", "pretrain", "Final validation loss vs bigram", "2.200",
          "below the bigram baseline's 2.500", True),
    Check("context_helps", "pretrain", "Later positions vs positions 16-31", "+1.0%",
          "no later stretch of the window predicted more than 5% worse than positions 16-31 (2.250)", True),
    Check("sft_loss_drop", "sft", "SFT loss of the kept model", "0.500",
          "below its 4.000 before fine-tuning", True),
    Check("sft_token_accuracy", "sft", "Answer-token accuracy of the kept model", "95%",
          "above the 40% before fine-tuning", True),
    Check("sft_generalises", "sft", "Held-out answer loss", "2.000",
          "below its value before fine-tuning, 2.500", True),
    Check("rm_starts_at_ln2", "reward", "First reward-model loss", "0.700",
          "close to ln 2 = 0.693, since a fresh head gives margins near 0", True),
    Check("rm_train_accuracy", "reward", "Training pairs ranked right", "100%",
          "every training pair ranked right (100%)", True),
    Check("rm_heldout_accuracy", "reward", "Held-out pairs ranked right", "85%",
          "at least 75% with a positive mean held-out margin (here +0.400)", True),
    Check("rm_beats_baselines", "reward", "Held-out accuracy vs the strongest baseline", "85% vs 50%",
          "above the strongest baseline (the longer answer wins), by a paired sign test on the same pairs "
          "at p < 0.05 (here p = 0.004)", True),
    Check("rl_reward_rises", "rl", "Reward-model score, held-out questions", "+0.800",
          "above its value before RL, +0.200, by a paired sign test over the 8 questions at p < 0.05 "
          "(here p = 0.008)", True),
    Check("rl_rubric_holds", "rl", "Rubric score, held-out questions", "60%",
          "not below its value before RL, 50%, by a paired sign test at p < 0.05 (here p = 0.50; the rubric is "
          "never trained on)", True),
    Check("rl_beats_best_of_n", "rl", "Reward-model score vs best-of-n", "+0.800 vs +0.500",
          "above best-of-4 sampling from the fine-tuned model, by a paired sign test over the 8 questions "
          "at p < 0.05 (here p = 0.01)", True),
    Check("rl_kl_restrains", "rl", "KL from the reference, with and without the penalty", "0.3 vs 1.2",
          "the penalised run (beta = 0.05) drifts less than the run with beta = 0, by more than 25% (or 0.05 "
          "nats)", True),
]


def edited(**changes) -> dict:
    """SUMMARY with some figures changed: edited(pretrain__final_val_loss=2.6)."""
    summary = copy.deepcopy(SUMMARY)
    for key, value in changes.items():
        section, name = key.split("__")
        summary[section][name] = value
    return summary


def verdicts(summary: dict) -> dict[str, bool]:
    return {c.id: c.passed for c in run_checks(summary)}


def test_alpha_is_the_conventional_five_percent():
    assert ALPHA == 0.05           # the rules below are written for it


def test_a_good_run_passes_every_check_with_its_figures_and_rules_in_words():
    assert run_checks(SUMMARY) == EXPECTED


# (edit, the check it decides, passed): each edit moves one figure to or past its threshold
@pytest.mark.parametrize("changes, check, passed", [
    ({"pretrain__initial_loss": 5.25}, "untrained_near_ln_v", True),        # exactly 5% above ln V
    ({"pretrain__initial_loss": 4.75}, "untrained_near_ln_v", True),        # exactly 5% below
    ({"pretrain__initial_loss": 5.26}, "untrained_near_ln_v", False),
    ({"pretrain__initial_loss": 4.74}, "untrained_near_ln_v", False),
    ({"pretrain__final_val_loss": 3.25, "pretrain__bigram_val_loss": 3.5}, "val_below_uniform", True),
    ({"pretrain__final_val_loss": 3.26, "pretrain__bigram_val_loss": 3.5}, "val_below_uniform", False),
    ({"pretrain__final_val_loss": 2.5}, "val_below_bigram", False),         # equal is not below
    ({"pretrain__final_val_loss": 2.6}, "val_below_bigram", False),
    ({"pretrain__position_excess": 0.05}, "context_helps", True),
    ({"pretrain__position_excess": 0.0501}, "context_helps", False),
    ({"pretrain__position_excess": -0.2}, "context_helps", True),
    ({"sft__final_loss": 3.99}, "sft_loss_drop", True),
    ({"sft__final_loss": 4.0}, "sft_loss_drop", False),                     # equal is not below
    ({"sft__final_token_accuracy": 0.41}, "sft_token_accuracy", True),
    ({"sft__final_token_accuracy": 0.4}, "sft_token_accuracy", False),     # equal is not above
    ({"sft__heldout_loss": 2.5}, "sft_generalises", False),
    ({"sft__heldout_loss": 2.6}, "sft_generalises", False),
    ({"reward__first_loss": 0.6}, "rm_starts_at_ln2", True),
    ({"reward__first_loss": 0.8}, "rm_starts_at_ln2", False),
    ({"reward__first_loss": 0.58}, "rm_starts_at_ln2", False),
    ({"reward__train_accuracy": 0.95}, "rm_train_accuracy", False),
    ({"reward__heldout_accuracy": 0.75}, "rm_heldout_accuracy", True),
    ({"reward__heldout_accuracy": 0.7}, "rm_heldout_accuracy", False),
    ({"reward__heldout_mean_margin": 0.0}, "rm_heldout_accuracy", False),   # a margin of 0 favours nobody
    ({"reward__heldout_mean_margin": -0.1}, "rm_heldout_accuracy", False),
    ({"reward__strongest_baseline_accuracy": 0.85}, "rm_beats_baselines", False),   # a tie beats nothing
    ({"reward__strongest_baseline_accuracy": 0.9}, "rm_beats_baselines", False),
    ({"reward__vs_strongest_baseline_p": 0.05}, "rm_beats_baselines", False),       # p must be below alpha
    ({"reward__vs_strongest_baseline_p": 0.049}, "rm_beats_baselines", True),
    ({"rl__reward_before": 0.8}, "rl_reward_rises", False),                 # equal is no rise
    ({"rl__reward_before": 0.9}, "rl_reward_rises", False),
    ({"rl__reward_vs_before_p": 0.05}, "rl_reward_rises", False),           # higher, but not beyond luck
    ({"rl__reward_vs_before_p": 0.049}, "rl_reward_rises", True),
    ({"rl__rubric_after": 0.5}, "rl_rubric_holds", True),                   # no lower: equal holds
    ({"rl__rubric_after": 0.4}, "rl_rubric_holds", True),                   # lower, but within luck (p = 0.5)
    ({"rl__rubric_after": 0.4, "rl__rubric_vs_before_p": 0.01}, "rl_rubric_holds", False),
    ({"rl__best_of_n_reward": 0.8}, "rl_beats_best_of_n", False),
    ({"rl__best_of_n_reward": 0.9}, "rl_beats_best_of_n", False),
    ({"rl__vs_best_of_n_p": 0.05}, "rl_beats_best_of_n", False),
    ({"rl__kl_after": 1.2}, "rl_kl_restrains", False),
    ({"rl__kl_after": 1.5}, "rl_kl_restrains", False),
    ({"rl__kl_after": 0.89}, "rl_kl_restrains", True),                      # 0.31 less: beyond 25% of 1.2
    ({"rl__kl_after": 0.91}, "rl_kl_restrains", False),                     # 0.29 less: within 25%
    ({"rl__kl_after": 0.0, "rl__beta0_kl_after": 0.04}, "rl_kl_restrains", False),   # within 0.05 nats
])
def test_each_check_follows_its_rule(changes, check, passed):
    found = verdicts(edited(**changes))
    assert found[check] is passed
    assert {k: v for k, v in found.items() if k != check} == {c.id: True for c in EXPECTED if c.id != check}, \
        "an edit of one figure changed another check's verdict"


def test_the_position_rule_quotes_positions_16_to_31_when_two_stretches_were_measured():
    found = {c.id: c for c in run_checks(edited(pretrain__position_val_loss=[{"loss": 2.4}, {"loss": 2.125}]))}
    assert found["context_helps"].rule.endswith("worse than positions 16-31 (2.125)")


def test_the_first_reward_loss_may_be_exactly_0_1_from_ln_2():
    # (against ln 2 itself no float is exactly 0.1 away; the rule is the same at any centre)
    summary = edited(reward__first_loss=0.1)
    summary["theory"] = {**summary["theory"], "ln_2": 0.0}
    assert verdicts(summary)["rm_starts_at_ln2"] is True
    summary["reward"]["first_loss"] = 0.1001
    assert verdicts(summary)["rm_starts_at_ln2"] is False


def test_a_run_without_held_out_questions_has_no_generalisation_check():
    ids = [c.id for c in run_checks(edited(sft__heldout_loss=None))]
    assert "sft_generalises" not in ids and len(ids) == len(EXPECTED) - 1


def test_failing_figures_are_quoted_as_they_are():
    summary = edited(reward__heldout_mean_margin=-0.038, reward__heldout_accuracy=0.45,
                     reward__strongest_baseline="one_word", reward__vs_strongest_baseline_p=0.0004,
                     pretrain__position_excess=-0.027, pretrain__position_val_loss=[{"loss": 2.3}],
                     rl__reward_after=-0.25)
    found = {c.id: c for c in run_checks(summary)}
    assert found["rm_heldout_accuracy"].rule == \
        f"at least 75% with a positive mean held-out margin (here {MINUS}0.038)"
    assert found["rm_beats_baselines"].value == "45% vs 50%"
    assert found["rm_beats_baselines"].rule == ("above the strongest baseline (the one-word rule), by a paired sign "
                                                "test on the same pairs at p < 0.05 (here p = < 0.001)")
    assert found["context_helps"].value == f"{MINUS}2.7%"
    assert found["context_helps"].rule.endswith("worse than positions 16-31 (n/a)")    # only one bucket measured
    assert found["rl_reward_rises"].value == f"{MINUS}0.250"
    assert [c.passed for c in found.values()].count(False) == 4


def test_beats_needs_more_right_and_a_significant_paired_test():
    assert beats(0.8, 0.5, 0.01)
    assert not beats(0.8, 0.5, 0.05)          # p = alpha is not below alpha
    assert not beats(0.5, 0.5, 0.0)           # a tie beats nothing, however small p
    assert not beats(0.4, 0.5, 0.0)


@pytest.mark.parametrize("rule, without, reading", [
    (1.0, 0.80, "little"),        # 0.85 - 0.80 = 0.05: within 5 points of before
    (1.0, 0.79, "partly"),
    (1.0, 0.61, "partly"),
    (1.0, 0.60, "mostly"),        # not above 60%: near a coin toss
    (0.85, 0.55, "mostly"),
    (0.65, 0.55, "mostly"),       # a one-word rule at exactly 65% is a shortcut
    (0.64, 0.55, None),           # below 65%: no shortcut to lean on
    (1.0, None, None),            # no giveaway word was deleted
])
def test_word_reliance_reads_the_ablation(rule, without, reading):
    summary = {"reward": {"heldout_accuracy": 0.85, "heldout_accuracy_without_word": without,
                          "word_rule_accuracy": rule}}
    assert word_reliance(summary) == reading


def test_exactly_five_points_lower_is_still_little():
    # 0.74 - 0.05 is 0.69 exactly in floating point (0.85 - 0.05 is not 0.80)
    summary = {"reward": {"heldout_accuracy": 0.74, "word_rule_accuracy": 1.0}}
    assert word_reliance({"reward": {**summary["reward"], "heldout_accuracy_without_word": 0.69}}) == "little"
    assert word_reliance({"reward": {**summary["reward"], "heldout_accuracy_without_word": 0.689}}) == "partly"


def test_known_word_share_counts_the_answer_words_found_in_the_course():
    course = ["Stop metformin when eGFR is below 30.", "Check the kidney function first."]
    assert known_word_share("Stop metformin now", course) == pytest.approx(2 / 3)
    assert known_word_share("STOP Metformin; check KIDNEY", course) == 1.0      # case does not matter
    assert known_word_share("zzq xqv", course) == 0.0
    assert known_word_share("30 40 !!", course) == 0.0                          # no words at all
    assert known_word_share("", course) == 0.0


TWIN = {"specific_answer": "Stop the drug: it is unsafe below 30. Switch to another.", "specific_score": 1.0,
        "sft_answer": "Stop the drug: it is unsafe below 30. Choose another.", "sft_answer_score": -1.5}


def test_a_near_twin_scored_far_apart_is_flagged_with_its_gap_and_wording():
    flagged = case_twin_gap(TWIN)
    assert flagged["gap"] == -2.5
    # 10 words against 11, 9 of them in the same order: 2 * 9 / 21
    assert flagged["shared"] == pytest.approx(18 / 21)
    assert case_twin_gap({**TWIN, "sft_answer_score": 2.0})["gap"] == 1.0     # scored far above: also flagged
    assert case_twin_gap({**TWIN, "sft_answer_score": 0.7}) is None           # scores close: 57% for one
    assert case_twin_gap({**TWIN, "sft_answer": "Carry on as usual; it should be fine."}) is None   # not a twin


def test_a_twin_is_at_least_80_percent_the_same_words():
    case = {"specific_answer": "a b c d e", "specific_score": 1.0, "sft_answer_score": -1.0}
    assert case_twin_gap({**case, "sft_answer": "a b c d x"})["shared"] == 0.8         # 2 * 4 / 10: a twin
    assert case_twin_gap({**case, "sft_answer": "a b c x y"}) is None                  # 2 * 3 / 10: not


def test_a_long_answer_one_word_from_the_reference_is_a_twin():
    """No word counts as junk, however often it occurs: the same wording is the same wording at any length."""
    reference = " ".join(["stop", "the", "drug", "and", "check", "the", "kidneys"] * 40)      # 280 words
    own = reference.replace("kidneys", "kidney", 1)
    flagged = case_twin_gap({"specific_answer": reference, "specific_score": 1.0,
                             "sft_answer": own, "sft_answer_score": -1.0})
    assert flagged is not None and flagged["shared"] > 0.9      # (with frequent words as junk: about 0.02)



# ---------------------------------------------------------------- the comparison words findings.py decides with
# (the verdict fixture matrix, each finding and its sentence on edited runs, is tests/test_findings.py)


@pytest.mark.parametrize("a, b, p, word", [
    (0.8, 0.5, 0.01, "beats"), (0.8, 0.5, 0.05, "higher"), (0.8, 0.5, None, "beats"),      # p must be below 0.05
    (0.5, 0.5, 0.0, "tie"), (0.5, 0.5, None, "tie"),
    (0.4, 0.5, 0.01, "worse"), (0.4, 0.5, 0.05, "lower"), (0.4, 0.5, None, "worse"),
])
def test_compare_says_beats_only_when_higher_and_unlikely_luck(a, b, p, word):
    assert findings.compare(a, b, p) == word


@pytest.mark.parametrize("before, after, word", [
    (1.0, 0.97, "fell"), (1.0, 0.98, "flat"),            # within 2% of before: flat
    (1.0, 1.0, "flat"), (1.0, 1.02, "flat"), (1.0, 1.03, "rose"),
    (2.0, 1.97, "flat"), (2.0, 1.95, "fell"),              # 2% of 2.0 is 0.04: below 1.96 it fell
])
def test_relative_change_of_a_loss(before, after, word):
    assert findings.relative(before, after) == word


@pytest.mark.parametrize("before, after, p, verdict", [
    (0.2, 0.8, 0.01, "rose"), (0.8, 0.2, 0.01, "fell"),
    (0.2, 0.8, 0.05, "unclear"), (0.2, 0.8, 0.049, "rose"),     # p must be below alpha
    (0.5, 0.5, 0.0, "unclear"),                                 # no change, whatever the p-value
])
def test_a_score_moved_only_beyond_luck(before, after, p, verdict):
    assert moved(before, after, p) == verdict


@pytest.mark.parametrize("kl, kl0, verdict", [
    (0.3, 1.2, "less"), (0.89, 1.2, "less"), (0.91, 1.2, "close"),     # 25% of 1.2 is 0.3
    (1.49, 1.2, "close"), (1.51, 1.2, "more"),
    (0.0, 0.04, "close"), (0.0, 0.06, "less"), (0.06, 0.0, "more"),    # near zero: 0.05 nats
    (-0.2, -0.1, "less"),                                               # an estimate can dip below zero
])
def test_drifts_are_compared_with_a_25_percent_margin(kl, kl0, verdict):
    assert drift_compared(kl, kl0) == verdict


@pytest.mark.parametrize("text, variety", [("do do do do", 0.25), ("Stop the drug now", 1.0), ("", 0.0),
                                           ("the THE the, and", 0.5), ("3 mg/kg", 1.0)])
def test_word_variety_is_distinct_words_over_words(text, variety):
    assert word_variety(text) == pytest.approx(variety)
