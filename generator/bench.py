"""`make bench`: print build timings, page size and in-browser paint/draw times.

A script that prints figures, not a timed test: this machine is shared and noisy,
so read the numbers as one run's measurements and compare ratios within a run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from .build import build
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


def browser_times(page_path: Path) -> tuple[float, float]:
    """(first paint, all charts drawn) in seconds after navigation, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(page_path.resolve().as_uri())
        # the page's CSP forbids eval, so wait on an attribute the page sets, not on a JS expression
        page.wait_for_selector("html[data-charts-ready=true]", state="attached", timeout=30_000)
        paint = page.evaluate(
            "performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint').startTime")
        drawn = float(page.get_attribute("html", "data-charts-ready-at"))
        browser.close()
    return paint / 1000, drawn / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench", description=__doc__)
    parser.add_argument("--content", default="content")
    parser.add_argument("--quick", action="store_true", help="bench the quick configuration")
    args = parser.parse_args(argv)
    course = load_course(args.content)
    s = course.quick_settings if args.quick else course.settings
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out, cache_dir = Path(tmp) / "build", Path(tmp) / ".cache"
        timings: dict = {}
        started = time.perf_counter()
        build(course, out, quick=args.quick, use_cache=True, cache_dir=cache_dir, timings=timings)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        build(load_course(args.content), out, quick=args.quick, use_cache=True, cache_dir=cache_dir)
        warm = time.perf_counter() - started
        html_mb = (out / PAGE).stat().st_size / 1e6
        figures = {"cold build": cold, "warm rebuild (template-only edit)": warm, "HTML size": html_mb}
        try:
            figures["first paint"], figures["all charts drawn"] = browser_times(out / PAGE)
        except Exception as err:  # a bench without a browser still reports the rest
            print(f"(browser timings skipped: {err})")
    for stage, steps in (("pretrain", s.pretrain.steps), ("sft", s.sft.steps), ("reward", s.reward.steps)):
        seconds = timings.get(stage, float("nan"))
        per_step = f"{1000 * seconds / steps:.0f} ms per step (stage time incl. evals and sampling / {steps})" \
            if stage != "reward" else f"{s.reward.steps} steps x {s.reward.folds + 1} models (final + folds)"
        rows.append((f"stage: {stage}", f"{seconds:.2f} s", per_step))
    rows.append(("render", f"{timings.get('render', float('nan')):.2f} s", ""))
    for name, value in figures.items():
        target, unit = TARGETS[name]
        verdict = "ok" if value <= target else "MISSED"
        rows.append((name, f"{value:.2f} {unit}", f"target <= {target} {unit}: {verdict}"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
