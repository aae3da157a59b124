"""Elementwise ops: arithmetic, math functions, rounding, complex parts, comparisons, logic, where, cast.

Key decisions:
- Every rule is one line beside its forward, written with tapegrad ops, ignoring broadcasting (the backward
  sweep unbroadcasts). Rules and edge conventions are TensorFlow's (tensorflow/python/ops/math_grad.py):
  d|x|/dx = 0 at 0, maximum sends the gradient of ties to x, pow's exponent gradient is 0 where x <= 0,
  sqrt'(0) = inf, xlogy's x-gradient is 0 where x == 0, div_no_nan's gradients are 0 where y == 0, and
  floor, ceil, round and rint have no gradient (None).
- Complex inputs follow TensorFlow's convention: a VJP multiplies by the *conjugate* derivative
  (`g * conj(f'(x))`, `_cj` below, a no-op on real tensors), a JVP by the derivative itself. This holds for
  the arithmetic ops, abs, exp, expm1, log, log1p, sqrt, rsqrt, square, reciprocal, pow, the trigonometric
  and hyperbolic functions, conj/real/imag/complex/angle; the rest are real-only.
- A float-only op (exp, sqrt, atan2, ...) given an integer or bool tensor raises TensorFlow's
  InvalidArgumentError ("Value for attr 'T' of int32 is not in the list of allowed values") from inside its
  `impl`: one dtype-kind test on the array the op computes on, nothing added to the wrapper's hot path.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import numpy_dtype_of
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import (
    _binary_inputs,
    apply,
    as_input,
    binary_op,
    defjvp,
    defprimitive,
    defvjp,
    samples,
    unary_op,
)
from .._core.tensor import Tensor
from . import _samples as S
from .jacobian_seeds import keeps_onehot

# TensorFlow's allowed-type lists, for its error message.
_F = "bfloat16, half, float, double"
_FC = _F + ", complex64, complex128"
_NUM = "bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64"


def _bad_dtype(op: str, x, allowed: str) -> InvalidArgumentError:
    """TensorFlow's error for an op given a dtype its kernel does not take."""
    name = _dt.from_array(x).name
    return InvalidArgumentError(
        None, op, f"Value for attr 'T' of {name} is not in the list of allowed values: {allowed} ; "
        f"NodeDef: {{{{node {op}}}}} [Op:{op}]. Cast the input first, e.g. tf.cast(x, tf.float32).")


def _ufunc(op: str, fname: str, kinds: str = "fc", allowed: str = _FC, alt: str | None = None):
    """An impl calling `xp.<fname>(x)` (or `xp.<alt>`, NumPy 1's spelling) for inputs whose dtype kind is in
    `kinds`, TensorFlow's error otherwise."""
    npf = getattr(np, fname, None) or getattr(np, alt)

    def impl(xp, x):
        if x.dtype.kind not in kinds:
            raise _bad_dtype(op, x, allowed)
        if xp is np:
            return npf(x)
        fn = getattr(xp, fname, None)
        return (fn if fn is not None else getattr(xp, alt))(x)

    return impl


def _cj(x):
    """conj(x) for complex tensors, x itself otherwise (TensorFlow's VJPs use the conjugate derivative)."""
    if x.__class__ is Tensor:
        return conj(x) if x._value.dtype.kind == "c" else x
    return x.conjugate() if x.__class__ is complex else x  # a Python operand


def _scalars(xp, x, y):
    """Python numbers beside an array, as arrays of the array's dtype (impls that need two arrays)."""
    if not hasattr(x, "dtype"):
        x = xp.asarray(x, dtype=y.dtype)
    elif not hasattr(y, "dtype"):
        y = xp.asarray(y, dtype=x.dtype)
    return x, y


def _binary_float(op: str, x, y, kinds: str = "fc", allowed: str = _FC):
    d = x if hasattr(x, "dtype") else y
    if d.dtype.kind not in kinds:
        raise _bad_dtype(op, d, allowed)


# =========================================================================== arithmetic

Add = defprimitive("AddV2", lambda xp, x, y: x + y)
add = binary_op(Add)
defvjp(Add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
defjvp(Add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
samples(Add, S.binary())

Sub = defprimitive("Sub", lambda xp, x, y: x - y)
subtract = binary_op(Sub)
defvjp(Sub, lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
defjvp(Sub, lambda t, ans, x, y: t, lambda t, ans, x, y: -t)
samples(Sub, S.binary())

Mul = defprimitive("Mul", lambda xp, x, y: x * y)
multiply = binary_op(Mul)
defvjp(Mul, lambda g, ans, x, y: g * _cj(y), lambda g, ans, x, y: _cj(x) * g)
defjvp(Mul, lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
samples(Mul, S.binary())


def _truediv(xp, x, y):
    # TensorFlow's truediv: integer operands are divided in floating point (int8/16 -> float32, else float64).
    if getattr(x, "dtype", None) is not None and x.dtype.kind in "iub":
        ft = xp.float32 if x.dtype.itemsize <= 2 else xp.float64
        x = xp.astype(x, ft) if hasattr(xp, "astype") else x.astype(ft)
        y = xp.astype(y, ft) if hasattr(y, "dtype") else y
    elif getattr(y, "dtype", None) is not None and y.dtype.kind in "iub" and not hasattr(x, "dtype"):
        ft = xp.float32 if y.dtype.itemsize <= 2 else xp.float64
        y = xp.astype(y, ft)
    return x / y


Div = defprimitive("RealDiv", _truediv)
divide = binary_op(Div)
defvjp(Div, lambda g, ans, x, y: g / _cj(y), lambda g, ans, x, y: g * _cj(-x / y / y))
defjvp(Div, lambda t, ans, x, y: t / y, lambda t, ans, x, y: t * (-x / y / y))
samples(Div, S.binary(lo2=0.5, hi2=2.0))
truediv = divide


def _int_zero_check(op: str, xp, y) -> None:
    """TensorFlow raises on integer division by zero (NumPy would return 0 with a warning)."""
    if (y == 0) if not hasattr(y, "shape") else bool(xp.any(y == 0)):
        raise InvalidArgumentError(None, op, f"Integer division by zero [Op:{op}]")


def _floordiv(xp, x, y):
    d = x if hasattr(x, "dtype") else y
    if d.dtype.kind in "iu":
        _int_zero_check("FloorDiv", xp, y)
        return x // y
    return xp.floor(x / y)  # TensorFlow's float floordiv is floor(x / y) (NumPy's // rounds differently)


FloorDiv = defprimitive("FloorDiv", _floordiv, differentiable=False)
floordiv = binary_op(FloorDiv)


def _floormod(xp, x, y):
    d = x if hasattr(x, "dtype") else y
    if d.dtype.kind in "iu":
        _int_zero_check("FloorMod", xp, y)
    return x % y


FloorMod = defprimitive("FloorMod", _floormod)
floormod = binary_op(FloorMod)
mod = floormod
defvjp(FloorMod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floordiv(x, y))
defjvp(FloorMod, lambda t, ans, x, y: t, lambda t, ans, x, y: -t * floordiv(x, y))
# x/y kept away from integers so floor(x / y) is locally constant
samples(FloorMod, lambda: [
    ((np.array([[0.3, 1.5], [2.5, -0.6], [1.3, -1.5]]), np.array([[1.1, 0.9], [-0.7, 1.3], [0.8, -1.7]])), {}),
    ((np.array([[0.3, 1.7], [2.5, -0.6]]), np.array([1.1, 0.9])), {}),
    ((np.array([[0.3], [1.25], [-2.3]]), np.array([[0.7, -1.6]])), {}),
    ((np.array(2.3), np.array([0.7, -1.3])), {})])


def _truncatediv(xp, x, y):
    d = x if hasattr(x, "dtype") else y
    if d.dtype.kind in "iu":
        _int_zero_check("TruncateDiv", xp, y)
        q = x // y
        return q + xp.astype((q < 0) & (q * y != x), q.dtype)  # floor division rounded toward zero
    return xp.trunc(x / y)


truncatediv = binary_op(defprimitive("TruncateDiv", _truncatediv, differentiable=False))


def _truncatemod(xp, x, y):
    d = x if hasattr(x, "dtype") else y
    if d.dtype.kind in "iu":
        _int_zero_check("TruncateMod", xp, y)
        return x - _truncatediv(xp, x, y) * y
    x, y = _scalars(xp, x, y)
    return xp.fmod(x, y) if hasattr(xp, "fmod") else x - xp.trunc(x / y) * y


# TensorFlow registers no gradient for TruncateMod.
truncatemod = binary_op(defprimitive("TruncateMod", _truncatemod, differentiable=False))


def _safe_log(x):
    return log(where(x > 0, x, ones_like(x)))


# (NumPy raises for integers to negative integer powers, as TensorFlow does: InvalidArgumentError.)
Pow = defprimitive("Pow", lambda xp, x, y: x ** y)
pow = binary_op(Pow)  # noqa: A001 - TensorFlow's name


def _pow_vjp_x(g, ans, x, y):
    if y.__class__ in (int, float) and y == 2:
        return g * y * x  # x ** 1 == x exactly: one op fewer on the most common power
    if x._value.dtype.kind == "c":
        return g * conj(y * pow(x, y - 1))
    return g * y * pow(x, y - 1)


def _pow_log_x(x):
    if not hasattr(x, "_value"):  # a Python number base, e.g. 2.0 ** t (a complex one is converted)
        return math.log(x) if x > 0 else 0.0
    if x._value.dtype.kind == "c":  # TensorFlow: any nonzero complex base has a logarithm
        nz = not_equal(x, zeros_like(x))
        return where(nz, log(where(nz, x, ones_like(x))), zeros_like(x))
    return where(x > 0, _safe_log(x), zeros_like(x))


defvjp(Pow, _pow_vjp_x, lambda g, ans, x, y: g * _cj(_pow_log_x(x) * ans))
defjvp(Pow, lambda t, ans, x, y: t * y * pow(x, y - 1), lambda t, ans, x, y: t * _pow_log_x(x) * ans)
samples(Pow, S.binary(lo=0.5, hi=2.0, lo2=-2.0, hi2=2.0))  # x > 0: real powers and a smooth log

Neg = defprimitive("Neg", lambda xp, x: -x)
negative = unary_op(Neg)
defvjp(Neg, lambda g, ans, x: -g)
defjvp(Neg, lambda t, ans, x: -t)
samples(Neg, S.unary())


def _reciprocal(xp, x):
    if x.dtype.kind in "iu":  # TensorFlow's integer reciprocal: 1 / x truncated toward zero
        _int_zero_check("Reciprocal", xp, x)
        return xp.where((x == 1) | (x == -1), x, xp.zeros_like(x))
    if x.dtype.kind == "b":
        raise _bad_dtype("Reciprocal", x, _NUM + ", complex64, complex128")
    return 1 / x


Reciprocal = defprimitive("Reciprocal", _reciprocal)
reciprocal = unary_op(Reciprocal)
defvjp(Reciprocal, lambda g, ans, x: g * -_cj(ans * ans))
defjvp(Reciprocal, lambda t, ans, x: t * -(ans * ans))
samples(Reciprocal, S.unary(0.5, 2.0))


def _squared_difference(x, y, name=None):
    """`tf.math.squared_difference`: (x - y) ** 2, elementwise (broadcasting).

    >>> import tapegrad as tf
    >>> tf.math.squared_difference(tf.constant([1.0, 5.0]), 2.0).numpy()
    array([1., 9.], dtype=float32)
    """
    d = subtract(x, y)
    return d * conj(d) if d._value.dtype.kind == "c" else square(d)


squared_difference = _squared_difference


def scalar_mul(scalar, x, name=None):
    """`tf.math.scalar_mul`: `scalar * x`, with `scalar` a 0-d value.

    >>> import tapegrad as tf
    >>> tf.math.scalar_mul(2.0, tf.constant([1.0, 3.0])).numpy()
    array([2., 6.], dtype=float32)
    """
    shape = tuple(getattr(scalar, "shape", None) or np.shape(scalar))
    if shape != ():
        raise ValueError(f"Only scalar multiply works, got shape {shape} (tf.math.scalar_mul takes a 0-D scalar).")
    return multiply(scalar, x)


def realdiv(x, y, name=None):
    """`tf.realdiv`: x / y; floats divide exactly, integers divide truncating toward zero.

    >>> import tapegrad as tf
    >>> tf.math.realdiv(tf.constant([7, -7]), 2).numpy()
    array([ 3, -3], dtype=int32)
    """
    x, y = _binary_inputs(Div, x, y)
    t = x if hasattr(x, "_value") else y
    if t._value.dtype.kind in "iu":
        return truncatediv(x, y)
    return divide(x, y)


# =========================================================================== no-NaN products and quotients

def _div_no_nan(xp, x, y):
    _binary_float("DivNoNan", x, y)
    x, y = _scalars(xp, x, y)
    zero = y == 0
    q = x / xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(q), q)  # 0 where y == 0, even for an infinite or NaN x


DivNoNan = defprimitive("DivNoNan", _div_no_nan)
divide_no_nan = binary_op(DivNoNan)
div_no_nan = divide_no_nan
defvjp(DivNoNan, lambda g, ans, x, y: divide_no_nan(g, _cj(y)),
       lambda g, ans, x, y: g * _cj(divide_no_nan(divide_no_nan(-x, y), y)))
defjvp(DivNoNan, lambda t, ans, x, y: divide_no_nan(t, y),
       lambda t, ans, x, y: t * divide_no_nan(divide_no_nan(-x, y), y))
samples(DivNoNan, S.binary(lo2=0.5, hi2=2.0))  # y == 0 (a jump) is checked in tests/test_math_ops.py


def _mul_no_nan(xp, x, y):
    _binary_float("MulNoNan", x, y)
    x, y = _scalars(xp, x, y)
    prod = xp.where(y == 0, xp.zeros_like(y), x) * y  # 0 where y == 0, even for an infinite or NaN x
    return prod


MulNoNan = defprimitive("MulNoNan", _mul_no_nan)
multiply_no_nan = binary_op(MulNoNan)
defvjp(MulNoNan, lambda g, ans, x, y: multiply_no_nan(g, _cj(y)), lambda g, ans, x, y: multiply_no_nan(_cj(x), g))
defjvp(MulNoNan, lambda t, ans, x, y: multiply_no_nan(t, y), lambda t, ans, x, y: multiply_no_nan(x, t))
samples(MulNoNan, S.binary())


def reciprocal_no_nan(x, name=None):
    """`tf.math.reciprocal_no_nan`: 1 / x, and 0 where x == 0.

    >>> import tapegrad as tf
    >>> tf.math.reciprocal_no_nan(tf.constant([2.0, 0.0])).numpy()
    array([0.5, 0. ], dtype=float32)
    """
    x = as_input(x)
    return divide_no_nan(ones_like(x), x)


def _x_impl(op: str, fn):
    """xlogy-style impls: 0 wherever x == 0 (even for a NaN or infinite y), x * fn(y) elsewhere."""
    def impl(xp, x, y):
        _binary_float(op, x, y)
        x, y = _scalars(xp, x, y)
        safe = xp.where(x == 0, xp.ones_like(y) if op != "Xlog1py" else xp.zeros_like(y), y)
        return x * fn(xp, safe)  # fn(safe) == 0 where x == 0

    return impl


Xlogy = defprimitive("Xlogy", _x_impl("Xlogy", lambda xp, y: xp.log(y)))
xlogy = binary_op(Xlogy)
Xlog1py = defprimitive("Xlog1py", _x_impl("Xlog1py", lambda xp, y: xp.log1p(y)))
xlog1py = binary_op(Xlog1py)


def _xdivy(xp, x, y):
    _binary_float("Xdivy", x, y)
    x, y = _scalars(xp, x, y)
    return x / xp.where(x == 0, xp.ones_like(y), y)


Xdivy = defprimitive("Xdivy", _xdivy)
xdivy = binary_op(Xdivy)


def _nonzero(x):
    return cast(not_equal(x, zeros_like(x)), x.dtype)


defvjp(Xlogy, lambda g, ans, x, y: g * xlogy(_nonzero(x), y), lambda g, ans, x, y: g * xdivy(x, y))
defjvp(Xlogy, lambda t, ans, x, y: t * xlogy(_nonzero(x), y), lambda t, ans, x, y: t * xdivy(x, y))
defvjp(Xlog1py, lambda g, ans, x, y: g * xlog1py(_nonzero(x), y), lambda g, ans, x, y: g * xdivy(x, y + 1))
defjvp(Xlog1py, lambda t, ans, x, y: t * xlog1py(_nonzero(x), y), lambda t, ans, x, y: t * xdivy(x, y + 1))
defvjp(Xdivy, lambda g, ans, x, y: g * xdivy(_nonzero(x), y), lambda g, ans, x, y: g * xdivy(-x, y * y))
defjvp(Xdivy, lambda t, ans, x, y: t * xdivy(_nonzero(x), y), lambda t, ans, x, y: t * xdivy(-x, y * y))
samples(Xlogy, S.binary(lo2=0.5, hi2=2.0))
samples(Xlog1py, S.binary(lo2=-0.5, hi2=2.0))
samples(Xdivy, S.binary(lo2=0.5, hi2=2.0))

# =========================================================================== abs, sign

Abs = defprimitive("Abs", lambda xp, x: xp.abs(x))
abs = unary_op(Abs)  # noqa: A001


def _abs_vjp(g, ans, x):
    if x._value.dtype.kind == "c":  # TensorFlow's ComplexAbs gradient: g * x / |x| (0 at 0)
        return cast(g, x.dtype) * sign(x)
    return g * sign(x)


def _abs_jvp(t, ans, x):
    if x._value.dtype.kind == "c":  # d|x| = Re(conj(x / |x|) t)
        return real(conj(sign(x)) * t)
    return t * sign(x)


defvjp(Abs, _abs_vjp)
defjvp(Abs, _abs_jvp)
samples(Abs, S.unary(avoid=(0.0,)))

Sign = defprimitive("Sign", lambda xp, x: xp.sign(x))
sign = unary_op(Sign)
defvjp(Sign, lambda g, ans, x: zeros_like(g))  # TensorFlow: zeros, not None
defjvp(Sign, lambda t, ans, x: zeros_like(t))
samples(Sign, S.unary(avoid=(0.0,)))

# =========================================================================== exponentials and logarithms

Exp = defprimitive("Exp", _ufunc("Exp", "exp"))
exp = unary_op(Exp)
defvjp(Exp, lambda g, ans, x: g * _cj(ans))
defjvp(Exp, lambda t, ans, x: t * ans)
samples(Exp, S.unary())

Expm1 = defprimitive("Expm1", _ufunc("Expm1", "expm1"))
expm1 = unary_op(Expm1)
defvjp(Expm1, lambda g, ans, x: g * exp(_cj(x)))
defjvp(Expm1, lambda t, ans, x: t * exp(x))
samples(Expm1, S.unary())

Log = defprimitive("Log", _ufunc("Log", "log"))
log = unary_op(Log)
defvjp(Log, lambda g, ans, x: g * reciprocal(_cj(x)))  # TF's form: same rounding
defjvp(Log, lambda t, ans, x: t * reciprocal(x))
samples(Log, S.unary(0.5, 3.0))

Log1p = defprimitive("Log1p", _ufunc("Log1p", "log1p"))
log1p = unary_op(Log1p)
defvjp(Log1p, lambda g, ans, x: g * reciprocal(1 + _cj(x)))
defjvp(Log1p, lambda t, ans, x: t * reciprocal(1 + x))
samples(Log1p, S.unary(-0.5, 2.0))

Sqrt = defprimitive("Sqrt", _ufunc("Sqrt", "sqrt"))
sqrt = unary_op(Sqrt)
defvjp(Sqrt, lambda g, ans, x: g * 0.5 / _cj(ans))  # sqrt'(0) = inf, as in TensorFlow
defjvp(Sqrt, lambda t, ans, x: t * 0.5 / ans)
samples(Sqrt, S.unary(0.5, 3.0))


def _rsqrt(xp, x):
    if x.dtype.kind not in "fc":
        raise _bad_dtype("Rsqrt", x, _FC)
    return 1 / xp.sqrt(x)


Rsqrt = defprimitive("Rsqrt", _rsqrt)
rsqrt = unary_op(Rsqrt)
defvjp(Rsqrt, lambda g, ans, x: g * (-0.5 * _cj(ans * ans * ans)))
defjvp(Rsqrt, lambda t, ans, x: t * (-0.5 * (ans * ans * ans)))
samples(Rsqrt, S.unary(0.5, 3.0))

Square = defprimitive("Square", lambda xp, x: x * x)
square = unary_op(Square)
defvjp(Square, lambda g, ans, x: g * (2 * _cj(x)))
defjvp(Square, lambda t, ans, x: t * (2 * x))
samples(Square, S.unary())

# =========================================================================== trigonometric and hyperbolic

Sin = defprimitive("Sin", _ufunc("Sin", "sin"))
sin = unary_op(Sin)
defvjp(Sin, lambda g, ans, x: g * cos(_cj(x)))
defjvp(Sin, lambda t, ans, x: t * cos(x))
samples(Sin, S.unary())

Cos = defprimitive("Cos", _ufunc("Cos", "cos"))
cos = unary_op(Cos)
defvjp(Cos, lambda g, ans, x: -g * sin(_cj(x)))
defjvp(Cos, lambda t, ans, x: -t * sin(x))
samples(Cos, S.unary())

Tan = defprimitive("Tan", _ufunc("Tan", "tan"))
tan = unary_op(Tan)
defvjp(Tan, lambda g, ans, x: g * square(reciprocal(cos(_cj(x)))))
defjvp(Tan, lambda t, ans, x: t * square(reciprocal(cos(x))))
samples(Tan, S.unary(-1.2, 1.2))

Asin = defprimitive("Asin", _ufunc("Asin", "asin", alt="arcsin"))
asin = unary_op(Asin)
defvjp(Asin, lambda g, ans, x: g * reciprocal(sqrt(1 - square(_cj(x)))))
defjvp(Asin, lambda t, ans, x: t * reciprocal(sqrt(1 - square(x))))
samples(Asin, S.unary(-0.8, 0.8))

Acos = defprimitive("Acos", _ufunc("Acos", "acos", alt="arccos"))
acos = unary_op(Acos)
defvjp(Acos, lambda g, ans, x: -g * reciprocal(sqrt(1 - square(_cj(x)))))
defjvp(Acos, lambda t, ans, x: -t * reciprocal(sqrt(1 - square(x))))
samples(Acos, S.unary(-0.8, 0.8))

Atan = defprimitive("Atan", _ufunc("Atan", "atan", alt="arctan"))
atan = unary_op(Atan)
defvjp(Atan, lambda g, ans, x: g * reciprocal(1 + square(_cj(x))))
defjvp(Atan, lambda t, ans, x: t * reciprocal(1 + square(x)))
samples(Atan, S.unary())


def _atan2(xp, y, x):
    _binary_float("Atan2", y, x, "f", _F)
    y, x = _scalars(xp, y, x)
    return xp.atan2(y, x) if hasattr(xp, "atan2") else xp.arctan2(y, x)


Atan2 = defprimitive("Atan2", _atan2)
atan2 = binary_op(Atan2)  # atan2(y, x): the angle of the point (x, y)
defvjp(Atan2, lambda g, ans, y, x: x * (g / (square(x) + square(y))),
       lambda g, ans, y, x: -y * (g / (square(x) + square(y))))
defjvp(Atan2, lambda t, ans, y, x: x * (t / (square(x) + square(y))),
       lambda t, ans, y, x: -y * (t / (square(x) + square(y))))
samples(Atan2, S.binary(lo=0.5, hi=2.0), S.binary(lo=-2.0, hi=-0.5, lo2=0.5, hi2=2.0))

Sinh = defprimitive("Sinh", _ufunc("Sinh", "sinh"))
sinh = unary_op(Sinh)
defvjp(Sinh, lambda g, ans, x: g * cosh(_cj(x)))
defjvp(Sinh, lambda t, ans, x: t * cosh(x))
samples(Sinh, S.unary())

Cosh = defprimitive("Cosh", _ufunc("Cosh", "cosh"))
cosh = unary_op(Cosh)
defvjp(Cosh, lambda g, ans, x: g * sinh(_cj(x)))
defjvp(Cosh, lambda t, ans, x: t * sinh(x))
samples(Cosh, S.unary())

Tanh = defprimitive("Tanh", _ufunc("Tanh", "tanh"))
tanh = unary_op(Tanh)
defvjp(Tanh, lambda g, ans, x: g * (1 - _cj(ans * ans)))
defjvp(Tanh, lambda t, ans, x: t * (1 - ans * ans))
samples(Tanh, S.unary())

Asinh = defprimitive("Asinh", _ufunc("Asinh", "asinh", alt="arcsinh"))
asinh = unary_op(Asinh)
defvjp(Asinh, lambda g, ans, x: g / cosh(_cj(ans)))
defjvp(Asinh, lambda t, ans, x: t / cosh(ans))
samples(Asinh, S.unary())

Acosh = defprimitive("Acosh", _ufunc("Acosh", "acosh", alt="arccosh"))
acosh = unary_op(Acosh)
defvjp(Acosh, lambda g, ans, x: g / sinh(_cj(ans)))
defjvp(Acosh, lambda t, ans, x: t / sinh(ans))
samples(Acosh, S.unary(1.2, 3.0))

Atanh = defprimitive("Atanh", _ufunc("Atanh", "atanh", alt="arctanh"))
atanh = unary_op(Atanh)
defvjp(Atanh, lambda g, ans, x: g * reciprocal(1 - square(_cj(x))))
defjvp(Atanh, lambda t, ans, x: t * reciprocal(1 - square(x)))
samples(Atanh, S.unary(-0.8, 0.8))

# =========================================================================== sigmoid, softplus


def _sigmoid(xp, x):
    if x.dtype.kind != "f":
        if x.dtype.kind == "c":
            return 1 / (1 + xp.exp(-x))
        raise _bad_dtype("Sigmoid", x, _FC)
    # exp(-|x|) never overflows; the two branches agree where both are finite.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


Sigmoid = defprimitive("Sigmoid", _sigmoid)
sigmoid = unary_op(Sigmoid)
defvjp(Sigmoid, lambda g, ans, x: g * _cj(ans * (1 - ans)))
defjvp(Sigmoid, lambda t, ans, x: t * ans * (1 - ans))
samples(Sigmoid, S.unary(-4.0, 4.0))


def _softplus(xp, x):
    if x.dtype.kind != "f":
        raise _bad_dtype("Softplus", x, _F)
    # max(x, 0) + log1p(exp(-|x|)): exact to rounding for every x, never overflows
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


Softplus = defprimitive("Softplus", _softplus)
_softplus_op = unary_op(Softplus)


def softplus(features, name=None):
    """`tf.math.softplus`: log(exp(features) + 1), computed without overflow; the gradient is sigmoid(features).

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.softplus(tf.constant(0.0))):.6f}")
    0.693147
    """
    return _softplus_op(features)


defvjp(Softplus, lambda g, ans, x: g * sigmoid(x))  # TensorFlow's SoftplusGrad
defjvp(Softplus, lambda t, ans, x: t * sigmoid(x))
samples(Softplus, S.unary(-4.0, 4.0))


def log_sigmoid(x, name=None):
    """`tf.math.log_sigmoid`: log(1 / (1 + exp(-x))), computed stably as -softplus(-x).

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.log_sigmoid(tf.constant(0.0))):.6f}")
    -0.693147
    """
    return negative(softplus(negative(x)))


# =========================================================================== maximum, minimum, clip


def _real_numeric(op):
    fname = op.lower()
    npf = getattr(np, fname)

    def impl(xp, x, y):
        if (x if hasattr(x, "dtype") else y).dtype.kind in "cb":
            raise _bad_dtype(op, x if hasattr(x, "dtype") else y, _NUM)
        return npf(x, y) if xp is np else getattr(xp, fname)(x, y)

    return impl


Maximum = defprimitive("Maximum", _real_numeric("Maximum"))
maximum = binary_op(Maximum)
defvjp(Maximum, lambda g, ans, x, y: where(x >= y, g, zeros_like(g)),
       lambda g, ans, x, y: where(x >= y, zeros_like(g), g))
defjvp(Maximum, lambda t, ans, x, y: where(x >= y, t, zeros_like(t)),
       lambda t, ans, x, y: where(x >= y, zeros_like(t), t))
samples(Maximum, S.binary())

Minimum = defprimitive("Minimum", _real_numeric("Minimum"))
minimum = binary_op(Minimum)
defvjp(Minimum, lambda g, ans, x, y: where(x <= y, g, zeros_like(g)),
       lambda g, ans, x, y: where(x <= y, zeros_like(g), g))
defjvp(Minimum, lambda t, ans, x, y: where(x <= y, t, zeros_like(t)),
       lambda t, ans, x, y: where(x <= y, zeros_like(t), t))
samples(Minimum, S.binary())


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """`tf.clip_by_value`: `t` with values below `clip_value_min` raised to it and values above
    `clip_value_max` lowered to it. As in TensorFlow (minimum, then maximum), the gradient passes to `t`
    where `clip_value_min <= t <= clip_value_max`, and to a bound where `t` lies strictly beyond it.

    >>> import tapegrad as tf
    >>> tf.clip_by_value(tf.constant([-2.0, 0.5, 3.0]), -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    values = as_input(t)
    t_min = minimum(values, clip_value_max)
    _same_shape(values, t_min, "clip_value_max")
    t_max = maximum(t_min, clip_value_min)
    _same_shape(values, t_max, "clip_value_min")
    return t_max


def _same_shape(values, out, what):
    if tuple(out._value.shape) != tuple(values._value.shape):
        raise ValueError(f"tf.clip_by_value: {what} would broadcast t of shape {tuple(values._value.shape)} to "
                         f"shape {tuple(out._value.shape)}: Shapes {list(values._value.shape)} and "
                         f"{list(out._value.shape)} are incompatible. Give bounds that are scalars or t's shape.")


# =========================================================================== rounding (no gradient)

floor = unary_op(defprimitive("Floor", _ufunc("Floor", "floor", "f", _F), differentiable=False))
ceil = unary_op(defprimitive("Ceil", _ufunc("Ceil", "ceil", "f", _F), differentiable=False))
rint = unary_op(defprimitive("Rint", _ufunc("Rint", "round", "f", _F), differentiable=False))


def _round(xp, x):
    if x.dtype.kind in "iu":
        return x
    if x.dtype.kind == "b":
        raise _bad_dtype("Round", x, _NUM + ", complex64, complex128")
    return xp.round(x)  # half to even, as TensorFlow's banker's rounding


round = unary_op(defprimitive("Round", _round, differentiable=False))  # noqa: A001

# =========================================================================== complex numbers


def _conj(xp, x):
    if x.dtype.kind == "c":
        return xp.conj(x)
    return x


Conj = defprimitive("Conj", _conj)
defvjp(Conj, lambda g, ans, x: conj(g))
defjvp(Conj, lambda t, ans, x: conj(t))
samples(Conj, S.unary())  # the identity on real tensors; complex conjugation is checked in the tests


def conj(x, name=None):
    """`tf.math.conj`: the complex conjugate of `x` (real tensors are returned unchanged).

    >>> import tapegrad as tf
    >>> tf.math.conj(tf.constant([1 + 2j])).numpy()
    array([1.-2.j], dtype=complex64)
    """
    x = as_input(x)
    if x._value.dtype.kind != "c":
        if x._value.dtype.kind not in "fiu":
            raise TypeError(f"tf.math.conj: expected a numeric tensor, got {x.dtype.name}.")
        return x
    return apply(Conj, (x,))


def _real_dtype(x):
    return _dt.float32 if x._value.dtype.itemsize == 8 else _dt.float64


def real(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """`tf.math.real`: the real part of a complex tensor (a real tensor is returned unchanged).

    >>> import tapegrad as tf
    >>> tf.math.real(tf.constant([1.5 + 2j])).numpy()
    array([1.5], dtype=float32)
    """
    x = as_input(input)
    if x._value.dtype.kind != "c":
        return x
    return cast(x, _real_dtype(x))  # Cast drops the imaginary part; its gradient is complex(g, 0)


def imag(input, name=None):  # noqa: A002
    """`tf.math.imag`: the imaginary part of a complex tensor (zeros for a real tensor).

    >>> import tapegrad as tf
    >>> tf.math.imag(tf.constant([1.5 + 2j])).numpy()
    array([2.], dtype=float32)
    """
    x = as_input(input)
    if x._value.dtype.kind != "c":
        return zeros_like(x)
    return cast(multiply(x, -1j), _real_dtype(x))  # Im(z) = Re(-iz); gradient complex(0, g)


def complex(real, imag, name=None):  # noqa: A001
    """`tf.complex`: `real + imag * 1j` from two float32 (complex64) or two float64 (complex128) tensors.

    >>> import tapegrad as tf
    >>> tf.complex(tf.constant([1.0]), tf.constant([2.0])).dtype
    tf.complex64
    """
    re, im = as_input(real), as_input(imag)
    dr, di = re._value.dtype, im._value.dtype
    if dr != di or dr.kind != "f" or dr.itemsize not in (4, 8):
        raise TypeError(f"The `real` and `imag` components have incorrect types: {re.dtype.name} "
                        f"{im.dtype.name}; tf.complex takes two float32 or two float64 tensors.")
    ct = _dt.complex64 if dr.itemsize == 4 else _dt.complex128
    return add(cast(re, ct), multiply(cast(im, ct), 1j))


def angle(input, name=None):  # noqa: A002
    """`tf.math.angle`: the argument of a complex tensor, atan2(imag, real) (pi or 0 for a real tensor).

    >>> import tapegrad as tf
    >>> print(f"{float(tf.math.angle(tf.constant(1j))):.6f}")
    1.570796
    """
    x = as_input(input)
    if x._value.dtype.kind != "c":
        return where(x < 0, constant_like(np.pi, x) * ones_like(x), zeros_like(x))
    return atan2(imag(x), real(x))


# =========================================================================== where


Select = defprimitive("SelectV2", lambda xp, c, x, y: xp.where(c, x, y))
defvjp(Select, None, lambda g, ans, c, x, y: where(c, g, zeros_like(g)),
       lambda g, ans, c, x, y: where(c, zeros_like(g), g))
defjvp(Select, None, lambda t, ans, c, x, y: where(c, t, zeros_like(t)),
       lambda t, ans, c, x, y: where(c, zeros_like(t), t))
samples(Select, lambda: [((np.array([[True, False], [False, True], [True, True]]), S.arr((3, 2)),
                           S.arr((2,), seed=1)), {}),
                         ((np.array([True, False]), S.arr((3, 2), seed=2), S.arr((), seed=3)), {}),
                         ((np.array([[True], [False], [True]]), S.arr((1, 2), seed=4), S.arr((3, 2), seed=5)), {})])


def _where1_impl(xp, c):
    rows = xp.stack(xp.nonzero(c), axis=-1)  # TensorFlow: int64 coordinates, one row per true element
    return rows.astype(np.int64) if xp is np else xp.astype(rows, xp.int64)


Where1 = defprimitive("Where", _where1_impl, differentiable=False)


def where(condition, x=None, y=None, name=None):
    """`tf.where`: elements of `x` where `condition` is true, else of `y`; with one argument, the indices
    (int64, one row per true element) of `condition`.

    >>> import tapegrad as tf
    >>> tf.where([True, False], 1.0, 2.0).numpy()
    array([1., 2.], dtype=float32)
    """
    c = as_input(condition)
    if x is None and y is None:
        return apply(Where1, (c,))
    if x is None or y is None:
        raise ValueError("tf.where needs both x and y, or neither.")
    if c._value.dtype.kind != "b":
        raise TypeError(f"tf.where: condition must be a bool tensor, got {_dt.from_array(c._value).name}; "
                        "compare first, e.g. tf.where(x > 0, ...).")
    x, y = _binary_inputs(Select, x, y)
    if not hasattr(x, "_value"):
        x = constant_like(x, y)
    if not hasattr(y, "_value"):
        y = constant_like(y, x)
    return apply(Select, (c, x, y))


# =========================================================================== comparisons, logic, float tests

def _nondiff_binary(name, fn):
    return binary_op(defprimitive(name, fn, differentiable=False))


def _logical(op, fn):
    def impl(xp, *args):
        for k, v in enumerate(args):
            if hasattr(v, "dtype") and v.dtype.kind != "b":
                raise InvalidArgumentError(None, op, f"cannot compute {op} as input #{k}(zero-based) was expected "
                                           f"to be a bool tensor but is a {_dt.from_array(v).name} tensor "
                                           f"[Op:{op}]. Compare first (x > 0) or cast to tf.bool.")
        return fn(xp, *args)

    return impl


less = _nondiff_binary("Less", lambda xp, x, y: x < y)
less_equal = _nondiff_binary("LessEqual", lambda xp, x, y: x <= y)
greater = _nondiff_binary("Greater", lambda xp, x, y: x > y)
greater_equal = _nondiff_binary("GreaterEqual", lambda xp, x, y: x >= y)
equal = _nondiff_binary("Equal", lambda xp, x, y: x == y)
not_equal = _nondiff_binary("NotEqual", lambda xp, x, y: x != y)
logical_and = _nondiff_binary("LogicalAnd", _logical("LogicalAnd", lambda xp, x, y: xp.logical_and(x, y)))
logical_or = _nondiff_binary("LogicalOr", _logical("LogicalOr", lambda xp, x, y: xp.logical_or(x, y)))
logical_xor = _nondiff_binary("LogicalXor", _logical("LogicalXor", lambda xp, x, y: xp.logical_xor(x, y)))
bitwise_and = _nondiff_binary("BitwiseAnd", lambda xp, x, y: x & y)
bitwise_or = _nondiff_binary("BitwiseOr", lambda xp, x, y: x | y)
bitwise_xor = _nondiff_binary("BitwiseXor", lambda xp, x, y: x ^ y)
logical_not = unary_op(defprimitive("LogicalNot", _logical("LogicalNot", lambda xp, x: xp.logical_not(x)),
                                    differentiable=False))
invert = unary_op(defprimitive("Invert", lambda xp, x: ~x, differentiable=False))

is_nan = unary_op(defprimitive("IsNan", _ufunc("IsNan", "isnan", "f", _F), differentiable=False))
is_inf = unary_op(defprimitive("IsInf", _ufunc("IsInf", "isinf", "f", _F), differentiable=False))
is_finite = unary_op(defprimitive("IsFinite", _ufunc("IsFinite", "isfinite", "f", _F), differentiable=False))

# =========================================================================== identity, stop_gradient, cast

Identity = defprimitive("Identity", lambda xp, x: x)
identity = unary_op(Identity)
defvjp(Identity, lambda g, ans, x: g)
defjvp(Identity, lambda t, ans, x: t)
samples(Identity, S.unary())

stop_gradient = unary_op(defprimitive("StopGradient", lambda xp, x: x, differentiable=False))


def _cast_impl(xp, x, dtype):
    src = x.dtype if xp is np else numpy_dtype_of(x)  # `dtype` is NumPy's; compare NumPy with NumPy
    if src == dtype:
        return x
    if src.kind == "c" and dtype.kind != "c":
        x = xp.real(x)  # TensorFlow's cast drops the imaginary part
    if src.kind == "f" and dtype.kind in "iu":
        x = xp.trunc(x)  # TensorFlow truncates toward zero
    return x.astype(dtype) if xp is np else xp.astype(x, xp_dtype(xp, dtype))


Cast = defprimitive("Cast", _cast_impl)
defvjp(Cast, lambda g, ans, x, dtype: cast(g, x.dtype) if x._value.dtype.kind in "fc" else None)
defjvp(Cast, lambda t, ans, x, dtype: cast(t, dtype) if x._value.dtype.kind in "fc" else None)
# float64 -> float32: differences of float32 values need a big step (exact here: cast is linear).
samples(Cast, lambda: [((S.arr((3, 2)),), {"dtype": np.dtype(np.float32)}, {"eps": 1e-2, "rtol": 1e-4, "atol": 1e-4})])


def cast(x, dtype, name=None):
    """`tf.cast`: `x` converted to `dtype` (floats to ints truncate toward zero; gradients flow float to float).

    >>> import tapegrad as tf
    >>> tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy()
    array([ 1, -1], dtype=int32)
    """
    x = as_input(x)
    want = _dt.numpy_dtype(dtype)
    if numpy_dtype_of(x._value) == want:
        return x
    return apply(Cast, (x,), {"dtype": want})


# Elementwise: each output element depends on the inputs' elements at its position, so a Jacobian's one-hot
# seed rows stay symbolic through these ops (jacobian_seeds.py; tests/test_jacobian_seeds.py checks each).
keeps_onehot(Add, Sub, Mul, Div, FloorMod, Pow, Neg, Reciprocal, DivNoNan, MulNoNan, Xlogy, Xlog1py, Xdivy, Abs,
             Sign, Exp, Expm1, Log, Log1p, Sqrt, Rsqrt, Square, Sin, Cos, Tan, Asin, Acos, Atan, Atan2, Sinh, Cosh,
             Tanh, Asinh, Acosh, Atanh, Sigmoid, Softplus, Maximum, Minimum, Conj, Select, Identity, Cast)


# --------------------------------------------------------------------------- late imports used by rules
from .creation import constant_like, ones_like, xp_dtype, zeros_like  # noqa: E402

# The elementwise special functions live with their numerics in math_ops.py; other op modules find them here.
from .math_ops import digamma, erf, erfc, erfinv, lgamma, ndtri, polygamma, zeta  # noqa: E402,F401

__all__ = [n for n in dir() if not n.startswith("_")]
