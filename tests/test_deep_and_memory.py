"""The backward sweep is iterative (deep chains at the default recursion limit), visits only the entries
between the sources and the target, and a non-persistent tape lets go of everything once gradient() returns."""

import gc
import sys
import weakref
from contextlib import contextmanager

import numpy as np

import tapegrad as tf


@contextmanager
def recursion_limit(n):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(n)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@contextmanager
def gc_disabled():
    """Objects must be freed by reference counting alone: no cycles for the collector to find."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_100k_op_chain_at_the_default_recursion_limit():
    n = 100_000
    x0 = tf.constant(0.5)
    with recursion_limit(1000):
        with tf.GradientTape() as tape:
            tape.watch(x0)
            x = x0
            for _ in range(n):
                x = x * 1.0000001
            y = tf.sin(x)
        mid = weakref.ref(x)
        g = tape.gradient(y, x0)
        del x, y, tape
    assert mid() is None  # the whole chain was released
    # The same float32 arithmetic by hand: forward, then the chain rule backwards.
    c = np.float32(1.0000001)
    xn = np.float32(0.5)
    for _ in range(n):
        xn = xn * c
    ref = np.float32(1.0) * np.cos(xn)
    for _ in range(n):
        ref = ref * c
    np.testing.assert_allclose(float(g), float(ref), rtol=1e-6)
    assert abs(float(g) - np.cos(float(xn)) * float(xn) / 0.5) < 1e-2  # and roughly d/dx0 sin(x0 * k)


def test_deep_chain_with_a_variable_and_many_reads():
    v = tf.Variable(1.0)
    with recursion_limit(1000):
        with tf.GradientTape() as tape:
            acc = tf.constant(0.0)
            for _ in range(20_000):
                acc = acc + v * 0.5
        g = tape.gradient(acc, v)
    np.testing.assert_allclose(float(g), 10_000.0, rtol=1e-6)


def test_second_order_through_a_long_chain():
    x0 = tf.constant(0.3)
    with recursion_limit(1000):
        with tf.GradientTape() as outer:
            outer.watch(x0)
            with tf.GradientTape() as inner:
                inner.watch(x0)
                x = x0
                for _ in range(5_000):
                    x = x * 1.0001
                y = x * x
            g = inner.gradient(y, x0)
        h = outer.gradient(g, x0)
    k = float(np.float32(1.0001)) ** 5_000
    np.testing.assert_allclose(float(g), 2 * 0.3 * k * k, rtol=1e-3)
    np.testing.assert_allclose(float(h), 2 * k * k, rtol=1e-3)


def _counted(name, calls):
    @tf.custom_gradient
    def f(v):
        def grad(dy):
            calls.append(name)
            return dy

        return tf.identity(v), grad

    return f


def test_the_sweep_visits_only_entries_between_the_sources_and_the_target():
    calls = []
    x, z = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        a = _counted("x_to_target", calls)(x)
        b = _counted("z_to_target", calls)(z)  # reaches the target, but not from the source x
        _counted("x_dead_end", calls)(x)  # from the source, but never reaches the target
        y = a * b
        _counted("after_target", calls)(y)  # recorded after the target
    np.testing.assert_allclose(float(tape.gradient(y, x)), 2.0)
    assert calls == ["x_to_target"]
    calls.clear()
    np.testing.assert_allclose(float(tape.gradient(y, z)), 1.0)
    assert calls == ["z_to_target"]
    calls.clear()
    assert tape.gradient(a, z) is None and calls == []


def test_a_non_persistent_tape_releases_everything_when_gradient_returns():
    x = tf.constant([1.0, 2.0])
    with gc_disabled():
        with tf.GradientTape() as tape:
            tape.watch(x)
            a = x * 2.0
            b = tf.sin(a)
            e = tf.exp(b)
            c = tf.reduce_sum(b * e)
        refs = [weakref.ref(t) for t in (a, b, e)]
        del a, b, e
        assert all(r() is not None for r in refs)  # the tape holds them for the backward pass
        g = tape.gradient(c, x)
        assert all(r() is None for r in refs)  # and let them go, by reference counting alone
    assert g.shape == (2,)
    assert tape.watched_variables() == ()


def test_custom_gradient_closures_are_released_too():
    x = tf.constant(3.0)
    with gc_disabled():
        captured = []

        @tf.custom_gradient
        def f(v):
            big = tf.ones(1000) * v
            captured.append(weakref.ref(big))

            def grad(dy):
                return dy * tf.reduce_sum(big) / 1000.0

            return v * 2.0, grad

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        assert captured[0]() is not None
        np.testing.assert_allclose(float(tape.gradient(y, x)), 3.0)
        assert captured[0]() is None


def test_a_persistent_tape_holds_until_deleted():
    x = tf.constant(1.0)
    with gc_disabled():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            a = x * 3.0
            y = a * a
        ref = weakref.ref(a)
        del a
        tape.gradient(y, x)
        tape.gradient(y, x)
        assert ref() is not None
        del tape
        assert ref() is None


def test_unused_tapes_do_not_leak():
    x = tf.constant(1.0)
    with gc_disabled():
        with tf.GradientTape() as tape:
            tape.watch(x)
            a = x * 3.0
        ref = weakref.ref(a)
        tape_ref = weakref.ref(tape)
        del a, tape
        assert ref() is None and tape_ref() is None
