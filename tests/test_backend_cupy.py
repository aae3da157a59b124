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


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_primitive_runs_on_cupy(name, index):
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    got, n = run_primitive(prim, args, params, cupy.asarray)
    want, _ = run_primitive(prim, args, params, np.asarray)
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
