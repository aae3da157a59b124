"""Matrix products: matmul (transpose/adjoint flags, batched) and matvec.

Key decision: the transpose and conjugation flags are parameters of one MatMul primitive (BLAS reads
transposed operands without copying), so each gradient is a single matmul with the right flags, batched
cotangents included. Conjugation flags appear only on complex operands; gradients follow TensorFlow's
complex convention (`grad_a = g @ b^H`, math_grad.py's _MatMulGrad / _BatchMatMulV2).
"""

from __future__ import annotations

import numpy as np

from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import _binary_inputs, apply, as_input, convert, defjvp, defprimitive, defvjp, samples
from .._core.tensor import Tensor, Variable
from . import _samples as S
from .jacobian_seeds import defrows


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2) if hasattr(xp, "swapaxes") else xp.matrix_transpose(a)


def _matmul_impl(xp, a, b, ta, tb, ca=False, cb=False):
    if ca:
        a = xp.conj(a)
    if cb:
        b = xp.conj(b)
    if ta:
        a = _mT(xp, a)
    if tb:
        b = _mT(xp, b)
    return xp.matmul(a, b)


MatMul = defprimitive("MatMul", _matmul_impl)


def _mm(a, b, ta=False, tb=False, ca=False, cb=False):
    """op(a) @ op(b), op = conj if c*, then transpose if t*. Conjugation flags are dropped on real tensors."""
    if (ca or cb) and a._value.dtype.kind == "c":
        return apply(MatMul, (a, b), {"ta": ta, "tb": tb, "ca": ca, "cb": cb})
    return apply(MatMul, (a, b), {"ta": ta, "tb": tb})


# With op(x) = T^t C^c x: grad op(a) = g op(b)^H, and op(b)^H is b with both flags flipped; then the inverse
# of op(a) is applied (transposes and conjugates are their own gradients). On real tensors every conj is off.
def _matmul_vjp_a(g, ans, a, b, ta, tb, ca=False, cb=False):
    if ta:
        return _mm(b, g, tb, True, cb if ca else not cb, ca)
    return _mm(g, b, False, not tb, ca, cb if ca else not cb)


def _matmul_vjp_b(g, ans, a, b, ta, tb, ca=False, cb=False):
    if tb:
        return _mm(g, a, True, ta, cb, ca if cb else not ca)
    return _mm(a, g, not ta, False, ca if cb else not ca, cb)


defvjp(MatMul, _matmul_vjp_a, _matmul_vjp_b)
defjvp(MatMul, lambda t, ans, a, b, ta, tb, ca=False, cb=False: _mm(t, b, ta, tb, ca, cb),
       lambda t, ans, a, b, ta, tb, ca=False, cb=False: _mm(a, t, ta, tb, ca, cb))


def _matmul_rows(ans, a, b, ta, tb, ca=False, cb=False):
    # For 2-D a @ op(b), row e of the output depends on row e of a only, through op(b)^T's rows: one example's
    # Jacobian rows, shared by all (batch_jacobian of a dense layer, jacobian_seeds.py).
    if ta or a._value.ndim != 2 or b._value.ndim != 2 or a._value.dtype.kind != "f":
        return None
    from .shape import transpose

    return (b if tb else transpose(b, (1, 0))), True


defrows(MatMul, 0, _matmul_rows)
samples(MatMul, lambda: [((S.arr((2, 3)), S.arr((3, 4), seed=1)), {"ta": False, "tb": False}),
                         ((S.arr((3, 2)), S.arr((3, 4), seed=1)), {"ta": True, "tb": False}),
                         ((S.arr((2, 3)), S.arr((4, 3), seed=1)), {"ta": False, "tb": True}),
                         ((S.arr((3, 2)), S.arr((4, 3), seed=1)), {"ta": True, "tb": True}),
                         ((S.arr((2, 2, 3)), S.arr((3, 4), seed=1)), {"ta": False, "tb": False}),
                         ((S.arr((2, 1, 3, 2)), S.arr((3, 3, 4), seed=1)), {"ta": True, "tb": False}),
                         ((S.arr((1, 3)), S.arr((2, 3, 1), seed=1)), {"ta": False, "tb": False})])



# =========================================================================== matvec
# A primitive, not matmul of a column: a 2-D `a` takes all of b's leading axes in one GEMM, b @ op(a)^T,
# which is what the batched cotangents of vectorized Jacobians hit (W5: 2x faster than the composite).

def _matvec_impl(xp, a, b, ta=False, ca=False):
    if ca:
        a = xp.conj(a)
    if a.ndim == 2:
        at = a if ta else _mT(xp, a)
        if b.ndim <= 2:
            return xp.matmul(b, at)
        out = xp.matmul(xp.reshape(b, (-1, b.shape[-1])), at)
        return xp.reshape(out, tuple(b.shape[:-1]) + (at.shape[-1],))
    return xp.squeeze(xp.matmul(_mT(xp, a) if ta else a, xp.expand_dims(b, axis=-1)), axis=-1)


MatVec = defprimitive("MatVec", _matvec_impl)


def _mv(a, b, ta=False, ca=False):
    """op(a) @ b, op = conj if ca, then transpose if ta. The conjugation flag is dropped on real tensors."""
    if ca and a._value.dtype.kind == "c":
        return apply(MatVec, (a, b), {"ta": ta, "ca": True})
    return apply(MatVec, (a, b), {"ta": ta})


def _matvec_vjp_a(g, ans, a, b, ta, ca=False):
    # grad op(a) = g conj(b)^T, an outer product: MatMul's rule for a, with b as a column.
    from .shape import expand_dims

    return _matmul_vjp_a(expand_dims(g, -1), None, a, expand_dims(b, -1), ta, False, ca, False)


defvjp(MatVec, _matvec_vjp_a, lambda g, ans, a, b, ta, ca=False: _mv(a, g, not ta, not ca))
defjvp(MatVec, lambda t, ans, a, b, ta, ca=False: _mv(t, b, ta, ca),
       lambda t, ans, a, b, ta, ca=False: _mv(a, t, ta, ca))


def _matvec_rows(ans, a, b, ta, ca=False):
    # Row i of the vector's Jacobian is row i of op(a), for each vector of a batch alike: a Jacobian seed's
    # one-hot rows need no GEMM (jacobian_seeds.py).
    if a._value.ndim != 2 or b._value.ndim > 2 or a._value.dtype.kind != "f":
        return None
    from .shape import transpose

    return (transpose(a, (1, 0)) if ta else a), b._value.ndim == 2


defrows(MatVec, 1, _matvec_rows)
samples(MatVec, lambda: [((S.arr((3, 4)), S.arr((4,), seed=1)), {"ta": False}),
                         ((S.arr((4, 3)), S.arr((4,), seed=1)), {"ta": True}),
                         ((S.arr((3, 4)), S.arr((2, 4), seed=1)), {"ta": False}),
                         ((S.arr((2, 3, 4)), S.arr((4,), seed=1)), {"ta": False}),
                         ((S.arr((2, 4, 3)), S.arr((2, 4), seed=1)), {"ta": True}),
                         ((S.arr((1, 3, 4)), S.arr((2, 1, 4), seed=1)), {"ta": False})])

def _invalid(msg: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, "MatMul", f"{msg} [Op:MatMul]")


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, output_type=None, grad_a=False, grad_b=False, name=None):
    """`tf.linalg.matmul`: the matrix product of the last two dimensions, batched over leading ones.

    Args:
      a, b: tensors of rank >= 2 with the same dtype; batch dimensions broadcast.
      transpose_a, transpose_b: use the transpose of an operand.
      adjoint_a, adjoint_b: use the conjugate transpose of an operand (the transpose for real tensors).
      output_type: the result's dtype (TensorFlow allows int32 for int8 inputs).
    Returns:
      A tensor of shape `batch + [rows of op(a), columns of op(b)]`.
    Raises:
      ValueError: both `transpose_x` and `adjoint_x` set.
      InvalidArgumentError: rank < 2, mismatched inner or batch dimensions, or different dtypes.

    >>> import tapegrad as tf
    >>> tf.matmul(tf.ones((2, 3)), tf.ones((3, 4))).shape
    TensorShape([2, 4])
    """
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    if transpose_b and adjoint_b:
        raise ValueError("Only one of transpose_b and adjoint_b can be True.")
    if a.__class__ is not Tensor or b.__class__ is not Tensor or a._value.dtype != b._value.dtype:
        a, b = _binary_inputs(MatMul, a, b)  # converts Python values and Variables; rejects mixed dtypes
        if a.__class__ is not Tensor:
            a = as_input(a) if isinstance(a, Variable) else convert(a, b.dtype)
        if b.__class__ is not Tensor:
            b = as_input(b) if isinstance(b, Variable) else convert(b, a.dtype)
    sa, sb = a._value.shape, b._value.shape
    if len(sa) < 2 or len(sb) < 2:
        raise _invalid(f"In[0] and In[1] must be at least rank 2 for MatMul, got shapes {list(sa)} and {list(sb)} "
                       f"({a.dtype.name}). For a matrix times a vector use tf.linalg.matvec, or tf.expand_dims "
                       "the vector.")
    ta = bool(transpose_a or adjoint_a)
    tb = bool(transpose_b or adjoint_b)
    k_a = sa[-2] if ta else sa[-1]
    k_b = sb[-1] if tb else sb[-2]
    if k_a != k_b:
        raise _invalid(f"Matrix size-incompatible: In[0]: {list(sa)}, In[1]: {list(sb)} ({a.dtype.name}; "
                       f"transpose_a={ta}, transpose_b={tb}): the inner dimensions {k_a} and {k_b} must match.")
    if sa[:-2] != sb[:-2]:
        try:
            np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2]))
        except ValueError:
            raise _invalid(f"In[0] and In[1] must have compatible batch dimensions: {list(sa)} vs. {list(sb)} "
                           f"({a.dtype.name}): each batch dimension must be equal, or 1 in one of them.") from None
    if adjoint_a or adjoint_b:
        cplx = a._value.dtype.kind == "c"
        out = _mm(a, b, ta, tb, cplx and bool(adjoint_a), cplx and bool(adjoint_b))
    else:
        out = apply(MatMul, (a, b), {"ta": ta, "tb": tb})
    if output_type is not None and _dt.as_dtype(output_type) != out.dtype:
        from .elementwise import cast

        out = cast(out, output_type)
    return out


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """`tf.linalg.matvec`: the matrix-vector product `a @ b` over the last dims (batched).

    Args:
      a: a tensor of rank >= 2, `[..., M, N]`.
      b: a tensor of rank >= 1, `[..., N]`, with `a`'s dtype.
      transpose_a, adjoint_a: use the (conjugate) transpose of `a`.
    Returns:
      A tensor of shape `[..., M]`.

    >>> import tapegrad as tf
    >>> tf.linalg.matvec(tf.ones((2, 3)), tf.ones(3)).numpy()
    array([3., 3.], dtype=float32)
    """
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    a, b = _binary_inputs(MatMul, a, b)  # conversion errors name MatMul, as TensorFlow's matvec does
    if not hasattr(a, "_value"):
        a = as_input(a)
    if not hasattr(b, "_value"):
        b = convert(b, a.dtype)
    sa, sb = tuple(a._value.shape), tuple(b._value.shape)
    if len(sb) < 1:
        raise _invalid(f"tf.linalg.matvec: b must have rank >= 1, got a scalar {b.dtype.name} tensor; for a "
                       "matrix times a scalar use tf.multiply.")
    if len(sa) < 2:
        raise _invalid(f"tf.linalg.matvec: a must have rank >= 2, got shape {list(sa)} ({a.dtype.name}).")
    ta = bool(transpose_a or adjoint_a)
    k = sa[-2] if ta else sa[-1]
    if k != sb[-1]:
        raise _invalid(f"Matrix size-incompatible: In[0]: {list(sa)}, In[1]: {list(sb) + [1]} ({a.dtype.name}; "
                       f"transpose_a={ta}): the inner dimensions {k} and {sb[-1]} must match.")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-1])
    except ValueError:
        raise _invalid(f"In[0] and In[1] must have compatible batch dimensions: {list(sa)} vs. {list(sb) + [1]} "
                       f"({a.dtype.name}): each batch dimension must be equal, or 1 in one of them.") from None
    return _mv(a, b, ta, a._value.dtype.kind == "c" and bool(adjoint_a))
