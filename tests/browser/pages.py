"""Opening the built page in a fresh browser context: its own viewport, storage, scroll and focus.

Every request the page makes is recorded and refused (it must make none); console errors, page
errors and dialogs (alert, confirm, prompt) are recorded, so an injected script that runs is seen.
"""

from __future__ import annotations

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

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def close(self) -> None:
        self.page.context.close()


def open_page(browser, build, width: int, height: int, fragment: str = "", init_script: str | None = None,
              url: str | None = None, ready: str = READY) -> Loaded:
    """The page of `build` (anything with .out) in a new context, once `ready` matches (by default: its charts
    are ready, or have failed); `init_script` runs before the page's own."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    loaded = Loaded(page, url or (build.out / PAGE).resolve().as_uri())

    def route(r):
        if r.request.url == loaded.url:
            r.continue_()
        else:
            loaded.requests.append(r.request.url)
            r.abort()

    def dialog(d):
        loaded.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context.route("**/*", route)
    page.on("console", lambda m: loaded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: loaded.errors.append(str(e)))
    page.on("dialog", dialog)
    if init_script:
        page.add_init_script(init_script)
    page.goto(loaded.url + fragment)
    page.wait_for_selector(ready, state="attached", timeout=30_000)
    return loaded
