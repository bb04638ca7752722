"""The trained models, shipped inside the page for the playground, and the evidence that they are the same models.

Called once by the pipeline after the stages. Every model in ctx.models (each stage's, whatever the
stages are) is stored as float16, half its float32 size; NumPy then runs the *shipped* weights to
measure how far the rounding moved each model and to write the reference outputs the page's
JavaScript must reproduce. Int8 with one scale per row would halve the size again; its figures are
recorded beside float16's, because on these models it moves the fine-tuned model's top-1 next token
too often (the page and docs say by how much).
"""

from __future__ import annotations

import base64
import copy
import inspect
import re
from collections.abc import Callable

import numpy as np

from .stages.context import Context
from .stages.sft import answer_budget
from .training.autograd import Parameter, Tensor
from .training.model import GPT, Module, RewardModel, Rotary, generate
from .training.pretrain import token_losses, windows
from .training.reward import bradley_terry_loss, score
from .training.tokenizer import END, END_OF_TEXT, SPECIAL_TOKENS, Tokenizer, chat_prompt

FORMAT = "float16, little-endian, base64; one entry per parameter, named by its attribute path"
TOP_K = 5                  # next tokens per reference text
TEMPERATURES = (0.5, 1.0, 2.0)  # the temperatures at which the reference records each model's top next token
GREEDY_TOKENS = 16         # tokens each language model continues each reference text with, greedily
GAME_SENTENCES = 6         # held-out corpus sentences for the guess-the-next-token game
GAME_TOKENS = (8, 28)      # a game sentence has this many tokens, at least and at most
MAX_LOSS_DIFFERENCE = 0.01  # the rule for shipping: validation loss moves by at most this many nats,
MIN_TOP1_AGREEMENT = 0.99   # and the top-1 next token stays the same on at least this share of validation tokens
PARITY_PROBABILITY = 0.002  # the page's probabilities may differ from NumPy's by this much (absolute),
PARITY_REWARD = 0.01        # and its reward scores by this much: the browser tests hold it to both
JUDGE_EDITS = 3            # words the fool-the-judge search may delete
UNKNOWN_CANDIDATES = "€§¤※→♦"   # a character outside the vocabulary, for the tokenizer's reference text

Rounding = Callable[[np.ndarray], np.ndarray]


# ---------- the shipped weights

def named_parameters(module: Module, prefix: str = "") -> dict[str, Parameter]:
    """Every Parameter of a model by its attribute path ('blocks.0.attn.qkv.weight'), in Module.parameters order."""
    named = {}
    for name, value in vars(module).items():
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            path = f"{prefix}{name}.{i}" if isinstance(value, list) else f"{prefix}{name}"
            if isinstance(item, Parameter):
                named[path] = item
            elif isinstance(item, Module):
                named.update(named_parameters(item, path + "."))
    return named


def float16(w: np.ndarray) -> np.ndarray:
    """What the page computes with: w rounded to float16 (11 significant bits), read back as float32."""
    return w.astype(np.float16).astype(np.float32)


def int8_rows(w: np.ndarray) -> np.ndarray:
    """The alternative not shipped: each row of a matrix as int8 times one scale (max |row| / 127);
    vectors as they are. Returned dequantised, to measure what it would cost."""
    if w.ndim != 2:
        return w
    scale = np.abs(w).max(axis=1, keepdims=True) / 127.0                   # (R, 1)
    scale = np.where(scale > 0, scale, 1.0)
    return (np.clip(np.round(w / scale), -127, 127) * scale).astype(np.float32)


def encode(w: np.ndarray) -> dict:
    """One parameter as the page reads it: its shape and its float16 values, base64."""
    data = np.ascontiguousarray(w, dtype="<f2").tobytes()
    return {"shape": list(w.shape), "float16": base64.b64encode(data).decode("ascii")}


def rounded(model: Module, rounding: Rounding = float16) -> Module:
    """A copy of `model` whose every weight went through `rounding` (by default: the page's weights)."""
    copied = copy.deepcopy(model)
    for p in named_parameters(copied).values():
        p.data = rounding(p.data)
    return copied


# ---------- how far the rounding moved each model

def _val_parts(val_ids: np.ndarray, seq_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The validation stream as pretraining.evaluate cuts it: consecutive windows, then the shorter rest."""
    n = (len(val_ids) - 1) // seq_len * seq_len
    parts = [windows(val_ids[:n + 1], seq_len, seq_len)] if n else []
    if n < len(val_ids) - 1:
        parts.append((val_ids[None, n:-1], val_ids[None, n + 1:]))
    return parts


def _losses_and_guesses(model: GPT, parts: list) -> tuple[float, np.ndarray]:
    """Mean next-token loss over the parts, and the top-1 next token at every position."""
    total, guesses = 0.0, []
    for x, y in parts:
        logits = model(x).data                                                     # (B, T, V)
        z = logits - logits.max(axis=-1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        total += float(-np.take_along_axis(log_probs, y[..., None], axis=-1).sum())
        guesses.append(logits.argmax(-1).ravel())
    return total / sum(y.size for _, y in parts), np.concatenate(guesses)


def language_model_fidelity(model: GPT, val_ids: np.ndarray, seq_len: int) -> dict:
    """Validation loss with full-precision and with shipped weights, and how often their top-1 next
    tokens agree; the same for int8 rows, the format not shipped."""
    parts = _val_parts(val_ids, seq_len)
    full_loss, full_guess = _losses_and_guesses(model, parts)
    out = {"val_loss_full": full_loss, "tokens": int(full_guess.size)}
    for name, rounding in (("shipped", float16), ("int8", int8_rows)):
        loss, guess = _losses_and_guesses(rounded(model, rounding), parts)
        out |= {f"val_loss_{name}": loss, f"val_loss_difference_{name}": loss - full_loss,
                f"top1_agreement_{name}": float(np.mean(guess == full_guess))}
    return out


def reward_model_fidelity(model: RewardModel, ctx: Context) -> dict:
    """On every preference pair: the scores' largest change, the Bradley-Terry loss, and whether each
    pair is still ranked the same way; with shipped weights, and with int8 rows."""
    prefs = ctx.course.preferences
    seqs = [ctx.chat(p.prompt, p.chosen) for p in prefs] + [ctx.chat(p.prompt, p.rejected) for p in prefs]
    n = len(prefs)

    def pair_loss(r: np.ndarray) -> float:
        return float(bradley_terry_loss(Tensor(r[:n]), Tensor(r[n:])).data)

    full = score(model, seqs, ctx.pad)
    out = {"pair_loss_full": pair_loss(full), "pairs": n}
    for name, rounding in (("shipped", float16), ("int8", int8_rows)):
        r = score(rounded(model, rounding), seqs, ctx.pad)
        out |= {f"score_max_difference_{name}": float(np.abs(r - full).max()),
                f"pair_loss_{name}": pair_loss(r), f"pair_loss_difference_{name}": pair_loss(r) - pair_loss(full),
                f"ranking_agreement_{name}": float(np.mean((full[:n] > full[n:]) == (r[:n] > r[n:])))}
    return out


# ---------- reference outputs for the page's JavaScript

def tokens(tok: Tokenizer, text: str) -> list[dict]:
    """`text` as the playground splits it: BPE tokens (special tokens whole), and each character outside
    the vocabulary as its own token with id None; merges never cross such a character."""
    out = []
    for piece in re.split("(" + "|".join(map(re.escape, SPECIAL_TOKENS)) + ")", text):
        if piece in SPECIAL_TOKENS:
            out.append({"id": tok.ids[piece], "text": piece})
            continue
        start = 0
        for i, ch in enumerate(piece):
            if ch not in tok.ids:                          # every character of the alphabet is a token
                out += _known(tok, piece[start:i]) + [{"id": None, "text": ch}]
                start = i + 1
        out += _known(tok, piece[start:])
    return out


def _known(tok: Tokenizer, text: str) -> list[dict]:
    return [{"id": i, "text": tok.vocab[i]} for i in tok.encode(text)] if text else []


def model_input(tok: Tokenizer, text: str, block_size: int) -> list[int]:
    """The ids a model reads for `text`: the known tokens, the last block_size of them."""
    return [t["id"] for t in tokens(tok, text) if t["id"] is not None][-block_size:]


def top_tokens(model: GPT, tok: Tokenizer, ids: list[int], k: int = TOP_K) -> list[dict]:
    """The k most likely next tokens after `ids`, with their probabilities (temperature 1)."""
    logits = model(np.array([ids])).data[0, -1].astype(np.float64)                 # (V,)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))[:k]
    return [{"id": i, "token": tok.vocab[i], "p": float(p[i])} for i in order]


def chat_text(prompt: str, answer: str) -> str:
    """One answer to one prompt in the chat template, as the reward model reads it."""
    return f"{chat_prompt(prompt)}{answer}{END}"


def rewards(model: RewardModel, ctx: Context, items: list[tuple[str, str]]) -> list[float]:
    """The reward model's score of each (prompt, answer)."""
    seqs = [model_input(ctx.tok, chat_text(q, a), model.body.cfg.block_size) for q, a in items]
    return [float(r) for r in score(model, seqs, ctx.pad)]


def unknown_character(tok: Tokenizer) -> str:
    """A character the course's vocabulary does not hold."""
    return next(ch for ch in UNKNOWN_CANDIDATES if ch not in "".join(tok.vocab))


def reference_texts(ctx: Context, game: list[str]) -> list[str]:
    """Fixed texts, all from the course: a corpus opening, the opening of a held-out sentence, the case
    question in the chat template, and a text with a character outside the vocabulary."""
    case = ctx.course.case
    held_out = " ".join(game[0].split()[:4]) if game else case.prompt_prefix
    return [case.prompt_prefix, held_out, chat_prompt(case.question),
            f"{unknown_character(ctx.tok)} {case.prompt_prefix}"]


def reference(ctx: Context, shipped: dict[str, Module], texts: list[str]) -> dict:
    """What NumPy computes with the shipped weights: tokens, top-5 next tokens, greedy continuations, rewards."""
    tok = ctx.tok
    lms = {name: m for name, m in shipped.items() if isinstance(m, GPT)}
    out = {"texts": []}
    for text in texts:
        ids = model_input(tok, text, ctx.settings.model.block_size)
        out["texts"].append({
            "text": text, "tokens": tokens(tok, text),
            "next": {name: top_tokens(m, tok, ids) for name, m in lms.items()},
            "greedy": {name: generate(m, [ids], GREEDY_TOKENS)[0] for name, m in lms.items()}})
    case, prefs = ctx.course.case, ctx.course.preferences
    items = [(case.question, case.specific_answer), (case.question, case.vague_answer),
             (prefs[0].prompt, prefs[0].chosen), (prefs[0].prompt, prefs[0].rejected)]
    out["rewards"] = [{"model": name, "prompt": q, "answer": a, "score": r}
                      for name, m in shipped.items() if isinstance(m, RewardModel)
                      for (q, a), r in zip(items, rewards(m, ctx, items))]
    out["temperature"] = {name: temperature_sweep(m, model_input(tok, texts[1], ctx.settings.model.block_size))
                          for name, m in lms.items()}
    budget = answer_budget(ctx)
    answers = {name: ctx.answers(m, [case.question], budget)[0] for name, m in lms.items()}
    judge = next((m for m in shipped.values() if isinstance(m, RewardModel)), None)
    out["chat"] = {"question": case.question, "max_tokens": budget, "answers": answers,
                   "scores": dict(zip(answers, rewards(judge, ctx, [(case.question, a) for a in answers.values()])))
                   if judge else {}}
    return out


def temperature_sweep(model: GPT, ids: list[int]) -> dict:
    """The top next token at temperature 1, and the probability each of TEMPERATURES gives it."""
    logits = model(np.array([ids])).data[0, -1].astype(np.float64)
    top = int(np.argmax(logits))

    def p(t: float) -> float:
        z = np.exp((logits - logits.max()) / t)
        return float(z[top] / z.sum())

    return {"id": top, "probabilities": [{"temperature": t, "p": p(t)} for t in TEMPERATURES]}


# ---------- what the guide's playground exercises can quote

def game_sentences(tok: Tokenizer, val_ids: np.ndarray, train_ids: np.ndarray,
                   count: int = GAME_SENTENCES) -> list[str]:
    """Whole sentences from the held-out part of the corpus that the training part does not contain
    (so no model trained on them), spread across it."""
    def text(ids: np.ndarray) -> str:
        return tok.decode([int(i) for i in ids]).replace(END_OF_TEXT, "\n")

    trained = text(train_ids)
    found = [s.strip() for s in re.findall(r"[^.!?\n]+[.!?]", text(val_ids))]
    fits = [s for s in found if GAME_TOKENS[0] <= len(tok.encode(s)) <= GAME_TOKENS[1] and s[:1].isupper()
            and s not in trained]
    if not fits:
        return []
    picks = np.linspace(0, len(fits) - 1, min(count, len(fits))).round().astype(int)
    return [fits[i] for i in dict.fromkeys(picks.tolist())]


def game_scores(model: GPT, tok: Tokenizer, sentences: list[str]) -> dict:
    """How the model plays the game: from the second token of each sentence on, how often its top guess
    is the next token, and the mean probability it gives the next token."""
    right, probs = [], []
    for sentence in sentences:
        ids = np.array([tok.encode(sentence)])
        losses = token_losses(model, ids[:, :-1], ids[:, 1:])[0]                    # (T-1,)
        guesses = model(ids[:, :-1]).data[0].argmax(-1)
        right += (guesses == ids[0, 1:]).tolist()
        probs += np.exp(-losses).tolist()
    return {"guesses": len(right), "top1": float(np.mean(right)) if right else 0.0,
            "mean_p": float(np.mean(probs)) if probs else 0.0}


def fool_the_judge(model: RewardModel, ctx: Context) -> dict | None:
    """Start from the pair the reward model ranks right by the smallest margin; delete, one at a time, the
    word whose deletion lowers the margin most, until the ranking flips or JUDGE_EDITS words are gone."""
    prefs = ctx.course.preferences
    scores = rewards(model, ctx, [(p.prompt, a) for p in prefs for a in (p.chosen, p.rejected)])
    margins = [c - r for c, r in zip(scores[::2], scores[1::2])]
    right = [i for i, m in enumerate(margins) if m > 0]
    if not right:
        return None
    first = min(right, key=lambda i: margins[i])
    pair, texts = prefs[first], {"chosen": prefs[first].chosen, "rejected": prefs[first].rejected}
    margin, edits = margins[first], []
    while margin > 0 and len(edits) < JUDGE_EDITS:
        options = [(side, i) for side, text in texts.items() for i in range(len(text.split()))]
        base = dict(zip(texts, rewards(model, ctx, [(pair.prompt, t) for t in texts.values()])))
        edited = rewards(model, ctx, [(pair.prompt, _without(texts[side], i)) for side, i in options])
        after = [r - base["rejected"] if side == "chosen" else base["chosen"] - r
                 for (side, _), r in zip(options, edited)]                       # the margin after each deletion
        best = int(np.argmin(after))
        side, i = options[best]
        edits.append({"answer": side, "word": texts[side].split()[i]})
        texts[side], margin = _without(texts[side], i), after[best]
    return {"pair": pair.id, "prompt": pair.prompt, "margin": margins[first], "edits": edits,
            "chosen_after": texts["chosen"], "rejected_after": texts["rejected"], "margin_after": margin,
            "flipped": margin < 0}


def _without(text: str, index: int) -> str:
    words = text.split()
    return " ".join(words[:index] + words[index + 1:])


# ---------- the whole playground part of the Run

def architecture(cfg) -> dict:
    """What the page's forward pass needs to know beyond the weights, read from the code's own defaults."""
    return {"vocab_size": cfg.vocab_size, "block_size": cfg.block_size, "n_layer": cfg.n_layer,
            "n_head": cfg.n_head, "n_embd": cfg.n_embd,
            "rope_base": inspect.signature(Rotary.__init__).parameters["base"].default,
            "layer_norm_eps": inspect.signature(Tensor.layer_norm).parameters["eps"].default}


def playground(ctx: Context, trained_by: dict[str, str]) -> dict:
    """The playground's part of the Run: each trained model's shipped weights and fidelity, labelled with
    the stage that trained it; reference outputs; the game's sentences; the fool-the-judge example."""
    shipped = {name: rounded(m) for name, m in ctx.models.items()}
    models = []                                                     # in the order the stages trained them
    for name, model in ctx.models.items():
        language = isinstance(model, GPT)
        models.append({
            "name": name, "stage": trained_by[name], "kind": "language" if language else "reward",
            "parameters": int(sum(p.data.size for p in model.parameters())),
            "bytes": int(sum(p.data.size for p in model.parameters()) * 2),            # float16
            "fidelity": (language_model_fidelity(model, ctx.val_ids, ctx.settings.pretrain.seq_len) if language
                         else reward_model_fidelity(model, ctx)),
            "weights": {path: encode(p.data) for path, p in named_parameters(model).items()}})
        ctx.log(fidelity_line(models[-1]))
    game = game_sentences(ctx.tok, ctx.val_ids, ctx.train_ids)
    judge = next((m for m in shipped.values() if isinstance(m, RewardModel)), None)
    return {
        "format": FORMAT, "architecture": architecture(ctx.settings.model), "models": models,
        "reference": reference(ctx, shipped, reference_texts(ctx, game)),
        "game": {"sentences": game, "scores": {name: game_scores(m, ctx.tok, game)
                                               for name, m in shipped.items() if isinstance(m, GPT)}},
        "fool_the_judge": fool_the_judge(judge, ctx) if judge else None,
    }


def fidelity_line(model: dict) -> str:
    """One log line: how far float16 moved this model."""
    f, name = model["fidelity"], model["name"]
    if model["kind"] == "language":
        return (f"{name}: {model['bytes']:,} bytes; validation loss {f['val_loss_full']:.4f} -> "
                f"{f['val_loss_shipped']:.4f} shipped; top-1 next token unchanged at {f['top1_agreement_shipped']:.2%}")
    return (f"{name}: {model['bytes']:,} bytes; scores move by at most {f['score_max_difference_shipped']:.4f}; "
            f"pairs ranked as before {f['ranking_agreement_shipped']:.0%}")


def summarise(part: dict) -> dict:
    """The headline figures: the worst fidelity over the models, and the weights' size."""
    lms = [m["fidelity"] for m in part["models"] if m["kind"] == "language"]
    rms = [m["fidelity"] for m in part["models"] if m["kind"] == "reward"]
    worst_loss = max((abs(f["val_loss_difference_shipped"]) for f in lms), default=0.0)
    worst_top1 = min((f["top1_agreement_shipped"] for f in lms), default=1.0)
    return {
        "models": len(part["models"]),
        "weight_bytes": sum(m["bytes"] for m in part["models"]),
        "max_val_loss_difference": worst_loss, "min_top1_agreement": worst_top1,
        "rule_max_loss_difference": MAX_LOSS_DIFFERENCE, "rule_min_top1_agreement": MIN_TOP1_AGREEMENT,
        "parity_probability": PARITY_PROBABILITY, "parity_reward": PARITY_REWARD,
        "meets_rule": worst_loss <= MAX_LOSS_DIFFERENCE and worst_top1 >= MIN_TOP1_AGREEMENT,
        "max_score_difference": max((f["score_max_difference_shipped"] for f in rms), default=0.0),
        "int8_min_top1_agreement": min((f["top1_agreement_int8"] for f in lms), default=1.0),
    }
