"""tapegrad.func: JAX-style transforms over pure functions of nested structures, against closed forms and
central finite differences (float64)."""

from collections import namedtuple

import numpy as np
import pytest

import tapegrad as tf
from tapegrad import func

R = np.random.default_rng(0)


def _fd(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn / d x by central differences: shape fn(x).shape + x.shape."""
    x = np.asarray(x, np.float64)
    y0 = np.asarray(fn(x))
    out = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        out[(...,) + idx] = (np.asarray(fn(x + d)) - np.asarray(fn(x - d))) / (2 * eps)
    return out


def f_tf(x):
    return tf.reduce_sum(tf.sin(x) * x ** 2) + tf.reduce_sum(x) ** 2


def f_np(x):
    return np.sum(np.sin(x) * x ** 2) + np.sum(x) ** 2


def grad_np(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x) + 2 * np.sum(x)


def hess_np(x):
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x)) + 2.0


X = R.uniform(-2, 2, 5)


def test_grad_and_value_and_grad_closed_forms():
    x = tf.constant(X)
    np.testing.assert_allclose(func.grad(f_tf)(x).numpy(), grad_np(X), rtol=1e-12)
    v, g = func.value_and_grad(f_tf)(x)
    np.testing.assert_allclose(float(v), f_np(X), rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), _fd(f_np, X), rtol=1e-7, atol=1e-8)
    assert float(func.grad(lambda t: t ** 3)(2.0)) == 12.0  # a Python float becomes a float32 tensor
    assert func.grad(lambda t: t ** 3)(2.0).dtype == tf.float32


def test_argnums_has_aux_and_kwargs():
    def f(a, b, c, scale=1.0):
        out = tf.reduce_sum(a * b) * scale + tf.reduce_sum(c)
        return out, {"b_sum": tf.reduce_sum(b)}

    a, b, c = (tf.constant(R.standard_normal(3)) for _ in range(3))
    (out, aux), (ga, gc) = func.value_and_grad(f, argnums=(0, -1), has_aux=True)(a, b, c, scale=2.0)
    np.testing.assert_allclose(ga.numpy(), 2 * b.numpy())
    np.testing.assert_allclose(gc.numpy(), np.ones(3))
    np.testing.assert_allclose(float(aux["b_sum"]), b.numpy().sum())
    gb, aux2 = func.grad(f, argnums=1, has_aux=True)(a, b, c)
    np.testing.assert_allclose(gb.numpy(), a.numpy())
    assert set(aux2) == {"b_sum"}
    with pytest.raises(ValueError, match="out of range"):
        func.grad(f, argnums=3)(a, b, c)
    with pytest.raises(TypeError, match="argnums"):
        func.grad(f, argnums=1.0)(a, b, c)
    with pytest.raises(TypeError, match="pair"):
        func.grad(lambda x: x * 2.0, has_aux=True)(a)


def test_unconnected_arguments_get_zeros():
    a, b = tf.constant([1.0, 2.0]), tf.constant(3.0)
    ga, gb = func.grad(lambda x, y: tf.reduce_sum(x * x), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga.numpy(), [2.0, 4.0])
    assert gb.shape == () and float(gb) == 0.0


Params = namedtuple("Params", ["w", "b"])


def test_nested_structures_keep_their_shape():
    x = tf.constant(R.standard_normal((4, 3)))
    y = tf.constant(R.standard_normal(4))
    layer = Params(w=tf.constant(R.standard_normal(3)), b=tf.constant(0.5, tf.float64))
    params = {"layer": layer, "scale": [tf.constant(2.0, tf.float64)]}

    def loss(p, x, y):
        pred = tf.linalg.matvec(x, p["layer"].w) + p["layer"].b
        return tf.reduce_mean((pred * p["scale"][0] - y) ** 2)

    g = func.grad(loss)(params, x, y)
    assert isinstance(g, dict) and isinstance(g["layer"], Params) and isinstance(g["scale"], list)
    xn, yn, wn = x.numpy(), y.numpy(), params["layer"].w.numpy()
    resid = (xn @ wn + 0.5) * 2.0 - yn
    np.testing.assert_allclose(g["layer"].w.numpy(), 2 * 2.0 * xn.T @ resid / 4, rtol=1e-12)
    np.testing.assert_allclose(float(g["layer"].b), 2 * 2.0 * resid.sum() / 4, rtol=1e-12)
    np.testing.assert_allclose(float(g["scale"][0]), 2 * (resid * (xn @ wn + 0.5)).sum() / 4, rtol=1e-12)


def test_variables_are_valid_arguments():
    v = tf.Variable([1.0, 2.0])
    np.testing.assert_array_equal(func.grad(lambda t: tf.reduce_sum(t ** 2))(v).numpy(), [2.0, 4.0])


def test_vjp_is_reusable_and_structured():
    def f(x, y):
        return {"prod": x * y, "sin": tf.sin(x)}, tf.reduce_sum(y)

    x, y = tf.constant(X), tf.constant(X[::-1].copy())
    out, f_vjp, aux = func.vjp(f, x, y, has_aux=True)
    np.testing.assert_allclose(float(aux), X.sum())
    for seed in (0, 1):
        u = np.random.default_rng(seed)
        cot = {"prod": tf.constant(u.standard_normal(5)), "sin": tf.constant(u.standard_normal(5))}
        gx, gy = f_vjp(cot)
        np.testing.assert_allclose(gx.numpy(), cot["prod"].numpy() * y.numpy() + cot["sin"].numpy() * np.cos(X))
        np.testing.assert_allclose(gy.numpy(), cot["prod"].numpy() * x.numpy())


def test_jvp_matches_jacobian_vector_products():
    x = tf.constant(X)
    v = R.standard_normal(5)
    out, t = func.jvp(lambda z: tf.tanh(z) * tf.reduce_sum(z), (x,), (v,))
    jac = _fd(lambda z: np.tanh(z) * np.sum(z), X)
    np.testing.assert_allclose(t.numpy(), jac @ v, rtol=1e-7, atol=1e-9)
    out, t = func.jvp(lambda d: d["a"] * d["b"], ({"a": x, "b": tf.constant(2.0, tf.float64)},),
                      ({"a": list(v), "b": 1.0},))  # nested primals, a Python list as a leaf tangent
    np.testing.assert_allclose(t.numpy(), 2.0 * v + X)
    out, t, aux = func.jvp(lambda z: (z * 3.0, "aux"), (x,), (v,), has_aux=True)
    assert aux == "aux"
    with pytest.raises(ValueError):
        func.jvp(lambda d: d["a"], ({"a": x},), ({"b": v},))
    with pytest.raises(ValueError, match="tangents"):
        func.jvp(lambda z: z, (x,), ())
    _, t = func.jvp(lambda z, w: z * 2.0, (x, tf.constant(1.0, tf.float64)), (v, 1.0))
    np.testing.assert_allclose(t.numpy(), 2 * v)


def _g_tf(x, y):
    return tf.tanh(x[:, None] * y[None, :]) + tf.sin(x)[:, None]


def _g_np(x, y):
    return np.tanh(x[:, None] * y[None, :]) + np.sin(x)[:, None]


@pytest.mark.parametrize("transform", [func.jacrev, func.jacfwd])
def test_jacobians_against_finite_differences(transform):
    x, y = R.standard_normal(3), R.standard_normal(4)
    jx, jy = transform(_g_tf, argnums=(0, 1))(tf.constant(x), tf.constant(y))
    assert jx.shape == (3, 4, 3) and jy.shape == (3, 4, 4)
    np.testing.assert_allclose(jx.numpy(), _fd(lambda v: _g_np(v, y), x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jy.numpy(), _fd(lambda v: _g_np(x, v), y), rtol=1e-7, atol=1e-9)
    single = transform(_g_tf)(tf.constant(x), tf.constant(y))
    np.testing.assert_allclose(single.numpy(), jx.numpy(), rtol=1e-12)
    s = transform(lambda t: t * t)(tf.constant(3.0, tf.float64))  # a scalar argument and output
    assert s.shape == () and float(s) == 6.0


@pytest.mark.parametrize("transform", [func.jacrev, func.jacfwd])
def test_jacobians_of_nested_outputs_and_arguments(transform):
    x = tf.constant(R.standard_normal(3))
    p = {"w": tf.constant(R.standard_normal((3, 2))), "b": tf.constant(0.3, tf.float64)}

    def f(p, x):
        h = tf.linalg.matvec(p["w"], x, transpose_a=True) + p["b"]
        return {"h": h, "n": tf.reduce_sum(h * h)}, "aux"

    jac, aux = transform(f, has_aux=True)(p, x)
    assert aux == "aux" and set(jac) == {"h", "n"} and set(jac["h"]) == {"w", "b"}
    assert jac["h"]["w"].shape == (2, 3, 2) and jac["h"]["b"].shape == (2,) and jac["n"]["w"].shape == (3, 2)
    xn, wn = x.numpy(), p["w"].numpy()
    np.testing.assert_allclose(jac["h"]["w"].numpy(), _fd(lambda w: w.T @ xn + 0.3, wn), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jac["h"]["b"].numpy(), np.ones(2))
    h = wn.T @ xn + 0.3
    np.testing.assert_allclose(jac["n"]["w"].numpy(), 2 * np.outer(xn, h), rtol=1e-12)


def test_jacfwd_equals_jacrev_with_empty_and_integer_pieces():
    x = tf.constant(R.standard_normal((2, 3)))
    fn = lambda a: tf.reshape(tf.exp(a) * tf.reduce_mean(a), [3, 2])  # noqa: E731
    np.testing.assert_allclose(func.jacfwd(fn)(x).numpy(), func.jacrev(fn)(x).numpy(), rtol=1e-12)
    e = tf.constant(np.zeros((0,)))
    assert func.jacfwd(lambda a: a * 2.0)(e).shape == (0, 0)
    assert func.jacrev(lambda a: a * 2.0)(e).shape == (0, 0)


def test_hessian_closed_form_blocks_and_symmetry():
    x = tf.constant(X)
    h = func.hessian(f_tf)(x)
    np.testing.assert_allclose(h.numpy(), hess_np(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(func.jacfwd(func.grad(f_tf))(x).numpy(), h.numpy(), rtol=1e-12, atol=1e-12)

    def two(a, b):
        return tf.reduce_sum(a * a * b) + tf.reduce_sum(tf.sin(b))

    a, b = tf.constant([1.0, 2.0], tf.float64), tf.constant([0.5, -1.0], tf.float64)
    (haa, hab), (hba, hbb) = func.hessian(two, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(haa.numpy(), np.diag(2 * b.numpy()))
    np.testing.assert_allclose(hab.numpy(), np.diag(2 * a.numpy()))
    np.testing.assert_allclose(hba.numpy(), hab.numpy().T)
    np.testing.assert_allclose(hbb.numpy(), np.diag(-np.sin(b.numpy())))


def test_hvp_is_the_hessian_times_the_vector():
    x = tf.constant(X)
    v = R.standard_normal(5)
    (hv,) = func.hvp(f_tf, (x,), (v,))
    np.testing.assert_allclose(hv.numpy(), hess_np(X) @ v, rtol=1e-12)
    (hv,) = func.hvp(f_tf, (x,), (list(v),))
    np.testing.assert_allclose(hv.numpy(), hess_np(X) @ v, rtol=1e-12)
    with pytest.raises(ValueError, match="tangents"):
        func.hvp(f_tf, (x,), ())


def test_transforms_compose():
    cube = lambda t: t ** 3  # noqa: E731
    assert float(func.grad(func.grad(func.grad(cube)))(tf.constant(2.0))) == 6.0
    x = tf.constant([0.5, -1.0], tf.float64)
    third = func.jacrev(func.hessian(lambda t: tf.reduce_sum(t ** 4)))(x)
    want = np.zeros((2, 2, 2))
    for i in range(2):
        want[i, i, i] = 24 * x.numpy()[i]
    np.testing.assert_allclose(third.numpy(), want)


@pytest.mark.parametrize("module", ["tapegrad.func", "tapegrad._recompute"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
