"""`tf.math`: elementwise math, comparisons and reductions (aliases of the op library)."""

from .ops import (
    abs,
    add,
    cos,
    divide,
    equal,
    exp,
    floordiv,
    floormod,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tanh,
)
from .ops.elementwise import pow  # noqa: A004

truediv = divide
mod = floormod
__all__ = [n for n in dir() if not n.startswith("_")]
