"""GradientTape, as tensorflow/python/eager/backprop.py defines it: watch, watched_variables, gradient with
nested targets and sources, output_gradients, unconnected gradients, stop_recording, reset, nested and
persistent tapes, and which ops get recorded on which tape."""

import collections
import warnings

import numpy as np
import pytest

import tapegrad as tf


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), b, rtol=tol, atol=tol)


# --------------------------------------------------------------------------- watch

def test_watch_a_tensor():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), 6.0)


def test_unwatched_constant_has_no_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_watch_nested_structures():
    a, b, c = tf.constant(1.0), tf.constant(2.0), tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as tape:
        tape.watch({"k": [a, (b,)], "v": c})
        y = a * b * c
    ga, gb, gc = tape.gradient(y, [a, b, c])
    close(ga, 6.0), close(gb, 3.0), close(gc, 2.0)


def test_watch_a_non_float_tensor_warns_and_does_not_watch():
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="floating"):
            tape.watch(x)
        y = x * x
    with pytest.warns(UserWarning, match="floating"):
        assert tape.gradient(y, x) is None


@pytest.mark.parametrize("bad", [1.0, [1.0, 2.0], np.ones(2), "x"])
def test_watch_a_non_tensor_raises_value_error(bad):
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="tf.Tensor"):
            tape.watch(bad)


# --------------------------------------------------------------------------- variables

def test_trainable_variables_read_inside_the_tape_are_watched_in_order_of_first_access():
    a, b, c = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b"), tf.Variable(3.0, name="c")
    with tf.GradientTape() as tape:
        y = b * a + c * b + a
    assert [v.name for v in tape.watched_variables()] == ["b:0", "a:0", "c:0"]
    ga, gb, gc = tape.gradient(y, [a, b, c])
    close(ga, 3.0), close(gb, 4.0), close(gc, 2.0)
    # TensorFlow keeps the list after a non-persistent tape's gradient call
    assert [v.name for v in tape.watched_variables()] == ["b:0", "a:0", "c:0"]


def test_watch_accessed_variables_false():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(b)
        y = a * b
    assert tape.watched_variables() == (b,)
    ga, gb = tape.gradient(y, [a, b])
    assert ga is None
    close(gb, 1.0)


def test_non_trainable_variables_are_not_auto_watched_but_can_be_watched():
    v = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        y = v * v
    assert tape.watched_variables() == () and tape.gradient(y, v) is None
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = v * v
    assert tape.watched_variables() == (v,)
    close(tape.gradient(y, v), 4.0)


def test_integer_variables_are_not_watched():
    v = tf.Variable(2)
    with tf.GradientTape() as tape:
        y = tf.cast(v, tf.float32) * 2.0
    assert tape.watched_variables() == ()
    with pytest.warns(UserWarning, match="floating"):
        assert tape.gradient(y, v) is None


def test_variable_read_several_times_sums():
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = v * 1.0 + v * 2.0 + tf.square(v)
    close(tape.gradient(y, v), 9.0)


def test_variable_read_before_the_tape_is_not_connected():
    v = tf.Variable(3.0)
    r = v * 1.0
    with tf.GradientTape() as tape:
        y = r * v
    close(tape.gradient(y, v), 3.0)


def test_gradient_with_a_variable_target():
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        v * 2.0
    close(tape.gradient(v, v), 1.0)


# --------------------------------------------------------------------------- gradient: structures

def test_sources_structure_is_returned():
    P = collections.namedtuple("P", "a b")
    x1, x2 = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x1 * x2
    g = tape.gradient(y, P(x1, {"k": [x2], "j": (x1,)}))
    assert isinstance(g, P) and isinstance(g.b, dict) and isinstance(g.b["k"], list) and isinstance(g.b["j"], tuple)
    close(g.a, 2.0), close(g.b["k"][0], 1.0), close(g.b["j"][0], 2.0)
    g = tape.gradient(y, (x1, x2))
    assert isinstance(g, tuple) and len(g) == 2
    g = tape.gradient(y, x1)
    assert isinstance(g, tf.Tensor)
    g = tape.gradient(y, {"b": x2, "a": x1})
    assert set(g) == {"a", "b"}
    close(g["a"], 2.0), close(g["b"], 1.0)


def test_several_targets_sum():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y1 = x * x
        y2 = 3.0 * x
        y3 = tf.reduce_sum(x)
    close(tape.gradient([y1, y2], x), [5.0, 7.0])
    close(tape.gradient({"a": y1, "b": (y2, y3)}, x), [6.0, 8.0])


def test_non_scalar_target_is_summed():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), [[2.0, 4.0], [6.0, 8.0]])


def test_output_gradients():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = tf.reduce_sum(x) * 2.0
    close(tape.gradient(y, x, output_gradients=tf.constant([10.0, 100.0])), [20.0, 400.0])
    close(tape.gradient([y, z], x, output_gradients=[tf.constant([1.0, 0.0]), 3.0]), [8.0, 6.0])
    close(tape.gradient([y, z], x, output_gradients=[None, 1.0]), [4.0, 6.0])  # None: ones
    with pytest.raises(ValueError):
        tape.gradient([y, z], x, output_gradients=[1.0])


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = tf.sin(y) + y
    close(tape.gradient(z, [y, x]), [np.cos(4.0) + 1, (np.cos(4.0) + 1) * 4.0], tol=1e-5)


def test_gradient_of_the_source_itself_and_of_a_repeated_source():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = 2.0 * x
    close(tape.gradient(x, x), [1.0, 1.0])
    g1, g2 = tape.gradient(y, [x, x])
    close(g1, [2.0, 2.0]), close(g2, [2.0, 2.0])


# --------------------------------------------------------------------------- unconnected and non-float

@pytest.mark.parametrize("mode", [tf.UnconnectedGradients.ZERO, "zero", "ZERO"])
def test_unconnected_zero(mode):
    x = tf.constant(1.0)
    u = tf.Variable([[1.0, 2.0]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    gx, gu = tape.gradient(y, [x, u], unconnected_gradients=mode)
    close(gx, 2.0)
    assert gu.dtype == tf.float64 and gu.shape == (1, 2)
    np.testing.assert_array_equal(gu.numpy(), [[0.0, 0.0]])


@pytest.mark.parametrize("mode", [tf.UnconnectedGradients.NONE, "none", None])
def test_unconnected_none(mode):
    x, u = tf.constant(1.0), tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    kwargs = {} if mode is None else {"unconnected_gradients": mode}
    assert tape.gradient(y, [x, u], **kwargs)[1] is None


def test_unconnected_bad_value():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="zero|ZERO"):
        tape.gradient(y, x, unconnected_gradients="sometimes")


def test_unconnected_gradients_enum():
    assert tf.UnconnectedGradients.NONE.value == "none"
    assert tf.UnconnectedGradients.ZERO.value == "zero"
    assert tf.UnconnectedGradients("zero") is tf.UnconnectedGradients.ZERO


def test_non_float_source_gives_none_and_a_warning_saying_why():
    x = tf.constant(2)
    f = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(f)
        y = f * tf.cast(x, tf.float32)
    with pytest.warns(UserWarning, match="floating.*int32|int32.*floating"):
        gx, gf = tape.gradient(y, [x, f])
    assert gx is None
    close(gf, 2.0)


def test_integer_output_has_no_gradient():
    x = tf.constant(2.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        k = tf.cast(x, tf.int32) * 2
    assert tape.gradient(k, x) is None


def test_unconnected_through_an_integer_path_is_zero_on_request():
    x = tf.constant(2.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    close(tape.gradient(y, x), 2.0)


@pytest.mark.parametrize("bad", [1.0, "x", [1.0]])
def test_non_tensor_source_raises(bad):
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises((TypeError, ValueError)):
        tape.gradient(y, bad)


def test_none_target_raises():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
    with pytest.raises((TypeError, ValueError)):
        tape.gradient(None, x)


# --------------------------------------------------------------------------- recording control

def test_stop_recording():
    x = tf.constant(4.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x ** 2
        z = x * 3.0 + y
    assert tape.gradient(y, x) is None
    close(tape.gradient(z, x), 3.0)


def test_stop_recording_only_pauses_that_tape():
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            with inner.stop_recording():
                y = x * x
    assert inner.gradient(y, x) is None
    close(outer.gradient(y, x), 4.0)


def test_stop_recording_outside_the_context_raises():
    tape = tf.GradientTape()
    with pytest.raises((RuntimeError, ValueError)):
        with tape.stop_recording():
            pass


def test_reset_inside_the_context():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = x * x
        tape.reset()
        tape.watch(x)
        loss2 = x * 10.0
        total = loss + loss2
    # Only what was recorded after reset() is differentiated (TensorFlow's example in reset's docstring).
    close(tape.gradient(total, x), 10.0)


def test_reset_forgets_watched_variables():
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = v * 2.0
        tape.reset()
        z = y * 1.0
    assert tape.watched_variables() == ()
    assert tape.gradient(z, v) is None


def test_reset_outside_the_context_raises():
    tape = tf.GradientTape()
    with pytest.raises(ValueError, match="not recording"):
        tape.reset()


def test_a_used_non_persistent_tape_can_be_entered_again():
    # TensorFlow's _push_tape starts a fresh tape when the old one was consumed by gradient()
    x = tf.constant(2.0)
    tape = tf.GradientTape()
    with tape:
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), 4.0)
    with tape:
        tape.watch(x)
        z = x * x * x
    close(tape.gradient(z, x), 12.0)
    with pytest.raises(RuntimeError):
        tape.gradient(z, x)


def test_entering_a_tape_twice_at_once_raises():
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError):
            tape.__enter__()


def test_persistent_tape_reentered_records_more():
    x = tf.constant(2.0)
    tape = tf.GradientTape(persistent=True)
    with tape:
        tape.watch(x)
        y = x * x
    with tape:
        z = y * x
    close(tape.gradient(z, x), 12.0)


# --------------------------------------------------------------------------- persistent and non-persistent

def test_non_persistent_second_gradient_raises_runtime_error():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_persistent_tape_allows_many_gradient_calls():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, x), 108.0)
    close(tape.gradient(y, x), 6.0)
    close(tape.gradient(z, y), 18.0)
    close(tape.gradient(z, x), 108.0)
    del tape


def test_non_persistent_gradient_inside_the_context_stops_recording():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        g = tape.gradient(y, x)
        z = y * 2.0  # not recorded any more, and no error
    close(g, 6.0)
    close(z, 18.0)


def test_persistent_gradient_inside_the_context_records_and_warns():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
        with pytest.warns(UserWarning, match="persistent"):
            dy = tape.gradient(y, x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # TensorFlow logs this once per tape
            dy2 = tape.gradient(y, x)
    close(dy, 27.0), close(dy2, 27.0)
    close(tape.gradient(dy, x), 18.0)  # the gradient computation was recorded: second derivative


# --------------------------------------------------------------------------- higher order

def test_nested_tapes_second_and_third_derivatives():
    x = tf.constant(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x ** 3 + tf.sin(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    close(d1, 12.0 + np.cos(2.0), 1e-5)
    close(d2, 12.0 - np.sin(2.0), 1e-5)
    close(d3, 6.0 - np.cos(2.0), 1e-5)


def test_second_derivative_with_variables_and_matrices():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    x = tf.constant([[1.0], [-1.0]])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.tanh(w @ x))
        g = inner.gradient(y, w)
        s = tf.reduce_sum(g * g)
    h = outer.gradient(s, w)
    # check against central differences in float64
    def s_of(wv):
        z = wv @ np.array([[1.0], [-1.0]])
        gg = (1 - np.tanh(z) ** 2) @ np.array([[1.0, -1.0]])
        return np.sum(gg * gg)
    w0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    fd = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            e = np.zeros((2, 2))
            e[i, j] = 1e-6
            fd[i, j] = (s_of(w0 + e) - s_of(w0 - e)) / 2e-6
    np.testing.assert_allclose(h.numpy(), fd, rtol=1e-3, atol=1e-4)


def test_hessian_vector_product_with_persistent_outer_tape():
    x = tf.constant([1.0, 2.0])
    v = tf.constant([0.5, -1.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x ** 3)
        g = inner.gradient(y, x)
        gv = tf.reduce_sum(g * v)
    close(outer.gradient(gv, x), [6.0 * 1.0 * 0.5, 6.0 * 2.0 * -1.0])


# --------------------------------------------------------------------------- which tapes record what

def test_an_op_is_recorded_only_on_tapes_that_watch_one_of_its_inputs():
    x, y = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tx, tf.GradientTape(persistent=True) as ty:
        tx.watch(x)
        ty.watch(y)
        wx = x * 3.0  # recorded on tx only
        wy = y * 5.0  # recorded on ty only
        a = wy * 2.0  # ty only
        b = a * x  # both: a is watched by ty, x by tx
        z = x * y  # both
    assert tx.gradient(wy, y) is None and ty.gradient(wx, x) is None
    close(tx.gradient(wx, x), 3.0), close(ty.gradient(wy, y), 5.0)
    assert tx.gradient(b, y) is None  # tx never saw how a came from y
    close(ty.gradient(b, y), 10.0)
    close(tx.gradient(b, x), 20.0)
    # As in TensorFlow (2.21 gives [2.0, None]): a source the tape does not watch has no gradient, even when a
    # recorded op (recorded because of x) uses it.
    gz = tx.gradient(z, [x, y])
    close(gz[0], 2.0)
    assert gz[1] is None
    gz = ty.gradient(z, [x, y])
    assert gz[0] is None
    close(gz[1], 1.0)


def test_outputs_of_recorded_ops_are_watched():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = x * 2.0
        b = a * a  # recorded because a is watched
    close(tape.gradient(b, x), 8.0)


def test_ops_before_the_tape_are_not_recorded():
    x = tf.constant(2.0)
    a = x * x
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = a * x
    close(tape.gradient(y, x), 4.0)


def test_stop_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * tf.stop_gradient(x * x)
    close(tape.gradient(y, x), 9.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stop_gradient(x)
    assert tape.gradient(y, x) is None


def test_broadcasting_gradients_are_summed_to_the_input_shape():
    a = tf.constant([[1.0], [2.0], [3.0]])
    b = tf.constant([10.0, 20.0])
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert ga.shape == (3, 1) and gb.shape == (2,)
    close(ga, [[30.0], [30.0], [30.0]]), close(gb, [6.0, 6.0])


def test_gradient_dtypes_follow_the_source():
    for dtype in (tf.float16, tf.float32, tf.float64):
        x = tf.constant([1.0, 2.0], dtype=dtype)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x * x)
        g = tape.gradient(y, x)
        assert g.dtype == dtype
        close(g, [2.0, 4.0])


def test_seed_gradient_calls():
    x = tf.Variable(20.0, name="hours_worked")
    with tf.GradientTape() as tape:
        result = 0.25 * x ** 2 + 500
    assert str(tape.gradient(result, x)) == "tf.Tensor(10.0, shape=(), dtype=float32)"
