"""`tf.keras.regularizers`: weight penalties that layers add to `layer.losses`.

Key decision (Keras 3's): a regularizer is attached to the variable it penalizes, and `layer.losses`
evaluates it on the variable's current value each time it is read, so the penalty is recorded by the tape
that reads it and follows every optimizer step.
"""

from __future__ import annotations

import math

from .. import ops as _ops

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get"]


def _validate(value, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) or \
            math.isinf(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: "
                         f"{name}={value}")
    return float(value)


class Regularizer:
    """Base class: `regularizer(x)` returns a scalar penalty for the weight tensor `x`."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2).

    >>> import tapegrad as tf
    >>> print(tf.keras.regularizers.L1L2(l1=0.1, l2=0.01)(tf.constant([1.0, -2.0])))
    tf.Tensor(0.35000002, shape=(), dtype=float32)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _validate(l1, "l1")
        self.l2 = _validate(l2, "l2")

    def __call__(self, x):
        x = _ops.convert_to_tensor(x)
        penalty = _ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = penalty + self.l1 * _ops.reduce_sum(_ops.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * _ops.reduce_sum(_ops.square(x))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|), l1 = 0.01 by default."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _validate(l1, "l1")

    def __call__(self, x):
        return self.l1 * _ops.reduce_sum(_ops.abs(x))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x ** 2), l2 = 0.01 by default (no 1/2 factor, unlike tf.nn.l2_loss).

    >>> import tapegrad as tf
    >>> float(tf.keras.regularizers.L2(0.5)(tf.constant([1.0, 2.0])))
    2.5
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _validate(l2, "l2")

    def __call__(self, x):
        return self.l2 * _ops.reduce_sum(_ops.square(x))

    def get_config(self) -> dict:
        return {"l2": self.l2}


l1 = L1
l2 = L2
l1_l2 = L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from a name ('l1', 'l2', 'l1_l2'), a config dict, an instance or a callable; None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier}. Known names: "
                             "'l1', 'l2', 'l1_l2'.")
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
