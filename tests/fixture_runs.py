"""Fixture runs: a real run, edited so that findings flip. Shared by tests/test_findings.py (the sentence each
finding chooses) and tests/test_claims.py (no outcome stated outside a claim, whatever the run)."""

from __future__ import annotations

import copy
import math

GARBLED = "zq xvw qqqk wrrr brrp zzyx"


def edited(run: dict, **changes) -> dict:
    """A copy of the run with summary figures changed: edited(run, pretrain__final_val_loss=3.0)."""
    out = copy.deepcopy(run)
    for key, value in changes.items():
        section, name = key.split("__")
        out["summary"][section][name] = value
    return out


def above_bigram(run: dict) -> dict:
    """Pretraining stops above the bigram baseline, as a quick run does."""
    p = run["summary"]["pretrain"]
    return edited(run, pretrain__final_val_loss=p["bigram_val_loss"] + 0.1)


def below_bigram(run: dict) -> dict:
    p = run["summary"]["pretrain"]
    return edited(run, pretrain__final_val_loss=p["bigram_val_loss"] - 0.3,
                  pretrain__train_text_loss=p["bigram_val_loss"] - 0.32)


def with_history(run: dict, margins: list[float], losses: list[float]) -> dict:
    """The reward model's training log replaced: these mean margins and losses, step by step."""
    run = copy.deepcopy(run)
    history = run["reward"]["history"]
    history["rewards/margins"], history["loss"] = margins, losses
    history["rewards/accuracies"] = [1.0 if m > 0 else 0.0 for m in margins]
    history["rewards/chosen"] = [m / 2 for m in margins]
    history["rewards/rejected"] = [-m / 2 for m in margins]
    run["summary"]["reward"].update(first_margin=margins[0], final_margin=margins[-1],
                                    first_loss=losses[0], final_loss=losses[-1])
    return run


def negative_margin(run: dict) -> dict:
    """The reward model prefers the rejected answers, in training and held out."""
    r = run["summary"]["reward"]
    out = with_history(run, [0.01, -0.2, -0.5, -0.9], [0.69, 0.8, 0.95, 1.2])
    return edited(out, reward__heldout_mean_margin=-abs(r["heldout_mean_margin"]) - 0.1)


def below_chance(run: dict) -> dict:
    """Held-out accuracy under a coin toss, its interval reaching below it, beaten by its baselines."""
    return edited(run, reward__heldout_accuracy=0.4, reward__heldout_right=8, reward__heldout_interval=[0.22, 0.61],
                  reward__heldout_predictive_interval=[0.2, 0.65], reward__strongest_baseline="length",
                  reward__strongest_baseline_accuracy=0.5, reward__length_baseline_accuracy=0.5,
                  reward__vs_strongest_baseline_p=0.5, reward__vs_length_p=0.5)


def _word_rule_ties(run: dict) -> dict:
    """The one-word rule gets right exactly the pairs the reward model gets right: no paired test can tell them
    apart, whatever the run's own pairs were."""
    out = copy.deepcopy(run)
    out["reward"]["baselines"]["one_word"] = [1.0 if p["heldout_correct"] else 0.0 for p in out["reward"]["pairs"]]
    return out


def interval_holds_baseline(run: dict) -> dict:
    """Seed 3's case: 65% held out against the length rule's 50%, an interval that holds 50%, p well above 0.05."""
    return edited(_word_rule_ties(run), reward__heldout_accuracy=0.65, reward__heldout_right=13,
                  reward__heldout_interval=[0.43, 0.82], reward__heldout_predictive_interval=[0.4, 0.85],
                  reward__strongest_baseline="length", reward__strongest_baseline_accuracy=0.5,
                  reward__length_baseline_accuracy=0.5, reward__bag_of_tokens_accuracy=0.45,
                  reward__vs_strongest_baseline_p=0.18, reward__vs_length_p=0.18)


def beats_strongest(run: dict) -> dict:
    """The reward model above its strongest baseline by a paired test."""
    return edited(run, reward__heldout_accuracy=0.95, reward__heldout_right=19,
                  reward__strongest_baseline="bag_of_tokens", reward__strongest_baseline_accuracy=0.6,
                  reward__bag_of_tokens_accuracy=0.6, reward__vs_strongest_baseline_p=0.008, reward__vs_length_p=0.001,
                  reward__heldout_mean_margin=1.0)


def not_beating_strongest(run: dict) -> dict:
    """Higher than its strongest baseline, but not by enough to tell from luck."""
    return edited(_word_rule_ties(beats_strongest(run)), reward__heldout_accuracy=0.7, reward__heldout_right=14,
                  reward__vs_strongest_baseline_p=0.5)


def nonsense_wins(run: dict) -> dict:
    """The fine-tuned model's answer to the case is garbled, and the reward model scores it above the right one."""
    out = copy.deepcopy(run)
    case = out["case"]
    case["sft_answer"] = GARBLED
    case["specific_score"], case["vague_score"], case["sft_answer_score"] = -0.685, -1.2, 0.619
    return out


def near_twin(run: dict) -> dict:
    """Seed 3's case: the model's answer is the reference with one word changed, scored 0.949 lower."""
    out = copy.deepcopy(run)
    case = out["case"]
    words = case["specific_answer"].split()
    case["sft_answer"] = " ".join(["Halt", *words[1:]])
    case["vague_score"] = case["specific_score"] - 1.5
    case["sft_answer_score"] = case["specific_score"] - 0.949
    return out


def heldout_rose(run: dict) -> dict:
    """Fine-tuning makes the held-out loss worse, while held-out token accuracy rises (issue 10, item 7)."""
    s = run["summary"]["sft"]
    return edited(run, sft__heldout_first_loss=3.617, sft__heldout_loss=4.041, sft__heldout_lowest_loss=3.5,
                  sft__heldout_first_token_accuracy=0.163, sft__heldout_token_accuracy=0.242,
                  sft__first_loss=max(s["first_loss"], 3.0), sft__final_loss=0.4)


def empty_answers(run: dict) -> dict:
    """The fine-tuned model writes nothing to every held-out question."""
    out = copy.deepcopy(run)
    for answer in out["sft"]["answers"]:
        if answer["heldout"]:
            answer["after"] = ""
    return out


def all_met(run: dict) -> dict:
    """Every check met."""
    p, t = run["summary"]["pretrain"], run["summary"]["theory"]
    out = below_bigram(beats_strongest(run))
    out = edited(out, pretrain__initial_loss=t["ln_vocab"], pretrain__final_val_loss=min(
        p["bigram_val_loss"] - 0.3, 0.6 * t["ln_vocab"]), pretrain__position_excess=0.0,
        sft__first_loss=2.5, sft__final_loss=0.4, sft__final_token_accuracy=0.95,
        sft__heldout_first_loss=2.8, sft__heldout_loss=2.6,
        reward__first_loss=t["ln_2"], reward__train_accuracy=1.0, reward__heldout_mean_margin=1.0,
        rl__reward_before=-0.2, rl__reward_after=0.5, rl__rubric_before=0.3, rl__rubric_after=0.4,
        rl__best_of_n_reward=0.2, rl__vs_best_of_n_p=0.01, rl__kl_after=0.1, rl__beta0_kl_after=1.0,
        rl__reward_vs_before_p=0.01, rl__rubric_vs_before_p=0.3)
    return out


def everything_wrong(run: dict) -> dict:
    """Every stage fails at once: the run a broken configuration would give."""
    t = run["summary"]["theory"]
    out = nonsense_wins(near_twin(negative_margin(below_chance(heldout_rose(run)))))
    out = edited(out, pretrain__initial_loss=t["ln_vocab"] * 1.2, pretrain__final_val_loss=t["ln_vocab"] * 1.25,
                 pretrain__unigram_val_loss=t["ln_vocab"] * 0.9, pretrain__bigram_val_loss=t["ln_vocab"] * 0.95,
                 pretrain__position_excess=0.2, pretrain__short_context_loss=4.0, pretrain__long_context_loss=4.5,
                 pretrain__sample_word_share=[{"step": 0, "share": 0.0}, {"step": 10, "share": 0.05}],
                 sft__first_loss=3.0, sft__final_loss=3.1, sft__first_token_accuracy=0.2, sft__final_token_accuracy=0.1,
                 reward__first_loss=1.0, reward__train_accuracy=0.5, reward__word_rule_accuracy=0.9,
                 reward__heldout_accuracy_without_word=0.5,
                 data__heldout_sft_overlap=0.4, data__preference_overlap=0.3, data__case_overlap=0.2)
    out["summary"]["reward"]["first_margin"] = -0.0000057      # a negative zero, once printed
    return empty_answers(out)


def quick_like(run: dict) -> dict:
    """An undertrained run: pretraining above the bigram, samples still noise, held-out answers garbled."""
    out = above_bigram(run)
    out["summary"]["pretrain"]["sample_word_share"] = [{"step": 0, "share": 0.0}, {"step": 60, "share": 0.24}]
    for answer in out["sft"]["answers"]:
        if answer["heldout"]:
            answer["after"] = "AIDs the chechechecheche do do do"
    out["summary"]["sft"].update(first_loss=3.349, final_loss=2.961, heldout_first_loss=3.36, heldout_loss=3.137)
    return out


# the edited runs every claims test renders
SCENARIOS = {f.__name__: f for f in (above_bigram, below_bigram, negative_margin, below_chance, interval_holds_baseline,
                                     beats_strongest, not_beating_strongest, nonsense_wins, near_twin, heldout_rose,
                                     empty_answers, all_met, everything_wrong, quick_like)}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
