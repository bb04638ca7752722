"""AdamW, gradient clipping and a warm-up + cosine learning-rate schedule."""

from __future__ import annotations

import math

import numpy as np

from .autograd import Parameter


class AdamW:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

    def __init__(self, params: list[Parameter], lr: float, betas=(0.9, 0.95),
                 eps: float = 1e-8, weight_decay: float = 0.1):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        # decay matrices only; biases, norms and single vectors keep their values
        self.decay = [weight_decay if p.data.ndim >= 2 else 0.0 for p in params]
        self.m = [np.zeros_like(p.data) for p in params]  # running mean of gradients
        self.v = [np.zeros_like(p.data) for p in params]  # running mean of squared gradients
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v, decay in zip(self.params, self.m, self.v, self.decay):
            if p.grad is None:
                continue
            m *= b1
            m += (1 - b1) * p.grad                # m = b1 m + (1 - b1) g
            v *= b2
            v += (1 - b2) * p.grad * p.grad       # v = b2 v + (1 - b2) g^2
            m_hat = m / (1 - b1**self.t)          # correct the bias towards zero of early steps
            v_hat = v / (1 - b2**self.t)
            p.data *= 1 - self.lr * decay         # decoupled weight decay
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def clip_grad_norm(params: list[Parameter], max_norm: float) -> float:
    """Scale all gradients down together if their global norm exceeds `max_norm`."""
    norm = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in params if p.grad is not None))
    if norm > max_norm:
        for p in params:
            if p.grad is not None:
                p.grad *= max_norm / norm
    return norm


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to `peak`, then cosine decay to a tenth of it."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))
