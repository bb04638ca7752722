"""Has the model already read a "held-out" text? Shared word 8-grams between what it is tested on
and what it trains on: benchmark contamination, at the size of one course.

A text's overlap with a source is the share of its 8-word sequences (lower case, punctuation
ignored) that also occur in the source. Facts may repeat across texts; a run of eight identical
words is a copied sentence.
"""

from __future__ import annotations

import re

from .content import Course

N = 8                 # words per n-gram
LEAK = 0.1            # a tested text with more than this share of its 8-grams in training text has leaked


def ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    """The distinct n-word sequences of a text."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def overlap(text: str, source: set[tuple[str, ...]]) -> float:
    """The share of the text's 8-grams found in `source` (0 for a text shorter than 8 words)."""
    grams = ngrams(text)
    return len(grams & source) / len(grams) if grams else 0.0


def measure(course: Course) -> dict:
    """Each held-out SFT answer, preference answer and case answer against the two training sources:
    the pretraining corpus and the fine-tuning demonstrations."""
    sources = {
        "corpus": set().union(*(ngrams(d.text) for d in course.corpus)),
        "sft_train": set().union(*(ngrams(f"{p.question} {p.answer}") for p in course.sft_pairs)),
    }

    def row(**label) -> dict:
        text = label.pop("text")
        return {**label, **{name: overlap(text, grams) for name, grams in sources.items()}}

    return {
        "n": N,
        "heldout_sft": [row(id=p.id, text=p.answer) for p in course.heldout_pairs],
        "preferences": [row(id=p.id, side=side, text=getattr(p, side))
                        for p in course.preferences for side in ("chosen", "rejected")],
        "case": [row(id=side, text=getattr(course.case, side)) for side in ("specific_answer", "vague_answer")],
    }


def worst(report: dict, group: str) -> float:
    """The largest overlap of any text of a group with either source."""
    return max((max(r["corpus"], r["sft_train"]) for r in report[group]), default=0.0)


def notes(course: Course) -> list[str]:
    """Advice for `check`: every tested text that shares more than LEAK of its 8-grams with training text."""
    report, out = measure(course), []
    files = {"heldout_sft": "sft.toml", "preferences": "preferences.toml", "case": "case.toml"}
    for group, file in files.items():
        for row in report[group]:
            worst_source = max(("corpus", "sft_train"), key=lambda source: row[source])
            if row[worst_source] > LEAK:
                where = {"corpus": "the corpus", "sft_train": "the fine-tuning pairs"}[worst_source]
                label = f"{row['id']} ({row['side']})" if "side" in row else row["id"]
                out.append(f"{file}: {label} shares {row[worst_source]:.0%} of its 8-word runs with {where}, so the "
                           "model may have read it before it is tested on it; reword one of them")
    return out
