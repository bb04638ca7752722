"""The build: validate, train (or reuse the cached run), render, and swap build/ in atomically."""

from __future__ import annotations

import time
from pathlib import Path

from . import cache
from .content import Course
from .pipeline import run_pipeline
from .progress import Progress
from .render import render_outputs, write_atomically
from .stages import STAGES


def train(course: Course, quick: bool, timings: dict | None = None) -> dict:
    """Run every stage with a progress display; return the Run."""
    s = course.quick_settings if quick else course.settings
    progress = Progress({f"Stage {number}": getattr(s, name).steps for number, name in enumerate(STAGES, start=1)})
    try:
        return run_pipeline(course, quick=quick, log=progress, timings=timings)
    finally:
        progress.close()


def build(course: Course, out: Path, quick: bool = False, use_cache: bool = True,
          cache_dir: Path | None = None, timings: dict | None = None) -> dict:
    """Write every output file for `course` into `out`; return the Run used."""
    timings = {} if timings is None else timings
    cache_dir = cache_dir or out.parent / ".cache"
    key = cache.run_key(course, quick)
    run = cache.load(cache_dir, key) if use_cache else None
    if run is None:
        run = train(course, quick, timings)
        cache.save(cache_dir, key, run)
    else:
        print(f"training unchanged: reusing the cached run ({cache_dir / f'run-{key}.json'}); "
              "use --no-cache to train again")
    started = time.perf_counter()
    files = render_outputs(course, run)
    write_atomically(out, files)
    timings["render"] = time.perf_counter() - started
    print(f"rendered and wrote {len(files)} files in {timings['render']:.2f} s:")
    for name in sorted(files):
        print(f"  {out / name}  ({len(files[name].encode()):,} bytes)")
    return run
