"""README.md tells the truth: its example prints what it shows, and its quickstart is what CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced code block of a Markdown text, as (language, body)."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S)


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_readme_example_prints_the_output_it_shows():
    blocks = fenced_blocks(README)
    languages = [lang for lang, _ in blocks]
    code = blocks[languages.index("python")][1]
    shown = blocks[languages.index("python") + 1]
    assert shown[0] == "text"
    assert 8 <= len(code.strip().splitlines()) <= 12
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown[1]
    assert "numpy=7.1428576>)" in result.stdout


def test_readme_example_is_the_seed_program():
    code = next(body for lang, body in fenced_blocks(README) if lang == "python")
    assert code == (ROOT / "examples" / "seed0_multi_variable.py").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    blocks = [body for lang, body in fenced_blocks(section("Quickstart")) if lang == "sh"]
    assert len(blocks) == 1
    return [line for line in blocks[0].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_quickstart_is_two_commands_demo_then_tests():
    install_and_demo, install_and_test = quickstart_commands()
    assert install_and_demo.startswith("python3 ") and install_and_demo.endswith("tapegrad demo")
    assert "pip install ." in install_and_demo
    assert install_and_test.startswith("python3 ") and install_and_test.endswith("-m pytest")
    assert "'.[test]'" in install_and_test


def test_ci_runs_exactly_the_readmes_test_command():
    ci = ROOT / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert ci.stat().st_mode & 0o111, ".ci/run must be executable"
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == quickstart_commands()[1]
    assert "|| true" not in text


def test_readme_has_status_and_differences():
    assert "nested tapes" in section("Status").lower()
    assert "ForwardAccumulator" in section("Status") and "custom_gradient" in section("Status")
    differences = section("Differences from TensorFlow")
    assert "snapshot" in differences and "advanced indices" in differences and "eagerly" in differences
