"""Indexing: `tensor[...]` with ints, slices (with steps), `...`, None, and integer or boolean tensor/array
indices (NumPy's semantics, a superset of TensorFlow's), and its gradient, a scatter-add.

Key decisions:
- The key is normalized once into a hashable-free tuple of ints, slices, None, Ellipsis and NumPy arrays
  (booleans become their nonzero positions), stored as the op's parameter.
- `GetItem` and `ScatterGrad` are each other's transposes (both linear), so gradients of any order work.
  Each takes `nbatch`: leading dimensions of a batched cotangent that the key skips over.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._core.primitive import apply, as_input, defjvp, defprimitive, defvjp, samples
from .._core.tensor import _TensorLike
from . import _samples as S


def normalize_key(key, shape):
    """The key as a tuple of int / slice / None / Ellipsis / int ndarray, checked against `shape`."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, _TensorLike):
            k = k.numpy()
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, slice):
            out.append(slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step))))
        elif isinstance(k, (bool, np.bool_)):
            out.append(np.asarray(k))
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
        else:
            a = np.asarray(k)
            if a.dtype.kind == "b":
                out.extend(np.nonzero(a))
            elif a.dtype.kind in "iu":
                out.append(int(a) if a.ndim == 0 else a.astype(np.int64))
            elif a.size == 0:
                out.append(a.astype(np.int64))
            else:
                raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and integer "
                                f"or boolean tensors are valid indices, got {k!r:.60}.")
        if isinstance(out[-1], slice) and out[-1].step == 0:
            raise ValueError("slice step cannot be zero")
    return tuple(out)


def _advanced_layout(key):
    """(number of result dims from advanced indices, True if NumPy moves them to the front)."""
    pos = [i for i, k in enumerate(key) if isinstance(k, np.ndarray) or isinstance(k, int)]
    arrays = [k for k in key if isinstance(k, np.ndarray)]
    if not arrays:
        return 0, False
    nadv = len(np.broadcast_shapes(*[a.shape for a in arrays]))
    separated = pos != list(range(pos[0], pos[-1] + 1))
    return nadv, separated


def _index(xp, x, key, nbatch):
    if xp is not np:
        return _index_generic(xp, x, key, nbatch)
    if nbatch == 0:
        return x[key]
    full = (slice(None),) * nbatch + key
    r = x[full]
    nadv, separated = _advanced_layout(key)
    if separated and nadv:  # NumPy put the advanced dims before the batch dims: move them after
        r = xp.moveaxis(r, tuple(range(nadv)), tuple(range(nbatch, nbatch + nadv)))
    return r


def _scatter_impl(xp, g, shape, key, nbatch):
    if xp is not np:
        return _scatter_generic(xp, g, shape, key, nbatch)
    batch = tuple(g.shape[:nbatch])
    z = np.zeros(batch + tuple(shape), dtype=g.dtype)
    nadv, separated = _advanced_layout(key)
    if separated and nadv and nbatch:
        g = xp.moveaxis(g, tuple(range(nbatch, nbatch + nadv)), tuple(range(nadv)))
    full = (slice(None),) * nbatch + key
    return _backend.scatter_add(z, full, g, unique=not any(isinstance(k, np.ndarray) for k in key))


# --------------------------------------------------------------------------- other array-API libraries
# The standard allows integer-array indices only with no slices beside them, and has no scatter-add. So an
# advanced index is resolved on the host, where the key already lives: NumPy indexes an array of flat
# positions, and the backend gathers those positions with `take`. The transpose (the gradient) is a gather
# too: one per repeat count of a position, summed (one gather when no position repeats).

def _positions(shape, key) -> np.ndarray:
    """For each element of `x[key]` (x of `shape`), its flat position in x, by NumPy's indexing rules."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[key]


def _index_generic(xp, x, key, nbatch):
    batch = tuple(x.shape[:nbatch])
    if not any(isinstance(k, np.ndarray) for k in key):  # basic indexing: native (views where possible)
        if not any(k is Ellipsis for k in key):
            key = key + (Ellipsis,)  # the standard wants every axis indexed, or an ellipsis
        return x[(slice(None),) * nbatch + key]
    pos = _positions(tuple(x.shape[nbatch:]), key)
    r = xp.take(xp.reshape(x, batch + (-1,)), xp.asarray(pos.reshape(-1)), axis=nbatch)
    return xp.reshape(r, batch + pos.shape)


def _scatter_generic(xp, g, shape, key, nbatch):
    batch = tuple(g.shape[:nbatch])
    n = int(np.prod(shape))
    pos = _positions(tuple(shape), key).reshape(-1)
    m = pos.size
    # index m of the flattened cotangent reads a zero: positions that nothing was gathered from
    gf = xp.concat([xp.reshape(g, batch + (m,)), xp.zeros(batch + (1,), dtype=g.dtype)], axis=nbatch)
    order = np.argsort(pos, kind="stable")
    sorted_pos = pos[order]
    first = np.concatenate([[True], sorted_pos[1:] != sorted_pos[:-1]])
    starts = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    repeat = np.empty(m, np.int64)
    repeat[order] = np.arange(m) - starts  # 0 for a position's first occurrence, 1 for its second, ...
    out = None
    for k in range(int(repeat.max()) + 1 if m else 1):
        src = np.full(n, m, np.int64)
        sel = np.nonzero(repeat == k)[0]
        src[pos[sel]] = sel
        layer = xp.take(gf, xp.asarray(src), axis=nbatch)
        out = layer if out is None else out + layer
    return xp.reshape(out, batch + tuple(shape))


GetItem = defprimitive("StridedSlice", lambda xp, x, key, nbatch: _index(xp, x, key, nbatch))
ScatterGrad = defprimitive("StridedSliceGrad", _scatter_impl)
defvjp(GetItem, lambda g, ans, x, key, nbatch: apply(
    ScatterGrad, (g,), {"shape": tuple(x._value.shape[nbatch:]), "key": key,
                        "nbatch": len(g._value.shape) - len(ans._value.shape) + nbatch}))
defjvp(GetItem, lambda t, ans, x, key, nbatch: apply(GetItem, (t,), {"key": key, "nbatch": nbatch}))
defvjp(ScatterGrad, lambda g, ans, x, shape, key, nbatch: apply(
    GetItem, (g,), {"key": key, "nbatch": len(g._value.shape) - len(ans._value.shape) + nbatch}))
defjvp(ScatterGrad, lambda t, ans, x, shape, key, nbatch: apply(
    ScatterGrad, (t,), {"shape": shape, "key": key, "nbatch": nbatch}))
samples(GetItem, lambda: [
    ((S.arr((4, 3)),), {"key": (1,), "nbatch": 0}),
    ((S.arr((4, 3), seed=1),), {"key": (slice(None, None, 2), slice(1, None)), "nbatch": 0}),
    ((S.arr((4, 3), seed=2),), {"key": (Ellipsis, None, 0), "nbatch": 0}),
    ((S.arr((4, 3), seed=3),), {"key": (np.array([0, 2, 2]),), "nbatch": 0}),
    ((S.arr((2, 3, 4), seed=4),), {"key": (np.array([0, 1]), slice(None), np.array([1, 3])), "nbatch": 0}),
    ((S.arr((4, 3), seed=5),), {"key": (slice(None, None, -1), -1), "nbatch": 0}),
    ((S.arr((4, 3), seed=6),), {"key": (2, 1), "nbatch": 0}),
    ((S.arr((2, 3, 4), seed=7),), {"key": (slice(None), np.array([[0, 2], [1, 1]]), slice(3, 0, -2)), "nbatch": 0}),
])
samples(ScatterGrad, lambda: [
    ((S.arr((2, 3)),), {"shape": (4, 3), "key": (np.array([0, 2]),), "nbatch": 0}),
    ((S.arr((2, 3), seed=1),), {"shape": (4, 3), "key": (slice(None, None, 2),), "nbatch": 0}),
    ((S.arr((3,), seed=2),), {"shape": (4, 3), "key": (np.array([1, 1, 3]), 2), "nbatch": 0}),
    ((S.arr((2, 3), seed=3),), {"shape": (2, 3, 4), "key": (np.array([0, 1]), slice(None), np.array([1, 1])),
                                "nbatch": 0}),
    ((S.arr((), seed=4),), {"shape": (4, 3), "key": (2, 1), "nbatch": 0}),
])


def getitem(tensor, key):
    """`tensor[key]` (Tensor.__getitem__): NumPy-style basic and advanced indexing, differentiable.

    >>> import tapegrad as tf
    >>> x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> x[1, ::2].numpy()
    array([4., 6.], dtype=float32)
    """
    x = as_input(tensor)
    k = normalize_key(key, x._value.shape)
    return apply(GetItem, (x,), {"key": k, "nbatch": 0})


def _slice_axis(x, axis, start, stop):
    key = (slice(None),) * axis + (slice(start, stop),)
    return apply(GetItem, (x,), {"key": key, "nbatch": 0})


def _take_axis(x, axis, i):
    key = (slice(None),) * axis + (i,)
    return apply(GetItem, (x,), {"key": key, "nbatch": 0})
