"""Printing and run-time checks: `tf.print`, `tf.debugging.check_numerics`, `tf.debugging.assert_*`,
`tf.Assert`, `tf.ensure_shape`.

Key decisions:
- `tf.print` is TensorFlow's algorithm in Python: a template built with `pprint.pformat` around a
  placeholder for each tensor (so nested structures wrap and sort exactly as TensorFlow's do), then each
  tensor's `SummarizeValue(summarize, print_v2=True)`: `[1 2 ... 9]`, floats in the shortest of `%.6g` /
  `%.9g` (float32) or `%.15g` / `%.17g` (float64) that round-trips, bools as 1/0, complex as `?`.
- The asserts run eagerly, as TensorFlow's do in eager mode, and build TensorFlow's messages from the same
  parts (`Condition x == y did not hold.`, the first `summarize` differing indices and values, ...). They
  raise TensorFlow's classes: InvalidArgumentError for failed value checks, ValueError/TypeError where
  TensorFlow's Python layer decides statically (ranks, shapes, dtypes). They return None.
- `check_numerics` is a primitive (TensorFlow's CheckNumerics): the identity, whose gradient is
  `check_numerics` of the cotangent with TensorFlow's "detected in gradient" message.
"""

from __future__ import annotations

import collections
import logging
import os
import pprint
import random as _pyrandom
import sys

import numpy as np

from .._core import dtypes as _dt
from .._core import nest
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, convert, defjvp, defprimitive, defvjp, samples
from .._core.shape import TensorShape
from .._core.tensor import Tensor, _TensorLike
from . import _samples as S
from .elementwise import abs as _abs
from .elementwise import add, equal, greater, greater_equal, identity, less, less_equal, multiply, not_equal, subtract
from .jacobian_seeds import keeps_onehot

# =========================================================================== tf.print

_LOG_STREAMS = {logging.info: logging.INFO, logging.warning: logging.WARNING, logging.error: logging.ERROR,
                logging.INFO: logging.INFO, logging.WARNING: logging.WARNING, logging.ERROR: logging.ERROR}


def _placeholder(template: str, default: str = "{}") -> str:
    """TensorFlow's placeholder: "{}", lengthened with seeded random digits until absent from `template`."""
    placeholder = default
    rng = _pyrandom.Random(5)
    while placeholder in template:
        placeholder += str(rng.randint(0, 9))
    return placeholder


def _float_text(v, single: bool) -> str:
    """TensorFlow's FloatToBuffer / DoubleToBuffer: `%.6g` (`%.15g`) if it round-trips, else `%.9g`
    (`%.17g`); NaN as nan or -nan; subnormals print as (signed) zero, as TensorFlow's CPU flushes them."""
    if np.isnan(v):
        return "-nan" if np.signbit(v) else "nan"
    typ = np.float32 if single else np.float64
    v = typ(v)
    if v != 0 and abs(v) < np.finfo(typ).tiny:
        v = typ(-0.0) if np.signbit(v) else typ(0.0)
    f = float(v)
    text = ("%.6g" if single else "%.15g") % f
    if typ(float(text)) != v:
        text = ("%.9g" if single else "%.17g") % f
    return text


def _element_formatter(dtype: np.dtype):
    kind = dtype.kind
    if kind == "b":
        return lambda v: "1" if v else "0"
    if kind in "iu":
        return lambda v: str(int(v))
    if kind == "f":
        single = dtype.itemsize <= 4
        return lambda v: _float_text(v, single)
    if kind in "SU":
        return lambda v: '"' + (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)).encode(
            "unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return None  # TensorFlow prints other dtypes (complex) as "?"


def _dim_spacing(dim: int, nd: int, out: list) -> None:
    if dim == nd - 1:
        out.append(" ")
    else:
        out.append("\n" * (nd - dim - 1) + " " * (dim + 1))


def _print_dim(flat, shape, limit, nd, dim, index, fmt, out) -> None:
    """TensorFlow's PrintOneDimV2: `limit` entries at each end of every dimension, "..." between."""
    if dim == nd:
        out.append(fmt(flat[index]))
        return
    out.append("[")
    count = shape[dim]
    per = int(np.prod(shape[dim + 1:], dtype=np.int64))
    for i in range(min(limit, count)):
        if i > 0:
            _dim_spacing(dim, nd, out)
        _print_dim(flat, shape, limit, nd, dim + 1, index + per * i, fmt, out)
    if count > 2 * limit:
        _dim_spacing(dim, nd, out)
        out.append("...")
    for i in range(max(limit, count - limit), count):
        _dim_spacing(dim, nd, out)
        _print_dim(flat, shape, limit, nd, dim + 1, index + per * i, fmt, out)
    out.append("]")


def summarize_value(value, summarize=3) -> str:
    """A tensor's text as `tf.print` shows it (TensorFlow's `Tensor::SummarizeValue(summarize, true)`).

    >>> import tapegrad as tf
    >>> from tapegrad.ops.debug_ops import summarize_value
    >>> summarize_value(tf.range(10))
    '[0 1 2 ... 7 8 9]'
    """
    a = np.asarray(value.numpy() if isinstance(value, _TensorLike) else value)
    n = a.size
    if summarize is None:
        summarize = 3
    max_entries = n if summarize < 0 else summarize
    limit = min(max_entries, n)
    fmt = _element_formatter(a.dtype)
    if a.dtype.kind == "b" and limit == 0:
        return ""  # TensorFlow prints nothing for a bool tensor with no entries to show
    if fmt is None:
        text = " ".join(["?"] * limit) + ("..." if max_entries < n else "")
        return f"[{text}]" if a.ndim else text
    if a.ndim == 0:
        return (fmt(a[()]) if limit > 0 else "") + ("..." if n > limit else "")
    out: list = []
    _print_dim(a.reshape(-1), a.shape, limit, a.ndim, 0, 0, fmt, out)
    return "".join(out)


def _format(inputs, summarize, sep: str) -> str:
    """TensorFlow's print_v2 template and StringFormat, in Python."""
    sorted_inputs = [collections.OrderedDict(sorted(x.items())) if isinstance(x, collections.OrderedDict)
                     else x for x in inputs]
    free = nest.map_structure(lambda x: "" if isinstance(x, _TensorLike) else x, sorted_inputs)
    placeholder = _placeholder(" ".join(pprint.pformat(x) for x in free))
    templates, tensors = [], []
    for item in inputs:
        leaves = []
        for x in nest.flatten(item):
            if isinstance(x, _TensorLike):
                tensors.append(x)
                leaves.append(placeholder)
            else:
                leaves.append(x)
        if isinstance(item, str):
            templates.append(item)
        else:
            templates.append(pprint.pformat(nest.pack_sequence_as(item, leaves)))
    template = sep.join(templates).replace("'" + placeholder + "'", placeholder)
    parts = template.split(placeholder)
    if len(parts) != len(tensors) + 1:
        raise InvalidArgumentError(None, "StringFormat", f"tf.print: num placeholders in template and num "
                                   f"inputs must match: {len(parts) - 1} vs. {len(tensors)} [Op:StringFormat]")
    out = [parts[0]]
    for t, p in zip(tensors, parts[1:]):
        out.append(summarize_value(t, summarize))
        out.append(p)
    return "".join(out)


def print(*inputs, output_stream=None, summarize=3, sep=" ", end=os.linesep, name=None):  # noqa: A001
    """`tf.print`: prints tensors (summarized as `[1 2 ... 9 10]`), Python values and nested structures.

    Prints to `sys.stderr` by default, as TensorFlow does (`output_stream=None` means the current
    `sys.stderr`). `output_stream` may be `sys.stdout`, `sys.stderr`, a `"file://<path>"` string (appended
    to), or `logging.info`/`warning`/`error` (or their levels); anything else is a ValueError, as in
    TensorFlow. `summarize` entries are kept at each end of every dimension (-1: all).

    >>> import sys
    >>> import tapegrad as tf
    >>> tf.print("x:", tf.range(10), {"b": tf.constant([1.5, 2.0])}, output_stream=sys.stdout)
    x: [0 1 2 ... 7 8 9] {'b': [1.5 2]}
    """
    stream = sys.stderr if output_stream is None else output_stream
    text = _format(inputs, summarize, sep)
    if isinstance(stream, str) and stream.startswith("file://"):
        with open(stream[len("file://"):], "a", encoding="utf-8") as f:
            f.write(text + end)
        return None
    if stream is sys.stdout or stream is sys.stderr:
        stream.write(text + end)
        stream.flush()
        return None
    level = _LOG_STREAMS.get(stream) if isinstance(stream, int) or callable(stream) else None
    if level is not None:
        logging.getLogger("tensorflow").log(level, text)
        return None
    raise ValueError(f"Unsupported output stream, logging level, or file.{stream}. Supported streams are "
                     "sys.stdout, sys.stderr, tf.logging.info, tf.logging.warning, tf.logging.error. "
                     "File needs to be in the form of 'file://<filepath>'.")


# =========================================================================== check_numerics

def _check_numerics_impl(xp, x, message):
    if not bool(xp.all(xp.isfinite(x))):
        nan = bool(xp.any(xp.isnan(x)))
        inf = bool(xp.any(xp.isinf(x)))
        what = "Inf and NaN" if nan and inf else "NaN" if nan else "Inf"
        raise InvalidArgumentError(None, "CheckNumerics",
                                   f"{message} : Tensor had {what} values [Op:CheckNumerics]")
    return x


def _gradient_message(message: str) -> str:
    # TensorFlow formats the op's message attribute, which its Python layer reads back as bytes.
    return f"Not a number (NaN) or infinity (Inf) values detected in gradient. {message.encode()!r}"


CheckNumerics = defprimitive("CheckNumerics", _check_numerics_impl)
defvjp(CheckNumerics, lambda g, ans, x, message: check_numerics(g, _gradient_message(message)))
defjvp(CheckNumerics, lambda t, ans, x, message: check_numerics(t, _gradient_message(message)))
samples(CheckNumerics, lambda: [((S.arr(s, seed=i),), {"message": "sample"}) for i, s in enumerate(S.UNARY_SHAPES)])


def check_numerics(tensor, message, name=None):
    """`tf.debugging.check_numerics`: `tensor` unchanged, or InvalidArgumentError naming `message` if it
    holds NaN or Inf. Differentiable as the identity; the gradient is checked too.

    >>> import tapegrad as tf
    >>> tf.debugging.check_numerics(tf.constant([1.0, float("nan")]), "bad input")
    Traceback (most recent call last):
    ...
    tapegrad._core.errors.InvalidArgumentError: bad input : Tensor had NaN values [Op:CheckNumerics]
    """
    x = convert(tensor)
    if x.dtype not in (_dt.float16, _dt.float32, _dt.float64):
        raise InvalidArgumentError(None, "CheckNumerics",
                                   f"tf.debugging.check_numerics: Value for attr 'T' of {x.dtype.name} is not in "
                                   "the list of allowed values: bfloat16, half, float, double. Only floating-point "
                                   "tensors can hold NaN or Inf. [Op:CheckNumerics]")
    return apply(CheckNumerics, (x,), {"message": str(message)})


def assert_all_finite(x, message, name=None):
    """`tf.debugging.assert_all_finite`: `x` unchanged if it has no NaN or Inf (check_numerics otherwise).

    >>> import tapegrad as tf
    >>> tf.debugging.assert_all_finite(tf.constant([1.0, 2.0]), "ok").numpy()
    array([1., 2.], dtype=float32)
    """
    return check_numerics(x, message)


# =========================================================================== asserts: message parts

def _message_prefix(message) -> str:
    return f"{message}.  " if message else ""


def _shape_and_dtype_str(x) -> str:
    return f"shape={x.shape} dtype={x.dtype.name}"


def _pretty_print(item, summarize) -> str:
    """A data item of a failed binary assert: a tensor as a list of its first entries, others by str()."""
    if isinstance(item, _TensorLike):
        arr = item.numpy()
        if np.isscalar(arr):
            return str(arr)
        flat = arr.reshape(-1)
        lst = [str(v) for v in flat[:summarize]]
        if len(lst) < flat.size:
            lst.append("...")
        return str(lst)
    return str(item)


def _assert_msg_data(sym, x, y, summarize, test) -> list:
    data = [f"Condition x {sym} y did not hold."]
    if summarize > 0:
        if x.shape == y.shape and x.shape.as_list():
            mask = np.logical_not(np.asarray(test.numpy()))
            indices = np.argwhere(mask)
            num = min(summarize, indices.shape[0])
            data += [f"Indices of first {num} different values:", indices[:num],
                     "Corresponding x values:", np.asarray(x.numpy())[mask].reshape(-1)[:num],
                     "Corresponding y values:", np.asarray(y.numpy())[mask].reshape(-1)[:num]]
        x_np = np.asarray(x.numpy()).reshape(-1)
        y_np = np.asarray(y.numpy()).reshape(-1)
        x_sum = min(x_np.size, summarize)
        y_sum = min(y_np.size, summarize)
        data += [f"First {x_sum} elements of x:", x_np[:x_sum], f"First {y_sum} elements of y:", y_np[:y_sum]]
    return data


def _binary_assert(sym, op_func, x, y, data, summarize, message):
    """TensorFlow's eager `_binary_assert`: None if `op_func(x, y)` holds everywhere, else InvalidArgumentError."""
    x = convert(x)
    y = convert(y)
    test = op_func(x, y)
    if bool(np.all(test.numpy())):
        return None
    if summarize is None:
        summarize = 3
    elif summarize < 0:
        summarize = 10**9
    if data is None:
        data = _assert_msg_data(sym, x, y, summarize, test)
    if message is not None:
        data = [message] + list(data)
    raise InvalidArgumentError(None, None, "\n".join(_pretty_print(d, summarize) for d in data))


def _data_array(item):
    if isinstance(item, _TensorLike):
        return np.asarray(item.numpy())
    try:
        return np.asarray(convert(item).numpy())
    except (TypeError, ValueError):
        arr = np.asarray(item)
        return np.char.encode(arr, "utf-8") if arr.dtype.kind == "U" else arr


def _summarize_eager(item, summarize) -> str:
    """TensorFlow's `_summarize_eager`: entries by str(), ", "-joined; strings as byte strings."""
    if summarize is None:
        summarize = 3
    arr = _data_array(item)
    if summarize < 0:
        summarize = arr.size
    if arr.ndim:
        flat = arr.reshape(-1)
        lst = [str(v) for v in flat[:summarize]]
        if len(lst) < flat.size:
            lst.append("...")
    else:
        lst = [str(arr[()])] if summarize != 0 else []
    return ", ".join(lst)


# =========================================================================== Assert and the binary asserts

def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TensorFlow's name
    """`tf.debugging.Assert`: InvalidArgumentError listing the summarized `data` if `condition` is false.

    >>> import tapegrad as tf
    >>> tf.debugging.Assert(tf.constant(False), ["bad", tf.constant([1, 2, 3, 4])])
    Traceback (most recent call last):
    ...
    tapegrad._core.errors.InvalidArgumentError: Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. \
Summarized data: b'bad'
    1, 2, 3, ...
    """
    if not condition:
        data_str = [_summarize_eager(x, summarize) for x in data]
        summary = "\n".join(data_str)
        raise InvalidArgumentError(None, None, f"Expected '{condition!s}' to be true. Summarized data: {summary}")
    return None


def assert_equal(x, y, message=None, summarize=None, name=None):
    """`tf.debugging.assert_equal`: InvalidArgumentError unless `x == y` everywhere (broadcasting).

    >>> import tapegrad as tf
    >>> tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))
    >>> tf.debugging.assert_equal(tf.constant([1, 2, 3]), tf.constant([1, 0, 3]))
    Traceback (most recent call last):
    ...
    tapegrad._core.errors.InvalidArgumentError: Condition x == y did not hold.
    Indices of first 1 different values:
    [[1]]
    Corresponding x values:
    [2]
    Corresponding y values:
    [0]
    First 3 elements of x:
    [1 2 3]
    First 3 elements of y:
    [1 0 3]
    """
    if x is y:
        return None
    return _binary_assert("==", equal, x, y, None, summarize, message)


def assert_none_equal(x, y, summarize=None, message=None, name=None):
    """`tf.debugging.assert_none_equal`: InvalidArgumentError unless `x != y` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_none_equal(tf.constant([1, 2]), tf.constant([3, 4]))
    """
    return _binary_assert("!=", not_equal, x, y, None, summarize, message)


def assert_less(x, y, message=None, summarize=None, name=None):
    """`tf.debugging.assert_less`: InvalidArgumentError unless `x < y` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_less(tf.constant([1, 2]), tf.constant(3))
    """
    return _binary_assert("<", less, x, y, None, summarize, message)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """`tf.debugging.assert_less_equal`: InvalidArgumentError unless `x <= y` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_less_equal(tf.constant([1, 3]), tf.constant(3))
    """
    return _binary_assert("<=", less_equal, x, y, None, summarize, message)


def assert_greater(x, y, message=None, summarize=None, name=None):
    """`tf.debugging.assert_greater`: InvalidArgumentError unless `x > y` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_greater(tf.constant([4, 5]), tf.constant(3))
    """
    return _binary_assert(">", greater, x, y, None, summarize, message)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """`tf.debugging.assert_greater_equal`: InvalidArgumentError unless `x >= y` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_greater_equal(tf.constant([3, 5]), tf.constant(3))
    """
    return _binary_assert(">=", greater_equal, x, y, None, summarize, message)


# =========================================================================== sign asserts

def _sign_assert(x, message, summarize, sym, op_func, condition):
    message = _message_prefix(message)
    x = convert(x)
    data = [message, condition, f"x ({_shape_and_dtype_str(x)}) = ", x]
    if sym == "<=":  # TensorFlow's message lacks the separator here (adjacent string literals)
        data = [message, condition + data[2], x]
    return _binary_assert(sym, op_func, x, convert(0, x.dtype), data, summarize, None)


def assert_positive(x, message=None, summarize=None, name=None):
    """`tf.debugging.assert_positive`: InvalidArgumentError unless `x > 0` everywhere (empty `x` passes).

    >>> import tapegrad as tf
    >>> tf.debugging.assert_positive(tf.constant([1.0, 2.0]))
    """
    return _sign_assert(x, message, summarize, ">", greater, "Condition x > 0 did not hold element-wise:")


def assert_negative(x, message=None, summarize=None, name=None):
    """`tf.debugging.assert_negative`: InvalidArgumentError unless `x < 0` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_negative(tf.constant([-1.0, -2.0]))
    """
    return _sign_assert(x, message, summarize, "<", less, "Condition x < 0 did not hold element-wise:")


def assert_non_negative(x, message=None, summarize=None, name=None):
    """`tf.debugging.assert_non_negative`: InvalidArgumentError unless `x >= 0` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_non_negative(tf.constant([0, 2]))
    """
    return _sign_assert(x, message, summarize, ">=", greater_equal,
                        "Condition x >= 0 did not hold element-wise:")


def assert_non_positive(x, message=None, summarize=None, name=None):
    """`tf.debugging.assert_non_positive`: InvalidArgumentError unless `x <= 0` everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_non_positive(tf.constant([0, -2]))
    """
    return _sign_assert(x, message, summarize, "<=", less_equal, "Condition x <= 0 did not hold element-wise:")


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """`tf.debugging.assert_near`: InvalidArgumentError unless `|x - y| < atol + rtol * |y|` everywhere
    (both tolerances default to 10 * the dtype's machine epsilon).

    Raises ValueError for integer inputs (there is no epsilon to scale).

    >>> import tapegrad as tf
    >>> tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0000005]))
    """
    message = _message_prefix(message)
    x = convert(x)
    y = convert(y, x.dtype)
    dtype = x.dtype.real_dtype
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(f"tf.debugging.assert_near: x and y must be floating-point or complex tensors, got "
                         f"{x.dtype.name} (data type {dtype.as_numpy_dtype} not inexact). Use "
                         "tf.debugging.assert_equal for integers.")
    eps = np.finfo(dtype.as_numpy_dtype).eps
    rtol_t = convert(10 * eps if rtol is None else rtol, dtype)
    atol_t = convert(10 * eps if atol is None else atol, dtype)
    data = [message, f"x and y not equal to tolerance rtol = {rtol_t!s}, atol = {atol_t!s}",
            f"x ({_shape_and_dtype_str(x)}) = ", x, f"y ({_shape_and_dtype_str(y)}) = ", y]
    tol = add(atol_t, multiply(rtol_t, _abs(y)))
    diff = _abs(subtract(x, y))
    condition = Tensor(np.bool_(np.all(less(diff, tol).numpy())))
    return Assert(condition, data, summarize=summarize)


# =========================================================================== rank, type and shape asserts

def _rank_arg(rank):
    r = convert(rank)
    if r.dtype != _dt.int32:
        raise TypeError(f"tensor must be of type {_dt.int32!r}; got {r.dtype!r}")
    if r.ndim != 0:
        raise ValueError("Rank must be a scalar.")
    return int(r.numpy())


def assert_rank(x, rank, message=None, name=None):
    """`tf.debugging.assert_rank`: ValueError unless `x` has rank `rank`.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_rank(tf.constant([1.0, 2.0]), 2)
    Traceback (most recent call last):
    ...
    ValueError: Tensor  must have rank 2.  Received rank 1, shape (2,)
    """
    x = convert(x)
    message = _message_prefix(message)
    r = _rank_arg(rank)
    if x.ndim != r:
        raise ValueError(f"{message}Tensor  must have rank {r}.  Received rank {x.ndim}, shape {x.shape}")
    return None


def assert_rank_at_least(x, rank, message=None, name=None):
    """`tf.debugging.assert_rank_at_least`: ValueError unless `x` has rank >= `rank`.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_rank_at_least(tf.zeros([2, 3]), 1)
    """
    x = convert(x)
    message = _message_prefix(message)
    r = _rank_arg(rank)
    if x.ndim < r:
        raise ValueError(f"{message}Tensor  must have rank at least {r}.  Received rank {x.ndim}, "
                         f"shape {x.shape}")
    return None


def assert_rank_in(x, ranks, message=None, name=None):
    """`tf.debugging.assert_rank_in`: ValueError unless the rank of `x` is one of `ranks`.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_rank_in(tf.zeros([2, 3]), [1, 2])
    """
    x = convert(x)
    message = _message_prefix(message)
    rs = tuple(_rank_arg(r) for r in ranks)
    if x.ndim not in rs:
        raise ValueError(f"{message}Tensor  must have rank in {rs}.  Received rank {x.ndim}, shape {x.shape}")
    return None


def assert_type(tensor, tf_type, message=None, name=None):
    """`tf.debugging.assert_type`: TypeError unless `tensor` has dtype `tf_type`.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_type(tf.constant(1.0), tf.float32)
    """
    want = _dt.as_dtype(tf_type)
    t = convert(tensor)
    if t.dtype != want:
        raise TypeError(f"{_message_prefix(message)}tensor must be of type {want!r}; got {t.dtype!r}")
    return None


def assert_integer(x, message=None, name=None):
    """`tf.debugging.assert_integer`: TypeError unless `x` has an integer dtype.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_integer(tf.constant([1, 2]))
    """
    t = convert(x)
    if not t.dtype.is_integer:
        raise TypeError(f'{_message_prefix(message)}Expected "x" to be integer type.  Found: tensor of dtype '
                        f"{t.dtype}")
    return None


def assert_scalar(tensor, message=None, name=None):
    """`tf.debugging.assert_scalar`: None if `tensor` is a scalar, else ValueError.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_scalar(tf.constant([1, 2]))
    Traceback (most recent call last):
    ...
    ValueError: Expected scalar shape, saw shape: (2,).
    """
    t = convert(tensor)
    if t.ndim != 0:
        raise ValueError(f"{_message_prefix(message)}Expected scalar shape, saw shape: {t.shape}.")
    return None


def _known(size) -> bool:
    if size is None:
        return False
    try:
        int(size)
    except (ValueError, TypeError):
        return False
    return True


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """`tf.debugging.assert_shapes`: ValueError unless the tensors' shapes match the symbolic shapes.

    `shapes` is a list of `(tensor, shape)` pairs (or a dict); a shape entry is an int, a symbol shared
    between tensors (a string), None or "." for any size, and "..." / "*" first for any leading dims.

    >>> import tapegrad as tf
    >>> x, y = tf.zeros([2, 3]), tf.zeros([3])
    >>> tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("Q",))])
    >>> tf.debugging.assert_shapes([(x, ("N", 4))])
    Traceback (most recent call last):
    ...
    ValueError: Specified explicitly.  Tensor shape=(2, 3) dtype=float32 dimension 1 must have size 4.  \
Received size 3, shape (2, 3)
    """
    if isinstance(shapes, dict):
        shapes = shapes.items()
    prefix = _message_prefix(message)
    constraints = [(convert(x), s) for x, s in shapes if s is not None]
    entries = []
    for x, symbolic in constraints:
        if not (hasattr(symbolic, "__iter__") or hasattr(symbolic, "__getitem__")):
            raise ValueError(f"{prefix}Tensor {_shape_and_dtype_str(x)}.  Specified shape must be an iterable.  "
                             "An iterable has the attribute `__iter__` or `__getitem__`.  Received specified "
                             f"shape: {symbolic}")
        symbols = tuple(symbolic)
        innermost = False
        for i, symbol in enumerate(symbols):
            if not (symbol is Ellipsis or (isinstance(symbol, str) and symbol == "*")):
                continue
            if i != 0:
                raise ValueError(f"{prefix}Tensor {_shape_and_dtype_str(x)} specified shape index {i}.  Symbol "
                                 "`...` or `*` for a variable number of unspecified dimensions is only allowed as "
                                 "the first entry")
            innermost = True
        sizes = tuple(x.shape) if x.ndim else (1,)
        spec = symbols[1:] if innermost else symbols
        entries.append((x, innermost, sizes, spec if spec else (1,)))
    for x, innermost, _, spec in entries:
        rank = len(spec)
        if innermost:
            if rank > 1:
                assert_rank_at_least(x, rank, message=message)
        elif rank in (0, 1):
            assert_rank_in(x, [0, 1], message=message)
        else:
            assert_rank(x, rank, message=message)
    specified: dict = {}
    for x, innermost, sizes, spec in entries:
        for i, symbol in enumerate(spec):
            if symbol is None or (isinstance(symbol, str) and symbol == "."):
                continue
            dim = i - len(spec) if innermost else i
            if _known(symbol) or symbol in specified:
                if _known(symbol):
                    want, how = int(symbol), "Specified explicitly"
                else:
                    want, by, at = specified[symbol]
                    how = f"Specified by tensor {_shape_and_dtype_str(by)} dimension {at}"
                if int(sizes[dim]) != want:
                    raise ValueError(f"{prefix}{how}.  Tensor {_shape_and_dtype_str(x)} dimension {dim} must have "
                                     f"size {want}.  Received size {sizes[dim]}, shape {x.shape}")
            else:
                specified[symbol] = (int(sizes[dim]), x, dim)
    return None


def is_numeric_tensor(tensor) -> bool:
    """`tf.debugging.is_numeric_tensor`: True for a Tensor (not a Variable) of a numeric (not bool) dtype.

    >>> import tapegrad as tf
    >>> tf.debugging.is_numeric_tensor(tf.constant([1.0])), tf.debugging.is_numeric_tensor([1.0])
    (True, False)
    """
    return isinstance(tensor, Tensor) and tensor.dtype._np.kind in "iufc"


def assert_same_float_dtype(tensors=None, dtype=None):
    """`tf.debugging.assert_same_float_dtype`: the common floating dtype of `tensors` (and `dtype`), float32
    if there is none; ValueError on a mismatch or a non-floating dtype.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_same_float_dtype([tf.constant(1.0), tf.constant(2.0)])
    tf.float32
    """
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    if tensors:
        expected = dtype
        first = None
        for item in tensors:
            if item is None:
                continue
            if expected is None:
                expected = item.dtype
                first = item.name if hasattr(item, "name") else str(item)
            elif item.dtype != expected:
                what = item.name if hasattr(item, "name") else str(item)
                raise ValueError(f"{what}, type={item.dtype}, must be of the same type ({expected})"
                                 f"{f' as {first}' if first else ''}.")
        dtype = expected
    if dtype is None:
        return _dt.float32
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def assert_proper_iterable(values) -> None:
    """`tf.debugging.assert_proper_iterable`: TypeError for a tensor, array or string, or a non-iterable.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_proper_iterable([1, 2])
    """
    if isinstance(values, (_TensorLike, np.ndarray, str, bytes)):
        raise TypeError(f'Expected argument "values" to be a "proper" iterable.  Found: {type(values)}')
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


# =========================================================================== ensure_shape

def ensure_shape(x, shape, name=None):
    """`tf.ensure_shape`: `x` (an identity, differentiable) if its shape is compatible with `shape` (None
    entries match any size), else InvalidArgumentError.

    >>> import tapegrad as tf
    >>> tf.ensure_shape(tf.constant([1, 2]), [None]).numpy()
    array([1, 2], dtype=int32)
    """
    t = convert(x)
    if shape is not None:
        want = TensorShape(shape)
        if not t.shape.is_compatible_with(want):
            dims = ",".join("?" if d is None else str(d) for d in want)
            got = ",".join(str(d) for d in t.shape)
            raise InvalidArgumentError(None, "EnsureShape", f"Shape of tensor input [{got}] is not compatible with "
                                       f"expected shape [{dims}]. [Op:EnsureShape]")
    return identity(t)


# The names TensorFlow also has at the top level (tf.print, tf.Assert, ...).
__all__ = ["print", "Assert", "assert_equal", "assert_greater", "assert_less", "assert_rank", "ensure_shape"]

keeps_onehot(CheckNumerics)  # elementwise (see jacobian_seeds.py)
