"""Parity with TensorFlow 2.21: `tf.autodiff.ForwardAccumulator`'s documented examples
(tensorflow/python/eager/forwardprop.py), its nesting rules with tapes and other accumulators, and its
argument handling."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
from guide_harness import catch, compare  # noqa: E402

import tapegrad as tg  # noqa: E402


def _kernel(tf, seed=0):
    r = np.random.default_rng(seed)
    return tf.Variable(r.standard_normal((2, 1)).astype(np.float32)), tf.Variable(np.zeros(1, np.float32))


def doc_linear_regression(tf):
    x = tf.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tf.constant([[1.0], [-1.0]])
    kernel, bias = _kernel(tf)
    with tf.autodiff.ForwardAccumulator(primals=kernel, tangents=tf.constant([[1.0], [0.0]])) as acc:
        loss = tf.reduce_sum((tf.matmul(x, kernel) + bias - targets) ** 2.0)
    return loss, acc.jvp(loss)


def doc_columns_and_rows(tf):
    x = tf.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tf.constant([[1.0], [-1.0]])
    kernel, bias = _kernel(tf, 1)

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
    return kernel_fprop, bias_fprop, kernel_grad, bias_grad, tf.stack(kernel_fprop)[:, tf.newaxis]


def doc_nested(tf):
    primal = tf.constant(1.1)
    with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.0)) as inner:
            primal_out = primal ** tf.constant(3.5)
    inner_jvp = inner.jvp(primal_out)
    return inner_jvp, outer.jvp(inner_jvp), inner.jvp(outer.jvp(primal_out))


def doc_hvp(tf):
    v = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v ** 3.0)
        backward = tape.gradient(y, v)
    return backward, acc.jvp(backward)


def tape_inside_accumulator(tf):
    x = tf.constant([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        j = acc.jvp(y)
    return j, tape.gradient(j, x)


def accumulator_inside_tape(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
            y = x * x * x
        j = acc.jvp(y)
    return j, tape.gradient(j, x)


def third_order(tf):
    x = tf.constant(1.5, tf.float64)
    one = tf.constant(1.0, tf.float64)
    with tf.autodiff.ForwardAccumulator(x, one) as a3:
        with tf.autodiff.ForwardAccumulator(x, one) as a2:
            with tf.autodiff.ForwardAccumulator(x, one) as a1:
                y = tf.sin(x) * x ** 4
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    return d1, d2, a3.jvp(d2)


def forward_over_reverse_hessian(tf):
    """The W6 Hessian column by column: an accumulator around a tape, one basis tangent per column."""
    x = tf.constant(np.random.default_rng(7).uniform(-2, 2, 16).astype(np.float32))
    cols = []
    for i in range(16):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(np.eye(16, dtype=np.float32)[i])) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                f = tf.reduce_sum(tf.sin(x) * x ** 2)
            g = tape.gradient(f, x)
        cols.append(acc.jvp(g))
    return tf.stack(cols, axis=1)


def lookups(tf):
    x = tf.constant([1.0, 2.0])
    z = tf.constant(3.0)
    acc = tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0]))
    before = acc.jvp(x)
    with acc:
        y = z * 2.0
        w = x * 2.0
        s = tf.stop_gradient(x) * 2.0
        i = tf.cast(x, tf.int32)
        back = tf.cast(i, tf.float32)
    after = x * 3.0
    with acc:
        again = x * 3.0
    return (before, acc.jvp(y), acc.jvp(y, "zero"), acc.jvp([x, {"k": y, "w": w}]), acc.jvp(s), acc.jvp(i),
            acc.jvp(back), acc.jvp(after), acc.jvp(again), catch(lambda: acc.jvp(x, unconnected_gradients="bogus")))


def primal_kinds(tf):
    v = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        y = v * v
    xi = tf.constant([1, 2])
    with tf.autodiff.ForwardAccumulator(xi, tf.constant([1, 0])) as acc_i:
        yi = xi * 2
    xc = tf.constant([1.0 + 1.0j], tf.complex64)
    with tf.autodiff.ForwardAccumulator(xc, tf.constant([1.0j], tf.complex64)) as acc_c:
        yc = xc * xc
    z = tf.constant(5.0)
    with tf.autodiff.ForwardAccumulator(z, 3.0) as acc_z:
        pass
    return acc.jvp(y), acc.jvp(v), acc_i.jvp(yi), acc_i.jvp(xi), acc_c.jvp(yc), acc_z.jvp(z)


def constructor_errors(tf):
    x = tf.constant([1.0, 2.0])
    FA = tf.autodiff.ForwardAccumulator
    acc = FA(x, tf.constant([1.0, 0.0]))

    def enter_twice():
        with acc:
            with acc:
                pass

    return (catch(lambda: FA([x, x], [x, x])), catch(lambda: FA([x], [x, x])),
            catch(lambda: FA(x, [1.0, 0.0])), catch(lambda: FA(x, tf.constant([1.0, 2.0], tf.float64))),
            catch(enter_twice))


PROGRAMS = {
    "doc linear regression": doc_linear_regression,
    "doc forward columns vs backprop row": doc_columns_and_rows,
    "doc nested accumulators": doc_nested,
    "doc forward-over-backward hvp": doc_hvp,
    "tape inside accumulator": tape_inside_accumulator,
    "accumulator inside tape": accumulator_inside_tape,
    "third order": third_order,
    "forward-over-reverse hessian": forward_over_reverse_hessian,
    "jvp lookups": lookups,
    "primal kinds": primal_kinds,
    "constructor errors": constructor_errors,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program(name):
    program = PROGRAMS[name]
    compare(program(tf_real), program(tg), name)
