"""How every command reports a failure: one line (or one per course problem) and an exit code.

A user's mistake says what to do; anything else is a bug, named in one line with a
pointer to --debug, which shows the traceback.
"""

from __future__ import annotations

from pathlib import Path

from .content import ContentError
from .training.loop import TrainingDiverged

EXIT_USER = 2           # bad content, a bad flag or output folder: fix it and run again
EXIT_DIVERGED = 3       # training stopped on a NaN or infinite loss
EXIT_BUG = 1            # an unexpected error


class UserError(Exception):
    """A mistake in a flag, the output folder or the settings, that the message says how to fix."""


def explain(err: Exception, content: str) -> tuple[int, list[str]]:
    """The exit code and the lines that describe `err` to a teacher (content: the course folder)."""
    if isinstance(err, ContentError):
        return EXIT_USER, [f"error: {len(err.problems)} problem(s) in the course folder {content}:"] + \
            [f"  {Path(content) / p.file}:{p.line}: {p.field}: {p.message}" for p in err.problems]
    if isinstance(err, UserError):
        return EXIT_USER, [f"error: {err}"]
    if isinstance(err, TrainingDiverged):
        return EXIT_DIVERGED, [f"error: training stopped: {err}"]
    detail = str(err).strip().splitlines()
    return EXIT_BUG, [f"error: unexpected {type(err).__name__}{': ' + detail[0] if detail else ''}; "
                      "run again with --debug to see where it happened, and report it"]
