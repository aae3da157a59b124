"""Random ops: `tf.random.*` (normal, uniform, truncated_normal, categorical, shuffle, the stateless ops),
`tf.random.set_seed` and `tf.random.Generator`, on NumPy's Philox bit generator.

Key decisions:
- Seeds follow TensorFlow's rules exactly (`tf.random.set_seed`'s four cases): an op draws from the
  stream named by the pair `(global seed, op seed)`; with a global seed and no op seed, the op seed is the
  next number of a `random.Random(global_seed)`, so a program's sequence is the same on every run; with an op
  seed, repeated calls of the same op continue one stream (TensorFlow's cached kernel and its counter) until
  `set_seed` resets it; with neither, the draw is non-deterministic.
- Every stream is a NumPy `Philox` (a counter-based generator, as TensorFlow's) keyed by the seed pair. Its
  256-bit counter is split into words: word 0 counts blocks within one call, word 1 separates the kinds of
  stream (seeded op, `Generator`, stateless op), words 2-3 hold the call's position in its stream. Calls of
  one stream therefore never overlap, and a `Generator`'s state advances by the number of values drawn,
  as `Generator.skip` documents.
- The numbers are NOT bit-identical to TensorFlow's (its Philox variant and its transforms to floats
  differ): the same seed reproduces the same values in tapegrad, in one process and across runs, and
  different seeds give different values. Distributions, shapes, dtypes, seed semantics and errors are
  TensorFlow's.
- Random kernels have no gradient (TensorFlow's `NotDifferentiable`), but `mean`, `stddev`, `minval` and
  `maxval` enter through ordinary multiplies and adds, as in TensorFlow, so gradients reach them.
- `op_rng(seed, op, dtype)` gives other ops (dropout) a NumPy Generator under the same seed rules.
"""

from __future__ import annotations

import enum
import os
import random as _pyrandom
import threading

import numpy as np

from .._backend import namespace_of, place
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError, NotFoundError
from .._core.primitive import convert
from .._core.tensor import Variable, _TensorLike, wrap
from .elementwise import add, multiply, subtract

__all__: list[str] = []  # tf.random names live in the tf.random namespace, none at the top level

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
_M64 = 2**64 - 1
_FLOATS = (_dt.float16, _dt.float32, _dt.float64)
_UNIFORM_DTYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)
# Word 1 of the Philox counter: which kind of stream (so the kinds can never produce the same blocks).
_STATELESS, _GENERATOR, _SEEDED = 0, 1, 2


# =========================================================================== seeds (TensorFlow's rules)

class _SeedState:
    """The process's global seed, the op-seed sequence it drives, and the per-kernel stream counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seed = None
        self.rng = None  # random.Random(global seed): the op seeds of ops given none
        self.calls = 0  # ops drawn since set_seed without an op seed
        self.kernels: dict = {}  # (op, dtype, seed1, seed2) -> calls so far (TensorFlow's cached kernels)


_STATE = _SeedState()
_NONDETERMINISTIC = np.random.Generator(np.random.Philox())


def set_seed(seed) -> None:
    """`tf.random.set_seed`: sets the global random seed (None clears it) and resets every op's stream.

    With a global seed and no op seed, each random op gets the next op seed of a sequence fixed by the
    global seed, so the program draws the same values on every run. With an op seed too, repeated calls of
    the same op continue one stream, which `set_seed` restarts (TensorFlow's documented semantics; the
    values themselves differ from TensorFlow's).

    >>> import tapegrad as tf
    >>> tf.random.set_seed(1234)
    >>> a = tf.random.uniform([2], seed=1)
    >>> tf.random.set_seed(1234)
    >>> bool(tf.reduce_all(tf.random.uniform([2], seed=1) == a))
    True
    """
    if seed is not None:
        if isinstance(seed, _TensorLike):
            seed = seed.numpy()
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise TypeError(f"tf.random.set_seed: seed must be an integer or None, got {seed!r}.") from None
    with _STATE.lock:
        _STATE.seed = seed
        _STATE.rng = None if seed is None else _pyrandom.Random(seed)
        _STATE.calls = 0
        _STATE.kernels.clear()


def _truncate_seed(seed) -> int:
    if isinstance(seed, _TensorLike):
        seed = seed.numpy()
    try:
        return int(seed) % _MAXINT32
    except (TypeError, ValueError):
        raise TypeError(f"seed must be a Python integer, got {seed!r}.") from None


def get_seed(op_seed):
    """TensorFlow's `get_seed`: the `(seed1, seed2)` pair an op with `op_seed` uses; (None, None) when
    neither a global nor an op seed is set. Draws the next op seed from the global sequence when needed."""
    with _STATE.lock:
        return _get_seed_locked(op_seed)[:2]


def _get_seed_locked(op_seed):
    g = _STATE.seed
    derived = None
    if g is not None:
        if op_seed is None:
            op_seed = _STATE.rng.randint(0, _MAXINT32)
            derived = _STATE.calls
            _STATE.calls += 1
        seeds = (_truncate_seed(g), _truncate_seed(op_seed))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, _truncate_seed(op_seed))
    else:
        return None, None, None
    if seeds == (0, 0):
        seeds = (0, _MAXINT32)
    return seeds[0], seeds[1], derived


def _philox(key, counter) -> np.random.Generator:
    """A NumPy Generator on Philox with 2 key words and 4 counter words (Python ints, taken mod 2**64)."""
    bg = np.random.Philox(counter=np.array([int(c) & _M64 for c in counter], np.uint64),
                          key=np.array([int(k) & _M64 for k in key], np.uint64))
    return np.random.Generator(bg)


def op_rng(seed=None, op: str = "RandomUniform", dtype=None) -> np.random.Generator:
    """A NumPy Generator for one call of a random op, under TensorFlow's seed rules.

    `seed` is the op's `seed` argument; `op` (TensorFlow's op type) and `dtype` name the kernel, so calls
    of the same op and dtype with the same explicit seed continue one stream, as TensorFlow's cached
    kernels do, until `tf.random.set_seed` restarts it. Use the Generator for this call only: the next call
    needs a new one. With neither a global nor an op seed it is a process-wide non-deterministic Generator.

    >>> import tapegrad as tf
    >>> from tapegrad.ops.random_ops import op_rng
    >>> tf.random.set_seed(3)
    >>> a = op_rng(7).random(2)
    >>> tf.random.set_seed(3)
    >>> bool((op_rng(7).random(2) == a).all())
    True
    """
    with _STATE.lock:
        s1, s2, derived = _get_seed_locked(seed)
        if s1 is None:
            return _NONDETERMINISTIC
        if derived is not None:  # a fresh op seed: its own stream, at the call's index (never a repeat)
            return _philox((s1, s2), (0, _SEEDED, derived, 1))
        name = None if dtype is None else _dt.as_dtype(dtype).name
        kernel = (op, name, s1, s2)
        n = _STATE.kernels.get(kernel, 0)
        _STATE.kernels[kernel] = n + 1
    return _philox((s1, s2), (0, _SEEDED, n, 0))


# =========================================================================== argument checks

def _error(op: str, msg: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{msg} [Op:{op}]")


def _shape(shape, op: str) -> tuple:
    """A shape argument (list, tuple, TensorShape, 1-D int tensor or array) as a tuple of ints."""
    if isinstance(shape, _TensorLike):
        shape = shape.numpy()
    if isinstance(shape, (int, np.integer)) or (isinstance(shape, np.ndarray) and shape.ndim == 0):
        raise _error(op, f"{op}: shape must be a vector of int32 or int64 values, got the scalar {shape!r}; "
                         f"pass a list such as [{int(shape)}]")
    try:
        items = list(shape)
    except TypeError:
        raise _error(op, f"{op}: shape must be a list of ints, got {shape!r}") from None
    dims = []
    for d in items:
        if isinstance(d, _TensorLike) and d.dtype.is_integer and d.ndim == 0:
            d = int(d)
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise _error(op, f"{op}: shape must be a vector of int32 or int64 values, got {items!r}")
        if d < 0:
            raise _error(op, f"{op}: Dimension {int(d)} must be >= 0 (shape {[int(x) for x in items]})")
        dims.append(int(d))
    return tuple(dims)


def _float_dtype(dtype, what: str):
    d = _dt.as_dtype(dtype)
    if d not in _FLOATS:
        raise TypeError(f"{what}: dtype must be a floating-point type (float16, float32, float64), got "
                        f"{d.name}. Draw floats and use tf.cast for other dtypes.")
    return d


def _out(arr) -> _TensorLike:
    """A Tensor for a NumPy result (rank 0 held as a NumPy scalar, as every rank-0 value is), placed on the
    device of the innermost `tf.device` scope (numbers are drawn on the host: the same on every device)."""
    return wrap(place(arr[()] if arr.ndim == 0 else arr))


def _is_py(value, number) -> bool:
    return value.__class__ in (int, float) and value == number


# =========================================================================== kernels (NumPy Generators)

def _standard_normal(rng, shape, npdt):
    if npdt == np.float16:
        return rng.standard_normal(shape, dtype=np.float32).astype(np.float16)
    return rng.standard_normal(shape, dtype=npdt)


def _standard_uniform(rng, shape, npdt):
    if npdt == np.float16:  # 11 random bits, exact in float16: [0, 1) never rounds up to 1
        return (rng.integers(0, 2048, shape, dtype=np.int32) * np.float32(1 / 2048)).astype(np.float16)
    return rng.random(shape, dtype=npdt)


def _standard_truncated(rng, shape, npdt):
    """Standard normals with every value beyond 2 standard deviations re-drawn (TensorFlow's rule)."""
    work = np.float32 if npdt == np.float16 else npdt
    out = rng.standard_normal(shape, dtype=work)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=work)
        bad = np.abs(out) > 2
    return out.astype(npdt, copy=False)


def _uniform_int(rng, shape, lo, hi, npdt, op):
    if any(s == 0 for s in shape):  # TensorFlow checks the range only when there is something to draw
        return np.zeros(shape, npdt)
    if not lo < hi:
        raise _error(op, f"{op}: Need minval < maxval, got {lo} >= {hi}")
    return rng.integers(lo, hi, shape, dtype=npdt)


def _full_int(rng, shape, npdt):
    info = np.iinfo(npdt)
    return rng.integers(info.min, info.max, shape, dtype=npdt, endpoint=True)


def _categorical(rng, logits, num_samples, npdt):
    """TensorFlow's CPU Multinomial kernel: in float64, non-finite logits get probability 0, each sample
    is the first class whose running total exceeds `u * total` (num_classes when every logit is -inf)."""
    lg = logits.astype(np.float64)
    finite = np.isfinite(lg)
    lowest = np.finfo(logits.dtype).min
    top = np.where(finite, lg, lowest).max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.where(finite, np.exp(lg - top), 0.0)
    cdf = np.cumsum(w, axis=1)
    u = rng.random((lg.shape[0], num_samples)) * cdf[:, -1:]
    out = np.empty((lg.shape[0], num_samples), npdt)
    for b in range(lg.shape[0]):
        out[b] = np.searchsorted(cdf[b], u[b], side="right")
    return out


# =========================================================================== shared front ends

def _arg(value, dtype, name: str):
    """`value` converted to `dtype` as TensorFlow converts `mean`, `stddev`, `minval`, `maxval`."""
    try:
        return convert(value, dtype)
    except (TypeError, ValueError) as e:
        if type(e) not in (TypeError, ValueError):
            raise
        raise type(e)(f"{name}: {e}") from None


def _affine(rnd, scale, shift, dtype):
    """`rnd * scale + shift` with TensorFlow's conversions (gradients reach tensor scales and shifts)."""
    if _is_py(scale, 1) and _is_py(shift, 0):
        return rnd
    return add(multiply(rnd, _arg(scale, dtype, "stddev")), _arg(shift, dtype, "mean"))


def _normal(rng_fn, shape, mean, stddev, dtype, op, what, kernel=_standard_normal):
    d = _float_dtype(dtype, what)
    dims = _shape(shape, op)
    mean_t = mean if _is_py(mean, 0) else _arg(mean, d, "mean")
    stddev_t = stddev if _is_py(stddev, 1) else _arg(stddev, d, "stddev")
    rnd = _out(kernel(rng_fn(dims, d), dims, d._np))
    return _affine(rnd, stddev_t, mean_t, d)


def _uniform(rng_fn, shape, minval, maxval, dtype, op_float, op_int, what):
    d = _dt.as_dtype(dtype)
    dims = _shape(shape, op_int if d.is_integer else op_float)
    if d.is_integer:
        lo = _arg(minval, d, "min")
        hi = _arg(maxval, d, "max")
        for name, t in (("minval", lo), ("maxval", hi)):
            if t.ndim != 0:
                raise _error(op_int, f"{op_int}: {name} must be 0-D, got shape {list(t.shape)}")
        return _out(_uniform_int(rng_fn(dims, d), dims, int(lo), int(hi), d._np, op_int))
    rnd = _out(_standard_uniform(rng_fn(dims, d), dims, d._np))
    min_zero = minval.__class__ is int and minval == 0  # TensorFlow skips the affine map only for Python ints
    max_one = maxval.__class__ is int and maxval == 1
    if min_zero and max_one:
        return rnd
    lo = _arg(minval, d, "min")
    hi = _arg(maxval, d, "max")
    if min_zero:
        return multiply(rnd, hi)
    return add(multiply(rnd, subtract(hi, lo)), lo)


def _check_uniform_dtype(dtype, allowed, what):
    d = _dt.as_dtype(dtype)
    if d not in allowed:
        names = ", ".join(f"tf.{a.name}" for a in allowed)
        raise ValueError(f"{what}: Argument `dtype` got invalid value {d.name}. Accepted dtypes are ({names}).")
    return d


def _logits(logits, num_samples, dtype, op, what):
    x = convert(logits)
    out = _dt.as_dtype(dtype) if dtype else _dt.int64
    if out not in (_dt.int32, _dt.int64):
        raise ValueError(f"{what}: Argument `dtype` got invalid value {out.name}. Accepted dtypes are "
                         "(tf.int32, tf.int64).")
    if not x.dtype.is_floating:
        raise NotFoundError(None, op, f"{what}: logits must be a floating-point tensor (half, float, double), "
                                      f"got {x.dtype.name}; cast them with tf.cast(logits, tf.float32) [Op:{op}]")
    if x.ndim != 2:
        raise _error(op, f"{what}: logits should be a matrix [batch_size, num_classes], got shape "
                         f"{list(x.shape)}; add a batch dimension with tf.expand_dims(logits, 0)")
    n = num_samples.numpy() if isinstance(num_samples, _TensorLike) else num_samples
    if np.ndim(n) != 0:
        raise _error(op, f"{what}: num_samples should be a scalar, got shape {list(np.shape(n))}")
    n = int(n)
    if n < 0:
        raise _error(op, f"{what}: num_samples should be non-negative, got {n}")
    if x.shape[1] == 0:
        raise _error(op, f"{what}: num_classes should be positive, got 0")
    return x, n, out


# =========================================================================== stateful ops (seeded)

def _seeded(op, seed):
    return lambda dims, d: op_rng(seed, op, d)


def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.normal`: values from a normal distribution (`mean`, `stddev` broadcast with `shape`).

    Gradients flow to tensor `mean` and `stddev` (the draw itself is not differentiable).

    >>> import tapegrad as tf
    >>> tf.random.set_seed(5)
    >>> x = tf.random.normal([2, 2], 0, 1, tf.float32, seed=1)
    >>> x.shape, x.dtype
    (TensorShape([2, 2]), tf.float32)
    """
    return _normal(_seeded("RandomStandardNormal", seed), shape, mean, stddev, dtype, "RandomStandardNormal",
                   "tf.random.normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.truncated_normal`: normal values, each one beyond 2 standard deviations re-drawn.

    >>> import tapegrad as tf
    >>> x = tf.random.truncated_normal([1000], mean=3.0, stddev=1.0, seed=1)
    >>> bool(tf.reduce_all(tf.abs(x - 3.0) <= 2.0))
    True
    """
    return _normal(_seeded("TruncatedNormal", seed), shape, mean, stddev, dtype, "TruncatedNormal",
                   "tf.random.truncated_normal", _standard_truncated)


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.uniform`: values from [minval, maxval); floats default to [0, 1), ints need `maxval`.

    Raises ValueError for other dtypes than float16/32/64, int32, int64, or an integer dtype without
    `maxval`; InvalidArgumentError when an integer range is empty or its bounds are not scalars.

    >>> import tapegrad as tf
    >>> x = tf.random.uniform([3], minval=5, maxval=10, dtype=tf.int64, seed=2)
    >>> bool(tf.reduce_all((x >= 5) & (x < 10))), x.dtype
    (True, tf.int64)
    """
    d = _check_uniform_dtype(dtype, _UNIFORM_DTYPES, "tf.random.uniform")
    if maxval is None:
        if d.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype tf.{d.name}")
        maxval = 1
    op = "RandomUniformInt" if d.is_integer else "RandomUniform"
    return _uniform(_seeded(op, seed), shape, minval, maxval, d, "RandomUniform", "RandomUniformInt",
                    "tf.random.uniform")


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`tf.random.categorical`: `num_samples` class indices per row of `logits` [batch, classes] (int64).

    Non-finite logits get probability zero, as in TensorFlow's CPU kernel.

    >>> import tapegrad as tf
    >>> s = tf.random.categorical(tf.math.log([[0.5, 0.5]]), 5, seed=1)
    >>> s.shape, s.dtype
    (TensorShape([1, 5]), tf.int64)
    """
    x, n, out = _logits(logits, num_samples, dtype, "Multinomial", "tf.random.categorical")
    rng = op_rng(seed, "Multinomial", x.dtype)
    return wrap(_categorical(rng, x.numpy(), n, out._np))


def _shuffle(value, rng_of):
    x = convert(value)
    if x.ndim == 0:
        return x
    v = x._value
    perm = rng_of(x).permutation(v.shape[0])
    xp = namespace_of(v)
    return wrap(v[perm] if xp is np else xp.take(v, xp.asarray(perm), axis=0))


def shuffle(value, seed=None, name=None):
    """`tf.random.shuffle`: `value` with its first dimension randomly permuted (a scalar is returned as is).

    >>> import tapegrad as tf
    >>> x = tf.random.shuffle(tf.constant([[1, 2], [3, 4], [5, 6]]), seed=1)
    >>> sorted(x.numpy()[:, 0].tolist())
    [1, 3, 5]
    """
    return _shuffle(value, lambda x: op_rng(seed, "RandomShuffle", x.dtype))


# =========================================================================== stateless ops

def _seed_key(seed, op: str = "StatelessRandomGetKeyCounter") -> tuple:
    s = convert(seed)
    if not s.dtype.is_integer or s.dtype not in (_dt.int32, _dt.int64):
        raise _error(op, f"seed must be an int32 or int64 tensor of shape [2], got dtype {s.dtype.name}")
    if tuple(s.shape) != (2,):
        raise _error(op, f"seed must have shape [2], not {list(s.shape)}")
    a, b = (int(v) for v in s.numpy())
    return a, b


def _stateless(seed):
    key = _seed_key(seed)
    return lambda dims, d: _philox(key, (0, _STATELESS, 0, 0))


def _check_alg(alg):
    if alg is not None:
        convert_alg_to_int(alg)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg="auto_select"):
    """`tf.random.stateless_normal`: normal values, the same for the same `seed` pair and shape.

    >>> import tapegrad as tf
    >>> a = tf.random.stateless_normal([3], seed=[1, 2])
    >>> bool(tf.reduce_all(a == tf.random.stateless_normal([3], seed=[1, 2])))
    True
    """
    _check_alg(alg)
    return _normal(_stateless(seed), shape, mean, stddev, dtype, "StatelessRandomNormalV2",
                   "tf.random.stateless_normal")


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                               alg="auto_select"):
    """`tf.random.stateless_truncated_normal`: truncated normal values determined by the `seed` pair.

    >>> import tapegrad as tf
    >>> x = tf.random.stateless_truncated_normal([100], seed=[3, 4])
    >>> bool(tf.reduce_max(tf.abs(x)) <= 2.0)
    True
    """
    _check_alg(alg)
    return _normal(_stateless(seed), shape, mean, stddev, dtype, "StatelessTruncatedNormalV2",
                   "tf.random.stateless_truncated_normal", _standard_truncated)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None, alg="auto_select"):
    """`tf.random.stateless_uniform`: uniform values determined by the `seed` pair; for integer dtypes
    `minval=None, maxval=None` gives full-range integers (uint32/uint64 allowed then).

    >>> import tapegrad as tf
    >>> x = tf.random.stateless_uniform([4], seed=[1, 2], maxval=10, dtype=tf.int32)
    >>> bool(tf.reduce_all(x == tf.random.stateless_uniform([4], seed=[1, 2], maxval=10, dtype=tf.int32)))
    True
    """
    allowed = _UNIFORM_DTYPES + (_dt.uint32, _dt.uint64)
    d = _check_uniform_dtype(dtype, allowed, "tf.random.stateless_uniform")
    if d.is_integer:
        if (minval is None) != (maxval is None):
            raise ValueError(f"For integer `dtype` argument {d}, argument `minval` and `maxval` must be both "
                             f"None or not None. Got `minval`={minval} and `maxval`={maxval}.")
        if minval is not None and d.is_unsigned:
            raise ValueError(f"Argument `dtype` got invalid value {d} when argument `minval` is not None. "
                             "Please don't use unsigned integers in this case.")
    elif maxval is None:
        maxval = 1
    _check_alg(alg)
    if d.is_integer and minval is None:
        dims = _shape(shape, "StatelessRandomUniformFullIntV2")
        return _out(_full_int(_stateless(seed)(dims, d), dims, d._np))
    return _uniform(_stateless(seed), shape, minval, maxval, d, "StatelessRandomUniformV2",
                    "StatelessRandomUniformIntV2", "tf.random.stateless_uniform")


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """`tf.random.stateless_categorical`: class samples per row of `logits`, determined by the `seed` pair.

    >>> import tapegrad as tf
    >>> s = tf.random.stateless_categorical([[0.0, 0.0]], 4, seed=[7, 8])
    >>> s.shape, s.dtype
    (TensorShape([1, 4]), tf.int64)
    """
    x, n, out = _logits(logits, num_samples, dtype, "StatelessMultinomial", "tf.random.stateless_categorical")
    return wrap(_categorical(_stateless(seed)((), None), x.numpy(), n, out._np))


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """`tf.random.experimental.stateless_shuffle`: `value` permuted along axis 0, determined by `seed`.

    >>> import tapegrad as tf
    >>> a = tf.random.experimental.stateless_shuffle(tf.range(5), seed=[1, 2])
    >>> sorted(a.numpy().tolist())
    [0, 1, 2, 3, 4]
    """
    _check_alg(alg)
    rng = _stateless(seed)
    return _shuffle(value, lambda x: rng((), None))


def split(seed, num=2, alg="auto_select"):
    """`tf.random.split`: `num` new seed pairs [num, 2] derived from `seed` (its dtype kept).

    >>> import tapegrad as tf
    >>> tf.random.split([1, 2], num=3).shape
    TensorShape([3, 2])
    """
    s = convert(seed)
    return stateless_uniform([int(num), 2], seed=s, dtype=s.dtype, minval=None, maxval=None, alg=alg)


def fold_in(seed, data, alg="auto_select"):
    """`tf.random.fold_in`: a new seed pair from `seed` and the integer `data` (e.g. a replica id).

    >>> import tapegrad as tf
    >>> tf.random.fold_in([1, 2], 3).numpy()[1]
    np.int32(3)
    """
    d = convert(data)
    first = stateless_uniform([], seed=seed, dtype=d.dtype, minval=None, maxval=None, alg=alg)
    return wrap(np.stack([np.asarray(first.numpy()), np.asarray(d.numpy())]))


# =========================================================================== tf.random.Generator

class Algorithm(enum.Enum):
    """`tf.random.Algorithm`: the RNG algorithm a Generator or stateless op names (tapegrad always draws
    with NumPy's Philox; the choice only sets the state's layout, as TensorFlow's does)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _unsupported_alg(alg) -> str:
    return (f"Argument `alg` got unsupported value {alg}. Supported values are philox for the Philox "
            "algorithm, threefry for the ThreeFry algorithm, and auto_select for auto-selection.")


def convert_alg_to_int(alg) -> int:
    """An algorithm (Algorithm, 1-3, "philox", "threefry", "auto_select") as TensorFlow's integer id."""
    if isinstance(alg, Algorithm):
        return alg.value
    if isinstance(alg, _TensorLike):
        alg = int(alg)
    if isinstance(alg, (int, np.integer)) and not isinstance(alg, bool):
        if int(alg) not in (1, 2, 3):
            raise ValueError(_unsupported_alg(alg))
        return int(alg)
    if isinstance(alg, str):
        canon = alg.strip().lower().replace("-", "").replace("_", "")
        ids = {"philox": 1, "threefry": 2, "autoselect": 3}
        if canon not in ids:
            raise ValueError(_unsupported_alg(alg))
        return ids[canon]
    raise TypeError(f"Can't convert argument `alg` (of value {alg} and type {type(alg)}) to int.")


def _state_size(alg: int) -> int:
    return 2 if alg == Algorithm.THREEFRY.value else 3


def _seed_words(seed, size: int) -> list:
    """TensorFlow's `_make_1d_state`: an int chopped into 64-bit words (or a vector), left-padded to `size`."""
    if isinstance(seed, _TensorLike):
        seed = seed.numpy()
    if isinstance(seed, (int, np.integer, float)) and not isinstance(seed, bool):
        seed = int(seed)
        words = []
        for _ in range(size):
            words.append(seed & _M64)
            seed >>= 64
        return words
    words = [int(w) & _M64 for w in np.asarray(seed).reshape(-1)][:size]
    return [0] * (size - len(words)) + words


def create_rng_state(seed, alg):
    """`tf.random.create_rng_state`: an int64 RNG state vector from an integer or vector seed.

    >>> import tapegrad as tf
    >>> tf.random.create_rng_state(1234, "philox").numpy()
    array([1234,    0,    0])
    """
    words = _seed_words(seed, _state_size(convert_alg_to_int(alg)))
    return wrap(np.array(words, np.uint64).view(np.int64))


def _state_array(state, alg: int):
    if isinstance(state, _TensorLike):
        arr = np.asarray(state.numpy())
    else:
        arr = np.array([int(w) & _M64 for w in np.asarray(state, dtype=object).reshape(-1)], np.uint64)
    arr = arr.astype(np.uint64) if arr.dtype != np.int64 else arr.view(np.uint64)
    size = _state_size(alg)
    if arr.shape != (size,):
        raise ValueError(f"Shapes {tuple(arr.shape)} and [{size}] are incompatible: a "
                         f"{Algorithm(alg).name.lower()} state has {size} int64 words.")
    return arr.view(np.int64)


class Generator:
    """`tf.random.Generator`: a random-number generator whose state lives in an int64 `tf.Variable`.

    Each draw advances the state's counter by the number of values drawn (`skip`), so a generator
    reproduces its sequence from the same seed or state. Values are drawn with NumPy's Philox (not
    bit-identical to TensorFlow's); `from_seed` maps the seed to the key part of the state, so different
    seeds give independent streams.

    >>> import tapegrad as tf
    >>> g = tf.random.Generator.from_seed(1234)
    >>> a = g.normal(shape=(2, 3))
    >>> bool(tf.reduce_all(tf.random.Generator.from_seed(1234).normal(shape=(2, 3)) == a))
    True
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            if state is not None or alg is not None:
                raise ValueError("tf.random.Generator: give either copy_from or state and alg, not both.")
            self._alg = copy_from.algorithm
            self._state_var = self._make_variable(copy_from.state.numpy())
            return
        if state is None or alg is None:
            raise ValueError("tf.random.Generator needs copy_from, or both state and alg: use "
                             "Generator.from_seed(seed) or Generator.from_non_deterministic_state().")
        self._alg = convert_alg_to_int(alg)
        if isinstance(state, Variable):
            _state_array(state, self._alg)
            self._state_var = state
        else:
            self._state_var = self._make_variable(_state_array(state, self._alg))

    @staticmethod
    def _make_variable(arr):
        return Variable(np.asarray(arr, np.int64), trainable=False, name="StateVar", dtype=_dt.int64)

    @classmethod
    def from_state(cls, state, alg) -> Generator:
        """A generator from a state vector (int64, 3 words for Philox, 2 for ThreeFry)."""
        return cls(state=state, alg=alg)

    @classmethod
    def from_seed(cls, seed, alg=None) -> Generator:
        """A generator from an integer (or integer vector) seed; different seeds give independent streams.

        >>> import tapegrad as tf
        >>> tf.random.Generator.from_seed(1).state.shape
        TensorShape([3])
        """
        alg = Algorithm.PHILOX.value if alg is None else convert_alg_to_int(alg)
        size = _state_size(alg)
        words = _seed_words(seed, size)
        key = int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0])
        return cls(state=[0] * (size - 1) + [key], alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None) -> Generator:
        """A generator with a state drawn from the operating system's entropy."""
        alg = Algorithm.PHILOX.value if alg is None else convert_alg_to_int(alg)
        return cls(state=np.frombuffer(os.urandom(8 * _state_size(alg)), np.int64), alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg) -> Generator:
        """A generator from a key (a scalar) and a counter (2 words for Philox, 1 for ThreeFry)."""
        return cls(state=list(_words(counter)) + [int(_scalar(key))], alg=alg)

    @property
    def state(self) -> Variable:
        """The generator's state: an int64 `tf.Variable` (counter words, then the key)."""
        return self._state_var

    @property
    def algorithm(self) -> int:
        """The algorithm's integer id (1 Philox, 2 ThreeFry, 3 auto-select)."""
        return self._alg

    @property
    def key(self):
        """The key part of the state (an int64 scalar tensor)."""
        return wrap(self._state_var.numpy()[-1])

    def reset(self, state) -> None:
        """Sets the state vector."""
        self._state_var.assign(_state_array(state, self._alg))

    def reset_from_seed(self, seed) -> None:
        """Sets the state as `from_seed(seed)` would."""
        self.reset(Generator.from_seed(seed, self._alg).state.numpy())

    def reset_from_key_counter(self, key, counter) -> None:
        """Sets the state from a key and a counter."""
        self.reset(list(_words(counter)) + [int(_scalar(key))])

    def skip(self, delta):
        """Advances the counter as if `delta` values had been drawn; returns the state before the skip."""
        old = self._state_var.numpy()
        words = old.view(np.uint64)
        n = len(words) - 1
        counter = sum(int(w) << (64 * i) for i, w in enumerate(words[:n]))
        counter = (counter + int(_scalar(delta))) % (1 << (64 * n))
        new = [(counter >> (64 * i)) & _M64 for i in range(n)] + [int(words[-1])]
        self._state_var.assign(np.array(new, np.uint64).view(np.int64))
        return wrap(old)

    def _rng(self, dims, d=None) -> np.random.Generator:
        words = [int(w) for w in self.skip(int(np.prod(dims, dtype=np.int64)))._value.view(np.uint64)]
        counter = words[:-1] + [0] * (3 - len(words))
        return _philox((words[-1], 0), (0, _GENERATOR, counter[0], counter[1]))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal values (gradients flow to tensor `mean` and `stddev`)."""
        return _normal(self._rng, shape, mean, stddev, dtype, "StatelessRandomNormalV2", "Generator.normal")

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal values, each beyond 2 standard deviations re-drawn."""
        return _normal(self._rng, shape, mean, stddev, dtype, "StatelessTruncatedNormalV2",
                       "Generator.truncated_normal", _standard_truncated)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dt.float32, name=None):
        """Uniform values in [minval, maxval); integer dtypes need both bounds, or neither (full range)."""
        d = _dt.as_dtype(dtype)
        if d.is_integer:
            if (minval is None) != (maxval is None):
                raise ValueError(f"For integer dtype {d}, minval and maxval must be both `None` or both "
                                 f"non-`None`; got minval={minval} and maxval={maxval}")
            if minval is None:
                return self.uniform_full_int(shape, d)
        elif maxval is None:
            maxval = 1
        return _uniform(self._rng, shape, minval, maxval, d, "StatelessRandomUniformV2",
                        "StatelessRandomUniformIntV2", "Generator.uniform")

    def uniform_full_int(self, shape, dtype=_dt.uint64, name=None):
        """Integers over the dtype's full range."""
        d = _dt.as_dtype(dtype)
        if not d.is_integer:
            raise TypeError(f"Generator.uniform_full_int: dtype must be an integer type, got {d.name}.")
        dims = _shape(shape, "StatelessRandomUniformFullIntV2")
        return _out(_full_int(self._rng(dims), dims, d._np))

    def make_seeds(self, count=1):
        """`count` seed pairs for stateless ops, as an int64 tensor of shape [2, count]."""
        keys = self.uniform_full_int([int(count)], _dt.int64).numpy()
        return wrap(np.stack([keys, np.zeros_like(keys)]))

    def split(self, count=1) -> list:
        """`count` new generators, independent of each other and of this one (whose state advances)."""
        keys = self.uniform_full_int([int(count)], _dt.int64).numpy()
        size = _state_size(self._alg)
        return [Generator(state=[0] * (size - 1) + [int(k)], alg=self._alg) for k in keys]


def _scalar(x):
    return x.numpy() if isinstance(x, _TensorLike) else x


def _words(counter):
    return [int(w) for w in np.asarray(_scalar(counter)).reshape(-1)]


_GLOBAL_GENERATOR = [None]


def get_global_generator() -> Generator:
    """`tf.random.get_global_generator`: the global Generator (created non-deterministically on first use)."""
    if _GLOBAL_GENERATOR[0] is None:
        _GLOBAL_GENERATOR[0] = Generator.from_non_deterministic_state()
    return _GLOBAL_GENERATOR[0]


def set_global_generator(generator: Generator) -> None:
    """`tf.random.set_global_generator`: replaces the global Generator."""
    if not isinstance(generator, Generator):
        raise TypeError(f"tf.random.set_global_generator expects a tf.random.Generator, got {type(generator)}.")
    _GLOBAL_GENERATOR[0] = generator
