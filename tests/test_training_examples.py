"""The training examples in examples/ (custom training loop, CNN on digits, regression) run as scripts and learn
what they set out to learn. They are extra programs, not seed programs (see examples/__init__.py's SEEDS)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_custom_training_loop():
    out = run_example("custom_training_loop")
    last = out.strip().splitlines()[-2]
    assert last.startswith("epoch 10: ")
    assert float(re.search(r"validation accuracy ([\d.]+)", last).group(1)) > 0.95
    assert re.search(r"^160 steps; latest checkpoint: .*ckpt-10$", out, re.M)


def test_regression():
    out = run_example("regression")
    w, b = map(float, re.search(r"fitted line: y = ([\d.]+) x \+ ([\d.]+)", out).groups())
    assert abs(w - 3) < 0.1 and abs(b - 2) < 0.05
    assert float(re.search(r"largest error of the fitted sine on \[-1, 1\]: ([\d.]+)", out).group(1)) < 0.3


def test_cnn_digits():
    out = run_example("cnn_digits", "1")
    assert float(re.search(r"epoch 1: loss [\d.]+, test accuracy ([\d.]+)", out).group(1)) > 0.6
    assert "conv2d (Conv2D)" in out and "max_pooling2d (MaxPooling2D)" in out


def test_the_examples_are_not_seed_programs():
    from tapegrad.examples import SEEDS

    assert not {"custom_training_loop", "cnn_digits", "regression"} & {name for name, _ in SEEDS}
