"""Shared fixtures: real quick builds of the default course, made once per test session.

`make test` runs the tests in parallel processes (pytest-xdist, one per core). A training run
is computed once for all of them: the first process to ask trains, the others wait for it and
read its result (`shared`).
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import output
from generator.content import load_course
from generator.pipeline import run_pipeline
from generator.render import render_outputs

PROJECT = Path(__file__).parent.parent
CONTENT = PROJECT / "content"


@dataclass
class Build:
    out: Path          # the build folder
    run: dict          # metrics.json, parsed

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def quick_course(content: Path = CONTENT, seed: int | None = None):
    course = load_course(content)
    return course if seed is None else course.with_seed(seed)


def make_build(out: Path, course, run: dict) -> Build:
    """Render a run of `course` into `out`, as `make build` does."""
    with output.replacing(out) as folder:
        output.write_files(folder, render_outputs(course, run))
    return Build(out, json.loads((out / "metrics.json").read_text()))


MUTMUT_STATS = Path("mutmut-stats.json")           # mutmut runs the tests from its mutants/ folder
CAUGHT = Path("mutmut-caught.tsv")                  # there too: function, then a test that caught a mutant of it


def _mutated_function() -> str | None:
    """The function whose mutant this test process runs against (make mutants), else None."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    return mutant.rsplit("__mutmut_", 1)[0] if "__mutmut_" in mutant else None


def pytest_collection_modifyitems(items):
    """Mark every test that needs the session's training run (`-m "not run"` leaves them out: make mutants).
    Against a mutant (make mutants), first the tests that caught another mutant of the same function, then
    the quickest: mutmut stops at the first test that fails."""
    for item in items:
        if "quick_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.run)
    function = _mutated_function()
    if function and MUTMUT_STATS.exists():
        seconds = json.loads(MUTMUT_STATS.read_text())["duration_by_test"]
        lines = CAUGHT.read_text().splitlines() if CAUGHT.exists() else []
        caught = {line.split("\t")[1] for line in lines if line.startswith(function + "\t")}
        items.sort(key=lambda item: (item.nodeid not in caught, seconds.get(item.nodeid, float("inf"))))


def pytest_runtest_logreport(report):
    """Against a mutant, remember the test that caught it, for the function's next mutants."""
    function = _mutated_function()
    if function and report.failed and MUTMUT_STATS.exists():
        with CAUGHT.open("a") as record:                # one short line: the appends of two processes never mix
            record.write(f"{function}\t{report.nodeid}\n")


def shared(tmp_path_factory, name: str, make):
    """make(folder), once per test session however many pytest-xdist processes ask: the first one
    computes it (`folder` is a new folder of the session's for it to work in), the others wait."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):          # each worker's folder sits in the session's
        root = root.parent
    path = root / f"{name}.pickle"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)                # released when the file closes
        if path.exists():
            return pickle.loads(path.read_bytes())
        shutil.rmtree(root / name, ignore_errors=True)    # what an attempt that failed left behind
        (root / name).mkdir()
        value = make(root / name)
        partial = root / f"{name}.pickle.partial"
        partial.write_bytes(pickle.dumps(value))
        partial.replace(path)                           # whole or absent, even if this process is killed
        return value


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> dict:
    """The default course trained in the quick configuration, default seed."""
    return shared(tmp_path_factory, "quick_run", lambda _: run_pipeline(quick_course(), quick=True, log=lambda _: None))


@pytest.fixture(scope="session")
def quick_build(tmp_path_factory, quick_run) -> Build:
    """quick_run rendered: the page, both documents and metrics.json."""
    return make_build(tmp_path_factory.mktemp("build") / "build", quick_course(), quick_run)


@pytest.fixture(scope="session")
def other_seed_build(tmp_path_factory, quick_run) -> Build:
    """The same course and settings from a different seed, to prove numbers come from the run."""
    course = quick_course(seed=quick_run["config"]["seed"] + 1)
    run = shared(tmp_path_factory, "other_seed_run", lambda _: run_pipeline(course, quick=True, log=lambda _: None))
    return make_build(tmp_path_factory.mktemp("build-seed") / "build", course, run)


TINY_QUICK = """
[quick.model]
n_layer = 1
n_embd = 32
[quick.pretrain]
steps = 6
eval_every = 3
sample_tokens = 5
[quick.sft]
steps = 3
[quick.reward]
steps = 2
folds = 2
[quick.rl]
steps = 1
eval_every = 1
prompts_per_step = 2
samples_per_prompt = 2
"""


def tiny_course_dir(target: Path, source: Path = CONTENT) -> Path:
    """A copy of a course whose --quick settings train a smaller model for a handful of steps (seconds, not
    minutes)."""
    shutil.copytree(source, target)
    course_toml = target / "course.toml"
    text = course_toml.read_text(encoding="utf-8")
    course_toml.write_text(text[:text.index("[quick.")] + TINY_QUICK, encoding="utf-8")
    return target


def _build_food_safety(folder: Path) -> tuple[Path, Path]:
    course = tiny_course_dir(folder / "course", PROJECT / "examples" / "food-safety")
    said = subprocess.run([sys.executable, "-m", "generator", "build", "--quick", "--content", str(course),
                           "--out", str(folder / "build")], capture_output=True, text=True, cwd=PROJECT)
    assert said.returncode == 0, said.stdout + said.stderr
    return course, folder / "build"


@pytest.fixture(scope="session")
def food_safety_build(tmp_path_factory) -> tuple[Path, Build]:
    """The example course of another domain (examples/food-safety), built by `python -m generator build
    --quick` with the tiny settings: its course folder and its build."""
    course, out = shared(tmp_path_factory, "food_safety", _build_food_safety)
    return course, Build(out, json.loads((out / "metrics.json").read_text()))


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; each test opens a new document in it (tests/browser/pages.py)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
