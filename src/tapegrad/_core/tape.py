"""The tape stack (one per thread), recording, and GradientTape.

Key decisions (TensorFlow's C++ tape, in plain Python):
- A tape holds `watched` (a set of tensor ids) and `entries`, a list of `(primitive, args, params, out)`
  tuples in execution order. The backward sweep walks that list in reverse: no topological sort, no recursion.
- An op is recorded on a tape only if one of its tensor inputs is watched by it; its outputs then become
  watched. Ops whose outputs are not floating or complex are never recorded: no gradient flows through
  integers, as in TensorFlow.
- `_active[0]` counts tapes, accumulators and variable watchers across all threads. When it is zero an op
  does its array work and wraps the result, nothing else: that is the fast path.
- Diagnostics live outside the engine (tapegrad._diagnose, _trace, _explain, _numerics), reached through
  `hooks`: an op that lets no gradient through is not recorded but noted (`hooks.cut`), for `explain()`;
  `check_op` is tf.debugging.enable_check_numerics's check, read only here in `record`.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import warnings

import numpy as np

from . import dtypes as _dt
from . import nest
from . import tensor as _tensor
from .backward import backward
from .hooks import hooks
from .tensor import Tensor, Variable, _TensorLike, wrap

_NUMPY_SCALARS = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.generic))

_active = _tensor._active
_lock = threading.Lock()
# Set by tf.debugging.enable_check_numerics (tapegrad._numerics) to a check of each op's outputs; None when off.
# It is read only in `record`, which no op reaches while nothing records: off, it costs the no-tape path nothing.
check_op = None


def _bump(n: int) -> None:
    _state.held.n += n
    with _lock:
        _active[0] += n


class _Held:
    """One thread's share of `_active`: given back when the thread ends (its thread-local state is freed), so a
    tape left open in a finished thread does not keep every other thread's ops on the recording path."""

    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    def __del__(self):
        if self.n and _lock is not None:  # (None: the interpreter is shutting down)
            with _lock:
                _active[0] -= self.n


class _State(threading.local):
    """Per-thread: the tapes recording now (innermost last), active accumulators, variable watchers."""

    def __init__(self):
        self.tapes: list = []
        self.accumulators: list = []
        self.var_watchers: list = []
        self.held = _Held()

    def variable_accessed(self, var: Variable) -> None:
        if var._trainable:
            vid = var._id
            for tape in self.tapes:
                if tape._watch_accessed and vid not in tape._variables:
                    tape._watch_variable(var)
        for watcher in self.var_watchers:
            watcher.setdefault(var._id, var)


_state = _State()
_tensor._state = _state


def record(prim, args: tuple, out, params: dict) -> None:
    """Records one op on every recording tape that watches one of its inputs; feeds forward accumulators."""
    st = _state
    if check_op is not None:
        check_op(prim, args, out)
    if out.__class__ is tuple:
        _record_multi(st, prim, args, out, params)
    elif out._value.dtype.kind in "fc":
        for tape in st.tapes:
            watched = tape._watched
            for a in args:
                if a.__class__ is Tensor and a._id in watched:
                    tape._entries.append((prim, args, params, out))
                    watched.add(out._id)
                    break
    else:  # a non-float output: no gradient flows through it (noted for tape.explain)
        return hooks.cut(prim, args, out, params)
    if st.accumulators:
        hooks.accumulate(st, prim, args, out, params)  # forward.py installs it (it imports this module)


def _record_multi(st, prim, args, out, params) -> None:
    diff = [o._id for o in out if o._value.dtype.kind in "fc"]
    if not diff:
        return hooks.cut(prim, args, out, params)
    for tape in st.tapes:
        watched = tape._watched
        for a in args:
            if a.__class__ is Tensor and a._id in watched:
                tape._entries.append((prim, args, params, out))
                watched.update(diff)
                break


@contextlib.contextmanager
def stop_recording_all():
    """Pauses every tape and accumulator of this thread (custom_gradient's forward runs under it)."""
    st = _state
    tapes, accs = st.tapes, st.accumulators
    st.tapes, st.accumulators = [], []
    try:
        yield
    finally:
        st.tapes, st.accumulators = tapes, accs


@contextlib.contextmanager
def watch_variable_reads():
    """Collects the variables read inside the block, in order of first read (even under stop_recording)."""
    watcher: dict = {}
    _state.var_watchers.append(watcher)
    _bump(1)
    try:
        yield watcher
    finally:
        _state.var_watchers.remove(watcher)
        _bump(-1)


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source with no path to the target: None (default) or zeros."""

    NONE = "none"
    ZERO = "zero"


def _warn(msg: str) -> None:
    warnings.warn(msg, UserWarning, stacklevel=3)


class GradientTape:
    """Records operations on watched tensors so that gradients can be computed from them.

    Args:
      persistent: allow more than one `gradient()` call (the tape keeps its entries until deleted).
      watch_accessed_variables: watch every trainable Variable read while the tape is active.

    >>> import tapegrad as tf
    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> print(tape.gradient(y, x))
    tf.Tensor(6.0, shape=(), dtype=float32)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._entries: list | None = []
        self._watched: set = set()
        self._variables: dict = {}
        self._recording = False
        self._warned_inside = False

    # -- recording -------------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        self._push()
        return self

    def __exit__(self, *exc) -> None:
        if self._recording:
            self._pop()
        self._exit_id = _tensor._next_id()  # for explain(): a tensor with a larger id was made after the block

    def _push(self) -> None:
        if self._recording:
            raise ValueError("This GradientTape is already recording; a tape cannot be entered twice at once.")
        if self._entries is None:  # as in TensorFlow: entering a used non-persistent tape starts a fresh one
            self._entries, self._watched, self._variables = [], set(), {}
        _state.tapes.append(self)
        self._recording = True
        _bump(1)

    def _pop(self) -> None:
        _state.tapes.remove(self)
        self._recording = False
        _bump(-1)

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stops recording operations on this tape.

        >>> import tapegrad as tf
        >>> x = tf.constant(2.0)
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     with tape.stop_recording():
        ...         y = x * x
        >>> print(tape.gradient(y, x))
        None
        """
        if not self._recording:
            raise ValueError("Trying to stop recording a tape which is not recording.")
        self._pop()
        try:
            yield
        finally:
            self._push()

    def reset(self) -> None:
        """Clears everything recorded and watched, inside the tape's `with` block (it keeps recording).

        Raises:
          ValueError: the tape is not recording (as in TensorFlow).
        """
        if not self._recording:
            raise ValueError("Tape is not recording: reset() clears a tape inside its `with` block; outside it, "
                             "create a new GradientTape instead.")
        self._entries = []
        self._watched = set()
        self._variables = {}

    def watch(self, tensor) -> None:
        """Watches a tensor, a variable, or every one in a nested structure.

        >>> import tapegrad as tf
        >>> x = tf.constant(3.0)
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x ** 2
        >>> float(tape.gradient(y, x))
        6.0
        """
        if self._entries is None:
            raise RuntimeError("This non-persistent GradientTape has already computed its gradient; "
                               "create a new tape to watch more tensors.")
        for t in nest.flatten(tensor):
            if isinstance(t, Variable):
                self._watch_variable(t, explicit=True)
            elif isinstance(t, Tensor):
                if t._value.dtype.kind not in "fc":
                    _warn(f"The dtype of the watched tensor must be floating (e.g. tf.float32), got "
                          f"tf.{_dt.from_array(t._value).name}; it is not watched and its gradient will be None. "
                          "Cast it with tf.cast(x, tf.float32) before watching.")
                    continue
                self._watched.add(t._id)
            else:
                raise ValueError(f"GradientTape.watch: passed in an object of type {type(t).__name__}, not a "
                                 "tf.Tensor or tf.Variable. Convert it first, e.g. x = tf.constant(x).")

    def _watch_variable(self, var: Variable, explicit: bool = False) -> None:
        if var._id not in self._variables:
            if var._value.dtype.kind not in "fc":
                if explicit:
                    _warn(f"The dtype of the watched variable '{var.name}' must be floating, got "
                          f"tf.{_dt.from_array(var._value).name}; its gradient will be None.")
                return
            self._variables[var._id] = var
        self._watched.add(var._id)

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in the order they were first watched or read."""
        return tuple(self._variables.values())

    # -- diagnostics (the work is done outside the engine, in tapegrad._diagnose) ------------------------
    def trace(self, target=None, sources=None, names=None):
        """What this tape recorded, op by op, with values; given a `target`, the backward pass step by step.

        Works on a persistent tape, and on a non-persistent one before its `gradient()`.

        Args:
          target: a tensor computed under the tape: adds the backward pass, ending in each source's gradient.
          sources: what the gradient is taken with respect to (default: every source the tape watched).
          names: optional {label: tensor} for the printout (default: variables' names, then the caller's
            local variable names; intermediates are t1, t2, ...).
        Returns:
          A `TapeTrace`: `str()` prints it, `.steps` holds one `TraceStep` per recorded op (`.as_dict()`).
        Raises:
          RuntimeError: a non-persistent tape that has already computed its gradient.

        >>> import tapegrad as tf
        >>> x = tf.Variable(3.0, name="x")
        >>> with tf.GradientTape() as tape:
        ...     y = x * x + 1.0
        >>> print(tape.trace(y, x))  # doctest: +NORMALIZE_WHITESPACE
        GradientTape: 2 recorded ops; sources: x = 3 (() float32)
        forward: the ops the tape recorded, in order, with their values
          t1 = Mul(x, x)     () float32  = 9
          t2 = AddV2(t1, 1)  () float32  = 10    <- y
        <BLANKLINE>
        backward: from dy/dy = 1, each op hands the gradient to its inputs (chain rule)
          t2 = AddV2(t1, 1)  dy/dt2 = 1  ->  t1 += 1
          t1 = Mul(x, x)     dy/dt1 = 1  ->  x += 3, x += 3
        <BLANKLINE>
        result: dy/dx = 6
        """
        return hooks.trace(self, target, sources, names)

    def explain(self, target, sources):
        """Why `gradient(target, sources)` gives a gradient, or None, for each source.

        The reasons: never watched (a constant), a non-float dtype, `trainable=False`, no recorded path to
        the target, the path cut where a tensor was converted to NumPy (naming the file and line), a
        variable shadowed by a tensor (`w = w - lr * g`), an op with no gradient on the path, a target
        computed outside the tape's `with` block. Works on a persistent tape, and on a non-persistent one
        before its `gradient()`.

        Returns:
          An `Explanation`: `str()` prints it; one `SourceExplanation` per source (`.reason`, `.message`,
          `.where`, `.op`, `.has_gradient`).
        Raises:
          RuntimeError: a non-persistent tape that has already computed its gradient.

        >>> import tapegrad as tf
        >>> w, c = tf.Variable(2.0, name="w"), tf.constant(3.0)
        >>> with tf.GradientTape() as tape:
        ...     loss = w * c
        >>> print(tape.explain(loss, [w, c]).sources[1].reason)
        not_watched
        """
        return hooks.explain(self, target, sources)

    # -- gradients -------------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """The gradient of `target` (summed over its elements and over nested targets) w.r.t. `sources`.

        Args:
          target: a tensor or nested structure of tensors to differentiate.
          sources: a tensor, variable, or nested structure of them; the result has the same structure.
          output_gradients: per-target upstream gradients (default: ones, i.e. the gradient of the sum).
          unconnected_gradients: `UnconnectedGradients.NONE` (None) or `.ZERO` (zeros) for unconnected sources.
        Raises:
          RuntimeError: a non-persistent tape's `gradient` was already called.

        >>> import tapegrad as tf
        >>> x, y = tf.Variable(25.0), tf.Variable(6.0)
        >>> with tf.GradientTape() as tape:
        ...     f = 0.25 * x**2 + 50 * tf.math.log(y + 1)
        >>> tape.gradient(f, (x, y))
        (<tf.Tensor: shape=(), dtype=float32, numpy=12.5>, <tf.Tensor: shape=(), dtype=float32, numpy=7.1428576>)
        """
        if self._entries is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians); use GradientTape(persistent=True) for more.")
        if self._recording:
            if not self._persistent:
                self._pop()
            elif not self._warned_inside:
                self._warned_inside = True
                _warn("Calling GradientTape.gradient on a persistent tape inside its context records the "
                      "gradient computation on the tape (needed only for higher-order derivatives); call it "
                      "outside the `with` block otherwise.")
        unconnected = _unconnected(unconnected_gradients)
        flat_targets = nest.flatten(target)
        flat_sources = nest.flatten(sources)
        source_ids = []
        for s in flat_sources:
            if not isinstance(s, _TensorLike):
                raise TypeError(f"GradientTape.gradient: a source has type {type(s).__name__}; sources must be "
                                "tf.Tensor or tf.Variable objects (the ones the target was computed from).")
            if s._value.dtype.kind not in "fc":
                _warn(f"The dtype of the source tensor must be floating (e.g. tf.float32) when calling "
                      f"GradientTape.gradient, got tf.{_dt.from_array(s._value).name}; its gradient is None.")
                source_ids.append(None)
            elif s._id not in self._watched:
                source_ids.append(None)  # as in TensorFlow: an unwatched tensor or variable has no gradient
            else:
                source_ids.append(s._id)
        seeds = _seeds(flat_targets, output_gradients)
        entries = self._entries
        release = not self._persistent
        if release:  # everything the tape holds is dropped once this call returns, even on error
            self._entries = None  # (watched_variables() still answers, as in TensorFlow)
            self._watched = None
        grads = backward(entries, seeds, [i for i in source_ids if i is not None], release)
        flat = []
        for s, sid in zip(flat_sources, source_ids):
            g = grads.get(sid) if sid is not None else None
            if g is None and unconnected is UnconnectedGradients.ZERO:
                            g = hooks.zeros_like(s)
            flat.append(g)
        return nest.pack_sequence_as(sources, flat)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of `target` w.r.t. each source: shape `target.shape + source.shape`.

        Vectorized: one backward sweep with a batch of cotangents (one-hot rows), split into sweeps of at
        most `parallel_iterations` rows to bound memory; `experimental_use_pfor=False` sweeps row by row
        (same result, needs a persistent tape, as in TensorFlow).

        Args:
          target: a single tensor computed under the tape (any rank; an integer target has no Jacobian).
          sources: a tensor, variable, or nested structure of them; the result has the same structure.
          unconnected_gradients: `UnconnectedGradients.NONE` (None) or `.ZERO` (zeros) for unconnected sources.
          parallel_iterations: None (all rows in one sweep) or a positive integer: rows per sweep.
          experimental_use_pfor: False runs one unbatched sweep per row.
        Returns:
          The Jacobians, shaped `target.shape + source.shape`, in the structure of `sources`.
        Raises:
          RuntimeError: a non-persistent tape was already used, or would need more than one sweep (the loop,
            or `parallel_iterations` not above the number of target elements, as in TensorFlow).
          ValueError: `parallel_iterations` is not None or a positive integer.

        >>> import tapegrad as tf
        >>> x = tf.constant([1.0, 2.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.jacobian(y, x).numpy()
        array([[2., 0.],
               [0., 4.]], dtype=float32)
        """
        from .jacobian import jacobian

        return jacobian(self, target, sources, unconnected_gradients, parallel_iterations, experimental_use_pfor)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: `target[i]` w.r.t. `source[i]`, shape `target.shape + source.shape[1:]`.

        Assumes example i of the target depends only on example i of the source, as TensorFlow does (it is
        not checked). Unconnected, it returns zeros, as TensorFlow does.

        Raises:
          ValueError: target or source has rank < 2, or their first dimensions differ; bad
            `parallel_iterations`.
          RuntimeError: as for `jacobian`.

        >>> import tapegrad as tf
        >>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.batch_jacobian(y, x).numpy()
        array([[[2., 0.],
                [0., 4.]],
        <BLANKLINE>
               [[6., 0.],
                [0., 8.]]], dtype=float32)
        """
        from .jacobian import batch_jacobian

        return batch_jacobian(self, target, source, unconnected_gradients, parallel_iterations,
                              experimental_use_pfor)

    def __del__(self):
        if getattr(self, "_recording", False):
            try:
                self._pop()
            except Exception:
                pass


def _unconnected(value) -> UnconnectedGradients:
    if isinstance(value, UnconnectedGradients):
        return value
    try:
        return UnconnectedGradients(str(value).lower())
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}; use "
                         "tf.UnconnectedGradients.NONE or tf.UnconnectedGradients.ZERO.") from None


def _seeds(flat_targets: list, output_gradients) -> list:
    """(target id, seed tensor) pairs; the default seed is ones (the gradient of the target's sum)."""
    if output_gradients is not None:
        flat_og = nest.flatten(output_gradients)
        if len(flat_og) != len(flat_targets):
            raise ValueError(f"GradientTape.gradient: {len(flat_targets)} targets but {len(flat_og)} "
                             "output_gradients; give one per target (None for ones).")
    else:
        flat_og = [None] * len(flat_targets)
    seeds = []
    for t, og in zip(flat_targets, flat_og):
        if t is None:
            raise ValueError("GradientTape.gradient: a target is None; pass the tensor computed inside the tape.")
        if not isinstance(t, _TensorLike):
            raise TypeError(f"GradientTape.gradient: a target has type {type(t).__name__}; targets must be "
                            "tensors computed inside the tape.")
        if t._value.dtype.kind not in "fc":
            continue  # TensorFlow: an integer target has no gradient
        if og is None:
            v = t._value
            seed = wrap(v.dtype.type(1)) if v.__class__ in _NUMPY_SCALARS else hooks.ones_like(t)
        else:
            seed = hooks.convert(og, _dt.from_array(t._value))
            if tuple(seed._value.shape) != tuple(t._value.shape):
                raise ValueError(f"GradientTape.gradient: output_gradients has shape {tuple(seed._value.shape)} "
                                 f"but its target has shape {tuple(t._value.shape)}; they must match.")
        seeds.append((t._id, seed))
    return seeds
