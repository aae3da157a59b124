"""`tf.keras.optimizers.AdamW`: Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as in Keras 3.

Key decision: the decay is the base optimizer's `weight_decay` step (`w -= w * weight_decay * learning_rate`,
before the Adam update), exactly Keras's; AdamW only makes it required.
"""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay: `w -= w * weight_decay * learning_rate`, then the Adam step.

    >>> import tapegrad as tf
    >>> w = tf.Variable([1.0])
    >>> opt = tf.keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> _ = opt.apply_gradients([(tf.constant([0.0]), w)])  # no gradient: only the decay moves w
    >>> w.numpy()
    array([0.95], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
