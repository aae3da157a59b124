"""`tf.keras`: layers, models, activations, initializers, losses, metrics and regularizers (Keras 3's API).

Key decision: imported with tapegrad (it pulls in nothing beyond tapegrad and NumPy); `optimizers` and
`callbacks` are imported on first access (module `__getattr__`), so `tf.keras.optimizers.Adam` works while
the optimizers stay out of the import of everything else.

>>> import tapegrad as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(1)])
>>> model(tf.ones((2, 3))).shape
TensorShape([2, 1])
"""

from __future__ import annotations

import importlib

from . import activations, backend, initializers, layers, losses, metrics, models, random, regularizers, utils
from .layers import Input, InputSpec, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .variables import Variable

__all__ = ["Input", "InputSpec", "Layer", "Loss", "Metric", "Model", "Sequential", "Variable", "activations",
           "backend", "initializers", "layers", "losses", "metrics", "models", "random", "regularizers", "utils"]

_LAZY = ("optimizers", "callbacks")


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
