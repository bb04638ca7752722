"""The baselines a reward model must beat, and the statistics its verdicts rest on, on sets whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from generator.stats import predictive_interval, sign_test, wilson_interval
from generator.training.reward_baselines import (
    bag_of_tokens,
    fit_pairwise_logistic,
    giveaway_word,
    length_rule,
    token_counts,
    without_word,
    word_rule,
)


def test_a_planted_giveaway_word_is_found_and_ranks_every_held_out_pair():
    chosen = [f"reduce drug {i} and monitor levels" for i in range(10)]
    rejected = [f"drug {i} is fine, {'simply' if i % 2 else 'surely'} carry on" for i in range(10)]
    word, side = giveaway_word(chosen, rejected)
    marked, other = (rejected, chosen) if side > 0 else (chosen, rejected)
    assert all(word in text.split() for text in marked) and not any(word in text.split() for text in other)
    assert word_rule(chosen, rejected, folds=5).tolist() == [1.0] * 10


def test_deleting_a_word_removes_every_occurrence_and_only_whole_words():
    assert without_word("Just give it. It is just fine, adjusted just.", "just") == "give it. It is fine, adjusted."


def test_the_word_rule_counts_pairs_it_cannot_tell_apart_as_half():
    chosen = ["alpha beta", "gamma delta", "alpha delta", "beta gamma"]
    rejected = ["beta alpha", "delta gamma", "delta alpha", "gamma beta"]   # the same words in each pair
    assert word_rule(chosen, rejected, folds=2).tolist() == [0.5] * 4


def test_length_rule_scores_each_pair_and_ties_count_half():
    assert length_rule(["long answer", "ab", "x"], ["short", "abc", "y"]).tolist() == [1.0, 0.0, 0.5]


def test_token_counts_count_tokens_and_neighbouring_pairs():
    counts = token_counts([[1, 2, 1, 2], [2, 2]], vocab_size=3)
    # columns: tokens 1 and 2, then the pairs (1, 2), (2, 1), (2, 2) in id order
    assert counts.tolist() == [[2, 2, 2, 1, 0], [0, 2, 0, 0, 1]]


def test_pairwise_logistic_regression_ranks_by_the_feature_that_separates_the_pairs():
    diffs = np.array([[1.0, 0.3], [2.0, -0.5], [1.5, 0.1], [0.5, -0.2]])   # feature 0 always favours chosen
    w = fit_pairwise_logistic(diffs, l2=0.1)
    assert (diffs @ w > 0).all() and w[0] > abs(w[1])
    # the optimum: the gradient of mean(log(1 + exp(-d.w))) + l2/2 |w|^2 is zero
    p = 1 / (1 + np.exp(diffs @ w))
    np.testing.assert_allclose(-(p[:, None] * diffs).mean(axis=0) + 0.1 * w, 0.0, atol=1e-9)


def test_bag_of_tokens_finds_a_punctuation_shortcut_no_word_rule_sees():
    """Chosen answers carry a colon, rejected ones never do, and no word tells them apart."""
    rng = np.random.default_rng(0)
    words = [[int(t) for t in rng.integers(3, 9, size=6)] for _ in range(20)]
    chosen = [w[:3] + [1] + w[3:] for w in words]           # token 1 is the colon
    rejected = [w[:3] + [2] + w[3:] for w in words]         # token 2 is a comma
    assert bag_of_tokens(chosen, rejected, vocab_size=10, folds=5).tolist() == [1.0] * 20


def test_bag_of_tokens_is_a_coin_toss_when_the_answers_only_swap_order():
    chosen = [[3, 4, 5, 6], [6, 5, 4, 3], [3, 5, 4, 6], [4, 6, 3, 5]]
    rejected = [[6, 5, 4, 3], [3, 4, 5, 6], [4, 6, 3, 5], [3, 5, 4, 6]]
    counts = token_counts(chosen + rejected, 10)
    assert (counts[:4, :4] == counts[4:, :4]).all()            # the same tokens on both sides
    scores = bag_of_tokens(chosen, rejected, vocab_size=10, folds=2)
    assert scores.mean() <= 0.75


def test_wilson_interval_matches_the_textbook():
    low, high = wilson_interval(17, 20)
    assert (round(low, 3), round(high, 3)) == (0.640, 0.948)       # the textbook Wilson interval for 17 of 20
    assert wilson_interval(20, 20)[1] == 1.0 and wilson_interval(0, 20)[0] == 0.0
    assert np.diff(wilson_interval(170, 200)) < high - low           # more pairs: narrower


def test_predictive_interval_is_wider_than_wilson_and_covers_95_percent_of_new_draws():
    low, high = predictive_interval(17, 20)
    w_low, w_high = wilson_interval(17, 20)
    assert low <= w_low and high >= w_high
    # a check by simulation: draw the true accuracy from the Jeffreys posterior, then 20 new pairs
    rng = np.random.default_rng(1)
    scores = rng.binomial(20, rng.beta(17.5, 3.5, size=200_000)) / 20
    inside = np.mean((scores >= low) & (scores <= high))
    assert inside >= 0.95 and np.mean(scores < low) <= 0.025 and np.mean(scores > high) <= 0.025


@pytest.mark.parametrize("wins, losses, p", [(15, 5, 0.0414), (14, 6, 0.1153), (10, 0, 0.00195), (3, 3, 1.0),
                                             (0, 0, 1.0)])
def test_sign_test_is_the_exact_binomial_two_sided_test(wins, losses, p):
    first = np.array([1.0] * wins + [0.0] * losses + [1.0] * 4)      # 4 pairs both got right: ignored
    second = np.array([0.0] * wins + [1.0] * losses + [1.0] * 4)
    assert sign_test(first, second) == pytest.approx(p, abs=5e-5)


def test_sign_test_counts_half_scores_as_a_direction():
    assert sign_test(np.array([1.0, 1.0, 0.0]), np.array([0.5, 0.5, 0.5])) == sign_test(
        np.array([1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
