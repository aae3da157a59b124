"""The explorer's page: one self-contained HTML file, drawn by Plotly with its JavaScript embedded (works offline).

Key decisions:
- Plotly draws; the page adds only a few lines of JavaScript that listen to Plotly's hover and click events,
  write the read-out into elements with ids (``readout-x``, ``readout-f``, ``readout-df``; for two variables
  ``readout-x``, ``readout-y``, ``readout-f``, ``readout-gx``, ``readout-gy``, ``readout-norm``,
  ``readout-angle``) and move the tangent line or the gradient arrow with `Plotly.restyle` / `Plotly.relayout`.
  The read-out shows the numbers of the grid point under the pointer, taken from the figure's own data.
- Every number on the page comes from `grid.grid`: one tape and one gradient call for the whole grid.
- Figure data are written as JSON lists (not Plotly's base64 arrays), so the page script reads them plainly;
  values that are not finite become gaps (null).
- Gradient arrows are Plotly annotations in data coordinates: each points along (df/dx, df/dy) as drawn on the
  axes, and its length grows with the square root of the gradient's size relative to the largest on the page.

    >>> from tapegrad.explore.expr import parse
    >>> html = page_html(parse("0.25*x**2 + 500"), {"x": (0.0, 60.0)}, [{"x": 10.0}])
    >>> 'id="readout-df"' in html and "plotly.js v" in html
    True
"""

from __future__ import annotations

import html as _html
import json
import math
import string
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .expr import Expression
from .grid import ExploreError, Grid, grid, value_and_gradient
from .report import fmt
from .trace import Replay

__all__ = ["arrow_field", "page_html", "tape_figure", "write_page"]

ARROWS = 13  # gradient arrows along each axis of a two-variable page
ARROW_COLOR = "rgba(230, 85, 13, 0.85)"
HOVER_ARROW_COLOR = "#c0132b"


def _list(values: np.ndarray) -> list:
    """A JSON-ready nested list; values that are not finite become None (a gap in the plot)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        return [_clean(v) for v in array.tolist()]
    return [_list(row) for row in array]


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _padded(values: np.ndarray) -> list[float]:
    finite = np.asarray(values)[np.isfinite(values)]
    if finite.size == 0:
        return [-1.0, 1.0]
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * 0.08 or max(abs(lo) * 0.1, 1.0)
    return [lo - pad, hi + pad]


def _largest(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0


def _nearest(axis: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(axis - value)))


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 980px;
       padding: 16px 20px 32px; color: #1f2937; }
h1 { font-size: 1.35rem; font-weight: 600; margin: 0.2rem 0 0.4rem; }
h1 code { font-size: 1.25rem; }
h2 { font-size: 1.15rem; font-weight: 600; margin: 1.6rem 0 0.3rem; }
p.lead { margin: 0 0 0.8rem; color: #4b5563; }
#readout { display: flex; flex-wrap: wrap; gap: 0.4rem 1.6rem; padding: 0.6rem 0.9rem; background: #f3f6fb;
           border: 1px solid #d7deea; border-radius: 8px; font-size: 1.05rem; }
#readout .item i { font-style: italic; color: #374151; }
#readout b { font-variant-numeric: tabular-nums; }
#plot-box { height: 620px; margin-top: 0.6rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.9rem; text-align: right; border-bottom: 1px solid #e5e7eb; }
th { font-weight: 600; background: #f9fafb; }
footer { color: #6b7280; font-size: 0.85rem; margin-top: 1.2rem; }
"""


def _document(title: str, lead: str, readout: str, figure_html: str, after: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_html.escape(title)} - tapegrad explore</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{title_html(title)}</h1>
<p class="lead">{lead}</p>
<div id="readout" aria-live="polite">{readout}</div>
<div id="plot-box">{figure_html}</div>
{after}
<footer>Made by <code>tapegrad explore</code>: every value and derivative on this page was computed by tapegrad
(one GradientTape and one gradient call for the whole grid). Drawn with Plotly; works offline.</footer>
</body>
</html>
"""


def title_html(title: str) -> str:
    """The page heading: the function in code type.

    >>> title_html("f(x) = 2*x + 500")
    '<code>f(x) = 2*x + 500</code>'
    """
    return f"<code>{_html.escape(title)}</code>"


def _item(label: str, ident: str) -> str:
    return f'<span class="item"><i>{_html.escape(label)}</i> = <b id="{ident}">&ndash;</b></span>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> str:
    cells = "".join(f"<th>{_html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<p>{caption}</p>\n<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


_FMT_JS = """
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "undefined";
    var r = Number(Number(v).toPrecision(8));
    return (r === 0 ? 0 : r).toString();
  }
  function put(id, text) { document.getElementById(id).textContent = text; }
"""


def _script(body: str, **values) -> str:
    """The page's script: Plotly's figure div is `gd`; `$name`s in `body` become `values` as JSON.

    It runs after Plotly has drawn the figure and marks the page ready (``<body data-ready="1">``).
    """
    filled = string.Template(body).substitute({k: json.dumps(v) for k, v in values.items()})
    return ('(function () {\n  var gd = document.getElementById("{plot_id}");\n' + _FMT_JS + filled
            + '\n  document.body.setAttribute("data-ready", "1");\n})();')


def _figure_html(fig, script: str) -> str:
    return fig.to_html(include_plotlyjs=True, full_html=False, div_id="tg-plot", post_script=script,
                       config={"displaylogo": False, "responsive": True,
                               "modeBarButtonsToRemove": ["select2d", "lasso2d"]})


# --- one variable -------------------------------------------------------------------------------------------


def _page_1d(expr: Expression, g: Grid, points: Sequence[Mapping[str, float]], extra: str = "") -> str:
    from plotly.subplots import make_subplots

    (name,) = expr.variables
    xs, f, df = g.axes[name], g.values, g.gradient[name]
    start = points[0][name] if points else float(xs[len(xs) // 2])
    i0 = _nearest(xs, start)
    half = (xs[-1] - xs[0]) * 0.12  # the tangent is drawn this far on each side of the point

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.09, row_heights=[0.62, 0.38],
                        subplot_titles=(f"f({name}) and its tangent line", f"f'({name}): the slope of f"))
    fig.add_scatter(x=_list(xs), y=_list(f), customdata=_list(df), mode="lines", name=f"f({name})",
                    line={"color": "#1f77b4", "width": 2.5}, row=1, col=1,
                    hovertemplate=f"{name} = %{{x:.8~g}}<br>f({name}) = %{{y:.8~g}}<br>"
                                  f"f'({name}) = %{{customdata:.8~g}}<extra></extra>")
    fig.add_scatter(x=_list(xs), y=_list(df), customdata=_list(f), mode="lines", name=f"f'({name})",
                    line={"color": "#2ca02c", "width": 2}, row=2, col=1,
                    hovertemplate=f"{name} = %{{x:.8~g}}<br>f'({name}) = %{{y:.8~g}}<extra></extra>")
    fig.add_scatter(x=[None, None], y=[None, None], mode="lines", name="tangent at the point", hoverinfo="skip",
                    line={"color": "#d62728", "width": 2, "dash": "dash"}, row=1, col=1)
    fig.add_scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                    marker={"color": "#d62728", "size": 10}, row=1, col=1)
    fig.add_scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                    marker={"color": "#d62728", "size": 10}, row=2, col=1)
    fig.update_layout(template="plotly_white", hovermode="x", margin={"l": 60, "r": 20, "t": 40, "b": 50},
                      legend={"orientation": "h", "y": 1.1, "x": 0, "xanchor": "left"}, height=620)
    fig.update_xaxes(showspikes=True, spikemode="across", spikethickness=1, spikecolor="#9ca3af",
                     range=[float(xs[0]), float(xs[-1])])
    fig.update_xaxes(title_text=name, row=2, col=1)
    fig.update_yaxes(range=_padded(f), autorange=False, row=1, col=1, title_text=f"f({name})")
    fig.update_yaxes(range=_padded(df), autorange=False, row=2, col=1, title_text=f"f'({name})")

    script = _script("""
  var X = gd.data[0].x, F = gd.data[0].y, D = gd.data[0].customdata, W = $half;
  function show(i) {
    var x = X[i], f = F[i], d = D[i];
    put("readout-x", fmt(x)); put("readout-f", fmt(f)); put("readout-df", fmt(d));
    gd.setAttribute("data-index", String(i));
    var ok = f !== null && d !== null;
    Plotly.restyle(gd, {x: [[x - W, x + W], [x], [x]],
                        y: [ok ? [f - d * W, f + d * W] : [null, null], [f], [d]]}, [2, 3, 4]);
  }
  function pick(ev) {
    var p = ev.points && ev.points[0];
    if (p && p.curveNumber <= 1) show(p.pointIndex);
  }
  gd.on("plotly_hover", pick);
  gd.on("plotly_click", pick);
  show($i0);""", half=float(half), i0=i0)

    title = f"f({name}) = {expr.text}"
    lead = (f"Hover over the curves (or tap them): the read-out shows {name}, f({name}) and the derivative "
            f"f'({name}); the dashed red line is the tangent at that point, whose slope is f'({name}).")
    readout = _item(name, "readout-x") + _item(f"f({name})", "readout-f") + _item(f"f'({name})", "readout-df")
    xs_table = [p[name] for p in points] or [float(v) for v in np.linspace(xs[0], xs[-1], 5)[:-1]]
    rows = []
    for x in xs_table:
        here, there = value_and_gradient(expr, {name: x}), value_and_gradient(expr, {name: x + 1})
        rows.append((fmt(x), fmt(here.value), fmt(there.value), fmt(there.value - here.value),
                     fmt(here.gradient[name])))
    after = _table((name, f"f({name})", f"f({name}+1)", "change", f"f'({name})"), rows,
                   f"One more {name}: the change f({name}+1) &minus; f({name}) next to the derivative f'({name}).")
    return _document(title, lead, readout, _figure_html(fig, script), after + extra)


# --- two variables ------------------------------------------------------------------------------------------


def _arrow_heads(xs, ys, gx, gy, spans, length):
    """Arrow heads for arrows from (xs, ys) along (gx, gy) as drawn on the axes, `length` (a fraction of the
    axes) times sqrt(|g| / max |g|); None where the gradient is zero or not finite."""
    gx, gy = np.asarray(gx, dtype=np.float64), np.asarray(gy, dtype=np.float64)
    norm = np.hypot(gx, gy)
    finite = np.isfinite(norm)
    top = _largest(norm)
    fx, fy = gx / spans[0], gy / spans[1]  # the gradient in fractions of the axes
    screen = np.hypot(fx, fy)
    with np.errstate(all="ignore"):
        scale = length * np.sqrt(norm / top) / screen if top > 0 else np.zeros_like(norm)
    ok = finite & (norm > 0) & np.isfinite(scale)
    return (np.where(ok, xs + scale * fx * spans[0], np.nan), np.where(ok, ys + scale * fy * spans[1], np.nan))


def arrow_field(xs: np.ndarray, ys: np.ndarray, gx: np.ndarray, gy: np.ndarray):
    """The gradient arrows of a two-variable grid: one in the middle of each of `ARROWS` x `ARROWS` cells,
    centred on its grid point so that it stays inside its cell. Returns (tail x, tail y, head x, head y)
    arrays, NaN where the gradient is zero or not finite.

    >>> xs = ys = np.linspace(0.0, 1.0, 27)
    >>> mx, my = np.meshgrid(xs, ys)
    >>> tx, ty, hx, hy = arrow_field(xs, ys, np.ones_like(mx), np.zeros_like(my))
    >>> tx.shape, bool(np.all(hx > tx)), bool(np.all(hy == ty))
    ((13, 13), True, True)
    """
    cols = np.rint((np.arange(ARROWS) + 0.5) / ARROWS * (len(xs) - 1)).astype(int)
    rows = np.rint((np.arange(ARROWS) + 0.5) / ARROWS * (len(ys) - 1)).astype(int)
    sub = np.ix_(rows, cols)
    mx, my = np.meshgrid(xs, ys)
    cx, cy = mx[sub], my[sub]
    spans = (float(xs[-1] - xs[0]), float(ys[-1] - ys[0]))
    hx, hy = _arrow_heads(cx, cy, np.asarray(gx)[sub], np.asarray(gy)[sub], spans, 0.85 / ARROWS)
    half_x, half_y = (hx - cx) / 2, (hy - cy) / 2
    return cx - half_x, cy - half_y, cx + half_x, cy + half_y


def _page_2d(expr: Expression, g: Grid, points: Sequence[Mapping[str, float]], extra: str = "") -> str:
    import plotly.graph_objects as go

    nx_, ny_ = expr.variables
    xs, ys = g.axes[nx_], g.axes[ny_]
    f, gx, gy = g.values, g.gradient[nx_], g.gradient[ny_]
    spans = (float(xs[-1] - xs[0]), float(ys[-1] - ys[0]))
    custom = [[[_clean(a), _clean(b)] for a, b in zip(ra, rb)] for ra, rb in zip(gx.tolist(), gy.tolist())]

    fig = go.Figure()
    fig.add_contour(x=_list(xs), y=_list(ys), z=_list(f), customdata=custom, colorscale="Blues",
                    contours={"coloring": "heatmap", "showlabels": True,
                              "labelfont": {"size": 10, "color": "rgba(20,20,20,0.7)"}},
                    line={"width": 0.6, "color": "rgba(255,255,255,0.55)"}, ncontours=18,
                    colorbar={"title": {"text": f"f({nx_}, {ny_})"}}, name="f",
                    hoverinfo="none")  # the read-out above the map and the red arrow show the point
    annotations = []
    for x0, y0, x1, y1 in zip(*(a.ravel() for a in arrow_field(xs, ys, gx, gy))):
        if math.isfinite(x1) and math.isfinite(y1):
            annotations.append({"x": float(x1), "y": float(y1), "ax": float(x0), "ay": float(y0), "xref": "x",
                                "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
                                "arrowhead": 2, "arrowsize": 1, "arrowwidth": 1.6, "arrowcolor": ARROW_COLOR})
    hover_index = len(annotations)
    annotations.append({"x": float(xs[0]), "y": float(ys[0]), "ax": float(xs[0]), "ay": float(ys[0]),
                        "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
                        "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 3, "arrowcolor": HOVER_ARROW_COLOR,
                        "visible": False})
    if points:
        fig.add_scatter(x=[p[nx_] for p in points], y=[p[ny_] for p in points], mode="markers",
                        marker={"color": HOVER_ARROW_COLOR, "size": 9, "line": {"color": "white", "width": 1.5}},
                        name="--at points", hoverinfo="skip")
    fig.update_layout(template="plotly_white", annotations=annotations, height=620, hovermode="closest",
                      margin={"l": 60, "r": 20, "t": 30, "b": 50}, showlegend=False,
                      xaxis={"title": {"text": nx_}, "range": [float(xs[0]), float(xs[-1])]},
                      yaxis={"title": {"text": ny_}, "range": [float(ys[0]), float(ys[-1])]})

    start = points[0] if points else {nx_: float(xs[len(xs) // 2]), ny_: float(ys[len(ys) // 2])}
    r0, c0 = _nearest(ys, start[ny_]), _nearest(xs, start[nx_])
    script = _script("""
  var T = gd.data[0], K = $k, SX = $sx, SY = $sy, TOP = $top, L = $length;
  function show(r, c) {
    var x = T.x[c], y = T.y[r], f = T.z[r][c], g = T.customdata[r][c], gx = g[0], gy = g[1];
    put("readout-x", fmt(x)); put("readout-y", fmt(y)); put("readout-f", fmt(f));
    put("readout-gx", fmt(gx)); put("readout-gy", fmt(gy));
    var ok = gx !== null && gy !== null, n = ok ? Math.hypot(gx, gy) : NaN;
    put("readout-norm", fmt(n));
    put("readout-angle", ok && n > 0 ? (Math.atan2(gy, gx) * 180 / Math.PI).toFixed(2) + "\\u00b0" : "none");
    gd.setAttribute("data-index", r + "," + c);
    var a = "annotations[" + K + "].", upd = {};
    if (ok && n > 0 && TOP > 0) {
      var fx = gx / SX, fy = gy / SY, s = L * Math.sqrt(Math.min(n / TOP, 1)) / Math.hypot(fx, fy);
      upd[a + "x"] = x + s * fx * SX; upd[a + "y"] = y + s * fy * SY; upd[a + "ax"] = x; upd[a + "ay"] = y;
      upd[a + "visible"] = true;
    } else {
      upd[a + "visible"] = false;
    }
    Plotly.relayout(gd, upd);
  }
  function pick(ev) {
    var p = ev.points && ev.points[0];
    if (p && p.curveNumber === 0 && p.pointNumber) show(p.pointNumber[0], p.pointNumber[1]);
  }
  gd.on("plotly_hover", pick);
  gd.on("plotly_click", pick);
  show($r0, $c0);""", k=hover_index, sx=spans[0], sy=spans[1], length=2.2 / ARROWS, r0=r0, c0=c0,
                     top=_largest(np.hypot(gx, gy)))

    title = f"f({nx_}, {ny_}) = {expr.text}"
    lead = (f"Darker means larger f. Hover over the map (or tap it): the read-out shows ({nx_}, {ny_}), f and the "
            f"gradient &nabla;f = (df/d{nx_}, df/d{ny_}), drawn as the red arrow: it points where f grows fastest. "
            "The orange arrows show the gradient across the map (longer where it is larger).")
    readout = (_item(nx_, "readout-x") + _item(ny_, "readout-y") + _item(f"f({nx_}, {ny_})", "readout-f")
               + _item(f"df/d{nx_}", "readout-gx") + _item(f"df/d{ny_}", "readout-gy")
               + _item("|gradient|", "readout-norm") + _item("direction", "readout-angle"))
    after = ""
    if points:
        rows = []
        for p in points:
            at = value_and_gradient(expr, p)
            angle = f"{at.angle:.2f}\N{DEGREE SIGN}" if at.norm > 0 and math.isfinite(at.norm) else "none"
            rows.append((fmt(p[nx_]), fmt(p[ny_]), fmt(at.value), fmt(at.gradient[nx_]), fmt(at.gradient[ny_]),
                         fmt(at.norm), angle))
        after = _table((nx_, ny_, "f", f"df/d{nx_}", f"df/d{ny_}", "|gradient|", "direction"), rows,
                       "At the points you asked for (computed by tapegrad at the exact point):")
    return _document(title, lead, readout, _figure_html(fig, script), after + extra)


# --- the tape, drawn ----------------------------------------------------------------------------------------


def tape_figure(r: Replay):
    """The tape's record as a graph (Plotly): the sources on the left, each op to the right of its inputs,
    arrows for what the tape recorded, and in red beside each arrow the gradient that flowed back along it.

    >>> from tapegrad.explore.expr import parse
    >>> from tapegrad.explore.trace import record_at, replay
    >>> tape, out, names = record_at(parse("0.25*x**2 + 500"), {"x": 20.0})
    >>> fig = tape_figure(replay(tape, out, names))
    >>> list(fig.data[-1].text)
    ['<b>x</b><br>= 20', '<b>Pow</b><br>t1 = 400', '<b>Mul</b><br>t2 = 100', '<b>AddV2</b><br>t3 = 600 (f)']
    """
    import plotly.graph_objects as go

    column: dict[str, int] = {name: 0 for name in r.sources}
    for step in r.steps:
        col = 1 + max((column[i] for i in step.inputs if i in column), default=0)
        for label in step.labels:
            column[label] = col
    rows: dict[int, int] = {}
    where: dict[str, tuple[float, float]] = {}
    for label, col in column.items():
        rows[col] = rows.get(col, 0) + 1
        where[label] = (float(col), -float(rows[col] - 1))
    values = {step.labels[0]: step for step in r.steps}
    text, hover, colors = [], [], []
    result = {name: ours for name, ours, _ in r.results}
    for label in column:
        step = values.get(label)
        if step is None:
            text.append(f"<b>{_html.escape(label)}</b><br>= {r.source_values.get(label, '?')}")
            hover.append(f"{label}: a source<br>d{r.target}/d{label} = {result.get(label, '0')}")
            colors.append("#2ca02c")
        else:
            mark = f" ({r.target})" if step.is_target else ""
            text.append(f"<b>{_html.escape(step.op)}</b><br>{label} = {step.values[0]}{mark}")
            flowing = step.flowing if step.flowing is not None else "0 (off the path)"
            hover.append(f"{_html.escape(step.call)} = {step.values[0]}<br>d{r.target}/d{label} = {flowing}")
            colors.append("#d62728" if step.is_target else "#1f77b4")
    annotations, grad_x, grad_y, grad_text = [], [], [], []
    for step in r.steps:
        head = where[step.labels[0]]
        handed: dict[str, list[str]] = {}
        for label, g in step.handed:
            handed.setdefault(label, []).append(g)
        for label in dict.fromkeys(i for i in step.inputs if i in where):
            tail = where[label]
            annotations.append({"x": head[0], "y": head[1], "ax": tail[0], "ay": tail[1], "xref": "x",
                                "yref": "y", "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2,
                                "arrowwidth": 1.5, "arrowcolor": "#9ca3af", "standoff": 16, "startstandoff": 16,
                                "text": ""})
            if label in handed:
                grad_x.append((head[0] + tail[0]) / 2)
                grad_y.append((head[1] + tail[1]) / 2 + 0.12)
                grad_text.append(" + ".join(handed[label]))
    fig = go.Figure()
    fig.add_scatter(x=grad_x, y=grad_y, mode="text", text=grad_text, textfont={"color": "#c0132b", "size": 12},
                    hoverinfo="skip", name="gradient flowing back")
    fig.add_scatter(x=[where[k][0] for k in column], y=[where[k][1] for k in column], mode="markers+text",
                    text=text, textposition="bottom center", hovertext=hover, hoverinfo="text",
                    marker={"size": 18, "color": colors, "line": {"color": "white", "width": 2}}, name="tape")
    depth = max(rows.values(), default=1)
    fig.update_layout(template="plotly_white", showlegend=False, annotations=annotations,
                      height=170 + 110 * depth, margin={"l": 30, "r": 30, "t": 20, "b": 20},
                      xaxis={"visible": False, "range": [-0.5, max(column.values(), default=0) + 0.5]},
                      yaxis={"visible": False, "range": [-(depth - 1) - 0.7, 0.5]})
    return fig


def _tape_section(expr: Expression, point: Mapping[str, float]) -> str:
    from .trace import record_at, replay

    tape, out, names = record_at(expr, point)
    r = replay(tape, out, names)
    where = ", ".join(f"{name} = {fmt(float(point[name]))}" for name in expr.variables)
    fig = tape_figure(r)
    graph = fig.to_html(include_plotlyjs=False, full_html=False, div_id="tg-tape",
                        config={"displaylogo": False, "responsive": True, "displayModeBar": False})
    results = "; ".join(f"d{r.target}/d{name} = {ours}" for name, ours, _ in r.results)
    return (f"<h2>The tape at {_html.escape(where)}</h2>\n<p>What the tape recorded, left to right (hover over an op "
            f"for its value), and in red the gradient each op handed back to its inputs: {_html.escape(results)}."
            f"</p>\n<div id=\"tape-box\">{graph}</div>")


# --- entry points -------------------------------------------------------------------------------------------


def page_html(expr: Expression, ranges: Mapping[str, tuple[float, float]],
              points: Sequence[Mapping[str, float]] = (), trace_at: Mapping[str, float] | None = None) -> str:
    """The page for a function of one or two variables over `ranges`, as one self-contained HTML string.

    Args:
      expr: a parsed expression of one or two variables.
      ranges: (low, high) for each variable.
      points: points to start at and to list in the page's table (the first one is shown on load).
      trace_at: a point at which to draw the tape as a graph below the plot (what ``--trace`` prints).
    Returns:
      The HTML text (about 5 MB: Plotly's JavaScript is inside).
    Raises:
      ExploreError: the expression has no variable or more than two.
      ImportError: Plotly is not installed (``pip install 'tapegrad[plot]'``).

    >>> from tapegrad.explore.expr import parse
    >>> html = page_html(parse("x*y"), {"x": (0.0, 1.0), "y": (0.0, 1.0)})
    >>> 'id="readout-gy"' in html
    True
    """
    n = len(expr.variables)
    if n not in (1, 2):
        raise ExploreError("a page draws a function of one or two variables; "
                           + (f"{expr.text!r} has none" if n == 0 else f"{expr.text!r} has {n}: "
                              + ", ".join(expr.variables)))
    g = grid(expr, ranges)
    extra = _tape_section(expr, trace_at) if trace_at is not None else ""
    return _page_1d(expr, g, points, extra) if n == 1 else _page_2d(expr, g, points, extra)


def write_page(path: str | Path, expr: Expression, ranges: Mapping[str, tuple[float, float]],
               points: Sequence[Mapping[str, float]] = (), trace_at: Mapping[str, float] | None = None) -> Path:
    """Writes `page_html(expr, ranges, points, trace_at)` to `path` (UTF-8) and returns the path.

    >>> import tempfile, pathlib
    >>> from tapegrad.explore.expr import parse
    >>> out = write_page(pathlib.Path(tempfile.mkdtemp()) / "f.html", parse("2*x + 500"), {"x": (0.0, 1000.0)})
    >>> out.stat().st_size > 1_000_000
    True
    """
    path = Path(path)
    path.write_text(page_html(expr, ranges, points, trace_at), encoding="utf-8")
    return path

