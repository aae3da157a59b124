"""`tf.debugging.enable_check_numerics()`: stop at the first op whose output holds NaN or infinity.

Key decisions:
- Off, it costs nothing: the engine's `record` reads `tape.check_op`, and `record` is reached only while
  something records; the no-tape path never reaches it. Enabling sets `check_op` and counts itself among the
  active things (`_active`), so that every op, taped or not, goes through `record` (and ops with no gradient
  through the `cut` hook, which checks too) while it is on.
- Forward and backward alike: the VJP rules are written with tapegrad ops, so the backward pass's ops are
  checked as they run. When one fails inside the reverse sweep, the sweep's frame (`_core/backward.py`'s
  `backward`, found on the stack only then) says which entry's rule was running: the error names that
  forward op, where it was recorded (noted while the check is on) and where `gradient()` was called.
- The error is TensorFlow's `InvalidArgumentError`, naming the op, its inputs' shapes and dtypes, how many
  values are NaN or infinite, and the user's line (the innermost frame outside tapegrad).
"""

from __future__ import annotations

import contextlib
import itertools
import threading

import numpy as np

from . import _backend
from ._core import backward as _backward
from ._core import tape as _tape
from ._core.errors import InvalidArgumentError
from ._core.tensor import _TensorLike
from ._diagnose import Where, _in_tapegrad, signature, user_frame, where

__all__ = ["disable_check_numerics", "enable_check_numerics", "is_check_numerics_enabled", "paused"]

_lock = threading.Lock()
_local = threading.local()
_origins: dict[int, Where | None] = {}  # recorded op output id -> where the user ran the op (while on)
_MAX_ORIGINS = 100_000


def enable_check_numerics(stack_height_limit: int = 30, path_length_limit: int = 50) -> None:
    """Checks every op's output, forward and backward, for NaN and infinity, from now on (all threads).

    The first op whose output holds one raises `tf.errors.InvalidArgumentError` naming the op (for the backward
    pass, the forward op whose gradient went bad), its inputs' shapes and dtypes, and the line of your code
    that ran it. Calling it again does nothing. Slows every op down: turn it off with `disable_check_numerics`.

    Args:
      stack_height_limit: accepted for TensorFlow compatibility (the message shows one line of your code).
      path_length_limit: accepted for TensorFlow compatibility.

    >>> import tapegrad as tf
    >>> tf.debugging.enable_check_numerics()
    >>> try:
    ...     tf.math.log(tf.constant(0.0))
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(e.op)
    Log
    >>> tf.debugging.disable_check_numerics()
    """
    with _lock:
        if _tape.check_op is None:
            _tape.check_op = _check
            _tape._bump(1)


def disable_check_numerics() -> None:
    """Turns `enable_check_numerics` off (does nothing if it is off).

    >>> import tapegrad as tf
    >>> tf.debugging.disable_check_numerics()
    >>> print(tf.math.log(tf.constant(0.0)))
    tf.Tensor(-inf, shape=(), dtype=float32)
    """
    with _lock:
        if _tape.check_op is not None:
            _tape.check_op = None
            _tape._bump(-1)
            _origins.clear()


def is_check_numerics_enabled() -> bool:
    """Whether `enable_check_numerics` is on.

    >>> import tapegrad as tf
    >>> from tapegrad._numerics import is_check_numerics_enabled
    >>> is_check_numerics_enabled()
    False
    """
    return _tape.check_op is not None


@contextlib.contextmanager
def paused():
    """No checks in this thread inside the block (the trace and explain replay the backward pass with it)."""
    before = getattr(_local, "paused", False)
    _local.paused = True
    try:
        yield
    finally:
        _local.paused = before


def _bad(v) -> tuple[int, int, int] | None:
    """(NaN count, +inf count, -inf count) when the array holds any, else None."""
    if v.__class__ is np.ndarray or isinstance(v, np.generic):
        if np.isfinite(v).all():
            return None
        a = v
    else:
        xp = _backend.namespace_of(v)
        if bool(xp.all(xp.isfinite(v))):
            return None
        a = np.asarray(_backend.to_numpy(v))
    if a.dtype.kind == "c":
        a = np.where(np.isfinite(a.real), a.imag, a.real)
    return int(np.isnan(a).sum()), int(np.isposinf(a).sum()), int(np.isneginf(a).sum())


def _check(prim, args, out) -> None:
    """`tape.check_op` while enabled: raises at the first non-finite output."""
    if getattr(_local, "paused", False):
        return
    outs = out if out.__class__ is tuple else (out,)
    for k, o in enumerate(outs):
        v = o._value
        if v.dtype.kind not in "fc":
            continue
        counts = _bad(v)
        if counts is not None:
            raise _error(prim, args, outs, k, counts)
    if _tape._state.tapes:  # remember where the user ran a recorded op, to name it if its gradient goes bad
        if len(_origins) >= _MAX_ORIGINS:
            for key in list(itertools.islice(_origins, _MAX_ORIGINS // 2)):
                del _origins[key]
        _origins[outs[0]._id] = where(user_frame())


def _what(counts: tuple[int, int, int], size: int) -> str:
    nan, pinf, ninf = counts
    parts = [f"{n} {name}" for n, name in ((nan, "NaN"), (pinf, "+inf"), (ninf, "-inf")) if n]
    return f"{' and '.join(parts)} (of {size} value{'s' * (size != 1)})"


def _inputs(args) -> str:
    return ", ".join(f"#{k} {signature(a)}" if isinstance(a, _TensorLike) else f"#{k} {a!r:.30}"
                     for k, a in enumerate(args)) or "none"


def _sweep_frame():
    """The reverse sweep's frame when the failing op runs inside a VJP rule (else None)."""
    import sys

    frame = sys._getframe(3)
    code = _backward.backward.__code__
    while frame is not None:
        if frame.f_code is code:
            return frame
        frame = frame.f_back
    return None


def _error(prim, args, outs, k, counts) -> InvalidArgumentError:
    o = outs[k]
    bad = _what(counts, int(np.prod(o._value.shape)))
    user = where(user_frame(2))
    at = user.describe() if user is not None else "(no frame outside tapegrad)"
    sweep = _sweep_frame()
    tail = "\n(tf.debugging.enable_check_numerics is on; tf.debugging.disable_check_numerics() turns it off)"
    if sweep is None:
        msg = (f"check_numerics: {prim.name} produced {bad} in output {k} ({signature(o)}) [Op:{prim.name}]\n"
               f"  inputs: {_inputs(args)}\n"
               f"  at {at}{tail}")
        return InvalidArgumentError(None, prim.name, msg)
    local = sweep.f_locals
    fwd, fargs, fout = local.get("prim"), local.get("args", ()), local.get("out")
    fname = getattr(fwd, "name", "?")
    first = fout[0] if isinstance(fout, tuple) else fout
    origin = _origins.get(getattr(first, "_id", None))
    recorded = (f"  {fname} was recorded at {origin.describe()}\n" if origin is not None else
                "  (where it was recorded is known only for ops run while the check was on)\n")
    inner = "" if prim.name == fname else f" ({prim.name} in its gradient rule produced it)"
    call = sweep.f_back
    while call is not None and _in_tapegrad(call):
        call = call.f_back
    caller = where(call)
    if caller is not None and user is not None and (caller.filename, caller.lineno) != (user.filename, user.lineno):
        at = f"{caller.describe()}\n  the bad value came from {user.describe()}"  # a user's gradient function
    msg = (f"check_numerics: the gradient of {fname} holds {bad}{inner}: {signature(o)} [Op:{fname}]\n"
           f"  {fname}'s inputs: {_inputs(fargs)}\n"
           f"{recorded}"
           f"  the gradient was computed at {at}{tail}")
    return InvalidArgumentError(None, fname, msg)
