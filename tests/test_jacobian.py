"""GradientTape.jacobian / batch_jacobian: one batched backward sweep, checked against finite differences and
against the row-by-row loop, with TensorFlow's argument handling, shapes and errors (backprop.py, TF 2.21)."""

import gc
import warnings
import weakref

import numpy as np
import pytest

import tapegrad as tf


def _fd_jacobian(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences in float64: shape fn(x).shape + x.shape."""
    y0 = np.asarray(fn(x))
    jac = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(...,) + idx] = (np.asarray(fn(x + d)) - np.asarray(fn(x - d))) / (2 * eps)
    return jac


def _tape_jacobian(fn, x, **kw):
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        y = fn(xt)
    return tape, y, xt


def _w5(n=6, seed=0):
    r = np.random.default_rng(seed)
    return tf.constant(r.standard_normal((n, n))), tf.constant(r.standard_normal(n))


def test_w5_jacobian_matches_closed_form_finite_differences_and_the_loop():
    W, x = _w5()
    ref = (1 - np.tanh(W.numpy() @ x.numpy()) ** 2)[:, None] * W.numpy()
    tape, y, xt = _tape_jacobian(lambda v: tf.tanh(tf.linalg.matvec(W, v)), x.numpy())
    vec = tape.jacobian(y, xt)
    assert vec.shape == (6, 6) and vec.dtype == tf.float64
    np.testing.assert_allclose(vec.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(vec.numpy(), _fd_jacobian(lambda v: np.tanh(W.numpy() @ v), x.numpy()), atol=1e-8)
    np.testing.assert_allclose(tape.jacobian(y, xt, experimental_use_pfor=False).numpy(), vec.numpy(), rtol=1e-13)
    for p in (1, 2, 4, 5, 6, 100):
        np.testing.assert_allclose(tape.jacobian(y, xt, parallel_iterations=p).numpy(), vec.numpy(), rtol=1e-13)


def _mixed(v):
    """A function of a tensor of any shape mixing elementwise, reduction, reshape and broadcasting."""
    flat = tf.reshape(v, [-1])
    s = tf.reduce_sum(tf.sin(flat) * flat)
    return tf.exp(v * 0.3) * s + tf.tanh(v) ** 2


def _mixed_np(v):
    return np.exp(v * 0.3) * np.sum(np.sin(v) * v) + np.tanh(v) ** 2


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 3)])
def test_targets_and_sources_of_any_rank(shape):
    x = np.random.default_rng(1).uniform(-1, 1, shape)
    tape, y, xt = _tape_jacobian(_mixed, x)
    j = tape.jacobian(y, xt)
    assert j.shape == shape + shape
    np.testing.assert_allclose(j.numpy(), _fd_jacobian(_mixed_np, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tape.jacobian(y, xt, experimental_use_pfor=False).numpy(), j.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tape.jacobian(y, xt, parallel_iterations=2).numpy(), j.numpy(), rtol=1e-12)


def test_scalar_target_gives_the_gradient_and_scalar_source_the_target_shape():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = tf.reduce_sum(x * x)
    np.testing.assert_array_equal(tape.jacobian(s, x).numpy(), [2.0, 4.0])
    xs = tf.linspace(-10.0, 10.0, 201)  # the guide's "scalar source" example
    delta = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        y = tf.nn.sigmoid(xs + delta)
    dy_dx = tape.jacobian(y, delta)
    assert dy_dx.shape == y.shape == (201,)
    sig = 1 / (1 + np.exp(-xs.numpy().astype(np.float64)))
    np.testing.assert_allclose(dy_dx.numpy(), sig * (1 - sig), atol=1e-6)


def test_nested_sources_keep_their_structure():
    x = tf.constant(np.arange(6.0).reshape(2, 3))
    v = tf.Variable([1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x, axis=1) * v
    jx, jv = tape.jacobian(y, [x, v])
    assert jx.shape == (2, 2, 3) and jv.shape == (2, 2)
    np.testing.assert_array_equal(jx.numpy()[0], [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(jx.numpy()[1], [[0, 0, 0], [2, 2, 2]])
    np.testing.assert_array_equal(jv.numpy(), np.diag([3.0, 12.0]))
    out = tape.jacobian(y, {"a": x, "b": (v, [x])})
    assert set(out) == {"a", "b"} and isinstance(out["b"], tuple) and isinstance(out["b"][1], list)
    np.testing.assert_array_equal(out["b"][1][0].numpy(), jx.numpy())


def test_unconnected_sources_none_or_zeros():
    x, z = tf.constant([1.0, 2.0]), tf.constant([3.0], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    assert tape.jacobian(y, z) is None
    assert tape.jacobian(y, [x, z])[1] is None
    for how in (tf.UnconnectedGradients.ZERO, "zero"):
        zero = tape.jacobian(y, z, unconnected_gradients=how)
        assert zero.shape == (2, 1) and zero.dtype == tf.float64 and not zero.numpy().any()
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.jacobian(y, x, unconnected_gradients="bogus")


def test_integer_targets_and_sources_have_no_jacobian():
    x = tf.constant([1.0, 2.0])
    xi = tf.constant([1, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        yi = tf.cast(x, tf.int32) * 2
        y = x * 2.0
    assert tape.jacobian(yi, x) is None
    zero = tape.jacobian(yi, x, unconnected_gradients="zero")
    assert zero.shape == (2, 2) and zero.dtype == tf.float32 and not zero.numpy().any()
    assert tape.jacobian(y, xi) is None
    zero = tape.jacobian(y, xi, unconnected_gradients="zero")
    assert zero.dtype == tf.int32 and zero.shape == (2, 2)


def test_variables_watched_or_not():
    x = tf.constant([1.0, 2.0])
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = x * v
    jx, jv = tape.jacobian(y, [x, v])
    np.testing.assert_array_equal(jx.numpy(), np.diag([1.0, 2.0]))
    assert jv is None
    with tf.GradientTape() as tape:
        y = v * v
    np.testing.assert_array_equal(tape.jacobian(y, v).numpy(), np.diag([2.0, 4.0]))
    with tf.GradientTape() as tape:
        y = v * 1.0
    np.testing.assert_array_equal(tape.jacobian(v, v).numpy(), np.eye(2))  # a variable as the target


def test_dtypes_follow_the_gradients():
    x64 = tf.constant([1.0, 2.0], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x64)
        y = tf.cast(x64, tf.float32) ** 2
    for pfor in (True, False):  # TensorFlow's while_loop fails here (TensorArray dtype); tapegrad does not
        j = tape.jacobian(y, x64, experimental_use_pfor=pfor)
        assert j.dtype == tf.float64
        np.testing.assert_array_equal(j.numpy(), np.diag([2.0, 4.0]))
    xc = tf.constant([1.0 + 1.0j, 2.0], tf.complex64)
    with tf.GradientTape() as tape:
        tape.watch(xc)
        yc = xc * xc
    jc = tape.jacobian(yc, xc)  # TensorFlow's convention: the conjugate derivative
    assert jc.dtype == tf.complex64
    np.testing.assert_allclose(jc.numpy(), np.diag([2 - 2j, 4 + 0j]))


def test_empty_target_gives_an_empty_jacobian_when_connected():
    x = tf.constant([1.0, 2.0], tf.float64)
    z = tf.constant([3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x[:0] * 2.0
    j = tape.jacobian(y, x)
    assert j.shape == (0, 2) and j.dtype == tf.float64
    assert tape.jacobian(y, z) is None
    assert tape.jacobian(y, z, unconnected_gradients="zero").shape == (0, 1)


def test_non_persistent_tape_allows_one_sweep():
    W, x = _w5()
    tape = tf.GradientTape()
    with tape:
        tape.watch(x)
        y = tf.tanh(tf.linalg.matvec(W, x))
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.jacobian(y, x, experimental_use_pfor=False)
    with pytest.raises(RuntimeError, match="parallel_iterations"):
        tape.jacobian(y, x, parallel_iterations=2)
    np.testing.assert_allclose(tape.jacobian(y, x, parallel_iterations=7).numpy(),
                               (1 - np.tanh(W.numpy() @ x.numpy()) ** 2)[:, None] * W.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, x)


def test_non_persistent_jacobian_releases_what_the_tape_held():
    x = tf.constant(np.linspace(0, 1, 5))
    with tf.GradientTape() as tape:
        tape.watch(x)
        mid = tf.sin(x)
        y = tf.exp(mid)
    ref = weakref.ref(mid)
    del mid
    j = tape.jacobian(y, x)
    gc.collect()
    assert ref() is None, "the tape still holds an intermediate after a non-persistent jacobian"
    np.testing.assert_allclose(np.diag(j.numpy()), np.exp(np.sin(x.numpy())) * np.cos(x.numpy()), rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "4"])
def test_parallel_iterations_must_be_a_positive_integer(bad):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises((ValueError, TypeError), match="parallel_iterations"):
        tape.jacobian(y, x, parallel_iterations=bad)
    with pytest.raises((ValueError, TypeError), match="parallel_iterations"):
        tape.batch_jacobian(tf.reshape(y, [2, 1]), tf.reshape(x, [2, 1]), parallel_iterations=bad)


def test_parallel_iterations_bounds_the_rows_per_sweep(monkeypatch):
    import tapegrad._core.jacobian as jac

    sizes = []
    real = jac.backward

    def counting(entries, seeds, ids, release):
        sizes.append(tuple(seeds[0][1].shape))
        return real(entries, seeds, ids, release)

    monkeypatch.setattr(jac, "backward", counting)
    x = tf.constant(np.arange(10.0))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.sin(x) * x
    tape.jacobian(y, x, parallel_iterations=4)
    assert sizes == [(4, 10), (4, 10), (2, 10)]
    sizes.clear()
    tape.jacobian(y, x)
    assert sizes == [(10, 10)]
    sizes.clear()
    tape.jacobian(y, x, experimental_use_pfor=False)
    assert sizes == [(10,)] * 10
    sizes.clear()
    xb = tf.reshape(x, [2, 5])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xb)
        yb = tf.sin(xb) * xb
    tape.batch_jacobian(yb, xb, parallel_iterations=2)
    assert sizes == [(2, 2, 5), (2, 2, 5), (1, 2, 5)]  # rows of per-example one-hots, 2 per sweep


def test_custom_gradient_functions_see_one_cotangent_at_a_time():
    """A user's grad_fn is written for one cotangent; the vectorized sweep calls it once per row."""
    @tf.custom_gradient
    def sq_sum(v):
        return tf.reduce_sum(v * v), lambda dy: dy * 2.0 * v

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = sq_sum(x)
        y = s * tf.constant([1.0, -2.0])
    np.testing.assert_array_equal(tape.jacobian(s, x).numpy(), [2.0, 4.0, 6.0])
    want = np.outer([1.0, -2.0], [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(tape.jacobian(y, x).numpy(), want)
    np.testing.assert_array_equal(tape.jacobian(y, x, experimental_use_pfor=False).numpy(), want)


def test_jacobian_inside_the_tape_context():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:  # non-persistent: the tape stops recording, as gradient() does
        tape.watch(x)
        y = x * x
        j = tape.jacobian(y, x)
        assert not tape._recording
    np.testing.assert_array_equal(j.numpy(), np.diag([2.0, 4.0, 6.0]))
    with tf.GradientTape(persistent=True) as tape:  # persistent: the sweep is recorded on the tape itself
        tape.watch(x)
        y = x * x * x
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            j = tape.jacobian(y, x)
        assert any("inside its context" in str(w.message) for w in caught)
    np.testing.assert_allclose(tape.gradient(j, x).numpy(), [6.0, 12.0, 18.0])  # d/dx sum(diag(3x^2))


def test_target_must_be_a_tensor_and_sources_tensors():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(TypeError, match="single tensor"):
        tape.jacobian([y], x)
    with pytest.raises(TypeError, match="source"):
        tape.jacobian(y, [1.0])


# --------------------------------------------------------------------------- Hessians (nested tapes)

def test_hessian_through_nested_tapes_matches_closed_form_and_loop():
    x = tf.constant(np.linspace(-2, 2, 7))
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            f = tf.reduce_sum(tf.sin(x) * x ** 2)
        g = inner.gradient(f, x)
    h = outer.jacobian(g, x)
    xn = x.numpy()
    d2 = -np.sin(xn) * xn ** 2 + 4 * xn * np.cos(xn) + 2 * np.sin(xn)
    np.testing.assert_allclose(h.numpy(), np.diag(d2), atol=1e-12)
    np.testing.assert_allclose(outer.jacobian(g, x, experimental_use_pfor=False).numpy(), h.numpy(), atol=1e-15)


def _dense(x, kernel, bias, act=None):
    y = tf.matmul(x, kernel) + bias
    return y if act is None else act(y)


def test_guide_hessian_and_newton_step():
    """The advanced-autodiff guide's Hessian example: outer jacobian of an inner gradient w.r.t. a layer's
    kernel, a Newton step from it, checked against finite differences of the gradient."""
    r = np.random.default_rng(0)
    x = tf.constant(r.standard_normal((7, 5)))
    k1 = tf.Variable(r.standard_normal((5, 8)) * 0.5)
    b1 = tf.Variable(np.zeros(8))
    k2 = tf.Variable(r.standard_normal((8, 6)) * 0.5)
    b2 = tf.Variable(np.zeros(6))

    def loss_fn():
        h = _dense(_dense(x, k1, b1, tf.nn.relu), k2, b2, tf.nn.relu)
        return tf.reduce_mean(h ** 2)

    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            loss = loss_fn()
        g = t1.gradient(loss, k1)
    h = t2.jacobian(g, k1)
    assert h.shape == (5, 8, 5, 8)
    n = 5 * 8
    h_mat = tf.reshape(h, [n, n]).numpy()
    np.testing.assert_allclose(h_mat, h_mat.T, atol=1e-12)

    def grad_at(kv):
        with tf.GradientTape() as t:
            k1.assign(kv)
            lv = loss_fn()
        return t.gradient(lv, k1).numpy()

    k0 = k1.numpy()
    fd = _fd_jacobian(lambda kv: grad_at(kv), k0, eps=1e-6).reshape(n, n)
    k1.assign(k0)
    np.testing.assert_allclose(h_mat, fd, atol=1e-6)
    g_vec = tf.reshape(g, [n, 1])
    update = tf.linalg.solve(tf.reshape(h, [n, n]) + tf.eye(n, dtype=tf.float64) * 1e-3, g_vec)
    k1.assign_sub(tf.reshape(update, k1.shape))
    np.testing.assert_allclose((h_mat + 1e-3 * np.eye(n)) @ update.numpy(), g_vec.numpy(), atol=1e-9)
    assert float(loss_fn()) < float(loss)  # a damped Newton step on a ReLU net's kernel lowers the loss


def test_guide_input_gradient_regularization():
    """Gradient w.r.t. the weights of the norm of an input gradient (inner tape watching only the input)."""
    r = np.random.default_rng(1)
    x = tf.constant(r.standard_normal((7, 5)))
    kernel = tf.Variable(r.standard_normal((5, 10)))
    bias = tf.Variable(r.standard_normal(10) * 0.1)

    def g1_mag_of(kv, bv):
        with tf.GradientTape() as t2:
            with tf.GradientTape(watch_accessed_variables=False) as t1:
                t1.watch(x)
                out = tf.reduce_sum(_dense(x, kv, bv, tf.nn.tanh) ** 2)
            g1 = t1.gradient(out, x)
            mag = tf.norm(g1)
        return mag, t2.gradient(mag, [kv, bv])

    mag, (dk, db) = g1_mag_of(kernel, bias)
    assert dk.shape == (5, 10) and db.shape == (10,)

    def mag_np(kv, bv):
        pre = x.numpy() @ kv + bv
        t = np.tanh(pre)
        g1 = (2 * t * (1 - t ** 2)) @ kv.T
        return np.sqrt(np.sum(g1 ** 2))

    np.testing.assert_allclose(float(mag), mag_np(kernel.numpy(), bias.numpy()), rtol=1e-12)
    np.testing.assert_allclose(dk.numpy(), _fd_jacobian(lambda kv: mag_np(kv, bias.numpy()), kernel.numpy()),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(db.numpy(), _fd_jacobian(lambda bv: mag_np(kernel.numpy(), bv), bias.numpy()),
                               rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------- batch_jacobian

def test_batch_jacobian_tensorflow_docstring_example():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    bj = g.batch_jacobian(y, x)
    np.testing.assert_array_equal(bj.numpy(), [[[2, 0], [0, 4]], [[6, 0], [0, 8]]])


def test_batch_jacobian_equals_the_diagonal_blocks_of_the_jacobian():
    r = np.random.default_rng(3)
    x = tf.constant(r.standard_normal((4, 3, 2)))
    W = tf.constant(r.standard_normal((2, 5)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.tanh(tf.reshape(tf.matmul(x, W), [4, 5, 3]))  # target (4, 5, 3), source (4, 3, 2)
    bj = tape.batch_jacobian(y, x)
    full = tape.jacobian(y, x).numpy()  # (4, 5, 3, 4, 3, 2)
    assert bj.shape == (4, 5, 3, 3, 2)
    for i in range(4):
        np.testing.assert_allclose(bj.numpy()[i], full[i, :, :, i], rtol=1e-12)
    np.testing.assert_allclose(tape.batch_jacobian(y, x, experimental_use_pfor=False).numpy(), bj.numpy(),
                               rtol=1e-13)
    for p in (1, 4, 15, 100):
        np.testing.assert_allclose(tape.batch_jacobian(y, x, parallel_iterations=p).numpy(), bj.numpy(),
                                   rtol=1e-13)


def test_batch_jacobian_shape_checks():
    x = tf.constant(np.ones((3, 2)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x, axis=1)
        y2 = tf.concat([x, x], 0)
        x1 = tf.constant([1.0, 2.0, 3.0])
        tape.watch(x1)
        y1 = x1 * x1
    with pytest.raises(ValueError, match=r"Shape \(3,\) must have rank at least 2"):
        tape.batch_jacobian(y, x)
    with pytest.raises(ValueError, match=r"Shape \(3,\) must have rank at least 2"):
        tape.batch_jacobian(y1, x1)
    with pytest.raises(ValueError, match=r"Need first dimension of target shape \(\(6, 2\)\) and source shape "
                                         r"\(\(3, 2\)\) to match"):
        tape.batch_jacobian(y2, x)
    with pytest.raises(TypeError):
        tape.batch_jacobian(y2, [x])


def test_batch_jacobian_unconnected_gives_zeros_as_tensorflow_does():
    xb = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    z64 = tf.constant([[1.0], [2.0]], tf.float64)
    zi = tf.constant([[1], [2]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([xb, z64])
        y = xb * 2.0
        yi = tf.cast(xb, tf.int32)
    for src, how, dtype in ((z64, "none", tf.float32), (z64, "zero", tf.float64), (zi, "none", tf.float32),
                            (zi, "zero", tf.int32)):
        got = tape.batch_jacobian(y, src, unconnected_gradients=how)
        assert got.shape == (2, 2, 1) and got.dtype == dtype and not got.numpy().any(), (src.dtype, how)
    got = tape.batch_jacobian(yi, xb)
    assert got.dtype == tf.int32 and got.shape == (2, 2, 2)
    empty = tape.batch_jacobian(y[:, :0], xb)
    assert empty.shape == (2, 0, 2)


def test_batch_jacobian_non_persistent_rules():
    x = tf.constant([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    for kwargs, match in (({"experimental_use_pfor": False}, "persistent=True"),
                          ({"parallel_iterations": 2}, "parallel_iterations")):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        with pytest.raises(RuntimeError, match=match):
            tape.batch_jacobian(y, x, **kwargs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(RuntimeError, match="parallel_iterations"):  # TensorFlow's pfor tiles when p <= rows
        tape.batch_jacobian(y, x, parallel_iterations=3)
    np.testing.assert_array_equal(tape.batch_jacobian(y, x, parallel_iterations=4).numpy()[1],
                                  np.diag([6.0, 8.0, 10.0]))
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.batch_jacobian(y, x)


def test_batch_jacobian_guide_example_equals_summed_jacobian():
    """The guide: batch_jacobian equals the full Jacobian summed over the duplicate batch axis."""
    r = np.random.default_rng(2)
    x = tf.constant(r.standard_normal((7, 5)).astype(np.float32))
    k1, k2 = (tf.constant(r.standard_normal(s).astype(np.float32) * 0.5) for s in ((5, 8), (8, 6)))
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = _dense(_dense(x, k1, 0.1, tf.nn.elu), k2, -0.1, tf.nn.elu)
    j = tape.jacobian(y, x)
    assert j.shape == (7, 6, 7, 5)
    jb = tape.batch_jacobian(y, x)
    assert jb.shape == (7, 6, 5)
    j_sum = tf.reduce_sum(j, axis=2)
    assert float(tf.reduce_max(abs(jb - j_sum))) < 1e-6
    off = j.numpy().copy()
    for i in range(7):
        off[i, :, i, :] = 0
    assert not off.any()  # every (batch, batch) slice is diagonal


def test_batch_jacobian_inside_a_persistent_tape_is_differentiable():
    xb = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tf.GradientTape(persistent=True) as g:
            g.watch(xb)
            y = xb * xb * xb
            bj = g.batch_jacobian(y, xb)
    np.testing.assert_allclose(g.gradient(bj, xb).numpy(), [[6.0, 12.0], [18.0, 24.0]])


def test_docstring_examples_run():
    import doctest

    import tapegrad._core.tape as tape_module

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in ("jacobian", "batch_jacobian"):
        for test in finder.find(getattr(tape_module.GradientTape, name), name, globs={}):
            runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


def test_jacobians_stay_on_the_array_api_strict_backend():
    xp = pytest.importorskip("array_api_strict")
    xn = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = tf.constant(xp.asarray(xn))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.sin(x) * x
    want = np.diag((np.cos(xn) * xn + np.sin(xn)).ravel()).reshape(2, 2, 2, 2)
    for j in (tape.jacobian(y, x), tape.jacobian(y, x, experimental_use_pfor=False, parallel_iterations=3)):
        assert type(j._value) is type(x._value)
        np.testing.assert_allclose(np.asarray(j._value), want, rtol=1e-12)
    bj = tape.batch_jacobian(y, x, parallel_iterations=1)
    assert type(bj._value) is type(x._value)
    np.testing.assert_allclose(np.asarray(bj._value), [want[i, :, i, :] for i in range(2)], rtol=1e-12)
