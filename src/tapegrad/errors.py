"""`tf.errors`: TensorFlow's exception classes."""

from ._core.errors import (FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, OpError,
                           OutOfRangeError, ResourceExhaustedError, UnimplementedError, UnknownError)

__all__ = ["FailedPreconditionError", "InternalError", "InvalidArgumentError", "NotFoundError", "OpError",
           "OutOfRangeError", "ResourceExhaustedError", "UnimplementedError", "UnknownError"]
