"""tf.function runs the decorated function eagerly, with or without arguments, so TensorFlow code using it
runs unchanged; an input_signature is bound as TensorFlow binds it."""

import numpy as np
import pytest

import tapegrad as tf


def test_plain_decorator():
    calls = []

    @tf.function
    def f(x, y=2.0):
        """Docs."""
        calls.append(1)
        return x * y

    assert float(f(tf.constant(3.0))) == 6.0
    assert float(f(tf.constant(3.0), y=3.0)) == 9.0
    assert calls == [1, 1]  # runs every time: no tracing, no caching
    assert f.__name__ == "f" and f.__doc__ == "Docs."
    assert f.python_function(2.0, 4.0) == 8.0


@pytest.mark.parametrize("kwargs", [{}, {"jit_compile": True}, {"reduce_retracing": True}, {"autograph": False},
                                    {"experimental_relax_shapes": True}, {"jit_compile": False, "name": "g"}])
def test_decorator_with_arguments(kwargs):
    @tf.function(**kwargs)
    def f(x):
        return tf.reduce_sum(x * x)

    assert float(f(tf.constant([1.0, 2.0]))) == 5.0


def test_python_side_effects_happen_on_every_call():
    seen = []

    @tf.function
    def f(x):
        seen.append(float(x))  # would only run while tracing under TensorFlow; eagerly it always runs
        return x + 1.0

    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert seen == [1.0, 2.0]


def test_gradients_flow_through_a_function():
    w = tf.Variable([[1.0, 2.0]])

    @tf.function
    def loss(x):
        return tf.reduce_sum(tf.matmul(w, x) ** 2)

    x = tf.constant([[1.0], [1.0]])
    with tf.GradientTape() as tape:
        y = loss(x)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [[6.0, 6.0]])


def test_a_training_step_decorated_as_in_tensorflow_tutorials():
    w = tf.Variable(0.0)
    xs = tf.constant([1.0, 2.0, 3.0])
    ys = 2.0 * xs

    @tf.function(reduce_retracing=True)
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * xs - ys))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    for _ in range(50):
        train_step()
    np.testing.assert_allclose(float(w), 2.0, rtol=1e-4)


def test_input_signature_converts_and_checks_arguments():
    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
    def f(x):
        assert isinstance(x, tf.Tensor) and x.dtype == tf.float32
        return x * 2.0

    np.testing.assert_array_equal(f([1, 2]).numpy(), [2.0, 4.0])  # a Python list becomes a float32 tensor
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(x=tf.constant([3.0])).numpy(), [6.0])
    with pytest.raises(TypeError):
        f(tf.constant([[1.0]]))  # rank 2 against a rank-1 spec
    with pytest.raises(TypeError):
        f(tf.constant([1, 2]))  # an int32 tensor is not converted
    with pytest.raises(TypeError):
        f()


def test_input_signature_with_nested_specs():
    @tf.function(input_signature=[[tf.TensorSpec([2], tf.float64), tf.TensorSpec([], tf.int32)]])
    def f(pair):
        a, n = pair
        return a * tf.cast(n, tf.float64)

    r = f([[1.0, 2.0], 3])
    assert r.dtype == tf.float64 and r.numpy().tolist() == [3.0, 6.0]
    with pytest.raises(TypeError):
        f([[1.0, 2.0]])


def test_function_on_methods():
    class Model:
        def __init__(self):
            self.w = tf.Variable(3.0)

        @tf.function
        def __call__(self, x):
            return self.w * x

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def double(self, x):
            return 2.0 * x

    m = Model()
    assert float(m(tf.constant(2.0))) == 6.0
    assert float(m.double(4)) == 8.0
    with tf.GradientTape() as tape:
        y = m(tf.constant(2.0))
    assert float(tape.gradient(y, m.w)) == 2.0


def test_get_concrete_function():
    @tf.function
    def f(x):
        return x + 1.0

    cf = f.get_concrete_function(tf.TensorSpec([], tf.float32))
    assert float(cf(tf.constant(1.0))) == 2.0


def test_tensor_spec():
    s = tf.TensorSpec(shape=(None, 3), dtype=tf.float64, name="x")
    assert repr(s) == "TensorSpec(shape=(None, 3), dtype=tf.float64, name='x')"
    assert s.shape.as_list() == [None, 3] and s.dtype == tf.float64 and s.name == "x"
    assert s.is_compatible_with(tf.zeros((4, 3), tf.float64))
    assert not s.is_compatible_with(tf.zeros((4, 2), tf.float64))
    assert not s.is_compatible_with(tf.zeros((4, 3)))
    assert tf.TensorSpec.from_tensor(tf.zeros((2,))) == tf.TensorSpec([2], tf.float32)
    assert repr(tf.TensorSpec(None)) == "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert tf.TensorSpec(None).is_compatible_with(tf.zeros((1, 2, 3)))
