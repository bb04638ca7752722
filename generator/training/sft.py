"""Stage 2, supervised fine-tuning: imitate expert answers to questions.

The loss is the same next-token cross-entropy as pretraining, but only the
answer tokens count (completion-only loss): the model is not graded on
predicting the question, only on how it responds. A little pretraining text
is mixed into every step (replay), so the model does not forget its subject.

A few dozen answers are soon learned by heart, and after that the model gets
worse at new questions. So a few training pairs are set aside as a dev set:
training stops once their loss stops falling, and keeps the weights from its
lowest point (early stopping). The held-out questions are never used for this.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .autograd import Tensor
from .loop import apply_gradients, shuffled_batches, stop_if_diverged
from .model import GPT
from .optim import AdamW, cosine_lr
from .parallel import DataParallel
from .pretrain import get_batch, next_token_loss


@dataclass(frozen=True)
class SFTConfig:
    steps: int = 300                # at most: training stops early once the dev pairs stop improving
    batch_size: int = 8             # demonstrations per step
    lr: float = 5e-3
    warmup: int = 10
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    replay_rows: int = 4            # corpus windows mixed into every step
    replay_len: int = 0             # their length in tokens; 0: the pretraining window (see content.py)
    replay_weight: float = 2.0      # the weight of their next-token loss
    eval_every: int = 10            # measure training, dev and held-out answers every this many steps
    dev_pairs: int = 4              # training pairs set aside to decide when to stop (0: never stop early)
    patience: int = 5               # measurements without a new lowest dev loss before training stops
    min_delta: float = 0.005        # a new lowest must be this share (0.5%) below the last one: noise is no progress


@dataclass
class SFTLog:
    steps: list[int] = field(default_factory=list)            # the steps at which the rest was measured
    loss: list[float] = field(default_factory=list)            # loss on the training answers' tokens
    token_accuracy: list[float] = field(default_factory=list)  # share of those tokens predicted right
    heldout_loss: list[float] = field(default_factory=list)    # the same on questions never trained on
    heldout_token_accuracy: list[float] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)        # on the dev pairs, which decide when to stop
    best_step: int = 0                                         # the step whose weights were kept


def build_batch(examples: list[tuple[list[int], list[int]]], pad_id: int):
    """(prompt ids, answer ids) pairs -> inputs, targets and a mask that is 1 on answer tokens.

    Sequences are right-padded to the longest; padding is masked out of the loss.
    """
    longest = max(len(p) + len(a) for p, a in examples) - 1
    x = np.full((len(examples), longest), pad_id)
    y = np.full((len(examples), longest), pad_id)
    mask = np.zeros((len(examples), longest))
    for i, (prompt, answer) in enumerate(examples):
        seq = prompt + answer
        x[i, :len(seq) - 1] = seq[:-1]
        y[i, :len(seq) - 1] = seq[1:]
        mask[i, len(prompt) - 1:len(seq) - 1] = 1.0   # positions whose target is an answer token
    return x, y, mask


def token_accuracy(logits: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    """Fraction of answer tokens where the model's top guess is the expert's token."""
    return float(((logits.argmax(-1) == y) * mask).sum() / mask.sum())


def answer_fit(model: GPT, batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """Loss and accuracy on a batch's answer tokens, measured only (no update)."""
    x, y, mask = batch
    logits = model(x)
    return float(logits.cross_entropy(y, mask).data), token_accuracy(logits.data, y, mask)


def sft_loss(model: GPT, x: np.ndarray, y: np.ndarray, mask: np.ndarray,
             replay_x: np.ndarray, replay_y: np.ndarray, replay_weight: float) -> Tensor:
    """Completion-only loss on the answers, plus the pretraining loss on a little corpus text (replay).

    Fine-tuned on a few dozen answers alone, a small model memorises them and forgets how
    the subject's text goes, so its answers to new questions get worse. Replaying some
    pretraining text at every step keeps it a language model of the subject.
    """
    answers = model(x).cross_entropy(y, mask)                    # answer tokens only
    return answers + next_token_loss(model, replay_x, replay_y) * replay_weight


class EarlyStopping:
    """Remember the weights at the lowest dev loss so far; say stop after `patience` measurements without a new one."""

    def __init__(self, model: GPT, patience: int, min_delta: float):
        self.params, self.patience, self.min_delta = model.parameters(), patience, min_delta
        self.best_loss, self.best_step, self.waited = math.inf, 0, 0
        self.best_weights = [p.data.copy() for p in self.params]

    def should_stop(self, step: int, dev_loss: float) -> bool:
        """Record one measurement of the dev loss; True once `patience` have passed without a new lowest."""
        if dev_loss < self.best_loss * (1 - self.min_delta):            # a new lowest: keep these weights
            self.best_loss, self.best_step, self.waited = dev_loss, step, 0
            self.best_weights = [p.data.copy() for p in self.params]
        else:
            self.waited += 1
        return self.waited >= self.patience

    def restore_best(self) -> None:
        for p, best in zip(self.params, self.best_weights):
            p.data[...] = best


def sft(model: GPT, examples: list[tuple[list[int], list[int]]], pad_id: int, corpus: np.ndarray,
        cfg: SFTConfig, rng: np.random.Generator, log=print,
        heldout: list[tuple[list[int], list[int]]] = (), dev: list[tuple[list[int], list[int]]] = ()) -> SFTLog:
    """Fine-tune on a few expert pairs at a time, with replay, data parallel like pretraining.

    `dev` pairs (taken out of the training pairs) decide when to stop; `heldout` pairs are only
    measured, to see whether what is learned carries over to questions never seen.
    """
    history = SFTLog()
    sets = {"train": build_batch(examples, pad_id)}                # all of them, for measuring
    sets |= {"dev": build_batch(dev, pad_id)} if dev else {}
    sets |= {"held-out": build_batch(heldout, pad_id)} if heldout else {}
    loss_fn = functools.partial(sft_loss, replay_weight=cfg.replay_weight)
    opt = AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    batches = shuffled_batches(rng, len(examples), cfg.batch_size)
    stopping = EarlyStopping(model, cfg.patience, cfg.min_delta)
    with DataParallel(model) as dp:
        for step in range(cfg.steps + 1):
            if step % cfg.eval_every == 0 or step == cfg.steps:
                _measure(history, model, step, sets, log)
                if dev and stopping.should_stop(step, history.dev_loss[-1]):
                    log(f"dev loss lowest at step {stopping.best_step}, not lower since: stopping")
                    break
            if step == cfg.steps:
                break
            batch = build_batch([examples[i] for i in next(batches)], pad_id)     # (B, T) each
            replay = get_batch(rng, corpus, cfg.replay_rows, cfg.replay_len)      # (rows, T) each
            loss = dp.backward(loss_fn, *batch, *replay)
            stop_if_diverged(loss, "SFT", step)
            apply_gradients(opt, cosine_lr(step, cfg.steps, cfg.lr, cfg.warmup), cfg.grad_clip)
        if dev:
            stopping.restore_best()                    # the weights from the dev loss's lowest point
    history.best_step = stopping.best_step if dev else history.steps[-1]
    return history


def _measure(history: SFTLog, model: GPT, step: int, sets: dict, log) -> None:
    """Record the loss and accuracy on the training answers and, if any, the dev and held-out ones."""
    history.steps.append(step)
    loss, accuracy = answer_fit(model, sets["train"])
    history.loss.append(loss)
    history.token_accuracy.append(accuracy)
    line = f"step {step:4d} | loss {loss:.4f} | answer-token accuracy {accuracy:.1%}"
    if "dev" in sets:
        history.dev_loss.append(answer_fit(model, sets["dev"])[0])
        line += f" | dev loss {history.dev_loss[-1]:.4f}"
    if "held-out" in sets:
        held_loss, held_accuracy = answer_fit(model, sets["held-out"])
        history.heldout_loss.append(held_loss)
        history.heldout_token_accuracy.append(held_accuracy)
        line += f" | held-out loss {held_loss:.4f}"
    log(line)
