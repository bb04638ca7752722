"""The page in Firefox ESR (when it is installed: `apt-get install firefox-esr`): the charts draw, in the page
and in the slides. Driven through Marionette, Firefox's own remote protocol (tests/browser/marionette.py)."""

from __future__ import annotations

import shutil
import time

import pytest

from generator.charts import CHARTS
from generator.render import PAGE

from .marionette import Firefox

pytestmark = pytest.mark.browser
FIREFOX = shutil.which("firefox-esr")


def until(ff: Firefox, script: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ff.js(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s: {script}")
        time.sleep(0.1)


@pytest.mark.skipif(not FIREFOX, reason="Firefox ESR is not installed (apt-get install firefox-esr)")
def test_firefox_draws_the_charts(quick_build):
    ff = Firefox(FIREFOX)
    try:
        ff.cmd("WebDriver:Navigate", {"url": (quick_build.out / PAGE).resolve().as_uri()})
        until(ff, "return document.documentElement.dataset.charts === 'ready'")
        for name in CHARTS:           # each chart draws when it comes near the screen
            ff.js(f"document.getElementById('figure-{name}').scrollIntoView({{behavior: 'instant'}})")
            until(ff, f"return document.querySelectorAll('#chart-{name} g.trace').length > 0")
        ff.js("window.pageDeck.enter(180, 'pretraining-loss')")
        until(ff, "return document.querySelectorAll('.slide.is-current .chart g.trace').length > 0")
        scripts = ff.js("return Array.from(document.head.querySelectorAll('script[src]')).map(s => s.integrity)")
        assert scripts and all(s.startswith("sha256-") for s in scripts), "Plotly ran from its hashed blob: URL"
    finally:
        ff.quit()
