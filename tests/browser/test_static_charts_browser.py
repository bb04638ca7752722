"""The charts' static drawings in real headless Chromium: a PDF made at once has every chart drawn,
and a browser that cannot run Plotly shows the drawings instead."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from generator.charts import CHARTS, figures
from generator.render import PAGE

from ..conftest import CHROMIUM
from ..conftest import CHROMIUM_ARGS as ARGS

pytestmark = pytest.mark.browser


def pdf_text(pdf: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        pytest.fail("pdftotext is missing: run `make test` (it installs Debian's poppler-utils)")
    return subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def titles(run: dict) -> Counter:
    """How many charts have each x-axis title."""
    return Counter(spec["layout"]["xaxis"]["title"]["text"] for spec in figures(run).values())


@pytest.fixture(scope="module")
def undrawn(browser, quick_build, tmp_path_factory) -> Counter:
    """How often each x-axis title is printed with every chart's drawing taken out (the prose may name one)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto((quick_build.out / PAGE).resolve().as_uri(), wait_until="domcontentloaded")
    page.evaluate("document.querySelectorAll('.chart-static').forEach(svg => svg.remove())")
    out = tmp_path_factory.mktemp("pdf") / "undrawn.pdf"
    out.write_bytes(page.pdf(format="A4"))
    context.close()
    text = pdf_text(out)
    return Counter({title: text.count(title) for title in titles(quick_build.run)})


def assert_every_chart_drawn(text: str, run: dict, undrawn: Counter) -> None:
    """Each chart's drawing prints its x-axis title: the text holds each title once more per chart than
    the same page with the drawings taken out."""
    assert "Drawing the chart" not in text
    for title, charts in titles(run).items():
        assert text.count(title) >= undrawn[title] + charts, f"{title!r}: {text.count(title)} printed"


def test_chromium_print_to_pdf_draws_every_chart(quick_build, tmp_path, undrawn):
    """The command from issue 13: the PDF is made as soon as the page has loaded, before Plotly could draw."""
    out = tmp_path / "page.pdf"
    subprocess.run([CHROMIUM, "--headless", *ARGS, f"--print-to-pdf={out}",
                    (quick_build.out / PAGE).resolve().as_uri()], capture_output=True, timeout=120, check=True)
    assert_every_chart_drawn(pdf_text(out), quick_build.run, undrawn)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_printing_at_once_draws_every_chart(browser, quick_build, tmp_path, paper, undrawn):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto((quick_build.out / PAGE).resolve().as_uri(), wait_until="domcontentloaded")
        page.emulate_media(media="print")
        boxes = page.evaluate("""Array.from(document.querySelectorAll('main .chart-figure')).map(f => [
            f.querySelector('.chart').dataset.chart, f.querySelector('.chart').checkVisibility(),
            f.querySelector('.chart-static').getBoundingClientRect().height])""")
        assert [name for name, _, _ in boxes] == list(CHARTS)
        assert all(not plotly and height > 100 for _, plotly, height in boxes), boxes
        out = tmp_path / f"page-{paper}.pdf"
        out.write_bytes(page.pdf(format=paper))
        assert_every_chart_drawn(pdf_text(out), quick_build.run, undrawn)
    finally:
        context.close()


def test_a_browser_without_decompression_shows_the_static_drawings(browser, quick_build):
    """An old browser (here: DecompressionStream removed) gets the drawings, a note, and working slides."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script("delete window.DecompressionStream")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((quick_build.out / PAGE).resolve().as_uri())
        page.wait_for_selector("html[data-charts=failed]", state="attached", timeout=10_000)
        figure = page.locator("#figure-pretrain-loss")
        figure.scroll_into_view_if_needed()
        assert figure.locator(".chart-static").is_visible()
        note = page.evaluate("getComputedStyle(document.querySelector('#chart-pretrain-loss'), '::before').content")
        assert "Charts need a newer browser" in note
        assert page.locator("main .chart.drawn").count() == 0
        page.evaluate("window.pageDeck.enter(180, 'pretraining-loss')")
        page.wait_for_selector(".slide.is-current .chart .chart-static", timeout=5_000)
        assert page.locator(".slide.is-current .chart .chart-static").is_visible()
        assert errors == []
    finally:
        context.close()
