"""The preview server: serves the page, rebuilds on an edit of the course or the templates and serves the
new text, keeps serving the last good build when a rebuild fails, tells the browser, stops on Ctrl-C."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
import urllib.request
from pathlib import Path

from generator import cache
from generator.content import load_course
from generator.render import PAGE

from .conftest import CONTENT, PROJECT
from .processes import Running
from .test_page import parse


def csp(page: str) -> dict[str, set[str]]:
    """The page's Content-Security-Policy: directive -> its sources."""
    policy = next(a["content"] for t, a in parse(page).tags
                  if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    return {name: set(sources) for name, *sources in (d.split() for d in policy.split(";"))}


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


OLD_TITLE, NEW_TITLE = "LLM training in 60 seconds", "Training in a minute"
# serve with the project's templates swapped for a copy (argv[1]), so a test can edit them
WITH_TEMPLATES = ("import sys; from pathlib import Path; import generator.render as r, generator.serve as s; "
                  "r.TEMPLATES = s.TEMPLATES = Path(sys.argv[1]); from generator.__main__ import main; "
                  "sys.exit(main(sys.argv[2:]))")


def preview(tmp_path: Path, run: dict, templates: Path | None = None) -> tuple[Running, Path]:
    """`serve --quick` of a copy of the course, its run already in the cache (so no training)."""
    content = tmp_path / "course"
    shutil.copytree(CONTENT, content)
    cache.save(tmp_path / ".cache", cache.run_key(load_course(content), quick=True), run)
    args = ("serve", "--quick", "--content", str(content), "--out", str(tmp_path / "build"), "--port", "0")
    if templates is None:
        return Running(*args), content
    return Running(str(templates), *args, python_args=("-c", WITH_TEMPLATES)), content


def serving(server: Running) -> str:
    """The URL, once the first build is served."""
    url = server.wait_for_line(lambda line: "serving http" in line).split()[1]
    assert url.startswith("http://127.0.0.1:")
    return url


def test_serve_rebuilds_on_edit_serves_the_new_text_and_stops_cleanly(tmp_path, quick_build):
    out = tmp_path / "build"
    server, content = preview(tmp_path, quick_build.run)
    with server:
        url = serving(server)
        page = fetch(url)
        assert 'fetch("/__version")' in page and OLD_TITLE in page and NEW_TITLE not in page
        # the preview keeps the file's CSP, widened only for its reload script to run and ask this server
        served, built = csp(page), csp((out / PAGE).read_text(encoding="utf-8"))
        reload_script = next(text for attrs, text in parse(page).scripts if "/__version" in text)
        assert served.pop("script-src") == built.pop("script-src") | {sha256_source(reload_script)}
        assert served.pop("connect-src") == {"'self'"} and built.pop("connect-src") == {"'none'"}
        assert served == built and served["img-src"] == {"data:"}
        version = fetch(url + "__version")

        teaching = content / "teaching.toml"
        teaching.write_text(teaching.read_text().replace(OLD_TITLE, NEW_TITLE))
        wait_for(lambda: fetch(url + "__version") != version)
        page = fetch(url)
        assert NEW_TITLE in page and OLD_TITLE not in page                 # the browser reloads into the edit
        assert json.loads((out / "metrics.json").read_text()) == quick_build.run
        assert server.interrupt() == 0
    said = server.text()
    assert "stopped" in said and "Traceback" not in said


def test_a_failed_rebuild_keeps_serving_the_last_good_build(tmp_path, quick_build):
    server, content = preview(tmp_path, quick_build.run)
    with server:
        url = serving(server)
        good, version = fetch(url), fetch(url + "__version")
        sft = content / "sft.toml"
        text = sft.read_text()
        sft.write_text("[[pair]\n" + text)                                # a typo: invalid TOML
        server.wait_for_line(lambda line: "sft.toml:1: syntax: invalid TOML" in line)
        server.wait_for_line(lambda line: "still serving the last good build; save a fix to rebuild" in line)
        assert fetch(url + "__version") == version and fetch(url) == good   # the browser is not reloaded
        sft.write_text(text)                                                # the fix
        wait_for(lambda: fetch(url + "__version") != version)
        assert fetch(url) == good
        assert server.interrupt() == 0
    assert "Traceback" not in server.text()


def test_a_template_edit_rebuilds_and_serves_the_new_page(tmp_path, quick_build):
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    server, _ = preview(tmp_path, quick_build.run, templates)
    with server:
        url = serving(server)
        version = fetch(url + "__version")
        assert "edited template" not in fetch(url)
        index = templates / "page" / "index.html.j2"
        index.write_text(index.read_text().replace("<title>", "<!-- an edited template --><title>", 1))
        server.wait_for_line(lambda line: "change detected: rebuilding" in line)
        wait_for(lambda: fetch(url + "__version") != version)
        assert "<!-- an edited template --><title>" in fetch(url)
        assert server.interrupt() == 0
