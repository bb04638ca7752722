"""Reuse a training run when nothing that shapes it has changed.

The key covers the training code, the pipeline that records the run, the settings
and every text the model reads;
editing prose, the concept map or templates keeps the key, so rebuilding is fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from .content import Course
from .pipeline import code_version, recorder_version


def run_key(course: Course, quick: bool) -> str:
    settings = course.quick_settings if quick else course.settings
    material = {
        "code": code_version(),
        "recorder": recorder_version(),                    # what a Run records
        "quick": quick,
        "settings": dataclasses.asdict(settings),
        "corpus": [dataclasses.asdict(d) for d in course.corpus],
        "sft": [dataclasses.asdict(p) for p in course.sft_pairs + course.heldout_pairs],
        "heldout_ids": [p.id for p in course.heldout_pairs],
        "preferences": [dataclasses.asdict(p) for p in course.preferences],
        "case": dataclasses.asdict(course.case),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]


def load(folder: Path, key: str) -> dict | None:
    path = folder / f"run-{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save(folder: Path, key: str, run: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".run-{key}.json.tmp"
    tmp.write_text(json.dumps(run), encoding="utf-8")
    tmp.replace(folder / f"run-{key}.json")
