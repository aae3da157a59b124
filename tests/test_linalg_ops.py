"""tf.linalg: values against numpy.linalg, TensorFlow's output conventions and errors, gradients of the
composites (the primitives' rules are covered by the registry tests), batches, and the strict backend."""

from __future__ import annotations

import doctest

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad.testing import check_gradients

RNG = np.random.default_rng(7)


def _wellcond(*shape):
    return RNG.uniform(-1, 1, shape) + shape[-1] * np.eye(shape[-1])


def _spd(*shape):
    m = RNG.uniform(-1, 1, shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _c(a):
    return tf.constant(np.asarray(a, np.float64))


def _grad(f, *xs):
    xs = [_c(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [g.numpy() for g in tape.gradient(y, xs)]


# --------------------------------------------------------------------------- values against numpy.linalg

def test_inv_det_slogdet_match_numpy_batched():
    a = _wellcond(2, 3, 3)
    np.testing.assert_allclose(tf.linalg.inv(_c(a)).numpy(), np.linalg.inv(a), rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.inv(_c(a), adjoint=True).numpy(), np.linalg.inv(np.swapaxes(a, -1, -2)),
                               rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.det(_c(a)).numpy(), np.linalg.det(a), rtol=1e-12)
    neg = a * np.array([[1.0], [-1.0], [1.0]])  # one row negated: negative determinants
    res = tf.linalg.slogdet(_c(neg))
    assert type(res).__name__ == "LogMatrixDeterminant" and res._fields == ("sign", "log_abs_determinant")
    sign, logdet = np.linalg.slogdet(neg)
    np.testing.assert_array_equal(res.sign.numpy(), sign)
    np.testing.assert_allclose(res.log_abs_determinant.numpy(), logdet, rtol=1e-12)
    assert tf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).dtype == tf.float32


def test_slogdet_of_a_singular_matrix_is_zero_and_minus_inf():
    sign, logdet = tf.linalg.slogdet(_c([[1.0, 2.0], [2.0, 4.0]]))
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    assert float(tf.linalg.det(_c([[1.0, 2.0], [2.0, 4.0]]))) == 0.0


def test_solve_and_adjoint():
    a, b = _wellcond(2, 3, 3), RNG.standard_normal((2, 3, 2))
    np.testing.assert_allclose(tf.linalg.solve(_c(a), _c(b)).numpy(), np.linalg.solve(a, b), rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.solve(_c(a), _c(b), adjoint=True).numpy(),
                               np.linalg.solve(np.swapaxes(a, -1, -2), b), rtol=1e-12)


def test_triangular_solve_reads_one_triangle_and_broadcasts():
    a, b = _wellcond(3, 3), RNG.standard_normal((2, 3, 2))
    lo, up = np.tril(a), np.triu(a)
    np.testing.assert_allclose(tf.linalg.triangular_solve(_c(a), _c(b)).numpy(), np.linalg.solve(lo, b), rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.triangular_solve(_c(a), _c(b), lower=False).numpy(),
                               np.linalg.solve(up, b), rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.triangular_solve(_c(a), _c(b), adjoint=True).numpy(),
                               np.linalg.solve(lo.T, b), rtol=1e-12)
    # TensorFlow's docstring example
    m = tf.constant([[3, 0, 0, 0], [2, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]], dtype=tf.float32)
    x = tf.linalg.triangular_solve(m, tf.constant([[4], [2], [4], [2]], dtype=tf.float32))
    np.testing.assert_allclose(x.numpy().ravel(), [4 / 3, -2 / 3, 8 / 3, -4 / 3], rtol=1e-6)


def test_triangular_solve_with_a_zero_pivot_gives_inf_not_an_error():
    x = tf.linalg.triangular_solve(_c([[0.0, 0.0], [1.0, 1.0]]), _c([[1.0], [1.0]]))
    assert not np.all(np.isfinite(x.numpy()))


def test_cholesky_reads_the_lower_triangle():
    a = _spd(2, 4, 4)
    want = np.linalg.cholesky(a)
    np.testing.assert_allclose(tf.linalg.cholesky(_c(a)).numpy(), want, rtol=1e-12)
    junk = np.tril(a) + np.triu(RNG.standard_normal((2, 4, 4)), 1)  # upper triangle must not matter
    np.testing.assert_array_equal(tf.linalg.cholesky(_c(junk)).numpy(), tf.linalg.cholesky(_c(a)).numpy())
    with tf.GradientTape() as tape:  # the recorded path (straight-through) gives the same bits
        x = _c(junk)
        tape.watch(x)
        recorded = tf.linalg.cholesky(x)
    np.testing.assert_array_equal(recorded.numpy(), tf.linalg.cholesky(_c(a)).numpy())
    strict = tf.linalg.cholesky(tf.constant(xp.asarray(junk)))
    np.testing.assert_array_equal(strict.numpy(), tf.linalg.cholesky(_c(a)).numpy())
    b = RNG.standard_normal((2, 4, 3))
    np.testing.assert_allclose(tf.linalg.cholesky_solve(tf.linalg.cholesky(_c(a)), _c(b)).numpy(),
                               np.linalg.solve(a, b), rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.logdet(_c(a)).numpy(), np.linalg.slogdet(a)[1], rtol=1e-12)


@pytest.mark.parametrize(("shape", "full"), [((5, 3), False), ((5, 3), True), ((3, 3), False), ((2, 4), False),
                                             ((2, 4, 3), False)])
def test_qr(shape, full):
    a = RNG.standard_normal(shape)
    q, r = tf.linalg.qr(_c(a), full_matrices=full)
    res = tf.linalg.qr(_c(a), full_matrices=full)
    assert type(res).__name__ == "Qr" and res._fields == ("q", "r")
    m, n = shape[-2:]
    k = m if full else min(m, n)
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    q, r = q.numpy(), r.numpy()
    np.testing.assert_allclose(q @ r, a, atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)),
                               atol=1e-12)
    np.testing.assert_array_equal(r, np.triu(r))


def test_eigh_and_eigvalsh():
    a = _spd(2, 4, 4) - 3 * np.eye(4)
    e, v = tf.linalg.eigh(_c(a))
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(a), rtol=1e-12, atol=1e-12)
    assert np.all(np.diff(e.numpy(), axis=-1) > 0)  # ascending
    np.testing.assert_allclose(a @ v.numpy(), v.numpy() * e.numpy()[..., None, :], atol=1e-12)
    np.testing.assert_allclose(tf.linalg.eigvalsh(_c(a)).numpy(), e.numpy())
    junk = np.tril(a) + np.triu(RNG.standard_normal((2, 4, 4)), 1)  # only the lower triangle is read
    np.testing.assert_array_equal(tf.linalg.eigvalsh(_c(junk)).numpy(), e.numpy())


@pytest.mark.parametrize(("shape", "full"), [((4, 3), False), ((3, 4), False), ((4, 3), True), ((2, 3, 3), False)])
def test_svd_returns_s_u_v_in_tensorflows_order(shape, full):
    a = RNG.standard_normal(shape)
    s, u, v = tf.linalg.svd(_c(a), full_matrices=full)
    m, n = shape[-2:]
    k = min(m, n)
    assert s.shape == shape[:-2] + (k,)
    assert u.shape == shape[:-2] + ((m, m) if full else (m, k))
    assert v.shape == shape[:-2] + ((n, n) if full else (n, k))  # v, not NumPy's vh
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    u_k, v_k = u.numpy()[..., :, :k], v.numpy()[..., :, :k]
    np.testing.assert_allclose((u_k * s.numpy()[..., None, :]) @ np.swapaxes(v_k, -1, -2), a, atol=1e-12)
    only_s = tf.linalg.svd(_c(a), compute_uv=False)
    assert isinstance(only_s, tf.Tensor)
    np.testing.assert_allclose(only_s.numpy(), s.numpy(), rtol=1e-12)


def test_pinv_matrix_rank_lstsq():
    a = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(tf.linalg.pinv(_c(a)).numpy(), np.linalg.pinv(a), rtol=1e-10)
    low_rank = a @ np.diag([1.0, 1.0, 0.0]) @ RNG.standard_normal((3, 3))
    np.testing.assert_allclose(tf.linalg.pinv(_c(low_rank)).numpy(), np.linalg.pinv(low_rank), atol=1e-10)
    assert int(tf.linalg.matrix_rank(_c(low_rank))) == 2
    assert tf.linalg.matrix_rank(_c(np.stack([a, low_rank]))).numpy().tolist() == [3, 2]
    b = RNG.standard_normal((5, 2))
    want = np.linalg.lstsq(a, b, rcond=None)[0]
    np.testing.assert_allclose(tf.linalg.lstsq(_c(a), _c(b)).numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.lstsq(_c(a), _c(b), fast=False).numpy(), want, rtol=1e-10)
    lam = 0.5
    np.testing.assert_allclose(tf.linalg.lstsq(_c(a), _c(b), l2_regularizer=lam).numpy(),
                               np.linalg.solve(a.T @ a + lam * np.eye(3), a.T @ b), rtol=1e-10)
    wide, rhs = RNG.standard_normal((2, 4)), RNG.standard_normal((2, 1))  # minimum-norm solution
    np.testing.assert_allclose(tf.linalg.lstsq(_c(wide), _c(rhs)).numpy(), np.linalg.pinv(wide) @ rhs, rtol=1e-10)
    batch = RNG.standard_normal((3, 5, 3))
    np.testing.assert_allclose(tf.linalg.lstsq(_c(batch), _c(RNG.standard_normal((3, 5, 1)))).shape, (3, 3, 1))


# --------------------------------------------------------------------------- diagonals, bands (TF's doc examples)

def test_diag_part_diag_set_diag_band_part_trace():
    x = np.array([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 8, 7, 6]], [[5, 4, 3, 2], [1, 2, 3, 4], [5, 6, 7, 8]]])
    t = tf.constant(x.tolist())  # int32, as TensorFlow makes it
    assert tf.linalg.diag_part(t).numpy().tolist() == [[1, 6, 7], [5, 2, 7]]
    assert tf.linalg.diag_part(t, k=1).numpy().tolist() == [[2, 7, 6], [4, 3, 8]]
    assert tf.linalg.diag_part(t, k=(-1, 1)).numpy().tolist() == [[[2, 7, 6], [1, 6, 7], [5, 8, 0]],
                                                                    [[4, 3, 8], [5, 2, 7], [1, 6, 0]]]
    assert tf.linalg.diag_part(t, k=(-1, 1), align="LEFT_RIGHT").numpy().tolist() == [
        [[2, 7, 6], [1, 6, 7], [0, 5, 8]], [[4, 3, 8], [5, 2, 7], [0, 1, 6]]]
    assert tf.linalg.diag_part(t, k=(1, 3), padding_value=9).numpy().tolist() == [
        [[9, 9, 4], [9, 3, 8], [2, 7, 6]], [[9, 9, 2], [9, 3, 4], [4, 3, 8]]]
    assert tf.linalg.diag(tf.constant([[1, 2, 3, 4], [5, 6, 7, 8]])).numpy()[1].tolist() == [
        [5, 0, 0, 0], [0, 6, 0, 0], [0, 0, 7, 0], [0, 0, 0, 8]]
    assert tf.linalg.diag(tf.constant([1, 2, 3]), k=1).numpy().tolist() == [
        [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 3], [0, 0, 0, 0]]
    assert tf.linalg.diag(tf.constant([1, 2]), k=-1, num_rows=3, num_cols=4, padding_value=9).numpy().tolist() == [
        [9, 9, 9, 9], [1, 9, 9, 9], [9, 2, 9, 9]]
    bands = tf.constant([[0, 8, 9], [1, 2, 3], [4, 5, 0]])  # k=(-1, 1), RIGHT_LEFT (TF's docs)
    assert tf.linalg.diag(bands, k=(-1, 1)).numpy().tolist() == [[1, 8, 0], [4, 2, 9], [0, 5, 3]]
    assert tf.linalg.set_diag(t, tf.constant([[7, 7, 7], [8, 8, 8]])).numpy()[0].tolist() == [
        [7, 2, 3, 4], [5, 7, 7, 8], [9, 8, 7, 6]]
    assert tf.linalg.set_diag(t, tf.constant([[[1, 2, 3], [4, 5, 6], [7, 8, 0]]] * 2), k=(-1, 1)).numpy()[0].tolist() \
        == [[4, 1, 3, 4], [7, 5, 2, 8], [9, 8, 6, 3]]
    ones = tf.ones((4, 4))
    np.testing.assert_array_equal(tf.linalg.band_part(ones, 1, 0).numpy(), np.tril(np.triu(np.ones((4, 4)), -1)))
    np.testing.assert_array_equal(tf.linalg.band_part(ones, -1, 0).numpy(), np.tril(np.ones((4, 4))))
    np.testing.assert_array_equal(tf.linalg.band_part(ones, 0, 0).numpy(), np.eye(4))
    assert tf.linalg.trace(t).numpy().tolist() == [14, 14]
    d = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(tf.linalg.tensor_diag_part(tf.linalg.tensor_diag(_c(d))).numpy(), d)
    assert tf.linalg.tensor_diag(_c(d)).shape == (2, 3, 2, 3)


def test_matrix_transpose_adjoint_and_complex_matmul_adjoint():
    z = np.array([[1 + 1j, 2 + 2j, 3 + 3j], [4 + 4j, 5 + 5j, 6 + 6j]])
    np.testing.assert_array_equal(tf.linalg.adjoint(tf.constant(z)).numpy(), z.conj().T)
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(tf.constant(z)).numpy(), z.T)
    np.testing.assert_array_equal(tf.linalg.transpose(tf.constant(z), conjugate=True).numpy(), z.conj().T)
    w = RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))
    np.testing.assert_allclose(tf.matmul(tf.constant(z), tf.constant(w), adjoint_a=True).numpy(), z.conj().T @ w)
    np.testing.assert_allclose(tf.matmul(tf.constant(z), tf.constant(w), adjoint_b=True).numpy(), z @ w.conj().T)
    np.testing.assert_allclose(tf.matmul(tf.constant(z), tf.constant(w), transpose_b=True).numpy(), z @ w.T)


def test_complex_matmul_gradient_follows_tensorflows_convention():
    """TensorFlow: for C = A @ B the gradient w.r.t. A is dC @ B^H (and w.r.t. B, A^H @ dC)."""
    a = tf.constant(RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3)))
    b = tf.constant(RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2)))
    g = RNG.standard_normal((2, 2)) + 1j * RNG.standard_normal((2, 2))
    an, bn = a.numpy(), b.numpy()
    for kw, ga, gb in [({}, g @ bn.conj().T, an.conj().T @ g),
                       ({"adjoint_a": True, "adjoint_b": True}, None, None)]:
        aa, bb = (tf.linalg.adjoint(a), tf.linalg.adjoint(b)) if kw else (a, b)
        with tf.GradientTape() as tape:
            tape.watch([aa, bb])
            c = tf.matmul(aa, bb, **kw)
        da, db = tape.gradient(c, [aa, bb], output_gradients=tf.constant(g))
        if ga is None:  # through the adjoints: d(A^H) = (dC B^H)^H with B = bb^H, and so on
            ga, gb = (g @ bn.conj().T).conj().T, (an.conj().T @ g).conj().T
        np.testing.assert_allclose(da.numpy(), ga)
        np.testing.assert_allclose(db.numpy(), gb)


@pytest.mark.parametrize(("ord_", "axis"), [("euclidean", None), (1, None), (np.inf, None), (3, None), (0.5, -1),
                                             (2, 1), ("fro", (0, 1)), (1, (0, 1)), (np.inf, (0, 1)), (2, (-2, -1)),
                                             ("euclidean", (1, 2))])
def test_norm_matches_numpy(ord_, axis):
    x = RNG.standard_normal((3, 4, 5)) if axis == (1, 2) else RNG.standard_normal((3, 4))
    got = tf.norm(_c(x), ord=ord_, axis=axis)
    np_ord = {"euclidean": None}.get(ord_, ord_) if isinstance(ord_, str) else ord_
    if axis is None:
        want = np.linalg.norm(x.ravel(), ord=2 if ord_ == "euclidean" else np_ord)
    elif ord_ == "euclidean":
        want = np.linalg.norm(x, axis=axis)
    else:
        want = np.linalg.norm(x, ord=np_ord, axis=axis)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    kept = tf.linalg.norm(_c(x), ord=ord_, axis=axis, keepdims=True)
    assert kept.ndim == x.ndim


def test_normalize_and_cross():
    unit, n = tf.linalg.normalize(_c([[3.0, 4.0], [6.0, 8.0]]), axis=1)
    np.testing.assert_allclose(unit.numpy(), [[0.6, 0.8], [0.6, 0.8]])
    np.testing.assert_allclose(n.numpy(), [[5.0], [10.0]])
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    np.testing.assert_allclose(tf.linalg.cross(_c(a), _c(b)).numpy(), np.cross(a, b), rtol=1e-12)


# --------------------------------------------------------------------------- gradient conventions

def test_cholesky_gradient_is_tensorflows_symmetric_one():
    a = _spd(3, 3)
    w = RNG.standard_normal((3, 3))
    (g,) = _grad(lambda x: tf.reduce_sum(tf.linalg.cholesky(x) * w), a)
    np.testing.assert_allclose(g, g.T, rtol=1e-12)  # symmetric, although only the lower triangle is read
    # TensorFlow's formula: P = L^{-T} Phi(L^T W) L^{-1}, gradient (P + P^T) / 2
    low = np.linalg.cholesky(a)
    li = np.linalg.inv(low)
    mid = low.T @ w
    mid = np.tril(mid) - 0.5 * np.diag(np.diag(mid))
    p = li.T @ mid @ li
    np.testing.assert_allclose(g, (p + p.T) / 2, rtol=1e-10)
    # and it is the derivative along symmetric directions
    check_gradients(lambda x: tf.linalg.cholesky(_sym(x)), [a], order=2)


def test_eigh_and_triangular_solve_gradients_stay_in_the_triangle_they_read():
    a = _spd(3, 3)
    (g,) = _grad(lambda x: tf.reduce_sum(tf.linalg.eigh(x)[1] ** 3) + tf.reduce_sum(tf.linalg.eigvalsh(x) ** 2), a)
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)
    ga, gb = _grad(lambda m, r: tf.reduce_sum(tf.linalg.triangular_solve(m, r, lower=False) ** 2), _wellcond(3, 3),
                   RNG.standard_normal((3, 2)))
    np.testing.assert_array_equal(np.tril(ga, -1), 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_euclidean_norm_gradient_at_zero_is_nan_as_in_tensorflow():
    (g,) = _grad(tf.norm, [0.0, 0.0])
    assert np.all(np.isnan(g))
    (g,) = _grad(lambda x: tf.norm(x, ord=1), [0.0, -2.0])
    np.testing.assert_array_equal(g, [0.0, -1.0])


def test_det_of_a_singular_matrix_has_tensorflows_gradient_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible"):
        _grad(tf.linalg.det, [[1.0, 2.0], [2.0, 4.0]])


def test_qr_and_svd_gradient_limits_raise_as_tensorflow():
    with pytest.raises(NotImplementedError, match="full_matrices is true"):
        _grad(lambda x: tf.reduce_sum(tf.linalg.qr(x, full_matrices=True)[0]), RNG.standard_normal((4, 2)))
    with pytest.raises(NotImplementedError, match=r"abs\(m - n\) > 1"):
        _grad(lambda x: tf.reduce_sum(tf.linalg.svd(x, full_matrices=True)[1]), RNG.standard_normal((5, 2)))


# --------------------------------------------------------------------------- gradients of the composites

def _sym_distinct(n):
    q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    return (q * (np.arange(n) - 1.0)) @ q.T


def _sym(a):
    return (a + tf.linalg.matrix_transpose(a)) / 2


COMPOSITES = {
    "inv_adjoint": (lambda a: tf.linalg.inv(a, adjoint=True), [_wellcond(3, 3)]),
    # logdet and cholesky read one triangle but give TensorFlow's symmetric gradient: differentiate along
    # symmetric directions
    "logdet": (lambda a: tf.linalg.logdet(_sym(a)), [_spd(2, 3, 3)]),
    "cholesky_solve": (lambda a, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(_sym(a)), b),
                       [_spd(3, 3), RNG.standard_normal((3, 2))]),
    "lstsq_over": (tf.linalg.lstsq, [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))]),
    "lstsq_under_l2": (lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.3), [RNG.standard_normal((2, 4)),
                                                                                 RNG.standard_normal((2, 2))]),
    "lstsq_slow": (lambda a, b: tf.linalg.lstsq(a, b, fast=False), [RNG.standard_normal((4, 3)),
                                                                      RNG.standard_normal((4, 1))]),
    "pinv": (tf.linalg.pinv, [RNG.standard_normal((2, 4, 3))]),
    "eigvalsh": (tf.linalg.eigvalsh, [_sym_distinct(3)]),
    "svd_values": (lambda a: tf.linalg.svd(a, compute_uv=False), [RNG.standard_normal((3, 4))]),
    "trace": (tf.linalg.trace, [RNG.standard_normal((2, 3, 4))]),
    "diag_part_k": (lambda a: tf.linalg.diag_part(a, k=(-1, 2), padding_value=0.5), [RNG.standard_normal((3, 4))]),
    "diag_k": (lambda d: tf.linalg.diag(d, k=(-1, 1), num_rows=3, num_cols=4), [RNG.standard_normal((2, 3, 3))]),
    "set_diag": (lambda a, d: tf.linalg.set_diag(a, d, k=1), [RNG.standard_normal((2, 3, 3)),
                                                               RNG.standard_normal((2, 2))]),
    "band_part": (lambda a: tf.linalg.band_part(a, 1, 0), [RNG.standard_normal((3, 4))]),
    "tensor_diag": (lambda d: tf.linalg.tensor_diag_part(tf.linalg.tensor_diag(d) * 2.0),
                    [RNG.standard_normal((2, 2))]),
    "norm_fro": (lambda a: tf.norm(a, ord="fro", axis=(0, 1)), [RNG.standard_normal((3, 4))]),
    "norm_p": (lambda a: tf.norm(a, ord=3, axis=1), [RNG.uniform(0.5, 2, (3, 4))]),
    "norm_2_matrix": (lambda a: tf.norm(a, ord=2, axis=(-2, -1)), [np.diag([3.0, 2.0, 1.0]) + 0.1]),
    "normalize": (lambda a: tf.linalg.normalize(a, axis=-1)[0], [RNG.standard_normal((2, 3))]),
    "cross": (tf.linalg.cross, [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))]),
    "matvec": (tf.linalg.matvec, [RNG.standard_normal((2, 3, 4)), RNG.standard_normal(4)]),
    "qr_wide": (lambda a: tf.linalg.qr(a)[1], [RNG.standard_normal((2, 3))]),
    "svd_full_rev": (lambda a: tf.linalg.svd(a, full_matrices=True)[2][:, :2] * 1.0, [RNG.standard_normal((3, 2))]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_gradients(name):
    f, args = COMPOSITES[name]
    modes = ("rev",) if name.endswith("_rev") else ("rev", "fwd")
    check_gradients(f, args, order=1 if name.endswith("_rev") else 2, modes=modes)


def test_batched_results_equal_a_loop():
    a = _wellcond(4, 3, 3)
    for op in (tf.linalg.inv, tf.linalg.det, tf.linalg.cholesky, lambda x: tf.linalg.svd(x)[0],
               lambda x: tf.linalg.eigvalsh(x), lambda x: tf.linalg.qr(x)[1]):
        arg = _spd(4, 3, 3) if op is tf.linalg.cholesky else a
        batched = op(_c(arg)).numpy()
        for i in range(4):
            np.testing.assert_allclose(batched[i], op(_c(arg[i])).numpy(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- errors

def test_errors_name_the_op_shapes_and_dtypes():
    err = tf.errors.InvalidArgumentError
    with pytest.raises(err, match=r"Input is not invertible.*\[2, 2\] float64"):
        tf.linalg.inv(_c([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(err, match="Input matrix is not invertible"):
        tf.linalg.solve(_c([[1.0, 2.0], [2.0, 4.0]]), _c([[1.0], [1.0]]))
    with pytest.raises(err, match="Cholesky decomposition was not successful"):
        tf.linalg.cholesky(_c([[1.0, 2.0], [2.0, 1.0]]))
    for op in (tf.linalg.inv, tf.linalg.det, tf.linalg.cholesky, tf.linalg.slogdet, tf.linalg.eigh):
        with pytest.raises(err, match=r"must be square.*\[2, 3\] float64"):
            op(_c(np.ones((2, 3))))
        with pytest.raises(err, match="rank >= 2"):
            op(_c(np.ones(3)))
    with pytest.raises(err, match="int32 is not in the list of allowed values"):
        tf.linalg.inv(tf.constant([[1, 2], [3, 4]]))
    with pytest.raises(err, match=r"same number of rows: 3 vs. 2"):
        tf.linalg.solve(_c(np.eye(3)), _c(np.ones((2, 1))))
    with pytest.raises(err, match="same outer dimensions"):
        tf.linalg.solve(_c(np.eye(3)), _c(np.ones((2, 3, 1))))
    with pytest.raises(err, match="float32 tensor"):
        tf.linalg.solve(_c(np.eye(2)), tf.ones((2, 1)))
    with pytest.raises(err, match=r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: \[2, 3\]"):
        tf.matmul(tf.ones((2, 3)), tf.ones((2, 3)))
    with pytest.raises(err, match="compatible batch dimensions"):
        tf.matmul(tf.ones((2, 2, 3)), tf.ones((3, 3, 4)))
    with pytest.raises(ValueError, match="Only one of transpose_a and adjoint_a"):
        tf.matmul(tf.ones((2, 2)), tf.ones((2, 2)), transpose_a=True, adjoint_a=True)
    with pytest.raises(err, match="Both inputs must be of same shape"):
        tf.linalg.cross(tf.ones((2, 3)), tf.ones(3))
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm"):
        tf.norm(tf.ones(3), ord=-1)
    with pytest.raises(ValueError, match="'ord' must be a supported matrix norm"):
        tf.norm(tf.ones((2, 2)), ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match="'axis' must be None, an integer, or a tuple of 2 unique integers"):
        tf.norm(tf.ones((2, 2)), axis=(1, 1))
    with pytest.raises(err, match="num_lower must be negative or less or equal"):
        tf.linalg.band_part(tf.ones((2, 2)), 3, 0)
    with pytest.raises(err, match="out of bounds"):
        tf.linalg.diag_part(tf.ones((2, 2)), k=2)
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.linalg.matrix_transpose(tf.ones(3))
    with pytest.raises(NotImplementedError, match="complex128"):
        tf.linalg.lstsq(tf.constant(np.eye(2) + 0j), tf.constant(np.ones((2, 1)) + 0j), l2_regularizer=0.1)


# --------------------------------------------------------------------------- another backend

def test_composites_stay_on_the_array_api_strict_backend():
    a, b = _wellcond(3, 3), RNG.standard_normal((3, 2))
    strict = type(xp.asarray(1.0))
    for f, args in [(tf.linalg.triangular_solve, (a, b)), (tf.linalg.lstsq, (a, b)), (tf.linalg.logdet, (_spd(3, 3),)),
                    (lambda m: tf.linalg.diag_part(m, k=(-1, 1)), (a,)), (lambda m: tf.norm(m, ord=2, axis=(0, 1)),
                                                                          (a,))]:
        got = f(*[tf.constant(xp.asarray(v)) for v in args])
        assert isinstance(got._value, strict)
        np.testing.assert_allclose(got.numpy(), f(*[_c(v) for v in args]).numpy(), rtol=1e-12)
    x = tf.constant(xp.asarray(np.array([[0.0, 0.0], [1.0, 1.0]])))
    assert isinstance(tf.linalg.triangular_solve(x, tf.constant(xp.asarray(np.ones((2, 1)))))._value, strict)


# --------------------------------------------------------------------------- namespaces, docs, Jacobians

def test_namespaces_hold_tensorflows_names():
    for n in ("inv", "det", "slogdet", "logdet", "solve", "triangular_solve", "cholesky", "cholesky_solve", "qr",
              "eigh", "eigvalsh", "svd", "pinv", "lstsq", "trace", "diag", "diag_part", "set_diag", "band_part",
              "norm", "normalize", "cross", "adjoint", "matrix_transpose", "transpose", "tensor_diag_part",
              "matmul", "matvec", "matrix_rank"):
        assert callable(getattr(tf.linalg, n)), n
    assert tf.norm is tf.linalg.norm and tf.matmul is tf.linalg.matmul
    for n in ("cholesky", "qr", "svd", "trace", "matrix_transpose", "cross"):  # tf.linalg only in TensorFlow 2
        assert not hasattr(tf, n), n


def test_docstring_examples_run():
    from tapegrad.ops import linalg, linalg_ops

    assert doctest.testmod(linalg_ops).failed == 0
    assert doctest.testmod(linalg).failed == 0


def test_jacobians_take_the_vectorized_path_through_the_rules():
    a = _c(_wellcond(3, 3))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        outs = {"inv": tf.linalg.inv(a), "chol": tf.linalg.cholesky(a @ tf.transpose(a)),
                "u": tf.linalg.svd(a)[1], "v": tf.linalg.eigh(a + tf.transpose(a))[1], "q": tf.linalg.qr(a).q}
    for name, y in outs.items():
        fast = tape.jacobian(y, a).numpy()
        loop = tape.jacobian(y, a, experimental_use_pfor=False).numpy()
        np.testing.assert_allclose(fast, loop, rtol=1e-10, atol=1e-12, err_msg=name)
