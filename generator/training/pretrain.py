"""Stage 1, pretraining: learn to predict the next token of the course corpus."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .autograd import Tensor
from .loop import apply_gradients, stop_if_diverged
from .model import GPT, generate
from .optim import AdamW, cosine_lr
from .parallel import DataParallel


@dataclass(frozen=True)
class PretrainConfig:
    steps: int = 600
    batch_size: int = 16
    seq_len: int = 0            # tokens per training window; 0: as long as the longest text a later stage reads
    lr: float = 4e-3
    warmup: int = 30
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 50        # validation loss every this many steps
    samples_at: int = 4         # checkpoints at which the model writes from each prompt
    sample_tokens: int = 60
    temperature: float = 0.8


@dataclass
class PretrainLog:
    train_loss: list[float] = field(default_factory=list)        # one per step
    evals: list[dict] = field(default_factory=list)              # step, val_loss, perplexity, lr, tokens_seen
    samples: list[dict] = field(default_factory=list)            # step, prompt, text
    position_loss: list[float] = field(default_factory=list)     # after training: validation loss by position


def get_batch(rng: np.random.Generator, tokens: np.ndarray, batch_size: int, seq_len: int):
    """Random windows of the token stream; targets are the inputs shifted by one."""
    starts = rng.integers(0, len(tokens) - seq_len - 1, size=batch_size)
    x = np.stack([tokens[s:s + seq_len] for s in starts])          # (B, T)
    y = np.stack([tokens[s + 1:s + seq_len + 1] for s in starts])  # (B, T)
    return x, y


def next_token_loss(model: GPT, x: np.ndarray, y: np.ndarray) -> Tensor:
    """Cross-entropy: -log p(correct next token), averaged over every position."""
    logits = model(x)                      # (B, T, V)
    return logits.cross_entropy(y)


def token_losses(model: GPT, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-log p(correct next token) at every position, (B, T): the loss before it is averaged."""
    logits = model(x).data                                            # (B, T, V)
    z = logits - logits.max(axis=-1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))     # log softmax
    return -np.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]


def windows(tokens: np.ndarray, seq_len: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of seq_len tokens starting every `stride` tokens, and their targets: (N, T) each."""
    starts = range(0, len(tokens) - seq_len, stride)
    x = np.stack([tokens[s:s + seq_len] for s in starts])
    y = np.stack([tokens[s + 1:s + seq_len + 1] for s in starts])
    return x, y


def evaluate(losses, tokens: np.ndarray, seq_len: int) -> float:
    """Average next-token loss over the validation stream, cut into consecutive windows
    (the last, shorter window, if any, goes on its own). losses(x, y) gives a batch's token_losses."""
    n = (len(tokens) - 1) // seq_len * seq_len                         # tokens covered by full windows
    total = losses(*windows(tokens[:n + 1], seq_len, seq_len)).sum() if n else 0.0
    if n < len(tokens) - 1:
        total += losses(tokens[None, n:-1], tokens[None, n + 1:]).sum()
    return float(total) / (len(tokens) - 1)


POSITION_STRIDE = 16   # windows for the loss by position start this many tokens apart


def loss_by_position(losses, tokens: np.ndarray, seq_len: int, stride: int = POSITION_STRIDE) -> np.ndarray:
    """Validation loss at each position 0 .. seq_len - 1 of a window: does more context help?

    Windows start every `stride` tokens, so each token is predicted at one position in every
    stretch of `stride` positions: stretches of positions are judged on the same text.
    """
    return losses(*windows(tokens, seq_len, stride)).mean(axis=0)   # (T,)


def pretrain(model: GPT, train: np.ndarray, val: np.ndarray, prompts: dict[str, list[int]],
             cfg: PretrainConfig, rng: np.random.Generator, log=print) -> PretrainLog:
    """The training loop: sample a batch, compute the loss, step, and look at it now and then.

    Data parallel, as real pretraining is: a second process computes the gradient of half
    of every batch (see parallel.py).
    """
    history = PretrainLog()
    opt = AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    sample_rng = np.random.default_rng(rng.integers(2**32))   # sampling never disturbs training
    sample_steps = set(np.linspace(0, cfg.steps, cfg.samples_at).astype(int).tolist())
    with DataParallel(model) as dp:
        losses = functools.partial(dp.measure, token_losses)    # validation windows: half in each process
        for step in range(cfg.steps + 1):
            if step % cfg.eval_every == 0 or step == cfg.steps:
                val_loss = evaluate(losses, val, cfg.seq_len)
                lr = cosine_lr(min(step, cfg.steps - 1), cfg.steps, cfg.lr, cfg.warmup)
                history.evals.append({"step": step, "val_loss": val_loss, "perplexity": math.exp(val_loss),
                                      "lr": lr, "tokens_seen": step * cfg.batch_size * cfg.seq_len})
                log(f"step {step:4d} | val loss {val_loss:.4f} | perplexity {math.exp(val_loss):6.2f}")
            if step in sample_steps:
                outs = generate(model, list(prompts.values()), cfg.sample_tokens, sample_rng, cfg.temperature)
                for prompt, out in zip(prompts, outs):
                    history.samples.append({"step": step, "prompt": prompt, "ids": out})
            if step == cfg.steps:
                break
            x, y = get_batch(rng, train, cfg.batch_size, cfg.seq_len)
            loss = dp.backward(next_token_loss, x, y)          # the whole batch's loss; p.grad filled
            stop_if_diverged(loss, "pretraining", step)
            apply_gradients(opt, cosine_lr(step, cfg.steps, cfg.lr, cfg.warmup), cfg.grad_clip)
            history.train_loss.append(float(loss.data))
        history.position_loss = loss_by_position(losses, val, cfg.seq_len).tolist()   # does more context help?
    return history
