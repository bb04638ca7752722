"""The models shipped in the page (generator/export.py), checked against the run and the training code."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from generator import export
from generator.pipeline import split_corpus
from generator.stages import STAGES
from generator.training.model import GPT, GPTConfig, RewardModel
from generator.training.tokenizer import END, Tokenizer, chat_prompt

from .conftest import quick_course

PROJECT = Path(__file__).parent.parent
PLAYGROUND_FILES = ("generator/export.py", "generator/playground_view.py", "templates/page/playground.js",
                    "templates/page/playground_model.js", "templates/page/playground.css",
                    "templates/page/playground_try.html.j2", "templates/page/sections/playground.html.j2",
                    "templates/page/deck/playground.html.j2", "templates/docs/playground.md.j2")


def decoded(tensor: dict) -> np.ndarray:
    """A shipped parameter, read back the way the page's JavaScript reads it."""
    raw = np.frombuffer(base64.b64decode(tensor["float16"]), dtype="<f2").astype(np.float32)
    return raw.reshape(tensor["shape"])


def shipped(run: dict, name: str):
    """The model the page runs, rebuilt with the training code's own classes from the shipped weights."""
    entry = next(m for m in run["playground"]["models"] if m["name"] == name)
    cfg = GPTConfig(**run["config"]["model"])
    rng = np.random.default_rng(0)
    model = GPT(rng, cfg) if entry["kind"] == "language" else RewardModel(rng, GPT(rng, cfg))
    for path, p in export.named_parameters(model).items():
        p.data = decoded(entry["weights"][path])
    return model


def tokenizer(run: dict) -> Tokenizer:
    return Tokenizer(run["tokenizer"]["vocab"], [tuple(m) for m in run["tokenizer"]["merges"]])


def language_models(run: dict) -> list[dict]:
    return [m for m in run["playground"]["models"] if m["kind"] == "language"]


def test_every_trained_model_is_shipped_in_training_order_labelled_by_its_stage(quick_run):
    models = quick_run["playground"]["models"]
    stages = list(STAGES)
    by_name = {m["name"]: m for m in models}
    assert {"pretrained": "pretrain", "sft": "sft", "reward": "reward"}.items() <= \
        {name: m["stage"] for name, m in by_name.items()}.items()
    assert [stages.index(m["stage"]) for m in models] == sorted(stages.index(m["stage"]) for m in models)
    assert by_name["reward"]["kind"] == "reward"
    assert all(m["kind"] == "language" for m in models if m["name"] != "reward")


def test_no_model_name_is_written_into_the_export_or_the_page_code():
    """The export and the page read ctx.models and the Run generically, so stage 4's policy needs no edit."""
    for path in PLAYGROUND_FILES:
        code = (PROJECT / path).read_text(encoding="utf-8")
        assert not re.search(r"""["'](pretrained|sft|policy)["']""", code), path


def test_the_playground_holds_no_course_words():
    """Nothing in the playground is about the default course: another course gets its own models and texts."""
    domain = ("pharm", "metformin", "warfarin", "egfr", "renal", "kidney", "clinic", "patient", "drug",
              "dose", "prescri", "medic")
    for path in PLAYGROUND_FILES:
        text = (PROJECT / path).read_text(encoding="utf-8").lower()
        assert not [word for word in domain if word in text], path


def test_shipped_weights_have_every_parameter_as_float16(quick_run):
    n_params = quick_run["config"]["parameters"]
    n_embd = quick_run["config"]["model"]["n_embd"]
    for m in quick_run["playground"]["models"]:
        sizes = [decoded(t).size for t in m["weights"].values()]
        expected = n_params if m["kind"] == "language" else n_params + n_embd + 1     # the reward head
        assert sum(sizes) == m["parameters"] == expected, m["name"]
        assert m["bytes"] == 2 * expected
        assert sum(len(base64.b64decode(t["float16"])) for t in m["weights"].values()) == m["bytes"]


def test_float16_moves_no_language_model_beyond_the_rule(quick_run):
    for m in language_models(quick_run):
        f = m["fidelity"]
        assert abs(f["val_loss_shipped"] - f["val_loss_full"]) <= 0.01, m["name"]
        assert f["top1_agreement_shipped"] >= 0.99, m["name"]
    summary = quick_run["summary"]["playground"]
    assert summary["meets_rule"]
    assert summary["min_top1_agreement"] == min(m["fidelity"]["top1_agreement_shipped"]
                                                for m in language_models(quick_run))


def test_full_precision_validation_loss_is_the_one_pretraining_measured(quick_run):
    pretrained = next(m for m in quick_run["playground"]["models"] if m["name"] == "pretrained")
    assert pretrained["fidelity"]["val_loss_full"] == pytest.approx(quick_run["pretrain"]["evals"][-1]["val_loss"],
                                                                     abs=1e-5)


def test_reference_outputs_are_the_shipped_models_own(quick_run):
    """Rebuilt from the page's weights with the training code, each model gives the reference's numbers."""
    tok = tokenizer(quick_run)
    reference = quick_run["playground"]["reference"]
    assert len(reference["texts"]) >= 3
    for text in reference["texts"]:
        ids = [t["id"] for t in text["tokens"] if t["id"] is not None]
        for m in language_models(quick_run):
            logits = shipped(quick_run, m["name"])(np.array([ids])).data[0, -1].astype(np.float64)
            p = np.exp(logits - logits.max())
            p /= p.sum()
            top = text["next"][m["name"]]
            assert [t["id"] for t in top] == list(np.argsort(-p, kind="stable")[:5])
            assert [t["p"] for t in top] == pytest.approx(p[[t["id"] for t in top]].tolist(), abs=1e-6)
            assert [t["token"] for t in top] == [tok.vocab[t["id"]] for t in top]
    judge = shipped(quick_run, "reward")
    for r in reference["rewards"]:
        ids = tok.encode(f"{chat_prompt(r['prompt'])}{r['answer']}{END}")
        score = judge(np.array([ids]), np.array([len(ids) - 1])).data[0]
        assert r["score"] == pytest.approx(float(score), abs=1e-5)


def test_tokens_flag_characters_outside_the_vocabulary(quick_run):
    tok = tokenizer(quick_run)
    a, b = (tok.vocab[i] for i in tok.merges[0])            # the first merge joins these two
    unknown = export.unknown_character(tok)
    assert unknown not in "".join(tok.vocab)
    assert [t["id"] for t in export.tokens(tok, a + b)] == tok.encode(a + b)
    split = export.tokens(tok, f"{a}{unknown}{b}")
    assert [t["id"] for t in split] == tok.encode(a) + [None] + tok.encode(b)          # no merge across it
    assert "".join(t["text"] for t in split) == f"{a}{unknown}{b}"
    special = export.tokens(tok, chat_prompt(a))
    assert [t["id"] for t in special] == tok.encode(chat_prompt(a))
    first = quick_run["playground"]["reference"]["texts"][-1]
    assert any(t["id"] is None for t in first["tokens"]), "a reference text checks the flagging"


def test_game_sentences_are_held_out_text_no_model_trained_on(quick_run):
    course = quick_course()
    settings = course.quick_settings
    tok = course.tokenizer(settings.vocab_size)
    train, val = split_corpus(tok, course, settings.val_fraction)
    sentences = quick_run["playground"]["game"]["sentences"]
    assert sentences
    for sentence in sentences:
        assert sentence in tok.decode(val.tolist()) and sentence not in tok.decode(train.tolist()), sentence
    for m in language_models(quick_run):
        score = quick_run["playground"]["game"]["scores"][m["name"]]
        assert score["guesses"] == sum(len(tok.encode(s)) - 1 for s in sentences)
        assert 0 <= score["top1"] <= 1 and 0 < score["mean_p"] < 1


def test_fool_the_judge_starts_from_the_smallest_right_margin_and_its_edits_give_the_recorded_one(quick_run):
    tok = tokenizer(quick_run)
    judge = shipped(quick_run, "reward")
    found = quick_run["playground"]["fool_the_judge"]

    def score(prompt: str, answer: str) -> float:
        ids = tok.encode(f"{chat_prompt(prompt)}{answer}{END}")
        return float(judge(np.array([ids]), np.array([len(ids) - 1])).data[0])

    pairs = quick_course().preferences
    margins = {p.id: score(p.prompt, p.chosen) - score(p.prompt, p.rejected) for p in pairs}
    right = {pid: m for pid, m in margins.items() if m > 0}
    assert found["pair"] == min(right, key=right.get)
    assert found["margin"] == pytest.approx(margins[found["pair"]], abs=1e-5)
    after = score(found["prompt"], found["chosen_after"]) - score(found["prompt"], found["rejected_after"])
    assert found["margin_after"] == pytest.approx(after, abs=1e-5)
    assert found["flipped"] == (after < 0)
    assert 1 <= len(found["edits"]) <= export.JUDGE_EDITS
    pair = next(p for p in pairs if p.id == found["pair"])
    for side, text in (("chosen", pair.chosen), ("rejected", pair.rejected)):
        deleted = [e["word"] for e in found["edits"] if e["answer"] == side]
        assert len(found[f"{side}_after"].split()) == len(text.split()) - len(deleted)


def test_int8_rows_round_each_value_to_within_half_a_step():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.1, (8, 16)).astype(np.float32)
    w[3] = 0.0
    q = export.int8_rows(w)
    step = np.abs(w).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(q - w) <= step / 2 + 1e-7)
    assert np.all(q[3] == 0)
    vector = w[0].copy()
    assert np.array_equal(export.int8_rows(vector), vector)                # vectors are not rounded
    assert len(np.unique(q[0] / step[0])) <= 255


def test_float16_encoding_is_little_endian_half_precision():
    w = np.array([[1.0, -2.5, 1e-3], [65504.0, 0.0, 3.14159]], dtype=np.float32)
    entry = export.encode(w)
    assert entry["shape"] == [2, 3]
    assert np.array_equal(decoded(entry), w.astype(np.float16).astype(np.float32))
    assert base64.b64decode(entry["float16"])[:2] == bytes([0x00, 0x3C])   # 1.0 in binary16, low byte first
