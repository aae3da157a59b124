"""tf.print, tf.debugging.check_numerics and the tf.debugging asserts.

Every expected string here was printed by TensorFlow 2.21 for the same call (the tf.print outputs, the
assert messages, the exception classes), so these tests pin TensorFlow's formats."""

from __future__ import annotations

import collections
import doctest
import io
import logging
import sys

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.ops import debug_ops

IAE = tf.errors.InvalidArgumentError


# =========================================================================== tf.print

def _out(*args, **kwargs) -> str:
    buf = io.StringIO()
    old, sys.stdout = sys.stdout, buf
    try:
        tf.print(*args, output_stream=sys.stdout, **kwargs)
    finally:
        sys.stdout = old
    return buf.getvalue()


Pt = collections.namedtuple("Pt", "x y")

# (arguments, keyword arguments, what TensorFlow prints)
PRINT_CASES = [
    ((tf.constant(1.5),), {}, "1.5\n"),
    ((tf.constant(3), tf.constant(True), tf.constant([True, False])), {}, "3 1 [1 0]\n"),
    ((tf.constant([1.5, 2.0, -3.25]),), {}, "[1.5 2 -3.25]\n"),
    ((tf.constant([0.1, 1 / 3, 2 / 3]),), {}, "[0.1 0.333333343 0.666666687]\n"),
    ((tf.constant([0.1, 1 / 3, 2 / 3], tf.float64),), {}, "[0.1 0.33333333333333331 0.66666666666666663]\n"),
    ((tf.constant([1e-5, 1e20, 123456789.0]),), {}, "[1e-05 1e+20 123456792]\n"),
    ((tf.constant([np.nan, np.inf, -np.inf]), tf.constant(-0.0)), {}, "[nan inf -inf] -0\n"),
    ((tf.constant([-np.nan, 1e-45, -1e-40, -1.5e-7], tf.float32),), {}, "[-nan 0 -0 -1.5e-07]\n"),
    ((tf.constant([0.1, 65504], tf.float16),), {}, "[0.0999755859 65504]\n"),
    ((tf.constant([0.1 + 0.2, 1e16, 5e-324], tf.float64),), {}, "[0.30000000000000004 1e+16 0]\n"),
    ((tf.constant([[1, 2], [3, 4]]),), {}, "[[1 2]\n [3 4]]\n"),
    ((tf.zeros([2, 0]), tf.zeros([0])), {}, "[\n ...] []\n"),
    ((tf.zeros([3, 0, 2]),), {}, "[\n\n ...]\n"),
    ((tf.zeros([2, 2, 2]),), {}, "[[[0 0]\n  [0 0]]\n\n [[0 0]\n  [0 0]]]\n"),
    ((tf.range(10),), {}, "[0 1 2 ... 7 8 9]\n"),
    ((tf.range(7),), {"summarize": 2}, "[0 1 ... 5 6]\n"),
    ((tf.range(7),), {"summarize": -1}, "[0 1 2 3 4 5 6]\n"),
    ((tf.range(7),), {"summarize": 0}, "[ ...]\n"),
    ((tf.range(7),), {"summarize": None}, "[0 1 2 ... 4 5 6]\n"),
    ((tf.constant(7, tf.int64), tf.constant(True), tf.constant(7.5)), {"summarize": 0}, "...  ...\n"),
    ((tf.reshape(tf.range(24), [2, 3, 4]),), {"summarize": 1},
     "[[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n  [20 ... 23]]]\n"),
    ((tf.reshape(tf.range(40), [20, 2]),), {}, "[[0 1]\n [2 3]\n [4 5]\n ...\n [34 35]\n [36 37]\n [38 39]]\n"),
    ((tf.constant([1 + 2j, 3 - 1j]), tf.constant(1 + 2j)), {}, "[? ?] ?\n"),
    ((tf.constant([1, 2, 3, 4], tf.complex64),), {"summarize": 2}, "[? ?...]\n"),
    (("plain", "strings", 5, 2.5, None, True), {}, "plain strings 5 2.5 None True\n"),
    (([1, 2, tf.constant([3, 4])], (1, tf.constant(2.0))), {}, "[1, 2, [3 4]] (1, 2)\n"),
    (({"b": 1, "a": tf.constant([1, 2])},), {}, "{'a': [1 2], 'b': 1}\n"),
    (({"x": [1, {"y": tf.constant(1.0)}]}, []), {}, "{'x': [1, {'y': 1}]} []\n"),
    ((Pt(1, tf.constant(2)),), {}, "Pt(x=1, y=2)\n"),
    ((collections.OrderedDict([("b", 1), ("a", tf.constant(3))]),), {}, "OrderedDict([('b', 1), ('a', 3)])\n"),
    (("a", "b"), {"sep": ", ", "end": "!\n"}, "a, b!\n"),
    (("a", tf.constant([1, 2])), {"sep": ""}, "a[1 2]\n"),
    ((tf.constant([1.0, 2.0]),), {"end": ""}, "[1 2]"),
    ((), {}, "\n"),
    (("has {} in it", tf.constant(1)), {}, "has {} in it 1\n"),
    ((np.array([1, 2, 3]), np.float32(1.5), [[1, 2], [3, 4]]), {},
     "array([1, 2, 3]) np.float32(1.5) [[1, 2], [3, 4]]\n"),
    ((tf.Variable([1.0, 2.0]),), {}, "[1 2]\n"),
    (({"long_key_number_one": tf.constant([1, 2, 3]), "long_key_number_two": tf.constant([4, 5, 6]),
       "k3": "a string value here"},), {},
     "{'k3': 'a string value here',\n 'long_key_number_one': [1 2 3],\n 'long_key_number_two': [4 5 6]}\n"),
    ((["x" * 30, tf.constant(1), "y" * 30, tf.constant(2), "z" * 10],), {},
     "['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n 1,\n 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy',\n 2,\n 'zzzzzzzzzz']\n"),
    ((tf.constant([[1.5, 2.25], [3.0, 4.0]]), "value:", 3.0), {}, "[[1.5 2.25]\n [3 4]] value: 3.0\n"),
]


@pytest.mark.parametrize(("args", "kwargs", "want"), PRINT_CASES, ids=[str(i) for i in range(len(PRINT_CASES))])
def test_print_matches_tensorflow(args, kwargs, want):
    assert _out(*args, **kwargs) == want


def test_print_goes_to_stderr_by_default(capsys):
    tf.print("loss:", tf.constant([0.5, 0.25]))
    captured = capsys.readouterr()
    assert captured.err == "loss: [0.5 0.25]\n" and captured.out == ""
    tf.print(tf.constant(1), output_stream=sys.stdout)
    assert capsys.readouterr().out == "1\n"


def test_print_to_a_file_appends(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("pre\n")
    tf.print(tf.constant([1, 2]), output_stream=f"file://{path}")
    tf.print("x", output_stream=f"file://{path}")
    assert path.read_text() == "pre\n[1 2]\nx\n"


def test_print_to_logging(caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        tf.print("step", tf.constant(3), output_stream=logging.info)
        tf.print("careful", output_stream=logging.WARNING)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.INFO, "step 3"),
                                                                      (logging.WARNING, "careful")]


def test_print_rejects_other_streams():
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(1, output_stream=io.StringIO())


def test_print_returns_none_and_records_nothing():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        assert tf.print(y, output_stream="file:///dev/null") is None
    assert float(tape.gradient(y, x)) == 4.0


# =========================================================================== check_numerics

def test_check_numerics_passes_finite_values_through():
    x = tf.constant([1.0, -2.0])
    np.testing.assert_array_equal(tf.debugging.check_numerics(x, "m").numpy(), [1.0, -2.0])
    assert tf.debugging.check_numerics(tf.constant([1.0], tf.float16), "m").dtype == tf.float16
    np.testing.assert_array_equal(tf.debugging.assert_all_finite(x, "af").numpy(), [1.0, -2.0])


@pytest.mark.parametrize(("values", "what"), [([1.0, np.nan], "NaN"), ([1.0, np.inf], "Inf"),
                                              ([np.nan, -np.inf], "Inf and NaN")])
def test_check_numerics_raises_naming_the_message(values, what):
    with pytest.raises(IAE) as e:
        tf.debugging.check_numerics(tf.constant(values), "msg here")
    assert str(e.value) == f"msg here : Tensor had {what} values [Op:CheckNumerics]"
    with pytest.raises(IAE, match="af : Tensor had"):
        tf.debugging.assert_all_finite(tf.constant(values, tf.float64), "af")


def test_check_numerics_rejects_non_floats():
    for value in ([1, 2], [1 + 1j]):
        with pytest.raises(IAE, match="allowed values: bfloat16, half, float, double"):
            tf.debugging.check_numerics(tf.constant(value), "m")


def test_check_numerics_gradient_is_checked_identity():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.debugging.check_numerics(x, "fwd") * 3.0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.debugging.check_numerics(x, "fwd") * np.inf
    with pytest.raises(IAE) as e:
        tape.gradient(y, x)
    assert str(e.value) == ("Not a number (NaN) or infinity (Inf) values detected in gradient. b'fwd' : "
                            "Tensor had Inf values [Op:CheckNumerics]")  # TensorFlow's text, bytes repr and all
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        y = tf.debugging.check_numerics(x * 2.0, "j")
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 0.0])


def test_check_numerics_second_order():
    x = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.debugging.check_numerics(x ** 3, "c")
        g = inner.gradient(y, x)
    assert float(g) == 27.0 and float(outer.gradient(g, x)) == 18.0


# =========================================================================== binary asserts

def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(IAE) as e:
        fn(*args, **kwargs)
    return str(e.value)


def test_binary_asserts_pass_and_return_none():
    a, b = tf.constant([1, 2, 3]), tf.constant([1, 2, 3])
    assert tf.debugging.assert_equal(a, b) is None
    assert tf.debugging.assert_equal(a, a) is None
    assert tf.debugging.assert_none_equal(a, b + 10) is None
    assert tf.debugging.assert_less(a, 4) is None
    assert tf.debugging.assert_less_equal(a, 3) is None
    assert tf.debugging.assert_greater(a, 0) is None
    assert tf.debugging.assert_greater_equal(a, 1) is None
    assert tf.assert_equal is tf.debugging.assert_equal and tf.assert_less is tf.debugging.assert_less
    assert tf.assert_greater is tf.debugging.assert_greater and tf.assert_rank is tf.debugging.assert_rank


def test_assert_equal_messages():
    assert _message(tf.debugging.assert_equal, tf.constant([1, 2, 3]), tf.constant([1, 0, 0]), message="pre") == (
        "pre\nCondition x == y did not hold.\nIndices of first 2 different values:\n[[1]\n [2]]\n"
        "Corresponding x values:\n[2 3]\nCorresponding y values:\n[0 0]\nFirst 3 elements of x:\n[1 2 3]\n"
        "First 3 elements of y:\n[1 0 0]")
    assert _message(tf.debugging.assert_equal, tf.constant([1, 2, 3]), 1) == (
        "Condition x == y did not hold.\nFirst 3 elements of x:\n[1 2 3]\nFirst 1 elements of y:\n[1]")
    assert _message(tf.debugging.assert_equal, tf.constant(1.0), 2.0) == (
        "Condition x == y did not hold.\nFirst 1 elements of x:\n[1.]\nFirst 1 elements of y:\n[2.]")
    assert _message(tf.debugging.assert_equal, tf.range(10), tf.range(10) * 0, summarize=5) == (
        "Condition x == y did not hold.\nIndices of first 5 different values:\n[[1]\n [2]\n [3]\n [4]\n [5]]\n"
        "Corresponding x values:\n[1 2 3 4 5]\nCorresponding y values:\n[0 0 0 0 0]\n"
        "First 5 elements of x:\n[0 1 2 3 4]\nFirst 5 elements of y:\n[0 0 0 0 0]")
    assert _message(tf.debugging.assert_equal, tf.range(10), tf.range(10) * 0, summarize=0) == (
        "Condition x == y did not hold.")
    assert _message(tf.debugging.assert_equal, tf.reshape(tf.range(6), [2, 3]), tf.zeros([2, 3], tf.int32)) == (
        "Condition x == y did not hold.\nIndices of first 3 different values:\n[[0 1]\n [0 2]\n [1 0]]\n"
        "Corresponding x values:\n[1 2 3]\nCorresponding y values:\n[0 0 0]\nFirst 3 elements of x:\n[0 1 2]\n"
        "First 3 elements of y:\n[0 0 0]")
    full = _message(tf.debugging.assert_equal, tf.range(10), tf.range(10) * 0, summarize=-1)
    assert "Indices of first 9 different values:" in full and "First 10 elements of x:\n[0 1 2 3 4 5 6 7 8 9]" in full


def test_ordering_asserts_messages():
    x = tf.constant([1, 2, 3])
    for fn, sym in ((tf.debugging.assert_less, "<"), (tf.debugging.assert_less_equal, "<="),
                    (tf.debugging.assert_greater, ">"), (tf.debugging.assert_greater_equal, ">=")):
        assert _message(fn, x, 2) == (f"Condition x {sym} y did not hold.\nFirst 3 elements of x:\n[1 2 3]\n"
                                      "First 1 elements of y:\n[2]")
    assert _message(tf.debugging.assert_less_equal, x, 2, message="le").startswith("le\nCondition x <= y")
    assert _message(tf.debugging.assert_none_equal, x, tf.constant([1, 0, 0])) == (
        "Condition x != y did not hold.\nIndices of first 1 different values:\n[[0]]\nCorresponding x values:\n"
        "[1]\nCorresponding y values:\n[1]\nFirst 3 elements of x:\n[1 2 3]\nFirst 3 elements of y:\n[1 0 0]")
    assert _message(tf.debugging.assert_less, tf.constant([1.5, 2, 3]), tf.constant([[5.0], [1.0]])) == (
        "Condition x < y did not hold.\nFirst 3 elements of x:\n[1.5 2.  3. ]\nFirst 2 elements of y:\n[5. 1.]")


def test_binary_asserts_reject_mismatched_dtypes_and_shapes():
    with pytest.raises(IAE, match="cannot compute Less"):
        tf.debugging.assert_less(tf.constant([1.5]), 2)  # y converts on its own to int32, as in TensorFlow
    with pytest.raises(IAE, match=r"Incompatible shapes: \[2\] vs. \[3\]"):
        tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2, 3]))


# =========================================================================== sign asserts

def test_sign_asserts():
    assert tf.debugging.assert_positive(tf.constant([1, 2])) is None
    assert tf.debugging.assert_positive(tf.constant([])) is None  # empty: trivially true
    assert tf.debugging.assert_negative(tf.constant([-1.0])) is None
    assert tf.debugging.assert_non_negative(tf.constant([0, 1])) is None
    assert tf.debugging.assert_non_positive(tf.constant([0.0, -1.0])) is None
    assert _message(tf.debugging.assert_positive, tf.constant([1, -2, 3]), message="pos") == (
        "pos.  \nCondition x > 0 did not hold element-wise:\nx (shape=(3,) dtype=int32) = \n['1', '-2', '3']")
    assert _message(tf.debugging.assert_positive, tf.constant([1, -2, 3, 4, 5])) == (
        "\nCondition x > 0 did not hold element-wise:\nx (shape=(5,) dtype=int32) = \n['1', '-2', '3', '...']")
    assert _message(tf.debugging.assert_negative, tf.constant([1.0, -2, 3])) == (
        "\nCondition x < 0 did not hold element-wise:\nx (shape=(3,) dtype=float32) = \n['1.0', '-2.0', '3.0']")
    assert _message(tf.debugging.assert_non_negative, tf.constant([1.0, -2, 3])) == (
        "\nCondition x >= 0 did not hold element-wise:\nx (shape=(3,) dtype=float32) = \n['1.0', '-2.0', '3.0']")
    # TensorFlow's message has no line break after "element-wise:" here
    assert _message(tf.debugging.assert_non_positive, tf.constant([1.0, -2, 3]), summarize=1, message="np") == (
        "np.  \nCondition x <= 0 did not hold element-wise:x (shape=(3,) dtype=float32) = \n['1.0', '...']")
    assert _message(tf.debugging.assert_positive, tf.constant(-1.0)) == (
        "\nCondition x > 0 did not hold element-wise:\nx (shape=() dtype=float32) = \n-1.0")


# =========================================================================== assert_near and Assert

def test_assert_near():
    assert tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.000001])) is None
    assert tf.debugging.assert_near(tf.constant([1.0, 2.0]), [1.0, 2.1], rtol=0.1, atol=0.0) is None
    assert _message(tf.debugging.assert_near, tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1])) == (
        "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: b''\n"
        "b'x and y not equal to tolerance rtol = tf.Tensor(1.1920929e-06, shape=(), dtype=float32), "
        "atol = tf.Tensor(1.1920929e-06, shape=(), dtype=float32)'\nb'x (shape=(2,) dtype=float32) = '\n"
        "1.0, 2.0\nb'y (shape=(2,) dtype=float32) = '\n1.0, 2.1")
    msg = _message(tf.debugging.assert_near, tf.constant([1.0, 2.0], tf.float64),
                   tf.constant([1.0, 2.001], tf.float64), message="nn")
    assert msg.startswith("Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: b'nn.  '")
    assert "rtol = tf.Tensor(2.220446049250313e-15, shape=(), dtype=float64)" in msg
    assert _message(tf.debugging.assert_near, tf.constant([1.0, 2, 3, 4]), tf.constant([1.0, 2.1, 3, 4]),
                    summarize=2).endswith("'\n1.0, 2.0, ...\nb'y (shape=(4,) dtype=float32) = '\n1.0, 2.1, ...")
    with pytest.raises(ValueError, match="not inexact"):
        tf.debugging.assert_near(tf.constant([1, 2]), tf.constant([1, 2]))


def test_Assert():
    assert tf.debugging.Assert(True, ["never shown"]) is None
    assert tf.Assert is tf.debugging.Assert
    assert _message(tf.debugging.Assert, False, ["bad", tf.constant([1, 2, 3, 4, 5])]) == (
        "Expected 'False' to be true. Summarized data: b'bad'\n1, 2, 3, ...")
    assert _message(tf.debugging.Assert, tf.constant(False), ["bad", tf.constant([1, 2, 3, 4, 5])],
                    summarize=2) == ("Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. "
                                     "Summarized data: b'bad'\n1, 2, ...")
    assert _message(tf.debugging.Assert, False, [tf.constant([1.5, 2.0]), 7, ["a", "b"]], summarize=-1) == (
        "Expected 'False' to be true. Summarized data: 1.5, 2.0\n7\nb'a', b'b'")
    assert _message(tf.debugging.Assert, False, [tf.constant(2.5)], summarize=0) == (
        "Expected 'False' to be true. Summarized data: ")
    with pytest.raises(ValueError, match="ambiguous"):
        tf.debugging.Assert(tf.constant([True, False]), ["x"])


# =========================================================================== rank, type, shape

def test_rank_asserts():
    x = tf.constant([1.0, 2.0])
    assert tf.debugging.assert_rank(x, 1) is None
    assert tf.debugging.assert_rank(x, tf.constant(1)) is None
    assert tf.debugging.assert_rank_at_least(x, 1) is None
    assert tf.debugging.assert_rank_in(x, [0, 1]) is None
    cases = [
        (lambda: tf.debugging.assert_rank(x, 2), "Tensor  must have rank 2.  Received rank 1, shape (2,)"),
        (lambda: tf.debugging.assert_rank(x, 2, message="rk"),
         "rk.  Tensor  must have rank 2.  Received rank 1, shape (2,)"),
        (lambda: tf.debugging.assert_rank(x, [2]), "Rank must be a scalar."),
        (lambda: tf.debugging.assert_rank_at_least(x, 2),
         "Tensor  must have rank at least 2.  Received rank 1, shape (2,)"),
        (lambda: tf.debugging.assert_rank_in(x, [0, 2]), "Tensor  must have rank in (0, 2).  Received rank 1, "
                                                          "shape (2,)"),
        (lambda: tf.debugging.assert_rank_in(x, [0, 2], message="ri"),
         "ri.  Tensor  must have rank in (0, 2).  Received rank 1, shape (2,)"),
    ]
    for fn, want in cases:
        with pytest.raises(ValueError) as e:
            fn()
        assert str(e.value) == want
    with pytest.raises(TypeError, match="must be of type tf.int32; got tf.int64"):
        tf.debugging.assert_rank(x, tf.constant(2, tf.int64))


def test_type_asserts_and_predicates():
    assert tf.debugging.assert_type(tf.constant([1.0]), tf.float32) is None
    with pytest.raises(TypeError) as e:
        tf.debugging.assert_type(tf.constant([1.0]), tf.int32, message="ty")
    assert str(e.value) == "ty.  tensor must be of type tf.int32; got tf.float32"
    with pytest.raises(TypeError, match="tensor must be of type tf.float64; got tf.float32"):
        tf.debugging.assert_type(tf.Variable([1.0]), tf.float64)
    assert tf.debugging.assert_integer(tf.constant([1, 2])) is None
    with pytest.raises(TypeError) as e:
        tf.debugging.assert_integer(tf.constant([1.0]), message="int")
    assert str(e.value) == "int.  Expected \"x\" to be integer type.  Found: tensor of dtype <dtype: 'float32'>"
    assert tf.debugging.assert_scalar(tf.constant(1.0)) is None
    with pytest.raises(ValueError, match=r"^Expected scalar shape, saw shape: \(2,\).$"):
        tf.debugging.assert_scalar(tf.constant([1.0, 2.0]))
    assert tf.debugging.is_numeric_tensor(tf.constant([1.0]))
    assert tf.debugging.is_numeric_tensor(tf.constant(1, tf.uint8))
    assert not tf.debugging.is_numeric_tensor(tf.constant([True]))
    assert not tf.debugging.is_numeric_tensor([1.0])
    assert not tf.debugging.is_numeric_tensor(tf.Variable(1.0))  # a Variable is not a Tensor, as in TensorFlow
    assert tf.debugging.assert_same_float_dtype([tf.constant(1.0)]) == tf.float32
    assert tf.debugging.assert_same_float_dtype(None, tf.float64) == tf.float64
    with pytest.raises(ValueError) as e:
        tf.debugging.assert_same_float_dtype([tf.constant(1.0), tf.constant(1.0, tf.float64)])
    assert str(e.value) == ("tf.Tensor(1.0, shape=(), dtype=float64), type=<dtype: 'float64'>, must be of the "
                            "same type (<dtype: 'float32'>) as tf.Tensor(1.0, shape=(), dtype=float32).")
    with pytest.raises(ValueError, match="Expected floating point type, got <dtype: 'int32'>."):
        tf.debugging.assert_same_float_dtype([tf.constant(1)])
    assert tf.debugging.assert_proper_iterable([1]) is None
    with pytest.raises(TypeError, match='"proper" iterable.  Found: <class \'str\'>'):
        tf.debugging.assert_proper_iterable("abc")
    with pytest.raises(TypeError, match="to be iterable"):
        tf.debugging.assert_proper_iterable(3)


def test_assert_shapes():
    a, b, c = tf.zeros([2, 3]), tf.zeros([3]), tf.zeros([4, 2, 3])
    assert tf.debugging.assert_shapes([(a, ("N", "Q")), (b, ("Q",))]) is None
    assert tf.debugging.assert_shapes([(a, ("N", "Q")), (c, (..., "N", "Q"))]) is None
    assert tf.debugging.assert_shapes([(a, ("N", "Q")), (c, ("*", "Q"))]) is None
    assert tf.debugging.assert_shapes([(tf.constant(1.0), ()), (b, (3,))]) is None
    assert tf.debugging.assert_shapes([(a, (None, ".")), (b, None)]) is None
    assert tf.debugging.assert_shapes([(a, ("N", 3))]) is None
    cases = [
        ([(a, ("N", 4))], None, "Specified explicitly.  Tensor shape=(2, 3) dtype=float32 dimension 1 must have "
                                "size 4.  Received size 3, shape (2, 3)"),
        ([(a, ("N", "Q")), (b, ("N",))], None, "Specified by tensor shape=(2, 3) dtype=float32 dimension 0.  Tensor "
                                                "shape=(3,) dtype=float32 dimension 0 must have size 2.  Received "
                                                "size 3, shape (3,)"),
        ([(a, ("N", "Q", "R"))], None, "Tensor  must have rank 3.  Received rank 2, shape (2, 3)"),
        ([(a, ("N", "Q")), (c, ("*", "N"))], "shp", "shp.  Specified by tensor shape=(2, 3) dtype=float32 "
                                                    "dimension 0.  Tensor shape=(4, 2, 3) dtype=float32 dimension -1 "
                                                    "must have size 2.  Received size 3, shape (4, 2, 3)"),
        ([(a, ("N", "*"))], None, "Tensor shape=(2, 3) dtype=float32 specified shape index 1.  Symbol `...` or `*` "
                                  "for a variable number of unspecified dimensions is only allowed as the first entry"),
        ([(a, 3)], None, "Tensor shape=(2, 3) dtype=float32.  Specified shape must be an iterable.  An iterable has "
                         "the attribute `__iter__` or `__getitem__`.  Received specified shape: 3"),
        ([(tf.constant(1.0), (2,))], None, "Specified explicitly.  Tensor shape=() dtype=float32 dimension 0 must "
                                           "have size 2.  Received size 1, shape ()"),
        ([(a, (..., 2, 3, 4))], None, "Tensor  must have rank at least 3.  Received rank 2, shape (2, 3)"),
    ]
    for shapes, message, want in cases:
        with pytest.raises(ValueError) as e:
            tf.debugging.assert_shapes(shapes, message=message)
        assert str(e.value) == want


def test_ensure_shape():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.ensure_shape(x, [None]) * 2.0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 2.0])
    with pytest.raises(IAE) as e:
        tf.ensure_shape(tf.constant([1, 2]), [3])
    assert str(e.value) == "Shape of tensor input [2] is not compatible with expected shape [3]. [Op:EnsureShape]"
    with pytest.raises(IAE, match=r"expected shape \[\?,3\]"):
        tf.ensure_shape(tf.constant([[1, 2]]), [None, 3])


def test_docstring_examples_run():
    assert doctest.testmod(debug_ops).failed == 0
