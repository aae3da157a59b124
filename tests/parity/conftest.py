"""Parity tests against real TensorFlow: shared settings.

These tests need TensorFlow (see README.md in this directory); every module skips itself with
`pytest.importorskip("tensorflow")` when it is not installed, so CI without TensorFlow collects nothing here.
"""

import os

# Keep TensorFlow's start-up noise (C++ INFO/WARNING logs, the oneDNN banner) out of the test output. oneDNN's
# fused kernels are also turned off so that TensorFlow's results are the plain, reproducible reference.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def pytest_collection_modifyitems(config, items):
    """Marks each test named in its module's KNOWN_DIFFERENCES ({test name: reason}) as a strict xfail, so a
    recorded difference from TensorFlow stays visible and turns the run red the moment it is fixed."""
    import pytest

    for item in items:
        known = getattr(getattr(item, "module", None), "KNOWN_DIFFERENCES", None)
        if known and item.name in known:
            item.add_marker(pytest.mark.xfail(strict=True, reason=known[item.name]))
