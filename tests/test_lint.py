"""The code base stays `ruff` clean (config in pyproject.toml); ruff comes with the [test] extra."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is not installed: install the test extra, pip install -e '.[test]'")
    r = subprocess.run([ruff, "check", "--output-format", "concise", "src", "tests", "benchmarks", "examples"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
