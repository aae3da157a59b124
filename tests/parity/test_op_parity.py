"""Op parity with real TensorFlow: one table of cases, each run in both libraries.

Every case names an op by its TensorFlow path ("math.log", "nn.softmax", "linalg.inv", "gather",
"Tensor.__radd__"), the call's arguments (NumPy inputs, seeded; float inputs cast to the case's dtype) and
notes on the domain. For each case and dtype the op is resolved by the same dotted path in `tensorflow` and in
`tapegrad` and called on the same inputs inside a persistent GradientTape that watches every tensor argument.
Then we compare:

* the output structure (tuple / list / namedtuple fields), each output's dtype, shape and values;
* gradients with respect to every tensor argument, with one fixed random cotangent per float output
  (`output_gradients`): presence (None or not, which covers integer, boolean and index inputs), whether the
  gradient is an `IndexedSlices`, its dtype, shape and values;
* for cases marked `raises`, that `except <TensorFlow's exception class>` catches tapegrad's exception;
* in forward mode (`test_op_jvp`), the JVP of every output under one random tangent per float input.

An op tapegrad does not have fails with "tapegrad lacks tf.<path>": the table holds only ops that issues 2 and 3
promise. A known difference from TensorFlow is listed in `KNOWN_DIFFERENCES` and becomes an `xfail(strict=True)`
naming the difference (conftest.py), so it shows while it lasts and turns the run red the moment it is fixed.
Random ops are compared by structure, dtype and shape only (`RANDOM_CASES`).
"""

from __future__ import annotations

import builtins
import dataclasses
import warnings
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
import tapegrad as tg  # noqa: E402

F = ("float32", "float64")
F32 = ("float32",)
I = ("int32", "int64")
CX = ("complex64", "complex128")

# (rtol, atol) by dtype; atol is scaled by max(1, max |reference|).
TOL = {
    "float16": (1e-2, 1e-3),
    "float32": (2e-4, 1e-5),
    "complex64": (2e-4, 1e-5),
    "float64": (1e-7, 1e-10),
    "complex128": (1e-7, 1e-10),
}


# --------------------------------------------------------------------------- table vocabulary

@dataclasses.dataclass
class T:
    """A tensor argument: `lib.constant(value)`, watched by the tape. dtype None: the case's dtype."""

    value: Any
    dtype: str | None = None

    def array(self, case_dtype):
        value = np.asarray(self.value)
        return value.astype(self.dtype or case_dtype)


@dataclasses.dataclass(frozen=True)
class Dt:
    """A dtype argument: `lib.<name>`; name None: the case's dtype."""

    name: str | None = None


@dataclasses.dataclass
class Case:
    path: str
    args: tuple
    kwargs: dict
    id: str
    note: str = ""
    fn: Callable | None = None  # fn(op, lib) -> the callable to run (operators, indexing, gauge-fixing wrappers)
    dtypes: tuple = F
    tol: dict | None = None
    raises: bool = False
    grad: bool = True


CASES: list[Case] = []
_ids: set[str] = set()
_rng = np.random.default_rng(20240611)


def C(path, *args, label="", note="", fn=None, dtypes=F, tol=None, raises=False, grad=True, **kwargs):
    """Adds a case. Positional and keyword arguments after the path are the op's arguments."""
    cid = f"{path}[{label}]" if label else path
    n = 2
    while cid in _ids:
        cid = f"{path}[{label}#{n}]" if label else f"{path}[#{n}]"
        n += 1
    _ids.add(cid)
    CASES.append(Case(path, args, kwargs, cid, note, fn, dtypes, tol, raises, grad))


def rnd(*shape, lo=-2.0, hi=2.0):
    return _rng.uniform(lo, hi, shape)


def pos(*shape, lo=0.5, hi=3.0):
    return _rng.uniform(lo, hi, shape)


def unit(*shape):
    return _rng.uniform(-0.9, 0.9, shape)


def cplx(*shape):
    return _rng.uniform(-1.5, 1.5, shape) + 1j * _rng.uniform(-1.5, 1.5, shape)


def with_zero(a):
    a = np.array(a, dtype=float)
    a.flat[0] = 0.0
    return a


def ix(values, dtype="int32"):
    return T(np.array(values), dtype)


def bl(values):
    return T(np.array(values, dtype=bool), "bool")


def spd(n, batch=()):
    a = _rng.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def wellcond(n, batch=()):
    return _rng.uniform(-1, 1, batch + (n, n)) + 2.0 * np.eye(n)


def call(f):
    """fn for operator and indexing cases: f(*args) with the op only checked for existence."""
    return lambda op, lib: f


# --------------------------------------------------------------------------- issue 2: operators

X34, Y4 = rnd(3, 1), rnd(4)
C("Tensor.__add__", T(X34), T(Y4), label="broadcast", fn=call(lambda x, y: x + y))
C("Tensor.__sub__", T(X34), T(Y4), label="broadcast", fn=call(lambda x, y: x - y))
C("Tensor.__mul__", T(X34), T(Y4), label="broadcast", fn=call(lambda x, y: x * y))
C("Tensor.__truediv__", T(rnd(3, 4)), T(pos(4)), fn=call(lambda x, y: x / y))
C("Tensor.__floordiv__", T(rnd(3, 4)), T(pos(4)), fn=call(lambda x, y: x // y), note="FloorDiv has no gradient")
C("Tensor.__mod__", T(rnd(3, 4, lo=-5, hi=5)), T(pos(4, lo=0.7)), fn=call(lambda x, y: x % y),
  note="negative dividends: result has the divisor's sign")
C("Tensor.__mod__", T(rnd(5, lo=-5, hi=5)), T(-pos(5, lo=0.7)), label="negative divisor", fn=call(lambda x, y: x % y))
C("Tensor.__pow__", T(pos(3, 4)), T(rnd(3, 4)), fn=call(lambda x, y: x**y), note="x > 0")
C("Tensor.__neg__", T(rnd(3, 4)), fn=call(lambda x: -x))
C("Tensor.__abs__", T(with_zero(rnd(3, 4))), fn=call(lambda x: abs(x)), note="d|x|/dx = 0 at 0")
C("Tensor.__matmul__", T(rnd(2, 3)), T(rnd(3, 4)), fn=call(lambda x, y: x @ y))
# Python scalars adopt the tensor's dtype; reflected operators put the scalar first.
C("Tensor.__add__", T(rnd(3)), label="x + 2", fn=call(lambda x: x + 2))
C("Tensor.__radd__", T(rnd(3)), label="2.5 + x", fn=call(lambda x: 2.5 + x))
C("Tensor.__sub__", T(rnd(3)), label="x - 2.5", fn=call(lambda x: x - 2.5))
C("Tensor.__rsub__", T(rnd(3)), label="2.5 - x", fn=call(lambda x: 2.5 - x))
C("Tensor.__mul__", T(rnd(3)), label="x * 3", fn=call(lambda x: x * 3))
C("Tensor.__rmul__", T(rnd(3)), label="0.5 * x", fn=call(lambda x: 0.5 * x))
C("Tensor.__truediv__", T(rnd(3)), label="x / 4", fn=call(lambda x: x / 4))
C("Tensor.__rtruediv__", T(pos(3)), label="4.0 / x", fn=call(lambda x: 4.0 / x))
C("Tensor.__floordiv__", T(rnd(3, lo=-5, hi=5)), label="x // 2", fn=call(lambda x: x // 2))
C("Tensor.__rfloordiv__", T(pos(3)), label="7.0 // x", fn=call(lambda x: 7.0 // x))
C("Tensor.__mod__", T(rnd(4, lo=-5, hi=5)), label="x % 1.5", fn=call(lambda x: x % 1.5))
C("Tensor.__rmod__", T(pos(4)), label="5.0 % x", fn=call(lambda x: 5.0 % x))
C("Tensor.__pow__", T(rnd(4)), label="x ** 2", fn=call(lambda x: x**2))
C("Tensor.__pow__", T(rnd(4)), label="x ** 3", fn=call(lambda x: x**3))
C("Tensor.__pow__", T(pos(4)), label="x ** 0.5", fn=call(lambda x: x**0.5))
C("Tensor.__pow__", T(with_zero(rnd(4))), label="x ** 2.0 at 0", fn=call(lambda x: x**2.0))
C("Tensor.__rpow__", T(rnd(4)), label="2.0 ** x", fn=call(lambda x: 2.0**x))
C("Tensor.__lt__", T(rnd(4)), T(rnd(4)), fn=call(lambda x, y: x < y))
C("Tensor.__ge__", T(np.array([1.0, 2.0, 3.0])), label="x >= 2.0", fn=call(lambda x: x >= 2.0))
C("Tensor.__eq__", T(np.array([1.0, 2.0, 3.0])), T(np.array([1.0, 0.0, 3.0])), fn=call(lambda x, y: x == y))
C("Tensor.__ne__", T(np.array([1.0, 2.0, 3.0])), T(np.array([1.0, 0.0, 3.0])), fn=call(lambda x, y: x != y))
# Integer tensors: floor division and modulo as Python has them; `/` of int32 gives float64.
INT_A, INT_B = np.array([7, -7, 7, -7, 0, 5]), np.array([2, 2, -2, -2, 3, 5])
C("Tensor.__floordiv__", T(INT_A), T(INT_B), label="int", fn=call(lambda x, y: x // y), dtypes=I)
C("Tensor.__mod__", T(INT_A), T(INT_B), label="int", fn=call(lambda x, y: x % y), dtypes=I)
C("Tensor.__truediv__", T(INT_A), T(INT_B), label="int", fn=call(lambda x, y: x / y), dtypes=I)
C("Tensor.__truediv__", T(INT_A), label="int / 2", fn=call(lambda x: x / 2), dtypes=I)
C("Tensor.__mul__", T(INT_A), label="int * 2", fn=call(lambda x: x * 2), dtypes=I)
C("Tensor.__pow__", T(np.array([2, 3, -2])), label="int ** 2", fn=call(lambda x: x**2), dtypes=I)
C("Tensor.__rsub__", T(INT_A), label="int: 10 - x", fn=call(lambda x: 10 - x), dtypes=I)

# --------------------------------------------------------------------------- issue 2: __getitem__

X345 = rnd(3, 4, 5)
for label, f in [
    ("1", lambda x: x[1]),
    ("-1", lambda x: x[-1]),
    ("1:3", lambda x: x[1:3]),
    ("::2", lambda x: x[::2]),
    ("::-1", lambda x: x[::-1]),
    ("..., 1", lambda x: x[..., 1]),
    (":, None, 1:", lambda x: x[:, None, 1:]),
    ("None", lambda x: x[None]),
    ("1, ..., ::-2", lambda x: x[1, ..., ::-2]),
    ("0, :, 1:4:2", lambda x: x[0, :, 1:4:2]),
    ("-2:, 1, -3::-1", lambda x: x[-2:, 1, -3::-1]),
    ("1:1 (empty)", lambda x: x[1:1]),
]:
    C("Tensor.__getitem__", T(X345), label=label, fn=call(f))
C("Tensor.__getitem__", T(X345), ix(1), label="scalar int tensor", fn=call(lambda x, i: x[i]))
C("Tensor.__getitem__", T(X345), label="out of range", fn=call(lambda x: x[3]), raises=True, dtypes=F32)

# --------------------------------------------------------------------------- issue 2: core functions

C("abs", T(with_zero(rnd(3, 4))), note="gradient 0 at 0")
C("sign", T(with_zero(rnd(3, 4))), note="Sign's gradient is zeros, not None")
C("exp", T(rnd(3, 4)))
C("math.log", T(pos(3, 4)), note="x > 0")
C("math.log1p", T(rnd(3, 4, lo=-0.9, hi=3)), note="x > -1")
C("sqrt", T(pos(3, 4)), note="x > 0")
C("square", T(rnd(3, 4)))
C("sin", T(rnd(3, 4)))
C("cos", T(rnd(3, 4)))
C("tanh", T(rnd(3, 4)))
C("sigmoid", T(rnd(3, 4, lo=-8, hi=8)))
TIE_X, TIE_Y = np.array([1.0, 2.0, 3.0, -1.0, 0.5]), np.array([1.0, 5.0, 3.0, -2.0, 0.7])
C("maximum", T(TIE_X), T(TIE_Y), label="ties", note="ties at 0 and 2: TensorFlow gives the gradient to x")
C("minimum", T(TIE_X), T(TIE_Y), label="ties", note="ties at 0 and 2: TensorFlow gives the gradient to x")
C("maximum", T(rnd(3, 1)), T(rnd(4)), label="broadcast")
C("minimum", T(rnd(3, 1)), T(rnd(4)), label="broadcast")
C("maximum", T(rnd(3)), 0.0, label="scalar")
C("where", bl([[True, False, True], [False, False, True]]), T(rnd(2, 3)), T(rnd(2, 3)))
C("where", bl([[True], [False]]), T(rnd(2, 3)), T(rnd(3)), label="broadcast")
C("where", bl([[True, False, True], [False, False, True]]), label="1-arg", note="int64 coordinates")

TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [5.0, 1.0, 5.0, 5.0]])
X3x4 = rnd(3, 4)
for name in ("reduce_sum", "reduce_mean", "reduce_prod", "reduce_max", "reduce_min"):
    C(name, T(X3x4), label="all")
    C(name, T(X3x4), axis=0, label="axis=0")
    C(name, T(X3x4), axis=-1, keepdims=True, label="axis=-1 keepdims")
    C(name, T(rnd(2, 3, 4)), axis=[0, 2], label="axis=[0, 2]")
    C(name, T(rnd(2, 3, 4)), axis=(1,), keepdims=True, label="axis=(1,) keepdims")
C("reduce_max", T(TIES), axis=1, label="ties", note="the gradient is split equally between tied maxima")
C("reduce_max", T(TIES), label="ties all")
C("reduce_min", T(-TIES), axis=1, label="ties")
C("reduce_max", T(np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 0.0]])), axis=1, label="nan", dtypes=F32)
C("reduce_prod", T(np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [2.0, -1.0, 0.5]])), axis=1, label="zeros",
  note="one and two zeros in a row")
C("reduce_sum", T(X3x4), axis=2, label="axis out of range", raises=True, dtypes=F32)

C("matmul", T(rnd(2, 3)), T(rnd(3, 4)))
C("matmul", T(rnd(3, 2)), T(rnd(3, 4)), transpose_a=True, label="transpose_a")
C("matmul", T(rnd(2, 3)), T(rnd(4, 3)), transpose_b=True, label="transpose_b")
C("matmul", T(rnd(3, 2)), T(rnd(4, 3)), transpose_a=True, transpose_b=True, label="transpose_a and b")
C("matmul", T(rnd(2, 1, 3, 4)), T(rnd(5, 4, 2)), label="batch broadcast")
C("matmul", T(rnd(2, 4, 3)), T(rnd(2, 4, 2)), adjoint_a=True, label="adjoint_a batched")
C("matmul", T(cplx(2, 3)), T(cplx(2, 3)), adjoint_b=True, label="adjoint_b complex", dtypes=CX)
C("matmul", T(rnd(2, 3)), T(rnd(2, 3)), label="inner mismatch", raises=True, dtypes=F32)

C("reshape", T(rnd(2, 6)), [3, -1])
C("reshape", T(rnd(2, 6)), ix([4, 3]), label="int tensor shape")
C("reshape", T(rnd(2, 6)), [5, -1], label="bad size", raises=True, dtypes=F32)
C("transpose", T(rnd(2, 3, 4)), label="default")
C("transpose", T(rnd(2, 3, 4)), perm=[2, 0, 1], label="perm")
C("transpose", T(rnd(2, 3, 4)), perm=[0, 0, 1], label="bad perm", raises=True, dtypes=F32)
C("expand_dims", T(rnd(2, 3)), -1)
C("expand_dims", T(rnd(2, 3)), 0, label="axis=0")
C("squeeze", T(rnd(1, 3, 1)), label="all")
C("squeeze", T(rnd(1, 3, 1)), axis=[0], label="axis=[0]")
C("squeeze", T(rnd(1, 3, 1)), axis=1, label="non-1 axis", raises=True, dtypes=F32)
C("concat", [T(rnd(2, 3)), T(rnd(1, 3))], 0)
C("concat", [T(rnd(2, 3)), T(rnd(2, 1)), T(rnd(2, 2))], -1, label="axis=-1")
C("concat", [T(rnd(2, 3)), T(rnd(2, 4))], 0, label="mismatch", raises=True, dtypes=F32)
C("stack", [T(rnd(2, 3)), T(rnd(2, 3))])
C("stack", [T(rnd(2, 3)), T(rnd(2, 3)), T(rnd(2, 3))], axis=-1, label="axis=-1")
C("fill", [2, 3], T(np.array(1.5)))
C("fill", ix([2, 3]), T(np.array(-0.5)), label="int tensor dims")
C("zeros", [2, 3], dtype=Dt())
C("ones", [2, 3], dtype=Dt())
C("zeros", [2, 3], label="default dtype", dtypes=F32)
C("ones", (3,), label="default dtype", dtypes=F32)
C("zeros", [2], dtype=Dt("int32"), label="int32", dtypes=F32)
C("zeros_like", T(rnd(2, 3)), note="ZerosLike has no gradient")
C("ones_like", T(rnd(2, 3)))
C("ones_like", T(rnd(2, 3)), dtype=Dt("int32"), label="dtype=int32")
C("range", 5, dtypes=F32)
C("range", 2, 11, 3, label="2, 11, 3", dtypes=F32)
C("range", 10, 0, -3, label="10, 0, -3", dtypes=F32)
C("range", 0.0, 1.0, 0.25, label="floats", dtypes=F32)
C("range", 24.0, label="float limit", dtypes=F32, note="a Python float makes float32")
C("range", 2.0, 5, label="float start, int limit", dtypes=F32)
C("range", 5, dtype=Dt(), label="dtype")
C("range", T(np.array(1.0)), T(np.array(2.0)), T(np.array(0.25)), label="tensors")
C("cast", T(np.array([-1.7, -0.5, 0.5, 1.7, 2.5, 3.99])), Dt("int32"), note="truncates toward zero")
C("cast", T(rnd(3)), Dt("float64"), label="to float64")
C("cast", T(rnd(3)), Dt("float32"), label="to float32")
C("cast", T(np.array([0.0, -0.0, 2.5, np.nan])), Dt("bool"), label="to bool")
C("cast", bl([True, False]), Dt(), label="from bool")
C("identity", T(rnd(2, 3)))
C("convert_to_tensor", T(rnd(2, 3)))
C("convert_to_tensor", [[1.0, 2.0], [3.0, 4.0]], dtype=Dt(), label="list")
C("constant", [[1, 2], [3, 4]], dtype=Dt(), label="list")
C("constant", 1.5, shape=[2, 3], label="shape", dtypes=F32)

# --------------------------------------------------------------------------- issue 3: tf.math elementwise

for path, gen, note in [
    ("math.abs", lambda: with_zero(rnd(3, 4)), ""),
    ("math.sign", lambda: with_zero(rnd(3, 4)), ""),
    ("math.negative", lambda: rnd(3, 4), ""),
    ("math.reciprocal", lambda: pos(3, 4) * np.sign(rnd(3, 4)), "away from 0"),
    ("math.exp", lambda: rnd(3, 4), ""),
    ("math.expm1", lambda: rnd(3, 4), ""),
    ("math.log_sigmoid", lambda: rnd(3, 4, lo=-30, hi=30), "large |x|: stable"),
    ("math.sqrt", lambda: pos(3, 4), "x > 0"),
    ("math.rsqrt", lambda: pos(3, 4), "x > 0"),
    ("math.square", lambda: rnd(3, 4), ""),
    ("math.sin", lambda: rnd(3, 4), ""),
    ("math.cos", lambda: rnd(3, 4), ""),
    ("math.tan", lambda: rnd(3, 4, lo=-1.2, hi=1.2), "|x| < pi/2"),
    ("math.asin", lambda: unit(3, 4), "|x| < 1"),
    ("math.acos", lambda: unit(3, 4), "|x| < 1"),
    ("math.atan", lambda: rnd(3, 4), ""),
    ("math.sinh", lambda: rnd(3, 4), ""),
    ("math.cosh", lambda: rnd(3, 4), ""),
    ("math.tanh", lambda: rnd(3, 4), ""),
    ("math.asinh", lambda: rnd(3, 4), ""),
    ("math.acosh", lambda: pos(3, 4, lo=1.1, hi=4.0), "x > 1"),
    ("math.atanh", lambda: unit(3, 4), "|x| < 1"),
    ("math.sigmoid", lambda: rnd(3, 4, lo=-8, hi=8), ""),
    ("math.softplus", lambda: rnd(3, 4, lo=-30, hi=30), "large |x|: stable"),
    ("math.erf", lambda: rnd(3, 4), ""),
    ("math.erfc", lambda: rnd(3, 4), ""),
    ("math.lgamma", lambda: pos(3, 4, lo=0.2, hi=5.0), "x > 0 (poles at non-positive integers)"),
    ("math.digamma", lambda: pos(3, 4, lo=0.2, hi=5.0), "x > 0"),
    ("math.floor", lambda: rnd(3, 4, lo=-4, hi=4), "Floor's gradient is None"),
    ("math.ceil", lambda: rnd(3, 4, lo=-4, hi=4), ""),
    ("math.log", lambda: pos(3, 4), "x > 0"),
    ("math.log1p", lambda: rnd(3, 4, lo=-0.9, hi=3), "x > -1"),
]:
    C(path, T(gen()), note=note)
C("math.round", T(np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6])), note="half to even")
C("math.exp", T(np.array([np.inf, -np.inf, np.nan, 100.0])), label="inf nan", dtypes=F32)
C("math.log", T(np.array([0.0, -1.0, np.inf, 1.0])), label="0 -1 inf", dtypes=F32)
C("math.sqrt", T(np.array([0.0, -1.0, np.inf, 4.0])), label="0 -1 inf", dtypes=F32, grad=False)
INFNAN = np.array([np.inf, -np.inf, np.nan, 0.0, -1.0, 2.0])
for path in ("math.sigmoid", "math.tanh", "math.softplus", "math.log1p", "nn.relu", "math.abs", "math.sign",
             "math.square", "math.reciprocal", "math.atan", "math.erf"):
    C(path, T(INFNAN), label="inf nan", dtypes=F32, note="TensorFlow's results at +-inf and NaN")
C("maximum", T(np.array([np.nan, 1.0, np.nan, -np.inf])), T(np.array([1.0, np.nan, np.nan, 0.0])), label="nan",
  dtypes=F32)
C("minimum", T(np.array([np.nan, 1.0, np.nan, np.inf])), T(np.array([1.0, np.nan, np.nan, 0.0])), label="nan",
  dtypes=F32)
C("Tensor.__truediv__", T(np.array([1.0, -1.0, 0.0])), T(np.zeros(3)), label="by zero", dtypes=F32,
  fn=call(lambda x, y: x / y))
C("reduce_min", T(np.array([[1.0, np.nan], [np.inf, 2.0]])), axis=1, label="nan inf", dtypes=F32)
C("nn.softmax", T(np.array([[np.inf, 0.0], [-np.inf, 0.0]])), label="inf", dtypes=F32, grad=False)
C("clip_by_value", T(np.array([np.nan, np.inf, -np.inf])), -1.0, 1.0, label="nan inf", dtypes=F32)
for path in ("math.exp", "math.log", "math.sqrt", "math.square", "math.abs", "math.sin", "math.cos", "math.tanh",
             "math.reciprocal", "math.sigmoid", "math.negative"):
    C(path, T(cplx(2, 3)), label="complex", dtypes=CX)
C("Tensor.__mul__", T(cplx(2, 3)), T(cplx(2, 3)), label="complex", fn=call(lambda x, y: x * y), dtypes=CX)
C("Tensor.__truediv__", T(cplx(2, 3)), T(cplx(2, 3)), label="complex", fn=call(lambda x, y: x / y), dtypes=CX)
C("reduce_sum", T(cplx(2, 3)), axis=1, label="complex", dtypes=CX)
C("reduce_mean", T(cplx(2, 3)), label="complex", dtypes=CX)
C("matmul", T(cplx(2, 3)), T(cplx(3, 2)), label="complex", dtypes=CX)

C("math.pow", T(pos(3, 4)), T(rnd(3, 4)), note="x > 0")
C("math.pow", T(np.array([0.0, 1.5, 2.0, 0.0])), T(np.array([2.0, 3.0, 0.5, 3.0])), label="x = 0",
  note="d/dy at x = 0 is 0 (log x masked)")
C("math.pow", T(rnd(4)), 2.0, label="scalar exponent")
C("math.atan2", T(rnd(3, 4)), T(rnd(3, 4)))
C("math.xlogy", T(np.array([0.0, 0.0, 1.0, 2.0, 0.5])), T(np.array([0.0, 1.0, 2.0, 3.0, 0.5])),
  note="xlogy(0, 0) = 0 with zero gradients")
C("math.xlog1py", T(np.array([0.0, 0.0, 1.0, 2.0, 0.5])), T(np.array([-1.0, 1.0, 2.0, 3.0, -0.5])),
  note="xlog1py(0, -1) = 0")
C("math.squared_difference", T(rnd(3, 1)), T(rnd(4)))
C("math.divide_no_nan", T(rnd(5)), T(np.array([0.0, 1.5, -2.0, 0.0, 0.5])), note="y = 0 gives 0 and no gradient")
C("math.floordiv", T(rnd(6, lo=-5, hi=5)), T(np.array([2.0, -2.0, 1.5, -1.5, 0.7, 3.0])))
C("math.mod", T(rnd(6, lo=-5, hi=5)), T(np.array([2.0, -2.0, 1.5, -1.5, 0.7, 3.0])))
C("math.truediv", T(rnd(3, 4)), T(pos(3, 4)))
C("math.maximum", T(TIE_X), T(TIE_Y), label="ties")
C("math.minimum", T(TIE_X), T(TIE_Y), label="ties")
C("clip_by_value", T(np.array([-1.0, -0.5, 0.0, 0.3, 0.5, 2.0])), -0.5, 0.5, note="x exactly at both bounds")
C("clip_by_value", T(rnd(2, 3)), T(np.array(-0.5)), T(np.array([0.1, 0.5, 1.0])), label="tensor bounds")
NANS = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -2.0])
C("math.is_nan", T(NANS))
C("math.is_finite", T(NANS))
C("math.is_inf", T(NANS))
BA, BB = [True, True, False, False], [True, False, True, False]
C("math.logical_and", bl(BA), bl(BB), dtypes=F32)
C("math.logical_or", bl(BA), bl(BB), dtypes=F32)
C("math.logical_xor", bl(BA), bl(BB), dtypes=F32)
C("math.logical_not", bl(BA), dtypes=F32)
CMP_X, CMP_Y = np.array([1.0, 2.0, 3.0, -1.0]), np.array([[1.0, 0.0, 4.0, -1.0], [0.0, 2.0, 3.0, 5.0]])
for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
    C(f"math.{name}", T(CMP_X), T(CMP_Y))
C("math.equal", T(INT_A), T(INT_B), label="int", dtypes=I)

# --------------------------------------------------------------------------- issue 3: reductions, scans, sorting

for name in ("reduce_logsumexp", "reduce_std", "reduce_variance", "reduce_euclidean_norm"):
    C(f"math.{name}", T(X3x4), label="all")
    C(f"math.{name}", T(X3x4), axis=1, label="axis=1")
    C(f"math.{name}", T(rnd(2, 3, 4)), axis=[0, 2], keepdims=True, label="axis=[0, 2] keepdims")
C("math.reduce_logsumexp", T(np.array([[1000.0, 1000.0, 0.0], [-1000.0, -999.0, -1001.0]])), axis=1,
  label="large", note="stable for large magnitudes")
C("math.reduce_logsumexp", T(np.array([[-np.inf, -np.inf], [0.0, -np.inf]])), axis=1, label="-inf", dtypes=F32,
  grad=False)
ANY = [[True, False, False], [False, False, False]]
C("math.reduce_any", bl(ANY), dtypes=F32)
C("math.reduce_any", bl(ANY), axis=1, label="axis=1", dtypes=F32)
C("math.reduce_all", bl(ANY), axis=0, keepdims=True, label="axis=0 keepdims", dtypes=F32)
C("math.reduce_all", bl([[True, True]]), label="all", dtypes=F32)

for name, gen in (("cumsum", lambda: rnd(3, 4)), ("cumprod", lambda: pos(3, 4) * np.sign(rnd(3, 4)))):
    note = "nonzero inputs (TensorFlow's cumprod gradient divides by x)" if name == "cumprod" else ""
    for kw in ({}, {"exclusive": True}, {"reverse": True}, {"exclusive": True, "reverse": True}):
        label = " ".join(kw) or "plain"
        C(f"math.{name}", T(gen()), axis=1, label=label, note=note, **kw)
    C(f"math.{name}", T(gen()), label="default axis", note=note)

ARG = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [-1.0, -5.0, -5.0, 0.0]])
C("math.argmax", T(ARG), axis=1, note="ties: the first index")
C("math.argmax", T(ARG), label="default axis 0")
C("math.argmax", T(ARG), axis=1, output_type=Dt("int32"), label="int32")
C("math.argmin", T(ARG), axis=1)
C("math.argmin", T(ARG), axis=0, output_type=Dt("int32"), label="int32")
C("math.argmax", T(np.array([1.0, np.nan, 3.0, 0.0])), label="nan", dtypes=F32,
  note="TensorFlow ignores NaN (returns 2 here); NumPy's argmax returns the NaN's index")
C("math.top_k", T(rnd(3, 5)), k=2)
C("math.top_k", T(rnd(6)), 3, sorted=True, label="1-D")
C("math.top_k", T(np.array([[1.0, 3.0, 3.0, 0.0, 3.0]])), 2, label="ties", note="ties: the lower index first")
C("sort", T(rnd(3, 5)))
C("sort", T(rnd(3, 5)), axis=0, direction="DESCENDING", label="descending axis 0")
C("argsort", T(rnd(3, 5)))
C("argsort", T(np.array([3.0, 1.0, 3.0, 1.0, 2.0])), stable=True, label="ties stable")
C("argsort", T(np.array([3.0, 1.0, 3.0, 1.0, 2.0])), direction="DESCENDING", stable=True, label="descending ties")
C("math.segment_sum", T(rnd(5, 3)), ix([0, 0, 1, 3, 3]), note="segment 2 is empty: zeros")
C("math.unsorted_segment_sum", T(rnd(5, 3)), ix([2, 0, -1, 2, 1]), num_segments=3,
  note="negative ids are dropped")
C("math.unsorted_segment_sum", T(rnd(4)), ix([1, 1, 0, 3]), 5, label="1-D")

# --------------------------------------------------------------------------- issue 3: arrays

C("broadcast_to", T(rnd(3, 1)), [2, 3, 4])
C("broadcast_to", T(rnd(3, 2)), [3, 3], label="incompatible", raises=True, dtypes=F32)
C("tile", T(rnd(2, 3)), [2, 1])
C("tile", T(rnd(2, 3)), [2, 3], label="2, 3")
for mode in ("CONSTANT", "REFLECT", "SYMMETRIC"):
    C("pad", T(rnd(3, 4)), [[1, 2], [0, 2]], mode=mode, label=mode)
C("pad", T(rnd(3, 4)), [[1, 0], [2, 1]], constant_values=1.5, label="constant_values")
C("reverse", T(rnd(3, 4)), [0])
C("reverse", T(rnd(2, 3, 4)), [0, -1], label="two axes")
C("roll", T(rnd(3, 4)), 1, 0)
C("roll", T(rnd(3, 4)), [1, -2], [0, 1], label="two axes")
C("roll", T(rnd(5)), 7, 0, label="shift > size")
C("unstack", T(rnd(3, 4)))
C("unstack", T(rnd(3, 4)), axis=1, label="axis=1")
C("split", T(rnd(6, 4)), 3)
C("split", T(rnd(6, 4)), [1, 3], axis=1, label="sizes axis=1")
C("split", T(rnd(6, 4)), [2, -1, 1], label="sizes with -1")
C("split", T(rnd(5, 4)), 2, label="uneven", raises=True, dtypes=F32)
C("slice", T(rnd(3, 4)), [1, 0], [2, -1])
C("slice", T(rnd(3, 4)), [1, 0], [3, 2], label="out of range", raises=True, dtypes=F32)
C("strided_slice", T(rnd(4, 5)), [0, 1], [3, 5], [2, 1])
C("strided_slice", T(rnd(4, 5)), [3, 0], [0, 5], [-1, 2], begin_mask=2, label="negative stride begin_mask")
C("strided_slice", T(rnd(4, 5)), [1, 0], [2, 5], shrink_axis_mask=1, end_mask=2, label="shrink_axis_mask")
C("strided_slice", T(rnd(2, 3, 4)), [0, 1], [1, 2], ellipsis_mask=1, new_axis_mask=0, label="ellipsis_mask")

P53 = rnd(5, 3)
C("gather", T(P53), ix([4, 0, 2, 2]), note="duplicate indices: the IndexedSlices gradient sums them")
C("gather", T(P53), ix([[1, 0], [4, 4]]), label="2-D indices")
C("gather", T(P53), ix([2, 0]), axis=1, label="axis=1")
C("gather", T(rnd(2, 5, 3)), ix([[0, 4], [1, 1]]), axis=1, batch_dims=1, label="batch_dims=1")
C("gather", T(P53), ix([0, 3]), label="plus a dense use", fn=lambda op, lib: lambda p, i: op(p, i) + p[1:3] * p[:2],
  note="IndexedSlices and a dense gradient sum to a dense Tensor")
C("gather", T(P53), ix([0, 3]), ix([3, 4, 3]), label="two gathers",
  fn=lambda op, lib: lambda p, i, j: (op(p, i), op(p, j)), note="two IndexedSlices gradients stay an IndexedSlices")
C("gather", T(P53), ix([1, 5]), label="out of range", raises=True, dtypes=F32)
C("gather", T(P53), ix([1, -1]), label="negative index", raises=True, dtypes=F32)
C("gather_nd", T(rnd(3, 4)), ix([[0, 1], [2, 3], [0, 1]]))
C("gather_nd", T(rnd(3, 4)), ix([[1], [0]]), label="slices")
C("gather_nd", T(rnd(2, 3, 4)), ix([[1], [0]]), batch_dims=1, label="batch_dims=1")
C("gather_nd", T(rnd(3, 4)), ix([[3, 0]]), label="out of range", raises=True, dtypes=F32)
C("scatter_nd", ix([[0], [2], [0]]), T(rnd(3, 4)), [4, 4], note="duplicate indices are summed")
C("scatter_nd", ix([[0, 1], [2, 2]]), T(rnd(2)), ix([3, 3]), label="elements, tensor shape")
C("tensor_scatter_nd_update", T(rnd(4, 3)), ix([[1], [3]]), T(rnd(2, 3)))
C("tensor_scatter_nd_update", T(rnd(4, 3)), ix([[1, 2], [0, 0]]), T(rnd(2)), label="elements")
C("tensor_scatter_nd_update", T(rnd(4, 3)), ix([[4]]), T(rnd(1, 3)), label="out of range", raises=True,
  dtypes=F32)
C("tensor_scatter_nd_add", T(rnd(4, 3)), ix([[1], [3], [1]]), T(rnd(3, 3)), note="duplicates accumulate")
C("boolean_mask", T(rnd(4, 3)), bl([True, False, True, True]))
C("boolean_mask", T(rnd(2, 3)), bl([[True, False, True], [False, False, True]]), label="2-D mask")
C("boolean_mask", T(rnd(2, 3)), bl([False, True, True]), axis=1, label="axis=1")
C("one_hot", ix([0, 2, -1, 1]), 3, note="index -1 gives a row of off_value")
C("one_hot", ix([[0, 2], [1, 5]]), 4, on_value=2.0, off_value=-1.0, axis=0, label="on/off axis=0", dtypes=F32)
C("one_hot", ix([0, 2, 1]), 3, dtype=Dt(), label="dtype")
C("one_hot", ix([0, 2, 1]), 3, on_value=T(np.array(2.0)), off_value=T(np.array(0.5)), label="tensor on/off")
C("repeat", T(rnd(2, 3)), 2, axis=1)
C("repeat", T(rnd(2, 3)), [1, 0, 2], axis=1, label="per-element")
C("repeat", T(rnd(2, 3)), 2, label="flattened")
C("meshgrid", T(rnd(3)), T(rnd(4)))
C("meshgrid", T(rnd(3)), T(rnd(4)), indexing="ij", label="ij")
C("linspace", 0.0, 1.0, 5, dtypes=F32)
C("linspace", T(np.array(-1.0)), T(np.array(2.0)), 7, label="tensors")
C("linspace", T(np.array([0.0, 1.0])), T(np.array([1.0, 3.0])), 4, axis=1, label="batched axis=1")
C("eye", 3, dtype=Dt())
C("eye", 2, 4, dtype=Dt(), label="2x4")
C("eye", 2, batch_shape=[3], dtype=Dt(), label="batch_shape")
C("eye", 3, label="default dtype", dtypes=F32)
C("linalg.diag", T(rnd(3)))
C("linalg.diag", T(rnd(2, 3)), label="batched")
C("einsum", "ij,jk->ik", T(rnd(2, 3)), T(rnd(3, 4)))
C("einsum", "bij,bjk->bik", T(rnd(2, 2, 3)), T(rnd(2, 3, 4)), label="batched")
C("einsum", "ij->ji", T(rnd(2, 3)), label="transpose")
C("einsum", "i,i->", T(rnd(4)), T(rnd(4)), label="dot")
C("einsum", "i,j->ij", T(rnd(3)), T(rnd(4)), label="outer")
C("einsum", "ij->", T(rnd(2, 3)), label="sum")
C("einsum", "ii->i", T(rnd(3, 3)), label="diagonal")
C("einsum", "...ij,...jk->...ik", T(rnd(2, 2, 3)), T(rnd(3, 4)), label="ellipsis")
C("tensordot", T(rnd(2, 3, 4)), T(rnd(3, 4, 5)), 2)
C("tensordot", T(rnd(2, 3)), T(rnd(3, 4)), [[1], [0]], label="axes lists")
C("tensordot", T(rnd(2, 3)), T(rnd(4)), 0, label="outer")
C("clip_by_norm", T(rnd(3, 4)), 1.0, note="norm > clip_norm")
C("clip_by_norm", T(rnd(3, 4) * 0.01), 1.0, label="below", note="norm < clip_norm: unchanged")
C("clip_by_norm", T(rnd(3, 4)), 0.5, axes=[1], label="axes=[1]")
C("clip_by_global_norm", [T(rnd(3)), T(rnd(2, 2))], 1.0)
C("clip_by_global_norm", [T(rnd(3) * 0.01), T(rnd(2, 2) * 0.01)], 1.0, label="below")
C("norm", T(rnd(3, 4)))
C("norm", T(rnd(3, 4)), ord=1, axis=1, label="ord=1 axis=1")
C("norm", T(rnd(3, 4)), ord=np.inf, axis=-1, label="ord=inf")
C("norm", T(rnd(3, 4)), ord="fro", axis=[-2, -1], label="fro")
C("norm", T(rnd(2, 3, 4)), axis=-1, keepdims=True, label="keepdims")
C("norm", T(rnd(3, 4)), ord=3, axis=0, label="ord=3")
C("shape", T(rnd(2, 3)))
C("shape", T(rnd(2, 3)), out_type=Dt("int64"), label="int64")
C("size", T(rnd(2, 3)))
C("rank", T(rnd(2, 3)))

# --------------------------------------------------------------------------- issue 3: tf.linalg

C("linalg.matmul", T(rnd(2, 3)), T(rnd(3, 4)))
C("linalg.matmul", T(rnd(2, 4, 3)), T(rnd(2, 2, 4)), transpose_a=True, transpose_b=True, label="batched flags")
C("linalg.matvec", T(rnd(2, 3, 4)), T(rnd(2, 4)))
C("linalg.matvec", T(rnd(4, 3)), T(rnd(4)), transpose_a=True, label="transpose_a")
C("linalg.matrix_transpose", T(rnd(2, 3, 4)))
C("linalg.inv", T(wellcond(3)))
C("linalg.inv", T(wellcond(3, (2,))), adjoint=True, label="batched adjoint")
C("linalg.inv", T(np.array([[1.0, 2.0], [2.0, 4.0]])), label="singular", raises=True, dtypes=F32)
C("linalg.det", T(wellcond(3)))
C("linalg.det", T(wellcond(3, (2,))), label="batched")
C("linalg.slogdet", T(wellcond(3) - 3.0 * np.eye(3)), note="sign may be negative")
C("linalg.slogdet", T(wellcond(3, (2,))), label="batched")
C("linalg.solve", T(wellcond(3)), T(rnd(3, 2)))
C("linalg.solve", T(wellcond(3, (2,))), T(rnd(2, 3, 1)), adjoint=True, label="batched adjoint")
C("linalg.cholesky", T(spd(3)), note="symmetric positive definite input")
C("linalg.cholesky", T(spd(3, (2,))), label="batched")
C("linalg.triangular_solve", T(wellcond(3) + 2 * np.eye(3)), T(rnd(3, 2)),
  note="the upper triangle is ignored (lower=True)")
C("linalg.triangular_solve", T(wellcond(3) + 2 * np.eye(3)), T(rnd(3, 2)), lower=False, label="upper")
C("linalg.triangular_solve", T(wellcond(3) + 2 * np.eye(3)), T(rnd(3, 2)), adjoint=True, label="adjoint")
C("linalg.qr", T(rnd(4, 3)), note="tall; the same Householder signs as LAPACK")
C("linalg.qr", T(rnd(3, 3)), label="square")
C("linalg.qr", T(rnd(2, 4, 3)), label="batched")


def _eigh(op, lib):
    def f(a):
        e, v = op(a)
        return e, v * v  # eigenvectors are defined up to sign

    return f


def _svd(op, lib):
    def f(a):
        s, u, v = op(a)
        return s, u * u, v * v  # singular vectors are defined up to sign

    return f


SYM = rnd(4, 4)
SYM = SYM + SYM.T
C("linalg.eigh", T(SYM), fn=_eigh, note="compares e and v*v (sign-invariant)")
C("linalg.svd", T(rnd(4, 3)), fn=_svd, note="compares s, u*u and v*v (sign-invariant)")
C("linalg.svd", T(rnd(3, 3)), fn=_svd, label="square")
C("linalg.svd", T(rnd(4, 3)), compute_uv=False, label="values only")
C("linalg.trace", T(rnd(3, 3)))
C("linalg.trace", T(rnd(2, 3, 3)), label="batched")
C("linalg.diag_part", T(rnd(3, 4)))
C("linalg.diag_part", T(rnd(2, 3, 3)), label="batched")
C("linalg.band_part", T(rnd(4, 4)), 1, 0)
C("linalg.band_part", T(rnd(4, 4)), -1, 0, label="lower")
C("linalg.band_part", T(rnd(4, 5)), 0, -1, label="upper")
C("linalg.norm", T(rnd(3, 4)))
C("linalg.norm", T(rnd(3, 4)), ord="fro", axis=[0, 1], label="fro")
C("linalg.norm", T(rnd(3, 4)), ord=1, axis=[0, 1], label="matrix 1-norm")
C("linalg.lstsq", T(rnd(5, 3)), T(rnd(5, 2)))
C("linalg.lstsq", T(rnd(5, 3)), T(rnd(5, 2)), l2_regularizer=0.1, label="l2_regularizer")
C("linalg.lstsq", T(rnd(5, 3)), T(rnd(5, 2)), fast=False, label="fast=False", grad=False)
C("linalg.eye", 3, dtype=Dt())
C("linalg.einsum", "ij,jk->ik", T(rnd(2, 3)), T(rnd(3, 4)))
C("linalg.tensordot", T(rnd(2, 3)), T(rnd(3, 4)), 1)
C("linalg.l2_normalize", T(rnd(3, 4)), axis=1)

# --------------------------------------------------------------------------- issue 3: tf.nn

ACT = np.array([[-3.0, -1.0, 0.0, 0.5, 2.0, 6.0], [7.0, -0.2, 0.0, 3.0, -6.0, 1.0]])
C("nn.relu", T(ACT), note="relu'(0) = 0")
C("nn.relu6", T(ACT), note="at 0 and at 6 the gradient is 0")
C("nn.leaky_relu", T(ACT))
C("nn.leaky_relu", T(ACT), alpha=0.1, label="alpha=0.1")
C("nn.elu", T(ACT))
C("nn.selu", T(ACT))
C("nn.gelu", T(ACT), tol={"float64": (1e-6, 1e-9)}, note="TensorFlow's float64 gelu is accurate to ~2e-7 only")
C("nn.gelu", T(ACT), approximate=True, label="tanh")
C("nn.silu", T(ACT))
C("nn.silu", T(ACT), beta=1.5, label="beta")
C("nn.swish", T(ACT))
C("nn.softplus", T(rnd(3, 4, lo=-30, hi=30)))
C("nn.softsign", T(ACT))
C("nn.sigmoid", T(ACT))
C("nn.tanh", T(ACT))
C("nn.softmax", T(rnd(3, 4)))
C("nn.softmax", T(rnd(3, 4)), axis=0, label="axis=0")
C("nn.softmax", T(np.array([[1000.0, 0.0, -1000.0]])), label="large", note="stable for large logits")
C("nn.log_softmax", T(rnd(3, 4)))
C("nn.log_softmax", T(rnd(3, 4)), axis=0, label="axis=0")
C("nn.log_softmax", T(np.array([[1000.0, 0.0, -1000.0]])), label="large")
C("nn.sigmoid_cross_entropy_with_logits", labels=T(_rng.uniform(0, 1, (3, 4))), logits=T(rnd(3, 4, lo=-30, hi=30)))
_probs = np.exp(rnd(4, 3))
C("nn.softmax_cross_entropy_with_logits", labels=T(_probs / _probs.sum(1, keepdims=True)), logits=T(rnd(4, 3)),
  note="TensorFlow 2 differentiates the labels too")
C("nn.softmax_cross_entropy_with_logits", labels=T(_probs.T / _probs.T.sum(0)), logits=T(rnd(3, 4)), axis=0,
  label="axis=0")
C("nn.sparse_softmax_cross_entropy_with_logits", labels=ix([0, 2, 1, 2]), logits=T(rnd(4, 3)))
C("nn.sparse_softmax_cross_entropy_with_logits", labels=ix([0, 3], "int64"), logits=T(rnd(2, 4)),
  label="int64 labels")
C("nn.l2_loss", T(rnd(3, 4)))
C("nn.l2_normalize", T(rnd(3, 4)), axis=1)
C("nn.l2_normalize", T(rnd(3, 4)), label="all axes")
C("nn.l2_normalize", T(np.zeros((2, 3))), axis=1, label="zeros", note="epsilon keeps 0 finite")
C("nn.moments", T(rnd(4, 3)), axes=[0])
C("nn.moments", T(rnd(2, 3, 4)), axes=[0, 1], keepdims=True, label="keepdims")
C("nn.batch_normalization", T(rnd(4, 3)), T(rnd(3)), T(pos(3)), T(rnd(3)), T(pos(3)), 1e-3)
C("nn.batch_normalization", T(rnd(4, 3)), T(rnd(3)), T(pos(3)), None, None, 1e-3, label="no offset/scale")
C("nn.bias_add", T(rnd(2, 3, 4)), T(rnd(4)))
C("nn.top_k", T(rnd(2, 5)), 3)

IMG, K33 = rnd(2, 5, 5, 3), rnd(3, 3, 3, 4)
C("nn.conv2d", T(IMG), T(K33), 1, "SAME", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(IMG), T(K33), 2, "VALID", label="stride 2 VALID", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(IMG), T(K33), [1, 2, 1, 1], "SAME", label="strides [1,2,1,1] SAME", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(IMG), T(K33), [1, 2, 2, 1], "SAME", label="stride 2 SAME", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(rnd(1, 7, 7, 2)), T(rnd(3, 3, 2, 3)), 1, "SAME", dilations=2, label="dilations 2", grad=False,
  note="TensorFlow's CPU kernels have no gradient for dilations > 1", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(rnd(1, 7, 6, 2)), T(rnd(2, 3, 2, 3)), 1, "VALID", dilations=[1, 2, 1, 1],
  label="dilations VALID", grad=False, tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d", T(IMG), T(rnd(3, 3, 2, 4)), 1, "SAME", label="channel mismatch", raises=True, dtypes=F32)
C("nn.conv1d", T(rnd(2, 7, 3)), T(rnd(3, 3, 2)), 1, "SAME", tol={"float32": (1e-3, 1e-4)})
C("nn.conv1d", T(rnd(2, 7, 3)), T(rnd(3, 3, 2)), 2, "VALID", label="stride 2 VALID", tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d_transpose", T(rnd(2, 3, 3, 4)), T(rnd(3, 3, 2, 4)), [2, 6, 6, 2], 2, tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d_transpose", T(rnd(2, 3, 3, 4)), T(rnd(3, 3, 2, 4)), [2, 7, 7, 2], 2, "VALID", label="VALID",
  tol={"float32": (1e-3, 1e-4)})
C("nn.conv2d_transpose", T(rnd(1, 4, 4, 2)), T(rnd(2, 2, 3, 2)), [1, 4, 4, 3], 1, label="stride 1",
  tol={"float32": (1e-3, 1e-4)})
for pool in ("nn.max_pool2d", "nn.avg_pool2d"):
    note = "SAME averages over the valid window only" if pool == "nn.avg_pool2d" else ""
    C(pool, T(IMG), 2, 2, "VALID", note=note)
    C(pool, T(IMG), 2, 2, "SAME", label="SAME", note=note)
    C(pool, T(IMG), 3, 1, "SAME", label="3x3 stride 1 SAME", note=note)
    C(pool, T(IMG), [2, 3], [1, 2], "VALID", label="2x3 strides 1,2", note=note)

# --------------------------------------------------------------------------- issue 3: misc

C("debugging.check_numerics", T(rnd(3)), "message")
C("debugging.check_numerics", T(np.array([1.0, np.nan])), "message", label="nan", raises=True, dtypes=F32)


# --------------------------------------------------------------------------- aliases

def _aliases():
    """Forward checks of every other namespace where TensorFlow exposes the same function object."""
    out = []
    done = set()
    seen = {case.path for case in CASES}
    for case in CASES:
        if case.path in done or case.path.startswith("Tensor.") or case.raises:
            continue
        done.add(case.path)
        name = case.path.rsplit(".", 1)[-1]
        obj = _resolve(tf_real, case.path)
        for other in ("", "math", "linalg", "nn"):
            alias = f"{other}.{name}" if other else name
            if alias == case.path or alias in seen:
                continue
            mod = tf_real if not other else getattr(tf_real, other)
            if getattr(mod, name, None) is obj:
                seen.add(alias)
                out.append(dataclasses.replace(case, path=alias, id=f"{alias}[alias of {case.path}]",
                                               grad=False, dtypes=case.dtypes[:1]))
    return out


def _resolve(lib, path):
    obj = lib
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


ALIASES = _aliases()


# --------------------------------------------------------------------------- known differences
# {test name: reason}: each becomes a strict xfail (conftest.py), so it is visible while it lasts and turns the
# run red when fixed (then delete the entry). README.md in this directory lists them with TensorFlow's results.

KNOWN_DIFFERENCES: dict[str, str] = {}


def known(case_id, reason, dtypes=None, test="test_op"):
    """Records a difference for every dtype of a table case (or the given dtypes)."""
    cases = [c for c in CASES + ALIASES if c.id == case_id]
    assert cases, f"KNOWN_DIFFERENCES names no case {case_id!r}"
    if dtypes is None:
        dtypes = cases[0].dtypes[-1:] if test == "test_op_jvp" else cases[0].dtypes
    for dtype in dtypes:
        KNOWN_DIFFERENCES[f"{test}[{case_id}-{dtype}]"] = reason


for _id in ("sign", "math.sign", "math.sign[inf nan]"):
    known(_id, "ForwardAccumulator.jvp(tf.sign(x)): TensorFlow returns None (a symbolic zero), tapegrad a tensor of "
          "zeros", test="test_op_jvp")
for _op in ("is_nan", "is_finite", "is_inf"):
    known(f"math.{_op}", f"tape.gradient(tf.math.{_op}(x), x): TensorFlow returns None (boolean target), tapegrad "
          f"raises LookupError: gradient registry has no entry for the op")
known("math.argmax[nan]", "argmax([1, nan, 3, 0]): TensorFlow returns 2 (NaN never wins), tapegrad 1 (NumPy's "
      "NaN-first argmax)")
for _id in ("argsort", "argsort[ties stable]", "argsort[descending ties]"):
    known(_id, "gradient of tf.argsort's int32 output w.r.t. its input: TensorFlow gives zeros (argsort is top_k's "
          "indices, and TopKV2's gradient fills in zeros), tapegrad None")
known("gather_nd[slices]", "gather_nd with indices of shape [n, 1]: TensorFlow's params gradient is an IndexedSlices, "
      "tapegrad's a dense Tensor (same values)")
KNOWN_DIFFERENCES["test_cholesky_of_a_matrix_that_is_not_positive_definite"] = (
    "cholesky([[1, 2], [2, 1]]): TensorFlow 2.21 (CPU) returns NaN in the failed column, tapegrad raises "
    "InvalidArgumentError (what older TensorFlow did)")

# --------------------------------------------------------------------------- the harness

def _flatten(x):
    """(structure signature, leaves) of a nest of tuples, lists, namedtuples and dicts."""
    if isinstance(x, (list, tuple)):
        fields = getattr(type(x), "_fields", None)
        kind = "namedtuple" + str(tuple(fields)) if fields else type(x).__name__
        sigs, leaves = [], []
        for v in x:
            s, lv = _flatten(v)
            sigs.append(s)
            leaves += lv
        return (kind, tuple(sigs)), leaves
    if isinstance(x, dict):
        sigs, leaves = [], []
        for k in sorted(x):
            s, lv = _flatten(x[k])
            sigs.append((k, s))
            leaves += lv
        return ("dict", tuple(sigs)), leaves
    return "leaf", [x]


def _materialize(lib, obj, dtype, leaves):
    if isinstance(obj, T):
        t = lib.constant(obj.array(dtype))
        leaves.append(t)
        return t
    if isinstance(obj, Dt):
        return getattr(lib, obj.name or dtype)
    if isinstance(obj, list):
        return [_materialize(lib, v, dtype, leaves) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialize(lib, v, dtype, leaves) for v in obj)
    if isinstance(obj, dict):
        return {k: _materialize(lib, v, dtype, leaves) for k, v in obj.items()}
    return obj


def _np(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _is_float(a):
    return a.dtype.kind in "fc"


@dataclasses.dataclass
class Run:
    lib: Any
    tape: Any = None
    leaves: list = dataclasses.field(default_factory=list)
    outs: list = dataclasses.field(default_factory=list)
    struct: Any = None
    error: BaseException | None = None


def _forward(lib, case, dtype):
    run = Run(lib)
    op = _resolve(lib, case.path)
    f = case.fn(op, lib) if case.fn else op
    try:
        args = _materialize(lib, case.args, dtype, run.leaves)
        kwargs = _materialize(lib, case.kwargs, dtype, run.leaves)
        with lib.GradientTape(persistent=True) as tape:
            for leaf in run.leaves:
                tape.watch(leaf)
            out = f(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - compared by class
        run.error = e
        return run
    run.tape = tape
    run.struct, run.outs = _flatten(out)
    return run


def _gradient(run, cotangents):
    lib = run.lib
    targets = [o for o in run.outs if _is_float(_np(o))]
    if targets:
        cts = [lib.constant(c) for c in cotangents]
        grads = run.tape.gradient(targets, run.leaves, output_gradients=cts)
    else:
        grads = run.tape.gradient(run.outs, run.leaves)
    result = []
    for g in grads:
        if g is None:
            result.append(None)
            continue
        sparse = type(g).__name__ == "IndexedSlices"
        if sparse:
            g = lib.convert_to_tensor(g)
        result.append((sparse, g.dtype.name, _np(g)))
    return result


def _describe(case, dtype):
    def show(a):
        if isinstance(a, T):
            return f"T({np.array2string(a.array(dtype), precision=4, threshold=20)})"
        if isinstance(a, Dt):
            return f"tf.{a.name or dtype}"
        return repr(a)

    args = ", ".join([show(a) for a in case.args] + [f"{k}={show(v)}" for k, v in case.kwargs.items()])
    note = f"  [{case.note}]" if case.note else ""
    return f"tf.{case.path}({args}) with {dtype}{note}"


def _close(what, ref, got, dtype, case):
    if ref.shape != got.shape:
        raise AssertionError(f"{what}: shape {got.shape} != TensorFlow's {ref.shape}")
    if ref.dtype.kind in "fc":
        rtol, atol = (case.tol or {}).get(dtype) or TOL.get(ref.dtype.name, TOL["float64"])
        finite = np.abs(ref[np.isfinite(ref)]) if ref.size else np.zeros(0)
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol * scale, equal_nan=True,
                                   err_msg=f"{what}: values differ from TensorFlow's")
    else:
        np.testing.assert_array_equal(got, ref, err_msg=f"{what}: values differ from TensorFlow's")


def _catchable(got, ref):
    """True when `except <TensorFlow's exception class>` catches tapegrad's exception, the class looked up by
    name in tapegrad.errors (TensorFlow's OpErrors) or the builtins."""
    name = type(ref).__name__
    cls = getattr(tg.errors, name, None) or getattr(builtins, name, None)
    return cls is not None and isinstance(got, cls)


def _check(case, dtype):
    try:
        _resolve(tg, case.path)
    except AttributeError:
        pytest.fail(f"tapegrad lacks tf.{case.path}", pytrace=False)
    where = _describe(case, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _forward(tf_real, case, dtype)
        got = _forward(tg, case, dtype)
        if case.raises:
            assert ref.error is not None, f"the case expects an error but TensorFlow raised none: {where}"
            assert got.error is not None, (f"TensorFlow raises {type(ref.error).__name__} but tapegrad returned "
                                           f"a result: {where}")
            assert _catchable(got.error, ref.error), (
                f"tapegrad raises {type(got.error).__name__} ({got.error}) where TensorFlow raises "
                f"{type(ref.error).__name__} ({ref.error}): {where}")
            return
        if ref.error is not None:
            raise AssertionError(f"bad case: TensorFlow raised {type(ref.error).__name__}: {ref.error}: {where}")
        if got.error is not None:
            raise AssertionError(f"tapegrad raised {type(got.error).__name__}: {got.error}\n  "
                                 f"TensorFlow gave a result: {where}") from got.error
        assert got.struct == ref.struct, f"output structure {got.struct} != TensorFlow's {ref.struct}: {where}"
        for k, (r, g) in enumerate(zip(ref.outs, got.outs)):
            assert g.dtype.name == r.dtype.name, f"output {k}: dtype {g.dtype.name} != TensorFlow's {r.dtype.name}"
            _close(f"output {k} of {where}", _np(r), _np(g), dtype, case)
        if not case.grad:
            return
        rng = np.random.default_rng(zlib.crc32(f"{case.id}/{dtype}".encode()))
        cotangents = []
        for r in ref.outs:
            a = _np(r)
            if _is_float(a):
                c = rng.uniform(-1, 1, a.shape)
                if a.dtype.kind == "c":
                    c = c + 1j * rng.uniform(-1, 1, a.shape)
                cotangents.append(np.asarray(c, dtype=a.dtype))
        ref_g = _gradient(ref, cotangents)
        try:
            got_g = _gradient(got, cotangents)
        except Exception as e:
            raise AssertionError(f"tapegrad's gradient raised {type(e).__name__}: {e}: {where}") from e
    for k, (r, g) in enumerate(zip(ref_g, got_g)):
        what = f"gradient w.r.t. tensor argument {k} of {where}"
        assert (g is None) == (r is None), (f"{what}: tapegrad gives {'None' if g is None else 'a gradient'}, "
                                            f"TensorFlow {'None' if r is None else 'a gradient'}")
        if r is None:
            continue
        assert g[0] == r[0], f"{what}: IndexedSlices in {'TensorFlow' if r[0] else 'tapegrad'} only"
        assert g[1] == r[1], f"{what}: dtype {g[1]} != TensorFlow's {r[1]}"
        _close(what, r[2], g[2], dtype, case)


def _params(cases):
    return [pytest.param(case, dtype, id=f"{case.id}-{dtype}") for case in cases for dtype in case.dtypes]


@pytest.mark.parametrize("case,dtype", _params(CASES))
def test_op(case, dtype):
    _check(case, dtype)


@pytest.mark.parametrize("case,dtype", _params(ALIASES))
def test_alias(case, dtype):
    _check(case, dtype)


# --------------------------------------------------------------------------- forward mode

def _float_leaves(obj, dtype):
    if isinstance(obj, T):
        return [obj] if obj.array(dtype).dtype.kind in "fc" else []
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _float_leaves(v, dtype)]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _float_leaves(v, dtype)]
    return []


def _jvp(lib, case, dtype, tangents):
    """The op's outputs and their JVPs (None where unconnected or not float) under ForwardAccumulator."""
    op = _resolve(lib, case.path)
    f = case.fn(op, lib) if case.fn else op
    leaves = []
    args = _materialize(lib, case.args, dtype, leaves)
    kwargs = _materialize(lib, case.kwargs, dtype, leaves)
    primals = [t for t in leaves if _is_float(_np(t))]
    with lib.autodiff.ForwardAccumulator(primals, [lib.constant(t) for t in tangents]) as acc:
        out = f(*args, **kwargs)
    _, outs = _flatten(out)
    jvps = [acc.jvp(o) for o in outs]
    # TensorFlow's JVPs of scatter-like ops come as IndexedSlices: compared densified.
    return [lib.convert_to_tensor(j) if type(j).__name__ == "IndexedSlices" else j for j in jvps]


JVP_CASES = [c for c in CASES if c.grad and not c.raises and _float_leaves((c.args, c.kwargs), c.dtypes[0])]


@pytest.mark.parametrize("case,dtype", [pytest.param(c, c.dtypes[-1], id=f"{c.id}-{c.dtypes[-1]}") for c in JVP_CASES])
def test_op_jvp(case, dtype):
    """Forward mode: `tf.autodiff.ForwardAccumulator` with one random tangent per float input, JVP of every
    output compared (presence, dtype, values), in the case's widest dtype (TensorFlow's forward mode is slow).
    Skipped where TensorFlow itself has no forward-mode rule."""
    try:
        _resolve(tg, case.path)
        tg.autodiff.ForwardAccumulator  # noqa: B018
    except AttributeError:
        pytest.fail(f"tapegrad lacks tf.{case.path}", pytrace=False)
    where = _describe(case, dtype)
    rng = np.random.default_rng(zlib.crc32(f"jvp/{case.id}/{dtype}".encode()))
    tangents = []
    for leaf in _float_leaves((case.args, case.kwargs), dtype):
        a = leaf.array(dtype)
        t = rng.uniform(-1, 1, a.shape)
        if a.dtype.kind == "c":
            t = t + 1j * rng.uniform(-1, 1, a.shape)
        tangents.append(np.asarray(t, dtype=a.dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = _jvp(tf_real, case, dtype, tangents)
        except Exception as e:  # noqa: BLE001
            pytest.skip(f"TensorFlow has no forward mode here: {type(e).__name__}: {str(e)[:120]}")
        try:
            got = _jvp(tg, case, dtype, tangents)
        except Exception as e:
            raise AssertionError(f"tapegrad's forward mode raised {type(e).__name__}: {e}: {where}") from e
    assert len(got) == len(ref), f"{len(got)} outputs, TensorFlow {len(ref)}: {where}"
    for k, (r, g) in enumerate(zip(ref, got)):
        what = f"JVP of output {k} of {where}"
        assert (g is None) == (r is None), (f"{what}: tapegrad gives {'None' if g is None else 'a JVP'}, "
                                            f"TensorFlow {'None' if r is None else 'a JVP'}")
        if r is None:
            continue
        assert g.dtype.name == r.dtype.name, f"{what}: dtype {g.dtype.name} != TensorFlow's {r.dtype.name}"
        _close(what, _np(r), _np(g), dtype, case)


# --------------------------------------------------------------------------- random ops: structure only

RANDOM_CASES = [
    ("random.normal", ([2, 3],), {"seed": 1}),
    ("random.normal", ([4],), {"mean": 1.0, "stddev": 2.0, "dtype": Dt("float64"), "seed": 2}),
    ("random.uniform", ([2, 3],), {"seed": 1}),
    ("random.uniform", ([3],), {"minval": 2, "maxval": 7, "dtype": Dt("int32"), "seed": 3}),
    ("random.uniform", ([3],), {"minval": -1.0, "maxval": 1.0, "dtype": Dt("float64")}),
    ("random.truncated_normal", ([5, 2],), {"seed": 4}),
    ("random.truncated_normal", ([3],), {"stddev": 0.5, "dtype": Dt("float64")}),
    ("random.categorical", (T(np.log([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]]), "float32"), 4), {"seed": 5}),
    ("random.categorical", (T(np.zeros((2, 3)), "float32"), 2), {"dtype": Dt("int32")}),
    ("random.shuffle", (T(np.arange(12.0).reshape(6, 2), "float32"),), {"seed": 6}),
    ("nn.dropout", (T(np.ones((4, 5)), "float32"), 0.5), {"seed": 7}),
    ("nn.dropout", (T(np.ones((4, 5)), "float64"),), {"rate": 0.2, "noise_shape": [4, 1]}),
]


@pytest.mark.parametrize("path,args,kwargs", RANDOM_CASES,
                         ids=[f"{p}[{i}]" for i, (p, _, _) in enumerate(RANDOM_CASES)])
def test_random_shapes_and_dtypes(path, args, kwargs):
    try:
        op = _resolve(tg, path)
    except AttributeError:
        pytest.fail(f"tapegrad lacks tf.{path}", pytrace=False)
    results = []
    for lib, f in ((tf_real, _resolve(tf_real, path)), (tg, op)):
        out = f(*_materialize(lib, args, "float32", []), **_materialize(lib, kwargs, "float32", []))
        results.append((out.dtype.name, tuple(out.shape), _np(out)))
    (rd, rs, rv), (gd, gs, gv) = results
    assert (gd, gs) == (rd, rs), f"tf.{path}: tapegrad gives {gd} {gs}, TensorFlow {rd} {rs}"
    if path == "random.shuffle":
        np.testing.assert_array_equal(np.sort(gv, axis=0), np.sort(rv, axis=0))
    if path == "nn.dropout":  # kept entries are scaled by 1 / (1 - rate), dropped ones are 0
        rate = args[1] if len(args) > 1 else kwargs["rate"]
        kept = gv[gv != 0]
        np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
        if "noise_shape" in kwargs:
            assert (gv == gv[:, :1]).all(), "noise_shape [4, 1]: whole rows are kept or dropped"
    if "minval" in kwargs:
        assert (gv >= kwargs["minval"]).all() and (gv < kwargs["maxval"]).all()
    if path == "random.truncated_normal":
        std = kwargs.get("stddev", 1.0)
        assert (np.abs(gv) <= 2 * std + 1e-6).all(), "truncated at two standard deviations"


@pytest.mark.parametrize("lib_name", ["tensorflow", "tapegrad"])
def test_random_is_reproducible_under_a_seed(lib_name):
    """set_seed, op seeds and Generator.from_seed give the same draws twice (values differ between libraries)."""
    lib = tf_real if lib_name == "tensorflow" else tg
    for path in ("random.set_seed", "random.Generator", "random.normal", "random.uniform", "nn.dropout"):
        try:
            _resolve(lib, path)
        except AttributeError:
            pytest.fail(f"tapegrad lacks tf.{path}", pytrace=False)

    def draw():
        lib.random.set_seed(1234)
        a = lib.random.normal([3], seed=1)
        b = lib.random.uniform([2])
        c = lib.nn.dropout(lib.ones([6]), 0.5, seed=3)
        g = lib.random.Generator.from_seed(42)
        return [_np(a), _np(b), _np(c), _np(g.normal([3])), _np(g.uniform([2]))]

    for x, y in zip(draw(), draw()):
        np.testing.assert_array_equal(x, y)


def test_generator_shapes_and_dtypes():
    """tf.random.Generator.from_seed(...).normal / uniform: dtype and shape as TensorFlow's."""
    try:
        _resolve(tg, "random.Generator")
    except AttributeError:
        pytest.fail("tapegrad lacks tf.random.Generator", pytrace=False)
    results = []
    for lib in (tf_real, tg):
        g = lib.random.Generator.from_seed(7)
        outs = [g.normal([2, 3]), g.normal([4], dtype=lib.float64), g.uniform([3]),
                g.uniform([5], minval=0, maxval=10, dtype=lib.int32), g.truncated_normal([2])]
        results.append([(o.dtype.name, tuple(o.shape)) for o in outs])
    assert results[1] == results[0]


def test_cholesky_of_a_matrix_that_is_not_positive_definite():
    """TensorFlow 2.21's CPU kernel raises nothing: it returns NaN in the failed column (and leaves the rest of the
    output unspecified); TensorFlow 1.x and early 2.x raised InvalidArgumentError."""
    a = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)
    ref = _np(tf_real.linalg.cholesky(tf_real.constant(a)))
    assert np.isnan(ref[:, 0]).all()
    try:
        got = _np(tg.linalg.cholesky(tg.constant(a)))
    except AttributeError:
        pytest.fail("tapegrad lacks tf.linalg.cholesky", pytrace=False)
    assert np.isnan(got[:, 0]).all()
