"""A small, safe expression language for `tapegrad explore`: math on named variables, evaluated with tapegrad ops.

Key decision: the text is parsed with Python's `ast` (never `eval`, `exec` or `compile` to code) and the
tree is checked node by node against a short allow-list before anything is evaluated: numbers, variable
names, `+ - * / **`, unary minus and plus, parentheses, and calls by name to the functions in `FUNCTIONS`,
plus the constants `pi` and `e`. Everything else is refused with `ExpressionError`, whose message points
at the offending part with its column and a caret under it. Evaluation walks the checked tree and calls
tapegrad ops, so a `GradientTape` records it like any other TensorFlow-style code.

Limits: `MAX_LENGTH` characters of printable ASCII, `MAX_DEPTH` levels of nesting (checked without
recursion, before any recursive walk), and exponents that do not depend on a variable at most
`MAX_EXPONENT` in size (so `9**9**9` is refused at the inner `9**9`).

    >>> expr = parse("0.25*x**2 + 500")
    >>> expr.variables
    ('x',)
    >>> float(expr.evaluate({"x": 10.0}))
    525.0
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

import tapegrad as tf

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "Expression", "ExpressionError",
           "parse"]

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_EXPONENT = 1000
MAX_NAME = 32

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def _log_base(base: float) -> Callable:
    scale = 1.0 / math.log(base)
    return lambda x: tf.math.log(x) * scale


#: name -> (number of arguments, tapegrad op, what it computes)
FUNCTIONS: dict[str, tuple[int, Callable, str]] = {
    "exp": (1, tf.math.exp, "e to the power x"),
    "expm1": (1, tf.math.expm1, "exp(x) - 1"),
    "log": (1, tf.math.log, "natural logarithm"),
    "ln": (1, tf.math.log, "natural logarithm (same as log)"),
    "log1p": (1, tf.math.log1p, "log(1 + x)"),
    "log2": (1, _log_base(2.0), "logarithm base 2"),
    "log10": (1, _log_base(10.0), "logarithm base 10"),
    "sqrt": (1, tf.math.sqrt, "square root"),
    "square": (1, tf.math.square, "x*x"),
    "abs": (1, tf.math.abs, "absolute value"),
    "sign": (1, tf.math.sign, "-1, 0 or 1"),
    "round": (1, tf.math.round, "the nearest whole number (no gradient, as in TensorFlow)"),
    "floor": (1, tf.math.floor, "the largest whole number not above x (no gradient, as in TensorFlow)"),
    "sin": (1, tf.math.sin, "sine"),
    "cos": (1, tf.math.cos, "cosine"),
    "tan": (1, tf.math.tan, "tangent"),
    "asin": (1, tf.math.asin, "arcsine"),
    "acos": (1, tf.math.acos, "arccosine"),
    "atan": (1, tf.math.atan, "arctangent"),
    "sinh": (1, tf.math.sinh, "hyperbolic sine"),
    "cosh": (1, tf.math.cosh, "hyperbolic cosine"),
    "tanh": (1, tf.math.tanh, "hyperbolic tangent"),
    "asinh": (1, tf.math.asinh, "inverse hyperbolic sine"),
    "acosh": (1, tf.math.acosh, "inverse hyperbolic cosine"),
    "atanh": (1, tf.math.atanh, "inverse hyperbolic tangent"),
    "sigmoid": (1, tf.math.sigmoid, "1 / (1 + exp(-x))"),
    "softplus": (1, tf.math.softplus, "log(1 + exp(x))"),
    "relu": (1, tf.nn.relu, "max(x, 0)"),
    "erf": (1, tf.math.erf, "the error function"),
    "atan2": (2, tf.math.atan2, "the angle of the point (x, y), called as atan2(y, x)"),
    "max": (2, tf.math.maximum, "the larger of two values"),
    "min": (2, tf.math.minimum, "the smaller of two values"),
}

_BINOPS: dict[type, Callable] = {
    ast.Add: tf.math.add,
    ast.Sub: tf.math.subtract,
    ast.Mult: tf.math.multiply,
    ast.Div: tf.math.divide,
    ast.Pow: tf.math.pow,
}

# Friendly names for the syntax that is refused, and the hint that goes with some of them.
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access ('.name') is not allowed",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "list comprehensions are not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.DictComp: "dict comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed (a comma belongs only between a function's arguments)",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators (and, or) are not allowed",
    ast.IfExp: "conditional expressions (... if ... else ...) are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred arguments (*args) are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}

_OPERATOR_HINTS: dict[type, str] = {
    ast.BitXor: "'^' is not a power here: write x**2 for x squared",
    ast.FloorDiv: "'//' (floor division) is not supported: use '/'",
    ast.Mod: "'%' (remainder) is not supported",
    ast.MatMult: "'@' (matrix product) is not supported",
    ast.LShift: "'<<' is not supported",
    ast.RShift: "'>>' is not supported",
    ast.BitOr: "'|' is not supported",
    ast.BitAnd: "'&' is not supported",
}

_UNARY_HINTS: dict[type, str] = {
    ast.Not: "'not' is not supported",
    ast.Invert: "'~' is not supported",
}


class ExpressionError(ValueError):
    """An expression was refused: `message`, and where (`offset`, 0-based; `column`, 1-based) in `text`.

    `str()` of the error shows the message, the text, and a caret under the offending part.

    >>> try:
    ...     parse("x.__class__")
    ... except ExpressionError as err:
    ...     print(err)
    attribute access ('.name') is not allowed (column 2)
      x.__class__
       ^^^^^^^^^^
    """

    def __init__(self, message: str, text: str, offset: int = 0, length: int = 1):
        self.message = message
        self.text = text
        self.offset = max(0, min(offset, len(text)))
        self.length = max(1, min(length, len(text) - self.offset)) if text else 1
        super().__init__(str(self))

    @property
    def column(self) -> int:
        """The 1-based column of the offending part."""
        return self.offset + 1

    @property
    def caret(self) -> str:
        """The line that goes under the text: spaces, then `^` under the offending part."""
        return " " * self.offset + "^" * self.length

    def __str__(self) -> str:
        shown = "".join(ch if " " <= ch <= "~" else "?" for ch in self.text)  # one column per character
        return f"{self.message} (column {self.column})\n  {shown}\n  {self.caret}"

    def __reduce__(self):
        return (type(self), (self.message, self.text, self.offset, self.length))


@dataclass(frozen=True)
class Expression:
    """A checked expression: its `text`, its checked `tree`, and its `variables` (sorted names).

    Build one with `parse`; `evaluate` computes it with tapegrad ops.

    >>> parse("(0.25*x**2 + 500) + 50*log(y + 1)").variables
    ('x', 'y')
    """

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, object]):
        """The expression's value, computed with tapegrad ops, for `values` (one entry per variable).

        Values may be Python numbers, NumPy arrays, tensors or variables (a `GradientTape` watching them
        records the computation). Arrays broadcast together, elementwise. The result is a float64 tensor
        when no value is a tensor of another dtype.

        Raises:
          ExpressionError: a variable has no value.

        >>> float(parse("2*x + 500").evaluate({"x": 800.0}))
        2100.0
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ExpressionError(f"no value for the variable {missing[0]!r}", self.text,
                                  _first_use(self.tree, missing[0]), len(missing[0]))
        env = {name: _as_tensor(values[name]) for name in self.variables}
        with np.errstate(all="ignore"):
            out = _Evaluator(env).visit(self.tree.body)
        if isinstance(out, tf.Variable):  # f(x) = x: read the variable, so that a tape sees df/dx = 1
            out = tf.identity(out)
        return _as_tensor(out)

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Expression:
    """Parses and checks `text`; refuses anything outside the language with `ExpressionError`.

    Args:
      text: e.g. ``"0.25*x**2 + 500"`` or ``"(0.25*x**2 + 500) + 50*log(y + 1)"``.
    Returns:
      The checked `Expression`.
    Raises:
      ExpressionError: the text is too long, not printable ASCII, not an expression, uses something outside
        the language, nests too deeply, or has too large an exponent. The error points at the offending part.

    >>> parse("2*x + 500").variables
    ('x',)
    >>> parse("lambda: 1")
    Traceback (most recent call last):
      ...
    tapegrad.explore.expr.ExpressionError: lambda functions are not allowed (column 1)
      lambda: 1
      ^^^^^^^^^
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression is text, not {type(text).__name__}", "", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long: {len(text)} characters, at most {MAX_LENGTH}",
                              text, MAX_LENGTH)
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            raise ExpressionError(f"character {ch!r} is not allowed: use plain ASCII letters, digits and "
                                  "+ - * / ** ( ) , .", text, i)
    if not text.strip():
        raise ExpressionError("the expression is empty", text, 0)
    lead = len(text) - len(text.lstrip(" "))  # Python would call leading spaces an indent
    body = text.strip(" ")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" warnings: the checks below decide
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as err:
        offset = lead + (err.offset or 1) - 1 if (err.lineno or 1) == 1 else len(text)
        reason = (err.msg or "invalid syntax").split(" (")[0]
        if "decimal literal" in reason:
            reason += " (write 0.25*x, with a '*', for a product)"
        raise ExpressionError(f"not a valid expression: {reason}", text, offset) from None
    except (ValueError, MemoryError, RecursionError, OverflowError) as err:
        raise ExpressionError(f"not a valid expression: {err}", text, 0) from None
    variables = _Checker(body, text, lead).check(tree)
    return Expression(body, tree, variables)


# --- checking ---------------------------------------------------------------------------------------------


class _Checker:
    """Walks the tree once, without recursion: depth, allowed nodes, names, calls, exponents."""

    def __init__(self, text: str, shown: str, lead: int):
        self.text = text  # what was parsed: the expression without its surrounding spaces
        self.shown = shown  # what the user wrote, for the error message
        self.lead = lead  # how many spaces came before it

    def error(self, message: str, node: ast.AST | None = None, offset: int | None = None, end: int | None = None):
        if offset is None:
            offset = getattr(node, "col_offset", 0)
        if end is None:
            end = getattr(node, "end_col_offset", None) or offset + 1
            if getattr(node, "end_lineno", 1) != 1:
                end = len(self.text)
        return ExpressionError(message, self.shown, offset + self.lead, end - offset)

    def check(self, tree: ast.Expression) -> tuple[str, ...]:
        variables: set[str] = set()
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                message = f"the expression nests too deeply (more than {MAX_DEPTH} levels)"
                if isinstance(node, ast.BinOp):  # a long chain a+b+c+...: point at the operator, not its start
                    start = self.operator_at(node.left.end_col_offset, node.right.col_offset)
                    raise self.error(message, offset=start, end=start + _op_width(self.text, start))
                raise self.error(message, node)
            children = self.check_node(node, variables)
            # reversed, so that the leftmost problem is the one reported
            stack.extend((child, depth + 1) for child in reversed(children))
        self.check_exponents(tree.body)
        return tuple(sorted(variables))

    def check_node(self, node: ast.AST, variables: set[str]) -> list[ast.AST]:
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                hint = _OPERATOR_HINTS.get(type(node.op), f"operator {type(node.op).__name__} is not supported")
                start = self.operator_at(node.left.end_col_offset, node.right.col_offset)
                raise self.error(hint, offset=start, end=start + _op_width(self.text, start))
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.error(_UNARY_HINTS.get(type(node.op), "this operator is not supported"), node,
                                 end=node.operand.col_offset)
            return [node.operand]
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or value is None or value is Ellipsis:
                raise self.error(f"{value!r} is not a number", node)
            if isinstance(value, str):
                raise self.error("strings are not allowed", node)
            if isinstance(value, bytes):
                raise self.error("bytes are not allowed", node)
            if isinstance(value, complex):
                raise self.error("complex numbers are not allowed", node)
            if not isinstance(value, (int, float)):
                raise self.error("only numbers are allowed", node)
            if isinstance(value, int):
                try:
                    float(value)
                except OverflowError:
                    raise self.error("this number is too large", node) from None
            return []
        if isinstance(node, ast.Name):
            self.check_name(node.id, node)
            if node.id in FUNCTIONS:
                raise self.error(f"{node.id} is a function: call it, as in {node.id}(x)", node)
            if node.id not in CONSTANTS:
                variables.add(node.id)
            return []
        if isinstance(node, ast.Call):
            return self.check_call(node)
        message = _REFUSED.get(type(node))
        if message is not None:
            raise self.error(message, **self.where(node))
        raise self.error(f"{type(node).__name__} is not allowed in an expression", node)

    def check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("_"):
            raise self.error(f"names starting with '_' are not allowed ({name!r})", node)
        if len(name) > MAX_NAME:
            raise self.error(f"the name {name[:12]!r}... is too long (at most {MAX_NAME} characters)", node)

    def check_call(self, node: ast.Call) -> list[ast.AST]:
        if node.keywords:
            kw = node.keywords[0]
            raise self.error("keyword arguments are not allowed: pass arguments by position", kw)
        func = node.func
        if not isinstance(func, ast.Name):
            message = _REFUSED.get(type(func))  # e.g. a method call: refuse the attribute itself
            if message is not None:
                raise self.error(message, **self.where(func))
            raise self.error("only a function named in the list can be called, as in exp(x)", func)
        self.check_name(func.id, func)
        if func.id not in FUNCTIONS:
            if func.id in CONSTANTS:
                raise self.error(f"{func.id} is a constant, not a function: write {func.id}*(...) for a product",
                                 func)
            raise self.error(f"unknown function {func.id!r}; the functions are: {', '.join(FUNCTIONS)}", func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error("starred arguments (*args) are not allowed", arg)
        arity = FUNCTIONS[func.id][0]
        if len(node.args) != arity:
            raise self.error(f"{func.id} takes {arity} argument{'s' if arity > 1 else ''}, "
                             f"got {len(node.args)}", node)
        return list(node.args)

    def check_exponents(self, body: ast.AST) -> None:
        """Exponents that do not depend on a variable must be at most MAX_EXPONENT in size."""
        stack = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not _has_variable(node.right):
                stack.append(node.left)  # the exponent's own inner exponents are checked by folding it
                with np.errstate(all="ignore"):
                    value = float(np.asarray(_Evaluator({}, fold=self).visit(node.right)))
                if not (math.isfinite(value) and abs(value) <= MAX_EXPONENT):
                    raise self.error(f"the exponent is too large ({value:.6g}); at most {MAX_EXPONENT} "
                                     "in size", node.right)
            else:
                stack.extend(ast.iter_child_nodes(node))

    def operator_at(self, start: int, stop: int) -> int:
        """The position of the operator between two operands (skipping spaces and parentheses)."""
        for i in range(start, stop):
            if self.text[i] not in " ()":
                return i
        return start

    def where(self, node: ast.AST) -> dict:
        """Where to put the caret for a refused node: at its own symbol where it has one."""
        text = self.text
        if isinstance(node, ast.Attribute):
            dot = text.rfind(".", node.value.end_col_offset, node.end_col_offset - len(node.attr))
            return {"offset": dot if dot >= 0 else node.col_offset, "end": node.end_col_offset}
        if isinstance(node, ast.Subscript):
            bracket = text.find("[", node.value.end_col_offset, node.end_col_offset)
            return {"offset": bracket if bracket >= 0 else node.col_offset, "end": node.end_col_offset}
        if isinstance(node, ast.Compare):
            start = self.operator_at(node.left.end_col_offset, node.comparators[0].col_offset)
            return {"offset": start, "end": start + _op_width(text, start)}
        if isinstance(node, ast.BoolOp):
            start = self.operator_at(node.values[0].end_col_offset, node.values[1].col_offset)
            return {"offset": start, "end": start + _op_width(text, start)}
        if isinstance(node, ast.Tuple) and node.elts and text[node.col_offset] != "(":
            comma = text.find(",", node.elts[0].end_col_offset)
            return {"offset": comma if comma >= 0 else node.col_offset, "end": comma + 1 if comma >= 0 else None}
        if isinstance(node, ast.IfExp):
            start = text.find("if", node.body.end_col_offset)
            return {"offset": start, "end": start + 2} if start >= 0 else {"node": node}
        return {"node": node}


def _op_width(text: str, start: int) -> int:
    """How many characters the operator at `start` takes (e.g. 2 for '**', '//', '<=', 3 for 'and')."""
    end = start
    if text[start].isalpha():
        while end < len(text) and text[end].isalpha():
            end += 1
    else:
        while end < len(text) and text[end] in "*/<>=!%^&|@:" and end - start < 3:
            end += 1
    return max(1, end - start)


def _has_variable(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id not in CONSTANTS for n in ast.walk(node))


def _first_use(tree: ast.AST, name: str) -> int:
    return min((n.col_offset for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name), default=0)


# --- evaluation -------------------------------------------------------------------------------------------


def _as_tensor(value):
    """A tensor for a number, array, tensor or variable (Python numbers and arrays become float64)."""
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "f":
        array = array.astype(np.float64)
    return tf.constant(array)


class _Evaluator:
    """Evaluates a checked tree with tapegrad ops (recursion is safe: depth was checked)."""

    def __init__(self, env: Mapping[str, object], fold: _Checker | None = None):
        self.env = env
        self.fold = fold

    def visit(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return -operand if isinstance(operand, float) else tf.math.negative(operand)
        if isinstance(node, ast.BinOp):
            left, right = self.visit(node.left), self.visit(node.right)
            if isinstance(left, float) and isinstance(right, float):
                left = _as_tensor(left)  # two numbers: computed as float64 by the op (never Python big ints)
            if self.fold is not None and isinstance(node.op, ast.Pow):
                exponent = float(np.asarray(right))
                if not (math.isfinite(exponent) and abs(exponent) <= MAX_EXPONENT):
                    raise self.fold.error(f"the exponent is too large ({exponent:.6g}); at most "
                                          f"{MAX_EXPONENT} in size", node.right)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            op = FUNCTIONS[node.func.id][1]
            return op(*(_as_tensor(self.visit(arg)) for arg in node.args))
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover - parse() refuses it
