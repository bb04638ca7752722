"""The run: untrained baselines, the direction each stage moves, determinism, bad runs stop."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter

import numpy as np
import pytest

from generator.checks import case_twin_gap, word_reliance
from generator.content import load_course
from generator.pipeline import run_pipeline
from generator.training.autograd import Tensor
from generator.training.loop import TrainingDiverged
from generator.training.reward import bradley_terry_loss
from generator.training.reward_baselines import giveaway_word, length_rule, word_rule

from .conftest import CONTENT


def tiny(course, **changes):
    """The quick settings shrunk further, for tests that need several runs."""
    s = course.quick_settings
    s = dataclasses.replace(
        s, pretrain=dataclasses.replace(s.pretrain, steps=6, eval_every=3, sample_tokens=5),
        sft=dataclasses.replace(s.sft, steps=3), reward=dataclasses.replace(s.reward, steps=2, folds=2),
        rl=dataclasses.replace(s.rl, steps=1, eval_every=1, prompts_per_step=2, samples_per_prompt=2), **changes)
    return dataclasses.replace(course, quick_settings=s)


def test_untrained_loss_is_within_5_percent_of_ln_v(quick_run):
    s = quick_run["summary"]
    assert s["pretrain"]["initial_loss"] == pytest.approx(math.log(quick_run["config"]["vocab_size"]), rel=0.05)
    assert s["pretrain"]["uniform_loss"] == pytest.approx(math.log(100))


def test_bradley_terry_loss_is_ln2_at_zero_margin():
    r = Tensor(np.array([0.3, -1.2, 2.0]))
    assert float(bradley_terry_loss(r, r).data) == pytest.approx(math.log(2))
    assert float(bradley_terry_loss(Tensor(np.array([5.0])), Tensor(np.array([0.0]))).data) < 0.01
    assert float(bradley_terry_loss(Tensor(np.array([0.0])), Tensor(np.array([5.0]))).data) > 5.0


def test_quick_run_moves_every_figure_the_right_way(quick_run):
    s = quick_run["summary"]
    assert s["pretrain"]["final_val_loss"] < s["pretrain"]["initial_loss"] - 0.5
    assert s["pretrain"]["final_train_loss"] < s["pretrain"]["first_train_loss"]
    assert s["pretrain"]["unigram_val_loss"] < s["pretrain"]["uniform_loss"]
    assert s["pretrain"]["bigram_val_loss"] < s["pretrain"]["unigram_val_loss"]
    assert s["sft"]["final_loss"] < s["sft"]["first_loss"]
    assert s["sft"]["final_token_accuracy"] > s["sft"]["first_token_accuracy"]
    assert s["reward"]["final_loss"] < s["reward"]["first_loss"]
    assert s["reward"]["final_margin"] > s["reward"]["first_margin"]
    assert s["reward"]["first_loss"] == pytest.approx(math.log(2), abs=0.1)


def test_run_records_what_the_renderers_need(quick_run):
    run = quick_run
    assert len(run["pretrain"]["train_loss"]) == run["config"]["pretrain"]["steps"]
    assert {e["step"] for e in run["pretrain"]["evals"]} >= {0, run["config"]["pretrain"]["steps"]}
    assert {x["prompt"] for x in run["pretrain"]["samples"]} == set(load_course(CONTENT).case.sample_prompts)
    assert any(a["heldout"] for a in run["sft"]["answers"]) and any(not a["heldout"] for a in run["sft"]["answers"])
    history = run["reward"]["history"]
    assert set(history) == {"loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies"}
    assert len(run["reward"]["pairs"]) == 20
    for pair in run["reward"]["pairs"]:
        assert pair["margin"] == pytest.approx(pair["chosen_score"] - pair["rejected_score"])
    assert "".join(run["tokenizer"]["sample"]).startswith(load_course(CONTENT).corpus[0].text.split()[0])


def test_the_run_says_how_the_reward_model_fares_without_the_giveaway_word(quick_run):
    prefs = load_course(CONTENT).preferences
    chosen, rejected = [p.chosen for p in prefs], [p.rejected for p in prefs]
    rule = quick_run["reward"]["word_rule"]
    word, side = giveaway_word(chosen, rejected)
    assert (rule["word"], rule["marks"]) == (word, {1: "rejected", -1: "chosen"}[side])
    accuracy = word_rule(chosen, rejected, quick_run["config"]["reward"]["folds"]).mean()
    assert quick_run["summary"]["reward"]["word_rule_accuracy"] == accuracy
    assert accuracy <= 0.65, "the default pairs were written so that no one word gives them away"
    without = rule["model_heldout_accuracy_without_word"]
    assert 0.0 <= without <= 1.0
    assert quick_run["summary"]["reward"]["heldout_accuracy_without_word"] == without


@pytest.mark.parametrize("rule, without, reading", [(1.0, 0.80, "little"), (1.0, 0.70, "partly"),
                                                    (0.85, 0.55, "mostly"), (1.0, None, None),
                                                    (0.575, 0.55, None)])    # a weak rule: no shortcut to lean on
def test_word_reliance_reads_the_ablation(rule, without, reading):
    summary = {"reward": {"heldout_accuracy": 0.85, "heldout_accuracy_without_word": without,
                          "word_rule_accuracy": rule}}
    assert word_reliance(summary) == reading


def test_a_near_twin_scored_far_apart_is_flagged():
    case = {"specific_answer": "Stop the drug: it is unsafe below 30. Switch to another.", "specific_score": 1.0,
            "sft_answer": "Stop the drug: it is unsafe below 30. Choose another.", "sft_answer_score": -1.5}
    flagged = case_twin_gap(case)
    assert flagged["gap"] == -2.5 and flagged["shared"] >= 0.8
    assert case_twin_gap({**case, "sft_answer_score": 0.5})["gap"] == -0.5            # 62% sure: brittle
    assert case_twin_gap({**case, "sft_answer_score": 0.8}) is None                   # scores close
    assert case_twin_gap({**case, "sft_answer": "Carry on as usual; it should be fine."}) is None   # not a twin


def test_default_preferences_are_not_systematically_longer():
    course = load_course(CONTENT)
    prefs = course.preferences
    assert length_rule([p.chosen for p in prefs], [p.rejected for p in prefs]).mean() == 0.5
    # as preferences.toml promises: the rejected answer is longer in two pairs of every fold and every category
    longer = [i for i, p in enumerate(prefs) if len(p.rejected) > len(p.chosen)]
    assert all(len(p.rejected) != len(p.chosen) for p in prefs)
    assert sorted(Counter(i % 5 for i in longer).values()) == [2] * 5
    assert set(Counter(prefs[i].category for i in longer).values()) == {2}


def test_a_second_run_in_the_same_process_is_the_same_run():
    """Nothing a run leaves behind in the process (caches, random state) changes the next one: `make serve`
    trains again in one process. Both runs are made here: the session's own run may come from another of the
    test processes. (Other processes, hash seeds and cores: tests/test_reproducible.py.)"""
    course = tiny(load_course(CONTENT))
    # fewer texts than the course has: quicker, and the same code runs
    course = dataclasses.replace(course, corpus=course.corpus[:2], sft_pairs=course.sft_pairs[:6],
                                 heldout_pairs=course.heldout_pairs[:2], preferences=course.preferences[:8])
    first, again = (run_pipeline(course, quick=True, log=lambda _: None) for _ in range(2))
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_another_seed_gives_another_run(quick_run, other_seed_build):
    assert other_seed_build.run["config"]["seed"] == quick_run["config"]["seed"] + 1
    assert other_seed_build.run["summary"]["pretrain"]["final_val_loss"] != \
        quick_run["summary"]["pretrain"]["final_val_loss"]
    assert other_seed_build.run["pretrain"]["train_loss"] != quick_run["pretrain"]["train_loss"]


@pytest.mark.parametrize("stage, name", [("pretrain", "pretraining"), ("reward", "reward model")])
def test_nan_loss_stops_with_stage_and_step(stage, name, recwarn):
    """Also from the worker processes (pretraining's second half-batch, stage 3's pool), and quietly."""
    course = load_course(CONTENT)
    s = tiny(course).quick_settings
    exploding = dataclasses.replace(getattr(s, stage), lr=1e30, warmup=1, grad_clip=1e30)
    settings = dataclasses.replace(s, **{stage: exploding})
    with pytest.raises(TrainingDiverged, match=rf"{name}: loss became (nan|inf) at step \d+"):
        run_pipeline(dataclasses.replace(course, quick_settings=settings), quick=True, log=lambda _: None)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)], "no NumPy warnings before the message"
