"""`tf.keras.random`: seeded random tensors and `SeedGenerator`, as Keras 3 draws them.

Key decision (Keras 3's): every draw is stateless, from a seed pair. An integer seed `s` is the pair
`[s, 0]`, so the same integer gives the same values on every call (a seeded initializer is reproducible). A
`SeedGenerator` holds the pair in a non-trainable int64 variable and advances its second half by one per draw
(a seeded Dropout layer gives a new mask each call, the same sequence each run). An unseeded initializer or
generator draws its seed from Python's `random` module, as Keras does: `tf.keras.utils.set_random_seed` makes
it reproducible, `tf.random.set_seed` alone does not. The bits differ from TensorFlow's Philox: the
distributions and the reproducibility are the same, the numbers are not.
"""

from __future__ import annotations

import random as _pyrandom

import numpy as np

from .. import ops as _ops
from ..ops import random_ops as _rops
from . import backend as _backend

__all__ = ["SeedGenerator", "dropout", "normal", "truncated_normal", "uniform"]

_global_generator: list = [None]


def make_default_seed() -> int:
    """A fresh integer seed from Python's `random` (what an unseeded Keras initializer uses)."""
    return _pyrandom.randint(1, int(1e9))


class SeedGenerator:
    """The state of a sequence of random draws: `next()` returns a seed pair and advances it.

    >>> import tapegrad as tf
    >>> gen = tf.keras.random.SeedGenerator(42)
    >>> a = tf.keras.random.normal((2,), seed=gen); b = tf.keras.random.normal((2,), seed=gen)
    >>> bool(tf.reduce_all(a == b))
    False
    """

    def __init__(self, seed: int | None = None, name: str | None = None):
        from .variables import Variable  # variables imports this module

        self.name = _backend.auto_name("SeedGenerator") if name is None else name
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        with _backend.name_scope(self.name, caller=self):
            self.state = Variable(np.array([int(seed), 0], dtype=np.int64), shape=(2,), dtype="int64",
                                  trainable=False, name="seed_generator_state")

    def next(self, ordered: bool = True) -> tuple[int, int]:
        s = self.state.numpy()
        seed = (int(s[0]), int(s[1]))
        if ordered:
            self.state.assign(s + np.array([0, 1], dtype=np.int64))
        else:
            self.state.assign((s + 1) * 5387 % 933199)
        return seed

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}


def draw_seed(seed) -> tuple[int, int]:
    """The seed pair for one draw: `[seed, 0]` for an integer, the generator's next pair for a SeedGenerator,
    the global generator's next pair for None."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return (int(seed) & 0xFFFFFFFF, 0)
    if seed is None:
        if _global_generator[0] is None:
            _global_generator[0] = SeedGenerator(name="global_seed_generator")
        return _global_generator[0].next(ordered=False)
    raise ValueError("Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed} (of type {type(seed)})")


def _dtype(dtype):
    return _backend.floatx() if dtype is None else dtype


def normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None, seed=None):
    """Normal samples; `seed` is an int (same values each call), a SeedGenerator, or None."""
    return _rops.stateless_normal(shape, seed=draw_seed(seed), mean=mean, stddev=stddev, dtype=_dtype(dtype))


def truncated_normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None, seed=None):
    """Normal samples redrawn beyond two standard deviations."""
    return _rops.stateless_truncated_normal(shape, seed=draw_seed(seed), mean=mean, stddev=stddev,
                                            dtype=_dtype(dtype))


def uniform(shape, minval: float = 0.0, maxval: float = 1.0, dtype=None, seed=None):
    """Uniform samples in [minval, maxval)."""
    return _rops.stateless_uniform(shape, seed=draw_seed(seed), minval=minval, maxval=maxval, dtype=_dtype(dtype))


def dropout(inputs, rate: float, noise_shape=None, seed=None):
    """Zeroes each element with probability `rate` and scales the others by 1 / (1 - rate).

    As TensorFlow's stateless dropout: an element is kept where a uniform draw is >= rate.
    """
    inputs = _ops.convert_to_tensor(inputs)
    if rate == 1.0:
        return _ops.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    shape = tuple(inputs.shape) if noise_shape is None else tuple(
        d if d is not None else inputs.shape[i] for i, d in enumerate(noise_shape))
    draws = _rops.stateless_uniform(shape, seed=draw_seed(seed), dtype=inputs.dtype)
    keep = _ops.cast(_ops.greater_equal(draws, rate), inputs.dtype)
    return inputs * (keep * (1.0 / (1.0 - rate)))
