"""The rest of `tf.math`: special functions, sorting and top_k, segment sums, add_n; and, in `__all__`, every
tf.math name TensorFlow also has at the top level (`tf.exp`, `tf.cumsum`, `tf.sort`, ...).

Key decisions:
- Special functions (erf, erfc, lgamma, digamma, polygamma, zeta, erfinv, ndtri) use `scipy.special` when it
  can be imported (looked up on first use, never at `import tapegrad`); without SciPy they fall back to exact
  NumPy code: the standard library's `math.erf`/`math.erfc`/`math.lgamma`, vectorized, and series with
  asymptotic expansions for digamma and the Hurwitz zeta (hence polygamma), accurate to ~1e-14 in float64.
  Either way the results follow TensorFlow's (Eigen's) conventions at poles and outside the domain
  (digamma and lgamma are +inf at non-positive integers; zeta(x, q) is inf at x == 1 and NaN for x < 1).
  Each derivative is again a primitive (digamma's is polygamma(1, .), polygamma(n, .)'s is polygamma(n + 1, .)),
  so every order works. Other array libraries compute these on the host (one round trip per call).
- Sort, argsort and top_k find their indices on the host (stable: ties keep their order, for both
  directions); the values are then one `TakeAlongAxis` gather. Its transpose is the same gather with the
  inverse index map (and a zero slot for elements top_k did not pick), so gradients of any order are gathers.
- unsorted_segment_sum and its transpose, the gather that drops negative ids (TensorFlow's
  `_GatherDropNegatives`), are a pair of linear primitives; segment_sum checks its sorted ids and uses them.
"""

from __future__ import annotations

import math
from collections import namedtuple
from fractions import Fraction

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, defjvp, defjvp_all, defprimitive, defvjp, defvjp_all, samples
from .._core.tensor import _TensorLike, wrap
from . import _samples as S
from .creation import constant_like, ones_like, zeros_like
from .elementwise import (
    _F,
    _bad_dtype,
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cast,
    clip_by_value,
    complex,
    cos,
    cosh,
    divide,
    divide_no_nan,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    realdiv,
    round,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    truediv,
    truncatediv,
    truncatemod,
    where,
)
from .jacobian_seeds import keeps_onehot
from .reduce import (
    argmax,
    argmin,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)

# The tf.math names that TensorFlow also has at the top level (`import tapegrad as tf; tf.exp`).
__all__ = [
    "abs", "acos", "acosh", "add", "add_n", "argmax", "argmin", "argsort", "asin", "asinh", "atan",
    "atan2", "atanh", "clip_by_value", "complex", "cos", "cosh", "cumsum", "divide", "equal", "exp", "floor",
    "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_not", "logical_or", "maximum",
    "minimum", "multiply", "negative", "not_equal", "pow", "realdiv", "reduce_all", "reduce_any",
    "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "round",
    "scalar_mul", "sigmoid", "sign", "sin", "sinh", "sort", "sqrt", "square", "subtract", "tan", "tanh", "truediv",
    "truncatediv", "truncatemod",
]


# =========================================================================== special functions: numerics

_SCIPY: list = []


def _scipy_special():
    """`scipy.special`, or None when SciPy is not installed (imported on first use only)."""
    if not _SCIPY:
        try:
            import scipy.special as sp
        except ImportError:  # pragma: no cover - depends on the environment
            sp = None
        _SCIPY.append(sp)
    return _SCIPY[0]


def _lgamma1(v: float) -> float:
    if math.isinf(v) or (v <= 0 and v == math.floor(v)):
        return math.inf  # TensorFlow: lgamma is +inf at -inf and at the poles 0, -1, -2, ...
    return math.lgamma(v)


_erf_fb = np.vectorize(math.erf, otypes=[np.float64])
_erfc_fb = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma_fb = np.vectorize(_lgamma1, otypes=[np.float64])

# B_2k / (2k): the coefficients of digamma's asymptotic series; B_2j / (2j)! for the Euler-Maclaurin tail.
_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730)]
_PSI_SERIES = [float(b / (2 * k)) for k, b in enumerate(_BERNOULLI[:7], start=1)]
_EM_TAIL = [float(b / math.factorial(2 * j)) for j, b in enumerate(_BERNOULLI, start=1)]
_SHIFT = 10.0  # recurrences move arguments to >= 10, where the asymptotic series reach double precision


def _digamma_fb(x):
    """digamma in float64: reflection for x <= 0, recurrence up to 10, asymptotic series (~1e-15 relative)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        neg = x <= 0
        pole = neg & (x == np.floor(x))
        s = np.where(neg, 1 - x, x)
        w = np.zeros_like(s)
        low = s < _SHIFT
        while np.any(low):
            w = w + np.where(low, 1 / np.where(low, s, 1), 0)
            s = np.where(low, s + 1, s)
            low = s < _SHIFT
        z = 1 / (s * s)
        series = np.zeros_like(s)
        for c in reversed(_PSI_SERIES):
            series = series * z + c
        y = np.log(s) - 0.5 / s - z * series - w
        frac = x - np.round(x)  # psi(x) = psi(1 - x) - pi / tan(pi x), tan reduced to (-pi/2, pi/2]
        cot = np.where(np.abs(frac) == 0.5, 0.0, np.pi / np.tan(np.pi * frac))
        y = np.where(neg, y - cot, y)
    return np.where(pole, np.inf, y)


def _zeta_fb(x, q):
    """The Hurwitz zeta function sum_k (k + q) ** -x in float64 (terms summed until q + n >= max(10, x), then
    Euler-Maclaurin), with TensorFlow's domain: inf at x == 1 and at q = 0, -1, ...; NaN for x < 1, x = inf
    and for q < 0 with non-integer x."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(q, dtype=np.float64))
    with np.errstate(all="ignore"):
        bad = (x < 1) | ((q < 0) & (x != np.floor(x))) | np.isnan(x) | np.isnan(q)
        inf = (x == 1) | ((q <= 0) & (q == np.floor(q)))
        bad = bad | np.isinf(x)  # x = inf: NaN, as Eigen's series gives
        ok = ~(bad | inf)
        xs = np.where(ok, x, 2.0)
        a = np.where(ok, q, 1.0)
        total = np.zeros_like(a)
        start = np.maximum(_SHIFT, xs)  # the tail's series converges fast once a >= max(10, x)
        low = a < start
        while np.any(low):
            total = total + np.where(low, np.abs(a) ** -xs * np.where((a < 0) & (xs % 2 == 1), -1.0, 1.0), 0)
            a = np.where(low, a + 1, a)
            low = a < start
        term = a ** -xs
        total = total + a * term / (xs - 1) + 0.5 * term
        fact = xs.copy()  # x (x + 1) ... (x + 2j - 2)
        power = term / a  # a ** (-x - 2j + 1), j = 1
        for j, c in enumerate(_EM_TAIL, start=1):
            total = total + c * fact * power
            fact = fact * (xs + 2 * j - 1) * (xs + 2 * j)
            power = power / (a * a)
        out = np.where(ok, total, np.nan)
    return np.where(inf & ~bad, np.inf, out)


def _polygamma_np(n, x, zeta, digamma, lgamma):
    n, x = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(x, dtype=np.float64))
    with np.errstate(all="ignore"):
        integer = n == np.floor(n)
        k = np.where(integer & (n > 0), n, 1.0)
        signed = np.where(k % 2 == 1, 1.0, -1.0) * np.exp(lgamma(k + 1)) * zeta(k + 1, x)
        out = np.where(n == 0, digamma(x), signed)
        out = np.where(integer & (n >= 0), out, np.nan)  # TensorFlow: NaN for a non-integer or negative order
    return out


def _erfinv_fb(y):
    """erfinv in float64: Newton's method on erf near 0 and on log(erfc) in the tails (~1e-15 relative)."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        a = np.abs(y)
        x = np.where(a < 0.5, a * np.sqrt(np.pi) / 2, np.sqrt(-np.log(np.where(a < 1, 1 - a, 1.0))))
        for _ in range(60):
            center = x < 0.5
            f = np.where(center, _erf_fb(x) - a, np.log(_erfc_fb(x)) - np.log1p(-a))
            d = 2 / np.sqrt(np.pi) * np.exp(-x * x)
            step = np.where(center, f / d, -f * _erfc_fb(x) / d)
            step = np.where(np.isfinite(step), step, 0.0)
            x = np.maximum(x - step, 0.0)
            if np.all(np.abs(step) <= 1e-16 * np.maximum(x, 1e-300)):
                break
        x = np.where(a == 1, np.inf, np.where(a > 1, np.nan, x))
    return np.where(np.isnan(y), np.nan, np.copysign(x, y))


def _ndtri_fb(p):
    """The inverse of the standard normal CDF, sqrt(2) * erfinv(2p - 1), with the lower tail solved on
    log(erfc) directly (2p - 1 would lose it)."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(all="ignore"):
        lower = p < 0.25
        z = np.where(lower, 2 * p, 1.0)  # erfc(-x / sqrt 2) = 2p: solve erfc(t) = z for t >= 0
        t = np.sqrt(-np.log(np.where(z < 1, z, 0.5)))
        for _ in range(60):
            f = np.log(_erfc_fb(t)) - np.log(z)
            d = 2 / np.sqrt(np.pi) * np.exp(-t * t)
            step = np.where(np.isfinite(f), -f * _erfc_fb(t) / d, 0.0)
            t = t - step
            if np.all(np.abs(step) <= 1e-16 * np.maximum(np.abs(t), 1e-300)):
                break
        tail = -np.sqrt(2.0) * t
        mid = np.sqrt(2.0) * _erfinv_fb(2 * p - 1)
        out = np.where(lower, tail, mid)
        out = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, out))
        out = np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, out)
    return out


def _fn(name: str):
    """The float64 NumPy function computing `name`: SciPy's where it matches TensorFlow, else our own."""
    sp = _scipy_special()
    if name == "erf":
        return sp.erf if sp is not None else _erf_fb
    if name == "erfc":
        return sp.erfc if sp is not None else _erfc_fb
    if name == "lgamma":
        if sp is None:
            return _lgamma_fb
        return lambda x: np.where(np.isinf(x), np.inf, sp.gammaln(x))  # TF (glibc): lgamma(-inf) = +inf
    if name == "digamma":
        if sp is None:
            return _digamma_fb
        return lambda x: np.where((x <= 0) & (x == np.floor(x)), np.inf, sp.psi(x))  # TF: +inf at the poles
    if name == "zeta":
        if sp is None:
            return _zeta_fb

        def zeta(x, q):
            x, q = np.broadcast_arrays(x, q)
            with np.errstate(all="ignore"):
                out = np.asarray(sp.zeta(x, q), dtype=np.float64)
                bad = (x < 1) | np.isinf(x) | ((q < 0) & (x != np.floor(x)))
                out = np.where(bad, np.nan, out)
                return np.where(((x == 1) | ((q <= 0) & (q == np.floor(q)))) & ~bad, np.inf, out)

        return zeta
    if name == "polygamma":
        return lambda n, x: _polygamma_np(n, x, _fn("zeta"), _fn("digamma"), _fn("lgamma"))
    if name == "erfinv":
        return sp.erfinv if sp is not None else _erfinv_fb
    if name == "ndtri":
        return sp.ndtri if sp is not None else _ndtri_fb
    raise KeyError(name)


def _special_impl(op: str, name: str):
    """An impl computing `name` in float64 on the host, returned in the input's dtype on its backend (on Dask,
    lazily, block by block)."""
    def impl(xp, *arrays):
        # The last argument is the differentiable one; polygamma's order and zeta's exponent may also be
        # integer arrays inside the library (the public functions require one float dtype, as TensorFlow does).
        if arrays[-1].dtype.kind != "f":
            raise _bad_dtype(op, arrays[-1], _F)
        dtype = _backend.numpy_dtype_of(arrays[-1])
        if any(_backend.is_lazy(a) for a in arrays):  # Dask (also beside a NumPy order or exponent)
            return _backend.map_blocks_elementwise(_SpecialBlock(name, dtype), arrays, dtype)
        host = [np.asarray(_backend.to_numpy(a) if xp is not np else a, dtype=np.float64) for a in arrays]
        out = np.asarray(_fn(name)(*host)).astype(dtype)
        if out.ndim == 0:
            out = out[()]
        return out if xp is np else xp.asarray(out)

    return impl


class _SpecialBlock:
    """`name` on NumPy blocks (float64 inside, `dtype` out): what a Dask graph runs for a special function."""

    def __init__(self, name: str, dtype):
        self.name, self.dtype = name, dtype

    def __call__(self, *blocks):
        host = [np.asarray(_backend.to_numpy(b), dtype=np.float64) for b in blocks]
        return np.asarray(_fn(self.name)(*host)).astype(self.dtype)


# =========================================================================== special functions: primitives

_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)

Erf = defprimitive("Erf", _special_impl("Erf", "erf"))
Erfc = defprimitive("Erfc", _special_impl("Erfc", "erfc"))
Lgamma = defprimitive("Lgamma", _special_impl("Lgamma", "lgamma"))
Digamma = defprimitive("Digamma", _special_impl("Digamma", "digamma"))
Polygamma = defprimitive("Polygamma", _special_impl("Polygamma", "polygamma"))
Zeta = defprimitive("Zeta", _special_impl("Zeta", "zeta"))
Erfinv = defprimitive("Erfinv", _special_impl("Erfinv", "erfinv"))
Ndtri = defprimitive("Ndtri", _special_impl("Ndtri", "ndtri"))


def _unary_special(prim, tf_name, example, result):
    def op(x, name=None):
        return apply(prim, (as_input(x),))

    op.__name__ = tf_name.rsplit(".", 1)[-1]
    call = f"{tf_name}(tf.constant({example}))"
    op.__doc__ = (f"`{tf_name}`, elementwise, for float tensors (the gradient is TensorFlow's).\n\n"
                  f"    >>> import tapegrad as tf\n    >>> print(f\"{{float({call}):.6f}}\")\n    {result}\n    ")
    return op


erf = _unary_special(Erf, "tf.math.erf", 0.5, "0.520500")
erfc = _unary_special(Erfc, "tf.math.erfc", 0.5, "0.479500")
lgamma = _unary_special(Lgamma, "tf.math.lgamma", 0.5, 0.572365)
digamma = _unary_special(Digamma, "tf.math.digamma", 1.0, -0.577216)
erfinv = _unary_special(Erfinv, "tf.math.erfinv", 0.5, 0.476936)
ndtri = _unary_special(Ndtri, "tf.math.ndtri", 0.975, 1.959964)


def _same_float(op, a, x):
    a, x = as_input(a), as_input(x)
    if a._value.dtype != x._value.dtype:
        raise InvalidArgumentError(None, op, f"cannot compute {op} as input #1(zero-based) was expected to be a "
                                   f"{a.dtype.name} tensor but is a {x.dtype.name} tensor [Op:{op}]")
    return a, x


def polygamma(a, x, name=None):
    """`tf.math.polygamma`: the `a`-th derivative of digamma at `x` (`a` a non-negative integer value, of
    `x`'s float dtype; NaN otherwise). The gradient with respect to `x` is polygamma(a + 1, x); `a` has none.

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.polygamma(tf.constant(1.0), tf.constant(1.0))):.6f}")  # pi ** 2 / 6
    1.644934
    """
    return apply(Polygamma, _same_float("Polygamma", a, x))


def zeta(x, q, name=None):
    """`tf.math.zeta`: the Hurwitz zeta function, sum over k >= 0 of (k + q) ** -x. The gradient with respect
    to `q` is -x * zeta(x + 1, q); `x` has none, as in TensorFlow.

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.zeta(tf.constant(2.0), tf.constant(1.0))):.6f}")
    1.644934
    """
    return apply(Zeta, _same_float("Zeta", x, q))


defvjp(Erf, lambda g, ans, x: g * (_TWO_OVER_ROOT_PI * exp(-square(x))))
defjvp(Erf, lambda t, ans, x: t * (_TWO_OVER_ROOT_PI * exp(-square(x))))
defvjp(Erfc, lambda g, ans, x: g * (-_TWO_OVER_ROOT_PI * exp(-square(x))))
defjvp(Erfc, lambda t, ans, x: t * (-_TWO_OVER_ROOT_PI * exp(-square(x))))
defvjp(Lgamma, lambda g, ans, x: g * digamma(x))
defjvp(Lgamma, lambda t, ans, x: t * digamma(x))
defvjp(Digamma, lambda g, ans, x: g * apply(Polygamma, (ones_like(x), x)))
defjvp(Digamma, lambda t, ans, x: t * apply(Polygamma, (ones_like(x), x)))
defvjp(Polygamma, None, lambda g, ans, a, x: g * apply(Polygamma, (a + 1, x)))
defjvp(Polygamma, None, lambda t, ans, a, x: t * apply(Polygamma, (a + 1, x)))
defvjp(Zeta, None, lambda g, ans, x, q: g * (cast(-x, q.dtype) * apply(Zeta, (x + 1, q))))
defjvp(Zeta, None, lambda t, ans, x, q: t * (cast(-x, q.dtype) * apply(Zeta, (x + 1, q))))
defvjp(Erfinv, lambda g, ans, x: g * (math.sqrt(math.pi) / 2 * exp(square(ans))))
defjvp(Erfinv, lambda t, ans, x: t * (math.sqrt(math.pi) / 2 * exp(square(ans))))
defvjp(Ndtri, lambda g, ans, x: g * (math.sqrt(2 * math.pi) * exp(square(ans) / 2)))
defjvp(Ndtri, lambda t, ans, x: t * (math.sqrt(2 * math.pi) * exp(square(ans) / 2)))

samples(Erf, S.unary())
samples(Erfc, S.unary())
samples(Lgamma, S.unary(0.3, 4.0), S.unary(-2.8, -2.2))
samples(Digamma, S.unary(0.3, 4.0), S.unary(-1.8, -1.2))
samples(Erfinv, S.unary(-0.9, 0.9))
samples(Ndtri, S.unary(0.05, 0.95))
# The order (the first argument; zeta's exponent) has no gradient: an int array, left unperturbed by the checks.
samples(Polygamma, lambda: [((np.array([[1], [2], [3]]), S.arr((3, 2), 0.5, 3.0)), {}),
                            ((np.array(0), S.arr((2,), -1.8, -1.2)), {}),
                            ((np.array([1, 2]), S.arr((), 1.5, 2.0)), {})])
samples(Zeta, lambda: [((np.array([[2], [3], [4]]), S.arr((3, 2), 0.5, 3.0)), {}),
                       ((np.array(2), S.arr((2,), 1.0, 2.0)), {}),
                       ((np.array([3, 4]), S.arr((), -1.8, -1.2)), {})])


# =========================================================================== gather along an axis (sort, top_k)

def _take_along_impl(xp, x, indices, inverse, axis, pad, inv_pad):
    if pad:  # index x.shape[axis] reads a zero: elements nothing was gathered from (top_k's gradient)
        head = tuple(1 if i == x.ndim + axis else d for i, d in enumerate(x.shape))
        x = (np.concatenate if xp is np else xp.concat)([x, xp.zeros(head, dtype=x.dtype)], axis=axis)
    idx = indices.reshape((1,) * (x.ndim - indices.ndim) + indices.shape)
    target = tuple(idx.shape[i] if i == x.ndim + axis else d for i, d in enumerate(x.shape))
    idx = np.broadcast_to(idx, target)
    if xp is np:
        return np.take_along_axis(x, idx, axis=axis)
    return _backend.take_along_axis(xp, x, idx, axis)  # Dask has none: NumPy's, per block


# params: `indices` (a host int array; `axis` counts from the end, so leading batch dimensions pass through);
# `inverse`, its transpose: for each input position, where it went, or the zero slot (`inv_pad`).
TakeAlongAxis = defprimitive("TakeAlongAxis", _take_along_impl)


def _take_along(x, indices, inverse, axis, pad, inv_pad):
    return apply(TakeAlongAxis, (x,), {"indices": indices, "inverse": inverse, "axis": axis, "pad": pad,
                                       "inv_pad": inv_pad})


defvjp(TakeAlongAxis, lambda g, ans, x, indices, inverse, axis, pad, inv_pad: _take_along(
    g, inverse, indices, axis, inv_pad, pad))
defjvp(TakeAlongAxis, lambda t, ans, x, indices, inverse, axis, pad, inv_pad: _take_along(
    t, indices, inverse, axis, pad, inv_pad))


def _inverse(indices: np.ndarray, n: int, axis: int) -> np.ndarray:
    """For each of the n positions along `axis`, where `indices` put it (k, a zero slot, if nowhere)."""
    k = indices.shape[axis]
    shape = list(indices.shape)
    shape[axis] = n
    inv = np.full(shape, k, dtype=np.int64)
    ar = np.arange(k).reshape([k if i == indices.ndim + axis else 1 for i in range(indices.ndim)])
    np.put_along_axis(inv, indices, np.broadcast_to(ar, indices.shape), axis=axis)
    return inv


def _take_sample():
    def case(shape, axis, k, seed):
        x = S.arr(shape, seed=seed)
        order = np.argsort(np.random.default_rng(seed).random(shape), axis=axis)
        idx = np.take(order, np.arange(k), axis=axis)
        n = shape[axis]
        return ((x,), {"indices": idx, "inverse": _inverse(idx, n, axis), "axis": axis, "pad": False,
                       "inv_pad": k < n})

    return [case((3, 4), -1, 4, 0), case((3, 4), -1, 2, 1), case((4, 2, 3), -3, 3, 2), case((5,), -1, 1, 3)]


samples(TakeAlongAxis, _take_sample)


def _argsort_host(x, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort on the host (int64): ties keep their order in both directions."""
    xp = _backend.namespace_of(x)
    if xp is not np:
        return _backend.to_numpy(xp.argsort(x, axis=axis, descending=descending, stable=True)).astype(np.int64)
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = np.flip(np.argsort(np.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)
    return (n - 1) - rev


_DIRECTIONS = ("ASCENDING", "DESCENDING")


def _sort_args(values, axis, direction, op):
    if direction not in _DIRECTIONS:
        raise ValueError(f"Argument `direction` should be one of ASCENDING, DESCENDING. Received: "
                         f"direction={direction}")
    if isinstance(axis, _TensorLike):
        axis = axis.numpy()
    if np.ndim(axis) != 0:
        raise ValueError(f"Argument `axis` must be a scalar. Received: axis={axis}.")
    x = as_input(values)
    nd = len(x._value.shape)
    axis = int(axis)
    if not -nd <= axis < nd:
        raise ValueError(f"{op}: axis {axis} is out of bounds for a tensor of rank {nd}; expected an axis in "
                         f"[{-nd}, {nd}).")
    if x._value.dtype.kind in "cb":
        raise _bad_dtype("TopKV2", x._value, "float, double, int32, uint8, int16, int8, int64, bfloat16, half")
    return x, axis - nd if axis >= 0 else axis


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`tf.sort`: `values` sorted along `axis` (stable: equal values keep their order). The gradient flows
    back to each value's original position.

    >>> import tapegrad as tf
    >>> tf.sort(tf.constant([3.0, 1.0, 2.0]), direction="DESCENDING").numpy()
    array([3., 2., 1.], dtype=float32)
    """
    x, axis = _sort_args(values, axis, direction, "tf.sort")
    idx = _argsort_host(x._value, axis, direction == "DESCENDING")
    n = x._value.shape[axis]
    return _take_along(x, idx, _inverse(idx, n, axis), axis, False, False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """`tf.argsort`: the int32 indices that sort `values` along `axis` (always stable here; TensorFlow's
    results are stable too).

    >>> import tapegrad as tf
    >>> tf.argsort(tf.constant([3.0, 1.0, 2.0])).numpy()
    array([1, 2, 0], dtype=int32)
    """
    x, axis = _sort_args(values, axis, direction, "tf.argsort")
    return _index_tensor(_argsort_host(x._value, axis, direction == "DESCENDING").astype(np.int32), x)


def _index_tensor(arr: np.ndarray, like):
    xp = _backend.namespace_of(like._value)
    return wrap(arr if xp is np else xp.asarray(arr))


TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=_dt.int32, name=None):  # noqa: A002
    """`tf.math.top_k`: the `k` largest entries along the last axis and their indices (ties: the lower index
    first), as `TopKV2(values, indices)`. The gradient flows to the picked entries; the indices have none.

    >>> import tapegrad as tf
    >>> tf.math.top_k(tf.constant([1.0, 4.0, 2.0, 4.0]), k=2).indices.numpy()
    array([1, 3], dtype=int32)
    """
    x = as_input(input)
    if isinstance(k, _TensorLike):
        k = k.numpy()
    k = int(k)
    shape = tuple(x._value.shape)
    if not shape:
        raise InvalidArgumentError(None, "TopKV2", "input must be >= 1-D, got shape [] [Op:TopKV2]")
    if k < 0:
        raise InvalidArgumentError(None, "TopKV2", f"Need k >= 0, got {k} [Op:TopKV2]")
    n = shape[-1]
    if n < k:
        raise InvalidArgumentError(None, "TopKV2", f"input must have at least k columns. Had {n}, needed {k} "
                                   "[Op:TopKV2]")
    if x._value.dtype.kind in "cb":
        raise _bad_dtype("TopKV2", x._value, "float, double, int32, uint8, int16, int8, int64, bfloat16, half")
    idx = _argsort_host(x._value, -1, True)[..., :k]
    values = _take_along(x, idx, _inverse(idx, n, -1), -1, False, k < n)
    return TopKV2(values, _index_tensor(idx.astype(_dt.numpy_dtype(index_type)), x))


def in_top_k(targets, predictions, k, name=None):
    """`tf.math.in_top_k`: for each row of `predictions` (batch, classes), whether the class `targets[i]` is
    among the `k` largest; ties at the k-th value count as in, as in TensorFlow. Non-finite rows are False.

    >>> import tapegrad as tf
    >>> tf.math.in_top_k(tf.constant([1, 0]), tf.constant([[0.1, 0.9], [0.3, 0.7]]), k=1).numpy()
    array([ True, False])
    """
    p = _backend.to_numpy(as_input(predictions)._value)
    t = _backend.to_numpy(as_input(targets)._value)
    if p.ndim != 2 or t.ndim != 1 or t.shape[0] != p.shape[0]:
        raise InvalidArgumentError(None, "InTopKV2", f"predictions must be 2-D (batch, classes) and targets 1-D of "
                                   f"the same batch size; got shapes {list(p.shape)} and {list(t.shape)} "
                                   "[Op:InTopKV2]")
    if np.any((t < 0) | (t >= p.shape[1])):
        raise InvalidArgumentError(None, "InTopKV2", f"targets must be in [0, {p.shape[1]}) [Op:InTopKV2]")
    score = p[np.arange(p.shape[0]), t]
    better = np.sum(p > score[:, None], axis=1)
    ok = np.all(np.isfinite(p), axis=1)
    return _index_tensor(ok & (better < int(k)), as_input(predictions))


# =========================================================================== segment sums

def _segsum_impl(xp, data, ids, num_segments, nbatch):
    batch = tuple(data.shape[:nbatch])
    rest = tuple(data.shape[nbatch + ids.ndim:])
    m, r = ids.size, int(np.prod(rest))
    flat = ids.reshape(-1)
    if xp is np:
        d2 = data.reshape(batch + (m, r))
        out = np.zeros(batch + (num_segments, r), dtype=data.dtype)
        keep = flat >= 0
        if not keep.all():
            flat, d2 = flat[keep], d2[..., keep, :]
        np.add.at(out, (slice(None),) * nbatch + (flat,), d2)
        return out.reshape(batch + (num_segments,) + rest)
    onehot = np.zeros((num_segments, m), dtype=_backend.numpy_dtype_of(data))
    keep = np.nonzero(flat >= 0)[0]
    onehot[flat[keep], keep] = 1
    out = xp.matmul(xp.asarray(onehot), xp.reshape(data, batch + (m, r)))
    return xp.reshape(out, batch + (num_segments,) + rest)


def _gather_drop_impl(xp, params, ids, nbatch):
    batch = tuple(params.shape[:nbatch])
    rest = tuple(params.shape[nbatch + 1:])
    n = params.shape[nbatch]
    keep = ids >= 0
    clipped = np.where(keep, ids, 0)
    if xp is np:
        out = params[(slice(None),) * nbatch + (clipped,)]
    else:
        p2 = xp.reshape(params, batch + (n, int(np.prod(rest))))
        out = xp.reshape(xp.take(p2, xp.asarray(clipped.reshape(-1)), axis=nbatch), batch + ids.shape + rest)
    if not keep.all():
        mask = keep.reshape((1,) * nbatch + ids.shape + (1,) * len(rest)).astype(_backend.numpy_dtype_of(params))
        out = out * (mask if xp is np else xp.asarray(mask))
    return out


UnsortedSegmentSum = defprimitive("UnsortedSegmentSum", _segsum_impl)
GatherDropNegatives = defprimitive("GatherDropNegatives", _gather_drop_impl)


def _nb(g, ans):
    return len(g._value.shape) - len(ans._value.shape)


# TensorFlow: the gradient of a segment sum gathers g by segment id (zero for negative ids); that gather's
# transpose is the segment sum again.
defvjp(UnsortedSegmentSum, lambda g, ans, data, ids, num_segments, nbatch: apply(
    GatherDropNegatives, (g,), {"ids": ids, "nbatch": _nb(g, ans) + nbatch}))
defjvp(UnsortedSegmentSum, lambda t, ans, data, ids, num_segments, nbatch: apply(
    UnsortedSegmentSum, (t,), {"ids": ids, "num_segments": num_segments, "nbatch": nbatch}))
defvjp(GatherDropNegatives, lambda g, ans, params, ids, nbatch: apply(
    UnsortedSegmentSum, (g,), {"ids": ids, "num_segments": params._value.shape[nbatch],
                               "nbatch": _nb(g, ans) + nbatch}))
defjvp(GatherDropNegatives, lambda t, ans, params, ids, nbatch: apply(
    GatherDropNegatives, (t,), {"ids": ids, "nbatch": nbatch}))
samples(UnsortedSegmentSum, lambda: [
    ((S.arr((5, 2)),), {"ids": np.array([0, 2, 0, -1, 3]), "num_segments": 4, "nbatch": 0}),
    ((S.arr((2, 3, 2), seed=1),), {"ids": np.array([[1, 1, 0], [-1, 2, 0]]), "num_segments": 3, "nbatch": 0}),
    ((S.arr((4,), seed=2),), {"ids": np.array([0, 0, 1, 1]), "num_segments": 2, "nbatch": 0})])
samples(GatherDropNegatives, lambda: [
    ((S.arr((4, 2)),), {"ids": np.array([0, 2, 0, -1, 3]), "nbatch": 0}),
    ((S.arr((3, 2), seed=1),), {"ids": np.array([[1, 1, 0], [-1, 2, 0]]), "nbatch": 0})])


def _segment_ids(segment_ids, data, op):
    ids_t = as_input(segment_ids)
    if ids_t._value.dtype.kind not in "iu" or ids_t._value.dtype.itemsize not in (4, 8):
        raise TypeError(f"{op}: segment_ids must be an int32 or int64 tensor, got {ids_t.dtype.name}.")
    ids = np.asarray(_backend.to_numpy(ids_t._value), dtype=np.int64)
    ds = tuple(data._value.shape)
    if ds[:ids.ndim] != ids.shape:
        raise InvalidArgumentError(None, op, f"data.shape = {list(ds)} does not start with segment_ids.shape = "
                                   f"{list(ids.shape)} [Op:{op}]")
    return ids


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_sum`: output[i] = the sum of the `data` entries whose `segment_ids` are i, for
    i < `num_segments`; entries with a negative id are dropped. `segment_ids`' shape is a prefix of `data`'s.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_sum(tf.constant([1.0, 2.0, 3.0]), [1, 0, 1], 2).numpy()
    array([2., 4.], dtype=float32)
    """
    x = as_input(data)
    op = "UnsortedSegmentSum"
    ids = _segment_ids(segment_ids, x, op)
    if isinstance(num_segments, _TensorLike):
        num_segments = num_segments.numpy()
    if np.ndim(num_segments) != 0:
        raise InvalidArgumentError(None, op, f"num_segments should be a scalar, got {num_segments!r} [Op:{op}]")
    num = int(num_segments)
    if num < 0:
        raise InvalidArgumentError(None, op, f"Input num_segments == {num} must not be negative. [Op:{op}]")
    bad = np.argwhere(ids >= num)
    if bad.size:
        at = tuple(int(i) for i in bad[0])
        raise InvalidArgumentError(None, op, f"segment_ids{list(at)} = {int(ids[at])} is out of range [0, {num}) "
                                   f"[Op:{op}]")
    if x._value.dtype.kind == "b":
        raise _bad_dtype(op, x._value, "float, double, int32, uint8, int16, int8, int64, bfloat16, half, complex")
    return apply(UnsortedSegmentSum, (x,), {"ids": ids, "num_segments": num, "nbatch": 0})


def segment_sum(data, segment_ids, name=None):
    """`tf.math.segment_sum`: sums of the rows of `data` sharing a (sorted, non-negative) segment id; the
    output has max(segment_ids) + 1 rows, zeros for ids that do not occur.

    >>> import tapegrad as tf
    >>> tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0]), [0, 0, 2]).numpy()
    array([3., 0., 3.], dtype=float32)
    """
    x = as_input(data)
    op = "SegmentSum"
    ids = _segment_ids(segment_ids, x, op)
    if ids.ndim != 1:
        raise InvalidArgumentError(None, op, f"segment_ids should be a vector, got shape {list(ids.shape)} [Op:{op}]")
    if np.any(ids < 0):
        raise InvalidArgumentError(None, op, f"segment ids must be >= 0, got {ids.tolist()} [Op:{op}]")
    if np.any(np.diff(ids) < 0):
        raise InvalidArgumentError(None, op, f"segment ids are not increasing: {ids.tolist()} [Op:{op}]")
    num = int(ids[-1]) + 1 if ids.size else 0
    return apply(UnsortedSegmentSum, (x,), {"ids": ids, "num_segments": num, "nbatch": 0})


def _segment_counts(x, ids, num):
    """How many entries each segment has (>= 1, so that empty segments divide by one), shaped to broadcast."""
    counts = np.zeros(num, dtype=np.int64)
    np.add.at(counts, ids[ids >= 0], 1)
    shape = (num,) + (1,) * (len(x._value.shape) - ids.ndim)
    return constant_like(np.maximum(counts, 1).reshape(shape), x)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_mean`: the mean of each segment's entries (0 for an empty segment).

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_mean(tf.constant([1.0, 2.0, 4.0]), [1, 0, 1], 2).numpy()
    array([2. , 2.5], dtype=float32)
    """
    s = unsorted_segment_sum(data, segment_ids, num_segments)
    ids = np.asarray(_backend.to_numpy(as_input(segment_ids)._value), dtype=np.int64)
    return s / _segment_counts(s, ids, s._value.shape[0])


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_sqrt_n`: each segment's sum divided by the square root of its size.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_sqrt_n(tf.constant([3.0, 1.0]), [0, 0], 1).numpy()
    array([2.828427], dtype=float32)
    """
    s = unsorted_segment_sum(data, segment_ids, num_segments)
    ids = np.asarray(_backend.to_numpy(as_input(segment_ids)._value), dtype=np.int64)
    return s / sqrt(_segment_counts(s, ids, s._value.shape[0]))


def segment_mean(data, segment_ids, name=None):
    """`tf.math.segment_mean`: the mean of the rows sharing a (sorted) segment id (0 for missing ids).

    >>> import tapegrad as tf
    >>> tf.math.segment_mean(tf.constant([1.0, 3.0, 5.0]), [0, 0, 1]).numpy()
    array([2., 5.], dtype=float32)
    """
    s = segment_sum(data, segment_ids)
    ids = np.asarray(_backend.to_numpy(as_input(segment_ids)._value), dtype=np.int64)
    return s / _segment_counts(s, ids, s._value.shape[0])


def segment_sum_v2(data, segment_ids, num_segments, name=None):
    """`tf.math.segment_sum_v2`: segment_sum with an explicit `num_segments` (sorted ids below it).

    >>> import tapegrad as tf
    >>> tf.math.segment_sum_v2(tf.constant([1.0, 2.0]), [0, 0], 2).numpy()
    array([3., 0.], dtype=float32)
    """
    ids = _segment_ids(segment_ids, as_input(data), "SegmentSumV2")
    if ids.ndim != 1 or np.any(np.diff(ids) < 0) or np.any(ids < 0):
        raise InvalidArgumentError(None, "SegmentSumV2", "segment_ids must be a sorted vector of non-negative ids "
                                   f"[Op:SegmentSumV2], got {ids.tolist()}")
    return unsorted_segment_sum(data, segment_ids, num_segments)


# --------------------------------------------------------------------------- segment max, min, prod

def _segment_reduce_impl(kind):
    def impl(xp, data, ids, num_segments):
        if xp is not np and _backend.is_lazy(data):  # Dask: per block of the trailing dims, the id dims whole
            return _backend.map_leading(lambda b: impl(np, _backend.to_numpy(b), ids, num_segments), data,
                                        ids.ndim, (num_segments,), data.dtype)
        host = _backend.to_numpy(data) if xp is not np else data
        rest = tuple(host.shape[ids.ndim:])
        dt = host.dtype
        if kind == "prod":
            init = 1
        elif dt.kind == "f":
            info = np.finfo(dt)
            init = info.min if kind == "max" else info.max  # TensorFlow: numeric_limits<T>::lowest() / max()
        else:
            info = np.iinfo(dt)
            init = info.min if kind == "max" else info.max
        out = np.full((num_segments,) + rest, init, dtype=dt)
        keep = ids >= 0
        ufunc = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[kind]
        ufunc.at(out, ids[keep], host[keep])
        return out if xp is np else xp.asarray(out)

    return impl


UnsortedSegmentMax = defprimitive("UnsortedSegmentMax", _segment_reduce_impl("max"))
UnsortedSegmentMin = defprimitive("UnsortedSegmentMin", _segment_reduce_impl("min"))
UnsortedSegmentProd = defprimitive("UnsortedSegmentProd", _segment_reduce_impl("prod"))


def _gather(x, ids, nbatch=0):
    return apply(GatherDropNegatives, (x,), {"ids": ids, "nbatch": nbatch})


def _segsum(x, ids, num):
    return apply(UnsortedSegmentSum, (x,), {"ids": ids, "num_segments": num, "nbatch": 0})


def _kept(ids, data):
    """The entries with a non-negative id, as a bool mask shaped to broadcast against `data`."""
    mask = (ids >= 0).reshape(ids.shape + (1,) * (len(data._value.shape) - ids.ndim))
    return constant_like(mask, zeros_like(data, dtype=_dt.bool))


def _extreme_selection(ans, data, ids, num_segments):
    """TensorFlow's _UnsortedSegmentMinOrMaxGrad: the entries equal to their segment's result (ties share)."""
    selected = logical_and(equal(data, _gather(ans, ids)), _kept(ids, data))
    count = _segsum(cast(selected, data.dtype), ids, num_segments)
    return selected, count


def _segment_extreme_vjp(g, ans, data, ids, num_segments):
    selected, count = _extreme_selection(ans, data, ids, num_segments)
    gathered = _gather(divide_no_nan(g, count), ids, _nb(g, ans))
    return where(selected, gathered, zeros_like(gathered))


def _segment_extreme_jvp(t, ans, data, ids, num_segments):
    selected, count = _extreme_selection(ans, data, ids, num_segments)
    return divide_no_nan(_segsum(where(selected, t, zeros_like(t)), ids, num_segments), count)


def _prod_partials(ans, data, ids, num_segments):
    """TensorFlow's _UnsortedSegmentProdGrad: d(segment product)/d(entry), zero-safe, and whether a segment
    holds more than one zero (all its partials are then zero)."""
    is_zero = equal(data, zeros_like(data))
    zeros_in = _segsum(cast(is_zero, _dt.int32), ids, num_segments)
    nonzero_data = where(is_zero, ones_like(data), data)
    nonzero_prod = apply(UnsortedSegmentProd, (nonzero_data,), {"ids": ids, "num_segments": num_segments})
    partial = where(is_zero, _gather(nonzero_prod, ids), _gather(ans, ids) / nonzero_data)
    return partial, greater(zeros_in, 1)


def _segment_prod_vjp(g, ans, data, ids, num_segments):
    partial, many = _prod_partials(ans, data, ids, num_segments)
    g = where(many, zeros_like(g), g)
    return _gather(g, ids, _nb(g, ans)) * partial


def _segment_prod_jvp(t, ans, data, ids, num_segments):
    partial, many = _prod_partials(ans, data, ids, num_segments)
    out = _segsum(where(_kept(ids, data), t * partial, zeros_like(t)), ids, num_segments)
    return where(many, zeros_like(out), out)


for _p in (UnsortedSegmentMax, UnsortedSegmentMin):
    defvjp(_p, _segment_extreme_vjp)
    defjvp(_p, _segment_extreme_jvp)
defvjp(UnsortedSegmentProd, _segment_prod_vjp)
defjvp(UnsortedSegmentProd, _segment_prod_jvp)


def _segment_extreme_samples():
    data = np.array([[0.3, -1.2], [1.7, 0.4], [-0.6, 2.2], [0.9, -0.1], [1.1, 0.8]])  # no ties within a segment
    # every segment non-empty: an empty one holds the dtype's lowest value, which overflows the checks' sums
    return [((data,), {"ids": np.array([0, 2, 0, -1, 1]), "num_segments": 3}),
            ((data[:4, 0],), {"ids": np.array([1, 1, 0, 1]), "num_segments": 2})]


samples(UnsortedSegmentMax, _segment_extreme_samples)
samples(UnsortedSegmentMin, _segment_extreme_samples)
samples(UnsortedSegmentProd, lambda: [
    ((S.arr((5, 2)),), {"ids": np.array([0, 2, 0, -1, 2]), "num_segments": 4}),
    ((np.array([0.7, 0.0, 1.3, -0.8]),), {"ids": np.array([1, 1, 0, 1]), "num_segments": 2})])  # one zero


def _segment_reduce(prim, data, segment_ids, num_segments, op):
    x = as_input(data)
    ids = _segment_ids(segment_ids, x, op)
    num = int(num_segments.numpy() if isinstance(num_segments, _TensorLike) else num_segments)
    bad = np.argwhere(ids >= num)
    if num < 0 or bad.size:
        raise InvalidArgumentError(None, op, f"segment ids must be in [0, {num}) (negative ids are dropped), got "
                                   f"{ids.tolist()} [Op:{op}]")
    if x._value.dtype.kind in "bc" and prim is not UnsortedSegmentProd:
        raise _bad_dtype(op, x._value, "float, double, int32, uint8, int16, int8, int64, bfloat16, half")
    return apply(prim, (x,), {"ids": ids, "num_segments": num})


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_max`: each segment's maximum (the dtype's lowest value for an empty segment).
    The gradient goes to the maximal entries, shared equally between ties.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_max(tf.constant([1.0, 5.0, 3.0]), [0, 0, 1], 2).numpy()
    array([5., 3.], dtype=float32)
    """
    return _segment_reduce(UnsortedSegmentMax, data, segment_ids, num_segments, "UnsortedSegmentMax")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_min`: each segment's minimum (the dtype's largest value for an empty segment).

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_min(tf.constant([1.0, 5.0, 3.0]), [0, 0, 1], 2).numpy()
    array([1., 3.], dtype=float32)
    """
    return _segment_reduce(UnsortedSegmentMin, data, segment_ids, num_segments, "UnsortedSegmentMin")


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_prod`: each segment's product (1 for an empty segment); the gradient is
    TensorFlow's zero-safe one.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_prod(tf.constant([2.0, 5.0, 3.0]), [0, 0, 1], 3).numpy()
    array([10.,  3.,  1.], dtype=float32)
    """
    return _segment_reduce(UnsortedSegmentProd, data, segment_ids, num_segments, "UnsortedSegmentProd")


def _sorted_segment(fn, data, segment_ids, op, empty):
    x = as_input(data)
    ids = _segment_ids(segment_ids, x, op)
    if ids.ndim != 1:
        raise InvalidArgumentError(None, op, f"segment_ids should be a vector, got shape {list(ids.shape)} [Op:{op}]")
    if np.any(ids < 0) or np.any(np.diff(ids) < 0):
        raise InvalidArgumentError(None, op, f"segment ids must be >= 0 and increasing, got {ids.tolist()} [Op:{op}]")
    num = int(ids[-1]) + 1 if ids.size else 0
    out = fn(x, ids, num)
    present = np.zeros(num, dtype=bool)
    present[ids] = True
    if present.all():
        return out
    mask = constant_like(present.reshape((num,) + (1,) * (len(x._value.shape) - 1)), zeros_like(out, _dt.bool))
    return where(mask, out, constant_like(empty, out) * ones_like(out))  # TensorFlow: empty segments are `empty`


def segment_max(data, segment_ids, name=None):
    """`tf.math.segment_max`: the maximum of the rows sharing a (sorted) segment id; 0 for missing ids.

    >>> import tapegrad as tf
    >>> tf.math.segment_max(tf.constant([1.0, 5.0, 3.0]), [0, 0, 2]).numpy()
    array([5., 0., 3.], dtype=float32)
    """
    return _sorted_segment(lambda x, ids, n: unsorted_segment_max(x, ids, n), data, segment_ids, "SegmentMax", 0)


def segment_min(data, segment_ids, name=None):
    """`tf.math.segment_min`: the minimum of the rows sharing a (sorted) segment id; 0 for missing ids.

    >>> import tapegrad as tf
    >>> tf.math.segment_min(tf.constant([1.0, 5.0, 3.0]), [0, 0, 1]).numpy()
    array([1., 3.], dtype=float32)
    """
    return _sorted_segment(lambda x, ids, n: unsorted_segment_min(x, ids, n), data, segment_ids, "SegmentMin", 0)


def segment_prod(data, segment_ids, name=None):
    """`tf.math.segment_prod`: the product of the rows sharing a (sorted) segment id; 1 for missing ids.

    >>> import tapegrad as tf
    >>> tf.math.segment_prod(tf.constant([2.0, 5.0, 3.0]), [0, 0, 1]).numpy()
    array([10.,  3.], dtype=float32)
    """
    return _sorted_segment(lambda x, ids, n: unsorted_segment_prod(x, ids, n), data, segment_ids, "SegmentProd", 1)


# =========================================================================== cumulative_logsumexp

def _cumlse_impl(xp, x, axis, exclusive, reverse):
    if x.dtype.kind != "f":
        raise _bad_dtype("CumulativeLogsumexp", x, _F)
    if xp is not np and _backend.is_lazy(x):  # Dask: NumPy's scan per block, the scanned axis whole
        return _backend.map_along_axis(lambda b: _cumlse_impl(np, _backend.to_numpy(b), axis, exclusive, reverse),
                                       x, axis, x.dtype)
    h = _backend.to_numpy(x) if xp is not np else x
    if reverse:
        h = np.flip(h, axis=axis)
    with np.errstate(invalid="ignore"):
        out = np.logaddexp.accumulate(h, axis=axis)
    if exclusive and h.shape[axis]:
        head = np.full(tuple(1 if i == axis else d for i, d in enumerate(h.shape)), -np.inf, dtype=h.dtype)
        out = np.concatenate([head, np.delete(out, -1, axis=axis)], axis=axis)
    if reverse:
        out = np.flip(out, axis=axis)
    out = np.ascontiguousarray(out)
    return out if xp is np else xp.asarray(out)


CumulativeLogsumexp = defprimitive("CumulativeLogsumexp", _cumlse_impl)


def _cumlse(x, axis, exclusive, reverse):
    return apply(CumulativeLogsumexp, (x,), {"axis": axis, "exclusive": exclusive, "reverse": reverse})


def _log_parts(v):
    """log(v) where v > 0 and log(-v) where v < 0, the dtype's lowest value elsewhere (TensorFlow's split)."""
    low = constant_like(np.finfo(_backend.numpy_dtype_of(v._value)).min, v)
    pos, neg = greater(v, zeros_like(v)), less(v, zeros_like(v))
    return (where(pos, log(where(pos, v, ones_like(v))), low * ones_like(v)),
            where(neg, log(where(neg, -v, ones_like(v))), low * ones_like(v)))


def _cumlse_vjp(g, ans, x, axis, exclusive, reverse):
    # TensorFlow's _CumulativeLogsumexpGrad: positive and negative parts of g in log space, for stability.
    lp, ln = _log_parts(g)
    ax = _nb(g, ans) + axis
    with np.errstate(over="ignore"):  # sums of two sentinels round to -inf, whose exp is the intended 0
        return (exp(_cumlse(lp - ans, ax, exclusive, not reverse) + x) -
                exp(_cumlse(ln - ans, ax, exclusive, not reverse) + x))


def _cumlse_jvp(t, ans, x, axis, exclusive, reverse):
    lp, ln = _log_parts(t)
    with np.errstate(over="ignore"):
        out = (exp(_cumlse(lp + x, axis, exclusive, reverse) - ans) -
               exp(_cumlse(ln + x, axis, exclusive, reverse) - ans))
    finite = greater(ans, constant_like(-np.inf, ans))  # an empty (exclusive) window has no tangent
    return where(finite, out, zeros_like(out))


defvjp(CumulativeLogsumexp, _cumlse_vjp)
defjvp(CumulativeLogsumexp, _cumlse_jvp)
samples(CumulativeLogsumexp, lambda: [
    ((S.arr((4,)),), {"axis": 0, "exclusive": False, "reverse": False}),
    ((S.arr((3, 4), seed=1),), {"axis": 1, "exclusive": False, "reverse": True}),
    ((S.arr((3, 2), seed=2),), {"axis": 0, "exclusive": False, "reverse": False})])


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.math.cumulative_logsumexp`: running log(sum(exp(x))) along `axis`, computed stably; `exclusive` and
    `reverse` as in `cumsum`. The gradient is TensorFlow's.

    >>> import tapegrad as tf
    >>> tf.math.cumulative_logsumexp(tf.constant([0.0, 0.0])).numpy()
    array([0.       , 0.6931472], dtype=float32)
    """
    from .reduce import _scan_axis

    x = as_input(x)
    return _cumlse(x, _scan_axis(x, axis, "CumulativeLogsumexp"), bool(exclusive), bool(reverse))


# =========================================================================== counting and small helpers

def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32, name=None, axis=None,
             binary_output=False):
    """`tf.math.bincount`: how often each value 0, 1, ... occurs in the non-negative int tensor `arr` (or the
    sum of `weights` there), with `minlength`/`maxlength` bounds; `axis=-1` counts each row separately.
    Values >= maxlength are ignored. Not differentiable (TensorFlow registers no gradient).

    >>> import tapegrad as tf
    >>> tf.math.bincount(tf.constant([1, 1, 3])).numpy()
    array([0, 2, 0, 1], dtype=int32)
    """
    a = as_input(arr)
    v = np.asarray(_backend.to_numpy(a._value))
    if v.dtype.kind not in "iu":
        raise InvalidArgumentError(None, "Bincount", f"bincount takes an integer tensor, got {a.dtype.name} "
                                   "[Op:Bincount]")
    if v.size and v.min() < 0:
        raise InvalidArgumentError(None, "Bincount", "Input arr must be non-negative! [Op:Bincount]")
    if axis not in (None, 0, -1):
        raise ValueError(f"tf.math.bincount: unsupported axis={axis}; only 0, -1 and None are supported.")
    rows = v.reshape(-1, v.shape[-1]) if axis == -1 and v.ndim else v.reshape(1, -1)
    n = int(v.max()) + 1 if v.size else 0
    if minlength is not None:
        n = max(n, int(minlength))
    if maxlength is not None:
        n = min(n, int(maxlength))
    w = None
    if weights is not None:
        wt = as_input(weights)
        w = np.asarray(_backend.to_numpy(wt._value)).reshape(rows.shape)
        out_dtype = wt._value.dtype
    else:
        out_dtype = _dt.numpy_dtype(dtype)
    out = np.zeros((rows.shape[0], n), dtype=out_dtype)
    for r in range(rows.shape[0]):
        keep = rows[r] < n
        idx = rows[r][keep]
        if binary_output:
            out[r, idx] = 1
        else:
            np.add.at(out[r], idx, 1 if w is None else w[r][keep])
    if axis != -1 or not v.ndim:
        out = out[0]
    else:
        out = out.reshape(v.shape[:-1] + (n,))
    return _index_tensor(out, a)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=_dt.int32, name=None):
    """`tf.math.confusion_matrix`: counts (or summed `weights`) of each (label, prediction) pair, labels on
    rows. Not differentiable.

    >>> import tapegrad as tf
    >>> tf.math.confusion_matrix([1, 2, 4], [2, 2, 4]).numpy()[1:3]
    array([[0, 0, 1, 0, 0],
           [0, 0, 1, 0, 0]], dtype=int32)
    """
    lab = np.asarray(_backend.to_numpy(as_input(labels)._value)).reshape(-1)
    pre = np.asarray(_backend.to_numpy(as_input(predictions)._value)).reshape(-1)
    if lab.shape != pre.shape:
        raise ValueError(f"tf.math.confusion_matrix: labels ({lab.size}) and predictions ({pre.size}) must have "
                         "the same number of values.")
    if lab.dtype.kind not in "iu" or pre.dtype.kind not in "iu":
        raise TypeError("tf.math.confusion_matrix: labels and predictions must be integer class ids.")
    if (lab.size and lab.min() < 0) or (pre.size and pre.min() < 0):
        raise InvalidArgumentError(None, "ConfusionMatrix", "`labels` and `predictions` must be non-negative "
                                   "[Op:ConfusionMatrix]")
    n = int(num_classes) if num_classes is not None else int(max(lab.max(initial=-1), pre.max(initial=-1))) + 1
    if lab.size and (lab.max() >= n or pre.max() >= n):
        raise InvalidArgumentError(None, "ConfusionMatrix", f"`labels` and `predictions` must be < num_classes={n} "
                                   "[Op:ConfusionMatrix]")
    out = np.zeros((n, n), dtype=_dt.numpy_dtype(dtype))
    w = 1 if weights is None else np.asarray(_backend.to_numpy(as_input(weights)._value)).reshape(-1)
    np.add.at(out, (lab, pre), w)
    return wrap(out)


def erfcinv(x, name=None):
    """`tf.math.erfcinv`: the inverse of erfc, -ndtri(x / 2) / sqrt(2) (as TensorFlow computes it).

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.erfcinv(tf.constant(0.5))):.6f}")
    0.476936
    """
    x = as_input(x)
    return negative(ndtri(x * 0.5)) * math.sqrt(0.5)


def _approx_k(operand, k, reduction_dimension, largest):
    x = as_input(operand)
    nd = len(x._value.shape)
    axis = int(reduction_dimension)
    if not -nd <= axis < nd:
        raise ValueError(f"reduction_dimension {axis} is out of range for a tensor of rank {nd}.")
    axis = axis - nd if axis >= 0 else axis
    n = x._value.shape[axis]
    if not 0 <= int(k) <= n:
        raise ValueError(f"k={k} must be in [0, {n}] (the size of the reduction dimension).")
    idx = np.take(_argsort_host(x._value, axis, largest), np.arange(int(k)), axis=axis)
    values = _take_along(x, idx, _inverse(idx, n, axis), axis, False, int(k) < n)
    return values, _index_tensor(idx.astype(np.int32), x)


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """`tf.math.approx_max_k`: the `k` largest values along `reduction_dimension` and their int32 indices.
    Computed exactly here (recall 1.0), so it is top_k along any axis.

    >>> import tapegrad as tf
    >>> tf.math.approx_max_k(tf.constant([[1.0, 9.0], [4.0, 2.0]]), 1, reduction_dimension=0)[0].numpy()
    array([[4., 9.]], dtype=float32)
    """
    return _approx_k(operand, k, reduction_dimension, True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """`tf.math.approx_min_k`: the `k` smallest values along `reduction_dimension` and their int32 indices,
    computed exactly.

    >>> import tapegrad as tf
    >>> tf.math.approx_min_k(tf.constant([3.0, 1.0, 2.0]), 2)[1].numpy()
    array([1, 2], dtype=int32)
    """
    return _approx_k(operand, k, reduction_dimension, False)


# =========================================================================== add_n, accumulate_n, polyval, ...

def _add_n_impl(xp, *xs):
    out = xs[0] + xs[1]
    for x in xs[2:]:
        out = out + x
    return out


AddN = defprimitive("AddN", _add_n_impl)
defvjp_all(AddN, lambda g, ans, *xs: [g] * len(xs))  # TensorFlow: the gradient copied to every input


def _add_n_jvp(ts, ans, *xs):
    live = [t for t in ts if t is not None]
    out = live[0]
    for t in live[1:]:
        out = add(out, t)
    return out


defjvp_all(AddN, _add_n_jvp)
samples(AddN, lambda: [((S.arr((3, 2)), S.arr((3, 2), seed=1)), {}),
                       ((S.arr((2,)), S.arr((2,), seed=1), S.arr((2,), seed=2)), {})])


def add_n(inputs, name=None):
    """`tf.math.add_n`: the elementwise sum of a list of tensors of one shape and dtype (no broadcasting).

    >>> import tapegrad as tf
    >>> tf.math.add_n([tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])]).numpy()
    array([4., 6.], dtype=float32)
    """
    if isinstance(inputs, _TensorLike) or not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("inputs must be a list of at least one Tensor/IndexedSlices with the same dtype and "
                         "shape (tf.math.add_n).")
    ts = [as_input(v) for v in inputs]
    d0, s0 = ts[0]._value.dtype, tuple(ts[0]._value.shape)
    for i, t in enumerate(ts):
        if t._value.dtype != d0 or tuple(t._value.shape) != s0:
            raise ValueError(f"inputs must be a list of at least one Tensor/IndexedSlices with the same dtype and "
                             f"shape: input #{i} is {t.dtype.name} {list(t._value.shape)}, input #0 is "
                             f"{ts[0].dtype.name} {list(s0)} (tf.math.add_n).")
    if len(ts) == 1:
        return ts[0]
    return apply(AddN, tuple(ts))


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """`tf.math.accumulate_n`: add_n, after checking the optional `shape` and `tensor_dtype` of the inputs.

    >>> import tapegrad as tf
    >>> float(tf.math.accumulate_n([tf.constant(1.0), tf.constant(2.0)]))
    3.0
    """
    out = add_n(inputs)
    if shape is not None and tuple(int(d) for d in shape) != tuple(out._value.shape):
        raise ValueError(f"Shape of inputs {list(out._value.shape)} does not match shape {list(shape)} "
                         "(tf.math.accumulate_n).")
    if tensor_dtype is not None and _dt.as_dtype(tensor_dtype) != out.dtype:
        raise TypeError(f"tf.math.accumulate_n: inputs have dtype {out.dtype.name}, expected "
                        f"{_dt.as_dtype(tensor_dtype).name}.")
    return out


def polyval(coeffs, x, name=None):
    """`tf.math.polyval`: coeffs[0] * x**(n-1) + ... + coeffs[n-1], by Horner's rule (0 for no coefficients).

    >>> import tapegrad as tf
    >>> float(tf.math.polyval([2.0, 0.0, 1.0], tf.constant(3.0)))
    19.0
    """
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)} (tf.math.polyval).")
    x = as_input(x)
    if not coeffs:
        return zeros_like(x)
    p = coeffs[0] if isinstance(coeffs[0], _TensorLike) else constant_like(coeffs[0], x)
    for c in coeffs[1:]:
        p = add(c, multiply(p, x))
    return p


def lbeta(x, name=None):
    """`tf.math.lbeta`: log|Beta(x)| = sum(lgamma(x)) - lgamma(sum(x)) over the last axis.

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.lbeta(tf.constant([1.0, 2.0]))):.6f}")  # Beta(1, 2) = 1/2
    -0.693147
    """
    x = as_input(x)
    return reduce_sum(lgamma(x), axis=-1) - lgamma(reduce_sum(x, axis=-1))


def zero_fraction(value, name=None):
    """`tf.math.zero_fraction`: the fraction of zeros in `value`, as float32.

    >>> import tapegrad as tf
    >>> float(tf.math.zero_fraction(tf.constant([0.0, 1.0, 0.0, 2.0])))
    0.5
    """
    x = as_input(value)
    return reduce_mean(cast(equal(x, zeros_like(x)), _dt.float32))


def invert_permutation(x, name=None):
    """`tf.math.invert_permutation`: y with y[x[i]] = i, for a permutation `x` of 0..n-1 (int32 or int64).

    >>> import tapegrad as tf
    >>> tf.math.invert_permutation(tf.constant([2, 0, 1])).numpy()
    array([1, 2, 0], dtype=int32)
    """
    t = as_input(x)
    p = _backend.to_numpy(t._value)
    if p.dtype.kind not in "iu" or p.ndim != 1:
        raise InvalidArgumentError(None, "InvertPermutation", f"invert_permutation expects a 1-D int32 or int64 "
                                   f"tensor, got {t.dtype.name} of shape {list(p.shape)} [Op:InvertPermutation]")
    if sorted(p.tolist()) != list(range(p.size)):
        raise InvalidArgumentError(None, "InvertPermutation", f"{p.tolist()} is not a permutation of 0..{p.size - 1}"
                                   " [Op:InvertPermutation]")
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _index_tensor(inv, t)


def _monotone(x, strict, op):
    t = as_input(x)
    flat = _backend.to_numpy(t._value).reshape(-1)
    if flat.dtype.kind not in "fiu":
        raise TypeError(f"{op}: expected a real numeric tensor, got {t.dtype.name}.")
    d = np.diff(flat)
    return _index_tensor(np.asarray(bool(np.all(d > 0) if strict else np.all(d >= 0))), t)


def is_non_decreasing(x, name=None):
    """`tf.math.is_non_decreasing`: whether x[i] <= x[i + 1] throughout (in row-major order).

    >>> import tapegrad as tf
    >>> bool(tf.math.is_non_decreasing([1, 1, 2]))
    True
    """
    return _monotone(x, False, "tf.math.is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """`tf.math.is_strictly_increasing`: whether x[i] < x[i + 1] throughout (in row-major order).

    >>> import tapegrad as tf
    >>> bool(tf.math.is_strictly_increasing([1, 1, 2]))
    False
    """
    return _monotone(x, True, "tf.math.is_strictly_increasing")

# Elementwise (see jacobian_seeds.py).
keeps_onehot(Erf, Erfc, Lgamma, Digamma, Polygamma, Zeta, Erfinv, Ndtri, AddN)
