"""`tf.keras.optimizers`: SGD, Adam, AdamW, RMSprop, Adagrad and learning-rate `schedules`, as in Keras 3.

Key decision: one module per optimizer, each a transcription of Keras 3's `update_step` on arrays (see
base_optimizer.py for why updates bypass the tape and when they write in place); `get` resolves the names
Keras accepts ('sgd', 'adam', ...).
"""

from __future__ import annotations

from . import schedules
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .base_optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "deserialize", "get", "schedules", "serialize"]

_ALL = {c.__name__.lower(): c for c in (SGD, Adagrad, Adam, AdamW, RMSprop)}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as Keras serializes it: {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None, use_legacy_format: bool = False) -> Optimizer:
    """The optimizer `serialize` described (class names are case-insensitive, as in Keras)."""
    classes = {**_ALL, **{k.lower(): v for k, v in (custom_objects or {}).items()}}
    name = str(config.get("class_name", "")).lower()
    if name not in classes:
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    return classes[name].from_config(config.get("config", {}))


def get(identifier) -> Optimizer:
    """An optimizer from a name ('adam'), a config dict or an optimizer (returned as it is).

    >>> import tapegrad as tf
    >>> type(tf.keras.optimizers.get("rmsprop")).__name__
    'RMSprop'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier.lower() in _ALL:
        return _ALL[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
