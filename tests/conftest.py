"""Shared fixtures: real quick builds of the default course, made once per test session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.content import load_course
from generator.pipeline import run_pipeline
from generator.render import render_outputs, write_atomically

PROJECT = Path(__file__).parent.parent
CONTENT = PROJECT / "content"


@dataclass
class Build:
    out: Path          # the build folder
    run: dict          # metrics.json, parsed

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def make_build(out: Path, content: Path = CONTENT, seed: int | None = None) -> Build:
    course = load_course(content)
    if seed is not None:
        course = course.with_seed(seed)
    run = run_pipeline(course, quick=True, log=lambda _: None)
    write_atomically(out, render_outputs(course, run))
    return Build(out, json.loads((out / "metrics.json").read_text()))


@pytest.fixture(scope="session")
def quick_build(tmp_path_factory) -> Build:
    """The default course, quick configuration, default seed."""
    return make_build(tmp_path_factory.mktemp("build") / "build")


@pytest.fixture(scope="session")
def other_seed_build(tmp_path_factory, quick_build) -> Build:
    """The same course and settings from a different seed, to prove numbers come from the run."""
    return make_build(tmp_path_factory.mktemp("build-seed") / "build",
                      seed=quick_build.run["config"]["seed"] + 1)
