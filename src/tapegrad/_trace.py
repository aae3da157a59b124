"""`GradientTape.trace()`: what a tape recorded, op by op with values, and the backward pass step by step.

Key decision: the trace reads the tape's own record (its entries, `(primitive, inputs, params, outputs)` in
execution order) and replays the reverse sweep exactly as `_core/backward.py` runs it (the same pruning, each
primitive's own VJP rules, the same unbroadcasting and accumulation), entry by entry, keeping the cotangent
that flows into each op and what it hands to each input. The replay runs with every tape paused (nothing is
recorded) and never consumes the tape, so a non-persistent tape can be traced before its `gradient()`.

Labels: sources are named by `names`, else by the variable's own name, else by the caller's local variable
name; intermediates are t1, t2, ... in recording order; values the tape did not watch are shown by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from . import _numerics
from ._core import nest
from ._core import tape as _tape
from ._core.hooks import hooks
from ._core.tensor import Tensor, Variable, _TensorLike
from ._diagnose import local_names, notes, show, signature, user_frame, variable_label

__all__ = ["TapeTrace", "TraceSource", "TraceStep", "replay", "trace"]


def _outs(out) -> tuple:
    return out if out.__class__ is tuple else (out,)


@dataclass
class TraceSource:
    """A source of the tape: its `label`, the `tensor` (a Variable, or a watched Tensor), and after a backward
    pass its `gradient` (a Tensor, or None when no gradient reaches it)."""

    label: str
    tensor: object = field(repr=False)
    gradient: object = field(default=None, repr=False)

    @property
    def value(self) -> str:
        """The source's value, as printed."""
        return show(self.tensor)

    @property
    def signature(self) -> str:
        """Its shape and dtype, e.g. ``(3,) float32``."""
        return signature(self.tensor)

    def as_dict(self) -> dict:
        """Plain data: label, value, signature, gradient (text, or None)."""
        return {"label": self.label, "value": self.value, "signature": self.signature,
                "gradient": None if self.gradient is None else show(self.gradient)}


@dataclass
class TraceStep:
    """One recorded op.

    Forward: `index` (1-based), `op` (TensorFlow's op type), `outputs` (labels t1, ...), `inputs` (labels, or
    the values of inputs the tape did not watch), `params`, `signatures` and `values` of the outputs (text),
    `output_tensors` and `input_tensors` (the tensors themselves), `is_target`.
    Backward (after a trace with a target): `cotangents`, the gradient of the target flowing into each output
    (None for an output it does not reach; the whole list None when the op is off the path), and `grads`, what
    the op handed to each input: (input label, position, gradient tensor); `blocked` lists the labels of inputs
    on the path for which the op's rule gave no gradient.
    """

    index: int
    op: str
    outputs: list[str]
    inputs: list[str]
    params: dict[str, str]
    signatures: list[str]
    values: list[str]
    output_tensors: list = field(repr=False, default_factory=list)
    input_tensors: list = field(repr=False, default_factory=list)
    is_target: bool = False
    cotangents: list | None = field(default=None, repr=False)
    grads: list[tuple[str, int, object]] = field(default_factory=list, repr=False)
    blocked: list[str] = field(default_factory=list)

    @property
    def call(self) -> str:
        """The op as the trace writes it, e.g. ``t2 = Mul(0.25, t1)``."""
        args = self.inputs + [f"{k}={v}" for k, v in self.params.items()]
        return f"{', '.join(self.outputs)} = {self.op}({', '.join(args)})"

    def as_dict(self) -> dict:
        """Plain data (text and lists) for this step, forward and backward.

        >>> import tapegrad as tf
        >>> x = tf.Variable(3.0, name="x")
        >>> with tf.GradientTape() as tape:
        ...     y = x * x
        >>> tape.trace(y, x).steps[0].as_dict()["grads"]
        [['x', '3'], ['x', '3']]
        """
        return {"index": self.index, "op": self.op, "outputs": list(self.outputs), "inputs": list(self.inputs),
                "params": dict(self.params), "signatures": list(self.signatures), "values": list(self.values),
                "is_target": self.is_target,
                "cotangents": None if self.cotangents is None else
                [None if g is None else show(g) for g in self.cotangents],
                "grads": [[label, show(g)] for label, _, g in self.grads], "blocked": list(self.blocked)}


class TapeTrace:
    """A tape's record as data and as text: `str()` prints it.

    Attributes:
      steps: one `TraceStep` per recorded op, in order.
      sources: the `TraceSource`s (the tape's watched variables and tensors, or the sources asked for).
      target: the target's name (None for a forward-only trace); `gradients`: source label -> gradient.
      notes: lines about what the tape did not record (ops with no gradient, conversions to NumPy), by step.
      error: why the backward pass could not finish (an op with no gradient rule), else None.
    """

    def __init__(self, tape, steps, sources, notes_at, target=None, error=None, names=None):
        self._tape = tape
        self._names = names
        self.persistent = tape._persistent
        self.steps: list[TraceStep] = steps
        self.sources: list[TraceSource] = sources
        self.notes: dict[int, list[str]] = notes_at
        self.target: str | None = target
        self.error: str | None = error

    @property
    def gradients(self) -> dict:
        """Source label -> its gradient (a Tensor, or None), after a trace with a target."""
        return {s.label: s.gradient for s in self.sources}

    def backward(self, target, sources=None) -> TapeTrace:
        """The same tape's trace with the backward pass from `target` to `sources` (default: all sources).

        >>> import tapegrad as tf
        >>> x = tf.Variable(2.0, name="x")
        >>> with tf.GradientTape(persistent=True) as tape:
        ...     y = x ** 3
        >>> float(tape.trace().backward(y).gradients["x"])
        12.0
        """
        return trace(self._tape, target, sources, self._names, _frame=user_frame())

    def as_dict(self) -> dict:
        """Plain data: `sources`, `steps` (see `TraceStep.as_dict`), `target`, `gradients`, `notes`, `error`."""
        return {"target": self.target, "sources": [s.as_dict() for s in self.sources],
                "steps": [s.as_dict() for s in self.steps], "notes": {k: list(v) for k, v in self.notes.items()},
                "gradients": {s.label: None if s.gradient is None else show(s.gradient) for s in self.sources},
                "error": self.error}

    def __repr__(self) -> str:
        return f"<TapeTrace: {len(self.steps)} ops, target={self.target!r}>"

    def __str__(self) -> str:
        return _text(self)


# --------------------------------------------------------------------------- building it


def trace(tape, target=None, sources=None, names: Mapping[str, object] | None = None, _frame=None) -> TapeTrace:
    """`GradientTape.trace`: see its docstring."""
    entries = tape._entries
    if entries is None:
        raise RuntimeError("This non-persistent GradientTape has already computed its gradient and dropped its "
                           "record; call tape.trace() before tape.gradient(), or use "
                           "tf.GradientTape(persistent=True).")
    frame = _frame if _frame is not None else user_frame()
    given = {t._id: str(name) for name, t in (names or {}).items() if isinstance(t, _TensorLike)}
    local = local_names(frame, depth=2) if frame is not None else {}
    labels: dict[int, str] = {}
    count = 0
    for _, _, _, out in entries:
        for o in _outs(out):
            count += 1
            labels[o._id] = f"t{count}"
    watched = tape._watched
    roots: dict[int, object] = {}
    for var in tape._variables.values():
        roots.setdefault(var._id, var)
    for _, args, _, _ in entries:
        for a in args:
            if a.__class__ is Tensor and a._id in watched and a._id not in labels:
                roots.setdefault(a._id, a)
    flat_sources = None if sources is None else nest.flatten(sources)
    for s in flat_sources or ():
        if isinstance(s, _TensorLike) and s._id not in labels:
            roots.setdefault(s._id, s)
    used = set(labels.values())
    k = 0
    for rid, obj in roots.items():
        name = given.get(rid) or (variable_label(obj) if isinstance(obj, Variable) else None) or local.get(rid)
        if name is None:
            k += 1
            name = "Variable" if isinstance(obj, Variable) else f"s{k}"
        base, n = name, 1
        while name in used:
            n += 1
            name = f"{base}#{n}"
        used.add(name)
        labels[rid] = name

    steps = []
    for i, (prim, args, params, out) in enumerate(entries):
        outs = _outs(out)
        steps.append(TraceStep(
            i + 1, prim.name, [labels[o._id] for o in outs],
            [labels[a._id] if isinstance(a, _TensorLike) and a._id in labels else _constant(a) for a in args],
            {key: _param(v) for key, v in params.items()}, [signature(o) for o in outs], [show(o) for o in outs],
            list(outs), list(args)))
    notes_at = _notes(tape, labels)

    if target is None:
        srcs = [TraceSource(labels[rid], obj) for rid, obj in roots.items() if rid in watched]
        return TapeTrace(tape, steps, srcs, notes_at, names=names)

    flat_targets = nest.flatten(target)
    seeds = _tape._seeds(flat_targets, None)
    target_ids = {t._id for t in flat_targets if isinstance(t, _TensorLike)}
    tname = next((given.get(t._id) or local.get(t._id) for t in flat_targets if isinstance(t, _TensorLike)
                  and (given.get(t._id) or local.get(t._id))), None) or "target"
    for step in steps:
        step.is_target = any(o._id in target_ids for o in step.output_tensors)
    if flat_sources is None:
        flat_sources = [obj for rid, obj in roots.items() if rid in watched]
    srcs, source_ids = [], []
    for j, s in enumerate(flat_sources):
        if not isinstance(s, _TensorLike):
            srcs.append(TraceSource(f"sources[{j}]", s))
            source_ids.append(None)
            continue
        label = labels.get(s._id) or given.get(s._id) or local.get(s._id) or f"sources[{j}]"
        srcs.append(TraceSource(label, s))
        ok = s._value.dtype.kind in "fc" and s._id in watched
        source_ids.append(s._id if ok else None)
    error = None
    try:
        grads, flows, blocked = replay(entries, seeds, [i for i in source_ids if i is not None])
    except LookupError as e:  # an op on the path has no gradient rule: tape.gradient raises this too
        grads, flows, blocked, error = {}, {}, {}, str(e).splitlines()[0]
    for src, sid in zip(srcs, source_ids):
        src.gradient = None if sid is None else grads.get(sid)
    for i, (gs, handed) in flows.items():
        step = steps[i]
        step.cotangents = gs
        step.grads = [(step.inputs[k], k, g) for k, g in handed]
    for i, ks in blocked.items():
        steps[i].blocked = [steps[i].inputs[k] for k in ks]
    return TapeTrace(tape, steps, srcs, notes_at, tname, error, names)


def replay(entries: list, seeds: list, source_ids: list):
    """The reverse sweep of `_core/backward.py`, keeping what flows through each entry.

    Returns:
      (gradients by source id, {entry index: (cotangents of its outputs, [(input position, gradient)])},
      {entry index: [input positions on the path whose rule gave no gradient]}).
    Raises:
      LookupError: an op on the path has no gradient rule (as `tape.gradient` raises).
    """
    sources = set(source_ids)
    reach = set(sources)
    live = []
    for i, (_, args, _, out) in enumerate(entries):
        if any(a.__class__ is Tensor and a._id in reach for a in args):
            live.append(i)
            reach.update(o._id for o in _outs(out))
    cot: dict = {}
    for tid, seed in seeds:
        cot[tid] = seed if tid not in cot else hooks.add(cot[tid], seed)
    flows: dict = {}
    blocked: dict = {}
    with _tape.stop_recording_all(), _numerics.paused(), np.errstate(all="ignore"):
        for i in reversed(live):
            prim, args, params, out = entries[i]
            gs = [cot.get(o._id) for o in _outs(out)]
            if all(g is None for g in gs):
                continue
            if out.__class__ is tuple:
                g = tuple(hooks.zeros_like(o) if gk is None else gk for o, gk in zip(out, gs))
            else:
                g = gs[0]
            needed = [a.__class__ is Tensor and a._id in reach for a in args]
            handed = []
            for k, (a, need, gk) in enumerate(zip(args, needed, prim.vjp(g, out, args, params, needed))):
                if not need:
                    continue
                if gk is None:
                    blocked.setdefault(i, []).append(k)
                    continue
                if tuple(gk._value.shape) != tuple(a._value.shape):
                    gk = hooks.unbroadcast(gk, a, 0)
                cot[a._id] = gk if a._id not in cot else hooks.add(cot[a._id], gk)
                handed.append((k, gk))
            flows[i] = (gs, handed)
    return {sid: cot.get(sid) for sid in source_ids}, flows, blocked


def _constant(value) -> str:
    if isinstance(value, _TensorLike) and value._value.size > 6:
        return f"<{signature(value)}>"
    return show(value)


def _param(value) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype") and getattr(value, "ndim", 0):
        return f"<array {tuple(value.shape)}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _notes(tape, labels) -> dict[int, list[str]]:
    """What the tape did not record, by the number of ops recorded before it happened."""
    n = notes(tape)
    out: dict[int, list[str]] = {}
    if n is None:
        return out
    for c in n.cuts:
        args = ", ".join(labels.get(a, "?") if isinstance(a, int) else a for a in c.args)
        at = f" at {c.where}" if c.where is not None else ""
        out.setdefault(c.position, []).append(f"not recorded: {c.op}({args}){at}: {c.op} {c.why}")
    for e in n.escapes:
        at = f" at {e.where}" if e.where is not None else ""
        out.setdefault(e.position, []).append(f"left the tape: {labels.get(e.tid, '?')} converted to NumPy by "
                                              f"{e.how}{at}")
    return out


# --------------------------------------------------------------------------- the text


def _text(tr: TapeTrace) -> str:
    count = len(tr.steps)
    srcs = tr.sources
    listed = ", ".join(f"{s.label} = {s.value} ({s.signature})" for s in srcs[:8] if isinstance(
        s.tensor, _TensorLike)) + (f", ... ({len(srcs)} in all)" if len(srcs) > 8 else "")
    head = (f"GradientTape{' (persistent)' if tr.persistent else ''}: {count} recorded op{'s' * (count != 1)}"
            + (f"; sources: {listed}" if listed else ""))
    lines = [head, "forward: the ops the tape recorded, in order, with their values"]
    f = tr.target
    width = max((len(s.call) for s in tr.steps), default=0) + 2
    sig = max((len(", ".join(s.signatures)) for s in tr.steps), default=0) + 2
    for position in range(count + 1):
        lines += [f"  -- {note}" for note in tr.notes.get(position, ())]
        if position == count:
            break
        s = tr.steps[position]
        mark = f"    <- {f}" if s.is_target else ""
        lines.append(f"  {s.call.ljust(width)}{', '.join(s.signatures).ljust(sig)}= {', '.join(s.values)}{mark}")
    if not tr.steps:
        lines.append("  (none: no op ran on a tensor the tape watched)")
    if f is None:
        return "\n".join(lines)
    lines.append("")
    if tr.error is not None:
        lines.append(f"backward: cannot run: {tr.error}")
        return "\n".join(lines)
    if not any(s.is_target for s in tr.steps):
        lines.append(f"backward: the tape recorded nothing that leads to {f}: it does not depend on the sources "
                     f"(tape.explain({f}, sources) says why)")
    else:
        lines.append(f"backward: from d{f}/d{f} = 1, each op hands the gradient to its inputs (chain rule)")
        back = [s for s in reversed(tr.steps) if s.cotangents is not None]
        heads = [f"d{f}/d{', '.join(s.outputs)} = "
                 f"{', '.join('0' if g is None else show(g) for g in s.cotangents)}" for s in back]
        head_width = max((len(h) for h in heads), default=0) + 2
        for s, h in zip(back, heads):
            handed = ", ".join(f"{label} += {show(g)}" for label, _, g in s.grads)
            if s.blocked:
                handed += ("; " if handed else "") + f"no gradient for {', '.join(s.blocked)}"
            lines.append(f"  {s.call.ljust(width)}{h.ljust(head_width)}->  {handed or '(no gradient)'}")
    lines.append("")
    for src in tr.sources:
        g = src.gradient
        lines.append(f"result: d{f}/d{src.label} = " + (show(g) if g is not None else
                                                         f"None (tape.explain({f}, sources) says why)"))
    return "\n".join(lines)
