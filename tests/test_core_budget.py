"""The engine stays small enough to read in one sitting (DESIGN.md): a line budget, as tinygrad keeps one.

Counted: lines of code in src/tapegrad/_core, without blank lines, comments and docstrings. The design aims
at about 1,000; the budget is the ceiling we hold ourselves to, lowered as the engine is simplified.
"""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "tapegrad" / "_core"
BUDGET = 1450


def code_lines(path: Path) -> int:
    src = path.read_text()
    docs: set[int] = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if ast.get_docstring(node) is not None:
                d = node.body[0]
                docs.update(range(d.lineno, d.end_lineno + 1))
    return sum(1 for i, line in enumerate(src.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docs)


def test_core_fits_its_line_budget():
    per_file = {p.name: code_lines(p) for p in sorted(CORE.glob("*.py"))}
    total = sum(per_file.values())
    assert total <= BUDGET, f"_core has {total} lines of code (budget {BUDGET}): {per_file}"


def test_core_imports_nothing_outside_core_but_the_backend():
    for p in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert node.module == "_backend" or node.module is None and \
                    [a.name for a in node.names] == ["_backend"], f"{p.name} imports ..{node.module}"
