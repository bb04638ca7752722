"""The transformer: KV-cache generation equals recomputing everything; data parallelism equals one process."""

import os

import numpy as np
import pytest

from generator.training.autograd import Tensor
from generator.training.model import GPT, GPTConfig, KVCache, generate
from generator.training.parallel import DataParallel
from generator.training.pretrain import next_token_loss

CFG = GPTConfig(vocab_size=20, block_size=32, n_layer=2, n_head=2, n_embd=16)


def trained_looking_model(seed: int = 0) -> GPT:
    """A random model with larger weights than at initialisation, so its predictions are far from uniform."""
    model = GPT(np.random.default_rng(seed), CFG)
    for p in model.parameters():
        p.data *= 20.0 if p.data.ndim >= 2 else 1.0
    return model


def naive_greedy(model: GPT, prompt: list[int], n: int) -> list[int]:
    """The textbook loop: run the whole sequence again for every new token."""
    seq = list(prompt)
    for _ in range(n):
        seq.append(int(np.argmax(model(np.array([seq])).data[0, -1])))
    return seq[len(prompt):]


def test_cached_steps_give_the_same_logits_as_one_full_pass():
    model = trained_looking_model()
    idx = np.random.default_rng(1).integers(0, CFG.vocab_size, size=(3, 9))
    full = model(idx).data                                        # (B, T, V)
    cache = KVCache(CFG.n_layer, CFG.block_size)
    first = model(idx[:, :4], cache).data                         # a prompt of 4 tokens at once,
    rest = [model(idx[:, t:t + 1], cache).data for t in range(4, 9)]   # then one token at a time
    np.testing.assert_allclose(np.concatenate([first, *rest], axis=1), full, rtol=1e-4, atol=1e-5)
    assert len(cache) == 9


def test_batched_generation_equals_one_prompt_at_a_time_without_cache():
    model = trained_looking_model()
    prompts = [[1, 2, 3, 4, 5], [6], [7, 8, 9]]                  # different lengths, no padding needed
    batched = generate(model, prompts, max_new_tokens=6)
    assert batched == [naive_greedy(model, p, 6) for p in prompts]


def test_generation_stops_at_the_stop_token_and_at_the_budget():
    model = trained_looking_model()
    prompt = [3, 1, 4]
    free = naive_greedy(model, prompt, 8)
    stop = free[2]
    out = generate(model, [prompt], max_new_tokens=8, stop=stop)[0]
    assert out == free[:free.index(stop) + 1]
    assert len(generate(model, [prompt], max_new_tokens=5)[0]) == 5


def test_generation_never_runs_past_the_block_size():
    model = trained_looking_model()
    out = generate(model, [[1] * 30], max_new_tokens=10)[0]
    assert len(out) == CFG.block_size - 30


def test_sampling_is_reproducible_with_the_same_generator():
    model = trained_looking_model()
    draw = [generate(model, [[1, 2], [3]], 10, np.random.default_rng(7), temperature=0.8) for _ in range(2)]
    assert draw[0] == draw[1]


# ---------------------------------------------------------------- data parallelism

def whole_batch(model: GPT, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """The reference: loss and gradients of the whole batch, in this process."""
    loss = next_token_loss(model, x, y)
    for p in model.parameters():
        p.grad = None
    loss.backward()
    return float(loss.data), [p.grad.copy() for p in model.parameters()]


def assert_same(loss: Tensor, model: GPT, expected: tuple[float, list[np.ndarray]]) -> None:
    assert float(loss.data) == pytest.approx(expected[0], rel=1e-5)
    for p, g in zip(model.parameters(), expected[1]):
        np.testing.assert_allclose(p.grad, g, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cores", [2, 1])
def test_data_parallel_gives_the_whole_batch_loss_and_gradient(cores, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)       # 1 core: both halves run in this process
    model = trained_looking_model()
    x, y = np.random.default_rng(3).integers(0, CFG.vocab_size, (2, 5, 7))   # odd batch: 3 + 2 rows
    with DataParallel(model) as dp:
        assert (dp.process is not None) == (cores == 2)
        assert_same(dp.backward(next_token_loss, x, y), model, whole_batch(model, x, y))
        for p in model.parameters():
            p.data *= 0.5                                      # an in-place update, as AdamW makes ...
        assert_same(dp.backward(next_token_loss, x, y), model, whole_batch(model, x, y))   # ... reaches both
    assert all(p.data.base is None for p in model.parameters()), "weights must not point into freed memory"


def loss_failing_on_one_row(model, x, y):
    """Fine on the first half of a 3-row batch (2 rows), broken on the second (1 row)."""
    if len(x) == 1:
        raise ValueError("broken loss")
    return next_token_loss(model, x, y)


def test_an_error_in_the_other_process_is_raised_here():
    model = trained_looking_model()
    x, y = np.zeros((2, 3, 4), dtype=int)
    with pytest.raises(ValueError, match="broken loss"), DataParallel(model) as dp:
        assert dp.process is not None
        dp.backward(loss_failing_on_one_row, x, y)
