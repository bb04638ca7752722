"""Markdown helpers for the docs: GitHub heading anchors, the table of contents, safe verbatim blocks."""

from __future__ import annotations

import re
import unicodedata

TOC_MARKER = "<!-- table of contents -->"
_HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def heading_text(markdown: str) -> str:
    """What a heading shows once rendered: inline code ticks, emphasis and link syntax removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"[`*]", "", text).strip()


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading (github-slugger rules, without the duplicate counter)."""
    text = heading_text(heading).lower()
    kept = "".join(ch for ch in text
                   if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.replace(" ", "-")


def headings(markdown: str) -> list[tuple[int, str]]:
    """(level, text) of every ATX heading outside fenced code blocks."""
    out, fence = [], None
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            continue
        found = _HEADING.match(line)
        if found:
            out.append((len(found.group(1)), found.group(2)))
    return out


def with_toc(markdown: str, depth: int = 3) -> str:
    """Replace TOC_MARKER with a nested list of links to every heading (levels 2..depth) after it."""
    if TOC_MARKER not in markdown:
        return markdown
    before, after = markdown.split(TOC_MARKER, 1)
    skip = len(headings(before))
    lines = []
    for index, (level, text, anchor) in enumerate(anchors(markdown)):
        if index >= skip and 2 <= level <= depth:
            lines.append(f"{'    ' * (level - 2)}- [{heading_text(text)}](#{anchor})")
    return before + "\n".join(lines) + after


def anchors(markdown: str) -> list[tuple[int, str, str]]:
    """(level, text, anchor) of every heading; repeated anchors get -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    out = []
    for level, text in headings(markdown):
        anchor = slug(text)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        out.append((level, text, f"{anchor}-{count}" if count else anchor))
    return out


def find_section(markdown: str, name: str) -> tuple[str, str] | None:
    """(anchor, markdown label) of the heading called `name`, or None.

    `name` is a heading's text without its section number ("The mathematics of ..." finds
    "1.3 The mathematics of ..."), or the symbol of a code walkthrough heading ("`symbol` in `file`").
    """
    for _, text, anchor in anchors(markdown):
        shown = heading_text(text)
        if name in (shown, re.sub(r"^\d+(\.\d+)*\.? ", "", shown)):
            return anchor, shown
        walked = re.match(r"`([^`]+)` in `", text)
        if walked and walked.group(1) == name:
            return anchor, f"`{name}`, line by line"
    return None


def tidy(markdown: str) -> str:
    """Outside code blocks: no trailing spaces, no runs of blank lines. One newline at the end."""
    out, fence = [], None
    for line in markdown.splitlines():
        if fence is None:
            opened = _FENCE.match(line)
            line = line.rstrip()
            if opened:
                fence = opened.group(1)
            elif not line and (not out or not out[-1]):
                continue
        elif line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            fence = None
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def finish(markdown: str) -> str:
    """The last step of every doc: table of contents, then tidy whitespace."""
    return tidy(with_toc(markdown))


def quote(text: str) -> str:
    """Text as a blockquote, every line (blank ones too) marked."""
    return "\n".join(f"> {line}".rstrip() for line in str(text).strip().splitlines())


def fenced(text: str, language: str = "text") -> str:
    """`text` verbatim in a fenced block whose fence no line inside can close; tabs made visible."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "⇥")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def code_span(text: str) -> str:
    """`text` as inline code whose fence no backtick inside can close."""
    text = str(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def one_line(text: str) -> str:
    """Model output on one line: newlines shown as ↵ (as on the page) so a short sample fits a sentence or list."""
    return str(text).replace("\r\n", "\n").replace("\n", "↵")


def annotate(excerpt, notes: list) -> list[tuple[int, str, str]]:
    """(real line number, the line's code, the note) for each (needle, note) whose needle the excerpt holds.

    A note is attached to the first line containing its needle; notes whose needle is gone are left out
    (tests/test_docs.py reports them, so a change to the code is noticed).
    """
    found = [(excerpt.find(needle), note) for needle, note in notes]
    return sorted((number, excerpt.line(number), note) for number, note in found if number is not None)


FILTERS = {"slug": slug, "fenced": fenced, "code_span": code_span, "one_line": one_line, "quote": quote,
           "finish": finish}
