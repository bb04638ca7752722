"""Small text charts of the run's curves for the markdown docs: sparklines, bars, and trend summaries.

Pure functions of lists of numbers; they draw shapes, never format figures (format.py does that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BLOCKS = "▁▂▃▄▅▆▇█"
FULL, EIGHTHS = "█", " ▏▎▍▌▋▊▉"


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def downsample(values, width: int) -> list[float]:
    """At most `width` points: the mean of each of `width` equal slices (order kept)."""
    values = _finite(values)
    if len(values) <= width:
        return values
    out = []
    for i in range(width):
        lo, hi = i * len(values) // width, (i + 1) * len(values) // width
        chunk = values[lo:max(hi, lo + 1)]
        out.append(sum(chunk) / len(chunk))
    return out


def sparkline(values, width: int = 40, lo: float | None = None, hi: float | None = None) -> str:
    """▁▂▃▅▇ from a curve: the lowest point is ▁, the highest █ (or the given lo/hi range)."""
    points = downsample(values, width)
    if not points:
        return ""
    lo = min(points) if lo is None else lo
    hi = max(points) if hi is None else hi
    if hi - lo < 1e-12:
        return BLOCKS[len(BLOCKS) // 2] * len(points)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[min(top, max(0, round((p - lo) / (hi - lo) * top)))] for p in points)


def bar(value: float, scale: float, width: int = 30) -> str:
    """A horizontal bar of `value` on a 0..scale axis, in eighths of a character."""
    if scale <= 0 or not math.isfinite(value):
        return ""
    eighths = round(max(0.0, min(value, scale)) / scale * width * 8)
    return FULL * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


def diverging(value: float, scale: float, width: int = 16) -> str:
    """A bar left (negative) or right (positive) of a centre line │, `width` characters each side."""
    if scale <= 0 or not math.isfinite(value):
        return " " * width + "│" + " " * width
    cells = min(width, round(abs(value) / scale * width))
    if value < 0:
        return " " * (width - cells) + "█" * cells + "│" + " " * width
    return " " * width + "│" + ("█" * cells).ljust(width)


@dataclass(frozen=True)
class Trend:
    """How a curve moved, in the terms the docs' prose chooses between."""
    first: float
    last: float
    lowest: float
    highest: float
    rises: int          # steps where the value went up
    falls: int          # steps where it went down
    steps: int

    @property
    def change(self) -> float:
        return self.last - self.first

    @property
    def went_up(self) -> bool:
        return self.last > self.first

    @property
    def monotone(self) -> bool:
        return self.rises == 0 or self.falls == 0

    @property
    def flipped(self) -> bool:
        """Crossed zero between the first and the last value."""
        return (self.first > 0) != (self.last > 0) and self.first != 0


def trend(values) -> Trend:
    values = _finite(values)
    if not values:
        return Trend(math.nan, math.nan, math.nan, math.nan, 0, 0, 0)
    steps = list(zip(values, values[1:]))
    return Trend(values[0], values[-1], min(values), max(values),
                 sum(b > a for a, b in steps), sum(b < a for a, b in steps), len(steps))


def sample_rows(values, rows: int, always: int | None = None) -> list[int]:
    """Indices of about `rows` evenly spaced points, always including the first, the last and `always`."""
    n = len(values)
    if n <= rows:
        return list(range(n))
    return sorted({round(i * (n - 1) / (rows - 1)) for i in range(rows)} | ({always} if always is not None else set()))


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow: a margin as a probability."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


FILTERS = {"spark": sparkline, "bar": bar, "diverging": diverging, "sigmoid": sigmoid, "exp": math.exp, "ln": math.log}
