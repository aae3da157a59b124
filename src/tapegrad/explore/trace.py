"""A readable trace of a tape at one point: the ops it recorded, with their values, then the backward pass.

Key decision: the engine does the tracing. `GradientTape.trace(target, sources)` (tapegrad._trace) replays the
reverse sweep with each primitive's own VJP rules and returns the record as data (`TapeTrace.steps`) and as
text; this module evaluates an expression on a tape at a point (`record_at`), prints that trace under a heading
(`explore_trace`), turns its data into the `Replay` the page draws as a graph (`replay`), and asks the tape why
a variable gets no gradient (`explain_at`, `tape.explain`).

    >>> from tapegrad.explore.expr import parse
    >>> print(explore_trace(parse("0.25*x**2 + 500"), {"x": 20.0}))  # doctest: +NORMALIZE_WHITESPACE
    tape trace of f(x) = 0.25*x**2 + 500 at x = 20
    <BLANKLINE>
    GradientTape (persistent): 3 recorded ops; sources: x = 20 (() float64)
    forward: the ops the tape recorded, in order, with their values
      t1 = Pow(x, 2)       () float64  = 400
      t2 = Mul(0.25, t1)   () float64  = 100
      t3 = AddV2(t2, 500)  () float64  = 600    <- f
    <BLANKLINE>
    backward: from df/df = 1, each op hands the gradient to its inputs (chain rule)
      t3 = AddV2(t2, 500)  df/dt3 = 1     ->  t2 += 1
      t2 = Mul(0.25, t1)   df/dt2 = 1     ->  t1 += 0.25
      t1 = Pow(x, 2)       df/dt1 = 0.25  ->  x += 10
    <BLANKLINE>
    result: df/dx = 10
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

import tapegrad as tf

from .expr import Expression
from .report import fmt

__all__ = ["Replay", "Step", "explain_at", "explore_trace", "record_at", "replay", "trace_tape"]


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


def replay(tape: tf.GradientTape, target, names: Mapping[int, str], target_name: str = "f") -> Replay:
    """The record of a persistent tape for a scalar `target`, with the backward pass (from the engine's
    `tape.trace`), in the form the page draws.

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
    sources = _sources(tape, names)
    engine = _engine_trace(tape, target, sources, names, target_name)
    steps = []
    for s in engine.steps:
        step = Step(list(s.outputs), s.op, list(s.inputs) + [f"{k}={v}" for k, v in s.params.items()],
                    [_show(o) for o in s.output_tensors], s.is_target)
        if s.cotangents is not None:
            step.flowing = ", ".join("0" if g is None else _show(g) for g in s.cotangents)
            step.handed = [(label, _show(g)) for label, _, g in s.grads]
        steps.append(step)
    theirs = tape.gradient(target, sources) if any(s.is_target for s in steps) else [None] * len(sources)
    results = [(src.label, "0 (no path)" if src.gradient is None else _show(src.gradient),
                "None" if g is None else _show(g)) for src, g in zip(engine.sources, theirs)]
    values = {src.label: _show(src.tensor) for src in engine.sources}
    return Replay([src.label for src in engine.sources], steps, target_name, results, values)


def trace_tape(tape: tf.GradientTape, target, names: Mapping[int, str], target_name: str = "f") -> str:
    """The forward ops and the step-by-step backward pass of a persistent tape, as text (the engine's
    `tape.trace`, with the sources named by `names`).

    >>> x = tf.Variable(3.0, name="x")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = x * x
    >>> print(trace_tape(tape, y, {x._id: "x"}, "y").splitlines()[-1])
    result: dy/dx = 6
    """
    return str(_engine_trace(tape, target, _sources(tape, names), names, target_name))


def _sources(tape: tf.GradientTape, names: Mapping[int, str]) -> list:
    if tape._entries is None:
        raise ValueError("the tape has dropped its record (a non-persistent tape after gradient()); "
                         "trace a persistent tape: tf.GradientTape(persistent=True)")
    by_id = {v._id: v for v in tape.watched_variables()}
    return [by_id[tid] for tid in names if tid in by_id]


def _engine_trace(tape, target, sources, names, target_name):
    labels = {names[s._id]: s for s in sources}
    return tape.trace(target, sources, names={**labels, target_name: target})


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
    """The tape's trace of `expr` at `point` (the engine's `tape.trace`), headed by the function and the point.

    >>> from tapegrad.explore.expr import parse
    >>> print(explore_trace(parse("2*x"), {"x": 3.0}).splitlines()[0])
    tape trace of f(x) = 2*x at x = 3
    """
    tape, out, names = record_at(expr, point)
    where = ", ".join(f"{name} = {fmt(float(point[name]))}" for name in expr.variables)
    head = f"tape trace of f({', '.join(expr.variables)}) = {expr.text}" + (f" at {where}" if where else "")
    return f"{head}\n\n{trace_tape(tape, out, names, 'f')}"


def explain_at(expr: Expression, point: Mapping[str, float]) -> str:
    """Why a variable of `expr` gets no gradient at `point` (the tape's `explain`), or '' when all of them get one.

    >>> from tapegrad.explore.expr import parse
    >>> print(explain_at(parse("x + round(y)"), {"x": 1.0, "y": 2.0}))  # doctest: +NORMALIZE_WHITESPACE
    note: tapegrad gives y no gradient (None in TensorFlow; the report shows 0): the path from y goes through
    Round, which has no gradient
    >>> explain_at(parse("x*y"), {"x": 1.0, "y": 2.0})
    ''
    """
    tape, out, names = record_at(expr, point)
    sources = _sources(tape, names)
    notes = []
    for src, why in zip(sources, tape.explain(out, sources)):
        if not why.has_gradient:  # (an op's line is inside the explorer here: name the op alone)
            text = (f"the path from {names[src._id]} goes through {why.op}, which has no gradient"
                    if why.reason == "no_gradient_op" and why.op else why.message)
            notes.append(f"note: tapegrad gives {names[src._id]} no gradient (None in TensorFlow; the report shows "
                         f"0): {text}")
    return "\n".join(notes)
