"""Training progress for people: a bar per stage in a terminal, plain log lines elsewhere."""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

_STEP = re.compile(r"^step\s+(\d+)")
BAR_WIDTH = 28


class Progress:
    """Receives the training log line by line (it is the pipeline's `log` callable).

    Lines starting with '== ' open a stage; 'step N ...' lines move its bar.
    `totals` maps a stage title's first words to its number of steps.
    """

    def __init__(self, totals: dict[str, int], stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.totals = totals
        self.stage: str | None = None
        self.total = 0
        self.step = 0
        self.started = time.perf_counter()

    def __call__(self, line: str) -> None:
        if line.startswith("== "):
            self._finish()
            self.stage = line.strip("= ").strip()
            self.total = next((n for prefix, n in self.totals.items() if self.stage.startswith(prefix)), 0)
            self.started = time.perf_counter()
            self.step = 0
            if not self.tty:
                print(line, file=self.stream, flush=True)
            else:
                self._draw(0)
            return
        step = _STEP.match(line)
        if not self.tty:
            print(line, file=self.stream, flush=True)
        elif step and self.total:
            self.step = int(step.group(1))
            self._draw(self.step)
        elif not step:                      # a note: print it above the bar, then redraw the bar
            self.stream.write("\r\033[K  " + line + "\n")
            if self.stage:
                self._draw(self.step)

    def _draw(self, step: int) -> None:
        filled = int(BAR_WIDTH * min(step, self.total) / self.total) if self.total else 0
        bar = "\u2588" * filled + "\u2591" * (BAR_WIDTH - filled) if self.total else " " * BAR_WIDTH
        counter = f"{step}/{self.total}" if self.total else ""
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\r{self.stage:<52} {bar} {counter:>9} {elapsed:5.1f} s")
        self.stream.flush()

    def _finish(self) -> None:
        if self.tty and self.stage is not None:
            self._draw(self.total)
            self.stream.write("\n")

    def close(self) -> None:
        self._finish()
        self.stage = None
