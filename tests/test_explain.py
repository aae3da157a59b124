"""`tape.explain(target, sources)`: why each source gets a gradient or None, one realistic program per reason
(TensorFlow's most common support question), and the answer checked against `tape.gradient`."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core.primitive import Primitive, apply, defvjp
from tapegrad._explain import REASONS, Explanation

HERE = Path(__file__).name
X = tf.constant([1.0, 2.0, 3.0])
Y = tf.constant([2.0, 4.0, 6.0])


def next_line() -> str:
    """'test_explain.py:N' for the line after the caller's."""
    return f"{HERE}:{sys._getframe(1).f_lineno + 1}"


def agrees(tape, target, sources, why: Explanation):
    """explain's verdict matches tape.gradient's (persistent tapes only)."""
    grads = tape.gradient(target, sources)
    assert [g is not None for g in grads] == [w.has_gradient for w in why]


# --- flows ------------------------------------------------------------------------------------------------------


def test_a_gradient_that_flows_is_said_to_flow():
    w, b = tf.Variable(0.5, name="w"), tf.Variable(0.0, name="b")
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean((w * X + b - Y) ** 2)
    why = tape.explain(loss, [w, b])
    assert why.reasons == ["flows", "flows"] and why["w"].has_gradient
    assert why["w"].message == "5 recorded ops lead from w to loss"
    assert str(why).splitlines()[0] == "Why tape.gradient(loss, ...) gives what it gives, source by source:"
    agrees(tape, loss, [w, b], why)


# --- the source itself: never watched, dtype, trainable=False ---------------------------------------------------


def test_never_watched_constant():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    why = tape.explain(y, x)[0]
    assert (why.name, why.reason, why.has_gradient) == ("x", "not_watched", False)
    assert "x is a tf.Tensor the tape never watched" in why.message and "tape.watch(x)" in why.message
    assert tape.gradient(y, x) is None


def test_integer_dtype():
    steps = tf.Variable(3)  # an int32 variable: TensorFlow users hit this with tf.Variable(0)
    count = tf.constant([1, 2])
    with tf.GradientTape() as tape:
        loss = tf.cast(steps, tf.float32) * 2.0
    why = tape.explain(loss, [steps, count])
    assert why.reasons == ["not_float", "not_float"]
    assert why["steps"].message.startswith("steps has dtype int32: gradients flow only to floating-point")
    assert "tf.cast(count, tf.float32)" in why["count"].message


def test_trainable_false_variable():
    scale = tf.Variable(2.0, trainable=False)
    w = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        loss = scale * w
    why = tape.explain(loss, [scale, w])
    assert why.reasons == ["not_trainable", "flows"]
    assert "scale is a tf.Variable created with trainable=False" in why["scale"].message
    agrees(tape, loss, [scale, w], why)


def test_variable_never_read_inside_the_block_and_watch_accessed_variables_false():
    w = tf.Variable(2.0)
    scaled = w * 3.0  # computed before the tape: a constant to it
    with tf.GradientTape() as tape:
        loss = scaled**2
    why = tape.explain(loss, w)[0]
    assert why.reason == "not_watched" and "w was never read while the tape was recording" in why.message
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        loss = w * 2.0
    why = tape.explain(loss, w)[0]
    assert why.reason == "not_watched" and "watch_accessed_variables=False" in why.message


def test_not_a_tensor():
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = w * 2.0
    why = tape.explain(loss, [w.numpy(), w])
    assert why.reasons == ["not_a_tensor", "flows"]
    assert why[0].message.startswith("sources[0] is a float32, not a tf.Tensor or tf.Variable")


# --- no recorded path -------------------------------------------------------------------------------------------


def test_no_path_names_the_last_recorded_use():
    encoder = tf.Variable([[1.0], [2.0], [3.0]])
    head = tf.Variable(0.5)
    with tf.GradientTape(persistent=True) as tape:
        features = tf.matmul(X[None, :], encoder)
        unused = tf.nn.relu(features)
        loss = head * 2.0  # the loss forgot the features
    why = tape.explain(loss, [encoder, head])
    assert why.reasons == ["no_path", "flows"]
    msg = why["encoder"].message
    assert "nothing the tape recorded connects encoder to loss" in msg
    assert "the ops computed from encoder end at t2 = Relu(t1)" in msg and "last direct use: t1 = MatMul(" in msg
    assert why["encoder"].op == "Relu"
    agrees(tape, loss, [encoder, head], why)
    del unused


def test_watch_called_after_the_computation():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        y = x**2
        tape.watch(x)
    why = tape.explain(y, x)[0]
    assert why.reason == "no_path" and "call tape.watch first" in why.message


def test_target_computed_outside_the_with_block():
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        pred = w * X
    loss = tf.reduce_sum(pred)  # after the block: not recorded
    why = tape.explain(loss, w)[0]
    assert why.reason == "outside_tape"
    assert why.message.startswith("loss was computed after the `with tf.GradientTape()` block ended")
    assert tape.gradient(loss, w) is None


def test_bad_target():
    w = tf.Variable(1.5)
    with tf.GradientTape() as tape:
        w * 2.0
    why = tape.explain(None, w)[0]
    assert why.reason == "bad_target" and "the target is None" in why.message


# --- the path cut: NumPy, an op with no gradient ---------------------------------------------------------------


def test_numpy_conversion_names_the_line_where_the_tensor_left_the_tape():
    w = tf.Variable(0.5, name="w")
    b = tf.Variable(0.0, name="b")
    with tf.GradientTape(persistent=True) as tape:
        pred = w * X + b
        line = next_line()
        err = np.square(pred.numpy() - Y.numpy())
        loss = tf.reduce_mean(tf.constant(err))
    why = tape.explain(loss, [w, b])
    assert why.reasons == ["to_numpy", "to_numpy"]
    msg = why["w"].message
    assert msg.startswith("the path from w leaves the tape where pred (t2 on the tape, computed from w) is "
                          "converted to NumPy by .numpy(), at " + line)
    assert "`err = np.square(pred.numpy() - Y.numpy())`" in msg
    assert str(why["w"].where) == line
    agrees(tape, loss, [w, b], why)


@pytest.mark.parametrize("way, how", [
    ("np.exp", "NumPy (np.asarray, np.exp, ...)"), ("float", "float()"),
    ("np.asarray", "NumPy (np.asarray, np.exp, ...)"),
])
def test_every_way_out_to_numpy_is_caught(way, how):
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        h = w * 2.0
        s = tf.reduce_sum(h)
        line = next_line()
        value = np.exp(h) if way == "np.exp" else float(s) if way == "float" else np.asarray(h).tolist()
        loss = tf.reduce_sum(tf.constant(value, tf.float32))
    why = tape.explain(loss, w)[0]
    assert why.reason == "to_numpy" and f"by {how}, at {line}" in why.message


def test_a_variable_converted_before_any_op_used_it():
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        line = next_line()
        loss = tf.constant(np.exp(w.numpy()))
    why = tape.explain(loss, w)[0]
    assert why.reason == "to_numpy" and why.message.startswith(
        f"w never reached the tape as a tensor: it was converted to NumPy by .numpy(), at {line}")


def test_printing_and_logging_inside_the_tape_are_not_escapes(capsys):
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = w * 3.0
        print(loss, f"{loss:.2f}", repr(loss))
        tf.print(loss)
        unrelated = w + 1.0
        float(unrelated)  # converted, but the loss does not come from it
    why = tape.explain(loss, w)[0]
    assert why.reason == "flows"
    from tapegrad._diagnose import notes

    assert [e.how for e in notes(tape).escapes] == ["float()"]  # print, format, repr and tf.print are not noted
    capsys.readouterr()


@pytest.mark.parametrize("program, op, certain", [
    ("round", "Round", True), ("stop_gradient", "StopGradient", True), ("argmax", "ArgMax", False),
    ("cast", "Cast", False),
])
def test_an_op_with_no_gradient_on_the_path_is_named(program, op, certain):
    w = tf.Variable([0.3, 1.7], name="w")
    v = tf.Variable([1.0, 1.0], name="v")
    with tf.GradientTape(persistent=True) as tape:
        logits = w * 2.0
        fn = {"round": tf.round, "argmax": tf.argmax, "stop_gradient": tf.stop_gradient}.get(program)
        line = next_line()
        cut = tf.cast(logits, tf.int32) if fn is None else fn(logits)
        if certain:  # the cut's output goes straight into a recorded op that leads to the loss
            loss = tf.reduce_sum(cut * v)
        else:  # it goes through an unrecorded cast back to float first: the link is inferred
            loss = tf.reduce_sum(tf.cast(cut, tf.float32) * v)
    why = tape.explain(loss, [w, v])
    assert why.reasons == ["no_gradient_op", "flows"]
    w_why = why["w"]
    assert w_why.op == op and str(w_why.where) == line
    assert f"the path from w goes through {op}(t1) at {line}" in w_why.message
    assert ("and loss was computed from its output" if certain else
            "and nothing the tape recorded leads from w to loss otherwise") in w_why.message
    agrees(tape, loss, [w, v], why)


def test_round_on_the_only_path():
    w = tf.Variable(0.6)
    with tf.GradientTape() as tape:
        line = next_line()
        q = tf.round(w * 10.0)
        loss = q * q
    why = tape.explain(loss, w)[0]
    assert (why.reason, why.op, str(why.where)) == ("no_gradient_op", "Round", line)
    assert "which has no gradient" in why.message and tape.gradient(loss, w) is None


def test_an_op_without_a_gradient_rule_and_one_that_drops_an_input():
    no_rule = Primitive("NoRuleOp", lambda xp, x: x * 2)
    drops = Primitive("DropsSecond", lambda xp, x, y: x + y)
    defvjp(drops, lambda g, ans, x, y: g, None)
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        s = apply(drops, (tf.convert_to_tensor(a), tf.convert_to_tensor(b)))
        loss = s * 3.0
    why = tape.explain(loss, [a, b])
    assert why.reasons == ["flows", "no_gradient_op"]
    assert why["b"].message == "every path from b to loss is stopped: t1 = DropsSecond(a, b) gives no gradient " \
                               "for its input #1 (b)"
    agrees(tape, loss, [a, b], why)
    with tf.GradientTape() as tape:
        loss = apply(no_rule, (tf.convert_to_tensor(a),)) * 1.0
    why = tape.explain(loss, a)[0]
    assert why.reason == "no_gradient_op" and why.op == "NoRuleOp" and "raises LookupError" in why.message


# --- a variable shadowed by a tensor ----------------------------------------------------------------------------


def test_variable_shadowed_by_a_tensor_in_a_training_loop():
    w = tf.Variable(1.0)
    answers = []
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((w * X - Y) ** 2)
        answers.append(tape.explain(loss, w)[0])
        g = tape.gradient(loss, w)
        if g is None:
            break
        line = next_line()
        w = w - 0.01 * g  # the bug: w is now a tf.Tensor
    first, second = answers
    assert first.reason == "flows"
    assert second.reason == "shadowed" and str(second.where) == line
    assert second.message.startswith(f"w is a tf.Tensor, not the tf.Variable it was: `w = w - 0.01 * g` at {line} "
                                     "rebinds the name w")
    assert second.message.endswith("Update the variable in place instead: w.assign_sub(0.01 * g).")


def test_augmented_assignment_is_found_too():
    w = tf.Variable(1.0)
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = w * 3.0
        why = tape.explain(loss, w)[0]
        w -= 0.1 * tape.gradient(loss, w) if why.has_gradient else 0.0
    assert why.reason == "shadowed" and why.message.endswith("w.assign_sub(0.1 * tape.gradient(loss, w) if "
                                                             "why.has_gradient else 0.0).")


# --- tapes ------------------------------------------------------------------------------------------------------


def test_non_persistent_tape_before_and_after_gradient():
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = w * w
    assert tape.explain(loss, w)[0].has_gradient
    assert float(tape.gradient(loss, w)) == 2.0  # explain did not consume the tape
    with pytest.raises(RuntimeError, match="call tape.explain"):
        tape.explain(loss, w)


def test_report_api():
    w, c = tf.Variable(1.0, name="w"), tf.constant(1.0)
    with tf.GradientTape() as tape:
        loss = w * c
    why = tape.explain(loss, {"a": w, "b": c})
    assert len(why) == 2 and [s.name for s in why] == ["w", "c"] and why[1] is why["c"]
    assert set(REASONS) >= set(why.reasons)
    with pytest.raises(KeyError, match="the sources: w, c"):
        why["nope"]
    assert repr(why) == "<Explanation of dloss: w=flows, c=not_watched>"
    assert str(why).splitlines()[2].startswith("  c: None (not_watched): c is a tf.Tensor")


# --- tapegrad explore -------------------------------------------------------------------------------------------


def test_tapegrad_explore_says_why_a_variable_gets_no_gradient(capsys):
    from tapegrad.cli import main

    assert main(["explore", "x + round(y)", "--at", "x=1", "y=2.4", "--trace"]) == 0
    out = capsys.readouterr().out
    assert ("note: tapegrad gives y no gradient (None in TensorFlow; the report shows 0): the path from y goes "
            "through Round, which has no gradient") in out
    assert "-- not recorded: Round(y)" in out and "result: df/dx = 1\nresult: df/dy = None" in out
    assert main(["explore", "x*y", "--at", "x=1", "y=2"]) == 0
    assert "note:" not in capsys.readouterr().out
