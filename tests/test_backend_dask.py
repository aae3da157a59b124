"""Tensors wrapping Dask arrays (DESIGN.md, "Backends"; README, "Backends: Dask").

Every registered primitive runs on Dask arrays split into small chunks, on the threads scheduler: its value,
JVP and gradient stay lazy Dask arrays (no compute while the graph is built, except the few ops listed in
HOST_OPS) and equal NumPy's. Then the things users rely on: printing computes, Variables hold computed values,
one `dask.compute` per optimizer step for a full-batch loss over row chunks, and the same gradient on a
two-worker `LocalCluster` started and stopped here.
"""

from __future__ import annotations

import dask
import dask.array as da
import dask.threaded
import numpy as np
import pytest
from primitive_runs import primitive_cases, run_primitive

import tapegrad as tf
from tapegrad._core.primitive import REGISTRY
from tapegrad.testing import sample_cases

DA = da.Array

# Primitives that compute while the graph is built, and why (README, "Backends: Dask").
HOST_OPS = {
    "CheckNumerics": "tf.debugging.check_numerics must look at the values to raise now, as TensorFlow does",
    "GatherV2": "integer indices held in a Dask array are computed: indices are resolved on the host",
    "GatherV2Grad": "integer indices held in a Dask array are computed: indices are resolved on the host",
}


class Counting:
    """The threads scheduler, counting how many times something is computed."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return dask.threaded.get(*args, **kwargs)


@pytest.fixture
def computes():
    sched = Counting()
    with dask.config.set(scheduler=sched):
        yield sched


def _dask(a, chunk=2):
    a = np.asarray(a)
    return da.from_array(a, chunks=chunk) if a.ndim else da.from_array(a)


# --------------------------------------------------------------------------- every registered primitive

CASES = primitive_cases()


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_primitive_stays_lazy_and_matches_numpy(computes, name, index):
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    got, n = run_primitive(prim, args, params, _dask)
    if name not in HOST_OPS:
        assert computes.calls == 0, f"{name}: building the value, JVP and gradient computed {computes.calls} time(s)"
    want, _ = run_primitive(prim, args, params, np.asarray)
    values = dask.compute(*got)  # one pass for all of them
    for k, (a, v, b) in enumerate(zip(got, values, want, strict=True)):
        what = f"value #{k}" if k < n else f"JVP #{k - n}" if k < 2 * n else f"gradient #{k - 2 * n}"
        assert isinstance(a._value, DA), f"{name}: the {what} is a {type(a._value).__name__}, not a Dask array"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: {what}"
        assert isinstance(v, tf.Tensor)  # dask.compute on a tensor gives a tensor
        np.testing.assert_allclose(v.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: {what}")


def test_host_ops_are_real_primitives():
    assert set(HOST_OPS) <= set(REGISTRY)


# --------------------------------------------------------------------------- the composite ops of the strict suite

from test_array_api_strict import OPS  # noqa: E402  (name -> (function of tensors, input arrays))


def _composite(name, lazy):
    f, arrays = OPS[name]
    xs = [tf.constant(_dask(a) if lazy else np.asarray(a)) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
        w = np.linspace(-1, 1, max(y.shape.num_elements(), 1)).reshape(tuple(y.shape))
        loss = tf.reduce_sum(y * tf.constant(_dask(w) if lazy else w))
    return [y, *tape.gradient(loss, xs, unconnected_gradients=tf.UnconnectedGradients.ZERO)]


@pytest.mark.parametrize("name", sorted(OPS))
def test_composites_match_numpy(computes, name):
    got = _composite(name, lazy=True)
    assert computes.calls == 0, f"{name}: computed while building"
    for k, (a, v, b) in enumerate(zip(got, dask.compute(*got), _composite(name, lazy=False), strict=True)):
        assert isinstance(a._value, DA), f"{name}: output #{k} is a {type(a._value).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(v.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: output #{k}")


# --------------------------------------------------------------------------- laziness, printing, variables

def test_gradient_is_lazy_and_printing_computes_it(computes):
    x = tf.constant(da.arange(6.0, chunks=2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.sin(x) * x)
    g = tape.gradient(y, x)
    assert isinstance(g._value, DA) and computes.calls == 0
    assert g.shape == (6,) and g.dtype == tf.float64 and g.device.endswith("CPU:0")  # known without computing
    want = np.sin(np.arange(6.0)) + np.arange(6.0) * np.cos(np.arange(6.0))
    assert str(g) == str(tf.constant(want))
    assert repr(g) == repr(tf.constant(want))
    assert computes.calls == 2  # each print computed once
    np.testing.assert_allclose(g.numpy(), want)
    assert float(tf.reduce_sum(g)) == pytest.approx(want.sum())


def test_variables_hold_computed_values(computes):
    v = tf.Variable(da.ones((4, 2), chunks=2))
    assert isinstance(v._value, np.ndarray) and computes.calls == 1
    v.assign(da.full((4, 2), 3.0, chunks=2))
    v.assign_add(tf.constant(da.ones((4, 2), chunks=(1, 2))))
    v.assign_sub(da.ones((4, 2), chunks=2) * 0.5)
    assert isinstance(v._value, np.ndarray) and computes.calls == 4
    np.testing.assert_array_equal(v.numpy(), np.full((4, 2), 3.5))
    s = tf.Variable(da.from_array(np.array(2.0)))
    assert s.numpy() == 2.0 and s.shape == ()


def test_numpy_variables_beside_dask_data_give_lazy_gradients(computes):
    """The natural split: weights in (host) Variables, data in Dask. Either operand order works."""
    X = np.random.default_rng(0).normal(size=(10, 3))
    w = tf.Variable(np.array([[0.5], [-1.0], [2.0]]))
    Xd = tf.constant(_dask(X, (4, 3)))
    with tf.GradientTape() as tape:
        a = tf.matmul(Xd, w)
        b = tf.transpose(tf.matmul(tf.transpose(w), tf.transpose(Xd)))  # the NumPy operand first
        loss = tf.reduce_sum(tf.tanh(a) * b)
    g = tape.gradient(loss, w)
    assert isinstance(g._value, DA) and computes.calls == 0
    wv = tf.Variable(w.numpy())
    with tf.GradientTape() as tape:
        loss_np = tf.reduce_sum(tf.tanh(tf.matmul(X, wv)) * tf.matmul(X, wv))
    np.testing.assert_allclose(g.numpy(), tape.gradient(loss_np, wv).numpy(), rtol=1e-12)


def test_linalg_runs_per_block_over_batch_dims(computes):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 3, 3)) + 3 * np.eye(3)
    ad = tf.constant(da.from_array(a, chunks=(2, 2, 2)))  # the matrix dims split too: rechunked per block
    with tf.GradientTape() as tape:
        tape.watch(ad)
        y = tf.reduce_sum(tf.linalg.inv(ad)) + tf.reduce_sum(tf.linalg.logdet(tf.matmul(ad, ad, transpose_b=True)))
    g = tape.gradient(y, ad)
    assert computes.calls == 0 and isinstance(g._value, DA)
    an = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(an)
        yn = tf.reduce_sum(tf.linalg.inv(an)) + tf.reduce_sum(tf.linalg.logdet(tf.matmul(an, an, transpose_b=True)))
    np.testing.assert_allclose(g.numpy(), tape.gradient(yn, an).numpy(), rtol=1e-10)


def test_a_singular_matrix_raises_when_computed():
    x = tf.linalg.inv(tf.constant(da.zeros((2, 2), chunks=1)))
    assert isinstance(x._value, DA)  # building succeeds: Dask has not looked at the values yet
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        x.numpy()


# --------------------------------------------------------------------------- logistic regression, one compute per step

def _data(n=4000, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) > 0).astype(np.float64)
    return X, y


def _loss_and_grads(X, y, w, b):
    with tf.GradientTape() as tape:
        logits = tf.squeeze(tf.matmul(X, w), axis=1) + b
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    return loss, tape.gradient(loss, [w, b])


def test_full_batch_training_needs_one_compute_per_step(computes):
    X, y = _data()
    Xd, yd = tf.constant(da.from_array(X, chunks=(500, 5))), tf.constant(da.from_array(y, chunks=500))
    w, b = tf.Variable(np.zeros((5, 1))), tf.Variable(0.0, dtype=tf.float64)
    wn, bn = tf.Variable(np.zeros((5, 1))), tf.Variable(0.0, dtype=tf.float64)
    opt, opt_np = tf.keras.optimizers.SGD(learning_rate=0.5), tf.keras.optimizers.SGD(learning_rate=0.5)
    for step in range(3):
        loss, grads = _loss_and_grads(Xd, yd, w, b)
        assert all(isinstance(t._value, DA) for t in (loss, *grads))
        loss, gw, gb = dask.compute(loss, *grads)  # the one pass over the data of this step
        assert computes.calls == step + 1
        opt.apply_gradients(zip([gw, gb], [w, b]))
        loss_np, grads_np = _loss_and_grads(tf.constant(X), tf.constant(y), wn, bn)
        opt_np.apply_gradients(zip(grads_np, [wn, bn]))
        np.testing.assert_allclose(loss.numpy(), loss_np.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gw.numpy(), grads_np[0].numpy(), rtol=1e-10, atol=1e-15)
    assert computes.calls == 3
    np.testing.assert_allclose(w.numpy(), wn.numpy(), rtol=1e-10)


def test_persist_keeps_tensors_lazy_but_computed(computes):
    x = tf.constant(da.arange(8.0, chunks=4)) * 2.0
    (p,) = dask.persist(x)
    assert isinstance(p, tf.Tensor) and isinstance(p._value, DA) and computes.calls == 1
    np.testing.assert_array_equal((p + 1.0).numpy(), np.arange(8.0) * 2 + 1)


def test_local_cluster_with_two_workers():
    """The same gradient on a two-worker dask.distributed cluster as with NumPy (processes: the graph and
    the NumPy routines it runs per block travel to the workers)."""
    distributed = pytest.importorskip("distributed")
    X, y = _data(6000, 4, seed=3)
    w0 = np.linspace(-0.5, 0.5, 4)[:, None]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        Xd, yd = da.from_array(X, chunks=(1500, 4)), da.from_array(y, chunks=1500)
        Xd, yd = client.persist([Xd, yd])  # the data lives on the workers
        w, b = tf.Variable(w0), tf.Variable(0.1, dtype=tf.float64)
        loss, (gw, gb) = _loss_and_grads(tf.constant(Xd), tf.constant(yd), w, b)
        loss, gw, gb = dask.compute(loss, gw, gb)  # runs on the cluster (the client is the default)
        inv = tf.linalg.inv(tf.constant(da.from_array(np.eye(3)[None] * [[[2.0]], [[4.0]]], chunks=1)))
        np.testing.assert_allclose(inv.numpy(), np.eye(3)[None] * [[[0.5]], [[0.25]]])  # per-block NumPy on workers
    wn, bn = tf.Variable(w0), tf.Variable(0.1, dtype=tf.float64)
    loss_np, (gwn, gbn) = _loss_and_grads(tf.constant(X), tf.constant(y), wn, bn)
    np.testing.assert_allclose(loss.numpy(), loss_np.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), gwn.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), gbn.numpy(), rtol=1e-10)


def test_the_dask_example_runs_on_a_local_cluster():
    """examples/logistic_regression_dask.py, small: it trains and its gradient matches NumPy's."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "logistic_regression_dask.py"
    out = subprocess.run([sys.executable, str(script), "--rows", "30000", "--chunk", "10000", "--steps", "3"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "30,000 rows x 16 features in 3 chunks on 2 workers"
    losses = [float(s.split("loss ")[1].split()[0]) for s in lines if s.startswith("step ")]
    assert len(losses) == 3 and losses[0] == pytest.approx(np.log(2), rel=1e-5) and losses[2] < losses[1] < losses[0]
    assert any(s.startswith("gradient vs NumPy: max abs difference") for s in lines)


def test_readme_dask_example(computes, capsys):
    """The README's Dask example: lazy data, one compute per step, the loss going down."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Backends\n(.*?)(?=^## |\Z)", text, re.M | re.S).group(1)
    code = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)[1]
    exec(compile(code, "README.md (Dask)", "exec"), {})
    losses = [float(line.split()[1]) for line in capsys.readouterr().out.splitlines()]
    assert losses[0] == pytest.approx(0.6931, abs=1e-4) and losses[2] < losses[1] < losses[0]
    assert computes.calls == 3


def test_an_optimizer_applies_dask_gradients_to_numpy_variables():
    """Variables stay materialized: a lazy gradient is computed when the optimizer applies it."""
    import dask.array as da

    rng = np.random.default_rng(0)
    xn = rng.standard_normal((64, 3)).astype(np.float32)
    yn = (rng.random(64) > 0.5).astype(np.float32)
    results = []
    for make in (lambda a: tf.constant(da.from_array(a, chunks=16)), tf.constant):
        w = tf.Variable(np.zeros(3, np.float32))
        opt = tf.keras.optimizers.Adam(0.1)
        X, y = make(xn), make(yn)
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.linalg.matvec(X, w)))
            opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        assert isinstance(w._value, np.ndarray)
        results.append(w.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
