"""Every finding takes every one of its values on an edited real run, and the page and the docs then
say the sentence that value chooses (and not the others)."""

from __future__ import annotations

import copy
import math
import re

import pytest

from generator import findings
from generator import format as fmt
from generator.content import load_course
from generator.findings import RULES, Findings
from generator.render import ALIGNMENT, GUIDE, PAGE, render_outputs

from . import fixture_runs as fx
from .conftest import CONTENT


@pytest.fixture(scope="module")
def course():
    return load_course(CONTENT)


@pytest.fixture(scope="module")
def base(quick_run, course) -> dict:
    """The facts of the quick run, the dict every rule reads."""
    return findings.facts(quick_run, course.texts())


def set_(**changes):
    """An edit of the facts: set_(pretrain__final_val_loss=3.0) or set_(derived__sft__heldout=0)."""
    def apply(f: dict) -> None:
        for key, value in changes.items():
            *path, last = key.split("__")
            target = f
            for part in path:
                target = target[part]
            target[last] = value(f) if callable(value) else value
    return apply


def both(*edits):
    def apply(f: dict) -> None:
        for edit in edits:
            edit(f)
    return apply


def ln2(f):
    return f["theory"]["ln_2"]


def shares(*values):
    return set_(pretrain__sample_word_share=[{"step": 10 * i, "share": v} for i, v in enumerate(values)])


def trend(name, first, last, rises=1):
    return set_(**{f"derived__reward__{name}": {"first": first, "last": last, "rises": rises, "steps": 3}})


def compare(section, accuracy, baseline, p_key, p):
    return set_(**{"reward__heldout_accuracy": accuracy, f"{section}": baseline, p_key: p})


def rm_vs(baseline_key, p_key):
    return {"beats": compare(baseline_key, 0.9, 0.5, p_key, 0.01),
            "higher": compare(baseline_key, 0.7, 0.5, p_key, 0.3),
            "tie": compare(baseline_key, 0.6, 0.6, p_key, 1.0),
            "lower": compare(baseline_key, 0.5, 0.7, p_key, 0.3),
            "worse": compare(baseline_key, 0.5, 0.95, p_key, 0.01)}


HELD = dict(sft__heldout_first_loss=3.0, sft__first_loss=3.0, sft__final_loss=1.0)

# finding -> value -> an edit of the facts that gives the finding that value
MATRIX = {
    "pretrain_loss": {"fell": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["initial_loss"] * 0.5),
                      "flat": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["initial_loss"]),
                      "rose": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["initial_loss"] * 1.1)},
    "initial_vs_ln_v": {"above": set_(pretrain__initial_loss=lambda f: f["theory"]["ln_vocab"] + 0.01),
                        "below": set_(pretrain__initial_loss=lambda f: f["theory"]["ln_vocab"] - 0.01)},
    "pretrain_vs_baselines": {
        "below_bigram": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["bigram_val_loss"] - 0.1),
        "below_unigram": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["bigram_val_loss"] + 0.1,
                              pretrain__unigram_val_loss=lambda f: f["pretrain"]["bigram_val_loss"] + 0.5),
        "above_unigram": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["unigram_val_loss"] + 0.1)},
    "bigram_vs_unigram": {"helps": set_(pretrain__bigram_val_loss=lambda f: f["pretrain"]["unigram_val_loss"] - 0.5),
                          "no_help": set_(pretrain__bigram_val_loss=lambda f: f["pretrain"]["unigram_val_loss"] + 0.1)},
    "below_uniform": {"below": set_(pretrain__final_val_loss=lambda f: f["theory"]["ln_vocab"] - 1),
                      "not_below": set_(pretrain__final_val_loss=lambda f: f["theory"]["ln_vocab"] + 0.1)},
    "train_vs_val": {
        "undertrained": set_(pretrain__final_val_loss=lambda f: f["pretrain"]["bigram_val_loss"] + 0.1),
        "memorising": set_(pretrain__final_val_loss=2.0, pretrain__bigram_val_loss=2.9, pretrain__train_text_loss=1.6),
        "close": set_(pretrain__final_val_loss=2.0, pretrain__bigram_val_loss=2.9, pretrain__train_text_loss=1.96),
        "val_lower": set_(pretrain__final_val_loss=2.0, pretrain__bigram_val_loss=2.9, pretrain__train_text_loss=2.3)},
    "epochs": {n: set_(derived__pretrain__epochs=x) for n, x in
               (("many", 16.5), ("few", 2.0), ("about_once", 1.26), ("part", 0.5))},
    "context": {"helps": set_(pretrain__position_excess=0.0, pretrain__short_context_loss=3.0,
                              pretrain__long_context_loss=2.5),
                "flat": set_(pretrain__position_excess=0.0, pretrain__short_context_loss=3.0,
                             pretrain__long_context_loss=2.99),
                "hurts": set_(pretrain__position_excess=0.1)},
    "samples": {"rising": shares(0.0, 0.2, 0.45, 0.49), "mixed": shares(0.0, 0.34, 0.23, 0.64),
                "receded": shares(0.0, 0.3, 0.21, 0.12), "some_words": shares(0.0, 0.0, 0.13, 0.24),
                "noise": shares(0.0, 0.05, 0.1)},
    "sft_loss": {"memorised": set_(sft__first_loss=3.0, sft__final_loss=0.5),
                 "fell": set_(sft__first_loss=3.0, sft__final_loss=2.5),
                 "not_fell": set_(sft__first_loss=3.0, sft__final_loss=3.1)},
    "sft_accuracy": {"rose": set_(sft__first_token_accuracy=0.2, sft__final_token_accuracy=0.9),
                     "not_rose": set_(sft__first_token_accuracy=0.2, sft__final_token_accuracy=0.2)},
    "sft_start": {"above_pretrain": set_(sft__first_loss=lambda f: f["pretrain"]["final_val_loss"] + 0.5),
                  "not_above": set_(sft__first_loss=lambda f: f["pretrain"]["final_val_loss"] - 0.1)},
    "sft_stop": {"early": set_(sft__dev_loss=2.4, sft__stopped_early=True, sft__best_step=30),
                 "full": set_(sft__dev_loss=2.4, sft__stopped_early=False, sft__best_step=30),
                 "start": set_(sft__dev_loss=2.4, sft__stopped_early=True, sft__best_step=0),
                 "too_few": set_(sft__dev_loss=None, sft__stopped_early=False, sft__dev_pairs=0,
                                 sft__dev_pairs_asked=4),
                 "off": set_(sft__dev_loss=None, sft__stopped_early=False, sft__dev_pairs=0,
                             sft__dev_pairs_asked=0)},
    "sft_heldout": {"fell": set_(sft__heldout_first_loss=3.0, sft__heldout_loss=2.5),
                    "flat": set_(sft__heldout_first_loss=3.0, sft__heldout_loss=2.99),
                    "rose": set_(sft__heldout_first_loss=3.0, sft__heldout_loss=3.5),
                    "none": set_(sft__heldout_loss=None)},
    "sft_heldout_curve": {"rebounded": set_(sft__heldout_loss=2.66, sft__heldout_lowest_loss=2.47),
                          "steady": set_(sft__heldout_loss=2.47, sft__heldout_lowest_loss=2.47),
                          "none": set_(sft__heldout_loss=None)},
    "sft_heldout_accuracy": {"rose": set_(sft__heldout_first_token_accuracy=0.16, sft__heldout_token_accuracy=0.24),
                             "flat": set_(sft__heldout_first_token_accuracy=0.2, sft__heldout_token_accuracy=0.205),
                             "fell": set_(sft__heldout_first_token_accuracy=0.3, sft__heldout_token_accuracy=0.2),
                             "none": set_(sft__heldout_token_accuracy=None)},
    "sft_transfer": {"most": set_(**HELD, sft__heldout_loss=1.4), "part": set_(**HELD, sft__heldout_loss=2.4),
                     "little": set_(**HELD, sft__heldout_loss=2.9), "none": set_(**HELD, sft__heldout_loss=3.2),
                     "n/a": set_(sft__heldout_loss=None)},
    "sft_heldout_answers": {
        "readable": set_(derived__sft__heldout=8, derived__sft__heldout_empty=0, derived__sft__heldout_words=6,
                         derived__sft__heldout_garbled=2, derived__sft__heldout_repetitive=0),
        "garbled": set_(derived__sft__heldout=8, derived__sft__heldout_empty=0, derived__sft__heldout_words=2,
                        derived__sft__heldout_garbled=5, derived__sft__heldout_repetitive=1),
        "repetitive": set_(derived__sft__heldout=8, derived__sft__heldout_empty=1, derived__sft__heldout_words=0,
                           derived__sft__heldout_garbled=2, derived__sft__heldout_repetitive=5),
        "empty": set_(derived__sft__heldout=8, derived__sft__heldout_empty=8),
        "none": set_(derived__sft__heldout=0)},
    "sft_empty_answers": {"some": set_(derived__sft__heldout_empty=2), "none": set_(derived__sft__heldout_empty=0)},
    "sft_drift": {"drift": set_(sft__final_token_accuracy=0.95, derived__sft__trained=24,
                                derived__sft__trained_verbatim=20),
                  "verbatim": set_(sft__final_token_accuracy=0.95, derived__sft__trained=24,
                                   derived__sft__trained_verbatim=24),
                  "undertrained": set_(sft__final_token_accuracy=0.5)},
    "case_answer": {v: set_(derived__case__answer_reads_as=r) for v, r in (("readable", "words"),
                                                                          ("garbled", "garbled"),
                                                                          ("repetitive", "repetitive"))},
    "rm_loss": {"fell": set_(reward__first_loss=0.69, reward__final_loss=0.1),
                "flat": set_(reward__first_loss=0.69, reward__final_loss=0.69),
                "rose": set_(reward__first_loss=0.69, reward__final_loss=0.9)},
    "rm_loss_vs_ln2": {"below": set_(reward__final_loss=0.1), "not_below": set_(reward__final_loss=0.8)},
    "rm_first_loss": {"below_ln2": set_(reward__first_loss=lambda f: ln2(f) - 0.001),
                      "margin": set_(reward__first_loss=lambda f: ln2(f) + 0.001, reward__first_margin=-0.004),
                      "curvature": set_(reward__first_loss=lambda f: ln2(f) + 0.001, reward__first_margin=-0.0000057)},
    "rm_final_margin": {"positive": set_(reward__final_margin=1.0), "not_positive": set_(reward__final_margin=-0.2)},
    "rm_margin_trend": {"flat": trend("margins", 0.01, 0.02), "grew": trend("margins", 0.0, 2.0),
                        "shrank": trend("margins", 0.9, 0.3), "flipped": trend("margins", 0.2, -0.6),
                        "rising_negative": trend("margins", -0.9, -0.3),
                        "falling_negative": trend("margins", -0.1, -0.9)},
    "rm_loss_direction": {"up": trend("loss", 0.5, 0.9), "down": trend("loss", 0.69, 0.1)},
    "rm_margin_direction": {"up": trend("margins", 0.0, 1.0), "down": trend("margins", 1.0, 0.0)},
    "rm_loss_with_margin": {"as_expected": both(trend("loss", 0.69, 0.1), trend("margins", 0.0, 2.0)),
                            "both_same_way": both(trend("loss", 0.69, 0.9), trend("margins", 0.0, 2.0))},
    "rm_scores": {"apart": both(trend("chosen", 0.0, 1.0), trend("rejected", 0.0, -1.0)),
                  "both_up": both(trend("chosen", 0.0, 2.0), trend("rejected", 0.0, 1.0)),
                  "both_down": both(trend("chosen", 0.0, -1.0), trend("rejected", 0.0, -2.0)),
                  "together": both(trend("chosen", 1.0, 0.0), trend("rejected", -1.0, 0.0))},
    "rm_accuracy_vs_margin": {"close": set_(reward__final_margin=2.0, derived__reward__final_accuracy=0.9),
                              "accuracy_higher": set_(reward__final_margin=0.5, derived__reward__final_accuracy=1.0),
                              "accuracy_lower": set_(reward__final_margin=3.0, derived__reward__final_accuracy=0.7)},
    "rm_calibration": {"under_confident": set_(reward__train_accuracy=1.0, derived__reward__expected_accuracy=0.7),
                       "over_confident": set_(reward__train_accuracy=0.6, derived__reward__expected_accuracy=0.9),
                       "calibrated": set_(reward__train_accuracy=0.9, derived__reward__expected_accuracy=0.9)},
    "rm_heldout_calibration": {
        "under_confident": set_(reward__heldout_accuracy=0.9, derived__reward__expected_heldout_accuracy=0.7),
        "over_confident": set_(reward__heldout_accuracy=0.6, derived__reward__expected_heldout_accuracy=0.9),
        "calibrated": set_(reward__heldout_accuracy=0.8, derived__reward__expected_heldout_accuracy=0.8)},
    "rm_train_gap": {"memorises": set_(reward__train_accuracy=1.0, reward__heldout_accuracy=0.6),
                     "close": set_(reward__train_accuracy=0.9, reward__heldout_accuracy=0.85)},
    "rm_vs_strongest": rm_vs("reward__strongest_baseline_accuracy", "reward__vs_strongest_baseline_p"),
    "rm_vs_length": rm_vs("reward__length_baseline_accuracy", "reward__vs_length_p"),
    "rm_vs_word": rm_vs("reward__word_rule_accuracy", "derived__reward__vs_word_p"),
    "rm_vs_bag": rm_vs("reward__bag_of_tokens_accuracy", "derived__reward__vs_bag_p"),
    "strongest_baseline": {name: set_(reward__strongest_baseline=name) for name in ("length", "one_word",
                                                                                 "bag_of_tokens")},
    "rm_heldout_margin": {"positive": set_(reward__heldout_mean_margin=0.5),
                          "not_positive": set_(reward__heldout_mean_margin=-0.2)},
    "rm_interval_above_chance": {"yes": set_(reward__heldout_interval=[0.64, 0.95]),
                                 "no": set_(reward__heldout_interval=[0.43, 0.82])},
    "rm_mistakes": {"none": set_(derived__reward__wrong=0),
                    "longer_rejected": set_(derived__reward__wrong=4, derived__reward__wrong_rejected_longer=4,
                                            derived__reward__rejected_longer=10),
                    "not_length": set_(derived__reward__wrong=4, derived__reward__wrong_rejected_longer=2,
                                       derived__reward__rejected_longer=10)},
    "word_rule": {"shortcut": set_(reward__word_rule_accuracy=0.8), "weak": set_(reward__word_rule_accuracy=0.6),
                  "chance": set_(reward__word_rule_accuracy=0.5)},
    "word_reliance": {
        "little": set_(reward__word_rule_accuracy=0.8, reward__heldout_accuracy=0.85,
                       reward__heldout_accuracy_without_word=0.85),
        "partly": set_(reward__word_rule_accuracy=0.8, reward__heldout_accuracy=0.85,
                       reward__heldout_accuracy_without_word=0.7),
        "mostly": set_(reward__word_rule_accuracy=0.8, reward__heldout_accuracy=0.85,
                       reward__heldout_accuracy_without_word=0.5),
        "not_read": set_(reward__word_rule_accuracy=0.6)},
    "without_word": {"same": set_(reward__heldout_accuracy=0.85, reward__heldout_accuracy_without_word=0.85),
                     "different": set_(reward__heldout_accuracy=0.85, reward__heldout_accuracy_without_word=0.8)},
    "case_preference": {"clear": set_(case__specific_score=1.0, case__vague_score=0.0),
                        "barely": set_(case__specific_score=0.1, case__vague_score=0.0),
                        "reversed": set_(case__specific_score=-0.5, case__vague_score=0.0)},
    "case_own_answer": {
        "nonsense_above_both": set_(derived__case__answer_reads_as="garbled", case__specific_score=-0.685,
                                    case__vague_score=-1.0, case__sft_answer_score=0.619),
        "nonsense_above_specific": set_(derived__case__answer_reads_as="garbled", case__specific_score=-0.685,
                                        case__vague_score=1.0, case__sft_answer_score=0.619),
        "nonsense_above_vague": set_(derived__case__answer_reads_as="garbled", case__specific_score=1.0,
                                     case__vague_score=-1.0, case__sft_answer_score=0.619),
        "close": set_(derived__case__answer_reads_as="words", case__specific_score=0.1, case__vague_score=0.0,
                      case__sft_answer_score=0.2),
        "above_both": set_(derived__case__answer_reads_as="words", case__specific_score=1.0, case__vague_score=0.0,
                           case__sft_answer_score=2.0),
        "below_both": set_(derived__case__answer_reads_as="words", case__specific_score=1.0, case__vague_score=0.0,
                           case__sft_answer_score=-1.0),
        "between": set_(derived__case__answer_reads_as="words", case__specific_score=1.0, case__vague_score=0.0,
                        case__sft_answer_score=0.5)},
    "case_twin": {"brittle": set_(derived__case__twin_shared=0.9, derived__case__twin_gap=-0.949),
                  "none": set_(derived__case__twin_shared=0.9, derived__case__twin_gap=-0.2)},
    "case_rl_score": {"higher": set_(case__sft_answer_score=0.2, case__rl_answer_score=0.7),
                      "close": set_(case__sft_answer_score=0.2, case__rl_answer_score=-0.19),
                      "lower": set_(case__sft_answer_score=0.2, case__rl_answer_score=-0.3)},
    "case_rl_rubric": {"rose": set_(case__sft_answer_rubric=0.0, case__rl_answer_rubric=0.5),
                       "same": set_(case__sft_answer_rubric=0.5, case__rl_answer_rubric=0.5),
                       "fell": set_(case__sft_answer_rubric=0.5, case__rl_answer_rubric=0.0),
                       "absent": set_(case__sft_answer_rubric=None, case__rl_answer_rubric=None)},
    "case_rl_nonsense": {"above_specific": set_(derived__case__rl_answer_reads_as="garbled", case__specific_score=0.5,
                                                case__vague_score=-1.0, case__rl_answer_score=0.9),
                         "above_vague": set_(derived__case__rl_answer_reads_as="repetitive", case__specific_score=0.5,
                                             case__vague_score=-1.0, case__rl_answer_score=0.0),
                         "none": set_(derived__case__rl_answer_reads_as="words", case__specific_score=0.5,
                                      case__vague_score=-1.0, case__rl_answer_score=0.6)},
    "case_rl_seen": {"trained": set_(case__rl_prompt_shared=0.9), "new": set_(case__rl_prompt_shared=0.5)},
    "case_rl_answer": {v: set_(derived__case__rl_answer_reads_as=r) for v, r in (("readable", "words"),
                                                                                 ("garbled", "garbled"),
                                                                                 ("repetitive", "repetitive"))},
    "contamination": {"clean": set_(data__heldout_sft_overlap=0.0, data__preference_overlap=0.05,
                                    data__case_overlap=0.0),
                      "leaked": set_(data__heldout_sft_overlap=0.3)},
    "rl_reward": {"rose": set_(rl__reward_before=0.0, rl__reward_after=0.5, rl__reward_vs_before_p=0.01),
                  "unclear": set_(rl__reward_before=0.0, rl__reward_after=0.5, rl__reward_vs_before_p=0.3),
                  "fell": set_(rl__reward_before=0.0, rl__reward_after=-0.5, rl__reward_vs_before_p=0.01)},
    "rl_rubric": {"rose": set_(rl__rubric_before=0.3, rl__rubric_after=0.5, rl__rubric_vs_before_p=0.01),
                  "unclear": set_(rl__rubric_before=0.3, rl__rubric_after=0.1, rl__rubric_vs_before_p=0.3),
                  "fell": set_(rl__rubric_before=0.3, rl__rubric_after=0.1, rl__rubric_vs_before_p=0.01),
                  "floor": set_(rl__rubric_before=0.0, rl__rubric_after=0.0, rl__rubric_vs_before_p=1.0)},
    "rl_vs_best_of_n": {v: compare_rl for v, compare_rl in (
        ("beats", set_(rl__reward_after=0.9, rl__best_of_n_reward=0.5, rl__vs_best_of_n_p=0.01)),
        ("higher", set_(rl__reward_after=0.7, rl__best_of_n_reward=0.5, rl__vs_best_of_n_p=0.3)),
        ("tie", set_(rl__reward_after=0.5, rl__best_of_n_reward=0.5, rl__vs_best_of_n_p=1.0)),
        ("lower", set_(rl__reward_after=0.4, rl__best_of_n_reward=0.5, rl__vs_best_of_n_p=0.3)),
        ("worse", set_(rl__reward_after=0.1, rl__best_of_n_reward=0.5, rl__vs_best_of_n_p=0.01)))},
    "rl_gaming": {"games_judge": set_(rl__reward_before=0.0, rl__rubric_before=0.3, rl__beta0_reward_after=1.0,
                                      rl__beta0_rubric_after=0.1, derived__rl__beta0_reward_p=0.01,
                                      derived__rl__beta0_rubric_p=0.01),
                  "unclear": set_(rl__reward_before=0.0, rl__rubric_before=0.3, rl__beta0_reward_after=1.0,
                                  rl__beta0_rubric_after=0.1, derived__rl__beta0_reward_p=0.01,
                                  derived__rl__beta0_rubric_p=0.3),
                  "no_gain": set_(rl__reward_before=0.0, rl__beta0_reward_after=1.0, derived__rl__beta0_reward_p=0.3),
                  "both_rose": set_(rl__reward_before=0.0, rl__rubric_before=0.3, rl__beta0_reward_after=1.0,
                                    rl__beta0_rubric_after=0.6, derived__rl__beta0_reward_p=0.01,
                                    derived__rl__beta0_rubric_p=0.01)},
    "kl_restrains": {"yes": set_(rl__kl_after=0.1, rl__beta0_kl_after=1.0),
                     "close": set_(rl__kl_after=0.95, rl__beta0_kl_after=1.0),
                     "no": set_(rl__kl_after=1.0, rl__beta0_kl_after=0.1)},
}

# each check, met and missed
ALL_MET = set_(pretrain__initial_loss=lambda f: f["theory"]["ln_vocab"], pretrain__final_val_loss=2.0,
               pretrain__bigram_val_loss=2.9, pretrain__position_excess=0.0, sft__first_loss=3.0, sft__final_loss=0.5,
               sft__first_token_accuracy=0.4, sft__final_token_accuracy=0.95, sft__heldout_first_loss=3.0,
               sft__heldout_loss=2.5,
               reward__first_loss=lambda f: ln2(f), reward__train_accuracy=1.0, reward__heldout_accuracy=0.95,
               reward__heldout_mean_margin=1.0, reward__strongest_baseline_accuracy=0.6,
               reward__vs_strongest_baseline_p=0.01, rl__reward_before=0.0, rl__reward_after=0.5,
               rl__rubric_before=0.3, rl__rubric_after=0.4, rl__best_of_n_reward=0.2, rl__vs_best_of_n_p=0.01,
               rl__kl_after=0.1, rl__beta0_kl_after=1.0, rl__reward_vs_before_p=0.01, rl__rubric_vs_before_p=0.3)
MISSES = {"untrained_near_ln_v": set_(pretrain__initial_loss=lambda f: f["theory"]["ln_vocab"] * 1.2),
          "val_below_uniform": set_(pretrain__final_val_loss=lambda f: f["theory"]["ln_vocab"] * 0.8,
                                    pretrain__bigram_val_loss=lambda f: f["theory"]["ln_vocab"]),
          "val_below_bigram": set_(pretrain__final_val_loss=3.0),
          "context_helps": set_(pretrain__position_excess=0.1),
          "sft_loss_drop": set_(sft__final_loss=3.0),
          "sft_token_accuracy": set_(sft__final_token_accuracy=0.3),
          "sft_generalises": set_(sft__heldout_loss=3.1),
          "rm_starts_at_ln2": set_(reward__first_loss=1.0),
          "rm_train_accuracy": set_(reward__train_accuracy=0.95),
          "rm_heldout_accuracy": set_(reward__heldout_accuracy=0.7, reward__vs_strongest_baseline_p=0.01),
          "rm_beats_baselines": set_(reward__vs_strongest_baseline_p=0.3),
          "rl_reward_rises": set_(rl__reward_vs_before_p=0.3),
          "rl_rubric_holds": set_(rl__rubric_after=0.2, rl__rubric_vs_before_p=0.01),
          "rl_beats_best_of_n": set_(rl__vs_best_of_n_p=0.3),
          "rl_kl_restrains": set_(rl__kl_after=0.95)}
for _check in findings.CHECKS:
    MATRIX[_check] = {"met": ALL_MET, "missed": both(ALL_MET, MISSES[_check])}
MATRIX["sft_generalises"]["absent"] = set_(sft__heldout_loss=None)
MATRIX["checks"] = {"all_met": ALL_MET, "some_missed": both(ALL_MET, MISSES["sft_generalises"])}

CASES = [(name, value) for name, values in MATRIX.items() for value in values]


def test_the_matrix_gives_every_finding_every_value():
    assert set(MATRIX) == set(RULES), set(RULES) ^ set(MATRIX)
    for name, (values, _) in RULES.items():
        assert set(MATRIX[name]) == set(values), name


@pytest.mark.parametrize("name, value", CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_each_finding_takes_each_value(base, name, value):
    facts = copy.deepcopy(base)
    MATRIX[name][value](facts)
    assert Findings(facts)[name] == value


def test_asking_for_a_value_a_finding_cannot_take_is_an_error(base):
    with pytest.raises(ValueError, match="cannot be"):
        Findings(base).holds("pretrain_loss", "dropped")


# ---------------------------------------------------------------- the sentences each value chooses

def render(course, run) -> dict[str, str]:
    return render_outputs(course, run)


@pytest.fixture(scope="module")
def quick_files(course, quick_run):
    return render(course, quick_run)


def test_an_undertrained_quick_run_is_not_called_generalising(quick_files, quick_run):
    """Issue 10, item 16: the quick run's model is above the bigram; its train/validation gap says nothing."""
    assert quick_run["summary"]["config"]["quick"]
    guide = quick_files[GUIDE]
    if quick_run["summary"]["pretrain"]["final_val_loss"] >= quick_run["summary"]["pretrain"]["bigram_val_loss"]:
        assert "Their closeness says little here" in guide
        assert "generalising rather than memorising" not in guide
        assert "not yet the bigram baseline" in quick_files[PAGE]


def test_loss_above_the_bigram(course, quick_run):
    files = render(course, fx.above_bigram(quick_run))
    assert "not yet the bigram baseline" in files[PAGE] and "That is below the bigram baseline" not in files[PAGE]
    assert "still above the bigram baseline" in files[GUIDE]
    assert "Their closeness says little here" in files[GUIDE]
    files = render(course, fx.below_bigram(quick_run))
    assert "That is below the bigram baseline" in files[PAGE]
    assert "Beating the bigram line is the meaningful part" in files[GUIDE]


def test_a_negative_margin(course, quick_run):
    files = render(course, fx.negative_margin(quick_run))
    assert "which does not favour the expert" in files[PAGE]
    assert "flipped sign" in files[GUIDE] and "flipped sign" in files[ALIGNMENT]
    assert "the chosen answers do not score higher on average" in files[PAGE]


def test_held_out_below_chance_is_named_in_the_headline(course, quick_run):
    files = render(course, fx.below_chance(quick_run))
    for text in (files[PAGE], files[GUIDE]):
        assert "checks were met. Not met:" in text and "held-out pairs ranked right (40%)" in text
    assert "every stage learned" not in files[GUIDE]
    assert "somewhere from 22% to 61% (a 95% Wilson interval, a range for the true rate)" in files[GUIDE]
    assert "would score from 20% to 65% (a 95% predictive interval" in files[GUIDE]


def test_an_interval_that_holds_the_baseline_is_not_distinguishable(course, quick_run):
    """Issue 10, item 13 (seed 3): 65% against the length rule's 50%, p = 0.18, is no win."""
    files = render(course, fx.interval_holds_baseline(quick_run))
    for text in files.values():
        assert "beats it" not in text and "alone it does better" not in text
    assert "is higher, but not distinguishable from it" in files[PAGE]
    assert "p = 0.18" in files[GUIDE]


def test_the_reward_model_beats_its_strongest_baseline_only_by_the_paired_test(course, quick_run):
    winning = render(course, fx.beats_strongest(quick_run))
    assert "The reward model's 95% beats it" in winning[PAGE] and "p = 0.008" in winning[PAGE]
    losing = render(course, fx.not_beating_strongest(quick_run))
    assert "is higher, but not distinguishable from it" in losing[PAGE]
    assert "beats it" not in losing[PAGE]


def test_nonsense_scored_above_the_right_answer_is_flagged(course, quick_run):
    """Issue 10, item 18: the warning fires when nonsense beats the specific answer, not only the vague one."""
    files = render(course, fx.nonsense_wins(quick_run))
    for text in (files[PAGE], files[GUIDE]):
        assert "garbled answer (0.619) above both reference answers" in text
    run = fx.nonsense_wins(quick_run)
    run["case"]["vague_score"] = 1.0                 # above the specific answer only
    assert "garbled answer (0.619) above the specific answer (−0.685)" in render(course, run)[GUIDE]


def test_a_near_twin_scored_apart_is_flagged(course, quick_run):
    """Issue 10, item 14 (seed 3): a gap of 0.949 between near-identical answers is brittleness."""
    files = render(course, fx.near_twin(quick_run))
    assert 'id="case-twin"' in files[PAGE]
    assert "differ by 0.949" in files[GUIDE]


def test_held_out_loss_up_while_accuracy_rose(course, quick_run):
    """Issue 10, item 7: the loss says nothing carries over; token accuracy rose, and the guide says both."""
    guide = render(course, fx.heldout_rose(quick_run))[GUIDE]
    assert "By the loss, none of the improvement carries over" in guide
    assert "by token accuracy some does (16.3% to 24.2%)" in guide
    assert "The held-out loss rose" in guide


def test_empty_answers_are_said_to_be_empty(course, quick_run):
    files = render(course, fx.empty_answers(quick_run))
    assert "(It wrote nothing: its first token was the end marker.)" in files[PAGE]
    assert "after SFT:  (nothing: its first token was the end marker)" in files[GUIDE]


def test_every_check_met_says_so_and_nothing_more(course, quick_run):
    files = render(course, fx.all_met(quick_run))
    for text in (files[PAGE], files[GUIDE]):
        assert "All 15 checks were met." in text
        assert "every stage learned" not in text


def test_the_samples_caption_follows_the_share_of_course_words(course, quick_run):
    """Issue 10, item 4: a fixed caption said words show through even when the text was noise."""
    for values, said in (((0.0, 0.05, 0.1), "It is noise at every checkpoint"),
                         ((0.0, 0.0, 0.13, 0.24), "Most of it is still noise"),
                         ((0.0, 0.3, 0.21, 0.12), "It peaked at step 10 (30%)"),
                         ((0.0, 0.2, 0.45, 0.49), "It grows from checkpoint to checkpoint")):
        run = copy.deepcopy(quick_run)
        run["summary"]["pretrain"]["sample_word_share"] = [{"step": 10 * i, "share": v} for i, v in enumerate(values)]
        files = render(course, run)
        assert said in files[PAGE] and said in files[GUIDE], said


def test_context_caption(course, quick_run):
    hurting = fx.edited(quick_run, pretrain__position_excess=0.12)
    assert "More context does not help: a later stretch of the window is predicted +12.0% worse" in \
        render(course, hurting)[PAGE]
    helping = fx.edited(quick_run, pretrain__position_excess=0.0, pretrain__short_context_loss=3.0,
                        pretrain__long_context_loss=2.5)
    assert "More context helps" in render(course, helping)[PAGE]


def test_no_negative_zero_and_the_first_loss_blamed_on_curvature(course, quick_run):
    """Issue 10, item 15 (seed 3): a margin of -0.0000057 printed as -0.000 and blamed for the excess over ln 2."""
    run = fx.edited(quick_run, reward__first_margin=-0.0000057, reward__first_loss=math.log(2) + 0.0003)
    files = render(course, run)
    negative_zero = re.compile(r"−0\.0+(?![0-9])%?")      # −0.000 or −0.0%, but not a real −0.0001
    for text in files.values():
        assert not negative_zero.search(text), negative_zero.search(text)
    assert "the mean margin is too small to explain it" in files[GUIDE]
    assert fmt.signed(-0.0000057) == "0.000" and fmt.change_pct(1.0, 0.99999) == "0.0%"


def test_how_often_the_text_was_read(course, quick_run):
    """Issue 10, item 19: 1.26 passes over the text is not "a few times"."""
    run = copy.deepcopy(quick_run)
    run["data"]["train_tokens"] = int(run["summary"]["pretrain"]["tokens_seen"] / 1.26)
    guide = render(course, run)[GUIDE]
    assert "even a small corpus read once or twice" in guide and "read a few times" not in guide


def test_a_weak_one_word_rule_is_not_called_no_better_than_chance(course, quick_run):
    """Issue 10, item 19: "No single word carries over" when the one-word rule scored 60%."""
    run = copy.deepcopy(quick_run)
    run["reward"]["word_rule"]["marks"] = "rejected"
    run["reward"]["word_rule"]["word"] = "fine"
    run["summary"]["reward"]["word_rule_accuracy"] = 0.6
    files = render(course, run)
    assert "No single word carries over" not in files[PAGE] + files[GUIDE]
    assert "a little above a coin toss" in files[PAGE]


def test_contamination_is_reported(course, quick_run):
    leaked = render(course, fx.edited(quick_run, data__heldout_sft_overlap=0.3))
    assert "At least one shares more than 10%" in leaked[PAGE] and "benchmark contamination" in leaked[GUIDE]
    clean = render(course, fx.edited(quick_run, data__heldout_sft_overlap=0.0, data__preference_overlap=0.0,
                                     data__case_overlap=0.0))
    assert "None shares more than 10%" in clean[GUIDE]


def test_a_text_reads_as_words_garbled_or_repetitive(course):
    texts = course.texts()

    def reads(text):
        return findings.reads_as(findings._words(text, texts))
    assert reads("AIDs ck do do do do do do do do d") == "repetitive"        # the quick run's case answer
    assert reads("R the chechechechechechechechechech") == "repetitive"
    assert reads(fx.GARBLED) == "garbled"
    assert reads(course.case.specific_answer) == "words"
