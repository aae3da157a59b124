"""Values and gradients of an expression at points and on whole grids, computed by tapegrad.

Key decision: a grid is one batch. The variables hold the whole grid (`tf.Variable` arrays), the expression is
evaluated once under one `GradientTape`, and one `tape.gradient` call returns every partial derivative at every
grid point. That is exact because the language is elementwise: each output element depends only on its own
grid point, so the gradient of the sum is the gradient at each point. No Python loop over points.

Also here: reading the command line's points (``x=20``) and ranges (``x=0:60``), and picking sensible ranges
when none are given. Bad input raises `ExploreError` with a message meant for the learner.

    >>> from tapegrad.explore.expr import parse
    >>> at = value_and_gradient(parse("0.25*x**2 + 500"), {"x": 20.0})
    >>> at.value, at.gradient
    (600.0, {'x': 10.0})
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

import tapegrad as tf

from .expr import CONSTANTS, FUNCTIONS, Expression

__all__ = ["ExploreError", "Grid", "Point", "default_range", "grid", "parse_points", "parse_ranges",
           "value_and_gradient"]

POINTS_1D = 601  # 0:60 gives a step of 0.1, so whole numbers lie on the grid
POINTS_2D = 121  # 0:60 and 0:20 give steps of 0.5 and 1/6: whole numbers lie on the grid


class ExploreError(ValueError):
    """A bad point, range or variable name given to `tapegrad explore` (the message says what to write)."""


@dataclass(frozen=True)
class Point:
    """f and its gradient at one point: `values` (variable -> number), `value`, `gradient` (variable -> number)."""

    values: dict[str, float]
    value: float
    gradient: dict[str, float]

    @property
    def norm(self) -> float:
        """The length of the gradient vector."""
        return math.sqrt(sum(g * g for g in self.gradient.values()))

    @property
    def angle(self) -> float:
        """For two variables: the gradient's direction in degrees, counterclockwise from the first axis.

        Raises:
          ValueError: the point does not have exactly two variables.
        """
        gx, gy = self.gradient.values()
        return math.degrees(math.atan2(gy, gx))


@dataclass(frozen=True)
class Grid:
    """f and its gradient on a grid: `axes` (variable -> 1-D coordinates), `values` and `gradient` arrays.

    For one variable the arrays have shape ``(n,)``; for two, ``(ny, nx)``: rows follow the second variable,
    columns the first (as `numpy.meshgrid` and plotting libraries expect).
    """

    axes: dict[str, np.ndarray]
    values: np.ndarray
    gradient: dict[str, np.ndarray]


def _variable(name: str, value) -> tf.Variable:
    return tf.Variable(np.asarray(value, dtype=np.float64), name=name, dtype=tf.float64)


def _gradients(expr: Expression, values: Mapping[str, np.ndarray], shape: tuple[int, ...]):
    """One tape, one gradient call: (f as an array of `shape`, [df/dv as arrays of `shape`], tape, vars)."""
    variables = {name: _variable(name, values[name]) for name in expr.variables}
    with tf.GradientTape(persistent=True) as tape:
        out = expr.evaluate(variables)
    sources = [variables[name] for name in expr.variables]
    with np.errstate(all="ignore"):
        grads = tape.gradient(out, sources, unconnected_gradients=tf.UnconnectedGradients.ZERO) if sources else []
    f = np.broadcast_to(np.asarray(out.numpy(), dtype=np.float64), shape).copy()
    return f, [np.broadcast_to(np.asarray(g.numpy(), dtype=np.float64), shape).copy() for g in grads], tape, out


def value_and_gradient(expr: Expression, point: Mapping[str, float]) -> Point:
    """f and its gradient at one point, with `tf.Variable` inputs named after the variables (as the seed does).

    Args:
      expr: a parsed expression.
      point: a number for each of its variables.
    Returns:
      A `Point`.

    >>> from tapegrad.explore.expr import parse
    >>> p = value_and_gradient(parse("(0.25*x**2 + 500) + 50*log(y + 1)"), {"x": 25.0, "y": 6.0})
    >>> round(p.gradient["y"], 7), round(p.norm, 4), round(p.angle, 2)
    (7.1428571, 14.3969, 29.74)
    """
    values = {name: float(point[name]) for name in expr.variables}
    f, grads, _, _ = _gradients(expr, values, ())
    return Point(values, float(f), {name: float(g) for name, g in zip(expr.variables, grads)})


def grid(expr: Expression, ranges: Mapping[str, tuple[float, float]], num: int | None = None) -> Grid:
    """f and its gradient on an evenly spaced grid over `ranges`, with one tape and one gradient call.

    Args:
      expr: a parsed expression of one or two variables.
      ranges: (low, high) for each variable.
      num: points along each axis (default `POINTS_1D` for one variable, `POINTS_2D` for two).
    Returns:
      A `Grid`.
    Raises:
      ExploreError: the expression has no variable or more than two.

    >>> from tapegrad.explore.expr import parse
    >>> g = grid(parse("0.25*x**2 + 500"), {"x": (0.0, 60.0)})
    >>> float(g.axes["x"][100]), float(g.values[100]), float(g.gradient["x"][100])
    (10.0, 525.0, 5.0)
    """
    names = expr.variables
    if not 1 <= len(names) <= 2:
        raise ExploreError(f"a grid needs a function of one or two variables; {_describe(expr)}")
    num = num or (POINTS_1D if len(names) == 1 else POINTS_2D)
    axes = {name: np.linspace(*ranges[name], num) for name in names}
    if len(names) == 1:
        values = {names[0]: axes[names[0]]}
    else:
        mesh = np.meshgrid(axes[names[0]], axes[names[1]])  # shape (ny, nx)
        values = dict(zip(names, mesh))
    shape = next(iter(values.values())).shape
    f, grads, _, _ = _gradients(expr, values, shape)
    return Grid(axes, f, dict(zip(names, grads)))


def _describe(expr: Expression) -> str:
    n = len(expr.variables)
    if n == 0:
        return f"{expr.text!r} has no variable"
    return f"{expr.text!r} has {n}: {', '.join(expr.variables)}"


# --- the command line's points and ranges -----------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _number(text: str, what: str) -> float:
    text = text.strip()
    if not re.fullmatch(_NUMBER, text):
        raise ExploreError(f"{what}: {text!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ExploreError(f"{what}: {text!r} is too large")
    return value


def _check_name(expr: Expression, name: str, what: str) -> None:
    if name in expr.variables:
        return
    if name in CONSTANTS:
        raise ExploreError(f"{what}: {name} is the constant {CONSTANTS[name]:.6g}, not a variable")
    if name in FUNCTIONS:
        raise ExploreError(f"{what}: {name} is a function, not a variable")
    known = ", ".join(expr.variables) if expr.variables else "none"
    raise ExploreError(f"{what}: {expr.text!r} has no variable {name!r} (its variables: {known})")


def parse_points(expr: Expression, specs: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    """Points from ``--at`` arguments: each point is a list like ``["x=25", "y=6"]`` (or ``["x=25,y=6"]``).

    With one variable a bare number is allowed (``--at 20``). Every variable needs a value.

    Raises:
      ExploreError: a value is not a number, a name is not a variable, or a variable has no value.

    >>> from tapegrad.explore.expr import parse
    >>> parse_points(parse("x*y"), [["x=25", "y=6"], ["x=1,y=-2"]])
    [{'x': 25.0, 'y': 6.0}, {'x': 1.0, 'y': -2.0}]
    """
    points = []
    for number, spec in enumerate(specs, start=1):
        what = f"--at (point {number})"
        point: dict[str, float] = {}
        items = [item for part in spec for item in part.split(",") if item.strip()]
        for item in items:
            if "=" not in item:
                if len(expr.variables) == 1 and not point:
                    point[expr.variables[0]] = _number(item, what)
                    continue
                raise ExploreError(f"{what}: write NAME=VALUE, as in x=20 (got {item!r})")
            name, _, value = item.partition("=")
            name = name.strip()
            _check_name(expr, name, what)
            if name in point:
                raise ExploreError(f"{what}: {name} is given twice")
            point[name] = _number(value, f"{what} {name}")
        missing = [name for name in expr.variables if name not in point]
        if missing:
            raise ExploreError(f"{what}: no value for {', '.join(missing)}; write e.g. "
                               + " ".join(f"{name}=1" for name in expr.variables))
        points.append(point)
    return points


def parse_ranges(expr: Expression, specs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Ranges from ``--range`` arguments like ``x=0:60``; the low end must be below the high end.

    Raises:
      ExploreError: a malformed range, an empty one, an unknown variable, or one given twice.

    >>> from tapegrad.explore.expr import parse
    >>> parse_ranges(parse("x*y"), ["x=0:60", "y=-1.5:20"])
    {'x': (0.0, 60.0), 'y': (-1.5, 20.0)}
    """
    ranges: dict[str, tuple[float, float]] = {}
    for spec in specs:
        name, eq, span = spec.partition("=")
        name = name.strip()
        low, colon, high = span.partition(":")
        if not eq or not colon:
            raise ExploreError(f"--range: write NAME=LOW:HIGH, as in x=0:60 (got {spec!r})")
        _check_name(expr, name, "--range")
        if name in ranges:
            raise ExploreError(f"--range: {name} is given twice")
        lo, hi = _number(low, f"--range {name}"), _number(high, f"--range {name}")
        if not lo < hi:
            raise ExploreError(f"--range {name}: the low end must be below the high end (got {lo:g}:{hi:g})")
        ranges[name] = (lo, hi)
    return ranges


def default_range(values: Sequence[float]) -> tuple[float, float]:
    """A range around the given coordinates (from ``--at``), or (-5, 5) with none.

    Half the points' spread is added on each side (the point's own size, at least 1, for a single point); a
    range that would dip below zero around points that are not negative starts at zero, as hours and sizes do.

    >>> default_range([10.0, 40.0])
    (0.0, 55.0)
    >>> default_range([20.0])
    (0.0, 40.0)
    >>> default_range([])
    (-5.0, 5.0)
    """
    if not values:
        return (-5.0, 5.0)
    lo, hi = min(values), max(values)
    pad = (hi - lo) / 2 if hi > lo else max(abs(lo), 1.0)
    low, high = lo - pad, hi + pad
    if lo >= 0 > low:
        low = 0.0
    return (float(low), float(high))
