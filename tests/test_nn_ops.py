"""tf.nn: values against NumPy references (convolution against a naive loop), TensorFlow's edge conventions,
shape and padding arithmetic, errors, and gradients of the composite ops. The registry-driven tests
(test_registry.py, test_batched_cotangents.py, test_array_api_strict.py) check every nn primitive's rules."""

from __future__ import annotations

import doctest
import math

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

RNG = np.random.default_rng(0)
F64 = tf.float64


def _t(a, dtype=np.float64):
    return tf.constant(np.asarray(a, dtype))


def _grad(f, *xs):
    xs = [x if isinstance(x, tf.Tensor) else _t(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


def _jvp(f, x, t):
    x, t = _t(x), _t(t)
    with tf.autodiff.ForwardAccumulator(x, t) as acc:
        y = f(x)
    return acc.jvp(y).numpy()


# =========================================================================== activations

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
X = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 7.0])

ACTIVATIONS = {
    "relu": (tf.nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (tf.nn.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "selu": (tf.nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    "softsign": (tf.nn.softsign, lambda x: x / (1 + np.abs(x))),
    "softplus": (tf.nn.softplus, lambda x: np.log1p(np.exp(x))),
    "silu": (tf.nn.silu, lambda x: x / (1 + np.exp(-x))),
    "swish_beta": (lambda x: tf.nn.swish(x, beta=2.0), lambda x: x / (1 + np.exp(-2 * x))),
    "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True),
                  lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_dtype(name):
    f, ref = ACTIVATIONS[name]
    np.testing.assert_allclose(f(_t(X)).numpy(), ref(X), rtol=1e-12, atol=1e-15)
    y32 = f(tf.constant(X.astype(np.float32)))
    assert y32.dtype == tf.float32
    np.testing.assert_allclose(y32.numpy(), ref(X), rtol=1e-5, atol=1e-6)


def test_gelu_exact_uses_erf():
    x = np.array([-2.0, -0.3, 0.0, 1.0, 3.0])
    want = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(tf.nn.gelu(_t(x)).numpy(), want, rtol=1e-12, atol=1e-15)
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.gelu(t)), x)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(g, cdf + x * np.exp(-x**2 / 2) / math.sqrt(2 * math.pi), rtol=1e-12)
    check_gradients(tf.nn.gelu, [x], order=2)


@pytest.mark.parametrize(("f", "x", "want"), [
    (tf.nn.relu, [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),             # relu'(0) = 0
    (tf.nn.relu6, [0.0, 3.0, 6.0, 7.0], [0.0, 1.0, 0.0, 0.0]),     # 0 at 0 and at 6
    (tf.nn.leaky_relu, [-1.0, 0.0, 1.0], [0.2, 0.2, 1.0]),        # alpha at 0
    (tf.nn.elu, [-1.0, 0.0, 1.0], [math.exp(-1.0), 1.0, 1.0]),    # EluGrad from the output: 1 at 0
    (tf.nn.selu, [0.0, 1.0], [SELU_S, SELU_S]),
])
def test_activation_gradients_at_kinks_follow_tensorflow(f, x, want):
    (g,) = _grad(lambda t: tf.reduce_sum(f(t)), x)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    np.testing.assert_allclose(_jvp(f, x, np.ones(len(x))), want, rtol=1e-12)


def test_relu_propagates_nan_and_keeps_integers():
    y = tf.nn.relu(tf.constant([np.nan, -1.0, 1.0]))
    assert np.isnan(y.numpy()[0]) and y.numpy()[1:].tolist() == [0.0, 1.0]
    yi = tf.nn.relu(tf.constant([-3, 4]))
    assert yi.dtype == tf.int32 and yi.numpy().tolist() == [0, 4]


def test_activation_second_derivatives():
    x = np.array([-1.3, -0.4, 0.6, 1.7])
    for f in (tf.nn.elu, tf.nn.selu, tf.nn.softsign, tf.nn.silu, lambda t: tf.nn.gelu(t, approximate=True),
              lambda t: tf.nn.leaky_relu(t, 0.1), tf.nn.softplus):
        check_gradients(f, [x], order=2)
    check_gradients(lambda t, b: tf.nn.silu(t, beta=b), [x, 1.5], order=2)


def test_float_only_activations_reject_integers():
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32.*Elu"):
        tf.nn.elu(tf.constant([1, 2]))
    assert tf.nn.leaky_relu(tf.constant([-5, 5])).dtype == tf.float32  # TF computes integers in float32


# =========================================================================== softmax, log_softmax


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_softmax_values_axis_and_stability():
    x = RNG.standard_normal((3, 4, 5))
    for axis in (-1, 0, 1, 2):
        np.testing.assert_allclose(tf.nn.softmax(_t(x), axis=axis).numpy(), _np_softmax(x, axis), rtol=1e-12)
        np.testing.assert_allclose(tf.nn.log_softmax(_t(x), axis=axis).numpy(), np.log(_np_softmax(x, axis)),
                                   rtol=1e-12)
    big = tf.constant([[1000.0, 1000.0, -1000.0], [1e4, 0.0, -np.inf]])
    np.testing.assert_allclose(tf.nn.softmax(big).numpy(), [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    ls = tf.nn.log_softmax(big).numpy()
    np.testing.assert_allclose(ls[0, :2], [-math.log(2)] * 2, rtol=1e-6)
    assert ls[1, 2] == -np.inf and np.isfinite(ls[0]).all()
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.softmax(t) * tf.constant([[1.0, 2.0, 3.0]] * 2, F64)),
                 [[1000.0, 1000.0, -1000.0], [1e4, 0.0, -np.inf]])
    assert np.isfinite(g).all()


def test_softmax_gradient_is_tensorflows_formula():
    x, w = RNG.standard_normal((2, 5)), RNG.standard_normal((2, 5))
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.softmax(t) * _t(w)), x)
    s = _np_softmax(x)
    np.testing.assert_allclose(g, (w - (w * s).sum(-1, keepdims=True)) * s, rtol=1e-12)
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.log_softmax(t) * _t(w)), x)
    np.testing.assert_allclose(g, w - w.sum(-1, keepdims=True) * s, rtol=1e-12)


def test_softmax_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`dim` must be in the range \[-2, 2\)"):
        tf.nn.softmax(tf.ones((2, 2)), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.nn.softmax(tf.constant([1, 2]))


# =========================================================================== cross-entropies


def test_dense_cross_entropy_values_and_gradients():
    logits, p = RNG.standard_normal((4, 6)), RNG.uniform(0.1, 1, (4, 6))
    labels = p / p.sum(-1, keepdims=True)
    w = RNG.standard_normal(4)
    f = lambda lab, lg: tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=lg) * _t(w))
    loss = tf.nn.softmax_cross_entropy_with_logits(labels=_t(labels), logits=_t(logits)).numpy()
    logp = np.log(_np_softmax(logits))
    np.testing.assert_allclose(loss, -(labels * logp).sum(-1), rtol=1e-12)
    g_lab, g_log = _grad(f, labels, logits)
    np.testing.assert_allclose(g_log, w[:, None] * (_np_softmax(logits) - labels), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_lab, w[:, None] * -logp, rtol=1e-12)
    check_gradients(f, [labels, logits], order=2)


def test_dense_cross_entropy_axis_broadcast_and_cast():
    logits = RNG.standard_normal((3, 5, 2))
    labels = np.eye(5)[[0, 3, 4]][:, :, None] * np.ones((1, 1, 2))
    got = tf.nn.softmax_cross_entropy_with_logits(labels=labels.tolist(), logits=_t(logits), axis=1)
    assert got.shape == (3, 2) and got.dtype == F64  # Python labels take the logits' dtype
    want = -(labels * np.log(_np_softmax(logits, axis=1))).sum(1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be broadcastable: logits_size=\\[3, 5\\]"):
        tf.nn.softmax_cross_entropy_with_logits(labels=tf.ones((3, 4)), logits=tf.ones((3, 5)))


def test_cross_entropies_stay_finite_at_large_logits():
    big = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], np.float32)
    onehot = np.array([[0, 1, 0], [1, 0, 0]], np.float32)
    dense = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=big).numpy()
    np.testing.assert_allclose(dense, [2e4, 1e4 + math.log(2)], rtol=1e-6)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 0], logits=big).numpy()
    np.testing.assert_allclose(sparse, dense, rtol=1e-6)
    # -inf logits away from the label: finite loss and gradient (TensorFlow's sparse kernel)
    lg = tf.constant([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 1], logits=t)),
                 lg)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 1], logits=lg).numpy()
    assert np.isfinite(loss).all() and np.isfinite(g).all()
    np.testing.assert_allclose(loss, [math.log(1 + math.exp(-1)), 0.0], atol=1e-7)


def test_sparse_cross_entropy_values_gradient_and_hessian():
    logits = RNG.standard_normal((5, 4))
    ids = np.array([0, 3, 1, 1, 2])
    for dt in (np.int32, np.int64):
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids.astype(dt), logits=_t(logits)).numpy()
        np.testing.assert_allclose(loss, -np.log(_np_softmax(logits))[np.arange(5), ids], rtol=1e-12)
    x = _t(logits)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=x)[1])
        g = inner.gradient(y, x)
        gg = g[1, 2]
    h = outer.gradient(gg, x).numpy()
    p = _np_softmax(logits)
    want_g = np.zeros_like(logits)
    want_g[1] = p[1] - np.eye(4)[3]
    np.testing.assert_allclose(g.numpy(), want_g, rtol=1e-12, atol=1e-15)
    want_h = np.zeros_like(logits)
    want_h[1] = (np.eye(4)[2] - p[1]) * p[1, 2]  # row 2 of diag(p) - p p^T
    np.testing.assert_allclose(h, want_h, rtol=1e-10, atol=1e-15)
    check_gradients(lambda t: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=t), [logits], order=2)


def test_saved_backprop_matches_recomputation_and_survives_a_persistent_tape():
    logits = tf.constant(RNG.standard_normal((3, 5)).astype(np.float32))
    ids = tf.constant([4, 0, 2], tf.int64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=logits))
    g1 = tape.gradient(loss, logits)  # the fast path: the forward pass's saved softmax - labels
    g2 = tape.gradient(loss, logits)
    with tf.GradientTape() as outer:  # under an outer tape the VJP recomputes with differentiable ops
        with tf.GradientTape() as inner:
            inner.watch(logits)
            loss2 = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=logits))
        g3 = inner.gradient(loss2, logits)
    want = (_np_softmax(logits.numpy().astype(np.float64)) - np.eye(5)[[4, 0, 2]]) / 3
    for g in (g1, g2, g3):
        assert g.dtype == tf.float32
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-5, atol=1e-7)
    del outer
    w = tf.constant([0.5, -2.0, 3.0])  # a non-uniform cotangent takes the per-row product
    for sparse in (True, False):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            per = (tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=logits) if sparse else
                   tf.nn.softmax_cross_entropy_with_logits(labels=np.eye(5, dtype=np.float32)[[4, 0, 2]],
                                                              logits=logits))
            loss = tf.reduce_sum(per * w)
        np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), want * 3 * w.numpy()[:, None], rtol=1e-5,
                                   atol=1e-6)


def test_sparse_cross_entropy_errors():
    logits = tf.zeros((3, 4))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"label value of 4 which is outside the valid range "
                                                             r"of \[0, 4\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 4, 1], logits=logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match="-1"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([0, -1, 1], tf.int64), logits=logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Tlabels.*float"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0, 1.0, 2.0], logits=logits)
    with pytest.raises(ValueError, match="labels.shape.rank` must equal `logits.shape.rank - 1"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[[0, 1, 2]], logits=logits)
    with pytest.raises(ValueError, match="except for the last dimension"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1], logits=logits)
    with pytest.raises(ValueError, match="cannot be a scalar"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(0), logits=tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="'T' of int32.*SparseSoftmaxCrossEntropyWithLogits"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=tf.constant([[1, 2]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one class"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=tf.zeros((1, 0)))


def test_sigmoid_cross_entropy_is_tensorflows_stable_formula():
    x = np.array([-1000.0, -3.0, 0.0, 0.5, 40.0, 1000.0])
    z = np.array([0.0, 1.0, 0.3, 1.0, 0.0, 1.0])
    got = tf.nn.sigmoid_cross_entropy_with_logits(labels=_t(z), logits=_t(x)).numpy()
    want = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    gz, gx = _grad(lambda a, b: tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b)), z, x)
    np.testing.assert_allclose(gx, 0.5 * (1 + np.tanh(x / 2)) - z, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(gz, -x)
    check_gradients(lambda a, b: tf.nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b), [z[1:5], x[1:5]])
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones(3), logits=tf.ones(2))


def test_weighted_cross_entropy_crelu_and_log_poisson_loss():
    x = np.array([-30.0, -1.5, 0.0, 0.7, 25.0])
    z = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    got = tf.nn.weighted_cross_entropy_with_logits(labels=_t(z), logits=_t(x), pos_weight=2.5).numpy()
    log_sig = lambda v: -np.logaddexp(0, -v)  # noqa: E731
    np.testing.assert_allclose(got, -(2.5 * z * log_sig(x) + (1 - z) * log_sig(-x)), rtol=1e-12)
    check_gradients(lambda a, b: tf.nn.weighted_cross_entropy_with_logits(a, b, 2.5), [z[[1, 3]], x[[1, 3]]],
                    order=2)  # (TF's form has a kink at x = 0)
    m = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(tf.nn.crelu(_t(m)).numpy(), np.maximum(np.concatenate([m, -m], -1), 0))
    assert tf.nn.crelu(_t(m), axis=0).shape == (4, 3)
    t, li = np.array([0.0, 0.5, 3.0, 7.0]), np.array([0.3, -1.0, 1.2, 2.0])
    np.testing.assert_allclose(tf.nn.log_poisson_loss(_t(t), _t(li)).numpy(), np.exp(li) - li * t, rtol=1e-12)
    stirling = np.where(t > 1, t * np.log(np.where(t > 0, t, 1)) - t + 0.5 * np.log(2 * np.pi * np.where(t > 0, t, 1)),
                        0.0)
    np.testing.assert_allclose(tf.nn.log_poisson_loss(_t(t), _t(li), compute_full_loss=True).numpy(),
                               np.exp(li) - li * t + stirling, rtol=1e-12)


# =========================================================================== losses and normalization


def test_l2_loss_and_l2_normalize():
    x = RNG.standard_normal((3, 4))
    assert float(tf.nn.l2_loss(_t(x))) == pytest.approx((x**2).sum() / 2, rel=1e-12)
    (g,) = _grad(tf.nn.l2_loss, x)
    np.testing.assert_allclose(g, x)
    np.testing.assert_allclose(tf.nn.l2_normalize(_t(x), axis=1).numpy(),
                               x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(tf.nn.l2_normalize(_t(x)).numpy(), x / np.linalg.norm(x), rtol=1e-12)
    np.testing.assert_array_equal(tf.nn.l2_normalize(tf.zeros(3)).numpy(), [0.0, 0.0, 0.0])  # epsilon: no NaN
    check_gradients(lambda t: tf.nn.l2_normalize(t, axis=0), [x], order=2)


def test_moments_and_batch_normalization():
    x = RNG.standard_normal((4, 3, 2))
    mean, var = tf.nn.moments(_t(x), axes=[0, 2])
    np.testing.assert_allclose(mean.numpy(), x.mean((0, 2)), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), x.var((0, 2)), rtol=1e-12)
    m2, v2 = tf.nn.moments(_t(x), axes=[1], keepdims=True)
    assert m2.shape == (4, 1, 2) and v2.shape == (4, 1, 2)
    check_gradients(lambda t: tf.nn.moments(t, axes=[0]), [x[:, :, 0]], order=1)
    scale, offset = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    m, v = x.mean((0, 2)), x.var((0, 2))
    got = tf.nn.batch_normalization(_t(np.moveaxis(x, 1, -1)), _t(m), _t(v), _t(offset), _t(scale), 1e-3)
    want = (np.moveaxis(x, 1, -1) - m) / np.sqrt(v + 1e-3) * scale + offset
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)

    def bn(t, s, o):
        mu, var_ = tf.nn.moments(t, axes=[0])
        return tf.nn.batch_normalization(t, mu, var_, o, s, 1e-3)

    check_gradients(bn, [x[:, :, 0], scale, offset], order=1)
    (gx,) = _grad(lambda t: tf.reduce_sum(bn(t, _t(scale), _t(offset)) * _t(x[:, :, 1])), x[:, :, 0])
    assert np.allclose(gx.sum(0), 0, atol=1e-12)  # normalized outputs do not move with a shift of the input


def test_moments_second_derivative_holds_the_mean_constant_as_tensorflow():
    """TF's moments computes the variance about stop_gradient(mean): first derivatives are exact (the mean's
    term is zero), second derivatives see the mean as a constant: d2 var / dx2 = 2/n I, not 2/n (I - 11^T/n)."""
    x = _t(RNG.standard_normal(4))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            _, var = tf.nn.moments(x, axes=[0])
        g = inner.gradient(var, x)
        gg = g[1]
    np.testing.assert_allclose(g.numpy(), 2 * (x.numpy() - x.numpy().mean()) / 4, rtol=1e-12)
    np.testing.assert_allclose(outer.gradient(gg, x).numpy(), [0.0, 0.5, 0.0, 0.0], atol=1e-15)


# =========================================================================== dropout


def test_dropout_values_scale_and_gradient():
    x = tf.constant(RNG.uniform(1, 2, (50, 40)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, rate=0.25, seed=3)
    g = tape.gradient(y, x).numpy()
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.75, rtol=1e-12)
    np.testing.assert_array_equal(g, np.where(kept, 1 / 0.75, 0.0))
    assert 0.65 < kept.mean() < 0.85
    assert tf.nn.dropout(x, rate=0.0) is x or np.array_equal(tf.nn.dropout(x, rate=0.0).numpy(), x.numpy())
    y2 = tf.nn.dropout(x, rate=tf.constant(0.5, F64), seed=1)
    assert set(np.unique(y2.numpy() / x.numpy()).round(12)) <= {0.0, 2.0}


def test_dropout_is_reproducible_under_seeds_and_noise_shape_broadcasts():
    tf.random.set_seed(11)
    a = tf.nn.dropout(tf.ones((4, 6)), rate=0.5, seed=7).numpy()
    b = tf.nn.dropout(tf.ones((4, 6)), rate=0.5, seed=7).numpy()
    tf.random.set_seed(11)
    c = tf.nn.dropout(tf.ones((4, 6)), rate=0.5, seed=7).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # the seeded stream moves on, as TensorFlow's
    y = tf.nn.dropout(tf.ones((5, 8)), rate=0.5, noise_shape=[5, 1], seed=2).numpy()
    assert all(len(set(row)) == 1 for row in y.tolist())  # one decision per row
    y = tf.nn.dropout(tf.ones((5, 8)), rate=0.5, noise_shape=[None, 1], seed=2).numpy()
    assert all(len(set(row)) == 1 for row in y.tolist())


def test_dropout_errors():
    with pytest.raises(ValueError, match="range"):
        tf.nn.dropout(tf.ones(3), rate=1.0)
    with pytest.raises(ValueError, match="floating"):
        tf.nn.dropout(tf.constant([1, 2]), rate=0.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="noise_shape"):
        tf.nn.dropout(tf.ones((2, 3)), rate=0.5, noise_shape=[2, 2])


# =========================================================================== bias_add


def test_bias_add_formats_gradient_and_errors():
    x, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal(4)
    np.testing.assert_allclose(tf.nn.bias_add(_t(x), _t(b)).numpy(), x + b)
    b3 = RNG.standard_normal(3)
    np.testing.assert_allclose(tf.nn.bias_add(_t(x), _t(b3), data_format="NCHW").numpy(), x + b3[:, None])
    _, gb = _grad(lambda t, c: tf.reduce_sum(tf.nn.bias_add(t, c) * _t(x)), x, b)
    np.testing.assert_allclose(gb, x.sum((0, 1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Biases must be 1D"):
        tf.nn.bias_add(_t(x), _t(np.ones((1, 4))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="as many biases"):
        tf.nn.bias_add(_t(x), _t(np.ones(3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 2D"):
        tf.nn.bias_add(_t(np.ones(4)), _t(np.ones(4)))


# =========================================================================== convolution


def _naive_conv(x, w, s, d, pads):
    """Direct loops: y[n, i, j, o] = sum_{a, b, c} xpad[n, i*s0 + a*d0, j*s1 + b*d1, c] * w[a, b, c, o]."""
    xp_ = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw, _, o = w.shape
    oh = (xp_.shape[1] - (kh - 1) * d[0] - 1) // s[0] + 1
    ow = (xp_.shape[2] - (kw - 1) * d[1] - 1) // s[1] + 1
    y = np.zeros((x.shape[0], oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    y[:, i, j, :] += xp_[:, i * s[0] + a * d[0], j * s[1] + b * d[1], :] @ w[a, b]
    return y


def _naive_conv_grads(x, w, gy, s, d, pads):
    xp_ = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp, dw = np.zeros_like(xp_), np.zeros_like(w)
    kh, kw = w.shape[:2]
    for i in range(gy.shape[1]):
        for j in range(gy.shape[2]):
            for a in range(kh):
                for b in range(kw):
                    r, c = i * s[0] + a * d[0], j * s[1] + b * d[1]
                    dxp[:, r, c, :] += gy[:, i, j, :] @ w[a, b].T
                    dw[a, b] += xp_[:, r, c, :].T @ gy[:, i, j, :]
    return dxp[:, pads[0][0]:pads[0][0] + x.shape[1], pads[1][0]:pads[1][0] + x.shape[2]], dw


def _same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return (total // 2, total - total // 2)


CONV = [  # (x shape, w shape, strides, dilations, padding)
    ((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), "SAME"),
    ((1, 8, 7, 2), (3, 2, 2, 3), (2, 3), (1, 1), "SAME"),
    ((2, 6, 6, 1), (2, 2, 1, 2), (2, 2), (1, 1), "VALID"),
    ((1, 9, 8, 2), (3, 3, 2, 2), (1, 1), (2, 3), "SAME"),
    ((1, 5, 6, 2), (2, 3, 2, 1), (1, 2), (1, 1), [[0, 0], [2, 1], [0, 3], [0, 0]]),
]


@pytest.mark.parametrize("case", range(len(CONV)))
def test_conv2d_matches_a_naive_loop_values_and_gradients(case):
    xs, ws, s, d, padding = CONV[case]
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    if isinstance(padding, str):
        pads = ((0, 0), (0, 0)) if padding == "VALID" else tuple(_same_pads(xs[i + 1], ws[i], s[i], d[i])
                                                                  for i in range(2))
    else:
        pads = (tuple(padding[1]), tuple(padding[2]))
    want = _naive_conv(x, w, s, d, pads)
    xt, wt = _t(x), _t(w)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        y = tf.nn.conv2d(xt, wt, strides=list(s), padding=padding, dilations=list(d))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-12)
    gy = RNG.standard_normal(want.shape)
    gx, gw = tape.gradient(y, [xt, wt], output_gradients=_t(gy))
    wx, ww = _naive_conv_grads(x, w, gy, s, d, pads)
    np.testing.assert_allclose(gx.numpy(), wx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), ww, rtol=1e-10, atol=1e-12)
    # NCHW gives the same numbers, transposed
    yc = tf.nn.conv2d(tf.transpose(xt, [0, 3, 1, 2]), wt, strides=[1, 1, *s], dilations=[1, 1, *d],
                      padding=padding if isinstance(padding, str) else [padding[0], padding[3], padding[1],
                                                                         padding[2]], data_format="NCHW")
    np.testing.assert_allclose(yc.numpy(), want.transpose(0, 3, 1, 2), rtol=1e-10, atol=1e-12)


def test_conv2d_same_padding_puts_the_extra_pixel_at_the_end():
    y = tf.nn.conv2d(tf.ones((1, 4, 4, 1)), tf.ones((3, 3, 1, 1)), strides=2, padding="SAME")
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[9.0, 6.0], [6.0, 4.0]])
    y = tf.nn.conv2d(tf.ones((1, 5, 5, 1)), tf.ones((3, 3, 1, 1)), strides=2, padding="SAME")
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


@pytest.mark.parametrize("n", [5, 6, 7, 8, 13])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_output_sizes_match_tensorflows_arithmetic(n, k, s):
    x, w = tf.zeros((1, n, n + 1, 1)), tf.zeros((k, k, 1, 1))
    same = tf.nn.conv2d(x, w, strides=s, padding="SAME").shape
    assert tuple(same) == (1, -(-n // s), -(-(n + 1) // s), 1)
    if n >= k:
        valid = tf.nn.conv2d(x, w, strides=s, padding="VALID").shape
        assert tuple(valid) == (1, (n - k) // s + 1, (n + 1 - k) // s + 1, 1)
    assert tuple(tf.nn.max_pool2d(x, k, s, "SAME").shape) == tuple(same)
    assert tuple(tf.nn.avg_pool2d(x, k, s, "SAME").shape) == tuple(same)


def test_conv2d_second_order_and_batch_shape_inputs():
    x, w = RNG.standard_normal((1, 4, 4, 2)), RNG.standard_normal((2, 2, 2, 2))
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, strides=2, padding="SAME") ** 2, [x, w], order=2)
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, strides=1, padding="VALID", data_format="NCHW"),
                    [x.transpose(0, 3, 1, 2), w], order=1)
    x5 = RNG.standard_normal((2, 3, 5, 5, 2))  # TF2's conv2d takes extra leading batch dims
    y = tf.nn.conv2d(_t(x5), _t(w), 1, "SAME")
    assert y.shape == (2, 3, 5, 5, 2)
    np.testing.assert_allclose(y.numpy()[1], tf.nn.conv2d(_t(x5[1]), _t(w), 1, "SAME").numpy(), rtol=1e-12)


def test_grouped_conv2d_is_a_conv_per_channel_group():
    x, w = RNG.standard_normal((1, 5, 5, 4)), RNG.standard_normal((3, 3, 2, 6))  # 2 groups of 2 -> 3 channels
    y = tf.nn.conv2d(_t(x), _t(w), 1, "SAME").numpy()
    pads = (_same_pads(5, 3, 1), _same_pads(5, 3, 1))
    want = np.concatenate([_naive_conv(x[..., :2], w[..., :3], (1, 1), (1, 1), pads),
                           _naive_conv(x[..., 2:], w[..., 3:], (1, 1), (1, 1), pads)], axis=-1)
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, 2, "VALID"), [x, w], order=1)


def test_depthwise_and_separable_conv2d():
    x, w = RNG.standard_normal((2, 6, 5, 3)), RNG.standard_normal((3, 2, 3, 2))
    pads = (_same_pads(6, 3, 2), _same_pads(5, 2, 2))
    want = np.concatenate([_naive_conv(x[..., c:c + 1], w[:, :, c:c + 1, :], (2, 2), (1, 1), pads)
                           for c in range(3)], axis=-1)  # output channel c * 2 + m
    got = tf.nn.depthwise_conv2d(_t(x), _t(w), [1, 2, 2, 1], "SAME").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    pw = RNG.standard_normal((1, 1, 6, 4))
    sep = tf.nn.separable_conv2d(_t(x), _t(w), _t(pw), [1, 2, 2, 1], "SAME").numpy()
    np.testing.assert_allclose(sep, want @ pw[0, 0], rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: tf.nn.depthwise_conv2d(a, b, [1, 1, 1, 1], "VALID"), [x[:1, :4, :4], w], order=1)


def test_embedding_lookup_gathers_rows_and_clips_norms():
    params = RNG.standard_normal((5, 3)) * 3
    ids = [[4, 0], [1, 1]]
    np.testing.assert_array_equal(tf.nn.embedding_lookup(_t(params), ids).numpy(), params[ids])
    np.testing.assert_array_equal(tf.nn.embedding_lookup([_t(params)], ids).numpy(), params[ids])
    rows = params[ids]
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    np.testing.assert_allclose(tf.nn.embedding_lookup(_t(params), ids, max_norm=1.0).numpy(),
                               rows / np.maximum(norms, 1.0), rtol=1e-12)
    p = _t(params)
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.reduce_sum(tf.nn.embedding_lookup(p, ids))
    want = np.zeros((5, 3))
    want[[4, 0, 1]] = [[1.0], [1.0], [2.0]]
    np.testing.assert_array_equal(tf.convert_to_tensor(tape.gradient(y, p)).numpy(), want)
    with pytest.raises(NotImplementedError, match="sharded"):
        tf.nn.embedding_lookup([p, p], ids)


def test_conv2d_transpose_is_the_input_gradient_of_conv2d():
    w = RNG.standard_normal((3, 3, 2, 4))  # conv2d: 2 -> 4 channels; its transpose: 4 -> 2
    for xs, s, padding in [((2, 7, 7, 2), 2, "SAME"), ((1, 8, 6, 2), 2, "VALID"), ((1, 5, 5, 2), 1, "SAME")]:
        x = _t(RNG.standard_normal(xs))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, _t(w), strides=s, padding=padding)
        gy = _t(RNG.standard_normal(tuple(y.shape)))
        want = tape.gradient(y, x, output_gradients=gy).numpy()
        got = tf.nn.conv2d_transpose(gy, _t(w), output_shape=xs, strides=s, padding=padding).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: tf.nn.conv2d_transpose(a, b, [1, 6, 6, 2], strides=2), [
        RNG.standard_normal((1, 3, 3, 4)), w], order=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="doesn't match computed"):
        tf.nn.conv2d_transpose(tf.ones((1, 3, 3, 4)), tf.ones((3, 3, 2, 4)), [1, 9, 9, 2], strides=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="channels"):
        tf.nn.conv2d_transpose(tf.ones((1, 3, 3, 4)), tf.ones((3, 3, 2, 4)), [1, 6, 6, 3], strides=2)


def test_conv1d_and_convolution():
    x, w = RNG.standard_normal((2, 9, 3)), RNG.standard_normal((3, 3, 4))
    y = tf.nn.conv1d(_t(x), _t(w), stride=2, padding="SAME")
    want = _naive_conv(x[:, None], w[None], (1, 2), (1, 1), ((0, 0), _same_pads(9, 3, 2)))[:, 0]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12, atol=1e-12)
    yc = tf.nn.conv1d(_t(x.transpose(0, 2, 1)), _t(w), stride=2, padding="SAME", data_format="NCW")
    np.testing.assert_allclose(yc.numpy(), want.transpose(0, 2, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tf.nn.convolution(_t(x), _t(w), strides=2, padding="SAME").numpy(), want,
                               rtol=1e-12, atol=1e-12)
    y2 = tf.nn.convolution(tf.ones((1, 5, 5, 1)), tf.ones((2, 2, 1, 1)), dilations=2)
    assert y2.shape == (1, 3, 3, 1)
    with pytest.raises(ValueError, match="dilation_rate"):
        tf.nn.convolution(tf.ones((1, 5, 5, 1)), tf.ones((2, 2, 1, 1)), strides=2, dilations=2)
    check_gradients(lambda a, b: tf.nn.conv1d(a, b, 1, "VALID", dilations=2), [x[:1], w[:, :, :2]], order=2)


def test_convolution_errors():
    x, w = tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter must be 4-dimensional"):
        tf.nn.conv2d(x, tf.ones((3, 3, 3)), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 4-dimensional"):
        tf.nn.conv2d(tf.ones((5, 5, 3)), w, 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="evenly divisible by filter depth: 3 vs 2"):
        tf.nn.conv2d(x, tf.ones((3, 3, 2, 2)), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="output depth must be evenly divisible by number of "
                                                             "groups: 3 vs 2"):
        tf.nn.conv2d(tf.ones((1, 5, 5, 4)), tf.ones((3, 3, 2, 3)), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Computed output size would be negative"):
        tf.nn.conv2d(tf.ones((1, 1, 5, 3)), w, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64.*float32"):
        tf.nn.conv2d(x, tf.ones((3, 3, 3, 2), F64), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="'padding' of \"FULL\""):
        tf.nn.conv2d(x, w, 1, "FULL")
    with pytest.raises(ValueError, match="batch and channel"):
        tf.nn.conv2d(x, w, 1, [[1, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(tf.errors.UnimplementedError, match="strides in the batch and depth"):
        tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.UnimplementedError, match="Pooling is not yet supported on the batch"):
        tf.nn.max_pool2d(x, [2, 2, 2, 1], 1, "VALID")
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.conv2d(x, w, 1, "SAME", data_format="HWNC")


# =========================================================================== pooling


def _naive_pool(x, k, s, pads, reduce, fill):
    xp_ = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    oh, ow = (xp_.shape[1] - k[0]) // s[0] + 1, (xp_.shape[2] - k[1]) // s[1] + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = reduce(xp_[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1], :], (1, 2))
    return out


@pytest.mark.parametrize(("k", "s", "padding"), [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                                  ((2, 3), (1, 2), "SAME"), ((3, 2), (3, 1), "VALID")])
def test_pools_match_naive_loops(k, s, padding):
    x = RNG.standard_normal((2, 7, 6, 3)) - 5.0  # all negative: zero padding would win a max if it could
    pads = ((0, 0), (0, 0)) if padding == "VALID" else (_same_pads(7, k[0], s[0]), _same_pads(6, k[1], s[1]))
    mx = tf.nn.max_pool2d(_t(x), list(k), list(s), padding).numpy()
    np.testing.assert_array_equal(mx, _naive_pool(x, k, s, pads, np.max, -np.inf))
    counts = _naive_pool(np.ones_like(x), k, s, pads, np.sum, 0.0)
    avg = tf.nn.avg_pool2d(_t(x), list(k), list(s), padding).numpy()
    np.testing.assert_allclose(avg, _naive_pool(x, k, s, pads, np.sum, 0.0) / counts, rtol=1e-12)
    check_gradients(lambda t: tf.nn.avg_pool2d(t, list(k), list(s), padding), [x[:1]], order=2)
    nchw = tf.nn.max_pool2d(_t(x.transpose(0, 3, 1, 2)), [1, 1, *k], [1, 1, *s], padding, data_format="NCHW")
    np.testing.assert_array_equal(nchw.numpy(), mx.transpose(0, 3, 1, 2))


def test_max_pool_gradient_goes_to_the_first_maximum_and_accumulates():
    x = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 3.0], [0.0, 2.0, 3.0]]).reshape(1, 3, 3, 1)
    (g,) = _grad(lambda t: tf.reduce_sum(tf.nn.max_pool2d(t, 2, 1, "VALID")), x)
    # windows: [[1,1],[1,1]] -> (0,0) (first of four ties); [[1,0],[1,3]] -> (1,2); [[1,1],[0,2]] -> (2,1);
    # [[1,3],[2,3]] -> (1,2) (first of two ties), so (1,2) collects two gradients
    want = np.zeros((3, 3))
    want[0, 0], want[1, 2], want[2, 1] = 1.0, 2.0, 1.0
    np.testing.assert_array_equal(g[0, :, :, 0], want)
    np.testing.assert_array_equal(_jvp(lambda t: tf.nn.max_pool2d(t, 2, 1, "VALID"), x,
                                       np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0], [[0.0, 5.0], [7.0, 5.0]])
    check_gradients(lambda t: tf.nn.max_pool2d(t, 3, 2, "SAME") ** 2,
                    [RNG.permutation(25).astype(float).reshape(1, 5, 5, 1)], order=2)


def test_max_pool_tensorflow_doc_examples_and_1d():
    m = tf.reshape(tf.constant([[0, 0, 1, 7], [0, 2, 0, 0], [5, 2, 0, 0], [0, 0, 9, 8]]), (1, 4, 4, 1))
    assert tf.reshape(tf.nn.max_pool(m, ksize=3, strides=2, padding="SAME"), [4]).numpy().tolist() == [5, 7, 9, 9]
    assert tf.nn.max_pool(m, ksize=3, strides=3, padding="VALID").numpy().ravel().tolist() == [5]
    x = tf.reshape(tf.constant([1.0, 3.0, 2.0, 5.0, 4.0]), (1, 5, 1))
    assert tf.nn.max_pool1d(x, 2, 2, "SAME").numpy().ravel().tolist() == [3.0, 5.0, 4.0]
    assert tf.nn.avg_pool1d(x, 2, 2, "SAME").numpy().ravel().tolist() == [2.0, 3.5, 4.0]
    assert tf.nn.avg_pool(tf.ones((1, 4, 3)), 2, 1, "VALID").shape == (1, 3, 3)


def test_pool_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="4-dimensional"):
        tf.nn.max_pool2d(tf.ones((4, 4, 1)), 2, 2, "VALID")
    with pytest.raises(ValueError, match="SAME' or 'VALID"):
        tf.nn.avg_pool2d(tf.ones((1, 4, 4, 1)), 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.nn.avg_pool2d(tf.ones((1, 4, 4, 1), tf.int32), 2, 2, "VALID")
    with pytest.raises(ValueError, match="rank 3 or 4"):
        tf.nn.max_pool(tf.ones((1, 2, 2, 2, 1)), 2, 2, "VALID")
    explicit = tf.nn.max_pool2d(-tf.ones((1, 2, 2, 1)), 2, 1, [[0, 0], [1, 0], [0, 0], [0, 0]])
    assert explicit.numpy().ravel().tolist() == [-1.0, -1.0]  # padding never wins


@pytest.mark.parametrize("backend", [np.asarray, xp.asarray])
def test_max_pool_with_nan_follows_tensorflows_cpu_kernels(backend):
    """The forward max ignores NaN; the gradient scan (MaxPoolGrad) skips later NaNs but stays on a first one."""
    x = tf.constant(backend(np.array([np.nan, 1.0, 2.0, 3.0, 1.0, np.nan, 2.0, 0.0]).reshape(2, 2, 2, 1)))
    assert tf.nn.max_pool2d(x, 2, 2, "VALID").numpy().ravel().tolist() == [3.0, 2.0]
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    assert tape.gradient(y, x).numpy().ravel().tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]


# =========================================================================== other backends


@pytest.mark.filterwarnings("error")  # array-api-strict warns on cross-library dtype comparisons
def test_public_ops_on_array_api_strict():
    """The public paths (checks, the saved-backprop path, layout transposes) keep strict arrays strict."""
    x = RNG.standard_normal((2, 5, 5, 2))
    w = RNG.standard_normal((3, 3, 2, 3))
    logits, ids = RNG.standard_normal((3, 4)), np.array([1, 0, 3])
    results = []
    for conv in (np.asarray, xp.asarray):
        xt, wt, lt = tf.constant(conv(x)), tf.constant(conv(w)), tf.constant(conv(logits))
        with tf.GradientTape() as tape:
            tape.watch([xt, wt, lt])
            y = tf.nn.conv2d(xt, wt, 2, "SAME", data_format="NHWC")
            p = tf.nn.max_pool2d(tf.nn.relu(y), 2, 1, "SAME")
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(conv(ids)), logits=lt)
            dense = tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(lt * 0.5), logits=lt)
            loss = (tf.reduce_sum(p * p) + tf.reduce_sum(ce) + tf.reduce_sum(tf.nn.avg_pool2d(xt, 2, 2, "VALID"))
                    + tf.reduce_sum(dense) + tf.reduce_sum(tf.nn.moments(xt, axes=[0, 1, 2])[1]))
        results.append([loss, *tape.gradient(loss, [xt, wt, lt])])
    for a, b in zip(*results):
        assert type(b._value).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(xp.asarray([0, 9, 1])),
                                                       logits=tf.constant(xp.asarray(logits)))


def test_docstring_examples_run():
    from tapegrad.ops import nn_ops

    assert doctest.testmod(nn_ops).failed == 0
