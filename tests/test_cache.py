"""The run cache: a changed setting or text the model reads trains again; prose edits reuse the run.

The settings a key must cover are listed here from the settings' own dataclasses (every field,
nested ones too), not from generator/cache.py, so a field the key leaves out fails by name.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generator import cache
from generator.content import load_course

from .conftest import CONTENT


@pytest.fixture(scope="module")
def course():
    return load_course(CONTENT)


def changed(value):
    """A different value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.5 + 0.001
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return (*value, value[-1] if value else "x")
    raise TypeError(f"no rule to change a {type(value).__name__}: add one")


def leaf_fields(obj, prefix: str = "") -> list[str]:
    """Every setting, as a dotted path: seed, model.n_layer, pretrain.lr, ..."""
    paths = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            paths += leaf_fields(value, f"{prefix}{f.name}.")
        else:
            paths.append(prefix + f.name)
    return paths


def with_setting(settings, path: str):
    """`settings` with the field at `path` changed."""
    head, _, rest = path.partition(".")
    value = getattr(settings, head)
    return dataclasses.replace(settings, **{head: with_setting(value, rest) if rest else changed(value)})


SETTINGS = leaf_fields(load_course(CONTENT).settings)


def test_the_settings_include_the_ones_a_teacher_edits_most():
    assert {"seed", "vocab_size", "val_fraction", "model.n_layer", "pretrain.lr", "pretrain.steps", "sft.steps",
            "reward.folds", "rl.beta"} <= set(SETTINGS)
    assert len(SETTINGS) > 40


@pytest.mark.parametrize("path", SETTINGS)
def test_every_setting_is_part_of_the_key(course, path):
    for quick, field in ((False, "settings"), (True, "quick_settings")):
        edited = dataclasses.replace(course, **{field: with_setting(getattr(course, field), path)})
        assert cache.run_key(edited, quick) != cache.run_key(course, quick), (field, path)


def test_the_quick_key_reads_the_quick_settings_and_the_full_key_the_full_ones(course):
    full, quick = cache.run_key(course, False), cache.run_key(course, True)
    assert full != quick
    lr_full = dataclasses.replace(course, settings=with_setting(course.settings, "pretrain.lr"))
    assert (cache.run_key(lr_full, False), cache.run_key(lr_full, True)) == (cache.run_key(lr_full, False), quick)
    assert cache.run_key(lr_full, False) != full
    lr_quick = dataclasses.replace(course, quick_settings=with_setting(course.quick_settings, "pretrain.lr"))
    assert cache.run_key(lr_quick, False) == full and cache.run_key(lr_quick, True) != quick


def test_a_different_seed_is_a_different_run(course):
    assert cache.run_key(course.with_seed(course.settings.seed + 1), True) != cache.run_key(course, True)


def first_replaced(items: tuple, **changes) -> tuple:
    return (dataclasses.replace(items[0], **changes), *items[1:])


def test_every_text_the_model_reads_is_part_of_the_key(course):
    c = course
    edits = {
        "corpus": dataclasses.replace(c, corpus=first_replaced(c.corpus, text=c.corpus[0].text + " more")),
        "corpus order": dataclasses.replace(c, corpus=c.corpus[::-1]),
        "sft answer": dataclasses.replace(c, sft_pairs=first_replaced(c.sft_pairs, answer="Another answer.")),
        "sft question": dataclasses.replace(c, sft_pairs=first_replaced(c.sft_pairs, question="Another?")),
        "held-out answer": dataclasses.replace(c, heldout_pairs=first_replaced(c.heldout_pairs, answer="Other.")),
        "held-out rubric": dataclasses.replace(c, heldout_pairs=first_replaced(c.heldout_pairs, must=("x",))),
        # the last demonstration held out instead: the same texts in the same order, another split
        "a pair moved to held out": dataclasses.replace(c, sft_pairs=c.sft_pairs[:-1],
                                                        heldout_pairs=(c.sft_pairs[-1], *c.heldout_pairs)),
        "preference chosen": dataclasses.replace(c, preferences=first_replaced(c.preferences, chosen="Yes.")),
        "preference rejected": dataclasses.replace(c, preferences=first_replaced(c.preferences, rejected="No.")),
        "preference order": dataclasses.replace(c, preferences=c.preferences[::-1]),
        "case answer": dataclasses.replace(c, case=dataclasses.replace(c.case, specific_answer="Stop.")),
        "case prompts": dataclasses.replace(c, case=dataclasses.replace(c.case, sample_prompts=("The",))),
    }
    keys = {name: cache.run_key(edited, True) for name, edited in edits.items()}
    assert cache.run_key(course, True) not in keys.values(), [n for n, k in keys.items()
                                                                if k == cache.run_key(course, True)]
    assert len(set(keys.values())) == len(keys), "two different edits gave the same key"


def test_prose_and_the_concept_map_keep_the_key(course):
    teaching = {**course.teaching, "disclaimer": "Edited."}
    edited = dataclasses.replace(course, teaching=teaching, meta={**course.meta, "title": "Another title"},
                                 concepts=course.concepts[1:], production=())
    assert cache.run_key(edited, True) == cache.run_key(course, True)
    assert cache.run_key(edited, False) == cache.run_key(course, False)


def test_changed_training_or_recording_code_is_a_new_key(course, monkeypatch):
    before = cache.run_key(course, True)
    monkeypatch.setattr(cache, "code_version", lambda: "another")
    after_code = cache.run_key(course, True)
    monkeypatch.setattr(cache, "recorder_version", lambda: "another")
    after_both = cache.run_key(course, True)
    assert len({before, after_code, after_both}) == 3


def test_the_key_is_stable_across_calls_and_fit_for_a_file_name(course):
    key = cache.run_key(course, True)
    assert key == cache.run_key(load_course(CONTENT), True)
    assert len(key) == 20 and all(ch in "0123456789abcdef" for ch in key)


def test_save_then_load_gives_the_run_back_and_leaves_no_temporary_file(tmp_path: Path):
    folder = tmp_path / "cache" / "nested"
    run = {"summary": {"pretrain": {"final_val_loss": 2.459}}, "samples": ["a", "b"]}
    cache.save(folder, "abc", run)
    assert cache.load(folder, "abc") == run
    assert [p.name for p in folder.iterdir()] == ["run-abc.json"]
    assert json.loads((folder / "run-abc.json").read_text(encoding="utf-8")) == run
    cache.save(folder, "abc", {"again": 1})                       # replaced, not appended
    assert cache.load(folder, "abc") == {"again": 1}
    assert cache.load(folder, "other") is None                   # never saved
    assert cache.load(tmp_path / "nowhere", "abc") is None        # no cache folder yet


def test_a_damaged_cache_file_is_a_miss_not_an_error(tmp_path: Path):
    (tmp_path / "run-abc.json").write_text('{"summary": ', encoding="utf-8")    # a build killed mid-write
    assert cache.load(tmp_path, "abc") is None
    (tmp_path / "run-def.json").write_bytes(b"\xff\xfe not text")
    assert cache.load(tmp_path, "def") is None
