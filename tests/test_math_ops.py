"""tf.math: forward values against NumPy and the `math` module (NaN, inf and 0 included), TensorFlow's documented
edge results and gradient conventions, dtype rules, argument validation, and the special functions' SciPy-free
fallbacks. Gradients of every primitive are also checked by the registry-driven tests (orders 1 and 2, reverse
and forward, batched cotangents, array-api-strict)."""

from __future__ import annotations

import doctest
import math

import array_api_strict as xps
import numpy as np
import pytest

import tapegrad as tf
from tapegrad.ops import elementwise, math_ops, reduce
from tapegrad.testing import check_gradients

# NumPy warns on log(0), 0/0, ... where TensorFlow is silent: the values are what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

NAN, INF = np.nan, np.inf
EDGE = np.array([-3.5, -1.0, -0.5, -0.0, 0.0, 0.25, 1.0, 2.5, 40.0, NAN, INF, -INF])


def f64(v):
    return tf.constant(np.asarray(v, dtype=np.float64))


def grads(f, *xs):
    xs = [f64(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


def jvp(f, x, t):
    x = f64(x)
    with tf.autodiff.ForwardAccumulator(x, f64(t)) as acc:
        y = f(x)
    return acc.jvp(y).numpy()


def same(got, want, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=rtol,
                               atol=0, equal_nan=True)


def _np_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _np_softplus(x):
    return np.logaddexp(0.0, x)


# --------------------------------------------------------------------------- elementwise forward values

UNARY = {
    "abs": (tf.abs, np.abs), "sign": (tf.sign, np.sign), "negative": (tf.negative, np.negative),
    "reciprocal": (tf.math.reciprocal, lambda x: 1 / x), "exp": (tf.exp, np.exp), "expm1": (tf.math.expm1, np.expm1),
    "log": (tf.math.log, np.log), "log1p": (tf.math.log1p, np.log1p), "sqrt": (tf.sqrt, np.sqrt),
    "rsqrt": (tf.math.rsqrt, lambda x: 1 / np.sqrt(x)), "square": (tf.square, np.square), "sin": (tf.sin, np.sin),
    "cos": (tf.cos, np.cos), "tan": (tf.tan, np.tan), "asin": (tf.asin, np.arcsin), "acos": (tf.acos, np.arccos),
    "atan": (tf.atan, np.arctan), "sinh": (tf.sinh, np.sinh), "cosh": (tf.cosh, np.cosh), "tanh": (tf.tanh, np.tanh),
    "asinh": (tf.asinh, np.arcsinh), "acosh": (tf.acosh, np.arccosh), "atanh": (tf.atanh, np.arctanh),
    "sigmoid": (tf.sigmoid, _np_sigmoid), "softplus": (tf.math.softplus, _np_softplus),
    "log_sigmoid": (tf.math.log_sigmoid, lambda x: -_np_softplus(-x)),
    "erf": (tf.math.erf, np.vectorize(math.erf)), "erfc": (tf.math.erfc, np.vectorize(math.erfc)),
    "floor": (tf.floor, np.floor), "ceil": (tf.math.ceil, np.ceil), "rint": (tf.math.rint, np.rint),
    "round": (tf.round, np.round),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unary_values_match_numpy_including_nan_inf_and_zero(name, dtype):
    op, ref = UNARY[name]
    x = EDGE.astype(dtype)
    with np.errstate(all="ignore"):
        want = np.asarray(ref(x.astype(np.float64)))
    got = op(tf.constant(x))
    assert got.dtype == tf.as_dtype(dtype)
    same(got.numpy(), want.astype(dtype), rtol=1e-12 if dtype == np.float64 else 2e-6)


def test_special_values_at_tensorflows_poles():
    np.testing.assert_array_equal(tf.math.lgamma(f64([0.0, -1.0, -2.0, -INF, INF])).numpy(), [INF] * 5)
    np.testing.assert_array_equal(tf.math.digamma(f64([0.0, -1.0, -3.0])).numpy(), [INF] * 3)  # Eigen: +inf
    same(tf.math.lgamma(f64([0.5, 3.0, -0.5, NAN])).numpy(),
         [math.lgamma(0.5), math.log(2.0), math.lgamma(-0.5), NAN])
    assert np.isnan(tf.math.digamma(f64(NAN)).numpy())


def test_float_tests_and_rounding():
    x = f64([1.0, NAN, INF, -INF, 0.0])
    np.testing.assert_array_equal(tf.math.is_nan(x).numpy(), [False, True, False, False, False])
    np.testing.assert_array_equal(tf.math.is_inf(x).numpy(), [False, False, True, True, False])
    np.testing.assert_array_equal(tf.math.is_finite(x).numpy(), [True, False, False, False, True])
    # TensorFlow rounds half to even (banker's rounding); integer inputs are returned unchanged.
    np.testing.assert_array_equal(tf.round(f64([0.5, 1.5, 2.5, -0.5, -2.5, 2.6])).numpy(), [0, 2, 2, -0, -2, 3])
    np.testing.assert_array_equal(tf.math.rint(f64([0.5, 1.5])).numpy(), [0.0, 2.0])
    assert tf.round(tf.constant([3, -4])).numpy().tolist() == [3, -4]


BINARY = {
    "atan2": (tf.atan2, np.arctan2), "pow": (tf.pow, np.power),
    "squared_difference": (tf.math.squared_difference, lambda x, y: (x - y) ** 2),
    "maximum": (tf.maximum, np.maximum), "minimum": (tf.minimum, np.minimum),
    "floormod": (tf.math.floormod, np.mod), "truncatemod": (tf.truncatemod, np.fmod),
    "truncatediv": (tf.truncatediv, lambda x, y: np.trunc(x / y)),
    "floordiv": (tf.math.floordiv, lambda x, y: np.floor(x / y)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_match_numpy(name):
    op, ref = BINARY[name]
    x = np.array([[-2.5], [-0.0], [1.5], [NAN], [INF]])
    y = np.array([-1.5, 0.5, 2.0, 3.0])
    with np.errstate(all="ignore"):
        want = ref(x, y)
    same(op(f64(x), f64(y)).numpy(), want)


def test_xlogy_family_is_zero_where_x_is_zero_even_for_nan_or_zero_y():
    x, y = f64([0.0, 0.0, 0.0, 2.0, 2.0]), f64([0.0, NAN, INF, 3.0, 0.5])
    with np.errstate(divide="ignore"):
        same(tf.math.xlogy(x, y).numpy(), [0.0, 0.0, 0.0, 2 * math.log(3.0), 2 * math.log(0.5)])
    same(tf.math.xlog1py(x, y).numpy(), [0.0, 0.0, 0.0, 2 * math.log1p(3.0), 2 * math.log1p(0.5)])
    same(tf.math.xdivy(x, y).numpy(), [0.0, 0.0, 0.0, 2 / 3.0, 4.0])
    assert tf.math.xlogy(f64(1.0), f64(0.0)).numpy() == -INF


def test_no_nan_products_and_quotients():
    same(tf.math.divide_no_nan(f64([1.0, NAN, INF, 3.0]), f64([0.0, 0.0, 0.0, 2.0])).numpy(), [0.0, 0.0, 0.0, 1.5])
    same(tf.math.multiply_no_nan(f64([INF, NAN, 3.0]), f64([0.0, 0.0, 2.0])).numpy(), [0.0, 0.0, 6.0])
    same(tf.math.reciprocal_no_nan(f64([0.0, 4.0])).numpy(), [0.0, 0.25])


def test_integer_division_rules():
    # truediv: int32/int64 divide in float64, int8/int16 in float32
    r = tf.math.truediv(tf.constant([7, -7]), tf.constant([2, 2]))
    assert r.dtype == tf.float64 and r.numpy().tolist() == [3.5, -3.5]
    assert tf.math.truediv(tf.constant([7], tf.int16), tf.constant([2], tf.int16)).dtype == tf.float32
    assert tf.math.floordiv(tf.constant([7, -7]), 2).numpy().tolist() == [3, -4]
    assert tf.truncatediv(tf.constant([7, -7, 6]), 2).numpy().tolist() == [3, -3, 3]
    assert tf.truncatemod(tf.constant([7, -7]), 2).numpy().tolist() == [1, -1]
    assert tf.math.floormod(tf.constant([7, -7]), 2).numpy().tolist() == [1, 1]
    assert tf.realdiv is not None and tf.math.realdiv(tf.constant([7, -7]), 2).numpy().tolist() == [3, -3]
    # TensorFlow's float floordiv is floor(x / y): 1 // 0.1 is 10 (Python's // says 9)
    assert float(tf.math.floordiv(f64(1.0), f64(0.1))) == 10.0
    for op in (tf.math.floordiv, tf.math.floormod, tf.truncatediv, tf.truncatemod):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
            op(tf.constant([1, 2]), tf.constant([1, 0]))
    assert tf.math.reciprocal(tf.constant([1, -1, 2, -5])).numpy().tolist() == [1, -1, 0, 0]


def test_maximum_minimum_propagate_nan():
    same(tf.maximum(f64([NAN, 1.0]), f64([0.0, NAN])).numpy(), [NAN, NAN])
    same(tf.minimum(f64([NAN, 1.0]), f64([0.0, 2.0])).numpy(), [NAN, 1.0])


def test_clip_by_value_values_and_validation():
    same(tf.clip_by_value(f64([-2.0, 0.5, 3.0, NAN]), -1.0, 1.0).numpy(), [-1.0, 0.5, 1.0, NAN])
    assert tf.clip_by_value(tf.constant([-5, 5]), -1, 1).numpy().tolist() == [-1, 1]
    same(tf.clip_by_value(f64([[-2.0, 2.0]]), f64([-1.0, 0.0]), f64([1.0, 1.5])).numpy(), [[-1.0, 1.5]])
    with pytest.raises(ValueError, match="incompatible"):
        tf.clip_by_value(f64([1.0, 2.0]), f64([[0.0], [1.0]]), 5.0)
    with pytest.raises(TypeError):
        tf.clip_by_value(tf.constant([1, 2]), 0.5, 1.5)


# --------------------------------------------------------------------------- TensorFlow's gradient conventions

def test_sqrt_gradient_is_inf_at_zero_and_rsqrt_matches():
    (g,) = grads(tf.sqrt, [0.0, 4.0])
    np.testing.assert_array_equal(g, [INF, 0.25])
    (g,) = grads(tf.math.rsqrt, [4.0])
    same(g, [-0.5 * 4.0 ** -1.5])


def test_xlogy_gradients_follow_tensorflow_at_x_zero():
    gx, gy = grads(tf.math.xlogy, [0.0, 0.0, 2.0], [0.0, 3.0, 3.0])
    same(gx, [0.0, 0.0, math.log(3.0)])  # xlogy(x != 0, y): 0 where x == 0
    same(gy, [0.0, 0.0, 2 / 3.0])  # xdivy(x, y): 0 where x == 0, even at y == 0
    gx, gy = grads(tf.math.xlog1py, [0.0, 2.0], [-1.0, 1.0])
    same(gx, [0.0, math.log(2.0)])
    same(gy, [0.0, 1.0])


def test_divide_no_nan_gradients_are_zero_where_y_is_zero():
    gx, gy = grads(tf.math.divide_no_nan, [1.0, 2.0, 3.0], [0.0, 0.0, 2.0])
    same(gx, [0.0, 0.0, 0.5])
    same(gy, [0.0, 0.0, -0.75])
    gx, gy = grads(tf.math.multiply_no_nan, [INF, 2.0], [0.0, 3.0])
    same(gx, [0.0, 3.0])
    same(gy, [INF, 2.0])  # TensorFlow: mul_no_nan(x, g) = x * g, zero only where g is


def test_rounding_ops_have_no_gradient_and_sign_has_zeros():
    for op in (tf.floor, tf.math.ceil, tf.round, tf.math.rint):
        assert grads(op, [0.3, 1.7]) == [None]
    (g,) = grads(tf.sign, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_clip_by_value_passes_the_gradient_inside_the_closed_interval():
    g, gmin, gmax = grads(lambda t, lo, hi: tf.clip_by_value(t, lo, hi), [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], -1.0, 1.0)
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    assert float(gmin) == 1.0 and float(gmax) == 2.0


def test_atan2_gradients():
    gy, gx = grads(tf.atan2, [1.0, -2.0], [2.0, 0.5])
    r = np.array([5.0, 4.25])
    same(gy, np.array([2.0, 0.5]) / r)
    same(gx, -np.array([1.0, -2.0]) / r)


def test_softplus_and_log_sigmoid_are_stable_with_sigmoid_gradients():
    x = [-800.0, -30.0, 0.0, 30.0, 800.0]
    same(tf.math.softplus(f64(x)).numpy(), _np_softplus(np.array(x)))
    same(tf.math.log_sigmoid(f64(x)).numpy(), -_np_softplus(-np.array(x)))
    (g,) = grads(tf.math.softplus, x)
    same(g, _np_sigmoid(np.array(x)))
    (g,) = grads(tf.math.log_sigmoid, x)
    same(g, _np_sigmoid(-np.array(x)))


def test_special_function_gradients_and_higher_orders():
    (g,) = grads(tf.math.erf, [0.3])
    same(g, [2 / math.sqrt(math.pi) * math.exp(-0.09)])
    (g,) = grads(tf.math.lgamma, [1.0, 2.0])
    same(g, [-np.euler_gamma, 1 - np.euler_gamma])
    (g,) = grads(tf.math.digamma, [1.0])
    same(g, [math.pi ** 2 / 6])
    ga, gx = grads(tf.math.polygamma, [1.0], [1.0])
    assert ga is None
    same(gx, [-2 * 1.2020569031595942])  # polygamma(2, 1) = -2 zeta(3)
    gx, gq = grads(tf.math.zeta, [2.0], [1.0])
    assert gx is None
    same(gq, [-2 * 1.2020569031595942])  # -x zeta(x + 1, q)
    check_gradients(lambda x: tf.math.lgamma(x) * tf.math.digamma(x), [[0.7, 2.5]], order=3)


def test_special_functions_reject_integers_and_mixed_dtypes():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Erf"):
        tf.math.erf(tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Polygamma"):
        tf.math.polygamma(tf.constant(1.0, tf.float32), f64(1.0))


# --------------------------------------------------------------------------- complex numbers

@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_forward_values(dtype):
    z = np.array([1 + 2j, -0.5 + 0.25j, 3 - 4j], dtype=dtype)
    w = np.array([0.5 - 1j, 2 + 0j, -1 + 1j], dtype=dtype)
    tz, tw = tf.constant(z), tf.constant(w)
    rtol = 1e-12 if dtype == np.complex128 else 1e-6
    for op, ref in [(tf.exp, np.exp), (tf.math.log, np.log), (tf.sqrt, np.sqrt), (tf.square, np.square),
                    (tf.sin, np.sin), (tf.cos, np.cos), (tf.math.conj, np.conj)]:
        got = op(tz)
        assert got.dtype == tf.as_dtype(dtype)
        np.testing.assert_allclose(got.numpy(), ref(z), rtol=rtol)
    np.testing.assert_allclose((tz * tw).numpy(), z * w, rtol=rtol)
    np.testing.assert_allclose((tz + tw).numpy(), z + w, rtol=rtol)
    a = tf.abs(tz)
    assert a.dtype == (tf.float32 if dtype == np.complex64 else tf.float64)
    np.testing.assert_allclose(a.numpy(), np.abs(z), rtol=rtol)
    np.testing.assert_allclose(tf.math.real(tz).numpy(), z.real)
    np.testing.assert_allclose(tf.math.imag(tz).numpy(), z.imag)
    np.testing.assert_allclose(tf.math.angle(tz).numpy(), np.angle(z), rtol=rtol)
    real = z.real.astype(np.float32 if dtype == np.complex64 else np.float64)
    c = tf.complex(tf.constant(real), tf.constant(real))
    assert c.dtype == tf.as_dtype(dtype)


def test_complex_gradients_use_tensorflows_conjugate_convention():
    z = np.array([1 + 2j, -0.5 + 1j])
    w = np.array([0.5 - 1j, 2 + 1j])

    def grad_of(f, *vals):
        ts = [tf.constant(v) for v in vals]
        with tf.GradientTape() as tape:
            tape.watch(ts)
            y = f(*ts)
        return [g.numpy() for g in tape.gradient(y, ts)]

    np.testing.assert_allclose(grad_of(tf.exp, z)[0], np.conj(np.exp(z)))
    np.testing.assert_allclose(grad_of(tf.sin, z)[0], np.conj(np.cos(z)))
    np.testing.assert_allclose(grad_of(tf.math.log, z)[0], np.conj(1 / z))
    np.testing.assert_allclose(grad_of(tf.sqrt, z)[0], np.conj(0.5 / np.sqrt(z)))
    np.testing.assert_allclose(grad_of(tf.square, z)[0], np.conj(2 * z))
    gz, gw = grad_of(tf.multiply, z, w)
    np.testing.assert_allclose(gz, np.conj(w))
    np.testing.assert_allclose(gw, np.conj(z))
    np.testing.assert_allclose(grad_of(tf.abs, z)[0], z / np.abs(z))  # ComplexAbs: g * z / |z|
    np.testing.assert_allclose(grad_of(lambda t: 2 * tf.math.real(t) + 3 * tf.math.imag(t), z)[0], [2 + 3j] * 2)
    np.testing.assert_allclose(grad_of(tf.math.conj, z)[0], [1 - 0j] * 2)
    re, im = grad_of(lambda a, b: tf.math.real(tf.complex(a, b) * (2 - 1j)), z.real, z.imag)
    np.testing.assert_allclose(re, [2.0, 2.0])
    np.testing.assert_allclose(im, [1.0, 1.0])


def test_complex_abs_forward_mode_is_real():
    z = tf.constant(np.array([3 + 4j]))
    with tf.autodiff.ForwardAccumulator(z, tf.constant(np.array([1 + 0j]))) as acc:
        y = tf.abs(z)
    t = acc.jvp(y)
    assert t.dtype == tf.float64
    np.testing.assert_allclose(t.numpy(), [0.6])


# --------------------------------------------------------------------------- dtype rules

FLOAT_ONLY = [tf.exp, tf.math.expm1, tf.math.log, tf.math.log1p, tf.sqrt, tf.math.rsqrt, tf.sin, tf.cos, tf.tan,
              tf.asin, tf.acos, tf.atan, tf.sinh, tf.cosh, tf.tanh, tf.asinh, tf.acosh, tf.atanh, tf.sigmoid,
              tf.math.softplus, tf.math.erf, tf.math.erfc, tf.math.lgamma, tf.math.digamma, tf.floor, tf.math.ceil,
              tf.math.is_nan, tf.math.is_inf, tf.math.is_finite]


@pytest.mark.parametrize("op", FLOAT_ONLY, ids=lambda f: getattr(f, "__name__", str(f)))
def test_float_only_ops_reject_integers_like_tensorflow(op):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of int32 is not in the list"):
        op(tf.constant([1, 2]))


def test_more_dtype_rules():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Atan2"):
        tf.atan2(tf.constant([1]), tf.constant([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Xlogy"):
        tf.math.xlogy(tf.constant([1]), tf.constant([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="DivNoNan"):
        tf.math.divide_no_nan(tf.constant([1]), tf.constant([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool tensor but is a int32"):
        tf.math.logical_and(tf.constant([1]), tf.constant([0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="LogicalOr"):
        tf.math.logical_or(tf.constant([1]), True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="LogicalNot"):
        tf.math.logical_not(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Maximum"):
        tf.maximum(tf.constant([1 + 1j]), tf.constant([2 + 0j]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="float32.*float64|float64.*float32"):
        tf.atan2(tf.constant([1.0]), f64([2.0]))
    assert tf.abs(tf.constant([-3, 4])).numpy().tolist() == [3, 4]
    assert tf.square(tf.constant([-3])).dtype == tf.int32


def test_integer_reductions_keep_their_dtype_and_bool_is_rejected():
    r = tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), axis=0)
    assert r.dtype == tf.int32 and r.numpy().tolist() == [4, 6]
    assert tf.reduce_prod(tf.constant([2, 3], tf.int16)).dtype == tf.int16
    with pytest.raises(tf.errors.InvalidArgumentError, match="Sum"):
        tf.reduce_sum(tf.constant([True, False]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="All"):
        tf.reduce_all(tf.constant([1.0]))
    with pytest.raises(TypeError, match="real or complex"):
        tf.math.reduce_variance(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="real or complex"):
        tf.math.reduce_std(tf.constant([1, 2]))


# --------------------------------------------------------------------------- reductions

def test_reduce_logsumexp_values_edges_and_softmax_gradient():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -INF]])
    same(tf.reduce_logsumexp(f64(x), axis=1).numpy(), [np.log(np.exp(x[0]).sum()), 1000 + math.log(2.0)])
    assert tf.reduce_logsumexp(f64(x), axis=1, keepdims=True).shape == (2, 1)
    assert tf.reduce_logsumexp(f64([-INF, -INF])).numpy() == -INF
    assert tf.reduce_logsumexp(f64([INF, 1.0])).numpy() == INF
    (g,) = grads(lambda t: tf.reduce_logsumexp(t, axis=1), x)
    e = np.exp(x[0] - 3.0)
    same(g, [e / e.sum(), [0.5, 0.5, 0.0]])


def test_reduce_variance_std_and_euclidean_norm():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    same(tf.math.reduce_variance(f64(x), axis=1).numpy(), np.var(x, axis=1))
    same(tf.math.reduce_std(f64(x)).numpy(), np.std(x))
    assert tf.math.reduce_std(f64(x), axis=0, keepdims=True).shape == (1, 3)
    same(tf.math.reduce_variance(tf.constant(np.array([1 + 1j, 3 - 1j]))).numpy(), 2.0)
    same(tf.math.reduce_euclidean_norm(f64(x), axis=0).numpy(), np.linalg.norm(x, axis=0))
    # TensorFlow's documented integer example: sqrt(17) truncated to 4
    r = tf.math.reduce_euclidean_norm(tf.constant([[1, 2, 3], [1, 1, 1]]))
    assert r.dtype == tf.int32 and int(r) == 4
    (g,) = grads(tf.math.reduce_euclidean_norm, [3.0, 4.0])
    same(g, [0.6, 0.8])


def test_reduce_max_of_empty_is_the_identity():
    assert tf.reduce_max(tf.zeros((0,), tf.float32)).numpy() == -INF
    assert tf.reduce_min(tf.zeros((2, 0)), axis=1).numpy().tolist() == [INF, INF]
    assert int(tf.reduce_max(tf.constant(np.zeros((0,), np.int32)))) == np.iinfo(np.int32).min


def test_count_nonzero():
    x = f64([[0.0, 1.5, NAN], [2.0, 0.0, -0.0]])
    r = tf.math.count_nonzero(x, axis=1)
    assert r.dtype == tf.int64 and r.numpy().tolist() == [2, 1]
    assert int(tf.math.count_nonzero(tf.constant([True, False, True]))) == 2
    assert tf.math.count_nonzero(x, keepdims=True, dtype=tf.int32).numpy().tolist() == [[3]]


# --------------------------------------------------------------------------- cumsum, cumprod

@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_and_cumprod_match_numpy(exclusive, reverse, axis):
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])

    def ref(fn, ident):
        a = np.flip(x, axis) if reverse else x
        out = fn(a, axis=axis)
        if exclusive:
            out = np.concatenate([np.full_like(np.take(out, [0], axis=axis), ident),
                                  np.delete(out, -1, axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out

    same(tf.math.cumsum(f64(x), axis=axis, exclusive=exclusive, reverse=reverse).numpy(), ref(np.cumsum, 0.0))
    same(tf.math.cumprod(f64(x), axis=axis, exclusive=exclusive, reverse=reverse).numpy(), ref(np.cumprod, 1.0))


def test_scans_keep_integer_dtypes_and_validate_the_axis():
    r = tf.math.cumsum(tf.constant([1, 2, 3]))
    assert r.dtype == tf.int32 and r.numpy().tolist() == [1, 3, 6]
    assert tf.math.cumprod(tf.constant([[2, 3]]), axis=1).numpy().tolist() == [[2, 6]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 2 is out of range"):
        tf.math.cumsum(f64([[1.0]]), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.cumsum(f64(1.0))


def test_scan_gradients_are_tensorflows():
    w = np.array([1.0, 10.0, 100.0])
    (g,) = grads(lambda x: tf.math.cumsum(x) * w, [1.0, 2.0, 3.0])
    same(g, [111.0, 110.0, 100.0])  # the reversed cumsum of the cotangent
    (g,) = grads(lambda x: tf.math.cumsum(x, exclusive=True, reverse=True) * w, [1.0, 2.0, 3.0])
    same(g, [0.0, 1.0, 11.0])
    (g,) = grads(lambda x: tf.math.cumprod(x) * w, [2.0, 3.0, 4.0])
    same(g, [1 + 10 * 3 + 100 * 12, 10 * 2 + 100 * 8, 100 * 6])
    (g,) = grads(tf.math.cumprod, [2.0, 0.0, 4.0])  # TensorFlow's formula divides by x: not finite at 0
    assert not np.all(np.isfinite(g))


# --------------------------------------------------------------------------- argmax, argmin

def test_argmax_argmin_defaults_ties_and_output_type():
    x = f64([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    r = tf.math.argmax(x)
    assert r.dtype == tf.int64 and r.numpy().tolist() == [1, 0, 1]  # axis defaults to 0
    assert tf.argmax(x, axis=1).numpy().tolist() == [1, 0]  # ties: the first
    assert tf.argmin(x, axis=-1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmin(tf.constant([3, 1, 1])).numpy() == 1
    assert grads(lambda t: tf.cast(tf.argmax(t), tf.float64), [1.0, 3.0]) == [None]  # no gradient


def test_argmax_validation():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Expected dimension in the range \[-2, 2\)"):
        tf.argmax(f64([[1.0]]), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty"):
        tf.argmax(tf.zeros((0, 3)))
    with pytest.raises(TypeError, match="output_type"):
        tf.argmax(f64([1.0]), output_type=tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.argmax(f64(1.0))


# --------------------------------------------------------------------------- top_k, sort, argsort

def test_top_k_values_indices_ties_and_gradient():
    x = [[1.0, 4.0, 2.0, 4.0], [0.0, -1.0, 5.0, 5.0]]
    out = tf.math.top_k(f64(x), k=3)
    assert isinstance(out, tuple) and out._fields == ("values", "indices")
    same(out.values.numpy(), [[4.0, 4.0, 2.0], [5.0, 5.0, 0.0]])
    assert out.indices.dtype == tf.int32
    assert out.indices.numpy().tolist() == [[1, 3, 2], [2, 3, 0]]  # ties: the lower index first
    (g,) = grads(lambda t: tf.math.top_k(t, k=2).values * np.array([1.0, 10.0]), x)
    same(g, [[0.0, 1.0, 0.0, 10.0], [0.0, 0.0, 1.0, 10.0]])
    assert tf.math.top_k(f64(x), k=0).values.shape == (2, 0)
    assert tf.math.top_k(tf.constant([3, 9, 1])).values.numpy().tolist() == [9]
    assert tf.math.top_k(f64(x), k=1, index_type=tf.int64).indices.dtype == tf.int64


def test_top_k_validation():
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least k columns. Had 2, needed 3"):
        tf.math.top_k(f64([1.0, 2.0]), k=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need k >= 0"):
        tf.math.top_k(f64([1.0, 2.0]), k=-1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="1-D"):
        tf.math.top_k(f64(1.0))


def test_sort_and_argsort_are_stable_in_both_directions():
    x = np.array([2.0, 1.0, 2.0, 1.0, 3.0])
    same(tf.sort(f64(x)).numpy(), np.sort(x))
    same(tf.sort(f64(x), direction="DESCENDING").numpy(), np.sort(x)[::-1])
    assert tf.argsort(f64(x)).numpy().tolist() == [1, 3, 0, 2, 4]
    assert tf.argsort(f64(x), direction="DESCENDING").numpy().tolist() == [4, 0, 2, 1, 3]
    assert tf.argsort(f64(x)).dtype == tf.int32
    m = np.array([[3, 1, 2], [0, 5, 5]])
    assert tf.sort(tf.constant(m), axis=0, direction="DESCENDING").numpy().tolist() == [[3, 5, 5], [0, 1, 2]]
    assert tf.argsort(tf.constant(m), axis=0).numpy().tolist() == [[1, 0, 0], [0, 1, 1]]
    assert tf.sort(tf.constant(np.array([3, 0, 255], np.uint8)), direction="DESCENDING").numpy().tolist() == [255, 3, 0]


def test_sort_gradient_and_validation():
    (g,) = grads(lambda t: tf.sort(t) * np.array([1.0, 10.0, 100.0]), [3.0, 1.0, 2.0])
    same(g, [100.0, 1.0, 10.0])
    (g,) = grads(lambda t: tf.sort(t, axis=0, direction="DESCENDING")[0], [[1.0, 4.0], [2.0, 3.0]])
    same(g, [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="direction"):
        tf.sort(f64([1.0]), direction="DESC")
    with pytest.raises(ValueError, match="out of bounds"):
        tf.argsort(f64([1.0]), axis=1)
    with pytest.raises(ValueError, match="scalar"):
        tf.sort(f64([1.0]), axis=[0])


def test_sorting_stays_on_another_backend():
    x = tf.constant(xps.asarray([[2.0, 1.0, 2.0]]))
    strict = type(xps.asarray(1.0))
    for r in (tf.sort(x, direction="DESCENDING"), tf.argsort(x), *tf.math.top_k(x, k=2)):
        assert isinstance(r._value, strict)
    assert tf.argsort(x, direction="DESCENDING").numpy().tolist() == [[0, 2, 1]]
    assert tf.math.top_k(x, k=2).values.numpy().tolist() == [[2.0, 2.0]]


# --------------------------------------------------------------------------- segment sums

def test_segment_sums_values():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    same(tf.math.segment_sum(f64(data), [0, 0, 2]).numpy(), [[4.0, 6.0], [0.0, 0.0], [5.0, 6.0]])
    same(tf.math.segment_mean(f64(data), [0, 0, 1]).numpy(), [[2.0, 3.0], [5.0, 6.0]])
    same(tf.math.unsorted_segment_sum(f64([1.0, 2.0, 3.0, 4.0]), [1, -1, 1, 0], 3).numpy(), [4.0, 4.0, 0.0])
    same(tf.math.unsorted_segment_sum(f64(data), tf.constant([[0, 1], [1, 1], [0, 0]]), 2).numpy(), [12.0, 9.0])
    same(tf.math.unsorted_segment_mean(f64([1.0, 2.0, 4.0]), [1, 0, 1], 3).numpy(), [2.0, 2.5, 0.0])
    same(tf.math.unsorted_segment_sqrt_n(f64([3.0, 1.0]), [0, 0], 1).numpy(), [4 / math.sqrt(2)])
    r = tf.math.unsorted_segment_sum(tf.constant([1, 2, 3]), tf.constant([0, 0, 1], tf.int64), 2)
    assert r.dtype == tf.int32 and r.numpy().tolist() == [3, 3]


def test_segment_sum_gradient_gathers_by_segment_id():
    (g,) = grads(lambda t: tf.math.unsorted_segment_sum(t, [1, -1, 1, 0], 3) * np.array([1.0, 10.0, 100.0]),
                 [1.0, 2.0, 3.0, 4.0])
    same(g, [10.0, 0.0, 10.0, 1.0])  # dropped (negative) ids get 0
    (g,) = grads(lambda t: tf.math.segment_sum(t, [0, 0, 1]) * np.array([[1.0], [5.0]]), [[1.0, 1.0]] * 3)
    same(g, [[1.0, 1.0], [1.0, 1.0], [5.0, 5.0]])


def test_segment_validation():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        tf.math.segment_sum(f64([1.0, 2.0]), [1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=">= 0"):
        tf.math.segment_sum(f64([1.0, 2.0]), [-1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.math.unsorted_segment_sum(f64([1.0, 2.0]), [0, 5], 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not start with"):
        tf.math.unsorted_segment_sum(f64([1.0, 2.0]), [0, 1, 1], 3)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.math.unsorted_segment_sum(f64([1.0]), f64([0.0]), 1)


# --------------------------------------------------------------------------- add_n and friends

def test_add_n_and_accumulate_n():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    same(tf.add_n([a, b, a]).numpy(), [5.0, 8.0])
    assert tf.math.add_n([a]) is a
    ga, gb = grads(lambda x, y: tf.math.add_n([x, y, x]), [1.0, 2.0], [3.0, 4.0])
    same(ga, [2.0, 2.0])
    same(gb, [1.0, 1.0])
    with pytest.raises(ValueError, match="same dtype and shape"):
        tf.add_n([a, f64([1.0])])
    with pytest.raises(ValueError, match="at least one"):
        tf.add_n([])
    same(tf.math.accumulate_n([a, b], shape=[2]).numpy(), [4.0, 6.0])
    with pytest.raises(ValueError, match="does not match"):
        tf.math.accumulate_n([a, b], shape=[3])


def test_small_composites():
    same(tf.math.polyval([f64(2.0), 0.0, 1.0], f64([3.0, -1.0])).numpy(), [19.0, 3.0])
    same(tf.math.lbeta(f64([[1.0, 2.0], [2.0, 3.0]])).numpy(), [math.log(0.5), math.log(1 / 12)])
    assert float(tf.math.zero_fraction(f64([0.0, 1.0, 0.0, 2.0]))) == 0.5
    assert tf.math.invert_permutation(tf.constant([2, 0, 1])).numpy().tolist() == [1, 2, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="permutation"):
        tf.math.invert_permutation(tf.constant([0, 0]))
    assert bool(tf.math.is_non_decreasing([1, 1, 2])) and not bool(tf.math.is_strictly_increasing([1, 1, 2]))
    hits = tf.math.in_top_k(tf.constant([1, 0, 2]), f64([[0.1, 0.9, 0.0], [0.3, 0.7, 0.0], [0.5, 0.5, 0.5]]), 1)
    assert hits.numpy().tolist() == [True, False, True]
    same(tf.math.scalar_mul(2.0, f64([1.0, 3.0])).numpy(), [2.0, 6.0])
    with pytest.raises(ValueError, match="Only scalar multiply"):
        tf.math.scalar_mul(f64([1.0, 2.0]), f64([1.0, 3.0]))


# --------------------------------------------------------------------------- special functions without SciPy

BACKENDS = ["fallback"] + (["scipy"] if math_ops._scipy_special() is not None else [])
ZETA3 = 1.2020569031595942


@pytest.fixture(params=BACKENDS)
def special_backend(request, monkeypatch):
    """Runs a test with SciPy (where installed) and with the NumPy-only fallbacks."""
    if request.param == "fallback":
        monkeypatch.setattr(math_ops, "_SCIPY", [None])
    return request.param


def test_special_functions_known_values(special_backend):
    same(tf.math.erf(f64([0.0, 0.5, -2.0, INF, NAN])).numpy(), [0.0, math.erf(0.5), math.erf(-2.0), 1.0, NAN])
    same(tf.math.erfc(f64([0.5, 10.0])).numpy(), [math.erfc(0.5), math.erfc(10.0)])
    same(tf.math.lgamma(f64([0.5, 10.0, -2.5, 0.0])).numpy(),
         [math.lgamma(0.5), math.lgamma(10.0), math.lgamma(-2.5), INF])
    g = np.euler_gamma
    same(tf.math.digamma(f64([1.0, 0.5, 2.0, -0.5, 0.0, -2.0])).numpy(),
         [-g, -g - 2 * math.log(2.0), 1 - g, 2 - g - 2 * math.log(2.0), INF, INF], rtol=1e-13)
    x = np.array([0.01, 0.3, 1.7, 9.9, 10.1, 250.0, -3.3])
    same(tf.math.digamma(f64(x + 1)).numpy(), tf.math.digamma(f64(x)).numpy() + 1 / x, rtol=1e-12)
    same(tf.math.polygamma(f64([1.0, 2.0, 3.0, 0.0, 1.5]), f64([1.0, 1.0, 1.0, 1.0, 1.0])).numpy(),
         [math.pi ** 2 / 6, -2 * ZETA3, math.pi ** 4 / 15, -g, NAN], rtol=1e-13)
    same(tf.math.polygamma(f64(1.0), f64(-0.5)).numpy(), math.pi ** 2 / 2 + 4, rtol=1e-12)  # reflection
    same(tf.math.zeta(f64([2.0, 4.0, 3.0, 2.0, 1.0, 0.5, 2.5]), f64([1.0, 1.0, 2.0, -0.5, 1.0, 1.0, -1.5])).numpy(),
         [math.pi ** 2 / 6, math.pi ** 4 / 90, ZETA3 - 1, math.pi ** 2 / 2 + 4, INF, NAN, NAN], rtol=1e-13)
    same(tf.math.zeta(f64(2.0), f64([0.0, -2.0])).numpy(), [INF, INF])


def test_inverse_error_functions(special_backend):
    y = np.array([-0.999, -0.3, 0.0, 1e-20, 0.5, 0.9999999, 1.0, -1.0, 1.5])
    x = tf.math.erfinv(f64(y)).numpy()
    with np.errstate(invalid="ignore"):
        same(np.vectorize(math.erf)(x[:6]), y[:6], rtol=1e-14)
    assert x[6] == INF and x[7] == -INF and np.isnan(x[8])
    same(x[3], 1e-20 * math.sqrt(math.pi) / 2, rtol=1e-14)
    p = np.array([1e-300, 1e-10, 0.025, 0.5, 0.975, 1 - 1e-12])
    z = tf.math.ndtri(f64(p)).numpy()
    same(0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2)), p, rtol=1e-12)
    assert tf.math.ndtri(f64([0.0, 1.0])).numpy().tolist() == [-INF, INF]


def test_fallback_accuracy_on_a_grid():
    """The NumPy-only series against the exact `math` functions and identities, across the real line."""
    x = np.concatenate([np.linspace(-30.3, 30.3, 607) + 0.0137, np.geomspace(1e-8, 1e4, 60)])
    same(math_ops._lgamma_fb(x), [math.lgamma(v) for v in x], rtol=1e-13)
    d = math_ops._digamma_fb(x)
    # digamma(x + 1) - digamma(x) = 1 / x, and digamma(1 - x) - digamma(x) = pi cot(pi x)
    np.testing.assert_allclose(math_ops._digamma_fb(x + 1) - d, 1 / x, rtol=1e-9, atol=1e-12)
    xs = x[np.abs(x - np.round(x)) > 1e-3]
    np.testing.assert_allclose(math_ops._digamma_fb(1 - xs) - math_ops._digamma_fb(xs), np.pi / np.tan(np.pi * xs),
                               rtol=1e-10, atol=1e-10)
    q = np.linspace(0.05, 40.0, 120)
    for s in (1.5, 2.0, 3.0, 7.0, 25.0):
        # zeta(s, q) - zeta(s, q + 1) = q ** -s
        np.testing.assert_allclose(math_ops._zeta_fb(s, q) - math_ops._zeta_fb(s, q + 1), q ** -s, rtol=1e-11)


def test_special_functions_on_another_backend():
    x = tf.constant(xps.asarray([0.5, 1.5]))
    for op in (tf.math.erf, tf.math.lgamma, tf.math.digamma):
        r = op(x)
        assert isinstance(r._value, type(xps.asarray(1.0)))
        same(r.numpy(), op(f64([0.5, 1.5])).numpy())


# --------------------------------------------------------------------------- namespaces and docs

def test_namespaces():
    top = set(math_ops.__all__)
    assert {"exp", "cumsum", "sort", "argsort", "add_n", "reduce_logsumexp", "clip_by_value", "round"} <= top
    for name in top - {"realdiv"}:  # tapegrad/__init__.py rebinds tf.realdiv to divide (issue reported)
        assert getattr(tf, name) is getattr(math_ops, name), name
    for name in ("top_k", "cumprod", "segment_sum", "xlogy", "reduce_std", "erf", "lgamma", "count_nonzero",
                 "is_nan", "divide_no_nan", "log_sigmoid", "softplus", "rsqrt", "expm1", "ceil", "conj"):
        assert callable(getattr(tf.math, name)), name
        assert name not in top, f"{name} is tf.math.{name} only in TensorFlow"
    assert not hasattr(tf.math, "sort")  # tf.sort, not tf.math.sort


@pytest.mark.parametrize("module", [elementwise, reduce, math_ops], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


# --------------------------------------------------------------------------- segment max/min/prod, scans, counting

def test_segment_extremes_and_products():
    x = f64([1.0, 5.0, 5.0, 2.0, 0.0, 3.0])
    ids = [0, 0, 0, 1, 1, -1]
    same(tf.math.unsorted_segment_max(x, ids, 3).numpy(), [5.0, 2.0, np.finfo(np.float64).min])
    same(tf.math.unsorted_segment_min(x, ids, 3).numpy(), [1.0, 0.0, np.finfo(np.float64).max])
    same(tf.math.unsorted_segment_prod(x, ids, 3).numpy(), [25.0, 0.0, 1.0])
    same(tf.math.segment_max(f64([2.0, 5.0, 3.0]), [0, 0, 2]).numpy(), [5.0, 0.0, 3.0])  # missing ids: 0
    same(tf.math.segment_min(f64([2.0, 5.0, 3.0]), [0, 0, 2]).numpy(), [2.0, 0.0, 3.0])
    same(tf.math.segment_prod(f64([2.0, 5.0, 3.0]), [0, 0, 2]).numpy(), [10.0, 1.0, 3.0])
    assert tf.math.unsorted_segment_max(tf.constant([1, 7]), [0, 0], 2).numpy().tolist() == [7, np.iinfo(np.int32).min]
    same(tf.math.segment_sum_v2(f64([1.0, 2.0]), [0, 0], 3).numpy(), [3.0, 0.0, 0.0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.unsorted_segment_max(x, ids, 1)


def test_segment_extreme_and_product_gradients_follow_tensorflow():
    ids = [0, 0, 0, 1, 1, -1]
    (g,) = grads(lambda t: tf.math.unsorted_segment_max(t, ids, 2) * np.array([1.0, 10.0]),
                 [1.0, 5.0, 5.0, 2.0, 0.0, 3.0])
    same(g, [0.0, 0.5, 0.5, 10.0, 0.0, 0.0])  # ties share the gradient equally; dropped ids get none
    (g,) = grads(lambda t: tf.math.unsorted_segment_prod(t, [0, 0, 0, 1, 1, 2, 2], 3),
                 [1.0, 5.0, 5.0, 2.0, 0.0, 0.0, 0.0])
    same(g, [25.0, 5.0, 5.0, 0.0, 2.0, 0.0, 0.0])  # one zero: only it gets the others' product; two: nothing
    check_gradients(lambda t: tf.math.unsorted_segment_prod(t, [0, 1, 0, 1], 2), [[0.5, 0.0, -1.5, 2.0]], order=2)


def test_cumulative_logsumexp():
    x = np.array([[0.0, 1.0, -2.0, 800.0], [3.0, -INF, 0.5, 1.0]])
    want = np.logaddexp.accumulate(x, axis=1)
    same(tf.math.cumulative_logsumexp(f64(x), axis=1).numpy(), want)
    same(tf.math.cumulative_logsumexp(f64(x), axis=1, reverse=True).numpy(),
         np.flip(np.logaddexp.accumulate(np.flip(x, 1), axis=1), 1))
    excl = tf.math.cumulative_logsumexp(f64(x), axis=1, exclusive=True).numpy()
    same(excl, np.concatenate([np.full((2, 1), -INF), want[:, :-1]], axis=1))
    v = np.array([0.3, -1.0, 2.0])
    (g,) = grads(lambda t: tf.math.cumulative_logsumexp(t) * np.array([1.0, -2.0, 3.0]), v)
    out = np.logaddexp.accumulate(v)
    jac = np.tril(np.exp(v[None, :] - out[:, None]))
    same(g, np.array([1.0, -2.0, 3.0]) @ jac, rtol=1e-10)
    same(jvp(tf.math.cumulative_logsumexp, v, [1.0, 0.5, -1.0]), jac @ np.array([1.0, 0.5, -1.0]), rtol=1e-10)
    (g,) = grads(lambda t: tf.math.cumulative_logsumexp(t, exclusive=True), v)
    assert np.all(np.isfinite(g))


def test_bincount_and_confusion_matrix():
    assert tf.math.bincount(tf.constant([1, 1, 3])).numpy().tolist() == [0, 2, 0, 1]
    assert tf.math.bincount(tf.constant([1, 1, 3]), minlength=6, maxlength=3).numpy().tolist() == [0, 2, 0]
    same(tf.math.bincount(tf.constant([1, 1, 3]), weights=f64([0.5, 1.0, 2.0])).numpy(), [0.0, 1.5, 0.0, 2.0])
    assert tf.math.bincount(tf.constant([[1, 1], [0, 2]]), axis=-1, binary_output=True).numpy().tolist() == \
        [[0, 1, 0], [1, 0, 1]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        tf.math.bincount(tf.constant([-1]))
    cm = tf.math.confusion_matrix([0, 1, 1], [1, 1, 0], num_classes=3)
    assert cm.dtype == tf.int32 and cm.numpy().tolist() == [[0, 1, 0], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.confusion_matrix([0, 3], [0, 1], num_classes=3)


def test_erfcinv_and_approx_k():
    z = tf.math.erfcinv(f64([0.5, 1.0, 1e-10])).numpy()
    same(np.vectorize(math.erfc)(z), [0.5, 1.0, 1e-10], rtol=1e-12)
    vals, idx = tf.math.approx_max_k(f64([[1.0, 9.0], [4.0, 2.0], [7.0, 0.0]]), 2, reduction_dimension=0)
    same(vals.numpy(), [[7.0, 9.0], [4.0, 2.0]])
    assert idx.numpy().tolist() == [[2, 0], [1, 1]]
    vals, idx = tf.math.approx_min_k(f64([3.0, 1.0, 2.0]), 2)
    assert idx.numpy().tolist() == [1, 2]
    (g,) = grads(lambda t: tf.math.approx_max_k(t, 1, reduction_dimension=0)[0], [[1.0, 9.0], [4.0, 2.0]])
    same(g, [[0.0, 1.0], [1.0, 0.0]])


def test_nn_functions_are_reachable_in_tf_math_and_softplus_takes_features():
    assert tf.math.softmax is tf.nn.softmax and tf.math.log_softmax is tf.nn.log_softmax
    same(tf.math.softplus(features=f64([0.0])).numpy(), [math.log(2.0)])


def test_importing_tapegrad_does_not_import_scipy():
    import subprocess
    import sys

    code = "import sys, tapegrad as tf; tf.math.erf(tf.constant(0.5)) if False else None; " \
           "print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
