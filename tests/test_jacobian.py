"""GradientTape.jacobian / batch_jacobian: one batched backward sweep, equal to the row-by-row loop."""

import numpy as np
import pytest

import tapegrad as tf


def _w5(n=6, seed=0):
    r = np.random.default_rng(seed)
    return tf.constant(r.standard_normal((n, n))), tf.constant(r.standard_normal(n))


def _record(W, x, persistent):
    tape = tf.GradientTape(persistent=persistent)
    with tape:
        tape.watch(x)
        y = tf.tanh(tf.linalg.matvec(W, x))
    return tape, y


def test_jacobian_matches_closed_form_and_the_loop():
    W, x = _w5()
    ref = (1 - np.tanh(W.numpy() @ x.numpy()) ** 2)[:, None] * W.numpy()
    tape, y = _record(W, x, persistent=True)
    vec = tape.jacobian(y, x)
    loop = tape.jacobian(y, x, experimental_use_pfor=False)
    chunked = tape.jacobian(y, x, parallel_iterations=4)
    assert vec.shape == (6, 6)
    np.testing.assert_allclose(vec.numpy(), ref, rtol=1e-12)
    np.testing.assert_array_equal(vec.numpy(), loop.numpy())
    np.testing.assert_array_equal(vec.numpy(), chunked.numpy())


def test_jacobian_nested_sources_and_shapes():
    x = tf.constant(np.arange(6.0).reshape(2, 3))
    v = tf.Variable([1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x, axis=1) * v
    jx, jv = tape.jacobian(y, [x, v])
    assert jx.shape == (2, 2, 3) and jv.shape == (2, 2)
    np.testing.assert_array_equal(jx.numpy()[0], [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(jx.numpy()[1], [[0, 0, 0], [2, 2, 2]])
    np.testing.assert_array_equal(jv.numpy(), np.diag([3.0, 12.0]))
    d = tape.jacobian(y, {"a": x})
    assert set(d) == {"a"} and d["a"].shape == (2, 2, 3)


def test_hessian_through_nested_tapes_matches_closed_form():
    x = tf.constant(np.linspace(-2, 2, 7))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            f = tf.reduce_sum(tf.sin(x) * x ** 2)
        g = inner.gradient(f, x)
    h = outer.jacobian(g, x)
    xn = x.numpy()
    d2 = -np.sin(xn) * xn ** 2 + 4 * xn * np.cos(xn) + 2 * np.sin(xn)
    np.testing.assert_allclose(h.numpy(), np.diag(d2), atol=1e-12)


def test_unconnected_sources():
    x, z = tf.constant([1.0, 2.0]), tf.constant([3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    assert tape.jacobian(y, z) is None
    zero = tape.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zero.shape == (2, 1) and not zero.numpy().any()


def test_non_persistent_tape_allows_one_jacobian_and_loop_needs_persistence():
    W, x = _w5()
    tape, y = _record(W, x, persistent=False)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.jacobian(y, x, experimental_use_pfor=False)
    tape.jacobian(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, x)


def test_batch_jacobian_matches_per_example_jacobians():
    r = np.random.default_rng(3)
    x = tf.constant(r.standard_normal((4, 3)))
    W = tf.constant(r.standard_normal((3, 2)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.tanh(tf.matmul(x, W))
    bj = tape.batch_jacobian(y, x)
    full = tape.jacobian(y, x).numpy()  # (4, 2, 4, 3)
    assert bj.shape == (4, 2, 3)
    for i in range(4):
        np.testing.assert_allclose(bj.numpy()[i], full[i, :, i, :], rtol=1e-12)
    np.testing.assert_array_equal(bj.numpy(), tape.batch_jacobian(y, x, experimental_use_pfor=False).numpy())
    np.testing.assert_array_equal(bj.numpy(), tape.batch_jacobian(y, x, parallel_iterations=1).numpy())


def test_batch_jacobian_rejects_mismatched_batch_dimensions():
    x = tf.constant(np.ones((3, 2)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x)
    with pytest.raises(ValueError, match="first dimension"):
        tape.batch_jacobian(y, x)


def test_jacobian_of_a_float32_target_is_float32():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.exp(x)
    j = tape.jacobian(y, x)
    assert j.dtype == tf.float32
    np.testing.assert_allclose(j.numpy(), np.diag(np.exp([1.0, 2.0, 3.0])), rtol=1e-6)
