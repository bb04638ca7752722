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
"""

from __future__ import annotations

from collections.abc import Callable

from .stats import ALPHA

Rule = Callable[[dict], str]
RULES: dict[str, tuple[tuple[str, ...], Rule]] = {}

CLOSE = 0.02          # losses within 2% of each other are "about the same"


def finding(name: str, values: tuple[str, ...]) -> Callable[[Rule], Rule]:
    """Register a rule: summary -> one of `values`."""
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


# ---- stage 1: pretraining ---------------------------------------------------------------------
@finding("pretrain_vs_bigram", ("below", "not_below"))
def _vs_bigram(s: dict) -> str:
    p = s["pretrain"]
    return "below" if p["final_val_loss"] < p["bigram_val_loss"] else "not_below"


@finding("context", ("helps", "flat", "hurts"))
def _context(s: dict) -> str:
    """Does more context help? 'hurts' when a later stretch of the window is predicted more than 5% worse
    than positions 16-31; 'helps' when the last positions beat the first 16 by more than CLOSE."""
    p = s["pretrain"]
    if p["position_excess"] > 0.05:
        return "hurts"
    return "helps" if p["long_context_loss"] < p["short_context_loss"] * (1 - CLOSE) else "flat"


# ---- stage 2: supervised fine-tuning -----------------------------------------------------------
@finding("sft_heldout", ("fell", "flat", "rose", "none"))
def _sft_heldout(s: dict) -> str:
    """The held-out answers' loss from before fine-tuning to the end ('none': no held-out questions)."""
    f = s["sft"]
    return "none" if f["heldout_loss"] is None else relative(f["heldout_first_loss"], f["heldout_loss"])


@finding("sft_memorised", ("yes", "no"))
def _sft_memorised(s: dict) -> str:
    """The demonstrations are reproduced token for token: at least 90% of answer tokens right."""
    return "yes" if s["sft"]["final_token_accuracy"] >= 0.9 else "no"


# ---- stage 3: the reward model ------------------------------------------------------------------
@finding("rm_vs_strongest", COMPARISON)
def _rm_vs_strongest(s: dict) -> str:
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["strongest_baseline_accuracy"], r["vs_strongest_baseline_p"])


@finding("rm_vs_length", COMPARISON)
def _rm_vs_length(s: dict) -> str:
    r = s["reward"]
    return compare(r["heldout_accuracy"], r["length_baseline_accuracy"], r["vs_length_p"])


@finding("rm_heldout_margin", ("positive", "not_positive"))
def _rm_margin(s: dict) -> str:
    return "positive" if s["reward"]["heldout_mean_margin"] > 0 else "not_positive"


@finding("rm_interval_above_chance", ("yes", "no"))
def _rm_interval(s: dict) -> str:
    """Whether even the low end of the 95% interval for the true accuracy is above a coin toss."""
    return "yes" if s["reward"]["heldout_interval"][0] > 0.5 else "no"


# ---- stage 4: reinforcement learning -----------------------------------------------------------
@finding("rl_reward", ("rose", "flat", "fell"))
def _rl_reward(s: dict) -> str:
    """The reward model's mean score on the held-out questions, before RL and after."""
    rl = s["rl"]
    gap = rl["reward_after"] - rl["reward_before"]
    if abs(gap) < 0.05:
        return "flat"
    return "rose" if gap > 0 else "fell"


@finding("rl_rubric", ("rose", "flat", "fell"))
def _rl_rubric(s: dict) -> str:
    """The rubric score on the held-out questions, before RL and after (within 0.02: flat)."""
    rl = s["rl"]
    gap = rl["rubric_after"] - rl["rubric_before"]
    if abs(gap) < 0.02:
        return "flat"
    return "rose" if gap > 0 else "fell"


@finding("rl_vs_best_of_n", COMPARISON)
def _rl_vs_bon(s: dict) -> str:
    rl = s["rl"]
    return compare(rl["reward_after"], rl["best_of_n_reward"], rl["vs_best_of_n_p"])


@finding("rl_gaming", ("games_judge", "no_gain", "both_rose"))
def _rl_gaming(s: dict) -> str:
    """Without the KL penalty: does the proxy rise while the rubric does not (the policy games the judge)?"""
    rl = s["rl"]
    proxy_up = rl["beta0_reward_after"] > rl["reward_before"] + 0.05
    gold_up = rl["beta0_rubric_after"] > rl["rubric_before"] + 0.02
    if not proxy_up:
        return "no_gain"
    return "both_rose" if gold_up else "games_judge"


@finding("kl_restrains", ("yes", "no"))
def _kl_restrains(s: dict) -> str:
    """The penalised run drifted less from the reference than the unpenalised one."""
    rl = s["rl"]
    return "yes" if rl["kl_after"] < rl["beta0_kl_after"] else "no"


class Findings:
    """The value of every finding for one run; asking for an unknown finding or value is an error."""

    def __init__(self, summary: dict):
        self.values = {name: rule(summary) for name, (_, rule) in RULES.items()}

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def holds(self, name: str, *values: str) -> bool:
        """Whether the finding has one of `values` (each must be a value the finding can take)."""
        allowed = RULES[name][0]
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"finding {name!r} cannot be {unknown}; its values are {allowed}")
        return self.values[name] in values
