"""The core ops and their gradients on tensors wrapping array-api-strict arrays (DESIGN.md, "Backends").

array-api-strict implements the array API standard and nothing else, so any NumPy-only call in an op's
forward, in a VJP or JVP rule, or in the engine fails here. Every op's value, gradient (and JVP) must equal
NumPy's, and every result must still wrap an array-api-strict array (no silent round trip through NumPy).
"""

from __future__ import annotations

import warnings

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf

STRICT = type(xp.asarray(1.0))
RNG = np.random.default_rng(0)
A = RNG.uniform(-2, 2, (3, 4))
B = RNG.uniform(-2, 2, (4,))
C = RNG.uniform(0.5, 2, (3, 4))
M = RNG.uniform(-2, 2, (4, 2))
T3 = RNG.uniform(-2, 2, (2, 3, 4))


@pytest.fixture(autouse=True)
def _no_cross_library_warnings():
    """array-api-strict warns when its dtypes are compared with NumPy's: the core must never do that."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _tensors(arrays, strict):
    return [tf.constant(xp.asarray(a) if strict else np.asarray(a)) for a in arrays]


# name -> (function of tensors, input arrays); every function is differentiable in its float inputs
OPS = {
    "add": (lambda x, y: x + y, [A, B]),
    "sub": (lambda x, y: x - y, [A, B]),
    "mul": (lambda x, y: x * y, [A, B]),
    "div": (lambda x, y: x / y, [A, C]),
    "pow": (lambda x, y: x ** y, [C, B]),
    "mod": (lambda x, y: x % y, [A, C]),
    "floordiv_nondiff": (lambda x, y: (x // y) * x, [A, C]),
    "radd_python": (lambda x: 2.0 + x * 3.0 - 1.0, [A]),
    "rdiv_python": (lambda x: 1.0 / x + x / 2.0, [C]),
    "pow_python": (lambda x: x ** 2 + x ** 3.0, [A]),
    "neg": (lambda x: -x, [A]),
    "abs": (tf.abs, [A]),
    "sign": (lambda x: tf.sign(x) * x, [A]),
    "exp": (tf.exp, [A]),
    "log": (tf.math.log, [C]),
    "log1p": (tf.math.log1p, [C]),
    "sqrt": (tf.sqrt, [C]),
    "square": (tf.square, [A]),
    "sin": (tf.sin, [A]),
    "cos": (tf.cos, [A]),
    "tanh": (tf.tanh, [A]),
    "sigmoid": (tf.sigmoid, [A]),
    "maximum": (tf.maximum, [A, B]),
    "minimum": (tf.minimum, [A, B]),
    "where": (lambda x, y: tf.where(x > 0.5, x, y), [A, B]),
    "identity": (tf.identity, [A]),
    "stop_gradient": (lambda x: tf.stop_gradient(x) * x, [A]),
    "cast": (lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64), [A]),
    "cast_int": (lambda x: tf.cast(tf.cast(x, tf.int32), tf.float64) + x, [A]),
    "reduce_sum": (lambda x: tf.reduce_sum(x, axis=1), [A]),
    "reduce_sum_all": (lambda x: tf.reduce_sum(x), [A]),
    "reduce_sum_axes": (lambda x: tf.reduce_sum(x, axis=[0, 2], keepdims=True), [T3]),
    "reduce_mean": (lambda x: tf.reduce_mean(x, axis=[0, 2]), [T3]),
    "reduce_max": (lambda x: tf.reduce_max(x, axis=0), [A]),
    "reduce_min": (lambda x: tf.reduce_min(x, axis=[1], keepdims=True), [A]),
    "reduce_prod": (lambda x: tf.reduce_prod(x, axis=1), [A]),
    "reduce_prod_zero": (lambda x: tf.reduce_prod(x * tf.constant(xp.asarray(np.eye(3, 4))
                                                                  if isinstance(x._value, STRICT) else np.eye(3, 4)),
                                                  axis=0), [A]),
    "matmul": (tf.matmul, [A, M]),
    "matmul_t": (lambda x, y: tf.matmul(x, y, transpose_a=True, transpose_b=True), [M, A]),
    "matmul_batched": (tf.matmul, [T3, M]),
    "matvec": (tf.linalg.matvec, [A, B]),
    "reshape": (lambda x: tf.reshape(x, [2, -1]), [A]),
    "transpose": (lambda x: tf.transpose(x, [2, 0, 1]), [T3]),
    "expand_squeeze": (lambda x: tf.squeeze(tf.expand_dims(x, 1), axis=1), [A]),
    "broadcast_to": (lambda x: tf.broadcast_to(x, [3, 4]), [B]),
    "concat": (lambda x, y: tf.concat([x, y], axis=0), [A, A[:1]]),
    "stack": (lambda x, y: tf.stack([x, y], axis=1), [B, B[::-1]]),
    "unstack": (lambda x: tf.unstack(x)[1] * 2.0, [A]),
    "fill": (lambda x: tf.fill([2, 3], x), [np.asarray(1.5)]),
    "getitem_basic": (lambda x: x[1, ::2], [A]),
    "getitem_newaxis": (lambda x: x[..., None, -1], [T3]),
    "getitem_negative_step": (lambda x: x[::-1, 1:3], [A]),
    "getitem_int_array": (lambda x: x[np.array([0, 2, 2])], [A]),
    "getitem_advanced": (lambda x: x[np.array([0, 1]), :, np.array([1, 3])], [T3]),
    "zeros_ones_like": (lambda x: x * tf.ones_like(x) + tf.zeros_like(x), [A]),
}


def _run(name, strict, with_grad=True):
    f, arrays = OPS[name]
    xs = _tensors(arrays, strict)
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
        w = tf.constant(xp.asarray(np.linspace(-1, 1, max(y.shape.num_elements(), 1)).reshape(y.shape))
                        if strict else np.linspace(-1, 1, max(y.shape.num_elements(), 1)).reshape(y.shape))
        loss = tf.reduce_sum(y * w)
    grads = tape.gradient(loss, xs, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return y, grads


@pytest.mark.parametrize("name", sorted(OPS))
def test_values_and_gradients_match_numpy(name):
    y_np, g_np = _run(name, strict=False)
    y_st, g_st = _run(name, strict=True)
    assert isinstance(y_st._value, STRICT), f"{name}: the result is a {type(y_st._value).__name__}, not strict"
    assert y_st.dtype == y_np.dtype and y_st.shape == y_np.shape
    np.testing.assert_allclose(y_st.numpy(), y_np.numpy(), rtol=1e-12, atol=1e-12)
    for k, (a, b) in enumerate(zip(g_st, g_np, strict=True)):
        assert isinstance(a._value, STRICT), f"{name}: gradient #{k} is a {type(a._value).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: gradient #{k}")


def _second(strict):
    x = _tensors([A[0]], strict)[0]
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.sin(x) * x ** 3 + tf.exp(x) * tf.reduce_max(x))
        g = inner.gradient(y, x)
        gg = tf.reduce_sum(g * g)
    return g, outer.gradient(gg, x)


def test_nested_tapes_second_derivative():
    g_np, h_np = _second(False)
    g_st, h_st = _second(True)
    assert isinstance(h_st._value, STRICT)
    np.testing.assert_allclose(g_st.numpy(), g_np.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_st.numpy(), h_np.numpy(), rtol=1e-12)


def _hvp(strict):
    """Forward-over-reverse Hessian-vector product."""
    x, v = _tensors([A, A[::-1]], strict)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.tanh(tf.matmul(x, tf.transpose(x))) * 0.5)
        g = tape.gradient(y, x)
    return acc.jvp(g)


def test_forward_mode_and_forward_over_reverse():
    a, b = _hvp(True), _hvp(False)
    assert isinstance(a._value, STRICT)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_dtypes_printing_and_conversions():
    x32 = tf.constant(xp.asarray([1.5, -2.0], dtype=xp.float32))
    assert x32.dtype == tf.float32 and x32.dtype is tf.float32
    assert tf.constant(xp.asarray([1, 2])).dtype == tf.int64
    assert tf.constant(xp.asarray([True])).dtype == tf.bool
    assert str(x32) == str(tf.constant(np.array([1.5, -2.0], np.float32)))
    assert repr(x32) == repr(tf.constant(np.array([1.5, -2.0], np.float32)))
    s = tf.constant(xp.asarray(7.1428576, dtype=xp.float32))
    assert str(s) == "tf.Tensor(7.1428576, shape=(), dtype=float32)"
    assert repr(s) == "<tf.Tensor: shape=(), dtype=float32, numpy=7.1428576>"
    assert float(s) == pytest.approx(7.1428576) and f"{s:.2f}" == "7.14"
    np.testing.assert_array_equal(x32.numpy(), [1.5, -2.0])
    assert isinstance(tf.cast(x32, tf.float64)._value, STRICT)
    assert tf.cast(x32, tf.int32).numpy().tolist() == [1, -2]
    v = tf.Variable(xp.asarray([1.0, 2.0]))
    assert repr(v).startswith("<tf.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    assert tape.gradient(y, v).numpy().tolist() == [2.0, 4.0]


def test_mixed_dtypes_are_rejected_by_name():
    x32 = tf.constant(xp.asarray([1.0], dtype=xp.float32))
    x64 = tf.constant(xp.asarray([1.0], dtype=xp.float64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="float32.*float64"):
        x32 + x64


def test_integer_and_python_operands_stay_on_the_backend():
    i = tf.constant(xp.asarray([1, 2, 3]))
    x = tf.constant(xp.asarray([1.5, -2.0, 3.0]))
    for r, want in [(i + 1, [2, 3, 4]), (1 - i, [0, -1, -2]), (i * 2, [2, 4, 6]), (i // 2, [0, 1, 1]),
                    (i / 2, [0.5, 1.0, 1.5]), (tf.reduce_mean(i), 2), (tf.where(x > 0, x, 0.0), [1.5, 0.0, 3.0]),
                    (tf.where(x > 0), [[0], [2]]), (tf.concat([x, [1.0]], 0), [1.5, -2.0, 3.0, 1.0]),
                    (tf.stack([[0.0, 1.0, 2.0], x]), [[0.0, 1.0, 2.0], [1.5, -2.0, 3.0]])]:
        assert isinstance(r._value, STRICT)
        np.testing.assert_array_equal(r.numpy(), want)
    with pytest.raises(TypeError, match="1.5"):
        i + 1.5
    with pytest.raises(tf.errors.InvalidArgumentError, match="float32"):
        tf.concat([x, tf.constant(xp.asarray([1.0], dtype=xp.float32))], 0)


# --------------------------------------------------------------------------- every registered primitive

from primitive_runs import primitive_cases, run_primitive  # noqa: E402

from tapegrad._core.primitive import REGISTRY  # noqa: E402
from tapegrad.testing import sample_cases  # noqa: E402

CASES = primitive_cases()


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_primitive_matches_numpy(name, index):
    """Each registered primitive's sample: value, JVP and VJP on array-api-strict equal NumPy's."""
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    got, n = run_primitive(prim, args, params, xp.asarray)
    want, _ = run_primitive(prim, args, params, np.asarray)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        what = f"value #{k}" if k < n else f"JVP #{k - n}" if k < 2 * n else f"gradient #{k - 2 * n}"
        assert isinstance(a._value, STRICT), f"{name}: the {what} is a {type(a._value).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: {what}"
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: {what}")
