"""Worker processes, for training runs that do not depend on each other (stage 3's six models)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from contextlib import contextmanager
from multiprocessing.pool import Pool

import numpy as np


def _quiet_worker() -> None:
    # Ctrl-C reaches every process of the terminal's job; only the main process acts on it
    # (it stops the workers and leaves build/ untouched), so the workers print nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # likewise a diverging model: the main process names stage and step, without NumPy warnings
    np.seterr(over="ignore", invalid="ignore", divide="ignore")


@contextmanager
def worker_pool(jobs: int):
    """A pool of up to one process per CPU core (never more than `jobs`), stopped on leaving.

    Processes are started fresh ("spawn"), so they are safe to create from any thread,
    for instance while `serve` is answering the browser.
    """
    processes = max(1, min(jobs, os.cpu_count() or 1))
    pool: Pool = multiprocessing.get_context("spawn").Pool(processes, initializer=_quiet_worker)
    try:
        yield pool
    finally:
        pool.terminate()   # nothing is left running, whether the work finished, failed or was interrupted
        pool.join()
