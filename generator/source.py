"""Code excerpts located by symbol at build time: real file, real line numbers, highlighted.

A symbol is `module.name` or `module.Class.method` inside generator/training,
e.g. `reward.bradley_terry_loss` or `model.CausalSelfAttention.__call__`.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pygments import highlight
from pygments.filter import Filter
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import Text, Whitespace

PACKAGE_ROOT = Path(__file__).parent
PROJECT_ROOT = PACKAGE_ROOT.parent
TRAINING = PACKAGE_ROOT / "training"
SHORT_LINES = 14          # excerpts longer than this are folded to their opening by default
PYGMENTS_STYLE = "github-dark"


class UnknownSymbol(LookupError):
    """A symbol that names no function or class in generator/training."""


@dataclass(frozen=True)
class Excerpt:
    symbol: str
    path: str            # relative to the project root, e.g. generator/training/reward.py
    start: int           # first line (1-based, inclusive)
    end: int             # last line (inclusive)
    code: str

    @property
    def lines(self) -> str:
        return f"{self.start}-{self.end}"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.lines}"

    @property
    def line_count(self) -> int:
        return self.end - self.start + 1

    @property
    def is_long(self) -> bool:
        return self.line_count > SHORT_LINES

    def find(self, needle: str) -> int | None:
        """The real line number of the first line holding `needle` (None if no line does)."""
        return next((self.start + i for i, line in enumerate(self.code.splitlines()) if needle in line), None)

    def line(self, number: int) -> str:
        """The code of one line, by its real number, without a trailing comment."""
        return re.sub(r"\s{2,}#.*$", "", self.code.splitlines()[number - self.start]).strip()

    def part(self, first: str | None = None, last: str | None = None) -> Excerpt:
        """The lines from the one holding `first` to the one holding `last` (inclusive), real numbers kept."""
        start = self.find(first) if first else self.start
        end = self.find(last) if last else self.end
        if start is None or end is None or end < start:
            raise UnknownSymbol(f"{self.symbol}: no lines from {first!r} to {last!r}")
        lines = self.code.splitlines()[start - self.start:end - self.start + 1]
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        return Excerpt(self.symbol, self.path, start, end, "\n".join(line[indent:] for line in lines))

    def html(self) -> str:
        """Highlighted HTML with the file's real line numbers (the page folds long ones in CSS)."""
        formatter = HtmlFormatter(linenos="inline", linenostart=self.start, cssclass="highlight",
                                  style=PYGMENTS_STYLE, wrapcode=True)
        lexer = PythonLexer()
        lexer.add_filter(PlainAsText())
        return highlight(self.code, lexer, formatter)


class PlainAsText(Filter):
    """Tokens the style draws exactly like plain text (names, punctuation, spaces) become plain text, so
    they need no <span> of their own: about half the elements of a highlighted excerpt, same look."""

    def filter(self, lexer, stream):
        plain = _plain_tokens()
        for ttype, value in stream:
            yield (Text if ttype in plain else ttype), value


@functools.cache
def _plain_tokens() -> frozenset:
    style = get_style_by_name(PYGMENTS_STYLE)
    base = style.style_for_token(Text)
    return frozenset({Whitespace} | {ttype for ttype, _ in style if style.style_for_token(ttype) == base})


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def locate(symbol: str) -> Excerpt:
    """Find `symbol` in generator/training and return its source with line numbers."""
    module, *names = symbol.split(".")
    path = TRAINING / f"{module}.py"
    if not names or not path.is_file():
        raise UnknownSymbol(f"{symbol!r}: expected module.function or module.Class.method "
                            f"of a file in generator/training")
    node: ast.AST = _tree(path)
    for name in names:
        node = next((child for child in ast.iter_child_nodes(node)
                     if isinstance(child, (ast.FunctionDef, ast.ClassDef)) and child.name == name), None)
        if node is None:
            raise UnknownSymbol(f"{symbol!r}: no {name!r} in generator/training/{module}.py")
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    lines = path.read_text(encoding="utf-8").splitlines()[start - 1:node.end_lineno]
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    code = "\n".join(line[indent:] for line in lines)
    return Excerpt(symbol, path.relative_to(PROJECT_ROOT).as_posix(), start, node.end_lineno, code)


PLAYGROUND_JS = PROJECT_ROOT / "templates" / "page" / "playground_model.js"


def locate_js(name: str) -> str:
    """Where the page's JavaScript model defines `name` (a function, class or method): 'path:line'."""
    pattern = re.compile(rf"^\s*(?:function\s+|class\s+)?{re.escape(name)}\s*(?:\(|\{{|extends)")
    lines = PLAYGROUND_JS.read_text(encoding="utf-8").splitlines()
    number = next((i for i, line in enumerate(lines, 1) if pattern.match(line)), None)
    if number is None:
        raise UnknownSymbol(f"{name!r}: not defined in {PLAYGROUND_JS.relative_to(PROJECT_ROOT).as_posix()}")
    return f"{PLAYGROUND_JS.relative_to(PROJECT_ROOT).as_posix()}:{number}"


def exists(symbol: str) -> bool:
    try:
        locate(symbol)
    except UnknownSymbol:
        return False
    return True


def highlight_css() -> str:
    """The stylesheet for highlighted excerpts."""
    return HtmlFormatter(style=PYGMENTS_STYLE, cssclass="highlight").get_style_defs(".highlight")
