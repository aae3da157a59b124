"""Structured Jacobian seeds (ops/jacobian_seeds.py) give the same Jacobians as dense identity seeds.

Every primitive declared `keeps_onehot` or with `defrows` rows is checked on all its samples (broadcasting
ones included, which must fall back to dense rows), on NumPy and array-api-strict: a wrong declaration (an op
that is not elementwise) would give a different Jacobian here. Then compositions: accumulation of structured
and dense cotangents, chunked rows, batch_jacobian, multi-output ops, Hessians and forward mode through a
structured sweep, and a check that the structured path is really taken (no dense rows on tanh(W @ x)).
"""

from __future__ import annotations

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core import nest
from tapegrad._core.primitive import REGISTRY, apply, as_input
from tapegrad.ops import jacobian_seeds
from tapegrad.testing import sample_cases

DECLARED = sorted(p.name for p in jacobian_seeds.RULES)
CASES = [(n, i) for n in DECLARED for i in range(len(sample_cases(REGISTRY[n])))]


@pytest.fixture
def dense_seeds(monkeypatch):
    """A function running `fn` once with structured seeds and once with dense ones."""
    def both(fn):
        got = fn()
        monkeypatch.setattr(jacobian_seeds, "ENABLED", False)
        try:
            want = fn()
        finally:
            monkeypatch.setattr(jacobian_seeds, "ENABLED", True)
        return got, want

    return both


@pytest.fixture
def dense_rows_made(monkeypatch):
    """The shapes of the dense rows that structured seeds fall back to, as they are made."""
    made = []
    real = jacobian_seeds.OneHotRows.dense
    monkeypatch.setattr(jacobian_seeds.OneHotRows, "dense", lambda self: made.append(self.shape) or real(self))
    return made


def _assert_same(got, want, what):
    got, want = nest.flatten(got), nest.flatten(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (g is None) == (w is None), what
        if g is not None:
            assert g.shape == w.shape and g.dtype == w.dtype, what
            np.testing.assert_allclose(np.asarray(g.numpy()), np.asarray(w.numpy()), rtol=1e-12, atol=1e-14,
                                       err_msg=what)


def test_every_declared_primitive_has_samples():
    assert DECLARED and all(sample_cases(REGISTRY[n]) for n in DECLARED)


@pytest.mark.parametrize("backend", ["numpy", "strict"])
@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_declared_primitive_jacobians_equal_dense_ones(name, index, backend, dense_seeds):
    conv = xp.asarray if backend == "strict" else np.asarray
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    xs = [as_input(conv(np.asarray(a))) for a in args]
    floats = [x for x in xs if x.dtype.is_floating]

    def run():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(floats)
            ans = apply(prim, tuple(xs), params)
            outs = [o for o in (ans if isinstance(ans, tuple) else (ans,)) if o.dtype.is_floating]
            y = tf.sin(outs[0])  # a structured step before the primitive's own
        batch = [tape.batch_jacobian(y, x) for x in floats  # (x @ W: example by example)
                 if x.ndim >= 2 and y.ndim >= 2 and x.shape[0] == y.shape[0]]
        return tape.jacobian(y, floats), tape.jacobian(outs[0], floats, parallel_iterations=2), batch

    got, want = dense_seeds(run)
    _assert_same(got, want, f"{name} sample {index} ({backend})")


def _mlp_like():
    r = np.random.default_rng(0)
    return tf.constant(r.standard_normal((5, 4)) / 2), tf.constant(r.standard_normal(4))


def test_tanh_of_matvec_takes_no_dense_rows(dense_rows_made):
    w, x = _mlp_like()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.tanh(tf.linalg.matvec(w, x))
    j = tape.jacobian(y, x)
    assert dense_rows_made == []
    yn = np.tanh(w.numpy() @ x.numpy())
    np.testing.assert_allclose(j.numpy(), (1 - yn**2)[:, None] * w.numpy(), rtol=1e-13)


@pytest.mark.parametrize("chunk", [None, 1, 2, 3])
@pytest.mark.parametrize("transpose", [False, True])
def test_chains_with_reshape_matvec_and_chunks(chunk, transpose, dense_seeds):
    w, x = _mlp_like()
    w = tf.transpose(w) if transpose else w

    def run():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([w, x])
            h = tf.linalg.matvec(w, x, transpose_a=transpose)
            y = tf.reshape(tf.nn.relu(h) * tf.exp(h), (5, 1)) - 0.5
        return tape.jacobian(y, [x, w], parallel_iterations=chunk), tape.jacobian(y, x, parallel_iterations=chunk)

    got, want = dense_seeds(run)
    _assert_same(got, want, "chain")


def test_structured_and_dense_cotangents_add_up(dense_seeds):
    w, x = _mlp_like()
    c = tf.constant(np.arange(5.0))

    def run():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, c])
            v = tf.linalg.matvec(w, x)
            y = tf.tanh(v) * v + tf.sin(v) + c * 2.0 + tf.reduce_sum(x)  # v twice; a broadcast input
            z = x * x + x  # the source reached twice through elementwise ops
        return tape.jacobian(y, [x, c]), tape.jacobian(z, x), tape.jacobian(x, x), tape.jacobian(2.0 * c, c)

    got, want = dense_seeds(run)
    _assert_same(got, want, "accumulation")
    np.testing.assert_array_equal(got[2].numpy(), np.eye(4))


@pytest.mark.parametrize("chunk", [None, 3])
def test_batch_jacobian_of_dense_layers_takes_no_dense_rows(chunk, dense_seeds, dense_rows_made):
    r = np.random.default_rng(2)
    x = tf.constant(r.standard_normal((6, 4)))
    w1, b1 = tf.constant(r.standard_normal((4, 5))), tf.constant(r.standard_normal(5))
    w2 = tf.constant(r.standard_normal((3, 5)))

    def run():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            y = tf.tanh(tf.matmul(h, w2, transpose_b=True))  # a second layer: dense rows from here on
            z = tf.sigmoid(tf.linalg.matvec(w2, h))
        return (tape.batch_jacobian(h, x, parallel_iterations=chunk), tape.batch_jacobian(y, x),
                tape.batch_jacobian(z, x), tape.jacobian(h, x))

    got, want = dense_seeds(run)
    _assert_same(got, want, "dense layers")
    assert dense_rows_made  # the second layer's rows (the check below can see them)
    dense_rows_made.clear()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    j = tape.batch_jacobian(h, x, parallel_iterations=chunk)
    assert dense_rows_made == []
    mask = (x.numpy() @ w1.numpy() + b1.numpy() > 0).astype(float)
    np.testing.assert_allclose(j.numpy(), mask[:, :, None] * w1.numpy().T[None], rtol=1e-13)


def test_batch_jacobian_and_multi_output_ops(dense_seeds):
    r = np.random.default_rng(1)
    x = tf.constant(r.standard_normal((3, 4)))
    a = tf.constant(r.standard_normal((4, 4)))

    def run():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, a])
            y = tf.sigmoid(tf.matmul(x, a)) ** 2
            q, rr = tf.linalg.qr(a)
            parts = tf.split(tf.tanh(x), 2, axis=1)
        return (tape.batch_jacobian(y, x), tape.batch_jacobian(tf.exp(x), x, parallel_iterations=2),
                tape.jacobian(rr, a), tape.jacobian(q * 3.0, a), tape.jacobian(parts[1], x))

    got, want = dense_seeds(run)
    _assert_same(got, want, "batch_jacobian / multi-output")


def test_hessian_and_forward_mode_through_structured_sweeps(dense_seeds):
    w, x = _mlp_like()
    t = tf.constant(np.linspace(-1.0, 1.0, 4))

    def run():
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.tanh(tf.linalg.matvec(w, x))
            j = inner.jacobian(y, x)  # recorded on the outer tape
        h = outer.jacobian(j, x)
        with tf.autodiff.ForwardAccumulator(x, t) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.sin(tf.linalg.matvec(w, x)) * 2.0
            j2 = tape.jacobian(y, x)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.exp(tf.linalg.matvec(w, x))
            j3 = tape.jacobian(y, x)  # inside the persistent tape's context: recorded
        return h, acc.jvp(j2), tape.gradient(j3, x)

    with pytest.warns(UserWarning, match="records the computation"):
        got, want = dense_seeds(run)
    _assert_same(got, want, "higher order")
    wn, xn = w.numpy(), x.numpy()
    yn = np.tanh(wn @ xn)  # d/dx_k of (1 - y_i^2) W_ij = -2 y_i (1 - y_i^2) W_ik W_ij
    want_h = np.einsum("i,ij,ik->ijk", -2 * yn * (1 - yn**2), wn, wn)
    np.testing.assert_allclose(got[0].numpy(), want_h, rtol=1e-12)
