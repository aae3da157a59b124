"""The `tapegrad` command, run as a user runs it: `python3 -m tapegrad ...` and the installed console script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tapegrad

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXPECTED = {p.name.removesuffix(".expected.txt"): p.read_text(encoding="utf-8")
            for p in sorted(EXAMPLES.glob("*.expected.txt"))}


def tapegrad_cmd(*args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    if script:
        exe = shutil.which("tapegrad", path=str(Path(sys.executable).parent))
        if exe is None:
            pytest.skip("the `tapegrad` console script is not installed next to this Python")
        command = [exe, *args]
    else:
        command = [sys.executable, "-m", "tapegrad", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_help_lists_the_commands():
    result = tapegrad_cmd("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: tapegrad")
    assert "demo" in result.stdout and "run the seed programs" in result.stdout
    assert "--version" in result.stdout


def test_version():
    result = tapegrad_cmd("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tapegrad {tapegrad.__version__}\n"
    assert tapegrad.__version__.count(".") == 2


@pytest.mark.parametrize("script", [False, True], ids=["python-m", "console-script"])
def test_demo_prints_every_seed_output_under_its_heading(script):
    from tapegrad.examples import SEEDS

    result = tapegrad_cmd("demo", script=script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    position = 0
    for number, (name, title) in enumerate(SEEDS, start=1):
        heading = f"== Seed {number}: {title} ==\n"
        block = heading + EXPECTED[name]
        found = out.find(block, position)
        assert found >= 0, f"seed {number} ({name}) output missing or out of order:\n{out}"
        position = found + len(block)
    assert len(EXPECTED) == len(SEEDS) == 5
    assert out.count("== Seed ") == 5
    assert "== Seed 1: derivative of f(x) = 0.25x^2 + 500 at x = 20 ==" in out
    assert "tf.Tensor(10.0, shape=(), dtype=float32)" in out
    assert "numpy=7.1428576>)" in out
    assert "[[6. 6. 6.]\n [6. 6. 6.]]" in out


def test_demo_runs_chosen_seeds_and_shows_code():
    result = tapegrad_cmd("demo", "5", "--code")
    assert result.returncode == 0, result.stderr
    source = (EXAMPLES / "seed1_task.py").read_text(encoding="utf-8")
    assert result.stdout == ("== Seed 5: the seed's task: derivative of f(x) = x^2 + 2x - 1 at x = 2 ==\n"
                             + source + "-- output --\n" + EXPECTED["seed1_task"])


def test_demo_rejects_a_seed_that_does_not_exist():
    result = tapegrad_cmd("demo", "9")
    assert result.returncode == 2
    assert "no seed program 9; choose from 1 to 5" in result.stderr
    assert result.stdout == ""


def test_unknown_command_is_a_usage_error():
    result = tapegrad_cmd("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_command_prints_help_and_fails():
    result = tapegrad_cmd()
    assert result.returncode == 2
    assert "usage: tapegrad" in result.stderr and "demo" in result.stderr


def test_the_command_imports_nothing_heavy():
    heavy = ["matplotlib", "plotly", "sklearn", "tqdm", "cupy", "dask", "scipy", "pandas", "tensorflow", "torch"]
    code = ("import sys, tapegrad.cli; tapegrad.cli.build_parser(); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_main_returns_the_exit_status(capsys):
    from tapegrad.cli import main

    assert main(["demo", "3"]) == 0
    assert capsys.readouterr().out == "== Seed 3: gradient of y = x^2 at x = 3 ==\n" + EXPECTED["seed1_simple_gradient"]
