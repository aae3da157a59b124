"""Parity with Keras 3: the same gradients into tapegrad's and Keras's optimizers give the same variables, slots,
names, configs and schedule values, step after step. Skipped where TensorFlow and Keras are not installed."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tapegrad as tg  # noqa: E402

RNG = np.random.default_rng(0)
SHAPES = [(3, 4), (4,), ()]
INIT = [RNG.standard_normal(s).astype(np.float32) for s in SHAPES]
GRADS = [[RNG.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(6)]

CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("Adam", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("AdamW", {}), ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.5}), ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.3, "rho": 0.8}),
    ("Adagrad", {}), ("Adagrad", {"initial_accumulator_value": 1.0, "epsilon": 1e-3}),
    ("SGD", {"clipnorm": 0.5}), ("Adam", {"global_clipnorm": 0.7}), ("RMSprop", {"clipvalue": 0.3}),
    ("SGD", {"weight_decay": 0.05, "momentum": 0.5}), ("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"gradient_accumulation_steps": 2}), ("SGD", {"loss_scale_factor": 4.0, "momentum": 0.5}),
]


def _ids(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _pair(name, kwargs, learning_rate=0.05):
    return (getattr(keras.optimizers, name)(learning_rate=learning_rate, **kwargs),
            getattr(tg.keras.optimizers, name)(learning_rate=learning_rate, **kwargs))


def _close(a, b, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_same_gradients_same_variables(case):
    name, kwargs = case
    k_opt, t_opt = _pair(name, kwargs)
    k_vars = [tf.Variable(x, name=f"v{i}") for i, x in enumerate(INIT)]
    t_vars = [tg.Variable(x, name=f"v{i}") for i, x in enumerate(INIT)]
    for gs in GRADS:
        k_it = k_opt.apply_gradients(zip([tf.constant(g) for g in gs], k_vars))
        t_it = t_opt.apply_gradients(zip([tg.constant(g) for g in gs], t_vars))
        for k, t in zip(k_vars, t_vars):
            _close(k.numpy(), t.numpy())
        assert int(k_it.numpy()) == int(t_it.numpy())
    assert [v.path for v in k_opt.variables] == [v.path for v in t_opt.variables]
    for k, t in zip(k_opt.variables, t_opt.variables):
        assert k.dtype == t.dtype.name and tuple(k.shape) == tuple(t.shape)
        _close(k.numpy(), t.numpy())
    assert int(k_opt.iterations.numpy()) == int(t_opt.iterations.numpy())


# Keras cannot apply IndexedSlices with gradient accumulation or loss_scale_factor ("unsupported operand type(s)
# for /: 'IndexedSlices' and 'float'"): those cases are compared dense only.
SPARSE_CASES = [c for c in CASES if not (c[1].get("gradient_accumulation_steps") or c[1].get("loss_scale_factor"))]


@pytest.mark.parametrize("case", SPARSE_CASES, ids=[_ids(c) for c in SPARSE_CASES])
def test_sparse_gradients_with_distinct_indices(case):
    name, kwargs = case
    k_opt, t_opt = _pair(name, kwargs, 0.1)
    init = np.arange(12, dtype=np.float32).reshape(6, 2)
    k_var, t_var = tf.Variable(init), tg.Variable(init)
    for step in range(3):
        values = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, -0.5]], np.float32) * (step + 1)
        indices = np.array([4, 0, 2], np.int32)
        k_opt.apply_gradients([(tf.IndexedSlices(tf.constant(values), tf.constant(indices), tf.constant([6, 2])),
                                k_var)])
        t_opt.apply_gradients([(tg.IndexedSlices(tg.constant(values), tg.constant(indices), [6, 2]), t_var)])
        _close(k_var.numpy(), t_var.numpy())
    for k, t in zip(k_opt.variables, t_opt.variables):
        _close(k.numpy(), t.numpy())


@pytest.mark.xfail(strict=True, reason="Keras 3's TensorFlow backend squares an IndexedSlices' values before "
                   "summing repeated indices (Adam, RMSprop, Adagrad), so its sparse numbers differ from the dense "
                   "gradient's; tapegrad sums repeated indices first and keeps the dense numbers")
def test_sparse_gradients_with_repeated_indices_match_keras():
    k_opt, t_opt = _pair("Adagrad", {}, 0.1)
    init = np.arange(8, dtype=np.float32).reshape(4, 2)
    k_var, t_var = tf.Variable(init), tg.Variable(init)
    values = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    k_opt.apply_gradients([(tf.IndexedSlices(tf.constant(values), tf.constant([2, 0, 2]), tf.constant([4, 2])),
                            k_var)])
    t_opt.apply_gradients([(tg.IndexedSlices(tg.constant(values), tg.constant([2, 0, 2]), [4, 2]), t_var)])
    _close(k_var.numpy(), t_var.numpy())


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adagrad", "SGD"])
def test_sparse_gradients_with_repeated_indices_match_keras_dense(name):
    k_opt, t_opt = _pair(name, {"momentum": 0.5} if name == "SGD" else {}, 0.1)
    init = np.arange(8, dtype=np.float32).reshape(4, 2)
    k_var, t_var = tf.Variable(init), tg.Variable(init)
    for step in range(3):
        values = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32) * (step + 1)
        k_slices = tf.IndexedSlices(tf.constant(values), tf.constant([2, 0, 2]), tf.constant([4, 2]))
        k_opt.apply_gradients([(tf.convert_to_tensor(k_slices), k_var)])
        t_opt.apply_gradients([(tg.IndexedSlices(tg.constant(values), tg.constant([2, 0, 2]), [4, 2]), t_var)])
    _close(k_var.numpy(), t_var.numpy())


def test_embedding_gradients_from_a_tape_in_both():
    init = np.random.default_rng(3).standard_normal((50, 4)).astype(np.float32)
    ids = np.array([3, 17, 42, 8], np.int32)
    k_var, t_var = tf.Variable(init), tg.Variable(init)
    k_opt, t_opt = keras.optimizers.Adam(0.01), tg.keras.optimizers.Adam(0.01)
    for _ in range(3):
        with tf.GradientTape() as tape:
            k_loss = tf.reduce_sum(tf.gather(k_var, ids) ** 2)
        k_grad = tape.gradient(k_loss, k_var)
        with tg.GradientTape() as tape:
            t_loss = tg.reduce_sum(tg.gather(t_var, ids) ** 2)
        t_grad = tape.gradient(t_loss, t_var)
        assert type(k_grad).__name__ == type(t_grad).__name__ == "IndexedSlices"
        k_opt.apply_gradients([(k_grad, k_var)])
        t_opt.apply_gradients([(t_grad, t_var)])
    _close(k_var.numpy(), t_var.numpy())


SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=20, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=20, warmup_target=0.2, warmup_steps=5)),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 9], values=[1.0, 0.5, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=10, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=4, decay_rate=0.5, staircase=True)),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_schedules(name, kwargs):
    k = getattr(keras.optimizers.schedules, name)(**kwargs)
    t = getattr(tg.keras.optimizers.schedules, name)(**kwargs)
    for step in (0, 1, 3, 4, 5, 9, 10, 13, 24, 40):
        kv, tv = k(step), t(step)
        assert str(kv.dtype.name) == tv.dtype.name
        _close(kv.numpy(), tv.numpy(), rtol=2e-6)
    assert k.get_config() == t.get_config()


def test_schedule_in_an_optimizer():
    kwargs = dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5, staircase=True)
    k_opt = keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(**kwargs), momentum=0.5)
    t_opt = tg.keras.optimizers.SGD(tg.keras.optimizers.schedules.ExponentialDecay(**kwargs), momentum=0.5)
    k_var, t_var = tf.Variable(INIT[0]), tg.Variable(INIT[0])
    for gs in GRADS:
        k_opt.apply_gradients([(tf.constant(gs[0]), k_var)])
        t_opt.apply_gradients([(tg.constant(gs[0]), t_var)])
        _close(k_var.numpy(), t_var.numpy())
        _close(k_opt.learning_rate.numpy(), t_opt.learning_rate.numpy())
    assert k_opt.get_config() == t_opt.get_config()


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_get_config(case):
    name, kwargs = case
    k_opt, t_opt = _pair(name, kwargs)
    k_config, t_config = k_opt.get_config(), t_opt.get_config()
    k_config.pop("name"), t_config.pop("name")
    assert k_config == t_config


def test_default_names_and_variable_reprs():
    keras.backend.clear_session()
    tg.keras.backend.clear_session()
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adam"):
        k, t = getattr(keras.optimizers, name)(), getattr(tg.keras.optimizers, name)()
        assert k.name == t.name
        assert repr(k.iterations) == repr(t.iterations)
        assert repr(k.learning_rate) == repr(t.learning_rate)


def test_none_gradient_warning_text():
    def message(module, opt):
        a, b = module.Variable([1.0], name="a"), module.Variable([1.0], name="b")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt.apply_gradients([(module.constant([1.0]), a), (None, b)])
        return [str(w.message) for w in caught if "Gradients do not exist" in str(w.message)]

    assert message(tf, keras.optimizers.SGD(0.1)) == message(tg, tg.keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="No gradients provided for any variable.") as k_err:
        keras.optimizers.Adam().apply_gradients([(None, tf.Variable(1.0))])
    with pytest.raises(ValueError) as t_err:
        tg.keras.optimizers.Adam().apply_gradients([(None, tg.Variable(1.0))])
    assert str(k_err.value) == str(t_err.value)


def test_training_an_mlp_for_twenty_steps():
    r = np.random.default_rng(5)
    x = r.standard_normal((32, 8)).astype(np.float32)
    y = r.integers(0, 3, 32)
    init = [r.standard_normal((8, 16)).astype(np.float32) * 0.3, np.zeros(16, np.float32),
            r.standard_normal((16, 3)).astype(np.float32) * 0.3, np.zeros(3, np.float32)]

    def run(module, opt):
        params = [module.Variable(p) for p in init]
        for _ in range(20):
            with module.GradientTape() as tape:
                h = module.nn.relu(module.matmul(module.constant(x), params[0]) + params[1])
                logits = module.matmul(h, params[2]) + params[3]
                loss = module.reduce_mean(module.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=module.constant(y), logits=logits))
            opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return [p.numpy() for p in params]

    for name in ("Adam", "RMSprop", "SGD"):
        keras_result = run(tf, getattr(keras.optimizers, name)(0.01))
        tapegrad_result = run(tg, getattr(tg.keras.optimizers, name)(0.01))
        for k, t in zip(keras_result, tapegrad_result):
            _close(k, t, rtol=1e-4, atol=1e-5)
