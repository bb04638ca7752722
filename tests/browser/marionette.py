"""A small client for Marionette, Firefox's own remote protocol (length-prefixed JSON over TCP): enough to
open a page, run a script in it and take a screenshot, with no driver to download."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

PREFS = """user_pref("marionette.port", {port});
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("app.update.enabled", false);
"""


class Firefox:
    """A headless Firefox with a fresh profile, driven over Marionette."""

    def __init__(self, binary: str = "/usr/bin/firefox-esr", width: int = 1440, height: int = 900):
        with socket.socket() as probe:           # a port nobody else on the machine is using
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="ff-profile-")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            f.write(PREFS.format(port=port))
        env = dict(os.environ, MOZ_HEADLESS="1", MOZ_HEADLESS_WIDTH=str(width), MOZ_HEADLESS_HEIGHT=str(height))
        self.proc = subprocess.Popen([binary, "--marionette", "--headless", "--no-remote", "--profile", self.profile],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.proc.kill()
            raise RuntimeError("Firefox's Marionette did not start")
        self.buf = b""
        self._read()          # the server's hello
        self.id = 0
        self.cmd("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.cmd("WebDriver:SetWindowRect", {"width": width, "height": height})

    def _read(self) -> list | dict:
        while b":" not in self.buf:
            self.buf += self.sock.recv(65536)
        n, rest = self.buf.split(b":", 1)
        n = int(n)
        while len(rest) < n:
            rest += self.sock.recv(65536)
        msg, self.buf = rest[:n], rest[n:]
        return json.loads(msg)

    def cmd(self, name: str, params: dict | None = None):
        """Send one command and return its result (raises on an error reply)."""
        self.id += 1
        data = json.dumps([0, self.id, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self._read()
            if msg[0] == 1 and msg[1] == self.id:
                if msg[2]:
                    raise RuntimeError(f"{name}: {msg[2]}")
                return msg[3]

    def js(self, script: str, args: tuple = ()):
        """Run `script` (a function body: `return ...`) in the page."""
        return self.cmd("WebDriver:ExecuteScript", {"script": script, "args": list(args)}).get("value")

    def screenshot(self, path: str) -> None:
        data = self.cmd("WebDriver:TakeScreenshot", {"full": False})["value"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def quit(self) -> None:
        try:
            self.cmd("Marionette:Quit")
        except (OSError, RuntimeError):
            self.proc.kill()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)
