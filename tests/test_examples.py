"""The seed programs in examples/ run unchanged with `import tapegrad as tf` and print what TensorFlow prints.

Each program runs in a fresh interpreter and its whole stdout is compared with `<name>.expected.txt`. The seed
documents' own code and displayed output are copied below as literals, so the examples cannot drift from the
seeds, and the packaged copy (`tapegrad.examples`) is checked to be these very files.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("seed*.py"))

# --- the seed documents, as rendered in ../shared/seeds/ (indentation lost, code of seed 001 on one line) ---

SEED_CODE = {
    "seed0_single_variable": """
x = tf.Variable(20.0, name="hours_worked")
with tf.GradientTape() as tape:
f = lambda x: 0.25 * x**2 + 500
result = f(x)
print("Watched variables:")
print(tape.watched_variables())
print("\\nDerivative of f(x) at x = 20:")
print(tape.gradient(result, x))
""",
    "seed0_multi_variable": """
x = tf.Variable(25.0, name='hours_worked')
y = tf.Variable(6.0, name='compliments_given')
with tf.GradientTape() as tape:
f = lambda x, y: (0.25 * x**2 + 500) + (50 * tf.math.log(y+1))
result = f(x, y)
print("Watched variables:")
print(tape.watched_variables())
print("\\nDerivative of f(x, y) at x = 25 and y = 6:")
print(tape.gradient(result, (x, y)))
""",
    "seed1_simple_gradient": (
        "import tensorflow as tf # Define input variables x = tf.Variable(3.0) # Start recording the operations "
        "with tf.GradientTape() as tape: # Define the calculations y = x * x # Extract the gradient for the "
        "specific input (`x`) grad = tape.gradient(y, x) print(f'Result of y: {y}') print(f'The gradient of y "
        "with respect to x is: {grad.numpy()}')"
    ),
    "seed1_partial_derivatives": (
        "import tensorflow as tf # Define input variables x = tf.Variable(tf.fill((2, 3), 3.0)) z = "
        "tf.Variable(5.0) # Start recording the operations with tf.GradientTape() as tape: # Define the "
        "calculations y = tf.reduce_sum(x * x + 2 * z) # Extract the gradient for the specific inputs (`x` and "
        "`z`) grad = tape.gradient(y, [x, z]) print(f'Result of y: {y}') print(f\"The gradient of y with "
        "respect to x is:\\n{grad[0].numpy()}\") print(f\"The gradient of y with respect to z is: "
        "{grad[1].numpy()}\")"
    ),
}

# The output blocks seed 000 displays (its rendering dropped the blank line that "\n..." prints).
SEED_OUTPUT = {
    "seed0_single_variable": """
Watched variables:
(<tf.Variable 'hours_worked:0' shape=() dtype=float32, numpy=20.0>,)
Derivative of f(x) at x = 20:
tf.Tensor(10.0, shape=(), dtype=float32)
""",
    "seed0_multi_variable": """
Watched variables:
(<tf.Variable 'hours_worked:0' shape=() dtype=float32, numpy=25.0>, <tf.Variable 'compliments_given:0' shape=() dtype=float32, numpy=6.0>)
Derivative of f(x, y) at x = 25 and y = 6:
(<tf.Tensor: shape=(), dtype=float32, numpy=12.5>, <tf.Tensor: shape=(), dtype=float32, numpy=7.1428576>)
""",  # noqa: E501
}


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_every_seed_program_is_here():
    assert NAMES == sorted([*SEED_CODE, "seed1_task"])


@pytest.mark.parametrize("name", NAMES)
def test_example_prints_what_tensorflow_prints(name):
    result = run_example(name)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (EXAMPLES / f"{name}.expected.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SEED_OUTPUT))
def test_example_shows_the_seed_documents_output(name):
    result = run_example(name)
    shown = [line for line in result.stdout.splitlines() if line.strip()]
    documented = SEED_OUTPUT[name].strip().splitlines()
    assert shown == documented  # the only lines printed are the documented ones, in order
    expected = [line for line in (EXAMPLES / f"{name}.expected.txt").read_text().splitlines() if line.strip()]
    assert expected == documented


def _words(code: str) -> str:
    return " ".join(code.split())


@pytest.mark.parametrize("name", sorted(SEED_CODE))
def test_example_is_the_seed_code_with_only_the_import_changed(name):
    source = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    assert source.startswith("import tapegrad as tf\n")
    assert source.count("tapegrad") == 1
    seed = SEED_CODE[name]
    if seed.lstrip().startswith("import tensorflow as tf"):
        assert _words(source.replace("import tapegrad as tf", "import tensorflow as tf", 1)) == _words(seed)
    else:  # seed 000 shows its code without the import line
        assert _words(source.removeprefix("import tapegrad as tf\n")) == _words(seed)
    compile(source, name, "exec")  # the reconstructed indentation is valid Python


def test_task_follows_the_lessons_steps():
    source = (EXAMPLES / "seed1_task.py").read_text(encoding="utf-8")
    assert "x = tf.Variable(2.0)" in source  # a float: "Gradient can only be computed for floating-point type"
    assert "with tf.GradientTape() as tape:" in source
    assert re.search(r"tape\.gradient\(y, x\)", source)
    assert "6.0" not in source  # the 6.0 it prints is computed, not written down


def test_the_catalog_lists_every_example_once():
    from tapegrad.examples import SEEDS

    assert sorted(name for name, _ in SEEDS) == NAMES
    assert all(title and "==" not in title for _, title in SEEDS)


def test_the_installed_package_ships_these_very_files():
    folder = resources.files("tapegrad.examples")
    for name in NAMES:
        for suffix in (".py", ".expected.txt"):
            packaged = folder.joinpath(name + suffix).read_bytes()
            assert packaged == (EXAMPLES / (name + suffix)).read_bytes(), name + suffix


def test_pyproject_lists_every_subpackage():
    """`packages` is written by hand (examples/ is mapped in from outside src/): a new subpackage must be added."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'"([\w.]+)"', re.search(r"^packages = \[(.*?)\]", text, re.M | re.S).group(1)))
    src = ROOT / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in (src / "tapegrad").rglob("__init__.py")}
    assert found | {"tapegrad.examples"} == listed
    assert re.search(r'^"tapegrad\.examples" = "examples"$', text, re.M)
