"""The explorer's expression language: what it computes, and everything it refuses (with a caret at the culprit).

The property tests feed it random text and token soups while `eval`, `exec`, `open`, non-AST `compile`, new
imports, `os.system` and `subprocess.Popen` are booby-trapped: nothing may run, and the only exception that
may come out is `ExpressionError`.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapegrad as tf
from tapegrad.explore.expr import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    Expression,
    ExpressionError,
    parse,
)

# --- what it computes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, values, expected", [
    ("2*x + 500", {"x": 800.0}, 2100.0),
    ("0.25*x**2 + 500", {"x": 10.0}, 525.0),
    ("0.25*x**2 + 500", {"x": 11.0}, 530.25),
    ("(0.25*x**2 + 500) + 50*log(y + 1)", {"x": 25.0, "y": 6.0}, 656.25 + 50 * math.log(7.0)),
    ("(0.25*x**2 + 500) + 50*ln(y + 1)", {"x": 25.0, "y": 6.0}, 656.25 + 50 * math.log(7.0)),
    ("-x", {"x": 3.0}, -3.0),
    ("+x", {"x": 3.0}, 3.0),
    ("--x", {"x": 3.0}, 3.0),
    ("-x**2", {"x": 3.0}, -9.0),  # Python's precedence: -(x**2)
    ("2**3**2", {}, 512.0),  # right-associative
    ("x / 4 - 1", {"x": 2.0}, -0.5),
    ("pi", {}, math.pi),
    ("e**x", {"x": 2.0}, math.e ** 2),
    ("exp(2)", {}, math.exp(2)),
    ("atan2(y, x)", {"x": -1.0, "y": 0.5}, math.atan2(0.5, -1.0)),
    ("max(x, 3) + min(x, 3)", {"x": 5.0}, 8.0),
    ("sigmoid(0)", {}, 0.5),
    ("log2(8) + log10(1000)", {}, 6.0),
    ("1_000 + x", {"x": 1.0}, 1001.0),
    ("hours * 2", {"hours": 4.0}, 8.0),
    ("x # a comment", {"x": 2.0}, 2.0),
    ("  x + 1  ", {"x": 2.0}, 3.0),
])
def test_values(text, values, expected):
    out = parse(text).evaluate(values)
    assert isinstance(out, tf.Tensor)
    assert out.dtype == tf.float64
    assert float(out) == pytest.approx(expected, rel=1e-12)


NUMPY = {"exp": np.exp, "expm1": np.expm1, "log": np.log, "ln": np.log, "log1p": np.log1p, "log2": np.log2,
         "log10": np.log10, "sqrt": np.sqrt, "square": np.square, "abs": np.abs, "sign": np.sign, "sin": np.sin,
         "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh,
         "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
         "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "softplus": lambda x: np.log1p(np.exp(x)),
         "relu": lambda x: np.maximum(x, 0), "erf": np.vectorize(math.erf),
         "atan2": np.arctan2, "max": np.maximum, "min": np.minimum, "round": np.round, "floor": np.floor}
NO_GRADIENT = {"round", "floor"}  # as in TensorFlow: None (tapegrad explore says why, with tape.explain)


def test_every_function_matches_numpy_and_has_a_gradient():
    assert set(NUMPY) == set(FUNCTIONS)
    for name, (arity, _, _) in FUNCTIONS.items():
        point = 1.5 if name == "acosh" else 0.3
        text = f"{name}(x)" if arity == 1 else f"{name}(x, 0.7)"
        x = tf.Variable(point, dtype=tf.float64)
        with tf.GradientTape() as tape:
            out = parse(text).evaluate({"x": x})
        expected = NUMPY[name](point) if arity == 1 else NUMPY[name](point, 0.7)
        assert float(out) == pytest.approx(float(expected), rel=1e-9, abs=1e-12), name
        grad = tape.gradient(out, x)
        if name in NO_GRADIENT:
            assert grad is None, name
            continue
        assert grad is not None, name
        h = 1e-6
        low = NUMPY[name](point - h) if arity == 1 else NUMPY[name](point - h, 0.7)
        high = NUMPY[name](point + h) if arity == 1 else NUMPY[name](point + h, 0.7)
        assert float(grad) == pytest.approx(float((high - low) / (2 * h)), rel=1e-5, abs=1e-8), name


def test_variables_are_sorted_names_without_constants_or_functions():
    expr = parse("y*exp(x) + pi*e + b")
    assert isinstance(expr, Expression)
    assert expr.variables == ("b", "x", "y")
    assert parse("3 + 4").variables == ()
    assert str(parse(" x+1 ")) == "x+1"


def test_arrays_broadcast_and_the_tape_records():
    x = tf.Variable(np.array([1.0, 2.0, 3.0]), dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = parse("x**2 + y").evaluate({"x": x, "y": np.array([[10.0], [20.0]])})
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), [[11, 14, 19], [21, 24, 29]])
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), [4.0, 8.0, 12.0])  # summed over the 2 rows


def test_f_of_x_equals_x_has_derivative_one():
    x = tf.Variable(2.0, dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = parse("x").evaluate({"x": x})
    assert float(tape.gradient(out, x)) == 1.0


def test_a_missing_value_is_an_expression_error_pointing_at_the_variable():
    with pytest.raises(ExpressionError) as info:
        parse("2*x + y").evaluate({"x": 1.0})
    assert info.value.column == 7 and "'y'" in info.value.message


def test_non_finite_results_are_values_not_errors():
    assert math.isinf(float(parse("1/x").evaluate({"x": 0.0})))
    assert math.isnan(float(parse("log(x)").evaluate({"x": -1.0})))
    assert math.isinf(float(parse("10**400").evaluate({})))


# --- what it refuses: (text, 1-based column of the caret, words the message must contain) --------------------

HOSTILE = [
    ("__import__('os')", 1, "names starting with '_'"),
    ("__import__('os').system('ls')", 17, "attribute access"),
    ("().__class__", 3, "attribute access"),
    ("x.__class__", 2, "attribute access"),
    ("x . __class__", 3, "attribute access"),
    ("exp(x).real", 7, "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", 26, "attribute access"),
    ("__builtins__", 1, "names starting with '_'"),
    ("_x + 1", 1, "names starting with '_'"),
    ("x[0]", 2, "subscripts"),
    ("[x for x in y]", 1, "list comprehensions"),
    ("{x for x in y}", 1, "set comprehensions"),
    ("{x: 1 for x in y}", 1, "dict comprehensions"),
    ("(x for x in y)", 1, "generator expressions"),
    ("lambda: 1", 1, "lambda"),
    ("'a'", 1, "strings"),
    ("x + 'a'", 5, "strings"),
    ("b'a'", 1, "bytes"),
    ("f'{x}'", 1, "f-strings"),
    ("f(x=1)", 3, "keyword arguments"),
    ("exp(x=1)", 5, "keyword arguments"),
    ("max(x, y=2)", 8, "keyword arguments"),
    ("exp(*x)", 5, "starred"),
    ("9**9**9", 4, "exponent is too large"),
    ("x**1001", 4, "exponent is too large"),
    ("x ** -   2000", 6, "exponent is too large"),
    ("2**(10*200)", 5, "exponent is too large"),
    ("x**(2**11)", 5, "exponent is too large"),
    ("-" * (MAX_DEPTH + 10) + "x", MAX_DEPTH + 1, "nests too deeply"),
    ("exp(" * 60 + "x" + ")" * 60, 4 * MAX_DEPTH + 1, "nests too deeply"),
    ("(" * 210 + "x" + ")" * 210, None, "too many nested parentheses"),
    ("x+" * 300 + "x", MAX_LENGTH + 1, "too long"),
    ("1" * 400, 1, "too large"),
    ("foo(x)", 1, "unknown function 'foo'"),
    ("open('f')", 1, "unknown function 'open'"),
    ("eval('1')", 1, "unknown function 'eval'"),
    ("getattr(x, 'y')", 1, "unknown function 'getattr'"),
    ("(x+1)(2)", 2, "only a function named in the list can be called"),
    ("exp(x)(2)", 1, "only a function named in the list can be called"),
    ("pi(2)", 1, "constant, not a function"),
    ("exp", 1, "is a function"),
    ("exp(x, y)", 1, "takes 1 argument"),
    ("atan2(x)", 1, "takes 2 arguments"),
    ("x < 1", 3, "comparisons"),
    ("x == y", 3, "comparisons"),
    ("x and y", 3, "boolean operators"),
    ("not x", 1, "'not'"),
    ("~x", 1, "'~'"),
    ("(y := 1)", 2, "assignments"),
    ("x if y else 1", 3, "conditional expressions"),
    ("x, y", 2, "tuples"),
    ("[1]", 1, "lists"),
    ("{1}", 1, "sets"),
    ("{}", 1, "dicts"),
    ("await x", 1, "await"),
    ("x^2", 2, "'^' is not a power"),
    ("x // 2", 3, "'//'"),
    ("x % 2", 3, "'%'"),
    ("x @ y", 3, "'@'"),
    ("x << 2", 3, "'<<'"),
    ("True", 1, "not a number"),
    ("None", 1, "not a number"),
    ("...", 1, "not a number"),
    ("1j", 1, "complex"),
    ("0.25x", 4, "write 0.25*x"),
    ("x = 1", None, "not a valid expression"),
    ("import os", None, "not a valid expression"),
    ("x; y", None, "not a valid expression"),
    ("yield x", None, "not a valid expression"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("x\ny", 2, "character '\\n'"),
    ("x\x00", 2, "character '\\x00'"),
    ("\u00e9", 1, "character"),
    ("\uff3f\uff3fimport\uff3f\uff3f('os')", 1, "character"),  # fullwidth underscores: NFKC would make dunders
    ("x" * 40, 1, "too long"),
]


@pytest.mark.parametrize("text, column, words", HOSTILE, ids=[repr(t[0])[:40] for t in HOSTILE])
def test_hostile_inputs_are_refused_with_a_caret_at_the_culprit(text, column, words):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    err = info.value
    assert words in err.message
    if column is not None:
        assert err.column == column
    assert err.column == err.offset + 1
    message, shown, caret = str(err).split("\n")
    assert message.endswith(f"(column {err.column})")
    assert len(shown) == len(text) + 2  # the text, one character per column
    assert caret.startswith("  " + " " * err.offset + "^")
    assert caret.strip(" ") == "^" * err.length


def test_the_caret_sits_under_the_offending_text():
    err = pytest.raises(ExpressionError, parse, "2*x + y.__class__").value
    assert err.text[err.offset:err.offset + err.length] == ".__class__"
    err = pytest.raises(ExpressionError, parse, "x + exp(x=1)").value
    assert err.text[err.offset:err.offset + err.length] == "x=1"
    err = pytest.raises(ExpressionError, parse, "2 * x**9**9").value
    assert err.text[err.offset:err.offset + err.length] == "9**9"
    err = pytest.raises(ExpressionError, parse, "(x)^2").value
    assert err.text[err.offset] == "^"
    err = pytest.raises(ExpressionError, parse, "  x.y").value
    assert err.offset == 3 and err.text == "  x.y"


def test_limits_are_what_they_say():
    assert parse("x**" + str(MAX_EXPONENT)).variables == ("x",)
    assert parse("x**-" + str(MAX_EXPONENT)).variables == ("x",)
    assert parse("-" * (MAX_DEPTH - 1) + "x").variables == ("x",)
    assert parse("x" + " " * (MAX_LENGTH - 1)).variables == ("x",)
    assert parse("2**x").variables == ("x",)  # an exponent with a variable is not folded
    with pytest.raises(ExpressionError):
        parse("x" + " " * MAX_LENGTH)


def test_the_error_is_a_value_error_and_pickles():
    import pickle

    err = pytest.raises(ExpressionError, parse, "x.y").value
    assert isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.column == err.column


def test_parse_refuses_non_text():
    with pytest.raises(ExpressionError, match="text, not int"):
        parse(42)  # type: ignore[arg-type]


# --- property tests: nothing but ExpressionError, and no code runs -------------------------------------------


class CodeRan(BaseException):
    """Raised by the booby traps; a BaseException so that no `except Exception` in the code can swallow it."""


# tapegrad itself imports these lazily (scipy.special backs erf & co. where SciPy is installed, as in CI).
ALLOWED_IMPORTS = ("tapegrad", "numpy", "array_api_compat", "scipy")


@contextlib.contextmanager
def booby_trapped():
    """eval, exec, open, input, breakpoint, code-making compile, new imports, os.system and subprocess.Popen
    raise CodeRan while the block runs (compile to an AST only, as `ast.parse` does, is allowed)."""
    real_compile, real_import = builtins.compile, builtins.__import__

    def trap(name):
        def refuse(*args, **kwargs):
            raise CodeRan(f"{name} was called with {args[:1]!r}")
        return refuse

    def compile_ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise CodeRan(f"compile to code: {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def import_known(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and not name.startswith(ALLOWED_IMPORTS) and name not in sys.modules:
            raise CodeRan(f"import {name}")
        return real_import(name, globals, locals, fromlist, level)

    patches = [(builtins, "eval", trap("eval")), (builtins, "exec", trap("exec")), (builtins, "open", trap("open")),
               (builtins, "input", trap("input")), (builtins, "breakpoint", trap("breakpoint")),
               (builtins, "compile", compile_ast_only), (builtins, "__import__", import_known),
               (os, "system", trap("os.system")), (subprocess, "Popen", trap("subprocess.Popen"))]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, value in patches:
            setattr(obj, name, value)
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


def test_the_booby_traps_work():
    with booby_trapped():
        with pytest.raises(CodeRan):
            eval("1")
        with pytest.raises(CodeRan):
            compile("1", "<s>", "eval")
        with pytest.raises(CodeRan):
            __import__("xml.dom.minidom_not_a_module")
        assert isinstance(ast.parse("1", mode="eval"), ast.Expression)
    assert eval("1 + 1") == 2  # restored


def parse_and_evaluate(text: str, value: float) -> None:
    """Parse `text`; if that works, evaluate it with every variable = `value` under a tape, and differentiate."""
    try:
        expr = parse(text)
    except ExpressionError as err:
        assert 0 <= err.offset <= len(text)
        str(err)
        return
    variables = [tf.Variable(value, dtype=tf.float64, name=name) for name in expr.variables]
    with tf.GradientTape() as tape:
        out = expr.evaluate(dict(zip(expr.variables, variables)))
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float64 and out.shape == ()
    with np.errstate(all="ignore"):
        grads = tape.gradient(out, variables)
    assert len(grads) == len(variables)


TOKENS = ["x", "y", "z", "e", "pi", "exp", "log", "ln", "sqrt", "sin", "atan2", "max", "relu", "foo", "os",
          "__import__", "__class__", "__builtins__", "_", "lambda", "for", "in", "if", "else", "not", "and",
          "or", "import", "yield", "await", "True", "None", "0", "1", "2", "9", "0.5", "1e308", "1e999", "10",
          "1_0", "0x1f", "1j", "+", "-", "*", "/", "**", "//", "%", "^", "@", "~", "<", "==", ":=", "=", ".",
          ",", ":", ";", "(", ")", "[", "]", "{", "}", "'", '"', "f'", "b'", "\\", "#", " ", "  ", "\t",
          "\n", "\x00", "\u00e9", "\uff3f"]

token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
spaced_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)


def _grammar():
    """Expressions that are mostly in the language (so evaluation is exercised), with some that are not."""
    leaf = st.one_of(st.sampled_from(["x", "y", "pi", "e", "0", "1", "2.5", "1e300", "-3", "0.0"]),
                     st.floats(allow_nan=False, allow_infinity=False).map(repr),
                     st.integers(-10**6, 10**6).map(str))
    ops = ["+", "-", "*", "/", "**"] * 6 + ["^", "//", "%", "<", " and "]

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(st.sampled_from(list(FUNCTIONS) * 3 + ["foo", "__import__", "eval"]),
                      st.lists(inner, min_size=1, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            inner.map(lambda s: f"-{s}"),
            st.tuples(inner, st.sampled_from([".real", "[0]", ".__class__", "(1)"])).map("".join),
        )

    return st.recursive(leaf, extend, max_leaves=12)


# Valid expressions built together with a NumPy function that computes the same thing, as a reference.
_REFERENCE_UNARY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
                    "abs": np.abs, "atan": np.arctan, "square": np.square, "log1p": np.log1p}
_REFERENCE_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}


def _valid_with_reference():
    leaf = st.one_of(
        st.sampled_from([("x", lambda x, y: x), ("y", lambda x, y: y), ("pi", lambda x, y: np.pi)]),
        st.floats(-100, 100, allow_nan=False).map(lambda v: (f"({v!r})", lambda x, y, v=v: np.float64(v))),
        st.integers(0, 5).map(lambda v: (str(v), lambda x, y, v=v: np.float64(v))))

    def extend(inner):
        def binary(t):
            (a, fa), op, (b, fb) = t
            return f"({a} {op} {b})", lambda x, y: _REFERENCE_BINARY[op](fa(x, y), fb(x, y))

        def unary(t):
            name, (a, fa) = t
            return f"{name}({a})", lambda x, y: _REFERENCE_UNARY[name](fa(x, y))

        def two(t):
            name, (a, fa), (b, fb) = t
            ref = {"max": np.maximum, "min": np.minimum, "atan2": np.arctan2}[name]
            return f"{name}({a}, {b})", lambda x, y: ref(fa(x, y), fb(x, y))

        return st.one_of(st.tuples(inner, st.sampled_from(sorted(_REFERENCE_BINARY)), inner).map(binary),
                         st.tuples(st.sampled_from(sorted(_REFERENCE_UNARY)), inner).map(unary),
                         st.tuples(st.sampled_from(["max", "min", "atan2"]), inner, inner).map(two),
                         inner.map(lambda t: (f"(-{t[0]})", lambda x, y: -t[1](x, y))))

    return st.recursive(leaf, extend, max_leaves=10)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.text(max_size=120), st.floats(-1e3, 1e3))
def test_random_text_raises_only_expression_error_and_runs_nothing(text, value):
    with booby_trapped():
        parse_and_evaluate(text, value)


@PROPERTY
@given(st.one_of(token_soup, spaced_soup), st.floats(-1e3, 1e3))
def test_token_soups_raise_only_expression_error_and_run_nothing(text, value):
    with booby_trapped():
        parse_and_evaluate(text, value)


@PROPERTY
@given(_grammar(), st.sampled_from([0.0, -1.0, 0.5, 3.0, 1e200]))
def test_grammar_expressions_evaluate_or_are_refused(text, value):
    with booby_trapped():
        parse_and_evaluate(text, value)


@PROPERTY
@given(_valid_with_reference(), st.floats(-10, 10), st.floats(-10, 10))
def test_valid_expressions_compute_what_numpy_computes(built, x, y):
    text, reference = built
    try:
        expr = parse(text)
    except ExpressionError as err:  # only the exponent limit may refuse a valid expression
        assert "exponent is too large" in err.message
        return
    with booby_trapped(), np.errstate(all="ignore"):
        ours = float(expr.evaluate({"x": x, "y": y}))
        theirs = float(reference(np.float64(x), np.float64(y)))
    if math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12) or (math.isinf(theirs) and ours == theirs)
