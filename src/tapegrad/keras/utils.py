"""`tf.keras.utils`: `set_random_seed`, the one call that makes a Keras program's randomness repeatable."""

from __future__ import annotations

import random as _pyrandom

import numpy as np

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random` (unseeded initializers and seed generators draw their seeds from it), NumPy
    and `tf.random`, and resets the global Keras seed generator, as Keras does.

    >>> import tapegrad as tf
    >>> tf.keras.utils.set_random_seed(0); a = tf.keras.layers.Dense(2)(tf.ones((1, 2)))
    >>> tf.keras.utils.set_random_seed(0); b = tf.keras.layers.Dense(2)(tf.ones((1, 2)))
    >>> bool(tf.reduce_all(a == b))
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    from ..ops.random_ops import set_seed
    from . import random as _random

    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)
    set_seed(seed)
    _random._global_generator[0] = None
