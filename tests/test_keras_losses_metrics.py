"""tf.keras losses and metrics: values against hand formulas, reductions, sample weights, logits, errors."""

import doctest
import warnings

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.keras import losses, metrics

K = tf.keras
EPS = 1e-7


@pytest.fixture(autouse=True)
def fresh_session():
    K.backend.clear_session()


def rng(seed=0):
    return np.random.default_rng(seed)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=rtol, atol=atol)


Y_TRUE = rng(1).normal(size=(4, 3)).astype(np.float32)
Y_PRED = rng(2).normal(size=(4, 3)).astype(np.float32)


def test_mse_and_mae_with_every_reduction_and_sample_weights():
    per = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    mse = K.losses.MeanSquaredError()
    close(mse(Y_TRUE, Y_PRED), per.mean())
    close(K.losses.MeanSquaredError(reduction="sum")(Y_TRUE, Y_PRED), per.sum())
    close(K.losses.MeanSquaredError(reduction="none")(Y_TRUE, Y_PRED), per)
    close(K.losses.MeanSquaredError(reduction=None)(Y_TRUE, Y_PRED), per)
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    close(mse(Y_TRUE, Y_PRED, sample_weight=w), (per * w).sum() / 4)  # divided by the count, not sum(w)
    close(K.losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED, sample_weight=w),
          (per * w).sum() / w.sum())
    close(mse(Y_TRUE, Y_PRED, sample_weight=2.0), 2 * per.mean())
    mae_per = np.abs(Y_TRUE - Y_PRED).mean(-1)
    close(K.losses.MeanAbsoluteError()(Y_TRUE, Y_PRED), mae_per.mean())
    close(K.losses.mean_absolute_error(Y_TRUE, Y_PRED), mae_per)
    close(K.losses.mean_squared_error(Y_TRUE, Y_PRED), per)
    assert K.losses.mse is K.losses.mean_squared_error
    assert mse.name == "mean_squared_error" and mse.reduction == "sum_over_batch_size"
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        K.losses.MeanSquaredError(reduction="avg")


def test_mse_squeezes_a_trailing_unit_axis_as_keras_does():
    y = np.array([1.0, 2.0, 3.0], np.float32)
    p = np.array([[1.5], [2.0], [2.0]], np.float32)
    close(K.losses.MeanSquaredError()(y, p), np.mean([0.25, 0.0, 1.0]))


def test_binary_crossentropy_probabilities_logits_clipping_and_smoothing():
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    z = rng(3).normal(size=(3, 2)).astype(np.float32) * 3
    p = 1 / (1 + np.exp(-z))
    per = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)
    close(K.losses.BinaryCrossentropy()(y, p), per.mean(), rtol=1e-5)
    close(K.losses.BinaryCrossentropy(from_logits=True)(y, z), per.mean(), rtol=1e-5)
    close(K.losses.binary_crossentropy(y, z, from_logits=True), per, rtol=1e-5)
    ys = y * 0.8 + 0.1
    per_s = -(ys * np.log(p) + (1 - ys) * np.log(1 - p)).mean(-1)
    close(K.losses.BinaryCrossentropy(label_smoothing=0.2)(y, p), per_s.mean(), rtol=1e-5)
    # a probability of exactly 0 or 1 is clipped to [eps, 1 - eps]: a finite loss
    hard = K.losses.BinaryCrossentropy()([[1.0, 0.0]], [[0.0, 1.0]])
    one = np.float32(1.0)
    clipped = np.clip(np.array([0.0, 1.0], np.float32), np.float32(EPS), one - np.float32(EPS))
    close(hard, (-np.log(clipped[0]) - np.log(one - clipped[1])) / 2, rtol=1e-5)  # Keras 3.15: 16.03024
    # through sigmoid, the logits are used: exact where clipping would bound the loss
    s = K.activations.sigmoid(tf.constant([[-100.0]]))
    close(K.losses.BinaryCrossentropy()([[1.0]], s), 100.0)
    close(K.losses.BinaryCrossentropy()([[1.0]], tf.sigmoid(tf.constant([[-100.0]]))), -np.log(np.float32(EPS)),
          rtol=1e-4)
    with pytest.raises(ValueError, match="must have the same shape"):
        K.losses.binary_crossentropy(np.zeros((2, 3)), np.zeros((2, 4)))


def test_categorical_crossentropy_probabilities_logits_and_softmax_logits():
    y = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    z = rng(4).normal(size=(4, 3)).astype(np.float32)
    p = softmax(z)
    per = -(y * np.log(p)).sum(-1)
    close(K.losses.CategoricalCrossentropy()(y, p), per.mean())
    close(K.losses.CategoricalCrossentropy(from_logits=True)(y, z), per.mean())
    close(K.losses.categorical_crossentropy(y, p), per)
    close(K.losses.CategoricalCrossentropy()(y, p * 3.0), per.mean())  # predictions are renormalized
    ys = y * 0.9 + 0.1 / 3
    close(K.losses.CategoricalCrossentropy(label_smoothing=0.1)(y, p), (-(ys * np.log(p)).sum(-1)).mean())
    extreme = tf.constant([[100.0, 0.0, -100.0]])
    close(K.losses.CategoricalCrossentropy()([[0.0, 0.0, 1.0]], K.activations.softmax(extreme)), 200.0)
    close(K.losses.CategoricalCrossentropy()([[0.0, 0.0, 1.0]], tf.nn.softmax(extreme)), -np.log(np.float32(EPS)),
          rtol=1e-4)
    with pytest.warns(UserWarning, match="from_logits=True"):
        K.losses.CategoricalCrossentropy(from_logits=True)([[0.0, 1.0]], K.activations.softmax(tf.ones((1, 2))))
    with pytest.raises(ValueError, match="same shape"):
        K.losses.CategoricalCrossentropy()(np.zeros((2, 3)), np.ones((2, 4)))


def test_sparse_categorical_crossentropy_labels_shapes_and_ignore_class():
    labels = np.array([0, 2, 1, 2])
    z = rng(5).normal(size=(4, 3)).astype(np.float32)
    p = softmax(z)
    per = -np.log(p[np.arange(4), labels])
    close(K.losses.SparseCategoricalCrossentropy()(labels, p), per.mean())
    close(K.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z), per.mean())
    close(K.losses.SparseCategoricalCrossentropy(from_logits=True)(labels[:, None], z), per.mean())
    close(K.losses.SparseCategoricalCrossentropy(from_logits=True)(labels.astype(np.float32), z), per.mean())
    close(K.losses.sparse_categorical_crossentropy(labels, z, from_logits=True), per)
    close(K.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")(labels, z), per.sum())
    ignored = K.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2, reduction="none")(labels, z)
    close(ignored, np.where(labels == 2, 0.0, per))
    seq = rng(6).normal(size=(2, 5, 4)).astype(np.float32)
    seq_labels = np.array([[0, 1, 2, 3, 0], [3, 3, 2, 1, 0]])
    want = -np.log(softmax(seq)[np.arange(2)[:, None], np.arange(5)[None], seq_labels])
    close(K.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(seq_labels, seq), want)
    with pytest.raises(ValueError, match="rank"):
        K.losses.sparse_categorical_crossentropy(np.zeros((2, 3, 1, 1)), z[:2], from_logits=True)


def test_loss_gradients_match_the_closed_forms():
    labels = np.array([0, 2])
    z = tf.constant(rng(7).normal(size=(2, 3)))
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = K.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(labels, z)
    g = tape.gradient(loss, z).numpy()
    close(g, (softmax(z.numpy()) - np.eye(3)[labels]) / 2, rtol=1e-10, atol=1e-12)
    assert g.dtype == np.float64
    yb = np.array([[1.0, 0.0]])
    zb = tf.constant([[0.3, -1.2]], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(zb)
        loss = K.losses.BinaryCrossentropy(from_logits=True, dtype="float64")(yb, zb)
    close(tape.gradient(loss, zb), (1 / (1 + np.exp(-zb.numpy())) - yb) / 2, rtol=1e-10)
    w = tf.Variable([[0.5, -0.5]])
    with tf.GradientTape() as tape:
        loss = K.losses.MeanSquaredError()([[1.0, 1.0]], w)
    close(tape.gradient(loss, w), 2 * (w.numpy() - 1.0) / 2)


def test_losses_cast_inputs_to_their_dtype_and_get():
    out = K.losses.MeanSquaredError()(np.ones((2, 2)), np.zeros((2, 2)))
    assert out.dtype == tf.float32
    assert K.losses.MeanSquaredError(dtype="float64")(np.ones((2, 2)), np.zeros((2, 2))).dtype == tf.float64
    assert K.losses.get("mse") is K.losses.mean_squared_error
    assert isinstance(K.losses.get("BinaryCrossentropy"), K.losses.BinaryCrossentropy)
    with pytest.raises(ValueError, match="Could not interpret loss"):
        K.losses.get("nope")

    class Huber(K.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    assert Huber().name == "huber"
    close(Huber(reduction="sum")([[0.0, 2.0]], [[1.0, 1.0]]), 1.0)


# --------------------------------------------------------------------------- metrics

def test_mean_metric_weighted_reset_and_variables():
    m = K.metrics.Mean()
    assert repr(m) == "<Mean name=mean>" and m.name == "mean"
    assert [v.path for v in m.variables] == ["mean/total", "mean/count"]
    assert float(m.result()) == 0.0  # nothing seen: 0, not NaN
    m.update_state([1.0, 3.0, 5.0, 7.0])
    assert float(m.result()) == 4.0
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    close(m.result(), 20.0 / 6.0)
    m.update_state(10.0)
    close(m.result(), 30.0 / 7.0)
    m.reset_state()
    assert float(m.result()) == 0.0 and float(m.count) == 0.0
    assert float(m([2.0, 4.0])) == 3.0  # calling updates and returns the result
    m2 = K.metrics.Mean()
    m2.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[1.0, 3.0])  # per-example means weighted
    close(m2.result(), (2.0 * 1 + 6.0 * 3) / 4)


def test_sparse_categorical_accuracy():
    m = K.metrics.SparseCategoricalAccuracy()
    assert m.name == "sparse_categorical_accuracy"
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    assert float(m.result()) == 0.5
    m.update_state([0, 0], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]], sample_weight=[3.0, 1.0])
    close(m.result(), (1 + 3) / (2 + 4))
    m.reset_state()
    m.update_state(np.array([1, 2, 0]), np.array([[0, 9, 1], [5, 1, 6], [7, 2, 1]], np.float32))
    assert float(m.result()) == 1.0
    close(K.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]), [0.0, 1.0])


def test_categorical_binary_and_plain_accuracy():
    m = K.metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5
    m.update_state([[0, 0, 1]], [[0.0, 0.0, 1.0]], sample_weight=[2.0])
    close(m.result(), 3.0 / 4.0)
    b = K.metrics.BinaryAccuracy()
    b.update_state([[1], [1], [0], [0]], [[0.98], [0.4], [0.2], [0.6]])
    assert float(b.result()) == 0.5
    a = K.metrics.Accuracy()
    a.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(a.result()) == 0.75
    assert isinstance(K.metrics.get("sparse_categorical_accuracy"), K.metrics.SparseCategoricalAccuracy)
    with pytest.raises(ValueError, match="Could not interpret metric"):
        K.metrics.get("nope")


def test_metrics_are_not_recorded_on_tapes():
    m = K.metrics.Mean()
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
        m.update_state(y)
    assert float(tape.gradient(y, x)[0]) == 2.0 and float(m.result()) == 5.0


def test_doctests():
    for module in (losses, metrics):
        K.backend.clear_session()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert doctest.testmod(module).failed == 0, module.__name__
