"""Stage 4, reinforcement learning from the reward model's feedback (RLHF, with PPO).

The policy starts as a copy of the fine-tuned model. At every step it writes k answers
to each of a few prompts, and the frozen reward model scores each answer. An answer's
advantage is how much better it scored than the other answers to the same prompt, in
standard deviations: a group baseline (as in GRPO), so no second network has to learn
what a typical answer scores. PPO's clipped objective makes the tokens of better-than-
average answers more likely and the others less likely, but never by much in one step.

A penalty, beta times the KL divergence from the reference (a frozen copy of the fine-
tuned model), is added to the loss at every token, as GRPO does: drifting from the
reference costs, so the policy keeps writing the kind of text the reward model was
trained to judge, instead of whatever odd text it happens to score highly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .autograd import Tensor, minimum
from .loop import optimise, shuffled_batches
from .model import GPT, RewardModel, generate
from .optim import AdamW
from .reward import score
from .sft import build_batch


@dataclass(frozen=True)
class RLConfig:
    steps: int = 20
    prompts_per_step: int = 4
    samples_per_prompt: int = 4     # k: the group each answer is compared with
    max_tokens: int = 0             # the longest answer the policy may write; 0: the fine-tuned model's budget
    temperature: float = 1.0        # sampling temperature while exploring
    lr: float = 2e-4
    beta: float = 0.1               # weight of the KL penalty, per token
    clip: float = 0.2               # PPO's epsilon: how far one update may move a token's probability ratio
    epochs: int = 2                 # optimisation passes over each step's answers
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    eval_every: int = 5             # greedy answers to the evaluation prompts every this many steps


@dataclass
class RLLog:
    # one entry per step, named as Hugging Face TRL's PPO trainer logs them
    scores: list[float] = field(default_factory=list)        # objective/scores: mean reward-model score
    kl: list[float] = field(default_factory=list)            # objective/kl: log(pi / pi_ref) summed over an answer
    rlhf_reward: list[float] = field(default_factory=list)   # objective/rlhf_reward: score - beta * KL
    entropy: list[float] = field(default_factory=list)       # objective/entropy: per answer, summed over tokens
    clipfrac: list[float] = field(default_factory=list)      # policy/clipfrac_avg: share of tokens clipped
    length: list[float] = field(default_factory=list)        # mean answer length in tokens
    evals: list[dict] = field(default_factory=list)          # what `evaluate` returned, with its step


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits, as plain numbers (no gradient needed)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def picked(log_probs, y: np.ndarray):
    """The log-probability of each target token: (B, T, V) -> (B, T). Works on a Tensor or an array."""
    B, T = y.shape
    return log_probs[np.arange(B)[:, None], np.arange(T)[None, :], y]


def group_advantages(rewards: np.ndarray, k: int) -> np.ndarray:
    """Each answer's reward minus its group's mean, over the group's standard deviation: (N,)."""
    groups = rewards.reshape(-1, k)                                   # one row per prompt
    centred = groups - groups.mean(axis=1, keepdims=True)
    return (centred / (groups.std(axis=1, keepdims=True) + 1e-6)).reshape(-1)


def clipped_surrogate(log_probs: Tensor, old_log_probs: np.ndarray, advantages: np.ndarray,
                      mask: np.ndarray, clip: float) -> tuple[Tensor, float]:
    """PPO's clipped objective, negated to be a loss, averaged over answer tokens.

    ratio = pi_new(token) / pi_old(token). With a positive advantage the objective grows with
    the ratio only up to 1 + clip; with a negative one, only down to 1 - clip. Beyond that the
    clipped term is the smaller one and gives no gradient, so one batch cannot push far.
    Also returns the share of answer tokens where clipping was active.
    """
    ratio = (log_probs - old_log_probs).exp()                            # (B, T)
    adv = advantages[:, None]                                            # every token shares its answer's advantage
    unclipped, clipped = ratio * adv, ratio.clip(1 - clip, 1 + clip) * adv
    objective = minimum(unclipped, clipped)
    loss = -(objective * mask).sum() * (1.0 / mask.sum())
    active = (clipped.data < unclipped.data) & (mask > 0)
    return loss, float(active.sum() / mask.sum())


def kl_penalty(log_probs: Tensor, ref_log_probs: np.ndarray, mask: np.ndarray) -> Tensor:
    """KL(policy || reference) per answer token, estimated on the sampled tokens (GRPO's estimator):
    pi_ref/pi - log(pi_ref/pi) - 1, which is never negative and is 0 only where the two agree."""
    log_ratio = -log_probs + ref_log_probs                               # log(pi_ref / pi), (B, T)
    per_token = log_ratio.exp() - log_ratio - 1.0
    return (per_token * mask).sum() * (1.0 / mask.sum())


def rl_step(policy: GPT, reference: GPT, judge: RewardModel, prompts: list[list[int]], cfg: RLConfig,
            opt: AdamW, rng: np.random.Generator, pad: int, end: int, step: int) -> dict:
    """Sample, score, compare within each group, then update the policy with PPO and the KL penalty."""
    group = [p for p in prompts for _ in range(cfg.samples_per_prompt)]
    answers = generate(policy, group, cfg.max_tokens, rng, cfg.temperature, stop=end)        # explore
    x, y, mask = build_batch(list(zip(group, answers)), pad)                                # mask: answer tokens

    ref = picked(log_softmax(reference(x).data), y)                      # (N, T) the frozen reference
    scores = score(judge, [p + a if a[-1:] == [end] else p + a + [end] for p, a in zip(group, answers)], pad)
    advantages = group_advantages(scores, cfg.samples_per_prompt)       # (N,) better or worse than the group

    clipfracs = []
    for epoch in range(cfg.epochs):
        all_log_probs = policy(x).log_softmax()                          # (N, T, V), with gradient
        log_probs = picked(all_log_probs, y)                             # (N, T)
        if epoch == 0:                                                   # not yet updated: the policy that wrote them
            old_all, old = all_log_probs.data, log_probs.data
        surrogate, clipfrac = clipped_surrogate(log_probs, old, advantages, mask, cfg.clip)
        loss = surrogate + kl_penalty(log_probs, ref, mask) * cfg.beta
        optimise(opt, loss, cfg.lr, cfg.grad_clip, "RL", step)
        clipfracs.append(clipfrac)
    kl = ((old - ref) * mask).sum(axis=1)                                # (N,) log(pi / pi_ref) over each answer
    entropy = -(np.exp(old_all) * old_all).sum(axis=-1)                  # (N, T) of each next-token distribution
    return {"scores": float(scores.mean()), "kl": float(kl.mean()),
            "rlhf_reward": float((scores - cfg.beta * kl).mean()),
            "entropy": float(((entropy * mask).sum(axis=1)).mean()), "clipfrac": float(np.mean(clipfracs)),
            "length": float(mask.sum(axis=1).mean())}


def reinforce(policy: GPT, reference: GPT, judge: RewardModel, prompts: list[list[int]], cfg: RLConfig,
              rng: np.random.Generator, pad: int, end: int,
              evaluate: Callable[[GPT], dict] | None = None, log=print) -> RLLog:
    """The RL loop: each step takes the next few prompts (a fresh shuffle each pass) and runs rl_step."""
    history = RLLog()
    opt = AdamW(policy.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    batches = shuffled_batches(rng, len(prompts), cfg.prompts_per_step)
    for step in range(cfg.steps + 1):
        if evaluate and (step % cfg.eval_every == 0 or step == cfg.steps):
            history.evals.append({"step": step, **evaluate(policy)})
        if step == cfg.steps:
            break
        batch = [prompts[i] for i in next(batches)]
        stats = rl_step(policy, reference, judge, batch, cfg, opt, rng, pad, end, step)
        for key, value in stats.items():
            getattr(history, key).append(value)
        log(f"step {step:4d} | score {stats['scores']:+.3f} | KL {stats['kl']:.3f} | "
            f"reward - beta KL {stats['rlhf_reward']:+.3f} | length {stats['length']:.0f}")
    return history
