"""The taught training code, piece by piece, on inputs small enough to work out by hand.

Each expected value is either written out here (worked from the formula in the comment) or
computed a second, plainer way (a loop over windows, the formula again in NumPy), never by
the function under test. Every test runs in well under a second: these are the tests
`make mutants` runs against generator/training/.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import pickle

import numpy as np
import pytest

from generator.stages.sft import dev_split
from generator.training import baselines
from generator.training.autograd import Parameter, Tensor
from generator.training.loop import (
    TrainingDiverged,
    apply_gradients,
    optimise,
    shuffled_batches,
    stop_if_diverged,
)
from generator.training.model import GPT, GPTConfig, RewardModel
from generator.training.optim import AdamW, clip_grad_norm, cosine_lr
from generator.training.pretrain import (
    PretrainConfig,
    evaluate,
    get_batch,
    loss_by_position,
    next_token_loss,
    pretrain,
    token_losses,
    windows,
)
from generator.training.reward import (
    RewardConfig,
    RewardLog,
    bradley_terry_loss,
    cross_validated_margins,
    fold_margins,
    fold_numbers,
    pad,
    rewards,
    score,
    train_reward_model,
)
from generator.training.rl import RLConfig, reinforce
from generator.training.sft import (
    EarlyStopping,
    SFTConfig,
    answer_fit,
    build_batch,
    sft,
    sft_loss,
    token_accuracy,
)
from generator.training.tokenizer import _merge, train_bpe

CFG = GPTConfig(vocab_size=10, block_size=16, n_layer=1, n_head=2, n_embd=8)
PATTERN = np.array([1, 2, 3, 4, 5, 6] * 30)          # a stream a model can learn in a few steps


def model(seed: int = 0) -> GPT:
    return GPT(np.random.default_rng(seed), CFG)


@pytest.fixture
def one_core(monkeypatch):
    """Data parallelism's second process is tested in test_model.py; here both halves run in this process."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)


def quiet(_line: str) -> None:
    pass


# ---------------------------------------------------------------- optim.py


@pytest.mark.parametrize("step, lr", [
    (0, 0.5), (1, 1.0),                           # warm-up: peak * (step + 1) / warmup, warmup = 2
    (2, 1.0),                                     # cosine from the peak ...
    (6, 0.55),                                    # halfway: 0.1 + 0.9 * 0.5 * (1 + cos(pi / 2))
    (10, 0.1),                                    # ... down to a tenth of it
])
def test_cosine_schedule_by_hand(step, lr):
    assert cosine_lr(step, total=10, peak=1.0, warmup=2) == pytest.approx(lr)


def test_cosine_schedule_without_steps_after_warmup_does_not_divide_by_zero():
    assert cosine_lr(2, total=2, peak=1.0, warmup=2) == pytest.approx(1.0)      # progress 0 / max(1, 0)
    assert cosine_lr(3, total=2, peak=2.0, warmup=2) == pytest.approx(2.0 * (0.1 + 0.45 * (1 + math.cos(math.pi))))


def test_adamw_two_steps_by_hand():
    vector, matrix = Parameter(np.array([1.0])), Parameter(np.array([[2.0]]))
    untouched = Parameter(np.array([3.0]))                     # no gradient: no update, no decay
    opt = AdamW([untouched, vector, matrix], lr=0.1, betas=(0.9, 0.95), eps=0.0, weight_decay=0.5)
    assert opt.decay == [0.0, 0.0, 0.5]                        # only matrices decay
    assert AdamW([matrix], lr=0.1).decay == [0.1]              # by default, 0.1
    vector.grad, matrix.grad = np.array([0.5]), np.array([[0.5]])
    opt.step()
    # m = 0.1 * 0.5 = 0.05, v = 0.05 * 0.25 = 0.0125; m_hat = 0.5, v_hat = 0.25: a step of lr * 0.5 / 0.5
    assert vector.data[0] == pytest.approx(1.0 - 0.1)
    assert matrix.data[0, 0] == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1)     # decay first, then the step
    assert untouched.data[0] == 3.0 and not opt.m[0].any() and not opt.v[0].any()
    vector.grad = np.array([-1.0])
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0                                # -0.055
    v = 0.95 * 0.0125 + 0.05 * 1.0                             # 0.061875
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.95 ** 2)
    assert vector.data[0] == pytest.approx(0.9 - 0.1 * m_hat / math.sqrt(v_hat))
    assert opt.t == 2
    opt.zero_grad()
    assert vector.grad is None and matrix.grad is None


def test_adamw_eps_keeps_a_zero_gradient_finite():
    p = Parameter(np.array([1.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.0)
    p.grad = np.array([0.0])
    opt.step()
    assert p.data[0] == 1.0


def test_gradient_clipping_scales_all_gradients_together():
    a, b, none = Parameter(np.zeros(1)), Parameter(np.zeros(1)), Parameter(np.zeros(1))
    a.grad, b.grad = np.array([3.0]), np.array([4.0])           # global norm 5
    assert clip_grad_norm([a, b, none], 1.0) == pytest.approx(5.0)
    assert (a.grad[0], b.grad[0]) == pytest.approx((0.6, 0.8)) and none.grad is None
    a.grad, b.grad = np.array([3.0]), np.array([4.0])
    assert clip_grad_norm([a, b], 5.0) == pytest.approx(5.0)  # at the limit: untouched
    assert (a.grad[0], b.grad[0]) == (3.0, 4.0)
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(5.0) and (a.grad[0], b.grad[0]) == (3.0, 4.0)


# ---------------------------------------------------------------- loop.py


def test_a_finite_loss_passes_and_nan_or_inf_stops_with_stage_and_step():
    stop_if_diverged(Tensor(np.array(2.5)), "SFT", 3)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(TrainingDiverged) as err:
            stop_if_diverged(Tensor(np.array(bad)), "pretraining", 7)
        assert str(err.value) == f"pretraining: loss became {bad} at step 7; try a lower learning rate in course.toml"
        assert (err.value.stage, err.value.step) == ("pretraining", 7)


def test_a_divergence_travels_between_processes_whole():
    again = pickle.loads(pickle.dumps(TrainingDiverged("reward model", 4, math.inf)))
    assert (again.stage, again.step, again.loss) == ("reward model", 4, math.inf)
    assert str(again) == "reward model: loss became inf at step 4; try a lower learning rate in course.toml"


@pytest.mark.parametrize("n, size", [(5, 2), (3, 5), (4, 4)])
def test_shuffled_batches_are_consecutive_permutations_cut_into_batches(n, size):
    batches = shuffled_batches(np.random.default_rng(9), n, size)
    drawn = [i for _ in range(6) for i in next(batches)]
    rng = np.random.default_rng(9)                                 # the same draws, one permutation at a time
    passes = [i for _ in range(len(drawn) // n + 1) for i in rng.permutation(n).tolist()]
    assert drawn == passes[:len(drawn)]
    assert all(len(batch) == size for batch in (next(batches) for _ in range(3)))


def test_optimise_takes_a_fresh_gradient_clips_it_and_steps():
    p = Parameter(np.array([1.0, -2.0]))
    p.grad = np.array([100.0, 100.0])                              # stale: must not leak into this step
    opt = AdamW([p], lr=0.5, eps=0.0, weight_decay=0.0)
    loss = (p * p).sum() * 0.5                                     # gradient = p = (1, -2), norm sqrt(5)
    norm = optimise(opt, loss, lr=0.1, grad_clip=1.0, stage="test", step=0)
    assert norm == pytest.approx(math.sqrt(5))
    np.testing.assert_allclose(p.grad, np.array([1.0, -2.0]) / math.sqrt(5))   # clipped to norm 1
    np.testing.assert_allclose(p.data, [1.0 - 0.1, -2.0 + 0.1])                 # Adam's first step: lr * sign
    assert opt.lr == 0.1
    with pytest.raises(TrainingDiverged, match=r"^test: loss became nan at step 1;"):
        optimise(opt, Tensor(np.array(math.nan)), 0.1, 1.0, "test", 1)


def test_apply_gradients_uses_the_given_learning_rate():
    p = Parameter(np.array([0.0]))
    p.grad = np.array([2.0])
    opt = AdamW([p], lr=99.0, eps=0.0, weight_decay=0.0)
    assert apply_gradients(opt, lr=0.25, grad_clip=10.0) == pytest.approx(2.0)
    assert p.data[0] == pytest.approx(-0.25)


# ---------------------------------------------------------------- baselines.py


def test_count_baselines_by_hand():
    assert baselines.uniform_loss(100) == pytest.approx(math.log(100))
    # unigram, add-one: counts of 0, 1, 2 in [0, 0, 1] are 3, 2, 1 out of 6; it predicts val[1:] = [0, 1]
    assert baselines.unigram_loss(np.array([0, 0, 1]), np.array([1, 0, 1]), 3) == \
        pytest.approx(-(math.log(3 / 6) + math.log(2 / 6)) / 2)
    # bigram with alpha 1: after 0 came 0 once and 1 once, so p(1 | 0) = (1 + 1) / (2 + 3)
    assert baselines._bigram_nll(np.array([0, 0, 1]), np.array([0, 1]), 3, 1.0) == pytest.approx(-math.log(2 / 5))


def plain_bigram_nll(train, val, vocab, alpha) -> float:
    """The bigram loss again, with loops."""
    counts = [[alpha] * vocab for _ in range(vocab)]
    for a, b in zip(train[:-1], train[1:]):
        counts[a][b] += 1
    return -sum(math.log(counts[a][b] / sum(counts[a])) for a, b in zip(val[:-1], val[1:])) / (len(val) - 1)


def test_bigram_smoothing_is_chosen_on_the_training_tail_never_on_validation():
    rng = np.random.default_rng(0)
    train, val = rng.integers(0, 6, 300), rng.integers(0, 6, 80)
    cut = int(len(train) * 0.9)
    alpha = min(baselines.SMOOTHING_GRID, key=lambda a: plain_bigram_nll(train[:cut], train[cut:], 6, a))
    assert baselines.bigram_loss(train, val, 6) == pytest.approx(plain_bigram_nll(train, val, 6, alpha))
    for a in baselines.SMOOTHING_GRID:
        assert baselines._bigram_nll(train, val, 6, a) == pytest.approx(plain_bigram_nll(train, val, 6, a))


# ---------------------------------------------------------------- pretrain.py


def test_batches_and_windows_are_the_stream_and_the_stream_shifted_by_one():
    tokens = np.arange(100)
    x, y = get_batch(np.random.default_rng(1), tokens, batch_size=5, seq_len=7)
    assert x.shape == y.shape == (5, 7)
    assert (y == x + 1).all() and (np.diff(x, axis=1) == 1).all() and x[:, -1].max() <= 98 - 1
    x, y = windows(np.arange(10), seq_len=4, stride=2)
    assert x.tolist() == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]
    assert y.tolist() == [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7, 8]]


def test_batches_start_anywhere_a_whole_window_and_its_targets_fit():
    tokens = np.arange(9)                                      # seq_len 6: starts 0 and 1 (target up to token 7)
    starts = {int(get_batch(np.random.default_rng(seed), tokens, 1, 6)[0][0, 0]) for seed in range(40)}
    assert starts == {0, 1}


def test_token_losses_are_the_loss_before_averaging():
    m = model()
    x, y = windows(PATTERN[:40], seq_len=8, stride=8)
    losses = token_losses(m, x, y)
    assert losses.shape == (4, 8)
    assert losses.mean() == pytest.approx(float(next_token_loss(m, x, y).data), rel=1e-6)
    flat = GPT(np.random.default_rng(0), CFG)
    for p in flat.parameters():
        p.data[...] = 0.0                                       # every logit 0: a uniform guess
    assert token_losses(flat, x, y) == pytest.approx(np.full((4, 8), math.log(CFG.vocab_size)))


@pytest.mark.parametrize("length", [33, 32, 30, 25, 5])     # 4 whole windows of 8; a shorter last one; none whole
def test_validation_loss_covers_every_token_once(length):
    m, stream = model(1), PATTERN[:length]
    total, count, start = 0.0, 0, 0
    while start < length - 1:                                      # consecutive windows, the last one shorter
        end = min(start + 8, length - 1)
        total += token_losses(m, stream[None, start:end], stream[None, start + 1:end + 1]).sum()
        count += end - start
        start = end
    assert count == length - 1
    assert evaluate(functools.partial(token_losses, m), stream, seq_len=8) == pytest.approx(total / count, rel=1e-6)


def test_loss_by_position_averages_each_position_over_the_windows():
    m, stream = model(2), PATTERN[:60]
    rows = [token_losses(m, stream[None, s:s + 8], stream[None, s + 1:s + 9])[0] for s in range(0, 52, 4)]
    losses = functools.partial(token_losses, m)
    np.testing.assert_allclose(loss_by_position(losses, stream, seq_len=8, stride=4), np.mean(rows, axis=0),
                               rtol=1e-6)
    rows = [token_losses(m, stream[None, s:s + 8], stream[None, s + 1:s + 9])[0] for s in (0, 16, 32, 48)]
    np.testing.assert_allclose(loss_by_position(losses, stream, seq_len=8), np.mean(rows, axis=0), rtol=1e-6)  # 16


def test_pretraining_learns_a_pattern_and_logs_what_the_page_shows(one_core):
    m = model(3)
    cfg = PretrainConfig(steps=8, batch_size=4, seq_len=6, lr=0.03, warmup=2, weight_decay=0.1, grad_clip=1.0,
                         eval_every=3, samples_at=2, sample_tokens=3, temperature=0.8)
    before = evaluate(functools.partial(token_losses, copy.deepcopy(m)), PATTERN[100:], cfg.seq_len)
    lines = []
    history = pretrain(m, PATTERN[:100], PATTERN[100:], {"one": [1], "four": [4, 5]}, cfg,
                       np.random.default_rng(5), lines.append)
    assert len(history.train_loss) == 8 and history.train_loss[-1] < history.train_loss[0]
    assert [e["step"] for e in history.evals] == [0, 3, 6, 8]
    assert history.evals[0]["val_loss"] == pytest.approx(before)
    assert history.evals[-1]["val_loss"] == pytest.approx(evaluate(functools.partial(token_losses, m), PATTERN[100:],
                                                                   cfg.seq_len))
    np.testing.assert_allclose(history.position_loss, loss_by_position(functools.partial(token_losses, m),
                                                                       PATTERN[100:], cfg.seq_len), rtol=1e-6)
    assert history.evals[-1]["val_loss"] < before
    for e in history.evals:
        assert e["perplexity"] == pytest.approx(math.exp(e["val_loss"]))
        assert e["tokens_seen"] == e["step"] * 4 * 6
    # the schedule at steps 0, 3, 6 and (for the last) 7: warm-up 0.015, then a cosine over 6 steps
    expected_lr = [0.015, *(0.03 * (0.1 + 0.45 * (1 + math.cos(k * math.pi / 6))) for k in (1, 4, 5))]
    assert [e["lr"] for e in history.evals] == pytest.approx(expected_lr)
    assert [(s["step"], s["prompt"], len(s["ids"])) for s in history.samples] == \
        [(0, "one", 3), (0, "four", 3), (8, "one", 3), (8, "four", 3)]
    assert lines[0] == f"step    0 | val loss {before:.4f} | perplexity {math.exp(before):6.2f}" and len(lines) == 4


def test_a_diverging_pretraining_names_its_stage(one_core):
    cfg = PretrainConfig(steps=3, batch_size=2, seq_len=4, lr=1e30, warmup=1, grad_clip=1e30, eval_every=10,
                         samples_at=1, sample_tokens=1)
    with pytest.raises(TrainingDiverged, match=r"^pretraining: loss became (nan|inf) at step [12]"), \
            np.errstate(all="ignore"):
        pretrain(model(), PATTERN[:50], PATTERN[50:80], {"p": [1]}, cfg, np.random.default_rng(0), quiet)


# ---------------------------------------------------------------- sft.py


def test_a_batch_masks_everything_but_the_answer_tokens():
    x, y, mask = build_batch([([1, 2], [3, 4, 5]), ([6], [7])], pad_id=0)
    assert x.tolist() == [[1, 2, 3, 4], [6, 0, 0, 0]]
    assert y.tolist() == [[2, 3, 4, 5], [7, 0, 0, 0]]
    assert mask.tolist() == [[0, 1, 1, 1], [1, 0, 0, 0]]      # a position counts when its target is the answer's


def test_token_accuracy_counts_masked_positions_only():
    logits = np.zeros((1, 4, 3))
    logits[0, [0, 1, 2, 3], [2, 1, 0, 0]] = 1.0                  # top guesses: 2, 1, 0, 0
    y, mask = np.array([[2, 0, 0, 1]]), np.array([[1.0, 1.0, 1.0, 0.0]])
    assert token_accuracy(logits, y, mask) == pytest.approx(2 / 3)


def test_answer_fit_and_the_sft_loss_are_the_masked_answer_loss_plus_weighted_replay():
    m = model(4)
    x, y, mask = build_batch([([1, 2], [3, 4, 5]), ([6], [7, 8])], pad_id=0)
    logits = m(x).data
    z = logits - logits.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    by_hand = -(np.take_along_axis(log_p, y[..., None], -1)[..., 0] * mask).sum() / mask.sum()
    loss, accuracy = answer_fit(m, (x, y, mask))
    assert loss == pytest.approx(by_hand, rel=1e-6)
    assert accuracy == pytest.approx(((logits.argmax(-1) == y) * mask).sum() / mask.sum())
    rx, ry = windows(PATTERN[:20], seq_len=6, stride=6)
    replay = float(next_token_loss(m, rx, ry).data)
    assert float(sft_loss(m, x, y, mask, rx, ry, 0.0).data) == pytest.approx(by_hand, rel=1e-6)
    assert float(sft_loss(m, x, y, mask, rx, ry, 2.0).data) == pytest.approx(by_hand + 2.0 * replay, rel=1e-6)


def test_fine_tuning_learns_its_answers_and_measures_the_held_out_ones(one_core):
    examples = [([1, 2], [3, 4, 5]), ([4, 5], [6, 1]), ([2, 3], [4, 5, 6]), ([5, 6], [1, 2])]
    heldout = [([3, 4], [5, 6])]
    cfg = SFTConfig(steps=10, batch_size=2, lr=0.03, warmup=2, replay_rows=2, replay_len=6, replay_weight=0.5,
                    eval_every=4)
    m = model(5)
    before = answer_fit(copy.deepcopy(m), build_batch(examples, 0))
    lines = []
    history = sft(m, examples, 0, PATTERN, cfg, np.random.default_rng(6), lines.append, heldout=heldout)
    assert history.steps == [0, 4, 8, 10]
    assert history.loss[0] == pytest.approx(before[0]) and history.token_accuracy[0] == pytest.approx(before[1])
    assert history.loss[-1] < history.loss[0]
    assert history.loss[-1] == pytest.approx(answer_fit(m, build_batch(examples, 0))[0])
    assert history.heldout_loss[-1] == pytest.approx(answer_fit(m, build_batch(heldout, 0))[0])
    assert len(history.heldout_token_accuracy) == len(history.token_accuracy) == 4
    assert lines[0] == (f"step    0 | loss {before[0]:.4f} | answer-token accuracy {before[1]:.1%} | "
                        f"held-out loss {history.heldout_loss[0]:.4f}")
    history = sft(model(5), examples, 0, PATTERN, cfg, np.random.default_rng(6), quiet)
    assert history.heldout_loss == [] and history.heldout_token_accuracy == [] and len(history.loss) == 4


# ---------------------------------------------------------------- reward.py


def test_early_stopping_keeps_the_lowest_and_stops_after_patience_measurements_without_one():
    m = model(1)
    stopping = EarlyStopping(m, patience=2, min_delta=0.01)
    weights = {}
    for step, dev_loss in [(0, 3.0), (10, 2.0), (20, 2.5), (30, 1.99), (40, 2.1)]:  # 1.99: not 1% lower
        for p in m.parameters():
            p.data[...] = step                                   # weights that say which step they are from
        weights[step] = [p.data.copy() for p in m.parameters()]
        stop = stopping.should_stop(step, dev_loss)
        assert stop == (step == 30), step                        # waited 20 and 30: two without a new lowest
        if stop:
            break
    assert (stopping.best_step, stopping.best_loss) == (10, 2.0)
    stopping.restore_best()
    assert all(np.array_equal(p.data, w) for p, w in zip(m.parameters(), weights[10]))


def test_fine_tuning_stops_on_the_dev_pairs_and_keeps_their_best_step(one_core):
    examples = [([1, 2], [3, 4, 5]), ([4, 5], [6, 1]), ([2, 3], [4, 5, 6]), ([5, 6], [1, 2])]
    dev = [([3, 4], [5, 6, 1])]
    cfg = SFTConfig(steps=200, batch_size=2, lr=0.05, warmup=2, replay_rows=2, replay_len=6, replay_weight=0.0,
                    eval_every=5, patience=3)
    m = model(5)
    history = sft(m, examples, 0, PATTERN, cfg, np.random.default_rng(6), quiet, dev=dev)
    lowest = int(np.argmin(history.dev_loss))
    assert history.best_step == history.steps[lowest]
    if history.steps[-1] < cfg.steps:                            # stopped early: exactly patience measurements later
        assert len(history.steps) - 1 - lowest == cfg.patience
    assert answer_fit(m, build_batch(dev, 0))[0] == pytest.approx(history.dev_loss[lowest], rel=1e-5)


def test_without_dev_pairs_fine_tuning_runs_every_step_and_keeps_the_last(one_core):
    examples = [([1, 2], [3, 4, 5]), ([4, 5], [6, 1])]
    cfg = SFTConfig(steps=6, batch_size=2, lr=0.01, warmup=1, replay_rows=2, replay_len=6, eval_every=3)
    history = sft(model(2), examples, 0, PATTERN, cfg, np.random.default_rng(1), quiet)
    assert history.steps == [0, 3, 6] and history.best_step == 6 and history.dev_loss == []


@pytest.mark.parametrize(("pairs", "asked", "expected"),
                         [(24, 4, 4), (24, 0, 0), (12, 4, 3), (8, 4, 2), (7, 4, 0), (24, 1, 0), (3, 4, 0)])
def test_dev_pairs_are_at_most_a_quarter_and_at_least_two_drawn_by_the_seed(pairs, asked, expected):
    chosen = dev_split(pairs, asked, seed=7)
    assert len(chosen) == expected and chosen <= set(range(pairs))
    assert dev_split(pairs, asked, seed=7) == chosen


def test_bradley_terry_loss_by_hand():
    loss = bradley_terry_loss(Tensor(np.array([2.0, 0.0])), Tensor(np.array([0.0, 1.0])))
    assert float(loss.data) == pytest.approx((math.log(1 + math.exp(-2)) + math.log(1 + math.exp(1))) / 2)


def test_padding_and_each_sequence_last_token():
    x, last = pad([[1, 2, 3], [4], [5, 6]], pad_id=0)
    assert x.tolist() == [[1, 2, 3], [4, 0, 0], [5, 6, 0]] and last.tolist() == [2, 0, 1]


def judge(seed: int = 0) -> RewardModel:
    rng = np.random.default_rng(seed)
    rm = RewardModel(rng, model(seed))
    rm.head.weight.data[...] = rng.normal(0, 2.0, rm.head.weight.data.shape)
    return rm


def test_rewards_come_back_in_the_order_given_whatever_the_batches():
    rm = judge()
    sequences = [[1, 2, 3, 4, 5], [6], [2, 3], [4, 5, 6, 1], [3]]
    one_by_one = [float(rm(*pad([s], 0)).data[0]) for s in sequences]
    for batch_size in (1, 2, 8):
        np.testing.assert_allclose(rewards(rm, sequences, 0, batch_size).data, one_by_one, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(score(rm, sequences, 0), one_by_one, rtol=1e-5, atol=1e-6)


CHOSEN = [[1, 2, 3, 7], [2, 3, 7], [3, 1, 7], [4, 2, 7], [5, 3, 7], [6, 1, 7]]
REJECTED = [[1, 2, 3, 8], [2, 3, 8], [3, 1, 8], [4, 2, 8], [5, 3, 8], [6, 1, 8]]   # the last token gives it away


def test_the_reward_model_learns_the_pairs_and_logs_as_trl_does():
    sft_model = model(6)
    weights = [p.data.copy() for p in sft_model.parameters()]
    cfg = RewardConfig(steps=6, lr=0.05, warmup=1, folds=3)
    rm, history = train_reward_model(sft_model, CHOSEN, REJECTED, 0, cfg, np.random.default_rng(7))
    assert all((p.data == w).all() for p, w in zip(sft_model.parameters(), weights)), "the SFT model was changed"
    assert [len(history.loss), len(history.margins), len(history.accuracies)] == [7, 7, 7]
    fresh = RewardModel(np.random.default_rng(7), copy.deepcopy(sft_model))    # the model before its first step
    c, r = score(fresh, CHOSEN, 0), score(fresh, REJECTED, 0)
    assert history.loss[0] == pytest.approx(np.mean(np.log1p(np.exp(-(c - r)))), rel=1e-5)
    assert history.margins[0] == pytest.approx(np.mean(c - r), rel=1e-5, abs=1e-7)
    assert (history.chosen[0], history.rejected[0]) == pytest.approx((c.mean(), r.mean()), rel=1e-5, abs=1e-7)
    assert history.accuracies[0] == np.mean(c - r > 0)
    margins = score(rm, CHOSEN, 0) - score(rm, REJECTED, 0)            # the last entry measures the result
    assert history.margins[-1] == pytest.approx(margins.mean(), rel=1e-5)
    assert history.accuracies[-1] == 1.0 and history.loss[-1] < history.loss[0]


def test_the_training_log_lines_every_few_steps_and_the_last():
    log = RewardLog(loss=[0.7, 0.6, 0.5, 0.4, 0.3], margins=[0.0, 0.1, -0.2, 0.3, 0.4],
                    accuracies=[0.5, 0.5, 0.25, 1.0, 1.0])
    assert log.lines(every=2) == ["step    0 | loss 0.7000 | margin +0.000 | accuracy 50%",
                                  "step    2 | loss 0.5000 | margin -0.200 | accuracy 25%",
                                  "step    4 | loss 0.3000 | margin +0.400 | accuracy 100%"]
    assert [line[:9] for line in log.lines(every=3)] == ["step    0", "step    3", "step    4"]
    assert [line[:9] for line in log.lines()] == ["step    0", "step    4"]                 # every 4 by default
    short = RewardLog(loss=[0.7, 0.6, 0.5, 0.4], margins=[0.0] * 4, accuracies=[0.5] * 4)
    assert [line[:9] for line in short.lines(every=2)] == ["step    0", "step    2", "step    3"]


def test_folds_take_turns():
    assert fold_numbers(7, 3).tolist() == [0, 1, 2, 0, 1, 2, 0]


def test_each_fold_is_judged_by_a_model_that_never_saw_it():
    sft_model, cfg = model(8), RewardConfig(steps=2, lr=0.05, warmup=1, folds=3)
    edited = ([c[:-1] for c in CHOSEN], [r[:-1] for r in REJECTED])
    margins, edited_margins = fold_margins(sft_model, CHOSEN, REJECTED, 0, cfg, seed=11, fold=1, edited=edited)
    trained_on = [0, 2, 3, 5]                                          # pairs of folds 0 and 2
    rm, _ = train_reward_model(sft_model, [CHOSEN[i] for i in trained_on], [REJECTED[i] for i in trained_on], 0, cfg,
                               np.random.default_rng([11, 1]))
    held = [1, 4]
    by_hand = score(rm, [CHOSEN[i] for i in held], 0) - score(rm, [REJECTED[i] for i in held], 0)
    np.testing.assert_allclose(margins, by_hand, rtol=1e-5, atol=1e-7)
    by_hand_edited = score(rm, [edited[0][i] for i in held], 0) - score(rm, [edited[1][i] for i in held], 0)
    np.testing.assert_allclose(edited_margins, by_hand_edited, rtol=1e-5, atol=1e-7)
    assert fold_margins(sft_model, CHOSEN, REJECTED, 0, cfg, seed=11, fold=1)[1] is None

    folds_run = []

    def recording_map(function, folds):
        folds = list(folds)
        folds_run.extend(folds)
        return map(function, folds)

    every, every_edited = cross_validated_margins(sft_model, CHOSEN, REJECTED, 0, cfg, 11, recording_map, edited)
    assert folds_run == [0, 1, 2]
    np.testing.assert_allclose(every[held], margins, rtol=1e-6)
    np.testing.assert_allclose(every_edited[held], edited_margins, rtol=1e-6)
    first = fold_margins(sft_model, CHOSEN, REJECTED, 0, cfg, seed=11, fold=0)[0]
    np.testing.assert_allclose(every[[0, 3]], first, rtol=1e-6)
    assert cross_validated_margins(sft_model, CHOSEN, REJECTED, 0, cfg, 11)[1] is None


# ---------------------------------------------------------------- rl.py


def test_the_rl_loop_logs_each_step_and_evaluates_on_schedule():
    reference, rm = model(9), judge(10)
    policy = copy.deepcopy(reference)
    prompts = [[2, 3], [4, 5], [6, 7]]
    cfg = RLConfig(steps=3, prompts_per_step=2, samples_per_prompt=3, max_tokens=4, lr=3e-3, beta=0.5, epochs=1,
                   eval_every=2)
    lines, evaluated = [], []

    def evaluate_policy(p: GPT) -> dict:
        evaluated.append(p)
        return {"score": len(evaluated)}

    history = reinforce(policy, reference, rm, prompts, cfg, np.random.default_rng(12), 0, 1,
                        evaluate_policy, lines.append)
    assert [e["step"] for e in history.evals] == [0, 2, 3] and [e["score"] for e in history.evals] == [1, 2, 3]
    assert all(p is policy for p in evaluated)
    for key in ("scores", "kl", "rlhf_reward", "entropy", "clipfrac", "length"):
        assert len(getattr(history, key)) == 3, key
    assert history.kl[0] == 0.0                                        # the first answers come from the reference
    assert history.clipfrac == [0.0, 0.0, 0.0]                         # one epoch: the ratio is 1, nothing to clip
    for s, kl, shaped in zip(history.scores, history.kl, history.rlhf_reward):
        assert shaped == pytest.approx(s - 0.5 * kl)                   # objective/rlhf_reward = score - beta KL
    assert all(1 <= n <= 4 for n in history.length) and all(e > 0 for e in history.entropy)
    assert lines[0] == (f"step    0 | score {history.scores[0]:+.3f} | KL {history.kl[0]:.3f} | "
                        f"reward - beta KL {history.rlhf_reward[0]:+.3f} | length {history.length[0]:.0f}")
    assert any(not (a.data == b.data).all() for a, b in zip(policy.parameters(), reference.parameters()))
    assert reinforce(copy.deepcopy(reference), reference, rm, prompts, cfg, np.random.default_rng(12), 0, 1,
                     log=quiet).evals == []


def test_more_epochs_clip_and_move_further():
    reference, rm = model(9), judge(10)
    cfg = RLConfig(steps=1, prompts_per_step=2, samples_per_prompt=3, max_tokens=4, lr=3e-2, beta=0.0, epochs=4,
                   clip=0.05)
    one = RLConfig(**{**cfg.__dict__, "epochs": 1})
    far, near = copy.deepcopy(reference), copy.deepcopy(reference)
    history = reinforce(far, reference, rm, [[2, 3], [4, 5]], cfg, np.random.default_rng(13), 0, 1, log=quiet)
    reinforce(near, reference, rm, [[2, 3], [4, 5]], one, np.random.default_rng(13), 0, 1, log=quiet)
    assert 0 < history.clipfrac[0] < 1
    distance = [sum(float(np.abs(p.data - q.data).sum()) for p, q in zip(m.parameters(), reference.parameters()))
                for m in (far, near)]
    assert distance[0] > distance[1] > 0


# ---------------------------------------------------------------- tokenizer.py


def test_bpe_merges_the_most_frequent_pair_and_breaks_ties_by_the_smaller_ids():
    # ids: 4 special tokens, then " " 4, "a" 5, "b" 6. "abab ab": (a, b) three times -> "ab" (7);
    # then "ab ab" once each: (ab, ab), (ab, " "), (" ", ab) tie, and (4, 7) has the smallest first id
    tok = train_bpe("abab ab", " ab", 9)
    assert tok.vocab[4:] == [" ", "a", "b", "ab", " ab"] and tok.merges == [(5, 6), (4, 7)]
    assert tok.encode("ab ab") == [7, 8] and tok.decode([7, 8]) == "ab ab"
    assert tok.encode("a<|end|>b") == [5, 3, 6]                        # merges never cross a special token
    assert train_bpe("a", "ab", 20).size == 6                          # nothing left to merge: it stops
    assert train_bpe("ab<|end|>ab", "ab", 7).merges == [(4, 5)]       # "a" is 4 and "b" 5 in this alphabet
    assert train_bpe("ab", "ab", 6).merges == []                       # no room for a merge


def test_merging_is_left_to_right_and_never_overlaps():
    assert _merge([7, 7, 7], (7, 7), 9) == [9, 7]
    assert _merge([1, 2, 1, 2, 3], (1, 2), 5) == [5, 5, 3]
    assert _merge([2, 1], (1, 2), 5) == [2, 1]


# ---------------------------------------------------------------- rl.py: the pieces around the objective


def test_log_softmax_is_exact_for_large_logits_in_every_row():
    from generator.training.rl import log_softmax
    out = log_softmax(np.array([[1000.0, 0.0], [0.0, -1.0]]))
    np.testing.assert_allclose(out[0], [0.0, -1000.0])
    np.testing.assert_allclose(out[1], [-math.log(1 + math.exp(-1)), -1 - math.log(1 + math.exp(-1))])


def test_clip_fraction_counts_answer_tokens_only():
    from generator.training.rl import clipped_surrogate
    log_probs = Parameter(np.array([[0.0, 0.0], [0.0, 5.0]]))        # ratio e^5 only where there is no answer
    _, clipfrac = clipped_surrogate(log_probs, np.zeros((2, 2)), np.array([1.0, 1.0]),
                                    np.array([[1.0, 1.0], [1.0, 0.0]]), clip=0.2)
    assert clipfrac == 0.0


def test_with_nothing_to_learn_rl_leaves_the_policy_exactly_as_it_was():
    """A judge that scores every answer alike gives every answer an advantage of 0, and at the reference the KL
    has no gradient: no update, and no weight decay either (RLConfig's weight_decay is 0)."""
    reference, rm = model(9), judge(10)
    rm.head.weight.data[...] = 0.0
    policy = copy.deepcopy(reference)
    cfg = RLConfig(steps=2, prompts_per_step=2, samples_per_prompt=2, max_tokens=3, lr=0.1, beta=0.5, epochs=2)
    reinforce(policy, reference, rm, [[2, 3], [4, 5]], cfg, np.random.default_rng(1), 0, 1, log=quiet)
    assert all((p.data == q.data).all() for p, q in zip(policy.parameters(), reference.parameters()))


def test_a_diverging_rl_step_names_its_stage_and_step():
    reference, rm = model(9), judge(10)
    cfg = RLConfig(steps=3, prompts_per_step=2, samples_per_prompt=2, max_tokens=3, lr=1e30, grad_clip=1e30,
                   epochs=2)
    with pytest.raises(TrainingDiverged, match=r"^RL: loss became (nan|inf) at step \d;"), np.errstate(all="ignore"):
        reinforce(copy.deepcopy(reference), reference, rm, [[2, 3], [4, 5]], cfg, np.random.default_rng(1), 0, 1,
                  log=quiet)


# ---------------------------------------------------------------- model.py: generation


def test_sampling_draws_from_the_softmax_at_the_temperature():
    from generator.training.model import next_tokens
    logits = np.array([[2.0, 1.0, 0.0, -1.0], [1.0, 3.0, 0.5, 0.0], [-998.0, -999.0, -1000.0, -1001.0]])
    for temperature in (0.5, 1.0, 2.0):
        for seed in range(20):
            z = logits / temperature
            p = np.exp(z - z.max(axis=1, keepdims=True))
            cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
            u = np.random.default_rng(seed).random((3, 1))          # the draw next_tokens makes
            expected = [int(np.searchsorted(cdf[i], u[i, 0], side="left")) for i in range(3)]
            got = next_tokens(logits, np.random.default_rng(seed), temperature)
            assert got.tolist() == [min(e, 3) for e in expected], (temperature, seed)
    assert next_tokens(logits, None, 1.0).tolist() == [0, 1, 0]                   # greedy: the most likely


def test_generation_budgets_of_zero_and_one_and_the_default_temperature():
    from generator.training.model import generate
    m = model(3)
    assert generate(m, [[1, 2], [3]], 0) == [[], []]
    assert [len(out) for out in generate(m, [[1, 2], [3]], 1)] == [1, 1]
    assert generate(m, [[1, 2]], 5, np.random.default_rng(4)) == \
        generate(m, [[1, 2]], 5, np.random.default_rng(4), temperature=1.0)
