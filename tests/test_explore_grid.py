"""The explorer's numbers: values and gradients on grids (one tape, one gradient call, checked against finite
differences), points and ranges from the command line, the terminal report and the tape trace."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.explore import grid as grid_module
from tapegrad.explore.expr import parse
from tapegrad.explore.grid import (
    ExploreError,
    default_range,
    grid,
    parse_points,
    parse_ranges,
    value_and_gradient,
)
from tapegrad.explore.report import fmt, one_more_table, point_report, report
from tapegrad.explore.trace import explore_trace, trace_tape

SEED_2D = "(0.25*x**2 + 500) + 50*log(y + 1)"


# --- grids ----------------------------------------------------------------------------------------------------


def central_differences(expr, values: dict, h: float = 1e-5) -> dict:
    """df/dv at every grid point by central differences, evaluating the expression without any tape."""
    out = {}
    for name in expr.variables:
        up, down = dict(values), dict(values)
        up[name] = values[name] + h
        down[name] = values[name] - h
        with np.errstate(all="ignore"):
            out[name] = (expr.evaluate(up).numpy() - expr.evaluate(down).numpy()) / (2 * h)
    return out


@pytest.mark.parametrize("text, ranges", [
    ("0.25*x**2 + 500", {"x": (0.0, 60.0)}),
    ("sin(3*x) * exp(-x/4) + sqrt(x + 1)", {"x": (0.0, 10.0)}),
    ("x**3 / (1 + x**2) + atan2(x, 2)", {"x": (-4.0, 4.0)}),
    (SEED_2D, {"x": (0.0, 60.0), "y": (0.0, 20.0)}),
    ("x*y**2 + sin(x)*cos(y) + tanh(x - y)", {"x": (-2.0, 2.0), "y": (-1.0, 3.0)}),
    ("sigmoid(x*y) + log1p(x**2 + y**2)", {"x": (-3.0, 3.0), "y": (-3.0, 3.0)}),
])
def test_grid_gradients_match_finite_differences(text, ranges):
    expr = parse(text)
    g = grid(expr, ranges, num=41)
    if len(expr.variables) == 1:
        values = {expr.variables[0]: g.axes[expr.variables[0]]}
    else:
        mesh = np.meshgrid(*(g.axes[name] for name in expr.variables))
        values = dict(zip(expr.variables, mesh))
    assert g.values.shape == next(iter(values.values())).shape
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(g.values, expr.evaluate(values).numpy(), rtol=1e-12)
    numeric = central_differences(expr, values)
    for name in expr.variables:
        assert g.gradient[name].shape == g.values.shape
        np.testing.assert_allclose(g.gradient[name], numeric[name], rtol=1e-6, atol=1e-6)


def test_the_seed_grid_holds_the_seed_values():
    g = grid(parse(SEED_2D), {"x": (0.0, 60.0), "y": (0.0, 20.0)})
    row, col = int(np.argmin(abs(g.axes["y"] - 6))), int(np.argmin(abs(g.axes["x"] - 25)))
    assert (g.axes["x"][col], g.axes["y"][row]) == (25.0, 6.0)  # the default grid has these points exactly
    assert g.gradient["x"][row, col] == pytest.approx(12.5)
    assert g.gradient["y"][row, col] == pytest.approx(50 / 7)
    # rows follow y, columns follow x
    np.testing.assert_allclose(g.gradient["x"][0], g.axes["x"] / 2)
    np.testing.assert_allclose(g.gradient["y"][:, 0], 50 / (g.axes["y"] + 1))


class Counter:
    def __init__(self, monkeypatch, owner, name):
        self.calls = 0
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


@pytest.mark.parametrize("text, ranges", [("0.25*x**2 + 500", {"x": (0.0, 60.0)}),
                                          (SEED_2D, {"x": (0.0, 60.0), "y": (0.0, 20.0)})])
def test_a_grid_is_one_tape_one_evaluation_and_one_gradient_call(monkeypatch, text, ranges):
    from tapegrad.explore.expr import Expression

    tapes = Counter(monkeypatch, tf.GradientTape, "__init__")
    gradients = Counter(monkeypatch, tf.GradientTape, "gradient")
    evaluations = Counter(monkeypatch, Expression, "evaluate")
    g = grid(parse(text), ranges)
    assert (tapes.calls, gradients.calls, evaluations.calls) == (1, 1, 1)
    assert g.values.size >= 601


def test_the_page_and_picture_numbers_come_from_one_gradient_call_per_grid(monkeypatch, tmp_path):
    pytest.importorskip("plotly")
    from tapegrad.explore.page import page_html

    gradients = Counter(monkeypatch, tf.GradientTape, "gradient")
    page_html(parse(SEED_2D), {"x": (0.0, 60.0), "y": (0.0, 20.0)})
    assert gradients.calls == 1  # no points asked for: the grid alone
    gradients.calls = 0
    page_html(parse(SEED_2D), {"x": (0.0, 60.0), "y": (0.0, 20.0)}, [{"x": 25.0, "y": 6.0}])
    assert gradients.calls == 2  # the grid, and the exact value at the one point in the page's table


def test_grids_of_constants_and_of_unused_variables():
    g = grid(parse("3 + 0*x"), {"x": (0.0, 1.0)}, num=5)
    np.testing.assert_array_equal(g.values, np.full(5, 3.0))
    np.testing.assert_array_equal(g.gradient["x"], np.zeros(5))
    g = grid(parse("x + y - y"), {"x": (0.0, 1.0), "y": (0.0, 1.0)}, num=4)
    np.testing.assert_array_equal(g.gradient["x"], np.ones((4, 4)))
    np.testing.assert_array_equal(g.gradient["y"], np.zeros((4, 4)))


def test_grids_need_one_or_two_variables():
    with pytest.raises(ExploreError, match="has no variable"):
        grid(parse("3 + 4"), {})
    with pytest.raises(ExploreError, match="has 3: x, y, z"):
        grid(parse("x*y*z"), {"x": (0, 1), "y": (0, 1), "z": (0, 1)})


def test_non_finite_values_stay_on_the_grid_as_nan_or_inf():
    g = grid(parse("log(x)"), {"x": (-1.0, 1.0)}, num=5)
    assert np.isnan(g.values[0]) and np.isneginf(g.values[2]) and g.values[4] == 0.0


# --- points, ranges, defaults ---------------------------------------------------------------------------------


def test_points():
    one, two = parse("0.25*x**2"), parse("x*y")
    assert parse_points(one, [["20"], ["x=-1.5e1"]]) == [{"x": 20.0}, {"x": -15.0}]
    assert parse_points(two, [["x=25", "y=6"], ["y=1,x=2"]]) == [{"x": 25.0, "y": 6.0}, {"x": 2.0, "y": 1.0}]
    assert parse_points(two, []) == []


@pytest.mark.parametrize("expr, spec, message", [
    ("x*y", ["x=1"], "--at (point 1): no value for y; write e.g. x=1 y=1"),
    ("x*y", ["20"], "--at (point 1): write NAME=VALUE, as in x=20 (got '20')"),
    ("x", ["z=1"], "--at (point 1): 'x' has no variable 'z' (its variables: x)"),
    ("x", ["x=abc"], "--at (point 1) x: 'abc' is not a number"),
    ("x", ["x=1e999"], "--at (point 1) x: '1e999' is too large"),
    ("x", ["x=nan"], "--at (point 1) x: 'nan' is not a number"),
    ("x", ["x=1", "x=2"], "--at (point 1): x is given twice"),
    ("x", ["pi=1"], "--at (point 1): pi is the constant 3.14159, not a variable"),
    ("x", ["exp=1"], "--at (point 1): exp is a function, not a variable"),
    ("3", ["x=1"], "--at (point 1): '3' has no variable 'x' (its variables: none)"),
])
def test_bad_points_say_what_is_wrong(expr, spec, message):
    with pytest.raises(ExploreError) as info:
        parse_points(parse(expr), [spec])
    assert str(info.value) == message


def test_ranges():
    assert parse_ranges(parse("x*y"), ["x=0:60", "y=-1.5:2e1"]) == {"x": (0.0, 60.0), "y": (-1.5, 20.0)}


@pytest.mark.parametrize("spec, message", [
    (["x=5:1"], "--range x: the low end must be below the high end (got 5:1)"),
    (["x=1:1"], "--range x: the low end must be below the high end (got 1:1)"),
    (["x=0-60"], "--range: write NAME=LOW:HIGH, as in x=0:60 (got 'x=0-60')"),
    (["0:60"], "--range: write NAME=LOW:HIGH, as in x=0:60 (got '0:60')"),
    (["x=a:b"], "--range x: 'a' is not a number"),
    (["x=0:inf"], "--range x: 'inf' is not a number"),
    (["q=0:1"], "--range: 'x*y' has no variable 'q' (its variables: x, y)"),
    (["x=0:1", "x=0:2"], "--range: x is given twice"),
])
def test_bad_ranges_say_what_is_wrong(spec, message):
    with pytest.raises(ExploreError) as info:
        parse_ranges(parse("x*y"), spec)
    assert str(info.value) == message


@pytest.mark.parametrize("values, expected", [
    ([], (-5.0, 5.0)), ([10.0, 40.0], (0.0, 55.0)), ([20.0], (0.0, 40.0)), ([0.0], (0.0, 1.0)),
    ([-3.0], (-6.0, 0.0)), ([-10.0, 10.0], (-20.0, 20.0)), ([800.0], (0.0, 1600.0)), ([0.25], (0.0, 1.25)),
])
def test_default_ranges(values, expected):
    assert default_range(values) == expected
    low, high = default_range(values)
    assert all(low <= v <= high for v in values) and low < high


# --- the terminal report --------------------------------------------------------------------------------------


def test_the_seed_table_ted_and_todd():
    table = one_more_table(parse("0.25*x**2 + 500"), [10.0, 40.0])
    rows = [line.split() for line in table.splitlines()[2:]]
    assert rows == [["10", "525", "530.25", "5.25", "5"], ["40", "900", "920.25", "20.25", "20"]]


def test_the_change_approaches_the_derivative_for_smaller_steps():
    # the table's point: f(x+1) - f(x) is close to f'(x), and the gap is the 0.25 of the square's second term
    expr = parse("0.25*x**2 + 500")
    for x in (10.0, 40.0):
        at = value_and_gradient(expr, {"x": x})
        after = value_and_gradient(expr, {"x": x + 1})
        assert after.value - at.value - at.gradient["x"] == pytest.approx(0.25)


def test_point_report_for_two_variables_has_vector_length_and_direction():
    expr = parse(SEED_2D)
    text = point_report(expr, value_and_gradient(expr, {"x": 25.0, "y": 6.0}))
    assert "gradient = (12.5, 7.1428571)" in text
    assert f"length |gradient| = {fmt(math.hypot(12.5, 50 / 7))}" in text
    assert f"direction = {math.degrees(math.atan2(50 / 7, 12.5)):.2f} degrees from the +x axis toward +y" in text


def test_point_report_edge_cases():
    flat = parse("x*0 + y*0")
    assert "direction: none" in point_report(flat, value_and_gradient(flat, {"x": 1.0, "y": 1.0}))
    three = parse("x*y*z")
    text = point_report(three, value_and_gradient(three, {"x": 1.0, "y": 2.0, "z": 3.0}))
    assert "gradient = (6, 3, 2)" in text and "direction" not in text
    const = parse("2 + 3")
    assert point_report(const, value_and_gradient(const, {})) == "value:\n  f() = 5"


def test_report_puts_it_together():
    text = report(parse("2*x + 500"), [{"x": 800.0}], [800.0, 801.0])
    assert text.startswith("f(x) = 2*x + 500\n\nat x = 800:\n  f(x) = 2100\n  f'(x) = df/dx = 2\n")
    assert text.splitlines()[-1].split() == ["801", "2102", "2104", "2", "2"]


def test_fmt():
    assert [fmt(v) for v in (525.0, 0.1 + 0.2, 1e20, -2.5, float("inf"), float("-inf"))] == [
        "525", "0.3", "1e+20", "-2.5", "inf", "-inf"]


# --- the trace ------------------------------------------------------------------------------------------------


def test_trace_lists_the_ops_then_the_backward_pass_and_agrees_with_the_tape():
    text = explore_trace(parse(SEED_2D), {"x": 25.0, "y": 6.0})
    forward, backward = text.split("\nbackward")
    for op, value in [("Pow(x, 2)", "625"), ("Mul(0.25, t1)", "156.25"), ("AddV2(y, 1)", "7"),
                      ("Log(t4)", "1.9459101"), ("AddV2(t3, t6)", "753.54551    <- f")]:
        assert op in forward and value in forward
    assert backward.index("t7 = AddV2") < backward.index("t5 = Log") < backward.index("t1 = Pow")
    assert "t5 = Log(t4)         df/dt5 = 50         ->  t4 += 7.1428571" in backward
    assert text.endswith("result: df/dx = 12.5\nresult: df/dy = 7.1428571")  # the engine's trace (tape.trace)


def test_trace_sums_the_gradient_of_a_variable_used_twice():
    text = explore_trace(parse("x*sin(x)"), {"x": 1.0})
    assert "->  x += 0.84147098, t1 += 1" in text and "->  x += 0.54030231" in text
    total = fmt(math.sin(1) + math.cos(1))
    assert text.endswith(f"result: df/dx = {total}")


def test_trace_of_a_constant_and_of_a_spent_tape():
    assert "does not depend on the sources" in explore_trace(parse("3 + 4"), {})
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(ValueError, match="persistent"):
        trace_tape(tape, y, {x._id: "x"})


def test_the_tape_graph_shows_each_op_after_its_inputs_and_the_gradients_flowing_back():
    pytest.importorskip("plotly")
    from tapegrad.explore.page import tape_figure
    from tapegrad.explore.trace import record_at, replay

    tape, out, names = record_at(parse(SEED_2D), {"x": 25.0, "y": 6.0})
    r = replay(tape, out, names)
    assert r.source_values == {"x": "25", "y": "6"}
    fig = tape_figure(r)
    gradients, nodes = fig.data
    labels = [text.split("<br>")[0] for text in nodes.text]
    assert labels == ["<b>x</b>", "<b>y</b>"] + [f"<b>{op}</b>" for op in
                                                 ("Pow", "Mul", "AddV2", "AddV2", "Log", "Mul", "AddV2")]
    assert sorted(gradients.text) == sorted(["12.5", "0.25", "1", "1", "7.1428571", "7.1428571", "50", "1"])
    columns = dict(zip(labels, nodes.x))
    assert columns["<b>x</b>"] == 0 and columns["<b>Pow</b>"] == 1 and max(nodes.x) == 4  # f: after the log chain
    assert len(fig.layout.annotations) == 8  # one arrow per recorded input


# --- docstrings -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["expr", "grid", "report", "trace", "command", "demo", "page", "picture"])
def test_the_docstring_examples_run(name):
    if name in ("page", "picture"):
        pytest.importorskip("plotly" if name == "page" else "matplotlib")
    module = importlib.import_module(f"tapegrad.explore.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0 or name == "demo"


def test_the_grid_module_is_imported_lazily_not_by_tapegrad():
    import subprocess
    import sys

    code = "import sys, tapegrad; print([m for m in sys.modules if m.startswith('tapegrad.explore')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
    assert grid_module.__name__ == "tapegrad.explore.grid"
