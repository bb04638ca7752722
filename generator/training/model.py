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
    block_size: int = 256   # the context window: the longest sequence the model reads
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


class KVCache:
    """While generating: the keys and values of every token already read, for each layer.

    With it, each new token goes through the model alone and looks back at the stored
    keys and values, instead of the whole sequence being recomputed for every new token.
    Room for block_size positions is set aside at the start, so adding a token copies
    only that token. Generation only: nothing stored here takes part in training.
    """

    def __init__(self, n_layer: int, block_size: int):
        self.block_size = block_size
        self.keys: list[np.ndarray | None] = [None] * n_layer      # per layer: (B, H, block_size, hs)
        self.values: list[np.ndarray | None] = [None] * n_layer
        self.lengths = [0] * n_layer                               # positions filled, per layer

    def __len__(self) -> int:
        """How many positions are stored (the position of the next token)."""
        return self.lengths[0]

    def extend(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store this step's keys and values (B, H, T_new, hs); return all of them so far."""
        if self.keys[layer] is None:
            B, H, _, hs = k.shape
            self.keys[layer] = np.zeros((B, H, self.block_size, hs), k.data.dtype)
            self.values[layer] = np.zeros((B, H, self.block_size, hs), v.data.dtype)
        start, end = self.lengths[layer], self.lengths[layer] + k.shape[2]
        self.keys[layer][:, :, start:end] = k.data
        self.values[layer][:, :, start:end] = v.data
        self.lengths[layer] = end
        return Tensor(self.keys[layer][:, :, :end]), Tensor(self.values[layer][:, :, :end])


class Rotary:
    """Rotary position embedding (RoPE; Su et al. 2021, used by Llama and most current models).

    Attention compares a query with a key by their dot product. RoPE turns each pair of
    channels of a query or key at position t by an angle t * f (a different frequency f
    for each pair), so the dot product of a query at t and a key at s depends on their
    distance t - s, not on where they sit: what the model learns about "two tokens back"
    holds at every position. There is nothing to train, so no position goes untrained.
    """

    def __init__(self, head_size: int, block_size: int, base: float = 10000.0):
        freq = base ** (-np.arange(0, head_size, 2) / head_size)          # (hs/2,) slow to fast
        angle = np.arange(block_size)[:, None] * freq[None, :]            # (block_size, hs/2)
        self.cos = np.tile(np.cos(angle), 2).astype(np.float32)           # (block_size, hs)
        self.sin = np.tile(np.sin(angle), 2).astype(np.float32)
        half = head_size // 2                                             # x @ swap = (-x2, x1) for x = (x1, x2)
        self.swap = np.zeros((head_size, head_size), np.float32)
        self.swap[np.arange(half) + half, np.arange(half)] = -1.0
        self.swap[np.arange(half), np.arange(half) + half] = 1.0

    def __call__(self, x: Tensor, start: int) -> Tensor:
        """(B, H, T, hs) queries or keys at positions start, start+1, ... -> the same, rotated."""
        T = x.shape[2]
        cos, sin = self.cos[start:start + T], self.sin[start:start + T]  # (T, hs)
        return x * cos + (x @ self.swap) * sin         # each channel pair (x1, x2) turned by its angle


class CausalSelfAttention(Module):
    """Each position looks back at earlier positions and mixes in what it finds."""

    def __init__(self, rng: np.random.Generator, cfg: GPTConfig, layer: int):
        self.n_head, self.layer = cfg.n_head, layer
        self.rotary = Rotary(cfg.n_embd // cfg.n_head, cfg.block_size)
        self.qkv = Linear(rng, cfg.n_embd, 3 * cfg.n_embd)
        # residual projections are scaled down by depth so the sum of layers stays stable
        self.proj = Linear(rng, cfg.n_embd, cfg.n_embd, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def heads(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, H, T, hs): split the channels into H heads of hs = C / H each."""
        B, T, C = x.shape
        return x.reshape(B, T, self.n_head, C // self.n_head).transpose(0, 2, 1, 3)

    def __call__(self, x: Tensor, start: int = 0, cache: KVCache | None = None) -> Tensor:
        """x: (B, T, C) for the positions start, start+1, ... (start > 0 only when generating)."""
        B, T, C = x.shape
        W, b = self.qkv.weight, self.qkv.bias      # (C, 3C), (3C,): query, key and value weights side by side
        q = self.heads(x @ W[:, :C] + b[:C])                      # (B, H, T, hs) what each position looks for
        k = self.heads(x @ W[:, C:2 * C] + b[C:2 * C])            # (B, H, T, hs) what each position offers
        v = self.heads(x @ W[:, 2 * C:] + b[2 * C:])              # (B, H, T, hs) what it passes on when chosen
        q, k = self.rotary(q, start), self.rotary(k, start)       # mark each query and key with its position
        if cache is not None:                                     # generating: add the earlier tokens'
            k, v = cache.extend(self.layer, k, v)                 # keys and values (B, H, T_all, hs)
        hs = C // self.n_head
        scores = (q * (1.0 / math.sqrt(hs))) @ k.transpose(0, 1, 3, 2)  # (B, H, T, T_all) scaled dot products
        att = scores.softmax(causal=True)                        # weights over past tokens only
        y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)     # (B, T, C) the heads side by side again
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

    def __init__(self, rng: np.random.Generator, cfg: GPTConfig, layer: int):
        self.ln1 = LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(rng, cfg, layer)
        self.ln2 = LayerNorm(cfg.n_embd)
        self.mlp = MLP(rng, cfg)

    def __call__(self, x: Tensor, start: int = 0, cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), start, cache)
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(Module):
    def __init__(self, rng: np.random.Generator, cfg: GPTConfig):
        self.cfg = cfg
        self.tok_emb = Parameter(rng.normal(0.0, 0.02, (cfg.vocab_size, cfg.n_embd)).astype(np.float32))
        self.blocks = [Block(rng, cfg, layer) for layer in range(cfg.n_layer)]
        self.ln_f = LayerNorm(cfg.n_embd)

    def hidden_states(self, idx: np.ndarray, cache: KVCache | None = None) -> Tensor:
        """Token ids (B, T) -> final hidden state at every position (B, T, C).

        With a cache, idx holds only the new tokens, which come after the cached ones.
        """
        start = 0 if cache is None else len(cache)            # position of the first token in idx
        x = self.tok_emb[idx]                                 # (B, T, C); positions enter in attention
        for block in self.blocks:
            x = block(x, start, cache)
        return self.ln_f(x)                                   # (B, T, C)

    def __call__(self, idx: np.ndarray, cache: KVCache | None = None) -> Tensor:
        """Token ids (B, T) -> next-token logits (B, T, V).

        The output layer reuses the token embedding table (weight tying, as in GPT-2).
        """
        return self.hidden_states(idx, cache) @ self.tok_emb.transpose(1, 0)  # (B, T, V)


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

    The batch moves in step, one position at a time, with a KV cache: at position t each
    sequence feeds in its token t. A sequence still inside its prompt feeds the prompt's
    next token; one past its prompt feeds the token it chose at the previous position.
    So prompts of different lengths need no padding. Positions end at the model's block_size.
    """
    seqs = [list(p) for p in prompts]
    done = [max_new_tokens <= 0] * len(seqs)
    cache = KVCache(model.cfg.n_layer, model.cfg.block_size)
    last_position = min(max(map(len, prompts)) + max_new_tokens, model.cfg.block_size) - 1
    for t in range(last_position):
        x = np.array([[s[min(t, len(s) - 1)]] for s in seqs])     # (B, 1): token t (a finished one repeats)
        logits = model(x, cache).data[:, -1]                      # (B, V): predictions for position t + 1
        chosen = next_tokens(logits, rng, temperature)            # (B,) one choice per sequence
        for i, s in enumerate(seqs):
            if len(s) > t + 1 or done[i]:                         # still reading its prompt, or finished
                continue
            s.append(int(chosen[i]))
            done[i] = s[-1] == stop or len(s) - len(prompts[i]) == max_new_tokens
        if all(done):
            break
    return [s[len(p):] for s, p in zip(seqs, prompts)]


def next_tokens(logits: np.ndarray, rng: np.random.Generator | None, temperature: float) -> np.ndarray:
    """(B, V) logits -> (B,) token ids: the most likely (rng None), or drawn from softmax(logits / T)."""
    if rng is None:
        return logits.argmax(axis=-1)
    p = np.exp((logits - logits.max(axis=-1, keepdims=True)) / temperature)
    p /= p.sum(axis=-1, keepdims=True)
    u = rng.random((len(p), 1))                                   # one uniform draw per sequence:
    return np.minimum((p.cumsum(axis=-1) < u).sum(axis=-1), p.shape[-1] - 1)   # where it falls in the CDF
