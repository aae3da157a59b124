"""log(0), 0 / 0 and sqrt(-1) give -inf / nan without a word, as in TensorFlow, where NumPy would warn from inside
tapegrad's ops; a user's own NumPy code still warns (the filter names tapegrad's modules only)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

PROGRAM = """
import numpy as np
import tapegrad as tf
x = tf.constant([0.0, -1.0, 1.0])
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.math.log(x) + tf.sqrt(x) + x / 0.0 + tf.math.log(tf.constant(0.0))
print(y.numpy().tolist(), tape.gradient(y, x).numpy().tolist())
print(tf.reduce_mean(tf.zeros((0,))).numpy())
np.log(np.zeros(1))  # the user's own NumPy: warns
"""


def test_ops_are_silent_and_users_numpy_still_warns():
    run = subprocess.run([sys.executable, "-W", "default", "-c", PROGRAM], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    x = np.array([0.0, -1.0, 1.0], np.float32)
    with np.errstate(all="ignore"):  # the same values from NumPy, its warnings off
        y = np.log(x) + np.sqrt(x) + x / 0.0 + np.log(np.float32(0.0))
        dy = 1 / x + 0.5 / np.sqrt(x) + 1 / np.float32(0.0)
    assert run.stdout.splitlines() == [f"{y.tolist()} {dy.tolist()}", "nan"]
    warned = [line for line in run.stderr.splitlines() if "Warning" in line]
    assert len(warned) == 1 and warned[0].startswith("<string>:10: RuntimeWarning: divide by zero"), run.stderr
