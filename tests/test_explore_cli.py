"""`tapegrad explore` and the demo's explorer part, run as a user runs them (`python3 -m tapegrad ...`)."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_2D = "(0.25*x**2 + 500) + 50*log(y + 1)"


def explore(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tapegrad", "explore", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, stdin=subprocess.DEVNULL)


def test_ted_and_todd():
    result = explore("0.25*x**2 + 500", "--at", "x=10", "--at", "x=40")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "f(x) = 0.25*x**2 + 500\n"
        "\n"
        "at x = 10:\n"
        "  f(x) = 525\n"
        "  f'(x) = df/dx = 5\n"
        "\n"
        "at x = 40:\n"
        "  f(x) = 900\n"
        "  f'(x) = df/dx = 20\n"
        "\n"
        "one more x: the change f(x+1) - f(x) next to the derivative f'(x)\n"
        "            x          f(x)        f(x+1)        change         f'(x)\n"
        "           10           525        530.25          5.25             5\n"
        "           40           900        920.25         20.25            20\n")


def test_the_seed_single_variable_point_and_a_bare_number():
    result = explore("0.25 * x**2 + 500", "--at", "20")
    assert result.returncode == 0, result.stderr
    assert "at x = 20:\n  f(x) = 600\n  f'(x) = df/dx = 10\n" in result.stdout


def test_two_variables_gradient_vector_length_and_direction():
    result = explore(SEED_2D, "--at", "x=25", "y=6", "--range", "x=0:60", "y=0:20")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"f(x, y) = {SEED_2D}\n"
        "\n"
        "at x = 25, y = 6:\n"
        "  f(x, y) = 753.54551\n"
        "  gradient = (12.5, 7.1428571)   (df/dx, df/dy)\n"
        "  length |gradient| = 14.396889\n"
        "  direction = 29.74 degrees from the +x axis toward +y\n")


def test_without_points_it_reports_the_middle_of_the_range_and_a_table_across_it():
    result = explore("2*x + 500", "--range", "x=0:1000")
    assert result.returncode == 0, result.stderr
    assert "at x = 500:\n  f(x) = 1500\n" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()[-4:]]
    assert [row[0] for row in rows] == ["0", "250", "500", "750"]
    assert all(row[3:] == ["2", "2"] for row in rows)


def test_trace_prints_the_recorded_ops_and_the_backward_pass():
    result = explore("0.25*x**2 + 500", "--at", "x=20", "--trace")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "tape trace of f(x) = 0.25*x**2 + 500 at x = 20" in out
    forward = out[out.index("forward"):out.index("backward")]
    backward = out[out.index("backward"):]
    assert [op for op in ("Pow", "Mul", "AddV2") if op in forward] == ["Pow", "Mul", "AddV2"]
    assert all(value in forward for value in ("= 400", "= 100", "= 600"))
    assert backward.index("AddV2") < backward.index("Mul") < backward.index("Pow")
    assert "x += 10" in backward and "df/dx = 10" in out


@pytest.mark.parametrize("args, message", [
    (["x.__class__"], "error: cannot use this expression: attribute access ('.name') is not allowed (column 2)\n"
                      "  x.__class__\n   ^^^^^^^^^^\n"),
    (["__import__('os').system('touch pwned')"], "attribute access ('.name') is not allowed (column 17)"),
    (["x^2"], "'^' is not a power here: write x**2 for x squared (column 2)\n  x^2\n   ^\n"),
    (["x*y", "--at", "x=1"], "error: --at (point 1): no value for y; write e.g. x=1 y=1\n"),
    (["x", "--range", "x=5:1"], "error: --range x: the low end must be below the high end (got 5:1)\n"),
    (["x", "--range", "y=0:1"], "error: --range: 'x' has no variable 'y' (its variables: x)\n"),
    (["x", "--at", "x=ten"], "error: --at (point 1) x: 'ten' is not a number\n"),
    (["x*y*z", "--html", "never.html"], "error: --html and --png draw a function of one or two variables; "
                                        "'x*y*z' has 3: x, y, z\n"),
    (["3 + 4", "--png", "never.png"], "'3 + 4' has none\n"),
])
def test_bad_input_is_one_clear_line_and_status_2(args, message, tmp_path):
    result = explore(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("tapegrad explore: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, and no 'pwned' file


def test_an_unwritable_file_is_status_1(tmp_path):
    pytest.importorskip("plotly")
    result = explore("x", "--html", str(tmp_path / "no" / "such" / "dir" / "page.html"))
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_explore_help():
    result = subprocess.run([sys.executable, "-m", "tapegrad", "explore", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--at", "--range", "--html", "--png", "--trace", "atan2(y, x)"):
        assert option in result.stdout
    top = subprocess.run([sys.executable, "-m", "tapegrad", "--help"], capture_output=True, text=True, timeout=60)
    assert "explore" in top.stdout and "see a function and its gradient" in top.stdout


# --- the page -------------------------------------------------------------------------------------------------


def without_bundle(html: str) -> str:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert html.count(bundle) == 1, "Plotly's JavaScript must be embedded, once"
    return html.replace(bundle, "")


@pytest.mark.parametrize("args, ids", [
    (["0.25*x**2 + 500", "--at", "x=10", "--at", "x=40", "--range", "x=0:60"],
     ["readout-x", "readout-f", "readout-df"]),
    ([SEED_2D, "--at", "x=25", "y=6", "--range", "x=0:60", "y=0:20"],
     ["readout-x", "readout-y", "readout-f", "readout-gx", "readout-gy", "readout-norm", "readout-angle"]),
])
def test_html_is_one_self_contained_offline_page(args, ids, tmp_path):
    pytest.importorskip("plotly")
    page = tmp_path / "page.html"
    result = explore(*args, "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert f"wrote the page (open it in a browser; it works offline): {page}" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "plotly.js v" in html[:200_000] or "plotly.js v" in html
    rest = without_bundle(html)
    # nothing is fetched: no external scripts, styles, images or fonts, and no address anywhere outside the bundle
    assert not re.search(r"https?://|//cdn|<link\b|@import|\bsrc\s*=", rest, re.I), rest[:2000]
    assert rest.count("<script") == 3  # Plotly's config, the bundle, and the figure with the page's script
    for ident in ids:
        assert f'id="{ident}"' in rest
    assert 'id="tg-plot"' in rest and "plotly_hover" in rest and "plotly_click" in rest
    assert len(rest) < 2_000_000


def test_trace_with_html_draws_the_tape_in_the_page(tmp_path):
    pytest.importorskip("plotly")
    page = tmp_path / "page.html"
    result = explore("0.25*x**2 + 500", "--at", "x=20", "--trace", "--html", str(page))
    assert result.returncode == 0, result.stderr
    rest = without_bundle(page.read_text(encoding="utf-8"))
    assert "<h2>The tape at x = 20</h2>" in rest and 'id="tg-tape"' in rest
    assert "df/dx = 10." in rest and "t1 = Pow(x, 2) = 400" in rest
    assert rest.count("<script") == 4  # the tape's figure uses the bundle already on the page


def test_html_values_are_tapegrads(tmp_path):
    pytest.importorskip("plotly")
    page = tmp_path / "page.html"
    assert explore("0.25*x**2 + 500", "--at", "x=10", "--at", "x=40", "--range", "x=0:60",
                   "--html", str(page)).returncode == 0
    rest = without_bundle(page.read_text(encoding="utf-8"))
    # the page's table shows Ted and Todd; the figure's data hold f and f' on the grid (step 0.1)
    assert re.search(r"<td>10</td><td>525</td><td>530.25</td><td>5.25</td><td>5</td>", rest)
    assert re.search(r"<td>40</td><td>900</td><td>920.25</td><td>20.25</td><td>20</td>", rest)
    data = re.search(r'Plotly\.newPlot\(\s*"tg-plot",\s*(\[.*?\]),\s*\{', rest, re.S).group(1)
    import json

    traces = json.loads(data)
    x, f, df = traces[0]["x"], traces[0]["y"], traces[0]["customdata"]
    assert len(x) == 601 and x[100] == pytest.approx(10.0) and f[100] == pytest.approx(525.0)
    assert df[400] == pytest.approx(20.0) and traces[1]["y"] == df


# --- the picture ----------------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    return width, height


@pytest.mark.parametrize("args", [["0.25*x**2 + 500", "--at", "x=10", "--at", "x=40"],
                                  [SEED_2D, "--at", "x=25", "y=6", "--range", "x=0:60", "y=0:20"]])
def test_png_is_a_valid_picture(args, tmp_path):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "f.png"
    result = explore(*args, "--png", str(picture))
    assert result.returncode == 0, result.stderr
    assert f"wrote the picture: {picture}" in result.stdout
    width, height = png_size(picture.read_bytes())
    assert width > 600 and height > 400


@pytest.mark.parametrize("option, missing", [("--html", "plotly"), ("--png", "matplotlib")])
def test_a_missing_plotting_library_is_a_clear_error(option, missing, tmp_path):
    code = (f"import sys; sys.modules[{missing!r}] = None; from tapegrad.cli import main; "
            f"sys.exit(main(['explore', 'x**2', {option!r}, {str(tmp_path / 'out')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"tapegrad explore: error: {option} needs {missing}: pip install 'tapegrad[plot]'" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def test_the_demo_without_plotly_says_how_to_get_the_pages():
    code = "import sys; sys.modules['plotly'] = None; from tapegrad.cli import main; sys.exit(main(['demo']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("(the pages need Plotly: pip install 'tapegrad[plot]', then run the "
                                           "demo again)")
    assert "530.25          5.25" in result.stdout


def test_the_terminal_report_needs_no_plotting_library():
    code = ("import sys; from tapegrad.cli import main; main(['explore', 'x**2', '--at', 'x=3', '--trace']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('plotly', 'matplotlib')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("[]")


# --- the demo's explorer part ---------------------------------------------------------------------------------


def test_demo_writes_the_seed_pages_and_says_where(tmp_path):
    pytest.importorskip("plotly")
    pages = tmp_path / "pages"
    result = subprocess.run([sys.executable, "-m", "tapegrad", "demo", "--pages", str(pages)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    part = out[out.index("== Explore: the seed's three functions, computed by tapegrad =="):]
    assert out.index("== Seed 5") < out.index("== Explore")
    assert "           10           525        530.25          5.25             5\n" in part
    assert "           40           900        920.25         20.25            20\n" in part
    assert "gradient = (12.5, 7.1428571)" in part
    assert f"in {pages}:" in part
    for name, title in [("linear.html", "f(x) = 2*x + 500"), ("quadratic.html", "f(x) = 0.25*x**2 + 500"),
                        ("two_variables.html", "f(x, y) = (0.25*x**2 + 500) + 50*ln(y + 1)")]:
        assert f"  {name:<20} {title}" in part
        html = (pages / name).read_text(encoding="utf-8")
        assert f"<code>{title}</code>" in html
    assert sorted(p.name for p in pages.iterdir()) == ["linear.html", "quadratic.html", "two_variables.html"]


def test_demo_of_chosen_seeds_writes_no_pages(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tapegrad", "demo", "3", "--pages", str(tmp_path / "p")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Explore" not in result.stdout and not (tmp_path / "p").exists()
