"""Matrix products: matmul (transpose/adjoint flags, batched) and matvec.

Key decision: the transpose flags are parameters of one MatMul primitive (BLAS reads transposed operands
without copying), so each gradient is a single matmul with the right flags, batched cotangents included.
"""

from __future__ import annotations

import numpy as np

from .._core import dtypes as _dt
from .._core.primitive import apply, as_input, defjvp, defprimitive, defvjp, samples
from . import _samples as S


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2) if hasattr(xp, "swapaxes") else xp.matrix_transpose(a)


def _matmul_impl(xp, a, b, ta, tb):
    if ta:
        a = _mT(xp, a)
    if tb:
        b = _mT(xp, b)
    if xp is np and (a.ndim > 2) != (b.ndim > 2):
        return _folded_matmul(a, b)
    return xp.matmul(a, b)


def _folded_matmul(a, b):
    """A stack of matrices times one matrix as a single GEMM (NumPy would loop one GEMM per matrix).

    Batched cotangents (vectorized Jacobians) hit this: e.g. W^T @ g with g of shape (n, k, 1).
    """
    if a.ndim > 2:  # (..., m, k) @ (k, n)
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
    # (m, k) @ (..., k, n): fold the stack into columns
    k, n = b.shape[-2], b.shape[-1]
    cols = np.moveaxis(b, -2, 0).reshape(k, -1)
    r = (a @ cols).reshape((a.shape[0],) + b.shape[:-2] + (n,))
    return np.moveaxis(r, 0, -2)


MatMul = defprimitive("MatMul", _matmul_impl)


def _mm(a, b, ta=False, tb=False):
    return apply(MatMul, (a, b), {"ta": ta, "tb": tb})


def _matmul_vjp_a(g, ans, a, b, ta, tb):
    if ta:
        return _mm(b, g, tb, True)   # d(a^T) -> (op(b) g^T)
    return _mm(g, b, False, not tb)


def _matmul_vjp_b(g, ans, a, b, ta, tb):
    if tb:
        return _mm(g, a, True, ta)   # (op(a)^T g)^T = g^T op(a)
    return _mm(a, g, not ta, False)


defvjp(MatMul, _matmul_vjp_a, _matmul_vjp_b)
defjvp(MatMul, lambda t, ans, a, b, ta, tb: _mm(t, b, ta, tb), lambda t, ans, a, b, ta, tb: _mm(a, t, ta, tb))
samples(MatMul, lambda: [((S.arr((2, 3)), S.arr((3, 4), seed=1)), {"ta": False, "tb": False}),
                         ((S.arr((3, 2)), S.arr((3, 4), seed=1)), {"ta": True, "tb": False}),
                         ((S.arr((2, 3)), S.arr((4, 3), seed=1)), {"ta": False, "tb": True}),
                         ((S.arr((3, 2)), S.arr((4, 3), seed=1)), {"ta": True, "tb": True}),
                         ((S.arr((2, 2, 3)), S.arr((3, 4), seed=1)), {"ta": False, "tb": False}),
                         ((S.arr((2, 1, 3, 2)), S.arr((3, 3, 4), seed=1)), {"ta": True, "tb": False}),
                         ((S.arr((1, 3)), S.arr((2, 3, 1), seed=1)), {"ta": False, "tb": False})])


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, output_type=None, grad_a=False, grad_b=False, name=None):
    """`tf.linalg.matmul`: the matrix product of the last two dimensions, batched over leading ones.

    Args:
      a, b: tensors of rank >= 2 with the same dtype.
      transpose_a, transpose_b, adjoint_a, adjoint_b: use the (conjugate) transpose of an operand.
    Raises:
      InvalidArgumentError: rank < 2, mismatched inner dimensions, or different dtypes.

    >>> import tapegrad as tf
    >>> tf.matmul(tf.ones((2, 3)), tf.ones((3, 4))).shape
    TensorShape([2, 4])
    """
    from .._core.errors import InvalidArgumentError
    from .._core.primitive import _binary_inputs

    a, b = _binary_inputs(MatMul, a, b)
    if not hasattr(a, "_value"):
        a = as_input(a)
    if not hasattr(b, "_value"):
        from .._core.primitive import convert

        b = convert(b, a.dtype)
    sa, sb = tuple(a._value.shape), tuple(b._value.shape)
    if len(sa) < 2 or len(sb) < 2:
        raise InvalidArgumentError(None, "MatMul", f"In[0] and In[1] must be at least rank 2 for MatMul, got shapes "
                                   f"{list(sa)} and {list(sb)} [Op:MatMul]. For a matrix times a vector use "
                                   "tf.linalg.matvec, or tf.expand_dims the vector.")
    ta = bool(transpose_a or adjoint_a)
    tb = bool(transpose_b or adjoint_b)
    k_a = sa[-2] if ta else sa[-1]
    k_b = sb[-1] if tb else sb[-2]
    if k_a != k_b:
        raise InvalidArgumentError(None, "MatMul", f"Matrix size-incompatible: In[0]: {list(sa)}, In[1]: {list(sb)} "
                                   f"(transpose_a={ta}, transpose_b={tb}): the inner dimensions {k_a} and {k_b} "
                                   "must match [Op:MatMul].")
    out = _mm(a, b, ta, tb)
    if a._value.dtype.kind == "c" and (adjoint_a or adjoint_b):
        raise NotImplementedError("matmul with adjoint_a/adjoint_b on complex tensors is not supported yet.")
    if output_type is not None and _dt.as_dtype(output_type) != out.dtype:
        from .elementwise import cast

        out = cast(out, output_type)
    return out


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """`tf.linalg.matvec`: the matrix-vector product `a @ b` over the last dims (batched).

    >>> import tapegrad as tf
    >>> tf.linalg.matvec(tf.ones((2, 3)), tf.ones(3)).numpy()
    array([3., 3.], dtype=float32)
    """
    from .shape import expand_dims, squeeze

    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=transpose_a, adjoint_a=adjoint_a), -1)
