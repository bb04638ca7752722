"""Stage 2, supervised fine-tuning: imitate expert answers to questions.

The loss is the same next-token cross-entropy as pretraining, but only the
answer tokens count (completion-only loss): the model is not graded on
predicting the question, only on how it responds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .loop import optimise
from .model import GPT
from .optim import AdamW, cosine_lr


@dataclass(frozen=True)
class SFTConfig:
    steps: int = 100
    lr: float = 1e-3
    warmup: int = 10
    weight_decay: float = 0.0
    grad_clip: float = 1.0


@dataclass
class SFTLog:
    loss: list[float] = field(default_factory=list)            # one per step
    token_accuracy: list[float] = field(default_factory=list)  # share of answer tokens predicted right
    heldout_loss: list[float] = field(default_factory=list)    # the same, on questions never trained on:
    heldout_token_accuracy: list[float] = field(default_factory=list)   # measured, never trained on


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


def heldout_fit(model: GPT, batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """Answer-token loss and accuracy on a batch the model does not train on."""
    x, y, mask = batch
    logits = model(x)
    return float(logits.cross_entropy(y, mask).data), token_accuracy(logits.data, y, mask)


def sft(model: GPT, examples: list[tuple[list[int], list[int]]], pad_id: int,
        cfg: SFTConfig, log=print, heldout: list[tuple[list[int], list[int]]] = ()) -> SFTLog:
    """Fine-tune on all expert pairs at once (full batch), for cfg.steps steps.

    `heldout` pairs are only measured, at every step, to see whether what is learned carries over.
    """
    history = SFTLog()
    x, y, mask = build_batch(examples, pad_id)
    held = build_batch(heldout, pad_id) if heldout else None
    opt = AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    for step in range(cfg.steps + 1):                      # the last pass only measures
        logits = model(x)                                  # (B, T, V)
        loss = logits.cross_entropy(y, mask)               # answer tokens only
        history.loss.append(float(loss.data))
        history.token_accuracy.append(token_accuracy(logits.data, y, mask))
        if held:
            held_loss, held_accuracy = heldout_fit(model, held)
            history.heldout_loss.append(held_loss)
            history.heldout_token_accuracy.append(held_accuracy)
        if step % 25 == 0 or step == cfg.steps:
            log(f"step {step:4d} | loss {history.loss[-1]:.4f} | "
                f"answer-token accuracy {history.token_accuracy[-1]:.1%}"
                + (f" | held-out loss {history.heldout_loss[-1]:.4f}" if held else ""))
        if step < cfg.steps:
            optimise(opt, loss, cosine_lr(step, cfg.steps, cfg.lr, cfg.warmup), cfg.grad_clip, "SFT", step)
    return history
