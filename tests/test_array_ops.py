"""Array ops (ops/array_ops.py): values against NumPy, TensorFlow's edge behaviours (negative axes, empty
splits, strided_slice masks, index checks), errors with TensorFlow's classes and messages, gradients of the
composites, and a few ops on array-api-strict. Registry-wide gradient checks of the primitives (GatherV2,
GatherV2Grad) live in test_registry.py."""

from __future__ import annotations

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

RNG = np.random.default_rng(0)
X = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
A = RNG.uniform(-2, 2, (2, 3, 4))
B = RNG.uniform(-2, 2, (4, 5))
InvalidArgumentError = tf.errors.InvalidArgumentError


def _eq(got, want):
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_array_equal(got, want)


# =========================================================================== tile, pad, reverse, roll

@pytest.mark.parametrize("multiples", [[1, 2, 3], [2, 1, 1], [1, 1, 1], [0, 2, 1]])
def test_tile_matches_numpy(multiples):
    out = tf.tile(tf.constant(X), multiples)
    assert out.dtype == tf.int32
    _eq(out, np.tile(X, multiples))


def test_tile_errors_and_gradient():
    with pytest.raises(InvalidArgumentError, match="vector of length 3 but got length 2"):
        tf.tile(tf.constant(X), [1, 2])
    with pytest.raises(InvalidArgumentError, match=r"multiples\[1\] >= 0, but got -1"):
        tf.tile(tf.constant(X), [1, -1, 1])
    check_gradients(lambda x: tf.tile(x, [2, 1, 3]), [A])


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC", "reflect"])
def test_pad_matches_numpy(mode):
    pads = [[1, 0], [0, 2], [3, 1]]
    want = np.pad(X, pads, mode=mode.lower())
    _eq(tf.pad(tf.constant(X), pads, mode), want)
    _eq(tf.pad(tf.constant(X), tf.constant(pads), mode), want)


def test_pad_constant_values_and_symmetric_limit():
    _eq(tf.pad(tf.constant(X), [[0, 1], [1, 0], [0, 0]], constant_values=7),
        np.pad(X, [[0, 1], [1, 0], [0, 0]], constant_values=7))
    _eq(tf.pad(tf.constant([1, 2, 3]), [[3, 3]], "SYMMETRIC"), [3, 2, 1, 1, 2, 3, 3, 2, 1])  # pad == dim is fine
    _eq(tf.pad(tf.constant([1.0, 2.0]), [[0, 0]]), [1.0, 2.0])


def test_pad_gradients_and_constant_values_get_none():
    for mode in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        check_gradients(lambda x, m=mode: tf.pad(x, [[1, 1], [2, 0], [0, 3]], m), [A])
    x, c = tf.constant(A), tf.constant(2.5, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([x, c])
        y = tf.reduce_sum(tf.pad(x, [[1, 1], [0, 0], [0, 0]], constant_values=c))
    gx, gc = tape.gradient(y, [x, c])
    assert gc is None  # TensorFlow: PadV2 has no gradient for constant_values
    _eq(gx, np.ones_like(A))
    assert float(y) == pytest.approx(A.sum() + 2.5 * 24)


def test_pad_errors():
    x = tf.constant(X)
    with pytest.raises(InvalidArgumentError, match="paddings must be the rank of inputs"):
        tf.pad(x, [[1, 0]])
    with pytest.raises(InvalidArgumentError, match="Paddings must be non-negative: -1 0"):
        tf.pad(x, [[0, 0], [-1, 0], [0, 0]])
    with pytest.raises(InvalidArgumentError, match="must be less than the dimension size: 3, 0 not less than 3"):
        tf.pad(x, [[0, 0], [3, 0], [0, 0]], "REFLECT")
    with pytest.raises(InvalidArgumentError, match="no greater than the dimension size: 0, 4 greater than 3"):
        tf.pad(x, [[0, 0], [0, 4], [0, 0]], "SYMMETRIC")
    with pytest.raises(ValueError, match='one of "CONSTANT", "REFLECT", or "SYMMETRIC"'):
        tf.pad(x, [[0, 0]] * 3, "WRAP")


def test_reverse_and_roll():
    x = tf.constant(X)
    _eq(tf.reverse(x, [0, -1]), X[::-1, :, ::-1])
    _eq(tf.reverse(x, []), X)
    with pytest.raises(InvalidArgumentError, match="axis 2 specified more than once"):
        tf.reverse(x, [2, -1])
    _eq(tf.roll(x, [1, -1, 5], [0, 2, 1]), np.roll(X, [1, -1, 5], [0, 2, 1]))
    _eq(tf.roll(x, [1, 2], [2, -1]), np.roll(X, 3, 2))  # shifts on one axis add up
    _eq(tf.roll(x, 4, 2), X)
    with pytest.raises(InvalidArgumentError, match="shift and axis must have the same size"):
        tf.roll(x, [1, 2], [0])
    check_gradients(lambda t: tf.roll(tf.reverse(t, [1]), [1, 2], [0, 2]), [A])


# =========================================================================== split, slice, strided_slice

def test_split_equal_and_sized_parts():
    x = tf.constant(X)
    parts = tf.split(x, 2, axis=-1)
    assert len(parts) == 2
    _eq(parts[1], X[..., 2:])
    parts = tf.split(x, [1, -1, 0, 1], axis=2)
    assert [tuple(p.shape) for p in parts] == [(2, 3, 1), (2, 3, 2), (2, 3, 0), (2, 3, 1)]  # empty split allowed
    _eq(parts[1], X[..., 1:3])
    _eq(tf.split(x, 1)[0], X)
    _eq(tf.split(x, tf.constant([2, 1]), 1)[1], X[:, 2:])


def test_split_errors_and_gradient():
    x = tf.constant(X)
    with pytest.raises(InvalidArgumentError, match=r"evenly divide .* split_dim 1 \(size = 3\) and num_split 2"):
        tf.split(x, 2, axis=1)
    with pytest.raises(InvalidArgumentError, match="Determined shape must either match"):
        tf.split(x, [1, 1], axis=1)
    with pytest.raises(InvalidArgumentError, match="Only one dimensions can have a value of -1"):
        tf.split(x, [-1, -1], axis=1)
    with pytest.raises(InvalidArgumentError, match=r"axis in the range \[-3, 3\), but got 3"):
        tf.split(x, 1, axis=3)
    check_gradients(lambda t: tf.split(t, [1, -1], 2), [A])


def test_slice():
    x = tf.constant(X)
    _eq(tf.slice(x, [1, 0, 1], [1, -1, 2]), X[1:2, 0:, 1:3])
    _eq(tf.slice(x, [0, 3, 0], [2, 0, 4]), X[:, 3:3])
    with pytest.raises(InvalidArgumentError, match=r"Expected size\[1\] in \[0, 1\], but got 2"):
        tf.slice(x, [0, 2, 0], [1, 2, 1])
    with pytest.raises(InvalidArgumentError, match=r"Expected begin\[0\] in \[0, 2\], but got 3"):
        tf.slice(x, [3, 0, 0], [0, 1, 1])
    with pytest.raises(InvalidArgumentError, match="1-D tensors of size 3"):
        tf.slice(x, [0], [1])


# (begin, end, strides, masks, the equivalent Python key)
STRIDED = [
    ([0, 1, 0], [2, 3, 4], [1, 1, 2], {}, np.s_[0:2, 1:3, 0:4:2]),
    ([0, 0, 3], [0, 0, 0], [1, 1, -2], {"begin_mask": 2, "end_mask": 6, "shrink_axis_mask": 1}, np.s_[0, :, 3::-2]),
    ([1, 0], [2, 0], [1, 1], {"ellipsis_mask": 2}, np.s_[1:2, ...]),
    ([0, 2], [0, 0], [1, -1], {"ellipsis_mask": 1, "end_mask": 2}, np.s_[..., 2::-1]),
    ([0, 1, 0], [0, 3, 0], [1, 1, 1], {"new_axis_mask": 1, "end_mask": 5}, np.s_[None, 1:3, :]),
    ([-1], [0], [1], {"shrink_axis_mask": 1}, np.s_[-1]),
    ([-10, 5], [10, -10], [1, -1], {}, np.s_[-10:10, 5:-10:-1]),
    ([0, 0, 1], [0, 0, 2], [1, 1, 1], {"ellipsis_mask": 1, "new_axis_mask": 2, "shrink_axis_mask": 4},
     np.s_[..., None, 1]),
    ([1], [2], None, {}, np.s_[1:2]),
]


@pytest.mark.parametrize(("begin", "end", "strides", "masks", "key"), STRIDED)
def test_strided_slice_matches_python_slicing(begin, end, strides, masks, key):
    _eq(tf.strided_slice(tf.constant(X), begin, end, strides, **masks), X[key])


def test_strided_slice_errors_and_gradient():
    x = tf.constant(X)
    with pytest.raises(InvalidArgumentError, match="slice index 7 of dimension 1 out of bounds"):
        tf.strided_slice(x, [0, 7], [1, 8], shrink_axis_mask=2)
    with pytest.raises(InvalidArgumentError, match="Multiple ellipses in slice spec not allowed"):
        tf.strided_slice(x, [0, 0], [1, 1], ellipsis_mask=3)
    with pytest.raises(InvalidArgumentError, match=r"strides\[0\] must be non-zero"):
        tf.strided_slice(x, [0], [1], [0])
    with pytest.raises(InvalidArgumentError, match="input has only 3 dims"):
        tf.strided_slice(x, [0, 0, 0, 0], [1, 1, 1, 1])
    check_gradients(lambda t: tf.strided_slice(t, [0, 2], [0, 0], [1, -1], ellipsis_mask=1, end_mask=2), [A])


# =========================================================================== gather, gather_nd

def test_gather_values():
    x = tf.constant(X)
    _eq(tf.gather(x, [[1, 0], [1, 1]]), X[[[1, 0], [1, 1]]])
    _eq(tf.gather(x, 2, axis=1), X[:, 2])
    _eq(tf.gather(x, [3, 0], axis=-1), X[..., [3, 0]])
    _eq(tf.gather(x, tf.constant([1, 1], tf.int64)), X[[1, 1]])
    _eq(tf.gather(x, np.zeros((0, 2), np.int32), axis=1), X[:, np.zeros((0, 2), int)])


def test_gather_batch_dims():
    x = tf.constant(X)
    ids = np.array([[2, 0], [1, 1]])
    _eq(tf.gather(x, ids, axis=1, batch_dims=1), np.stack([X[b][ids[b]] for b in range(2)]))
    ids2 = np.array([[3, 0, 1], [2, 2, 0]])
    _eq(tf.gather(x, ids2, axis=2, batch_dims=1), np.stack([X[b][:, ids2[b]] for b in range(2)]))
    _eq(tf.gather(x, ids2, axis=-1, batch_dims=-1), np.stack([X[b][:, ids2[b]] for b in range(2)]))
    ids3 = np.array([[3, 0, 1], [0, 0, 2]])  # batch_dims 2: one index vector per (b, i)
    _eq(tf.gather(x, ids3, batch_dims=2), np.stack([[X[b, i, ids3[b, i]] for i in range(3)] for b in range(2)]))
    _eq(tf.gather(x, [[1], [0]], batch_dims=1), np.stack([X[0, [1]], X[1, [0]]]))  # axis defaults to batch_dims


def test_gather_out_of_range_and_bad_arguments():
    x = tf.constant(np.zeros((5, 3)))
    with pytest.raises(InvalidArgumentError, match=r"^indices\[1\] = 7 is not in \[0, 5\)"):
        tf.gather(x, [1, 7])
    with pytest.raises(InvalidArgumentError, match=r"indices\[0,1\] = -1 is not in \[0, 5\)"):
        tf.gather(x, [[0, -1]])
    with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = 3 is not in \[0, 3\)"):
        tf.gather(x, [3], axis=1)
    with pytest.raises(TypeError, match="indices must be int32 or int64"):
        tf.gather(x, [1.0])
    with pytest.raises(InvalidArgumentError, match=r"axis in the range \[-2, 2\), but got 2"):
        tf.gather(x, [0], axis=2)
    with pytest.raises(InvalidArgumentError, match="must be less than or equal to axis"):
        tf.gather(x, [[0]], axis=0, batch_dims=1)
    with pytest.raises(InvalidArgumentError, match=r"params.shape\[0\]: 5 should be equal to indices.shape\[0\]: 2"):
        tf.gather(x, [[0], [1]], axis=1, batch_dims=1)
    with pytest.raises(InvalidArgumentError, match="at least 1 dimensional"):
        tf.gather(tf.constant(1.0), [0])
    assert issubclass(InvalidArgumentError, ValueError)


def test_gather_gradients():
    check_gradients(lambda t: tf.gather(t, [[2, 0], [1, 1]], axis=1, batch_dims=1), [A])
    check_gradients(lambda t: tf.gather(t, [3, 3, 0], axis=-1), [A])
    x = tf.constant(A)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.gather(x, [2, 2, 0], axis=1)
    g = tape.gradient(y, x)  # not an axis-0 gather: a dense gradient
    assert type(g) is tf.Tensor
    _eq(g, np.broadcast_to(np.array([1.0, 0.0, 2.0])[None, :, None], A.shape))


def test_gather_nd():
    x = tf.constant(X)
    _eq(tf.gather_nd(x, [[1, 2], [0, 0]]), X[[1, 0], [2, 0]])
    _eq(tf.gather_nd(x, [[[1, 2, 3]], [[0, 0, 1]]]), X[[[1], [0]], [[2], [0]], [[3], [1]]])
    _eq(tf.gather_nd(x, [[1], [0]], batch_dims=1), np.stack([X[0, 1], X[1, 0]]))
    _eq(tf.gather_nd(x, np.zeros((2, 0), np.int32)), np.stack([X, X]))
    with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = \[1, 3\] does not index into param shape \[2, 3"):
        tf.gather_nd(x, [[0, 0], [1, 3]])
    with pytest.raises(InvalidArgumentError, match="innermost dimension length must be <= params rank; saw: 4 vs. 3"):
        tf.gather_nd(x, [[0, 0, 0, 0]])
    check_gradients(lambda t: tf.gather_nd(t, [[1, 2], [1, 2], [0, 0]]), [A])
    check_gradients(lambda t: tf.gather_nd(t, [[1], [0]], batch_dims=1), [A])


# =========================================================================== scatters

def test_scatter_nd_sums_duplicates():
    _eq(tf.scatter_nd([[1], [3], [1]], [9, 10, 11], [5]), [0, 20, 0, 10, 0])
    _eq(tf.scatter_nd([[0, 1], [1, 0]], [[1.0, 2.0], [3.0, 4.0]], [2, 2, 2]),
        np.array([[[0, 0], [1, 2]], [[3, 4], [0, 0]]], np.float32))
    with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = \[5\] does not index into shape \[4\]"):
        tf.scatter_nd([[1], [5]], [1.0, 2.0], [4])
    with pytest.raises(InvalidArgumentError, match=r"updates has shape \[2\].*need updates of shape \[1\]"):
        tf.scatter_nd([[1]], [1.0, 2.0], [4])
    check_gradients(lambda u: tf.scatter_nd([[1, 0], [0, 2], [1, 0]], u, [2, 3, 4]), [A[0, :, :]])


def test_tensor_scatter_nd_update_last_update_wins():
    want = X.copy()
    want[0, 1], want[1, 2] = 3, 2
    upd = np.array([[1] * 4, [2] * 4, [3] * 4])
    _eq(tf.tensor_scatter_nd_update(tf.constant(X), [[0, 1], [1, 2], [0, 1]], upd), want)
    x, u = tf.constant(A), tf.constant(RNG.uniform(size=(3, 4)))
    with tf.GradientTape() as tape:
        tape.watch([x, u])
        y = tf.tensor_scatter_nd_update(x, [[0, 1], [1, 2], [0, 1]], u) * 2.0
    gx, gu = tape.gradient(y, [x, u])
    mask = np.full(A.shape, 2.0)
    mask[0, 1] = mask[1, 2] = 0.0
    _eq(gx, mask)
    _eq(gu, [[0.0] * 4, [2.0] * 4, [2.0] * 4])  # the overwritten update has no effect, so no gradient
    check_gradients(lambda t, v: tf.tensor_scatter_nd_update(t, [[1, 0, 3], [0, 2, 1]], v), [A, np.array([1.0, 2.0])])


def test_tensor_scatter_nd_add_sub():
    _eq(tf.tensor_scatter_nd_add(tf.ones(4), [[1], [1]], [5.0, 6.0]), [1.0, 12.0, 1.0, 1.0])
    _eq(tf.tensor_scatter_nd_sub(tf.constant(X), [[1, 2]], [[1, 1, 1, 1]]), X - np.pad([[[1] * 4]], [[1, 0], [2, 0],
                                                                                                     [0, 0]]))
    with pytest.raises(InvalidArgumentError, match="updates has dtype float64 but tensor has dtype float32"):
        tf.tensor_scatter_nd_add(tf.ones(4), [[1]], tf.constant([1.0], tf.float64))
    check_gradients(lambda t, v: tf.tensor_scatter_nd_add(t, [[1], [1]], v), [A, A * 0.5])


# =========================================================================== masks, one_hot, repeat, grids

def test_boolean_mask():
    m = np.array([[True, False, True], [False, False, True]])
    _eq(tf.boolean_mask(tf.constant(X), m), X[m])
    _eq(tf.boolean_mask(tf.constant(X), [True, False, True, True], axis=-1), X[..., [0, 2, 3]])
    _eq(tf.boolean_mask(tf.constant(X), [False, False]), X[:0])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(tf.constant(X), True)
    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(3,\) are incompatible"):
        tf.boolean_mask(tf.constant(X), [True, False, True])
    check_gradients(lambda t: tf.boolean_mask(t, m), [A])


def test_one_hot():
    _eq(tf.one_hot([0, 2, -1, 3], 3), np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]], np.float32))
    out = tf.one_hot([[1, 0]], 2, on_value=5, off_value=-1, axis=0)
    assert out.dtype == tf.int32
    _eq(out, np.array([[[-1, 5]], [[5, -1]]]))
    assert tf.one_hot([1], 2, dtype=tf.int64).dtype == tf.int64
    assert tf.one_hot([1], 2, on_value=tf.constant(2.0, tf.float64)).dtype == tf.float64
    with pytest.raises(TypeError, match="does not match dtype"):
        tf.one_hot([1], 3, on_value=tf.constant(1, tf.int32), dtype=tf.float32)
    on = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(on)
        y = tf.reduce_sum(tf.one_hot([1, 0], 2, on_value=on))
    assert tape.gradient(y, on) is None  # TensorFlow: OneHot is not differentiable


def test_repeat():
    _eq(tf.repeat(tf.constant(X), 2), np.repeat(X, 2))
    _eq(tf.repeat(tf.constant(X), [1, 0, 2], axis=1), np.repeat(X, [1, 0, 2], axis=1))
    _eq(tf.repeat(tf.constant(X), 3, axis=-1), np.repeat(X, 3, axis=-1))
    with pytest.raises(InvalidArgumentError, match="one entry per element of dimension 1"):
        tf.repeat(tf.constant(X), [1, 2], axis=1)
    check_gradients(lambda t: tf.repeat(t, [1, 0, 2], axis=1), [A])


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    args = [[1, 2], [3, 4, 5], [6, 7, 8, 9]]
    for got, want in zip(tf.meshgrid(*args, indexing=indexing), np.meshgrid(*args, indexing=indexing), strict=True):
        _eq(got, want)
    with pytest.raises(ValueError, match="'xy' or 'ij'"):
        tf.meshgrid([1], indexing="xx")


def test_linspace():
    _eq(tf.linspace(10.0, 12.0, 3), np.array([10.0, 11.0, 12.0], np.float32))
    out = tf.linspace(0, 10, 5)
    assert out.dtype == tf.float64  # integers divide to float64, as in TensorFlow
    _eq(out, [0.0, 2.5, 5.0, 7.5, 10.0])
    _eq(tf.linspace(1.0, 2.0, 1), np.array([1.0], np.float32))
    assert tf.linspace(1.0, 2.0, 0).shape == (0,)
    got = tf.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=-1)
    _eq(got, np.array([[0.0, 0.5, 1.0], [1.0, 2.0, 3.0]], np.float32))
    _eq(tf.linspace(0.1, 0.7, 7)[-1:], np.array([0.7], np.float32))  # the end point is exact
    check_gradients(lambda s, e: tf.linspace(s, e, 4, axis=1), [RNG.uniform(size=2), RNG.uniform(size=(3, 1))])


def test_eye_and_range_dtypes():
    _eq(tf.eye(2, 3), np.eye(2, 3, dtype=np.float32))
    e = tf.eye(2, batch_shape=[3, 1], dtype=tf.int32)
    assert e.shape == (3, 1, 2, 2) and e.dtype == tf.int32
    _eq(e[2, 0], np.eye(2))
    assert tf.range(6.0).dtype == tf.float32 and tf.range(5).dtype == tf.int32
    assert tf.range(0, 3, 0.5).dtype == tf.float32 and tf.range(tf.constant(3, tf.int64)).dtype == tf.int64


# =========================================================================== einsum, tensordot

EINSUM = [
    ("ijk,kl->ijl", [A, B]), ("ijk->", [A]), ("ijk->kji", [A]), ("bii->bi", [A[:, :, :3]]), ("ii", [B[:4, :4]]),
    ("...k,kl", [A, B]), ("ijk,ijk->ij", [A, A]), ("ij,jk,kl->il", [A[0], B[:, :3], B[:3]]), ("i,j->ij", [B[0], B[1]]),
    ("bij,bkj->bik", [A, A]), ("...ij,...jk->...ik", [A, RNG.uniform(size=(1, 4, 2))]), ("iij->j", [A[:2, :2]]),
    ("ij,ij", [B, B]), ("ji", [B]), ("i,i->", [B[0], B[1]]), ("...i,...i->...", [A, A[0]]), ("bi,bi->bi", [B, B]),
    ("i...->...", [A]), ("ab,cd->", [B, B]),
]


@pytest.mark.parametrize(("equation", "operands"), EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_numpy(equation, operands):
    got = tf.einsum(equation, *[tf.constant(o) for o in operands])
    np.testing.assert_allclose(got.numpy(), np.einsum(equation, *operands), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("equation", ["bij,bkj->bik", "bii->bi", "...ij,...jk->...ik", "ij,jk,kl->il"])
def test_einsum_gradients(equation):
    operands = dict(EINSUM)[equation]
    check_gradients(lambda *ts: tf.einsum(equation, *ts), operands)


def test_einsum_errors():
    with pytest.raises(InvalidArgumentError, match="dimension"):
        tf.einsum("ij,jk->ik", tf.constant(B), tf.constant(B))
    with pytest.raises(ValueError, match="names 2 operand"):
        tf.einsum("ij,jk->ik", tf.constant(B))
    with pytest.raises(ValueError, match="does not appear in any input"):
        tf.einsum("ij->iz", tf.constant(B))
    with pytest.raises(ValueError, match="do not fit its shape"):
        tf.einsum("ijk->i", tf.constant(B))


def test_tensordot():
    for axes in (1, 0, [[0, 2], [0, 2]], [1, 0]):
        other = B if axes in (1, 0) else (A if axes == [[0, 2], [0, 2]] else A[0])
        np.testing.assert_allclose(tf.tensordot(tf.constant(A), tf.constant(other), axes).numpy(),
                                   np.tensordot(A, other, axes), rtol=1e-12)
    with pytest.raises(InvalidArgumentError, match="Matrix size-incompatible"):
        tf.tensordot(tf.constant(A), tf.constant(B), [[1], [0]])
    with pytest.raises(ValueError, match="'axes' must be"):
        tf.tensordot(tf.constant(A), tf.constant(B), 4)
    check_gradients(lambda a, b: tf.tensordot(a, b, [[2, 0], [0, 2]]), [A, RNG.uniform(size=(4, 5, 2))])


# =========================================================================== clipping

def test_clip_by_norm():
    _eq(tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0), np.array([0.6, 0.8], np.float32))
    _eq(tf.clip_by_norm(tf.constant([0.3, 0.4]), 1.0), np.array([0.3, 0.4], np.float32))
    x = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant(x), 1.0, axes=[1]).numpy(), [[0.6, 0.8], [0.3, 0.4]])
    z = tf.zeros(3)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = tf.reduce_sum(tf.clip_by_norm(z, 1.0))
    _eq(tape.gradient(y, z), np.ones(3, np.float32))  # finite at a zero norm (TensorFlow's two-where trick)
    check_gradients(lambda t: tf.clip_by_norm(t, 0.5, axes=[1]), [A])


def test_clip_by_global_norm():
    clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), None, tf.constant([[4.0]])], 1.0)
    assert clipped[1] is None and float(norm) == 5.0
    np.testing.assert_allclose(clipped[0].numpy(), [0.6], rtol=1e-6)
    np.testing.assert_allclose(clipped[2].numpy(), [[0.8]], rtol=1e-6)
    small, norm = tf.clip_by_global_norm([tf.constant([0.3, 0.4])], 1.0)
    np.testing.assert_allclose(small[0].numpy(), [0.3, 0.4], rtol=1e-6)
    nan, norm = tf.clip_by_global_norm([tf.constant([np.inf, 1.0]), tf.constant([1.0])], 1.0)
    assert np.isinf(float(norm)) and np.isnan(nan[0].numpy()).all() and np.isnan(nan[1].numpy()).all()
    used, norm = tf.clip_by_global_norm([tf.constant([1.0])], 1.0, use_norm=tf.constant(4.0))
    assert float(norm) == 4.0 and used[0].numpy()[0] == pytest.approx(0.25)
    with pytest.raises(TypeError, match="should be a sequence"):
        tf.clip_by_global_norm(tf.constant([1.0]), 1.0)
    check_gradients(lambda a, b: tf.clip_by_global_norm([a, b], 0.5)[0], [A, B])


# =========================================================================== shape, size, rank, identity_n

def test_shape_size_rank():
    x = tf.constant(X)
    s = tf.shape(x)
    assert s.dtype == tf.int32 and s.numpy().tolist() == [2, 3, 4]
    assert tf.shape(x, out_type=tf.int64).dtype == tf.int64
    assert tf.shape(tf.constant(1.0)).shape == (0,)
    assert tf.size(x).dtype == tf.int32 and int(tf.size(x)) == 24
    assert tf.size(x, out_type=tf.int64).dtype == tf.int64
    assert tf.rank(x).dtype == tf.int32 and int(tf.rank(x)) == 3
    assert tf.shape(tf.Variable([1.0, 2.0])).numpy().tolist() == [2]
    with pytest.raises(TypeError, match="out_type"):
        tf.shape(x, out_type=tf.float32)
    a, b = tf.identity_n([tf.constant(1), tf.constant(2.0)])
    assert a.dtype == tf.int32 and b.dtype == tf.float32 and float(b) == 2.0


# =========================================================================== array-api-strict

STRICT = type(xp.asarray(1.0))
STRICT_OPS = {
    "gather_batch": lambda t: tf.gather(t, xp.asarray([[2, 0], [1, 1]]), axis=1, batch_dims=1),
    "gather_axis0": lambda t: tf.gather(t, xp.asarray([1, 1, 0])),
    "gather_nd": lambda t: tf.gather_nd(t, xp.asarray([[1, 2], [1, 2]])),
    "pad_reflect": lambda t: tf.pad(t, [[1, 0], [2, 1], [0, 3]], "REFLECT"),
    "pad_constant": lambda t: tf.pad(t, [[1, 0], [2, 1], [0, 0]], constant_values=1.5),
    "tile": lambda t: tf.tile(t, [2, 1, 2]),
    "einsum": lambda t: tf.einsum("bij,bkj->bik", t, t),
    "boolean_mask": lambda t: tf.boolean_mask(t, np.array([[True, False, True], [False, True, True]])),
    "scatter_update": lambda t: tf.tensor_scatter_nd_update(t, [[0, 1], [0, 1]], t[1, :2]),
    "linspace": lambda t: tf.linspace(t[0, 0], t[1, 1], 5, axis=-1),
    "reverse_roll": lambda t: tf.roll(tf.reverse(t, [0, 2]), [1, -1], [1, 2]),
    "strided_slice": lambda t: tf.strided_slice(t, [0, 2], [0, 0], [1, -1], ellipsis_mask=1, end_mask=2),
    "einsum_diagonal": lambda t: tf.einsum("bii->bi", t[:, :, :3]),
    "scatter_nd": lambda t: tf.scatter_nd([[1], [1]], t[:, :, 0], [3, 3]),
    "split_tensordot": lambda t: tf.tensordot(*tf.split(t, [3, 1], axis=2), [[0, 1], [0, 1]]),
    "one_hot_times": lambda t: t[0] * tf.one_hot(tf.constant(xp.asarray([1, 0, 3])) if isinstance(t._value, STRICT)
                                                 else [1, 0, 3], 4, dtype=tf.float64),
}


@pytest.mark.parametrize("name", sorted(STRICT_OPS))
def test_ops_on_array_api_strict(name):
    def run(strict):
        x = tf.constant(xp.asarray(A) if strict else A)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = STRICT_OPS[name](x)
            loss = tf.reduce_sum(y * y)
        return y, tf.convert_to_tensor(tape.gradient(loss, x))

    (ys, gs), (yn, gn) = run(True), run(False)
    assert isinstance(ys._value, STRICT) and isinstance(gs._value, STRICT)
    np.testing.assert_allclose(ys.numpy(), yn.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gs.numpy(), gn.numpy(), rtol=1e-12)
