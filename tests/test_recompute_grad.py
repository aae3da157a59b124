"""tf.recompute_grad (gradient checkpointing): the same gradients as the plain function, nothing of the
function's inside kept on the tape, one recomputation per backward pass (custom_gradient.py, TF 2.21)."""

import gc
import weakref

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

R = np.random.default_rng(0)


def _mlp_params(width=8, depth=3, seed=0):
    r = np.random.default_rng(seed)
    return [(tf.Variable(r.standard_normal((width, width)) / np.sqrt(width), name=f"w{i}"),
             tf.Variable(r.standard_normal(width) * 0.1, name=f"b{i}")) for i in range(depth)]


def _block(params):
    def f(h):
        for w, b in params:
            h = tf.tanh(tf.matmul(h, w) + b)
        return h
    return f


def _grads(fn, x, variables, n_blocks=2):
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for _ in range(n_blocks):
            h = fn(h)
        loss = tf.reduce_sum(h ** 2)
    return loss, tape.gradient(loss, [x] + variables)


def test_gradients_equal_the_plain_function_including_variables():
    params = _mlp_params()
    variables = [v for wb in params for v in wb]
    x = tf.constant(R.standard_normal((4, 8)))
    f = _block(params)
    loss, plain = _grads(f, x, variables)
    loss_rc, ckpt = _grads(tf.recompute_grad(f), x, variables)
    assert float(loss) == float(loss_rc)
    assert len(ckpt) == len(plain) == 1 + 6
    for a, b in zip(plain, ckpt):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-14)


def test_the_tape_keeps_only_inputs_and_outputs():
    kept = []

    def f(x):
        mid = tf.sin(x) * 2.0
        kept.append(weakref.ref(mid))
        return tf.exp(mid)

    g = tf.recompute_grad(f)
    x = tf.constant(np.linspace(0, 1, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = g(g(x))
    assert len(tape._entries) == 2  # one entry per call
    gc.collect()
    assert all(r() is None for r in kept), "an intermediate of the checkpointed function is still alive"
    grad = tape.gradient(y, x).numpy()
    inner = np.exp(2 * np.sin(x.numpy()))
    want = np.exp(2 * np.sin(inner)) * 2 * np.cos(inner) * inner * 2 * np.cos(x.numpy())
    np.testing.assert_allclose(grad, want, rtol=1e-12)


def _held_bytes(tape) -> int:
    """Bytes of the distinct arrays a tape's entries reference (inputs and outputs)."""
    seen, total = set(), 0
    for _prim, args, _params, out in tape._entries:
        for t in list(args) + (list(out) if isinstance(out, tuple) else [out]):
            v = getattr(t, "_value", None)
            if v is not None and id(v) not in seen:
                seen.add(id(v))
                total += np.asarray(v).nbytes
    return total


def test_checkpointing_a_deep_mlp_holds_much_less():
    params = _mlp_params(width=32, depth=4, seed=1)
    f = _block(params)
    x = tf.constant(R.standard_normal((16, 32)))
    held = {}
    for name, fn in (("plain", f), ("checkpointed", tf.recompute_grad(f))):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            h = x
            for _ in range(6):
                h = fn(h)
        held[name] = _held_bytes(tape)
    assert held["checkpointed"] * 3 < held["plain"], held


def test_f_runs_once_forward_and_once_per_backward_pass():
    calls = []

    def f(a):
        calls.append(1)
        return tf.sin(a)

    g = tf.recompute_grad(f)
    a = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        z = g(a)
    assert len(calls) == 1
    tape.gradient(z, a)
    assert len(calls) == 2
    np.testing.assert_allclose(float(tape.gradient(z, a)), np.cos(2.0), rtol=1e-6)
    assert len(calls) == 3


def test_multiple_nested_and_integer_outputs_and_keyword_arguments():
    def f(d, scale=1.0):
        return {"p": d["a"] * d["b"] * scale, "s": [d["a"] + d["b"]]}, tf.constant(1)

    g = tf.recompute_grad(f)
    a, b = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        out, i = g({"a": a, "b": b}, scale=2.0)
        z = out["p"] * out["s"][0]
    assert int(i) == 1 and set(out) == {"p", "s"}
    ga, gb = tape.gradient(z, [a, b])  # z = 2ab(a+b)
    assert (float(ga), float(gb)) == (2 * (2 * 2 * 3 + 3 * 3), 2 * (2 * 2 * 3 + 2 * 2))


def test_variable_rules():
    w = tf.Variable(2.0)
    frozen = tf.Variable(3.0, trainable=False)
    g = tf.recompute_grad(lambda a: a * w * frozen)
    a = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(a)
        z = g(a)
    assert [None if t is None else float(t) for t in tape.gradient(z, [a, w, frozen])] == [6.0, 6.0, None]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        z = g(a)
    ga, gw = tape.gradient(z, [a, w])
    assert float(ga) == 6.0 and gw is None
    with tf.GradientTape() as tape:  # an unwatched input; the variable is still reached
        z = g(a)
    ga, gw = tape.gradient(z, [a, w])
    assert ga is None and float(gw) == 6.0


def test_higher_order_forward_mode_and_jacobians_match_the_plain_function():
    """TensorFlow raises NotImplementedError for second order and forward mode through recompute_grad;
    tapegrad differentiates the recomputation, giving the plain function's derivatives."""
    w = tf.Variable(2.0, dtype=tf.float64)

    def f(x):
        return tf.sin(x * w) * x

    g = tf.recompute_grad(f)
    check_gradients(g, [np.array([0.5, 1.0, -0.3])], order=2, modes=("rev", "fwd"))
    x = tf.constant([0.5, 1.0], tf.float64)
    for fn in (f, g):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        j = tape.jacobian(y, x).numpy()
        xs = x.numpy()
        np.testing.assert_allclose(j, np.diag(2 * np.cos(2 * xs) * xs + np.sin(2 * xs)), rtol=1e-12)


def test_nested_checkpoints_and_wrapping():
    inner = tf.recompute_grad(lambda t: tf.exp(t) * t)

    def outer_fn(t):
        """Docstring kept."""
        return inner(t) + tf.sin(t)

    outer = tf.recompute_grad(outer_fn)
    assert outer.__wrapped__ is outer_fn and outer.__name__ == "outer_fn" and outer.__doc__ == "Docstring kept."
    check_gradients(outer, [np.array([0.2, -0.4])], order=2)


@pytest.mark.parametrize("persistent", [False, True])
def test_python_number_arguments_pass_through(persistent):
    g = tf.recompute_grad(lambda a, k: a * k)
    a = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=persistent) as tape:
        tape.watch(a)
        z = g(a, 3.0)
    np.testing.assert_array_equal(tape.gradient(z, a).numpy(), [3.0, 3.0])
