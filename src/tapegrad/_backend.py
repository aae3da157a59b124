"""Which array library a value belongs to.

Key decision: NumPy is looked up by type in a dict and returned as the real `numpy` module (the fast path,
no wrapper); every other array type goes through array-api-compat once per type and is cached. Operations
that differ between libraries (in-place scatter-add, conversion to host memory) live here, never in rules.
"""

from __future__ import annotations

import numpy as np

_NAMESPACES: dict[type, object] = {np.ndarray: np}


def namespace_of(value):
    """The array namespace of `value` (NumPy for NumPy arrays and scalars)."""
    t = type(value)
    xp = _NAMESPACES.get(t)
    if xp is None:
        if isinstance(value, (np.ndarray, np.generic)):
            xp = np
        else:
            import array_api_compat  # imported lazily: NumPy users never pay for it

            xp = array_api_compat.array_namespace(value)
            _numpy_dtype_protocol(value.dtype)
        _NAMESPACES[t] = xp
    return xp


def _numpy_dtype_protocol(dtype) -> None:
    """Gives a library's dtype class NumPy's `kind` and `itemsize` when it lacks them (array-api-strict).

    The engine asks `value.dtype.kind in "fc"` on its hot paths (one attribute read for NumPy, CuPy, Dask and
    JAX, whose dtypes are NumPy's); this keeps that true for array-api-strict at no cost to the others. Both
    are read from the dtype's NumPy equivalent, found by name.
    """
    cls = type(dtype)
    if isinstance(dtype, np.dtype) or hasattr(cls, "kind"):
        return
    try:
        cls.kind = property(lambda d: np.dtype(str(d).rsplit(".", 1)[-1]).kind)
        cls.itemsize = property(lambda d: np.dtype(str(d).rsplit(".", 1)[-1]).itemsize)
    except (TypeError, AttributeError):  # a built-in type (torch.dtype): not supported as a backend
        pass


def is_array(value) -> bool:
    """True for arrays of any supported library (NumPy, CuPy, Dask, array-api-strict, ...)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return True
    if type(value) in _NAMESPACES:
        return True
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        return False
    try:
        namespace_of(value)
    except TypeError:
        return False
    return True


def to_numpy(value) -> np.ndarray:
    """A NumPy copy (or view) of any backend's array, on the host."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if hasattr(value, "get"):  # CuPy
        return value.get()
    if hasattr(value, "compute"):  # Dask
        return np.asarray(value.compute())
    try:
        return np.asarray(value)
    except Exception:  # array-api-strict refuses __array__ on some versions
        xp = namespace_of(value)
        return np.asarray(xp.asarray(value, copy=True).__dlpack__ and np.from_dlpack(value))


def numpy_dtype_of(value) -> np.dtype:
    """The NumPy dtype matching `value.dtype` for any backend."""
    d = value.dtype
    if isinstance(d, np.dtype):
        return d
    return np.dtype(str(d).rsplit(".", 1)[-1])


def scatter_add(target, key, values, unique: bool = False):
    """`target` with `values` added at `target[key]` (duplicates in `key` accumulate). May reuse `target`."""
    if isinstance(target, np.ndarray):
        if unique:
            target[key] += values
        else:
            np.add.at(target, key, values)
        return target
    xp = namespace_of(target)
    if hasattr(target, "at") and hasattr(target.at[key], "add"):  # JAX-style immutable arrays
        return target.at[key].add(values)
    if unique:
        try:
            target[key] = target[key] + values
            return target
        except (TypeError, ValueError, NotImplementedError):
            pass
    # Generic fallback: host round trip (correct everywhere; slow for large device arrays).
    host = to_numpy(target).copy()
    np.add.at(host, key, to_numpy(values))
    return xp.asarray(host)
