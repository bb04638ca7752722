"""The build: check the output folder, train (or reuse the cached run), render, and swap build/ in atomically."""

from __future__ import annotations

import time
from pathlib import Path

from . import cache, estimate, output
from .content import Course
from .pipeline import run_pipeline
from .progress import Progress
from .render import render_outputs
from .stages import STAGES


def train(course: Course, quick: bool, timings: dict | None = None, allow_long: bool = False) -> dict:
    """Run every stage with a progress display; return the Run.

    Stops before training if the settings would take longer than estimate.LIMIT_SECONDS,
    unless `allow_long`.
    """
    s = course.quick_settings if quick else course.settings
    print(estimate.announce(course, s, quick, allow_long), flush=True)
    progress = Progress({f"Stage {number}": getattr(s, name).steps for number, name in enumerate(STAGES, start=1)})
    try:
        return run_pipeline(course, quick=quick, log=progress, timings=timings)
    finally:
        progress.close()


def build(course: Course, out: Path, quick: bool = False, use_cache: bool = True,
          cache_dir: Path | None = None, timings: dict | None = None, allow_long: bool = False) -> dict:
    """Write every output file for `course` into `out`; return the Run used.

    `out` must be new, empty or an earlier build; it is replaced only once everything is written.
    """
    output.refuse_unsafe(out, course.root)
    timings = {} if timings is None else timings
    cache_dir = cache_dir or out.parent / ".cache"
    key = cache.run_key(course, quick)
    with output.replacing(out) as folder:             # locked; the output is writable
        run = cache.load(cache_dir, key) if use_cache else None
        if run is None:
            run = train(course, quick, timings, allow_long)
            cache.save(cache_dir, key, run)
        else:
            print(f"training unchanged: reusing the cached run ({cache_dir / f'run-{key}.json'}); "
                  "use --no-cache to train again")
        started = time.perf_counter()
        files = render_outputs(course, run)
        output.write_files(folder, files)
    timings["render"] = time.perf_counter() - started
    print(f"rendered and wrote {len(files)} files in {timings['render']:.2f} s:")
    for name in sorted(files):
        print(f"  {out / name}  ({len(files[name].encode()):,} bytes)")
    return run
