"""tf.IndexedSlices: the gradient of an axis-0 `tf.gather` with respect to its params, as in TensorFlow.

Covers its type and parts, conversion, accumulation with dense and sparse gradients (the engine's `add` and
`unbroadcast` hooks in ops/__init__.py), `UnconnectedGradients.ZERO`, gathers of intermediate tensors,
higher orders (nested tapes, forward-over-reverse, Jacobians) and the object's own behaviour."""

from __future__ import annotations

import copy
import pickle
import warnings

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

TABLE = np.arange(12.0).reshape(4, 3)


def _dense(g):
    return tf.convert_to_tensor(g).numpy()


def _scatter(indices, values, shape):
    out = np.zeros(shape)
    np.add.at(out, np.asarray(indices).reshape(-1), np.asarray(values).reshape((-1,) + shape[1:]))
    return out


# =========================================================================== the gradient of tf.gather

def test_gather_gradient_is_indexed_slices_for_a_variable():
    v = tf.Variable([[0.0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]])
    with tf.GradientTape() as tape:
        r = tf.gather(v, [1, 3])
    g = tape.gradient(r, v)
    assert type(g) is tf.IndexedSlices and not isinstance(g, tf.Tensor)
    assert g.indices.dtype == tf.int32 and g.indices.numpy().tolist() == [1, 3]
    assert g.values.dtype == tf.float32 and g.values.numpy().tolist() == [[1.0] * 3] * 2
    assert g.dense_shape.dtype == tf.int32 and g.dense_shape.numpy().tolist() == [4, 3]
    assert g.shape == (4, 3) and g.dtype == tf.float32 and len(g) == 4
    assert g._dense is None  # no dense gradient was built on the way


def test_gather_gradient_for_a_watched_tensor_with_nd_int64_indices():
    x = tf.constant(TABLE)
    idx = tf.constant([[2, 0], [2, 2]], tf.int64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.gather(x, idx) * tf.constant([[[1.0], [2.0]], [[3.0], [4.0]]], tf.float64))
    g = tape.gradient(y, x)
    assert type(g) is tf.IndexedSlices
    assert g.indices.dtype == tf.int64 and g.indices.numpy().tolist() == [2, 0, 2, 2]  # flattened, TF's order
    assert g.values.shape == (4, 3)
    np.testing.assert_array_equal(_dense(g), [[2.0] * 3, [0.0] * 3, [8.0] * 3, [0.0] * 3])


def test_scalar_index_and_non_axis0_gathers():
    x = tf.constant(TABLE)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = tf.gather(x, 2)  # a scalar index: one slice
        b = tf.gather(x, [2, 2], axis=1)
        c = tf.gather(x[None], [[1, 0]], axis=1, batch_dims=1)
    ga = tape.gradient(a, x)
    assert type(ga) is tf.IndexedSlices and ga.indices.numpy().tolist() == [2] and ga.values.shape == (1, 3)
    gb, gc = tape.gradient(b, x), tape.gradient(c, x)  # axis or batch_dims not 0: dense, as in TensorFlow
    assert type(gb) is tf.Tensor and type(gc) is tf.Tensor
    np.testing.assert_array_equal(gb.numpy(), np.tile([0.0, 0.0, 2.0], (4, 1)))
    np.testing.assert_array_equal(gc.numpy(), [[1.0] * 3, [1.0] * 3, [0.0] * 3, [0.0] * 3])


def test_gradient_values_match_a_dense_scatter():
    rng = np.random.default_rng(0)
    table = tf.Variable(rng.standard_normal((50, 4)))
    ids = rng.integers(0, 50, (8, 5))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.tanh(tf.gather(table, ids)))
    g = tape.gradient(y, table)
    want = _scatter(ids, 1 - np.tanh(table.numpy()[ids]) ** 2, (50, 4))
    np.testing.assert_allclose(_dense(g), want, rtol=1e-12)


# =========================================================================== accumulation

def test_two_gathers_of_the_same_params_concatenate():
    v = tf.Variable(TABLE)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [1, 3]) * 2.0) + tf.reduce_sum(tf.gather(v, [[3]]))
    g = tape.gradient(y, v)
    assert type(g) is tf.IndexedSlices
    assert sorted(g.indices.numpy().tolist()) == [1, 3, 3] and g.values.shape == (3, 3)
    np.testing.assert_array_equal(_dense(g), [[0.0] * 3, [2.0] * 3, [0.0] * 3, [3.0] * 3])


def test_mixed_index_dtypes_concatenate_as_int64():
    v = tf.Variable(TABLE)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, tf.constant([1], tf.int32))) + tf.reduce_sum(tf.gather(v, tf.constant([0],
                                                                                                          tf.int64)))
    g = tape.gradient(y, v)
    assert g.indices.dtype == tf.int64 and sorted(g.indices.numpy().tolist()) == [0, 1]


def test_gather_plus_dense_use_gives_a_dense_sum():
    v = tf.Variable(TABLE)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [1, 1])) + tf.reduce_sum(v * v) + tf.reduce_sum(tf.gather(v, [0]))
    g = tape.gradient(y, v)
    assert type(g) is tf.Tensor
    want = 2 * TABLE
    want[1] += 2.0
    want[0] += 1.0
    np.testing.assert_allclose(g.numpy(), want)


def test_unconnected_gradients_zero():
    v, w = tf.Variable(TABLE), tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [2]))
    gv, gw = tape.gradient(y, [v, w], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert type(gv) is tf.IndexedSlices and gv.indices.numpy().tolist() == [2]
    assert type(gw) is tf.Tensor and gw.numpy().tolist() == [0.0, 0.0]
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [2]))
    assert tape.gradient(y, w) is None


def test_gather_of_an_intermediate_tensor_gives_its_producer_a_dense_gradient():
    x = tf.constant(TABLE / 10)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = tf.tanh(x) * 3.0
        y = tf.reduce_sum(tf.gather(h, [0, 2, 2]) ** 2)
    g = tape.gradient(y, x)
    assert type(g) is tf.Tensor
    th = np.tanh(TABLE / 10)
    count = np.array([1.0, 0.0, 2.0, 0.0])[:, None]
    np.testing.assert_allclose(g.numpy(), count * 2 * 3 * th * 3 * (1 - th ** 2), rtol=1e-12)
    gh, gx = tape.gradient(y, [h, x])  # the intermediate itself as a source: sparse, like TensorFlow's
    assert type(gh) is tf.IndexedSlices and type(gx) is tf.Tensor
    np.testing.assert_allclose(gx.numpy(), g.numpy(), rtol=1e-12)


def test_output_gradients_may_be_indexed_slices():
    x = tf.constant(TABLE)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    seed = tf.IndexedSlices(tf.constant([[1.0, 1.0, 1.0]], tf.float64), tf.constant([1]), [4, 3])
    np.testing.assert_array_equal(tape.gradient(y, x, output_gradients=seed).numpy()[1], [2.0, 2.0, 2.0])


# =========================================================================== higher orders

def test_second_order_through_gather_with_nested_tapes():
    x = tf.constant(TABLE / 10)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.gather(x, [0, 2, 2]) ** 3)
        g = inner.gradient(y, x)  # followed by the outer tape: converted by a recorded op
        assert type(g) is tf.Tensor
        z = tf.reduce_sum(g)
    h = outer.gradient(z, x)  # through the forward gather again: sparse
    assert type(h) is tf.IndexedSlices
    count = np.array([1.0, 0.0, 2.0, 0.0])[:, None]
    np.testing.assert_allclose(g.numpy(), 3 * (TABLE / 10) ** 2 * count, rtol=1e-12)
    np.testing.assert_allclose(_dense(h), 6 * (TABLE / 10) * count, rtol=1e-12)


def test_second_order_with_a_constant_sparse_gradient():
    x = tf.constant(TABLE)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.gather(x, [0, 2, 2]))
        g = inner.gradient(y, x)  # constant in x: nothing to follow, so it stays sparse
        assert type(g) is tf.IndexedSlices
        z = tf.reduce_sum(g * x) + tf.reduce_sum(g)
    np.testing.assert_array_equal(outer.gradient(z, x).numpy(), np.array([1.0, 0.0, 2.0, 0.0])[:, None] * np.ones(3))


def test_forward_over_reverse_hessian_vector_product():
    x = tf.constant(TABLE / 10)
    v = tf.constant(np.ones((4, 3)))
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.gather(x, [0, 2, 2]) ** 3)
        g = tape.gradient(y, x)
    count = np.array([1.0, 0.0, 2.0, 0.0])[:, None]
    np.testing.assert_allclose(acc.jvp(g).numpy(), 6 * (TABLE / 10) * count, rtol=1e-12)


@pytest.mark.parametrize("pfor", [True, False])
def test_jacobian_of_a_gather(pfor):
    x = tf.constant(TABLE)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.gather(x, [3, 1, 3])
    j = tape.jacobian(y, x, experimental_use_pfor=pfor)
    want = np.zeros((3, 3, 4, 3))
    for r, i in enumerate([3, 1, 3]):
        want[r, :, i, :] = np.eye(3)
    np.testing.assert_array_equal(j.numpy(), want)


def test_check_gradients_through_gather_orders_1_and_2():
    check_gradients(lambda t: tf.gather(t, [[3, 0], [0, 0]]) ** 2, [TABLE / 10], order=2)


# =========================================================================== the object

def test_conversion_and_ops_densify():
    s = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([2, 2]), tf.constant([3, 2]))
    d = tf.convert_to_tensor(s)
    assert type(d) is tf.Tensor and d.dtype == tf.float32
    np.testing.assert_array_equal(d.numpy(), [[0, 0], [0, 0], [4, 6]])
    assert float(tf.reduce_sum(s)) == 10.0  # ops convert it, as TensorFlow does
    np.testing.assert_array_equal((s + 1.0).numpy()[2], [5.0, 7.0])
    np.testing.assert_array_equal(np.asarray(s), d.numpy())
    with pytest.raises(ValueError, match="requested dtype float64 for IndexedSlices with dtype float32"):
        tf.convert_to_tensor(s, dtype=tf.float64)
    assert tf.shape(s).numpy().tolist() == [3, 2] and int(tf.rank(s)) == 2


def test_scalar_arithmetic_keeps_slices_sparse():
    s = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), [3, 2])
    for r, want in [(-s, [[-1.0, -2.0]]), (s * 2.0, [[2.0, 4.0]]), (2 * s, [[2.0, 4.0]]), (s / 2.0, [[0.5, 1.0]]),
                    (s * tf.constant(3.0), [[3.0, 6.0]])]:
        assert type(r) is tf.IndexedSlices and r.indices is s.indices
        np.testing.assert_array_equal(r.values.numpy(), want)
    r = s * tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert type(r) is tf.Tensor
    np.testing.assert_array_equal(r.numpy(), [[0, 0], [3, 8], [0, 0]])


def test_no_numpy_method_and_identity_semantics():
    s = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]), [2, 1])
    assert not hasattr(s, "numpy")
    with pytest.raises(AttributeError, match="tf.convert_to_tensor"):
        s.numpy()
    t = copy.deepcopy(s)
    assert t is s and s == s and not (s != s) and {s: 1}[s] == 1
    u = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(_dense(u), [[1.0], [0.0]])


def test_str_matches_tensorflow():
    s = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), [3, 2])
    assert str(s) == ("IndexedSlices(indices=tf.Tensor([1], shape=(1,), dtype=int32), values=tf.Tensor([[1. 2.]], "
                      "shape=(1, 2), dtype=float32), dense_shape=tf.Tensor([3 2], shape=(2,), dtype=int32))")
    assert repr(s) == str(s)
    n = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]))
    assert "dense_shape" not in str(n) and n.dense_shape is None
    with pytest.raises(ValueError, match="IndexedSlices without dense_shape"):
        tf.convert_to_tensor(n)


def test_bad_slices_are_rejected_clearly():
    with pytest.raises(TypeError, match="indices must be integers"):
        tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0.0]), [2, 1])
    bad = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([5]), [2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 5 is not in \[0, 2\)"):
        tf.convert_to_tensor(bad)
    wrong = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([0]), [2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not describe slices"):
        tf.convert_to_tensor(wrong)


def test_converting_followed_values_outside_the_tape_warns():
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.IndexedSlices(x * 2.0, tf.constant([1]), [3, 2])
        with pytest.warns(UserWarning, match="no gradient flows through this conversion"):
            tf.reduce_sum(s)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = tf.reduce_sum(tf.convert_to_tensor(s))  # the recorded conversion: no warning, a gradient
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[2.0, 2.0]])


def test_clipping_keeps_indexed_slices():
    s = tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]), [3, 2])
    c = tf.clip_by_norm(s, 1.0)
    assert type(c) is tf.IndexedSlices
    np.testing.assert_allclose(c.values.numpy(), [[0.6, 0.8]], rtol=1e-6)
    (c, d), norm = tf.clip_by_global_norm([s, tf.constant([0.0])], 2.5)
    assert type(c) is tf.IndexedSlices and float(norm) == 5.0
    np.testing.assert_allclose(c.values.numpy(), [[1.5, 2.0]], rtol=1e-6)


def test_array_api_strict_backend():
    strict = type(xp.asarray(1.0))
    x = tf.constant(xp.asarray(TABLE))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.gather(x, [3, 0, 3]) ** 2)
    g = tape.gradient(y, x)
    assert type(g) is tf.IndexedSlices and isinstance(g.values._value, strict)
    d = tf.convert_to_tensor(g)
    assert isinstance(d._value, strict)
    np.testing.assert_array_equal(d.numpy(), _scatter([3, 0, 3], 2 * TABLE[[3, 0, 3]], (4, 3)))
