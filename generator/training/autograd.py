"""A tiny reverse-mode autograd over NumPy arrays (a tensor-valued micrograd).

Every operation computes its forward result and defines, right beside it, a
`_backward(out_grad)` closure that applies the chain rule for that one operation:
given the gradient of the loss with respect to the operation's output, it adds the
gradients with respect to its inputs. `Tensor.backward()` then visits the graph in
reverse topological order. (The closure is handed `out_grad` rather than reading
`out.grad`, so an output never refers back to itself: a step's graph, with all its
large arrays, is freed the moment the step is over instead of waiting for Python's
cycle collector, which kept several steps' graphs alive at once.)
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes NumPy broadcast, so it matches `shape` again."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array that remembers how it was made, so gradients can flow back."""

    def __init__(self, data, children: tuple[Tensor, ...] = (), requires_grad: bool = False):
        self.data = np.asarray(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad or any(c.requires_grad for c in children)
        self._children = children
        self._backward = _leaf_backward

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def _accumulate(self, grad: np.ndarray) -> None:
        if self.requires_grad:
            self.grad = grad if self.grad is None else self.grad + grad

    # ---- elementwise arithmetic -------------------------------------------
    def __add__(self, other) -> Tensor:
        other = as_tensor(other, like=self)
        out = Tensor(self.data + other.data, (self, other))

        def _backward(out_grad):  # d(a+b)/da = 1, d(a+b)/db = 1
            self._accumulate(_unbroadcast(out_grad, self.shape))
            if other.requires_grad:      # a constant (a number, a mask) needs no gradient
                other._accumulate(_unbroadcast(out_grad, other.shape))

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = as_tensor(other, like=self)
        out = Tensor(self.data * other.data, (self, other))

        def _backward(out_grad):  # d(a*b)/da = b, d(a*b)/db = a
            self._accumulate(_unbroadcast(out_grad * other.data, self.shape))
            if other.requires_grad:
                other._accumulate(_unbroadcast(out_grad * self.data, other.shape))

        out._backward = _backward
        return out

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other) -> Tensor:
        return self + (-as_tensor(other, like=self))

    __radd__ = __add__
    __rmul__ = __mul__

    # ---- linear algebra and shapes -----------------------------------------
    def __matmul__(self, other) -> Tensor:
        other = as_tensor(other, like=self)
        if other.data.ndim == 2 and self.data.ndim > 2:
            return self._matmul_weight(other)
        out = Tensor(self.data @ other.data, (self, other))

        def _backward(out_grad):  # C = A @ B  =>  dA = dC @ B^T,  dB = A^T @ dC
            self._accumulate(_unbroadcast(out_grad @ np.swapaxes(other.data, -1, -2), self.shape))
            other._accumulate(_unbroadcast(np.swapaxes(self.data, -1, -2) @ out_grad, other.shape))

        out._backward = _backward
        return out

    def _matmul_weight(self, weight: Tensor) -> Tensor:
        """(..., n_in) @ (n_in, n_out): the same product, done as one 2-D matrix multiply (faster)."""
        x2d = self.data.reshape(-1, self.shape[-1])                       # (N, n_in)
        out = Tensor((x2d @ weight.data).reshape(*self.shape[:-1], -1), (self, weight))

        def _backward(out_grad):
            g2d = out_grad.reshape(-1, weight.shape[1])                    # (N, n_out)
            self._accumulate((g2d @ weight.data.T).reshape(self.shape))
            weight._accumulate(x2d.T @ g2d)

        out._backward = _backward
        return out

    def reshape(self, *shape: int) -> Tensor:
        out = Tensor(self.data.reshape(shape), (self,))

        def _backward(out_grad):
            self._accumulate(out_grad.reshape(self.shape))

        out._backward = _backward
        return out

    def transpose(self, *axes: int) -> Tensor:
        out = Tensor(self.data.transpose(axes), (self,))

        def _backward(out_grad):
            self._accumulate(out_grad.transpose(np.argsort(axes)))

        out._backward = _backward
        return out

    def __getitem__(self, index) -> Tensor:
        out = Tensor(self.data[index], (self,))

        def _backward(out_grad):  # the gradient goes back to the picked positions only
            grad = np.zeros_like(self.data)
            if _may_repeat(index):
                np.add.at(grad, index, out_grad)   # a row picked twice gets both gradients
            else:
                grad[index] = out_grad
            self._accumulate(grad)

        out._backward = _backward
        return out

    def sum(self) -> Tensor:
        out = Tensor(self.data.sum(), (self,))

        def _backward(out_grad):
            self._accumulate(np.broadcast_to(out_grad, self.shape).copy())

        out._backward = _backward
        return out

    def mean(self) -> Tensor:
        return self.sum() * (1.0 / self.data.size)

    # ---- nonlinearities ------------------------------------------------------
    def gelu(self) -> Tensor:
        """GELU, tanh approximation (as in GPT-2): 0.5 x (1 + tanh(c (x + 0.044715 x^3)))."""
        x = self.data
        c = math.sqrt(2.0 / math.pi)
        t = x * x                                  # the large arrays are updated in place, step by step
        t *= 0.044715 * c
        t += c
        t *= x                                     # c (x + 0.044715 x^3)
        np.tanh(t, out=t)
        y = t + 1.0
        y *= x
        y *= 0.5
        out = Tensor(y, (self,))

        def _backward(out_grad):  # d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2)
            d_inner = x * x
            d_inner *= 3 * 0.044715 * c
            d_inner += c
            local = t * t
            np.subtract(1.0, local, out=local)
            local *= d_inner
            local *= x
            local += t
            local += 1.0
            local *= 0.5
            local *= out_grad
            self._accumulate(local)

        out._backward = _backward
        return out

    def softmax(self, causal: bool = False) -> Tensor:
        """Softmax over the last axis.

        causal=True: for attention scores (..., T, T), row t may only put weight on
        columns 0..t (no peeking at later tokens); the rest get probability 0.
        (With a KV cache the scores are (..., T_new, T_all): the rows are the newest positions.)
        """
        z = self.data + _causal_mask(*self.shape[-2:], self.data.dtype) if causal else self.data.copy()
        z -= z.max(axis=-1, keepdims=True)        # shift for stability (softmax is unchanged)
        p = np.exp(z, out=z)                      # in place: these arrays are large
        p /= p.sum(axis=-1, keepdims=True)
        out = Tensor(p, (self,))

        def _backward(out_grad):  # Jacobian-vector product: p * (g - sum(g * p)), computed in place
            grad = out_grad * p
            grad -= p * grad.sum(axis=-1, keepdims=True)
            self._accumulate(grad)

        out._backward = _backward
        return out

    def layer_norm(self, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
        """Normalise the last axis to zero mean and unit variance, then scale and shift."""
        x_hat = self.data - self.data.mean(axis=-1, keepdims=True)                 # centred
        inv_std = 1.0 / np.sqrt((x_hat * x_hat).mean(axis=-1, keepdims=True) + eps)
        x_hat *= inv_std                                                           # normalised
        out = Tensor(x_hat * weight.data + bias.data, (self, weight, bias))

        def _backward(out_grad):
            weight._accumulate(_unbroadcast(out_grad * x_hat, weight.shape))
            bias._accumulate(_unbroadcast(out_grad, bias.shape))
            g = out_grad * weight.data           # gradient w.r.t. the normalised x
            self._accumulate((g - g.mean(axis=-1, keepdims=True)
                              - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)) * inv_std)

        out._backward = _backward
        return out

    def exp(self) -> Tensor:
        out = Tensor(np.exp(self.data), (self,))

        def _backward(out_grad):  # d e^x / dx = e^x
            self._accumulate(out_grad * out.data)

        out._backward = _backward
        return out

    def clip(self, low: float, high: float) -> Tensor:
        """Values below `low` become `low`, above `high` become `high`; those get no gradient."""
        out = Tensor(np.clip(self.data, low, high), (self,))

        def _backward(out_grad):  # slope 1 inside the range, 0 where the value was cut
            self._accumulate(out_grad * ((self.data >= low) & (self.data <= high)))

        out._backward = _backward
        return out

    def log_softmax(self) -> Tensor:
        """log of the softmax over the last axis: the log-probability of every token."""
        z = self.data - self.data.max(axis=-1, keepdims=True)
        out = Tensor(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)), (self,))

        def _backward(out_grad):  # g - softmax * sum(g)
            self._accumulate(out_grad - np.exp(out.data) * out_grad.sum(axis=-1, keepdims=True))

        out._backward = _backward
        return out

    # ---- losses --------------------------------------------------------------
    def cross_entropy(self, targets: np.ndarray, mask: np.ndarray | None = None) -> Tensor:
        """Mean of -log p(target) over positions where `mask` is 1.

        self: logits (..., V); targets: integer ids (...); mask: 0/1 weights (...).
        """
        z = self.data - self.data.max(axis=-1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        mask = np.ones(targets.shape, self.data.dtype) if mask is None else mask.astype(self.data.dtype)
        count = mask.sum()
        picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
        out = Tensor(-(picked * mask).sum() / count, (self,))

        def _backward(out_grad):  # d loss / d logits = (softmax - one_hot) * mask / count
            grad = np.exp(log_probs)                                          # softmax
            target = targets[..., None]
            np.put_along_axis(grad, target, np.take_along_axis(grad, target, axis=-1) - 1.0, axis=-1)  # - one-hot
            self._accumulate(out_grad * grad * (mask / count)[..., None])

        out._backward = _backward
        return out

    def neg_log_sigmoid(self) -> Tensor:
        """Elementwise -log(sigmoid(x)), computed stably as log(1 + exp(-x))."""
        x = self.data
        out = Tensor(np.logaddexp(0.0, -x), (self,))

        def _backward(out_grad):  # d/dx -log sigmoid(x) = sigmoid(x) - 1
            self._accumulate(out_grad * (sigmoid(x) - 1.0))

        out._backward = _backward
        return out

    # ---- backpropagation -----------------------------------------------------
    def backward(self) -> None:
        # Order the graph so each node comes after everything it was built from,
        # then apply the chain rule from the output back to the leaves.
        order: list[Tensor] = []
        seen: set[int] = set()

        def visit(node: Tensor) -> None:
            if id(node) not in seen and node.requires_grad:
                seen.add(id(node))
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = np.ones_like(self.data)
        for node in reversed(order):
            node._backward(node.grad)
            if node._children:   # an intermediate result, now used: let go of it and its arrays (as PyTorch does)
                node.grad, node._children, node._backward = None, (), _freed_backward


def _leaf_backward(out_grad: np.ndarray) -> None:
    """A tensor made by no operation has nothing to pass its gradient on to.

    (A named function, not a lambda, so a model can be pickled and sent to another process.)
    """


def _freed_backward(out_grad: np.ndarray) -> None:
    """What an intermediate result does once its graph has been used: its inputs are gone."""
    raise RuntimeError("backward() through a graph a second time: build it again (a new forward pass) first")


def cat(tensors: list[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (np.concatenate); each gets its own slice of the gradient."""
    out = Tensor(np.concatenate([t.data for t in tensors], axis=axis), tuple(tensors))
    ends = np.cumsum([t.shape[axis] for t in tensors])[:-1]   # where one tensor's slice ends

    def _backward(out_grad):
        for t, grad in zip(tensors, np.split(out_grad, ends, axis=axis)):
            t._accumulate(grad)

    out._backward = _backward
    return out


def minimum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise min(a, b); the gradient goes to whichever was smaller (to `a` on a tie)."""
    a_wins = a.data <= b.data
    out = Tensor(np.where(a_wins, a.data, b.data), (a, b))

    def _backward(out_grad):
        a._accumulate(out_grad * a_wins)
        b._accumulate(out_grad * ~a_wins)

    out._backward = _backward
    return out


@functools.lru_cache(maxsize=8)
def _causal_mask(T_query: int, T_key: int, dtype) -> np.ndarray:
    """(T_query, T_key): 0 where a query may look, -inf on keys after it (the future).

    The queries are the last T_query of the T_key positions (all of them in training;
    only the newest ones when generating with a KV cache).
    """
    return np.triu(np.full((T_query, T_key), -np.inf, dtype=dtype), k=1 + T_key - T_query)


def _may_repeat(index) -> bool:
    """True if an index can pick the same element twice (integer arrays can; slices cannot)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """Wrap a constant (number or array) so it can take part in an operation.

    Constants take the dtype of the tensor they meet, so float32 stays float32.
    """
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x, dtype=like.data.dtype if like is not None else None))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    return np.exp(-np.logaddexp(0.0, -x))


class Parameter(Tensor):
    """A leaf tensor that training updates."""

    def __init__(self, data):
        super().__init__(data, requires_grad=True)
