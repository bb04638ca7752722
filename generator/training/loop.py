"""What every stage's training loop shares: one optimisation step, a stop on divergence, batches of examples."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .autograd import Tensor
from .optim import AdamW, clip_grad_norm


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: training stops instead of going on with garbage."""

    def __init__(self, stage: str, step: int, loss: float):
        super().__init__(f"{stage}: loss became {loss} at step {step}; "
                         "try a lower learning rate in course.toml")
        self.stage, self.step, self.loss = stage, step, loss

    def __reduce__(self):  # so the error can travel back from a worker process
        return TrainingDiverged, (self.stage, self.step, self.loss)


def optimise(opt: AdamW, loss: Tensor, lr: float, grad_clip: float, stage: str, step: int) -> float:
    """backward -> clip -> update. Returns the gradient norm before clipping."""
    stop_if_diverged(loss, stage, step)
    opt.zero_grad()
    loss.backward()                                   # fills p.grad for every parameter
    return apply_gradients(opt, lr, grad_clip)


def apply_gradients(opt: AdamW, lr: float, grad_clip: float) -> float:
    """clip -> update, once every p.grad is filled. Returns the gradient norm before clipping."""
    norm = clip_grad_norm(opt.params, grad_clip)      # tame rare huge gradients
    opt.lr = lr
    opt.step()                                        # AdamW update
    return norm


def stop_if_diverged(loss: Tensor, stage: str, step: int) -> None:
    """Raise TrainingDiverged if the loss is NaN or infinite."""
    value = float(loss.data)
    if not math.isfinite(value):
        raise TrainingDiverged(stage, step, value)


def shuffled_batches(rng: np.random.Generator, n: int, size: int) -> Iterator[list[int]]:
    """Indices of `size` examples at a time, out of n: every example once per pass, a fresh order each pass."""
    order: list[int] = []
    while True:
        while len(order) < size:
            order += rng.permutation(n).tolist()
        yield order[:size]
        order = order[size:]
