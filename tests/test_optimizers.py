"""tf.keras.optimizers and their schedules: each optimizer's updates against its published update equations,
written out here in float64 NumPy, over several steps; clipping, weight decay, schedules, None gradients,
sparse (IndexedSlices) updates, copy-on-write, state, config and errors."""

from __future__ import annotations

import doctest
import math
import sys
import warnings

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.keras import optimizers as optimizers_pkg
from tapegrad.keras.optimizers import adagrad, adam, adamw, base_optimizer, rmsprop, schedules, sgd

RNG = np.random.default_rng(7)
SHAPES = [(3, 4), (4,), ()]
INIT = [RNG.standard_normal(s).astype(np.float32) for s in SHAPES]
GRADS = [[RNG.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(4)]
LR = 0.05


def run(opt, grads=GRADS, init=INIT):
    variables = [tf.Variable(x) for x in init]
    for gs in grads:
        opt.apply_gradients(zip([tf.constant(g) for g in gs], variables))
    return [v.numpy() for v in variables]


def check(got, want, rtol=2e-5, atol=2e-6):
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, np.float64), w, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- references (float64, per paper)

def ref_sgd(momentum=0.0, nesterov=False, grads=GRADS):
    out = []
    for i, x in enumerate(INIT):
        w, v = x.astype(np.float64), 0.0
        for gs in grads:
            g = gs[i].astype(np.float64)
            if momentum == 0:
                w = w - LR * g
            else:
                v = momentum * v - LR * g
                w = w + (momentum * v - LR * g if nesterov else v)
        out.append(w)
    return out


def ref_adam(beta_1=0.9, beta_2=0.999, eps=1e-7, amsgrad=False, weight_decay=0.0):
    out = []
    for i, x in enumerate(INIT):
        w, m, v, vmax = x.astype(np.float64), 0.0, 0.0, 0.0
        for t, gs in enumerate(GRADS, start=1):
            g = gs[i].astype(np.float64)
            w = w - w * weight_decay * LR  # decoupled weight decay (AdamW), before the Adam step
            m = beta_1 * m + (1 - beta_1) * g
            v = beta_2 * v + (1 - beta_2) * g * g
            vmax = np.maximum(vmax, v)
            alpha = LR * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            w = w - alpha * m / (np.sqrt(vmax if amsgrad else v) + eps)
        out.append(w)
    return out


def ref_rmsprop(rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    out = []
    for i, x in enumerate(INIT):
        w, v, mg, mom = x.astype(np.float64), 0.0, 0.0, 0.0
        for gs in GRADS:
            g = gs[i].astype(np.float64)
            v = rho * v + (1 - rho) * g * g
            denom = v + eps
            if centered:
                mg = rho * mg + (1 - rho) * g
                denom = v - mg * mg + eps
            inc = LR * g / np.sqrt(denom)
            if momentum > 0:
                mom = momentum * mom + inc
                w = w - mom
            else:
                w = w - inc
        out.append(w)
    return out


def ref_adagrad(initial=0.1, eps=1e-7):
    out = []
    for i, x in enumerate(INIT):
        w, acc = x.astype(np.float64), initial
        for gs in GRADS:
            g = gs[i].astype(np.float64)
            acc = acc + g * g
            w = w - LR * g / np.sqrt(acc + eps)
        out.append(w)
    return out


# ----------------------------------------------------------------------------- update equations

@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_follows_its_equations(momentum, nesterov):
    check(run(tf.keras.optimizers.SGD(LR, momentum=momentum, nesterov=nesterov)), ref_sgd(momentum, nesterov))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_follows_its_equations(amsgrad):
    check(run(tf.keras.optimizers.Adam(LR, amsgrad=amsgrad)), ref_adam(amsgrad=amsgrad))


def test_adam_hyperparameters():
    got = run(tf.keras.optimizers.Adam(LR, beta_1=0.5, beta_2=0.9, epsilon=0.1))
    check(got, ref_adam(beta_1=0.5, beta_2=0.9, eps=0.1))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_decays_weights_decoupled(amsgrad):
    check(run(tf.keras.optimizers.AdamW(LR, weight_decay=0.1, amsgrad=amsgrad)),
          ref_adam(amsgrad=amsgrad, weight_decay=0.1))
    check(run(tf.keras.optimizers.AdamW(LR)), ref_adam(weight_decay=0.004))  # Keras's default decay


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.5, False), (0.0, True), (0.3, True)])
def test_rmsprop_follows_its_equations(momentum, centered):
    check(run(tf.keras.optimizers.RMSprop(LR, momentum=momentum, centered=centered)),
          ref_rmsprop(momentum=momentum, centered=centered))


def test_adagrad_follows_its_equations():
    check(run(tf.keras.optimizers.Adagrad(LR)), ref_adagrad())
    check(run(tf.keras.optimizers.Adagrad(LR, initial_accumulator_value=1.0, epsilon=1e-3)),
          ref_adagrad(initial=1.0, eps=1e-3))


def test_weight_decay_works_on_every_optimizer_and_can_exclude_variables():
    opt = tf.keras.optimizers.SGD(LR, weight_decay=0.5)
    w, b = tf.Variable([2.0], name="kernel"), tf.Variable([2.0], name="bias")
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(tf.constant([0.0]), w), (tf.constant([0.0]), b)])
    np.testing.assert_allclose(w.numpy(), [2.0 - 2.0 * 0.5 * LR], rtol=1e-6)
    assert b.numpy()[0] == 2.0
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["x"])


# ----------------------------------------------------------------------------- clipping

def test_clipnorm_clips_each_gradient_to_the_norm():
    w1, w2 = tf.Variable([0.0, 0.0]), tf.Variable([0.0, 0.0])
    opt = tf.keras.optimizers.SGD(1.0, clipnorm=1.0)
    opt.apply_gradients([(tf.constant([3.0, 4.0]), w1), (tf.constant([0.3, 0.4]), w2)])
    np.testing.assert_allclose(w1.numpy(), [-0.6, -0.8], rtol=1e-6)  # norm 5 -> 1
    np.testing.assert_allclose(w2.numpy(), [-0.3, -0.4], rtol=1e-6)  # norm 0.5: unchanged


def test_global_clipnorm_scales_all_gradients_together():
    w1, w2 = tf.Variable([0.0, 0.0]), tf.Variable([0.0])
    opt = tf.keras.optimizers.SGD(1.0, global_clipnorm=2.6)
    opt.apply_gradients([(tf.constant([3.0, 4.0]), w1), (tf.constant([12.0]), w2)])  # global norm 13
    np.testing.assert_allclose(w1.numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), [-2.4], rtol=1e-6)


def test_clipvalue_clips_elementwise():
    w = tf.Variable([0.0, 0.0, 0.0])
    tf.keras.optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(tf.constant([2.0, -3.0, 0.25]), w)])
    np.testing.assert_allclose(w.numpy(), [-0.5, 0.5, -0.25])


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        tf.keras.optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


def test_loss_scale_factor_unscales_gradients():
    w = tf.Variable([1.0])
    tf.keras.optimizers.SGD(0.5, loss_scale_factor=4.0).apply_gradients([(tf.constant([8.0]), w)])
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.5 * 2.0])


# ----------------------------------------------------------------------------- learning rates and schedules

def test_exponential_decay():
    s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0).dtype == tf.float32
    np.testing.assert_allclose([float(s(n)) for n in (0, 5, 10, 25)], [0.1 * 0.5 ** (n / 10) for n in (0, 5, 10, 25)],
                               rtol=1e-6)
    st = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose([float(st(n)) for n in (9, 10, 19, 25)], [0.1, 0.05, 0.05, 0.025], rtol=1e-6)
    with pytest.raises(ValueError, match="decay_steps"):
        tf.keras.optimizers.schedules.ExponentialDecay(0.1, 0, 0.5)


def test_cosine_decay_with_alpha_and_warmup():
    s = tf.keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100, alpha=0.2)
    for n in (0, 30, 100, 150):
        k = min(n, 100)
        want = 0.1 * ((1 - 0.2) * 0.5 * (1 + math.cos(math.pi * k / 100)) + 0.2)
        assert float(s(n)) == pytest.approx(want, rel=1e-6)
    w = tf.keras.optimizers.schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    assert float(w(5)) == pytest.approx(0.05, rel=1e-6)
    assert float(w(10)) == pytest.approx(0.1, rel=1e-6)
    assert float(w(60)) == pytest.approx(0.05, rel=1e-5)


def test_other_schedules_and_serialization():
    pc = tf.keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [float(pc(n)) for n in (0, 10, 11, 20, 21)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1])
    poly = tf.keras.optimizers.schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.0, power=2.0)
    assert float(poly(5)) == pytest.approx(0.1 * 0.25, rel=1e-6)
    inv = tf.keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 0.5)
    assert float(inv(2)) == pytest.approx(0.05, rel=1e-6)
    for sched in (pc, poly, inv, tf.keras.optimizers.schedules.CosineDecay(0.1, 7, alpha=0.1)):
        again = schedules.deserialize(schedules.serialize(sched))
        assert type(again) is type(sched) and again.get_config() == sched.get_config()


def test_optimizer_evaluates_its_schedule_at_the_current_step():
    sched = tf.keras.optimizers.schedules.PiecewiseConstantDecay([0], [1.0, 0.5])  # 1.0 at step 0, then 0.5
    opt = tf.keras.optimizers.SGD(sched)
    w = tf.Variable(0.0)
    for _ in range(3):
        opt.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(-(1.0 + 0.5 + 0.5))
    assert float(opt.learning_rate) == 0.5
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    assert type(tf.keras.optimizers.SGD.from_config(config).learning_rate).__name__ == "Tensor"


def test_learning_rate_variable_setter_and_validation():
    lr = tf.Variable(0.5)
    opt = tf.keras.optimizers.SGD(lr)
    w = tf.Variable(0.0)
    opt.apply_gradients([(tf.constant(1.0), w)])
    lr.assign(0.25)
    opt.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == -0.75
    opt2 = tf.keras.optimizers.Adam(0.1)
    opt2.learning_rate = 0.01
    assert float(opt2.learning_rate) == pytest.approx(0.01)
    assert opt2.learning_rate.path.endswith("/learning_rate")
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float"):
        tf.keras.optimizers.SGD(1)
    with pytest.raises(ValueError, match="`momentum` must be a float between"):
        tf.keras.optimizers.SGD(0.1, momentum=2.0)
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        tf.keras.optimizers.Adam(0.1, betta_1=0.9)
    with pytest.raises(ValueError, match="weight_decay"):
        tf.keras.optimizers.AdamW(weight_decay=None)


# ----------------------------------------------------------------------------- the apply path

def test_none_gradient_is_skipped_with_a_warning_naming_the_variable():
    a, b = tf.Variable([1.0], name="a"), tf.Variable([1.0], name="b")
    opt = tf.keras.optimizers.SGD(0.1)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b:0'\] when minimizing the loss"):
        opt.apply_gradients([(tf.constant([1.0]), a), (None, b)])
    assert a.numpy()[0] == pytest.approx(0.9) and b.numpy()[0] == 1.0
    assert int(opt.iterations) == 1
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a), (None, b)])


def test_none_gradient_of_an_unused_variable_from_a_tape():
    used, unused = tf.Variable(2.0, name="used"), tf.Variable(3.0, name="unused")
    with tf.GradientTape() as tape:
        loss = used * used
    grads = tape.gradient(loss, [used, unused])
    with pytest.warns(UserWarning, match="unused"):
        tf.keras.optimizers.Adam(0.1).apply_gradients(zip(grads, [used, unused]))
    assert float(unused) == 3.0


def test_a_tensor_instead_of_a_variable_is_a_clear_error():
    opt = tf.keras.optimizers.SGD(0.1)
    with pytest.raises(TypeError, match="gradients can only be applied to a tf.Variable, but got a Tensor"):
        opt.apply_gradients([(tf.constant([1.0]), tf.constant([1.0]))])
    assert not opt.built


def test_unknown_variable_after_build_and_shape_mismatch():
    w = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(tf.constant([1.0]), tf.Variable([1.0]))])
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the variable has shape \(2,\)"):
        opt.apply_gradients([(tf.constant([1.0, 1.0, 1.0]), w)])


def test_apply_without_variables_uses_the_built_list():
    w = tf.Variable([1.0])
    opt = tf.keras.optimizers.SGD(0.5)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([tf.constant([1.0])])
    opt.build([w])
    opt.apply([tf.constant([1.0])])
    assert w.numpy()[0] == 0.5


def test_gradients_are_cast_to_the_variable_dtype():
    w = tf.Variable([1.0], dtype=tf.float64)
    tf.keras.optimizers.SGD(0.5).apply_gradients([(tf.constant([1.0]), w)])
    assert w.dtype == tf.float64 and w.numpy()[0] == 0.5


def test_slots_are_lazy_one_per_variable_and_named_as_keras_names_them():
    a, b = tf.Variable([1.0], name="a"), tf.Variable([[1.0]], name="b")
    opt = tf.keras.optimizers.Adam(0.1, name="my_adam")
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]
    assert not opt.built
    opt.apply_gradients([(tf.constant([1.0]), a), (tf.constant([[1.0]]), b)])
    assert [v.path for v in opt.variables] == [
        "my_adam/iteration", "my_adam/learning_rate", "my_adam/a_0_momentum", "my_adam/a_0_velocity",
        "my_adam/b_0_momentum", "my_adam/b_0_velocity"]
    assert repr(opt.iterations) == "<Variable path=my_adam/iteration, shape=(), dtype=int64, value=1>"
    assert [tuple(v.shape) for v in opt.variables[2:]] == [(1,), (1,), (1, 1), (1, 1)]
    assert all(not v.trainable for v in opt.variables)


def test_minimize_with_a_callable_and_with_a_tape():
    w = tf.Variable(3.0)
    opt = tf.keras.optimizers.SGD(0.25)
    opt.minimize(lambda: w * w, [w])
    assert float(w) == 1.5
    with tf.GradientTape() as tape:
        loss = w * w
    opt.minimize(loss, [w], tape=tape)
    assert float(w) == 0.75
    opt.minimize(lambda: w * w, lambda: [w])  # var_list may be a callable too
    assert float(w) == 0.375
    with pytest.raises(ValueError, match="`tape` is required when a `Tensor` loss is passed"):
        opt.minimize(w * w, [w])


def test_get_config_round_trip_and_get():
    opt = tf.keras.optimizers.RMSprop(0.01, rho=0.8, momentum=0.1, centered=True, clipnorm=2.0, name="r")
    config = opt.get_config()
    assert config == {"name": "r", "learning_rate": pytest.approx(0.01), "weight_decay": None, "clipnorm": 2.0,
                      "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                      "ema_overwrite_frequency": None, "loss_scale_factor": None,
                      "gradient_accumulation_steps": None, "rho": 0.8, "momentum": 0.1, "epsilon": 1e-7,
                      "centered": True}
    again = tf.keras.optimizers.RMSprop.from_config(config)
    assert again.get_config() == config
    for name, cls in [("sgd", "SGD"), ("Adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"),
                      ("adagrad", "Adagrad")]:
        assert type(tf.keras.optimizers.get(name)).__name__ == cls
    assert tf.keras.optimizers.get(opt) is opt
    copy = optimizers_pkg.deserialize(optimizers_pkg.serialize(opt))
    assert copy.get_config() == config
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        tf.keras.optimizers.get("adamax2")


def test_iterations_and_names_count_like_keras():
    tf.keras.backend.clear_session()
    assert [tf.keras.optimizers.Adam().name, tf.keras.optimizers.Adam().name, tf.keras.optimizers.RMSprop().name,
            tf.keras.optimizers.AdamW().name] == ["adam", "adam_1", "rm_sprop", "adam_w"]
    opt = tf.keras.optimizers.SGD(0.1)
    w = tf.Variable(1.0)
    for n in range(1, 4):
        assert int(opt.apply_gradients([(tf.constant(1.0), w)])) == n
    assert opt.iterations.dtype == tf.int64


def test_set_weights_copies_optimizer_state():
    variables = [tf.Variable(x) for x in INIT]
    opt = tf.keras.optimizers.Adam(LR)
    for gs in GRADS[:2]:
        opt.apply_gradients(zip([tf.constant(g) for g in gs], variables))
    clone = [tf.Variable(v.numpy()) for v in variables]
    opt2 = tf.keras.optimizers.Adam(LR)
    opt2.build(clone)
    opt2.set_weights([v.numpy() for v in opt.variables])
    for gs in GRADS[2:]:
        opt.apply_gradients(zip([tf.constant(g) for g in gs], variables))
        opt2.apply_gradients(zip([tf.constant(g) for g in gs], clone))
    for a, b in zip(variables, clone):
        assert np.array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        opt2.set_weights([np.zeros(3)])


def test_ema_and_gradient_accumulation():
    w = tf.Variable([1.0])
    opt = tf.keras.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0]), w)])
    assert w.numpy()[0] == -2.0
    # averages: step 1 -> 0 (momentum 0 on the first step), step 2 -> 0.5*0 + 0.5*-1, step 3 -> 0.5*-0.5 + 0.5*-2
    opt.finalize_variable_values([w])
    assert w.numpy()[0] == pytest.approx(-1.25)
    v = tf.Variable([0.0])
    acc = tf.keras.optimizers.SGD(1.0, gradient_accumulation_steps=2)
    acc.apply_gradients([(tf.constant([1.0]), v)])
    assert v.numpy()[0] == 0.0 and int(acc.iterations) == 0
    acc.apply_gradients([(tf.constant([3.0]), v)])
    assert v.numpy()[0] == -2.0 and int(acc.iterations) == 1


def test_overwrite_with_gradient_variables_take_their_gradient():
    v = tf.keras.Variable([1.0, 2.0], name="scale")
    v.overwrite_with_gradient = True
    w = tf.Variable([1.0])
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant([5.0, 6.0]), v), (tf.constant([1.0]), w)])
    assert v.numpy().tolist() == [5.0, 6.0]
    assert len(opt.variables) == 4  # iteration, learning_rate, and w's two slots: none for `scale`


# ----------------------------------------------------------------------------- sparse gradients

def _embedding_grad(table, ids):
    with tf.GradientTape() as tape:
        rows = tf.gather(table, ids)
        loss = tf.reduce_sum(rows * tf.constant(np.arange(1, 3, dtype=np.float32)))
    return tape.gradient(loss, table)


def test_gather_gradients_are_applied_sparsely_by_sgd():
    table = tf.Variable(np.ones((1000, 2), np.float32))
    grad = _embedding_grad(table, [3, 7, 3])
    assert type(grad).__name__ == "IndexedSlices"
    before = table.numpy()
    ptr = table._value.ctypes.data
    tf.keras.optimizers.SGD(0.1).apply_gradients([(grad, table)])
    after = table.numpy()
    changed = np.flatnonzero((after != before).any(axis=1))
    assert changed.tolist() == [3, 7]
    np.testing.assert_allclose(after[3], [1 - 0.1 * 2, 1 - 0.1 * 4])  # row 3 gathered twice: gradients add
    np.testing.assert_allclose(after[7], [1 - 0.1 * 1, 1 - 0.1 * 2])
    assert table._value.ctypes.data == ptr  # rows written in place: no copy of the 1000-row table


def test_adagrad_updates_only_the_gathered_rows_of_its_accumulator():
    table = tf.Variable(np.ones((6, 2), np.float32))
    opt = tf.keras.optimizers.Adagrad(0.1)
    opt.apply_gradients([(_embedding_grad(table, [1, 4]), table)])
    acc = opt.variables[2].numpy()
    assert np.array_equal(np.flatnonzero((acc != np.float32(0.1)).any(axis=1)), [1, 4])


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {}), ("SGD", {"momentum": 0.5, "nesterov": True}), ("Adam", {}), ("Adam", {"amsgrad": True}),
    ("AdamW", {}), ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}), ("RMSprop", {"centered": True}),
    ("Adagrad", {}), ("SGD", {"clipnorm": 0.5}), ("Adam", {"global_clipnorm": 0.5}), ("RMSprop", {"clipvalue": 0.2}),
])
def test_sparse_gradients_move_variables_as_their_dense_equivalent(name, kwargs):
    """Repeated indices are summed first, so every optimizer gives the dense gradient's numbers."""
    init = np.arange(10, dtype=np.float32).reshape(5, 2)
    sparse_var, dense_var = tf.Variable(init), tf.Variable(init)
    cls = getattr(tf.keras.optimizers, name)
    sparse_opt, dense_opt = cls(learning_rate=0.1, **kwargs), cls(learning_rate=0.1, **kwargs)
    for step in range(3):
        values = tf.constant(np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32) * (step + 1))
        grad = tf.IndexedSlices(values, tf.constant([4, 0, 4]), [5, 2])
        sparse_opt.apply_gradients([(grad, sparse_var)])
        dense_opt.apply_gradients([(tf.convert_to_tensor(grad), dense_var)])
    np.testing.assert_allclose(sparse_var.numpy(), dense_var.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(sparse_opt.variables, dense_opt.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_sparse_gradient_of_the_wrong_shape_is_an_error():
    table = tf.Variable(np.ones((4, 2), np.float32))
    bad = tf.IndexedSlices(tf.constant([[1.0, 1.0]]), tf.constant([0]), [5, 2])
    with pytest.raises(ValueError, match=r"dense_shape \[5, 2\], but the variable has shape \[4, 2\]"):
        tf.keras.optimizers.SGD(0.1).apply_gradients([(bad, table)])


# ----------------------------------------------------------------------------- copy-on-write

def test_a_tensor_read_before_an_update_keeps_its_value():
    w = tf.Variable([1.0, 2.0])
    snapshot = w.value()
    tf.keras.optimizers.SGD(0.5).apply_gradients([(tf.constant([1.0, 1.0]), w)])
    assert snapshot.numpy().tolist() == [1.0, 2.0]
    assert w.numpy().tolist() == [0.5, 1.5]


def test_an_update_writes_in_place_when_nothing_else_holds_the_buffer():
    w = tf.Variable(np.ones((64, 64), np.float32))
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant(np.ones((64, 64), np.float32)), w)])
    ptr = w._value.ctypes.data
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    opt.apply_gradients([(tape.gradient(loss, w), w)])
    assert w._value.ctypes.data == ptr
    refs = sys.getrefcount(w._value)
    assert refs == 2  # the variable and this call's argument: the tape kept no reference after gradient()


# ----------------------------------------------------------------------------- with Keras layers

def test_optimizers_train_a_dense_layer():
    tf.keras.utils.set_random_seed(1)
    x = tf.random.normal((64, 3))
    y = tf.matmul(x, tf.constant([[1.0], [-2.0], [0.5]])) + 0.3
    for name, lr in (("SGD", 0.1), ("Adam", 0.1), ("AdamW", 0.1), ("RMSprop", 0.05), ("Adagrad", 1.0)):
        layer = tf.keras.layers.Dense(1)
        opt = getattr(tf.keras.optimizers, name)(learning_rate=lr)
        losses = []
        for _ in range(60):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((layer(x) - y) ** 2)
            grads = tape.gradient(loss, layer.trainable_variables)
            opt.apply_gradients(zip(grads, layer.trainable_variables))
            losses.append(float(loss))
        assert losses[-1] < 0.05 * losses[0], name


def test_doctests():
    for module in (base_optimizer, sgd, adam, adamw, rmsprop, adagrad, schedules, optimizers_pkg):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0, module.__name__


# ----------------------------------------------------------------------------- other array backends

@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {}), ("SGD", {"momentum": 0.9, "nesterov": True}), ("Adam", {"amsgrad": True}), ("AdamW", {}),
    ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adagrad", {}), ("Adam", {"clipnorm": 0.5}),
    ("SGD", {"global_clipnorm": 0.5}), ("RMSprop", {"clipvalue": 0.1}), ("SGD", {"use_ema": True}),
])
def test_variables_on_array_api_strict_stay_there_and_match_numpy(name, kwargs):
    xp = pytest.importorskip("array_api_strict")
    strict = type(xp.asarray(1.0))
    init = np.arange(6, dtype=np.float32).reshape(3, 2) / 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy call on a strict array (it would warn or raise)
        on_strict, on_numpy = tf.Variable(xp.asarray(init)), tf.Variable(init)
        cls = getattr(tf.keras.optimizers, name)
        opt_strict, opt_numpy = cls(0.1, **kwargs), cls(0.1, **kwargs)
        for k in range(3):
            g = np.cos(np.arange(6, dtype=np.float32) * (k + 1)).reshape(3, 2)
            opt_strict.apply_gradients([(tf.constant(xp.asarray(g)), on_strict)])
            opt_numpy.apply_gradients([(tf.constant(g), on_numpy)])
        sparse = tf.IndexedSlices(tf.constant(xp.asarray(np.ones((2, 2), np.float32))), tf.constant([2, 0]), [3, 2])
        opt_strict.apply_gradients([(sparse, on_strict)])
        opt_numpy.apply_gradients([(tf.IndexedSlices(tf.constant(np.ones((2, 2), np.float32)), tf.constant([2, 0]),
                                                     [3, 2]), on_numpy)])
    assert type(on_strict._value) is strict
    assert all(type(v._value) is strict for v in opt_strict.variables[2:])
    np.testing.assert_array_equal(np.asarray(on_strict.numpy()), on_numpy.numpy())
