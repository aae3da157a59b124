"""Runs one program on TensorFlow and on tapegrad and compares what comes out.

A program is a function of the library module (called `tf` inside) returning a nest (lists, tuples, dicts) of
tensors, None, Python values, or `Raised` markers (from `catch`). Tensors compare by dtype, shape and value
(tolerance by dtype); exceptions by class: tapegrad's must be caught by `except <TensorFlow's class>` (looked up
by name in `tapegrad.errors` or the builtins).
"""

from __future__ import annotations

import builtins

import numpy as np

import tapegrad as tg

RTOL = {"float16": 1e-2, "float32": 2e-5, "float64": 1e-10, "complex64": 2e-5, "complex128": 1e-10}


class Raised:
    """An exception a program raised (compared by class)."""

    def __init__(self, exc: BaseException):
        self.exc = exc

    def __repr__(self) -> str:
        return f"Raised({type(self.exc).__name__}: {str(self.exc)[:200]})"


def catch(fn):
    """fn() or a Raised marker."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return Raised(e)


def _is_tensor(x) -> bool:
    return hasattr(x, "dtype") and hasattr(x, "shape") and hasattr(x, "numpy")


def compare(want, got, path: str = "result", rtol: float | None = None, atol: float = 0.0) -> None:
    """Asserts that tapegrad's `got` matches TensorFlow's `want`."""
    if isinstance(want, Raised):
        assert isinstance(got, Raised), f"{path}: TensorFlow raised {want!r}, tapegrad returned {got!r:.200}"
        name = type(want.exc).__name__
        cls = getattr(tg.errors, name, None) or getattr(builtins, name, None)
        assert cls is not None and isinstance(got.exc, cls), f"{path}: TensorFlow raised {want!r}, tapegrad {got!r}"
        return
    assert not isinstance(got, Raised), f"{path}: tapegrad raised {got!r}, TensorFlow returned {want!r:.200}"
    if want is None:
        assert got is None, f"{path}: TensorFlow gave None, tapegrad {got!r:.200}"
        return
    if _is_tensor(want):
        assert _is_tensor(got), f"{path}: TensorFlow gave a tensor, tapegrad {type(got).__name__}"
        assert want.dtype.name == got.dtype.name, f"{path}: dtype {got.dtype.name}, TensorFlow {want.dtype.name}"
        assert tuple(want.shape) == tuple(got.shape), \
            f"{path}: shape {tuple(got.shape)}, TensorFlow {tuple(want.shape)}"
        w, g = np.asarray(want.numpy()), np.asarray(got.numpy())
        if w.dtype.kind in "fc":
            tol = RTOL.get(want.dtype.name, 1e-6) if rtol is None else rtol
            scale = max(float(np.max(np.abs(w))), 1.0) if w.size else 1.0
            np.testing.assert_allclose(g, w, rtol=tol, atol=atol or tol * scale, err_msg=path)
        else:
            np.testing.assert_array_equal(g, w, err_msg=path)
        return
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(want) == set(got), f"{path}: keys {sorted(got)}, TF {sorted(want)}"
        for k in want:
            compare(want[k], got[k], f"{path}[{k!r}]", rtol, atol)
        return
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(want) == len(got), f"{path}: {got!r:.200} vs TF {want!r:.200}"
        assert type(want) is type(got) or not (isinstance(got, tuple) ^ isinstance(want, tuple)), \
            f"{path}: {type(got).__name__}, TensorFlow {type(want).__name__}"
        for i, (a, b) in enumerate(zip(want, got)):
            compare(a, b, f"{path}[{i}]", rtol, atol)
        return
    if isinstance(want, (float, np.floating)):
        np.testing.assert_allclose(float(got), float(want), rtol=rtol or 1e-6, err_msg=path)
        return
    assert want == got, f"{path}: {got!r}, TensorFlow {want!r}"


def numpy_of(x):
    """A nest with tensors replaced by NumPy arrays (for comparisons that build on the results)."""
    if _is_tensor(x):
        return np.asarray(x.numpy())
    if isinstance(x, dict):
        return {k: numpy_of(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(numpy_of(v) for v in x)
    return x
