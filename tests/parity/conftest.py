"""Parity tests against real TensorFlow: shared settings.

These tests need TensorFlow (see README.md in this directory); every module skips itself with
`pytest.importorskip("tensorflow")` when it is not installed, so CI without TensorFlow collects nothing here.
"""

import os

# Keep TensorFlow's start-up noise (C++ INFO/WARNING logs, the oneDNN banner) out of the test output. oneDNN's
# fused kernels are also turned off so that TensorFlow's results are the plain, reproducible reference.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
