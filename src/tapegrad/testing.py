"""Gradient checking: reverse and forward mode against central finite differences, at any order.

Key decision (HIPS autograd's `check_grads`, JAX's tolerances): derivatives are compared as scalars along
one random direction instead of as full Jacobians. For a random input direction `v` (over every float
argument) and a random output cotangent `u`, central differences give `<u, J v>`; reverse mode must give the
same from `sum_i <vjp_i, v_i>` and forward mode from `<u, jvp>` (forward mode is also compared element by
element with the finite-difference JVP). Order `n` recurses on the derived functions `(x, u) -> vjp` and
`(x, v) -> jvp`, computed inside outer tapes and accumulators, so order 2 covers reverse-over-reverse,
forward-over-reverse, reverse-over-forward and forward-over-forward. Finite differences are always taken in
float64, whatever dtype the derivatives are computed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _backend
from ._core import dtypes as _dt
from ._core import nest
from ._core.forward import ForwardAccumulator
from ._core.tape import GradientTape, UnconnectedGradients
from ._core.tensor import _TensorLike
from .ops import cast, constant, convert_to_tensor, zeros_like

__all__ = ["check_gradients", "sample_cases"]

_MODES = {"rev": "reverse", "fwd": "forward"}
# JAX's gradient tolerances by dtype; finite-difference steps for float64 differences.
_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-3, np.dtype(np.float16): 1e-1}
_EPS = 1e-5


def check_gradients(f: Callable[..., Any], args: Sequence[Any], order: int = 2,
                    modes: Sequence[str] = ("rev", "fwd"), eps: float | None = None, rtol: float | None = None,
                    atol: float | None = None, dtype: Any = None, seed: int = 0) -> None:
    """Checks `f`'s reverse-mode and forward-mode derivatives against central finite differences.

    For a random direction `v` over every float argument and a random cotangent `u` over every float output,
    `<u, J v>` from central differences (in float64) must match `sum_i <vjp_i, v_i>` from `tf.GradientTape`
    and `<u, jvp>` from `tf.autodiff.ForwardAccumulator`; the JVP is also compared element by element. For
    `order > 1` the same check runs on the derived functions `(x, u) -> vjp` and `(x, v) -> jvp`, computed
    with nested tapes and accumulators (reverse-over-reverse, forward-over-reverse, and so on). `None`
    gradients count as zeros. The random directions come from a generator seeded with `seed`.

    Args:
      f: takes tensors and returns a tensor or a (nested) list/tuple of tensors.
      args: `f`'s arguments: arrays, tensors, variables, Python numbers or lists. Float ones become (constant)
        tensors of `dtype` and are perturbed; the others (bool conditions, integer indices, ...) are passed
        through unchanged.
      order: highest derivative order to check (1 = first derivatives).
      modes: any of "rev" (GradientTape) and "fwd" (ForwardAccumulator).
      eps: finite-difference step (default 1e-5; differences are taken in float64).
      rtol, atol: tolerances of the comparison, `|got - expected| <= atol + rtol * |expected|`
        (default: JAX's gradient tolerance for `dtype`: 1e-5 for float64, 2e-3 for float32).
      dtype: dtype the derivatives are computed in (default float64).
      seed: seed of the random directions.
    Raises:
      AssertionError: a derivative disagrees with finite differences; the message names the mode, the order
        and the expected and computed values.
      ValueError: bad `order` or `modes`, or `f` has no floating output.

    >>> import tapegrad as tf
    >>> from tapegrad.testing import check_gradients
    >>> check_gradients(lambda x, y: tf.sin(x) * y, [[0.5, 1.0], 2.0], order=2)
    >>> @tf.custom_gradient
    ... def bad_square(x):
    ...     return x * x, lambda dy: dy * x  # should be 2 * x
    >>> check_gradients(bad_square, [1.5], order=1, modes=["rev"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: check_gradients: reverse mode (order 1) disagrees with finite differences: ...
    """
    modes = tuple(modes)
    if not modes or any(m not in _MODES for m in modes):
        raise ValueError(f"check_gradients: modes must be a non-empty subset of ('rev', 'fwd'), got {modes!r}.")
    if int(order) != order or order < 1:
        raise ValueError(f"check_gradients: order must be an integer >= 1, got {order!r}.")
    np_dtype = np.dtype(np.float64) if dtype is None else _dt.numpy_dtype(dtype)
    if np_dtype.kind != "f":
        raise ValueError(f"check_gradients: dtype must be a floating dtype, got {np_dtype.name}.")
    tol = _TOL.get(np_dtype, 1e-5)
    eps = _EPS if eps is None else float(eps)
    rtol = tol if rtol is None else float(rtol)
    atol = tol if atol is None else float(atol)

    args = list(args)
    float_pos, xs = [], []
    for i, a in enumerate(args):
        arr = _as_float_array(a)
        if arr is not None:
            float_pos.append(i)
            xs.append(arr.astype(np_dtype))

    def fun(ts: list) -> list:
        full = list(args)
        for i, t in zip(float_pos, ts, strict=True):
            full[i] = t
        return _flat_outputs(f(*full))

    rng = np.random.default_rng(seed)
    _check(fun, xs, int(order), modes, eps, rtol, atol, rng, ())


def sample_cases(prim) -> list:
    """A primitive's sample cases as a list of `(args, params, options)`, `options` being keyword arguments
    for `check_gradients` (tolerances, step) that the sample asks for; [] when it has none.

    `tapegrad._core.primitive.samples(prim, *cases)` takes cases as `(args, params[, options])` tuples, or
    callables returning lists of them (so arrays are made only when a test asks).
    """
    out = []
    for case in prim.samples or ():
        for c in (case() if callable(case) else [case]):
            args, params = c[0], c[1]
            opts = dict(c[2]) if len(c) > 2 and c[2] else {}
            out.append((tuple(args), dict(params), opts))
    return out


# --------------------------------------------------------------------------- helpers

def _as_float_array(a) -> np.ndarray | None:
    """A NumPy copy of `a` if it is a floating value to perturb, else None (passed through)."""
    if isinstance(a, _TensorLike):
        arr = _backend.to_numpy(a._value)
    elif isinstance(a, float):
        return np.asarray(a)
    elif isinstance(a, (list, tuple)):
        try:
            arr = np.asarray(a)
        except ValueError:
            return None
    elif isinstance(a, (np.ndarray, np.generic)) or _backend.is_array(a):
        arr = _backend.to_numpy(a)
    else:
        return None
    return np.array(arr) if arr.dtype.kind == "f" else None


def _flat_outputs(out) -> list:
    return [o if isinstance(o, _TensorLike) else convert_to_tensor(o) for o in nest.flatten(out) if o is not None]


def _is_float(t) -> bool:
    return _backend.numpy_dtype_of(t._value).kind == "f"


def _vjp(fun: Callable, xs: list, us: list) -> list:
    """`fun`'s VJP at `xs` for cotangents `us` (one per float output), zeros where unconnected."""
    with GradientTape() as tape:
        tape.watch(xs)
        outs = [o for o in fun(xs) if _is_float(o)]
    us = [u if u.dtype == o.dtype else cast(u, o.dtype) for u, o in zip(us, outs, strict=True)]
    return list(tape.gradient(outs, xs, output_gradients=us, unconnected_gradients=UnconnectedGradients.ZERO))


def _jvp(fun: Callable, xs: list, vs: list) -> list:
    """`fun`'s JVP at `xs` along `vs`, one per float output, zeros where no tangent flowed."""
    with ForwardAccumulator(xs, vs) as acc:
        outs = [o for o in fun(xs) if _is_float(o)]
    return [t if t is not None else zeros_like(o) for t, o in zip(
        acc.jvp(outs, unconnected_gradients=UnconnectedGradients.ZERO), outs, strict=True)]


def _np(t) -> np.ndarray:
    return np.asarray(_backend.to_numpy(t._value), dtype=np.float64)


def _label(chain: tuple, mode: str) -> str:
    names = (_MODES[mode],) + tuple(_MODES[m] for m in reversed(chain))
    kind = "-over-".join(names) if chain else f"{names[0]} mode"
    return f"{kind} (order {len(chain) + 1})"


def _close(got: float, want: float, rtol: float, atol: float) -> bool:
    return bool(np.isfinite(got)) and abs(got - want) <= atol + rtol * abs(want)


def _check(fun: Callable, xs: list, order: int, modes: tuple, eps: float, rtol: float, atol: float,
           rng: np.random.Generator, chain: tuple) -> None:
    xs_t = [constant(x) for x in xs]
    outs = [o for o in fun(xs_t) if _is_float(o)]
    if not outs:
        raise ValueError("check_gradients: the function has no floating-point output to differentiate.")
    vs = [rng.standard_normal(x.shape).astype(x.dtype) for x in xs]
    us = [rng.standard_normal(tuple(o._value.shape)).astype(_backend.numpy_dtype_of(o._value)) for o in outs]
    # Central differences in float64 at the same points, along the same (rounded) direction.
    x64 = [x.astype(np.float64) for x in xs]
    v64 = [v.astype(np.float64) for v in vs]
    plus = [o for o in fun([constant(x + eps * v) for x, v in zip(x64, v64, strict=True)]) if _is_float(o)]
    minus = [o for o in fun([constant(x - eps * v) for x, v in zip(x64, v64, strict=True)]) if _is_float(o)]
    fd = [(_np(p) - _np(m)) / (2 * eps) for p, m in zip(plus, minus, strict=True)]
    want = float(sum(np.vdot(u.astype(np.float64), d) for u, d in zip(us, fd, strict=True)))
    vs_t = [constant(v) for v in vs]
    us_t = [constant(u) for u in us]
    where = f" (checked along a random direction over {len(xs)} float argument(s) of shapes " \
            f"{[tuple(x.shape) for x in xs]})"

    if "rev" in modes:
        grads = _vjp(fun, xs_t, us_t)
        for i, (g, x) in enumerate(zip(grads, xs, strict=True)):
            gd = _backend.numpy_dtype_of(g._value)
            if gd != x.dtype or tuple(g._value.shape) != x.shape:
                raise AssertionError(
                    f"check_gradients: {_label(chain, 'rev')}: the gradient of float argument #{i} has shape "
                    f"{tuple(g._value.shape)} and dtype {gd.name}; expected its argument's shape {x.shape} and "
                    f"dtype {x.dtype.name}.")
        got = float(sum(np.vdot(_np(g), v) for g, v in zip(grads, v64, strict=True)))
        if not _close(got, want, rtol, atol):
            raise AssertionError(
                f"check_gradients: {_label(chain, 'rev')} disagrees with finite differences: expected "
                f"<u, J v> = {want!r} from central differences, got sum <vjp, v> = {got!r} from "
                f"GradientTape (difference {abs(got - want):.3g} > atol {atol:g} + rtol {rtol:g} * |expected|)"
                f"{where}.")
    if "fwd" in modes:
        tangents = _jvp(fun, xs_t, vs_t)
        for k, (t, o) in enumerate(zip(tangents, outs, strict=True)):
            td, od = _backend.numpy_dtype_of(t._value), _backend.numpy_dtype_of(o._value)
            if td != od or tuple(t._value.shape) != tuple(o._value.shape):
                raise AssertionError(
                    f"check_gradients: {_label(chain, 'fwd')}: the JVP of output #{k} has shape "
                    f"{tuple(t._value.shape)} and dtype {td.name}; expected its output's shape "
                    f"{tuple(o._value.shape)} and dtype {od.name}.")
        got = float(sum(np.vdot(u.astype(np.float64), _np(t)) for u, t in zip(us, tangents, strict=True)))
        if not _close(got, want, rtol, atol):
            raise AssertionError(
                f"check_gradients: {_label(chain, 'fwd')} disagrees with finite differences: expected "
                f"<u, J v> = {want!r} from central differences, got <u, jvp> = {got!r} from "
                f"ForwardAccumulator (difference {abs(got - want):.3g} > atol {atol:g} + rtol {rtol:g} * "
                f"|expected|){where}.")
        for k, (t, d) in enumerate(zip(tangents, fd, strict=True)):
            tk = _np(t)
            if tk.shape != d.shape or not np.allclose(tk, d, rtol=rtol, atol=atol):
                raise AssertionError(
                    f"check_gradients: {_label(chain, 'fwd')}: the JVP of output #{k} disagrees with finite "
                    f"differences: expected {d!r}, got {tk!r} from ForwardAccumulator{where}.")
    if order > 1:
        n = len(xs)
        if "rev" in modes:
            _check(lambda ts: _vjp(fun, ts[:n], ts[n:]), list(xs) + us, order - 1, modes, eps, rtol, atol, rng,
                   chain + ("rev",))
        if "fwd" in modes:
            _check(lambda ts: _jvp(fun, ts[:n], ts[n:]), list(xs) + vs, order - 1, modes, eps, rtol, atol, rng,
                   chain + ("fwd",))
