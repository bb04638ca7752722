"""`make bench`: print build timings, the page's size by part, and how the page loads in Chromium.

A script that prints figures, not a timed test: this machine is shared and noisy, so read
the numbers as one run's measurements and compare ratios within a run. The builds are timed
as a teacher runs them: `python -m generator build` in a new process (interpreter start,
imports, training, rendering, writing). Each browser figure is the median of three first loads,
each in a newly started headless Chromium with the network blocked, at the machine's own CPU
speed and with the CPU slowed four times (Chrome DevTools' `Emulation.setCPUThrottlingRate`,
its stand-in for a modest laptop). The playground's figures come from one more load: keystrokes
typed into it (input event to the next frame, as the page records them) and 60 generated tokens
per model. `--page FILE` measures a page already built, without building.
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

BUILD_TARGETS = {"cold build": (20.0, "s"), "warm rebuild (template-only edit)": (2.0, "s")}
PAGE_MB = 2.5
RATES = (1, 4)                  # CPU slowdown: the machine as it is, and four times slower
LOADS = 3
# figure -> (unit, {rate: target}); a figure with no target is printed for information.
BROWSER_FIGURES = {
    "first contentful paint": ("s", {1: 0.25, 4: 0.6}),
    "chart shown after a jump": ("s", {1: 0.3, 4: 1.0}),
    "chart drawn after a jump": ("s", {1: 0.3, 4: 1.0}),
    "longest task": ("ms", {1: 200, 4: 400}),
    "DOM nodes at load": ("", {}),
    "JS heap": ("MB", {}),
}
# figure -> (unit, target); at normal CPU, one load
PLAYGROUND_FIGURES = {
    "playground: keystroke to tokens and bars (median)": ("ms", 50.0),
    "playground: keystroke to tokens and bars (slowest)": ("ms", 50.0),
    "playground: 60 tokens generated (slowest model)": ("ms", 1000.0),
    "playground: weights decoded": ("ms", None),
}
PLAYGROUND_TYPED = " is stopped when the kidneys fail"   # typed into the playground one key at a time
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
QUIET_S = 1.0                   # the load has settled when no long task began for this long (x rate)
_STAGES = re.compile(r"done in [\d.]+ s \((.*)\)")
_RENDER = re.compile(r"rendered and wrote \d+ files in ([\d.]+) s")

# Runs before the page's own scripts: records long tasks (the Long Tasks API reports tasks over
# 50 ms), when each chart is first shown (its static drawing as a preview, or drawn) and when Plotly has
# drawn it: at the first frame after its class says so (a requestAnimationFrame callback, then a task,
# which runs once that frame is painted: a user-blocking one, so it runs before any task the page queued
# from the same frame); so the figures do not depend on the page's code.
RECORDER = """
window.__bench = {tasks: [], shown: {}, drawn: {}};
const first = (task) => window.scheduler ? scheduler.postTask(task, {priority: "user-blocking"}) : setTimeout(task, 0);
const afterNextPaint = (record, id) => requestAnimationFrame(() => first(() => {
  if (!(id in record)) record[id] = performance.now();
}));
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.tasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: true});
new MutationObserver((records) => {
  for (const r of records) {
    const el = r.target;
    if (!el.classList || !el.dataset.chart) continue;
    const drawn = el.classList.contains("drawn");
    if (drawn || el.classList.contains("preview")) afterNextPaint(window.__bench.shown, el.id);
    if (drawn) afterNextPaint(window.__bench.drawn, el.id);
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["class"]});
"""
COUNT_NODES = """() => { let n = 0; const walk = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
  while (walk.nextNode()) n += 1; return n; }"""
JUMP = """() => { const charts = document.querySelectorAll("main .chart[data-chart]");
  const chart = charts[charts.length - 1];
  location.hash = "#" + chart.closest("figure").id;
  return [chart.id, performance.now()]; }"""


def page_parts(html: str) -> dict[str, int]:
    """The page's bytes by part: Plotly, model weights, data, static chart drawings, CSS, JS, the rest."""
    parts = dict.fromkeys(("Plotly (gzip + base64)", "model weights", "data (JSON)", "static charts (SVG)",
                           "CSS", "JS", "HTML"), 0)
    size = lambda text: len(text.encode("utf-8"))  # noqa: E731
    rest = html
    for found in re.finditer(r"<(script|style)\b([^>]*)>(.*?)</\1>", html, re.S):
        tag, attrs, body = found.groups()
        kind = re.search(r'\btype="([^"]+)"', attrs)
        ident = re.search(r'\bid="([^"]+)"', attrs)
        name = ident.group(1) if ident else ""
        if tag == "style":
            part = "CSS"
        elif name == "plotly-gz":
            part = "Plotly (gzip + base64)"
        elif "weight" in name or "model" in name:
            part = "model weights"
        elif kind and kind.group(1) not in ("module", "text/javascript"):
            part = "data (JSON)"
        else:
            part = "JS"
        parts[part] += size(body)
        rest = rest.replace(body, "", 1)
    for svg in re.findall(r'<svg class="chart-static.*?</svg>', rest, re.S):
        parts["static charts (SVG)"] += size(svg)
        rest = rest.replace(svg, "", 1)
    parts["HTML"] = size(rest)
    return parts


def _load(page_path: Path, rate: int) -> dict[str, float]:
    """One first load in a newly started Chromium, network blocked, CPU slowed `rate` times; then a jump
    to the page's last chart as soon as the page is parsed and has painted (a reader cannot follow a link
    before the page shows). Not after the load event: a script the page adds while it loads (Plotly)
    delays that event, and the figure would then count less of the wait."""
    from playwright.sync_api import sync_playwright

    url = page_path.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        requests: list[str] = []
        context.route("**/*", lambda r: r.continue_() if r.request.url == url
                      else (requests.append(r.request.url), r.abort()))
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.add_init_script(RECORDER)
        page.goto(url, wait_until="domcontentloaded")
        while not page.evaluate("performance.getEntriesByName('first-contentful-paint').length"):
            page.wait_for_timeout(10)          # (the page's CSP forbids wait_for_function's eval)
        nodes = page.evaluate(COUNT_NODES)
        chart, jumped = page.evaluate(JUMP)
        page.wait_for_selector(f"#{chart}.drawn", state="attached", timeout=60_000)
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < QUIET_S * rate and time.monotonic() - quiet_since < 20:
            page.wait_for_timeout(200)
            count = page.evaluate("window.__bench.tasks.length")
            if count != seen:
                seen, quiet_since = count, time.monotonic()
        recorded = page.evaluate("window.__bench")
        paint = page.evaluate("performance.getEntriesByType('paint')"
                              ".find(e => e.name === 'first-contentful-paint').startTime")
        cdp.send("HeapProfiler.collectGarbage")
        heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
        browser.close()
    if requests:
        raise RuntimeError(f"the page asked the network for {requests[:3]}")
    return {"first contentful paint": paint / 1000,
            "chart shown after a jump": (recorded["shown"][chart] - jumped) / 1000,
            "chart drawn after a jump": (recorded["drawn"][chart] - jumped) / 1000,
            "longest task": max([duration for _, duration in recorded["tasks"]], default=0.0),
            "DOM nodes at load": nodes, "JS heap": heap / 1e6}


def playground_times(page_path: Path) -> dict[str, float]:
    """In a newly started headless Chromium: the playground's weights decoded (ms), each keystroke of
    PLAYGROUND_TYPED from its input event to the next frame with the tokens and bars redrawn (as the page
    records it), and 60 tokens generated by each language model (three times each)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("html[data-charts=ready], html[data-charts=failed]", state="attached", timeout=30_000)
        page.evaluate("document.getElementById('playground').scrollIntoView()")
        page.wait_for_selector("#playground[data-playground=ready]", state="attached", timeout=10_000)
        decode = float(page.get_attribute("#playground", "data-decode-ms"))
        page.wait_for_timeout(500)                       # typing starts once the page is idle
        page.click("#pg-text")
        page.keyboard.press("End")
        page.keyboard.type(PLAYGROUND_TYPED, delay=80)
        page.wait_for_timeout(200)
        keys = page.evaluate("window.playground.timings().painted")
        models = page.eval_on_selector_all("#pg-gen-model option", "options => options.map(o => o.value)")
        generated = [page.evaluate("m => window.playground.generate(m, 'The', 60, {seed: 1})", m)["ms"]
                     for m in models for _ in range(3)]
        browser.close()
    slowest = max(statistics.median(generated[i:i + 3]) for i in range(0, len(generated), 3))
    return {"playground: keystroke to tokens and bars (median)": statistics.median(keys),
            "playground: keystroke to tokens and bars (slowest)": max(keys),
            "playground: 60 tokens generated (slowest model)": slowest, "playground: weights decoded": decode}


def browser_figures(pages: list[Path]) -> list[dict[int, dict[str, list[float]]]]:
    """For each page: rate -> figure -> the values of LOADS fresh loads. Pages take turns, load by load, so
    that a busy spell on the machine falls on all of them alike."""
    out: list[dict[int, dict[str, list[float]]]] = [{} for _ in pages]
    for rate in RATES:
        loads: list[list[dict]] = [[] for _ in pages]
        for _ in range(LOADS):
            for i, page in enumerate(pages):
                loads[i].append(_load(page, rate))
        for i in range(len(pages)):
            out[i][rate] = {name: [load[name] for load in loads[i]] for name in BROWSER_FIGURES}
    return out


def _value(value: float, unit: str) -> str:
    if unit == "ms":
        return "< 50 ms" if value < 50 else f"{value:.0f} ms"
    if unit == "":
        return f"{value:,.0f}"
    return f"{value:.2f} {unit}"


def browser_rows(figures: dict[int, dict[str, list[float]]]) -> list[tuple[str, ...]]:
    rows = []
    for name, (unit, targets) in BROWSER_FIGURES.items():
        cells, verdicts = [], []
        for rate in RATES:
            values = figures[rate][name]
            median = statistics.median(values)
            cells.append(_value(median, unit))
            if rate in targets:
                ok = median <= targets[rate]
                verdicts.append(f"x{rate} <= {_value(targets[rate], unit)}: {'ok' if ok else 'MISSED'}")
        spread = "; ".join(f"x{rate}: " + ", ".join(_value(v, unit) for v in figures[rate][name]) for rate in RATES)
        rows.append((name, *cells, "; ".join(verdicts) or "for information", spread))
    return rows


def timed_build(content: str, out: Path, extra: list[str]) -> tuple[float, str]:
    """Run the build command in a new process; return (wall seconds, its output)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--content", content,
                             "--out", str(out), *extra], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def build_rows(content: str, quick: bool, out: Path) -> list[tuple[str, str, str]]:
    course = load_course(content)
    s = course.quick_settings if quick else course.settings
    extra = ["--quick"] if quick else []
    cold, log = timed_build(content, out, extra)          # its run cache goes to out/../.cache: a cold start
    warm, _ = timed_build(content, out, extra)            # training cached; templates rendered again
    rows = []
    stages = dict(part.rsplit(" ", 2)[:2] for part in _STAGES.search(log).group(1).split(", "))
    for stage, steps in (("pretrain", s.pretrain.steps), ("sft", s.sft.steps), ("reward", s.reward.steps)):
        if stage not in stages:
            continue
        seconds = float(stages[stage])
        per_step = f"{1000 * seconds / steps:.0f} ms per step (stage time incl. evals and sampling / {steps})" \
            if stage != "reward" else f"{steps} steps x {s.reward.folds + 1} models (final + folds), side by side"
        rows.append((f"stage: {stage}", f"{seconds:.2f} s", per_step))
    rows.append(("render and write", f"{float(_RENDER.search(log).group(1)):.2f} s", "in the cold build"))
    for name, value in (("cold build", cold), ("warm rebuild (template-only edit)", warm)):
        target, unit = BUILD_TARGETS[name]
        verdict = "ok" if value <= target else "MISSED"
        rows.append((name, f"{value:.2f} {unit}", f"target <= {target} {unit}: {verdict}"))
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(f"{cell:<{w}}" if i in (0, len(row) - 1) else f"{cell:>{w}}"
                        for i, (cell, w) in enumerate(zip(row, widths))).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", default="content")
    parser.add_argument("--quick", action="store_true", help="bench the quick configuration")
    parser.add_argument("--page", type=Path, action="append",
                        help="measure this built page instead of building (repeat it to compare pages, e.g. "
                             "before and after a change: their loads take turns)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pages = args.page
        if not pages:
            out = Path(tmp) / "build"
            print()
            _table(("figure", "value", "note"), build_rows(args.content, args.quick, out))
            pages = [out / PAGE]
        for page_path in pages:
            html = page_path.read_text(encoding="utf-8")
            total = len(html.encode("utf-8")) / 1e6
            print(f"\npage: {page_path}, {total:.2f} MB (target <= {PAGE_MB} MB: "
                  f"{'ok' if total <= PAGE_MB else 'MISSED'})")
            _table(("part", "bytes"), [(name, f"{size:,}") for name, size in page_parts(html).items()])
        try:
            figures = browser_figures(pages)
        except Exception as err:  # a bench without a browser still reports the rest
            print(f"(browser figures skipped: {err})")
            return 0
    for page_path, page_figures in zip(pages, figures):
        print(f"\n{page_path} in Chromium: median of {LOADS} first loads, each in a new browser, network blocked; "
              "the jump is to the page's last chart, as soon as the page is parsed and has painted")
        _table(("figure", "normal CPU", "CPU x4", "target", "each load"), browser_rows(page_figures))
        if "id=\"playground\"" not in page_path.read_text(encoding="utf-8"):
            continue
        try:
            pg = playground_times(page_path)
        except Exception as err:
            print(f"(playground figures skipped: {err})")
            continue
        rows = []
        for name, (unit, target) in PLAYGROUND_FIGURES.items():
            verdict = "for information" if target is None else \
                f"target <= {target:.0f} {unit}: {'ok' if pg[name] <= target else 'MISSED'}"
            rows.append((name, f"{pg[name]:.0f} {unit}", verdict))
        print()
        _table(("playground, normal CPU, one load", "value", "target"), rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
