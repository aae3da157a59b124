"""tf.random: TensorFlow's seed semantics (reproducible under a seed, in one process and across processes),
distributions (moments within statistical tolerance under fixed seeds), truncation, categorical frequencies,
shuffles, stateless ops, tf.random.Generator, gradients through mean/stddev/minval/maxval, and errors."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.ops import random_ops
from tapegrad.ops.random_ops import op_rng


@pytest.fixture(autouse=True)
def _no_global_seed():
    """Every test starts, and leaves the process, without a global seed."""
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def _draws():
    """One of each random op, without op seeds (their op seeds come from the global seed)."""
    return [tf.random.normal([3]).numpy(), tf.random.uniform([2, 2]).numpy(),
            tf.random.uniform([4], maxval=100, dtype=tf.int64).numpy(), tf.random.truncated_normal([3]).numpy(),
            tf.random.categorical([[0.0, 1.0, 2.0]], 5).numpy(), tf.random.shuffle(tf.range(6)).numpy()]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


# =========================================================================== seed semantics

def test_global_seed_reproduces_the_sequence():
    tf.random.set_seed(1234)
    first = _draws() + _draws()
    tf.random.set_seed(1234)
    again = _draws() + _draws()
    assert _same(first, again)
    assert not np.array_equal(first[0], first[6])  # each op call gets its own op seed
    tf.random.set_seed(4321)
    assert not _same(first, _draws() + _draws())


def test_op_seed_continues_one_stream_until_set_seed():
    """TensorFlow's cached kernel: the same op and seed gives A1, A2, ...; set_seed restarts at A1."""
    tf.random.set_seed(7)
    a1 = tf.random.uniform([3], seed=1).numpy()
    a2 = tf.random.uniform([3], seed=1).numpy()
    assert not np.array_equal(a1, a2)
    tf.random.set_seed(7)
    np.testing.assert_array_equal(tf.random.uniform([3], seed=1).numpy(), a1)
    np.testing.assert_array_equal(tf.random.uniform([3], seed=1).numpy(), a2)
    tf.random.set_seed(7)
    assert not np.array_equal(tf.random.uniform([3], seed=2).numpy(), a1)


def test_op_seed_alone_uses_the_default_global_seed():
    tf.random.set_seed(None)
    a = tf.random.normal([4], seed=11).numpy()
    tf.random.set_seed(None)  # clears the kernels' streams, as TensorFlow's set_seed clears its kernel cache
    np.testing.assert_array_equal(tf.random.normal([4], seed=11).numpy(), a)
    assert random_ops.get_seed(11) == (random_ops.DEFAULT_GRAPH_SEED, 11)


def test_get_seed_follows_tensorflow():
    assert random_ops.get_seed(None) == (None, None)
    tf.random.set_seed(0)
    s1, s2 = random_ops.get_seed(None)
    assert s1 == 0 and 0 <= s2 < 2**31 - 1
    assert random_ops.get_seed(0) == (0, 2**31 - 1)  # (0, 0) is avoided, as in TensorFlow
    assert random_ops.get_seed(-3) == (0, (-3) % (2**31 - 1))


def test_no_seed_is_nondeterministic():
    assert not np.array_equal(tf.random.normal([8]).numpy(), tf.random.normal([8]).numpy())


_SCRIPT = """
import json, tapegrad as tf
tf.random.set_seed(99)
out = [tf.random.normal([3]).numpy().tolist(), tf.random.uniform([2], seed=5).numpy().tolist(),
       tf.random.categorical([[0.0, 1.0]], 4).numpy().tolist(),
       tf.random.Generator.from_seed(3).normal([2]).numpy().tolist(),
       tf.random.stateless_uniform([2], seed=[4, 5]).numpy().tolist()]
tf.random.set_seed(None)
out.append(tf.random.uniform([2], seed=5).numpy().tolist())
print(json.dumps(out))
"""


def test_reproducible_across_processes():
    """Same seeds, same values in a fresh interpreter (Python's hash randomization does not enter)."""
    def here():
        tf.random.set_seed(99)
        out = [tf.random.normal([3]).numpy().tolist(), tf.random.uniform([2], seed=5).numpy().tolist(),
               tf.random.categorical([[0.0, 1.0]], 4).numpy().tolist(),
               tf.random.Generator.from_seed(3).normal([2]).numpy().tolist(),
               tf.random.stateless_uniform([2], seed=[4, 5]).numpy().tolist()]
        tf.random.set_seed(None)
        out.append(tf.random.uniform([2], seed=5).numpy().tolist())
        return out

    res = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "random", "PATH": "/usr/bin:/bin"})
    assert json.loads(res.stdout) == here()


def test_op_rng_contract():
    """`op_rng(seed, op, dtype)`: a Generator per call, under the global and op seeds, as the ops use."""
    tf.random.set_seed(3)
    a = op_rng(7).random(3)
    b = op_rng(7).random(3)
    assert not np.array_equal(a, b)
    c = op_rng(None).random(3)
    tf.random.set_seed(3)
    np.testing.assert_array_equal(op_rng(7).random(3), a)
    np.testing.assert_array_equal(op_rng(7).random(3), b)
    np.testing.assert_array_equal(op_rng(None).random(3), c)
    # each (op, dtype) kernel keeps its own call count (TensorFlow's kernel cache); the seeds name the stream
    op_rng(7)
    np.testing.assert_array_equal(op_rng(7, "Dropout", tf.float32).random(3), a)
    np.testing.assert_array_equal(op_rng(7, "Dropout", tf.float32).random(3), b)
    tf.random.set_seed(None)
    assert isinstance(op_rng(None), np.random.Generator)


# =========================================================================== distributions

def test_normal_moments_dtypes_and_broadcasting():
    tf.random.set_seed(1)
    for dtype in (tf.float16, tf.float32, tf.float64):
        x = tf.random.normal([20000], dtype=dtype)
        assert x.dtype == dtype and x.shape == (20000,)
        v = x.numpy().astype(np.float64)
        assert abs(v.mean()) < 0.03 and abs(v.std() - 1) < 0.03
    x = tf.random.normal([10000, 2], mean=[-3.0, 5.0], stddev=[0.5, 2.0], seed=4).numpy()
    np.testing.assert_allclose(x.mean(0), [-3.0, 5.0], atol=0.06)
    np.testing.assert_allclose(x.std(0), [0.5, 2.0], rtol=0.04)
    assert tf.random.normal([]).shape == ()


def test_uniform_floats():
    tf.random.set_seed(2)
    x = tf.random.uniform([20000]).numpy()
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.005
    y = tf.random.uniform([20000], minval=-2.0, maxval=3.0, dtype=tf.float64).numpy()
    assert y.dtype == np.float64 and y.min() >= -2 and y.max() < 3 and abs(y.mean() - 0.5) < 0.05
    h = tf.random.uniform([50000], dtype=tf.float16).numpy()
    assert h.dtype == np.float16 and h.max() < 1 and h.min() >= 0
    z = tf.random.uniform([1000, 2], minval=[0.0, 10.0], maxval=[1.0, 20.0]).numpy()  # bounds broadcast
    assert z[:, 0].max() < 1 and z[:, 1].min() >= 10


def test_uniform_integers():
    tf.random.set_seed(3)
    x = tf.random.uniform([30000], minval=-2, maxval=4, dtype=tf.int32).numpy()
    assert x.dtype == np.int32
    counts = np.bincount(x + 2, minlength=6)
    assert counts.size == 6 and np.all(np.abs(counts / 30000 - 1 / 6) < 0.01)
    assert tf.random.uniform([2], maxval=2**40, dtype=tf.int64).dtype == tf.int64
    assert tf.random.uniform([0], minval=5, maxval=5, dtype=tf.int32).shape == (0,)  # nothing to draw: no check


def test_uniform_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype tf.int32"):
        tf.random.uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="invalid value int8"):
        tf.random.uniform([2], maxval=3, dtype=tf.int8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval, got 5 >= 3"):
        tf.random.uniform([2], minval=5, maxval=3, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"minval must be 0-D, got shape \[2\]"):
        tf.random.uniform([2], minval=[1, 2], maxval=3, dtype=tf.int32)
    with pytest.raises(ValueError, match="min: .*float32.*float64"):
        tf.random.uniform([2], minval=tf.constant(1.0, tf.float64))


def test_truncated_normal_bounds_and_moments():
    tf.random.set_seed(4)
    x = tf.random.truncated_normal([40000]).numpy().astype(np.float64)
    assert np.abs(x).max() <= 2.0
    # a standard normal truncated to [-2, 2] has mean 0 and standard deviation 0.8796
    assert abs(x.mean()) < 0.02 and abs(x.std() - 0.8796) < 0.01
    y = tf.random.truncated_normal([20000], mean=3.0, stddev=0.5, dtype=tf.float64).numpy()
    assert y.dtype == np.float64 and np.abs(y - 3.0).max() <= 1.0
    assert np.abs(tf.random.truncated_normal([5000], dtype=tf.float16).numpy()).max() <= 2.0


def test_normal_needs_float_dtype_and_matching_mean():
    with pytest.raises(TypeError, match="floating-point"):
        tf.random.normal([2], dtype=tf.int32)
    with pytest.raises(TypeError, match="floating-point"):
        tf.random.truncated_normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="mean: "):
        tf.random.normal([], mean=tf.constant(1.0, tf.float64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.random.normal([2], mean=[1.0, 2.0, 3.0])


def test_shape_arguments():
    assert tf.random.normal((2, 3)).shape == (2, 3)
    assert tf.random.normal(tf.constant([2, 1])).shape == (2, 1)
    assert tf.random.normal(tf.TensorShape([4])).shape == (4,)
    assert tf.random.normal(np.array([2, 2], np.int64)).shape == (2, 2)
    assert tf.random.normal([tf.constant(3), 2]).shape == (3, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimension -1 must be >= 0"):
        tf.random.normal([-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape must be a vector"):
        tf.random.normal(3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape must be a vector"):
        tf.random.uniform([2.5])


def test_categorical_frequencies_and_edges():
    tf.random.set_seed(5)
    probs = np.array([0.2, 0.3, 0.5])
    s = tf.random.categorical(tf.math.log([probs.tolist(), probs[::-1].tolist()]), 20000)
    assert s.dtype == tf.int64 and s.shape == (2, 20000)
    freq = np.stack([np.bincount(row, minlength=3) / 20000 for row in s.numpy()])
    np.testing.assert_allclose(freq, [probs, probs[::-1]], atol=0.015)
    assert tf.random.categorical([[0.0, 0.0]], 3, dtype=tf.int32).dtype == tf.int32
    # TensorFlow's CPU kernel: non-finite logits get no mass; all -inf gives num_classes
    np.testing.assert_array_equal(tf.random.categorical([[-np.inf, 0.0, -np.inf]], 50).numpy(), 1)
    np.testing.assert_array_equal(tf.random.categorical([[np.inf, 0.0]], 10).numpy(), 1)
    np.testing.assert_array_equal(tf.random.categorical([[np.nan, 0.0]], 10).numpy(), 1)
    np.testing.assert_array_equal(tf.random.categorical([[-np.inf, -np.inf]], 4).numpy(), 2)
    assert tf.random.categorical([[1.0, 2.0]], 0).shape == (1, 0)
    assert tf.random.categorical(tf.zeros([0, 2]), 2).shape == (0, 2)
    assert tf.random.categorical([[1.0, 2.0]], tf.constant(3)).shape == (1, 3)


def test_categorical_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"logits should be a matrix.*got shape \[2\]"):
        tf.random.categorical([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="invalid value int16"):
        tf.random.categorical([[1.0, 2.0]], 3, dtype=tf.int16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_samples should be non-negative, got -1"):
        tf.random.categorical([[1.0, 2.0]], -1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_classes should be positive, got 0"):
        tf.random.categorical(tf.zeros([2, 0]), 2)
    with pytest.raises(tf.errors.NotFoundError, match="floating-point"):
        tf.random.categorical([[1, 2]], 2)


def test_shuffle_is_a_permutation_of_rows():
    tf.random.set_seed(6)
    x = tf.reshape(tf.range(20), [10, 2])
    y = tf.random.shuffle(x).numpy()
    assert y.dtype == np.int32
    assert sorted(map(tuple, y.tolist())) == sorted(map(tuple, x.numpy().tolist()))
    assert np.all(y[:, 1] == y[:, 0] + 1)  # rows move whole
    assert tf.random.shuffle(tf.constant(3.0)).numpy() == 3.0
    # every permutation of 3 items, about equally often
    seen = {}
    for _ in range(600):
        key = tuple(tf.random.shuffle([0, 1, 2]).numpy().tolist())
        seen[key] = seen.get(key, 0) + 1
    assert len(seen) == 6 and min(seen.values()) > 60


# =========================================================================== stateless ops

def test_stateless_ops_are_deterministic_in_the_seed():
    tf.random.set_seed(123)  # the global seed does not enter
    a = tf.random.stateless_normal([5], seed=[1, 2])
    tf.random.set_seed(None)
    tf.random.normal([3])
    np.testing.assert_array_equal(tf.random.stateless_normal([5], seed=[1, 2]).numpy(), a.numpy())
    np.testing.assert_array_equal(tf.random.stateless_normal([5], seed=tf.constant([1, 2], tf.int64)).numpy(),
                                  a.numpy())
    assert not np.array_equal(tf.random.stateless_normal([5], seed=[1, 3]).numpy(), a.numpy())
    u = tf.random.stateless_uniform([20000], seed=[3, 4]).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    t = tf.random.stateless_truncated_normal([5000], seed=[3, 4], mean=1.0).numpy()
    assert np.abs(t - 1.0).max() <= 2.0
    i = tf.random.stateless_uniform([100], seed=[5, 6], minval=3, maxval=7, dtype=tf.int64).numpy()
    assert i.dtype == np.int64 and set(i.tolist()) == {3, 4, 5, 6}
    full = tf.random.stateless_uniform([4], seed=[1, 2], minval=None, maxval=None, dtype=tf.uint32)
    assert full.dtype == tf.uint32
    c = tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 10, seed=[7, 8])
    np.testing.assert_array_equal(c.numpy(), tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 10,
                                                                              seed=[7, 8]).numpy())
    s = tf.random.experimental.stateless_shuffle(tf.range(10), seed=[1, 1]).numpy()
    assert sorted(s.tolist()) == list(range(10))


def test_stateless_seed_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\], not \[3\]"):
        tf.random.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\], not \[\]"):
        tf.random.stateless_normal([2], seed=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 or int64"):
        tf.random.stateless_normal([2], seed=[1.0, 2.0])
    with pytest.raises(ValueError, match="must be both None or not None"):
        tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)
    with pytest.raises(ValueError, match="unsigned"):
        tf.random.stateless_uniform([2], seed=[1, 2], minval=0, maxval=3, dtype=tf.uint32)
    with pytest.raises(ValueError, match="unsupported value foo"):
        tf.random.stateless_normal([2], seed=[1, 2], alg="foo")


def test_split_and_fold_in():
    seeds = tf.random.split([1, 2], num=3)
    assert seeds.shape == (3, 2) and seeds.dtype == tf.int32
    assert len({tuple(r) for r in seeds.numpy().tolist()}) == 3
    np.testing.assert_array_equal(tf.random.split([1, 2], 3).numpy(), seeds.numpy())
    assert tf.random.experimental.stateless_split is tf.random.split
    f = tf.random.fold_in([1, 2], 3)
    assert f.dtype == tf.int32 and f.numpy()[1] == 3
    assert f.numpy()[0] != tf.random.fold_in([1, 3], 3).numpy()[0]


# =========================================================================== tf.random.Generator

def test_generator_from_seed_is_reproducible_and_advances():
    g = tf.random.Generator.from_seed(1234)
    assert g.algorithm == 1 and g.state.dtype == tf.int64 and g.state.shape == (3,) and not g.state.trainable
    start = g.state.numpy().copy()
    a = g.normal([2, 3])
    assert a.shape == (2, 3) and a.dtype == tf.float32
    assert g.state.numpy()[0] == start[0] + 6  # the counter advances by the number of values drawn
    b = g.normal([2, 3])
    assert not np.array_equal(a.numpy(), b.numpy())
    h = tf.random.Generator.from_seed(1234)
    np.testing.assert_array_equal(h.normal([2, 3]).numpy(), a.numpy())
    np.testing.assert_array_equal(h.normal([2, 3]).numpy(), b.numpy())
    assert not np.array_equal(tf.random.Generator.from_seed(1235).normal([2, 3]).numpy(), a.numpy())
    g.reset_from_seed(1234)
    np.testing.assert_array_equal(g.normal([2, 3]).numpy(), a.numpy())
    assert int(g.key) == int(start[-1])


def test_generator_skip_matches_drawing():
    g1, g2 = tf.random.Generator.from_seed(9), tf.random.Generator.from_seed(9)
    g1.uniform([5])
    old = g2.skip(5)
    assert old.shape == (3,)
    np.testing.assert_array_equal(g1.state.numpy(), g2.state.numpy())
    np.testing.assert_array_equal(g1.normal([4]).numpy(), g2.normal([4]).numpy())


def test_generator_distributions_and_copies():
    g = tf.random.Generator.from_seed(2)
    x = g.normal([20000], mean=1.0, stddev=2.0, dtype=tf.float64).numpy()
    assert x.dtype == np.float64 and abs(x.mean() - 1) < 0.06 and abs(x.std() - 2) < 0.06
    t = g.truncated_normal([5000]).numpy()
    assert np.abs(t).max() <= 2.0
    u = g.uniform([100], minval=2, maxval=5, dtype=tf.int32).numpy()
    assert set(u.tolist()) == {2, 3, 4}
    assert g.uniform([3], dtype=tf.int64, minval=None, maxval=None).dtype == tf.int64
    assert g.uniform_full_int([2]).dtype == tf.uint64
    with pytest.raises(ValueError, match="both `None` or both non-`None`"):
        g.uniform([2], dtype=tf.int32)
    c = tf.random.Generator(copy_from=g)
    np.testing.assert_array_equal(c.normal([3]).numpy(), g.normal([3]).numpy())


def test_generator_split_make_seeds_and_states():
    g = tf.random.Generator.from_seed(5)
    seeds = g.make_seeds(4)
    assert seeds.shape == (2, 4) and seeds.dtype == tf.int64 and np.all(seeds.numpy()[1] == 0)
    kids = g.split(3)
    assert len(kids) == 3 and all(k.state.numpy()[:2].tolist() == [0, 0] for k in kids)
    draws = [k.normal([4]).numpy() for k in kids]
    assert not np.array_equal(draws[0], draws[1])
    again = tf.random.Generator.from_seed(5)
    again.make_seeds(4)
    np.testing.assert_array_equal(again.split(3)[0].normal([4]).numpy(), draws[0])
    s = tf.random.Generator.from_state([1, 2, 3], "philox")
    np.testing.assert_array_equal(s.state.numpy(), [1, 2, 3])
    k = tf.random.Generator.from_key_counter(5, [1, 2], "philox")
    np.testing.assert_array_equal(k.state.numpy(), [1, 2, 5])
    assert tf.random.Generator.from_seed(1, alg="threefry").state.shape == (2,)
    np.testing.assert_array_equal(tf.random.create_rng_state(1234, "philox").numpy(), [1234, 0, 0])
    with pytest.raises(ValueError, match="incompatible"):
        tf.random.Generator.from_state([1, 2], "philox")
    with pytest.raises(ValueError, match="unsupported value foo"):
        tf.random.Generator.from_seed(1, alg="foo")
    n1 = tf.random.Generator.from_non_deterministic_state()
    n2 = tf.random.Generator.from_non_deterministic_state()
    assert not np.array_equal(n1.normal([4]).numpy(), n2.normal([4]).numpy())
    assert tf.random.Algorithm.PHILOX.value == 1 and tf.random.experimental.Generator is tf.random.Generator


def test_global_generator():
    g = tf.random.get_global_generator()
    assert tf.random.get_global_generator() is g
    mine = tf.random.Generator.from_seed(1)
    tf.random.set_global_generator(mine)
    try:
        assert tf.random.get_global_generator() is mine
    finally:
        tf.random.set_global_generator(g)
    with pytest.raises(TypeError):
        tf.random.set_global_generator(3)


# =========================================================================== gradients

def test_gradients_reach_mean_stddev_and_bounds_only():
    m, s = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        x = tf.random.normal([500], mean=m, stddev=s, seed=3)
        loss = tf.reduce_sum(x)
    dm, ds = tape.gradient(loss, [m, s])
    assert float(dm) == 500.0
    np.testing.assert_allclose(float(ds), np.sum((x.numpy() - 1.0) / 2.0), rtol=1e-4)
    lo, hi = tf.Variable(1.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        u = tf.random.uniform([4], lo, hi, seed=1)
    r = (u.numpy() - 1.0) / 2.0
    dlo, dhi = tape.gradient(u, [lo, hi])
    np.testing.assert_allclose([float(dlo), float(dhi)], [np.sum(1 - r), np.sum(r)], rtol=1e-5)
    g = tf.random.Generator.from_seed(4)
    w = tf.Variable([0.5, 1.5])
    with tf.GradientTape() as tape:
        y = g.truncated_normal([3, 2], stddev=w)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), (y.numpy() / w.numpy()).sum(0), rtol=1e-5)
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        z = tf.random.normal([3]) + 0.0 * tf.random.shuffle([1.0, 2.0, 3.0])
    assert tape.gradient(z, v) is None


def test_docstring_examples_run():
    assert doctest.testmod(random_ops).failed == 0
