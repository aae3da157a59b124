"""A readable trace of a tape at one point: the ops it recorded, with their values, then the backward pass.

Key decision: the trace reads the tape's own record (`tape._entries`, `(primitive, args, params, out)` tuples in
execution order) and replays the reverse sweep with each primitive's own VJP rule (`primitive.vjp`), entry by
entry, noting the gradient that flows into each input. It is a view of what the engine does, so it ends by
checking itself against `tape.gradient`. It needs a persistent tape (the entries must still be there) and
works at a point, where every value is a number. `replay` returns the record as data (the page draws it as a
graph); `trace_tape` writes it as text.

This is the explorer's own small trace. When the engine provides `GradientTape.trace()` (issue 6, engine half),
`explore_trace` prints that instead.

    >>> from tapegrad.explore.expr import parse
    >>> print(explore_trace(parse("0.25*x**2 + 500"), {"x": 20.0}))  # doctest: +NORMALIZE_WHITESPACE
    tape trace of f(x) = 0.25*x**2 + 500 at x = 20
    <BLANKLINE>
    forward: the ops the tape recorded, in order, with their values
      t1 = Pow(x, 2)         = 400
      t2 = Mul(0.25, t1)     = 100
      t3 = AddV2(t2, 500)    = 600    <- f
    <BLANKLINE>
    backward: from df/df = 1, each op hands the gradient to its inputs (chain rule)
      t3 = AddV2(t2, 500)    df/dt3 = 1       ->  t2 += 1
      t2 = Mul(0.25, t1)     df/dt2 = 1       ->  t1 += 0.25
      t1 = Pow(x, 2)         df/dt1 = 0.25    ->  x += 10
    <BLANKLINE>
    result: df/dx = 10   (tape.gradient: 10)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

import tapegrad as tf

from .expr import Expression
from .report import fmt

__all__ = ["Replay", "Step", "explore_trace", "record_at", "replay", "trace_tape"]


@dataclass
class Step:
    """One recorded op: its output `labels` (``t1``), `op` name, `inputs` (labels, or the constants' values),
    output `values`, and from the backward pass the gradient `flowing` into its output (None if it is off the
    path to the target) and what it `handed` to each tensor input: (input label, gradient) pairs."""

    labels: list[str]
    op: str
    inputs: list[str]
    values: list[str]
    is_target: bool = False
    flowing: str | None = None
    handed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def call(self) -> str:
        """The op as written in the trace, e.g. ``t2 = Mul(0.25, t1)``."""
        return f"{', '.join(self.labels)} = {self.op}({', '.join(self.inputs)})"


@dataclass
class Replay:
    """A tape's record at a point: the `sources` (names), the `steps` in execution order, the `target` name,
    the `results`: (source name, gradient from this replay, gradient from `tape.gradient`), and the
    `source_values` the tape saw."""

    sources: list[str]
    steps: list[Step]
    target: str
    results: list[tuple[str, str, str]]
    source_values: dict[str, str] = field(default_factory=dict)


def _number(value) -> float | None:
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    return float(array) if array.ndim == 0 else None


def _show(value) -> str:
    number = _number(value)
    if number is not None:
        return fmt(number)
    return f"<array of shape {np.shape(value.numpy() if hasattr(value, 'numpy') else value)}>"


def _is_tensor(value) -> bool:
    return isinstance(value, (tf.Tensor, tf.Variable))


def replay(tape: tf.GradientTape, target, names: Mapping[int, str], target_name: str = "f") -> Replay:
    """The record of a persistent tape for a scalar `target`, with the backward pass replayed op by op.

    Args:
      tape: a persistent `GradientTape` that recorded `target` (its entries must still be there).
      target: the scalar tensor to differentiate.
      names: tensor id (`._id`) -> name, for the sources (e.g. the `tf.Variable`s x and y).
      target_name: what to call the target.
    Returns:
      A `Replay`.
    Raises:
      ValueError: the tape has dropped its entries (not persistent, after `gradient`).

    >>> x = tf.Variable(3.0, name="x")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = x * x + 1
    >>> r = replay(tape, y, {x._id: "x"}, "y")
    >>> [(s.call, s.values, s.flowing, s.handed) for s in r.steps]
    [('t1 = Mul(x, x)', ['9'], '1', [('x', '3'), ('x', '3')]), ('t2 = AddV2(t1, 1)', ['10'], '1', [('t1', '1')])]
    >>> r.results
    [('x', '6', '6')]
    """
    entries = tape._entries
    if entries is None:
        raise ValueError("the tape has dropped its record (a non-persistent tape after gradient()); "
                         "trace a persistent tape: tf.GradientTape(persistent=True)")
    labels = dict(names)
    count = 0
    for _, _, _, out in entries:
        for o in out if isinstance(out, tuple) else (out,):
            count += 1
            labels[o._id] = f"t{count}"
    steps = []
    for prim, args, params, out in entries:
        outs = out if isinstance(out, tuple) else (out,)
        inputs = [labels.get(a._id, _show(a)) if _is_tensor(a) else _show(a) for a in args]
        inputs += [f"{k}={v!r}" for k, v in params.items()]
        steps.append(Step([labels[o._id] for o in outs], prim.name, inputs, [_show(o) for o in outs],
                          any(o._id == target._id for o in outs)))

    cot: dict[int, object] = {target._id: tf.ones_like(target)}
    with np.errstate(all="ignore"):
        for step, (prim, args, params, out) in zip(reversed(steps), reversed(entries)):
            outs = out if isinstance(out, tuple) else (out,)
            gs = [cot.get(o._id) for o in outs]
            if all(g is None for g in gs):
                continue
            if isinstance(out, tuple):
                g = tuple(tf.zeros_like(o) if gk is None else gk for o, gk in zip(outs, gs))
                step.flowing = ", ".join(_show(gk) for gk in g)
            else:
                g = gs[0]
                step.flowing = _show(g)
            needed = [_is_tensor(a) and a._id in labels for a in args]
            for a, need, ga in zip(args, needed, prim.vjp(g, out, args, params, needed)):
                if need and ga is not None:
                    prev = cot.get(a._id)
                    cot[a._id] = ga if prev is None else prev + ga
                    step.handed.append((labels[a._id], _show(ga)))

    sources = list(names.items())
    engine = tape.gradient(target, [_find(tape, tid) for tid, _ in sources]) if target._id in labels else []
    results = [(name, "0 (no path)" if cot.get(tid) is None else _show(cot[tid]),
                "None" if theirs is None else _show(theirs)) for (tid, name), theirs in zip(sources, engine)]
    values = {}
    for tid, name in sources:
        try:
            values[name] = _show(_find(tape, tid))
        except LookupError:  # a source the tape never saw: nothing recorded depends on it
            continue
    return Replay([name for _, name in sources], steps, target_name, results, values)


def trace_tape(tape: tf.GradientTape, target, names: Mapping[int, str], target_name: str = "f") -> str:
    """The forward ops and the step-by-step backward pass of a persistent tape, as text (see `replay`).

    >>> x = tf.Variable(3.0, name="x")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = x * x
    >>> print(trace_tape(tape, y, {x._id: "x"}, "y"))  # doctest: +NORMALIZE_WHITESPACE
    forward: the ops the tape recorded, in order, with their values
      t1 = Mul(x, x)    = 9    <- y
    <BLANKLINE>
    backward: from dy/dy = 1, each op hands the gradient to its inputs (chain rule)
      t1 = Mul(x, x)    dy/dt1 = 1    ->  x += 3, x += 3
    <BLANKLINE>
    result: dy/dx = 6   (tape.gradient: 6)
    """
    r = replay(tape, target, names, target_name)
    if not any(step.is_target for step in r.steps):
        return f"the tape recorded nothing that leads to {target_name}: it does not depend on the sources"
    f = r.target
    width = max(len(step.call) for step in r.steps) + 2
    lines = ["forward: the ops the tape recorded, in order, with their values"]
    for step in r.steps:
        mark = f"    <- {f}" if step.is_target else ""
        lines.append(f"  {step.call.ljust(width)}= {', '.join(step.values)}{mark}")
    lines += ["", f"backward: from d{f}/d{f} = 1, each op hands the gradient to its inputs (chain rule)"]
    back = [step for step in reversed(r.steps) if step.flowing is not None]
    heads = [f"d{f}/d{', '.join(step.labels)} = {step.flowing}" for step in back]
    head_width = max(len(h) for h in heads) + 2
    for step, head in zip(back, heads):
        handed = ", ".join(f"{label} += {g}" for label, g in step.handed) or "(no gradient)"
        lines.append(f"  {step.call.ljust(width)}{head.ljust(head_width)}->  {handed}")
    lines.append("")
    lines += [f"result: d{f}/d{name} = {ours}   (tape.gradient: {theirs})" for name, ours, theirs in r.results]
    return "\n".join(lines)


def _find(tape: tf.GradientTape, tid: int):
    """The source object with id `tid` (a watched variable, or a tensor among the recorded inputs)."""
    for var in tape.watched_variables():
        if var._id == tid:
            return var
    for _, args, _, _ in tape._entries:
        for a in args:
            if _is_tensor(a) and a._id == tid:
                return a
    raise LookupError(f"no source with id {tid} on the tape")


def record_at(expr: Expression, point: Mapping[str, float]):
    """Evaluates `expr` at `point` on a persistent tape, with `tf.Variable`s named after the variables.

    Returns:
      (tape, output tensor, {variable id: name}).

    >>> from tapegrad.explore.expr import parse
    >>> tape, out, names = record_at(parse("x*y"), {"x": 2.0, "y": 3.0})
    >>> float(out), sorted(names.values()), len(tape._entries)
    (6.0, ['x', 'y'], 1)
    """
    variables = {name: tf.Variable(np.float64(point[name]), name=name, dtype=tf.float64) for name in expr.variables}
    with tf.GradientTape(persistent=True) as tape:
        out = expr.evaluate(variables)
    return tape, out, {v._id: name for name, v in variables.items()}


def explore_trace(expr: Expression, point: Mapping[str, float]) -> str:
    """The tape's trace of `expr` at `point`, headed by the function and the point (the engine's
    `tape.trace()` where it exists, else `trace_tape`'s).

    >>> from tapegrad.explore.expr import parse
    >>> print(explore_trace(parse("2*x"), {"x": 3.0}).splitlines()[0])
    tape trace of f(x) = 2*x at x = 3
    """
    tape, out, names = record_at(expr, point)
    where = ", ".join(f"{name} = {fmt(float(point[name]))}" for name in expr.variables)
    head = f"tape trace of f({', '.join(expr.variables)}) = {expr.text}" + (f" at {where}" if where else "")
    engine_trace = getattr(tape, "trace", None)
    body = str(engine_trace()) if callable(engine_trace) else trace_tape(tape, out, names, "f")
    return f"{head}\n\n{body}"
