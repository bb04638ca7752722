"""Find sentences that state an outcome of the run outside a claim (see templates/claims.j2).

An audit render (render_outputs(..., audit=True)) brackets every claim and every general
statement, and quotes the text the templates do not write (the course's prose, which `check`
reads for claims itself, and what the models wrote). Code is not prose and is left out.
"""

from __future__ import annotations

import html
import re

from generator.claims import CLAIM_WORDS
from generator.render import AUDIT_MARKS

OPENERS = {opener for opener, _ in AUDIT_MARKS.values()}
CLOSERS = {closer for _, closer in AUDIT_MARKS.values()}
# code, and the targets of markdown links (an anchor spells its heading, marks left out)
CODE = re.compile(r"<(script|style|pre|code)\b.*?</\1>|^(`{3,}).*?^\2[ \t]*$|`[^`\n]+`|\]\([^)\s]*\)",
                  re.S | re.I | re.M)


def visible_text(document: str) -> str:
    """The prose a reader sees: code, tags, scripts and styles removed, entities decoded."""
    return html.unescape(re.sub(r"<[A-Za-z/!][^>]*>", " ", CODE.sub(" ", document)))


def unmarked_claims(document: str) -> list[str]:
    """Each claim word outside every claim, general or quote mark, with the words around it; and any mark
    left open or closed twice (which would hide or expose the wrong text)."""
    text, found, depth, last = visible_text(document), [], 0, 0
    spans = []                    # the stretches of text outside any mark
    for i, ch in enumerate(text):
        if ch in OPENERS:
            if depth == 0:
                spans.append((last, i))
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            if depth < 0:
                found.append(f"a mark closed that was never opened: {text[max(0, i - 60):i + 20]!r}")
                depth = 0
            if depth == 0:
                last = i + 1
    if depth:
        found.append(f"{depth} mark(s) left open")
    spans.append((last, len(text)))
    for a, b in spans:
        for m in CLAIM_WORDS.finditer(text, a, b):
            found.append(" ".join(text[max(a, m.start() - 60):min(b, m.end() + 40)].split()))
    return found
