"""tapegrad: TensorFlow's GradientTape API, small, fast and NumPy-backed.

    >>> import tapegrad as tf
    >>> x = tf.Variable(20.0, name="hours_worked")
    >>> with tf.GradientTape() as tape:
    ...     result = 0.25 * x**2 + 500
    >>> print(tape.gradient(result, x))
    tf.Tensor(10.0, shape=(), dtype=float32)

This module is the TensorFlow namespace: imports and aliases only, no logic.
"""

from __future__ import annotations

from . import (  # noqa: E402  # noqa: E402,F401
    _diagnose,  # installs the engine's diagnostic hooks (tape.trace, tape.explain)
    autodiff,
    config,  # tf.config: list_physical_devices, soft placement
    debugging,
    dtypes,
    errors,
    keras,
    linalg,
    math,
    nest,  # tf.nest: flatten, pack_sequence_as, map_structure, assert_same_structure
    nn,
    random,
    train,  # tf.train: checkpoints
)
from . import ops as _ops  # installs Tensor operators and the engine's hooks
from ._core import (
    DType,
    GradientTape,
    Tensor,
    TensorShape,
    UnconnectedGradients,
    Variable,
    as_dtype,
    custom_gradient,
)
from ._core.dtypes import (
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._core.tensor import _TensorLike
from ._device import device  # tf.device
from ._function import TensorSpec, function
from ._module import Module, name_scope
from ._recompute import recompute_grad
from .ops import (
    abs,
    add,
    broadcast_to,
    cast,
    concat,
    constant,
    convert_to_tensor,
    cos,
    divide,
    equal,
    exp,
    expand_dims,
    fill,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    ones,
    ones_like,
    range,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    reshape,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squeeze,
    stack,
    stop_gradient,
    subtract,
    tanh,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)

# Issue 3's op library: each module's __all__ holds the names TensorFlow has at the top level too.
from .ops.array_ops import *  # noqa: E402,F401,F403
from .ops.debug_ops import *  # noqa: E402,F401,F403
from .ops.elementwise import floordiv, floormod, log1p, pow  # noqa: F401
from .ops.linalg_ops import *  # noqa: E402,F401,F403
from .ops.math_ops import *  # noqa: E402,F401,F403
from .ops.nn_ops import *  # noqa: E402,F401,F403
from .ops.random_ops import *  # noqa: E402,F401,F403

__version__ = "0.1.0"
newaxis = None
truediv = divide
mod = floormod


def is_tensor(x) -> bool:
    """True for tapegrad Tensors and Variables (TensorFlow's `tf.is_tensor`)."""
    return isinstance(x, _TensorLike)


__all__ = [n for n in dir() if not n.startswith("_")]
