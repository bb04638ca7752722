"""What the one-file page inlines: Plotly (gzip + base64, unpacked in the browser), JSON data, CSP hashes.

Plotly's basic partial bundle (generator/vendor, 1.2 MB; the full plotly.min.js is
4.8 MB) is gzip-compressed to about 0.4 MB and base64-encoded; the browser's
DecompressionStream unpacks it after the text has painted. The Content-Security-Policy
allows exactly the inline scripts and styles the page ships, by hash; the unpacked
Plotly is allowed by its own hash (as an inline script, or as a script from a blob: URL
whose `integrity` carries that hash).

The unpacked text starts with V8's explicit compile hint, `//# allFunctionsCalledOnLoad`
(Chrome 136+; a plain comment elsewhere): Plotly calls most of its functions while it
starts, and with the hint V8 compiles them on a background thread while the script
streams in, instead of one by one on the main thread as each is first called.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"   # must be the script's first line


@dataclass(frozen=True)
class Bundle:
    version: str
    payload: str        # base64 of the gzip-compressed file
    sha256: str         # CSP source expression for the unpacked script text, 'sha256-...'
    style_ids: tuple[str, ...]   # <style> ids Plotly fills on load unless they already exist

    @property
    def integrity(self) -> str:
        """The same hash as a script's integrity attribute (sha256-...), for loading it from a blob: URL."""
        return self.sha256.strip("'")


def plotly_path() -> Path:
    return VENDOR / "plotly-basic.min.js"


@functools.cache
def plotly_bundle() -> Bundle:
    """The Plotly bundle, gzip-compressed (mtime 0, so the bytes never change) and base64-encoded."""
    raw = COMPILE_HINT + plotly_path().read_bytes()
    found = re.search(rb"plotly\.js[^\n]*? v(\d+\.\d+\.\d+)", raw[:300])
    version = found.group(1).decode("ascii") if found else "unknown"
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    # Bundled map libraries inject their CSS on load, which the CSP would block (a console
    # error). An empty <style> with the same id, placed in the page, makes them skip it.
    style_ids = tuple(dict.fromkeys(re.findall(
        rb'getElementById\("([0-9a-f]{64})"\)\)\{var \w=document\.createElement\("style"\)', raw)))
    return Bundle(version, base64.b64encode(packed).decode("ascii"), csp_hash(raw),
                  tuple(i.decode("ascii") for i in style_ids))


def csp_hash(text: str | bytes) -> str:
    """The CSP source expression that allows exactly this inline script or style."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii") + "'"


def json_script(value, sort_keys: bool = False) -> str:
    """JSON safe to place inside <script type="application/json">: no '<', '>', '&' can break out.
    sort_keys: for run data, whose key order may differ once metrics.json has been read back."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=sort_keys)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def inline_code(text: str, tag: str) -> str:
    """Our own inline CSS/JS, checked so it cannot end its element early."""
    if f"</{tag}" in text.lower():
        raise ValueError(f"inline {tag} contains '</{tag}'")
    return text


def content_security_policy(scripts: list[str], styles: list[str]) -> str:
    """No network at all: nothing may load, connect or submit; only the hashed inline code runs.

    Plotly sets SVG style attributes while drawing, which CSP counts as inline styles,
    so style attributes are allowed ('unsafe-inline' for style-src-attr only).
    """
    return "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(scripts),
        "style-src-elem " + " ".join(styles),
        "style-src-attr 'unsafe-inline'",
        "img-src data:",
        "font-src 'none'",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])
