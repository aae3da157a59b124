"""The explorer's static picture: a PNG drawn with matplotlib's Agg canvas (no display, no pyplot state).

Key decision: the same numbers and the same arrows as the page. One variable: f with the tangent line at each
point asked for, and f' below it. Two variables: filled contours of f (darker is larger) with the field of
gradient arrows (`page._arrow_heads`, so arrows match the page) and the points marked. The figure is built
with `matplotlib.figure.Figure` and saved through `FigureCanvasAgg`, so it never touches pyplot or the
user's backend.

    >>> import tempfile, pathlib
    >>> from tapegrad.explore.expr import parse
    >>> out = write_png(pathlib.Path(tempfile.mkdtemp()) / "f.png", parse("0.25*x**2 + 500"), {"x": (0.0, 60.0)})
    >>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .expr import Expression
from .grid import ExploreError, grid, value_and_gradient
from .page import arrow_field

__all__ = ["write_png"]


def write_png(path: str | Path, expr: Expression, ranges: Mapping[str, tuple[float, float]],
              points: Sequence[Mapping[str, float]] = ()) -> Path:
    """Draws f (and f', or the gradient field) over `ranges` and writes a PNG to `path`.

    Args:
      path: where to write the PNG.
      expr: a parsed expression of one or two variables.
      ranges: (low, high) for each variable.
      points: points to mark (with the tangent line, for one variable).
    Returns:
      The path written.
    Raises:
      ExploreError: the expression has no variable or more than two.
      ImportError: matplotlib is not installed (``pip install 'tapegrad[plot]'``).

    >>> import tempfile, pathlib
    >>> from tapegrad.explore.expr import parse
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "seed.png"
    >>> write_png(path, parse("(0.25*x**2 + 500) + 50*ln(y + 1)"), {"x": (0, 60), "y": (0, 20)}) == path
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(expr.variables)
    if n not in (1, 2):
        raise ExploreError("a picture draws a function of one or two variables; "
                           + (f"{expr.text!r} has none" if n == 0 else f"{expr.text!r} has {n}: "
                              + ", ".join(expr.variables)))
    g = grid(expr, ranges)
    fig = Figure(figsize=(8, 6.4) if n == 1 else (8.4, 6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    if n == 1:
        _draw_1d(fig, expr, g, points)
    else:
        _draw_2d(fig, expr, g, points)
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def _draw_1d(fig, expr: Expression, g, points) -> None:
    (name,) = expr.variables
    xs, f, df = g.axes[name], g.values, g.gradient[name]
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
    top.plot(xs, f, color="#1f77b4", lw=2.2, label=f"f({name})")
    bottom.plot(xs, df, color="#2ca02c", lw=2, label=f"f'({name})")
    lo, hi = float(np.nanmin(np.where(np.isfinite(f), f, np.nan))), float(np.nanmax(np.where(np.isfinite(f), f,
                                                                                              np.nan)))
    half = (xs[-1] - xs[0]) * 0.12
    for p in points:
        at = value_and_gradient(expr, p)
        x0, f0, d0 = p[name], at.value, at.gradient[name]
        top.plot([x0 - half, x0 + half], [f0 - d0 * half, f0 + d0 * half], "--", color="#d62728", lw=1.8)
        top.plot([x0], [f0], "o", color="#d62728")
        bottom.plot([x0], [d0], "o", color="#d62728")
        top.annotate(f"f'({x0:g}) = {d0:.6g}", (x0, f0), textcoords="offset points", xytext=(8, -14),
                     color="#d62728", fontsize=9)
    if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
        pad = (hi - lo) * 0.08
        top.set_ylim(lo - pad, hi + pad)
    top.set_title(f"f({name}) = {expr.text}", fontsize=12, loc="left")
    top.set_ylabel(f"f({name})")
    bottom.set_ylabel(f"f'({name})")
    bottom.set_xlabel(name)
    bottom.set_xlim(xs[0], xs[-1])
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    if points:
        top.plot([], [], "--", color="#d62728", label="tangent")
    top.legend(loc="upper left", frameon=False)


def _draw_2d(fig, expr: Expression, g, points) -> None:
    nx_, ny_ = expr.variables
    xs, ys = g.axes[nx_], g.axes[ny_]
    f, gx, gy = g.values, g.gradient[nx_], g.gradient[ny_]
    ax = fig.subplots()
    masked = np.ma.masked_invalid(f)
    filled = ax.contourf(xs, ys, masked, levels=18, cmap="Blues")
    ax.contour(xs, ys, masked, levels=filled.levels, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label=f"f({nx_}, {ny_})")
    tx, ty, hx, hy = arrow_field(xs, ys, gx, gy)
    ok = np.isfinite(hx) & np.isfinite(hy)
    ax.quiver(tx[ok], ty[ok], (hx - tx)[ok], (hy - ty)[ok], angles="xy", scale_units="xy", scale=1,
              color="#e6550d", width=0.003, headwidth=4)
    for p in points:
        at = value_and_gradient(expr, p)
        ax.plot([p[nx_]], [p[ny_]], "o", color="#c0132b", mec="white")
        ax.annotate(f"grad = ({at.gradient[nx_]:.4g}, {at.gradient[ny_]:.4g})", (p[nx_], p[ny_]),
                    textcoords="offset points", xytext=(8, 8), color="#c0132b", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_title(f"f({nx_}, {ny_}) = {expr.text}   (arrows: the gradient)", fontsize=11, loc="left")
    ax.set_xlabel(nx_)
    ax.set_ylabel(ny_)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
