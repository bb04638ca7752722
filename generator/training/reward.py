"""Stage 3, the reward model: learn to score the preferred answer above the rejected one.

Bradley-Terry: P(chosen beats rejected) = sigmoid(r_chosen - r_rejected).
The loss is -log of that probability, so it is ln 2 at a zero margin and falls
towards 0 as the margin grows in the right direction.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field

import numpy as np

from .autograd import Tensor, cat
from .loop import optimise
from .model import GPT, RewardModel
from .optim import AdamW, cosine_lr


@dataclass(frozen=True)
class RewardConfig:
    steps: int = 8
    lr: float = 2e-3
    warmup: int = 2
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    folds: int = 5              # k-fold cross-validation for held-out accuracy


@dataclass
class RewardLog:
    # one entry per step, named as in Hugging Face TRL's RewardTrainer
    loss: list[float] = field(default_factory=list)
    chosen: list[float] = field(default_factory=list)       # rewards/chosen: mean score of chosen answers
    rejected: list[float] = field(default_factory=list)     # rewards/rejected
    margins: list[float] = field(default_factory=list)      # rewards/margins: mean(chosen - rejected)
    accuracies: list[float] = field(default_factory=list)   # rewards/accuracies: share with margin > 0

    def lines(self, every: int = 4) -> list[str]:
        """The training log a class can follow: every few steps, and the last."""
        last = len(self.loss) - 1
        return [f"step {step:4d} | loss {self.loss[step]:.4f} | margin {self.margins[step]:+.3f} "
                f"| accuracy {self.accuracies[step]:.0%}"
                for step in range(last + 1) if step % every == 0 or step == last]


def bradley_terry_loss(r_chosen: Tensor, r_rejected: Tensor) -> Tensor:
    """-log sigmoid(r_chosen - r_rejected), averaged over pairs."""
    return (r_chosen - r_rejected).neg_log_sigmoid().mean()


def pad(sequences: list[list[int]], pad_id: int):
    """Right-pad sequences into one array; also return the index of each one's last token."""
    x = np.full((len(sequences), max(map(len, sequences))), pad_id)
    for i, seq in enumerate(sequences):
        x[i, :len(seq)] = seq
    return x, np.array([len(seq) - 1 for seq in sequences])


def rewards(model: RewardModel, sequences: list[list[int]], pad_id: int, batch_size: int = 8) -> Tensor:
    """Reward for each (prompt + answer) sequence: (N,), in the order given.

    Sequences of similar length share a batch, so little work goes on padding
    (attention's cost grows with the square of the padded length).
    """
    order = np.argsort([len(seq) for seq in sequences], kind="stable")    # shortest first
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    r = cat([model(*pad([sequences[i] for i in batch], pad_id)) for batch in batches])  # (N,) sorted
    return r[np.argsort(order)]                                            # (N,) back in the given order


def score(model: RewardModel, sequences: list[list[int]], pad_id: int) -> np.ndarray:
    """Reward for each (prompt + answer) sequence, as plain numbers."""
    return rewards(model, sequences, pad_id).data


def train_reward_model(sft_model: GPT, chosen: list[list[int]], rejected: list[list[int]],
                       pad_id: int, cfg: RewardConfig, rng: np.random.Generator) -> tuple[RewardModel, RewardLog]:
    """Start from a copy of the SFT model, add a scalar head, minimise the Bradley-Terry loss."""
    model = RewardModel(rng, copy.deepcopy(sft_model))    # the SFT model itself stays as it is
    history = RewardLog()
    n = len(chosen)
    opt = AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    for step in range(cfg.steps + 1):                     # the last pass only measures
        r = rewards(model, chosen + rejected, pad_id)     # (2N,): chosen first, then rejected
        r_chosen, r_rejected = r[:n], r[n:]
        loss = bradley_terry_loss(r_chosen, r_rejected)
        margins = r_chosen.data - r_rejected.data
        history.loss.append(float(loss.data))
        history.chosen.append(float(r_chosen.data.mean()))
        history.rejected.append(float(r_rejected.data.mean()))
        history.margins.append(float(margins.mean()))
        history.accuracies.append(float((margins > 0).mean()))
        if step < cfg.steps:
            optimise(opt, loss, cosine_lr(step, cfg.steps, cfg.lr, cfg.warmup), cfg.grad_clip,
                     "reward model", step)
    return model, history


def fold_numbers(n_pairs: int, folds: int) -> np.ndarray:
    """The fold each pair belongs to: 0, 1, ..., folds - 1, 0, 1, ..."""
    return np.arange(n_pairs) % folds


Pairs = tuple[list[list[int]], list[list[int]]]    # (chosen sequences, rejected sequences)


def fold_margins(sft_model: GPT, chosen: list[list[int]], rejected: list[list[int]],
                 pad_id: int, cfg: RewardConfig, seed: int, fold: int,
                 edited: Pairs | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """One fold of cross-validation: train on the other folds' pairs, then score this fold's pairs.

    Returns the margin (chosen score - rejected score) of each pair in the fold, judged by
    a model that never saw it; and, if `edited` versions of the pairs are given (the same
    pairs with, say, one word deleted), the same model's margins on those too.
    """
    in_fold = fold_numbers(len(chosen), cfg.folds) == fold
    train, test = np.flatnonzero(~in_fold), np.flatnonzero(in_fold)
    model, _ = train_reward_model(sft_model, [chosen[i] for i in train], [rejected[i] for i in train],
                                  pad_id, cfg, np.random.default_rng([seed, fold]))

    def margins(c: list[list[int]], r: list[list[int]]) -> np.ndarray:
        return score(model, [c[i] for i in test], pad_id) - score(model, [r[i] for i in test], pad_id)

    return margins(chosen, rejected), (margins(*edited) if edited else None)


def cross_validated_margins(sft_model: GPT, chosen: list[list[int]], rejected: list[list[int]],
                            pad_id: int, cfg: RewardConfig, seed: int, map_folds=map,
                            edited: Pairs | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Score every pair with a model trained on the other folds only: its held-out margin
    (and the held-out margin of each `edited` pair, if given).

    The folds do not depend on each other, so `map_folds` may train them side by side
    (the pipeline passes a process pool's map: one fold per CPU core).
    """
    fold_of = fold_numbers(len(chosen), cfg.folds)
    one_fold = functools.partial(fold_margins, sft_model, chosen, rejected, pad_id, cfg, seed, edited=edited)
    margins, edited_margins = np.zeros(len(chosen)), np.zeros(len(chosen))
    for fold, (fold_margin, fold_edited) in enumerate(map_folds(one_fold, range(cfg.folds))):
        margins[fold_of == fold] = fold_margin
        if edited:
            edited_margins[fold_of == fold] = fold_edited
    return margins, (edited_margins if edited else None)
