"""The preview server: serves the page, rebuilds on an edit, tells the browser, stops on Ctrl-C."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from generator import cache
from generator.content import load_course
from generator.render import PAGE

from .conftest import CONTENT
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


def test_serve_rebuilds_on_edit_and_stops_cleanly(tmp_path, quick_build):
    content = tmp_path / "course"
    shutil.copytree(CONTENT, content)
    out = tmp_path / "build"
    # seed the run cache with the session's quick run, so the preview renders without training
    cache.save(tmp_path / ".cache", cache.run_key(load_course(content), quick=True), quick_build.run)
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--quick", "--content", str(content), "--out", str(out),
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = wait_for(lambda: next((x for x in iter(server.stdout.readline, "") if "serving http" in x), None))
        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:")
        page = fetch(url)
        assert 'fetch("/__version")' in page
        # the preview keeps the file's CSP, widened only for its reload script to run and ask this server
        served, built = csp(page), csp((out / PAGE).read_text(encoding="utf-8"))
        reload_script = next(text for attrs, text in parse(page).scripts if "/__version" in text)
        assert served.pop("script-src") == built.pop("script-src") | {sha256_source(reload_script)}
        assert served.pop("connect-src") == {"'self'"} and built.pop("connect-src") == {"'none'"}
        assert served == built and served["img-src"] == {"data:"}
        version = fetch(url + "__version")

        teaching = content / "teaching.toml"
        teaching.write_text(teaching.read_text().replace("LLM training in 60 seconds", "Training in a minute"))
        wait_for(lambda: fetch(url + "__version") != version)
        assert json.loads((out / "metrics.json").read_text()) == quick_build.run
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert "stopped" in output and "Traceback" not in output
