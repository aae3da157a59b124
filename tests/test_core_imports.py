"""Importing tapegrad (and using it on NumPy) pulls in no plotting library, no GPU or cluster backend and not
array-api-compat: those are imported lazily, only by the code that needs them."""

import json
import subprocess
import sys

import pytest

HEAVY = ["matplotlib", "plotly", "cupy", "dask", "array_api_strict", "array_api_compat"]

PROGRAM = """
import json, sys
{imports}
heavy = {heavy!r}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def _loaded_after(imports: str) -> list:
    code = PROGRAM.format(imports=imports, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("imports", [
    "import tapegrad",
    "import tapegrad._core",
    "import tapegrad as tf\n"
    "x = tf.Variable([1.0, 2.0])\n"
    "with tf.GradientTape() as tape:\n"
    "    y = tf.reduce_sum(tf.sin(x) * x)\n"
    "print(tape.gradient(y, x))",
])
def test_import_pulls_in_no_heavy_module(imports):
    assert _loaded_after(imports) == []


def test_the_subprocess_check_can_fail():
    # the detector itself works: importing json (in the list here) is seen
    code = PROGRAM.format(imports="import json", heavy=["json"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "json" in json.loads(out.stdout.strip().splitlines()[-1])
