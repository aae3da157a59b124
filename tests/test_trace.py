"""`tape.trace()`: the ops a tape recorded with their values, and the backward pass step by step, checked
against `tape.gradient` on the seed's three functions and on shapes that broadcast."""

import json

import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core.primitive import Primitive, apply
from tapegrad._trace import TapeTrace


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


# --- the seed's three functions ---------------------------------------------------------------------------------


def test_seed_linear_price():
    x = tf.Variable(800.0)
    with tf.GradientTape() as tape:
        price = 2 * x + 500
    tr = tape.trace(price, x)
    assert [(s.call, s.values) for s in tr.steps] == [("t1 = Mul(2, x)", ["1600"]), ("t2 = AddV2(t1, 500)", ["2100"])]
    assert tr.steps[-1].is_target and tr.target == "price"
    assert [(label, float(g)) for label, _, g in tr.steps[1].grads] == [("t1", 1.0)]
    assert [(label, float(g)) for label, _, g in tr.steps[0].grads] == [("x", 2.0)]  # Mul(2, x) hands x 2
    text = str(tr)
    assert text.endswith("result: dprice/dx = 2")
    assert float(tr.gradients["x"]) == float(tape.gradient(price, x)) == 2.0  # a non-persistent tape: not consumed


def test_seed_quadratic_earnings_forward_values_and_backward_cotangents():
    x = tf.Variable(20.0, name="hours_worked")
    with tf.GradientTape(persistent=True) as tape:
        result = 0.25 * x**2 + 500
    tr = tape.trace(result, x)
    pw, mul, add = tr.steps
    assert (pw.op, pw.inputs, pw.values, pw.signatures) == ("Pow", ["hours_worked", "2"], ["400"], ["() float32"])
    assert (mul.inputs, mul.values) == (["0.25", "t1"], ["100"])
    assert (add.inputs, add.values, add.is_target) == (["t2", "500"], ["600"], True)
    # the cotangent flowing into each op's output, and what each hands to its inputs
    assert [float(s.cotangents[0]) for s in (add, mul, pw)] == [1.0, 1.0, 0.25]
    assert [(label, float(g)) for label, _, g in pw.grads] == [("hours_worked", 10.0)]
    close(tr.gradients["hours_worked"], tape.gradient(result, x))
    text = str(tr)
    forward, backward = text.split("\nbackward")
    assert "t1 = Pow(hours_worked, 2)" in forward and "= 600    <- result" in forward
    assert "dresult/dt1 = 0.25" in backward and "->  hours_worked += 10" in backward


def test_seed_two_variables_every_step_matches_the_engine():
    x = tf.Variable(25.0, name="hours_worked")
    y = tf.Variable(6.0, name="compliments_given")
    with tf.GradientTape(persistent=True) as tape:
        result = (0.25 * x**2 + 500) + 50 * tf.math.log(y + 1)
    tr = tape.trace(result, [x, y])
    assert [s.op for s in tr.steps] == ["Pow", "Mul", "AddV2", "AddV2", "Log", "Mul", "AddV2"]
    assert tr.steps[4].values == ["1.9459102"] and tr.steps[3].inputs == ["compliments_given", "1"]
    gx, gy = tape.gradient(result, [x, y])
    close(tr.gradients["hours_worked"], gx)
    close(tr.gradients["compliments_given"], gy)
    assert str(tr).endswith("result: dresult/dhours_worked = 12.5\nresult: dresult/dcompliments_given = 7.1428576")
    # the log step: d result / d log = 50 flows in, 50 / 7 flows out to y + 1
    log = tr.steps[4]
    assert float(log.cotangents[0]) == 50.0
    assert float(log.grads[0][2]) == pytest.approx(50 / 7)


# --- shapes, broadcasting, labels -------------------------------------------------------------------------------


def test_broadcast_gradients_are_summed_as_the_engine_sums_them():
    w = tf.Variable([[1.0, 2.0, 3.0]])  # (1, 3): broadcast against (4, 3)
    b = tf.Variable(0.5)
    data = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean(tf.square(data * w + b))
    tr = tape.trace()  # forward only
    assert tr.target is None and "backward" not in str(tr)
    tr = tr.backward(loss, [w, b])
    gw, gb = tape.gradient(loss, [w, b])
    close(tr.gradients["w"], gw)
    close(tr.gradients["b"], gb)
    first = tr.steps[0]
    assert first.inputs == ["<(4, 3) float32>", "w"]  # a large constant is summarized, the variable named
    assert first.signatures == ["(4, 3) float32"] and first.values[0].startswith("<min 0, max 33, mean")
    handed = dict((label, g) for label, _, g in first.grads)
    assert tuple(handed["w"].shape) == (1, 3)  # unbroadcast to the variable's shape


def test_watched_tensors_take_the_callers_names_and_explicit_names_win():
    a = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(a)
        out = tf.reduce_sum(a * a)
    assert tape.trace().sources[0].label == "a"
    tr = tape.trace(out, a, names={"inputs": a, "f": out})
    assert tr.target == "f" and tr.steps[0].inputs == ["inputs", "inputs"]
    assert str(tr).endswith("result: df/dinputs = [2 4]")


def test_multi_output_ops_label_each_output():
    a = tf.Variable([[2.0, 1.0], [1.0, 3.0]], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        e, v = tf.linalg.eigh(a)
        loss = tf.reduce_sum(e)
    tr = tape.trace(loss, a)
    assert tr.steps[0].outputs == ["t1", "t2"] and tr.steps[1].inputs[0] == "t1"
    g1, g2 = tr.steps[0].cotangents
    assert g2 is None and np.allclose(g1.numpy(), [1.0, 1.0])  # the eigenvectors are off the path
    close(tr.gradients["a"], tape.gradient(loss, a))


def test_as_dict_is_plain_json_and_the_explorer_can_draw_it():
    x = tf.Variable(3.0, name="x")
    with tf.GradientTape() as tape:
        y = x * x + 1.0
    data = tape.trace(y, x).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["gradients"] == {"x": "6"}
    assert [s["outputs"] for s in data["steps"]] == [["t1"], ["t2"]]
    assert data["steps"][0]["grads"] == [["x", "3"], ["x", "3"]] and data["steps"][1]["cotangents"] == ["1"]


# --- what the tape did not record, and tapes that cannot be traced ---------------------------------------------


def test_ops_with_no_gradient_and_numpy_conversions_are_noted_in_place():
    w = tf.Variable([0.4, 1.6], name="w")
    with tf.GradientTape() as tape:
        h = w * 2.0
        r = tf.round(h)
        _ = h.numpy()
        loss = tf.reduce_sum(r + w)
    text = str(tape.trace(loss, w))
    lines = text.splitlines()
    cut = next(i for i, line in enumerate(lines) if "not recorded: Round(t1) at test_trace.py:" in line)
    assert "t1 = Mul(w, 2)" in lines[cut - 1] and "Round has no gradient" in lines[cut]
    assert "left the tape: t1 converted to NumPy by .numpy() at test_trace.py:" in text
    assert text.endswith("result: dloss/dw = [1 1]")  # through `+ w` only


def test_target_that_does_not_depend_on_the_sources():
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = tf.constant(3.0) * 2.0
    text = str(tape.trace(loss, w))
    assert "recorded no ops" not in text and "(none: no op ran on a tensor the tape watched)" in text
    assert "it does not depend on the sources" in text and text.endswith("dloss/dw = None (tape.explain(loss, "
                                                                         "sources) says why)")


def test_an_op_without_a_gradient_rule_is_reported_not_raised():
    prim = Primitive("NoRuleOp", lambda xp, x: x * 2)  # differentiable, but no VJP rule (not registered)
    x = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        y = apply(prim, (tf.convert_to_tensor(x),)) + 1.0
    tr = tape.trace(y, x)
    assert "No gradient defined for operation 'NoRuleOp'" in tr.error
    assert "backward: cannot run: No gradient defined" in str(tr)
    with pytest.raises(LookupError):
        tape.gradient(y, x)


def test_a_spent_non_persistent_tape_cannot_be_traced():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert isinstance(tape.trace(y, x), TapeTrace)  # before gradient(): fine, and the tape still works
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="before tape.gradient"):
        tape.trace()


def test_tracing_records_nothing_on_an_outer_tape():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        before = len(outer._entries)
        inner.trace(y, x)
        assert len(outer._entries) == before
        g = inner.gradient(y, x)
    assert float(outer.gradient(g, x)) == 12.0  # the second derivative still works


@pytest.mark.parametrize("module", ["tapegrad._diagnose", "tapegrad._trace", "tapegrad._explain", "tapegrad._numerics",
                                    "tapegrad._core.tape"])
def test_the_docstring_examples_run(module):
    import doctest
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
