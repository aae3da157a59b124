"""The engine: Tensor, Variable, the tape stack, GradientTape, the backward sweep, forward mode and the
primitive registry. Imports only `tapegrad._backend` (and NumPy)."""

from .custom import custom_gradient
from .dtypes import DType, as_dtype
from .forward import ForwardAccumulator
from .primitive import REGISTRY, Primitive
from .shape import TensorShape
from .tape import GradientTape, UnconnectedGradients
from .tensor import Tensor, Variable

__all__ = ["DType", "ForwardAccumulator", "GradientTape", "Primitive", "REGISTRY", "Tensor", "TensorShape",
           "UnconnectedGradients", "Variable", "as_dtype", "custom_gradient"]
