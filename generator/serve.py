"""A local preview: serve build/ on 127.0.0.1, rebuild on edits, and reload the browser.

The served copy of the page drops its Content-Security-Policy and gains a tiny
script that asks /__version every second; the built file itself is untouched.
"""

from __future__ import annotations

import argparse
import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import build
from .content import ContentError, load_course
from .render import PAGE, TEMPLATES
from .training.loop import TrainingDiverged

POLL_SECONDS = 0.5
RELOAD_SCRIPT = """<script>
(function () {
  var seen = null;
  setInterval(function () {
    fetch("/__version").then(function (r) { return r.text(); }).then(function (v) {
      if (seen === null) { seen = v; } else if (v !== seen) { location.reload(); }
    }).catch(function () {});
  }, 1000);
})();
</script>"""
_CSP = re.compile(r'<meta[^>]+http-equiv="Content-Security-Policy"[^>]*>', re.IGNORECASE)


def snapshot(folders: list[Path]) -> dict[str, float]:
    """Modification times of every file under `folders`."""
    return {str(p): p.stat().st_mtime for folder in folders for p in folder.rglob("*") if p.is_file()}


class Preview:
    """Holds the build version and rebuilds when watched files change."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = Path(args.out)
        self.watched = [Path(args.content), TEMPLATES]
        self.version = 0
        self.lock = threading.Lock()

    def rebuild(self) -> bool:
        try:
            course = load_course(self.args.content)
            if self.args.seed is not None:
                course = course.with_seed(self.args.seed)
            build(course, self.out, quick=self.args.quick, use_cache=not self.args.no_cache)
        except ContentError as err:
            print("error: the course has problems (still serving the last good build):")
            for problem in err.problems:
                print(f"  {Path(self.args.content) / problem.file}:{problem.line}: {problem.field}: "
                      f"{problem.message}")
            return False
        except TrainingDiverged as err:
            print(f"error: training stopped: {err} (still serving the last good build)")
            return False
        with self.lock:
            self.version += 1
        return True

    def watch(self, stop: threading.Event) -> None:
        before = snapshot(self.watched)
        while not stop.wait(POLL_SECONDS):
            now = snapshot(self.watched)
            if now != before:
                before = now
                print("change detected: rebuilding")
                self.rebuild()


class Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def log_message(self, format: str, *args) -> None:  # keep the terminal for build messages
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/__version":
            self._send(str(self.preview.version).encode(), "text/plain")
        elif path in ("/", f"/{PAGE}"):
            page = (self.preview.out / PAGE).read_text(encoding="utf-8")
            page = _CSP.sub("", page).replace("</body>", RELOAD_SCRIPT + "</body>")
            self._send(page.encode(), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(args: argparse.Namespace) -> int:
    preview = Preview(args)
    if not preview.rebuild() and not (preview.out / PAGE).exists():
        return 2
    handler = type("BoundHandler", (Handler,), {"preview": preview})
    server = ThreadingHTTPServer(("127.0.0.1", args.port),
                                 functools.partial(handler, directory=str(preview.out)))
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True)
    watcher.start()
    print(f"serving http://127.0.0.1:{server.server_address[1]}/  (rebuilds when "
          f"{args.content}/ or templates/ change; Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        stop.set()
        server.server_close()
    return 0
