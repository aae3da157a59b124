"""tf.autodiff.ForwardAccumulator: TensorFlow's documented examples (forwardprop.py, TF 2.21) with their
documented outputs, nesting with tapes and other accumulators, TensorFlow's errors, and memory."""

import gc
import weakref

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients


def _dense_params(seed=0):
    r = np.random.default_rng(seed)
    return (tf.Variable(r.standard_normal((2, 1)).astype(np.float32), name="kernel"),
            tf.Variable(np.zeros(1, np.float32), name="bias"))


def test_doc_linear_regression_jvp_equals_the_directional_gradient():
    x = tf.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tf.constant([[1.0], [-1.0]])
    kernel, bias = _dense_params()
    with tf.autodiff.ForwardAccumulator(primals=kernel, tangents=tf.constant([[1.0], [0.0]])) as acc:
        loss = tf.reduce_sum((tf.matmul(x, kernel) + bias - targets) ** 2.0)
    jvp = acc.jvp(loss)
    assert jvp.shape == () and jvp.dtype == tf.float32
    resid = x.numpy() @ kernel.numpy() + bias.numpy() - targets.numpy()
    np.testing.assert_allclose(float(jvp), float(np.sum(2 * resid[:, 0] * x.numpy()[:, 0])), rtol=1e-6)


def test_doc_forward_columns_equal_the_backprop_row():
    x = tf.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tf.constant([[1.0], [-1.0]])
    kernel, bias = _dense_params(1)

    def loss_fn():
        return tf.reduce_sum((tf.matmul(x, kernel) + bias - targets) ** 2.0)

    kernel_fprop = []
    with tf.autodiff.ForwardAccumulator(kernel, tf.constant([[1.0], [0.0]])) as acc:
        kernel_fprop.append(acc.jvp(loss_fn()))
    with tf.autodiff.ForwardAccumulator(kernel, tf.constant([[0.0], [1.0]])) as acc:
        kernel_fprop.append(acc.jvp(loss_fn()))
    with tf.autodiff.ForwardAccumulator(bias, tf.constant([1.0])) as acc:
        bias_fprop = acc.jvp(loss_fn())
    with tf.GradientTape() as tape:
        loss = loss_fn()
    kernel_grad, bias_grad = tape.gradient(loss, (kernel, bias))
    np.testing.assert_allclose(kernel_grad, tf.stack(kernel_fprop)[:, tf.newaxis], rtol=1e-6)
    np.testing.assert_allclose(bias_grad, bias_fprop[tf.newaxis], rtol=1e-6)


def test_doc_nested_accumulators_give_higher_order_from_the_outer_one():
    primal = tf.constant(1.1)
    with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.0)) as inner:
            primal_out = primal ** tf.constant(3.5)
    inner_jvp = inner.jvp(primal_out)
    assert repr(inner_jvp) == "<tf.Tensor: shape=(), dtype=float32, numpy=4.4417057>"  # 3.5 * 1.1 ** 2.5
    assert repr(outer.jvp(inner_jvp)) == "<tf.Tensor: shape=(), dtype=float32, numpy=10.094786>"
    # "Reversing the collection ... will not work": inner accumulators do not see outer JVP work.
    assert inner.jvp(outer.jvp(primal_out)) is None


def test_doc_forward_over_backward_hessian_vector_product():
    v = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v ** 3.0)
        backward = tape.gradient(y, v)
    assert repr(backward) == \
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([ 3., 12.], dtype=float32)>"
    assert repr(acc.jvp(backward)) == \
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([6., 0.], dtype=float32)>"


def test_a_tape_inside_an_accumulator_ignores_its_jvp_work():
    x = tf.constant([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        jvp = acc.jvp(y)
    assert tape.gradient(jvp, x) is None  # TensorFlow: more deeply nested tapes ignore outer accumulators
    np.testing.assert_array_equal(jvp.numpy(), [2.0, 0.0])


def test_an_accumulator_inside_a_tape_is_differentiated_reverse_over_forward():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
            y = x * x * x
        jvp = acc.jvp(y)
    np.testing.assert_array_equal(jvp.numpy(), [3.0, 0.0])
    np.testing.assert_array_equal(tape.gradient(jvp, x).numpy(), [6.0, 0.0])


def test_third_order_with_three_nested_accumulators():
    x = tf.constant(1.5, tf.float64)
    one = tf.constant(1.0, tf.float64)
    with tf.autodiff.ForwardAccumulator(x, one) as a3:
        with tf.autodiff.ForwardAccumulator(x, one) as a2:
            with tf.autodiff.ForwardAccumulator(x, one) as a1:
                y = tf.sin(x) * x ** 4
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a3.jvp(d2)
    s, c, xv = np.sin(1.5), np.cos(1.5), 1.5
    np.testing.assert_allclose(float(d1), c * xv**4 + 4 * s * xv**3)
    np.testing.assert_allclose(float(d2), -s * xv**4 + 8 * c * xv**3 + 12 * s * xv**2)
    np.testing.assert_allclose(float(d3), -c * xv**4 - 12 * s * xv**3 + 36 * c * xv**2 + 24 * s * xv)


def test_forward_over_reverse_hessian_equals_nested_tapes():
    x = tf.constant(np.linspace(-2, 2, 6))

    def f(v):
        return tf.reduce_sum(tf.sin(v) * v ** 2) + tf.reduce_sum(v) ** 2

    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x).numpy()
    cols = []
    for i in range(6):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(np.eye(6)[i])) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = f(x)
            g = tape.gradient(y, x)
        cols.append(acc.jvp(g).numpy())
    np.testing.assert_allclose(np.stack(cols, axis=1), h, rtol=1e-12)


def test_jvp_lookup_rules():
    x = tf.constant([1.0, 2.0])
    z = tf.constant(3.0)
    acc = tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0]))
    np.testing.assert_array_equal(acc.jvp(x).numpy(), [1.0, 0.0])  # before entering: the given tangent
    with acc:
        y = z * 2.0
        w = x * 2.0
        s = tf.stop_gradient(x) * 2.0
        i = tf.cast(x, tf.int32)
        back = tf.cast(i, tf.float32)
    assert acc.jvp(y) is None and acc.jvp(s) is None and acc.jvp(i) is None and acc.jvp(back) is None
    zero = acc.jvp(y, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zero.shape == () and float(zero) == 0.0
    got = acc.jvp([x, {"k": y, "w": w}])
    assert isinstance(got, list) and got[1]["k"] is None
    np.testing.assert_array_equal(got[1]["w"].numpy(), [2.0, 0.0])
    after = x * 3.0  # outside the context: no tangent
    assert acc.jvp(after) is None
    with acc:  # entering again resumes
        again = x * 3.0
    np.testing.assert_array_equal(acc.jvp(again).numpy(), [3.0, 0.0])
    with pytest.raises(ValueError):
        acc.jvp(x, unconnected_gradients="bogus")


def test_variable_primals_and_integer_primals():
    v = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        y = v * v
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 0.0])
    np.testing.assert_array_equal(acc.jvp(v).numpy(), [1.0, 0.0])
    xi = tf.constant([1, 2])
    with tf.autodiff.ForwardAccumulator(xi, tf.constant([1, 0])) as acc:
        yi = xi * 2
    assert acc.jvp(yi) is None
    assert acc.jvp(xi).dtype == tf.int32


def test_complex_tangents_are_holomorphic():
    xc = tf.constant([1.0 + 1.0j], tf.complex64)
    with tf.autodiff.ForwardAccumulator(xc, tf.constant([1.0j], tf.complex64)) as acc:
        y = xc * xc
    np.testing.assert_allclose(acc.jvp(y).numpy(), [-2.0 + 2.0j])


def test_constructor_errors_match_tensorflow():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="specified as a primal multiple times"):
        tf.autodiff.ForwardAccumulator([x, x], [x, x])
    with pytest.raises(ValueError, match="same nested structure"):
        tf.autodiff.ForwardAccumulator([x], [x, x])
    with pytest.raises(ValueError, match="same nested structure"):
        tf.autodiff.ForwardAccumulator(x, [1.0, 0.0])  # a list is a structure, not a tensor (as in TF)
    with pytest.raises(ValueError):
        tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(ValueError, match="shape"):
        tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError):
        tf.autodiff.ForwardAccumulator(1.0, 1.0)
    acc = tf.autodiff.ForwardAccumulator({"a": x, "b": [x * 1.0]}, {"a": np.ones(2, np.float32), "b": [x]})
    with acc:
        with pytest.raises(ValueError, match="already recording"):
            acc.__enter__()
    z = tf.constant(5.0)
    with tf.autodiff.ForwardAccumulator(z, 3.0) as acc:  # a Python float tangent takes the primal's dtype
        pass
    assert acc.jvp(z).dtype == tf.float32 and float(acc.jvp(z)) == 3.0


def test_tangents_of_dead_intermediates_are_released():
    x = tf.constant(np.linspace(0, 1, 1000))
    with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)) as acc:
        h = x
        for _ in range(50):
            h = tf.sin(h) * 1.01
        mid = tf.exp(h)
        mid_t = acc.jvp(mid)
        ref = weakref.ref(mid_t)
        out = tf.tanh(mid)
    del mid, mid_t, h
    gc.collect()
    assert ref() is None, "the accumulator still holds the tangent of a dead intermediate"
    assert len(acc._tangents) <= 3  # the primal's and out's (and nothing from the 100-op chain)
    assert acc.jvp(out) is not None


def test_custom_gradient_forward_mode_transposes_grad_fn():
    @tf.custom_gradient
    def cube(v):
        return v * v * v, lambda dy: dy * 3.0 * v * v

    check_gradients(lambda v: cube(tf.sin(v)), [np.array([0.3, -0.7])], order=2)
    x = tf.constant([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 1.0])) as acc:
        y = cube(x)
    np.testing.assert_allclose(acc.jvp(y).numpy(), [3.0, 12.0])


def test_forward_mode_orders_one_and_two_through_a_small_network():
    r = np.random.default_rng(0)
    w1, w2 = r.standard_normal((3, 4)), r.standard_normal((4, 2))

    def net(x, a, b):
        return tf.reduce_sum(tf.tanh(tf.matmul(tf.nn.sigmoid(tf.matmul(x, a)), b)) ** 2, axis=1)

    check_gradients(net, [r.standard_normal((2, 3)), w1, w2], order=2, modes=("fwd", "rev"))


def test_docstring_examples_run():
    import doctest

    import tapegrad._core.forward as forward

    result = doctest.testmod(forward, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
