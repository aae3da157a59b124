"""Indexing: `tensor[...]` with ints, slices (with steps), `...`, None, and integer or boolean tensor/array
indices (NumPy's semantics, a superset of TensorFlow's), and its gradient, a scatter-add; TensorFlow's
GatherV2 (axis, batch_dims) and its transpose; `tf.IndexedSlices`, the sparse gradient of an axis-0 gather.

Key decisions:
- The key is normalized once into a hashable-free tuple of ints, slices, None, Ellipsis and NumPy arrays
  (booleans become their nonzero positions), stored as the op's parameter.
- `GetItem` and `ScatterGrad` are each other's transposes (both linear), so gradients of any order work;
  so are `GatherV2` and `GatherV2Grad`. Each takes `nbatch`: leading dimensions of a batched cotangent that
  the key (or the gather) skips over.
- GatherV2's VJP returns a `_SparseGrad` for an axis-0 gather (TensorFlow returns an IndexedSlices there).
  The engine is not changed for it: its `unbroadcast` hook turns it into an `IndexedSlices` (or into a dense
  tensor when a higher-order derivative is being taken through it, see `sparse_gradient`) and its `add` hook
  concatenates two IndexedSlices or densifies one beside a dense gradient (`add_gradients`). A VJP rule can
  still receive an IndexedSlices (a gather of an intermediate tensor): the IndexedSlices is a `_TensorLike`
  whose `_value` is its dense array, so every op converts it on the spot, as TensorFlow converts it.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, defjvp, defprimitive, defvjp, samples
from .._core.shape import TensorShape
from .._core.tensor import Tensor, _TensorLike, wrap
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


# =========================================================================== gather and its transpose
# GatherV2 gathers slices of `params` along `axis`, the first `batch_dims` dimensions of params and indices
# matched one to one (TensorFlow's semantics); `nbatch` leading dimensions of params (a batched cotangent's)
# ride along untouched. GatherV2Grad adds slices back into zeros: each is the other's transpose, so gradients
# of any order work. Both bring params into one layout, (F, B, M, A, R) = (nbatch dims, batch dims, dims
# before axis, axis, dims after axis): a batched gather is then a plain `take` along one axis after folding
# B into A, and its transpose is a sum of rows by index.

def _prod(dims) -> int:
    return int(np.prod(dims, dtype=np.int64)) if len(dims) else 1


def _perm(xp, a, axes):
    if xp is np:
        return np.transpose(a, axes)
    return xp.permute_dims(a, axes)


def _take(xp, a, idx, axis):
    return np.take(a, idx, axis=axis) if xp is np else xp.take(a, idx, axis=axis)


def _layout(shape, axis, batch_dims):
    """(nB, nM, A, nR) for params of `shape` (without leading batch dims) gathered along `axis`."""
    return _prod(shape[:batch_dims]), _prod(shape[batch_dims:axis]), shape[axis], _prod(shape[axis + 1:])


def _gather_impl(xp, params, indices, axis, batch_dims, nbatch, sparse):
    if xp is np and batch_dims == 0:
        return np.take(params, indices, axis=nbatch + axis)
    pshape = tuple(params.shape)
    lead, s = pshape[:nbatch], pshape[nbatch:]
    ishape = tuple(indices.shape)
    nF = _prod(lead)
    nB, nM, A, nR = _layout(s, axis, batch_dims)
    nJ = _prod(ishape[batch_dims:])
    if nB == 1:
        r = _take(xp, xp.reshape(params, (nF, nM, A, nR)), xp.reshape(indices, (-1,)), 2)
    else:  # fold the batch dims into the gathered axis: row b * A + indices[b, j]
        p4 = xp.reshape(_perm(xp, xp.reshape(params, (nF, nB, nM, A, nR)), (0, 2, 1, 3, 4)), (nF, nM, nB * A, nR))
        offsets = xp.reshape(xp.arange(nB, dtype=indices.dtype) * A, (nB, 1))
        r = _take(xp, p4, xp.reshape(offsets + xp.reshape(indices, (nB, nJ)), (-1,)), 2)
        r = _perm(xp, xp.reshape(r, (nF, nM, nB, nJ, nR)), (0, 2, 1, 3, 4))
    return xp.reshape(r, lead + s[:axis] + ishape[batch_dims:] + s[axis + 1:])


def _segment_sum_rows(xp, rows, idx: np.ndarray, k: int):
    """`out[idx[j]] += rows[j]` into zeros of shape (k, d); `idx` is a host array. No scatter-add is needed:
    NumPy sums runs of sorted rows (`add.reduceat`); other libraries sum one `take` per repeat count."""
    n, d = rows.shape
    if xp is np:
        out = np.zeros((k, d), dtype=rows.dtype)
        if n == 0:
            return out
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(s[1:], s[:-1], out=first[1:])
        if first.all():
            out[idx] = rows
        else:
            starts = np.flatnonzero(first)
            out[s[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        return out
    padded = xp.concat([rows, xp.zeros((1, d), dtype=rows.dtype)], axis=0)  # row n reads zeros
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    first = np.concatenate([[True], s[1:] != s[:-1]]) if n else np.zeros(0, bool)
    starts = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, np.int64)
    repeat = np.empty(n, np.int64)
    repeat[order] = np.arange(n) - starts  # 0 for an index's first occurrence, 1 for its second, ...
    out = None
    for r in range(int(repeat.max()) + 1 if n else 1):
        src = np.full(k, n, np.int64)
        sel = np.nonzero(repeat == r)[0]
        src[idx[sel]] = sel
        layer = xp.take(padded, xp.asarray(src), axis=0)
        out = layer if out is None else out + layer
    return out


def _gather_grad_impl(xp, g, indices, shape, axis, batch_dims, nbatch):
    gshape = tuple(g.shape)
    lead = gshape[:nbatch]
    nF = _prod(lead)
    nB, nM, A, nR = _layout(shape, axis, batch_dims)
    ih = _backend.to_numpy(indices).astype(np.int64)
    nJ = _prod(ih.shape[batch_dims:])
    if nB == 1:
        g4 = xp.reshape(g, (nF, nM, nJ, nR))
        flat, k = ih.reshape(-1), A
    else:
        g4 = xp.reshape(_perm(xp, xp.reshape(g, (nF, nB, nM, nJ, nR)), (0, 2, 1, 3, 4)), (nF, nM, nB * nJ, nR))
        flat, k = (np.arange(nB, dtype=np.int64)[:, None] * A + ih.reshape(nB, nJ)).reshape(-1), nB * A
    rows = xp.reshape(_perm(xp, g4, (2, 0, 1, 3)), (flat.size, nF * nM * nR))
    out = _perm(xp, xp.reshape(_segment_sum_rows(xp, rows, flat, k), (k, nF, nM, nR)), (1, 2, 0, 3))
    if nB > 1:
        out = _perm(xp, xp.reshape(out, (nF, nM, nB, A, nR)), (0, 2, 1, 3, 4))
    return xp.reshape(out, lead + tuple(shape))


GatherV2 = defprimitive("GatherV2", _gather_impl)
GatherV2Grad = defprimitive("GatherV2Grad", _gather_grad_impl)


def _gather_vjp(g, ans, params, indices, axis, batch_dims, nbatch, sparse):
    nb = len(g._value.shape) - len(ans._value.shape)
    if sparse and not nb:  # TensorFlow's rule for axis-0 gathers: the gradient is an IndexedSlices
        from .shape import reshape

        n = _prod(indices._value.shape)
        pshape = tuple(params._value.shape)
        return _SparseGrad(reshape(g, (n,) + pshape[1:]), reshape(indices, (n,)), pshape)
    return apply(GatherV2Grad, (g, indices), {"shape": tuple(params._value.shape[nbatch:]), "axis": axis,
                                              "batch_dims": batch_dims, "nbatch": nbatch + nb})


defvjp(GatherV2, _gather_vjp, None)
defjvp(GatherV2, lambda t, ans, params, indices, axis, batch_dims, nbatch, sparse: apply(
    GatherV2, (t, indices), {"axis": axis, "batch_dims": batch_dims, "nbatch": nbatch, "sparse": False}))
defvjp(GatherV2Grad, lambda g, ans, x, indices, shape, axis, batch_dims, nbatch: apply(
    GatherV2, (g, indices), {"axis": axis, "batch_dims": batch_dims, "sparse": False,
                             "nbatch": nbatch + len(g._value.shape) - len(ans._value.shape)}), None)
defjvp(GatherV2Grad, lambda t, ans, x, indices, shape, axis, batch_dims, nbatch: apply(
    GatherV2Grad, (t, indices), {"shape": shape, "axis": axis, "batch_dims": batch_dims, "nbatch": nbatch}))


def _gather_params(axis, batch_dims, sparse=False):
    return {"axis": axis, "batch_dims": batch_dims, "nbatch": 0, "sparse": sparse}


samples(GatherV2, lambda: [
    ((S.arr((5, 3)), np.array([4, 0, 2, 2])), _gather_params(0, 0, True)),      # IndexedSlices gradient
    ((S.arr((5,), seed=1), np.array([[1, 3], [3, 3]])), _gather_params(0, 0, True)),
    ((S.arr((2, 4, 3), seed=2), np.array([3, 1, 1])), _gather_params(1, 0)),
    ((S.arr((2, 4, 3), seed=3), np.array([[2, 0], [1, 1]])), _gather_params(2, 1)),
    ((S.arr((2, 3, 4), seed=4), np.array([[1, 0, 1], [3, 3, 0]])), _gather_params(2, 1)),
    ((S.arr((2, 3, 2), seed=5), np.array([[0, 2], [1, 1]], dtype=np.int32)), _gather_params(1, 1)),
    ((S.arr((4, 3), seed=6), np.array(2)), _gather_params(0, 0, True)),
])
samples(GatherV2Grad, lambda: [
    ((S.arr((4, 3)), np.array([4, 0, 2, 2])), {"shape": (5, 3), "axis": 0, "batch_dims": 0, "nbatch": 0}),
    ((S.arr((2, 3, 3), seed=1), np.array([3, 1, 1])), {"shape": (2, 4, 3), "axis": 1, "batch_dims": 0, "nbatch": 0}),
    ((S.arr((2, 2, 3), seed=2), np.array([[1, 0], [3, 3]])), {"shape": (2, 4, 3), "axis": 1, "batch_dims": 1,
                                                            "nbatch": 0}),
    ((S.arr((2, 3), seed=3), np.array([[0, 2, 2], [1, 1, 0]])), {"shape": (2, 3), "axis": 1, "batch_dims": 1,
                                                               "nbatch": 0}),
])


def gather_dense(params, indices, axis: int = 0, batch_dims: int = 0):
    """Internal gather with host-checked indices and a dense gradient (the composites' building block)."""
    return apply(GatherV2, (params, indices), _gather_params(axis, batch_dims))


# =========================================================================== IndexedSlices

class _PendingShape:
    """The `_value` of a sparse gradient in flight: its `shape` (None) never equals an input's, so the backward
    sweep hands the gradient to `unbroadcast` (ops/__init__.py), which decides whether it stays sparse."""

    shape = None
    ndim = None


class _SparseGrad:
    """What GatherV2's VJP returns for an axis-0 gather: slices of the cotangent and where they go."""

    __slots__ = ("values", "indices", "dense_shape")
    _value = _PendingShape()

    def __init__(self, values, indices, dense_shape):
        self.values = values
        self.indices = indices
        self.dense_shape = dense_shape


def _tracked(t) -> bool:
    """True if an active tape or accumulator follows `t`: a gradient computed from it will be differentiated."""
    from .._core.tape import _state

    tid = t._id
    for tape in _state.tapes:
        w = tape._watched
        if w is not None and tid in w:
            return True
    return any(tid in acc._tangents for acc in _state.accumulators)


class IndexedSlices(_TensorLike):
    """`tf.IndexedSlices`: a sparse set of slices of a dense tensor, `dense[indices[i]] = values[i]`.

    The gradient of `tf.gather` (axis 0) with respect to its params is one, as in TensorFlow, so an
    embedding lookup never builds the dense gradient of its whole table. `tf.convert_to_tensor(slices)`
    gives the dense tensor (repeated indices add up); ops that receive an IndexedSlices convert it the same
    way. Like TensorFlow's, it has no `.numpy()`.

    >>> import tapegrad as tf
    >>> v = tf.Variable([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> with tf.GradientTape() as tape:
    ...     r = tf.gather(v, [2, 0, 2])
    >>> g = tape.gradient(r, v)
    >>> g.indices.numpy(), g.dense_shape.numpy()
    (array([2, 0, 2], dtype=int32), array([3, 2], dtype=int32))
    >>> tf.convert_to_tensor(g).numpy()
    array([[1., 1.],
           [0., 0.],
           [2., 2.]], dtype=float32)
    """

    __slots__ = ("_values", "_indices", "_dense_shape", "_shape", "_dense", "__weakref__")

    def __init__(self, values, indices, dense_shape=None) -> None:
        from .._core.primitive import convert

        self._values = values if values.__class__ is Tensor else convert(values)
        self._indices = indices if indices.__class__ is Tensor else convert(indices)
        if self._indices._value.dtype.kind not in "iu":
            raise TypeError(f"tf.IndexedSlices: indices must be integers, got {self._indices.dtype.name}.")
        if dense_shape is None:
            self._dense_shape, self._shape = None, None
        else:
            if isinstance(dense_shape, _TensorLike):
                dims = tuple(int(d) for d in _backend.to_numpy(dense_shape._value).reshape(-1))
                ds = convert(dense_shape)
            else:
                dims = tuple(int(d) for d in dense_shape)
                ds = wrap(np.asarray(dims, dtype=np.int32 if all(d < 2**31 for d in dims) else np.int64))
            self._dense_shape, self._shape = ds, dims
        self._dense = None

    @classmethod
    def _from_parts(cls, values, indices, dims: tuple) -> IndexedSlices:
        s = object.__new__(cls)
        s._values, s._indices, s._shape, s._dense = values, indices, tuple(dims), None
        s._dense_shape = wrap(np.asarray(dims, dtype=np.int32))  # TensorFlow: the params' shape as int32
        return s

    values = property(lambda self: self._values, doc="The slices: a tensor of shape [n, dense_shape[1:]...].")
    indices = property(lambda self: self._indices, doc="Where each slice goes: a 1-D integer tensor of length n.")
    dense_shape = property(lambda self: self._dense_shape, doc="The dense tensor's shape: a 1-D integer tensor.")

    @property
    def shape(self) -> TensorShape:
        if self._shape is None:
            return TensorShape((None,) + tuple(self._values._value.shape[1:]))
        return TensorShape(self._shape)

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def numpy(self):
        raise AttributeError("'IndexedSlices' object has no attribute 'numpy' (as in TensorFlow): convert it "
                             "first, tf.convert_to_tensor(slices).numpy(), or read slices.values and slices.indices.")

    def _check(self) -> np.ndarray:
        """The indices on the host, after checking them against `dense_shape` and `values`."""
        if self._shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: {self}")
        idx = _backend.to_numpy(self._indices._value)
        vs = tuple(self._values._value.shape)
        if idx.ndim != 1 or vs != (idx.shape[0],) + self._shape[1:]:
            raise InvalidArgumentError(
                None, "UnsortedSegmentSum", f"IndexedSlices: values of shape {list(vs)} and indices of shape "
                f"{list(idx.shape)} do not describe slices of a tensor of shape {list(self._shape)}: indices must "
                "be 1-D with one entry per row of values, and values' other dimensions must be dense_shape[1:].")
        bad = np.flatnonzero((idx < 0) | (idx >= self._shape[0]))
        if bad.size:
            raise InvalidArgumentError(None, "UnsortedSegmentSum", f"indices[{bad[0]}] = {idx[bad[0]]} is not in "
                                       f"[0, {self._shape[0]}) (IndexedSlices with dense_shape {list(self._shape)})")
        return idx

    def _to_dense(self) -> Tensor:
        """The dense tensor, as a recorded op (differentiable with respect to `values`)."""
        self._check()
        return apply(GatherV2Grad, (self._values, self._indices),
                     {"shape": self._shape, "axis": 0, "batch_dims": 0, "nbatch": 0})

    @property
    def _value(self):
        # The dense array, for any op that receives this object (as TensorFlow converts it). Not recorded: an
        # IndexedSlices from a gradient is differentiated through only via its `values` or tf.convert_to_tensor.
        d = self._dense
        if d is None:
            self._check()
            if _tracked(self._values):
                import warnings

                warnings.warn("An IndexedSlices whose values a GradientTape is watching was converted to a dense "
                              "tensor outside the tape: no gradient flows through this conversion. Convert it with "
                              "tf.convert_to_tensor(slices) first.", UserWarning, stacklevel=3)
            v = self._values._value
            d = self._dense = _gather_grad_impl(_backend.namespace_of(v), v, self._indices._value, self._shape,
                                                0, 0, 0)
        return d

    def __len__(self) -> int:
        return self.shape[0]

    def __str__(self) -> str:
        ds = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{ds})"

    __repr__ = __str__

    def __format__(self, format_spec: str) -> str:
        return format(str(self), format_spec)

    # TensorFlow's IndexedSlices compares and hashes by identity; it is not an elementwise-comparable tensor.
    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    __hash__ = object.__hash__

    def __reduce__(self):
        return (IndexedSlices, (self._values, self._indices, self._dense_shape))

    # Linear maps that keep the slices sparse; every other operator converts to dense, as TensorFlow does.
    def __neg__(self) -> IndexedSlices:
        return self._with_values(-self._values)

    def __mul__(self, other):
        if _is_scalar(other):
            return self._with_values(self._values * other)
        return self._to_dense() * other

    def __rmul__(self, other):
        if _is_scalar(other):
            return self._with_values(other * self._values)
        return other * self._to_dense()

    def __truediv__(self, other):
        if _is_scalar(other):
            return self._with_values(self._values / other)
        return self._to_dense() / other

    def _with_values(self, values) -> IndexedSlices:
        s = object.__new__(IndexedSlices)
        s._values, s._indices, s._dense_shape, s._shape, s._dense = (values, self._indices, self._dense_shape,
                                                                      self._shape, None)
        return s


def _is_scalar(x) -> bool:
    if isinstance(x, (int, float, complex, np.number)) and not isinstance(x, bool):
        return True
    return isinstance(x, _TensorLike) and not isinstance(x, IndexedSlices) and x._value.shape == ()


def sparse_gradient(g, x, nbatch):
    """The engine's `unbroadcast` for a gradient that is not a Tensor: an IndexedSlices to keep, or a dense
    Tensor. A gradient stays sparse unless a tape or accumulator follows its values (a higher-order
    derivative is being taken through it): then it is converted by a recorded op, so that every op a VJP
    rule or the user applies to it is recorded too."""
    if g.__class__ is _SparseGrad:
        g = IndexedSlices._from_parts(g.values, g.indices, g.dense_shape)
    elif g.__class__ is not IndexedSlices:
        raise TypeError(f"A gradient rule returned a {type(g).__name__}; gradients must be tensors.")
    if not nbatch and g._shape == tuple(x._value.shape) and not _tracked(g._values):
        return g
    return g._to_dense()


def add_gradients(x, y):
    """The engine's `add` when an IndexedSlices is involved: two are concatenated (TensorFlow's aggregation:
    repeated indices add up when converted), one beside a dense gradient is converted and added."""
    from .elementwise import add, cast
    from .shape import concat

    xs, ys = x.__class__ is IndexedSlices, y.__class__ is IndexedSlices
    if xs and ys and x._shape == y._shape:
        ix, iy = x._indices, y._indices
        if ix.dtype != iy.dtype:
            ix, iy = cast(ix, _dt.int64), cast(iy, _dt.int64)
        return IndexedSlices._from_parts(concat([x._values, y._values], 0), concat([ix, iy], 0), x._shape)
    return add(x._to_dense() if xs else x, y._to_dense() if ys else y)
