"""A local preview: serve build/ on 127.0.0.1, rebuild on edits, and reload the browser.

The served page keeps the built file's Content-Security-Policy, widened only so that a tiny
added script may ask /__version (on this server) every second; the built file is untouched.
The watcher outlives every failed build: it reports the error and rebuilds on the next save.
"""

from __future__ import annotations

import argparse
import errno
import functools
import html
import re
import sys
import threading
import traceback
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .assets import csp_hash
from .build import build
from .content import load_course
from .errors import UserError, explain
from .render import PAGE, TEMPLATES

POLL_SECONDS = 0.5
RELOAD_JS = """
(function () {
  var seen = null;
  setInterval(function () {
    fetch("/__version").then(function (r) { return r.text(); }).then(function (v) {
      if (seen === null) { seen = v; } else if (v !== seen) { location.reload(); }
    }).catch(function () {});
  }, 1000);
})();
"""
_CSP = re.compile(r'(<meta[^>]+http-equiv="Content-Security-Policy"[^>]+content=")([^"]*)(")', re.IGNORECASE)


def served_page(page: str) -> str:
    """The built page with the reload script, under the same CSP plus what that script needs."""
    def widen(attribute: str) -> str:
        policy = html.unescape(attribute).replace("script-src ", f"script-src {csp_hash(RELOAD_JS)} ", 1)
        return html.escape(policy.replace("connect-src 'none'", "connect-src 'self'", 1))

    page = _CSP.sub(lambda m: m.group(1) + widen(m.group(2)) + m.group(3), page, count=1)
    head, body_end, tail = page.rpartition("</body>")
    return f"{head}<script>{RELOAD_JS}</script>{body_end}{tail}"


def snapshot(folders: list[Path], skip: Path) -> dict[str, float]:
    """Modification times of the files under `folders`, leaving out hidden ones and the build in `skip`."""
    times = {}
    for folder in folders:
        for path in folder.rglob("*"):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if hidden or path.is_relative_to(skip):
                continue
            try:
                if path.is_file():
                    times[str(path)] = path.stat().st_mtime
            except OSError:             # gone while we looked (an editor saving): the next look sees it
                continue
    return times


class Preview:
    """Holds the build version and rebuilds when watched files change."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = Path(args.out)
        self.watched = [Path(args.content), TEMPLATES]
        self.version = 0
        self.lock = threading.Lock()

    def rebuild(self) -> int:
        """Build once; 0, or the exit code of the error, which is reported and leaves the last good build."""
        try:
            course = load_course(self.args.content)
            if self.args.seed is not None:
                course = course.with_seed(self.args.seed)
            build(course, self.out, quick=self.args.quick, use_cache=not self.args.no_cache,
                  allow_long=self.args.allow_long)
        except Exception as err:
            if self.args.debug:
                traceback.print_exc()
            code, lines = explain(err, self.args.content)
            print("\n".join(lines), flush=True)
            if (self.out / PAGE).exists():
                print("still serving the last good build; save a fix to rebuild", flush=True)
            return code
        with self.lock:
            self.version += 1
        return 0

    def watch(self, stop: threading.Event) -> None:
        """Rebuild after each change, until `stop`; no error ends the watching."""
        before = snapshot(self.watched, self.out.resolve())
        while not stop.wait(POLL_SECONDS):
            try:
                now = snapshot(self.watched, self.out.resolve())
                if now != before:
                    before = now
                    print("change detected: rebuilding", flush=True)
                    self.rebuild()
            except Exception as err:
                print(explain(err, self.args.content)[1][0], flush=True)


class Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def log_message(self, format: str, *args) -> None:  # keep the terminal for build messages
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/__version":
            self._send(str(self.preview.version).encode(), "text/plain")
        elif path in ("/", f"/{PAGE}"):
            try:
                page = (self.preview.out / PAGE).read_text(encoding="utf-8")
            except OSError:
                self.send_error(404, "No build yet: see the terminal")
                return
            self._send(served_page(page).encode(), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A browser that drops a connection (a reload) is not worth a traceback; anything else is."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def listen(port: int, handler) -> Server:
    """The server on 127.0.0.1:`port`, or a UserError saying why not (checked before any build)."""
    try:
        return Server(("127.0.0.1", port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} on 127.0.0.1 is already in use (another preview?); stop it, or choose "
                            f'another port: make serve ARGS="--port {port + 1}"') from None
        raise UserError(f"cannot listen on 127.0.0.1:{port} ({err.strerror}); choose another port with --port") \
            from None


def serve(args: argparse.Namespace) -> int:
    preview = Preview(args)
    handler = type("BoundHandler", (Handler,), {"preview": preview})
    with listen(args.port, functools.partial(handler, directory=str(preview.out))) as server:
        code = preview.rebuild()
        if code and not (preview.out / PAGE).exists():
            return code
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
    return 0
