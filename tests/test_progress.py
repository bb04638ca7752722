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


def test_bars_with_counts_and_seconds_in_a_terminal(monkeypatch):
    clock = {"now": 100.0}
    monkeypatch.setattr("generator.progress.time.perf_counter", lambda: clock["now"])
    screen = Terminal()
    progress = Progress({"Stage 1": 100, "Stage 2": 20}, screen)
    for line, now in zip(LOG, (100.0, 100.5, 102.5, 103.0, 104.25, 104.5)):
        clock["now"] = now
        progress(line)
    progress.close()
    drawn = screen.getvalue()
    full, empty = "\u2588" * 28, "\u2591" * 28
    one, two = "Stage 1: pretraining".ljust(52), "Stage 2: supervised fine-tuning".ljust(52)
    assert f"\r{one} {empty}     0/100   0.0 s" in drawn        # a stage opens empty ...
    assert f"\r{one} {full}   100/100   2.5 s" in drawn        # ... and its bar fills, with the seconds it took
    assert f"\r{two} {full}     20/20   1.2 s" in drawn
    assert "\r\033[K  done in 3.0 s\n" in drawn                                      # notes still reach the screen
