"""The one formatting path: every number a reader sees is turned into text here.

Templates use the Jinja filters registered from FILTERS; content prose uses
placeholders like {pretrain.final_val_loss}, resolved through the same METRICS table.
"""

from __future__ import annotations

import math
import re


def _shown(x: float, digits: int) -> float:
    """x as it will be printed with `digits` decimals, never a negative zero (-0.0000057 is 0.000, not -0.000)."""
    return round(x, digits) + 0.0


def _signed(x: float, digits: int) -> str:
    """+1.093, \u22120.038, and 0.000 (no sign) for a value that rounds to zero."""
    x = _shown(x, digits)
    return f"{x:.{digits}f}" if x == 0 else f"{x:+.{digits}f}".replace("-", "\u2212")


def loss(x: float) -> str:
    """A loss in nats, 3 decimals: 2.459."""
    return f"{_shown(x, 3):.3f}".replace("-", "\u2212")


def pct(x: float) -> str:
    """A share as a percentage: 0.75 -> 75%, 0.9955 -> 99.6%."""
    value = 100 * x
    return f"{_shown(value, 0):.0f}%" if abs(value - round(value)) < 0.05 else f"{_shown(value, 1):.1f}%"


def signed(x: float) -> str:
    """A score or margin with its sign: +1.093, \u22120.038 (0.000 when it rounds to zero)."""
    return _signed(x, 3)


def signed_pct(x: float) -> str:
    """A relative difference with its sign: +3.1%, \u22122.7% (0.0% when it rounds to zero)."""
    return _signed(100 * x, 1) + "%"


def p_value(x: float) -> str:
    """A p-value: two significant digits, never 0: 0.041, 0.62, < 0.001."""
    return "< 0.001" if x < 0.001 else f"{x:.2g}" if x < 0.1 else f"{x:.2f}"


def score(x: float) -> str:
    """A reward score (sign only when negative)."""
    return f"{_shown(x, 3):.3f}".replace("-", "\u2212")


def integer(x: float) -> str:
    """A count with thousands separators: 307,200."""
    return f"{int(round(x)):,}"


def plain(x: int) -> str:
    """An identifier-like whole number, no separators: a seed, a year."""
    return str(int(x))


def ratio(x: float) -> str:
    """A multiplier: 0.458 -> 0.46x."""
    return f"{x:.2f}\u00d7"


def perplexity(x: float) -> str:
    return f"{x:.1f}"


def change_pct(first: float, last: float) -> str:
    """Relative change from first to last: \u221246.7% (0.0% when it rounds to zero)."""
    return _signed(100 * (last - first) / abs(first), 1) + "%"


def metric_change(summary: dict, first_key: str, last_key: str) -> str:
    """How a figure moved: a share in percentage points (18.2% -> 100%: +81.8 points), a signed score as a
    difference (a reward score has no zero point, so a percentage of it means nothing: +0.179), anything else
    as a relative change (-46.7%)."""
    first, last = lookup(summary, first_key), lookup(summary, last_key)
    if METRICS[last_key][0] == "pct":
        return _signed(100 * (last - first), 1) + " points"
    if METRICS[last_key][0] == "signed":
        return _signed(last - first, 3)
    return change_pct(first, last)


def pct_range(bounds: tuple[float, float]) -> str:
    """A rough interval of shares, in whole percents: 64% to 95%."""
    return f"{100 * bounds[0]:.0f}% to {100 * bounds[1]:.0f}%"


def loss_delta(x: float) -> str:
    """A small change in a loss, with its sign, 4 decimals: +0.0012, −0.0002; ±0.0000 when it rounds to zero."""
    return "\u00b10.0000" if abs(x) < 0.00005 else f"{x:+.4f}".replace("-", "\u2212")


def kilobytes(x: float) -> str:
    """A size in bytes as kilobytes (1 kB = 1,000 bytes): 639 kB."""
    return f"{x / 1000:,.0f} kB"


def seconds(x: float) -> str:
    return f"{x:.1f} s"


def number(x: float) -> str:
    """A setting such as a learning rate or a beta: 3 significant digits, no exponent: 0.004, 0.95."""
    if x == 0:
        return "0"
    text = f"{x:.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text).replace("-", "\u2212")


def sentence_case(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased unless the first word is an acronym
    ("Validation loss" -> "validation loss", "SFT loss" and "KL from ..." stay as they are)."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def tick(x: float, step: float, percent: bool = False) -> str:
    """An axis tick label, with no more decimals than the tick step needs: 0.5, 1, 1.5; 20%, 40%."""
    if percent:
        x, step = 100 * x, 100 * step
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    text = f"{x:.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return ("0" if text in ("-0", "") else text.replace("-", "\u2212")) + ("%" if percent else "")


FILTERS = {
    "loss": loss, "pct": pct, "signed": signed, "score": score, "integer": integer,
    "ratio": ratio, "perplexity": perplexity, "seconds": seconds, "plain": plain, "pct_range": pct_range,
    "number": number, "sentence_case": sentence_case, "signed_pct": signed_pct, "p_value": p_value,
    "loss_delta": loss_delta, "kilobytes": kilobytes,
}

# summary key -> (formatter, short label). The keys content prose may quote as {key}.
METRICS: dict[str, tuple[str, str]] = {
    "pretrain.initial_loss": ("loss", "validation loss before training"),
    "pretrain.first_train_loss": ("loss", "first training-step loss"),
    "pretrain.final_train_loss": ("loss", "final training loss (mean of the last steps)"),
    "pretrain.final_val_loss": ("loss", "final validation loss"),
    "pretrain.final_perplexity": ("perplexity", "final validation perplexity"),
    "pretrain.uniform_loss": ("loss", "uniform guess (ln V)"),
    "pretrain.unigram_val_loss": ("loss", "unigram baseline"),
    "pretrain.bigram_val_loss": ("loss", "bigram baseline"),
    "pretrain.tokens_seen": ("integer", "training tokens seen"),
    "pretrain.train_text_loss": ("loss", "loss on training text, measured as the validation loss"),
    "pretrain.final_sample_word_share": ("pct", "sample words of 3+ letters found in the corpus, last checkpoint"),
    "pretrain.short_context_loss": ("loss", "validation loss at positions 0-15 of a window"),
    "pretrain.long_context_loss": ("loss", "validation loss at the last positions of a window"),
    "pretrain.position_excess": ("signed_pct", "worst later stretch of a window vs positions 16-31"),
    "sft.first_loss": ("loss", "first SFT loss"),
    "sft.final_loss": ("loss", "SFT loss of the kept model"),
    "sft.first_token_accuracy": ("pct", "answer-token accuracy before SFT"),
    "sft.final_token_accuracy": ("pct", "answer-token accuracy after SFT"),
    "sft.best_step": ("integer", "the fine-tuning step whose model was kept"),
    "sft.last_step": ("integer", "the last fine-tuning step run"),
    "sft.max_steps": ("integer", "fine-tuning steps allowed at most"),
    "sft.dev_first_loss": ("loss", "loss on the dev pairs before SFT"),
    "sft.dev_loss": ("loss", "loss on the dev pairs, kept model"),
    "sft.heldout_first_loss": ("loss", "loss on held-out questions before SFT"),
    "sft.heldout_first_token_accuracy": ("pct", "held-out answer-token accuracy before SFT"),
    "sft.heldout_loss": ("loss", "loss on held-out questions"),
    "sft.heldout_token_accuracy": ("pct", "answer-token accuracy on held-out questions"),
    "sft.heldout_lowest_loss": ("loss", "lowest loss on held-out questions during fine-tuning"),
    "reward.first_loss": ("loss", "first reward-model loss"),
    "reward.final_loss": ("loss", "final reward-model loss"),
    "reward.first_margin": ("signed", "first mean margin"),
    "reward.final_margin": ("signed", "final mean margin"),
    "reward.train_accuracy": ("pct", "training pairs ranked right"),
    "reward.heldout_accuracy": ("pct", "held-out pairs ranked right"),
    "reward.heldout_mean_margin": ("signed", "mean held-out margin"),
    "reward.length_baseline_accuracy": ("pct", "longer-answer-wins baseline"),
    "reward.word_rule_accuracy": ("pct", "one-word rule, held out"),
    "reward.heldout_accuracy_without_word": ("pct", "held-out pairs ranked right with the rule's word deleted"),
    "reward.bag_of_tokens_accuracy": ("pct", "bag-of-tokens logistic regression, held out"),
    "reward.strongest_baseline_accuracy": ("pct", "strongest baseline, held out"),
    "reward.vs_strongest_baseline_p": ("p_value", "paired sign test, reward model vs strongest baseline (p)"),
    "reward.vs_length_p": ("p_value", "paired sign test, reward model vs the length rule (p)"),
    "reward.heldout_right": ("integer", "number of held-out pairs ranked right"),
    "data.heldout_sft_overlap": ("pct", "largest share of a held-out answer's 8-grams found in training text"),
    "data.preference_overlap": ("pct", "largest share of a preference answer's 8-grams found in training text"),
    "data.case_overlap": ("pct", "largest share of a case answer's 8-grams found in training text"),
    "reward.pairs": ("integer", "preference pairs"),
    "rl.reward_before": ("signed", "reward-model score on held-out questions before RL"),
    "rl.reward_after": ("signed", "reward-model score on held-out questions after RL"),
    "rl.rubric_before": ("pct", "rubric score on held-out questions before RL"),
    "rl.rubric_after": ("pct", "rubric score on held-out questions after RL"),
    "rl.best_of_n_reward": ("signed", "reward-model score of best-of-n answers"),
    "rl.best_of_n_rubric": ("pct", "rubric score of best-of-n answers"),
    "rl.best_of_n": ("integer", "answers sampled per question for best-of-n"),
    "rl.kl_after": ("number", "KL from the reference after RL (nats per answer)"),
    "rl.beta": ("number", "KL penalty beta"),
    "rl.beta0_reward_after": ("signed", "reward-model score after RL without the KL penalty"),
    "rl.beta0_rubric_after": ("pct", "rubric score after RL without the KL penalty"),
    "rl.beta0_kl_after": ("number", "KL from the reference after RL without the penalty"),
    "rl.length_before": ("number", "answer length before RL (tokens)"),
    "rl.length_after": ("number", "answer length after RL (tokens)"),
    "rl.beta0_length_after": ("number", "answer length after RL without the KL penalty (tokens)"),
    "rl.vs_best_of_n_p": ("p_value", "paired sign test, RL vs best-of-n (p)"),
    "rl.reward_vs_before_p": ("p_value", "paired sign test, reward-model score after RL vs before (p)"),
    "rl.rubric_vs_before_p": ("p_value", "paired sign test, rubric score after RL vs before (p)"),
    "rl.clipfrac_mean": ("pct", "answer tokens clipped by PPO, mean over steps"),
    "rl.steps": ("integer", "RL steps"),
    "rl.samples_per_prompt": ("integer", "answers sampled per prompt per step"),
    "config.seed": ("plain", "seed"),
    "config.vocab_size": ("integer", "vocabulary size"),
    "config.parameters": ("integer", "model parameters"),
    "config.merges": ("integer", "BPE merges"),
    "theory.ln_vocab": ("loss", "ln V"),
    "theory.ln_2": ("loss", "ln 2"),
}

PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_0-9]+)\}")


def lookup(summary: dict, key: str):
    """summary['a']['b'] for key 'a.b'."""
    value = summary
    for part in key.split("."):
        value = value[part]
    return value


def metric(summary: dict, key: str) -> str:
    """The formatted value of one summary figure."""
    kind, _ = METRICS[key]
    value = lookup(summary, key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return FILTERS[kind](value)


def fill_placeholders(text: str, summary: dict) -> str:
    """Replace {section.key} in content prose with the run's formatted figure."""
    return PLACEHOLDER.sub(lambda m: metric(summary, m.group(1)) if m.group(1) in METRICS else m.group(0),
                           text)
