"""Run figures beyond the summary's METRICS, for the concept map: derived from the Run and the code's objects.

`figure(run, key)` and `label(key)` serve both kinds; every value is formatted through format.py.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass

import numpy as np

from . import format as fmt
from .training.model import GPT, GPTConfig, RewardModel
from .training.optim import AdamW, cosine_lr
from .training.tokenizer import SPECIAL_TOKENS


def _size(params) -> int:
    return sum(p.data.size for p in params)


@dataclass(frozen=True)
class ParameterCount:
    """The run's model, part by part, counted on a freshly built GPT of the run's size."""
    token_table: tuple[int, int]      # (V, C)
    attention: int                    # per block: query, key, value and output projections
    mlp: int                          # per block
    norms: int                        # per block: the two layer norms
    blocks: int
    final_norm: int
    total: int                        # every parameter the model holds
    reward_head: int                  # what stage 3 adds on top
    decayed: int                      # in tensors AdamW applies weight decay to (pretraining)

    @property
    def embeddings(self) -> int:
        return math.prod(self.token_table)     # positions need none: rotary embedding has no parameters

    @property
    def per_block(self) -> int:
        return self.attention + self.mlp + self.norms


@functools.cache
def _count(cfg: GPTConfig, weight_decay: float) -> ParameterCount:
    rng = np.random.default_rng(0)
    model = GPT(rng, cfg)
    block = model.blocks[0]
    decay = AdamW(model.parameters(), lr=0.0, weight_decay=weight_decay).decay
    return ParameterCount(
        token_table=model.tok_emb.data.shape,
        attention=_size(block.attn.parameters()), mlp=_size(block.mlp.parameters()),
        norms=_size(block.ln1.parameters() + block.ln2.parameters()), blocks=len(model.blocks),
        final_norm=_size(model.ln_f.parameters()), total=_size(model.parameters()),
        reward_head=_size(RewardModel(rng, model).head.parameters()),
        decayed=sum(p.data.size for p, d in zip(model.parameters(), decay) if d > 0))


def parameters(run: dict) -> ParameterCount:
    return _count(GPTConfig(**run["config"]["model"]), run["config"]["pretrain"]["weight_decay"])


def adamw(run: dict, stage: str) -> dict:
    """The optimiser settings a stage used: lr and weight decay from its config, betas from AdamW itself."""
    betas = inspect.signature(AdamW.__init__).parameters["betas"].default
    cfg = run["config"][stage]
    return {"lr": cfg["lr"], "beta1": betas[0], "beta2": betas[1], "weight_decay": cfg["weight_decay"]}


def _two_digits(x: float) -> float:
    return round(x, 1 - math.floor(math.log10(abs(x)))) if x else 0.0


@functools.cache
def _init_stds(cfg: GPTConfig) -> dict:
    model = GPT(np.random.default_rng(0), cfg)
    blocks = model.blocks
    standard = np.concatenate([model.tok_emb.data.ravel()] + [b.attn.qkv.weight.data.ravel() for b in blocks]
                              + [b.mlp.up.weight.data.ravel() for b in blocks]).std()
    residual = np.concatenate([b.attn.proj.weight.data.ravel() for b in blocks]
                              + [b.mlp.down.weight.data.ravel() for b in blocks]).std()
    expected = standard / math.sqrt(2 * cfg.n_layer)
    return {"standard": _two_digits(float(standard)), "residual": _two_digits(float(residual)),
            "scaled_by_depth": abs(residual / expected - 1) < 0.05}


def init_stds(run: dict) -> dict:
    """The standard deviation weights start with, measured on a freshly built model of the run's size (to two
    significant digits): the token table and the layers that read from the residual stream ('standard'), and
    the layers that write back into it, attention's output and the MLP's down projection ('residual');
    'scaled_by_depth' when the second is the first over sqrt(2 x layers), as in GPT-2."""
    return _init_stds(GPTConfig(**run["config"]["model"]))


def lr_schedule(run: dict) -> dict:
    """Pretraining's learning rate: every step's value from optim.cosine_lr, checked against the logged evals."""
    cfg, evals = run["config"]["pretrain"], run["pretrain"]["evals"]
    curve = [cosine_lr(step, cfg["steps"], cfg["lr"], cfg["warmup"]) for step in range(cfg["steps"])]
    logged = [e["lr"] for e in evals]
    recomputed = [curve[min(e["step"], cfg["steps"] - 1)] for e in evals]
    return {"curve": curve, "peak": max(curve), "peak_step": curve.index(max(curve)),
            "warmup": cfg["warmup"], "steps": cfg["steps"], "first": logged[0], "final": logged[-1],
            "evals": len(evals), "reproduced": np.allclose(logged, recomputed, rtol=1e-9, atol=0)}


def tokenizer_parts(run: dict) -> dict:
    """What the vocabulary is made of, and the first merges BPE learned as (left, right, merged) texts."""
    tok = run["tokenizer"]
    vocab, merges = tok["vocab"], tok["merges"]
    first_merged = len(vocab) - len(merges)
    return {"special": [t for t in vocab if t in SPECIAL_TOKENS], "alphabet": tok["alphabet_size"],
            "merges": len(merges),
            "first_merges": [(vocab[a], vocab[b], vocab[first_merged + i]) for i, (a, b) in enumerate(merges[:3])]}


def _lr_text(run: dict) -> str:
    schedule = lr_schedule(run)
    return (f"{fmt.number(schedule['peak'])} after {fmt.integer(schedule['warmup'])} warm-up steps, "
            f"{fmt.number(schedule['final'])} at the end")


def _adamw_text(run: dict) -> str:
    a = adamw(run, "pretrain")
    return (f"lr {fmt.number(a['lr'])}, betas {fmt.number(a['beta1'])} and {fmt.number(a['beta2'])}, "
            f"weight decay {fmt.number(a['weight_decay'])}")


# key -> (short label, run -> formatted figure)
FIGURES = {
    "model.embedding_parameters": ("token embedding parameters (positions need none)",
                                   lambda run: fmt.integer(parameters(run).embeddings)),
    "model.block_parameters": ("parameters per transformer block",
                               lambda run: fmt.integer(parameters(run).per_block)),
    "pretrain.bigram_gap": ("final validation loss below the bigram baseline",
                            lambda run: fmt.signed(run["summary"]["pretrain"]["bigram_val_loss"]
                                                   - run["summary"]["pretrain"]["final_val_loss"])),
    "pretrain.train_loss_fall": ("training loss, first step to the end",
                                 lambda run: f"{fmt.metric(run['summary'], 'pretrain.first_train_loss')} → "
                                             f"{fmt.metric(run['summary'], 'pretrain.final_train_loss')}"),
    "pretrain.correct_token_probability": ("typical probability of the correct next token, e^−loss",
                                           lambda run: fmt.pct(math.exp(
                                               -run["summary"]["pretrain"]["final_val_loss"]))),
    "pretrain.adamw": ("AdamW settings of pretraining", _adamw_text),
    "pretrain.lr_schedule": ("pretraining learning rate: peak, then final", _lr_text),
}

KEYS = (*fmt.METRICS, *FIGURES)


def figure(run: dict, key: str) -> str:
    """The formatted value of a summary METRIC or a derived figure."""
    return fmt.metric(run["summary"], key) if key in fmt.METRICS else FIGURES[key][1](run)


def label(key: str) -> str:
    return fmt.METRICS[key][1] if key in fmt.METRICS else FIGURES[key][0]
