"""`make bench`: print build timings, page size and in-browser paint/draw times.

A script that prints figures, not a timed test: this machine is shared and noisy,
so read the numbers as one run's measurements and compare ratios within a run.
The builds are timed as a teacher runs them: `python -m generator build` in a new
process (interpreter start, imports, training, rendering, writing). The browser
figures held to the targets are the median of three first loads, each in a newly
started headless Chromium; a second load in a new tab of the same browser (fonts
and caches warm) is printed for information.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .content import load_course
from .render import PAGE

TARGETS = {  # figure -> (target, unit)
    "cold build": (20.0, "s"),
    "warm rebuild (template-only edit)": (2.0, "s"),
    "HTML size": (2.5, "MB"),
    "first paint": (0.3, "s"),
    "all charts drawn": (1.5, "s"),
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BROWSER_LOADS = 3
_STAGES = re.compile(r"done in [\d.]+ s \((.*)\)")
_RENDER = re.compile(r"rendered and wrote \d+ files in ([\d.]+) s")


def _load(browser, page_path: Path) -> tuple[float, float]:
    """Open the page in a new tab: (first paint, all charts drawn) in seconds after navigation."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(page_path.resolve().as_uri())
    # the page's CSP forbids eval, so wait on an attribute the page sets, not on a JS expression
    page.wait_for_selector("html[data-charts-ready=true]", state="attached", timeout=30_000)
    paint = page.evaluate(
        "performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint').startTime")
    drawn = float(page.get_attribute("html", "data-charts-ready-at"))
    page.close()
    return paint / 1000, drawn / 1000


def browser_times(page_path: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """In a newly started headless Chromium: the page's first load, then a second load in a new tab
    (fonts and caches warm, as in a browser that is already open). Each: (first paint, charts drawn)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        first, again = _load(browser, page_path), _load(browser, page_path)
        browser.close()
    return first, again


def timed_build(content: str, out: Path, extra: list[str]) -> tuple[float, str]:
    """Run the build command in a new process; return (wall seconds, its output)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--content", content,
                             "--out", str(out), *extra], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench", description=__doc__)
    parser.add_argument("--content", default="content")
    parser.add_argument("--quick", action="store_true", help="bench the quick configuration")
    args = parser.parse_args(argv)
    course = load_course(args.content)
    s = course.quick_settings if args.quick else course.settings
    extra = ["--quick"] if args.quick else []
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "build"                       # its run cache goes to tmp/.cache: a cold start
        cold, log = timed_build(args.content, out, extra)
        warm, warm_log = timed_build(args.content, out, extra)   # training cached; templates rendered again
        html_mb = (out / PAGE).stat().st_size / 1e6
        figures = {"cold build": cold, "warm rebuild (template-only edit)": warm, "HTML size": html_mb}
        notes = {}
        try:
            runs = [browser_times(out / PAGE) for _ in range(BROWSER_LOADS)]
            cold, warm_tab = [first for first, _ in runs], [again for _, again in runs]
            for name, values in (("first paint", [a for a, _ in cold]), ("all charts drawn", [b for _, b in cold])):
                figures[name] = statistics.median(values)
                notes[name] = f"median of {', '.join(f'{v:.2f}' for v in values)}; "
            info = [("first paint, browser already open", statistics.median(a for a, _ in warm_tab)),
                    ("charts drawn, browser already open", statistics.median(b for _, b in warm_tab))]
        except Exception as err:  # a bench without a browser still reports the rest
            print(f"(browser timings skipped: {err})")
            info = []
    stages = dict(part.rsplit(" ", 2)[:2] for part in _STAGES.search(log).group(1).split(", "))
    for stage, steps in (("pretrain", s.pretrain.steps), ("sft", s.sft.steps), ("reward", s.reward.steps)):
        seconds = float(stages[stage])
        per_step = f"{1000 * seconds / steps:.0f} ms per step (stage time incl. evals and sampling / {steps})" \
            if stage != "reward" else f"{steps} steps x {s.reward.folds + 1} models (final + folds), side by side"
        rows.append((f"stage: {stage}", f"{seconds:.2f} s", per_step))
    rows.append(("render and write", f"{float(_RENDER.search(log).group(1)):.2f} s", "in the cold build"))
    for name, value in figures.items():
        target, unit = TARGETS[name]
        verdict = "ok" if value <= target else "MISSED"
        rows.append((name, f"{value:.2f} {unit}", f"{notes.get(name, '')}target <= {target} {unit}: {verdict}"))
    rows += [(name, f"{value:.2f} s", "for information: a second load, in a new tab") for name, value in info]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
