"""Tensors from values: constant, convert_to_tensor, zeros/ones(_like), fill, range, eye.

Key decision: Python floats become float32 and ints int32 (TensorFlow's defaults); NumPy arrays keep their
dtype unless one is asked for. Only `fill` is differentiable (w.r.t. its value), as in TensorFlow.
"""

from __future__ import annotations

import numpy as np

from .._backend import filled, namespace_of, numpy_dtype_of, place
from .._core import dtypes as _dt
from .._core.primitive import apply, as_input, convert, defjvp, defprimitive, defvjp, samples
from .._core.tensor import Tensor, _TensorLike, to_array, wrap
from . import _samples as S


def _shape_tuple(shape, op: str) -> tuple:
    if isinstance(shape, _TensorLike):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: shape must be a list of ints, got {shape!r}.") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{op}: shape {list(dims)} has a negative dimension.")
    return dims


def constant(value, dtype=None, shape=None, name=None):
    """`tf.constant`: a tensor from a Python value, array or tensor (filled to `shape` if a scalar is given).

    >>> import tapegrad as tf
    >>> print(tf.constant(10.0))
    tf.Tensor(10.0, shape=(), dtype=float32)
    """
    if isinstance(value, (np.ndarray, np.generic)) and dtype is not None:
        arr = np.asarray(value).astype(_dt.numpy_dtype(dtype))
    elif isinstance(value, _TensorLike) and dtype is not None and value.dtype != dtype:
        from .elementwise import cast

        arr = cast(value, dtype)._value
    else:
        arr = to_array(value, dtype)
    if isinstance(value, _TensorLike):
        arr = arr  # Tensors are immutable: sharing the array is safe
    if shape is not None:
        dims = _shape_tuple(shape, "tf.constant")
        xp = namespace_of(arr)
        if int(np.prod(arr.shape)) == 1:
            arr = xp.broadcast_to(xp.reshape(arr, ()), dims)
            arr = xp.asarray(arr, copy=True) if xp is not np else np.array(arr)
        elif int(np.prod(arr.shape)) == int(np.prod(dims)):
            arr = xp.reshape(arr, dims)
        else:
            raise TypeError(f"tf.constant: {int(np.prod(arr.shape))} values cannot fill shape {list(dims)}.")
    elif isinstance(arr, np.ndarray) and isinstance(value, np.ndarray) and arr is value:
        arr = arr.copy()  # the caller may mutate their array later; the tensor must not change
    return wrap(arr)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """`tf.convert_to_tensor`: the tensor for a value (a Variable is read; Python values by TF's rules).

    >>> import tapegrad as tf
    >>> tf.convert_to_tensor([1, 2]).dtype
    tf.int32
    """
    from .indexing import IndexedSlices

    if value.__class__ is IndexedSlices:  # the dense tensor, by a recorded (differentiable) op
        if dtype is not None and _dt.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {_dt.as_dtype(dtype).name} for IndexedSlices with "
                             f"dtype {value.dtype.name}; use tf.cast on the converted tensor.")
        return value._to_dense()
    if dtype is None and dtype_hint is not None and not isinstance(value, _TensorLike):
        try:
            return convert(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    return convert(value, dtype)


def _np_filled(shape, dtype, value):
    """NumPy zeros/ones; rank 0 as a NumPy scalar, as every rank-0 value is held (fast scalar math)."""
    if not shape:
        return np.dtype(dtype).type(value)
    return np.zeros(shape, dtype) if value == 0 else np.ones(shape, dtype)


def zeros(shape, dtype=_dt.float32, name=None):
    """`tf.zeros`: a tensor of zeros (float32 by default)."""
    return wrap(place(_np_filled(_shape_tuple(shape, "tf.zeros"), _dt.numpy_dtype(dtype), 0)))


def ones(shape, dtype=_dt.float32, name=None):
    """`tf.ones`: a tensor of ones (float32 by default)."""
    return wrap(place(_np_filled(_shape_tuple(shape, "tf.ones"), _dt.numpy_dtype(dtype), 1)))


def xp_dtype(xp, dtype: np.dtype):
    """The dtype object namespace `xp` uses for the NumPy dtype `dtype` (array-api-strict has its own)."""
    return dtype if xp is np else getattr(xp, dtype.name)


def constant_like(value, other):
    """A Tensor for the non-tensor `value` with `other`'s dtype, on `other`'s backend (TF's rules apply)."""
    v = other._value
    arr = to_array(value, numpy_dtype_of(v))
    xp = namespace_of(v)
    return wrap(arr if xp is np else xp.asarray(arr))


def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TensorFlow's argument name
    """`tf.zeros_like`: zeros with the shape (and dtype, unless given) of `input`. Not differentiable."""
    x = as_input(input)
    v = x._value
    xp = namespace_of(v)
    if xp is np:
        return wrap(_np_filled(v.shape, v.dtype if dtype is None else _dt.numpy_dtype(dtype), 0))
    return wrap(filled(xp, v.shape, 0, v.dtype if dtype is None else xp_dtype(xp, _dt.numpy_dtype(dtype)), v))


def ones_like(input, dtype=None, name=None):  # noqa: A002
    """`tf.ones_like`: ones with the shape (and dtype, unless given) of `input`. Not differentiable."""
    x = as_input(input)
    v = x._value
    xp = namespace_of(v)
    if xp is np:
        return wrap(_np_filled(v.shape, v.dtype if dtype is None else _dt.numpy_dtype(dtype), 1))
    return wrap(filled(xp, v.shape, 1, v.dtype if dtype is None else xp_dtype(xp, _dt.numpy_dtype(dtype)), v))


def _fill_impl(xp, value, dims):
    return xp.broadcast_to(value, dims) + xp.zeros(dims, dtype=value.dtype)  # a fresh, writable array


Fill = defprimitive("Fill", _fill_impl)
# The gradient w.r.t. the scalar value sums the cotangent over the filled dims (the engine unbroadcasts).
defvjp(Fill, lambda g, ans, value, dims: g)
defjvp(Fill, lambda t, ans, value, dims: fill(dims, t))
samples(Fill, lambda: [((S.arr(()),), {"dims": (2, 3)})])


def fill(dims, value, name=None):
    """`tf.fill`: a tensor of shape `dims` filled with the scalar `value`.

    >>> import tapegrad as tf
    >>> tf.fill((2, 3), 3.0).shape
    TensorShape([2, 3])
    """
    v = as_input(value)
    if v._value.shape != ():
        raise ValueError(f"tf.fill: value must be a scalar, got shape {tuple(v._value.shape)}.")
    return apply(Fill, (v,), {"dims": _shape_tuple(dims, "tf.fill")})


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """`tf.range`: start, start + delta, ... up to (not including) limit; ints give int32, floats float32.

    >>> import tapegrad as tf
    >>> tf.range(5).numpy()
    array([0, 1, 2, 3, 4], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    vals = [v.numpy() if isinstance(v, _TensorLike) else v for v in (start, limit, delta)]
    if dtype is None:  # TensorFlow's inference: the highest of int32 < int64 < float32 < float64 among the three
        order = [np.dtype(t) for t in (np.int32, np.int64, np.float32, np.float64)]
        kinds = [numpy_dtype_of(to_array(v)) for v in vals]
        d = max(kinds, key=lambda k: order.index(k) if k in order else len(order))
    else:
        d = _dt.numpy_dtype(dtype)
    if vals[2] == 0:
        raise ValueError("tf.range: delta must not be 0.")
    return wrap(place(np.arange(vals[0], vals[1], vals[2]).astype(d)))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name: str | None = None) -> Tensor:
    """`tf.eye`: an identity matrix (ones on the main diagonal), or a batch of them of shape `batch_shape`.

    >>> import tapegrad as tf
    >>> tf.eye(2, 3, dtype=tf.int32).numpy()
    array([[1, 0, 0],
           [0, 1, 0]], dtype=int32)
    """
    rows = int(num_rows.numpy() if isinstance(num_rows, _TensorLike) else num_rows)
    cols = rows if num_columns is None else int(num_columns.numpy() if isinstance(num_columns, _TensorLike)
                                                else num_columns)
    if rows < 0 or cols < 0:
        raise ValueError(f"tf.eye: num_rows ({rows}) and num_columns ({cols}) must be non-negative.")
    batch = () if batch_shape is None else _shape_tuple(batch_shape, "tf.eye")
    m = np.eye(rows, cols, dtype=_dt.numpy_dtype(dtype))
    return wrap(place(np.array(np.broadcast_to(m, batch + (rows, cols))) if batch else m))
