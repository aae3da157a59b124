"""tf.keras layers, models, activations, initializers and regularizers: shapes, building, tracking, training
flag, statistics, gradients (finite differences on float64 models) and errors."""

import doctest
import warnings

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.keras import _layer, activations, initializers, layers, models, random, regularizers, utils
from tapegrad.keras import variables as keras_variables
from tapegrad.testing import check_gradients

K = tf.keras


@pytest.fixture(autouse=True)
def fresh_session():
    K.backend.clear_session()
    yield
    K.backend.clear_session()


def rng(seed=0):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- naming, building, tracking

def test_layer_names_are_unique_per_class_and_reset_by_clear_session():
    assert [K.layers.Dense(2).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert K.layers.MaxPooling2D().name == "max_pooling2d"
    assert K.layers.BatchNormalization().name == "batch_normalization"
    assert K.layers.ReLU().name == "re_lu"
    assert K.layers.Dense(2, name="head").name == "head"
    K.backend.clear_session()
    assert K.layers.Dense(2).name == "dense"
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        K.layers.Dense(2, name="a/b")


def test_dense_builds_lazily_from_the_first_input():
    layer = K.layers.Dense(3)
    assert not layer.built and layer.weights == [] and layer.kernel is None
    assert repr(layer) == "<Dense name=dense, built=False>"
    y = layer(tf.ones((2, 4)))
    assert y.shape == (2, 3) and layer.built
    assert repr(layer) == "<Dense name=dense, built=True>"
    assert layer.kernel.shape == (4, 3) and layer.bias.shape == (3,)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert layer.trainable_weights == layer.weights == layer.trainable_variables
    assert layer.non_trainable_weights == []
    assert layer.kernel.dtype == tf.float32 and isinstance(layer.kernel, tf.Variable)
    assert layer(tf.ones((5, 7, 4))).shape == (5, 7, 3)  # Dense applies to the last axis
    assert layer.count_params() == 15


def test_keras_variable_repr_name_path_and_trainable_setter():
    v = K.Variable(np.array([[1.0, 2.0]], np.float32), name="w")
    assert repr(v) == "<Variable path=w, shape=(1, 2), dtype=float32, value=[[1. 2.]]>"
    assert str(v) == repr(v)
    assert v.name == "w" and v.path == "w"
    v.trainable = False
    with tf.GradientTape() as tape:
        y = v * 2.0
    assert tape.gradient(y, v) is None  # not watched once not trainable
    s = K.Variable(0.0, name="s")
    assert repr(s) == "<Variable path=s, shape=(), dtype=float32, value=0.0>"
    init = K.Variable(K.initializers.Ones(), shape=(2,), dtype="float64", name="o")
    assert init.dtype == tf.float64 and init.numpy().tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="`shape` argument should be specified"):
        K.Variable(K.initializers.Ones(), name="o")


def test_keras_variables_work_with_every_kind_of_op():
    v = K.Variable(np.array([1.0, 2.0], np.float32), name="v")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * 3.0 + 1.0 + tf.exp(v) + tf.matmul(tf.reshape(v, (1, 2)), tf.ones((2, 1))))
    # the (1, 1) matmul term is broadcast against (2,): it reaches each element of v twice
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), 3.0 + np.exp([1.0, 2.0]) + 2.0, rtol=1e-6)
    assert float(v[1]) == 2.0 and (v + 1.0).shape == (2,) and float(tf.reduce_sum(v)) == 3.0
    v.assign_sub([1.0, 1.0])
    assert v.numpy().tolist() == [0.0, 1.0]


def test_input_shape_mismatch_after_build_names_layer_expected_and_received():
    layer = K.layers.Dense(3)
    layer(tf.ones((2, 4)))
    with pytest.raises(ValueError) as e:
        layer(tf.ones((2, 5)))
    msg = str(e.value)
    assert "layer 'dense'" in msg and "expected axis -1 of input shape to have value 4" in msg and "(2, 5)" in msg
    with pytest.raises(ValueError, match=r"expected min_ndim=2, found ndim=1. Full shape received: \(4,\)"):
        K.layers.Dense(3)(tf.ones((4,)))
    conv = K.layers.Conv2D(2, 3)
    conv(tf.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="layer 'conv2d'.*value 3, but received input with shape \\(1, 5, 5, 4\\)"):
        conv(tf.ones((1, 5, 5, 4)))
    with pytest.raises(ValueError, match="expected min_ndim=4, found ndim=3"):
        conv(tf.ones((5, 5, 3)))
    model = K.Sequential([K.layers.Dense(4), K.layers.Dense(2)])
    model(tf.ones((3, 5)))
    with pytest.raises(ValueError, match="layer 'dense_.*value 5, but received input with shape \\(3, 6\\)"):
        model(tf.ones((3, 6)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="invalid value for `units`"):
        K.layers.Dense(0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        K.layers.Dropout(1.5)
    with pytest.raises(ValueError, match="`padding` argument"):
        K.layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="`kernel_size` argument"):
        K.layers.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        K.layers.Dense(2, bogus=1)
    with pytest.raises(ValueError, match="Could not interpret activation"):
        K.layers.Dense(2, activation="nope")
    with pytest.raises(ValueError, match="Could not interpret initializer"):
        K.layers.Dense(2, kernel_initializer="nope")
    with pytest.raises(ValueError, match="input_dim"):
        K.layers.Embedding(0, 2)


def test_inputs_are_converted_and_cast_to_the_layer_dtype():
    layer = K.layers.Dense(2, dtype="float64")
    y = layer(np.ones((1, 3), np.float32))
    assert y.dtype == tf.float64 and layer.kernel.dtype == tf.float64
    assert K.layers.Dense(2)(np.ones((1, 3))).dtype == tf.float32  # NumPy float64 cast to float32
    assert K.layers.Dense(2)([[1.0, 2.0]]).shape == (1, 2)


def test_custom_layer_add_weight_losses_and_nested_paths():
    class Block(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = K.layers.Dense(2, kernel_regularizer=K.regularizers.L2(0.5))
            self.blocks = []

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return self.inner(x * self.scale)

    block = Block()
    block.blocks.append(K.layers.Dense(1))  # appended to a list later: still found
    out = block(tf.ones((2, 3)))
    assert out.shape == (2, 2)
    assert [w.path for w in block.weights] == ["block/scale", "block/count", "block/dense/kernel", "block/dense/bias"]
    assert [w.path for w in block.trainable_weights] == ["block/scale", "block/dense/kernel", "block/dense/bias"]
    assert block._layers == [block.inner, block.blocks[0]]
    losses = block.losses
    assert len(losses) == 2
    assert float(losses[0]) == 6.0
    np.testing.assert_allclose(float(losses[1]), 0.5 * np.sum(block.inner.kernel.numpy() ** 2), rtol=1e-6)
    block(tf.ones((1, 3)))
    assert float(block.losses[0]) == 3.0  # add_loss values are cleared at each top-level call
    with pytest.raises(ValueError, match="`name` must be passed as a keyword argument"):
        block.add_weight("w", (2,))


def test_regularizers_feed_losses_and_their_gradients():
    layer = K.layers.Dense(2, kernel_regularizer="l2", bias_regularizer=K.regularizers.L1(0.1),
                           bias_initializer="ones")
    layer(tf.ones((1, 3)))
    with tf.GradientTape() as tape:
        reg = tf.add_n(layer.losses)
    gk, gb = tape.gradient(reg, [layer.kernel, layer.bias])
    np.testing.assert_allclose(gk.numpy(), 0.02 * layer.kernel.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), [0.1, 0.1], rtol=1e-6)
    r = K.regularizers.L1L2(l1=0.1, l2=0.2)
    np.testing.assert_allclose(float(r(tf.constant([1.0, -2.0]))), 0.1 * 3 + 0.2 * 5, rtol=1e-6)
    assert float(K.regularizers.L1L2()(tf.constant([1.0]))) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        K.regularizers.L2(-1.0)


def test_trainable_false_freezes_weights_and_sublayers():
    model = K.Sequential([K.layers.Dense(3), K.layers.Dense(1)])
    model(tf.ones((1, 2)))
    model.layers[0].trainable = False
    assert len(model.trainable_variables) == 2 and len(model.non_trainable_variables) == 2
    assert model.layers[0].trainable_weights == [] and not model.layers[0].kernel.trainable
    model.trainable = False
    assert model.trainable_variables == [] and len(model.non_trainable_weights) == 4
    model.trainable = True
    assert len(model.trainable_variables) == 4


def test_get_and_set_weights():
    layer = K.layers.Dense(2)
    layer(tf.ones((1, 3)))
    new = [np.full((3, 2), 0.5, np.float32), np.array([1.0, -1.0], np.float32)]
    layer.set_weights(new)
    assert [w.tolist() for w in layer.get_weights()] == [w.tolist() for w in new]
    with pytest.raises(ValueError, match=r"weight shape \(3, 2\) is not compatible with provided weight shape"):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="expecting 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="isn't built"):
        K.layers.Dense(2).count_params()


# --------------------------------------------------------------------------- training flag

def test_dropout_only_when_training_true_and_reproducible_with_seed():
    x = tf.ones((4, 50))
    d = K.layers.Dropout(0.5, seed=3)
    assert d.built
    assert np.array_equal(d(x).numpy(), x.numpy())
    assert np.array_equal(d(x, training=False).numpy(), x.numpy())
    a = d(x, training=True).numpy()
    b = d(x, training=True).numpy()
    assert set(np.unique(a)) <= {0.0, 2.0} and not np.array_equal(a, b)  # a new mask per call
    assert 0.3 < (a == 0).mean() < 0.7
    d2 = K.layers.Dropout(0.5, seed=3)
    assert np.array_equal(d2(x, training=True).numpy(), a)  # same seed, same sequence
    assert [v.path for v in d.variables] == ["seed_generator/seed_generator_state"]
    assert d.weights == [] and d.trainable_variables == []
    assert d.non_trainable_variables == d.variables
    assert np.array_equal(K.layers.Dropout(0.0)(x, training=True).numpy(), x.numpy())
    assert float(tf.reduce_sum(K.layers.Dropout(1.0)(x, training=True))) == 0.0
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(K.layers.Dropout(0.5, seed=1)(x, training=True))
    g = tape.gradient(y, x).numpy()
    assert set(np.unique(g)) <= {0.0, 2.0}


def test_training_flag_propagates_to_nested_layers():
    seen = []

    class Probe(K.layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(K.layers.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, x):
            return self.probe(x)

    model = K.Sequential([Outer(), Probe()])
    model(tf.ones((1, 2)))
    model(tf.ones((1, 2)), training=True)
    model(tf.ones((1, 2)), training=False)
    Outer()(tf.ones((1, 2)), training=True)  # passed through a layer whose call takes no `training`
    assert seen[-7:] == [None, None, True, True, False, False, True]


def test_batch_normalization_training_and_inference_and_moving_statistics():
    x = rng().normal(size=(8, 3)).astype(np.float32) * 2 + 1
    bn = K.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    y = bn(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    before = bn.moving_mean.numpy().copy()
    y_inf = bn(x).numpy()  # inference: moving statistics, no update
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    np.testing.assert_allclose(y_inf, (x - before) / np.sqrt(bn.moving_variance.numpy() + 1e-3), rtol=1e-5)
    bn.trainable = False
    bn(x, training=True)  # a frozen BN runs in inference mode, as in Keras
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    with tf.GradientTape() as tape:  # the moving-statistics update is not recorded
        tape.watch(bn.gamma)
        bn.trainable = True
        out = tf.reduce_sum(bn(x, training=True))
    assert tape.gradient(out, bn.moving_mean) is None


def test_batch_normalization_channels_first_axis():
    x = rng(1).normal(size=(4, 3, 2, 2)).astype(np.float32)
    bn = K.layers.BatchNormalization(axis=1)
    y = bn(x, training=True).numpy()
    assert bn.gamma.shape == (3,)
    m = x.mean(axis=(0, 2, 3), keepdims=True)
    v = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-5)


def test_layer_normalization_formula():
    x = rng(2).normal(size=(3, 5)).astype(np.float32)
    ln = K.layers.LayerNormalization(epsilon=1e-5, gamma_initializer=K.initializers.Constant(2.0),
                                     beta_initializer=K.initializers.Constant(0.5))
    y = ln(x).numpy()
    expect = 2.0 * (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) + 0.5
    np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-5)
    x4 = rng(3).normal(size=(2, 3, 4)).astype(np.float32)
    ln2 = K.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    y2 = ln2(x4).numpy()
    assert ln2.gamma.shape == (3, 4)
    e2 = (x4 - x4.mean((1, 2), keepdims=True)) / np.sqrt(x4.var((1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y2, e2, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- convolution, pooling, embedding

def test_conv2d_matches_a_direct_convolution_and_shapes():
    x = rng(4).normal(size=(2, 6, 5, 3)).astype(np.float32)
    conv = K.layers.Conv2D(4, (3, 2), strides=(1, 1), padding="valid", bias_initializer="ones")
    y = conv(x).numpy()
    k = conv.kernel.numpy()
    assert k.shape == (3, 2, 3, 4) and y.shape == (2, 4, 4, 4)
    expect = np.zeros_like(y)
    for i in range(4):
        for j in range(4):
            expect[:, i, j, :] = np.einsum("bhwc,hwcf->bf", x[:, i:i + 3, j:j + 2, :], k)
    np.testing.assert_allclose(y, expect + 1.0, rtol=1e-4, atol=1e-5)
    assert K.layers.Conv2D(2, 3, strides=2, padding="same")(tf.ones((1, 7, 7, 1))).shape == (1, 4, 4, 2)
    assert K.layers.Conv2D(2, 3, padding="SAME")(tf.ones((1, 5, 5, 1))).shape == (1, 5, 5, 2)
    cf = K.layers.Conv2D(2, 3, data_format="channels_first")
    assert cf(tf.ones((1, 3, 5, 5))).shape == (1, 2, 3, 3) and cf.kernel.shape == (3, 3, 3, 2)


def test_conv2d_groups_equal_separate_convolutions():
    x = rng(5).normal(size=(1, 5, 5, 4)).astype(np.float32)
    grouped = K.layers.Conv2D(6, 3, groups=2, use_bias=False)
    y = grouped(x).numpy()
    k = grouped.kernel.numpy()
    assert k.shape == (3, 3, 2, 6)
    a = tf.nn.conv2d(x[..., :2], k[..., :3], 1, "VALID").numpy()
    b = tf.nn.conv2d(x[..., 2:], k[..., 3:], 1, "VALID").numpy()
    np.testing.assert_allclose(y, np.concatenate([a, b], -1), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="evenly divisible"):
        K.layers.Conv2D(5, 3, groups=2)


def test_pooling_and_flatten():
    x = np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2)
    mp = K.layers.MaxPooling2D()
    assert mp.built and mp.strides == (2, 2)
    y = mp(x).numpy()
    np.testing.assert_array_equal(y, x.reshape(1, 2, 2, 2, 2, 2).max(axis=(2, 4)))
    ap = K.layers.AveragePooling2D(pool_size=2)(x).numpy()
    np.testing.assert_allclose(ap, x.reshape(1, 2, 2, 2, 2, 2).mean(axis=(2, 4)))
    assert K.layers.MaxPooling2D(3, strides=1, padding="same")(x).shape == (1, 4, 4, 2)
    assert K.layers.Flatten()(x).shape == (1, 32)
    assert K.layers.Flatten()(tf.ones((3,))).shape == (3, 1)
    np.testing.assert_array_equal(K.layers.Flatten(data_format="channels_first")(x.transpose(0, 3, 1, 2)).numpy(),
                                  x.reshape(1, 32))
    with pytest.raises(ValueError, match="expected ndim=4"):
        mp(tf.ones((4, 4, 2)))


def test_embedding_gathers_rows_and_its_gradient_is_indexed_slices():
    emb = K.layers.Embedding(10, 3, embeddings_initializer=K.initializers.RandomUniform(seed=1))
    ids = tf.constant([[1, 2, 2], [9, 0, 1]])
    out = emb(ids)
    assert out.shape == (2, 3, 3) and emb.embeddings.shape == (10, 3)
    assert emb.embeddings.path == "embedding/embeddings"
    np.testing.assert_array_equal(out.numpy(), emb.embeddings.numpy()[ids.numpy()])
    assert np.abs(emb.embeddings.numpy()).max() <= 0.05
    np.testing.assert_array_equal(emb(np.array([[1.0, 2.0]])).numpy(), emb.embeddings.numpy()[[[1, 2]]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(ids) * 2.0)
    g = tape.gradient(loss, emb.embeddings)
    assert isinstance(g, tf.IndexedSlices)
    dense = np.zeros((10, 3), np.float32)
    np.add.at(dense, ids.numpy().ravel(), 2.0)
    np.testing.assert_allclose(tf.convert_to_tensor(g).numpy(), dense)


def test_activation_layers_and_activations_get():
    x = tf.constant([-2.0, -0.5, 0.5, 8.0])
    assert K.layers.Activation("relu")(x).numpy().tolist() == [0.0, 0.0, 0.5, 8.0]
    assert K.layers.ReLU(max_value=6.0)(x).numpy().tolist() == [0.0, 0.0, 0.5, 6.0]
    np.testing.assert_allclose(K.layers.ReLU(negative_slope=0.1)(x).numpy(), [-0.2, -0.05, 0.5, 8.0], rtol=1e-6)
    np.testing.assert_allclose(K.layers.ReLU(threshold=1.0)(x).numpy(), [0.0, 0.0, 0.0, 8.0])
    xs = x.numpy().astype(np.float64)
    table = {
        "sigmoid": 1 / (1 + np.exp(-xs)), "tanh": np.tanh(xs), "softplus": np.log1p(np.exp(xs)),
        "silu": xs / (1 + np.exp(-xs)), "swish": xs / (1 + np.exp(-xs)), "elu": np.where(xs > 0, xs, np.expm1(xs)),
        "selu": 1.0507009873554805 * np.where(xs > 0, xs, 1.6732632423543772 * np.expm1(xs)),
        "linear": xs, "relu": np.maximum(xs, 0), "softsign": xs / (1 + np.abs(xs)),
    }
    for name, expect in table.items():
        np.testing.assert_allclose(K.activations.get(name)(x).numpy(), expect, rtol=1e-5, atol=1e-6, err_msg=name)
    from math import erf

    np.testing.assert_allclose(K.activations.gelu(x).numpy(), [v * 0.5 * (1 + erf(v / 2 ** 0.5)) for v in xs],
                               rtol=1e-5, atol=1e-6)
    sm = K.activations.softmax(tf.constant([[1.0, 2.0, 3.0]])).numpy()
    np.testing.assert_allclose(sm, np.exp([[1, 2, 3]]) / np.exp([[1, 2, 3]]).sum(), rtol=1e-6)
    assert K.activations.get(None) is K.activations.linear
    assert K.activations.get(np.tanh) is np.tanh
    assert K.activations.swish is K.activations.silu


# --------------------------------------------------------------------------- models

def test_sequential_add_layers_input_and_summary(capsys):
    model = K.Sequential(name="net")
    model.add(K.Input(shape=(4,)))
    model.add(K.layers.Dense(3, activation="relu"))
    assert model.built and model.layers[0].built
    model.add(K.layers.Dense(1))
    assert [v.path for v in model.weights] == ["net/dense/kernel", "net/dense/bias", "net/dense_1/kernel",
                                               "net/dense_1/bias"]
    assert len(model.layers) == 2 and model(tf.ones((5, 4))).shape == (5, 1)
    assert model.pop() is not None and len(model.layers) == 1
    model.summary()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == 'Model: "net"'
    assert "│ dense (Dense)                   │ (None, 3)              │            15 │" in out
    assert " Total params: 15 (60.00 B)" in out
    with pytest.raises(ValueError, match="unique names"):
        K.Sequential([K.layers.Dense(1, name="a"), K.layers.Dense(1, name="a")])
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        K.Sequential([lambda x: x])


def test_sequential_summary_matches_keras_layout(capsys):
    model = K.Sequential([K.Input((8, 8, 1)), K.layers.Conv2D(4, 3), K.layers.BatchNormalization(),
                          K.layers.MaxPooling2D(), K.layers.Flatten(), K.layers.Dense(10)])
    model.summary()
    # Printed by Keras 3.15 for the same model (TensorFlow backend).
    expected = """Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 6, 6, 4)        │            40 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 6, 6, 4)        │            16 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 3, 3, 4)        │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 36)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 10)             │           370 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 426 (1.66 KB)
 Trainable params: 418 (1.63 KB)
 Non-trainable params: 8 (32.00 B)
"""
    assert capsys.readouterr().out == expected


def test_legacy_input_shape_argument_builds_the_sequential_model():
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):
        model = K.Sequential([K.layers.Dense(3, input_shape=(4,)), K.layers.Dense(2)])
    assert model.built and model.layers[0].kernel.shape == (4, 3)


def test_subclassed_model_and_unbuilt_summary(capsys):
    class M(K.Model):
        def __init__(self):
            super().__init__()
            self.d = K.layers.Dense(3)

        def call(self, x):
            return self.d(x)

    m = M()
    m.summary()
    assert "0 (unbuilt)" in capsys.readouterr().out
    m(np.ones((2, 4)))
    assert [v.path for v in m.variables] == ["m/dense/kernel", "m/dense/bias"]
    assert m.get_layer("dense") is m.d and m.get_layer(index=0) is m.d
    with pytest.raises(NotImplementedError, match="no functional API"):
        K.Model(K.Input((3,)), None)
    with pytest.raises(NotImplementedError, match="symbolic keras.Input"):
        K.layers.Dense(2)(K.Input((3,)))


def test_small_model_trains_with_a_tape_loop():
    x = rng(6).normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int32)
    K.utils.set_random_seed(0)
    model = K.Sequential([K.layers.Dense(16, activation="tanh"), K.layers.Dense(2)])
    loss_fn = K.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = K.metrics.SparseCategoricalAccuracy()
    first = None
    for _ in range(300):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        for v, g in zip(model.trainable_variables, grads):
            v.assign_sub(0.5 * g)
        first = float(loss) if first is None else first
    acc.update_state(y, model(x))
    assert float(loss) < 0.5 * first and float(acc.result()) > 0.9


# --------------------------------------------------------------------------- gradients vs finite differences

def _substituted(slots, fn):
    """fn() with each (layer, attribute) of `slots` replaced by the matching argument, so that
    check_gradients can perturb the weights of a model as tensors."""
    def f(x, *weights):
        saved = [getattr(layer, attr) for layer, attr in slots]
        for (layer, attr), w in zip(slots, weights):
            object.__setattr__(layer, attr, w)
        try:
            return fn(x)
        finally:
            for (layer, attr), w in zip(slots, saved):
                object.__setattr__(layer, attr, w)
    return f


def test_cnn_gradients_match_finite_differences_float64():
    K.utils.set_random_seed(1)

    class Net(K.Model):  # a float64 model (a Sequential would cast its inputs to float32, as Keras's does)
        def __init__(self):
            super().__init__(dtype="float64")
            self.blocks = [
                K.layers.Conv2D(3, 3, padding="same", activation="tanh", dtype="float64"),
                K.layers.BatchNormalization(dtype="float64"),
                K.layers.MaxPooling2D(dtype="float64"),
                K.layers.Flatten(dtype="float64"),
                K.layers.Dense(4, activation="gelu", dtype="float64"),
                K.layers.LayerNormalization(dtype="float64"),
                K.layers.Dense(3, dtype="float64"),
            ]

        def call(self, x, training=False):
            for block in self.blocks:
                x = block(x)
            return x

    model = Net()
    x = rng(7).normal(size=(2, 6, 6, 2))
    labels = np.array([0, 2])
    loss_fn = K.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    model(x)
    conv, bn, _, _, d1, ln, d2 = model.layers
    slots = [(conv, "kernel"), (conv, "bias"), (bn, "gamma"), (bn, "beta"), (d1, "kernel"), (d1, "bias"),
             (ln, "gamma"), (ln, "beta"), (d2, "kernel"), (d2, "bias")]
    f = _substituted(slots, lambda inp: loss_fn(labels, model(inp, training=True)))
    check_gradients(f, [x] + [getattr(layer, a).numpy() for layer, a in slots], order=1, modes=["rev", "fwd"])
    # and tape.gradient with respect to the variables themselves, against the same function
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    assert [v.path for v in model.trainable_variables] == [f"net/{layer.name}/{a}" for layer, a in slots]
    eps = 1e-6
    for (layer, attr), g in zip(slots, grads):
        v = getattr(layer, attr)
        direction = rng(8).normal(size=v.shape)
        base = v.numpy().copy()
        v.assign(base + eps * direction)
        up = float(loss_fn(labels, model(x, training=True)))
        v.assign(base - eps * direction)
        down = float(loss_fn(labels, model(x, training=True)))
        v.assign(base)
        np.testing.assert_allclose(np.sum(g.numpy() * direction), (up - down) / (2 * eps), rtol=1e-5, atol=1e-8,
                                   err_msg=v.path)


def test_embedding_model_gradients_match_finite_differences_float64():
    K.utils.set_random_seed(2)
    emb = K.layers.Embedding(6, 4, dtype="float64")
    dense = K.layers.Dense(1, activation="sigmoid", dtype="float64")
    ids = np.array([[0, 3, 3], [5, 1, 0]])
    targets = np.array([[1.0], [0.0]])
    bce = K.losses.BinaryCrossentropy(dtype="float64")
    forward = lambda: bce(targets, dense(tf.reduce_mean(emb(ids), axis=1)))
    forward()
    f = _substituted([(emb, "embeddings"), (dense, "kernel")], lambda _: forward())
    check_gradients(f, [np.zeros(1), emb.embeddings.numpy(), dense.kernel.numpy()], order=1, modes=["rev"])


# --------------------------------------------------------------------------- initializers

@pytest.mark.parametrize("cls, shape, std", [
    (K.initializers.GlorotUniform, (200, 300), np.sqrt(2 / 500)),
    (K.initializers.GlorotNormal, (200, 300), np.sqrt(2 / 500)),
    (K.initializers.HeNormal, (300, 200), np.sqrt(2 / 300)),
    (K.initializers.HeUniform, (300, 200), np.sqrt(2 / 300)),
    (K.initializers.LecunNormal, (300, 200), np.sqrt(1 / 300)),
    (K.initializers.GlorotUniform, (3, 3, 16, 32), np.sqrt(2 / (9 * 16 + 9 * 32))),
    (K.initializers.HeNormal, (5, 5, 8, 4), np.sqrt(2 / 200)),
])
def test_variance_scaling_statistics_and_bounds(cls, shape, std):
    w = cls(seed=3)(shape).numpy()
    assert w.shape == shape and w.dtype == np.float32
    assert abs(w.mean()) < 0.05 * std * 10 / np.sqrt(w.size) ** 0.5
    np.testing.assert_allclose(w.std(), std, rtol=0.03)
    if "Uniform" in cls.__name__:
        assert np.abs(w).max() <= np.sqrt(3) * std + 1e-7
    else:  # truncated at two standard deviations of the untruncated normal
        assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_initializers_seeding_dtype_and_lookup():
    a = K.initializers.GlorotUniform(seed=5)
    np.testing.assert_array_equal(a((4, 3)).numpy(), a((4, 3)).numpy())  # seeded: the same every call
    np.testing.assert_array_equal(a((4, 3)).numpy(), K.initializers.GlorotUniform(seed=5)((4, 3)).numpy())
    assert not np.array_equal(a((4, 3)).numpy(), K.initializers.GlorotUniform(seed=6)((4, 3)).numpy())
    u = K.initializers.GlorotUniform()
    np.testing.assert_array_equal(u((4, 3)).numpy(), u((4, 3)).numpy())  # unseeded: seed fixed at construction
    assert a((2, 2), dtype="float64").dtype == tf.float64
    assert K.initializers.Zeros()((2,)).numpy().tolist() == [0.0, 0.0]
    assert K.initializers.Ones()((2,), dtype="float64").dtype == tf.float64
    assert K.initializers.Constant(2.5)((2, 2)).numpy().tolist() == [[2.5, 2.5], [2.5, 2.5]]
    np.testing.assert_array_equal(K.initializers.Identity(2.0)((2, 2)).numpy(), 2 * np.eye(2))
    rn = K.initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((20000,)).numpy()
    assert abs(rn.mean() - 1.0) < 0.05 and abs(rn.std() - 2.0) < 0.05
    ru = K.initializers.RandomUniform(-1.0, 3.0, seed=0)((20000,)).numpy()
    assert ru.min() >= -1.0 and ru.max() < 3.0 and abs(ru.mean() - 1.0) < 0.05
    for name, cls in [("glorot_uniform", K.initializers.GlorotUniform), ("HeNormal", K.initializers.HeNormal),
                      ("uniform", K.initializers.RandomUniform), ("zeros", K.initializers.Zeros)]:
        assert type(K.initializers.get(name)) is cls
    assert K.initializers.get(None) is None
    assert K.initializers.compute_fans((7,)) == (7, 7) and K.initializers.compute_fans(()) == (1, 1)
    with pytest.raises(ValueError, match="positive float"):
        K.initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode`"):
        K.initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="floating"):
        K.initializers.GlorotUniform(seed=1)((2, 2), dtype="int32")


def test_set_random_seed_makes_unseeded_layers_reproducible():
    def build():
        K.utils.set_random_seed(123)
        layer = K.layers.Dense(3)
        layer(tf.ones((1, 4)))
        return layer.kernel.numpy()

    np.testing.assert_array_equal(build(), build())
    with pytest.raises(ValueError, match="integer"):
        K.utils.set_random_seed(1.5)


def test_doctests():
    for module in (_layer, layers, models, activations, initializers, regularizers, random, utils, keras_variables,
                   K.backend, tf.keras):
        K.backend.clear_session()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert doctest.testmod(module).failed == 0, module.__name__
