"""`tf.keras.optimizers.Adagrad`, Keras 3's update equations.

Key decision: both the accumulator and the variable change only where the gradient is nonzero, so a sparse
(IndexedSlices) gradient updates only its rows of each, as Keras's `scatter_add`/`scatter_sub` do.
"""

from __future__ import annotations

import numpy as np

from ..._core.tensor import Variable
from .base_optimizer import Optimizer, _assign_add, _assign_sub, _dtype, _Rows, _scatter, _xp

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: per-parameter learning rates scaled by the accumulated squared gradients.

    `accumulator += g**2`; `w -= learning_rate * g / sqrt(accumulator + epsilon)`, with the accumulators
    starting at `initial_accumulator_value`.

    >>> import tapegrad as tf
    >>> w = tf.Variable([1.0])
    >>> opt = tf.keras.optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    >>> _ = opt.apply_gradients([(tf.constant([3.0]), w)])
    >>> w.numpy()  # 1 - 0.1 * 3 / sqrt(9)
    array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        """Creates one `accumulator` slot per variable, filled with `initial_accumulator_value`."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator",
                                                          initializer=float(self.initial_accumulator_value))

    def update_step(self, gradient, variable: Variable, learning_rate) -> None:
        """One Adagrad update of `variable` and its accumulator from `gradient`."""
        g = self._grad_for(gradient, variable)
        xp, dt = _xp(variable._value), _dtype(variable)
        lr, eps = float(dt(learning_rate)), float(dt(self.epsilon))
        accumulator = self._accumulators[self._get_variable_index(variable)]
        if g.__class__ is _Rows:
            _scatter(accumulator, _Rows(g.values * g.values, g.indices), np.add)
            step = lr * g.values
            step /= np.sqrt(accumulator._value[g.indices] + eps)
            _scatter(variable, _Rows(step, g.indices), np.subtract)
            return
        _assign_add(accumulator, g * g)
        step = lr * g
        step /= xp.sqrt(accumulator._value + eps)
        _assign_sub(variable, step)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
