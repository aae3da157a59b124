"""Array ops: tile, pad, reverse, roll, split, slice, strided_slice, gather, gather_nd, the scatters,
boolean_mask, one_hot, repeat, meshgrid, linspace, einsum, tensordot, clip_by_norm, clip_by_global_norm,
shape, size, rank, identity_n, and `tf.IndexedSlices`.

Key decision: everything here is a composite of a few primitives (Reshape, BroadcastTo, Transpose, ConcatV2,
Split / SplitV in shape.py, the StridedSlice pair and GatherV2 / GatherV2Grad in indexing.py, MatMul, the
elementwise ops), so each op gets its gradient, higher orders, forward mode and every array backend for free.
The index arithmetic behind them (masks, paddings, split points, flat positions, reflections) is static and
done once on the host, where it is also checked, so bad input fails with TensorFlow's message before any array
work.
"""

from __future__ import annotations

import builtins
import string
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, convert, defprimitive
from .._core.tensor import Tensor, _TensorLike, wrap
from .creation import constant_like, eye
from .elementwise import add, cast, identity, maximum, minimum, sqrt, stop_gradient, subtract, where
from .indexing import GatherV2, GatherV2Grad, GetItem, IndexedSlices, ScatterGrad, _slice_axis
from .linalg import matmul
from .reduce import reduce_sum
from .shape import Split, SplitV, _check_same, broadcast_to, concat, expand_dims, reshape, transpose

__all__ = [
    "IndexedSlices", "boolean_mask", "clip_by_global_norm", "clip_by_norm", "einsum", "eye", "gather", "gather_nd",
    "identity_n", "linspace", "meshgrid", "one_hot", "pad", "rank", "repeat", "reverse", "roll", "scatter_nd",
    "shape", "size", "slice", "split", "strided_slice", "tensor_scatter_nd_add", "tensor_scatter_nd_sub",
    "tensor_scatter_nd_update", "tensordot", "tile",
]


# --------------------------------------------------------------------------- helpers

TensorLike = Any  # a Tensor, Variable, array or (nested) Python number list
IntsLike = Any  # an int, a list of ints, or an integer tensor or array

def _invalid(op: str, msg: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{msg} [Op:{op}]")


def _host(x) -> np.ndarray:
    """A host (NumPy) copy of a tensor, array or Python value."""
    if isinstance(x, _TensorLike):
        return np.asarray(_backend.to_numpy(x._value))
    if _backend.is_array(x):
        return np.asarray(_backend.to_numpy(x))
    return np.asarray(x)


def _ints(x, what: str) -> list:
    a = _host(x)
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
        raise TypeError(f"{what} must be integers, got {x!r:.80}.")
    return [int(v) for v in a.reshape(-1)]


def _int(x, what: str) -> int:
    a = _host(x)
    if a.shape != () or a.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer scalar, got {x!r:.80}.")
    return int(a)


def _shape(x) -> tuple:
    return tuple(x._value.shape)


def _prod(dims) -> int:
    return int(np.prod(dims, dtype=np.int64)) if len(dims) else 1


def _axis(axis, nd: int, op: str) -> int:
    a = _int(axis, f"{op}: axis")
    if not -nd <= a < nd:
        raise _invalid(op, f"Expected axis in the range [{-nd}, {nd}), but got {a}")
    return a % nd


def _int_tensor(a: np.ndarray, like: Tensor) -> Tensor:
    """A host int array as a Tensor on `like`'s backend."""
    xp = _backend.namespace_of(like._value)
    return wrap(a if xp is np else xp.asarray(a))


def _index_input(indices, op: str) -> Tensor:
    i = as_input(indices)
    if i._value.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be int32 or int64, got {i.dtype.name}; cast them with tf.cast(indices, "
                        "tf.int32).")
    return i


def _take(x, idx: np.ndarray, axis: int):
    """`x` gathered along `axis` at host indices `idx` (already in range), with a dense gradient."""
    return apply(GatherV2, (x, _int_tensor(idx.astype(np.int64), x)),
                 {"axis": axis, "batch_dims": 0, "nbatch": 0, "sparse": False})


def _fmt(pos) -> str:
    return ",".join(str(int(p)) for p in pos)


# =========================================================================== tile, pad, reverse, roll

def tile(input: TensorLike, multiples: IntsLike, name: str | None = None) -> Tensor:  # noqa: A002 - TF's names
    """`tf.tile`: `input` repeated `multiples[i]` times along dimension `i`.

    Args:
      input: a tensor.
      multiples: one non-negative int per dimension of `input`.
    Raises:
      InvalidArgumentError: `multiples` has the wrong length or a negative entry.

    >>> import tapegrad as tf
    >>> tf.tile(tf.constant([[1, 2]]), [2, 2]).numpy()
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]], dtype=int32)
    """
    x = as_input(input)
    s = _shape(x)
    m = _ints(multiples, "tf.tile: multiples")
    if len(m) != len(s):
        raise _invalid("Tile", f"Expected multiples argument to be a vector of length {len(s)} but got length {len(m)}"
                               f" (input shape {list(s)})")
    for i, k in enumerate(m):
        if k < 0:
            raise _invalid("Tile", f"Expected multiples[{i}] >= 0, but got {k}")
    if all(k == 1 for k in m):
        return identity(x)
    # (d0, d1) -> (1, d0, 1, d1) -> broadcast to (m0, d0, m1, d1) -> (m0 * d0, m1 * d1): the gradient sums the
    # copies back through the broadcast.
    inter = [v for d in s for v in (1, d)]
    target = [v for d, k in zip(s, m) for v in (k, d)]
    return reshape(broadcast_to(reshape(x, inter), target), [d * k for d, k in zip(s, m)])


def pad(tensor: TensorLike, paddings: IntsLike, mode: str = "CONSTANT", constant_values: TensorLike = 0,
        name: str | None = None) -> Tensor:
    """`tf.pad`: pads `tensor` with `paddings[i] = [before, after]` entries along dimension `i`.

    Modes: "CONSTANT" (with `constant_values`, which gets no gradient, as in TensorFlow), "REFLECT" (mirror
    without the edge; paddings < dimension) and "SYMMETRIC" (mirror with the edge; paddings <= dimension).

    >>> import tapegrad as tf
    >>> tf.pad(tf.constant([1, 2, 3]), [[2, 1]], "REFLECT").numpy()
    array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    x = as_input(tensor)
    s = _shape(x)
    mode_u = str(mode).upper()
    if mode_u not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or "SYMMETRIC". '
                         f"Received `mode` = {mode}")
    p = _host(paddings)
    if p.dtype.kind not in "iu":
        raise TypeError(f"tf.pad: paddings must be integers, got {paddings!r:.80}.")
    op = "Pad" if mode_u == "CONSTANT" else "MirrorPad"
    if p.shape != (len(s), 2):
        raise _invalid(op, f"The first dimension of paddings must be the rank of inputs{list(p.shape)} {list(s)}: "
                           f"paddings must have shape [{len(s)}, 2], one [before, after] pair per dimension")
    p = p.astype(np.int64)
    if (p < 0).any():
        i = int(np.argwhere(p < 0)[0][0])
        raise _invalid(op, f"Paddings must be non-negative: {p[i, 0]} {p[i, 1]}")
    if mode_u == "CONSTANT":
        if not p.any():
            return identity(x)
        out_shape = tuple(int(d + a + b) for d, (a, b) in zip(s, p))
        key = tuple(builtins.slice(int(a), int(a) + d) for d, (a, _) in zip(s, p))
        y = apply(ScatterGrad, (x,), {"shape": out_shape, "key": key, "nbatch": 0})  # zeros with x inside
        c = _host(constant_values)
        if c.shape != ():
            raise ValueError(f"tf.pad: constant_values must be a scalar, got shape {c.shape}.")
        if c != 0:
            inside = np.zeros(out_shape, dtype=bool)
            inside[key] = True
            cv = stop_gradient(constant_values) if isinstance(constant_values, _TensorLike) else constant_values
            y = where(_int_tensor(inside, x), y, cv)
        return y
    limit_ok = (lambda v, d: v < d) if mode_u == "REFLECT" else (lambda v, d: v <= d)
    for d, (a, b) in zip(s, p):
        if not (limit_ok(a, d) and limit_ok(b, d)):
            if mode_u == "REFLECT":
                raise _invalid(op, f"paddings must be less than the dimension size: {a}, {b} not less than {d}")
            raise _invalid(op, f"paddings must be no greater than the dimension size: {a}, {b} greater than {d}")
    y = x
    for ax, (d, (a, b)) in enumerate(zip(s, p)):
        if a or b:
            y = _take(y, np.pad(np.arange(d), (int(a), int(b)), mode="reflect" if mode_u == "REFLECT" else "symmetric"),
                      ax)
    return y if y is not x else identity(x)


def _axes_list(axis, nd: int, op: str) -> list:
    axes = _ints(axis, f"{op}: axis")
    out = []
    for a in axes:
        if not -nd <= a < nd:
            raise _invalid(op, f"'axis'[{len(out)}] = {a} is out of valid range [{-nd}, {nd - 1}]")
        a %= nd
        if a in out:
            raise _invalid(op, f"axis {a} specified more than once")
        out.append(a)
    return out


def reverse(tensor: TensorLike, axis: IntsLike, name: str | None = None) -> Tensor:
    """`tf.reverse`: `tensor` with the order of elements along each dimension in `axis` reversed.

    >>> import tapegrad as tf
    >>> tf.reverse(tf.constant([[1, 2, 3], [4, 5, 6]]), [-1]).numpy()
    array([[3, 2, 1],
           [6, 5, 4]], dtype=int32)
    """
    x = as_input(tensor)
    axes = _axes_list(axis, len(_shape(x)), "ReverseV2")
    if not axes:
        return identity(x)
    key = tuple(builtins.slice(None, None, -1) if i in axes else builtins.slice(None) for i in range(max(axes) + 1))
    return apply(GetItem, (x,), {"key": key, "nbatch": 0})


def roll(input: TensorLike, shift: IntsLike, axis: IntsLike, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.roll`: elements shifted by `shift` along `axis` (ints or equal-length lists), wrapping around.

    >>> import tapegrad as tf
    >>> tf.roll(tf.constant([0, 1, 2, 3, 4]), shift=2, axis=0).numpy()
    array([3, 4, 0, 1, 2], dtype=int32)
    """
    x = as_input(input)
    s = _shape(x)
    shifts, axes = _ints(shift, "tf.roll: shift"), _ints(axis, "tf.roll: axis")
    if len(shifts) != len(axes):
        raise _invalid("Roll", f"shift and axis must have the same size, got {len(shifts)} and {len(axes)}")
    total: dict = {}
    for k, a in zip(shifts, axes):
        if not -len(s) <= a < len(s):
            raise _invalid("Roll", f"axis {a} is out of range for a tensor of rank {len(s)}")
        total[a % len(s)] = total.get(a % len(s), 0) + k
    y = x
    for a, k in sorted(total.items()):
        d = s[a]
        k = k % d if d else 0
        if k:  # the last k elements, then the first d - k
            head, tail = apply(SplitV, (y,), {"sizes": (d - k, k), "axis": a})
            y = concat([tail, head], a)
    return y if y is not x else identity(x)


# =========================================================================== split, slice, strided_slice

def split(value: TensorLike, num_or_size_splits: IntsLike, axis: IntsLike = 0, num: int | None = None,
          name: str = "split") -> list[Tensor]:
    """`tf.split`: `value` cut along `axis` into `num_or_size_splits` equal parts, or parts of the given sizes
    (one size may be -1: the rest).

    >>> import tapegrad as tf
    >>> [t.shape[1] for t in tf.split(tf.zeros((2, 7)), [2, -1, 1], axis=1)]
    [2, 4, 1]
    """
    x = as_input(value)
    s = _shape(x)
    if not s:
        raise ValueError("tf.split: cannot split a scalar (shape ()).")
    ax = _axis(axis, len(s), "Split")
    n = s[ax]
    spec = _host(num_or_size_splits)
    if spec.ndim == 0:
        k = _int(num_or_size_splits, "tf.split: num_or_size_splits")
        if k < 1:
            raise _invalid("Split", f"num_or_size_splits must be >= 1, got {k}")
        if n % k:
            raise _invalid("Split", f"Number of ways to split should evenly divide the split dimension, but got "
                                    f"split_dim {ax} (size = {n}) and num_split {k}")
        sizes = [n // k] * k
    else:
        sizes = _ints(num_or_size_splits, "tf.split: num_or_size_splits")
        if num is not None and int(num) != len(sizes):
            raise ValueError(f"tf.split: num={num} but {len(sizes)} sizes were given.")
        if sizes.count(-1) > 1:
            raise _invalid("SplitV", f"Only one dimensions can have a value of -1 in size_splits, got {sizes}")
        known = sum(z for z in sizes if z != -1)
        if any(z < -1 for z in sizes) or (-1 in sizes and known > n) or (-1 not in sizes and known != n):
            raise _invalid("SplitV", "Determined shape must either match input shape along split_dim exactly if fully "
                                     "specified, or be less than the size of the input along split_dim if not fully "
                                     f"specified.  Got: {known} (sizes {sizes}, dimension {ax} of shape {list(s)})")
        sizes = [n - known if z == -1 else z for z in sizes]
    if not sizes:
        return []
    return list(apply(Split if spec.ndim == 0 else SplitV, (x,), {"sizes": tuple(sizes), "axis": ax}))


def slice(input_: TensorLike, begin: IntsLike, size: IntsLike, name: str | None = None) -> Tensor:  # noqa: A001
    """`tf.slice`: the block of `input_` starting at `begin` with `size` (-1: to the end) in each dimension.

    >>> import tapegrad as tf
    >>> tf.slice(tf.reshape(tf.range(12), [3, 4]), [1, 1], [2, -1]).numpy()
    array([[ 5,  6,  7],
           [ 9, 10, 11]], dtype=int32)
    """
    x = as_input(input_)
    s = _shape(x)
    b, z = _ints(begin, "tf.slice: begin"), _ints(size, "tf.slice: size")
    if len(b) != len(s) or len(z) != len(s):
        raise _invalid("Slice", f"Expected begin and size arguments to be 1-D tensors of size {len(s)}, but got shapes "
                                f"[{len(b)}] and [{len(z)}] instead (input shape {list(s)}).")
    key = []
    for i, (d, bi, zi) in enumerate(zip(s, b, z)):
        if zi == -1:
            zi = d - bi
        if not 0 <= bi <= d:
            raise _invalid("Slice", f"Expected begin[{i}] in [0, {d}], but got {bi}")
        if not (0 <= zi and bi + zi <= d):
            raise _invalid("Slice", f"Expected size[{i}] in [0, {d - bi}], but got {zi}")
        key.append(builtins.slice(bi, bi + zi))
    return apply(GetItem, (x,), {"key": tuple(key), "nbatch": 0})


def strided_slice(input_: TensorLike, begin: IntsLike, end: IntsLike, strides: IntsLike | None = None,
                  begin_mask: int = 0, end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var=None, name: str | None = None) -> Tensor:
    """`tf.strided_slice`: Python's `input_[b0:e0:s0, b1:e1:s1, ...]` written as lists, with TensorFlow's masks.

    Bit `i` of `begin_mask` / `end_mask` ignores `begin[i]` / `end[i]` (the fullest range), of `ellipsis_mask`
    makes entry `i` an `...`, of `new_axis_mask` a `tf.newaxis`, of `shrink_axis_mask` the single index
    `begin[i]` (removing that dimension).

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.range(24), [2, 3, 4])
    >>> tf.strided_slice(x, [0, 0, 3], [0, 0, 0], [1, 1, -2], begin_mask=2, end_mask=6, shrink_axis_mask=1).numpy()
    array([[ 3,  1],
           [ 7,  5],
           [11,  9]], dtype=int32)
    """
    x = as_input(input_)
    s = _shape(x)
    b, e = _ints(begin, "tf.strided_slice: begin"), _ints(end, "tf.strided_slice: end")
    st = [1] * len(b) if strides is None else _ints(strides, "tf.strided_slice: strides")
    if not len(b) == len(e) == len(st):
        raise ValueError(f"tf.strided_slice: begin, end and strides must have the same length, got {len(b)}, {len(e)} "
                         f"and {len(st)}.")
    ell = [i for i in range(len(b)) if ellipsis_mask >> i & 1]
    if len(ell) > 1:
        raise _invalid("StridedSlice", "Multiple ellipses in slice spec not allowed")
    # How many input dimensions an ellipsis stands for: those no other (non-new-axis) entry consumes.
    consumed = sum(1 for i in range(len(b)) if not (ellipsis_mask >> i & 1) and not (new_axis_mask >> i & 1))
    key, dim = [], 0
    for i in range(len(b)):
        if ellipsis_mask >> i & 1:
            key.append(Ellipsis)
            dim += max(len(s) - consumed, 0)
            continue
        if new_axis_mask >> i & 1:
            key.append(None)
            continue
        if dim >= len(s):
            raise _invalid("StridedSlice", f"Index out of range using input dim {dim}; input has only {len(s)} dims")
        if st[i] == 0:
            raise _invalid("StridedSlice", f"strides[{i}] must be non-zero")
        if shrink_axis_mask >> i & 1:
            if not -s[dim] <= b[i] < s[dim]:
                raise _invalid("StridedSlice", f"slice index {b[i]} of dimension {dim} out of bounds.")
            key.append(b[i])
        else:
            key.append(builtins.slice(None if begin_mask >> i & 1 else b[i], None if end_mask >> i & 1 else e[i],
                                      st[i]))
        dim += 1
    return apply(GetItem, (x,), {"key": tuple(key) if ell else tuple(key) + (Ellipsis,), "nbatch": 0})


# =========================================================================== gather, gather_nd

def gather(params: TensorLike, indices: IntsLike, validate_indices=None, axis: IntsLike | None = None,
           batch_dims: IntsLike = 0, name: str | None = None) -> Tensor:
    """`tf.gather`: slices of `params` along `axis` at `indices`, the first `batch_dims` dimensions of both
    matched one to one. The gradient of an axis-0 gather with respect to `params` is a `tf.IndexedSlices`.

    Args:
      params: the tensor (or Variable) to gather from, rank >= 1.
      indices: int32 or int64 indices, each in [0, params.shape[axis]).
      axis: the dimension of `params` to gather along (default: `batch_dims`).
      batch_dims: leading dimensions shared by `params` and `indices`.
    Raises:
      InvalidArgumentError: an index out of range (TensorFlow's CPU message), bad axis or batch_dims.

    >>> import tapegrad as tf
    >>> tf.gather(tf.constant([[1, 2], [3, 4], [5, 6]]), [2, 0]).numpy()
    array([[5, 6],
           [1, 2]], dtype=int32)
    """
    p = as_input(params)
    i = _index_input(indices, "GatherV2")
    ps, ishape = _shape(p), _shape(i)
    bd = _int(batch_dims, "tf.gather: batch_dims")
    if bd < 0:
        bd += len(ishape)
    if not 0 <= bd <= len(ishape):
        raise _invalid("GatherV2", f"Expected batch_dims in the range [{-len(ishape)}, {len(ishape)}], but got "
                                   f"{_int(batch_dims, 'batch_dims')}")
    if not ps:
        raise _invalid("GatherV2", "params must be at least 1 dimensional")
    ax = bd if axis is None else _int(axis, "tf.gather: axis")
    if not -len(ps) <= ax < len(ps):
        raise _invalid("GatherV2", f"Expected axis in the range [{-len(ps)}, {len(ps)}), but got {ax}")
    ax %= len(ps)
    if bd:
        if bd >= len(ps):
            raise _invalid("GatherV2", f"batch_dims ({bd}) must be less than rank(params) ({len(ps)}).")
        if ax < bd:
            raise _invalid("GatherV2", f"batch_dims ({bd}) must be less than or equal to axis ({ax}).")
        for k in range(bd):
            if ps[k] != ishape[k]:
                raise _invalid("GatherV2", f"params.shape[{k}]: {ps[k]} should be equal to indices.shape[{k}]: "
                                           f"{ishape[k]}")
    ih = _host(i)
    bad = (ih < 0) | (ih >= ps[ax])
    if bad.any():
        pos = np.argwhere(bad)[0] if ih.ndim else ()
        raise _invalid("GatherV2", f"indices[{_fmt(pos)}] = {ih[tuple(pos)]} is not in [0, {ps[ax]}) (gathering "
                                   f"along axis {ax} of params with shape {list(ps)})")
    if _backend.namespace_of(i._value) is not _backend.namespace_of(p._value):
        i = _int_tensor(ih, p)  # the indices move to the params' backend
    return apply(GatherV2, (p, i), {"axis": ax, "batch_dims": bd, "nbatch": 0, "sparse": ax == 0 and bd == 0})


def _flat_positions(ih: np.ndarray, dims: tuple, op: str, what: str, report: tuple | None = None) -> np.ndarray:
    """Row-major positions in `dims` of the index vectors in `ih`'s last dimension, each checked in range (an
    error names the shape `report`, default `dims`)."""
    q = ih.shape[-1]
    bad = ((ih < 0) | (ih >= np.asarray(dims, dtype=np.int64)[:q])).any(axis=-1) if q else np.zeros(ih.shape[:-1],
                                                                                                   bool)
    if bad.any():
        pos = np.argwhere(bad)[0]
        vec = ", ".join(str(int(v)) for v in ih[tuple(pos)])
        raise _invalid(op, f"indices[{_fmt(pos)}] = [{vec}] does not index into {what} "
                           f"{list(dims if report is None else report)}")
    strides = np.array([_prod(dims[k + 1:q]) for k in range(q)], dtype=np.int64)
    return (ih.astype(np.int64) * strides).sum(axis=-1) if q else np.zeros(ih.shape[:-1], np.int64)


def gather_nd(params: TensorLike, indices: IntsLike, batch_dims: IntsLike = 0, name: str | None = None) -> Tensor:
    """`tf.gather_nd`: slices of `params` at index vectors (the last dimension of `indices`), after
    `batch_dims` leading dimensions shared by both. The gradient is dense (as TensorFlow's ScatterNd).

    >>> import tapegrad as tf
    >>> tf.gather_nd(tf.constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).numpy()
    array([3, 2], dtype=int32)
    """
    p = as_input(params)
    i = _index_input(indices, "GatherNd")
    ps, ishape = _shape(p), _shape(i)
    b = _int(batch_dims, "tf.gather_nd: batch_dims")
    if not ishape:
        raise _invalid("GatherNd", "indices must be at least a vector (the last dimension holds index vectors)")
    if b < 0 or b >= len(ishape):
        raise _invalid("GatherNd", f"batch_dims ({b}) must be in [0, rank(indices) = {len(ishape)})")
    q = ishape[-1]
    if q > len(ps) - b:
        raise _invalid("GatherNd", f"index innermost dimension length must be <= params rank; saw: {q} vs. "
                                   f"{len(ps) - b} (params shape {list(ps)}, batch_dims {b})")
    for k in range(b):
        if ps[k] != ishape[k]:
            raise _invalid("GatherNd", f"Batch dimensions of params and indices must match: params.shape[{k}] = "
                                       f"{ps[k]} but indices.shape[{k}] = {ishape[k]}")
    flat = _flat_positions(_host(i), ps[b:b + q], "GatherNd", "param shape", ps)
    folded = reshape(p, ps[:b] + (_prod(ps[b:b + q]),) + ps[b + q:])
    return apply(GatherV2, (folded, _int_tensor(flat, p)), {"axis": b, "batch_dims": b, "nbatch": 0, "sparse": False})


# =========================================================================== scatter_nd and tensor_scatter_nd_*

def _scatter_checks(op: str, i: Tensor, u: Tensor, shape: tuple) -> np.ndarray:
    ishape, ushape = _shape(i), _shape(u)
    if not ishape:
        raise _invalid(op, "indices must be at least a vector (the last dimension holds index vectors)")
    q = ishape[-1]
    if q > len(shape):
        raise _invalid(op, f"Index innermost dimension length must be <= output rank; saw: {q} vs. {len(shape)} "
                           f"(output shape {list(shape)})")
    want = ishape[:-1] + tuple(shape[q:])
    if ushape != want:
        raise _invalid(op, f"updates has shape {list(ushape)}, but indices of shape {list(ishape)} into a tensor of "
                           f"shape {list(shape)} need updates of shape {list(want)} (indices.shape[:-1] + "
                           f"shape[indices.shape[-1]:])")
    return _flat_positions(_host(i), tuple(shape), op, "shape")


def _scatter_rows(u: Tensor, flat: np.ndarray, shape: tuple, q: int) -> Tensor:
    """Zeros of `shape` with `u`'s slices added at the row-major positions `flat` of its first q dims."""
    rows = (_prod(shape[:q]),) + tuple(shape[q:])
    out = apply(GatherV2Grad, (u, _int_tensor(flat, u)), {"shape": rows, "axis": 0, "batch_dims": 0, "nbatch": 0})
    return reshape(out, shape)


def scatter_nd(indices: IntsLike, updates: TensorLike, shape: IntsLike, name: str | None = None) -> Tensor:
    """`tf.scatter_nd`: zeros of `shape` with `updates` added at `indices` (repeated indices add up).

    >>> import tapegrad as tf
    >>> tf.scatter_nd([[1], [3], [1]], [9.0, 10.0, 11.0], [4]).numpy()
    array([ 0., 20.,  0., 10.], dtype=float32)
    """
    i = _index_input(indices, "ScatterNd")
    u = as_input(updates)
    dims = tuple(_ints(shape, "tf.scatter_nd: shape"))
    if any(d < 0 for d in dims):
        raise _invalid("ScatterNd", f"shape must be non-negative, got {list(dims)}")
    flat = _scatter_checks("ScatterNd", i, u, dims)
    return _scatter_rows(u, flat, dims, _shape(i)[-1])


def _tensor_scatter(op: str, tensor, indices, updates):
    t = as_input(tensor)
    i = _index_input(indices, op)
    if isinstance(updates, _TensorLike):
        u = as_input(updates)
        if u.dtype != t.dtype:
            raise _invalid(op, f"updates has dtype {u.dtype.name} but tensor has dtype {t.dtype.name}; they must "
                               "match (use tf.cast)")
    else:  # arrays and Python values take the tensor's dtype and backend, as TensorFlow converts them
        u = constant_like(updates, t)
    return t, i, u, _scatter_checks(op, i, u, _shape(t))


def tensor_scatter_nd_update(tensor: TensorLike, indices: IntsLike, updates: TensorLike,
                             name: str | None = None) -> Tensor:
    """`tf.tensor_scatter_nd_update`: `tensor` with the slices at `indices` replaced by `updates` (for a
    repeated index the last update wins, as on TensorFlow's CPU; only it gets a gradient).

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_update(tf.zeros(4), [[1], [3]], [5.0, 6.0]).numpy()
    array([0., 5., 0., 6.], dtype=float32)
    """
    t, i, u, flat = _tensor_scatter("TensorScatterUpdate", tensor, indices, updates)
    s, q = _shape(t), _shape(i)[-1]
    f = flat.reshape(-1)
    last = np.full(_prod(s[:q]), -1, np.int64)
    last[f] = np.arange(f.size)  # NumPy assigns in order: the last occurrence of each position stays
    keep = np.flatnonzero(last[f] == np.arange(f.size))
    u = reshape(u, (f.size,) + s[q:])
    if keep.size != f.size:
        u = _take(u, keep, 0)
    inside = np.zeros(_prod(s[:q]), dtype=bool)
    inside[f] = True
    mask = _int_tensor(inside.reshape(s[:q] + (1,) * (len(s) - q)), t)
    return where(mask, _scatter_rows(u, f[keep], s, q), t)


def tensor_scatter_nd_add(tensor: TensorLike, indices: IntsLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    """`tf.tensor_scatter_nd_add`: `tensor` plus `updates` added at `indices` (repeated indices add up).

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_add(tf.ones(4), [[1], [1]], [5.0, 6.0]).numpy()
    array([ 1., 12.,  1.,  1.], dtype=float32)
    """
    t, i, u, flat = _tensor_scatter("TensorScatterAdd", tensor, indices, updates)
    return add(t, _scatter_rows(u, flat, _shape(t), _shape(i)[-1]))


def tensor_scatter_nd_sub(tensor: TensorLike, indices: IntsLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    """`tf.tensor_scatter_nd_sub`: `tensor` minus `updates` subtracted at `indices`.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_sub(tf.ones(3), [[0]], [5.0]).numpy()
    array([-4.,  1.,  1.], dtype=float32)
    """
    t, i, u, flat = _tensor_scatter("TensorScatterSub", tensor, indices, updates)
    return subtract(t, _scatter_rows(u, flat, _shape(t), _shape(i)[-1]))


# =========================================================================== boolean_mask, one_hot, repeat

def boolean_mask(tensor: TensorLike, mask: TensorLike, axis: IntsLike | None = None,
                 name: str = "boolean_mask") -> Tensor:
    """`tf.boolean_mask`: the entries of `tensor` (from dimension `axis` on) where the boolean `mask` is true,
    flattened into one dimension.

    >>> import tapegrad as tf
    >>> tf.boolean_mask(tf.constant([[1, 2], [3, 4], [5, 6]]), [True, False, True]).numpy()
    array([[1, 2],
           [5, 6]], dtype=int32)
    """
    t = as_input(tensor)
    m = _host(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"tf.boolean_mask: mask must be a bool tensor, got dtype {m.dtype}.")
    s = _shape(t)
    if m.ndim == 0:
        raise ValueError("mask cannot be scalar.")
    ax = 0 if axis is None else _int(axis, "tf.boolean_mask: axis")
    if ax < 0:
        ax += len(s)
    if not 0 <= ax <= len(s) - m.ndim:
        raise ValueError(f"tf.boolean_mask: axis {axis} with a mask of rank {m.ndim} does not fit a tensor of rank "
                         f"{len(s)}.")
    if s[ax:ax + m.ndim] != m.shape:
        raise ValueError(f"Shapes {tuple(s[ax:ax + m.ndim])} and {m.shape} are incompatible (tf.boolean_mask: the "
                         f"mask's shape must match dimensions {ax}..{ax + m.ndim - 1} of the tensor, {list(s)})")
    folded = reshape(t, s[:ax] + (_prod(m.shape),) + s[ax + m.ndim:])
    return _take(folded, np.flatnonzero(m), ax)


def _one_hot_impl(xp, indices, on, off, depth, axis):
    eq = xp.reshape(indices, tuple(indices.shape) + (1,)) == xp.arange(depth, dtype=indices.dtype)
    r = xp.where(eq, on, off)
    nd = len(r.shape)
    if axis != -1 and axis != nd - 1:
        perm = list(range(nd - 1))
        perm.insert(axis, nd - 1)
        r = xp.permute_dims(r, tuple(perm)) if xp is not np else np.transpose(r, perm)
    return r


OneHot = defprimitive("OneHot", _one_hot_impl, differentiable=False)  # TensorFlow: NotDifferentiable("OneHot")


def one_hot(indices: IntsLike, depth: IntsLike, on_value: TensorLike | None = None,
            off_value: TensorLike | None = None, axis: int | None = None, dtype=None,
            name: str | None = None) -> Tensor:
    """`tf.one_hot`: `on_value` where the new dimension's position equals the index, else `off_value`
    (indices outside [0, depth) give a row of `off_value`). Not differentiable, as in TensorFlow.

    >>> import tapegrad as tf
    >>> tf.one_hot([0, 2, -1], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    i = _index_input(indices, "OneHot")
    d = _int(depth, "tf.one_hot: depth")
    if d < 0:
        raise _invalid("OneHot", f"depth must be non-negative, got: {d}")
    given = [v for v in (on_value, off_value) if v is not None]
    dt = None if dtype is None else _dt.as_dtype(dtype)
    if dt is None:
        typed = [as_input(v).dtype for v in given if isinstance(v, _TensorLike) or _backend.is_array(v)]
        dt = typed[0] if typed else (_dt.as_dtype(convert(given[0]).dtype) if given else _dt.float32)
    for label, v in (("on_value", on_value), ("off_value", off_value)):
        if v is not None and (isinstance(v, _TensorLike) or _backend.is_array(v)) and as_input(v).dtype != dt:
            raise TypeError(f"dtype {as_input(v).dtype.name} of {label} does not match dtype parameter {dt.name}")
    on, off = (as_input(v) if isinstance(v, _TensorLike) else convert(d if v is None else v, dt)
               for v, d in ((on_value, 1), (off_value, 0)))
    ax = -1 if axis is None else _int(axis, "tf.one_hot: axis")
    nd = len(_shape(i)) + 1
    if not -1 <= ax < nd:
        raise _invalid("OneHot", f"Expected axis to be -1 or between [0, {nd}).  But received: {ax}")
    xp = _backend.namespace_of(i._value)
    if xp is not np:
        on, off = wrap(xp.asarray(_host(on))), wrap(xp.asarray(_host(off)))
    return apply(OneHot, (i, on, off), {"depth": d, "axis": ax})


def repeat(input: TensorLike, repeats: IntsLike, axis: IntsLike | None = None,  # noqa: A002
           name: str | None = None) -> Tensor:
    """`tf.repeat`: each element (or slice along `axis`) repeated `repeats` times; `axis=None` flattens first.

    >>> import tapegrad as tf
    >>> tf.repeat(tf.constant([[1, 2], [3, 4]]), [1, 2], axis=0).numpy()
    array([[1, 2],
           [3, 4],
           [3, 4]], dtype=int32)
    """
    x = as_input(input)
    if axis is None:
        x, ax = reshape(x, [-1]), 0
    else:
        ax = _axis(axis, len(_shape(x)), "Repeat")
    d = _shape(x)[ax]
    r = np.asarray(_ints(repeats, "tf.repeat: repeats"), dtype=np.int64)
    if r.size == 1 and _host(repeats).ndim <= 1:
        r = np.full(d, r[0] if r.size else 0, np.int64)
    if r.shape != (d,):
        raise _invalid("Repeat", f"repeats must be a scalar or have one entry per element of dimension {ax} (size "
                                 f"{d}), got {r.size} entries")
    if (r < 0).any():
        raise _invalid("Repeat", f"repeats must be non-negative, got {r.tolist()}")
    return _take(x, np.repeat(np.arange(d), r), ax)


# =========================================================================== meshgrid, linspace

def meshgrid(*args: TensorLike, **kwargs: Any) -> list[Tensor]:
    """`tf.meshgrid`: coordinate grids from 1-D coordinate vectors; `indexing="xy"` (Cartesian, the default)
    swaps the first two output dimensions, `"ij"` (matrix) does not.

    >>> import tapegrad as tf
    >>> x, y = tf.meshgrid([1, 2, 3], [4, 5])
    >>> x.numpy(), y.shape
    (array([[1, 2, 3],
           [1, 2, 3]], dtype=int32), TensorShape([2, 3]))
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Key word argument(s) {sorted(kwargs)} not supported: tf.meshgrid takes indexing, name.")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'")
    xs = [reshape(as_input(a), [-1]) for a in args]
    n = len(xs)
    sizes = [_shape(x)[0] for x in xs]
    out_shape = list(sizes)
    order = list(range(n))
    if indexing == "xy" and n > 1:
        out_shape[0], out_shape[1] = out_shape[1], out_shape[0]
        order[0], order[1] = 1, 0
    outs = []
    for k, x in enumerate(xs):
        shape = [1] * n
        shape[order.index(k)] = sizes[k]
        outs.append(broadcast_to(reshape(x, shape), out_shape))
    return outs


def linspace(start: TensorLike, stop: TensorLike, num: IntsLike, name: str | None = None,
             axis: int = 0) -> Tensor:
    """`tf.linspace`: `num` evenly spaced values from `start` to `stop` inclusive, along a new `axis` when
    `start` and `stop` are tensors (they broadcast). Differentiable in `start` and `stop`, composed as
    TensorFlow's `linspace_nd` (the last value is `stop` exactly; integers give float64).

    >>> import tapegrad as tf
    >>> tf.linspace(10.0, 12.0, 3).numpy()
    array([10., 11., 12.], dtype=float32)
    """
    a = convert(start) if not isinstance(start, _TensorLike) else as_input(start)
    b = as_input(stop) if isinstance(stop, _TensorLike) else convert(stop, a.dtype)
    if b.dtype != a.dtype:
        raise _invalid("LinSpace", f"start has dtype {a.dtype.name} but stop has dtype {b.dtype.name}; they must match")
    n = _int(num, "tf.linspace: num")
    if n < 0:
        raise _invalid("LinSpace", f"Requires num >= 0: {n}")
    shape = tuple(np.broadcast_shapes(_shape(a), _shape(b)))
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    nd = len(shape) + 1
    if not -nd <= int(axis) < nd:
        raise _invalid("LinSpace", f"axis {axis} is out of range for a result of rank {nd}")
    ax = int(axis) % nd
    ea, eb = expand_dims(a, ax), expand_dims(b, ax)
    steps = max(n - 1, 1)
    delta = (eb - ea) / steps
    ea, eb = cast(ea, delta.dtype), cast(eb, delta.dtype)
    fill = [1] * nd
    fill[ax] = max(n - 2, 0)
    rng = wrap(np.arange(1, max(n - 1, 1), dtype=_dt.numpy_dtype(delta.dtype)).reshape(fill))
    if _backend.namespace_of(delta._value) is not np:
        rng = _int_tensor(rng._value, delta)
    res = concat([ea, ea + delta * rng, eb], ax)
    return _slice_axis(res, ax, 0, n)


# =========================================================================== einsum, tensordot

_LETTERS = set(string.ascii_letters)


def _einsum_parse(equation: str, shapes: list) -> tuple:
    """Subscripts per operand and the output's, with `...` replaced by private labels (right-aligned)."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'.")
    lhs, out = eq.split("->") if "->" in eq else (eq, None)
    specs = lhs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(specs)} operand(s) but {len(shapes)} were given.")
    ell = 0
    for spec, s in zip(specs, shapes):
        if "..." in spec:
            ell = max(ell, len(s) - (len(spec) - 3))
    labels = [chr(0x100 + k) for k in range(ell)]  # never letters: no clash with the user's labels
    subs = []
    for k, (spec, s) in enumerate(zip(specs, shapes)):
        if "..." in spec:
            m = len(s) - (len(spec) - 3)
            if m < 0:
                raise ValueError(f"einsum: operand {k} has rank {len(s)}, fewer than its subscripts {spec!r} name.")
            spec = spec.replace("...", "".join(labels[ell - m:]))
        if not set(spec) <= _LETTERS | set(labels) or len(spec) != len(s):
            raise ValueError(f"einsum: subscripts {specs[k]!r} of operand {k} do not fit its shape {list(s)} (one "
                             "letter per dimension, or '...').")
        subs.append(spec)
    if out is None:
        counts = {c: sum(sp.count(c) for sp in subs) for c in "".join(subs)}
        out = "".join(labels) + "".join(sorted(c for c, n in counts.items() if n == 1 and c in _LETTERS))
    else:
        out = out.replace("...", "".join(labels))
        if not set(out) <= _LETTERS | set(labels) or len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts of {equation!r} must be distinct letters.")
        for c in out:
            if not any(c in sp for sp in subs):
                raise ValueError(f"einsum: output subscript {c!r} of {equation!r} does not appear in any input.")
    return subs, out, set(labels)


def _einsum_diagonal(x, sub: str):
    """Repeated labels within one operand: keep their diagonal (x[..., i, ..., i, ...] for 'ii')."""
    while len(set(sub)) != len(sub):
        c = next(c for c in sub if sub.count(c) > 1)
        pos = [k for k, d in enumerate(sub) if d == c][:2]
        rest = [k for k in range(len(sub)) if k not in pos]
        x = transpose(x, rest + pos)
        n = _shape(x)[-1]
        ar = np.arange(n)
        x = apply(GetItem, (x,), {"key": (Ellipsis, ar, ar), "nbatch": 0})
        sub = "".join(sub[k] for k in rest) + c
    return x, sub


def _einsum_sum(x, sub: str, keep: set):
    axes = [k for k, c in enumerate(sub) if c not in keep]
    if not axes:
        return x, sub
    return reduce_sum(x, axes), "".join(c for c in sub if c in keep)


def _einsum_pair(x, sx: str, y, sy: str, keep: set):
    """Contracts two operands with one batched matmul; `keep` holds the labels needed afterwards."""
    x, sx = _einsum_sum(x, sx, keep | set(sy))
    y, sy = _einsum_sum(y, sy, keep | set(sx))
    size = {}
    for t, sub in ((x, sx), (y, sy)):
        for c, d in zip(sub, _shape(t)):
            if size.get(c, 1) != d and d != 1 and size.get(c, 1) != 1:
                raise _invalid("Einsum", f"Expected dimension {size[c]} at axis {sub.index(c)} of an input with labels "
                                         f"{sub!r}, but got dimension {d} (label {c!r})")
            size[c] = max(size.get(c, 1), d)
    batch = [c for c in sx if c in sy and c in keep]
    contr = [c for c in sx if c in sy and c not in keep]
    fx = [c for c in sx if c not in sy]
    fy = [c for c in sy if c not in sx]

    def arrange(t, sub, first, second, third):
        order = first + second + third
        t = transpose(t, [sub.index(c) for c in order]) if list(sub) != order else t
        s = _shape(t)
        want = [size[c] if c in contr else s[k] for k, c in enumerate(order)]  # contracted dims must match
        if list(s) != want:
            t = broadcast_to(t, want)
        nb = len(first)
        return reshape(t, list(want[:nb]) + [_prod(want[nb:nb + len(second)]), _prod(want[nb + len(second):])])

    a = arrange(x, sx, batch, fx, contr)
    b = arrange(y, sy, batch, contr, fy)
    r = matmul(a, b)
    bshape = list(_shape(r)[:len(batch)])
    return reshape(r, bshape + [size[c] for c in fx] + [size[c] for c in fy]), "".join(batch + fx + fy)


def einsum(equation: str, *inputs: TensorLike, **kwargs: Any) -> Tensor:
    """`tf.einsum`: the tensor contraction written in Einstein notation (`...` broadcasts; repeated labels in
    one operand take a diagonal; no `->` means the alphabetical order of labels used once). Operands are
    contracted left to right, each pair by one batched matmul.

    >>> import tapegrad as tf
    >>> a = tf.reshape(tf.range(6.0), [2, 3])
    >>> tf.einsum("ij,kj->ik", a, a).numpy()
    array([[ 5., 14.],
           [14., 50.]], dtype=float32)
    """
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword argument(s): {sorted(kwargs)}")
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string, got {type(equation).__name__}.")
    if not inputs:
        raise ValueError("einsum: needs at least one operand.")
    ts = _check_same(list(inputs), "Einsum")
    subs, out, _ = _einsum_parse(equation, [_shape(t) for t in ts])
    ops = [_einsum_diagonal(t, sub) for t, sub in zip(ts, subs)]
    x, sx = ops[0]
    for k in range(1, len(ops)):
        later = set(out).union(*[set(s) for _, s in ops[k + 1:]])
        x, sx = _einsum_pair(x, sx, ops[k][0], ops[k][1], later)
    x, sx = _einsum_sum(x, sx, set(out))
    if sx != out:
        x = transpose(x, [sx.index(c) for c in out])
    sizes = {}
    for t, sub in ops:
        for c, d in zip(sub, _shape(t)):
            sizes[c] = max(sizes.get(c, 1), d)
    want = [sizes[c] for c in out]
    if list(_shape(x)) != want:  # a label broadcast only through `...` of size 1 in the single operand
        x = broadcast_to(x, want)
    return x


def tensordot(a: TensorLike, b: TensorLike, axes: IntsLike, name: str | None = None) -> Tensor:
    """`tf.tensordot`: sums the products of `a` and `b` over `axes` (an int N: the last N of `a` with the first
    N of `b`; or a pair of axis lists), as one matmul.

    >>> import tapegrad as tf
    >>> tf.tensordot(tf.ones((2, 3)), tf.ones((3, 4)), axes=1).shape
    TensorShape([2, 4])
    """
    x, y = _check_same([a, b], "Tensordot")
    sa, sb = _shape(x), _shape(y)
    ax = _host(axes) if not isinstance(axes, (list, tuple)) else None
    if ax is not None and ax.ndim == 0:
        n = int(ax)
        if n < 0 or n > len(sa) or n > len(sb):
            raise ValueError(f"'axes' must be >= 0 and at most the ranks of a ({len(sa)}) and b ({len(sb)}), got {n}.")
        xa, ya = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        pair = list(axes) if ax is None else list(ax)
        if len(pair) != 2:
            raise ValueError(f"'axes' must be an integer or have length 2, got {axes!r}.")
        xa, ya = (_ints(p, "tf.tensordot: axes") for p in pair)
        if len(xa) != len(ya):
            raise _invalid("Tensordot", f"'axes' lists must have the same length, got {xa} and {ya}")
        for lst, s, what in ((xa, sa, "a"), (ya, sb, "b")):
            for k, v in enumerate(lst):
                if not -len(s) <= v < len(s):
                    raise _invalid("Tensordot", f"axis {v} is out of range for {what} of rank {len(s)}")
                lst[k] = v % len(s)
    for i, j in zip(xa, ya):
        if sa[i] != sb[j]:
            raise _invalid("Tensordot", f"Matrix size-incompatible: a.shape[{i}] = {sa[i]} but b.shape[{j}] = {sb[j]} "
                                        f"(a: {list(sa)}, b: {list(sb)})")
    fa = [k for k in range(len(sa)) if k not in xa]
    fb = [k for k in range(len(sb)) if k not in ya]
    m = reshape(transpose(x, fa + xa), [_prod([sa[k] for k in fa]), _prod([sa[k] for k in xa])])
    n = reshape(transpose(y, ya + fb), [_prod([sb[k] for k in ya]), _prod([sb[k] for k in fb])])
    return reshape(matmul(m, n), [sa[k] for k in fa] + [sb[k] for k in fb])


# =========================================================================== clipping by norm

def clip_by_norm(t: TensorLike | IndexedSlices, clip_norm: TensorLike, axes: IntsLike | None = None,
                 name: str | None = None) -> Tensor | IndexedSlices:
    """`tf.clip_by_norm`: `t * clip_norm / max(l2norm(t), clip_norm)`, the L2 norm taken over `axes` (all by
    default). An IndexedSlices has its values clipped and stays an IndexedSlices. A zero norm gives a finite
    gradient (TensorFlow's two-`where` trick).

    >>> import tapegrad as tf
    >>> tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    is_slices = isinstance(t, IndexedSlices)
    v = t.values if is_slices else as_input(t)
    l2sum = reduce_sum(v * v, axes, keepdims=True)
    pred = l2sum > 0
    l2sum_safe = where(pred, l2sum, 1.0)
    l2norm = where(pred, sqrt(l2sum_safe), l2sum)
    c = clip_norm if not isinstance(clip_norm, _TensorLike) else cast(clip_norm, v.dtype)
    clipped = identity(v * c / maximum(l2norm, c))
    if _shape(clipped) != _shape(v):
        raise ValueError(f"tf.clip_by_norm: clip_norm of shape {_shape(as_input(clip_norm))} broadcast the result to "
                         f"{_shape(clipped)}; it must be a scalar or broadcast to t's shape {_shape(v)}.")
    return IndexedSlices(clipped, t.indices, t.dense_shape) if is_slices else clipped


def _global_norm(values: list):
    sq = [reduce_sum(v * v) for v in values]
    if not sq:
        raise ValueError("tf.clip_by_global_norm: t_list has no tensors (all entries are None).")
    dts = {s.dtype for s in sq}
    if len(dts) > 1:
        raise _invalid("Pack", f"the tensors in t_list have different dtypes {sorted(d.name for d in dts)}; "
                               "clip_by_global_norm needs one dtype (use tf.cast)")
    total = sq[0]
    for s in sq[1:]:
        total = total + s
    return sqrt(total)


def clip_by_global_norm(t_list: list | tuple, clip_norm: TensorLike, use_norm: TensorLike | None = None,
                        name: str | None = None) -> tuple[list, Tensor]:
    """`tf.clip_by_global_norm`: each tensor scaled by `clip_norm / max(global_norm, clip_norm)`, where
    `global_norm = sqrt(sum(l2norm(t) ** 2))`; returns `(list_clipped, global_norm)`. None entries stay None,
    IndexedSlices stay IndexedSlices (their values count toward the norm); an infinite or NaN global norm
    makes every entry NaN, as in TensorFlow.

    >>> import tapegrad as tf
    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), tf.constant([4.0])], 1.0)
    >>> [round(float(c[0]), 6) for c in clipped], float(norm)
    ([0.6, 0.8], 5.0)
    """
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    values = [None if t is None else (t.values if isinstance(t, IndexedSlices) else as_input(t)) for t in t_list]
    if use_norm is None:
        use_norm = _global_norm([v for v in values if v is not None])
    else:
        use_norm = as_input(use_norm)
    c = clip_norm if not isinstance(clip_norm, _TensorLike) else cast(clip_norm, use_norm.dtype)
    scale = c * minimum(1.0 / use_norm, constant_like(1.0, use_norm) / c)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, TensorFlow's documented result, without a warning
        scale = scale + (use_norm - use_norm)  # NaN when the norm is inf or NaN
    out = []
    for t, v in zip(t_list, values):
        if v is None:
            out.append(None)
            continue
        cv = identity(v * cast(scale, v.dtype))
        out.append(IndexedSlices(cv, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else cv)
    return out, use_norm


# =========================================================================== shape, size, rank, identity_n

def _out_type(out_type, op: str):
    dt = _dt.int32 if out_type is None else _dt.as_dtype(out_type)
    if dt not in (_dt.int32, _dt.int64):
        raise TypeError(f"{op}: out_type must be tf.int32 or tf.int64, got {dt.name}.")
    return _dt.numpy_dtype(dt)


def _dims_of(x) -> tuple:
    if isinstance(x, _TensorLike):
        return tuple(x.shape)  # an IndexedSlices answers without converting
    return tuple(_host(x).shape)


def shape(input: TensorLike, out_type=None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.shape`: the shape of `input` as a 1-D int32 tensor (int64 with `out_type=tf.int64`).

    >>> import tapegrad as tf
    >>> tf.shape(tf.zeros((2, 3)))
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 3], dtype=int32)>
    """
    return wrap(np.asarray(_dims_of(input), dtype=_out_type(out_type, "tf.shape")).reshape(-1))


def size(input: TensorLike, out_type=None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.size`: the number of elements of `input`, an int32 scalar (int64 with `out_type=tf.int64`).

    >>> import tapegrad as tf
    >>> tf.size(tf.zeros((2, 3)))
    <tf.Tensor: shape=(), dtype=int32, numpy=6>
    """
    return wrap(_out_type(out_type, "tf.size").type(_prod(_dims_of(input))))


def rank(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.rank`: the number of dimensions of `input`, an int32 scalar.

    >>> import tapegrad as tf
    >>> tf.rank(tf.zeros((2, 3)))
    <tf.Tensor: shape=(), dtype=int32, numpy=2>
    """
    return wrap(np.int32(len(_dims_of(input))))


def identity_n(input: list | tuple, name: str | None = None) -> list[Tensor]:  # noqa: A002
    """`tf.identity_n`: a list with `tf.identity` of each tensor in `input`.

    >>> import tapegrad as tf
    >>> [t.dtype for t in tf.identity_n([tf.constant(1), tf.constant(2.0)])]
    [tf.int32, tf.float32]
    """
    return [identity(x) for x in input]

