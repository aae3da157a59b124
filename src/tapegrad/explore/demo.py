"""The explorer's part of ``tapegrad demo``: the seed's three functions, as pages a learner can open.

Key decision: the pages go to a directory the user names (``tapegrad demo --pages DIR``) or, by default, to
one fixed folder per user in the system's temporary directory, overwritten on each run, so running the demo
again does not pile up copies (each page carries Plotly's JavaScript, about 5 MB). Without Plotly the demo
says how to get it and carries on.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path

from .expr import parse
from .grid import value_and_gradient
from .report import one_more_table, point_report

__all__ = ["SEED_FUNCTIONS", "default_directory", "write_seed_pages"]

#: (file name, expression, ranges, points, what the seed document says it computes)
SEED_FUNCTIONS = (
    ("linear.html", "2*x + 500", {"x": (0.0, 1200.0)}, [{"x": 800.0}],
     "the price of an apartment of x square feet in TensorTown"),
    ("quadratic.html", "0.25*x**2 + 500", {"x": (0.0, 60.0)}, [{"x": 10.0}, {"x": 40.0}],
     "weekly earnings for x hours worked (Ted works 10, Todd 40)"),
    ("two_variables.html", "(0.25*x**2 + 500) + 50*ln(y + 1)", {"x": (0.0, 60.0), "y": (0.0, 20.0)},
     [{"x": 25.0, "y": 6.0}], "earnings for x hours worked and y compliments given to the boss"),
)


def default_directory() -> Path:
    """Where the demo writes its pages by default: ``<temp dir>/tapegrad-demo-<user>``.

    >>> default_directory().name.startswith("tapegrad-demo-")
    True
    """
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (e.g. an unnamed uid in a container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in user)
    return Path(tempfile.gettempdir()) / f"tapegrad-demo-{safe}"


def write_seed_pages(directory: str | Path | None = None) -> str:
    """Writes the pages of the seed's three functions; returns the demo's section to print: the seed's table,
    its gradient, and where the pages are.

    Args:
      directory: where to write the pages (created if needed); default `default_directory()`.
    Returns:
      The text to print.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = write_seed_pages(folder)
    >>> "5.25" in text and "20.25" in text, sorted(p.name for p in folder.iterdir())
    (True, ['linear.html', 'quadratic.html', 'two_variables.html'])
    """
    lines = ["== Explore: the seed's three functions, computed by tapegrad =="]
    earnings = parse(SEED_FUNCTIONS[1][1])
    lines += [f"f(x) = {earnings.text}: {SEED_FUNCTIONS[1][4]}", one_more_table(earnings, [10.0, 40.0]), ""]
    both = parse(SEED_FUNCTIONS[2][1])
    lines += [f"f(x, y) = {both.text}: {SEED_FUNCTIONS[2][4]}",
              point_report(both, value_and_gradient(both, SEED_FUNCTIONS[2][3][0])), ""]
    try:
        import plotly  # noqa: F401  (the pages are drawn with it)
    except ImportError:
        lines.append("(the pages need Plotly: pip install 'tapegrad[plot]', then run the demo again)")
        return "\n".join(lines)
    from .page import write_page

    folder = Path(directory) if directory is not None else default_directory()
    folder.mkdir(parents=True, exist_ok=True)
    lines.append(f"Pages (one self-contained HTML file each; open them in a browser, they work offline) in "
                 f"{folder}:")
    for file_name, text, ranges, points, _ in SEED_FUNCTIONS:
        expr = parse(text)
        path = write_page(folder / file_name, expr, ranges, points)
        lines.append(f"  {path.name:<20} f({', '.join(expr.variables)}) = {text}")
    lines.append("Explore your own: tapegrad explore \"0.25*x**2 + 500\" --at x=10 --at x=40 --html earnings.html")
    return "\n".join(lines)
