"""TensorFlow's exception classes (`tf.errors.*`), raised by tapegrad where TensorFlow raises them.

Key decision: each also derives from the Python exception a non-TensorFlow user would expect
(InvalidArgumentError is a ValueError, ...), so both kinds of `except` clause work.
"""

from __future__ import annotations


class OpError(Exception):
    """An op failed. `op` names it (TensorFlow's op type, e.g. 'MatMul'); `message` says why."""

    def __init__(self, node_def=None, op=None, message: str = "", *args):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(OpError, ValueError):
    """An op received an argument it cannot work with (shapes, dtypes, values)."""


class InvalidIndexError(InvalidArgumentError, IndexError):
    """An index out of range (TensorFlow raises InvalidArgumentError; Python code may expect an IndexError)."""


class UnimplementedError(OpError, NotImplementedError):
    """The op is not implemented for these arguments."""


class OutOfRangeError(OpError, IndexError):
    """An index or value was out of its valid range."""


class NotFoundError(OpError, LookupError):
    """A file, checkpoint or name was not found."""


class FailedPreconditionError(OpError, RuntimeError):
    """The system is not in a state the op needs (e.g. an uninitialized value)."""


class ResourceExhaustedError(OpError, MemoryError):
    """Memory or another resource ran out."""


class InternalError(OpError, RuntimeError):
    """An invariant inside tapegrad broke: please report it."""


class UnknownError(OpError, RuntimeError):
    """An error from a backend library that tapegrad could not classify."""


class CancelledError(OpError):
    """An operation was cancelled."""


class DeadlineExceededError(OpError):
    """A deadline expired before the operation could complete."""


class AlreadyExistsError(OpError):
    """An entity that an operation tried to create already exists."""


class PermissionDeniedError(OpError):
    """The caller does not have permission to run the operation."""


class UnauthenticatedError(OpError):
    """The request does not have valid authentication credentials."""


class AbortedError(OpError):
    """The operation was aborted (e.g. a concurrency conflict)."""


class UnavailableError(OpError):
    """The runtime is currently unavailable."""


class DataLossError(OpError):
    """Unrecoverable data loss or corruption."""
