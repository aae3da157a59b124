"""Structured seeds for vectorized Jacobians: one-hot rows scaled by a tensor, kept symbolic while they can be.

`tape.jacobian` seeds one backward sweep with rows of the identity (_core/jacobian.py). Done densely, every op
on the way works on an n x n matrix: for tanh(W @ x), tanh's rule scales the identity (n^2 work) and MatVec's
multiplies it by W, an n^3 GEMM for an answer that is (1 - y^2)[:, None] * W, n^2 work.

Key decision: the seed is a `OneHotRows`, the batch of cotangent rows G[k] = P[k] * d, where P is the seed's
fixed 0/1 pattern (row k one-hot at flat position start + k, in each of `reps` leading slices for
batch_jacobian) and d a tensor of the current output's shape (ones at first). Two kinds of op keep or finish
the structure:
- ops that map each output to the input element at the same flat position (`keeps_onehot`): elementwise ops
  and reshapes. Their Jacobian is diagonal in flat order, so their VJP is pointwise linear in g and
  vjp(P[k] * d) = P[k] * vjp(d): the rule runs once, on d, in O(size) instead of O(rows * size);
- ops with declared Jacobian rows (`defrows`: MatVec for its vector, MatMul for its left operand):
  vjp(P[k] * d) = d[i_k] * R[i_k], a row scaling instead of a product with the identity; for batch_jacobian,
  example by example along the leading axis (a dense layer's x @ W).
Any other op, or a broadcast input, gets the dense rows P * d, and the sweep goes on as before. All of it is
computed with tapegrad ops, so an outer tape records it (Hessians of such Jacobians), and `ENABLED = False`
gives the plain dense sweep (the tests compare the two).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .. import _backend
from .._core.primitive import Primitive
from .._core.tensor import Tensor, wrap

ENABLED = True
_ops = sys.modules[__package__]  # tapegrad.ops, whose ops this module uses once it is imported
_KEEPS = "keeps the one-hot pattern"
RULES: dict = {}  # Primitive -> _KEEPS, or {input index: rows function}


def keeps_onehot(*prims: Primitive) -> None:
    """Declares ops whose output element at each flat position depends only on the input elements at that
    position (elementwise ops, reshapes): their rules run once on the seed's scale, not on its rows."""
    for p in prims:
        RULES[p] = _KEEPS


def defrows(prim: Primitive, argnum: int, rows) -> None:
    """Declares the Jacobian rows of `prim` for input `argnum`. `rows(ans, *args, **params)` returns
    `(R, False)` with R[i] the input's gradient for the i-th one-hot output cotangent (shape (ans.size,) +
    the input's shape); or `(R, True)` where the op works example by example along the leading axis with the
    same Jacobian for each (x @ W): R[i] is then one example's gradient for its i-th output (shape
    (ans.size / examples,) + the input's shape without its leading axis); or None where it cannot (the dense
    rows are used then)."""
    RULES.setdefault(prim, {})[argnum] = rows


def onehot(v, start: int, stop: int, reps: int, batched: bool = True):
    """Dense seeds for rows start..stop of an array like `v`: row k is 1 at flat position start + k of each
    of `reps` leading slices (reps = 1: rows of the identity). Shape (stop - start,) + v.shape, or v.shape
    unbatched; on v's backend."""
    shape = tuple(v.shape)
    rows = np.zeros((stop - start, reps, math.prod(shape) // reps if reps else 0), dtype=_backend.numpy_dtype_of(v))
    k = np.arange(stop - start)
    rows[k, :, start + k] = 1
    rows = rows.reshape(((stop - start,) if batched else ()) + shape)
    xp = _backend.namespace_of(v)
    return wrap(rows if xp is np else xp.asarray(rows))


def seed(target: Tensor, start: int, stop: int, reps: int, batched: bool):
    """The seed of one Jacobian sweep: `OneHotRows` for a batched sweep, the dense rows otherwise."""
    if batched and ENABLED:
        return OneHotRows(_ops.ones_like(target), start, stop, reps, True)
    return onehot(target._value, start, stop, reps, batched)


class OneHotRows:
    """The cotangent rows G[k] = P[k] * d of a Jacobian sweep (see the module docstring)."""

    __slots__ = ("d", "start", "stop", "reps", "unit")

    def __init__(self, d: Tensor, start: int, stop: int, reps: int, unit: bool = False):
        self.d, self.start, self.stop, self.reps, self.unit = d, start, stop, reps, unit

    @property
    def shape(self) -> tuple:
        """The rows' shape, (rows,) + d.shape, as their dense tensor would have it."""
        return (self.stop - self.start,) + tuple(self.d._value.shape)

    def dense(self) -> Tensor:
        """The rows as one tensor, shape (rows,) + d.shape."""
        p = onehot(self.d._value, self.start, self.stop, self.reps)
        return p if self.unit else _ops.multiply(p, self.d)

    def pull(self, prim: Primitive, out: Tensor, args: tuple, params: dict, reach: set, cot: dict):
        """Runs `prim`'s backward step on these rows: accumulates its inputs' cotangents into `cot` and
        returns None, or returns the dense rows for the sweep's ordinary step."""
        rule = RULES.get(prim)
        if rule is None:
            return self.dense()
        needed = [a.__class__ is Tensor and a._id in reach for a in args]
        shape = out._value.shape
        if rule is _KEEPS:
            for a, n in zip(args, needed):
                if n and a._value.shape != shape and math.prod(a._value.shape) != math.prod(shape):
                    return self.dense()  # a broadcast input: its gradient sums over the rows' positions
            grads = prim.vjp(self.d, out, args, params, needed)
            for a, n, g in zip(args, needed, grads):
                if n and g is not None:
                    if g._value.shape != a._value.shape:
                        g = _shaped(g, out, a)
                    _accumulate(cot, a._id, OneHotRows(g, self.start, self.stop, self.reps))
            return None
        if any(n and k not in rule for k, n in enumerate(needed)):
            return self.dense()
        rows = [rule[k](out, *args, **params) if n else None for k, n in enumerate(needed)]
        if any(n and not self._fits(r, a, out) for a, r, n in zip(args, rows, needed)):
            return self.dense()
        for a, r in zip(args, rows):
            if r is not None:
                _accumulate(cot, a._id, self._scaled_rows(*r, a, out))
        return None

    def _fits(self, rows, a: Tensor, out: Tensor) -> bool:
        """Whether declared rows `(R, per_example)` apply to this pattern: whole rows to the identity pattern,
        per-example rows to batch_jacobian's (one example per slice of the leading axis)."""
        if rows is None:
            return False
        if not rows[1]:
            return self.reps == 1
        return self.reps > 1 and out._value.shape[0] == a._value.shape[0] == self.reps

    def _scaled_rows(self, r: Tensor, per_example: bool, a: Tensor, out: Tensor) -> Tensor:
        """vjp(P[k] * d) for rows k: d at row k's positions times R's row for them."""
        size = math.prod(out._value.shape)
        m = size // self.reps
        if not (self.start == 0 and self.stop == m):
            r = r[self.start:self.stop]
        if not per_example:  # d[i_k] * R[i_k]
            if self.unit:
                return r
            d = _ops.reshape(self.d, (size,) + (1,) * a._value.ndim)[self.start:self.stop]
            return _ops.multiply(d, r)
        # batch_jacobian: row k of example e is d[e, k] * R[k], shape (rows, examples) + the example's shape
        d = _ops.transpose(_ops.reshape(self.d, (self.reps, m)))[self.start:self.stop]
        d = _ops.reshape(d, tuple(d._value.shape) + (1,) * (a._value.ndim - 1))
        return _ops.multiply(d, _ops.expand_dims(r, 1))


def _shaped(g: Tensor, out: Tensor, a: Tensor) -> Tensor:
    """A rule's result in its input's shape: the same flat order (sizes are equal), or broadcast up where a
    rule returned something smaller (a scalar zero)."""
    if math.prod(g._value.shape) != math.prod(a._value.shape):
        g = _ops.broadcast_to(g, out._value.shape)
    return _ops.reshape(g, a._value.shape)


def _accumulate(cot: dict, tid: int, g) -> None:
    prev = cot.get(tid)
    cot[tid] = g if prev is None else add_cotangents(prev, g)


def add_cotangents(x, y):
    """Two cotangents of one tensor summed: rows of one pattern stay structured, anything else is dense."""
    if x.__class__ is OneHotRows and y.__class__ is OneHotRows:
        return OneHotRows(_ops.add(x.d, y.d), x.start, x.stop, x.reps)
    return _ops._add_gradients(dense(x), dense(y))


def dense(g):
    """`g` as the sweep's ordinary cotangent: OneHotRows made dense, anything else (None too) as it is."""
    return g.dense() if g.__class__ is OneHotRows else g
