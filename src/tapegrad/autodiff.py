"""`tf.autodiff`: ForwardAccumulator and the tape classes."""

from ._core import ForwardAccumulator, GradientTape

__all__ = ["ForwardAccumulator", "GradientTape"]
