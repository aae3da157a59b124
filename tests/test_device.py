"""tf.device, tf.config's device lists, placement of new values, copies between devices (tapegrad._device).

No GPU is needed: a stand-in provider serves the 'GPU' device type with array-api-strict, whose arrays play
CuPy's part (GPU:0 is its default device, as a CuPy array lands on the current device; GPU:1 is its second
device, which refuses to mix with the first). NumPy stays the host. So placement, copies, gradients across
devices and device names are checked here on every machine; tests/test_backend_cupy.py repeats the essentials
on a real GPU where one exists.
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
import warnings

import array_api_strict as xps
import numpy as np
import pytest

import tapegrad as tf
from tapegrad import _backend
from tapegrad._core.primitive import REGISTRY, apply
from tapegrad._device import copy_to_device, parse_device
from tapegrad.testing import sample_cases

STRICT = type(xps.asarray(1.0))
DEVICES = [xps.Device("CPU_DEVICE"), xps.Device("device1")]
CPU_NAME = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"


class StrictDevices:
    """'GPU' devices served by array-api-strict: the same interface as `_backend.CupyDevices`."""

    name = "array-api-strict"

    def __init__(self, n: int = 2) -> None:
        self.n = n

    def count(self) -> int:
        return self.n

    def names(self) -> list[str]:
        return [f"array-api-strict {d}" for d in DEVICES[:self.n]]

    def owns(self, value) -> bool:
        return isinstance(value, STRICT)

    def index_of(self, value) -> int:
        return DEVICES.index(value.device)

    def to_device(self, value, index: int):
        if isinstance(value, STRICT) and value.device == DEVICES[index]:
            return value
        return xps.asarray(_backend.to_numpy(_backend.materialize(value)), device=DEVICES[index])

    def context(self, index: int):
        return contextlib.nullcontext()


@pytest.fixture
def gpu():
    """Two stand-in GPUs for the test; the real provider (CuPy) afterwards."""
    prev = _backend.set_gpu_provider(StrictDevices(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # array-api-strict's dtype-comparison warnings
        yield
    _backend.set_gpu_provider(prev)


@pytest.fixture
def no_gpu():
    prev = _backend.set_gpu_provider(StrictDevices(0))
    yield
    _backend.set_gpu_provider(prev)
    tf.config.set_soft_device_placement(True)


def _on(t, name=GPU0):
    assert t.device == name, f"{t!r} is on {t.device}, not {name}"
    return t


# --------------------------------------------------------------------------- device strings

@pytest.mark.parametrize(("name", "want"), [
    ("/GPU:0", ("GPU", 0)), ("/gpu:1", ("GPU", 1)), ("GPU:2", ("GPU", 2)), ("GPU", ("GPU", 0)),
    ("/device:GPU:0", ("GPU", 0)), ("/job:localhost/replica:0/task:0/device:GPU:3", ("GPU", 3)),
    ("/CPU:0", ("CPU", 0)), ("cpu", ("CPU", 0)), ("/job:localhost/device:CPU:0", ("CPU", 0)),
])
def test_device_strings_parse_as_tensorflow_writes_them(name, want):
    assert parse_device(name) == want


@pytest.mark.parametrize(("name", "match"), [
    ("/XPU:0", "unknown device type 'XPU'"), ("/TPU:0", "unknown device type 'TPU'"),
    ("cuda:0", "unknown device type 'CUDA'"), ("/GPU:x", "cannot parse"), ("", "cannot parse"),
    ("/GPU:0/CPU:0", "cannot parse"), ("/job:worker/device:GPU:0", "job:localhost"),
    ("/task:1/device:CPU:0", "task:0"),
])
def test_unknown_or_malformed_device_strings_raise_at_once(name, match):
    with pytest.raises(ValueError, match=match) as info:
        tf.device(name)
    assert "'/GPU:0'" in str(info.value) or "one process" in str(info.value)  # says what is accepted


def test_device_rejects_a_non_string():
    with pytest.raises(TypeError, match="device string"):
        tf.device(0)


# --------------------------------------------------------------------------- tf.config

def _cupy_gpus() -> int:
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def test_list_physical_devices_tells_the_truth():
    gpus = _cupy_gpus()
    assert tf.config.list_physical_devices("GPU") == [
        tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(gpus)]
    assert tf.config.list_physical_devices("CPU") == [tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU")]
    assert len(tf.config.list_physical_devices()) == 1 + gpus
    assert tf.config.list_physical_devices("gpu") == []  # TensorFlow matches the type exactly
    assert [d.name for d in tf.config.list_logical_devices()] == ["/device:CPU:0"] + [
        f"/device:GPU:{i}" for i in range(gpus)]


def test_device_lists_follow_the_gpu_provider(gpu):
    assert [d.name for d in tf.config.list_physical_devices("GPU")] == ["/physical_device:GPU:0",
                                                                        "/physical_device:GPU:1"]
    assert tf.config.list_logical_devices("GPU")[1] == tf.config.LogicalDevice("/device:GPU:1", "GPU")


def test_cpu_scope_works_everywhere():
    with tf.device("/CPU:0"):
        x = tf.constant([1.0, 2.0])
        v = tf.Variable(3.0)
        y = x * v
    for t in (x, v, y):
        assert t.device == CPU_NAME and isinstance(t.numpy(), (np.ndarray, np.generic))
    assert isinstance(x._value, np.ndarray)


def test_a_missing_gpu_falls_back_to_the_cpu_softly_or_raises(no_gpu):
    assert tf.config.get_soft_device_placement() is True
    with tf.device("/GPU:0"):
        x = tf.constant([1.0, 2.0])
    assert x.device == CPU_NAME and isinstance(x._value, np.ndarray)
    tf.config.set_soft_device_placement(False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"'/GPU:0'.*no GPU is available"):
        with tf.device("/GPU:0"):
            pass
    assert _backend.current_placement() is None  # a failed enter leaves no scope behind


# --------------------------------------------------------------------------- placement of new values

def test_gpu_scope_places_new_tensors_and_variables(gpu):
    with tf.device("/GPU:0"):
        made = {
            "constant": tf.constant([1.0, 2.0]), "scalar": tf.constant(3.0),
            "variable": tf.Variable([[1.0, 2.0]]), "convert": tf.convert_to_tensor([1, 2]),
            "zeros": tf.zeros((2, 3)), "ones": tf.ones(3), "fill": tf.fill((2,), 4.0), "range": tf.range(4),
            "eye": tf.eye(2), "normal": tf.random.normal((2, 2), seed=1),
            "uniform": tf.random.uniform((3,), seed=2), "op_on_a_list": tf.sin([0.0, 1.0]),
            "from_numpy": tf.constant(np.arange(3.0)),
        }
    for what, t in made.items():
        assert isinstance(t._value, STRICT), what
        _on(t)
        host = t.numpy()  # copies to the host
        assert isinstance(host, (np.ndarray, np.generic)), what
    np.testing.assert_array_equal(made["constant"].numpy(), [1.0, 2.0])
    assert made["scalar"].numpy() == np.float32(3.0) and made["range"].numpy().dtype == np.int32
    assert made["variable"].name == "Variable:0"
    assert str(made["constant"]) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    outside = tf.constant([1.0])
    assert outside.device == CPU_NAME and isinstance(outside._value, np.ndarray)


def test_constant_and_variable_take_device_arrays_directly(gpu):
    a = xps.asarray([1.0, 2.0])
    c, v = tf.constant(a), tf.Variable(a)
    _on(c), _on(v)
    assert c.dtype == tf.float64 and repr(v).startswith("<tf.Variable 'Variable:0' shape=(2,) dtype=float64")
    on1 = xps.asarray([1.0], device=DEVICES[1])
    _on(tf.constant(on1), GPU1)
    np.testing.assert_array_equal(tf.constant(on1).numpy(), [1.0])  # .numpy() copies from any device


def test_scopes_nest_clear_and_pick_the_device_index(gpu):
    with tf.device("/GPU:0"):
        a = tf.constant(1.0)
        with tf.device("/CPU:0"):
            b = tf.constant(1.0)
            with tf.device(None):
                c = tf.constant(1.0)
        with tf.device("/device:GPU:1"):
            d = tf.zeros(2)
        with tf.device("/GPU:7"):  # no such GPU: soft placement puts it on the CPU
            e = tf.constant(1.0)
        f = tf.constant(1.0)
    _on(a), _on(b, CPU_NAME), _on(c, CPU_NAME), _on(d, GPU1), _on(e, CPU_NAME), _on(f)
    assert _backend.current_placement() is None and _backend.PLACING[0] == 0


def test_scopes_belong_to_their_thread(gpu):
    seen = {}
    entered, done = threading.Event(), threading.Event()

    def other():
        entered.wait()
        seen["other"] = tf.constant(1.0).device
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with tf.device("/GPU:0"):
        entered.set()
        done.wait()
        seen["mine"] = tf.constant(1.0).device
    t.join()
    assert seen == {"other": CPU_NAME, "mine": GPU0}


# --------------------------------------------------------------------------- ops, gradients, copies

def test_ops_follow_their_inputs_and_gradients_stay_on_the_device(gpu):
    with tf.device("/GPU:0"):
        w = tf.Variable([[0.5, -1.0], [2.0, 0.25]])
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2)
    g = tape.gradient(loss, w)
    _on(loss), _on(g)
    wh, xh = w.numpy(), x.numpy()
    with tf.GradientTape() as tape:
        wv = tf.Variable(wh)
        loss_h = tf.reduce_sum(tf.tanh(tf.matmul(tf.constant(xh), wv)) ** 2)
    np.testing.assert_allclose(loss.numpy(), loss_h.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), tape.gradient(loss_h, wv).numpy(), rtol=1e-6)


def test_a_host_tensor_beside_a_gpu_tensor_is_copied_and_its_gradient_comes_back(gpu):
    """TensorFlow's default (SILENT) placement policy: the op runs on the GPU, the host input is copied.
    GPU:1 here: like CuPy, the stand-in's second device refuses to mix with host arrays."""
    xh = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    wh = np.array([[0.5], [-1.0]], np.float32)
    host = tf.constant(xh)
    with tf.device("/GPU:1"):
        w = tf.constant(wh)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([host, w])
        y = tf.matmul(host, w)                                             # nary op
        z = tf.concat([y, tf.constant(np.ones((2, 1), np.float32))], axis=1)  # a list of tensors
        e = host * tf.transpose(tf.concat([w, w], axis=1))                  # elementwise binary op
        loss = tf.reduce_sum(z * z) + tf.reduce_sum(e)
    _on(y, GPU1), _on(z, GPU1), _on(e, GPU1)
    gh, gw = tape.gradient(loss, [host, w])
    assert gh.device == CPU_NAME and isinstance(gh._value, np.ndarray)  # back where the input lives
    _on(gw, GPU1)
    r = xh @ wh
    np.testing.assert_allclose(gh.numpy(), 2 * r @ wh.T + np.tile(wh.T, (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(gw.numpy(), xh.T @ (2 * r) + xh.sum(axis=0)[:, None], rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64"):  # a real dtype mismatch still raises
        tf.constant(xh.astype(np.float64)) * w


def test_copy_to_device_is_a_differentiable_op(gpu):
    x = tf.constant([1.0, -2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        on = copy_to_device(x, ("GPU", 1))
        loss = tf.reduce_sum(on * on)
    _on(on, GPU1)
    g = tape.gradient(loss, x)
    assert g.device == CPU_NAME
    np.testing.assert_allclose(g.numpy(), [2.0, -4.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        y = copy_to_device(x, ("GPU", 0)) * 3.0
    _on(acc.jvp(y))
    np.testing.assert_allclose(acc.jvp(y).numpy(), [3.0, 0.0])


def test_variables_keep_their_device_on_assign(gpu):
    with tf.device("/GPU:0"):
        v = tf.Variable([1.0, 2.0])
    v.assign(np.array([5.0, 6.0], np.float32))
    v.assign_add([1.0, 1.0])
    v.assign_sub(tf.constant([0.5, 0.5]))
    _on(v)
    np.testing.assert_array_equal(v.numpy(), [5.5, 6.5])
    h = tf.Variable([0.0, 0.0])
    with tf.device("/GPU:0"):
        h.assign(tf.constant([1.0, 2.0]))  # a GPU value into a host variable: it stays on the host
    assert h.device == CPU_NAME and isinstance(h._value, np.ndarray)
    np.testing.assert_array_equal(h.numpy(), [1.0, 2.0])


# --------------------------------------------------------------------------- every primitive on a device

CASES = [(n, i) for n in sorted(p for p in REGISTRY if REGISTRY[p].differentiable and p != "DeviceCopy")
         for i in range(len(sample_cases(REGISTRY[n])))]


def _primitive_run(prim, args, params, on_gpu):
    conv = (lambda a: copy_to_device(tf.constant(a), ("GPU", 0))) if on_gpu else tf.constant
    xs = [conv(np.asarray(a)) for a in args]
    floats = [x for x in xs if x.dtype.is_floating]
    with tf.autodiff.ForwardAccumulator(floats, [x * 0.5 + 1.0 for x in floats]) as acc:
        with tf.GradientTape() as tape:
            tape.watch(floats)
            y = apply(prim, tuple(xs), params)
            ys = list(y) if isinstance(y, tuple) else [y]
            loss = 0.0
            for yk in ys:
                if yk.dtype.is_floating:
                    w = conv(np.linspace(-1.0, 2.0, int(np.prod(yk.shape))).reshape(tuple(yk.shape)))
                    loss = loss + tf.reduce_sum(yk * tf.cast(w, yk.dtype))
    grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, floats,
                                                             unconnected_gradients=tf.UnconnectedGradients.ZERO)]
    return [*ys, *acc.jvp(ys, unconnected_gradients=tf.UnconnectedGradients.ZERO), *grads], len(ys)


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_primitive_runs_on_the_device(gpu, name, index):
    """Each primitive's value, JVP and gradient on a (stand-in) GPU: on the GPU, and equal to NumPy's."""
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    got, n = _primitive_run(prim, args, params, True)
    want, _ = _primitive_run(prim, args, params, False)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        what = f"value #{k}" if k < n else f"JVP #{k - n}" if k < 2 * n else f"gradient #{k - 2 * n}"
        assert a.device == GPU0, f"{name}: the {what} is on {a.device}"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: {what}"
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: {what}")


# --------------------------------------------------------------------------- examples/digits_mlp_gpu.py

def _blobs(n, seed):
    """Ten well-separated classes in 16 dimensions (stands in for the digits without scikit-learn)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.int32)
    centers = np.random.default_rng(99).normal(size=(10, 16)) * 3
    return (centers[y] + rng.normal(size=(n, 16))).astype(np.float32), y


def test_the_gpu_example_trains_on_the_device_as_on_the_host(gpu, capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    try:
        import digits_mlp_gpu
    finally:
        sys.path.pop(0)
    (xtr, ytr), (xte, yte) = _blobs(256, 0), _blobs(64, 1)
    on_gpu = digits_mlp_gpu.train(xtr, ytr, xte, yte, device="/GPU:0", epochs=3, hidden=32, batch=32)
    out_gpu = capsys.readouterr().out
    on_cpu = digits_mlp_gpu.train(xtr, ytr, xte, yte, device="/CPU:0", epochs=3, hidden=32, batch=32)
    out_cpu = capsys.readouterr().out
    assert "training on GPU:0" in out_gpu and "device:GPU:0" in out_gpu and "training on CPU:0" in out_cpu
    assert on_gpu == pytest.approx(on_cpu) and on_gpu > 0.9
    losses = [line.split("train loss ")[1][:6] for line in out_gpu.splitlines() if "train loss" in line]
    assert losses == [line.split("train loss ")[1][:6] for line in out_cpu.splitlines() if "train loss" in line]


def _readme_backend_block(index: int) -> str:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Backends\n(.*?)(?=^## |\Z)", text, re.M | re.S).group(1)
    return re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)[index]


def test_readme_gpu_example_runs_on_the_gpu(gpu, capsys):
    exec(compile(_readme_backend_block(0), "README.md (GPU)", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["[PhysicalDevice(name='/physical_device:GPU:0', device_type='GPU'), "
                     "PhysicalDevice(name='/physical_device:GPU:1', device_type='GPU')]", f"{GPU0} (784, 10)"]


def test_readme_gpu_example_runs_without_a_gpu(no_gpu, capsys):
    exec(compile(_readme_backend_block(0), "README.md (GPU)", "exec"), {})
    assert capsys.readouterr().out.splitlines() == ["[]", f"{CPU_NAME} (784, 10)"]


def test_docstring_examples():
    import doctest

    import tapegrad._device
    import tapegrad.config

    for module in (tapegrad._device, tapegrad.config):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
