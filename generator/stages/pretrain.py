"""Stage 1 in the pipeline: pretrain on the corpus; record the curves, the baselines, samples (and how
many of their words are words of the corpus), whether later positions of a window (more context) are
predicted better, and the final loss on training text measured as the validation loss is."""

from __future__ import annotations

import math
import re

import numpy as np

from ..training import baselines
from ..training.model import GPT, generate
from ..training.pretrain import POSITION_STRIDE, pretrain, token_losses, windows
from .context import Context

TITLE = "pretraining (next-token prediction)"

FIRST_BUCKET = POSITION_STRIDE   # positions 0-15, 16-31, then doubling: 32-63, 64-127, 128-255, ...


def position_buckets(losses: np.ndarray) -> list[dict]:
    """Per-position losses averaged over buckets of positions, doubling in width, the last cut at the window's end."""
    edges = [0, FIRST_BUCKET]
    while edges[-1] < len(losses):
        edges.append(2 * edges[-1])
    return [{"from": a, "to": min(b, len(losses)) - 1, "loss": float(losses[a:b].mean())}
            for a, b in zip(edges, edges[1:]) if a < len(losses)]


def position_excess(buckets: list[dict]) -> float:
    """How far the worst bucket after positions 16-31 sits above that bucket, as a share (negative: all below).
    A model that uses its context predicts later positions no worse than earlier ones."""
    if len(buckets) < 3:
        return 0.0
    return max(b["loss"] for b in buckets[2:]) / buckets[1]["loss"] - 1


WORD = re.compile(r"[a-z]+")
LONG_WORD = 3         # sample words of at least this many letters are looked up in the corpus


def sample_words(samples: list[dict], corpus: list[str]) -> list[dict]:
    """Per checkpoint: how many words of LONG_WORD letters or more the samples hold, and how many of them are
    words of the corpus. A number, not a judgement: it shows when the course's words start to come through."""
    vocabulary = {w for text in corpus for w in WORD.findall(text.lower())}
    counts: dict[int, list[int]] = {}
    for sample in samples:
        words = [w for w in WORD.findall(sample["text"].lower()) if len(w) >= LONG_WORD]
        count = counts.setdefault(sample["step"], [0, 0])
        count[0] += len(words)
        count[1] += sum(w in vocabulary for w in words)
    return [{"step": step, "words": n, "in_corpus": k} for step, (n, k) in counts.items()]


def training_text_loss(model: GPT, train_ids: np.ndarray, val_tokens: int, seq_len: int) -> float:
    """The loss on training text after the last step, measured as the validation loss is (whole windows, no
    update), on as many tokens as the validation text, in windows spread evenly over the training text:
    the figure to set beside the validation loss (a mean of training steps mixes in earlier, worse models)."""
    count = max(1, math.ceil(val_tokens / seq_len))
    stride = max(1, (len(train_ids) - seq_len - 1) // count)
    x, y = windows(train_ids, seq_len, stride)
    return float(token_losses(model, x[:count], y[:count]).mean())


def run(ctx: Context) -> dict:
    s = ctx.settings
    rng = np.random.default_rng(s.seed)
    model = GPT(rng, s.model)
    prompts = {p: ctx.tok.encode(p) for p in ctx.course.case.sample_prompts}
    history = pretrain(model, ctx.train_ids, ctx.val_ids, prompts, s.pretrain, rng, ctx.log)
    ctx.models["pretrained"] = model

    case_rng = np.random.default_rng([s.seed, 1])
    continuation = generate(model, [ctx.tok.encode(ctx.course.case.prompt_prefix)], s.pretrain.sample_tokens,
                            case_rng, s.pretrain.temperature)[0]
    ctx.case.update(prompt_prefix=ctx.course.case.prompt_prefix, pretrain_continuation=ctx.tok.decode(continuation))
    samples = [{"step": x["step"], "prompt": x["prompt"], "text": ctx.tok.decode(x["ids"])} for x in history.samples]
    return {
        "train_loss": history.train_loss, "evals": history.evals,
        "baselines": {"uniform": baselines.uniform_loss(ctx.tok.size),
                      "unigram": baselines.unigram_loss(ctx.train_ids, ctx.val_ids, ctx.tok.size),
                      "bigram": baselines.bigram_loss(ctx.train_ids, ctx.val_ids, ctx.tok.size)},
        "position_val_loss": position_buckets(np.array(history.position_loss)),
        "samples": samples,
        "sample_words": sample_words(samples, [d.text for d in ctx.course.corpus]),
        "train_text_loss": training_text_loss(model, ctx.train_ids, len(ctx.val_ids), s.pretrain.seq_len),
    }


def summarise(part: dict) -> dict:
    buckets = part["position_val_loss"]
    return {
        "initial_loss": part["evals"][0]["val_loss"],
        "first_train_loss": part["train_loss"][0],
        "final_train_loss": float(np.mean(part["train_loss"][-20:])),
        "final_val_loss": part["evals"][-1]["val_loss"],
        "final_perplexity": part["evals"][-1]["perplexity"],
        "uniform_loss": part["baselines"]["uniform"],
        "unigram_val_loss": part["baselines"]["unigram"],
        "bigram_val_loss": part["baselines"]["bigram"],
        "tokens_seen": part["evals"][-1]["tokens_seen"],
        "position_val_loss": buckets,
        "short_context_loss": buckets[0]["loss"],       # positions 0-15: little to go on
        "long_context_loss": buckets[-1]["loss"],       # the last bucket: the most context
        "position_excess": position_excess(buckets),
        "train_text_loss": part["train_text_loss"],
        "sample_word_share": [{"step": c["step"], "share": c["in_corpus"] / c["words"] if c["words"] else 0.0}
                              for c in part["sample_words"]],
        "final_sample_word_share": (part["sample_words"][-1]["in_corpus"] / part["sample_words"][-1]["words"]
                                    if part["sample_words"] and part["sample_words"][-1]["words"] else 0.0),
    }
