"""Runs without TensorFlow: every parity module must skip itself cleanly where TensorFlow is not installed (CI),
so it asks for TensorFlow with a module-level `pytest.importorskip("tensorflow")` before anything else imports it.
"""

import ast
import pathlib

HERE = pathlib.Path(__file__).parent


def test_parity_modules_skip_without_tensorflow():
    modules = sorted(p for p in HERE.glob("test_*.py") if p.name != pathlib.Path(__file__).name)
    assert modules
    for path in modules:
        tree = ast.parse(path.read_text())
        guard = None
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            src = ast.unparse(node)
            if 'pytest.importorskip("tensorflow")' in src or "pytest.importorskip('tensorflow')" in src:
                guard = node.lineno
                break
            assert "tensorflow" not in src, f"{path.name}:{node.lineno} uses tensorflow before importorskip"
        assert guard is not None, f"{path.name} has no module-level pytest.importorskip('tensorflow')"
