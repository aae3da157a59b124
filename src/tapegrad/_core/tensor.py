"""Tensor (immutable) and Variable (mutable, trainable, named `name:0`).

Key decisions:
- A Tensor is a value plus an integer id from a counter (never Python's `id()`, which is reused after
  garbage collection). Tapes key everything by that id. Arithmetic dunders only call ops; the op module
  installs them here (`install_operator`), so this module imports no op.
- A Variable keeps one id for its whole life. `assign*` *replaces* its array rather than writing into it,
  so a tensor read from the variable earlier (and saved on a tape for the backward pass) keeps the value it
  had when it was read, as TensorFlow's snapshots do, at no copying cost.
- A read of a Variable while a tape or accumulator is active is a `Tensor` carrying the variable's id, so
  every read's gradient lands on the variable and sums, as in TensorFlow.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .hooks import hooks
from .shape import TensorShape

_next_id = itertools.count(1).__next__
_new = object.__new__

# Filled by the tape module: (state, active counter). Kept here as module globals to keep reads cheap.
_state = None
_active = [0]
# The innermost tf.name_scope's prefix ("outer/inner/"), per thread: set by tapegrad._module.name_scope, read by
# Variable() to name a new variable as TensorFlow does ('outer/inner/w:0').
_scope = threading.local()


def _numpy_text(value, is_repr: bool) -> str:
    a = _backend.to_numpy(value)
    if a.ndim == 0:
        text = str(a[()])
    else:
        text = repr(a) if is_repr else str(a)
    if "\n" in text:
        text = "\n" + text
    return text


class _TensorLike:
    """What Tensor and Variable share: properties, conversions and the (installed) operators."""

    __slots__ = ()
    # NumPy defers binary operators to ours (ndarray * Tensor -> Tensor.__rmul__), as it does for TF tensors.
    __array_priority__ = 100

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def dtype(self) -> _dt.DType:
        return _dt.from_array(self._value)

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    @property
    def device(self) -> str:
        """TensorFlow's name of the device holding the value ('.../device:CPU:0', '.../device:GPU:0')."""
        return _backend.device_name(self._value)

    def numpy(self):
        """The value as a NumPy array (a NumPy scalar for rank 0), copied, as TensorFlow returns it.

        >>> import tapegrad as tf
        >>> tf.constant([1.0, 2.0]).numpy()
        array([1., 2.], dtype=float32)
        """
        a = self._host(".numpy()")
        return a[()] if a.ndim == 0 else a.copy()

    def _host(self, how: str):
        """The value as a NumPy array; while a tape records, tells it (`hooks.escaped`) that a tensor it may
        watch left it here (`tape.explain` names the user's line when that cut a gradient's path)."""
        if _active[0]:
            hooks.escaped(self, how)
        return _backend.to_numpy(self._value)

    def __array__(self, dtype=None, copy=None):
        # A copy, as TensorFlow's numpy() gives, so that NumPy code can never mutate the (immutable) tensor;
        # with copy=False (NumPy's "never copy"), a read-only view.
        a = np.asarray(self._host("NumPy (np.asarray, np.exp, ...)"))
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        if copy is False:
            a = a.view()
            a.flags.writeable = False
            return a
        return a.copy()

    def __len__(self) -> int:
        shape = self._value.shape
        if not shape:
            raise TypeError(f"len() of a scalar {type(self).__name__} is not defined: it has shape ().")
        return shape[0]

    def __iter__(self):
        shape = self._value.shape
        if not shape:  # raised by iter() itself, as TensorFlow does, not at the first next()
            raise TypeError(f"Cannot iterate over a scalar {type(self).__name__} (shape ()).")
        return (self[i] for i in range(shape[0]))

    def _scalar(self, what: str):
        a = self._host(what + "()")
        if a.size != 1:
            raise TypeError(f"{what}() needs a tensor with exactly one element; this one has shape "
                            f"{tuple(a.shape)}. Reduce it first (e.g. tf.reduce_sum) or index one element.")
        return a.reshape(())[()]

    def __bool__(self) -> bool:
        a = _backend.to_numpy(self._value)
        if a.size != 1:
            raise ValueError(f"The truth value of a tensor of shape {tuple(a.shape)} is ambiguous; "
                             "use tf.reduce_any or tf.reduce_all.")
        return bool(a.reshape(())[()])

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self._value.dtype.kind not in "iu" or self._value.shape:
            raise TypeError(f"Only integer scalar tensors can be used as an index; got shape "
                            f"{tuple(self._value.shape)} and dtype {self.dtype.name}.")
        return int(self._scalar("index"))

    def __format__(self, format_spec: str) -> str:
        return self.numpy().__format__(format_spec)

    def __hash__(self):
        raise TypeError(f"{type(self).__name__} is unhashable (== compares elementwise). "
                        "Use tensor.ref() as the key instead.")

    def ref(self) -> _Ref:
        """A hashable reference to this tensor, for use as a dict key or set member."""
        return _Ref(self)

    def __reduce__(self):
        return (_rebuild_tensor, (self.numpy(),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _rebuild_tensor(value):
    return wrap(np.asarray(value))


class _Ref:
    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return self._obj._id

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._obj._id == self._obj._id


class Tensor(_TensorLike):
    """An immutable multidimensional array that tapes can record operations on.

    Create tensors with `tf.constant` or `tf.convert_to_tensor`; every op returns one.

    >>> import tapegrad as tf
    >>> print(tf.constant(10.0))
    tf.Tensor(10.0, shape=(), dtype=float32)
    """

    __slots__ = ("_value", "_id", "__weakref__")

    def __init__(self, value, _id=None):
        self._value = value
        self._id = _next_id() if _id is None else _id

    def __repr__(self) -> str:
        return (f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._value, True)}>")

    def __str__(self) -> str:
        return f"tf.Tensor({_numpy_text(self._value, False)}, shape={self.shape}, dtype={self.dtype.name})"


def wrap(value) -> Tensor:
    """A new Tensor around an array, with a fresh id (the ops' fast path)."""
    t = _new(Tensor)
    t._value = value
    t._id = _next_id()
    return t


class Variable(_TensorLike):
    """A mutable, named tensor whose reads inside a GradientTape are watched when it is trainable.

    >>> import tapegrad as tf
    >>> x = tf.Variable(20.0, name="hours_worked")
    >>> x
    <tf.Variable 'hours_worked:0' shape=() dtype=float32, numpy=20.0>
    >>> float(x.assign_add(1.0))
    21.0
    """

    __slots__ = ("_value", "_id", "_name", "_trainable", "__weakref__")

    def __init__(self, initial_value=None, trainable: bool | None = None, validate_shape: bool = True,
                 caching_device=None, name: str | None = None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=None, aggregation=None,
                 shape=None, experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("tf.Variable needs an initial_value (a tensor, array, Python number or a "
                             "callable returning one).")
        if callable(initial_value) and not isinstance(initial_value, _TensorLike):
            initial_value = initial_value()
        value = to_array(initial_value, dtype)
        if shape is not None and validate_shape:
            want = TensorShape(shape)
            if want.is_fully_defined() and tuple(want) != tuple(value.shape):
                raise ValueError(f"tf.Variable: initial_value has shape {tuple(value.shape)} but shape="
                                 f"{tuple(want)} was given.")
        self._value = _backend.materialize(value)  # a Dask value is computed: variables hold values
        self._id = _next_id()
        self._name = getattr(_scope, "prefix", "") + ("Variable" if name is None else str(name))
        self._trainable = True if trainable is None else bool(trainable)

    @property
    def name(self) -> str:
        return self._name + ":0"

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def handle(self):
        return self

    def value(self) -> Tensor:
        """The current value as a Tensor (a read: watched by tapes, like any use of the variable)."""
        return read(self)

    def read_value(self) -> Tensor:
        """The current value as a Tensor (a read: watched by tapes, like any use of the variable). Under a tape it
        is a tensor of its own, as TensorFlow's ReadVariableOp output is: a gradient with respect to it counts
        the uses of this read only, not every use of the variable."""
        t = read(self)
        return hooks.identity(t) if _active[0] else t

    def _new_value(self, value, op: str):
        """`value` converted as TensorFlow's assign converts it (to the variable's dtype), shape checked."""
        mine = self._value
        try:
            new = to_array(value, _dt.from_array(mine))
            new = new if new.__class__ is mine.__class__ else _backend.like(new, mine)  # keeps its device
        except (TypeError, ValueError) as e:
            raise type(e)(f"Variable.{op} on '{self.name}': {e}") from None
        if tuple(new.shape) != tuple(mine.shape):
            raise ValueError(f"Variable.{op} on '{self.name}': shape mismatch: the variable has shape "
                             f"{tuple(mine.shape)} and the value has shape {tuple(new.shape)}. "
                             "Variables keep their shape; create a new tf.Variable for a new shape.")
        return new

    def assign(self, value, use_locking=None, name=None, read_value=True) -> Variable | None:
        """Sets the variable's value (never recorded on a tape); returns the variable (None if not read_value).

        >>> import tapegrad as tf
        >>> tf.Variable(1.0).assign(5.0)
        <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=5.0>
        """
        self._value = self._new_value(value, "assign")  # a fresh array: earlier reads keep their value
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True) -> Variable | None:
        """Adds `delta` to the variable's value (never recorded on a tape); returns the variable."""
        self._value = self._value + self._new_value(delta, "assign_add")
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True) -> Variable | None:
        """Subtracts `delta` from the variable's value (never recorded on a tape); returns the variable."""
        self._value = self._value - self._new_value(delta, "assign_sub")
        return self if read_value else None

    def __repr__(self) -> str:
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._value, True)}>")

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        # TensorFlow's variables have no __format__: f"{v}" prints the repr; a spec formats the value.
        return repr(self) if not format_spec else self.numpy().__format__(format_spec)

    def __reduce__(self):
        return (_rebuild_variable, (self.numpy(), self._trainable, self._name))


def _rebuild_variable(value, trainable, name):
    return Variable(np.asarray(value), trainable=trainable, name=name)


def read(var: Variable) -> Tensor:
    """A Variable's current value as a Tensor with the variable's id; tells active tapes it was accessed."""
    if _active[0]:
        _state.variable_accessed(var)
    t = _new(Tensor)
    t._value = var._value
    t._id = var._id
    return t


# --------------------------------------------------------------------------- conversion (TF's rules)

_PY_DEFAULT = {float: np.float32, int: np.int32, bool: np.bool_, complex: np.complex64}


def to_array(value, dtype=None):
    """An array for `value` under TensorFlow's conversion rules (Python floats -> float32, ints -> int32).

    `dtype` (anything `tf.as_dtype` accepts) is the requested dtype. As in TensorFlow: a tensor must already
    have it (ValueError otherwise); NumPy values are cast to it by NumPy; Python values are converted to it
    when that loses nothing (TypeError otherwise). NumPy arrays are copied (a tensor never shares memory
    with an array its caller may still mutate). Inside a `tf.device` scope a new value (not a tensor's) is
    placed on that device.
    """
    arr = _to_array(value, dtype)
    return _backend.place(arr) if _backend.PLACING[0] and not isinstance(value, _TensorLike) else arr


def _to_array(value, dtype):
    want = None if dtype is None else _dt.numpy_dtype(dtype)
    if isinstance(value, _TensorLike):
        v = value._value
        if want is not None and _backend.numpy_dtype_of(v) != want:
            raise ValueError(f"Tensor conversion requested dtype {_dt.as_dtype(want).name} for Tensor with dtype "
                             f"{value.dtype.name}; use tf.cast to change a tensor's dtype.")
        return v
    if isinstance(value, (np.ndarray, np.generic)):
        if value.ndim == 0:  # rank 0 is held as a NumPy scalar: NumPy's scalar math is ~10x faster
            value = value[()] if value.__class__ is np.ndarray else value
            return value if want is None or value.dtype == want else want.type(value)
        if want is not None and value.dtype != want:
            return value.astype(want)  # TensorFlow converts NumPy arrays with NPY_ARRAY_FORCECAST
        return value.copy()
    if _backend.is_array(value):
        if want is not None and _backend.numpy_dtype_of(value) != want:
            xp = _backend.namespace_of(value)
            value = xp.astype(value, getattr(xp, want.name))
        return value
    return _python_to_array(value, want)


def _python_to_array(value, want):
    py = type(value)
    if want is None:
        want = _PY_DEFAULT.get(py)
        if want is None:
            want = _infer_nested(value)
            if want == np.int32 and not _fits_int32(value):
                want = np.int64  # TensorFlow: Python ints beyond int32 become int64
        elif want is np.int32 and not -2**31 <= value < 2**31:
            want = np.int64
        else:
            return want(value)  # a NumPy scalar (see to_array)
    want = np.dtype(want)
    _check_python_fits(value, want)
    if py is float or py is int or py is bool or py is complex:
        return np.dtype(want).type(value)
    try:
        arr = np.asarray(value, dtype=want)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot convert {value!r:.80} to a tensor of dtype {np.dtype(want).name}: {e}. "
                        "Nested lists must be rectangular and hold numbers only.") from None
    return arr


def _fits_int32(value) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, int) and not -2**31 <= v < 2**31:
            return False
    return True


def _check_python_fits(value, want):
    """TensorFlow's rule for Python values with a requested dtype: no float to an integer or bool, no complex
    to a real, no number to bool, and integers within range."""
    want = np.dtype(want)
    kind = want.kind
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        if isinstance(v, bool):
            continue
        if (isinstance(v, complex) and kind != "c") or (isinstance(v, float) and kind in "iub") or \
                (isinstance(v, int) and kind == "b"):
            raise TypeError(f"Cannot convert {v!r} to EagerTensor of dtype {want.name}: a {type(v).__name__} is "
                            f"not converted to {want.name} implicitly; use tf.cast to convert explicitly.")
        if kind in "iu" and isinstance(v, int):
            info = np.iinfo(want)
            if not info.min <= v <= info.max:
                raise ValueError(f"Can't convert Python int {v} to EagerTensor of dtype {want.name}: out of "
                                 f"range [{info.min}, {info.max}].")


def _infer_nested(value):
    """TensorFlow's dtype for a nested list: complex64 > float32 > int32 > bool, arrays keep theirs."""
    kinds = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, _TensorLike):
            kinds.add(v._value.dtype)
        elif isinstance(v, (np.ndarray, np.generic)):
            kinds.add(v.dtype)
        elif isinstance(v, bool) or isinstance(v, np.bool_):
            kinds.add("b")
        elif isinstance(v, int):
            kinds.add("i")
        elif isinstance(v, float):
            kinds.add("f")
        elif isinstance(v, complex):
            kinds.add("c")
        else:
            raise TypeError(f"Cannot convert {value!r:.80} to a tensor: {type(v).__name__} is not a number, "
                            "a tensor or an array.")
    arrays = [k for k in kinds if isinstance(k, np.dtype)]
    if arrays:
        return np.result_type(*arrays)
    for k, d in (("c", np.complex64), ("f", np.float32), ("i", np.int32), ("b", np.bool_)):
        if k in kinds:
            return d
    return np.float32  # an empty list is float32 in TensorFlow


def install_operator(name: str, fn) -> None:
    """Makes `fn` Tensor's and Variable's operator `name` (called by the op library at import)."""
    setattr(_TensorLike, name, fn)
