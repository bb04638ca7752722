"""Course -> Run: run the training stages in order and capture everything they produce.

The Run is a plain JSON-able dict (written as build/metrics.json); it is the
single source of every number the page and the documents show. Each stage
(generator/stages) trains with generator/training and records its own part.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from pathlib import Path

import numpy as np

from . import contamination, export
from .content import Course, Settings
from .stages import STAGES
from .stages.context import Context, Log
from .training.model import GPT
from .training.tokenizer import END_OF_TEXT, Tokenizer

HERE = Path(__file__).parent
TRAINING_CODE = sorted((HERE / "training").glob("*.py"))
# the code that decides what a Run records, beyond the training code itself
RECORDING_CODE = [HERE / "pipeline.py", HERE / "stats.py", HERE / "contamination.py", HERE / "workers.py",
                  HERE / "export.py", *sorted((HERE / "stages").glob("*.py"))]


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def code_version() -> str:
    """A short hash of the training code, so a run card says which code made it."""
    return _digest(TRAINING_CODE)


def recorder_version() -> str:
    """A short hash of the code that runs the stages and records the Run (part of the run cache's key)."""
    return _digest(RECORDING_CODE)


def split_corpus(tok: Tokenizer, course: Course, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Tokenise each document; its last `val_fraction` goes to validation."""
    eot = tok.ids[END_OF_TEXT]
    train, val = [], []
    for doc in course.corpus:
        ids = tok.encode(doc.text)
        cut = int(len(ids) * (1 - val_fraction))
        train += ids[:cut] + [eot]
        val += ids[cut:] + [eot]
    return np.array(train), np.array(val)


# A diverging run overflows on its way to a NaN loss: that is reported once, clearly, by
# stop_if_diverged (naming stage and step), not as a screenful of NumPy warnings first.
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def run_pipeline(course: Course, quick: bool = False, log: Log = print, timings: dict | None = None) -> dict:
    """Train every stage on `course` and return the Run (per-stage seconds go into `timings`)."""
    s: Settings = course.quick_settings if quick else course.settings
    timings = {} if timings is None else timings

    log("== Tokenizer: byte-pair encoding ==")
    tok = course.tokenizer(s.vocab_size)
    train_ids, val_ids = split_corpus(tok, course, s.val_fraction)
    log(f"{tok.size} tokens ({len(tok.merges)} merges); {len(train_ids)} training and "
        f"{len(val_ids)} validation tokens")
    ctx = Context(course, s, quick, tok, log, train_ids, val_ids)

    run = {"config": _config(s, quick, tok), "data": _data(course, train_ids, val_ids),
           "tokenizer": {"vocab": tok.vocab, "merges": [list(m) for m in tok.merges],
                         "alphabet_size": len(course.alphabet()),
                         "sample": _token_chips(tok, course.corpus[0].text)},
           "contamination": contamination.measure(course)}
    trained_by = {}                                       # model name in ctx.models -> the stage that trained it
    for number, (name, stage) in enumerate(STAGES.items(), start=1):
        log(f"== Stage {number}: {stage.TITLE} ==")
        started = time.perf_counter()
        run[name] = stage.run(ctx)
        trained_by.update({model: name for model in ctx.models if model not in trained_by})
        timings[name] = time.perf_counter() - started
    log("== Playground: the models shipped in the page ==")
    started = time.perf_counter()
    run["playground"] = export.playground(ctx, trained_by)
    timings["export"] = time.perf_counter() - started
    run["case"] = ctx.case
    run["summary"] = summarise(run)
    log(f"done in {sum(timings.values()):.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")
    return run


def _data(course: Course, train_ids: np.ndarray, val_ids: np.ndarray) -> dict:
    return {"corpus_documents": len(course.corpus),
            "corpus_words": sum(len(d.text.split()) for d in course.corpus),
            "corpus_characters": sum(len(d.text) for d in course.corpus),
            "train_tokens": int(len(train_ids)), "val_tokens": int(len(val_ids)),
            "sft_pairs": len(course.sft_pairs), "heldout_questions": len(course.heldout_pairs),
            "preference_pairs": len(course.preferences)}


def _token_chips(tok: Tokenizer, text: str, words: int = 40) -> list[str]:
    """The opening of the first corpus document, split into its BPE tokens."""
    opening = " ".join(text.split()[:words])
    return [tok.vocab[i] for i in tok.encode(opening)]


def _config(s: Settings, quick: bool, tok: Tokenizer) -> dict:
    params = GPT(np.random.default_rng(0), s.model).parameters()
    return {
        "seed": s.seed, "vocab_size": s.vocab_size, "merges": len(tok.merges), "quick": quick,
        "val_fraction": s.val_fraction, "code_version": code_version(),
        "parameters": int(sum(p.data.size for p in params)),
        **{name: dataclasses.asdict(getattr(s, name)) for name in ("model", *STAGES)},
    }


def summarise(run: dict) -> dict:
    """The headline figures every renderer quotes: each stage's own, the data's and the run card's."""
    return {
        **{name: stage.summarise(run[name]) for name, stage in STAGES.items()},
        "playground": export.summarise(run["playground"]),
        "data": {"heldout_sft_overlap": contamination.worst(run["contamination"], "heldout_sft"),
                 "preference_overlap": contamination.worst(run["contamination"], "preferences"),
                 "case_overlap": contamination.worst(run["contamination"], "case")},
        "config": {k: run["config"][k] for k in ("seed", "vocab_size", "merges", "parameters",
                                                  "quick", "code_version")},
        "theory": {"ln_vocab": math.log(run["config"]["vocab_size"]), "ln_2": math.log(2.0)},
    }
