"""Parity with Keras 3 (TensorFlow backend): the same weights in give the same outputs and gradients out, for
each layer, loss and metric; initializers have the same statistics; names, paths, reprs and summaries match.

Needs TensorFlow and Keras (not installed in CI: the module skips itself). Run with
`/work/.tfvenv/bin/python -m pytest tests/parity_keras`.
"""

import io
import os
from contextlib import redirect_stdout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf_real = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tapegrad as tg  # noqa: E402

TK = tg.keras


@pytest.fixture(autouse=True)
def fresh_sessions():
    keras.backend.clear_session()
    TK.backend.clear_session()


def rng(seed=0):
    return np.random.default_rng(seed)


def close(a, b, rtol=1e-5, atol=1e-6, msg=""):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=atol,
                               err_msg=msg)


def dense_grad(g):
    if g is None:
        return None
    if isinstance(g, tf_real.IndexedSlices):
        return tf_real.convert_to_tensor(g).numpy()
    if isinstance(g, tg.IndexedSlices):
        return tg.convert_to_tensor(g).numpy()
    return g.numpy()


def run_pair(make, x, training=None, rtol=1e-5, atol=1e-6, cotangent_seed=1):
    """Builds the Keras layer and ours on `x`, copies Keras's weights into ours, and compares the outputs and
    the gradients of <u, output> with respect to the input (float inputs) and every trainable weight."""
    k_layer, t_layer = make(keras), make(TK)
    k_layer(x)
    t_layer(x)
    assert [w.path for w in t_layer.weights] == [w.path for w in k_layer.weights]
    t_layer.set_weights(k_layer.get_weights())
    kwargs = {} if training is None else {"training": training}
    kx = tf_real.constant(x)
    tx = tg.constant(x)
    float_input = x.dtype.kind == "f"
    with tf_real.GradientTape() as tape:
        if float_input:
            tape.watch(kx)
        k_out = k_layer(kx, **kwargs)
        u = rng(cotangent_seed).normal(size=k_out.shape).astype(np.float32)
        k_obj = tf_real.reduce_sum(k_out * u)
    k_grads = tape.gradient(k_obj, ([kx] if float_input else []) + list(k_layer.trainable_weights))
    with tg.GradientTape() as tape:
        if float_input:
            tape.watch(tx)
        t_out = t_layer(tx, **kwargs)
        t_obj = tg.reduce_sum(t_out * u)
    t_grads = tape.gradient(t_obj, ([tx] if float_input else []) + list(t_layer.trainable_weights))
    close(t_out.numpy(), k_out.numpy(), rtol, atol, "outputs")
    for kg, tg_ in zip(k_grads, t_grads):
        close(dense_grad(tg_), dense_grad(kg), rtol, atol, "gradients")
    for kw, tw in zip(k_layer.weights, t_layer.weights):  # state updated by the call (BN moving statistics)
        close(tw.numpy(), kw.numpy(), rtol, atol, kw.path)
    return k_layer, t_layer


X2 = rng(1).normal(size=(4, 5)).astype(np.float32)
X3 = rng(2).normal(size=(2, 3, 5)).astype(np.float32)
X4 = rng(3).normal(size=(2, 7, 6, 3)).astype(np.float32)


# --------------------------------------------------------------------------- layers

@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "elu", "selu",
                                        "softplus", "softsign", "relu6", "leaky_relu", "exponential", "mish"])
def test_dense_with_each_activation(activation):
    run_pair(lambda K: K.layers.Dense(4, activation=activation), X2)


def test_dense_options_and_rank3_inputs():
    run_pair(lambda K: K.layers.Dense(3, use_bias=False), X2)
    run_pair(lambda K: K.layers.Dense(6), X3)


@pytest.mark.parametrize("kwargs", [
    dict(filters=4, kernel_size=3),
    dict(filters=2, kernel_size=(3, 2), strides=2, padding="same", activation="relu"),
    dict(filters=3, kernel_size=2, dilation_rate=2, padding="same"),
    dict(filters=4, kernel_size=1, strides=(2, 1), use_bias=False),
    dict(filters=6, kernel_size=3, groups=3, padding="same"),
])
def test_conv2d(kwargs):
    run_pair(lambda K: K.layers.Conv2D(**kwargs), X4, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("kwargs", [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same"),
                                    dict(pool_size=(2, 3))])
def test_pooling(cls, kwargs):
    run_pair(lambda K: getattr(K.layers, cls)(**kwargs), X4)


def test_flatten_reshape_activation_relu_softmax_layers():
    run_pair(lambda K: K.layers.Flatten(), X4)
    run_pair(lambda K: K.layers.Reshape((6, 3, 7)), X4)
    run_pair(lambda K: K.layers.Activation("tanh"), X3)
    run_pair(lambda K: K.layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2), X3)
    run_pair(lambda K: K.layers.ReLU(max_value=6.0), X3 * 5)
    run_pair(lambda K: K.layers.Softmax(axis=1), X3)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make", [
    lambda K: K.layers.BatchNormalization(),
    lambda K: K.layers.BatchNormalization(momentum=0.5, epsilon=1e-2, center=False),
    lambda K: K.layers.BatchNormalization(axis=1, scale=False),
])
def test_batch_normalization(make, training):
    k_layer, t_layer = run_pair(make, X4 * 3 + 1, training=training, rtol=1e-4, atol=1e-5)
    run_pair_again = [k_layer(X4, training=training), t_layer(tg.constant(X4), training=training)]
    close(run_pair_again[1].numpy(), run_pair_again[0].numpy(), 1e-4, 1e-5)
    for kw, tw in zip(k_layer.weights, t_layer.weights):
        close(tw.numpy(), kw.numpy(), 1e-5, 1e-6, kw.path)


@pytest.mark.parametrize("make", [
    lambda K: K.layers.LayerNormalization(),
    lambda K: K.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5),
    lambda K: K.layers.LayerNormalization(axis=1, center=False),
])
def test_layer_normalization(make):
    run_pair(make, X3 * 2 - 1, rtol=1e-4, atol=1e-5)


def test_embedding_outputs_and_indexed_slices_gradients():
    ids = np.array([[1, 4, 4], [0, 9, 1]], np.int32)
    k_layer, t_layer = run_pair(lambda K: K.layers.Embedding(10, 3), ids)
    with tg.GradientTape() as tape:
        y = tg.reduce_sum(t_layer(ids))
    assert isinstance(tape.gradient(y, t_layer.embeddings), tg.IndexedSlices)
    run_pair(lambda K: K.layers.Embedding(10, 3), ids.astype(np.float32))  # float ids are cast, as in Keras


def test_dropout_inference_identity_and_training_statistics():
    x = np.ones((200, 50), np.float32)
    k_layer, t_layer = keras.layers.Dropout(0.3, seed=1), TK.layers.Dropout(0.3, seed=1)
    close(t_layer(x).numpy(), k_layer(x).numpy())
    kt, tt = k_layer(x, training=True).numpy(), t_layer(x, training=True).numpy()
    assert set(np.unique(tt)) == set(np.unique(kt)) == {0.0, np.float32(1 / 0.7)}
    assert abs((tt == 0).mean() - 0.3) < 0.01 and abs((kt == 0).mean() - 0.3) < 0.01
    assert [v.path for v in t_layer.variables] == [v.path for v in k_layer.variables]


def test_sequential_model_same_weights_same_loss_and_gradients():
    def make(K):
        return K.Sequential([K.Input((7, 6, 3)), K.layers.Conv2D(4, 3, activation="relu"),
                             K.layers.BatchNormalization(), K.layers.MaxPooling2D(), K.layers.Flatten(),
                             K.layers.Dropout(0.0), K.layers.Dense(8, activation="tanh"),
                             K.layers.LayerNormalization(), K.layers.Dense(3, activation="softmax")])

    k_model, t_model = make(keras), make(TK)
    assert [v.path for v in t_model.variables] == [v.path for v in k_model.variables]
    t_model.set_weights(k_model.get_weights())
    labels = np.array([0, 2])
    losses = []
    for K, model, G in ((keras, k_model, tf_real), (TK, t_model, tg)):
        with G.GradientTape() as tape:
            loss = K.losses.SparseCategoricalCrossentropy()(labels, model(X4, training=True))
        losses.append((float(loss), [dense_grad(g) for g in tape.gradient(loss, model.trainable_variables)]))
    close(losses[1][0], losses[0][0], 1e-5)
    for tgr, kgr in zip(losses[1][1], losses[0][1]):
        close(tgr, kgr, 1e-4, 1e-5)
    for kw, tw in zip(k_model.weights, t_model.weights):
        close(tw.numpy(), kw.numpy(), 1e-5, 1e-6, kw.path)


# --------------------------------------------------------------------------- losses and metrics

Y = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 2]]
LABELS = np.array([0, 3, 1, 1, 2])
LOGITS = rng(4).normal(size=(5, 4)).astype(np.float32) * 2
BIN = (rng(5).random(size=(5, 4)) > 0.5).astype(np.float32)
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0, 1.0], np.float32)

LOSS_CASES = [
    ("MeanSquaredError", {}, Y, LOGITS),
    ("MeanAbsoluteError", {}, Y, LOGITS),
    ("BinaryCrossentropy", {}, BIN, "sigmoid"),
    ("BinaryCrossentropy", {"from_logits": True}, BIN, LOGITS),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, BIN, "sigmoid"),
    ("CategoricalCrossentropy", {}, Y, "softmax"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, Y, LOGITS),
    ("SparseCategoricalCrossentropy", {}, LABELS, "softmax"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, LABELS, LOGITS),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, kwargs, y_true, pred", LOSS_CASES)
def test_loss_values_and_gradients(name, kwargs, y_true, pred, reduction, weighted):
    out = []
    for K, G in ((keras, tf_real), (TK, tg)):
        loss = getattr(K.losses, name)(reduction=reduction, **kwargs)
        z = G.constant(LOGITS)
        with G.GradientTape() as tape:
            tape.watch(z)
            if isinstance(pred, str):  # probabilities from the activation (whose logits Keras traces back)
                y_pred = getattr(K.activations, pred)(z)
            else:
                y_pred = z
            value = loss(y_true, y_pred, sample_weight=WEIGHTS if weighted else None)
            total = G.reduce_sum(value)
        out.append((value.numpy(), tape.gradient(total, z).numpy()))
    close(out[1][0], out[0][0], 1e-5, 1e-6, "value")
    close(out[1][1], out[0][1], 1e-5, 1e-6, "gradient")


@pytest.mark.parametrize("fn", ["binary_crossentropy", "categorical_crossentropy"])
def test_probability_losses_clip_as_keras(fn):
    y = BIN if fn == "binary_crossentropy" else Y
    p = np.clip(rng(6).random(size=y.shape).astype(np.float32), 0, 1)
    p[0] = 0.0
    p[1, :2] = 1.0
    close(getattr(TK.losses, fn)(y, p).numpy(), getattr(keras.losses, fn)(y, p).numpy(), 1e-5)


def test_metrics_match_over_several_updates():
    for name, args_list in [
        ("Mean", [([1.0, 3.0, 5.0], None), ([2.0, 4.0], [1.0, 0.5]), ([[1.0, 2.0], [3.0, 4.0]], [2.0, 1.0])]),
        ("SparseCategoricalAccuracy", [((LABELS, LOGITS), None), ((LABELS[:, None], LOGITS), WEIGHTS)]),
        ("CategoricalAccuracy", [((Y, LOGITS), None), ((Y, LOGITS * -1), WEIGHTS)]),
        ("BinaryAccuracy", [((BIN, 1 / (1 + np.exp(-LOGITS))), None)]),
    ]:
        k_metric, t_metric = getattr(keras.metrics, name)(), getattr(TK.metrics, name)()
        for args, weight in args_list:
            args = args if isinstance(args, tuple) else (np.asarray(args, np.float32),)
            k_metric.update_state(*args, sample_weight=weight)
            t_metric.update_state(*args, sample_weight=weight)
            close(t_metric.result().numpy(), k_metric.result().numpy(), 1e-6, 1e-7, name)
        assert [v.path for v in t_metric.variables] == [v.path for v in k_metric.variables]
        assert repr(t_metric) == repr(k_metric)
        k_metric.reset_state()
        t_metric.reset_state()
        close(t_metric.result().numpy(), k_metric.result().numpy())


# --------------------------------------------------------------------------- initializers

@pytest.mark.parametrize("name, kwargs", [
    ("GlorotUniform", {}), ("GlorotNormal", {}), ("HeNormal", {}), ("HeUniform", {}), ("LecunNormal", {}),
    ("LecunUniform", {}), ("RandomNormal", {"mean": 0.5, "stddev": 2.0}),
    ("RandomUniform", {"minval": -2, "maxval": 1}),
    ("TruncatedNormal", {"stddev": 0.3}), ("VarianceScaling", {"scale": 3.0, "mode": "fan_out",
                                                                "distribution": "untruncated_normal"}),
])
@pytest.mark.parametrize("shape", [(300, 200), (5, 5, 16, 24)])
def test_initializer_statistics(name, kwargs, shape):
    k = getattr(keras.initializers, name)(seed=1, **kwargs)(shape).numpy()
    t = getattr(TK.initializers, name)(seed=1, **kwargs)(shape).numpy()
    assert t.shape == k.shape and t.dtype == k.dtype
    spread = k.std()
    assert abs(t.mean() - k.mean()) < 6 * spread / np.sqrt(k.size)
    close(t.std(), k.std(), rtol=0.03)
    if "Uniform" in name or "Normal" in name and name != "RandomNormal":  # bounded: the same bounds
        assert abs(t.min() - k.min()) < 0.05 * spread and abs(t.max() - k.max()) < 0.05 * spread


def test_constant_initializers_identical():
    for name, kwargs in [("Zeros", {}), ("Ones", {}), ("Constant", {"value": 1.5}), ("Identity", {"gain": 2.0})]:
        close(getattr(TK.initializers, name)(**kwargs)((3, 3)).numpy(),
              getattr(keras.initializers, name)(**kwargs)((3, 3)).numpy())


# --------------------------------------------------------------------------- names, reprs, summaries, modules

def test_names_paths_and_reprs():
    def build(K):
        names = [K.layers.Dense(2).name, K.layers.Dense(2).name, K.layers.Conv2D(2, 3).name,
                 K.layers.BatchNormalization().name, K.layers.ReLU().name, K.layers.MaxPooling2D().name]
        model = K.Sequential([K.layers.Dense(3, kernel_initializer="ones"), K.layers.Dense(1)])
        model(np.ones((2, 4), np.float32))
        layer = model.layers[0]
        return names, [v.path for v in model.variables], [v.name for v in model.variables], repr(layer.kernel), \
            repr(layer), repr(model), repr(layer.bias), model.name

    assert build(TK) == build(keras)
    keras.backend.clear_session()
    TK.backend.clear_session()
    assert repr(TK.Input(shape=(4,))) == repr(keras.Input(shape=(4,)))
    assert TK.backend.floatx() == keras.backend.floatx() and TK.backend.epsilon() == keras.backend.epsilon()


@pytest.mark.parametrize("build", ["call", "input"])
def test_summary_text(build):
    def make(K):
        layers = [K.layers.Conv2D(4, 3), K.layers.BatchNormalization(), K.layers.MaxPooling2D(),
                  K.layers.Flatten(), K.layers.Dropout(0.5), K.layers.Dense(10)]
        model = K.Sequential(([K.Input((8, 8, 1))] if build == "input" else []) + layers)
        if build == "call":
            model(np.zeros((3, 8, 8, 1), np.float32))
        out = io.StringIO()
        with redirect_stdout(out):
            model.summary()
        return out.getvalue()

    assert make(TK) == make(keras)


def test_tf_module_variable_order_and_scoped_names():
    def program(G):
        class Block(G.Module):
            def __init__(self, name=None):
                super().__init__(name=name)
                self.w = G.Variable(1.0, name="w")
                self.table = {"b": G.Variable(2.0, name="tb"), "a": [G.Variable(3.0, trainable=False, name="ta")]}

            @G.Module.with_name_scope
            def __call__(self, x):
                if not hasattr(self, "lazy"):
                    self.lazy = G.Variable(x, name="lazy")
                return x

        class Net(G.Module):
            def __init__(self):
                super().__init__()
                self.blocks = [Block(), Block(name="second")]
                self.extra = Block()
                self.alias = self.blocks[0]

        net = Net()
        net.blocks[1](4.0)
        with G.name_scope("outer"):
            inner = G.Module(name="inner")
        return ([v.name for v in net.variables], [v.name for v in net.trainable_variables],
                [m.name for m in net.submodules], inner.name_scope.name)

    assert program(tg) == program(tf_real)
