"""`tf.linalg`: matrix operations (aliases of the op library)."""

from .ops.array_ops import einsum, tensordot
from .ops.creation import eye
from .ops.linalg import matmul, matvec
from .ops.linalg_ops import (
    adjoint,
    band_part,
    cholesky,
    cholesky_solve,
    cross,
    det,
    diag,
    diag_part,
    eigh,
    eigvalsh,
    inv,
    logdet,
    lstsq,
    matrix_rank,
    matrix_transpose,
    norm,
    normalize,
    pinv,
    qr,
    set_diag,
    slogdet,
    solve,
    svd,
    tensor_diag,
    tensor_diag_part,
    trace,
    triangular_solve,
)
from .ops.nn_ops import l2_normalize

transpose = matrix_transpose
__all__ = [n for n in dir() if not n.startswith("_")]
