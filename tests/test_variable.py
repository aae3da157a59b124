"""Variable: names with ':0', trainable, assign* in place and never recorded, reads as snapshots (a value read
before an assign keeps its old value, in the forward pass and in gradients), operators, printing."""

import numpy as np
import pytest

import tapegrad as tf


def test_names_trainable_dtype_shape():
    v = tf.Variable(20.0, name="hours_worked")
    assert v.name == "hours_worked:0"
    assert tf.Variable(1.0).name == "Variable:0"
    assert tf.Variable(1.0).name == "Variable:0"  # eager variables are not uniquified
    assert v.trainable is True
    assert tf.Variable(1.0, trainable=False).trainable is False
    assert v.dtype == tf.float32 and v.shape == () and isinstance(v.shape, tf.TensorShape)
    m = tf.Variable(np.zeros((2, 3)))
    assert m.dtype == tf.float64 and m.shape == (2, 3) and m.shape.as_list() == [2, 3]
    assert tf.Variable(1).dtype == tf.int32
    assert tf.Variable(1, dtype=tf.float32).dtype == tf.float32
    assert tf.Variable([1, 2], dtype="float64").numpy().tolist() == [1.0, 2.0]


def test_initial_value_forms():
    assert tf.Variable(lambda: tf.ones(3)).numpy().tolist() == [1.0, 1.0, 1.0]
    t = tf.constant([1.0, 2.0])
    assert tf.Variable(t).numpy().tolist() == [1.0, 2.0]
    w = tf.Variable(tf.Variable(5.0))
    assert float(w) == 5.0
    with pytest.raises(ValueError):
        tf.Variable()
    with pytest.raises(TypeError):
        tf.Variable(1.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="shape"):
        tf.Variable([1.0, 2.0], shape=(3,))


def test_repr_and_str_match_tensorflow():
    v = tf.Variable(20.0, name="hours_worked")
    assert repr(v) == "<tf.Variable 'hours_worked:0' shape=() dtype=float32, numpy=20.0>"
    assert str(v) == repr(v)
    m = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="m")
    assert repr(m) == ("<tf.Variable 'm:0' shape=(2, 2) dtype=float32, numpy=\n"
                       "array([[1., 2.],\n       [3., 4.]], dtype=float32)>")
    assert repr(tf.Variable([1, 2])) == ("<tf.Variable 'Variable:0' shape=(2,) dtype=int32, "
                                         "numpy=array([1, 2], dtype=int32)>")
    assert repr(tf.Variable(50.0) / 7.0) == "<tf.Tensor: shape=(), dtype=float32, numpy=7.142857>"


def test_assign_family_is_in_place_and_returns_the_variable():
    v = tf.Variable([1.0, 2.0])
    ident = v.ref()
    assert v.assign([3.0, 4.0]) is v
    assert v.numpy().tolist() == [3.0, 4.0]
    assert v.assign_add([1.0, 1.0]) is v
    assert v.numpy().tolist() == [4.0, 5.0]
    assert v.assign_sub(tf.constant([0.5, 0.5])) is v
    assert v.numpy().tolist() == [3.5, 4.5]
    assert v.ref() == ident
    assert v.assign([0.0, 0.0], read_value=False) is None
    assert v.numpy().tolist() == [0.0, 0.0]
    s = tf.Variable(1.0)
    s.assign_add(1)  # Python values take the variable's dtype
    assert s.dtype == tf.float32 and float(s) == 2.0


def test_assign_shape_and_dtype_checks():
    v = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match="w:0.*(\\(2,\\)|\\[2\\]).*(\\(3,\\)|\\[3\\])|shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="shape"):
        v.assign_add([1.0])
    with pytest.raises(ValueError, match="shape"):
        v.assign_sub(tf.ones((2, 2)))
    with pytest.raises((TypeError, ValueError), match="int32"):
        v.assign(tf.constant([1, 2]))
    with pytest.raises(TypeError):
        tf.Variable([1, 2]).assign([1.5, 2.0])
    assert v.numpy().tolist() == [1.0, 2.0]  # failed assigns leave the value alone


def test_assign_does_not_alias_the_callers_array():
    src = np.array([5.0, 6.0], dtype=np.float32)
    v = tf.Variable(src)
    src[0] = 0.0
    assert v.numpy().tolist() == [5.0, 6.0]
    new = np.array([7.0, 8.0], dtype=np.float32)
    v.assign(new)
    new[:] = -1.0
    assert v.numpy().tolist() == [7.0, 8.0]
    a = v.numpy()
    a[:] = 0.0
    assert v.numpy().tolist() == [7.0, 8.0]


def test_read_value_is_a_snapshot():
    v = tf.Variable(1.0)
    r = v.read_value()
    val = v.value()
    t = tf.identity(v)
    c = tf.convert_to_tensor(v)
    assert all(isinstance(x, tf.Tensor) for x in (r, val, t, c))
    v.assign(2.0)
    assert float(r) == 1.0 and float(val) == 1.0 and float(t) == 1.0 and float(c) == 1.0
    y = v * 3.0
    v.assign_add(5.0)
    assert float(y) == 6.0 and float(v) == 7.0


def test_gradient_with_respect_to_a_read_value_counts_that_read_only():
    # TensorFlow 2.21 gives 5.0, 8.0, None (tests/parity checks the same program against it)
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        r = v.read_value()
        y = v * 3.0 + r * 5.0
        z = v * 7.0
    assert float(tape.gradient(y, r)) == 5.0
    assert float(tape.gradient(y, v)) == 8.0
    assert tape.gradient(z, r) is None
    assert v.read_value().__class__ is tf.Tensor  # outside a tape: a plain read, no op


def test_gradient_uses_the_values_read_before_an_assign():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x  # reads 2
        x.assign(10.0)
        z = y * x  # reads 10: z = 2 * 2 * 10
    assert float(z) == 40.0
    # d/dx [x1^2 * x2] at x1 = 2, x2 = 10, summed over both reads: 2*2*10 + 4 = 44
    assert float(tape.gradient(z, x)) == 44.0


def test_gradient_after_an_assign_outside_the_tape():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    x.assign(100.0)
    assert float(tape.gradient(y, x)) == 6.0


def test_assign_is_never_recorded():
    v = tf.Variable(1.0)
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        v.assign(x * 3.0)
        y = v * 1.0
        v.assign_add(x)
        z = v * 1.0
    assert float(y) == 6.0 and float(z) == 8.0
    assert tape.gradient(y, x) is None and tape.gradient(z, x) is None
    assert float(tape.gradient(z, v)) == 1.0


@pytest.mark.parametrize("op,expected", [
    (lambda v: v + 1.0, [2.0, 3.0]), (lambda v: 1.0 + v, [2.0, 3.0]), (lambda v: v - 1.0, [0.0, 1.0]),
    (lambda v: 3.0 - v, [2.0, 1.0]), (lambda v: v * 2.0, [2.0, 4.0]), (lambda v: 2.0 * v, [2.0, 4.0]),
    (lambda v: v / 2.0, [0.5, 1.0]), (lambda v: 2.0 / v, [2.0, 1.0]), (lambda v: v ** 2, [1.0, 4.0]),
    (lambda v: 2.0 ** v, [2.0, 4.0]), (lambda v: -v, [-1.0, -2.0]), (lambda v: abs(-v), [1.0, 2.0]),
    (lambda v: v // 2.0, [0.0, 1.0]), (lambda v: v % 2.0, [1.0, 0.0]), (lambda v: v > 1.5, [False, True]),
    (lambda v: v <= 1.0, [True, False]), (lambda v: v == 2.0, [False, True]), (lambda v: v != 2.0, [True, False]),
    (lambda v: v[1], 2.0), (lambda v: v + v, [2.0, 4.0]), (lambda v: np.ones(2) * v, [1.0, 2.0]),
    (lambda v: tf.maximum(v, 1.5), [1.5, 2.0]), (lambda v: tf.reduce_sum(v), 3.0),
])
def test_variables_support_every_operator(op, expected):
    r = op(tf.Variable([1.0, 2.0]))
    assert isinstance(r, tf.Tensor)
    np.testing.assert_array_equal(r.numpy(), expected)


def test_variable_matmul_both_sides():
    v = tf.Variable([[1.0, 2.0]])
    np.testing.assert_array_equal((v @ tf.ones((2, 1))).numpy(), [[3.0]])
    np.testing.assert_array_equal((tf.ones((2, 1)) @ v).numpy(), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_array_equal((np.ones((2, 1), np.float32) @ v).numpy(), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_array_equal((v @ tf.transpose(v)).numpy(), [[5.0]])


def test_variable_conversions():
    v = tf.Variable(2.5)
    assert float(v) == 2.5 and int(v) == 2 and bool(v) and f"{v:.1f}" == "2.5"
    assert np.asarray(v).tolist() == 2.5
    iv = tf.Variable(1)
    assert [10, 20][iv] == 20
    m = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    assert len(m) == 2 and [r.numpy().tolist() for r in m] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError):
        hash(v)
    assert {v.ref(): 1}[v.ref()] == 1


def test_numpy_of_a_variable_is_a_copy_and_scalars_are_numpy_scalars():
    v = tf.Variable(3.0)
    assert isinstance(v.numpy(), np.float32)
    m = tf.Variable([1.0])
    a = m.numpy()
    a[0] = 9.0
    assert m.numpy().tolist() == [1.0]
