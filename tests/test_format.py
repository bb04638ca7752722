"""The one formatting path, against text written out by hand.

The page and document tests compare what they find with generator/format.py itself, so a bug
here (a sign dropped, a rounding flipped) would pass them; these tests are its own oracle.
"""

from __future__ import annotations

import pytest

from generator import format as fmt

MINUS = "\u2212"    # the typographic minus the page and docs print


@pytest.mark.parametrize("x, text", [(2.4591, "2.459"), (0.6931, "0.693"), (4.0, "4.000"), (-0.5, MINUS + "0.500"),
                                     (-0.0000057, "0.000"),     # no negative zero
                                     (0.0004999, "0.000")])     # rounded once: 0.0005 would print 0.001
def test_loss_has_three_decimals(x, text):
    assert fmt.loss(x) == text


@pytest.mark.parametrize("x, text", [
    (0.75, "75%"), (1.0, "100%"), (0.0, "0%"), (0.9955, "99.6%"), (1 / 3, "33.3%"),
    (0.1004, "10%"),            # within 0.05 of a whole percent: no decimal
    (0.1006, "10.1%"),
    (0.0005, "0.1%"),           # exactly 0.05 from 0%: the decimal shows
    (0.00049, "0%"),
])
def test_pct_drops_the_decimal_only_near_a_whole_percent(x, text):
    assert fmt.pct(x) == text


@pytest.mark.parametrize("x, text", [(1.093, "+1.093"), (-0.038, MINUS + "0.038"), (0.0, "0.000"),
                                     (-2.5, MINUS + "2.500")])
def test_signed_keeps_the_sign_of_negative_margins(x, text):
    assert fmt.signed(x) == text


@pytest.mark.parametrize("x, text", [(0.031, "+3.1%"), (-0.027, MINUS + "2.7%"), (0.0, "0.0%"), (0.5, "+50.0%")])
def test_signed_pct(x, text):
    assert fmt.signed_pct(x) == text


@pytest.mark.parametrize("x, text", [
    (0.0004, "< 0.001"), (0.00099, "< 0.001"), (0.001, "0.001"),    # never printed as 0
    (0.041, "0.041"), (0.05, "0.05"), (0.0999, "0.1"),              # two significant digits below 0.1
    (0.1, "0.10"), (0.62, "0.62"), (1.0, "1.00"),                   # two decimals from 0.1 on
])
def test_p_value(x, text):
    assert fmt.p_value(x) == text


@pytest.mark.parametrize("x, text", [(-0.5, MINUS + "0.500"), (1.25, "1.250"), (0.0, "0.000"), (-0.0004999, "0.000")])
def test_score_shows_a_sign_only_when_negative(x, text):
    assert fmt.score(x) == text


@pytest.mark.parametrize("x, text", [(307200, "307,200"), (2.6, "3"), (1234567.4, "1,234,567"), (0, "0")])
def test_integer_rounds_and_groups_thousands(x, text):
    assert fmt.integer(x) == text


def test_plain_ratio_perplexity_seconds_and_range():
    assert fmt.plain(2024) == "2024" and fmt.plain(7.0) == "7" and fmt.plain(1234567) == "1234567"
    assert fmt.ratio(0.458) == "0.46\u00d7"
    assert fmt.perplexity(11.73) == "11.7"
    assert fmt.seconds(3.04) == "3.0 s"
    assert fmt.pct_range((0.641, 0.953)) == "64% to 95%"


@pytest.mark.parametrize("x, text", [
    (0.004, "0.004"), (0.95, "0.95"), (0.0, "0"), (123.456, "123"), (0.0012345, "0.00123"),
    (1.5, "1.5"), (-0.25, MINUS + "0.25"), (10.0, "10"), (2.0, "2"), (1e-5, "0.00001"), (3e-4, "0.0003"),
    (100.0, "100"), (250, "250"),                 # no decimal point: its zeros are the number's own
])
def test_number_has_three_significant_digits_and_no_exponent(x, text):
    assert fmt.number(x) == text


def test_change_pct_is_relative_to_the_size_of_the_first():
    assert fmt.change_pct(2.0, 1.0) == MINUS + "50.0%"
    assert fmt.change_pct(-2.0, -1.0) == "+50.0%"          # a negative start: rising is still +
    assert fmt.change_pct(4.0, 5.0) == "+25.0%"


SUMMARY = {
    "sft": {"first_token_accuracy": 0.182, "final_token_accuracy": 1.0, "first_loss": 3.0, "final_loss": 1.6,
            "heldout_loss": None},
    "pretrain": {"final_val_loss": 2.4591, "position_excess": float("nan")},
    "reward": {"heldout_mean_margin": -0.038, "pairs": 20},
    "config": {"seed": 1234},
    "rl": {"reward_before": -0.213, "reward_after": -0.034},
}


def test_metric_change_in_points_for_shares_and_relative_otherwise():
    assert fmt.metric_change(SUMMARY, "sft.first_token_accuracy", "sft.final_token_accuracy") == "+81.8 points"
    assert fmt.metric_change(SUMMARY, "sft.final_token_accuracy", "sft.first_token_accuracy") == \
        MINUS + "81.8 points"
    assert fmt.metric_change(SUMMARY, "sft.first_loss", "sft.final_loss") == MINUS + "46.7%"
    # a reward score has no zero point: its change is a difference, never a percentage (+84.0% here)
    assert fmt.metric_change(SUMMARY, "rl.reward_before", "rl.reward_after") == "+0.179"


def test_metric_formats_each_figure_by_its_kind():
    assert fmt.metric(SUMMARY, "pretrain.final_val_loss") == "2.459"
    assert fmt.metric(SUMMARY, "reward.heldout_mean_margin") == MINUS + "0.038"
    assert fmt.metric(SUMMARY, "reward.pairs") == "20"
    assert fmt.metric(SUMMARY, "config.seed") == "1234"
    assert fmt.metric(SUMMARY, "sft.final_token_accuracy") == "100%"
    assert fmt.metric(SUMMARY, "sft.heldout_loss") == "n/a"              # no held-out questions
    assert fmt.metric(SUMMARY, "pretrain.position_excess") == "n/a"      # not measurable
    assert fmt.lookup(SUMMARY, "reward.pairs") == 20


def test_every_metric_names_a_filter_and_a_label():
    for key, (kind, label) in fmt.METRICS.items():
        assert kind in fmt.FILTERS and label, key
        assert fmt.PLACEHOLDER.fullmatch("{" + key + "}"), key


def test_placeholders_are_filled_and_unknown_ones_left_as_typed():
    text = "loss {pretrain.final_val_loss}, margin {reward.heldout_mean_margin}, {nothing.here} and {x}"
    assert fmt.fill_placeholders(text, SUMMARY) == f"loss 2.459, margin {MINUS}0.038, {{nothing.here}} and {{x}}"
    assert fmt.fill_placeholders("no placeholders", SUMMARY) == "no placeholders"



def test_number_prints_the_typographic_minus():
    assert fmt.number(-0.007) == MINUS + "0.007"
    assert fmt.number(-12.5) == MINUS + "12.5"


@pytest.mark.parametrize("label, text", [("Validation loss", "validation loss"), ("Final SFT loss", "final SFT loss"),
                                         ("KL from the reference", "KL from the reference"),
                                         ("SFT answers", "SFT answers")])
def test_a_label_inside_a_sentence_keeps_its_acronyms(label, text):
    assert fmt.sentence_case(label) == text


@pytest.mark.parametrize("x, step, percent, text", [
    (0.5, 0.5, False, "0.5"), (1.0, 0.5, False, "1"), (1.5, 0.5, False, "1.5"),      # no more decimals than the step
    (0.04, 0.02, False, "0.04"), (0.002, 0.001, False, "0.002"), (200.0, 100.0, False, "200"),
    (-0.5, 0.5, False, MINUS + "0.5"), (-1e-12, 0.5, False, "0"),                   # no negative zero
    (0.2, 0.2, True, "20%"), (0.05, 0.05, True, "5%"), (0.125, 0.005, True, "12.5%"),
])
def test_tick_labels_have_the_decimals_of_their_step(x, step, percent, text):
    assert fmt.tick(x, step, percent) == text


@pytest.mark.parametrize("x, text", [(0.0012, "+0.0012"), (-0.0002, MINUS + "0.0002"), (0.00004, "\u00b10.0000"),
                                     (-0.00004, "\u00b10.0000"), (0.00005, "+0.0001"), (-0.0123, MINUS + "0.0123")])
def test_loss_delta_has_four_decimals_and_a_sign(x, text):
    assert fmt.loss_delta(x) == text


def test_kilobytes_are_thousands_of_bytes():
    assert fmt.kilobytes(639_400) == "639 kB"
    assert fmt.kilobytes(1_142_160) == "1,142 kB"
