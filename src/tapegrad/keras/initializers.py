"""`tf.keras.initializers`: the starting values of layer weights, as Keras 3 computes them.

Key decision: Keras 3's seeding. A seeded initializer (`GlorotUniform(seed=1)`) returns the same values on
every call; an unseeded one picks its seed once, at construction, from Python's `random`, so it too is
repeatable, and two unseeded instances differ (see `tapegrad.keras.random`). Fans follow Keras's
`compute_fans`: a matrix is (fan_in, fan_out) = (rows, columns); a convolution kernel of shape
(kh, kw, in, out) has fan_in = kh * kw * in and fan_out = kh * kw * out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import ops as _ops
from . import backend as _backend
from . import random as _random

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
           "LecunNormal", "LecunUniform", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "Zeros", "compute_fans", "get"]


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a tensor of that shape."""

    def __call__(self, shape: Sequence[int], dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


def _shape(shape) -> tuple:
    return tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else tuple(shape)))


def _float_dtype(dtype, who: str):
    dtype = _backend.floatx() if dtype is None else dtype
    from .._core import dtypes as _dt

    if not _dt.as_dtype(dtype).is_floating:
        raise ValueError(f"{who} only supports floating dtypes; got dtype={_dt.as_dtype(dtype).name}.")
    return dtype


class Zeros(Initializer):
    """All zeros.

    >>> import tapegrad as tf
    >>> tf.keras.initializers.Zeros()((2,)).numpy()
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return _ops.zeros(_shape(shape), dtype=_backend.floatx() if dtype is None else dtype)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return _ops.ones(_shape(shape), dtype=_backend.floatx() if dtype is None else dtype)


class Constant(Initializer):
    """Every element `value` (a scalar).

    >>> import tapegrad as tf
    >>> tf.keras.initializers.Constant(3.0)((2,)).numpy()
    array([3., 3.], dtype=float32)
    """

    def __init__(self, value: float = 0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _backend.floatx() if dtype is None else dtype
        return _ops.cast(_ops.broadcast_to(_ops.convert_to_tensor(np.asarray(self.value)), _shape(shape)), dtype)

    def get_config(self) -> dict:
        return {"value": self.value}


class Identity(Initializer):
    """The identity matrix times `gain` (2-D shapes only)."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. Received: "
                             f"shape={shape} of rank {len(shape)}.")
        dtype = _float_dtype(dtype, "Identity")
        return _ops.cast(_ops.convert_to_tensor(self.gain * np.eye(*shape)), dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds the seed (an int, a SeedGenerator, or None for a fresh one)."""

    def __init__(self, seed=None):
        self._init_seed = seed
        if seed is None:
            seed = _random.make_default_seed()
        elif not isinstance(seed, (int, np.integer, _random.SeedGenerator)) or isinstance(seed, bool):
            raise ValueError("`seed` argument should be an instance of `keras.random.SeedGenerator()` or an "
                             f"integer. Received: seed={seed}")
        self.seed = seed

    def get_config(self) -> dict:
        return {"seed": self._init_seed}


class RandomNormal(RandomInitializer):
    """Normal samples, mean 0 and standard deviation 0.05 by default.

    >>> import tapegrad as tf
    >>> init = tf.keras.initializers.RandomNormal(stddev=1.0, seed=1)
    >>> bool(tf.reduce_all(init((3,)) == init((3,))))  # a seeded initializer repeats itself
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.normal(_shape(shape), mean=self.mean, stddev=self.stddev, seed=self.seed,
                              dtype=_float_dtype(dtype, "RandomNormal"))

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal samples redrawn beyond two standard deviations (mean 0, stddev 0.05 by default)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.truncated_normal(_shape(shape), mean=self.mean, stddev=self.stddev, seed=self.seed,
                                        dtype=_float_dtype(dtype, "TruncatedNormal"))

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform samples in [minval, maxval), [-0.05, 0.05) by default."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.uniform(_shape(shape), minval=self.minval, maxval=self.maxval, seed=self.seed,
                               dtype=_float_dtype(dtype, "RandomUniform"))

    def get_config(self) -> dict:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape: Sequence[int], input_axes=None, output_axes=None) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape, as Keras computes them.

    >>> from tapegrad.keras.initializers import compute_fans
    >>> compute_fans((4, 3)), compute_fans((3, 3, 2, 8))
    ((4, 3), (18, 72))
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return int(math.prod(shape[a] for a in input_axes)), int(math.prod(shape[a] for a in output_axes))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = math.prod(shape[:-2])  # a convolution kernel: (..., input_depth, depth)
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


class VarianceScaling(RandomInitializer):
    """Samples whose variance is `scale / n`, n the fan-in, fan-out or their average.

    `distribution`: 'truncated_normal' (stddev sqrt(scale / n) / 0.8796..., the truncation's correction),
    'untruncated_normal' (stddev sqrt(scale / n)) or 'uniform' (limit sqrt(3 * scale / n)).
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = {"fan_in", "fan_out", "fan_avg"}
        if mode not in allowed_modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {allowed_modes}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = {"uniform", "truncated_normal", "untruncated_normal"}
        if distribution not in allowed:
            raise ValueError(f"Invalid `distribution` argument: {distribution}.Please use one of {allowed}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        dtype = _float_dtype(dtype, type(self).__name__)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        scale = self.scale
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _random.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return _random.normal(shape, mean=0.0, stddev=math.sqrt(scale), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random.uniform(shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _Fixed(VarianceScaling):
    """A VarianceScaling with fixed parameters: only the seed is configurable."""

    _params: tuple = ()

    def __init__(self, seed=None):
        scale, mode, distribution = self._params
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self._init_seed}


class GlorotUniform(_Fixed):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Keras's default kernel initializer).

    >>> import tapegrad as tf
    >>> w = tf.keras.initializers.GlorotUniform(seed=0)((4, 3))
    >>> bool(tf.reduce_max(tf.abs(w)) <= (6 / 7) ** 0.5)
    True
    """

    _params = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Fixed):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    _params = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Fixed):
    """Truncated normal with stddev sqrt(2 / fan_in)."""

    _params = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Fixed):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in)."""

    _params = (2.0, "fan_in", "uniform")


class LecunNormal(_Fixed):
    """Truncated normal with stddev sqrt(1 / fan_in)."""

    _params = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Fixed):
    """Uniform in [-limit, limit], limit = sqrt(3 / fan_in)."""

    _params = (1.0, "fan_in", "uniform")


_BY_NAME = {
    "constant": Constant, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform, "he_normal": HeNormal,
    "he_uniform": HeUniform, "identity": Identity, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "normal": RandomNormal, "ones": Ones, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "uniform": RandomUniform, "variance_scaling": VarianceScaling,
    "zeros": Zeros,
}
for _cls in set(_BY_NAME.values()):
    _BY_NAME[_cls.__name__] = _cls


def serialize(initializer: Initializer) -> dict:
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config: dict) -> Initializer:
    cls = _BY_NAME.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown initializer: {config['class_name']!r}.")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'GlorotUniform'), a config dict, an instance or a callable.

    A name gives a fresh instance each time (so each layer gets its own seed).

    >>> import tapegrad as tf
    >>> type(tf.keras.initializers.get("he_normal")).__name__
    'HeNormal'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier}. Known names: "
                             f"{sorted(k for k in _BY_NAME if k.islower())}.")
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")


# Keras's lower-case aliases (keras.initializers.glorot_uniform is the class).
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
