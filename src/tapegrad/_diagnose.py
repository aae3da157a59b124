"""What the engine notes while it records, for `tape.explain` and `tape.trace`: tensors that left the tape
through NumPy, and ops that cut it (no gradient); plus the helpers both use (the user's frame, labels, values).

Key decision: the engine calls two hooks, and only while something records (`_active`), so the no-tape path
pays nothing and a recorded op pays nothing more than before:

- `hooks.escaped(tensor, how)`, from `numpy()`, `np.asarray()` (`__array__`), `float()`, `int()`, ... Noted on
  each recording tape that watches the tensor (or, for a trainable variable, would watch it on its first read),
  with the user's file and line, but only when user code converted it directly (a frame outside tapegrad
  called the tensor's method): tapegrad's own conversions (printing, formatting) are not escapes.
- `hooks.cut(prim, args, out, params)`, for an op with no gradient (`differentiable=False`: round, argmax,
  stop_gradient, comparisons) or with a non-float output (a cast to int). Such ops are never recorded (as in
  TensorFlow); noted on each recording tape that watches one of the inputs, with the user's line.

Escaped arrays cannot be followed (NumPy computes new arrays from them), so the link from an escape to the
target is inferred, never claimed to be certain: `explain` reports an escape only for a source whose gradient
does not reach the target and only when the escaped tensor was computed from that source (it lies on the
source's recorded cone). A cut whose output the tape later used again (it appears as an input of a recorded op
that leads to the target) is reported as certain. Notes belong to the tape's current record (its entry list):
`reset()` or re-entering a spent non-persistent tape starts afresh.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from . import _backend
from ._core import tape as _tape
from ._core.hooks import hooks
from ._core.tensor import Tensor, Variable, _TensorLike

__all__ = ["Where", "show", "user_frame"]

_PKG = os.path.dirname(os.path.abspath(__file__)) + os.sep
_TENSOR_FILE = os.path.abspath(sys.modules[Tensor.__module__].__file__)
_MAX_NOTES = 10_000  # per tape and kind: a long persistent tape's notes stay bounded
_SHOWING = frozenset({"__format__", "__repr__", "__str__"})  # tensor methods that make text, not values


# --------------------------------------------------------------------------- where in the user's code


@dataclass(frozen=True)
class Where:
    """A place in the user's code: `filename`, `lineno`, `function`; `str()` is ``file.py:12``.

    >>> Where("/home/me/train.py", 12, "step")
    Where(filename='/home/me/train.py', lineno=12, function='step')
    >>> str(Where("/home/me/train.py", 12, "step"))
    'train.py:12'
    """

    filename: str
    lineno: int
    function: str

    def __str__(self) -> str:
        return f"{os.path.basename(self.filename)}:{self.lineno}"

    @property
    def source(self) -> str:
        """The line of code (stripped), or '' where the file cannot be read."""
        import linecache

        return linecache.getline(self.filename, self.lineno).strip()

    def describe(self) -> str:
        """``train.py:12 (in step): `y = np.exp(w)```: the place and the code."""
        code = self.source
        where = str(self) if code else f"{self.filename}:{self.lineno}"
        inside = "" if self.function == "<module>" else f" (in {self.function})"
        return f"{where}{inside}" + (f": `{code}`" if code else "")


def _in_tapegrad(frame) -> bool:
    """A frame of tapegrad's own code (or of Python's frozen import machinery, never the user's code)."""
    name = frame.f_code.co_filename
    return name.startswith(_PKG) or name.startswith("<frozen ")


def user_frame(depth: int = 1):
    """The innermost frame outside tapegrad, starting `depth` frames above the caller (None if there is none).

    >>> user_frame().f_code.co_filename.endswith("_diagnose.py")
    False
    """
    frame = sys._getframe(depth + 1)
    while frame is not None and _in_tapegrad(frame):
        frame = frame.f_back
    return frame


def where(frame) -> Where | None:
    """A `Where` for a frame (None for None)."""
    if frame is None:
        return None
    return Where(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


# --------------------------------------------------------------------------- notes taken while recording


@dataclass(frozen=True)
class Escape:
    """A watched tensor (`tid`) converted to NumPy by user code (`how`: 'numpy()', 'float()', ...) at `where`."""

    tid: int
    how: str
    where: Where | None
    position: int  # how many ops the tape had recorded then


@dataclass(frozen=True)
class Cut:
    """An op that let no gradient through (`why`), run on a watched input at `where`. `args`: per input, the
    tensor's id (an int) or, for a value the tape did not watch, its text; `outputs`: the outputs' ids."""

    op: str
    args: tuple
    outputs: tuple
    why: str
    where: Where | None
    position: int  # how many ops the tape had recorded then

    @property
    def inputs(self) -> tuple:
        """The ids of the watched inputs."""
        return tuple(a for a in self.args if isinstance(a, int))


class _Notes:
    __slots__ = ("record", "escapes", "cuts")

    def __init__(self, record):
        self.record = record
        self.escapes: list[Escape] = []
        self.cuts: list[Cut] = []


def notes(tape, create: bool = False) -> _Notes | None:
    """The notes for a tape's current record (None if there are none and `create` is false)."""
    n = tape.__dict__.get("_diagnose_notes")
    if n is None or n.record is not tape._entries:
        if not create:
            return None
        n = tape.__dict__["_diagnose_notes"] = _Notes(tape._entries)
    return n


def _watchers(t) -> list:
    tid = t._id
    trainable_var = isinstance(t, Variable) and t._trainable
    return [tape for tape in _tape._state.tapes
            if tid in tape._watched or (trainable_var and tape._watch_accessed)]


def escaped(t, how: str) -> None:
    """Engine hook: `t` is being converted to NumPy (`how`) while something records."""
    if not _tape._state.tapes:
        return
    tapes = _watchers(t)
    if not tapes:
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in (_TENSOR_FILE, __file__):
        if frame.f_code.co_name in _SHOWING:
            return  # f"{t:.3f}" and the like make text, not a value computed on
        frame = frame.f_back
    if frame is None or _in_tapegrad(frame):
        return  # tapegrad itself converted it (printing, formatting): not an escape from the user's code
    at = where(frame)
    for tape in tapes:
        n = notes(tape, create=True)
        if len(n.escapes) < _MAX_NOTES:
            n.escapes.append(Escape(t._id, how, at, len(tape._entries)))


def cut(prim, args, out, params) -> None:
    """Engine hook: an op with no gradient (or a non-float output) ran while something records."""
    check = _tape.check_op
    if check is not None:
        check(prim, args, out)  # tf.debugging.enable_check_numerics covers the unrecorded ops too
    tapes = _tape._state.tapes
    if not tapes:
        return
    ids = [a._id for a in args if a.__class__ is Tensor]
    hit = [tape for tape in tapes if any(i in tape._watched for i in ids)]
    if not hit:
        return
    outs = out if out.__class__ is tuple else (out,)
    if not prim.differentiable:
        why = "has no gradient"
    else:
        dtypes = sorted({o.dtype.name for o in outs})
        why = f"outputs {'/'.join(dtypes)} values, through which no gradient flows"
    at = where(user_frame())
    out_ids = tuple(o._id for o in outs)
    for tape in hit:
        n = notes(tape, create=True)
        if len(n.cuts) < _MAX_NOTES:
            shown = tuple(a._id if a.__class__ is Tensor and a._id in tape._watched else _brief(a) for a in args)
            n.cuts.append(Cut(prim.name, shown, out_ids, why, at, len(tape._entries)))


def _brief(value) -> str:
    """A value the tape did not watch, briefly: in full if small, else its shape and dtype."""
    if isinstance(value, _TensorLike) and value._value.size > 6:
        return f"<{signature(value)}>"
    return show(value)


# --------------------------------------------------------------------------- showing values and naming tensors


def number(v) -> str:
    """A number: float32 and float16 in their shortest form (as TensorFlow prints them), others with up to 8
    significant digits (as the explorer prints them), without a trailing '.0'.

    >>> import numpy as np
    >>> number(1 / 3), number(np.float32(1 / 3)), number(600.0), number(float("-inf"))
    ('0.33333333', '0.33333334', '600', '-inf')
    """
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"({number(v.real)}{'+' if v.imag >= 0 or v.imag != v.imag else '-'}{number(abs(v.imag))}j)"
    if isinstance(v, (np.float32, np.float16)):
        text = "0" if v == 0 else str(v)
        return text[:-2] if text.endswith(".0") else text
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    return "0" if v == 0 else f"{v:.8g}"


def array_of(value) -> np.ndarray:
    """A tensor's (or number's) value as a NumPy array, without telling any tape (it is not an escape)."""
    if isinstance(value, _TensorLike):
        value = value._value
    return np.asarray(_backend.to_numpy(value) if _backend.is_array(value) else value)


def show(value, limit: int = 6) -> str:
    """A value for a printout: small ones in full, larger ones summarized.

    >>> import tapegrad as tf
    >>> show(tf.constant(2.5)), show(tf.constant([1.0, 2.0])), show(tf.range(10.0))
    ('2.5', '[1 2]', '<min 0, max 9, mean 4.5>')
    """
    try:
        a = array_of(value)
    except Exception:  # pragma: no cover - a value no backend can read
        return "<?>"
    if a.dtype.kind not in "biufc":
        return repr(value)[:40]
    if a.ndim == 0:
        return number(a[()])
    if a.size <= limit:
        return np.array2string(a, separator=" ", formatter={"all": number}).replace("\n", "")
    if a.size == 0:
        return "[]"
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a
    parts = []
    if finite.size and a.dtype.kind != "c":
        parts = [f"min {number(finite.min())}", f"max {number(finite.max())}", f"mean {number(finite.mean())}"]
    if finite.size < a.size:
        nan = int(np.isnan(a).sum())
        parts += [f"{nan} nan"] if nan else []
        parts += [f"{a.size - finite.size - nan} inf"] if a.size - finite.size - nan else []
    return "<" + ", ".join(parts) + ">"


def signature(t) -> str:
    """``(3, 4) float32`` for a tensor."""
    return f"{tuple(t._value.shape)} {t.dtype.name}"


def local_names(frame, depth: int = 1) -> dict[int, str]:
    """Tensor id -> the name a user's local variable gives it, from `frame` and up to `depth - 1` callers."""
    found: dict[int, str] = {}
    while frame is not None and depth > 0:
        if not _in_tapegrad(frame):
            for name, value in frame.f_locals.items():
                if isinstance(value, _TensorLike) and not name.startswith("_"):
                    found.setdefault(value._id, name)
        frame = frame.f_back
        depth -= 1
    return found


def variable_label(var: Variable) -> str | None:
    """A variable's own name, unless it is the default one ('Variable', 'scope/Variable')."""
    name = var._name
    return None if name == "Variable" or name.endswith("/Variable") else name


def install() -> None:
    """Installs the engine's diagnostic hooks (done when tapegrad is imported)."""
    hooks.escaped = escaped
    hooks.cut = cut
    hooks.trace = _trace_hook
    hooks.explain = _explain_hook


def _trace_hook(tape, target, sources, names):
    from ._trace import trace

    return trace(tape, target, sources, names)


def _explain_hook(tape, target, sources):
    from ._explain import explain

    return explain(tape, target, sources)


install()
