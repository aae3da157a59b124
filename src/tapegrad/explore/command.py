"""``tapegrad explore EXPR ...``: the command's work, once `tapegrad.cli` has parsed its arguments.

Key decision: every mistake a learner can make (an expression outside the language, a bad point or range, a
page for a function of three variables, Plotly not installed) ends with one clear message on stderr and exit
status 2 (1 for a file that cannot be written or a missing plotting library), never a traceback.

    >>> import argparse
    >>> run(argparse.Namespace(expr="2*x + 500", at=[["x=800"]], range=[], html=None, png=None, trace=False))
    f(x) = 2*x + 500
    <BLANKLINE>
    at x = 800:
      f(x) = 2100
      f'(x) = df/dx = 2
    <BLANKLINE>
    one more x: the change f(x+1) - f(x) next to the derivative f'(x)
                x          f(x)        f(x+1)        change         f'(x)
              800          2100          2102             2             2
    0
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .expr import ExpressionError, parse
from .grid import ExploreError, default_range, parse_points, parse_ranges

__all__ = ["run"]

PLOT_HINT = "pip install 'tapegrad[plot]' (Plotly and matplotlib)"


def _fail(message: str, status: int = 2) -> int:
    print(f"tapegrad explore: error: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Runs ``tapegrad explore`` with parsed arguments; returns the exit status (0, 1 or 2).

    Args:
      args: `expr` (str), `at` (list of lists of ``NAME=VALUE``), `range` (list of ``NAME=LOW:HIGH``),
        `html` and `png` (paths or None), `trace` (bool).
    Returns:
      0 on success; 2 for a bad expression, point, range or a page that cannot be drawn; 1 if a file could
      not be written or a plotting library is missing.
    """
    try:
        expr = parse(args.expr)
    except ExpressionError as err:
        return _fail(f"cannot use this expression: {err}")
    try:
        points = parse_points(expr, args.at or [])
        ranges = parse_ranges(expr, args.range or [])
    except ExploreError as err:
        return _fail(str(err))
    for name in expr.variables:
        ranges.setdefault(name, default_range([p[name] for p in points]))
    shown = points or [{name: (lo + hi) / 2 for name, (lo, hi) in ranges.items()}]
    table_at: list[float] = []
    if len(expr.variables) == 1:
        (name,) = expr.variables
        lo, hi = ranges[name]
        table_at = [p[name] for p in points] or [float(v) for v in np.linspace(lo, hi, 5)[:-1]]
    if (args.html or args.png) and len(expr.variables) not in (1, 2):
        count = len(expr.variables)
        return _fail(f"--html and --png draw a function of one or two variables; {args.expr!r} has "
                     + ("none" if count == 0 else f"{count}: {', '.join(expr.variables)}"))

    from .report import report

    print(report(expr, shown, table_at))
    from .trace import explain_at

    note = explain_at(expr, shown[0]) if expr.variables else ""  # why a variable gets no gradient (tape.explain)
    if note:
        print(note)
    if args.trace:
        from .trace import explore_trace

        print()
        print(explore_trace(expr, shown[0]))
    for option in ("html", "png"):
        path = getattr(args, option)
        if not path:
            continue
        try:
            if option == "html":
                from .page import write_page

                written = write_page(path, expr, ranges, points, trace_at=shown[0] if args.trace else None)
            else:
                from .picture import write_png

                written = write_png(path, expr, ranges, points)
        except ImportError as err:  # Plotly or matplotlib is imported when the drawing starts
            missing = (err.name or "").split(".")[0] or "a plotting library"
            return _fail(f"--{option} needs {missing}: {PLOT_HINT}", 1)
        except OSError as err:
            return _fail(f"cannot write {path}: {err.strerror or err}", 1)
        what = "page (open it in a browser; it works offline)" if option == "html" else "picture"
        print(f"\nwrote the {what}: {written}")
    return 0
