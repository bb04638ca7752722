"""The built page in real headless Chromium: offline, charts, controls, presentation, print, accessibility."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from generator.charts import CHARTS
from generator.content import load_course
from generator.render import PAGE, SECTIONS

from ..conftest import CONTENT
from .pages import AXE, Loaded, open_page

pytestmark = pytest.mark.browser


@pytest.fixture
def desktop(browser, quick_build):
    """The page at 1440x900, a new document: nothing one test does reaches the next."""
    loaded = open_page(browser, quick_build, 1440, 900)
    yield loaded
    loaded.close()


@pytest.fixture
def mobile(browser, quick_build):
    loaded = open_page(browser, quick_build, 390, 844)
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def shots(quick_build) -> Path:
    folder = quick_build.out.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


DRAWN = """Array.from(document.querySelectorAll('main .chart[data-chart]')).map(d => [
    d.dataset.chart, d.querySelectorAll('.main-svg').length, d.querySelectorAll('g.trace').length])"""
FAR_BELOW = """Array.from(document.querySelectorAll('main .chart[data-chart]'))
    .filter(d => d.getBoundingClientRect().top > 2 * innerHeight)
    .map(d => [d.dataset.chart, d.classList.contains('drawn')])"""


def wait_until(loaded: Loaded, expression: str, timeout_ms: int = 20_000) -> None:
    """Poll a page expression (the page's CSP forbids the eval that wait_for_function would need)."""
    for _ in range(timeout_ms // 100):
        if loaded.js(expression):
            return
        loaded.page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def test_charts_are_drawn_as_they_come_near_the_screen(desktop):
    """Plotly is ready after the first paint, but a chart is drawn only when it nears the screen:
    scrolling down the page draws every one, offline and without errors."""
    assert desktop.js("document.documentElement.dataset.charts") == "ready"
    far = desktop.js(FAR_BELOW)
    assert far and not any(drawn for _, drawn in far), far
    for y in range(0, desktop.js("document.body.scrollHeight"), 800):           # a screen (900 px) at a time
        desktop.js(f"window.scrollTo({{top: {y}, behavior: 'instant'}})")
        desktop.page.wait_for_timeout(60)
    wait_until(desktop, "document.querySelectorAll('main .chart.drawn').length === "
                        "document.querySelectorAll('main .chart[data-chart]').length")
    drawn = desktop.js(DRAWN)
    assert [name for name, _, _ in drawn] == list(CHARTS)
    assert all(svgs > 0 and traces > 0 for _, svgs, traces in drawn), drawn
    pushed = desktop.js("""Array.from(document.querySelectorAll('main .chart.drawn')).filter(d =>
        ['l', 't', 'b'].some(side => d._fullLayout._size[side] !== d.layout.margin[side])).map(d => d.dataset.chart)""")
    assert pushed == [], "Plotly moved a margin to fit a label or legend, so it drew these charts twice"
    # Plotly's warm-up chart (drawn out of sight once it is unpacked) is gone: the page's charts are its only plots
    assert desktop.js("document.querySelectorAll('.js-plotly-plot').length") == len(CHARTS)
    assert desktop.js("document.querySelector('body > div[aria-hidden]')") is None
    assert desktop.requests == []
    assert desktop.errors == []
    desktop.js("window.scrollTo({top: 0, behavior: 'instant'})")


def test_a_jump_draws_the_charts_it_lands_on_first(browser, quick_build):
    loaded = open_page(browser, quick_build, 1440, 900)
    try:
        last = list(CHARTS)[-1]
        loaded.js(f"location.hash = '#figure-{last}'")
        wait_until(loaded, f"document.getElementById('chart-{last}').classList.contains('drawn')")
        assert 0 <= section_top(loaded, f"figure-{last}") <= 120, "the jump lands on the chart"
        assert loaded.errors == [] and loaded.requests == []
    finally:
        loaded.close()


# Holds Plotly back until the test calls window.__releasePlotly(): the page unpacks it through a
# DecompressionStream, and this one passes nothing on before then.
HOLD_PLOTLY = """(() => {
  const Real = window.DecompressionStream;
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  window.__releasePlotly = () => release();
  window.DecompressionStream = class {
    constructor(format) {
      const gate = new TransformStream({ start: () => released });
      this.writable = gate.writable;
      this.readable = gate.readable.pipeThrough(new Real(format));
    }
  };
})();"""
UNPACKING = "html[data-charts=loading]"


def test_a_chart_shows_its_static_drawing_until_plotly_has_drawn_it(browser, quick_build):
    """A jump lands on a chart before Plotly is ready: its box shows the build-time drawing at once (one
    copy, filling the box), and Plotly's drawing replaces it."""
    loaded = open_page(browser, quick_build, 1440, 900, init_script=HOLD_PLOTLY, ready=UNPACKING)
    try:
        last = list(CHARTS)[-1]
        loaded.js(f"location.hash = '#figure-{last}'")
        wait_until(loaded, f"document.getElementById('chart-{last}').classList.contains('preview')")
        box, drawing, placeholder = loaded.js(f"""() => {{ const c = document.getElementById('chart-{last}');
            const r = (e) => {{ const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; }};
            const copies = c.querySelectorAll('.chart-static');
            const shown = copies.length === 1 && getComputedStyle(copies[0]).display !== 'none';
            return [r(c), shown ? r(copies[0]) : copies.length, getComputedStyle(c, '::before').content]; }}""")
        assert drawing == box, "one copy of the drawing, filling the chart's box"
        assert placeholder == "none", "no 'Drawing the chart…' note under the drawing"
        assert 0 <= section_top(loaded, f"figure-{last}") <= 120
        assert not loaded.js("!!window.Plotly")
        assert loaded.js("document.querySelectorAll('main .chart.drawn').length") == 0
        before = list(CHARTS)[-2]                      # a second jump, to its neighbour, before Plotly is ready
        loaded.js(f"location.hash = '#figure-{before}'")
        wait_until(loaded, f"document.getElementById('chart-{before}').classList.contains('preview')")
        copies = loaded.js("Array.from(document.querySelectorAll('main .chart.preview'), "
                           "(c) => c.querySelectorAll('.chart-static').length)")
        assert copies and set(copies) == {1}, "one copy of the drawing in each box, however often it is landed on"
        loaded.js("window.__releasePlotly()")
        wait_until(loaded, f"document.getElementById('chart-{last}').classList.contains('drawn')")
        assert loaded.js(f"""() => {{ const c = document.getElementById('chart-{last}');
            return [c.classList.contains('preview'), c.querySelectorAll('.chart-static').length,
                    c.querySelectorAll('.main-svg').length > 0]; }}""") == [False, 0, True]
        assert loaded.errors == [] and loaded.requests == []
    finally:
        loaded.close()


def test_on_a_phone_the_preview_is_the_narrow_drawing_at_its_own_size(browser, quick_build):
    """The 720-wide drawing would shrink to half size in a phone's box (6 px text): the narrow one is used."""
    loaded = open_page(browser, quick_build, 390, 844, init_script=HOLD_PLOTLY, ready=UNPACKING)
    try:
        first = list(CHARTS)[0]
        loaded.js(f"location.hash = '#figure-{first}'")
        wait_until(loaded, f"document.getElementById('chart-{first}').classList.contains('preview')")
        view_box, shown_width = loaded.js(f"""() => {{
            const s = document.querySelector('#chart-{first} > .chart-static');
            return [s.getAttribute('viewBox'), s.getBoundingClientRect().width]; }}""")
        width = float(view_box.split()[2])
        assert width < 720 and 0.85 <= shown_width / width <= 1.15, (view_box, shown_width)
    finally:
        loaded.close()


def test_a_slide_shows_its_chart_as_a_drawing_until_plotly_is_ready(browser, quick_build):
    """A lesson opened at once, on a chart slide: the drawing fills the slide's chart until Plotly has drawn it."""
    loaded = open_page(browser, quick_build, 1280, 720, init_script=HOLD_PLOTLY, ready=UNPACKING)
    try:
        loaded.js("window.pageDeck.enter(180, 'pretraining-loss')")
        chart = ".slide.is-current .chart"
        loaded.page.wait_for_selector(f"{chart}.preview > .chart-static", timeout=10_000)
        box, drawing = loaded.js(f"""() => {{ const c = document.querySelector('{chart}');
            const r = (e) => {{ const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; }};
            return [r(c), r(c.querySelector('.chart-static'))]; }}""")
        assert drawing == box and box[2] > 600 and box[3] > 200
        loaded.js("window.__releasePlotly()")
        loaded.page.wait_for_selector(f"{chart}.drawn", state="attached", timeout=30_000)
        assert loaded.js(f"document.querySelectorAll('{chart} .chart-static, .chart.preview').length") == 0
        assert loaded.errors == [] and loaded.requests == []
    finally:
        loaded.close()


def test_if_plotly_fails_the_previews_give_way_to_the_static_drawings(browser, quick_build):
    """Plotly failing after a preview went up: no copy stays in the box; the drawing beside it shows, with the note."""
    fail = HOLD_PLOTLY.replace("start: () => released", "start: () => released.then(() => { throw new Error('x'); })")
    loaded = open_page(browser, quick_build, 1440, 900, init_script=fail, ready=UNPACKING)
    try:
        last = list(CHARTS)[-1]
        loaded.js(f"location.hash = '#figure-{last}'")
        wait_until(loaded, f"document.getElementById('chart-{last}').classList.contains('preview')")
        loaded.js("window.__releasePlotly()")
        wait_until(loaded, "document.documentElement.dataset.charts === 'failed'")
        wait_until(loaded, "document.querySelectorAll('main .chart.preview, main .chart .chart-static').length === 0")
        shown = loaded.js(f"""Array.from(document.querySelectorAll('#figure-{last} .chart-static'))
            .filter((s) => getComputedStyle(s).display !== 'none').length""")
        assert shown == 1
        assert "Charts need a newer browser" in loaded.js(
            f"getComputedStyle(document.getElementById('chart-{last}'), '::before').content")
    finally:
        loaded.close()


def test_hidden_parts_are_built_when_they_are_needed(browser, quick_build):
    """Data tables, closed answers, the other tabs' samples, pair details and the slides wait as
    markup until opened or shown; code listings and token chips are built when they near the screen."""
    loaded = open_page(browser, quick_build, 1440, 900)
    page = loaded.page
    try:
        table = "#figure-pretrain-loss details.data-toggle table"
        assert page.locator(table).count() == 0
        assert page.locator("#deck .slide-inner").count() == 0
        assert page.locator("#pairs-table .pair-detail td").count() == 0
        assert page.locator(".chips .tok").count() == 0               # far below the first screen
        page.locator("#figure-pretrain-loss details.data-toggle > summary").click()
        assert page.locator(table).first.is_visible()
        page.locator("#pretraining .chips").scroll_into_view_if_needed()
        wait_until(loaded, "document.querySelectorAll('.chips .tok').length > 0")
        tab = page.locator("#pretraining [role=tab]").nth(1)
        tab.click()
        assert page.locator("#" + tab.get_attribute("aria-controls") + " li").count() > 0
        loaded.js("window.pageDeck.enter(180)")
        assert page.locator(".slide.is-current .slide-inner").count() == 1
        loaded.js("window.pageDeck.leave()")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")   # printing builds the rest
        assert page.locator("main .later").count() == 0
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert loaded.errors == []
    finally:
        loaded.close()


def test_no_sideways_scroll_and_screenshots(desktop, mobile, shots):
    for loaded, name in ((desktop, "1440x900"), (mobile, "390x844")):
        width = loaded.js("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], name
        clipped = loaded.js("Array.from(document.querySelectorAll('.formula')).filter("
                            "f => f.scrollWidth > f.clientWidth + 1).map(f => f.closest('section').id)")
        assert clipped == [], f"{name}: a formula is wider than its box"
        loaded.page.screenshot(path=str(shots / f"page-{name}.png"))
    assert mobile.js("document.querySelector('#pairs-table').scrollWidth <= "
                     "document.querySelector('.pairs-box').clientWidth + 1"), "on a phone the pairs are cards"
    mobile.page.screenshot(path=str(shots / "page-390-full.png"), full_page=True)
    assert mobile.requests == [] and mobile.errors == []


def test_code_toggle_and_copy(desktop):
    page = desktop.page
    block = page.locator(".code:has(.code-toggle)").first
    block.scroll_into_view_if_needed()                  # listings are built as they come near the screen
    toggle = block.locator(".code-toggle")
    height = lambda: block.locator(".code-body pre").bounding_box()["height"]  # noqa: E731
    folded = height()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert height() > folded * 1.3
    toggle.click()
    assert height() == folded
    copy = block.locator(".code-copy")
    copy.click()
    for _ in range(20):
        if copy.text_content() != "Copy":
            break
        page.wait_for_timeout(50)
    assert copy.text_content() in ("Copied", "Select and copy")


def test_questions_reveal_on_click(desktop):
    qa = desktop.page.locator("#pretraining details.qa").first
    assert qa.locator(".qa-a").is_hidden()
    qa.locator("summary").click()
    assert qa.locator(".qa-a").is_visible()
    qa.locator("summary").click()


def test_sample_tabs_by_click_and_arrow_keys(desktop):
    page = desktop.page
    tabs = page.locator("#pretraining [role=tab]")
    assert tabs.count() >= 2
    tabs.nth(1).click()
    assert page.locator("#" + tabs.nth(1).get_attribute("aria-controls")).is_visible()
    assert page.locator("#" + tabs.nth(0).get_attribute("aria-controls")).is_hidden()
    page.keyboard.press("ArrowLeft")
    assert tabs.nth(0).get_attribute("aria-selected") == "true"


def test_chart_data_tables_open(desktop):
    toggle = desktop.page.locator("#figure-pretrain-loss details.data-toggle")
    assert toggle.locator("table").first.is_hidden()
    toggle.locator("summary").click()
    assert toggle.locator("table").first.is_visible()
    toggle.locator("summary").click()


def test_pairs_table_sorts_filters_and_expands(desktop, quick_build):
    page = desktop.page
    pairs = quick_build.run["reward"]["pairs"]
    ids_in_table = "Array.from(document.querySelectorAll('#pairs-table tbody.pair:not([hidden])'))" \
                   ".map(b => b.dataset.pair)"
    page.locator("button.sort[data-sort=margin]").click()
    assert desktop.js(ids_in_table) == [p["id"] for p in sorted(pairs, key=lambda p: p["margin"])]
    assert page.locator("th:has(button.sort[data-sort=margin])").get_attribute("aria-sort") == "ascending"
    page.locator("button.sort[data-sort=margin]").click()
    assert desktop.js(ids_in_table) == [p["id"] for p in sorted(pairs, key=lambda p: -p["margin"])]
    page.locator("button.sort[data-sort=index]").click()
    assert desktop.js(ids_in_table) == [p["id"] for p in pairs]

    # the menu lists the categories in the order the pairs first use them, after "All categories"
    first_seen = []
    for p in pairs:
        if p["category"] not in first_seen:
            first_seen.append(p["category"])
    assert desktop.js("Array.from(document.querySelectorAll('#pair-category option')).map(o => o.value)") == \
        ["", *first_seen]
    assert page.locator("#pair-count").text_content() == f"Showing all {len(pairs)} pairs"
    category = pairs[-1]["category"]
    page.select_option("#pair-category", category)
    in_category = [p["id"] for p in pairs if p["category"] == category]
    assert desktop.js(ids_in_table) == in_category
    assert page.locator("#pair-count").text_content() == f"Showing {len(in_category)} of {len(pairs)} pairs"
    page.select_option("#pair-category", "")
    page.fill("#pair-search", pairs[3]["id"])
    assert desktop.js(ids_in_table) == [pairs[3]["id"]]
    page.fill("#pair-search", "")
    page.check("#pair-wrong")
    assert desktop.js(ids_in_table) == [p["id"] for p in pairs if not p["heldout_correct"]]
    page.uncheck("#pair-wrong")
    assert len(desktop.js(ids_in_table)) == len(pairs)
    assert page.locator("#pair-empty").is_hidden()
    page.fill("#pair-search", "no pair has this text")
    assert desktop.js(ids_in_table) == [] and page.locator("#pair-empty").is_visible()
    page.locator("#pair-clear").click()                                   # one click back to every pair
    assert len(desktop.js(ids_in_table)) == len(pairs) and page.locator("#pair-empty").is_hidden()

    row = page.locator("#pairs-table tbody.pair").first
    assert row.locator(".pair-detail").is_hidden()
    row.locator(".pair-expand").click()
    assert row.locator(".pair-detail").is_visible()
    assert row.locator(".pair-detail code").text_content() == pairs[0]["id"]
    assert row.locator(".pair-expand").get_attribute("aria-expanded") == "true"
    row.locator(".pair-expand").click()


# Runs before the page's own scripts: watches <html>'s class and counts animation frames.
WATCH_FIRST_SCREEN = """
window.__firstScreen = {added: null, removed: null, frame: 0};
const watch = window.__firstScreen;
const marked = () => !!document.documentElement && document.documentElement.classList.contains('first-screen');
new MutationObserver(() => {                  // <html> may not exist yet: watch the whole document
  if (marked() && watch.added === null) watch.added = watch.frame;
  if (!marked() && watch.added !== null && watch.removed === null) watch.removed = watch.frame;
}).observe(document, {attributes: true, attributeFilter: ['class'], subtree: true});
(function tick() {
  requestAnimationFrame(() => { watch.frame += 1; if (watch.frame < 600) tick(); });
})();
"""


def test_the_first_screen_paints_alone_then_everything_renders(browser, quick_build):
    """first_screen.js keeps the sections below the first screen unrendered until a frame has been
    drawn, then renders them a section a frame: the class goes on before the first frame and comes off
    once every section is rendered, a frame or more later."""
    loaded = open_page(browser, quick_build, 1440, 900, init_script=WATCH_FIRST_SCREEN,
                       ready="html:not(.first-screen)")
    try:
        watched = loaded.js("window.__firstScreen")
        assert watched["added"] == 0, "first_screen.js did not mark the first screen before the first frame"
        assert watched["removed"] is not None and watched["removed"] >= 1, watched
        assert not loaded.js("document.documentElement.classList.contains('first-screen')")
        visibility = loaded.js("Array.from(document.querySelectorAll('main > .section')).map("
                               "s => getComputedStyle(s).contentVisibility)")
        assert set(visibility) == {"visible"}
        assert loaded.js("document.querySelectorAll('main > .section:not(.hero):not(.rendered)').length") == 0
        # while marked, every section but the first screen's is skipped by the renderer until it is rendered
        marked = loaded.js("""(() => {
            const root = document.documentElement, sections = document.querySelectorAll('main > .section');
            root.classList.add('first-screen');
            sections.forEach(s => s.classList.remove('rendered'));
            const seen = Array.from(sections).map(s => [s.classList.contains('hero'),
                                                         getComputedStyle(s).contentVisibility]);
            sections.forEach(s => s.classList.add('rendered'));
            root.classList.remove('first-screen');
            return seen; })()""")
        assert {v for hero, v in marked if not hero} == {"hidden"} and {v for hero, v in marked if hero} <= {"visible"}
        assert loaded.errors == []
    finally:
        loaded.close()


def section_top(loaded: Loaded, anchor: str, seconds: float = 6.0) -> float:
    """Where the section sits once scrolling has stopped: a busy machine may start the scroll late and
    animate it slowly, so this waits (up to `seconds`) for the section near the top, held for two readings."""
    tops = []
    for _ in range(int(seconds / 0.15)):
        loaded.page.wait_for_timeout(150)
        tops.append(loaded.js(f"document.getElementById('{anchor}').getBoundingClientRect().top"))
        if len(tops) >= 2 and tops[-1] == tops[-2] and 0 <= tops[-1] <= 120:
            break
    return tops[-1]


@pytest.mark.parametrize("anchor", ["reward", "handout"])
def test_a_link_into_the_page_lands_on_its_section(browser, quick_build, anchor):
    loaded = open_page(browser, quick_build, 1440, 900, fragment=f"#{anchor}")
    try:
        assert loaded.js("scrollY") > 0, "the page should open at the section, not at the top"
        assert 0 <= section_top(loaded, anchor) <= 120, "the section should sit just below the top bar"
    finally:
        loaded.close()


def test_a_link_into_the_page_lands_even_on_a_slow_computer(browser, quick_build):
    """With the CPU slowed, frames come while the page is still being parsed: the landing waits for it."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 6})
        page.goto((quick_build.out / PAGE).resolve().as_uri() + "#handout")
        assert 0 <= section_top(Loaded(page, page.url), "handout", seconds=30) <= 120   # CPU 6x slower, and busy
    finally:
        context.close()


def test_a_landing_holds_while_the_sections_above_it_render(browser, quick_build):
    """A phone at CPU 4x, a link followed the moment the page is parsed: the sections above the target
    render after it has landed, a few screens each, and every frame shows the target where it landed,
    below the top bar (the browser's own scroll anchoring alone lost it by up to 20,000 px)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto((quick_build.out / PAGE).resolve().as_uri(), wait_until="domcontentloaded")
        # a ResizeObserver made after the page's own sees each frame's layout after the page has re-aimed
        page.evaluate("""() => {
            const target = document.getElementById('rl'), sections = document.querySelectorAll('main > .section');
            window.__tops = [];
            window.__waiting = () => document.querySelectorAll('main > .section:not(.hero):not(.rendered)').length;
            const record = new ResizeObserver(() =>
                window.__tops.push([target.getBoundingClientRect().top, __waiting()]));
            for (const section of sections) record.observe(section);
            const link = document.createElement('a');
            link.href = '#rl';
            document.querySelector('main').append(link);
            link.click(); }""")
        for _ in range(300):
            if page.evaluate("__waiting()") == 0:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(1000)
        tops = page.evaluate("window.__tops")
        above = page.evaluate("""Array.from(document.querySelectorAll('main > .section')).filter(s =>
            s.compareDocumentPosition(document.getElementById('rl')) & Node.DOCUMENT_POSITION_FOLLOWING).length""")
        assert max(waiting for _, waiting in tops) >= above - 1, "the sections above render after the landing"
        assert all(0 <= top <= 120 for top, _ in tops), [round(top) for top, _ in tops]
        assert 0 <= page.evaluate("document.getElementById('rl').getBoundingClientRect().top") <= 120
    finally:
        context.close()


def slow_desktop(browser, quick_build, fragment: str = ""):
    """The page at 1440x900, CPU 4x slower, from the moment it is parsed (sections still rendering)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto((quick_build.out / PAGE).resolve().as_uri() + fragment, wait_until="domcontentloaded")
    return context, page


def test_back_to_the_top_lets_go_of_a_landing(browser, quick_build):
    """A section link followed while the page still renders, then Back: the page returns to the top, and
    the landing it left does not pull it back down as the sections go on rendering."""
    context, page = slow_desktop(browser, quick_build)
    try:
        page.wait_for_load_state("load")         # (Chromium restores a scroll on Back once the page has loaded)
        page.evaluate("document.querySelector('.section-nav a[data-nav=rl]').click()")
        page.wait_for_timeout(300)
        page.go_back()
        scrolls = []
        for _ in range(20):
            page.wait_for_timeout(100)
            scrolls.append(page.evaluate("scrollY"))
        assert page.evaluate("location.hash") == "" and scrolls[-10:] == [0] * 10, scrolls
    finally:
        context.close()


def test_a_focus_moved_elsewhere_lets_go_of_a_landing(browser, quick_build):
    """What a screen reader does: after a landing, the focus moves to another section while the page still
    renders. The page follows the focus there and stays, and does not snap back to the landing."""
    context, page = slow_desktop(browser, quick_build, "#rl")
    try:
        page.wait_for_selector("#why-three.rendered", state="attached")
        page.evaluate("() => { const h = document.querySelector('#why-three h2'); h.tabIndex = -1; h.focus(); }")
        tops = []
        for _ in range(20):
            page.wait_for_timeout(100)
            tops.append(page.evaluate("document.querySelector('#why-three h2').getBoundingClientRect().top"))
        assert all(0 <= top < 900 for top in tops[5:]), tops
    finally:
        context.close()


def test_a_scroll_by_something_else_lets_go_of_a_landing(browser, quick_build):
    """Find in page or a script scrolls the page soon after a landing, with sections still rendering: the
    page stays where it was scrolled to, and is not pulled back to the landing."""
    context, page = slow_desktop(browser, quick_build, "#rl")
    try:
        page.wait_for_timeout(700)
        page.evaluate("window.scrollBy({top: 2500, behavior: 'instant'})")
        tops = []
        for _ in range(20):
            page.wait_for_timeout(100)
            tops.append(page.evaluate("document.getElementById('rl').getBoundingClientRect().top"))
        assert all(top < -2000 for top in tops), tops
    finally:
        context.close()


def test_the_skip_link_lands_while_the_page_renders(browser, quick_build):
    context, page = slow_desktop(browser, quick_build, "#main")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.wait_for_timeout(1500)
        assert errors == [] and page.evaluate("scrollY") < 200
    finally:
        context.close()


@pytest.mark.parametrize("key", ["Home", "End"])
def test_home_and_end_reach_the_ends_while_the_page_renders(browser, quick_build, key):
    context, page = slow_desktop(browser, quick_build, "#rl")
    try:
        assert 0 <= section_top(Loaded(page, page.url), "rl", seconds=30) <= 120     # landed
        page.keyboard.press(key)
        page.wait_for_timeout(2000)
        end = 0 if key == "Home" else page.evaluate("document.documentElement.scrollHeight - innerHeight")
        assert abs(page.evaluate("scrollY") - end) <= 2
    finally:
        context.close()


def test_focusing_the_top_bar_does_not_move_the_page(desktop):
    """The bar sticks at the top: a keyboard user tabbing through it leaves the page where it is."""
    desktop.js("document.getElementById('rl').scrollIntoView({behavior: 'instant'})")
    before = desktop.js("scrollY")
    for control in ("a[data-nav=reward]", "#present-button", ".brand"):
        desktop.js(f"document.querySelector('.topbar {control}').focus()")
        desktop.page.wait_for_timeout(100)
        assert desktop.js("scrollY") == before, control


def test_the_section_links_land_on_their_sections(desktop):
    for anchor in ("reward", "handout", "pretraining"):
        # a reader scrolls the nav to the link, then clicks it with the pointer, where it is (a Playwright
        # click would first scroll the link "into view", and scrolling a link of the sticky bar may also
        # scroll the page under it); the last one is followed from the keyboard, as a keyboard user does
        x, y, hit = desktop.js("""(id) => { const nav = document.querySelector('.section-nav'), a = nav.querySelector(
            `a[data-nav=${id}]`); nav.scrollLeft += a.getBoundingClientRect().left - nav.getBoundingClientRect().left
            - (nav.clientWidth - a.offsetWidth) / 2; const b = a.getBoundingClientRect(), x = b.left + b.width / 2,
            y = b.top + b.height / 2; return [x, y, a.contains(document.elementFromPoint(x, y))]; }""", anchor)
        assert hit, f"the {anchor} link is under the pointer"
        if anchor == "pretraining":
            desktop.js("(id) => document.querySelector(`.section-nav a[data-nav=${id}]`).focus()", anchor)
            desktop.page.keyboard.press("Enter")
        else:
            desktop.page.mouse.click(x, y)
        top = section_top(desktop, anchor)
        assert 0 <= top <= 120, (anchor, top, desktop.js("[location.hash, scrollY, document.activeElement.id]"),
                                 desktop.errors)
        desktop.page.wait_for_selector(f".section-nav a[data-nav={anchor}][aria-current]", state="attached")


def test_sticky_nav_marks_the_section_in_view(desktop):
    page = desktop.page
    page.evaluate("document.getElementById('reward').scrollIntoView({behavior: 'instant'})")
    page.wait_for_selector(".section-nav a[aria-current=true][data-nav=reward]", timeout=5_000)
    assert page.locator(".section-nav a[aria-current=true]").count() == 1
    assert page.locator(".topbar").bounding_box()["y"] == 0


def pdf_pages(pdf: bytes, folder: Path, name: str) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext)."""
    path = folder / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout
    return text.split("\f")[:-1]                       # one form feed after each page


def words(text: str) -> str:
    return " ".join(text.split())


def test_print_is_light_expanded_and_charts_fit_the_paper(desktop):
    page = desktop.page
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert desktop.js("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.set_viewport_size({"width": 1100, "height": 900})     # wide enough for charts side by side
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")     # builds what waited to be built
    assert page.locator(".code-body.is-folded pre").first.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    assert page.locator("#pretraining details.qa .qa-a").first.is_visible()
    too_wide = desktop.js("Array.from(document.querySelectorAll('main .chart-static')).filter(c => "
                          "c.getBoundingClientRect().width > c.closest('figure').getBoundingClientRect().width + 1)"
                          ".map(c => c.closest('figure').id)")
    assert too_wide == [], "a printed chart spills over its neighbour"


def test_a_printed_copy_ends_with_the_handout_on_a_page_of_its_own(desktop, shots):
    """Printing fires beforeprint and afterprint itself, as a browser's print dialog does."""
    handout = load_course(CONTENT).teaching["handout"]
    desktop.page.emulate_media(media="print")
    pages = pdf_pages(desktop.page.pdf(format="A4", print_background=True), shots, "printed-A4.pdf")
    assert len(pages) > 5
    last, before = words(pages[-1]), words(pages[-2])
    assert handout["title"] in last and handout["key_insight"][:60] in last, "the last page is not the handout"
    assert handout["title"] not in before, "the handout starts on a page shared with the section before it"
    assert not desktop.js("document.documentElement.classList.contains('print-handout')")


def test_the_handout_button_prints_the_handout_alone_on_one_page(browser, quick_build, shots):
    handout = load_course(CONTENT).teaching["handout"]
    # window.print() opens no dialog here: it records what would be printed, and the PDF below is the print
    loaded = open_page(browser, quick_build, 1440, 900, init_script="""
        window.__printed = [];
        window.print = () => window.__printed.push(document.documentElement.className);""")
    try:
        page = loaded.page
        for paper in ("A4", "Letter"):                               # the printer's paper size wins
            page.emulate_media(media="screen")
            page.locator("#print-handout-2").click()
            assert "print-handout" in loaded.js("window.__printed")[-1].split()
            page.emulate_media(media="print")
            pages = pdf_pages(page.pdf(format=paper, print_background=True), shots, f"handout-{paper}.pdf")
            assert len(pages) == 1, paper
            assert handout["title"] in words(pages[0]) and handout["key_insight"][:60] in words(pages[0])
            # the print is over (afterprint): the next print is the whole page again
            assert not loaded.js("document.documentElement.classList.contains('print-handout')")
        assert len(loaded.js("window.__printed")) == 2
    finally:
        loaded.close()


def test_the_pipeline_moves_a_few_cycles_on_screen_and_pauses(desktop):
    page = desktop.page
    flow = "getComputedStyle(document.querySelector('.pipe-flow'))"
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_selector("#pipeline:not(.is-playing)", state="attached", timeout=5_000)
    page.evaluate("document.getElementById('pipeline').scrollIntoView({behavior: 'instant'})")
    page.wait_for_selector("#pipeline.is-playing", timeout=5_000)
    assert desktop.js(flow + ".animationPlayState") == "running"
    assert desktop.js(flow + ".animationIterationCount") != "infinite"          # it stops after a few cycles
    page.locator("#pipe-motion").click()
    assert desktop.js(flow + ".animationPlayState") == "paused"
    assert page.locator("#pipe-motion").get_attribute("aria-pressed") == "true"
    page.locator("#pipe-motion").click()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")                # off screen: still
    page.wait_for_selector("#pipeline:not(.is-playing)", timeout=5_000)
    assert desktop.js(flow + ".animationPlayState") == "paused"
    page.evaluate("window.scrollTo(0, 0)")


def test_reduced_motion_stops_the_animation(desktop):
    page = desktop.page
    flow = "getComputedStyle(document.querySelector('.pipe-flow')).animationName"
    assert desktop.js(flow) != "none"
    page.emulate_media(reduced_motion="reduce")
    assert desktop.js(flow) == "none"


def test_keyboard_reaches_the_controls(desktop):
    page = desktop.page
    first = desktop.js("Array.from(document.querySelectorAll('a[href], button, input, select, summary, "
                       "[tabindex]')).find(e => e.tabIndex >= 0).className")
    assert first == "skip-link"
    page.locator(".skip-link").focus()
    assert page.locator(".skip-link").bounding_box()["y"] >= 0     # it shows itself when focused
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert desktop.js("document.activeElement.dataset.nav") == SECTIONS[0][0]
    page.keyboard.press("Enter")      # follow the first section link
    assert desktop.js("document.activeElement.id") == SECTIONS[0][0]
    page.keyboard.press("Tab")        # the next Tab starts from the section it landed on
    assert desktop.js("document.activeElement.closest('main > .section').id") == SECTIONS[0][0]
    assert not desktop.js(f"document.getElementById('{SECTIONS[0][0]}').hasAttribute('tabindex')")
    unreachable = desktop.js("""Array.from(document.querySelectorAll(
        'a[href], button, input, select, summary, [tabindex]')).filter(e => e.tabIndex < 0
        && e.getAttribute('role') !== 'tab' && e.id !== 'main' && e.id !== 'deck'
        && !e.closest('[role=toolbar]') && !e.disabled)     // a toolbar's buttons: one tab stop, arrows between
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unreachable == []


@pytest.mark.parametrize("which", ["desktop", "mobile"])
def test_axe_finds_no_serious_problems(which, request):
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `cd tests/node && npm ci`")
    loaded = request.getfixturevalue(which)
    loaded.page.evaluate(AXE.read_text(encoding="utf-8"))
    result = loaded.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert found == []


def test_nothing_one_test_does_reaches_the_next_page_opened(browser, quick_build):
    """open_page reuses a tab between tests (tests/browser/pages.py): what a test changed there is gone."""
    first = open_page(browser, quick_build, 1440, 900)
    assert first.tab is not None, "the page did not open in the kept tab"
    first.page.evaluate("window.__left = 1; document.getElementById('handout').scrollIntoView()")
    first.page.emulate_media(media="print", reduced_motion="reduce")
    first.js("console.error('from the first page')")
    first.close()
    again = open_page(browser, quick_build, 390, 844)
    try:
        assert again.tab is first.tab
        assert again.js("[window.__left, scrollY, innerWidth, matchMedia('print').matches, "
                        "matchMedia('(prefers-reduced-motion: reduce)').matches]") == [None, 0, 390, False, False]
        assert again.errors == [] and again.requests == [] and again.dialogs == []
    finally:
        again.close()
