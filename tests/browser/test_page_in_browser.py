"""The explorer's pages in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver` packages),
driven by Selenium with the system chromedriver. Nothing is downloaded or installed at test time: without the
browser, its driver or Selenium the tests skip and say why (CI installs them: see .ci/run).

Each test opens a page written by `tapegrad.explore.page`, moves the mouse over a point of the plot, reads the
read-out from the page's elements (`readout-x`, ...) and checks it against tapegrad's own value and gradient at
the point shown, checks the page raised no JavaScript error and fetched nothing from the network, and saves a
screenshot under test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("plotly", reason="the page is drawn with Plotly: pip install 'tapegrad[plot]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed: pip install selenium")

from tapegrad.explore.expr import parse  # noqa: E402
from tapegrad.explore.grid import value_and_gradient  # noqa: E402
from tapegrad.explore.page import write_page  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TAPEGRAD_TEST_ARTIFACTS", ROOT / "test-artifacts"))
BROWSERS = ("chromium", "chromium-browser")

# Collects uncaught errors and rejected promises from the first line of every page.
ERROR_COLLECTOR = """
window.__pageErrors = [];
window.addEventListener("error", function (e) { window.__pageErrors.push(String(e.message || e)); });
window.addEventListener("unhandledrejection", function (e) { window.__pageErrors.push("rejection: " + e.reason); });
"""


def _find(names: tuple[str, ...]) -> str | None:
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = _find(BROWSERS), _find(("chromedriver",))
    if chromium is None:
        pytest.skip("no Chromium browser on PATH (Debian: apt-get install chromium chromium-driver)")
    if driver_path is None:
        pytest.skip("no chromedriver on PATH (Debian: apt-get install chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1100,1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: Selenium Manager is not used and downloads nothing
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_COLLECTOR})
    yield driver
    driver.quit()


def open_page(driver, page: Path) -> None:
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get_log("browser")
    driver.get(page.as_uri())
    deadline = time.monotonic() + 15
    while driver.execute_script("return document.body && document.body.getAttribute('data-ready')") != "1":
        assert time.monotonic() < deadline, "the page's script never finished (no data-ready mark)"
        time.sleep(0.05)


def hover(driver, x: float, y: float | None = None, xaxis: str = "xaxis", yaxis: str = "yaxis") -> None:
    """Moves the mouse to data point (x, y) of the plot (y: the middle of the y axis when None)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    where = driver.execute_script("""
        var gd = document.getElementById("tg-plot"), fl = gd._fullLayout;
        var xa = fl[arguments[0]], ya = fl[arguments[1]], box = gd.getBoundingClientRect();
        var py = arguments[3] === null ? ya._offset + ya._length / 2 : ya._offset + ya.l2p(arguments[3]);
        return {x: xa._offset + xa.l2p(arguments[2]), y: py, w: box.width, h: box.height};
    """, xaxis, yaxis, x, y)
    plot = driver.find_element(By.ID, "tg-plot")
    dx, dy = round(where["x"] - where["w"] / 2), round(where["y"] - where["h"] / 2)
    actions = ActionChains(driver)
    actions.move_to_element_with_offset(plot, dx - 25, dy).pause(0.05)
    actions.move_to_element_with_offset(plot, dx, dy).pause(0.2)
    actions.perform()


def readout(driver, *ids: str) -> dict[str, float]:
    from selenium.webdriver.common.by import By

    values = {}
    for ident in ids:
        text = driver.find_element(By.ID, ident).text.strip().rstrip("\u00b0")
        values[ident] = float(text)
    return values


def check_clean(driver) -> None:
    """No JavaScript error, no console error, nothing fetched but the page itself (and data: URLs)."""
    assert driver.execute_script("return window.__pageErrors") == []
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    requested = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    assert requested, "the performance log saw no request at all: the network check is not working"
    assert all(url.startswith(("file://", "data:")) for url in requested), sorted(requested)


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    return path


def test_one_variable_page_reads_out_x_f_and_the_derivative(browser, tmp_path):
    expr = parse("0.25*x**2 + 500")
    page = write_page(tmp_path / "quadratic.html", expr, {"x": (0.0, 60.0)}, [{"x": 10.0}, {"x": 40.0}])
    open_page(browser, page)
    first = readout(browser, "readout-x", "readout-f", "readout-df")
    assert first == {"readout-x": 10.0, "readout-f": 525.0, "readout-df": 5.0}  # the first --at point

    hover(browser, 40.0)
    shown = readout(browser, "readout-x", "readout-f", "readout-df")
    x = shown["readout-x"]
    assert abs(x - 40.0) <= 0.3, f"the mouse at x = 40 showed x = {x}"
    truth = value_and_gradient(expr, {"x": x})
    assert shown["readout-f"] == pytest.approx(truth.value, rel=1e-7)
    assert shown["readout-df"] == pytest.approx(truth.gradient["x"], rel=1e-7)
    # the tangent line moved to the point: through (x, f(x)) with slope f'(x)
    tx, ty = browser.execute_script("var d = document.getElementById('tg-plot').data[2]; return [d.x, d.y];")
    assert (tx[0] + tx[1]) / 2 == pytest.approx(x)
    assert (ty[0] + ty[1]) / 2 == pytest.approx(truth.value)
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(truth.gradient["x"])

    hover(browser, 20.0, xaxis="xaxis2", yaxis="yaxis2")  # the derivative's panel reads out too
    x = readout(browser, "readout-x")["readout-x"]
    assert abs(x - 20.0) <= 0.3 and readout(browser, "readout-df")["readout-df"] == pytest.approx(x / 2)
    hover(browser, 40.0)
    check_clean(browser)
    screenshot(browser, "explore-one-variable.png")


def test_two_variable_page_reads_out_the_point_f_and_the_gradient(browser, tmp_path):
    expr = parse("(0.25*x**2 + 500) + 50*ln(y + 1)")
    page = write_page(tmp_path / "two.html", expr, {"x": (0.0, 60.0), "y": (0.0, 20.0)}, [{"x": 25.0, "y": 6.0}])
    open_page(browser, page)
    ids = ("readout-x", "readout-y", "readout-f", "readout-gx", "readout-gy", "readout-norm", "readout-angle")
    first = readout(browser, *ids)
    assert (first["readout-x"], first["readout-y"]) == (25.0, 6.0)
    assert first["readout-gy"] == pytest.approx(50 / 7, rel=1e-7)

    hover(browser, 41.0, 12.5)
    shown = readout(browser, *ids)
    x, y = shown["readout-x"], shown["readout-y"]
    assert abs(x - 41.0) <= 0.6 and abs(y - 12.5) <= 0.4, f"the mouse at (41, 12.5) showed ({x}, {y})"
    truth = value_and_gradient(expr, {"x": x, "y": y})
    assert shown["readout-f"] == pytest.approx(truth.value, rel=1e-7)
    assert shown["readout-gx"] == pytest.approx(truth.gradient["x"], rel=1e-7)
    assert shown["readout-gy"] == pytest.approx(truth.gradient["y"], rel=1e-7)
    assert shown["readout-norm"] == pytest.approx(truth.norm, rel=1e-7)
    assert shown["readout-angle"] == pytest.approx(truth.angle, abs=0.006)
    # the red arrow starts at the point and points along the gradient
    arrow = browser.execute_script("var a = document.getElementById('tg-plot').layout.annotations; "
                                   "return a[a.length - 1];")
    assert arrow["visible"] and (arrow["ax"], arrow["ay"]) == pytest.approx((x, y))
    direction = math.degrees(math.atan2(arrow["y"] - arrow["ay"], arrow["x"] - arrow["ax"]))
    assert direction == pytest.approx(truth.angle, abs=1e-6)
    check_clean(browser)
    screenshot(browser, "explore-two-variables.png")
