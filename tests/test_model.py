"""The transformer: KV-cache generation equals recomputing everything; data parallelism equals one process."""

import os

import numpy as np
import pytest

from generator.training.autograd import Tensor
from generator.training.model import GPT, GPTConfig, KVCache, generate, next_tokens
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


# ---------------------------------------------------------------- the forward pass against a second implementation

def randomised(cfg: GPTConfig, seed: int = 1) -> GPT:
    """A model whose every parameter is random, biases and layer-norm gains included, so each one shows."""
    model = GPT(np.random.default_rng(seed), cfg)
    rng = np.random.default_rng(seed + 1)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.5, p.data.shape)
    return model


def reference_logits(model: GPT, idx: np.ndarray) -> np.ndarray:
    """The same GPT written out again in plain NumPy, in float64: rotary positions as complex numbers,
    attention with an explicit lower-triangular mask, GELU's tanh formula, the embedding reused as output."""
    cfg = model.cfg
    hs, half = cfg.n_embd // cfg.n_head, cfg.n_embd // cfg.n_head // 2
    T = idx.shape[1]
    turn = np.exp(1j * np.arange(T)[:, None] * 10000.0 ** (-2 * np.arange(half) / hs))   # (T, hs/2)

    def norm(x, ln):
        x = x - x.mean(-1, keepdims=True)
        return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-5) * ln.weight.data + ln.bias.data

    def rotate(x):                                  # channel i and i + hs/2 of each head: one complex number
        z = (x[..., :half] + 1j * x[..., half:]) * turn
        return np.concatenate([z.real, z.imag], axis=-1)

    x = model.tok_emb.data.astype(np.float64)[idx]
    for block in model.blocks:
        a = norm(x, block.ln1) @ block.attn.qkv.weight.data + block.attn.qkv.bias.data
        q, k, v = (a[..., i * cfg.n_embd:(i + 1) * cfg.n_embd].reshape(*idx.shape, cfg.n_head, hs).swapaxes(1, 2)
                   for i in range(3))
        scores = rotate(q) @ rotate(k).swapaxes(-1, -2) / np.sqrt(hs)
        scores = np.where(np.tril(np.ones((T, T), bool)), scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        heads = (weights / weights.sum(-1, keepdims=True)) @ v                     # (B, H, T, hs)
        x = x + heads.swapaxes(1, 2).reshape(x.shape) @ block.attn.proj.weight.data + block.attn.proj.bias.data
        u = norm(x, block.ln2) @ block.mlp.up.weight.data + block.mlp.up.bias.data
        u = 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))
        x = x + u @ block.mlp.down.weight.data + block.mlp.down.bias.data
    return norm(x, model.ln_f) @ model.tok_emb.data.T


def test_the_forward_pass_is_the_transformer_written_out_again():
    cfg = GPTConfig(vocab_size=23, block_size=16, n_layer=2, n_head=2, n_embd=16)
    model = randomised(cfg)
    idx = np.random.default_rng(3).integers(0, cfg.vocab_size, (2, 11))
    logits = model(idx).data
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, reference_logits(model, idx), rtol=2e-4, atol=2e-4)


def test_parameters_and_cached_steps_stay_in_float32():
    """float32 throughout: the weights, what the cache stores, and the logits of a cached step."""
    model = randomised(CFG)
    assert {p.data.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    cache = KVCache(CFG.n_layer, CFG.block_size)
    assert model(np.array([[1, 2, 3]]), cache).data.dtype == np.float32
    assert model(np.array([[4]]), cache).data.dtype == np.float32
    assert {keys.dtype for keys in cache.keys} == {values.dtype for values in cache.values} == {np.dtype(np.float32)}


def test_residual_projections_start_smaller_by_depth():
    """GPT-2's initialisation: weights of std 0.02, the two projections into the residual stream 0.02 / sqrt(2 L)."""
    cfg = GPTConfig(vocab_size=50, block_size=8, n_layer=3, n_head=2, n_embd=64)
    model = GPT(np.random.default_rng(0), cfg)
    for block in model.blocks:
        for linear, std in ((block.attn.qkv, 0.02), (block.mlp.up, 0.02), (block.attn.proj, 0.02 / np.sqrt(6)),
                            (block.mlp.down, 0.02 / np.sqrt(6))):
            assert linear.weight.data.std() == pytest.approx(std, rel=0.05)
            assert not linear.bias.data.any()
    assert model.tok_emb.data.std() == pytest.approx(0.02, rel=0.05)


def test_sampling_at_the_default_temperature_is_sampling_at_1():
    model = trained_looking_model()
    runs = [generate(model, [[1, 2]], 8, np.random.default_rng(5), **kwargs) for kwargs in ({}, {"temperature": 1.0})]
    assert runs[0] == runs[1]


def test_a_draw_above_the_rounded_total_still_picks_a_token_of_the_vocabulary():
    """Probabilities summed in float32 can fall just short of 1; a draw in that gap takes the last token."""
    logits = np.random.default_rng(0).normal(size=(1, 7)).astype(np.float32)   # its probabilities sum to 0.99999994

    class TopDraw:
        def random(self, shape):
            return np.full(shape, 1 - 1e-12)

    assert next_tokens(logits, TopDraw(), 1.0).tolist() == [6]
