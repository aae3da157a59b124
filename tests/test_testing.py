"""`tapegrad.testing.check_gradients` must catch wrong derivatives: at order 1 and order 2, in reverse and in
forward mode, with messages that say which mode and order failed and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core.primitive import Primitive, apply, as_input, defjvp, defvjp
from tapegrad.testing import check_gradients, sample_cases

X = np.array([[0.3, -1.2, 0.7], [1.5, 0.1, -0.4]])


def _unary(name, impl, vjp, jvp):
    """An unregistered primitive with the given rules, as an op function."""
    prim = Primitive(name, impl)
    defvjp(prim, vjp)
    defjvp(prim, jvp)
    return lambda x: apply(prim, (as_input(x),))


# sin whose rules call cos_ok (right at every order) or cos_bad (right value, wrong derivative)
cos_ok = _unary("CosOk", lambda xp, x: xp.cos(x), lambda g, ans, x: -g * tf.sin(x), lambda t, ans, x: -t * tf.sin(x))
cos_bad = _unary("CosBad", lambda xp, x: xp.cos(x), lambda g, ans, x: g * tf.sin(x), lambda t, ans, x: t * tf.sin(x))
sin_ok = _unary("SinOk", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_ok(x), lambda t, ans, x: t * cos_ok(x))
sin_bad2 = _unary("SinBad2", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_bad(x),
                  lambda t, ans, x: t * cos_bad(x))
sin_bad_vjp = _unary("SinBadVjp", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_ok(x) * 1.001,
                     lambda t, ans, x: t * cos_ok(x))
sin_bad_jvp = _unary("SinBadJvp", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_ok(x),
                     lambda t, ans, x: t * cos_ok(x) + 1e-3)
# right values, but the rule is computed outside tapegrad's ops: invisible to outer tapes (order 2 is wrong)
sin_opaque = _unary("SinOpaque", lambda xp, x: xp.sin(x), lambda g, ans, x: g * tf.constant(np.cos(x.numpy())),
                    lambda t, ans, x: t * tf.constant(np.cos(x.numpy())))


def test_correct_rules_pass_at_orders_1_to_3():
    for order in (1, 2, 3):
        check_gradients(sin_ok, [X], order=order)
    check_gradients(lambda x, y: tf.reduce_sum(tf.exp(x) * y, axis=0), [X, X[0]], order=2)


def test_wrong_vjp_fails_order_1_reverse_only():
    with pytest.raises(AssertionError, match=r"reverse mode \(order 1\).*expected <u, J v> = "):
        check_gradients(sin_bad_vjp, [X], order=1)
    check_gradients(sin_bad_vjp, [X], order=2, modes=["fwd"])  # forward mode never calls the VJP rule


def test_wrong_jvp_fails_order_1_forward_only():
    with pytest.raises(AssertionError, match=r"forward mode \(order 1\)"):
        check_gradients(sin_bad_jvp, [X], order=1)
    check_gradients(sin_bad_jvp, [X], order=2, modes=["rev"])


def test_wrong_second_derivative_fails_order_2_in_both_modes():
    check_gradients(sin_bad2, [X], order=1)  # first derivatives are right
    with pytest.raises(AssertionError, match=r"reverse-over-reverse \(order 2\)"):
        check_gradients(sin_bad2, [X], order=2, modes=["rev"])
    with pytest.raises(AssertionError, match=r"forward-over-forward \(order 2\)"):
        check_gradients(sin_bad2, [X], order=2, modes=["fwd"])


def test_rule_outside_tapegrad_ops_fails_order_2():
    check_gradients(sin_opaque, [X], order=1)
    with pytest.raises(AssertionError, match=r"reverse-over-reverse \(order 2\)"):
        check_gradients(sin_opaque, [X], order=2, modes=["rev"])
    with pytest.raises(AssertionError, match=r"forward-over-forward \(order 2\)"):
        check_gradients(sin_opaque, [X], order=2, modes=["fwd"])


def test_forward_over_reverse_is_checked():
    """VJP rule right at every reverse order, but its ops' JVP is wrong: only forward-over-reverse sees it."""
    cos_bad_jvp = _unary("CosBadJvp", lambda xp, x: xp.cos(x), lambda g, ans, x: -g * tf.sin(x),
                         lambda t, ans, x: t * tf.sin(x))
    sin_mixed = _unary("SinMixed", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_bad_jvp(x),
                       lambda t, ans, x: t * cos_ok(x))
    check_gradients(sin_mixed, [X], order=2, modes=["rev"])
    check_gradients(sin_mixed, [X], order=2, modes=["fwd"])
    with pytest.raises(AssertionError, match=r"forward-over-reverse \(order 2\)"):
        check_gradients(sin_mixed, [X], order=2, modes=["rev", "fwd"])


def test_reverse_over_forward_is_checked():
    """JVP rule right in forward mode at every order, but its ops' VJP is wrong: reverse-over-forward sees it."""
    cos_bad_vjp = _unary("CosBadVjp", lambda xp, x: xp.cos(x), lambda g, ans, x: g * tf.sin(x),
                         lambda t, ans, x: -t * tf.sin(x))
    sin_mixed = _unary("SinMixed2", lambda xp, x: xp.sin(x), lambda g, ans, x: g * cos_ok(x),
                       lambda t, ans, x: t * cos_bad_vjp(x))
    check_gradients(sin_mixed, [X], order=2, modes=["rev"])
    check_gradients(sin_mixed, [X], order=2, modes=["fwd"])
    with pytest.raises(AssertionError, match=r"reverse-over-forward \(order 2\)"):
        check_gradients(sin_mixed, [X], order=2, modes=["rev", "fwd"])


def test_wrong_custom_gradient_fails_order_1():
    @tf.custom_gradient
    def bad_square(x):
        return x * x, lambda dy: dy * x  # should be 2 * x * dy

    with pytest.raises(AssertionError, match=r"reverse mode \(order 1\)"):
        check_gradients(bad_square, [X], order=1, modes=["rev"])


def test_wrong_nested_custom_gradient_fails_order_2():
    @tf.custom_gradient
    def bad_double(x):  # right value; its gradient is wrong (3 instead of 2)
        return 2.0 * x, lambda dy: 3.0 * dy

    @tf.custom_gradient
    def square(x):  # first derivative right; its rule differentiates through bad_double
        return x * x, lambda dy: dy * bad_double(x)

    check_gradients(square, [X], order=1, modes=["rev"])
    with pytest.raises(AssertionError, match=r"reverse-over-reverse \(order 2\)"):
        check_gradients(square, [X], order=2, modes=["rev"])


def test_none_gradients_count_as_zeros_and_non_float_args_pass_through():
    cond = np.array([True, False, True])
    seen = []

    def f(c, x, y, i):
        seen.append((type(c), type(i)))
        return tf.where(c, x, 0.0 * x)[i] * y

    check_gradients(f, [cond, X[0], np.array(2.0), 2], order=2)
    assert seen and all(c is np.ndarray and i is int for c, i in seen)  # passed through unconverted
    check_gradients(lambda x, y: x * 2.0, [X, X], order=2)  # y unconnected: None -> zeros
    with pytest.raises(AssertionError, match=r"reverse mode \(order 1\)"):  # a wrong None is caught
        check_gradients(lambda x, y: x * tf.stop_gradient(y), [X, X], order=1)


def test_multiple_outputs_and_python_floats():
    check_gradients(lambda x, y: (tf.sin(x) * y, [tf.exp(y)]), [X, 0.5], order=2)


def test_dtype_and_shape_of_gradients_are_checked():
    wrong_dtype = _unary("UpcastGrad", lambda xp, x: xp.sin(x), lambda g, ans, x: tf.cast(g * cos_ok(x), tf.float64),
                         lambda t, ans, x: t * cos_ok(x))
    check_gradients(wrong_dtype, [X], order=1)  # float64: the upcast is invisible
    with pytest.raises(AssertionError, match="dtype float64; expected its argument's shape .* dtype float32"):
        check_gradients(wrong_dtype, [X], order=1, dtype=tf.float32)


def test_deterministic_and_seeded():
    f = lambda x: tf.reduce_prod(tf.sin(x))  # noqa: E731
    msgs = []
    for _ in range(2):
        with pytest.raises(AssertionError) as e:
            check_gradients(f, [X], order=1, rtol=0, atol=0)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="modes"):
        check_gradients(tf.sin, [X], modes=["backward"])
    with pytest.raises(ValueError, match="order"):
        check_gradients(tf.sin, [X], order=0)
    with pytest.raises(ValueError, match="no floating-point output"):
        check_gradients(lambda x: tf.cast(x, tf.int32), [X])


def test_sample_cases_accepts_tuples_and_callables():
    prim = Primitive("Tmp", lambda xp, x: x)
    prim.samples = (((X,), {}), lambda: [((X,), {"a": 1}, {"rtol": 1e-3})])
    cases = sample_cases(prim)
    assert [(c[1], c[2]) for c in cases] == [({}, {}), ({"a": 1}, {"rtol": 1e-3})]
