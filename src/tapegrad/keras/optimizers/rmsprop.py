"""`tf.keras.optimizers.RMSprop` (with momentum and the centered variant), Keras 3's update equations.

Key decision: the velocity (and the centered average) decay on every row, but without momentum the variable's
update is zero where the gradient is, so a sparse (IndexedSlices) gradient updates only its rows of the
variable, as Keras's `scatter_sub` does.
"""

from __future__ import annotations

import numpy as np

from ..._core.tensor import Variable
from .base_optimizer import Optimizer, _assign_sub, _dtype, _Rows, _scatter, _xp

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    `v = rho * v + (1 - rho) * g**2`; `w -= learning_rate * g / sqrt(v + epsilon)`. `centered` subtracts the
    square of the running mean gradient from `v`; with `momentum`,
    `mom = momentum * mom + learning_rate * g / sqrt(...)` and `w -= mom`.

    >>> import tapegrad as tf
    >>> w = tf.Variable([1.0])
    >>> opt = tf.keras.optimizers.RMSprop(learning_rate=0.01, rho=0.9)
    >>> _ = opt.apply_gradients([(tf.constant([2.0]), w)])
    >>> w.numpy()  # 1 - 0.01 * 2 / sqrt(0.1 * 4)
    array([0.96837723], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list) -> None:
        """Creates the `velocity` slots (and `momentum`, `average_gradient` as configured)."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable: Variable, learning_rate) -> None:
        """One RMSprop update of `variable` and its slots from `gradient`."""
        g = self._grad_for(gradient, variable)
        dtype = variable._value.dtype
        xp, dt = _xp(variable._value), _dtype(variable)
        lr = float(dt(learning_rate))
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        rho, one_minus_rho, eps = float(dt(self.rho)), float(dt(1 - self.rho)), float(dt(self.epsilon))
        rows = None
        if g.__class__ is _Rows:
            if self.momentum > 0:
                g = g.dense(variable._value.shape, dtype)
            else:
                rows, g = g, g.values
        # velocity = rho * velocity + (1 - rho) * g**2 (rows of g alone: the other rows only decay)
        if rows is None:
            new_v = velocity._value * rho
            new_v += one_minus_rho * (g * g)
        else:
            new_v = velocity._value * rho
            new_v[rows.indices] += one_minus_rho * (g * g)
        velocity._value = new_v
        if self.centered:
            average = self._average_gradients[index]
            new_a = average._value * rho
            if rows is None:
                new_a += one_minus_rho * g
            else:
                new_a[rows.indices] += one_minus_rho * g
            average._value = new_a
            if rows is None:
                denominator = new_v - new_a * new_a
            else:
                denominator = new_v[rows.indices] - new_a[rows.indices] * new_a[rows.indices]
            denominator += eps
        else:
            denominator = (new_v if rows is None else new_v[rows.indices]) + eps
        increment = lr * g
        increment /= xp.sqrt(denominator)
        if self.momentum > 0:
            mom = self._momentums[index]
            new_m = float(dt(self.momentum)) * mom._value
            new_m += increment
            mom._value = new_m
            _assign_sub(variable, new_m)
        elif rows is not None:
            _scatter(variable, _Rows(increment, rows.indices), np.subtract)
        else:
            _assign_sub(variable, increment)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
