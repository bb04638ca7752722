"""Same inputs, same bytes: builds in other processes, under other hash seeds and on 1 core or 2, equal
the session's build file for file, byte for byte.

A build in the same process cannot see a set's order (it changes with PYTHONHASHSEED) or a result
that depends on how many processes trained it; these builds run in fresh interpreters.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import cache
from generator.content import load_course

from .conftest import CONTENT, PROJECT

# `python -m generator ...` with os.cpu_count() answering argv[1]: the pipeline asks it how many
# processes to use (training/parallel.py, workers.py)
WITH_CORES = ("import os, sys; cores = int(sys.argv.pop(1)); os.cpu_count = lambda: cores; "
              "from generator.__main__ import main; sys.exit(main(sys.argv[1:]))")


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_files(built: Path, expected: Path) -> None:
    got, want = files(built), files(expected)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == [], "these files differ"


def generator(*args: str, hash_seed: int, cores: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    command = ["-m", "generator"] if cores is None else ["-c", WITH_CORES, str(cores)]
    return subprocess.Popen([sys.executable, *command, *args], cwd=PROJECT, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen, seconds: float) -> str:
    try:
        said, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        said, _ = process.communicate()
        raise AssertionError(f"no result in {seconds:.0f} s:\n{said}") from None
    assert process.returncode == 0, said
    return said


def test_other_processes_and_hash_seeds_render_the_same_bytes(tmp_path, quick_build):
    """The session's run, rendered again by `make build` in two more interpreters with two other hash seeds."""
    seeded = load_course(CONTENT)
    cache.save(tmp_path / ".cache", cache.run_key(seeded, quick=True), quick_build.run)
    outs = [tmp_path / f"build-{seed}" for seed in (1, 2)]
    running = [generator("build", "--quick", "--content", str(CONTENT), "--out", str(out), hash_seed=seed)
               for seed, out in zip((1, 2), outs)]
    for process, out in zip(running, outs):
        assert "reusing the cached run" in finish(process, 300)
        assert_same_files(out, quick_build.out)


def test_a_whole_run_on_one_core_equals_the_run_on_two(tmp_path, food_safety_build):
    """The README's promise: the numbers do not depend on the number of cores. The session built the
    example course (tiny settings) with this machine's cores; this trains it again in another process on the
    other count, every stage, and compares every file."""
    here = os.cpu_count() or 1
    other = 1 if here >= 2 else 2
    course, built = food_safety_build
    out = tmp_path / "build"
    process = generator("build", "--quick", "--no-cache", "--content", str(course), "--out", str(out),
                        hash_seed=4, cores=other)
    said = finish(process, 900)
    assert "reusing the cached run" not in said and "== Stage 4" in said
    assert_same_files(out, built.out)


@pytest.mark.parametrize("cores", [1, 2])
def test_the_cores_stand_in_really_sets_the_processes(cores):
    """The stand-in above reaches the code that decides: DataParallel starts a second process only on 2 cores."""
    probe = ("import os, sys; cores = int(sys.argv[1]); os.cpu_count = lambda: cores; import numpy as np; "
             "from generator.training.model import GPT, GPTConfig; from generator.training.parallel import "
             "DataParallel; dp = DataParallel(GPT(np.random.default_rng(0), GPTConfig(vocab_size=8, block_size=4, "
             "n_layer=1, n_head=1, n_embd=4))); print(dp.process is not None); dp.__exit__(None, None, None)")
    said = subprocess.run([sys.executable, "-c", probe, str(cores)], cwd=PROJECT, capture_output=True, text=True,
                          timeout=120)
    assert said.stdout.strip() == str(cores == 2), said.stderr
