"""tf.split and tf.unstack as one multi-output op each (Split / SplitV / Unpack in ops/shape.py): one tape entry
forward, one backward op (a concat or stack of the pieces' cotangents, zeros for unused pieces) instead of one
full-size scatter per piece; values, gradients of every order, forward mode and Jacobians through them.
Registry-wide checks of the primitives (orders 1 and 2, batched cotangents, backends) are in test_registry.py and
the backend test modules."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

RNG = np.random.default_rng(3)
A = RNG.uniform(-2, 2, (2, 6, 3))


def _names(entries):
    return [e[0].name for e in entries]


# --------------------------------------------------------------------------- one op forward, one op backward

@pytest.mark.parametrize(("f", "name", "n"), [
    (lambda x: tf.split(x, 3, axis=1), "Split", 3),
    (lambda x: tf.split(x, [1, -1, 0, 2], axis=-2), "SplitV", 4),
    (lambda x: tf.split(x, tf.constant([4, 2]), axis=1, num=2), "SplitV", 2),
    (lambda x: tf.unstack(x, axis=1), "Unpack", 6),
    (lambda x: tf.unstack(x, num=3, axis=-1), "Unpack", 3),
], ids=["split-n", "split-sizes", "split-num", "unstack", "unstack-num"])
def test_one_entry_forward_and_one_op_backward(f, name, n):
    x = tf.constant(A)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            parts = f(x)
            assert len(parts) == n
            assert _names(inner._entries) == [name]  # not n StridedSlices
            loss = tf.add_n([tf.reduce_sum(p * p * float(k + 1)) for k, p in enumerate(parts)])
        start = len(outer._entries)
        g = inner.gradient(loss, x)
    backward_ops = _names(outer._entries[start:])
    assert backward_ops.count("ConcatV2" if name != "Unpack" else "Pack") == 1, backward_ops
    assert "StridedSliceGrad" not in backward_ops and "StridedSlice" not in backward_ops
    # (the cotangents depend on x, so the outer tape records the backward ops.) Piece k's gradient: 2 (k + 1) x
    np.testing.assert_allclose(g.numpy(), 2 * A * _assemble(f, [float(k + 1) for k in range(n)]))


def _assemble(f, pieces):
    """The array of A's shape whose f-pieces hold the values `pieces` (f run on an array of positions)."""
    idx = tf.constant(np.arange(A.size, dtype=np.float64).reshape(A.shape))
    out = np.zeros(A.size)
    for p, v in zip(f(idx), pieces):
        out[p.numpy().astype(np.int64).reshape(-1)] = v
    return out.reshape(A.shape)


def test_gradients_of_the_gradient_stay_one_op():
    """Concat's VJP is one SplitV and Pack's one Unpack, so higher orders don't fall back to n slices."""
    x = tf.constant(A)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            loss = tf.reduce_sum(tf.stack(tf.unstack(x, axis=2), axis=0) ** 3) + \
                tf.reduce_sum(tf.concat(tf.split(x, [2, 4], axis=1), axis=1) ** 3)
        start = len(outer._entries)
        g = inner.gradient(loss, x)
        backward_ops = _names(outer._entries[start:])
    h = outer.gradient(g, x)
    assert [n for n in backward_ops if n in ("Pack", "Unpack", "ConcatV2", "SplitV")] == \
        ["SplitV", "ConcatV2", "Unpack", "Pack"]
    assert not any(n.startswith("StridedSlice") for n in backward_ops)
    np.testing.assert_allclose(g.numpy(), 6 * A**2)
    np.testing.assert_allclose(h.numpy(), 12 * A)


# --------------------------------------------------------------------------- unused and unconnected pieces

def test_unused_pieces_get_zero_gradient():
    x = tf.constant(A)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a, b, c = tf.split(x, [1, 2, 3], axis=1)
        rows = tf.unstack(x, axis=-1)
        y1 = tf.reduce_sum(b * 2.0)
        y2 = tf.reduce_sum(rows[2] ** 2)
        ys = [tf.reduce_sum(a), tf.reduce_sum(a * c[:, :1]), tf.reduce_sum(rows[0])]
    want = np.zeros_like(A)
    want[:, 1:3] = 2.0
    np.testing.assert_array_equal(tape.gradient(y1, x).numpy(), want)
    want = np.zeros_like(A)
    want[..., 2] = 2 * A[..., 2]
    np.testing.assert_array_equal(tape.gradient(y2, x).numpy(), want)
    # several targets, some pieces used twice, one not at all
    g = tape.gradient(ys, x).numpy()
    want = np.zeros_like(A)
    want[:, 0] += 1.0 + A[:, 3]
    want[:, 3] += A[:, 0]
    want[..., 0] += 1.0
    np.testing.assert_allclose(g, want)


def test_unconnected_pieces_and_sources():
    x = tf.constant(A)
    z = tf.constant(1.0, tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        parts = tf.unstack(x)
        y = tf.reduce_sum(tf.stop_gradient(parts[0])) * z
    assert tape.gradient(y, x) is None  # the only piece used is cut by stop_gradient
    np.testing.assert_array_equal(
        tape.gradient(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO).numpy(), np.zeros_like(A))
    assert tape.gradient(parts[1], z) is None  # a piece does not depend on z
    np.testing.assert_array_equal(tape.gradient(parts[1], x).numpy(), np.stack([np.zeros_like(A[0]),
                                                                                np.ones_like(A[1])]))
    # a gradient with respect to a piece itself (a source that is an output of the op)
    with tf.GradientTape() as tape:
        tape.watch(x)
        p, q = tf.split(x, 2, axis=1)
        tape.watch(p)
        y = tf.reduce_sum(p * q)
    gp, gx = tape.gradient(y, [p, x])
    np.testing.assert_allclose(gp.numpy(), A[:, 3:])
    np.testing.assert_allclose(gx.numpy(), np.concatenate([A[:, 3:], A[:, :3]], axis=1))


def test_integer_split_and_zero_sized_pieces():
    parts = tf.split(tf.constant(np.arange(12, dtype=np.int32).reshape(3, 4)), [0, 4], axis=1)
    assert [tuple(p.shape) for p in parts] == [(3, 0), (3, 4)] and parts[1].dtype == tf.int32
    assert tf.unstack(tf.zeros((0, 3))) == [] and tf.split(tf.zeros((0, 3)), []) == []
    x = tf.constant(A)
    with tf.GradientTape() as tape:
        tape.watch(x)
        e, f = tf.split(x, [0, 6], axis=1)
        y = tf.reduce_sum(e) + tf.reduce_sum(f * f)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * A)


def test_variable_input():
    v = tf.Variable(A)
    with tf.GradientTape() as tape:
        a, b = tf.split(v, 2, axis=1)
        y = tf.reduce_sum(a * b)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), np.concatenate([A[:, 3:], A[:, :3]], axis=1))


# --------------------------------------------------------------------------- orders, forward mode, Jacobians

@pytest.mark.parametrize("f", [
    lambda t: tf.split(t, 3, axis=-2),
    lambda t: tf.split(t, [2, -1, 0], axis=1),
    lambda t: tf.split(t, [1, 2], axis=-1),
    lambda t: [p * p for p in tf.unstack(t, axis=-1)],
    lambda t: tf.unstack(t, num=2),
    lambda t: tf.unstack(tf.reshape(t, [-1]))[3:7],  # rank 1: scalar pieces, most unused
], ids=["split3", "split-sizes", "split-neg", "unstack-sq", "unstack0", "unstack-rank1"])
def test_orders_and_forward_mode(f):
    check_gradients(f, [A], order=2, modes=("rev", "fwd"))


def test_forward_accumulator_gives_split_tangents():
    x = tf.constant(A)
    t = tf.constant(A * 0.5 + 1.0)
    with tf.autodiff.ForwardAccumulator(x, t) as acc:
        parts = tf.split(x, [4, 2], axis=1)
        rows = tf.unstack(x, axis=-1)
    for p, want in zip(acc.jvp(parts), np.split(t.numpy(), [4], axis=1)):
        np.testing.assert_array_equal(p.numpy(), want)
    for r, want in zip(acc.jvp(rows), np.moveaxis(t.numpy(), -1, 0)):
        np.testing.assert_array_equal(r.numpy(), want)


def test_jacobians_through_pieces():
    """Batched cotangents (vectorized Jacobians) through Split / Unpack: each piece's Jacobian is a slice of
    the identity, unused pieces included."""
    x = tf.constant(A)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        parts = tf.split(x, [1, 5], axis=1)
        rows = tf.unstack(x, axis=-1)
    eye = np.eye(A.size).reshape(A.shape + A.shape)
    np.testing.assert_array_equal(tape.jacobian(parts[1], x).numpy(), eye[:, 1:])
    np.testing.assert_array_equal(tape.jacobian(rows[2], x).numpy(), eye[..., 2, :, :, :])
    jb = tape.batch_jacobian(rows[0], x)
    want = np.zeros((2, 6, 6, 3))
    for b in range(2):
        want[b, :, :, 0] = np.eye(6)
    np.testing.assert_array_equal(jb.numpy(), want)
