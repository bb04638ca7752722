"""Baselines the reward model must beat: rules and a simple learner that know nothing of the subject.

A sceptic asks whether the reward model learned what makes an answer better, or a
surface feature any simple rule could read (length, one word, punctuation, digits).
Each baseline is judged like the reward model, on pairs it never trained on (the same
folds), and returns one score per pair: 1 ranked right, 0 wrong, 0.5 cannot tell.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .reward import fold_numbers

L2_GRID = (0.01, 0.1, 1.0, 10.0)    # ridge strengths the bag-of-tokens learner chooses from


# ---- rule 1: the longer answer wins ------------------------------------------------------------
def length_rule(chosen_text: list[str], rejected_text: list[str]) -> np.ndarray:
    """The longer answer wins (no learning, so nothing to hold out)."""
    return np.array([0.5 + 0.5 * np.sign(len(c) - len(r)) for c, r in zip(chosen_text, rejected_text)])


# ---- rule 2: one word decides ------------------------------------------------------------------
def words(text: str) -> set[str]:
    """The distinct lower-case words of a text."""
    return set(re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower()))


def without_word(text: str, word: str) -> str:
    """The text with every occurrence of `word` deleted (any case), spacing tidied."""
    text = re.sub(rf"\b{re.escape(word)}\b", "", text, flags=re.IGNORECASE)
    return re.sub(r" {2,}", " ", re.sub(r" ([.,;:!?])", r"\1", text)).strip()


def giveaway_word(chosen_text: list[str], rejected_text: list[str]) -> tuple[str, int]:
    """The one word whose presence best tells the two answers of a pair apart: a shortcut a model could learn.

    Returns (word, side): side +1 if the word marks the rejected answer, -1 if it marks the chosen one,
    0 if no word leans either way ("" then).
    """
    lean: Counter[str] = Counter()    # pairs where only the rejected answer has the word, minus the reverse
    for c, r in zip(chosen_text, rejected_text):
        lean.update(words(r) - words(c))
        lean.subtract(words(c) - words(r))
    word = min(lean, key=lambda w: (-abs(lean[w]), w), default="")    # the strongest lean; ties by spelling
    return (word, int(np.sign(lean[word]))) if lean[word] else ("", 0)


def word_rule(chosen_text: list[str], rejected_text: list[str], folds: int) -> np.ndarray:
    """Learn the giveaway word on the other folds, then rank each held-out pair by that word alone
    (the answer it marks as rejected loses)."""
    fold_of = fold_numbers(len(chosen_text), folds)
    right = np.zeros(len(chosen_text))
    for fold in range(folds):
        train = np.flatnonzero(fold_of != fold)
        word, side = giveaway_word([chosen_text[i] for i in train], [rejected_text[i] for i in train])
        for i in np.flatnonzero(fold_of == fold):
            tells = (word in words(rejected_text[i])) - (word in words(chosen_text[i]))   # +1, 0 or -1
            right[i] = 0.5 + 0.5 * tells * side
    return right


# ---- a learner: logistic regression on token counts ----------------------------------------------
def token_counts(answers: list[list[int]], vocab_size: int) -> np.ndarray:
    """(N, F): how often each token, and each pair of neighbouring tokens, occurs in each answer.

    Every token counts: words, digits, punctuation, spaces. F is the number of distinct
    tokens and token pairs that occur in any of the answers."""
    grams = [np.concatenate([ids, vocab_size * (1 + ids[:-1]) + ids[1:]])       # unigram ids, then bigram ids
             for ids in map(np.asarray, answers)]
    columns, column_of = np.unique(np.concatenate(grams), return_inverse=True)
    rows = np.repeat(np.arange(len(grams)), [len(g) for g in grams])
    features = np.zeros((len(grams), len(columns)))
    np.add.at(features, (rows, column_of), 1.0)
    return features


def fit_pairwise_logistic(diffs: np.ndarray, l2: float, steps: int = 30) -> np.ndarray:
    """Weights w minimising mean(log(1 + exp(-diffs @ w))) + l2/2 |w|^2, so that w . (chosen - rejected) > 0.

    Newton's method. The best w is a combination of the rows, w = diffs.T @ a, so each step
    solves an (n_pairs x n_pairs) system, however many features there are.
    """
    n = len(diffs)
    gram = diffs @ diffs.T                                  # (n, n)
    a = np.zeros(n)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(gram @ a))                  # sigmoid(-score): how far from ranked right
        gradient = -p / n + l2 * a
        curvature = p * (1.0 - p) / n
        a -= np.linalg.solve(curvature[:, None] * gram + l2 * np.eye(n), gradient)
    return diffs.T @ a


def rank_by_sign(scores: np.ndarray) -> np.ndarray:
    """A score above 0 ranks the chosen answer first: 1; below 0: 0; exactly 0: 0.5."""
    return 0.5 + 0.5 * np.sign(scores)


def _choose_l2(diffs: np.ndarray, inner_folds: np.ndarray) -> float:
    """The ridge strength that ranks best on the training pairs' own folds (ties: the stronger ridge)."""
    def inner_accuracy(l2: float) -> float:
        return float(np.mean([rank_by_sign(diffs[inner_folds == f] @ fit_pairwise_logistic(
            diffs[inner_folds != f], l2)).mean() for f in np.unique(inner_folds)]))
    return max(reversed(L2_GRID), key=inner_accuracy)


def bag_of_tokens(chosen_ids: list[list[int]], rejected_ids: list[list[int]], vocab_size: int,
                  folds: int) -> np.ndarray:
    """Logistic regression on the difference of the two answers' token counts, cross-validated:
    trained on the other folds (its ridge strength chosen on those folds too), judged on this one."""
    counts = token_counts(chosen_ids + rejected_ids, vocab_size)          # (2N, F): one column space for both
    diffs = counts[:len(chosen_ids)] - counts[len(chosen_ids):]            # (N, F) chosen minus rejected
    fold_of = fold_numbers(len(diffs), folds)
    right = np.zeros(len(diffs))
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        l2 = _choose_l2(diffs[train], fold_numbers(int(train.sum()), max(2, folds - 1)))
        right[test] = rank_by_sign(diffs[test] @ fit_pairwise_logistic(diffs[train], l2))
    return right
