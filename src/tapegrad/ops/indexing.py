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
    if nbatch == 0:
        return x[key]
    full = (slice(None),) * nbatch + key
    r = x[full]
    nadv, separated = _advanced_layout(key)
    if separated and nadv:  # NumPy put the advanced dims before the batch dims: move them after
        r = xp.moveaxis(r, tuple(range(nadv)), tuple(range(nbatch, nbatch + nadv)))
    return r


def _scatter_impl(xp, g, shape, key, nbatch):
    batch = tuple(g.shape[:nbatch])
    if xp is np:
        z = np.zeros(batch + tuple(shape), dtype=g.dtype)
    else:
        z = xp.zeros(batch + tuple(shape), dtype=g.dtype)
    nadv, separated = _advanced_layout(key)
    if separated and nadv and nbatch:
        g = xp.moveaxis(g, tuple(range(nbatch, nbatch + nadv)), tuple(range(nadv)))
    full = (slice(None),) * nbatch + key
    return _backend.scatter_add(z, full, g, unique=not any(isinstance(k, np.ndarray) for k in key))


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
])
samples(ScatterGrad, lambda: [
    ((S.arr((2, 3)),), {"shape": (4, 3), "key": (np.array([0, 2]),), "nbatch": 0}),
    ((S.arr((2, 3), seed=1),), {"shape": (4, 3), "key": (slice(None, None, 2),), "nbatch": 0}),
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
