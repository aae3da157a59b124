"""Reductions (sum, mean, max, min, prod, euclidean norm, logsumexp, variance, std, any, all, count_nonzero),
scans (cumsum, cumprod) and argmax/argmin.

Key decisions:
- `axis` is normalized once, in the public wrapper, to a sorted tuple of non-negative axes (or None), so
  rules see one form. A reduced cotangent is expanded back by `_expand` (reshape to the keepdims shape,
  then broadcast), which keeps any leading batch dimensions of the cotangent.
- Integer reductions keep their dtype (int32 sums stay int32, as in TensorFlow, where NumPy would widen).
- reduce_logsumexp, reduce_variance and reduce_std are TensorFlow's own compositions (math_ops.py), so their
  gradients are TensorFlow's (softmax-weighted for logsumexp) and every order comes free. EuclideanNorm,
  Cumsum and Cumprod are primitives with TensorFlow's gradients (cumprod's divides by x, as TF's does).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import is_lazy, namespace_of, numpy_dtype_of
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, defjvp, defprimitive, defvjp, samples
from .._core.tensor import Tensor, _TensorLike, wrap
from . import _samples as S
from .elementwise import _bad_dtype

_NUMERIC = "float, double, int32, uint8, int16, int8, complex64, int64, bfloat16, uint16, complex128, half, uint32, " \
           "uint64"
_REAL = "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"


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
    from .shape import BroadcastTo, Reshape  # the primitives: shapes here are known valid

    xs = tuple(x._value.shape)
    gs = tuple(g._value.shape)
    out_nd = len(xs) if keepdims else len(xs) - (len(xs) if axes is None else len(axes))
    batch = gs[:len(gs) - out_nd]
    kept = batch + _kept_shape(xs, axes)
    if kept != gs:
        g = apply(Reshape, (g,), {"shape": kept})
    if kept != batch + xs and not batch and is_lazy(x._value):  # Dask: split like x, not one block of its size
        from .creation import ones_like

        return g * ones_like(x, dtype=g.dtype)
    return apply(BroadcastTo, (g,), {"shape": batch + xs}) if kept != batch + xs else g


def _count(x, axes):
    xs = x._value.shape
    return math.prod(xs if axes is None else [xs[a] for a in axes])


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


def _sum_impl(xp, x, axis, keepdims):
    k = x.dtype.kind
    if k in "iu":  # TensorFlow keeps the integer dtype (NumPy would widen int32 to int64)
        return xp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
    if k == "b":
        raise _bad_dtype("Sum", x, _NUMERIC)
    return xp.sum(x, axis=axis, keepdims=keepdims)


Sum = defprimitive("Sum", _sum_impl)
defvjp(Sum, lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims))
defjvp(Sum, lambda t, ans, x, axis, keepdims: _sum(t, axis, keepdims))
samples(Sum, _reduce_sample)


def _mean_impl(xp, x, axis, keepdims):
    if x.dtype.kind == "b":
        raise _bad_dtype("Mean", x, _NUMERIC)
    if x.dtype.kind in "iu":  # TensorFlow: integer mean stays integer (truncating)
        s = xp.sum(x, axis=axis, keepdims=keepdims)
        n = int(np.prod(x.shape if axis is None else [x.shape[a] for a in axis]))
        if not n:
            return s
        return (s // n).astype(x.dtype) if xp is np else xp.astype(s // n, x.dtype)
    if x.size == 0 and xp is np:  # nan (or an empty result), as TensorFlow gives it: without NumPy's warning
        with np.errstate(all="ignore"):
            return xp.sum(x, axis=axis, keepdims=keepdims) / x.dtype.type(0)
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


def _extreme_impl(op, fname):
    def impl(xp, x, axis, keepdims):
        if x.dtype.kind in "bc":
            raise _bad_dtype(op, x, _REAL)
        if 0 in x.shape:  # TensorFlow: the identity of the reduction (-inf for max, inf for min, or the int bounds)
            return _empty_extreme(xp, x, axis, keepdims, op == "Max")
        return getattr(xp, fname)(x, axis=axis, keepdims=keepdims)

    return impl


def _empty_extreme(xp, x, axis, keepdims, is_max):
    shape = tuple(1 if (axis is None or i in axis) else d for i, d in enumerate(x.shape)) if keepdims else \
        tuple(d for i, d in enumerate(x.shape) if axis is not None and i not in axis)
    nd = numpy_dtype_of(x)
    if nd.kind == "f":
        v = -np.inf if is_max else np.inf
    else:
        info = np.iinfo(nd)
        v = info.min if is_max else info.max
    out = np.full(shape, v, dtype=nd)
    return out if xp is np else xp.asarray(out)


Max = defprimitive("Max", _extreme_impl("Max", "max"))
defvjp(Max, _extreme_vjp)
defjvp(Max, _extreme_jvp)
samples(Max, _reduce_sample)

Min = defprimitive("Min", _extreme_impl("Min", "min"))
defvjp(Min, _extreme_vjp)
defjvp(Min, _extreme_jvp)
samples(Min, _reduce_sample)


def _prod_others(x, axis):
    """For each element, the product of the other elements in its reduction group (zero-safe)."""
    from .creation import ones_like
    from .elementwise import where
    from .shape import broadcast_to, expand_dims, reshape, transpose

    lazy = is_lazy(x._value)
    if not lazy and not np.any(x.numpy() == 0):
        return _prod(x, axis, True) / x
    # With zeros: move the reduced axes last, flatten them to n, and mask the diagonal of an (n, n) grid.
    xs = tuple(x._value.shape)
    axes = tuple(range(len(xs))) if axis is None else axis
    rest = [i for i in range(len(xs)) if i not in axes]
    perm = rest + list(axes)
    n = int(np.prod([xs[a] for a in axes]))
    xt = reshape(transpose(x, perm), [xs[i] for i in rest] + [n])
    if lazy:  # Dask: no compute to look for zeros; TensorFlow's zero-safe form, exclusive products both ways
        last = len(rest)
        others = _scan(Cumprod, xt, last, True, False) * _scan(Cumprod, xt, last, True, True)
        return transpose(reshape(others, [xs[i] for i in rest] + [xs[a] for a in axes]), list(np.argsort(perm)))
    grid = broadcast_to(expand_dims(xt, -2), [xs[i] for i in rest] + [n, n])  # row i holds the group
    xp = namespace_of(x._value)
    eye = wrap(np.eye(n, dtype=bool) if xp is np else xp.asarray(np.eye(n, dtype=bool)))
    others = _prod(where(eye, ones_like(grid), grid), (len(rest) + 1,), False)  # (..., n)
    others = reshape(others, [xs[i] for i in rest] + [xs[a] for a in axes])
    inv = np.argsort(perm)
    return transpose(others, list(inv))


def _prod_impl(xp, x, axis, keepdims):
    k = x.dtype.kind
    if k in "iu":
        return xp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
    if k == "b":
        raise _bad_dtype("Prod", x, _NUMERIC)
    return xp.prod(x, axis=axis, keepdims=keepdims)


Prod = defprimitive("Prod", _prod_impl)
defvjp(Prod, lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims) * _prod_others(x, axis))
defjvp(Prod, lambda t, ans, x, axis, keepdims: _sum(t * _prod_others(x, axis), axis, keepdims))
samples(Prod, _prod_sample)


def _sum(x, axis, keepdims):
    return apply(Sum, (x,), {"axis": axis, "keepdims": keepdims})


def _prod(x, axis, keepdims):
    return apply(Prod, (x,), {"axis": axis, "keepdims": keepdims})


def _reducer(prim, tf_name, example="[[1.0, 2.0], [3.0, 4.0]]"):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        x = input_tensor if input_tensor.__class__ is Tensor else as_input(input_tensor)
        ax = None if axis is None else normalize_axis(axis, len(x._value.shape), tf_name)
        return apply(prim, (x,), {"axis": ax, "keepdims": bool(keepdims)})

    reduce.__name__ = tf_name.split(".")[-1]
    reduce.__doc__ = (f"`{tf_name}`: reduces `input_tensor` over `axis` (all axes if None), keeping reduced "
                      f"dims as size 1 if `keepdims`.\n\n    >>> import tapegrad as tf\n"
                      f"    >>> {tf_name}(tf.constant({example}), axis=1).shape\n"
                      f"    TensorShape([2])\n    ")
    return reduce


reduce_sum = _reducer(Sum, "tf.reduce_sum")
reduce_mean = _reducer(Mean, "tf.reduce_mean")
reduce_max = _reducer(Max, "tf.reduce_max")
reduce_min = _reducer(Min, "tf.reduce_min")
reduce_prod = _reducer(Prod, "tf.reduce_prod")

def _logical_impl(op, fname):
    def impl(xp, x, axis, keepdims):
        if x.dtype.kind != "b":
            raise InvalidArgumentError(None, op, f"cannot compute {op} as input #0(zero-based) was expected to be "
                                       f"a bool tensor but is a {_dt.from_array(x).name} tensor [Op:{op}]. "
                                       "Compare first (x > 0) or cast to tf.bool.")
        return getattr(xp, fname)(x, axis=axis, keepdims=keepdims)

    return impl


Any = defprimitive("Any", _logical_impl("Any", "any"), differentiable=False)
All = defprimitive("All", _logical_impl("All", "all"), differentiable=False)
reduce_any = _reducer(Any, "tf.reduce_any", "[[True, False], [False, False]]")
reduce_all = _reducer(All, "tf.reduce_all", "[[True, False], [False, False]]")

# =========================================================================== euclidean norm


def _euclidean_impl(xp, x, axis, keepdims):
    k = x.dtype.kind
    if k == "b":
        raise _bad_dtype("EuclideanNorm", x, _NUMERIC)
    if k in "iu":  # TensorFlow: the integer square root, truncated (sqrt(17) -> 4)
        f = xp.astype(x, xp.float64) if xp is not np else x.astype(np.float64)
        r = xp.sqrt(xp.sum(f * f, axis=axis, keepdims=keepdims))
        return xp.astype(r, x.dtype) if xp is not np else r.astype(x.dtype)
    if k == "c":
        return xp.astype(xp.sqrt(xp.sum(xp.real(x * xp.conj(x)), axis=axis, keepdims=keepdims)), x.dtype)
    return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))


EuclideanNorm = defprimitive("EuclideanNorm", _euclidean_impl)


def _euclidean_vjp(g, ans, x, axis, keepdims):
    from .shape import reshape

    kept = reshape(ans, _kept_shape(tuple(x._value.shape), axis))
    return x / (kept / _expand(g, x, axis, keepdims))  # TensorFlow's form: NaN at a zero norm, as in TF


defvjp(EuclideanNorm, _euclidean_vjp)
defjvp(EuclideanNorm, lambda t, ans, x, axis, keepdims: _sum(x * t, axis, keepdims) / ans)
samples(EuclideanNorm, _reduce_sample)
reduce_euclidean_norm = _reducer(EuclideanNorm, "tf.math.reduce_euclidean_norm")

# =========================================================================== TensorFlow's compositions


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_logsumexp`: log(sum(exp(x))) over `axis`, computed stably (the maximum is factored out;
    an infinite maximum is not). The gradient is softmax-weighted.

    >>> import tapegrad as tf
    >>> round(float(tf.math.reduce_logsumexp(tf.constant([0.0, 0.0]))), 6)
    0.693147
    """
    from .creation import zeros_like
    from .elementwise import exp, is_finite, log, stop_gradient, where
    from .shape import reshape

    x = as_input(input_tensor)
    ax = normalize_axis(axis, len(x._value.shape), "tf.math.reduce_logsumexp")
    raw_max = apply(Max, (x,), {"axis": ax, "keepdims": True})
    my_max = stop_gradient(where(is_finite(raw_max), raw_max, zeros_like(raw_max)))
    result = log(_sum(exp(x - my_max), ax, bool(keepdims)))
    if not keepdims:
        my_max = reshape(my_max, tuple(result._value.shape))
    return result + my_max


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_variance`: the mean squared deviation from the mean over `axis` (real for complex input).

    >>> import tapegrad as tf
    >>> float(tf.math.reduce_variance(tf.constant([1.0, 2.0, 3.0, 4.0])))
    1.25
    """
    from .elementwise import conj, real, square

    x = as_input(input_tensor)
    if x._value.dtype.kind not in "fc":
        raise TypeError(f"Input must be either real or complex (tf.math.reduce_variance got {x.dtype.name}); "
                        "cast it first, e.g. tf.cast(x, tf.float32).")
    ax = normalize_axis(axis, len(x._value.shape), "tf.math.reduce_variance")
    means = apply(Mean, (x,), {"axis": ax, "keepdims": True})
    diff = x - means
    sq = real(diff * conj(diff)) if x._value.dtype.kind == "c" else square(diff)
    return apply(Mean, (sq,), {"axis": ax, "keepdims": bool(keepdims)})


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_std`: the standard deviation over `axis`, sqrt(reduce_variance(...)).

    >>> import tapegrad as tf
    >>> float(tf.math.reduce_std(tf.constant([1.0, 3.0])))
    1.0
    """
    from .elementwise import sqrt

    x = as_input(input_tensor)
    if x._value.dtype.kind not in "fc":
        raise TypeError(f"Input must be either real or complex (tf.math.reduce_std got {x.dtype.name}); "
                        "cast it first, e.g. tf.cast(x, tf.float32).")
    return sqrt(reduce_variance(x, axis=axis, keepdims=keepdims))


def count_nonzero(input, axis=None, keepdims=None, dtype=_dt.int64, name=None):  # noqa: A002
    """`tf.math.count_nonzero`: the number of nonzero (for bool: true) elements over `axis`, as `dtype`.

    >>> import tapegrad as tf
    >>> tf.math.count_nonzero(tf.constant([[0.0, 1.5], [2.0, 0.0]]), axis=1).numpy()
    array([1, 1])
    """
    from .creation import zeros_like
    from .elementwise import cast, not_equal

    x = as_input(input)
    ax = normalize_axis(axis, len(x._value.shape), "tf.math.count_nonzero")
    nz = cast(not_equal(x, zeros_like(x)), _dt.int64)
    return cast(apply(Sum, (nz,), {"axis": ax, "keepdims": bool(keepdims)}), dtype)


# =========================================================================== cumsum, cumprod


def _scan_impl(op, prod):
    def impl(xp, x, axis, exclusive, reverse):
        k = x.dtype.kind
        if k == "b":
            raise _bad_dtype(op, x, _NUMERIC)
        if reverse:
            x = xp.flip(x, axis=axis)
        if xp is np:
            out = (np.cumprod if prod else np.cumsum)(x, axis=axis, dtype=x.dtype)
        else:
            out = (xp.cumulative_prod if prod else xp.cumulative_sum)(x, axis=axis, dtype=x.dtype)
        n = x.shape[axis]
        if exclusive and n:
            head = tuple(1 if i == axis else d for i, d in enumerate(x.shape))
            first = xp.ones(head, dtype=x.dtype) if prod else xp.zeros(head, dtype=x.dtype)
            body = out[tuple(slice(None, -1) if i == axis else slice(None) for i in range(x.ndim))]
            out = (np.concatenate if xp is np else xp.concat)([first, body], axis=axis)
        if reverse:
            out = xp.flip(out, axis=axis)
        return out

    return impl


Cumsum = defprimitive("Cumsum", _scan_impl("Cumsum", False))
Cumprod = defprimitive("Cumprod", _scan_impl("Cumprod", True))


def _scan(prim, x, axis, exclusive, reverse):
    return apply(prim, (x,), {"axis": axis, "exclusive": exclusive, "reverse": reverse})


def _nbatch(g, ans):
    return len(g._value.shape) - len(ans._value.shape)


# TensorFlow: cumsum's gradient is the cumsum of g in the other direction; cumprod's is
# cumsum(cumprod(x) * g, other direction) / x (NaN or inf where x == 0, as in TensorFlow).
defvjp(Cumsum, lambda g, ans, x, axis, exclusive, reverse: _scan(
    Cumsum, g, _nbatch(g, ans) + axis, exclusive, not reverse))
defjvp(Cumsum, lambda t, ans, x, axis, exclusive, reverse: _scan(Cumsum, t, axis, exclusive, reverse))
defvjp(Cumprod, lambda g, ans, x, axis, exclusive, reverse: _scan(
    Cumsum, ans * g, _nbatch(g, ans) + axis, exclusive, not reverse) / x)
defjvp(Cumprod, lambda t, ans, x, axis, exclusive, reverse: ans * _scan(Cumsum, t / x, axis, exclusive, reverse))


def _scan_sample(lo=-2.0, hi=2.0):
    return lambda: [((S.arr((4,), lo, hi),), {"axis": 0, "exclusive": False, "reverse": False}),
                    ((S.arr((3, 4), lo, hi, seed=1),), {"axis": 1, "exclusive": True, "reverse": False}),
                    ((S.arr((3, 4), lo, hi, seed=2),), {"axis": 0, "exclusive": False, "reverse": True}),
                    ((S.arr((2, 3, 2), lo, hi, seed=3),), {"axis": 1, "exclusive": True, "reverse": True})]


samples(Cumsum, _scan_sample())
samples(Cumprod, _scan_sample(0.5, 1.5), lambda: [
    ((-S.arr((3, 4), 0.5, 1.5, seed=4),), {"axis": 1, "exclusive": False, "reverse": True})])


def _scan_axis(x, axis, op):
    if isinstance(axis, _TensorLike):
        axis = axis.numpy()
    nd = len(x._value.shape)
    axis = int(axis)
    if not -nd <= axis < nd:
        raise InvalidArgumentError(None, op, f"{op}: axis {axis} is out of range for a tensor of rank {nd}; "
                                   f"expected an axis in [{-nd}, {nd}) [Op:{op}]")
    return axis % nd


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.math.cumsum`: running sums along `axis`; `exclusive` leaves out each element's own value,
    `reverse` sums from the end.

    >>> import tapegrad as tf
    >>> tf.math.cumsum(tf.constant([1.0, 2.0, 3.0]), exclusive=True).numpy()
    array([0., 1., 3.], dtype=float32)
    """
    x = as_input(x)
    return _scan(Cumsum, x, _scan_axis(x, axis, "Cumsum"), bool(exclusive), bool(reverse))


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.math.cumprod`: running products along `axis`; `exclusive` and `reverse` as in `cumsum`.
    As in TensorFlow, the gradient divides by `x`, so it is NaN or inf where `x` is 0.

    >>> import tapegrad as tf
    >>> tf.math.cumprod(tf.constant([1.0, 2.0, 3.0]), reverse=True).numpy()
    array([6., 6., 3.], dtype=float32)
    """
    x = as_input(x)
    return _scan(Cumprod, x, _scan_axis(x, axis, "Cumprod"), bool(exclusive), bool(reverse))


# =========================================================================== argmax, argmin

_INDEX_TYPES = (np.dtype(np.int16), np.dtype(np.uint16), np.dtype(np.int32), np.dtype(np.int64))


def _arg_impl(fname):
    def impl(xp, x, axis, output_type):
        if x.dtype.kind == "c":
            raise _bad_dtype("ArgMax" if fname == "argmax" else "ArgMin", x, _REAL + ", bool")
        r = getattr(xp, fname)(x, axis=axis)
        return r.astype(output_type) if xp is np else xp.astype(r, getattr(xp, output_type.name))

    return impl


ArgMax = defprimitive("ArgMax", _arg_impl("argmax"), differentiable=False)
ArgMin = defprimitive("ArgMin", _arg_impl("argmin"), differentiable=False)


def _arg(prim, input, axis, output_type):  # noqa: A002
    x = as_input(input)
    op = prim.name
    nd = len(x._value.shape)
    if axis is None:
        axis = 0  # TensorFlow 2's default
    if isinstance(axis, _TensorLike):
        axis = axis.numpy()
    if np.ndim(axis) != 0:
        raise InvalidArgumentError(None, op, f"{op}: dimension must be a scalar, got {axis!r} [Op:{op}]")
    axis = int(axis)
    if not -nd <= axis < nd:
        raise InvalidArgumentError(None, op, f"Expected dimension in the range [{-nd}, {nd}), but got {axis} "
                                   f"[Op:{op}]")
    if x._value.shape[axis % nd] == 0:
        raise InvalidArgumentError(None, op, f"Reduction axis {axis} is empty in shape {list(x._value.shape)} "
                                   f"[Op:{op}]")
    ot = _dt.numpy_dtype(output_type)
    if ot not in _INDEX_TYPES:
        raise TypeError(f"tf.math.{op.lower()}: output_type must be one of tf.int16, tf.uint16, tf.int32, tf.int64; "
                        f"got {_dt.as_dtype(ot).name}.")
    return apply(prim, (x,), {"axis": axis % nd, "output_type": ot})


def argmax(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    """`tf.math.argmax`: the index of the largest value along `axis` (default 0); the first one on ties.

    >>> import tapegrad as tf
    >>> tf.math.argmax(tf.constant([[1.0, 5.0], [7.0, 2.0]]), axis=1).numpy()
    array([1, 0])
    """
    return _arg(ArgMax, input, axis, output_type)


def argmin(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    """`tf.math.argmin`: the index of the smallest value along `axis` (default 0); the first one on ties.

    >>> import tapegrad as tf
    >>> int(tf.math.argmin(tf.constant([3.0, 1.0, 1.0])))
    1
    """
    return _arg(ArgMin, input, axis, output_type)
