"""The op library. Importing it installs the Tensor operators and the engine's hooks.

Key decision: Tensor's dunders are plain references to op functions (no extra layer), installed here so
that `_core` never imports the op library.
"""

from __future__ import annotations

import builtins as _builtins
import warnings as _warnings

import numpy as _np

from .. import _backend
from .._core import tensor as _tensor
from .._core.primitive import apply as _apply
from .._core.primitive import convert as _convert
from .._core.primitive import hooks as _hooks
from . import creation, elementwise, indexing, jacobian_seeds, linalg, reduce, shape
from .creation import constant, convert_to_tensor, fill, ones, ones_like, range, zeros, zeros_like
from .elementwise import *  # noqa: F401,F403
from .elementwise import abs as _abs
from .elementwise import (
    add,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    divide,
    equal,
    floordiv,
    floormod,
    greater,
    greater_equal,
    invert,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    multiply,
    negative,
    not_equal,
    subtract,
)
from .elementwise import pow as _pow
from .indexing import getitem
from .linalg import matmul, matvec
from .reduce import reduce_all, reduce_any, reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum
from .shape import broadcast_to, concat, expand_dims, reshape, squeeze, stack, transpose, unstack


def _flip(fn):
    def reflected(self, other):
        return fn(other, self)

    reflected.__name__ = f"r{fn.__name__}"
    return reflected


def _is_bool(x, y=None):
    t = x if isinstance(x, _tensor._TensorLike) else y  # reflected operators put the Python operand first
    return t._value.dtype.kind == "b"


def _and(x, y):
    return logical_and(x, y) if _is_bool(x, y) else bitwise_and(x, y)


def _or(x, y):
    return logical_or(x, y) if _is_bool(x, y) else bitwise_or(x, y)


def _xor(x, y):
    return logical_xor(x, y) if _is_bool(x, y) else bitwise_xor(x, y)


def _invert(x):
    return logical_not(x) if _is_bool(x) else invert(x)


def _eq(x, y):
    if y is None:
        return False
    try:
        return equal(x, y)
    except (ValueError, TypeError):  # incompatible shapes or dtypes: not equal, as TensorFlow answers
        return False


def _ne(x, y):
    if y is None:
        return True
    try:
        return not_equal(x, y)
    except (ValueError, TypeError):
        return True


def _matmul_op(x, y):
    return matmul(x, y)


_OPERATORS = {
    "__add__": add, "__radd__": _flip(add), "__sub__": subtract, "__rsub__": _flip(subtract),
    "__mul__": multiply, "__rmul__": _flip(multiply), "__truediv__": divide, "__rtruediv__": _flip(divide),
    "__floordiv__": floordiv, "__rfloordiv__": _flip(floordiv), "__mod__": floormod,
    "__rmod__": _flip(floormod), "__pow__": _pow, "__rpow__": _flip(_pow), "__matmul__": _matmul_op,
    "__rmatmul__": _flip(_matmul_op), "__neg__": negative, "__abs__": _abs, "__pos__": lambda x: x,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal, "__eq__": _eq,
    "__ne__": _ne, "__and__": _and, "__rand__": _flip(_and), "__or__": _or, "__ror__": _flip(_or),
    "__xor__": _xor, "__rxor__": _flip(_xor), "__invert__": _invert, "__getitem__": getitem,
}
for _name, _fn in _OPERATORS.items():
    _tensor.install_operator(_name, _fn)


# TensorFlow computes log(0) = -inf and 0 / 0 = nan without a word, where NumPy warns from inside the ops'
# implementations and rules. Those warnings are silenced where tapegrad's modules raise them (a user's own NumPy
# code still warns); tf.debugging.enable_check_numerics() reports non-finite values, as in TensorFlow.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tapegrad\.")


# --------------------------------------------------------------------------- engine hooks

def _unbroadcast(g, x, nbatch):
    """`g` summed down to `x`'s shape, keeping `nbatch` leading batch dimensions. A sparse gradient (an axis-0
    gather's) stays an IndexedSlices when it already has `x`'s shape (see indexing.sparse_gradient)."""
    if g.__class__ is not _tensor.Tensor:
        g = indexing.sparse_gradient(g, x, nbatch)
        if g.__class__ is not _tensor.Tensor:
            return g
    gs = g._value.shape
    xs = x._value.shape
    if gs[nbatch:] == xs:
        return g
    lead = len(gs) - nbatch - len(xs)
    if lead < 0:  # a rule returned something smaller (e.g. a scalar zero): broadcast it up
        return broadcast_to(g, tuple(gs[:nbatch]) + tuple(xs))
    axes = tuple(_builtins.range(nbatch, nbatch + lead)) + tuple(  # not tf.range (imported above)
        nbatch + lead + i for i, d in enumerate(xs) if d == 1 and gs[nbatch + lead + i] != 1)
    if axes == tuple(_builtins.range(nbatch, nbatch + lead)):  # only leading axes (e.g. a bias): one sum
        return _apply(reduce.Sum, (g,), {"axis": axes, "keepdims": False})
    g = _apply(reduce.Sum, (g,), {"axis": axes, "keepdims": True})
    return _apply(shape.Reshape, (g,), {"shape": tuple(gs[:nbatch]) + tuple(xs)})


def _zeros_like_batched(o, g0, nbatch):
    dims = tuple(g0._value.shape[:nbatch]) + tuple(o._value.shape)
    xp = _backend.namespace_of(o._value)
    if xp is _np:
        return zeros(dims, dtype=o.dtype)
    return _tensor.wrap(_backend.filled(xp, dims, 0, o._value.dtype, o._value))  # on o's backend and device


def _broadcast_like(t, o):
    if t._value.shape == o._value.shape:
        return t
    return broadcast_to(t, o._value.shape)


def _add_gradients(x, y):
    """Accumulates two gradients; IndexedSlices are concatenated or densified (indexing.add_gradients)."""
    if x.__class__ is _tensor.Tensor and y.__class__ is _tensor.Tensor:
        return add(x, y)
    return indexing.add_gradients(x, y)


def _convert_hook(x, dtype=None):
    if x.__class__ is indexing.IndexedSlices:  # an IndexedSlices given as output_gradients or as a tangent
        x = x._to_dense()
    return _convert(x, dtype)


_hooks.add = _add_gradients
_hooks.unbroadcast = _unbroadcast
_hooks.ones_like = ones_like
_hooks.zeros_like = zeros_like
_hooks.zeros_like_batched = _zeros_like_batched
_hooks.broadcast_like = _broadcast_like
_hooks.convert = _convert_hook
_hooks.identity = elementwise.identity


# Hooks for vectorized Jacobians (_core/jacobian.py).
_hooks.reshape = reshape
_hooks.expand_dims = expand_dims
_hooks.concat = concat
_hooks.transpose = transpose
_hooks.zeros = zeros
_hooks.jacobian_seed = jacobian_seeds.seed
_hooks.add_cotangents = jacobian_seeds.add_cotangents
_hooks.dense_cotangent = jacobian_seeds.dense
