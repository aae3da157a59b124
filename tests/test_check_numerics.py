"""`tf.debugging.enable_check_numerics()`: the first op whose output holds NaN or inf raises, forward or
backward, naming the op, its inputs and the user's line; off, the op path never calls into the check."""

import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tf
from tapegrad import _numerics
from tapegrad._core import tape as _tape

HERE = Path(__file__).name


def next_line() -> str:
    """'test_check_numerics.py:N' for the line after the caller's."""
    return f"{HERE}:{sys._getframe(1).f_lineno + 1}"


@pytest.fixture
def checking():
    before = _tape._active[0]
    tf.debugging.enable_check_numerics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own divide-by-zero warnings
        yield
    tf.debugging.disable_check_numerics()
    assert _tape._active[0] == before and _tape.check_op is None


# --- forward ----------------------------------------------------------------------------------------------------


def test_log_of_zero(checking):
    x = tf.constant([1.0, 0.0])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        line = next_line()
        tf.math.log(x)
    e = info.value
    assert e.op == "Log" and isinstance(e, ValueError)
    msg = str(e)
    assert msg.startswith("check_numerics: Log produced 1 -inf (of 2 values) in output 0 ((2,) float32) [Op:Log]")
    assert "inputs: #0 (2,) float32" in msg
    assert f"at {line} (in test_log_of_zero): `tf.math.log(x)`" in msg


def test_zero_over_zero_inside_a_tape(checking):
    w = tf.Variable(0.0)
    with tf.GradientTape():
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            line = next_line()
            w / w
    assert info.value.op == "RealDiv"
    assert "RealDiv produced 1 NaN (of 1 value)" in str(info.value)
    assert "inputs: #0 () float32, #1 () float32" in str(info.value) and line in str(info.value)


def test_ops_with_no_gradient_are_checked_too(checking):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"FloorDiv produced 1 \+inf") as info:
        tf.math.floordiv(tf.constant(1.0), tf.constant(0.0))
    assert info.value.op == "FloorDiv"


def test_finite_values_pass_and_integers_are_not_checked(checking):
    x = tf.Variable([1.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sqrt(x))
    assert np.allclose(tape.gradient(y, x).numpy(), [0.5, 0.25])
    assert int(tf.constant(7) // tf.constant(2)) == 3


# --- backward ---------------------------------------------------------------------------------------------------


def test_sqrt_at_zero_names_the_forward_op_and_both_lines(checking):
    x = tf.Variable([4.0, 0.0])
    with tf.GradientTape() as tape:
        # finite: sqrt(0) = 0; its gradient 1 / (2 sqrt(0)) is not
        recorded = next_line()
        y = tf.sqrt(x)
        loss = tf.reduce_sum(y)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        called = next_line()
        tape.gradient(loss, x)
    e = info.value
    assert e.op == "Sqrt"
    msg = str(e)
    assert msg.startswith("check_numerics: the gradient of Sqrt holds 1 +inf (of 2 values)")
    assert "Sqrt's inputs: #0 (2,) float32" in msg
    assert f"Sqrt was recorded at {recorded} (in test_sqrt_at_zero_names_the_forward_op_and_both_lines): " \
           "`y = tf.sqrt(x)`" in msg
    assert f"the gradient was computed at {called}" in msg


def test_a_custom_gradient_producing_nan(checking):
    @tf.custom_gradient
    def clipped(v):
        def grad(dy):  # a broken gradient function
            return dy * float("nan")
        return tf.identity(v), grad

    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        recorded = next_line()
        y = clipped(x * 2.0)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        called = next_line()
        tape.gradient(y, x)
    msg = str(info.value)
    assert info.value.op == "clipped"
    assert msg.startswith("check_numerics: the gradient of clipped holds 2 NaN (of 2 values) (Mul in its gradient "
                          "rule produced it)")
    assert f"clipped was recorded at {recorded}" in msg and f"the gradient was computed at {called}" in msg
    assert "the bad value came from test_check_numerics.py:" in msg and "(in grad): `return dy * float(\"nan\")`" in msg


# --- off: nothing --------------------------------------------------------------------------------------------------


def test_off_the_op_path_never_calls_the_check(monkeypatch):
    calls = []
    monkeypatch.setattr(_numerics, "_check", lambda prim, args, out: calls.append(prim.name))
    assert _tape.check_op is None and not _numerics.is_check_numerics_enabled()
    x = tf.Variable([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(2):
            tf.math.log(tf.constant([0.0]))  # the no-tape path
            with tf.GradientTape() as tape:  # the recording path, forward and backward
                y = tf.reduce_sum(tf.sqrt(x)) + tf.reduce_sum(tf.floor(x))
            tape.gradient(y, x)
            assert calls == []
            tf.debugging.enable_check_numerics()  # the same program, now checked: the monkeypatch sees it
            try:
                tf.math.log(tf.constant([1.0]))
            finally:
                tf.debugging.disable_check_numerics()
            assert calls == ["Log"]
            calls.clear()


def test_enable_is_idempotent_and_disable_turns_it_off():
    before = _tape._active[0]
    tf.debugging.enable_check_numerics()
    tf.debugging.enable_check_numerics()
    assert _tape._active[0] == before + 1 and _numerics.is_check_numerics_enabled()
    tf.debugging.disable_check_numerics()
    tf.debugging.disable_check_numerics()
    assert _tape._active[0] == before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isneginf(float(tf.math.log(tf.constant(0.0))))


def test_it_covers_other_threads(checking):
    errors = []

    def work():
        try:
            tf.math.log(tf.constant(-1.0))
        except tf.errors.InvalidArgumentError as e:
            errors.append(e.op)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert errors == ["Log"]


def test_trace_and_explain_show_non_finite_values_instead_of_raising(checking):
    x = tf.Variable(0.0, name="x")
    with tf.GradientTape(persistent=True) as tape:
        y = tf.sqrt(x)
    assert str(tape.trace(y, x)).endswith("result: dy/dx = inf")
    assert tape.explain(y, x)[0].has_gradient
