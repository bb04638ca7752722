"""Opening the built page as a new document: its own viewport, scroll, focus and state.

Every request the page makes is recorded and refused (it must make none); console errors, page
errors and dialogs (alert, confirm, prompt) are recorded, so an injected script that runs is seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.render import PAGE

AXE = Path(__file__).parent.parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
READY = "html[data-charts=ready], html[data-charts=failed]"


@dataclass
class Loaded:
    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    tab: Tab | None = None              # the kept tab it was opened in, if any

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def close(self) -> None:
        if self.tab is None:
            self.page.context.close()
        else:
            self.tab.release()


@dataclass
class Tab:
    """A browser tab kept open between tests. Each test still gets a new document (the tab goes to
    about:blank first) and the tab's settings reset, but its renderer process stays: that process has
    compiled Plotly once already, which saves a second of CPU per test. A test that opens a CDP session
    on it detaches the session when done (what a session emulates outlives the document)."""
    context: object
    page: object
    current: Loaded | None = None

    def reset(self, width: int, height: int) -> None:
        for other in self.context.pages:                # windows the last test opened (speaker notes)
            if other != self.page:
                other.close()
        self.page.goto("about:blank")
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.emulate_media(media="null", reduced_motion="null", color_scheme="null")

    def release(self) -> None:
        self.current = None
        if not self.page.is_closed():
            self.page.goto("about:blank")               # stops the page's timers and frees its memory


_tabs: dict[tuple[int, str | None], Tab] = {}


def watch(context, page, loaded: Callable[[], Loaded]) -> None:
    """Record and refuse every request but the page's own; record console errors, page errors and dialogs."""
    def route(r):
        if loaded() and r.request.url == loaded().url:
            r.continue_()
        else:
            if loaded():
                loaded().requests.append(r.request.url)
            r.abort()

    def dialog(d):
        if loaded():
            loaded().dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    def error(text: str) -> None:
        if loaded():
            loaded().errors.append(text)

    context.route("**/*", route)
    page.on("console", lambda m: error(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: error(str(e)))
    page.on("dialog", dialog)


def kept_tab(browser, init_script: str | None) -> Tab | None:
    """The tab kept for pages opened with this init script (one per script: a script cannot be removed),
    or None while a page is open in it (a test with two pages at once)."""
    key = (id(browser), init_script)
    tab = _tabs.get(key)
    if tab is None or tab.page.is_closed():
        context = browser.new_context()
        page = context.new_page()
        tab = _tabs[key] = Tab(context, page)
        watch(context, page, lambda: tab.current)
        if init_script:
            page.add_init_script(init_script)
    return None if tab.current else tab


def open_page(browser, build, width: int, height: int, fragment: str = "", init_script: str | None = None,
              url: str | None = None, ready: str = READY) -> Loaded:
    """The page of `build` (anything with .out) as a new document, once `ready` matches (by default: its
    charts are ready, or have failed); `init_script` runs before the page's own. The document opens in a
    kept tab if one is free, else in a browser context of its own."""
    url = url or (build.out / PAGE).resolve().as_uri()
    tab = kept_tab(browser, init_script)
    if tab:
        tab.reset(width, height)
        loaded = tab.current = Loaded(tab.page, url, tab=tab)
    else:
        context = browser.new_context(viewport={"width": width, "height": height})
        loaded = Loaded(context.new_page(), url)
        watch(context, loaded.page, lambda: loaded)
        if init_script:
            loaded.page.add_init_script(init_script)
    loaded.page.goto(url + fragment)
    loaded.page.wait_for_selector(ready, state="attached", timeout=30_000)
    return loaded
