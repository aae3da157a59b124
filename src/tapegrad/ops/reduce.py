"""Reductions: reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod (axis, keepdims).

Key decision: `axis` is normalized once, in the public wrapper, to a sorted tuple of non-negative axes
(or None), so rules see one form. A reduced cotangent is expanded back by `_expand` (reshape to the
keepdims shape, then broadcast), which keeps any leading batch dimensions of the cotangent.
"""

from __future__ import annotations

import numpy as np

from .._backend import namespace_of
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, defjvp, defprimitive, defvjp, samples
from .._core.tensor import Tensor, wrap
from . import _samples as S


def normalize_axis(axis, ndim: int, op: str):
    """None, or a sorted tuple of distinct non-negative axes; errors name the op and the rank."""
    if axis is None:
        return None
    if hasattr(axis, "numpy"):
        axis = axis.numpy().tolist()
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise InvalidArgumentError(None, op, f"{op}: Invalid reduction dimension {a} for input with {ndim} "
                                       f"dimensions (valid axes: {-ndim}..{max(ndim - 1, 0)}).")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise InvalidArgumentError(None, op, f"{op}: axis {list(axis)} repeats an axis; give each axis once.")
    return tuple(sorted(out))


def _kept_shape(x_shape, axes):
    if axes is None:
        return (1,) * len(x_shape)
    return tuple(1 if i in axes else d for i, d in enumerate(x_shape))


def _expand(g, x, axes, keepdims):
    """A cotangent of a reduction, broadcast back over `x`'s shape (leading batch dims kept)."""
    from .shape import broadcast_to, reshape

    xs = tuple(x._value.shape)
    gs = tuple(g._value.shape)
    out_nd = len(xs) if keepdims else len(xs) - (len(xs) if axes is None else len(axes))
    batch = gs[:len(gs) - out_nd]
    g = reshape(g, batch + _kept_shape(xs, axes))
    return broadcast_to(g, batch + xs)


def _count(x, axes):
    xs = x._value.shape
    return int(np.prod(xs if axes is None else [xs[a] for a in axes]))


def _reduce_sample():
    return [((S.arr((3, 4)),), {"axis": None, "keepdims": False}),
            ((S.arr((3, 4), seed=1),), {"axis": (1,), "keepdims": False}),
            ((S.arr((2, 3, 2), seed=2),), {"axis": (0, 2), "keepdims": True}),
            ((S.arr((), seed=3),), {"axis": None, "keepdims": False}),
            ((S.arr((4,), seed=4),), {"axis": (0,), "keepdims": True}),
            ((S.arr((2, 3), seed=5),), {"axis": (), "keepdims": False}),
            ((S.arr((2, 3), seed=6),), {"axis": None, "keepdims": True})]


def _prod_sample():
    # zeros: one in a group (its gradient is the product of the others), two in a group (all zero)
    z = np.array([[2.0, 0.0, -1.5], [0.0, 0.0, 1.2], [0.5, -1.3, 1.7]])
    return _reduce_sample() + [((z,), {"axis": (1,), "keepdims": False}), ((z,), {"axis": (0,), "keepdims": True}),
                               ((z[:1],), {"axis": None, "keepdims": False})]


Sum = defprimitive("Sum", lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims))
defvjp(Sum, lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims))
defjvp(Sum, lambda t, ans, x, axis, keepdims: _sum(t, axis, keepdims))
samples(Sum, _reduce_sample)


def _mean_impl(xp, x, axis, keepdims):
    if x.dtype.kind in "iub":  # TensorFlow: integer mean stays integer (truncating)
        s = xp.sum(x, axis=axis, keepdims=keepdims)
        n = int(np.prod(x.shape if axis is None else [x.shape[a] for a in axis]))
        if not n:
            return s
        return (s // n).astype(x.dtype) if xp is np else xp.astype(s // n, x.dtype)
    return xp.mean(x, axis=axis, keepdims=keepdims)


Mean = defprimitive("Mean", _mean_impl)
defvjp(Mean, lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims) / _count(x, axis))
defjvp(Mean, lambda t, ans, x, axis, keepdims: apply(Mean, (t,), {"axis": axis, "keepdims": keepdims}))
samples(Mean, _reduce_sample)


def _extreme_vjp(g, ans, x, axis, keepdims):
    # TensorFlow's rule: ties share the gradient equally.
    from .elementwise import cast, equal
    from .shape import reshape

    kept = reshape(ans, _kept_shape(tuple(x._value.shape), axis))
    ind = cast(equal(x, kept), g.dtype)
    n = _sum(ind, axis, True)
    return ind / n * _expand(g, x, axis, keepdims)


def _extreme_jvp(t, ans, x, axis, keepdims):
    from .elementwise import cast, equal
    from .shape import reshape

    kept = reshape(ans, _kept_shape(tuple(x._value.shape), axis))
    ind = cast(equal(x, kept), t.dtype)
    return _sum(ind * t, axis, keepdims) / _sum(ind, axis, keepdims)


Max = defprimitive("Max", lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims))
defvjp(Max, _extreme_vjp)
defjvp(Max, _extreme_jvp)
samples(Max, _reduce_sample)

Min = defprimitive("Min", lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims))
defvjp(Min, _extreme_vjp)
defjvp(Min, _extreme_jvp)
samples(Min, _reduce_sample)


def _prod_others(x, axis):
    """For each element, the product of the other elements in its reduction group (zero-safe)."""
    from .creation import ones_like
    from .elementwise import where
    from .shape import broadcast_to, expand_dims, reshape, transpose

    if not np.any(x.numpy() == 0):
        return _prod(x, axis, True) / x
    # With zeros: move the reduced axes last, flatten them to n, and mask the diagonal of an (n, n) grid.
    xs = tuple(x._value.shape)
    axes = tuple(range(len(xs))) if axis is None else axis
    rest = [i for i in range(len(xs)) if i not in axes]
    perm = rest + list(axes)
    n = int(np.prod([xs[a] for a in axes]))
    xt = reshape(transpose(x, perm), [xs[i] for i in rest] + [n])
    grid = broadcast_to(expand_dims(xt, -2), [xs[i] for i in rest] + [n, n])  # row i holds the group
    xp = namespace_of(x._value)
    eye = wrap(np.eye(n, dtype=bool) if xp is np else xp.asarray(np.eye(n, dtype=bool)))
    others = _prod(where(eye, ones_like(grid), grid), (len(rest) + 1,), False)  # (..., n)
    others = reshape(others, [xs[i] for i in rest] + [xs[a] for a in axes])
    inv = np.argsort(perm)
    return transpose(others, list(inv))


Prod = defprimitive("Prod", lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims))
defvjp(Prod, lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims) * _prod_others(x, axis))
defjvp(Prod, lambda t, ans, x, axis, keepdims: _sum(t * _prod_others(x, axis), axis, keepdims))
samples(Prod, _prod_sample)


def _sum(x, axis, keepdims):
    return apply(Sum, (x,), {"axis": axis, "keepdims": keepdims})


def _prod(x, axis, keepdims):
    return apply(Prod, (x,), {"axis": axis, "keepdims": keepdims})


def _reducer(prim, tf_name):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        x = input_tensor if input_tensor.__class__ is Tensor else as_input(input_tensor)
        ax = None if axis is None else normalize_axis(axis, len(x._value.shape), tf_name)
        return apply(prim, (x,), {"axis": ax, "keepdims": bool(keepdims)})

    reduce.__name__ = tf_name.split(".")[-1]
    reduce.__doc__ = (f"`{tf_name}`: reduces `input_tensor` over `axis` (all axes if None), keeping reduced "
                      f"dims as size 1 if `keepdims`.\n\n    >>> import tapegrad as tf\n"
                      f"    >>> tf.{reduce.__name__}(tf.constant([[1.0, 2.0], [3.0, 4.0]]), axis=1).shape\n"
                      f"    TensorShape([2])\n    ")
    return reduce


reduce_sum = _reducer(Sum, "tf.reduce_sum")
reduce_mean = _reducer(Mean, "tf.reduce_mean")
reduce_max = _reducer(Max, "tf.reduce_max")
reduce_min = _reducer(Min, "tf.reduce_min")
reduce_prod = _reducer(Prod, "tf.reduce_prod")

Any = defprimitive("Any", lambda xp, x, axis, keepdims: xp.any(x, axis=axis, keepdims=keepdims),
                   differentiable=False)
All = defprimitive("All", lambda xp, x, axis, keepdims: xp.all(x, axis=axis, keepdims=keepdims),
                   differentiable=False)
reduce_any = _reducer(Any, "tf.reduce_any")
reduce_all = _reducer(All, "tf.reduce_all")
