"""`tf.keras.optimizers.schedules`: learning rates as functions of the optimizer's step.

Key decision: a schedule is evaluated once per optimizer step on a scalar, so it computes with NumPy scalars of
the initial learning rate's dtype (float32 for a Python float, as Keras converts it), following Keras 3's
formulas operation by operation, and returns a float32 `tf.Tensor` as Keras does.
"""

from __future__ import annotations

import math

import numpy as np

from ..._core.tensor import Tensor, _TensorLike, wrap

__all__ = ["CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule", "PiecewiseConstantDecay",
           "PolynomialDecay", "deserialize", "serialize"]


def _float(x) -> np.ndarray:
    """A Python number or tensor as a NumPy scalar: Python floats become float32, as TensorFlow converts them."""
    if isinstance(x, _TensorLike):
        return np.asarray(x.numpy())
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    return np.asarray(x, np.float32 if isinstance(x, float) else None)


def _step(step, dtype) -> np.ndarray:
    value = step.numpy() if isinstance(step, _TensorLike) else step
    return np.asarray(value).astype(dtype)


class LearningRateSchedule:
    """The learning-rate schedule base class: subclass it and implement `__call__(step)` (and `get_config`).

    >>> import tapegrad as tf
    >>> class Halving(tf.keras.optimizers.schedules.LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 / 2.0 ** tf.cast(step, tf.float32)
    >>> opt = tf.keras.optimizers.SGD(learning_rate=Halving())
    >>> float(opt.learning_rate)
    0.10000000149011612
    """

    def __call__(self, step) -> Tensor:
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' must override "
                                  "`__call__(self, step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
                                  "in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict):
        """A schedule made from `get_config()`'s dict."""
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: their arguments, config and decay progress."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def _progress(self, step):
        """(learning rate, its NumPy scalar type, step / decay_steps, floored with `staircase`)."""
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype.type
        p = _step(step, lr.dtype) / dt(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return lr, dt, p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase`, the exponent is floored.

    >>> import tapegrad as tf
    >>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> print(s(25))
    tf.Tensor(0.025, shape=(), dtype=float32)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str = "ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step) -> Tensor:
        lr, dt, p = self._progress(step)
        return wrap(dt(lr * np.power(dt(self.decay_rate), p)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[1]` while `step <= boundaries[1]`, ..., `values[-1]`.

    >>> import tapegrad as tf
    >>> s = tf.keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [float(s(n)) for n in (10, 11, 21)]
    [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length "
                             f"{len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step) -> Tensor:
        s = float(_step(step, np.float64))
        for boundary, value in zip(self.boundaries, self.values):
            if s <= boundary:
                return wrap(_float(value)[()])
        return wrap(_float(self.values[-1])[()])

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end` (`cycle` restarts it).

    >>> import tapegrad as tf
    >>> s = tf.keras.optimizers.schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.0)
    >>> round(float(s(5)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def __call__(self, step) -> Tensor:
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype.type
        end, power = dt(self.end_learning_rate), dt(self.power)
        s = _step(step, lr.dtype)
        decay_steps = dt(self.decay_steps)
        if self.cycle:
            multiplier = dt(1.0) if s == 0 else np.ceil(s / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            s = np.minimum(s, decay_steps)
        p = s / decay_steps
        return wrap(dt((lr - end) * np.power(dt(1) - p, power) + end))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (the quotient floored with `staircase`).

    >>> import tapegrad as tf
    >>> float(tf.keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 0.5)(2))
    0.05000000074505806
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str = "InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step) -> Tensor:
        lr, dt, p = self._progress(step)
        return wrap(dt(lr / (dt(1) + dt(self.decay_rate) * p)))


class CosineDecay(LearningRateSchedule):
    """Cosine decay from `initial_learning_rate` to `alpha * initial_learning_rate` over `decay_steps`, after
    an optional linear warmup to `warmup_target` over `warmup_steps`.

    >>> import tapegrad as tf
    >>> s = tf.keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    >>> [round(float(s(n)), 6) for n in (0, 50, 100, 200)]
    [0.1, 0.055, 0.01, 0.01]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str = "CosineDecay",
                 warmup_target: float | None = None, warmup_steps: int = 0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def _decay(self, step, decay_steps, decay_from_lr, dt):
        completed = step / decay_steps
        cosine = dt(0.5) * (dt(1.0) + np.cos(dt(math.pi) * completed))
        decayed = dt(1 - self.alpha) * cosine + dt(self.alpha)
        return decay_from_lr * decayed

    def __call__(self, step) -> Tensor:
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype.type
        decay_steps = dt(self.decay_steps)
        s = _step(step, lr.dtype)
        if self.warmup_target is None:
            return wrap(dt(self._decay(np.minimum(s, decay_steps), decay_steps, lr, dt)))
        target, warmup = dt(self.warmup_target), dt(self.warmup_steps)
        s = np.minimum(s, decay_steps + warmup)
        if s < warmup:
            return wrap(dt((target - lr) * (s / warmup) + lr))
        return wrap(dt(self._decay(s - warmup, decay_steps, target, dt)))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_BUILTIN = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                                    CosineDecay)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """The schedule as Keras serializes it: {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.optimizers.schedules", "class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """The schedule `serialize` described."""
    classes = {**_BUILTIN, **(custom_objects or {})}
    name = config.get("class_name")
    if name not in classes:
        raise ValueError(f"Unknown learning rate schedule: '{name}'. Pass it in `custom_objects`.")
    return classes[name].from_config(config.get("config", {}))
