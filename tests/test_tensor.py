"""Tensor: shape, dtype, conversions, printing (TensorFlow's `tf.Tensor(...)` / `<tf.Tensor: ...>` forms),
operators, indexing and immutability."""

import operator
import pickle

import numpy as np
import pytest

import tapegrad as tf

# --------------------------------------------------------------------------- printing, exactly as TensorFlow


@pytest.mark.parametrize("value,text", [
    (tf.constant(10.0), "tf.Tensor(10.0, shape=(), dtype=float32)"),
    (50.0 * (tf.constant(1.0) / 7.0), "tf.Tensor(7.1428576, shape=(), dtype=float32)"),
    (tf.constant(50.0) / 7.0, "tf.Tensor(7.142857, shape=(), dtype=float32)"),
    (tf.constant(4), "tf.Tensor(4, shape=(), dtype=int32)"),
    (tf.constant(True), "tf.Tensor(True, shape=(), dtype=bool)"),
    (tf.constant(0.1, dtype=tf.float64), "tf.Tensor(0.1, shape=(), dtype=float64)"),
    (tf.constant([1.0, 2.0]), "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"),
    (tf.constant([1, 2, 3]), "tf.Tensor([1 2 3], shape=(3,), dtype=int32)"),
    (tf.constant([True, False]), "tf.Tensor([ True False], shape=(2,), dtype=bool)"),
    (tf.constant([[1.0, 2.0], [3.0, 4.0]]), "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"),
    (tf.constant([[1, 2, 3], [4, 5, 6]]), "tf.Tensor(\n[[1 2 3]\n [4 5 6]], shape=(2, 3), dtype=int32)"),
    (tf.zeros((0,)), "tf.Tensor([], shape=(0,), dtype=float32)"),
])
def test_str_matches_tensorflow(value, text):
    assert str(value) == text


@pytest.mark.parametrize("value,text", [
    (tf.constant(12.5), "<tf.Tensor: shape=(), dtype=float32, numpy=12.5>"),
    (50.0 * (tf.constant(1.0) / 7.0), "<tf.Tensor: shape=(), dtype=float32, numpy=7.1428576>"),
    (tf.constant(3), "<tf.Tensor: shape=(), dtype=int32, numpy=3>"),
    (tf.constant(False), "<tf.Tensor: shape=(), dtype=bool, numpy=False>"),
    (tf.constant([1.0, 2.0]), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"),
    (tf.constant([1.0, 2.0], dtype=tf.float64), "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([1., 2.])>"),
    (tf.constant([1, 2, 3]), "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>"),
    (tf.constant([True, False]), "<tf.Tensor: shape=(2,), dtype=bool, numpy=array([ True, False])>"),
    (tf.constant([[1.0, 2.0], [3.0, 4.0]]),
     "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 2.],\n       [3., 4.]], dtype=float32)>"),
    (tf.constant([[1, 2], [3, 4]]),
     "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], dtype=int32)>"),
])
def test_repr_matches_tensorflow(value, text):
    assert repr(value) == text


def test_seed_outputs():
    x, y = tf.Variable(25.0), tf.Variable(6.0)
    with tf.GradientTape() as tape:
        f = 0.25 * x ** 2 + 50 * tf.math.log(y + 1)
    assert repr(tape.gradient(f, (x, y))) == (
        "(<tf.Tensor: shape=(), dtype=float32, numpy=12.5>, <tf.Tensor: shape=(), dtype=float32, "
        "numpy=7.1428576>)")
    hours = tf.Variable(20.0, name="hours_worked")
    assert repr((hours,)) == "(<tf.Variable 'hours_worked:0' shape=() dtype=float32, numpy=20.0>,)"


# --------------------------------------------------------------------------- shape, dtype, conversions

def test_shape_is_a_tensorshape():
    t = tf.zeros((2, 3))
    s = t.shape
    assert isinstance(s, tf.TensorShape)
    assert s == (2, 3) and s == [2, 3] and s != (3, 2)
    assert s[0] == 2 and s[-1] == 3 and s[1:] == (3,) and isinstance(s[1:], tf.TensorShape)
    assert s.as_list() == [2, 3] and s.rank == 2 and s.ndims == 2 and len(s) == 2
    assert s.num_elements() == 6 and s.is_fully_defined()
    assert str(s) == "(2, 3)" and repr(s) == "TensorShape([2, 3])"
    assert str(tf.zeros((4,)).shape) == "(4,)" and repr(tf.zeros(()).shape) == "TensorShape([])"
    assert str(tf.zeros(()).shape) == "()"
    assert t.get_shape() == s
    assert tuple(s) == (2, 3) and list(s) == [2, 3]
    assert tf.TensorShape([None, 3]).is_compatible_with([5, 3])
    assert not tf.TensorShape([None, 3]).is_fully_defined()
    assert str(tf.TensorShape([None, 3])) == "(None, 3)"


def test_dtype_and_ndim():
    t = tf.constant([[1.0, 2.0]])
    assert t.dtype == tf.float32 and t.dtype is tf.float32
    assert t.ndim == 2
    assert tf.constant(1).ndim == 0


def test_numpy_returns_a_copy_and_scalars_as_numpy_scalars():
    t = tf.constant([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 100.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    s = tf.constant(3.5).numpy()
    assert isinstance(s, np.float32) and s == 3.5
    assert isinstance(tf.constant(3).numpy(), np.int32)
    assert isinstance(tf.constant(True).numpy(), np.bool_)


def test_tensor_does_not_change_when_its_source_array_changes():
    for make in (tf.constant, tf.convert_to_tensor, tf.identity, lambda a: tf.reshape(a, [2, 2]),
                 lambda a: tf.constant(a, shape=[4]), lambda a: tf.constant(a, dtype=tf.float32)):
        a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
        t = make(a)
        a[0, 0] = 99.0
        a[:] = -1
        assert t.numpy().ravel().tolist() == [1.0, 2.0, 3.0, 4.0], make


def test_array_protocol_cannot_mutate_the_tensor():
    t = tf.constant([1.0, 2.0])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
    try:
        a[0] = 7.0
    except ValueError:
        pass  # a read-only view is also acceptable
    b = np.array(t)
    b[1] = 8.0
    assert t.numpy().tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.sum(t) == 3.0
    assert np.asarray(tf.constant(2.0)).shape == ()


def test_len_and_iteration():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, tf.Tensor) for r in rows)
    assert rows[2].numpy().tolist() == [5.0, 6.0]
    a, b = tf.constant([1, 2])
    assert int(a) == 1 and int(b) == 2
    with pytest.raises(TypeError):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match="scalar"):
        iter(tf.constant(1.0))  # TensorFlow raises at iter(), not at the first next()


def test_python_scalar_conversions():
    assert bool(tf.constant(2.0)) is True and bool(tf.constant(0)) is False
    assert float(tf.constant(2.5)) == 2.5 and isinstance(float(tf.constant(2)), float)
    assert int(tf.constant(3.9)) == 3 and int(tf.constant([7])) == 7
    assert complex(tf.constant(1 + 2j)) == 1 + 2j
    assert [10, 20, 30][tf.constant(2)] == 30
    assert operator.index(tf.constant(1, dtype=tf.int64)) == 1
    assert range(5)[tf.constant(1):tf.constant(3)] == range(1, 3)
    if tf.constant(1.0) > 0:
        pass
    else:
        pytest.fail("a true scalar comparison must be truthy")


@pytest.mark.parametrize("fn", [bool, float, int])
def test_scalar_conversions_of_non_scalars_raise(fn):
    with pytest.raises((TypeError, ValueError)):
        fn(tf.constant([1.0, 2.0]))


def test_index_requires_an_integer_scalar():
    with pytest.raises(TypeError):
        [1, 2][tf.constant(1.0)]
    with pytest.raises(TypeError):
        [1, 2][tf.constant([1])]


def test_format():
    assert f"{tf.constant(3.14159):.2f}" == "3.14"
    assert f"{tf.constant(2.0)}" == "2.0"
    assert f"{tf.constant(7):>3d}" == "  7"
    # TensorFlow formats with NumPy's __format__, which formats a float32 scalar as the Python float it holds
    t = 50.0 * (tf.constant(1.0) / 7.0)
    assert f"{t}" == f"{np.float32(7.1428576)}" == "7.142857551574707"
    assert f"{t:.3f}" == "7.143"
    assert f"{tf.constant([1.0, 2.0])}" == "[1. 2.]"


def test_tensors_are_unhashable_but_have_refs():
    t = tf.constant(1.0)
    with pytest.raises(TypeError):
        hash(t)
    d = {t.ref(): "x"}
    assert d[t.ref()] == "x" and t.ref().deref() is t
    assert tf.constant(1.0).ref() != t.ref()


def test_pickle_and_copy():
    import copy

    t = tf.constant([1.0, 2.0])
    u = pickle.loads(pickle.dumps(t))
    assert u.dtype == tf.float32 and u.numpy().tolist() == [1.0, 2.0]
    assert copy.copy(t) is t and copy.deepcopy(t) is t


def test_is_tensor():
    assert tf.is_tensor(tf.constant(1.0)) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor(1.0)


# --------------------------------------------------------------------------- operators

X = np.array([[1.5, -2.0], [3.0, 0.5]], dtype=np.float32)
Y = np.array([[0.5, 4.0], [-1.0, 2.0]], dtype=np.float32)

BINARY = [
    (operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
    (operator.truediv, np.true_divide), (operator.floordiv, np.floor_divide), (operator.mod, np.mod),
    (operator.matmul, np.matmul), (operator.lt, np.less), (operator.le, np.less_equal),
    (operator.gt, np.greater), (operator.ge, np.greater_equal), (operator.eq, np.equal), (operator.ne, np.not_equal),
]


@pytest.mark.parametrize("op,ref", BINARY)
def test_binary_operators_and_their_reflections(op, ref):
    x, y = tf.constant(X), tf.constant(Y)
    for a, b in ((x, y), (x, Y), (X, y)):
        r = op(a, b)
        assert isinstance(r, tf.Tensor), (a, b)
        np.testing.assert_allclose(r.numpy(), ref(X, Y), rtol=1e-6)
    s = op(x, 2.0) if op is not operator.matmul else None
    if s is not None:
        np.testing.assert_allclose(s.numpy(), ref(X, np.float32(2.0)), rtol=1e-6)
        np.testing.assert_allclose(op(2.0, x).numpy(), ref(np.float32(2.0), X), rtol=1e-6)


def test_power_operators():
    x = tf.constant([1.0, 2.0, 3.0])
    np.testing.assert_allclose((x ** 2).numpy(), [1.0, 4.0, 9.0])
    np.testing.assert_allclose((2.0 ** x).numpy(), [2.0, 4.0, 8.0])
    np.testing.assert_allclose((x ** x).numpy(), [1.0, 4.0, 27.0])
    assert (tf.constant(2) ** 3).numpy() == 8


def test_unary_operators():
    x = tf.constant([-1.5, 2.0])
    np.testing.assert_array_equal((-x).numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(abs(x).numpy(), [1.5, 2.0])
    np.testing.assert_array_equal((+x).numpy(), [-1.5, 2.0])
    np.testing.assert_array_equal((~tf.constant([True, False])).numpy(), [False, True])
    assert (~tf.constant(5)).numpy() == -6


def test_logical_and_bitwise_operators():
    a, b = tf.constant([True, True, False]), tf.constant([True, False, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, False])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True, False])
    np.testing.assert_array_equal((a & False).numpy(), [False, False, False])
    np.testing.assert_array_equal((True & b).numpy(), [True, False, False])
    assert (tf.constant(6) & 3).numpy() == 2 and (tf.constant(6) | 1).numpy() == 7 and (6 ^ tf.constant(3)).numpy() == 5


def test_equality_with_none_and_incompatible_operands():
    t = tf.constant([1.0, 2.0])
    assert (t == None) is False  # noqa: E711
    assert (t != None) is True  # noqa: E711
    np.testing.assert_array_equal((t == 1.0).numpy(), [True, False])


def test_operators_on_integer_tensors():
    a, b = tf.constant([7, -7]), tf.constant([2, 2])
    np.testing.assert_array_equal((a // b).numpy(), [3, -4])
    np.testing.assert_array_equal((a % b).numpy(), [1, 1])
    r = a / b  # TensorFlow's truediv: int32 is divided in float64
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [3.5, -3.5])


def test_broadcasting_in_operators():
    r = tf.ones((3, 1)) + tf.constant([1.0, 2.0])
    assert r.shape == (3, 2)


# --------------------------------------------------------------------------- indexing

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("key", [
    0, -1, (1, 2), (1, 2, 3), slice(None), slice(None, None, -1), (slice(None), slice(0, 3, 2)),
    (Ellipsis, 1), (Ellipsis, slice(None, None, -2)), (None, 0), (0, None, Ellipsis, None),
    (slice(None), None, 1), np.array([1, 0, 1]), [1, 0], (0, [2, 0]), (slice(None), np.array([0, 2]), 1),
    np.array([True, False]), (1, np.array([True, False, True])), (0, slice(1, None), np.array([0, 3])),
])
def test_getitem_matches_numpy(key):
    t = tf.constant(A)
    r = t[key]
    np.testing.assert_array_equal(r.numpy(), A[key])
    assert r.dtype == tf.float32


def test_getitem_with_tensor_indices():
    t = tf.constant(A)
    np.testing.assert_array_equal(t[tf.constant(1)].numpy(), A[1])
    np.testing.assert_array_equal(t[0, tf.constant([2, 0])].numpy(), A[0, [2, 0]])
    np.testing.assert_array_equal(t[tf.constant([True, False])].numpy(), A[[True, False]])
    np.testing.assert_array_equal(t[:, tf.constant(1):tf.constant(3)].numpy(), A[:, 1:3])
    np.testing.assert_array_equal(t[tf.newaxis, 1].numpy(), A[None, 1])


def test_getitem_is_differentiable():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x[::2] * 3.0) + x[-1] ** 2 + tf.reduce_sum(x[np.array([0, 0, 1])])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [5.0, 1.0, 3.0, 8.0])


def test_getitem_of_a_variable():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = v[1, 0] * 2.0
    assert float(y) == 6.0
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[0.0, 0.0], [2.0, 0.0]])


def test_tensors_have_no_item_assignment():
    t = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError):
        t[0] = 5.0
