"""tf.custom_gradient as tensorflow/python/ops/custom_gradient.py defines it in eager mode: `f` runs recorded,
its outputs get `grad_fn` as their gradient, `grad_fn(*upstream, variables=...)` when `f` reads variables,
nested custom gradients honoured at second order, multiple inputs and outputs."""

import numpy as np
import pytest

import tapegrad as tf


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), b, rtol=tol, atol=tol)


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(dy):
        return dy * (1 - 1 / (1 + e))

    return tf.math.log(1 + e), grad


@np.errstate(over="ignore", invalid="ignore")
def test_tensorflow_docs_log1pexp_is_stable():
    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    close(tape.gradient(y, x), 1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        naive = tf.math.log(1 + tf.exp(x))
    assert np.isnan(tape.gradient(naive, x).numpy())  # what the custom gradient avoids


def test_the_custom_gradient_replaces_the_real_one():
    @tf.custom_gradient
    def doubled_grad(x):
        def grad(dy):
            return 2.0 * dy

        return tf.identity(x), grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(doubled_grad(x * 3.0))
    close(tape.gradient(y, x), [6.0, 6.0])


def test_second_order_through_tensors_grad_fn_closes_over():
    # grad_fn uses e = exp(x), computed inside f: f's ops are recorded, so the outer tape sees e depend on x.
    x = tf.constant(0.5)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = log1pexp(x)
        g = inner.gradient(y, x)
    s = 1 / (1 + np.exp(-0.5))
    close(g, s)
    close(outer.gradient(g, x), s * (1 - s), 1e-6)


def test_tensorflow_docs_nested_custom_gradient_is_honoured_at_second_order():
    calls = []

    def fused_op(x):
        return x ** 3, 3.0 * x ** 2

    @tf.custom_gradient
    def op_with_fused_backprop(x):
        y, x_grad = fused_op(x)

        def first_order_gradient(dy):
            @tf.custom_gradient
            def first_order_custom(unused_x, upstream):
                def second_order_and_transpose(ddy):
                    calls.append("second")
                    return ddy * upstream * 6.0 * x, ddy * x_grad  # d/dx and d/d(upstream) of upstream * 3x^2

                return upstream * x_grad, second_order_and_transpose

            calls.append("first")
            return first_order_custom(x, dy)

        return y, first_order_gradient

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = op_with_fused_backprop(x)
        g = inner.gradient(y, x)
    close(y, 8.0)
    close(g, 12.0)
    close(outer.gradient(g, x), 12.0)
    assert calls == ["first", "second"]


def test_a_custom_second_order_rule_is_used_rather_than_differentiating_grad_fn():
    @tf.custom_gradient
    def f(x):
        def grad(dy):
            @tf.custom_gradient
            def inner(x_):
                def grad2(ddy):
                    return ddy * 100.0  # deliberately not the true second derivative

                return 2.0 * x_, grad2

            return dy * inner(x)

        return x * x, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        g = t.gradient(y, x)
    close(g, 6.0)
    close(outer.gradient(g, x), 100.0)


def test_multiple_inputs_and_outputs():
    @tf.custom_gradient
    def f(x, y):
        def grad(da, db):
            return da * y + db, da * x + db

        return (x * y, x + y), grad

    x, y = tf.constant(2.0), tf.constant(5.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        a, b = f(x, y)
        s = a + 3.0 * b
    assert isinstance(a, tf.Tensor) and isinstance(b, tf.Tensor)
    close(tape.gradient(s, [x, y]), [5.0 + 3.0, 2.0 + 3.0])
    close(tape.gradient(a, [x, y]), [5.0, 2.0])  # b's upstream gradient is zeros
    close(tape.gradient([a, b], [x, y], output_gradients=[2.0, 10.0]), [20.0, 14.0])


def test_nested_result_structure_and_keyword_arguments():
    @tf.custom_gradient
    def f(x, scale=1.0):
        def grad(d1, d2):
            return d1 * scale + d2 * 2.0 * x

        return {"lin": x * scale, "sq": x * x}, grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = f(x, scale=3.0)
        s = tf.reduce_sum(out["lin"]) + tf.reduce_sum(out["sq"])
    assert set(out) == {"lin", "sq"}
    close(tape.gradient(s, x), [3.0 + 2.0, 3.0 + 4.0])


def test_grad_fn_may_return_none_for_an_input():
    @tf.custom_gradient
    def f(x, y):
        def grad(dy):
            return dy * y, None

        return x * y, grad

    x, y = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = f(x, y)
    gx, gy = tape.gradient(z, [x, y])
    close(gx, 3.0)
    assert gy is None


def test_variables_read_inside_f_are_passed_to_grad_fn():
    w = tf.Variable(3.0, name="w")
    seen = []

    @tf.custom_gradient
    def f(x):
        def grad(dy, variables=None):
            seen.append([v.name for v in variables])
            return dy * w, [dy * x * 10.0]  # a marker factor: the variable's gradient comes from here

        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    gx, gw = tape.gradient(y, [x, w])
    assert seen == [["w:0"]]
    close(gx, 3.0), close(gw, 20.0)


def test_variables_are_also_accepted_through_kwargs():
    w = tf.Variable(2.0)

    @tf.custom_gradient
    def f(x):
        def grad(dy, **kwargs):
            return dy * w, [dy * x]

        return x * w, grad

    x = tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    close(tape.gradient(y, [x, w]), [2.0, 5.0])


def test_grad_fn_without_variables_argument_raises_type_error_when_f_uses_variables():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def f(x):
        def grad(dy):
            return dy * w

        return x * w, grad

    with pytest.raises(TypeError, match="variables"):
        f(tf.constant(1.0))


def test_wrong_number_of_variable_gradients_raises():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def f(x):
        def grad(dy, variables=None):
            return dy * w, []

        return x * w, grad

    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    with pytest.raises(ValueError, match="each variable"):
        tape.gradient(y, x)


def test_wrong_number_of_input_gradients_raises():
    @tf.custom_gradient
    def f(x, y):
        def grad(dy):
            return dy

        return x * y, grad

    x, y = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = f(x, y)
    with pytest.raises(ValueError, match="2 gradients"):
        tape.gradient(z, x)


def test_variables_passed_as_arguments_and_non_trainable_ones_are_not_in_variables():
    v = tf.Variable(2.0)
    frozen = tf.Variable(10.0, trainable=False)

    @tf.custom_gradient
    def f(a):
        def grad(dy):  # no `variables`: a TypeError would say f used some
            return dy * frozen

        return a * frozen, grad

    with tf.GradientTape() as tape:
        y = f(v)
    close(tape.gradient(y, v), 10.0)


def test_f_must_return_a_pair():
    @tf.custom_gradient
    def f(x):
        return x * 2.0

    with pytest.raises(TypeError, match="grad_fn"):
        f(tf.constant(1.0))


def test_decorator_with_parentheses_and_on_methods():
    class Model:
        def __init__(self):
            self.scale = 4.0

        @tf.custom_gradient
        def forward(self, x):
            def grad(dy):
                return dy * self.scale

            return x * self.scale, grad

    @tf.custom_gradient()
    def g(x):
        return tf.identity(x), lambda dy: dy * 7.0

    m = Model()
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = m.forward(x) + g(x)
    close(y, 5.0)
    close(tape.gradient(y, x), 11.0)
    assert Model.forward.__name__ == "forward" and g.__name__ == "g"


def test_without_a_tape_it_just_computes():
    close(log1pexp(tf.constant(0.0)), np.log(2.0))


def test_forward_mode_through_a_custom_gradient_uses_grad_fn():
    @tf.custom_gradient
    def f(x, y):
        def grad(dz):
            return dz * 2.0 * y, dz * 3.0  # deliberately not the true derivative of x * y

        return x * y, grad

    x, y = tf.constant(2.0), tf.constant(5.0)
    with tf.autodiff.ForwardAccumulator([x, y], [tf.constant(1.0), tf.constant(10.0)]) as acc:
        z = f(x, y)
    close(acc.jvp(z), 2.0 * 5.0 * 1.0 + 3.0 * 10.0)


def test_stop_gradient_inside_grad_fn_and_integer_inputs():
    @tf.custom_gradient
    def f(x, n):
        def grad(dy):
            return dy * tf.cast(n, tf.float32), None

        return x * tf.cast(n, tf.float32), grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x, tf.constant(4))
    close(tape.gradient(y, x), 4.0)
