"""Shared fixtures: real quick builds of the default course, made once per test session."""

from __future__ import annotations

import json
import shutil
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


@pytest.fixture(scope="session")
def quick_run() -> dict:
    """The default course trained in the quick configuration, default seed."""
    return run_pipeline(quick_course(), quick=True, log=lambda _: None)


@pytest.fixture(scope="session")
def quick_build(tmp_path_factory, quick_run) -> Build:
    """quick_run rendered: the page, both documents and metrics.json."""
    return make_build(tmp_path_factory.mktemp("build") / "build", quick_course(), quick_run)


@pytest.fixture(scope="session")
def other_seed_build(tmp_path_factory, quick_run) -> Build:
    """The same course and settings from a different seed, to prove numbers come from the run."""
    course = quick_course(seed=quick_run["config"]["seed"] + 1)
    run = run_pipeline(course, quick=True, log=lambda _: None)
    return make_build(tmp_path_factory.mktemp("build-seed") / "build", course, run)


TINY_QUICK = """
[quick.pretrain]
steps = 6
eval_every = 3
sample_tokens = 5
[quick.sft]
steps = 3
[quick.reward]
steps = 2
folds = 2
"""


def tiny_course_dir(target: Path, source: Path = CONTENT) -> Path:
    """A copy of a course whose --quick settings train for a handful of steps (seconds, not minutes)."""
    shutil.copytree(source, target)
    course_toml = target / "course.toml"
    text = course_toml.read_text(encoding="utf-8")
    course_toml.write_text(text[:text.index("[quick.")] + TINY_QUICK, encoding="utf-8")
    return target
