"""TensorFlow's dtypes over NumPy dtypes, and TensorFlow's rules for turning Python values into tensors.

Key decision: a DType is a thin named wrapper around a NumPy dtype; every backend (NumPy, CuPy, Dask,
array-api-strict) uses NumPy's dtype objects or names, so one table serves them all. Python floats become
float32 and ints int32 (TensorFlow's defaults), NumPy values keep theirs.
"""

from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type, compared equal to its TensorFlow name, its NumPy dtype and itself.

    >>> import tapegrad as tf
    >>> tf.float32.name, tf.float32.is_floating, tf.as_dtype("int32") == tf.int32
    ('float32', True, True)
    """

    __slots__ = ("name", "_np")

    def __init__(self, name: str, np_dtype: np.dtype):
        self.name = name
        self._np = np.dtype(np_dtype)

    @property
    def as_numpy_dtype(self) -> type:
        return self._np.type

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self._np.kind == "c"

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return self._np.itemsize

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def min(self):
        if self.is_floating:
            return float(np.finfo(self._np).min)
        if self.is_integer:
            return int(np.iinfo(self._np).min)
        raise TypeError(f"Cannot find minimum value of {self!r}.")

    @property
    def max(self):
        if self.is_floating:
            return float(np.finfo(self._np).max)
        if self.is_integer:
            return int(np.iinfo(self._np).max)
        raise TypeError(f"Cannot find maximum value of {self!r}.")

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = DType("float16", np.float16)
half = float16
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
double = float64
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
bool = DType("bool", np.bool_)  # noqa: A001 - TensorFlow's public name
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool,
       complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, double=float64)
_BY_NP = {d._np: d for d in ALL}
_BY_TYPE = {d._np.type: d for d in ALL}
_BY_TYPE.update({float: float32, int: int32, complex: complex64})
_BY_TYPE[type(True)] = bool  # noqa: UP003 - `bool` is the DType here


def as_dtype(type_value) -> DType:
    """Converts a TensorFlow name, a NumPy dtype or type, or a DType into a DType.

    >>> import tapegrad as tf, numpy as np
    >>> tf.as_dtype(np.float64)
    tf.float64
    """
    if isinstance(type_value, DType):
        return type_value
    d = _BY_TYPE.get(type_value) if isinstance(type_value, type) else None
    if d is not None:
        return d
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    try:
        d = _BY_NP.get(np.dtype(type_value))
    except (TypeError, ValueError):
        d = None
    if d is None:
        raise TypeError(f"Cannot convert {type_value!r} to a tapegrad DType; use one of "
                        f"{', '.join(sorted(_BY_NAME))}.")
    return d


def from_array(value) -> DType:
    """The DType of an array (or of a dtype object) of any backend (fast path: a dict lookup)."""
    dt = getattr(value, "dtype", value)
    if isinstance(dt, np.dtype):
        d = _BY_NP.get(dt)
        return as_dtype(dt) if d is None else d
    # Another library's dtype object (array-api-strict's): by its NumPy name. Never looked up in _BY_NP,
    # whose NumPy keys it would be compared with (array-api-strict warns about such comparisons).
    return as_dtype(str(dt).rsplit(".", 1)[-1])


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype for anything `as_dtype` accepts."""
    return as_dtype(dtype)._np
