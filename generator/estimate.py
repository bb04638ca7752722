"""How long training will take, estimated from the settings and the course's size before anything trains.

One term per stage, summed; a new stage adds its term to TERMS. Each term counts the
arithmetic of its training loop (a forward pass costs about 2 operations per weight per token,
plus attention over the context; a backward pass twice that) and a fixed cost per step, with
rates measured on a 2-core machine: read the result as "about", within a factor of two.
"""

from __future__ import annotations

import math

from .content import Course, Settings, TextSizes
from .errors import UserError
from .stages.sft import dev_count
from .training.model import GPTConfig

LIMIT_SECONDS = 600.0       # above this, training starts only with --allow-long
FLOPS_PER_SECOND = 3e10     # NumPy's rate on these small matrices, one process
SECONDS_PER_LAYER_PASS = 0.001    # Python's cost of one forward and backward pass through one block's graph
SECONDS_PER_TOKEN_STEP = 0.001    # one step of generation: a new token for a whole batch, with the KV cache
PROCESS_START_SECONDS = 0.7       # starting a second process (pretraining) or the pool (reward models)
CORES = 2                   # pretraining and the reward models run on two processes


def forward_flops(m: GPTConfig, tokens: int, context: int) -> float:
    """Arithmetic of one forward pass over `tokens` tokens that each attend to up to `context` others."""
    per_token = 24 * m.n_layer * m.n_embd ** 2 + 2 * m.n_embd * m.vocab_size + 4 * m.n_layer * context * m.n_embd
    return float(tokens) * per_token


def train_seconds(m: GPTConfig, passes: int, tokens: int, context: int, processes: int = 1) -> float:
    """`passes` forward and backward passes over `tokens` tokens each, shared by `processes`."""
    arithmetic = 3 * forward_flops(m, tokens, context) / processes / FLOPS_PER_SECOND
    return passes * (arithmetic + m.n_layer * SECONDS_PER_LAYER_PASS)


def pretrain_seconds(s: Settings, sizes: TextSizes) -> float:
    p, m = s.pretrain, s.model
    _, val = sizes.split(s.val_fraction)
    evals = p.steps // p.eval_every + 2
    generated = p.samples_at * min(p.sample_tokens, m.block_size)
    return (PROCESS_START_SECONDS + train_seconds(m, p.steps, p.batch_size * p.seq_len, p.seq_len, CORES)
            + evals * forward_flops(m, val, p.seq_len) / FLOPS_PER_SECOND
            + generated * SECONDS_PER_TOKEN_STEP)


def sft_seconds(s: Settings, sizes: TextSizes) -> float:
    t, m = s.sft, s.model
    longest = max(sizes.sft_examples, default=0)
    pairs = len(sizes.sft_examples) * longest                  # every demonstration, padded to the longest
    measures = t.steps // t.eval_every + 2                     # training and held-out answers measured
    answered = 2 * min(longest, m.block_size)                  # every question is answered before and after
    return (PROCESS_START_SECONDS
            + train_seconds(m, t.steps, pairs + t.replay_rows * t.replay_len, max(longest, t.replay_len), CORES)
            + measures * 2 * forward_flops(m, pairs, longest) / FLOPS_PER_SECOND
            + answered * SECONDS_PER_TOKEN_STEP)


def reward_seconds(s: Settings, sizes: TextSizes) -> float:
    r, lengths = s.reward, sizes.preference_examples
    batches = [sorted(lengths)[i:i + 8] for i in range(0, len(lengths), 8)]    # scored 8 at a time
    one_pass = sum(train_seconds(s.model, 1, len(b) * max(b), max(b)) for b in batches)
    models = 1 + r.folds                                 # the final reward model and one per fold
    return PROCESS_START_SECONDS + (r.steps + 2) * one_pass * math.ceil(models / CORES)


def rl_seconds(s: Settings, sizes: TextSizes) -> float:
    r, m = s.rl, s.model
    longest = max(sizes.sft_examples, default=0)               # a prompt with its answer, at most
    answer = min(r.max_tokens or longest, m.block_size)        # tokens the policy may write
    group = r.prompts_per_step * r.samples_per_prompt
    step = (answer * SECONDS_PER_TOKEN_STEP                                       # sampling the group's answers
            + 2 * forward_flops(m, group * longest, longest) / FLOPS_PER_SECOND   # the reference model and the judge
            + train_seconds(m, r.epochs, group * longest, longest))               # the policy's updates
    evals = (r.steps // r.eval_every + 2) * answer * SECONDS_PER_TOKEN_STEP
    runs = 2                                                   # with and without the KL penalty, side by side
    best_of_n = answer * SECONDS_PER_TOKEN_STEP                # the baseline: all its samples in one batch
    return PROCESS_START_SECONDS + math.ceil(runs / CORES) * (r.steps * step + evals) + best_of_n


TERMS = {"pretraining": pretrain_seconds, "SFT": sft_seconds, "reward model": reward_seconds,   # one per stage
         "RL": rl_seconds}


def stage_seconds(course: Course, s: Settings) -> dict[str, float]:
    """Estimated seconds per stage for training `course` with the settings `s`."""
    sizes = course.sizes(s.vocab_size)
    return {stage: term(s, sizes) for stage, term in TERMS.items()}


def duration(seconds: float) -> str:
    """A duration read at a glance: 40 s, 12 min, 5 h, 140 days."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400):,} days"


def total_seconds(course: Course, s: Settings) -> float:
    return sum(stage_seconds(course, s).values())


def describe(course: Course, s: Settings) -> str:
    """'about 20 s (pretraining 9 s, SFT at most 3 s, reward model 7 s)': SFT counts every step it may take,
    and takes fewer when its dev pairs stop it early."""
    stages = stage_seconds(course, s)
    early = dev_count(len(course.sft_pairs), s.sft.dev_pairs) > 0
    return f"about {duration(sum(stages.values()))} (" + ", ".join(
        f"{name} {'at most ' if name == 'SFT' and early else ''}{duration(t)}" for name, t in stages.items()) + ")"


def announce(course: Course, s: Settings, quick: bool, allow_long: bool) -> str:
    """The line printed before training; UserError instead if it would take too long and not `allow_long`."""
    if not allow_long and total_seconds(course, s) > LIMIT_SECONDS:
        raise UserError(f"training would take {describe(course, s)} with {'the --quick' if quick else 'these'} "
                        f"settings, more than the {duration(LIMIT_SECONDS)} a build may take unasked; lower the "
                        "steps (or the model size) in course.toml, or pass --allow-long to train anyway")
    return f"training: {describe(course, s)}"
