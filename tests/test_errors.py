"""Misuse is rejected with the exception class a TensorFlow user catches, a message naming the op, the shapes
and dtypes involved and what to do, and no chained backend traceback."""

import pytest

import tapegrad as tf
from tapegrad._core.primitive import Primitive, apply


def raises(cls, fn, *needles):
    """Calls fn, checks the exception class, that the message holds every needle, and that no backend
    exception is chained onto it (the user sees one clean error)."""
    with pytest.raises(cls) as info:
        fn()
    err = info.value
    msg = str(err)
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__, "a backend exception is chained onto the error"
    return err


def test_error_classes_are_tensorflows_and_pythons():
    e = tf.errors
    assert issubclass(e.InvalidArgumentError, e.OpError) and issubclass(e.InvalidArgumentError, ValueError)
    assert issubclass(e.NotFoundError, LookupError) and issubclass(e.OutOfRangeError, e.OpError)
    assert issubclass(e.UnimplementedError, NotImplementedError)
    for name in ("AbortedError", "AlreadyExistsError", "CancelledError", "DataLossError", "DeadlineExceededError",
                 "FailedPreconditionError", "InternalError", "PermissionDeniedError", "ResourceExhaustedError",
                 "UnauthenticatedError", "UnavailableError", "UnknownError"):
        assert issubclass(getattr(e, name), e.OpError), name
    err = e.InvalidArgumentError(None, "MatMul", "bad shapes")
    assert str(err) == "bad shapes" and err.message == "bad shapes" and err.op == "MatMul"


# --------------------------------------------------------------------------- shapes

def test_mismatched_shapes_in_add():
    err = raises(tf.errors.InvalidArgumentError, lambda: tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0]),
                 "AddV2", "Incompatible shapes", "[2]", "[3]", "float32", "broadcast")
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("fn,op", [(tf.multiply, "Mul"), (tf.subtract, "Sub"), (tf.maximum, "Maximum"),
                                   (tf.less, "Less"), (tf.pow, "Pow")])
def test_mismatched_shapes_in_elementwise_ops(fn, op):
    raises(tf.errors.InvalidArgumentError, lambda: fn(tf.ones((2, 3)), tf.ones((3, 2))), op, "[2, 3]", "[3, 2]")


def test_mismatched_shapes_inside_a_tape():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        raises(tf.errors.InvalidArgumentError, lambda: x * tf.ones(3), "Mul", "[2]", "[3]")


def test_matmul_inner_dimensions():
    raises(tf.errors.InvalidArgumentError, lambda: tf.matmul(tf.ones((2, 3)), tf.ones((2, 3))),
           "MatMul", "[2, 3]", "3", "2", "must match")
    raises(tf.errors.InvalidArgumentError, lambda: tf.ones((2, 3)) @ tf.ones((4, 5)), "MatMul", "[4, 5]")


def test_matmul_needs_rank_two():
    raises(tf.errors.InvalidArgumentError, lambda: tf.matmul(tf.ones(3), tf.ones((3, 2))), "MatMul", "rank 2",
           "matvec")


def test_reshape_to_a_wrong_size():
    raises(tf.errors.InvalidArgumentError, lambda: tf.reshape(tf.ones((2, 3)), [4]), "Reshape", "6", "[4]")
    raises(tf.errors.InvalidArgumentError, lambda: tf.reshape(tf.ones((2, 3)), [-1, 4]), "Reshape", "6")
    raises(tf.errors.InvalidArgumentError, lambda: tf.reshape(tf.ones((2, 3)), [-1, -1]), "Reshape")


def test_concat_rank_and_dimension_mismatch():
    raises(tf.errors.InvalidArgumentError, lambda: tf.concat([tf.ones((2, 3)), tf.ones((3,))], 0),
           "ConcatV2", "[2, 3]", "[3]")
    raises(tf.errors.InvalidArgumentError, lambda: tf.concat([tf.ones((2, 3)), tf.ones((2, 4))], 0),
           "ConcatV2", "[2, 4]")
    raises(tf.errors.InvalidArgumentError, lambda: tf.concat([tf.ones((2, 3)), tf.ones((2, 3))], 2), "ConcatV2", "2")


def test_stack_shape_mismatch():
    raises(tf.errors.InvalidArgumentError, lambda: tf.stack([tf.ones(2), tf.ones(3)]), "[2]", "[3]")


def test_out_of_range_index():
    t = tf.constant([1.0, 2.0])
    err = raises(tf.errors.InvalidArgumentError, lambda: t[5], "StridedSlice", "5", "(2,)")
    assert isinstance(err, IndexError)
    raises(tf.errors.InvalidArgumentError, lambda: t[0, 0], "StridedSlice", "(2,)")
    raises(tf.errors.InvalidArgumentError, lambda: tf.ones((2, 3))[:, 3], "StridedSlice")


def test_invalid_index_types():
    raises(TypeError, lambda: tf.constant([1.0, 2.0])[1.0], "1.0")
    raises(TypeError, lambda: tf.constant([1.0, 2.0])["a"])


def test_bad_axis_in_reductions():
    for fn in (tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_min, tf.reduce_prod):
        raises(tf.errors.InvalidArgumentError, lambda fn=fn: fn(tf.ones((2, 3)), axis=2), "2", "dimension")
    raises(tf.errors.InvalidArgumentError, lambda: tf.reduce_sum(tf.ones((2, 3)), axis=[0, 0]), "repeats")


def test_bad_axes_in_shape_ops():
    raises(tf.errors.InvalidArgumentError, lambda: tf.expand_dims(tf.ones((2, 3)), 4), "ExpandDims", "4")
    raises(tf.errors.InvalidArgumentError, lambda: tf.squeeze(tf.ones((2, 3)), 0), "Squeeze", "dim")
    raises(tf.errors.InvalidArgumentError, lambda: tf.transpose(tf.ones((2, 3)), [0, 0]), "Transpose", "perm")


# --------------------------------------------------------------------------- dtypes

def test_dtype_mismatch_between_tensors():
    raises(tf.errors.InvalidArgumentError, lambda: tf.constant(1.0) * tf.constant(2), "Mul", "float32", "int32",
           "tf.cast")
    raises(tf.errors.InvalidArgumentError, lambda: tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), tf.float64)),
           "MatMul", "float64")
    raises(tf.errors.InvalidArgumentError, lambda: tf.concat([tf.ones(2), tf.ones(2, tf.float64)], 0),
           "float64", "tf.cast")


def test_python_float_beside_an_integer_tensor():
    raises(TypeError, lambda: tf.constant([1, 2]) * 0.5, "0.5", "int32")


def test_conversion_errors():
    raises(TypeError, lambda: tf.constant("text"), "str")
    raises(TypeError, lambda: tf.constant(None), "None")
    raises((TypeError, ValueError), lambda: tf.constant([[1.0], [1.0, 2.0]]))
    raises(TypeError, lambda: tf.as_dtype("floaty"), "floaty")
    raises(ValueError, lambda: tf.convert_to_tensor(tf.constant(1.0), dtype=tf.int32), "int32", "float32")
    raises(TypeError, lambda: tf.cast(tf.constant(1.0), "nope"))


# --------------------------------------------------------------------------- Python protocol misuse

def test_python_protocol_misuse():
    raises(TypeError, lambda: len(tf.constant(1.0)), "scalar")
    raises(TypeError, lambda: iter(tf.constant(1.0)), "scalar")
    raises(TypeError, lambda: float(tf.constant([1.0, 2.0])), "(2,)")
    raises(ValueError, lambda: bool(tf.constant([1.0, 2.0])), "ambiguous")
    raises(TypeError, lambda: hash(tf.constant(1.0)), "ref()")
    raises(TypeError, lambda: [1, 2][tf.constant(0.0)], "float32")


# --------------------------------------------------------------------------- variables

def test_variable_misuse():
    raises(ValueError, lambda: tf.Variable([1.0, 2.0], name="w").assign([1.0]), "w:0", "(2,)", "(1,)")
    raises(ValueError, lambda: tf.Variable([1.0, 2.0]).assign(tf.constant([1, 2])), "int32", "float32")
    raises(TypeError, lambda: tf.Variable(1).assign(1.5), "1.5", "int32")
    raises(ValueError, lambda: tf.Variable(None))


# --------------------------------------------------------------------------- tapes

def test_tape_misuse():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        raises(ValueError, lambda: tape.watch(3.0), "float")
    tape.gradient(y, x)
    raises(RuntimeError, lambda: tape.gradient(y, x), "persistent")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    raises(TypeError, lambda: tape.gradient(y, 3.0), "float")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    raises(ValueError, lambda: tape.gradient(y, x, unconnected_gradients="maybe"), "maybe")
    raises(ValueError, lambda: tape.gradient(y, x, output_gradients=tf.ones(3)), "(3,)", "()")


def test_an_op_without_a_gradient_raises_lookup_error():
    prim = Primitive("MysteryOp", lambda xp, x: x * 2)  # differentiable, but no gradient rule
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = apply(prim, (x,))
    raises(LookupError, lambda: tape.gradient(y, x), "MysteryOp", "stop_gradient")


def test_custom_gradient_misuse():
    w = tf.Variable(1.0)

    @tf.custom_gradient
    def uses_w(x):
        return x * w, lambda dy: dy

    raises(TypeError, lambda: uses_w(tf.constant(1.0)), "variables")

    @tf.custom_gradient
    def no_pair(x):
        return x

    raises(TypeError, lambda: no_pair(tf.constant(1.0)), "grad_fn")


def test_function_input_signature_mismatch():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x * 2.0

    raises(TypeError, lambda: f(tf.ones((2, 2))), "TensorSpec", "(2, 2)")
    raises(TypeError, lambda: f(tf.constant([1, 2])), "int32")
    raises(TypeError, lambda: f(), "x")
