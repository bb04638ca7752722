"""Find sentences that state an outcome of the run outside a claim (see templates/claims.j2)."""

from __future__ import annotations

import html
import re

from generator.render import AUDIT_MARKS

CLAIM_WORDS = re.compile(
    r"\b(beats?|beating|generalis(?:es|ed|ing|ation)|carr(?:y|ies|ied) over|better than|outperform\w*"
    r"|(?:has|have|had|it|model|models)\s+learn(?:ed|t)|learn(?:ed|t) to|learnt)\b", re.IGNORECASE)
OPENERS = {AUDIT_MARKS["claim"][0], AUDIT_MARKS["general"][0]}
CLOSERS = {AUDIT_MARKS["claim"][1], AUDIT_MARKS["general"][1]}


def visible_text(document: str) -> str:
    """The text a reader sees: tags, scripts and styles removed, entities decoded."""
    document = re.sub(r"<(script|style)\b.*?</\1>", " ", document, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", document))


def unmarked_claims(document: str) -> list[str]:
    """Each claim word outside every claim or general mark, with the words around it."""
    text, found, depth, last = visible_text(document), [], 0, 0
    marks = [(i, ch) for i, ch in enumerate(text) if ch in OPENERS | CLOSERS]
    spans = []                    # the stretches of text outside any mark
    for i, ch in marks:
        if ch in OPENERS:
            if depth == 0:
                spans.append((last, i))
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                last = i + 1
    spans.append((last, len(text)))
    for a, b in spans:
        for m in CLAIM_WORDS.finditer(text, a, b):
            found.append(" ".join(text[max(a, m.start() - 60):min(b, m.end() + 40)].split()))
    return found
