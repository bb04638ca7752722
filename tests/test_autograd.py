"""Every autograd operation's backward pass agrees with finite differences."""

import math

import numpy as np
import pytest

from generator.training.autograd import Parameter, Tensor, cat, minimum, sigmoid

RNG = np.random.default_rng(0)


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of x (changed in place)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def check(build, *shapes):
    """build(*tensors) -> Tensor; compare analytic and numeric gradients of sum(out * w)."""
    params = [Parameter(RNG.normal(size=s)) for s in shapes]
    weights = RNG.normal(size=build(*params).shape)

    def f():
        return float((build(*params).data * weights).sum())

    out = build(*params)
    (out * weights).sum().backward()
    for p in params:
        np.testing.assert_allclose(p.grad, numeric_grad(f, p.data), rtol=1e-5, atol=1e-7)


OPS = {
    "add with broadcasting": (lambda a, b: a + b, (3, 4), (4,)),
    "mul with broadcasting": (lambda a, b: a * b, (2, 3, 4), (3, 1)),
    "sub": (lambda a, b: a - b, (3, 4), (3, 4)),
    "matmul": (lambda a, b: a @ b, (3, 4), (4, 5)),
    "batched matmul": (lambda a, b: a @ b, (2, 3, 4), (2, 4, 5)),
    "matmul broadcasting a weight": (lambda a, b: a @ b, (2, 3, 4), (4, 5)),
    "reshape": (lambda a: a.reshape(6, 2), (3, 4)),
    "transpose": (lambda a: a.transpose(2, 0, 1), (2, 3, 4)),
    "getitem rows (repeated)": (lambda a: a[np.array([0, 2, 0])], (3, 4)),
    "getitem pairs": (lambda a: a[np.arange(2), np.array([1, 3])], (2, 4, 3)),
    "getitem repeated pairs": (lambda a: a[np.array([0, 0, 1]), np.array([2, 2, 0])], (2, 4)),
    "mul broadcasting 1 to 2": (lambda a, b: a * b, (3, 2), (3, 1)),
    "sum": (lambda a: a.sum(), (3, 4)),
    "mean": (lambda a: a.mean(), (3, 4)),
    "gelu": (lambda a: a.gelu(), (3, 4)),
    "softmax": (lambda a: a.softmax(), (2, 3, 5)),
    "layer_norm": (lambda a, w, b: a.layer_norm(w, b), (2, 3, 6), (6,), (6,)),
    "neg_log_sigmoid": (lambda a: a.neg_log_sigmoid(), (7,)),
    "cat": (lambda a, b, c: cat([a, b, c], axis=1), (2, 3), (2, 1), (2, 4)),
    "exp": (lambda a: a.exp(), (3, 4)),
    "clip": (lambda a: a.clip(-0.5, 0.7), (4, 5)),
    "log_softmax": (lambda a: a.log_softmax(), (2, 3, 5)),
    "minimum": (lambda a, b: minimum(a, b), (3, 4), (3, 4)),
}


@pytest.mark.parametrize("name", OPS)
def test_gradient_matches_finite_differences(name):
    build, *shapes = OPS[name]
    check(build, *shapes)


def test_cross_entropy_gradient_with_mask():
    targets = RNG.integers(0, 5, size=(2, 3))
    mask = np.array([[1, 0, 1], [1, 1, 0]])
    check(lambda logits: logits.cross_entropy(targets, mask), (2, 3, 5))


def test_cross_entropy_of_uniform_logits_is_ln_v():
    logits = Tensor(np.zeros((2, 3, 10)))
    assert float(logits.cross_entropy(np.zeros((2, 3), dtype=int)).data) == pytest.approx(np.log(10))


def test_gradients_accumulate_when_a_tensor_is_used_twice():
    a = Parameter(np.array([1.0, 2.0]))
    (a * a + a).sum().backward()
    np.testing.assert_allclose(a.grad, 2 * a.data + 1)


def test_backward_lets_go_of_the_graph_and_refuses_to_run_through_it_again():
    """Once used, an intermediate result keeps no inputs, closure or gradient (its arrays are freed); a
    second backward through it is an error, not silently wrong gradients. Leaves keep theirs."""
    a = Parameter(np.array([1.0, 2.0]))
    h = a * a
    loss = h.sum()
    loss.backward()
    np.testing.assert_allclose(a.grad, [2.0, 4.0])
    assert h._children == () and h.grad is None and loss._children == ()
    with pytest.raises(RuntimeError, match="a second time"):
        (h * 3.0).sum().backward()                 # another loss built on the used graph
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()
    a.grad = None
    (a * a * 3.0).sum().backward()                 # a new forward pass: a new graph, right gradients
    np.testing.assert_allclose(a.grad, [6.0, 12.0])


def test_gelu_is_x_times_the_normal_cdf_to_the_tanh_approximations_accuracy():
    """Gradient checks cannot see a wrong constant (forward and backward would agree on it): the values can."""
    x = np.linspace(-4.0, 4.0, 81)
    exact = x * 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in x]))    # x * Phi(x)
    np.testing.assert_allclose(Tensor(x).gelu().data, exact, atol=1e-3)


def test_layer_norm_gives_each_row_mean_zero_and_variance_one_before_its_scale_and_shift():
    x = RNG.normal(3.0, 2.0, (4, 16))
    out = Tensor(x).layer_norm(Parameter(np.ones(16)), Parameter(np.zeros(16))).data
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-9)
    np.testing.assert_allclose(out.var(axis=-1), 1.0, atol=1e-4)          # eps = 1e-5 is all that differs
    shifted = Tensor(x).layer_norm(Parameter(np.full(16, 2.0)), Parameter(np.full(16, 0.5))).data
    np.testing.assert_allclose(shifted, 2.0 * out + 0.5, atol=1e-12)


def test_sigmoid_is_stable_for_large_inputs():
    x = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(sigmoid(x), [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(Tensor(x).neg_log_sigmoid().data))


@pytest.mark.parametrize("shape", [(2, 4, 4), (2, 1, 5), (3, 2, 5)])
def test_causal_softmax_gradient_and_mask(shape):
    """Square scores (training) and the newest rows only (generation with a KV cache)."""
    check(lambda a: a.softmax(causal=True), shape)
    p = Parameter(RNG.normal(size=shape)).softmax(causal=True).data
    T_query, T_key = shape[-2:]
    for row in range(T_query):
        visible = T_key - T_query + row + 1           # keys up to and including this query's position
        assert np.all(p[..., row, visible:] == 0)
        np.testing.assert_allclose(p[..., row, :visible].sum(-1), 1.0)


def test_clip_passes_the_gradient_at_its_bounds_and_not_beyond():
    a = Parameter(np.array([-0.5, 0.7, 0.0, -0.6, 0.8]))
    a.clip(-0.5, 0.7).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0, 0.0, 0.0])


def test_softmax_losses_are_exact_for_large_logits_in_every_row():
    logits = np.array([[[1000.0, 0.0], [0.0, -1.0]]])                  # (1, 2, 2): very different scales
    targets = np.array([[0, 1]])
    expected = (0.0 + (1 + math.log(1 + math.exp(-1)))) / 2
    assert float(Tensor(logits).cross_entropy(targets).data) == pytest.approx(expected)
    np.testing.assert_allclose(Tensor(logits).log_softmax().data[0, 0], [0.0, -1000.0])
    for causal in (False, True):                                       # attention's softmax too
        np.testing.assert_allclose(Tensor(logits).softmax(causal=causal).data[0, 0], [1.0, 0.0])


def test_a_tensor_made_from_numbers_collects_no_gradient():
    assert not Tensor(np.ones(3)).requires_grad and Parameter(np.ones(3)).requires_grad


def test_constants_take_the_dtype_of_the_tensor_they_meet():
    x = Tensor(np.ones(3, dtype=np.float32))
    assert (x - 1.0).data.dtype == np.float32 and (x * 2).data.dtype == np.float32
