"""No sentence of the page or the docs states an outcome of the run outside a claim chosen by a finding
(templates/claims.j2, generator/findings.py), whatever the run: the default quick run, another seed, the
food-safety course, and edited runs in which the findings flip. And `check` notes content that does."""

from __future__ import annotations

import pytest

from generator import claims
from generator.content import load_course
from generator.render import render_outputs

from . import fixture_runs as fx
from .claims_audit import unmarked_claims
from .conftest import CONTENT, PROJECT, quick_course, tiny_course_dir

DOCUMENTS = ("llm_training_infographic.html", "llm_training_complete_explanation.md", "code_output_alignment.md")


def audit(course, run) -> dict[str, list[str]]:
    """Each document of an audit render -> the outcome sentences it states outside a claim."""
    files = render_outputs(course, run, audit=True)
    return {name: unmarked_claims(files[name]) for name in DOCUMENTS}


def assert_clean(course, run, label: str) -> None:
    found = {name: hits for name, hits in audit(course, run).items() if hits}
    assert not found, f"{label}: outcome sentences outside a claim: {found}"


def test_the_default_quick_run_states_no_outcome_outside_a_claim(quick_run):
    assert_clean(load_course(CONTENT), quick_run, "quick run")


def test_another_seed_states_no_outcome_outside_a_claim(other_seed_build):
    course = quick_course(seed=other_seed_build.run["config"]["seed"])
    assert_clean(course, other_seed_build.run, "another seed")


def test_the_food_safety_course_states_no_outcome_outside_a_claim(food_safety_build):
    course, built = food_safety_build
    assert_clean(load_course(course), built.run, "food-safety")


@pytest.mark.parametrize("scenario", sorted(fx.SCENARIOS))
def test_edited_runs_state_no_outcome_outside_a_claim(quick_run, scenario):
    assert_clean(load_course(CONTENT), fx.SCENARIOS[scenario](quick_run), scenario)


def test_the_audit_finds_an_outcome_outside_a_claim_and_a_mark_left_open():
    assert unmarked_claims("<p>The reward model beats the length rule.</p>") == \
        ["The reward model beats the length rule."]
    assert unmarked_claims("<p>\u27e6The reward model beats the length rule.\u27e7</p>") == []
    assert unmarked_claims("<p>\u27eaP(A beats B) = sigmoid(a - b).\u27eb</p>") == []
    assert unmarked_claims("<p>\u27ecOur model beats it.\u27ed</p>") == []
    assert unmarked_claims("<pre>it learned to beat</pre>`beats` [x](#it-beats-it)") == []
    assert "1 mark(s) left open" in unmarked_claims("<p>\u27ecquoted, never closed; it beats</p>")


def test_check_notes_content_that_states_how_the_run_turned_out(tmp_path):
    course_dir = tiny_course_dir(tmp_path / "course")
    teaching = course_dir / "teaching.toml"
    text = teaching.read_text(encoding="utf-8")
    marker = 'answer = "Length is a classic shortcut. '
    assert marker in text
    teaching.write_text(text.replace(marker, marker + "In this run the reward model beats it. "), encoding="utf-8")
    notes = claims.notes(load_course(course_dir))
    assert len(notes) == 1
    assert notes[0].startswith("teaching.toml:") and ': answer: "In this run the reward model beats it."' in notes[0]
    assert "placeholder" in notes[0]


@pytest.mark.parametrize("root", [CONTENT, PROJECT / "examples" / "food-safety"], ids=["default", "example"])
def test_the_shipped_courses_state_no_outcome_of_the_run(root):
    assert claims.notes(load_course(root)) == []


def test_outcome_sentences_tell_reports_from_rules():
    assert claims.outcome_sentences("Our model beats the length rule.") == ["Our model beats the length rule."]
    assert claims.outcome_sentences("A reward model that cannot beat it ({reward.length_baseline_accuracy}) "
                                    "has not shown it learned quality.") == []
    assert claims.outcome_sentences("The validation loss ({pretrain.final_val_loss}) shows whether the model "
                                    "generalises.") == []
    assert claims.outcome_sentences("Training accuracy ({reward.train_accuracy}) is measured on pairs the model "
                                    "learned from.") == []
