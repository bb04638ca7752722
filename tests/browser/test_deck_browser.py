"""The classroom deck in real headless Chromium, on a 1080p and a 720p projector: sizes, fit, navigation, notes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator import deck
from generator import format as fmt
from generator.render import PAGE

from .pages import AXE, Loaded, open_page

pytestmark = pytest.mark.browser

VNU = Path(__file__).parent.parent / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
MAX_SLIDES = 30         # the full class
MAX_WORDS = 40          # a slide's own words (the examples it shows, its chart, code and formula aside)
BODY_PX, CHART_PX = 28, 18   # smallest text at 1920x1080

SLIDE_FACTS = """() => {
  const slide = document.querySelector('.slide.is-current');
  const box = slide.getBoundingClientRect();
  const outside = Array.from(slide.querySelectorAll('*')).filter(e => e.checkVisibility() && !e.closest('.slide-notes'))
    .filter(e => { const r = e.getBoundingClientRect();
      return r.width && (r.bottom > box.bottom + 1 || r.right > box.right + 1
        || r.top < box.top - 1 || r.left < box.left - 1); })
    .map(e => e.tagName + '.' + (e.getAttribute('class') || ''));
  const scrolls = Array.from(slide.querySelectorAll('*')).concat([slide]).filter(e => e.checkVisibility()
    && !e.closest('.chart') && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
    && getComputedStyle(e).overflow !== 'visible').map(e => e.tagName + '.' + (e.getAttribute('class') || ''));
  // a formula wider than its box spills past its border (its overflow is visible)
  const spills = Array.from(slide.querySelectorAll('.slide-formula')).filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => e.tagName + '.' + (e.getAttribute('class') || ''));
  let text = 999;
  const walk = document.createTreeWalker(slide.querySelector('.slide-inner'), NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!walk.currentNode.textContent.trim() || !el.checkVisibility() || el.closest('.chart')) continue;
    text = Math.min(text, parseFloat(getComputedStyle(el).fontSize));
  }
  const charts = Array.from(slide.querySelectorAll('.chart')).map(c => {
    const svg = c.querySelector('.main-svg');
    const r = svg ? svg.getBoundingClientRect() : null;
    const fonts = Array.from(c.querySelectorAll('text')).filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize));
    return {drawn: !!svg, whole: !!r && r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.left >= box.left - 1
            && r.right <= box.right + 1, height: r ? r.height : 0, smallest: fonts.length ? Math.min(...fonts) : 999};
  });
  const own = slide.querySelector('.slide-inner').cloneNode(true);
  own.querySelectorAll('.exhibit, .chart, .slide-code, math, details > :not(summary)').forEach(e => e.remove());
  const words = own.textContent.split(/\\s+/).filter(w => /\\w/.test(w)).length;
  return {id: slide.dataset.slide, outside, scrolls, spills, text, charts, words,
          width: slide.querySelector('.slide-inner').getBoundingClientRect().width / innerWidth};
}"""


def present(loaded: Loaded, fragment: str = "#present") -> None:
    loaded.page.evaluate(f"location.hash = '{fragment}'")
    loaded.page.wait_for_selector("html.presenting .slide.is-current", timeout=5_000)


def shown(loaded: Loaded) -> list[str]:
    return loaded.js("window.pageDeck.shown().map(s => s.dataset.slide)")


def current(loaded: Loaded) -> str:
    return loaded.js("document.querySelector('.slide.is-current').dataset.slide")


def settle_charts(loaded: Loaded) -> None:
    loaded.page.wait_for_function("""Array.from(document.querySelectorAll('.slide.is-current .chart'))
        .every(c => c.querySelector('.main-svg'))""", timeout=15_000)
    loaded.page.wait_for_timeout(150)


# Records each request for full screen (headless Chromium may refuse it), before the page's scripts run.
WATCH_FULLSCREEN = """
window.__fullscreenAsked = 0;
const request = Element.prototype.requestFullscreen;
Element.prototype.requestFullscreen = function (...args) {
  window.__fullscreenAsked += 1;
  return request ? request.apply(this, args) : Promise.reject(new Error('no full screen'));
};
"""


@pytest.fixture(params=[(1920, 1080), (1280, 720)], ids=["1080p", "720p"])
def projector(request, browser, quick_build):
    """The full deck on a projector's screen, a new document."""
    width, height = request.param
    loaded = open_page(browser, quick_build, width, height, fragment="#present=180", init_script=WATCH_FULLSCREEN)
    loaded.page.wait_for_selector("html.presenting .slide.is-current", timeout=5_000)
    yield loaded, (width, height)
    loaded.close()


# SLIDE_SHOTS=1 make test: also save a picture of every slide (in the session's screenshots folder)
SLIDE_SHOTS = os.environ.get("SLIDE_SHOTS") == "1"


@pytest.fixture(scope="module")
def shots(quick_build) -> Path:
    folder = quick_build.out.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def test_every_slide_fits_reads_from_the_back_and_uses_the_width(projector, shots):
    loaded, (width, height) = projector
    ids = shown(loaded)
    assert ids == deck.slide_ids() and len(ids) <= MAX_SLIDES
    for i, slide in enumerate(ids):
        loaded.js(f"window.pageDeck.show({i})")
        settle_charts(loaded)
        facts = loaded.js(SLIDE_FACTS)
        assert facts["id"] == slide
        assert facts["outside"] == [] and facts["scrolls"] == [] and facts["spills"] == [], facts
        assert all(c["drawn"] and c["whole"] and c["height"] > 0.35 * height for c in facts["charts"]), facts
        assert facts["words"] <= MAX_WORDS, facts
        assert facts["width"] > 0.85, "a slide's content uses the width of the screen"
        if (width, height) == (1920, 1080):
            assert facts["text"] >= BODY_PX - 0.01, facts
            assert all(c["smallest"] >= CHART_PX for c in facts["charts"]), facts
        if SLIDE_SHOTS:
            loaded.page.screenshot(path=str(shots / f"slide-{width}x{height}-{i + 1:02d}-{slide}.png"))
    assert loaded.errors == [] and loaded.requests == []


def test_slide_numbers_are_the_runs(projector, quick_build):
    loaded, _ = projector
    for i in range(len(shown(loaded))):            # a slide's markup is built when it is first shown
        loaded.js(f"window.pageDeck.show({i})")
    marked = loaded.js("Array.from(document.querySelectorAll('#deck [data-m]')).map(e => [e.dataset.m, e.textContent])")
    assert len(marked) > 20
    for key, text in marked:
        assert text == fmt.metric(quick_build.run["summary"], key), key


def test_clicker_keys_buttons_and_swipes_move_the_slides(projector):
    loaded, _ = projector
    page = loaded.page
    loaded.js("window.pageDeck.show(0)")
    page.locator("#deck").focus()
    ids = shown(loaded)
    for key, expected in (("ArrowRight", 1), ("PageDown", 2), (" ", 3), ("ArrowLeft", 2), ("PageUp", 1),
                          ("Shift+Space", 0), ("End", len(ids) - 1), ("Home", 0)):
        page.keyboard.press(key)
        assert current(loaded) == ids[expected], key
    assert page.locator("#deck-count").text_content() == f"1 / {len(ids)}"
    page.locator("#deck-next").click()
    assert current(loaded) == ids[1]
    page.locator("#deck-prev").click()
    assert current(loaded) == ids[0]

    cdp = page.context.new_cdp_session(page)

    def swipe(x0: int, x1: int) -> None:
        y = 400
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
        for x in range(x0, x1, (x1 - x0) // 6):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    swipe(900, 300)                                        # swipe left: next
    assert current(loaded) == ids[1]
    swipe(300, 900)                                        # swipe right: back
    assert current(loaded) == ids[0]
    cdp.detach()


def test_widget_keys_never_move_the_slides(projector):
    loaded, _ = projector
    page = loaded.page
    ids = shown(loaded)
    at = ids.index("exercises-predict")
    loaded.js(f"window.pageDeck.show({at})")
    summary = page.locator(".slide.is-current .reveal > summary")
    summary.focus()
    page.keyboard.press(" ")                               # Space opens the reveal, and only that
    assert current(loaded) == ids[at]
    assert page.locator(".slide.is-current .reveal").get_attribute("open") is not None
    assert page.locator(".slide.is-current .reveal-answer").is_visible()
    page.locator("#deck-plan").focus()
    page.keyboard.press("ArrowDown")                       # a menu's arrows stay in the menu
    assert current(loaded) == ids[at] or current(loaded) in shown(loaded)
    loaded.js(f"window.pageDeck.enter(180, '{ids[at]}')")
    moved = loaded.js("""() => {                              // a widget that handled the key first wins
        const el = document.querySelector('.slide.is-current .reveal > summary');
        const mine = (e) => e.preventDefault();
        el.addEventListener('keydown', mine);
        el.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true, cancelable: true}));
        el.removeEventListener('keydown', mine);
        return document.querySelector('.slide.is-current').dataset.slide; }""")
    assert moved == ids[at]


def test_lesson_plans_by_hash_and_menu(projector):
    loaded, _ = projector
    for minutes in deck.PLANS:
        loaded.js("window.pageDeck.leave()")
        present(loaded, f"#present={minutes}")
        assert shown(loaded) == [id for id, _, _, _ in deck.plan(minutes)], minutes
        assert len(shown(loaded)) <= MAX_SLIDES
    assert len(deck.plan(60)) < len(deck.plan(90)) < len(deck.plan(180))
    loaded.page.select_option("#deck-plan", "60")
    assert shown(loaded) == [id for id, _, _, _ in deck.plan(60)]
    loaded.page.select_option("#deck-plan", "180")


def test_overview_hide_code_and_leaving(projector):
    loaded, _ = projector
    page = loaded.page
    loaded.js("window.pageDeck.show(0)")
    page.locator("#deck").focus()
    page.keyboard.press("o")
    cards = page.locator("#deck-grid button")
    assert page.locator("#deck-overview").is_visible() and cards.count() == len(shown(loaded))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert page.locator("#deck-overview").is_hidden() and current(loaded) == shown(loaded)[2]
    page.keyboard.press("c")                                # hide the code: its slides leave the deck
    assert not [s for s in shown(loaded) if s.endswith("-code")]
    assert page.locator("main .code-list").first.is_hidden()
    page.keyboard.press("c")
    assert [s for s in shown(loaded) if s.endswith("-code")]
    page.keyboard.press("Escape")
    if loaded.js("document.documentElement.classList.contains('presenting')"):
        page.keyboard.press("Escape")                       # the first Escape may only leave full screen
    assert not loaded.js("document.documentElement.classList.contains('presenting')")
    assert page.locator("#deck").is_hidden() and page.locator("main").is_visible()
    page.keyboard.press("p")
    assert loaded.js("document.documentElement.classList.contains('presenting')")


def test_f_asks_for_full_screen_and_stays_in_the_deck(projector):
    loaded, _ = projector
    page = loaded.page
    at = current(loaded)
    page.locator("#deck").focus()
    page.keyboard.press("f")
    assert loaded.js("window.__fullscreenAsked") == 1
    assert loaded.js("document.documentElement.classList.contains('presenting')") and current(loaded) == at
    if loaded.js("document.fullscreenElement !== null"):                # granted: F again leaves full screen
        page.keyboard.press("f")
        page.wait_for_function("document.fullscreenElement === null", timeout=5_000)
        assert loaded.js("window.__fullscreenAsked") == 1
    assert loaded.errors == []


def test_speaker_notes_window_follows_the_slides(projector, quick_build):
    loaded, _ = projector
    page = loaded.page
    ids = shown(loaded)
    at = ids.index("pretraining-objective")
    loaded.js(f"window.pageDeck.show({at})")
    page.locator("#deck").focus()
    with page.context.expect_page() as popup:
        page.keyboard.press("s")
    notes = popup.value
    notes.wait_for_selector(".notes-title")
    summary = quick_build.run["summary"]
    assert notes.locator(".notes-title").text_content() == deck.slides()[at][1].title
    text = notes.locator("body").text_content()
    assert fmt.metric(summary, "pretrain.uniform_loss") in text                  # the run's numbers
    assert "Ask the class" in text and "Expected answer" in text                # teaching.toml's notes
    assert notes.locator(".notes-next-title").text_content() == deck.slides()[at + 1][1].title
    first = notes.locator(".notes-clock").text_content()
    notes.wait_for_timeout(1200)
    assert notes.locator(".notes-clock").text_content() != first                # the timer runs
    page.keyboard.press("ArrowRight")
    assert notes.locator(".notes-title").text_content() == deck.slides()[at + 1][1].title
    notes.keyboard.press("ArrowRight")                                           # the notes drive the slides too
    assert current(loaded) == ids[at + 2]
    notes.close()
    assert loaded.errors == []


@pytest.mark.parametrize("mode", ["scroll", "present"])
def test_axe_finds_nothing_in_either_mode(browser, quick_build, mode):
    loaded = open_page(browser, quick_build, 1280, 720, fragment="#present=90" if mode == "present" else "")
    try:
        if mode == "present":
            loaded.page.wait_for_selector("html.presenting .slide.is-current", timeout=5_000)
        loaded.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = loaded.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []
    finally:
        loaded.close()


def test_the_page_is_valid_html(quick_build):
    java = shutil.which("java")
    if not java or not VNU.is_file():
        pytest.fail("the Nu HTML validator needs Java and tests/node's vnu-jar: run `make test`")
    out = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", str(quick_build.out / PAGE)],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(out.stderr or out.stdout)["messages"]
    assert [(m.get("lastLine"), m["message"]) for m in messages if m["type"] == "error"] == []


@pytest.mark.parametrize("width", [1280, 1600])
def test_the_top_bar_title_never_covers_a_section_link(browser, quick_build, width):
    loaded = open_page(browser, quick_build, width, 800)
    try:
        brand, first, nav = loaded.js("""[document.querySelector('.brand').getBoundingClientRect().right,
            document.querySelector('.section-nav a').getBoundingClientRect().left,
            document.querySelector('.section-nav').getBoundingClientRect().left]""")
        assert brand <= nav <= first + 0.5
        link = loaded.page.locator(".section-nav a").last
        link.focus()                                     # a focused link scrolls fully into view
        box, bar = link.bounding_box(), loaded.page.locator(".section-nav").bounding_box()
        assert box["x"] >= bar["x"] - 0.5 and box["x"] + box["width"] <= bar["x"] + bar["width"] + 0.5
    finally:
        loaded.close()


def test_notes_beside_the_slide_fit_and_close_again(browser, quick_build):
    """Where the browser blocks the notes window, S shows the notes beside the slide: the slide and its chart
    shrink to the width left to them, and S closes the notes again."""
    loaded = open_page(browser, quick_build, 1280, 720, fragment="#present=180&slide=pretraining-loss",
                       init_script="window.open = () => null;")
    try:
        page = loaded.page
        page.wait_for_selector(".slide.is-current[data-slide=pretraining-loss]", timeout=5_000)
        settle_charts(loaded)
        page.keyboard.press("s")
        assert loaded.js("!document.getElementById('deck-notes').hidden")
        page.wait_for_function("""(() => { const deck = document.querySelector('#deck').getBoundingClientRect();
            const svg = document.querySelector('.slide.is-current .chart .main-svg');
            return svg && svg.getBoundingClientRect().right <= deck.right + 1; })()""", timeout=10_000)
        facts = loaded.js(SLIDE_FACTS)
        assert facts["outside"] == [] and facts["spills"] == [], facts
        page.keyboard.press("s")
        assert loaded.js("document.getElementById('deck-notes').hidden")
        assert loaded.errors == []
    finally:
        loaded.close()
