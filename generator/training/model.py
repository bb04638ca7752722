"""A tiny decoder-only transformer (GPT), plus the scalar reward head of stage 3.

Shapes: B = batch size, T = sequence length, C = embedding width,
H = attention heads, V = vocabulary size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .autograd import Parameter, Tensor


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 100
    block_size: int = 256   # longest sequence the position table covers
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64


class Module:
    """Collects the Parameters of a layer and of its sub-layers, in a fixed order."""

    def parameters(self) -> list[Parameter]:
        params = []
        for value in vars(self).values():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, Parameter):
                    params.append(item)
                elif isinstance(item, Module):
                    params.extend(item.parameters())
        return params


class Linear(Module):
    def __init__(self, rng: np.random.Generator, n_in: int, n_out: int, std: float = 0.02):
        # small random weights (GPT-2 uses std 0.02) so early outputs stay near uniform
        self.weight = Parameter(rng.normal(0.0, std, (n_in, n_out)).astype(np.float32))
        self.bias = Parameter(np.zeros(n_out, dtype=np.float32))

    def __call__(self, x: Tensor) -> Tensor:
        return x @ self.weight + self.bias


class LayerNorm(Module):
    def __init__(self, n: int):
        self.weight = Parameter(np.ones(n, dtype=np.float32))
        self.bias = Parameter(np.zeros(n, dtype=np.float32))

    def __call__(self, x: Tensor) -> Tensor:
        return x.layer_norm(self.weight, self.bias)


class CausalSelfAttention(Module):
    """Each position looks back at earlier positions and mixes in what it finds."""

    def __init__(self, rng: np.random.Generator, cfg: GPTConfig):
        self.n_head = cfg.n_head
        self.qkv = Linear(rng, cfg.n_embd, 3 * cfg.n_embd)
        # residual projections are scaled down by depth so the sum of layers stays stable
        self.proj = Linear(rng, cfg.n_embd, cfg.n_embd, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def __call__(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        hs = C // self.n_head
        qkv = self.qkv(x).reshape(B, T, 3, self.n_head, hs)      # (B, T, 3, H, hs)
        q = qkv[:, :, 0].transpose(0, 2, 1, 3)                    # (B, H, T, hs)
        k = qkv[:, :, 1].transpose(0, 2, 1, 3)                    # (B, H, T, hs)
        v = qkv[:, :, 2].transpose(0, 2, 1, 3)                    # (B, H, T, hs)
        scores = (q * (1.0 / math.sqrt(hs))) @ k.transpose(0, 1, 3, 2)  # (B, H, T, T) scaled dot products
        att = scores.softmax(causal=True)                        # (B, H, T, T) weights over past tokens
        y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)     # (B, T, C)
        return self.proj(y)


class MLP(Module):
    """A per-position two-layer network: widen 4x, GELU, project back."""

    def __init__(self, rng: np.random.Generator, cfg: GPTConfig):
        self.up = Linear(rng, cfg.n_embd, 4 * cfg.n_embd)
        self.down = Linear(rng, 4 * cfg.n_embd, cfg.n_embd, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def __call__(self, x: Tensor) -> Tensor:
        return self.down(self.up(x).gelu())


class Block(Module):
    """Transformer block: attention then MLP, each with a pre-norm and a residual add."""

    def __init__(self, rng: np.random.Generator, cfg: GPTConfig):
        self.ln1 = LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(rng, cfg)
        self.ln2 = LayerNorm(cfg.n_embd)
        self.mlp = MLP(rng, cfg)

    def __call__(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(Module):
    def __init__(self, rng: np.random.Generator, cfg: GPTConfig):
        self.cfg = cfg
        self.tok_emb = Parameter(rng.normal(0.0, 0.02, (cfg.vocab_size, cfg.n_embd)).astype(np.float32))
        self.pos_emb = Parameter(rng.normal(0.0, 0.02, (cfg.block_size, cfg.n_embd)).astype(np.float32))
        self.blocks = [Block(rng, cfg) for _ in range(cfg.n_layer)]
        self.ln_f = LayerNorm(cfg.n_embd)

    def hidden_states(self, idx: np.ndarray) -> Tensor:
        """Token ids (B, T) -> final hidden state at every position (B, T, C)."""
        B, T = idx.shape
        x = self.tok_emb[idx] + self.pos_emb[np.arange(T)]    # (B, T, C)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)                                   # (B, T, C)

    def __call__(self, idx: np.ndarray) -> Tensor:
        """Token ids (B, T) -> next-token logits (B, T, V).

        The output layer reuses the token embedding table (weight tying, as in GPT-2).
        """
        return self.hidden_states(idx) @ self.tok_emb.transpose(1, 0)  # (B, T, V)


class RewardModel(Module):
    """The fine-tuned transformer with a scalar head: (prompt + answer) -> one score."""

    def __init__(self, rng: np.random.Generator, body: GPT):
        self.body = body
        self.head = Linear(rng, body.cfg.n_embd, 1)

    def __call__(self, idx: np.ndarray, last: np.ndarray) -> Tensor:
        """Score each sequence from the hidden state of its final token (at index `last`)."""
        h = self.body.hidden_states(idx)                      # (B, T, C)
        h_last = h[np.arange(idx.shape[0]), last]             # (B, C)
        return self.head(h_last).reshape(idx.shape[0])        # (B,) one reward per sequence


def generate(model: GPT, prompts: list[list[int]], max_new_tokens: int,
             rng: np.random.Generator | None = None, temperature: float = 1.0,
             stop: int | None = None) -> list[list[int]]:
    """Continue every prompt one token at a time, all prompts in one batch.

    Greedy (always the most likely token) without `rng`; sampled with one.
    A sequence stops growing once it emits `stop`.
    """
    seqs = [list(p) for p in prompts]
    done = [False] * len(seqs)
    for _ in range(max_new_tokens):
        window = [s[-model.cfg.block_size:] for s in seqs]
        x = np.zeros((len(seqs), max(map(len, window))), dtype=np.int64)
        for i, s in enumerate(window):
            x[i, :len(s)] = s                                  # right-pad; causal attention ignores it
        logits = model(x).data                                 # (B, T, V)
        for i, s in enumerate(window):
            if done[i]:
                continue
            last = logits[i, len(s) - 1]                       # (V,) prediction after the last real token
            if rng is None:
                next_id = int(np.argmax(last))
            else:
                p = np.exp((last - last.max()) / temperature)
                next_id = int(rng.choice(len(p), p=p / p.sum()))
            seqs[i].append(next_id)
            done[i] = next_id == stop
        if all(done):
            break
    return [s[len(p):] for s, p in zip(seqs, prompts)]
