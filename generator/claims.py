"""The words that state an outcome of a run (learned, beats, generalises, carries over, better than), and
advice for `check` when the course's own prose states one: content is written once, the run changes.

Templates state outcomes only through the claim macro (templates/claims.j2), chosen by a finding
(generator/findings.py), and tests/claims_audit.py holds them to it. Content cannot follow the run,
so a sentence of teaching.toml or concept_map.toml that says what this run's model did gets a note.
"""

from __future__ import annotations

import re

from .content import Course

CLAIM_WORDS = re.compile(
    r"\b(beats?|beating|generalis(?:es|ed|ing|ation)|carr(?:y|ies|ied) over|better than|outperform\w*"
    r"|(?:has|have|had|it|model|models)\s+learn(?:ed|t)(?!\s+from)|learn(?:ed|t) to|learnt)\b", re.IGNORECASE)

# A sentence is about this run when it quotes one of its figures or names it ...
THIS_RUN = re.compile(r"\{[a-z_]+\.[a-z_0-9]+\}|\b(this|our|today's) (run|model|reward model|class's model)\b"
                      r"|\bin this run\b|\bhere\b", re.IGNORECASE)
# ... unless it is a condition, a question or a rule rather than a report of what happened
HEDGED = re.compile(r"\?|\b(if|whether|when|unless|until|cannot|can't|could|would|should|must|may|might|"
                    r"can|need|needs|ask|asks|check|checks|test|tests|shows? whether)\b", re.IGNORECASE)
SENTENCE = re.compile(r"[^.!?]+[.!?]?")
# fields that hold prose (a misconception is quoted as one, so it is not read)
PROSE_FIELDS = {"teaching.toml": ("answer", "analogy", "data", "problem_left", "without_it", "tagline", "text",
                                  "say", "intro", "key_insight", "learns", "limitation"),
                "concept_map.toml": ("idea", "in_class")}


def outcome_sentences(text: str) -> list[str]:
    """The sentences of `text` that report an outcome of this run: a claim word, a reference to the run, no hedge."""
    return [s.strip() for s in SENTENCE.findall(text)
            if CLAIM_WORDS.search(s) and THIS_RUN.search(s) and not HEDGED.search(s)]


def notes(course: Course) -> list[str]:
    """Advice for `check`: every sentence of the course's prose that states how this run turned out."""
    out = []
    for file, fields in PROSE_FIELDS.items():
        path = course.root / file
        if not path.is_file():
            continue
        field = re.compile(rf"^\s*({'|'.join(fields)})\s*=")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not field.match(line):
                continue
            for sentence in outcome_sentences(line.split("=", 1)[1]):
                out.append(f"{file}:{number}: {field.match(line).group(1)}: \"{sentence.strip(chr(34))}\" states how "
                           "this run turned out, but content is written once and the run changes with every seed "
                           "and setting; quote the figure instead (a placeholder such as {reward.heldout_accuracy}, "
                           "see docs/metrics.md) and let the page's own sentences, chosen from the numbers, say "
                           "what it means")
    return out
