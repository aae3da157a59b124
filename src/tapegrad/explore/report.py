"""The terminal report of `tapegrad explore`: f and its gradient at points, and the "one more" table.

Key decision: the table is the seed's. For one variable it shows x, f(x), f(x+1), the change and f'(x) side by
side, so a learner sees the change from one more unit (Ted's 11th hour earns $5.25, Todd's 41st $20.25)
approach the derivative (5 and 20). For two or more variables each point shows the gradient vector and its
length, and for two its direction as an angle. Numbers are printed with up to 8 significant digits.

    >>> from tapegrad.explore.expr import parse
    >>> print(one_more_table(parse("0.25*x**2 + 500"), [10.0, 40.0]))
    one more x: the change f(x+1) - f(x) next to the derivative f'(x)
                x          f(x)        f(x+1)        change         f'(x)
               10           525        530.25          5.25             5
               40           900        920.25         20.25            20
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .expr import Expression
from .grid import Point, value_and_gradient

__all__ = ["fmt", "one_more_table", "point_report", "report"]


def fmt(value: float) -> str:
    """A number with up to 8 significant digits, without trailing zeros.

    >>> fmt(530.25), fmt(7.142857142857143), fmt(1e-9), fmt(float("nan")), fmt(-0.0)
    ('530.25', '7.1428571', '1e-09', 'nan', '0')
    """
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    return f"{value:.8g}"


def _signature(expr: Expression) -> str:
    return f"f({', '.join(expr.variables)})"


def point_report(expr: Expression, point: Point) -> str:
    """f and the gradient at one point, in words.

    >>> from tapegrad.explore.expr import parse
    >>> from tapegrad.explore.grid import value_and_gradient
    >>> expr = parse("(0.25*x**2 + 500) + 50*log(y + 1)")
    >>> print(point_report(expr, value_and_gradient(expr, {"x": 25.0, "y": 6.0})))
    at x = 25, y = 6:
      f(x, y) = 753.54551
      gradient = (12.5, 7.1428571)   (df/dx, df/dy)
      length |gradient| = 14.396889
      direction = 29.74 degrees from the +x axis toward +y
    """
    names = expr.variables
    where = ", ".join(f"{name} = {fmt(v)}" for name, v in point.values.items())
    lines = [f"at {where}:" if names else "value:", f"  {_signature(expr)} = {fmt(point.value)}"]
    if len(names) == 1:
        name = names[0]
        lines.append(f"  f'({name}) = df/d{name} = {fmt(point.gradient[name])}")
    elif len(names) >= 2:
        grads = ", ".join(fmt(point.gradient[name]) for name in names)
        partials = ", ".join(f"df/d{name}" for name in names)
        lines.append(f"  gradient = ({grads})   ({partials})")
        lines.append(f"  length |gradient| = {fmt(point.norm)}")
        if len(names) == 2:
            if point.norm == 0 or not math.isfinite(point.norm):
                lines.append("  direction: none (the gradient is zero or not finite here)")
            else:
                lines.append(f"  direction = {point.angle:.2f} degrees from the +{names[0]} axis toward "
                             f"+{names[1]}")
    return "\n".join(lines)


def one_more_table(expr: Expression, xs: Sequence[float]) -> str:
    """For a function of one variable: x, f(x), f(x+1), the change and f'(x) at each x (the seed's table).

    >>> from tapegrad.explore.expr import parse
    >>> print(one_more_table(parse("2*x + 500"), [800.0]))
    one more x: the change f(x+1) - f(x) next to the derivative f'(x)
                x          f(x)        f(x+1)        change         f'(x)
              800          2100          2102             2             2
    """
    (name,) = expr.variables
    head = (name, f"f({name})", f"f({name}+1)", "change", f"f'({name})")
    rows = []
    for x in xs:
        here = value_and_gradient(expr, {name: x})
        after = value_and_gradient(expr, {name: x + 1.0})
        rows.append((fmt(x), fmt(here.value), fmt(after.value), fmt(after.value - here.value),
                     fmt(here.gradient[name])))
    width = max(13, *(len(cell) for row in rows for cell in row))
    lines = [f"one more {name}: the change f({name}+1) - f({name}) next to the derivative f'({name})"]
    lines += [" ".join(cell.rjust(width) for cell in row) for row in (head, *rows)]
    return "\n".join(lines)


def report(expr: Expression, points: Sequence[dict[str, float]], table_at: Sequence[float] = ()) -> str:
    """The whole terminal report: the function, each point, and (one variable) the table at `table_at`.

    >>> from tapegrad.explore.expr import parse
    >>> print(report(parse("2*x + 500"), [{"x": 800.0}], [800.0]))
    f(x) = 2*x + 500
    <BLANKLINE>
    at x = 800:
      f(x) = 2100
      f'(x) = df/dx = 2
    <BLANKLINE>
    one more x: the change f(x+1) - f(x) next to the derivative f'(x)
                x          f(x)        f(x+1)        change         f'(x)
              800          2100          2102             2             2
    """
    parts = [f"{_signature(expr)} = {expr.text}"]
    parts += [point_report(expr, value_and_gradient(expr, point)) for point in points]
    if len(expr.variables) == 1 and table_at:
        parts.append(one_more_table(expr, table_at))
    return "\n\n".join(parts)
