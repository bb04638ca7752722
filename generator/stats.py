"""The statistics behind the verdicts: intervals for an accuracy measured on a few pairs, and a paired test.

With 20 preference pairs every pair is 5 points of accuracy, so a verdict quotes how far
the figure could be from the truth, and says one scorer beats another only when a paired
test on the same pairs says the difference is unlikely to be luck.
"""

from __future__ import annotations

import math

import numpy as np

LEVEL = 0.95     # the coverage of every interval
ALPHA = 0.05     # a difference counts as real when the paired test's p-value is below this


def wilson_interval(right: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval for the true accuracy, from `right` of `n` ranked right: the range
    of accuracies on pairs like these (all such pairs, not another 20) that fit what was seen."""
    share = right / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def predictive_interval(right: float, n: int, m: int | None = None) -> tuple[float, float]:
    """Where the accuracy on a new set of m pairs (m = n by default) would land, 95% of the time.

    Wider than the Wilson interval: it adds the luck of the new draw of pairs to the uncertainty
    about the true accuracy (a beta-binomial with the Jeffreys prior, Beta(1/2, 1/2)).
    """
    m = n if m is None else m
    a, b = right + 0.5, n - right + 0.5
    log_p = [math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1)
             + math.lgamma(k + a) + math.lgamma(m - k + b) - math.lgamma(m + a + b)
             - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)) for k in range(m + 1)]
    cdf = np.cumsum(np.exp(log_p))
    tail = (1 - LEVEL) / 2
    low = int(np.searchsorted(cdf, tail))                 # first count whose cumulative probability reaches 2.5%
    high = int(np.searchsorted(cdf, 1 - tail))            # ... and 97.5%
    return low / m, min(high, m) / m


def sign_test(first: np.ndarray, second: np.ndarray) -> float:
    """Two-sided exact sign test on paired scores (1 right, 0 wrong, 0.5 cannot tell) of two scorers on
    the same items: the chance of a split at least this uneven among the items where they differ, if
    neither scorer were better. With 0/1 scores this is McNemar's exact test."""
    diff = np.asarray(first, float) - np.asarray(second, float)
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2 ** n
    return min(1.0, 2 * tail)
