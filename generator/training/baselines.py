"""Count-based baselines a trained model must beat: uniform, unigram and bigram.

Each returns its average cross-entropy (nats per token) on the validation tokens,
the same quantity the transformer's validation loss measures.
"""

from __future__ import annotations

import math

import numpy as np

SMOOTHING_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)


def uniform_loss(vocab_size: int) -> float:
    """Guessing every token with equal probability costs ln V nats."""
    return math.log(vocab_size)


def unigram_loss(train: np.ndarray, val: np.ndarray, vocab_size: int) -> float:
    """Predict each token from how often it appears in training (add-one smoothing)."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(-log_p[val[1:]].mean())  # the same targets the other models predict


def bigram_loss(train: np.ndarray, val: np.ndarray, vocab_size: int) -> float:
    """Predict each token from the one before it, with add-alpha smoothing.

    alpha is chosen on the last tenth of the *training* tokens, never on validation.
    """
    cut = int(len(train) * 0.9)
    alpha = min(SMOOTHING_GRID, key=lambda a: _bigram_nll(train[:cut], train[cut:], vocab_size, a))
    return _bigram_nll(train, val, vocab_size, alpha)


def _bigram_nll(train: np.ndarray, val: np.ndarray, vocab_size: int, alpha: float) -> float:
    counts = np.full((vocab_size, vocab_size), alpha)
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-log_p[val[:-1], val[1:]].mean())
