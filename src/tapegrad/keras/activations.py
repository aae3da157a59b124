"""`tf.keras.activations`: activation functions by name, built on the op library (`tf.nn`).

Key decision: `softmax` and `sigmoid` remember the logits they were computed from, as Keras 3 does (it sets
`output._keras_logits`), so a probability loss given their output (`from_logits=False`) computes from the
logits instead: `CategoricalCrossentropy()(y, softmax(z))` is exact where clipping would give a bound. Tapegrad
tensors have no attribute dict, so the link lives in a side table keyed by the output tensor's id and is
dropped when the output is garbage collected.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from .. import ops as _ops
from ..ops import nn_ops as _nn
from ..ops.elementwise import softplus as _softplus

__all__ = ["elu", "exponential", "gelu", "get", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6",
           "selu", "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh"]

_LOGITS: dict[int, tuple] = {}


def _remember_logits(output, logits):
    key = output._id
    _LOGITS[key] = (weakref.ref(output, lambda _, k=key: _LOGITS.pop(k, None)), logits)
    return output


def keras_logits(output):
    """The logits `output` was computed from by `softmax`/`sigmoid` (None if it was not)."""
    entry = _LOGITS.get(getattr(output, "_id", None))
    if entry is not None and entry[0]() is output:
        return entry[1]
    return None


def relu(x, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0):
    """max(x, 0), with Keras's options: a slope below the threshold, a cap at `max_value`.

    >>> import tapegrad as tf
    >>> tf.keras.activations.relu(tf.constant([-1.0, 0.5, 8.0]), max_value=6.0).numpy()
    array([0. , 0.5, 6. ], dtype=float32)
    """
    x = _ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return _nn.leaky_relu(x, alpha=negative_slope)
        negative_part = _nn.relu(-x + threshold) if threshold != 0 else _nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = _ops.where(_ops.greater(x, threshold), x, _ops.zeros_like(x))
    elif max_value == 6:
        x = _nn.relu6(x)
        clip_max = False
    else:
        x = _nn.relu(x)
    if clip_max:
        x = _ops.minimum(_ops.maximum(x, 0.0), float(max_value))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope: float = 0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return _nn.leaky_relu(x, alpha=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return _nn.relu6(x)


def softmax(x, axis: int = -1):
    """exp(x) / sum(exp(x)) along `axis`; remembers `x` as the logits for the crossentropy losses.

    >>> import tapegrad as tf
    >>> tf.keras.activations.softmax(tf.constant([[0.0, 0.0]])).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    x = _ops.convert_to_tensor(x)
    return _remember_logits(_nn.softmax(x, axis=axis), x)


def log_softmax(x, axis: int = -1):
    """log(softmax(x)), computed stably."""
    return _nn.log_softmax(x, axis=axis)


def sigmoid(x):
    """1 / (1 + exp(-x)); remembers `x` as the logits for `binary_crossentropy`."""
    x = _ops.convert_to_tensor(x)
    return _remember_logits(_ops.sigmoid(x), x)


def tanh(x):
    """Hyperbolic tangent."""
    return _ops.tanh(x)


def elu(x, alpha: float = 1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    y = _nn.elu(x)
    return y if alpha == 1.0 else _ops.where(_ops.greater(x, 0.0), y, alpha * y)


def selu(x):
    """Scaled ELU (scale 1.0507..., alpha 1.6732...)."""
    return _nn.selu(x)


def softplus(x):
    """log(exp(x) + 1)."""
    return _softplus(x)


def softsign(x):
    """x / (|x| + 1)."""
    return _nn.softsign(x)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return _nn.silu(x)


swish = silu


def gelu(x, approximate: bool = False):
    """Gaussian error linear unit: x * Phi(x) (tanh approximation with `approximate=True`)."""
    return _nn.gelu(x, approximate=approximate)


def exponential(x):
    """exp(x)."""
    return _ops.exp(x)


def mish(x):
    """x * tanh(softplus(x))."""
    return x * _ops.tanh(_softplus(x))


def linear(x):
    """The identity (what `activation=None` means)."""
    return x


_BY_NAME: dict[str, Callable] = {
    "elu": elu, "exponential": exponential, "gelu": gelu, "leaky_relu": leaky_relu, "linear": linear,
    "log_softmax": log_softmax, "mish": mish, "relu": relu, "relu6": relu6, "selu": selu, "sigmoid": sigmoid,
    "silu": silu, "softmax": softmax, "softplus": softplus, "softsign": softsign, "swish": silu, "tanh": tanh,
}


def serialize(activation: Callable) -> str:
    """The name of a built-in activation."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return name
    return getattr(activation, "__name__", str(activation))


def get(identifier) -> Callable:
    """An activation from a name ('relu'), a callable (returned as is) or None (`linear`).

    >>> import tapegrad as tf
    >>> tf.keras.activations.get("relu") is tf.keras.activations.relu
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier).get("name", identifier.get("class_name"))
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"Could not interpret activation function identifier: {identifier}. "
                             f"Known names: {sorted(_BY_NAME)}.")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")
