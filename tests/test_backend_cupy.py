"""Tensors on a real GPU (CuPy): placement, copies, every primitive, the optimizers, the GPU example.

Skipped as a whole where CuPy is not importable or finds no CUDA device; tests/test_device.py checks the same
placement logic everywhere with a stand-in GPU. Values and gradients must equal NumPy's within float tolerance
(GPU libraries may round differently from NumPy's, so the tolerance is looser than the strict suite's).
"""

from __future__ import annotations

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'tapegrad[gpu]')")
try:
    N_GPUS = int(cupy.cuda.runtime.getDeviceCount())
except Exception as e:  # CUDARuntimeError without a driver
    pytest.skip(f"CuPy finds no CUDA device ({type(e).__name__})", allow_module_level=True)
if N_GPUS == 0:
    pytest.skip("CuPy finds no CUDA device", allow_module_level=True)

from primitive_runs import primitive_cases, run_primitive  # noqa: E402

import tapegrad as tf  # noqa: E402
from tapegrad._core.primitive import REGISTRY  # noqa: E402
from tapegrad.testing import sample_cases  # noqa: E402

GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
RTOL = 1e-9


def test_config_lists_the_gpus():
    assert [d.name for d in tf.config.list_physical_devices("GPU")] == [f"/physical_device:GPU:{i}"
                                                                        for i in range(N_GPUS)]


def test_new_values_in_a_gpu_scope_are_cupy_arrays():
    with tf.device("/GPU:0"):
        made = [tf.constant([1.0, 2.0]), tf.constant(3.0), tf.Variable([[1.0]]), tf.zeros((2, 2)), tf.ones(2),
                tf.range(3), tf.eye(2), tf.random.normal((2,), seed=0), tf.fill((2,), 1.5), tf.sin([0.5])]
    for t in made:
        assert isinstance(t._value, cupy.ndarray) and t.device == GPU0
        assert isinstance(t.numpy(), (np.ndarray, np.generic))  # copied to the host
    assert tf.constant(1.0).device == CPU


def test_constant_and_variable_take_cupy_arrays():
    a = cupy.arange(4.0)
    c, v = tf.constant(a), tf.Variable(a)
    assert c.device == GPU0 and v.device == GPU0 and c.dtype == tf.float64
    np.testing.assert_array_equal(c.numpy(), np.arange(4.0))
    v.assign(np.ones(4))  # a host value: the variable stays on its GPU
    assert isinstance(v._value, cupy.ndarray)
    np.testing.assert_array_equal(v.numpy(), np.ones(4))


def test_host_and_gpu_inputs_mix_as_in_tensorflow():
    xh = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    wh = np.array([[0.5], [-1.0]], np.float32)
    host = tf.constant(xh)
    with tf.device("/GPU:0"):
        w = tf.constant(wh)
    with tf.GradientTape() as tape:
        tape.watch([host, w])
        y = tf.matmul(host, w)
        e = host * tf.transpose(tf.concat([w, w], axis=1))
        loss = tf.reduce_sum(y * y) + tf.reduce_sum(e)
    gh, gw = tape.gradient(loss, [host, w])
    assert y.device == GPU0 and e.device == GPU0 and gw.device == GPU0
    assert gh.device == CPU and isinstance(gh._value, np.ndarray)
    r = xh @ wh
    np.testing.assert_allclose(gh.numpy(), 2 * r @ wh.T + np.tile(wh.T, (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(gw.numpy(), xh.T @ (2 * r) + xh.sum(axis=0)[:, None], rtol=1e-6)


CASES = primitive_cases(exclude=("DeviceCopy",))
# Eigenvectors and singular vectors are unique only up to sign, and cuSOLVER and LAPACK pick different signs
# (both right; TensorFlow's GPU and CPU kernels differ the same way). Both runs turn each vector so that its
# largest entry is positive before comparing: the flip is a constant, so JVPs and gradients follow it.
SIGN_FREE = {"SelfAdjointEigV2": (1,), "Svd": (1, 2)}  # op: which outputs hold vectors (as columns)


def _fix_signs(which, to_backend):
    def post(ys):
        ys = list(ys)
        for k in which:
            if k < len(ys):  # svd with compute_uv=False gives the singular values alone
                h = ys[k].numpy()
                top = np.take_along_axis(h, np.argmax(np.abs(h), axis=-2)[..., None, :], axis=-2)
                ys[k] = ys[k] * tf.constant(to_backend(np.where(top < 0, -1.0, 1.0).astype(h.dtype)))
        return ys

    return post if which else None


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_primitive_runs_on_cupy(name, index):
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    which = SIGN_FREE.get(name, ())
    got, n = run_primitive(prim, args, params, cupy.asarray, _fix_signs(which, cupy.asarray))
    want, _ = run_primitive(prim, args, params, np.asarray, _fix_signs(which, np.asarray))
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        what = f"value #{k}" if k < n else f"JVP #{k - n}" if k < 2 * n else f"gradient #{k - 2 * n}"
        assert isinstance(a._value, cupy.ndarray), f"{name}: the {what} is a {type(a._value).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: {what}"
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL, atol=RTOL, err_msg=f"{name}: {what}")


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_steps_gpu_variables_like_host_ones(name):
    def run(device):
        with tf.device(device):
            w = tf.Variable([[1.0, -2.0], [0.5, 3.0]])
            b = tf.Variable([0.1, 0.2])
        opt = getattr(tf.keras.optimizers, name)(learning_rate=0.05)
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(tf.matmul(w, w) + b))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        return w, b

    wg, bg = run("/GPU:0")
    wc, bc = run("/CPU:0")
    assert wg.device == GPU0 and isinstance(wg._value, cupy.ndarray)
    np.testing.assert_allclose(wg.numpy(), wc.numpy(), rtol=1e-5)
    np.testing.assert_allclose(bg.numpy(), bc.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_optimizer_made_in_a_gpu_scope_steps_like_a_host_one(name):
    # everything inside the scope, the optimizer too (its step counter and learning rate stay on the host);
    # the gather gives w an IndexedSlices gradient
    def run(device):
        with tf.device(device):
            w = tf.Variable([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]])
            b = tf.Variable([0.1, 0.2])
            opt = getattr(tf.keras.optimizers, name)(learning_rate=0.05)
            for _ in range(3):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(tf.square(tf.gather(w, [0, 2, 0]) + b))
                grads = tape.gradient(loss, [w, b])
                assert isinstance(grads[0], tf.IndexedSlices)
                opt.apply_gradients(zip(grads, [w, b]))
        return w, b

    wg, bg = run("/GPU:0")
    wc, bc = run("/CPU:0")
    assert wg.device == GPU0 and isinstance(wg._value, cupy.ndarray) and isinstance(bg._value, cupy.ndarray)
    np.testing.assert_allclose(wg.numpy(), wc.numpy(), rtol=1e-5)
    np.testing.assert_allclose(bg.numpy(), bc.numpy(), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint32", "uint64",
                                   "complex64"])
def test_scatter_add_accumulates_repeated_indices_on_the_gpu(dtype):
    from tapegrad import _backend

    rng = np.random.default_rng(0)
    base = rng.integers(-3, 4, (6, 5)).astype(dtype)
    rows = np.array([0, 2, 0, 5, 2, 2])
    for key, shape in [(rows, (6, 5)), ((slice(None), np.array([1, 1, 4])), (6, 3)),
                       ((rows, np.array([1, 1, 4, 0, 1, 1])), (6,))]:
        vals = rng.integers(-3, 4, shape).astype(dtype)
        want = _backend.scatter_add(base.copy(), key, vals)
        for k in (key, tuple(cupy.asarray(i) if isinstance(i, np.ndarray) else i for i in
                             (key if isinstance(key, tuple) else (key,)))):  # host and device keys
            got = _backend.scatter_add(cupy.asarray(base), k, cupy.asarray(vals))
            assert isinstance(got, cupy.ndarray) and got.dtype == want.dtype
            np.testing.assert_array_equal(got.get(), want)


def test_segment_and_scatter_ops_match_the_host():
    def run(device):
        with tf.device(device):
            x = tf.Variable(tf.reshape(tf.range(24, dtype=tf.float32), (6, 4)))
            u = tf.Variable([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 1.0, 2.0, 3.0]])
            with tf.GradientTape() as tape:
                outs = [tf.math.unsorted_segment_sum(x, [3, 0, 3, -1, 1, 3], 5),
                        tf.math.segment_sum(x, [0, 0, 1, 2, 2, 2]),
                        tf.tensor_scatter_nd_add(x, [[1], [4], [1]], u),
                        tf.scatter_nd([[1], [3], [1]], u, [5, 4]),
                        tf.tensor_scatter_nd_update(x, [[0], [2]], u[:2])]
                loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
            return outs + tape.gradient(loss, [x, u])

    for g, c in zip(run("/GPU:0"), run("/CPU:0"), strict=True):
        assert isinstance(g._value, cupy.ndarray) and g.dtype == c.dtype and g.shape == c.shape
        np.testing.assert_allclose(g.numpy(), c.numpy(), rtol=1e-6)


def test_fused_relu_and_cross_entropy_match_the_host_in_float32():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 5)).astype(np.float32)
    y = rng.integers(0, 5, (2, 6)).astype(np.int32)

    def run(device):
        with tf.device(device):
            xt, yt, w = tf.constant(x), tf.constant(y), tf.reshape(tf.range(12, dtype=tf.float32), (2, 6))
        with tf.GradientTape() as tape:
            tape.watch(xt)
            logits = tf.nn.relu(xt) * 2.0 - xt
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yt, logits=logits)
            total = tf.reduce_sum(loss * w)
        return [logits, loss, tape.gradient(total, xt)]

    for g, c in zip(run("/GPU:0"), run("/CPU:0"), strict=True):
        assert isinstance(g._value, cupy.ndarray) and g.dtype == c.dtype == tf.float32 and g.shape == c.shape
        np.testing.assert_allclose(g.numpy(), c.numpy(), rtol=1e-5, atol=1e-6)


def test_a_label_out_of_range_gives_a_nan_row_on_the_gpu():
    # as TensorFlow's GPU kernel (its CPU kernel, and tapegrad's host path, raise InvalidArgumentError)
    with tf.device("/GPU:0"):
        logits = tf.zeros((3, 4))
        labels = tf.constant([1, 7, -1])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    g = tape.gradient(loss, logits).numpy()
    np.testing.assert_allclose(loss.numpy()[0], np.log(4.0), rtol=1e-6)
    np.testing.assert_allclose(g[0], [0.25, -0.75, 0.25, 0.25], rtol=1e-6)
    assert np.isnan(loss.numpy()[1:]).all() and np.isnan(g[1:]).all()


def test_the_digits_example_trains_on_the_gpu(capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    try:
        import digits_mlp_gpu
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 320).astype(np.int32)
    x = (np.random.default_rng(9).normal(size=(10, 16)) * 3)[y] + rng.normal(size=(320, 16))
    acc = digits_mlp_gpu.train(x[:256].astype(np.float32), y[:256], x[256:].astype(np.float32), y[256:],
                               device="/GPU:0", epochs=3, hidden=32, batch=32)
    assert "training on GPU:0" in capsys.readouterr().out and acc > 0.9
