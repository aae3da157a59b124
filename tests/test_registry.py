"""Registry-driven gradient tests (PyTorch's OpInfo): every differentiable primitive has sample inputs, and
every sample's VJP and JVP rules agree with finite differences at orders 1 and 2 (float64), plus a float32
smoke test at order 1. A new op cannot ship without samples: `test_has_samples` fails by name."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core.primitive import REGISTRY, apply, as_input
from tapegrad.ops import _samples as S
from tapegrad.testing import check_gradients, sample_cases

DIFFERENTIABLE = sorted(name for name, p in REGISTRY.items() if p.differentiable)
CASES = [(name, i) for name in DIFFERENTIABLE for i in range(len(sample_cases(REGISTRY[name])))]
BINARY_ELEMENTWISE = ["AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "FloorMod"]


def _op(prim, params):
    def f(*args):
        return apply(prim, tuple(as_input(a) for a in args), params)

    return f


def test_registry_is_populated():
    assert len(DIFFERENTIABLE) >= 35
    assert {"Sin", "MatMul", "Sum", "Reshape", "StridedSlice", "SelectV2", "Pow"} <= set(DIFFERENTIABLE)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_has_samples(name):
    cases = sample_cases(REGISTRY[name])
    assert cases, f"differentiable primitive {name!r} has no samples: add samples(...) beside its forward"
    for args, _params, _ in cases:
        assert any(np.asarray(a).dtype.kind == "f" for a in args), f"{name}: a sample has no float argument"


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_has_rules(name):
    prim = REGISTRY[name]
    assert prim.vjps is not None or prim.vjp_all is not None, f"{name} has no VJP rule"
    assert prim.jvps is not None or prim.jvp_all is not None, f"{name} has no JVP rule"


@pytest.mark.parametrize("name", BINARY_ELEMENTWISE)
def test_binary_samples_broadcast(name):
    shapes = {tuple(np.shape(a) for a in args) for args, _, _ in sample_cases(REGISTRY[name])}
    broadcasting = {s for s in shapes if s[0] != s[1]}
    assert len(broadcasting) >= 2, f"{name}: samples must exercise broadcasting, got shapes {sorted(shapes)}"
    if name != "FloorMod":  # FloorMod needs hand-picked values away from its jumps
        assert set(S.BINARY_SHAPES) <= shapes


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_gradients_float64(name, index):
    prim = REGISTRY[name]
    args, params, opts = sample_cases(prim)[index]
    check_gradients(_op(prim, params), args, order=2, modes=("rev", "fwd"), **opts)


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_gradients_float32_smoke(name, index):
    """AD in float32 (rules keep the dtype), finite differences in float64, JAX's float32 tolerance 2e-3."""
    prim = REGISTRY[name]
    args, params, opts = sample_cases(prim)[index]
    opts = {k: v for k, v in opts.items() if k == "eps"}
    check_gradients(_op(prim, params), args, order=1, modes=("rev", "fwd"), dtype=tf.float32, **opts)


# --------------------------------------------------------------------------- TensorFlow's edge conventions
# (finite differences cannot see these: they sit on kinks and ties)

def _grad(f, *xs):
    xs = [tf.constant(np.asarray(x, np.float64)) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


def _jvp(f, x, t):
    x = tf.constant(np.asarray(x, np.float64))
    with tf.autodiff.ForwardAccumulator(x, tf.constant(np.asarray(t, np.float64))) as acc:
        y = f(x)
    return acc.jvp(y).numpy()


def test_abs_gradient_is_zero_at_zero():
    (g,) = _grad(tf.abs, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_jvp(tf.abs, [-1.0, 0.0, 2.0], [1.0, 1.0, 1.0]), [-1.0, 0.0, 1.0])


def test_maximum_minimum_send_ties_to_x():
    gx, gy = _grad(tf.maximum, [1.0, 2.0, 3.0], [1.0, 5.0, 3.0])
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])
    gx, gy = _grad(tf.minimum, [1.0, 2.0, 3.0], [1.0, 5.0, 0.0])
    np.testing.assert_array_equal(gx, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("reduce", [tf.reduce_max, tf.reduce_min])
def test_reduce_extremes_split_ties_equally(reduce):
    x = [[1.0, 4.0, 4.0], [2.0, 2.0, 2.0]] if reduce is tf.reduce_max else [[3.0, -1.0, -1.0], [2.0, 2.0, 2.0]]
    (g,) = _grad(lambda t: reduce(t, axis=1), x)
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    (g,) = _grad(lambda t: reduce(t), x)
    want = np.zeros((2, 3))
    want[0, 1:] = 0.5
    np.testing.assert_allclose(g, want)
    np.testing.assert_allclose(_jvp(lambda t: reduce(t, axis=1), x, [[1.0, 2.0, 4.0], [1.0, 2.0, 3.0]]),
                               [3.0, 2.0])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive():
    gx, gy = _grad(tf.pow, [0.0, -2.0, 2.0], [2.0, 2.0, 3.0])
    np.testing.assert_allclose(gx, [0.0, -4.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 0.0, 8.0 * np.log(2.0)])
    assert np.all(np.isfinite(gy))


def test_sign_gradient_is_zeros_not_none():
    (g,) = _grad(tf.sign, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_reduce_prod_gradient_with_zeros():
    (g,) = _grad(lambda t: tf.reduce_prod(t, axis=1), [[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(g, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


def test_nested_accumulators_see_the_output_tangent_used_by_inner_rules():
    """Forward-over-forward through rules written with `ans` (exp's JVP is t * ans): the outer accumulator
    must have pushed its tangent through the op before the inner one differentiates `t * ans`."""
    x = tf.constant(0.7, tf.float64)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0, tf.float64)) as outer:
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0, tf.float64)) as inner:
            y = tf.exp(tf.tanh(x))
        dy = inner.jvp(y)
    t = np.tanh(0.7)
    np.testing.assert_allclose(float(dy), np.exp(t) * (1 - t**2))
    np.testing.assert_allclose(float(outer.jvp(dy)), np.exp(t) * ((1 - t**2) ** 2 - 2 * t * (1 - t**2)))
