"""A generator command run as a child process the way a terminal runs it, and always stopped.

- Ctrl-C reaches it even when the test runner ignores SIGINT (nohup, some CI runners): the
  child starts with SIGINT's default action, so Python installs its KeyboardInterrupt handler.
- Its output is read by a thread, so waiting for a line has a deadline that always fires,
  even when the child prints nothing at all.
- Leaving the `with` block stops it: Ctrl-C first, then a kill if it does not end in time.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).parent.parent


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Running:
    """`with Running("serve", ...) as server:` ... `server.wait_for_line(lambda l: "serving" in l)`."""

    def __init__(self, *args: str, python_args: tuple[str, ...] = ("-m", "generator"), env: dict | None = None):
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}     # each line as it is printed
        self.process = subprocess.Popen(
            [sys.executable, *python_args, *args], cwd=PROJECT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_default_sigint)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)                    # the child closed its output: it has ended

    def wait_for_line(self, wanted: Callable[[str], bool], seconds: float = 60.0) -> str:
        """The next line of output for which `wanted` is true; AssertionError after `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"the process ended (exit {self.process.wait()}) before the line came:\n"
                                     + self.text())
            if wanted(line):
                return line
        raise AssertionError(f"no such line within {seconds:.0f} s; the output so far:\n" + self.text())

    def interrupt(self, seconds: float = 60.0) -> int:
        """Ctrl-C, then wait for the exit code (killing the child if it does not end in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running {seconds:.0f} s after Ctrl-C; killed it. Output:\n"
                                 + self.text()) from None

    def text(self) -> str:
        """Everything printed so far (all of it, once the process has ended and been waited for)."""
        if self.process.poll() is not None:
            self.reader.join(timeout=10)
        return "".join(self.output)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=10)
        self.process.stdout.close()
