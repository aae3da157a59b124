"""Parity with TensorFlow 2.21: `tf.recompute_grad` (tensorflow/python/ops/custom_gradient.py): its documented
example (with a call counter for `tf.print`), gradients through checkpointed MLP blocks, its argument and
variable handling, Jacobians through it; and the one deliberate difference (higher order and forward mode)."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
from guide_harness import catch, compare  # noqa: E402

import tapegrad as tg  # noqa: E402

KNOWN_DIFFERENCES = {
    name: ("TensorFlow raises NotImplementedError ('recompute_grad tried to transpose grad of f. Consider not "
           "using recompute_grad in forward mode autodiff'); tapegrad differentiates the recomputation and "
           "returns the plain function's derivatives (checked against TensorFlow on the plain function in "
           "test_higher_order_equals_the_plain_function)")
    for name in ("test_program[second order]", "test_program[forward mode]")
}


def doc_example(tf):
    calls = []
    y = tf.Variable(1.0)

    def my_function(x):
        calls.append("running")
        return x * y

    my_function_recompute = tf.recompute_grad(my_function)
    with tf.GradientTape() as tape:
        r = tf.constant(1.0)
        for _ in range(4):
            r = my_function_recompute(r)
    forward_calls = len(calls)
    grad = tape.gradient(r, [y])
    calls_ckpt = (forward_calls, len(calls))
    calls.clear()
    with tf.GradientTape() as tape:
        r = tf.constant(1.0)
        for _ in range(4):
            r = my_function(r)
    forward_calls = len(calls)
    grad_plain = tape.gradient(r, [y])
    return grad, calls_ckpt, grad_plain, (forward_calls, len(calls)), my_function_recompute.__wrapped__ is my_function


def mlp_blocks(tf):
    r = np.random.default_rng(0)
    params = [(tf.Variable((r.standard_normal((8, 8)) / 3).astype(np.float32)),
               tf.Variable((r.standard_normal(8) * 0.1).astype(np.float32))) for _ in range(3)]

    def block(h):
        for w, b in params:
            h = tf.nn.relu(tf.matmul(h, w) + b) + h
        return h

    ckpt = tf.recompute_grad(block)
    x = tf.constant(r.standard_normal((4, 8)).astype(np.float32))
    out = []
    for fn in (block, ckpt):
        with tf.GradientTape() as tape:
            tape.watch(x)
            h = fn(fn(x))
            loss = tf.reduce_mean(h ** 2)
        out.append((loss, tape.gradient(loss, [x] + [v for wb in params for v in wb])))
    return out


def arguments_and_outputs(tf):
    w = tf.Variable(2.0)
    frozen = tf.Variable(3.0, trainable=False)
    g_multi = tf.recompute_grad(lambda a, b: (a * b, a + b))
    g_kw = tf.recompute_grad(lambda a, scale=1.0: a * scale)
    g_int = tf.recompute_grad(lambda a: (a * w, tf.constant(1)))
    g_var = tf.recompute_grad(lambda a: a * w * frozen)
    g_dict_in = tf.recompute_grad(lambda d: d["a"] * d["b"])
    g_nested_out = tf.recompute_grad(lambda a: [a * 2.0, {"k": a * 3.0}])
    a, b = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        p, s = g_multi(a, b)
        z_multi = p * s
        z_kw = g_kw(a, scale=3.0)
        z_int, i = g_int(a)
        z_var = g_var(a)
        z_dict = g_dict_in({"a": a, "b": b})
        z_nested = g_nested_out(a)
    with tf.GradientTape() as tape2:
        z_unwatched = g_var(a)
    return (tape.gradient(z_multi, [a, b]), tape.gradient(z_kw, a), (tape.gradient(z_int, [a, w]), i),
            tape.gradient(z_var, [a, w, frozen]), tape.gradient(z_dict, [a, b]),
            (z_nested, tape.gradient(z_nested, a)), tape2.gradient(z_unwatched, [a, w]))


def jacobian_through_checkpoint(tf):
    w = tf.Variable(2.0)
    g = tf.recompute_grad(lambda x: tf.sin(x * w) * x)
    x = tf.constant([0.5, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = g(x)
    return tape.jacobian(y, x)


def _sin_block(tf):
    w = tf.Variable(2.0)
    return tf.recompute_grad(lambda x: tf.sin(x * w) * x)


def second_order(tf):
    g = _sin_block(tf)
    x = tf.constant([0.5, 1.0])

    def run():
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = g(x)
            dx = t1.gradient(y, x)
        return t2.gradient(dx, x)

    return catch(run)


def forward_mode(tf):
    g = _sin_block(tf)
    x = tf.constant([0.5, 1.0])

    def run():
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
            y = g(x)
        return acc.jvp(y)

    return catch(run)


PROGRAMS = {
    "documented example": doc_example,
    "checkpointed MLP blocks": mlp_blocks,
    "arguments and outputs": arguments_and_outputs,
    "jacobian through a checkpoint": jacobian_through_checkpoint,
    "second order": second_order,
    "forward mode": forward_mode,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program(name):
    program = PROGRAMS[name]
    compare(program(tf_real), program(tg), name)


def test_higher_order_equals_the_plain_function():
    """tapegrad's second order and forward mode through recompute_grad equal TensorFlow's on the plain function."""
    def plain(tf):
        w = tf.Variable(2.0)
        return lambda x: tf.sin(x * w) * x

    def second(tf, block):
        x = tf.constant([0.5, 1.0])
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = block(x)
            dx = t1.gradient(y, x)
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
            y = block(x)
        return t2.gradient(dx, x), acc.jvp(y)

    compare(second(tf_real, plain(tf_real)), second(tg, tg.recompute_grad(plain(tg))), "higher order")
