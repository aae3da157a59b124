"""tapegrad.explore: see a function and its gradient, computed by tapegrad (``tapegrad explore``).

Key decision: nothing here is imported by ``import tapegrad``, and the plotting libraries (Plotly for the page,
matplotlib for the picture) are imported only by the functions that draw, so the expression language, the
numbers and the terminal report need NumPy alone.

Modules: `expr` (the safe expression language), `grid` (values and gradients at points and on whole grids,
one tape and one gradient call per grid), `report` (the terminal text), `trace` (the tape's recorded ops and
the backward pass), `page` (the self-contained HTML page), `picture` (the PNG), `command` (the CLI glue) and
`demo` (the seed's three functions).

    >>> from tapegrad.explore import parse
    >>> parse("0.25*x**2 + 500").variables
    ('x',)
"""

from __future__ import annotations

from .expr import Expression, ExpressionError, parse

__all__ = ["Expression", "ExpressionError", "parse"]
