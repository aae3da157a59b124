"""`tf.keras.optimizers.Adam` (with AMSGrad), following Keras 3's update equations operation by operation.

Key decision: the moments decay on every row, so a sparse (IndexedSlices) gradient is used dense: the
numbers are those of the dense gradient (Keras with repeated indices differs, see base_optimizer).
"""

from __future__ import annotations

import numpy as np

from ..._core.tensor import Variable
from .base_optimizer import Optimizer, _assign_sub, _dtype, _Rows, _xp

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: adaptive estimates of the gradient's first and second moments (Kingma and Ba, 2014).

    With `t = iterations + 1`: `m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)` and
    `w -= learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`; with `amsgrad`,
    `v` in the last step is the running maximum of `v`.

    >>> import tapegrad as tf
    >>> w = tf.Variable([1.0, -1.0])
    >>> opt = tf.keras.optimizers.Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -2.0]), w)])
    >>> w.numpy().round(4)  # the first step moves each weight by about learning_rate
    array([ 0.9, -0.9], dtype=float32)
    >>> [v.name for v in opt.variables]  # the step count, the learning rate, then two slots per variable
    ['iteration', 'learning_rate', 'Variable_0_momentum', 'Variable_0_velocity']
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list) -> None:
        """Creates the `momentum` and `velocity` slots (and `velocity_hat` with AMSGrad) of each variable."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable: Variable, learning_rate) -> None:
        """One Adam update of `variable` and its moments from `gradient`."""
        g = self._grad_for(gradient, variable)
        dtype = variable._value.dtype
        if g.__class__ is _Rows:
            g = g.dense(variable._value.shape, dtype)
        xp, dt = _xp(variable._value), _dtype(variable)
        local_step = dt(self.iterations._value + 1)
        beta_1_power = np.power(dt(self.beta_1), local_step)
        beta_2_power = np.power(dt(self.beta_2), local_step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        alpha = float(dt(learning_rate) * np.sqrt(dt(1) - beta_2_power) / (dt(1) - beta_1_power))
        new_m = g - m._value
        new_m *= float(dt(1 - self.beta_1))
        new_m += m._value
        m._value = new_m
        new_v = g * g
        new_v -= v._value
        new_v *= float(dt(1 - self.beta_2))
        new_v += v._value
        v._value = new_v
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_hat._value = xp.maximum(v_hat._value, new_v)
            new_v = v_hat._value
        denominator = xp.sqrt(new_v)
        denominator += float(dt(self.epsilon))
        step = new_m * alpha
        step /= denominator
        _assign_sub(variable, step)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
