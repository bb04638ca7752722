"""Progress display: bars with times in a terminal, the plain log elsewhere."""

import io

from generator.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


LOG = ["== Stage 1: pretraining ==", "step    0 | val loss 4.6", "step  100 | val loss 2.4",
       "== Stage 2: supervised fine-tuning ==", "step   20 | loss 0.1", "done in 3.0 s"]


def feed(stream) -> str:
    progress = Progress({"Stage 1": 100, "Stage 2": 20}, stream)
    for line in LOG:
        progress(line)
    progress.close()
    return stream.getvalue()


def test_plain_lines_when_not_a_terminal():
    assert feed(io.StringIO()).splitlines() == LOG


def test_bars_with_counts_and_seconds_in_a_terminal():
    screen = feed(Terminal())
    assert "100/100" in screen and "20/20" in screen and " s" in screen
    assert "\u2588" * 28 in screen                    # a full bar for a finished stage
    assert "  done in 3.0 s\n" in screen              # notes still reach the screen
