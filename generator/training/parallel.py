"""Data parallelism: two processes share one set of weights, and each takes half of every batch.

Large models are pretrained this way on thousands of GPUs; here it is two CPU cores.
Each process computes the gradient of its own half of the batch; the two gradients are
averaged before the update, which gives the gradient of the whole batch, and because
the weights live in memory both processes share, the update reaches both at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from multiprocessing import shared_memory

import numpy as np

from .autograd import Parameter, Tensor
from .model import GPT, GPTConfig


def _views(buffer, params: list[Parameter]) -> list[np.ndarray]:
    """One float32 array per parameter, all inside `buffer`, with the parameters' shapes."""
    views, offset = [], 0
    for p in params:
        views.append(np.ndarray(p.data.shape, np.float32, buffer, offset))
        offset += p.data.nbytes
    return views


def _half_backward(model: GPT, loss_fn, batch: list[np.ndarray]) -> Tensor:
    """Loss of one half-batch, with its gradient in every p.grad."""
    loss = loss_fn(model, *batch)
    for p in model.parameters():
        p.grad = None
    loss.backward()
    return loss


def _worker(conn, cfg: GPTConfig, weights_name: str, grads_name: str) -> None:
    """The second process: a model reading the shared weights; returns gradients on request."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # Ctrl-C is for the main process to handle
    np.seterr(over="ignore", invalid="ignore", divide="ignore")   # a NaN loss is reported there too
    weights, grads = shared_memory.SharedMemory(weights_name), shared_memory.SharedMemory(grads_name)
    model = GPT(np.random.default_rng(0), cfg)          # its own random weights are replaced at once:
    params = model.parameters()
    for p, shared in zip(params, _views(weights.buf, params)):
        p.data = shared                                 # it reads the main process's weights
    grad_out = _views(grads.buf, params)
    try:
        while (job := conn.recv()) is not None:
            measuring, fn, batch = job
            try:
                result = fn(model, *batch) if measuring else _half_backward(model, fn, batch)
            except Exception as err:                     # sent back, to be raised in the main process
                conn.send(err)
                continue
            if measuring:
                conn.send(result)
                continue
            for p, out in zip(params, grad_out):
                out[...] = p.grad
            conn.send(float(result.data))
    finally:
        conn.close()                                    # the memory itself is released when the process ends


class DataParallel:
    """`with DataParallel(model) as dp:` ... `loss = dp.backward(loss_fn, x, y)` fills every p.grad.

    The optimiser must update the weights in place (AdamW does), so both processes see them.
    On a machine with one core, both halves run here, one after the other: same numbers.
    """

    def __init__(self, model: GPT):
        self.model, self.params = model, model.parameters()
        size = sum(p.data.nbytes for p in self.params)
        self.weights = shared_memory.SharedMemory(create=True, size=size)
        self.grads = shared_memory.SharedMemory(create=True, size=size)
        for p, shared in zip(self.params, _views(self.weights.buf, self.params)):
            shared[...] = p.data
            p.data = shared                             # from now on the weights live in shared memory
        self.other_grads = _views(self.grads.buf, self.params)
        self.conn = self.process = None
        if (os.cpu_count() or 1) >= 2:
            spawn = multiprocessing.get_context("spawn")
            self.conn, child = spawn.Pipe()
            self.process = spawn.Process(target=_worker, daemon=True,
                                         args=(child, model.cfg, self.weights.name, self.grads.name))
            self.process.start()

    def __enter__(self) -> DataParallel:
        return self

    def backward(self, loss_fn, *batch: np.ndarray) -> Tensor:
        """Loss of the whole batch (split in two along its first axis), with its gradient in every p.grad."""
        first, second = zip(*(np.array_split(a, 2) for a in batch))
        if self.process is not None:
            self.conn.send((False, loss_fn, second))               # the other process takes one half ...
        else:                                                      # (one core: that half here, first)
            other = float(_half_backward(self.model, loss_fn, second).data)
            other_grads = [p.grad for p in self.params]
        loss = _half_backward(self.model, loss_fn, first)          # ... while this one does the other
        if self.process is not None:
            other = self._receive()
            other_grads = self.other_grads
        w = len(first[0]) / len(batch[0])                          # each half counts by its share of rows
        for p, g in zip(self.params, other_grads):
            p.grad = w * p.grad + (1 - w) * g
        return Tensor(w * float(loss.data) + (1 - w) * other)

    def measure(self, fn, *batch: np.ndarray) -> np.ndarray:
        """fn(model, *rows) for the rows of a batch, half of them in the other process; no gradient.
        Measuring a model on many windows of text (its validation loss, say) takes half the time."""
        if len(batch[0]) < 2:                                      # one row: nothing to share
            return fn(self.model, *batch)
        first, second = zip(*(np.array_split(a, 2) for a in batch))
        if self.process is None:                                   # one core: both halves here, same numbers
            return np.concatenate([fn(self.model, *first), fn(self.model, *second)])
        self.conn.send((True, fn, second))
        here = fn(self.model, *first)
        return np.concatenate([here, self._receive()])

    def _receive(self):
        """The other process's answer; an error there is raised here."""
        answer = self.conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def __exit__(self, *exc) -> None:
        for p in self.params:
            p.data = p.data.copy()                     # the model keeps its weights; the shared memory goes
        if self.process is not None:
            with contextlib.suppress(OSError):         # the worker may be gone already
                self.conn.send(None)
                self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.terminate()
        del self.other_grads
        for block in (self.weights, self.grads):
            with contextlib.suppress(BufferError):   # a view still held (by an error's traceback, say)
                block.close()                          # is freed with it
            block.unlink()
