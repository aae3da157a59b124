"""DTypes and TensorFlow's conversion rules (tensorflow/python/framework/dtypes.py, constant_op.py and the
EagerTensor conversion in pywrap_tensor.cc: Python floats -> float32, ints -> int32 (int64 past int32),
NumPy values keep their dtype, a Python operand takes the tensor operand's dtype)."""

import pickle

import numpy as np
import pytest

import tapegrad as tf

ALL = [("float16", np.float16), ("float32", np.float32), ("float64", np.float64), ("int8", np.int8),
       ("int16", np.int16), ("int32", np.int32), ("int64", np.int64), ("uint8", np.uint8),
       ("uint16", np.uint16), ("uint32", np.uint32), ("uint64", np.uint64), ("bool", np.bool_),
       ("complex64", np.complex64), ("complex128", np.complex128)]


# --------------------------------------------------------------------------- DType objects

@pytest.mark.parametrize("name,np_type", ALL)
def test_dtype_names_equality_and_printing(name, np_type):
    d = getattr(tf, name)
    assert isinstance(d, tf.DType)
    assert d.name == name
    assert repr(d) == f"tf.{name}"
    assert str(d) == f"<dtype: '{name}'>"
    assert d == np_type and d == np.dtype(np_type) and d == name and d == d
    assert d.as_numpy_dtype is np_type
    assert tf.as_dtype(name) is d and tf.as_dtype(np_type) is d and tf.as_dtype(np.dtype(np_type)) is d
    assert tf.as_dtype(d) is d
    assert hash(d) == hash(tf.as_dtype(name))
    assert pickle.loads(pickle.dumps(d)) is d


def test_dtype_inequality():
    assert tf.float32 != tf.float64
    assert tf.float32 != np.float64
    assert tf.float32 != "int32"
    assert tf.float32 != None  # noqa: E711
    assert tf.float32 != "not a dtype"
    assert not (tf.int32 == tf.int64)


def test_dtype_aliases_and_python_types():
    assert tf.half is tf.float16 and tf.double is tf.float64
    assert tf.as_dtype(float) is tf.float32
    assert tf.as_dtype(int) is tf.int32
    assert tf.as_dtype(bool) is tf.bool
    assert tf.as_dtype(complex) is tf.complex64


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.float32.is_integer and not tf.float32.is_complex
    assert tf.int8.is_integer and not tf.int8.is_unsigned and tf.uint8.is_unsigned
    assert tf.complex64.is_complex and tf.complex64.real_dtype is tf.float32
    assert tf.complex128.real_dtype is tf.float64
    assert tf.bool.is_bool
    assert tf.float64.size == 8 and tf.int16.size == 2
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.max == 255
    assert tf.float32.max == float(np.finfo(np.float32).max)
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.is_compatible_with(np.float32) and not tf.float32.is_compatible_with(tf.float64)


@pytest.mark.parametrize("bad", ["floaty", object(), 3.5, "float3"])
def test_as_dtype_rejects_unknown_types(bad):
    with pytest.raises(TypeError, match="DType"):
        tf.as_dtype(bad)


def test_dtypes_namespace():
    assert tf.dtypes.float32 is tf.float32
    assert tf.dtypes.as_dtype("int64") is tf.int64
    assert tf.dtypes.DType is tf.DType
    assert tf.dtypes.cast(tf.constant(1.5), tf.int32).numpy() == 1


# --------------------------------------------------------------------------- conversion of Python values

@pytest.mark.parametrize("value,dtype", [
    (1.0, tf.float32), (1, tf.int32), (True, tf.bool), (1 + 2j, tf.complex64),
    ([1.0, 2.0], tf.float32), ([1, 2], tf.int32), ([True, False], tf.bool),
    ([[1, 2.5], [3, 4]], tf.float32),  # a float anywhere makes the list float32
    ([[1, 2], [3, 4]], tf.int32), ([1, 2j], tf.complex64), ([], tf.float32),
    (2 ** 40, tf.int64), ([1, 2 ** 40], tf.int64),  # Python ints beyond int32 become int64
    ((1.0, 2.0), tf.float32),
])
def test_python_values_convert_with_tensorflows_defaults(value, dtype):
    t = tf.constant(value)
    assert t.dtype == dtype
    assert tf.convert_to_tensor(value).dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value, dtype=dtype.as_numpy_dtype))


@pytest.mark.parametrize("np_dtype", [np.float16, np.float64, np.int64, np.int8, np.uint8, np.bool_, np.complex128])
def test_numpy_arrays_and_scalars_keep_their_dtype(np_dtype):
    a = np.array([1, 0], dtype=np_dtype)
    assert tf.constant(a).dtype == np_dtype
    assert tf.convert_to_tensor(a).dtype == np_dtype
    assert tf.constant(a[0]).dtype == np_dtype  # a NumPy scalar
    assert tf.constant([a[0], a[1]]).dtype == np_dtype  # a list of NumPy scalars


def test_requested_dtype_converts_python_values():
    assert tf.constant(1, dtype=tf.float32).numpy() == 1.0
    assert tf.constant([1, 2], dtype=tf.float64).dtype == tf.float64
    assert tf.constant(1.0, dtype="float16").dtype == tf.float16
    assert tf.convert_to_tensor(3, dtype=np.int8).dtype == tf.int8
    assert tf.constant(True, dtype=tf.int32).numpy() == 1


def test_python_value_that_would_lose_information_raises_type_error():
    # pywrap_tensor.cc: "Cannot convert 1.5 to EagerTensor of dtype int32"
    with pytest.raises(TypeError, match="1.5.*int32"):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.constant([1, 2.5], dtype=tf.int64)
    with pytest.raises(TypeError):
        tf.constant(1 + 1j, dtype=tf.float32)
    with pytest.raises(TypeError, match="2.0.*int32"):
        tf.constant(2.0, dtype=tf.int32)  # even an integral float: TensorFlow's ConvertScalar refuses floats
    with pytest.raises(TypeError):
        tf.constant(1, dtype=tf.bool)
    with pytest.raises(TypeError):
        tf.constant(1) + 2.0


def test_numpy_values_are_cast_by_numpy_to_a_requested_dtype():
    # py_seq_tensor.cc converts NumPy arrays with PyArray_FromAny(..., NPY_ARRAY_FORCECAST): a plain NumPy cast.
    r = tf.constant(np.array([1.7, -1.7]), dtype=tf.int32)
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r.numpy(), [1, -1])
    assert tf.convert_to_tensor(np.array([1.5]), dtype=tf.int32).numpy().tolist() == [1]
    assert tf.convert_to_tensor(np.float64(2.5), dtype=tf.float32).dtype == tf.float32
    np.testing.assert_array_equal(tf.constant(np.array([True, False]), dtype=tf.float32).numpy(), [1.0, 0.0])


def test_convert_to_tensor_of_a_tensor_with_another_dtype_raises():
    # tensor_conversion_registry: "Tensor conversion requested dtype float64 for Tensor with dtype float32"
    with pytest.raises(ValueError, match="float64.*float32"):
        tf.convert_to_tensor(tf.constant([1.5]), dtype=tf.float64)
    t = tf.constant([1.5])
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor(t, dtype=tf.float32) is t


def test_dtype_hint_is_a_soft_preference():
    assert tf.convert_to_tensor(1, dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor(np.array([1]), dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor(1.5, dtype_hint=tf.int32).dtype == tf.float32  # hint impossible: default


@pytest.mark.parametrize("bad", ["abc", None, [[1.0], [1.0, 2.0]], {"a": 1}, object()])
def test_unconvertible_values_raise(bad):
    with pytest.raises((TypeError, ValueError)):
        tf.constant(bad)


# --------------------------------------------------------------------------- binary ops: Python operands adopt

@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.int8, tf.int16, tf.int32, tf.int64,
                                   tf.uint8])
def test_python_scalars_adopt_the_tensor_dtype(dtype):
    t = tf.constant([1, 2], dtype=dtype)
    for r in (t + 2, 2 + t, t * 3, 3 * t, t - 1, 5 - t, t ** 2, tf.maximum(t, 1), tf.add(1, t)):
        assert r.dtype == dtype, r
    if dtype.is_floating:
        assert (t + 0.5).dtype == dtype and (0.5 * t).dtype == dtype


def test_python_list_operand_adopts_the_tensor_dtype():
    t = tf.constant([1.0, 2.0], dtype=tf.float64)
    assert (t + [1, 2]).dtype == tf.float64
    assert ([1.0, 2.0] + tf.constant([1.0, 2.0])).dtype == tf.float32
    np.testing.assert_array_equal(([1, 2] + tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])


@pytest.mark.parametrize("op", [lambda t: t + 2.5, lambda t: 2.5 + t, lambda t: t * 0.5, lambda t: tf.multiply(t, 1.5),
                                lambda t: tf.maximum(t, 0.5)])
def test_int_tensor_with_a_python_float_raises_type_error(op):
    with pytest.raises(TypeError, match="2.5|0.5|1.5"):
        op(tf.constant([1, 2]))


def test_numpy_array_operand_is_cast_to_the_tensor_dtype():
    # The op's "T" attribute comes from the tensor operand; the array is converted to it (a NumPy cast).
    r = tf.constant([1.0, 2.0]) + np.array([0.5, 0.5])
    assert r.dtype == tf.float32
    np.testing.assert_allclose(r.numpy(), [1.5, 2.5])
    assert (tf.constant([1.0]) * np.array([2])).dtype == tf.float32
    assert (tf.constant([1, 2]) + np.array([1, 2], np.int64)).dtype == tf.int32
    r = tf.constant([1, 2]) + np.array([1.5, 2.0])
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r.numpy(), [2, 4])


def test_ndarray_on_the_left_returns_a_tensor():
    t = tf.constant([1.0, 2.0])
    for r in (np.ones(2) * t, np.ones(2) + t, np.ones(2) - t, np.ones(2) / t, np.float64(2.0) * t):
        assert isinstance(r, tf.Tensor)
        assert r.dtype == tf.float32


@pytest.mark.parametrize("fn,op", [(tf.add, "AddV2"), (tf.multiply, "Mul"), (tf.subtract, "Sub"),
                                   (tf.divide, "RealDiv"), (tf.maximum, "Maximum"), (tf.less, "Less")])
def test_two_tensors_of_different_dtypes_raise_invalid_argument(fn, op):
    x = tf.constant([1.0, 2.0])
    y = tf.constant([1.0, 2.0], dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        fn(x, y)
    msg = str(e.value)
    assert op in msg and "float32" in msg and "float64" in msg
    assert "cast" in msg  # says what to do
    assert e.value.__suppress_context__ or e.value.__context__ is None


def test_operator_with_mixed_tensor_dtypes_raises_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="AddV2.*|.*int32"):
        tf.constant(1.0) + tf.constant(1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int64"):
        tf.constant([1, 2]) * tf.constant(np.array([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.Variable(1.0) + tf.Variable(1.0, dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), dtype=tf.float64))


# --------------------------------------------------------------------------- tf.cast

def test_cast_float_to_int_truncates_toward_zero():
    r = tf.cast(tf.constant([1.7, -1.7, 2.5, -0.5]), tf.int32)
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r.numpy(), [1, -1, 2, 0])


def test_cast_between_dtypes():
    assert tf.cast(tf.constant([1, 2]), tf.float32).dtype == tf.float32
    np.testing.assert_array_equal(tf.cast(tf.constant([0.0, 2.0]), tf.bool).numpy(), [False, True])
    np.testing.assert_array_equal(tf.cast(tf.constant([True, False]), tf.float32).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(tf.cast(tf.constant([1 + 2j]), tf.float32).numpy(), [1.0])  # drops imag
    assert tf.cast(1.5, "float64").dtype == tf.float64
    assert tf.cast([1, 2], np.float16).dtype == tf.float16
    t = tf.constant([1.0])
    assert tf.cast(t, tf.float32) is t  # same dtype: the tensor itself, as TensorFlow returns it


def test_cast_gradients_flow_between_floats_only():
    x = tf.constant([1.5, 2.5])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y64 = tf.cast(x, tf.float64) * 2.0
        yi = tf.cast(x, tf.int32)
    g = tape.gradient(y64, x)
    assert g.dtype == tf.float32
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])
    assert tape.gradient(yi, x) is None
