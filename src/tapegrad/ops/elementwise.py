"""Elementwise ops: arithmetic, math functions, comparisons, logic, where, cast, identity.

Key decision: every rule is one line beside its forward, written with tapegrad ops, ignoring broadcasting
(the backward sweep unbroadcasts). Edge conventions are TensorFlow's: d|x|/dx = 0 at 0, maximum sends the
gradient of ties to x, pow's exponent gradient is 0 where x <= 0.
"""

from __future__ import annotations

import numpy as np

from .._backend import numpy_dtype_of
from .._core import dtypes as _dt
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
from . import _samples as S

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
defvjp(Mul, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
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
defvjp(Div, lambda g, ans, x, y: g / y, lambda g, ans, x, y: g * (-x / y / y))
defjvp(Div, lambda t, ans, x, y: t / y, lambda t, ans, x, y: t * (-x / y / y))
samples(Div, S.binary(lo2=0.5, hi2=2.0))

FloorDiv = defprimitive("FloorDiv", lambda xp, x, y: x // y, differentiable=False)
floordiv = binary_op(FloorDiv)

FloorMod = defprimitive("FloorMod", lambda xp, x, y: x % y)
floormod = binary_op(FloorMod)
defvjp(FloorMod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floordiv(x, y))
defjvp(FloorMod, lambda t, ans, x, y: t, lambda t, ans, x, y: -t * floordiv(x, y))
# x/y kept away from integers so floor(x / y) is locally constant
samples(FloorMod, lambda: [
    ((np.array([[0.3, 1.5], [2.5, -0.6], [1.3, -1.5]]), np.array([[1.1, 0.9], [-0.7, 1.3], [0.8, -1.7]])), {}),
    ((np.array([[0.3, 1.7], [2.5, -0.6]]), np.array([1.1, 0.9])), {}),
    ((np.array([[0.3], [1.25], [-2.3]]), np.array([[0.7, -1.6]])), {}),
    ((np.array(2.3), np.array([0.7, -1.3])), {})])


def _safe_log(x):
    return log(where(x > 0, x, ones_like(x)))


Pow = defprimitive("Pow", lambda xp, x, y: x ** y)
pow = binary_op(Pow)  # noqa: A001 - TensorFlow's name


def _pow_vjp_x(g, ans, x, y):
    if y.__class__ in (int, float) and y == 2:
        return g * y * x  # x ** 1 == x exactly: one op fewer on the most common power
    return g * y * pow(x, y - 1)


defvjp(Pow, _pow_vjp_x,
       lambda g, ans, x, y: g * where(x > 0, _safe_log(x), zeros_like(x)) * ans)
defjvp(Pow, lambda t, ans, x, y: t * y * pow(x, y - 1),
       lambda t, ans, x, y: t * where(x > 0, _safe_log(x), zeros_like(x)) * ans)
samples(Pow, S.binary(lo=0.5, hi=2.0, lo2=-2.0, hi2=2.0))  # x > 0: real powers and a smooth log

Neg = defprimitive("Neg", lambda xp, x: -x)
negative = unary_op(Neg)
defvjp(Neg, lambda g, ans, x: -g)
defjvp(Neg, lambda t, ans, x: -t)
samples(Neg, S.unary())

# =========================================================================== math functions

Abs = defprimitive("Abs", lambda xp, x: xp.abs(x))
abs = unary_op(Abs)  # noqa: A001
defvjp(Abs, lambda g, ans, x: g * sign(x))
defjvp(Abs, lambda t, ans, x: t * sign(x))
samples(Abs, S.unary(avoid=(0.0,)))

Sign = defprimitive("Sign", lambda xp, x: xp.sign(x))
sign = unary_op(Sign)
defvjp(Sign, lambda g, ans, x: zeros_like(g))  # TensorFlow: zeros, not None
defjvp(Sign, lambda t, ans, x: zeros_like(t))
samples(Sign, S.unary(avoid=(0.0,)))

Exp = defprimitive("Exp", lambda xp, x: xp.exp(x))
exp = unary_op(Exp)
defvjp(Exp, lambda g, ans, x: g * ans)
defjvp(Exp, lambda t, ans, x: t * ans)
samples(Exp, S.unary())

Log = defprimitive("Log", lambda xp, x: xp.log(x))
log = unary_op(Log)
defvjp(Log, lambda g, ans, x: g * reciprocal(x))  # TF's form: same rounding
defjvp(Log, lambda t, ans, x: t * reciprocal(x))
samples(Log, S.unary(0.5, 3.0))

Log1p = defprimitive("Log1p", lambda xp, x: xp.log1p(x))
log1p = unary_op(Log1p)
defvjp(Log1p, lambda g, ans, x: g * reciprocal(1 + x))
defjvp(Log1p, lambda t, ans, x: t * reciprocal(1 + x))
samples(Log1p, S.unary(-0.5, 2.0))

Reciprocal = defprimitive("Reciprocal", lambda xp, x: 1 / x)
reciprocal = unary_op(Reciprocal)
defvjp(Reciprocal, lambda g, ans, x: g * -(ans * ans))
defjvp(Reciprocal, lambda t, ans, x: t * -(ans * ans))
samples(Reciprocal, S.unary(0.5, 2.0))

Sqrt = defprimitive("Sqrt", lambda xp, x: xp.sqrt(x))
sqrt = unary_op(Sqrt)
defvjp(Sqrt, lambda g, ans, x: g * 0.5 / ans)
defjvp(Sqrt, lambda t, ans, x: t * 0.5 / ans)
samples(Sqrt, S.unary(0.5, 3.0))

Square = defprimitive("Square", lambda xp, x: x * x)
square = unary_op(Square)
defvjp(Square, lambda g, ans, x: g * (2 * x))
defjvp(Square, lambda t, ans, x: t * (2 * x))
samples(Square, S.unary())

Sin = defprimitive("Sin", lambda xp, x: xp.sin(x))
sin = unary_op(Sin)
defvjp(Sin, lambda g, ans, x: g * cos(x))
defjvp(Sin, lambda t, ans, x: t * cos(x))
samples(Sin, S.unary())

Cos = defprimitive("Cos", lambda xp, x: xp.cos(x))
cos = unary_op(Cos)
defvjp(Cos, lambda g, ans, x: -g * sin(x))
defjvp(Cos, lambda t, ans, x: -t * sin(x))
samples(Cos, S.unary())

Tanh = defprimitive("Tanh", lambda xp, x: xp.tanh(x))
tanh = unary_op(Tanh)
defvjp(Tanh, lambda g, ans, x: g * (1 - ans * ans))
defjvp(Tanh, lambda t, ans, x: t * (1 - ans * ans))
samples(Tanh, S.unary())


def _sigmoid(xp, x):
    # exp(-|x|) never overflows; the two branches agree where both are finite.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


Sigmoid = defprimitive("Sigmoid", _sigmoid)
sigmoid = unary_op(Sigmoid)
defvjp(Sigmoid, lambda g, ans, x: g * ans * (1 - ans))
defjvp(Sigmoid, lambda t, ans, x: t * ans * (1 - ans))
samples(Sigmoid, S.unary(-4.0, 4.0))

# =========================================================================== maximum, minimum, where


Maximum = defprimitive("Maximum", lambda xp, x, y: xp.maximum(x, y))
maximum = binary_op(Maximum)
defvjp(Maximum, lambda g, ans, x, y: where(x >= y, g, zeros_like(g)),
       lambda g, ans, x, y: where(x >= y, zeros_like(g), g))
defjvp(Maximum, lambda t, ans, x, y: where(x >= y, t, zeros_like(t)),
       lambda t, ans, x, y: where(x >= y, zeros_like(t), t))
samples(Maximum, S.binary())

Minimum = defprimitive("Minimum", lambda xp, x, y: xp.minimum(x, y))
minimum = binary_op(Minimum)
defvjp(Minimum, lambda g, ans, x, y: where(x <= y, g, zeros_like(g)),
       lambda g, ans, x, y: where(x <= y, zeros_like(g), g))
defjvp(Minimum, lambda t, ans, x, y: where(x <= y, t, zeros_like(t)),
       lambda t, ans, x, y: where(x <= y, zeros_like(t), t))
samples(Minimum, S.binary())

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


# =========================================================================== comparisons and logic

def _nondiff_binary(name, fn):
    return binary_op(defprimitive(name, fn, differentiable=False))


less = _nondiff_binary("Less", lambda xp, x, y: x < y)
less_equal = _nondiff_binary("LessEqual", lambda xp, x, y: x <= y)
greater = _nondiff_binary("Greater", lambda xp, x, y: x > y)
greater_equal = _nondiff_binary("GreaterEqual", lambda xp, x, y: x >= y)
equal = _nondiff_binary("Equal", lambda xp, x, y: x == y)
not_equal = _nondiff_binary("NotEqual", lambda xp, x, y: x != y)
logical_and = _nondiff_binary("LogicalAnd", lambda xp, x, y: xp.logical_and(x, y))
logical_or = _nondiff_binary("LogicalOr", lambda xp, x, y: xp.logical_or(x, y))
logical_xor = _nondiff_binary("LogicalXor", lambda xp, x, y: xp.logical_xor(x, y))
bitwise_and = _nondiff_binary("BitwiseAnd", lambda xp, x, y: x & y)
bitwise_or = _nondiff_binary("BitwiseOr", lambda xp, x, y: x | y)
bitwise_xor = _nondiff_binary("BitwiseXor", lambda xp, x, y: x ^ y)
logical_not = unary_op(defprimitive("LogicalNot", lambda xp, x: xp.logical_not(x), differentiable=False))
invert = unary_op(defprimitive("Invert", lambda xp, x: ~x, differentiable=False))

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


# --------------------------------------------------------------------------- late imports used by rules
from .creation import constant_like, ones_like, xp_dtype, zeros_like  # noqa: E402

__all__ = [n for n in dir() if not n.startswith("_")]
