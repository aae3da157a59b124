"""Shape ops: reshape, transpose, expand_dims, squeeze, broadcast_to, concat, stack, unstack, and the Split /
SplitV / Unpack primitives behind tf.split and tf.unstack.

Key decision: these rules are where batched cotangents need care (DESIGN.md): a cotangent may carry
`nb = g.ndim - ans.ndim` leading batch dimensions, and every rule here maps them through untouched.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _backend
from .._core.primitive import apply, as_input, convert, defjvp, defjvp_all, defprimitive, defvjp, defvjp_all, samples
from .._core.tensor import _TensorLike
from . import _samples as S
from .jacobian_seeds import keeps_onehot


def _nb(g, ans) -> int:
    return len(g._value.shape) - len(ans._value.shape)


def _batch(g, ans) -> tuple:
    return tuple(g._value.shape[:_nb(g, ans)])


# =========================================================================== reshape

Reshape = defprimitive("Reshape", lambda xp, x, shape: _backend.reshape(xp, x, shape))
defvjp(Reshape, lambda g, ans, x, shape: _reshape(g, _batch(g, ans) + tuple(x._value.shape)))
defjvp(Reshape, lambda t, ans, x, shape: _reshape(t, shape))
samples(Reshape, lambda: [((S.arr((2, 3)),), {"shape": (3, 2)}), ((S.arr((2, 3), seed=1),), {"shape": (6,)}),
                          ((S.arr((), seed=2),), {"shape": (1, 1)})])


def _reshape(x, shape):
    return apply(Reshape, (x,), {"shape": tuple(shape)})


def reshape(tensor, shape, name=None):
    """`tf.reshape`: the same values in a new shape (one dimension may be -1).

    >>> import tapegrad as tf
    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    x = as_input(tensor)
    if isinstance(shape, _TensorLike):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(d) for d in shape)
    size = math.prod(x._value.shape)
    known = math.prod([d for d in shape if d != -1])
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise _invalid("Reshape", f"Input to reshape is a tensor with {size} values, but the requested shape "
                                  f"{list(shape)} does not fit them (shape of the input: {list(x._value.shape)}).")
    if -1 in shape:
        shape = tuple(size // known if d == -1 else d for d in shape)
    if shape == tuple(x._value.shape):
        return convert(x)
    return _reshape(x, shape)


def _invalid(op, msg):
    from .._core.errors import InvalidArgumentError

    return InvalidArgumentError(None, op, f"{msg} [Op:{op}]")


# =========================================================================== transpose

Transpose = defprimitive("Transpose", lambda xp, x, perm: xp.permute_dims(x, perm)
                         if hasattr(xp, "permute_dims") else xp.transpose(x, perm))


def _transpose_vjp(g, ans, x, perm):
    nb = _nb(g, ans)
    inv = tuple(int(i) for i in np.argsort(perm))
    return _transpose(g, tuple(range(nb)) + tuple(nb + i for i in inv))


defvjp(Transpose, _transpose_vjp)
defjvp(Transpose, lambda t, ans, x, perm: _transpose(t, perm))
samples(Transpose, lambda: [((S.arr((2, 3)),), {"perm": (1, 0)}),
                            ((S.arr((2, 3, 4), seed=1),), {"perm": (2, 0, 1)})])


def _transpose(x, perm):
    return apply(Transpose, (x,), {"perm": tuple(perm)})


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """`tf.transpose`: permutes the dimensions (reverses them when `perm` is None).

    >>> import tapegrad as tf
    >>> tf.transpose(tf.zeros((2, 3))).shape
    TensorShape([3, 2])
    """
    x = as_input(a)
    nd = len(x._value.shape)
    if perm is None:
        perm = tuple(range(nd - 1, -1, -1))
    else:
        if isinstance(perm, _TensorLike):
            perm = perm.numpy().tolist()
        perm = tuple(int(p) % nd if nd else int(p) for p in perm)
        if sorted(perm) != list(range(nd)):
            raise _invalid("Transpose", f"transpose expects a permutation of 0..{nd - 1} for a tensor of shape "
                                        f"{list(x._value.shape)}, got perm={list(perm)}.")
    out = _transpose(x, perm)
    if conjugate and x._value.dtype.kind == "c":
        from .elementwise import conj

        out = conj(out)
    return out


# =========================================================================== expand_dims, squeeze

def expand_dims(input, axis, name=None):  # noqa: A002
    """`tf.expand_dims`: inserts a dimension of size 1 at `axis` (negative counts from the end).

    >>> import tapegrad as tf
    >>> tf.expand_dims(tf.zeros((2, 3)), -1).shape
    TensorShape([2, 3, 1])
    """
    x = as_input(input)
    shape = list(x._value.shape)
    nd = len(shape)
    axis = int(axis)
    if not -nd - 1 <= axis <= nd:
        raise _invalid("ExpandDims", f"axis {axis} is out of range for expand_dims on a tensor of rank {nd} "
                                     f"(valid: {-nd - 1}..{nd}).")
    if axis < 0:
        axis += nd + 1
    shape.insert(axis, 1)
    return _reshape(x, shape)


def squeeze(input, axis=None, name=None):  # noqa: A002
    """`tf.squeeze`: removes dimensions of size 1 (all of them, or those in `axis`).

    >>> import tapegrad as tf
    >>> tf.squeeze(tf.zeros((1, 3, 1))).shape
    TensorShape([3])
    """
    x = as_input(input)
    shape = list(x._value.shape)
    nd = len(shape)
    if axis is None:
        keep = [d for d in shape if d != 1]
    else:
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        norm = []
        for a in axes:
            a = int(a)
            if not -nd <= a < nd:
                raise _invalid("Squeeze", f"axis {a} is out of range for a tensor of rank {nd}.")
            a %= nd
            if shape[a] != 1:
                raise _invalid("Squeeze", f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} "
                                          f"(input shape {shape}).")
            norm.append(a)
        keep = [d for i, d in enumerate(shape) if i not in norm]
    return _reshape(x, keep)


# =========================================================================== broadcast_to

BroadcastTo = defprimitive("BroadcastTo", lambda xp, x, shape: xp.broadcast_to(x, shape))
defvjp(BroadcastTo, lambda g, ans, x, shape: g)  # the engine sums g back down to x's shape
defjvp(BroadcastTo, lambda t, ans, x, shape: _broadcast_to(t, shape))
samples(BroadcastTo, lambda: [((S.arr((3, 1)),), {"shape": (2, 3, 4)}), ((S.arr(()),), {"shape": (2,)})])


def _broadcast_to(x, shape):
    return apply(BroadcastTo, (x,), {"shape": tuple(shape)})


def broadcast_to(input, shape, name=None):  # noqa: A002
    """`tf.broadcast_to`: `input` repeated along new or size-1 dimensions to `shape`.

    >>> import tapegrad as tf
    >>> tf.broadcast_to(tf.constant([1.0, 2.0]), [3, 2]).shape
    TensorShape([3, 2])
    """
    x = as_input(input)
    if isinstance(shape, _TensorLike):
        shape = shape.numpy().tolist()
    shape = tuple(int(d) for d in shape)
    if tuple(x._value.shape) == shape:
        return convert(x)
    return _broadcast_to(x, shape)


# =========================================================================== concat, stack

def _concat_impl(xp, *xs, axis):
    return xp.concat(xs, axis=axis) if hasattr(xp, "concat") else xp.concatenate(xs, axis=axis)


Concat = defprimitive("ConcatV2", _concat_impl)


def _concat_vjp(g, ans, *xs, axis):  # one SplitV of g (n slices would each be a full-size scatter at order 2)
    return list(apply(SplitV, (g,), {"sizes": tuple(x._value.shape[axis] for x in xs), "axis": _nb(g, ans) + axis}))


defvjp_all(Concat, _concat_vjp)
defjvp_all(Concat, lambda ts, ans, *xs, axis: apply(
    Concat, tuple(t if t is not None else _zeros_of(x) for t, x in zip(ts, xs)), {"axis": axis}))
samples(Concat, lambda: [((S.arr((2, 3)), S.arr((1, 3), seed=1)), {"axis": 0}),
                         ((S.arr((2, 1)), S.arr((2, 2), seed=1), S.arr((2, 3), seed=2)), {"axis": 1})])


def _zeros_of(x):
    from .creation import zeros_like

    return zeros_like(x)


def _check_same(values, op):
    """Tensors for `values`, all of one dtype: Python values take the dtype (and backend) of the first
    tensor or array among them; tensors and arrays of another dtype are an error naming both."""
    from .._core import dtypes as _dt
    from .creation import constant_like

    if not values:
        raise ValueError(f"{op}: needs at least one tensor.")
    j = next((i for i, v in enumerate(values) if isinstance(v, _TensorLike) or _backend.is_array(v)), 0)
    ref = as_input(values[j])
    d0 = _backend.numpy_dtype_of(ref._value)
    ts = []
    for i, v in enumerate(values):
        if i == j:
            ts.append(ref)
        elif isinstance(v, _TensorLike) or _backend.is_array(v):
            t = as_input(v)
            if _backend.numpy_dtype_of(t._value) != d0:
                raise _invalid(op, f"{op}: input #{i} has dtype {t.dtype.name} but input #{j} has dtype "
                                   f"{_dt.from_array(ref._value).name}; all inputs need the same dtype (use tf.cast).")
            ts.append(t)
        else:
            ts.append(constant_like(v, ref))
    return ts


def concat(values, axis, name="concat"):
    """`tf.concat`: joins tensors along an existing axis.

    >>> import tapegrad as tf
    >>> tf.concat([tf.zeros((2, 3)), tf.ones((1, 3))], axis=0).shape
    TensorShape([3, 3])
    """
    ts = _check_same(list(values), "ConcatV2")
    nd = len(ts[0]._value.shape)
    if nd == 0:
        raise _invalid("ConcatV2", "Can't concatenate scalars (use tf.stack instead).")
    axis = int(axis)
    if not -nd <= axis < nd:
        raise _invalid("ConcatV2", f"axis {axis} is out of range for tensors of rank {nd}.")
    axis %= nd
    for i, t in enumerate(ts):
        s = t._value.shape
        if len(s) != nd or any(a != b for k, (a, b) in enumerate(zip(s, ts[0]._value.shape)) if k != axis):
            raise _invalid("ConcatV2", f"ConcatOp : Dimension mismatch: input #{i} has shape {list(s)} but input #0 "
                                       f"has shape {list(ts[0]._value.shape)}; all dimensions but axis {axis} must "
                                       "match.")
    if len(ts) == 1:
        return convert(ts[0])
    return apply(Concat, tuple(ts), {"axis": axis})


def _stack_impl(xp, *xs, axis):
    return xp.stack(xs, axis=axis)


Pack = defprimitive("Pack", _stack_impl)


def _stack_vjp(g, ans, *xs, axis):  # one Unpack of g
    return list(apply(Unpack, (g,), {"axis": _nb(g, ans) + axis}))


defvjp_all(Pack, _stack_vjp)
defjvp_all(Pack, lambda ts, ans, *xs, axis: apply(
    Pack, tuple(t if t is not None else _zeros_of(x) for t, x in zip(ts, xs)), {"axis": axis}))
samples(Pack, lambda: [((S.arr((2, 3)), S.arr((2, 3), seed=1)), {"axis": 0}),
                       ((S.arr((2,)), S.arr((2,), seed=1), S.arr((2,), seed=2)), {"axis": 1})])


def stack(values, axis=0, name="stack"):
    """`tf.stack`: joins same-shaped tensors along a new axis.

    >>> import tapegrad as tf
    >>> tf.stack([tf.zeros(3), tf.ones(3)], axis=1).shape
    TensorShape([3, 2])
    """
    ts = _check_same(list(values), "Pack")
    s0 = tuple(ts[0]._value.shape)
    for i, t in enumerate(ts):
        if tuple(t._value.shape) != s0:
            raise _invalid("Pack", f"Shapes of all inputs must match: values[0].shape = {list(s0)} != "
                                   f"values[{i}].shape = {list(t._value.shape)}.")
    nd = len(s0) + 1
    axis = int(axis)
    if not -nd <= axis < nd:
        raise _invalid("Pack", f"axis {axis} is out of range for stacking tensors of rank {nd - 1}.")
    return apply(Pack, tuple(ts), {"axis": axis % nd})


def unstack(value, num=None, axis=0, name="unstack"):
    """`tf.unstack`: the slices of `value` along `axis`, as a list.

    >>> import tapegrad as tf
    >>> len(tf.unstack(tf.zeros((3, 2))))
    3
    """
    x = as_input(value)
    nd = len(x._value.shape)
    if nd == 0:
        raise ValueError("tf.unstack: cannot unstack a scalar.")
    axis = int(axis) % nd
    n = x._value.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"tf.unstack: num={num} but dimension {axis} has size {n}.")
    return list(apply(Unpack, (x,), {"axis": axis})) if n else []


# =========================================================================== Split, SplitV, Unpack
# tf.split and tf.unstack are each one op with n outputs (TensorFlow's Split / SplitV and Unpack), not n slices:
# their gradient is one concat (stack) of the pieces' cotangents, where n slices' gradients would each scatter
# into a zero array of the input's size and be summed, O(n * size). The engine gives zeros for pieces with no
# cotangent. `axis` may be negative (the VJPs hand Concat / Pack a non-negative one, past the batch dims).

def _split_impl(xp, x, sizes, axis):
    pre = (slice(None),) * (axis % x.ndim)
    out, start = [], 0
    for z in sizes:
        out.append(x[pre + (slice(start, start + z), ...)])  # (the array API wants `...` for unindexed axes)
        start += z
    return tuple(out)


def _unstack_impl(xp, x, axis):
    axis %= x.ndim
    pre = (slice(None),) * axis
    return tuple(x[pre + (i, ...)] for i in range(x.shape[axis]))


def _split_vjp(g, ans, x, sizes, axis):
    if len(g) == 1:
        return g[0]
    return apply(Concat, tuple(g), {"axis": _nb(g[0], ans[0]) + axis % x._value.ndim})


def _unstack_vjp(g, ans, x, axis):
    return apply(Pack, tuple(g), {"axis": _nb(g[0], ans[0]) + axis % x._value.ndim})


Split = defprimitive("Split", _split_impl)  # tf.split(x, n): equal parts
SplitV = defprimitive("SplitV", _split_impl)  # tf.split(x, sizes)
Unpack = defprimitive("Unpack", _unstack_impl)
for _p in (Split, SplitV):
    defvjp(_p, _split_vjp)
    defjvp(_p, lambda t, ans, x, sizes, axis, _p=_p: apply(_p, (t,), {"sizes": sizes, "axis": axis}))  # linear
defvjp(Unpack, _unstack_vjp)
defjvp(Unpack, lambda t, ans, x, axis: apply(Unpack, (t,), {"axis": axis}))
samples(Split, lambda: [((S.arr((6,)),), {"sizes": (3, 3), "axis": 0}),
                        ((S.arr((2, 6), seed=1),), {"sizes": (2, 2, 2), "axis": -1}),
                        ((S.arr((4, 1, 3), seed=2),), {"sizes": (1, 1, 1, 1), "axis": 0}),
                        ((S.arr((1, 3), seed=3),), {"sizes": (1,), "axis": 0})])
samples(SplitV, lambda: [((S.arr((5,)),), {"sizes": (2, 3), "axis": 0}),
                         ((S.arr((2, 5), seed=1),), {"sizes": (1, 0, 4), "axis": 1}),
                         ((S.arr((2, 3, 4), seed=2),), {"sizes": (1, 2), "axis": -2}),
                         ((S.arr((3, 1, 4), seed=3),), {"sizes": (0, 4), "axis": -1})])
samples(Unpack, lambda: [((S.arr((3,)),), {"axis": 0}),
                         ((S.arr((2, 3), seed=1),), {"axis": -1}),
                         ((S.arr((2, 1, 3), seed=2),), {"axis": 1}),
                         ((S.arr((2, 3, 4), seed=3),), {"axis": -3})])

keeps_onehot(Reshape)  # the flat order is kept (see jacobian_seeds.py)
