"""`tf.linalg`: matrix operations (aliases of the op library)."""

from .ops.linalg import matmul, matvec
from .ops.shape import transpose as _transpose


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """`tf.linalg.matrix_transpose`: swaps the last two dimensions."""
    nd = a.ndim
    return _transpose(a, list(range(nd - 2)) + [nd - 1, nd - 2], conjugate=conjugate)


__all__ = ["matmul", "matvec", "matrix_transpose"]
