"""`tf.keras.optimizers.SGD`: gradient descent, with momentum and Nesterov momentum (Keras 3's equations).

Key decision: without momentum a sparse (IndexedSlices) gradient updates only its rows, as Keras's
`scatter_sub` does; with momentum every row's velocity decays, so the gradient is used dense.
"""

from __future__ import annotations

import numpy as np

from ..._core.tensor import Variable
from .base_optimizer import Optimizer, _assign_add, _dtype, _owned, _Rows, _scatter

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent (with momentum).

    Without momentum: `w = w - learning_rate * g`. With momentum:
    `velocity = momentum * velocity - learning_rate * g; w = w + velocity`, and with `nesterov=True`
    `w = w + momentum * velocity - learning_rate * g`.

    >>> import tapegrad as tf
    >>> w = tf.Variable(1.0)
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.minimize(lambda: w * w, [w])  # d(w*w)/dw = 2w
    >>> round(float(w), 4)
    0.46
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables) -> None:
        """Creates one `momentum` slot per variable (none when `momentum` is 0)."""
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable: Variable, learning_rate) -> None:
        """One SGD update of `variable` from `gradient`."""
        g = self._grad_for(gradient, variable)
        dt = _dtype(variable)
        lr = float(dt(learning_rate))
        if self.momentum == 0:
            if g.__class__ is _Rows:
                _scatter(variable, _Rows(g.values * lr, g.indices), np.subtract)
            elif _owned(variable) is not None:
                variable._value -= g * lr  # in place: nothing else holds the buffer
            else:
                step = g * -lr
                step += variable._value
                variable._value = step
            return
        if g.__class__ is _Rows:
            g = g.dense(variable._value.shape, variable._value.dtype)
        m = self.momentums[self._get_variable_index(variable)]
        mom = float(dt(self.momentum))
        gl = g * lr
        velocity = m._value * mom
        velocity -= gl
        m._value = velocity
        if self.nesterov:
            step = velocity * mom
            step -= gl
            _assign_add(variable, step)
        else:
            _assign_add(variable, velocity)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
