"""`tf.linalg` beyond matmul: inverses, determinants, solves, factorizations, diagonals and bands, norms.

Key decisions:
- Each factorization or solve is one primitive under TensorFlow's op type name, whose forward calls
  `xp.linalg` (LAPACK on NumPy; the array API standard's linalg extension elsewhere) and whose VJP is
  TensorFlow's formula from tensorflow/python/ops/linalg_grad.py, written with tapegrad ops so that higher
  orders work; each JVP is the matching forward-mode formula. Everything expressible with those and the
  indexing ops (diag, diag_part, set_diag, band_part, trace, logdet, cholesky_solve, lstsq, pinv, norm,
  cross, ...) is a composite and gets gradients, higher orders and forward mode for free.
- Rules never reshape a cotangent's leading dimensions: matmul and the solve primitives broadcast batch
  dimensions, so a cotangent with extra leading batch dimensions flows through every rule unchanged in form.
- Cholesky: TensorFlow reads only the lower triangle, yet returns the symmetric gradient (P + P^H) / 2. Both
  hold here: the primitive factors (A + A^H) / 2, for which TensorFlow's formula is the exact derivative (the
  registry's finite differences agree), and `cholesky` hands it the lower triangle mirrored as its value
  with the identity as its derivative; on a symmetric input that value is the input, bit for bit. With no
  tape or accumulator active, `cholesky` skips all that and factors the lower triangle directly.
- eigh, triangular_solve: the forward reads one triangle and TensorFlow's gradient is the exact derivative
  of that, so the primitives do the same (eigh via LAPACK's lower triangle, triangular_solve by masking).
- The array API standard has no triangular solve: the masked triangle goes to `xp.linalg.solve` (LU; stays on
  the backend); a singular triangle falls back to substitution, giving TensorFlow's inf/nan, not an error.
- Singular or non-positive-definite inputs raise TensorFlow's InvalidArgumentError with its message
  ("Input is not invertible.", ...) naming the op, the shape and the dtype.
- Each factorization and solve is wrapped in `_backend.batched`: on Dask, whose own routines want particular
  chunks and lack most of these, the same impl runs per block over the batch dimensions (a generalized ufunc,
  the matrix dimensions of each block whole), lazily; an error then surfaces when the result is computed.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._backend import batched, namespace_of, numpy_dtype_of
from .._core import dtypes as _dt
from .._core.errors import InvalidArgumentError
from .._core.primitive import apply, as_input, convert, defjvp, defjvp_all, defprimitive, defvjp, defvjp_all, samples
from .._core.tensor import _active as _ACTIVE
from .._core.tensor import _TensorLike, wrap
from . import _samples as S
from .creation import zeros_like
from .elementwise import abs as _abs
from .elementwise import cast, log, pow, reciprocal, sqrt, stop_gradient, where
from .indexing import ScatterGrad, getitem
from .linalg import _mm, matmul
from .linalg import _mT as _swap
from .reduce import reduce_max, reduce_sum
from .shape import _transpose, concat, expand_dims, reshape, squeeze, transpose

__all__ = ["matmul", "norm"]  # TensorFlow's top-level names among these; the rest live in tf.linalg

_ALLOWED = "double, float, complex64, complex128"
Qr = namedtuple("Qr", ["q", "r"])
LogMatrixDeterminant = namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])


# =========================================================================== helpers

def _shape(x) -> tuple:
    return tuple(x._value.shape)


def _desc(x) -> str:
    v = x._value if isinstance(x, _TensorLike) else x
    return f"shape {list(v.shape)} {_dt.from_array(v).name}"


def _mT(x):
    nd = len(x._value.shape)
    return _transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _conj(x):
    if x._value.dtype.kind != "c":
        return x
    from .elementwise import conj

    return conj(x)


def _H(x):
    return _conj(_mT(x))


def _mmh(a, b, adjoint_a=False, adjoint_b=False):
    """a @ b with either operand (conjugate-)transposed."""
    return _mm(a, b, adjoint_a, adjoint_b, adjoint_a, adjoint_b)


def _const(arr: np.ndarray, like):
    """A constant on `like`'s backend: bool arrays stay bool, others take `like`'s dtype."""
    v = like._value
    if arr.dtype.kind != "b":
        arr = arr.astype(numpy_dtype_of(v))
    xp = namespace_of(v)
    return wrap(arr if xp is np else xp.asarray(arr))


def _eye(n: int, like):
    return _const(np.eye(n), like)


def _tril_mask(n: int, like, diag: float = 1.0):
    """The lower triangle's indicator as `like`'s dtype, with `diag` on the diagonal."""
    return _const(np.tril(np.ones((n, n)), -1) + diag * np.eye(n), like)


def _diag(v):
    """Vectors (..., n) as diagonal matrices (..., n, n)."""
    return expand_dims(v, -1) * _eye(v._value.shape[-1], v)


def _diag_part(x):
    idx = np.arange(min(x._value.shape[-2:]))
    return getitem(x, (Ellipsis, idx, idx))


def _safe_reciprocal(x, epsilon=1e-20):
    """TensorFlow's Lorentz-broadened 1/x (linalg_grad.py): 0 instead of inf at x == 0."""
    return x * reciprocal(x * x + epsilon)


def _adj_arr(xp, a):
    a = _swap(xp, a)
    return xp.conj(a) if a.dtype.kind == "c" else a


def _guard(op: str, message: str, fn, *args, **kwargs):
    """Calls a backend routine, turning its LinAlgError into TensorFlow's InvalidArgumentError."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:
        if type(e).__name__ != "LinAlgError":
            raise
        raise InvalidArgumentError(None, op, f"{message} [Op:{op}]") from None


def _invalid(op: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{message} [Op:{op}]")


def _matrix(x, op: str, square: bool = True, arg: str = "input"):
    """`x` as a float or complex tensor of rank >= 2 (square if asked), or TensorFlow's error."""
    x = as_input(x)
    v = x._value
    kind, size = v.dtype.kind, v.dtype.itemsize
    if kind not in "fc" or size == 2:
        raise _invalid(op, f"Value for attr 'T' of {_dt.from_array(v).name} is not in the list of allowed values: "
                           f"{_ALLOWED}. {op} takes a float32, float64, complex64 or complex128 `{arg}`, got "
                           f"{_desc(x)}; cast it first, e.g. tf.cast({arg}, tf.float32).")
    s = tuple(v.shape)
    if len(s) < 2:
        raise _invalid(op, f"Input tensor `{arg}` must have rank >= 2 (a matrix or a batch of matrices), received "
                           f"{_desc(x)}.")
    if square and s[-1] != s[-2]:
        raise _invalid(op, f"Input matrix must be square: `{arg}` has {_desc(x)}, whose last two dimensions "
                           f"{s[-2]} x {s[-1]} differ.")
    return x


def _rhs(x, like, op: str, arg: str = "rhs"):
    """`x` as a tensor of rank >= 2 with `like`'s dtype (Python values are converted to it)."""
    if isinstance(x, _TensorLike) or hasattr(x, "dtype"):
        x = as_input(x)
        if numpy_dtype_of(x._value) != numpy_dtype_of(like._value):
            raise _invalid(op, f"cannot compute {op} as input #1(zero-based) was expected to be a "
                               f"{like.dtype.name} tensor but is a {x.dtype.name} tensor: `{arg}` has {_desc(x)} "
                               f"but the matrix has {_desc(like)}; cast one, e.g. tf.cast({arg}, "
                               f"tf.{like.dtype.name}).")
    else:
        x = convert(x, like.dtype)
    if len(_shape(x)) < 2:
        raise _invalid(op, f"Input tensor `{arg}` must have rank >= 2 ([..., M, K]), received {_desc(x)}; for a "
                           "vector right-hand side use tf.expand_dims(rhs, -1).")
    return x


# =========================================================================== matrix_transpose, adjoint

def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """`tf.linalg.matrix_transpose`: swaps the last two dimensions (and conjugates if `conjugate`).

    Args:
      a: a tensor of rank >= 2.
      conjugate: also take the complex conjugate (the adjoint).
    Raises:
      ValueError: `a` has rank < 2.

    >>> import tapegrad as tf
    >>> tf.linalg.matrix_transpose(tf.zeros((4, 2, 3))).shape
    TensorShape([4, 3, 2])
    """
    x = as_input(a)
    nd = len(_shape(x))
    if nd < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2. Received `a` = {_desc(x)}.")
    return transpose(x, list(range(nd - 2)) + [nd - 1, nd - 2], conjugate=conjugate)


def adjoint(matrix, name=None):
    """`tf.linalg.adjoint`: the conjugate transpose of the last two dimensions.

    >>> import tapegrad as tf
    >>> tf.linalg.adjoint(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([[1., 3.],
           [2., 4.]], dtype=float32)
    """
    return matrix_transpose(matrix, conjugate=True)


# =========================================================================== inverse, determinants

def _inverse_impl(xp, a):
    return _guard("MatrixInverse", f"Input is not invertible. A matrix of the input ({list(a.shape)} "
                  f"{_dt.from_array(a).name}) is singular; check it, or use tf.linalg.pinv or tf.linalg.lstsq.",
                  xp.linalg.inv, a)


Inverse = defprimitive("MatrixInverse", batched(_inverse_impl, "(i,j)->(i,j)"))
defvjp(Inverse, lambda g, ans, a: -_mmh(ans, _mmh(g, ans, adjoint_b=True), adjoint_a=True))
defjvp(Inverse, lambda t, ans, a: -_mm(ans, _mm(t, ans)))


def _wellcond(shape, seed=0):
    """A random matrix (batch) with a dominant diagonal: invertible and well-conditioned."""
    return S.arr(shape, -1.0, 1.0, seed) + shape[-1] * np.eye(shape[-1])


def _spd(shape, seed=0):
    m = S.arr(shape, -1.0, 1.0, seed)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


samples(Inverse, lambda: [((_wellcond((3, 3)),), {}), ((_wellcond((2, 2, 2), seed=1),), {})])


def _inv(a):
    return apply(Inverse, (a,))


def inv(input, adjoint=False, name=None):  # noqa: A002 - TensorFlow's argument names
    """`tf.linalg.inv`: the inverse of each square matrix (of its adjoint if `adjoint`).

    Args:
      input: a float32/float64/complex tensor `[..., M, M]`.
      adjoint: invert the conjugate transpose instead.
    Raises:
      InvalidArgumentError: non-square input, a wrong dtype, or a singular matrix ("Input is not invertible.").

    >>> import tapegrad as tf
    >>> tf.linalg.inv(tf.constant([[2.0, 0.0], [0.0, 4.0]])).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    out = _inv(_matrix(input, "MatrixInverse"))
    return _H(out) if adjoint else out


Det = defprimitive("MatrixDeterminant", batched(lambda xp, a: xp.linalg.det(a), "(i,j)->()"))


def _expand2(x):
    return expand_dims(expand_dims(x, -1), -1)


# TensorFlow: grad * det * inv(A)^H (for a singular A its inverse raises, as TensorFlow's does).
defvjp(Det, lambda g, ans, a: _expand2(g * ans) * _H(_inv(a)))
defjvp(Det, lambda t, ans, a: ans * reduce_sum(_mT(_inv(a)) * t, axis=(-2, -1)))
samples(Det, lambda: [((_wellcond((3, 3)),), {}), ((S.arr((2, 2, 2), seed=1) + 2 * np.eye(2),), {})])


def det(input, name=None):  # noqa: A002
    """`tf.linalg.det`: the determinant of each square matrix.

    >>> import tapegrad as tf
    >>> float(tf.linalg.det(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    """
    return apply(Det, (_matrix(input, "MatrixDeterminant"),))


def _slogdet_impl(xp, a):
    sign, logabs = xp.linalg.slogdet(a)
    if a.dtype.kind == "c":  # TensorFlow: both outputs have the input's (complex) dtype
        logabs = logabs.astype(a.dtype) if xp is np else xp.astype(logabs, a.dtype)
    return (sign, logabs)


LogDet = defprimitive("LogMatrixDeterminant", batched(_slogdet_impl, "(i,j)->(),()"))
defvjp(LogDet, lambda g, ans, a: _expand2(g[1]) * _H(_inv(a)))
defjvp_all(LogDet, lambda ts, ans, a: (None, reduce_sum(_mT(_inv(a)) * ts[0], axis=(-2, -1))))
samples(LogDet, lambda: [((_wellcond((3, 3)),), {}), ((-_wellcond((3, 3), seed=1),), {}),  # det < 0
                         ((_wellcond((2, 2, 2), seed=2) * np.array([[1.0], [-1.0]]),), {})])


def slogdet(input, name=None):  # noqa: A002
    """`tf.linalg.slogdet`: the sign and the log of the absolute value of each determinant.

    Returns:
      A namedtuple `(sign, log_abs_determinant)`, each of shape `[...]` (sign 0 and -inf for a singular matrix).

    >>> import tapegrad as tf
    >>> sign, logdet = tf.linalg.slogdet(tf.constant([[0.0, 2.0], [3.0, 0.0]]))
    >>> float(sign), round(float(logdet), 4)
    (-1.0, 1.7918)
    """
    return LogMatrixDeterminant(*apply(LogDet, (_matrix(input, "LogMatrixDeterminant"),)))


# =========================================================================== solves

def _same_batch(xp, a, b):
    """`a` and `b` broadcast to their common batch dimensions (CuPy's solve wants them equal, and the
    substitution below builds its result from both). Rules pass cotangents with extra leading dimensions
    (module docstring)."""
    if tuple(a.shape[:-2]) == tuple(b.shape[:-2]):
        return a, b
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    return xp.broadcast_to(a, batch + tuple(a.shape[-2:])), xp.broadcast_to(b, batch + tuple(b.shape[-2:]))


def _solve_impl(xp, a, b, adjoint):
    return _guard("MatrixSolve", f"Input matrix is not invertible. A matrix of `matrix` ({list(a.shape)} "
                  f"{_dt.from_array(a).name}) is singular; use tf.linalg.lstsq for a least-squares solution.",
                  xp.linalg.solve, *_same_batch(xp, _adj_arr(xp, a) if adjoint else a, b))


Solve = defprimitive("MatrixSolve", batched(_solve_impl, "(i,j),(j,k)->(i,k)"))


def _solve(a, b, adjoint=False):
    return apply(Solve, (a, b), {"adjoint": adjoint})


def _solve_vjp(g, ans, a, b, adjoint):
    gb = _solve(a, g, not adjoint)
    return (-_mmh(ans, gb, adjoint_b=True) if adjoint else -_mmh(gb, ans, adjoint_b=True)), gb


def _solve_jvp(ts, ans, a, b, adjoint):
    ta, tb = ts
    rhs = tb
    if ta is not None:
        d = _mmh(ta, ans, adjoint_a=adjoint)
        rhs = -d if rhs is None else rhs - d
    return _solve(a, rhs, adjoint)


defvjp_all(Solve, _solve_vjp)
defjvp_all(Solve, _solve_jvp)
samples(Solve, lambda: [((_wellcond((3, 3)), S.arr((3, 2), seed=1)), {"adjoint": False}),
                        ((_wellcond((3, 3), seed=2), S.arr((3, 1), seed=3)), {"adjoint": True}),
                        ((_wellcond((2, 3, 3), seed=4), S.arr((2, 3, 2), seed=5)), {"adjoint": False}),
                        ((_wellcond((3, 3), seed=6), S.arr((2, 3, 2), seed=7)), {"adjoint": True})])


def solve(matrix, rhs, adjoint=False, name=None):
    """`tf.linalg.solve`: X with `matrix @ X = rhs` (`adjoint(matrix) @ X = rhs` if `adjoint`), batched.

    Args:
      matrix: `[..., M, M]`, float32/float64/complex.
      rhs: `[..., M, K]` with the same dtype and the same batch dimensions.
    Raises:
      InvalidArgumentError: shapes that do not match, or a singular matrix ("Input matrix is not invertible.").

    >>> import tapegrad as tf
    >>> tf.linalg.solve(tf.constant([[2.0, 0.0], [0.0, 4.0]]), tf.constant([[2.0], [2.0]])).numpy()
    array([[1. ],
           [0.5]], dtype=float32)
    """
    a = _matrix(matrix, "MatrixSolve", arg="matrix")
    b = _rhs(rhs, a, "MatrixSolve")
    sa, sb = _shape(a), _shape(b)
    if sb[-2] != sa[-1]:
        raise _invalid("MatrixSolve", f"Input matrix and right-hand side must have the same number of rows: "
                                      f"{sa[-2]} vs. {sb[-2]} (matrix {_desc(a)}, rhs {_desc(b)}).")
    if sa[:-2] != sb[:-2]:
        raise _invalid("MatrixSolve", f"All input tensors must have the same outer dimensions: matrix {_desc(a)}, "
                                      f"rhs {_desc(b)}; tf.broadcast_to one of them first.")
    return _solve(a, b, bool(adjoint))


def _cat(xp, parts):
    return xp.concat(parts, axis=-2) if hasattr(xp, "concat") else xp.concatenate(parts, axis=-2)


def _substitute(xp, a, b, lower):
    """Forward or back substitution for a triangular `a` (zero pivots give inf/nan, as TensorFlow's do)."""
    a, b = _same_batch(xp, a, b)
    n = a.shape[-1]
    xs: list = [None] * n
    for i in range(n) if lower else range(n - 1, -1, -1):
        acc = b[..., i:i + 1, :]
        lo, hi = (0, i) if lower else (i + 1, n)
        if hi > lo:
            acc = acc - xp.matmul(a[..., i:i + 1, lo:hi], _cat(xp, xs[lo:hi]))
        xs[i] = acc / a[..., i:i + 1, i:i + 1]
    return _cat(xp, xs)


def _trisolve_impl(xp, a, b, lower, adjoint):
    a = xp.tril(a) if lower else xp.triu(a)
    if adjoint:
        a = _adj_arr(xp, a)
        lower = not lower
    try:
        return xp.linalg.solve(*_same_batch(xp, a, b))
    except Exception as e:
        if type(e).__name__ != "LinAlgError":
            raise
    with np.errstate(divide="ignore", invalid="ignore"):  # NumPy (and libraries built on it) would warn
        return _substitute(xp, a, b, lower)


TriangularSolve = defprimitive("MatrixTriangularSolve", batched(_trisolve_impl, "(i,j),(j,k)->(i,k)"))


def _trisolve(a, b, lower=True, adjoint=False):
    return apply(TriangularSolve, (a, b), {"lower": lower, "adjoint": adjoint})


def _triangle(x, lower):
    """The lower (or upper) triangle of x, zeros elsewhere."""
    n = x._value.shape[-1]
    m = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return where(_const(m, x), x, zeros_like(x))


def _trisolve_vjp(g, ans, a, b, lower, adjoint):
    gb = _trisolve(a, g, lower, not adjoint)
    ga = -_mmh(ans, gb, adjoint_b=True) if adjoint else -_mmh(gb, ans, adjoint_b=True)
    return _triangle(ga, lower), gb


def _trisolve_jvp(ts, ans, a, b, lower, adjoint):
    ta, tb = ts
    rhs = tb
    if ta is not None:
        d = _mmh(_triangle(ta, lower), ans, adjoint_a=adjoint)
        rhs = -d if rhs is None else rhs - d
    return _trisolve(a, rhs, lower, adjoint)


defvjp_all(TriangularSolve, _trisolve_vjp)
defjvp_all(TriangularSolve, _trisolve_jvp)
# The other triangle holds junk: the op must ignore it (its gradient there is zero).
samples(TriangularSolve, lambda: [
    ((_wellcond((3, 3)), S.arr((3, 2), seed=1)), {"lower": True, "adjoint": False}),
    ((_wellcond((3, 3), seed=2), S.arr((3, 2), seed=3)), {"lower": False, "adjoint": False}),
    ((_wellcond((3, 3), seed=4), S.arr((3, 1), seed=5)), {"lower": True, "adjoint": True}),
    ((_wellcond((2, 3, 3), seed=6), S.arr((3, 2), seed=7)), {"lower": False, "adjoint": True}),
    ((_wellcond((3, 3), seed=8), S.arr((2, 3, 2), seed=9)), {"lower": True, "adjoint": False})])


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """`tf.linalg.triangular_solve`: X with `T @ X = rhs`, T the lower (or upper) triangle of `matrix`.

    Only the triangle named by `lower` is read; batch dimensions broadcast.

    Args:
      matrix: `[..., M, M]`; rhs: `[..., M, N]` with the same dtype.
      lower: whether `matrix` is lower (True) or upper triangular.
      adjoint: solve with the conjugate transpose of the triangle instead.

    >>> import tapegrad as tf
    >>> a = tf.constant([[3.0, 0.0], [2.0, 1.0]])
    >>> tf.linalg.triangular_solve(a, tf.constant([[3.0], [4.0]])).numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    a = _matrix(matrix, "MatrixTriangularSolve", arg="matrix")
    b = _rhs(rhs, a, "MatrixTriangularSolve")
    sa, sb = _shape(a), _shape(b)
    if sb[-2] != sa[-1]:
        raise _invalid("MatrixTriangularSolve", f"Input matrix and right-hand side must have the same number of "
                                                f"rows: {sa[-2]} vs. {sb[-2]} (matrix {_desc(a)}, rhs {_desc(b)}).")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise _invalid("MatrixTriangularSolve", f"Incompatible batch dimensions: matrix {_desc(a)}, rhs {_desc(b)} "
                                                "(each must be equal, or 1 in one of them).") from None
    return _trisolve(a, b, bool(lower), bool(adjoint))


# =========================================================================== Cholesky

def _not_spd(a) -> str:
    return (f"Cholesky decomposition was not successful. The input might not be valid: a matrix of the input "
            f"({list(a.shape)} {_dt.from_array(a).name}) is not symmetric (Hermitian) positive definite.")


def _cholesky_impl(xp, a):
    return _guard("Cholesky", _not_spd(a), xp.linalg.cholesky, (a + _adj_arr(xp, a)) / 2)


def _cholesky_lower(xp, a):
    return _guard("Cholesky", _not_spd(a), xp.linalg.cholesky, a)


Cholesky = defprimitive("Cholesky", batched(_cholesky_impl, "(i,j)->(i,j)"))


def _cholesky_vjp(g, ans, a):
    # TensorFlow: l^{-H} ((l^H g) * (tril(ones) - eye / 2)) l^{-1}, then symmetrized.
    n = ans._value.shape[-1]
    l_inv = _trisolve(ans, _eye(n, ans))
    middle = _mmh(ans, g, adjoint_a=True) * _tril_mask(n, ans, 0.5)
    grad = _mm(_mmh(l_inv, middle, adjoint_a=True), l_inv)
    return (grad + _H(grad)) * 0.5


def _cholesky_jvp(t, ans, a):
    # dL = L Phi(L^{-1} sym(dA) L^{-H}), Phi = lower triangle with half the diagonal.
    n = ans._value.shape[-1]
    s = (t + _H(t)) * 0.5
    x = _trisolve(ans, _H(_trisolve(ans, s)))
    return _mm(ans, x * _tril_mask(n, ans, 0.5))


defvjp(Cholesky, _cholesky_vjp)
defjvp(Cholesky, _cholesky_jvp)
samples(Cholesky, lambda: [((_spd((3, 3)),), {}), ((_spd((2, 2, 2), seed=1),), {}), ((_spd((1, 1), seed=2),), {})])


def cholesky(input, name=None):  # noqa: A002
    """`tf.linalg.cholesky`: the lower-triangular L with `L @ L^H = input`, for each Hermitian positive definite
    matrix. Only the lower triangle of `input` is read; the gradient is TensorFlow's symmetric one.

    Raises:
      InvalidArgumentError: non-square input, a wrong dtype, or a matrix that is not positive definite
        ("Cholesky decomposition was not successful. The input might not be valid.").

    >>> import tapegrad as tf
    >>> tf.linalg.cholesky(tf.constant([[4.0, 2.0], [2.0, 5.0]])).numpy()
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    """
    x = _matrix(input, "Cholesky")
    n = _shape(x)[-1]
    if not _ACTIVE[0]:  # nothing can record: factor the lower triangle directly (the same value, fewer ops)
        v = x._value
        xp = namespace_of(v)
        if xp is not np:  # the array API leaves the upper triangle's role open; LAPACK (NumPy) never reads it
            v = xp.where(xp.asarray(np.tril(np.ones((n, n), bool))), v, _adj_arr(xp, v))
        return wrap(batched(_cholesky_lower, "(i,j)->(i,j)")(xp, v))
    fixed = stop_gradient(x)
    mirrored = where(_const(np.tril(np.ones((n, n), bool)), x), fixed, _H(fixed))
    # the value is the mirrored lower triangle; the derivative is the identity (x - stop_gradient(x) == 0)
    return apply(Cholesky, (mirrored + (x - fixed),))


def cholesky_solve(chol, rhs, name=None):
    """`tf.linalg.cholesky_solve`: X with `A @ X = rhs`, given `chol = tf.linalg.cholesky(A)`.

    >>> import tapegrad as tf
    >>> a = tf.constant([[4.0, 2.0], [2.0, 5.0]])
    >>> tf.linalg.cholesky_solve(tf.linalg.cholesky(a), tf.constant([[6.0], [7.0]])).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    y = triangular_solve(chol, rhs, lower=True, adjoint=False)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def logdet(matrix, name=None):
    """`tf.linalg.logdet`: log det of each Hermitian positive definite matrix, as 2 sum(log(diag(cholesky))).

    >>> import tapegrad as tf
    >>> round(float(tf.linalg.logdet(tf.constant([[4.0, 2.0], [2.0, 5.0]]))), 4)
    2.7726
    """
    d = _diag_part(cholesky(matrix))
    if d._value.dtype.kind == "c":
        from .elementwise import real

        d = real(d)
    return 2.0 * reduce_sum(log(d), axis=-1)


# =========================================================================== QR

def _qr_impl(xp, a, full_matrices):
    q, r = xp.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return (q, r)


def _qr_signature(arrays, params):
    m, n = arrays[0].shape[-2:]
    return ("(i,j)->(i,i),(i,j)", None) if params["full_matrices"] else ("(i,j)->(i,k),(k,j)", {"k": min(m, n)})


Qr_ = defprimitive("Qr", batched(_qr_impl, _qr_signature))


def _right_trisolve(x, r):
    """x @ r^{-H} for an upper-triangular r (TensorFlow's _TriangularSolve in _QrGrad)."""
    return _H(_trisolve(r, _H(x), lower=False))


def _qr_grad_deep(q, r, dq, dr):
    qdq = _mmh(q, dq, adjoint_a=True)
    qdq_ = qdq - _H(qdq)
    rdr = _mmh(r, dr, adjoint_b=True)
    rdr_ = rdr - _H(rdr)
    tril = _triangle(qdq_ + rdr_, True)
    grad_a = _mm(q, dr + _right_trisolve(tril, r))
    grad_b = _right_trisolve(dq - _mm(q, qdq), r)
    return grad_a + grad_b


def _qr_check(a, full_matrices, what):
    m, n = _shape(a)[-2:]
    if a._value.dtype.kind == "c":
        raise NotImplementedError(f"QrGrad not implemented for dtype: {a.dtype.name} ({what} of tf.linalg.qr).")
    if m > n and full_matrices:
        raise NotImplementedError(f"QrGrad not implemented when nrows > ncols and full_matrices is true (input "
                                  f"{_desc(a)}); use full_matrices=False.")
    return m, n


def _qr_vjp(g, ans, a, full_matrices):
    dq, dr = g
    q, r = ans
    m, n = _qr_check(a, full_matrices, "gradient")
    if m >= n:
        return _qr_grad_deep(q, r, dq, dr)
    # m < n: partition a = [x, y], r = [u, v] and reduce to the square case (TensorFlow's _QrGrad)
    y = a[..., :, m:]
    u = r[..., :, :m]
    dv = dr[..., :, m:]
    du = dr[..., :, :m]
    dy = _mm(q, dv)
    dx = _qr_grad_deep(q, u, dq + _mmh(y, dv, adjoint_b=True), du)
    return concat([dx, dy], axis=-1)


def _qr_jvp_deep(q, r, dx):
    # j-towns.github.io/papers/qr-derivative.pdf, as in JAX's qr_jvp_rule (real case)
    n = _shape(r)[-1]
    dx_rinv = _mT(_trisolve(r, _mT(dx), lower=False, adjoint=True))  # dx r^{-1}
    qt_dx_rinv = _mm(q, dx_rinv, ta=True)
    low = qt_dx_rinv * _const(np.tril(np.ones((n, n)), -1), r)
    do = low - _mT(low)
    dq = _mm(q, do - qt_dx_rinv) + dx_rinv
    dr = _mm(qt_dx_rinv - do, r)
    return dq, dr


def _qr_jvp(t, ans, a, full_matrices):
    q, r = ans
    m, n = _qr_check(a, full_matrices, "forward-mode derivative")
    if m >= n:
        return _qr_jvp_deep(q, r, t)
    dq, du = _qr_jvp_deep(q, r[..., :, :m], t[..., :, :m])
    dv = _mm(dq, a[..., :, m:], ta=True) + _mm(q, t[..., :, m:], ta=True)
    return dq, concat([du, dv], axis=-1)


defvjp(Qr_, _qr_vjp)
defjvp_all(Qr_, lambda ts, ans, a, full_matrices: _qr_jvp(ts[0], ans, a, full_matrices))
samples(Qr_, lambda: [((S.arr((4, 3)),), {"full_matrices": False}),
                      ((S.arr((3, 3), seed=1),), {"full_matrices": False}),
                      ((S.arr((3, 3), seed=2),), {"full_matrices": True}),
                      ((S.arr((2, 5), seed=3),), {"full_matrices": False}),
                      ((S.arr((2, 3, 2), seed=4),), {"full_matrices": False})])


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """`tf.linalg.qr`: orthonormal Q and upper-triangular R with `Q @ R = input`, batched.

    Returns:
      A namedtuple `(q, r)`: `q` `[..., M, P]` and `r` `[..., P, N]`, P = min(M, N) (`q` `[..., M, M]` and
      `r` `[..., M, N]` if `full_matrices`). Gradients (as TensorFlow's) exist except for M > N with
      `full_matrices=True`, and for complex inputs.

    >>> import tapegrad as tf
    >>> q, r = tf.linalg.qr(tf.constant([[3.0, 1.0], [4.0, 2.0], [0.0, 1.0]]))
    >>> q.shape, r.shape
    (TensorShape([3, 2]), TensorShape([2, 2]))
    """
    x = _matrix(input, "Qr", square=False)
    return Qr(*apply(Qr_, (x,), {"full_matrices": bool(full_matrices)}))


# =========================================================================== eigh

def _eigh_impl(xp, a):
    e, v = xp.linalg.eigh(a)  # LAPACK reads the lower triangle, as TensorFlow's kernel does
    if a.dtype.kind == "c":  # TensorFlow: eigenvalues have the input's dtype
        e = e.astype(a.dtype) if xp is np else xp.astype(e, a.dtype)
    return (e, v)


Eigh = defprimitive("SelfAdjointEigV2", batched(_eigh_impl, "(i,j)->(i),(i,j)"))


def _gap_reciprocal(e):
    """f[i, j] = 1 / (e[j] - e[i]) off the diagonal (TensorFlow's safe reciprocal), 0 on it. The diagonal is
    masked, as TensorFlow's matrix_set_diag does: the safe reciprocal's slope there (1 / epsilon = 1e20) must
    not reach higher-order gradients."""
    n = e._value.shape[-1]
    return _safe_reciprocal(expand_dims(e, -2) - expand_dims(e, -1)) * _const(1.0 - np.eye(n), e)


def _eigh_vjp(g, ans, a):
    ge, gv = g
    e, v = ans
    grad = _mm(v, _mmh(_diag(ge) + _gap_reciprocal(e) * _mmh(v, gv, adjoint_a=True), v, adjoint_b=True))
    # The forward reads only the lower triangle: symmetrize and keep it (half on the diagonal).
    return (grad + _H(grad)) * _tril_mask(_shape(e)[-1], grad, 0.5)


def _eigh_jvp(ts, ans, a):
    e, v = ans
    t = ts[0]
    n = _shape(e)[-1]
    low = t * _tril_mask(n, t, 1.0)
    s = low + _H(t * _tril_mask(n, t, 0.0))  # the Hermitian matrix the lower triangle stands for
    dm = _mmh(v, _mm(s, v), adjoint_a=True)
    de = _diag_part(dm)
    if de._value.dtype.kind == "c":
        from .elementwise import real

        de = cast(real(de), de.dtype)
    return de, _mm(v, _gap_reciprocal(e) * dm)


defvjp(Eigh, _eigh_vjp)
defjvp_all(Eigh, _eigh_jvp)


def _sym_distinct(n, batch=(), seed=0):
    """Symmetric matrices with well-separated eigenvalues (-1.5, -0.5, 0.5, ...)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    e = np.arange(n) - (n - 1) / 2 + 0.1 * rng.uniform(-1, 1, batch + (n,))
    a = (q * e[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (a + np.swapaxes(a, -1, -2)) / 2


samples(Eigh, lambda: [((_sym_distinct(3),), {}), ((_sym_distinct(2, (2,), seed=1),), {}),
                       ((_sym_distinct(4, seed=2),), {})])


def eigh(tensor, name=None):
    """`tf.linalg.eigh`: eigenvalues (ascending) and eigenvectors (columns) of each self-adjoint matrix.

    Only the lower triangle is read. The gradient (TensorFlow's) needs distinct eigenvalues: for repeated ones
    the eigenvectors are not unique, and the terms that divide by their differences are dropped.

    Returns:
      `(e, v)`: `e` `[..., N]`, `v` `[..., N, N]` with `tensor @ v[..., :, i] = e[..., i] * v[..., :, i]`
      (each eigenvector's sign is arbitrary, as in TensorFlow).

    >>> import tapegrad as tf
    >>> e, v = tf.linalg.eigh(tf.constant([[2.0, 1.0], [1.0, 2.0]]))
    >>> e.numpy()
    array([1., 3.], dtype=float32)
    """
    return apply(Eigh, (_matrix(tensor, "SelfAdjointEigV2", arg="tensor"),))


def eigvalsh(tensor, name=None):
    """`tf.linalg.eigvalsh`: the eigenvalues (ascending) of each self-adjoint matrix (lower triangle read).

    >>> import tapegrad as tf
    >>> tf.linalg.eigvalsh(tf.constant([[2.0, 1.0], [1.0, 2.0]])).numpy()
    array([1., 3.], dtype=float32)
    """
    return eigh(tensor)[0]


# =========================================================================== SVD

def _svd_impl(xp, a, full_matrices, compute_uv):
    if not compute_uv:
        fn = getattr(xp.linalg, "svdvals", None)
        return fn(a) if fn is not None else xp.linalg.svd(a, compute_uv=False)
    u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    return (s, u, _adj_arr(xp, vh))


def _svd_signature(arrays, params):
    m, n = arrays[0].shape[-2:]
    sizes = {"k": min(m, n)}
    if not params["compute_uv"]:
        return "(i,j)->(k)", sizes
    return ("(i,j)->(k),(i,i),(j,j)" if params["full_matrices"] else "(i,j)->(k),(i,k),(j,k)"), sizes


Svd = defprimitive("Svd", batched(_svd_impl, _svd_signature))


def _svd(a, full_matrices=False):
    return apply(Svd, (a,), {"full_matrices": full_matrices, "compute_uv": True})


def _svd_check(a, full_matrices, what):
    m, n = _shape(a)[-2:]
    if a._value.dtype.kind == "c":
        raise NotImplementedError(f"The {what} of tf.linalg.svd is implemented for real inputs only, got "
                                  f"{_desc(a)}.")
    return m, n


def _svd_vjp(g, ans, a, full_matrices, compute_uv):
    if not compute_uv:
        _svd_check(a, False, "gradient")
        s, u, v = _svd(a)
        return _mm(u * expand_dims(g, -2), v, tb=True)
    gs, gu, gv = g
    s, u, v = ans
    m, n = _svd_check(a, full_matrices, "gradient")
    use_adjoint = m > n
    if use_adjoint:  # differentiate A^T = V S U^T instead, transposing the result at the end
        m, n = n, m
        u, v = v, u
        gu, gv = gv, gu
    if full_matrices and abs(m - n) > 1:
        raise NotImplementedError(f"svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True "
                                  f"(input {_desc(a)}); use full_matrices=False.")
    f = _gap_reciprocal(s * s)
    s_row = expand_dims(s, -2)  # X @ diag(s) == X * s_row;  diag(s) @ X == X * s_col
    s_col = expand_dims(s, -1)
    v1 = v[..., :, :m]
    gv1 = gv[..., :, :m]
    f_u = f * _mm(u, gu, ta=True)
    f_v = f * _mm(v1, gv1, ta=True)
    term1_nouv = _diag(gs) + (f_u + _mT(f_u)) * s_row + s_col * (f_v + _mT(f_v))
    grad = _mm(u, _mm(term1_nouv, v1, tb=True))
    if m != n:
        gv1t = _mT(gv1)
        term2_nous = gv1t - _mm(_mm(gv1t, v1), v1, tb=True)
        if full_matrices:
            v2 = v[..., :, m:n]
            gv2 = gv[..., :, m:n]
            term2_nous = term2_nous - _mm(_mm(v1, gv2, ta=True), v2, tb=True)
        grad = grad + _mm(u * expand_dims(_safe_reciprocal(s), -2), term2_nous)
    return _mT(grad) if use_adjoint else grad


def _svd_jvp(ts, ans, a, full_matrices, compute_uv):
    t = ts[0]
    if not compute_uv:
        _svd_check(a, False, "forward-mode derivative")
        s, u, v = _svd(a)
        return reduce_sum(u * _mm(t, v), axis=-2)
    s, u, v = ans
    m, n = _svd_check(a, full_matrices, "forward-mode derivative")
    if full_matrices and m != n:
        raise NotImplementedError(f"The forward-mode derivative of tf.linalg.svd with full_matrices=True needs a "
                                  f"square input, got {_desc(a)}; use full_matrices=False.")
    ds_mat = _mm(u, _mm(t, v), ta=True)  # U^T dA V
    ds = _diag_part(ds_mat)
    f = _gap_reciprocal(s * s)
    dss = ds_mat * expand_dims(s, -2)
    sds = expand_dims(s, -1) * ds_mat
    du = _mm(u, f * (dss + _mT(dss)))
    dv = _mm(v, f * (sds + _mT(sds)))
    s_inv = expand_dims(_safe_reciprocal(s), -2)
    if m > n:
        dav = _mm(t, v)
        du = du + (dav - _mm(u, _mm(u, dav, ta=True))) * s_inv
    elif n > m:
        dahu = _mm(t, u, ta=True)
        dv = dv + (dahu - _mm(v, _mm(v, dahu, ta=True))) * s_inv
    return ds, du, dv


defvjp(Svd, _svd_vjp)
defjvp_all(Svd, _svd_jvp)


def _distinct_sv(m, n, batch=(), seed=0):
    """Matrices with well-separated singular values (3, 2, 1, ...) and random singular vectors."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(batch + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(batch + (n, k)))
    s = np.arange(k, 0, -1) + 0.1 * rng.uniform(-1, 1, batch + (k,))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


samples(Svd, lambda: [
    ((_distinct_sv(3, 3),), {"full_matrices": False, "compute_uv": True}),
    ((_distinct_sv(4, 2, seed=1),), {"full_matrices": False, "compute_uv": True}),
    ((_distinct_sv(2, 4, seed=2),), {"full_matrices": False, "compute_uv": True}),
    ((_distinct_sv(3, 3, (2,), seed=3),), {"full_matrices": True, "compute_uv": True}),
    ((_distinct_sv(4, 3, seed=4),), {"full_matrices": False, "compute_uv": False}),
    ((_distinct_sv(2, 3, (2,), seed=5),), {"full_matrices": False, "compute_uv": False})])


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """`tf.linalg.svd`: singular values (descending) and singular vectors, TensorFlow's `(s, u, v)` order.

    `tensor = u @ diag(s) @ adjoint(v)` (note: `v`, not NumPy's `vh`). Each singular vector pair's sign is
    arbitrary, as in TensorFlow. Gradients (TensorFlow's) need distinct singular values; with
    `full_matrices=True` they exist for |M - N| <= 1 only, as in TensorFlow.

    Returns:
      `(s, u, v)`: `s` `[..., P]`, `u` `[..., M, P]`, `v` `[..., N, P]` (P = min(M, N); `u` `[..., M, M]` and
      `v` `[..., N, N]` if `full_matrices`), or `s` alone if not `compute_uv`.

    >>> import tapegrad as tf
    >>> s, u, v = tf.linalg.svd(tf.constant([[3.0, 0.0], [0.0, -2.0]]))
    >>> s.numpy()
    array([3., 2.], dtype=float32)
    """
    x = _matrix(tensor, "Svd", square=False, arg="tensor")
    if not compute_uv:
        return apply(Svd, (x,), {"full_matrices": False, "compute_uv": False})
    return apply(Svd, (x,), {"full_matrices": bool(full_matrices), "compute_uv": True})


def pinv(a, rcond=None, validate_args=False, name=None):
    """`tf.linalg.pinv`: the Moore-Penrose pseudo-inverse from the SVD (TensorFlow's composite).

    Singular values at or below `rcond * max(s)` count as zero (default rcond: 10 * max(M, N) * eps).

    >>> import tapegrad as tf
    >>> tf.linalg.pinv(tf.constant([[2.0, 0.0], [0.0, 0.0]])).numpy()
    array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    """
    x = _matrix(a, "pinv", square=False, arg="a")
    m, n = _shape(x)[-2:]
    if rcond is None:
        rcond = 10.0 * max(m, n) * float(np.finfo(x.dtype.real_dtype.as_numpy_dtype).eps)
    s, u, v = svd(x)
    cutoff = rcond * reduce_max(s, axis=-1)
    s = where(s > expand_dims(cutoff, -1), s, float("inf"))
    if x._value.dtype.kind == "c":
        s = cast(s, x.dtype)
    return matmul(v / expand_dims(s, -2), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """`tf.linalg.matrix_rank`: the number of singular values above `tol` (default eps * max(M, N) * max(s)).

    >>> import tapegrad as tf
    >>> int(tf.linalg.matrix_rank(tf.constant([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    x = _matrix(a, "matrix_rank", square=False, arg="a")
    s = svd(x, compute_uv=False)
    if tol is None:
        eps = float(np.finfo(x.dtype.real_dtype.as_numpy_dtype).eps)
        tol = eps * max(_shape(x)[-2:]) * reduce_max(s, axis=-1, keepdims=True)
    return reduce_sum(cast(s > tol, _dt.int32), axis=-1)


# =========================================================================== least squares

def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """`tf.linalg.lstsq`: the least-squares solution X of `matrix @ X = rhs`, batched.

    With `fast` (TensorFlow's composite path), the normal equations are solved with a Cholesky factorization:
    X = (A^H A + l2 I)^{-1} A^H B for M >= N, X = A^H (A A^H + l2 I)^{-1} B (the minimum-norm solution) for
    M < N. With `fast=False`, the minimum-norm solution from the pseudo-inverse (l2_regularizer ignored).

    Raises:
      InvalidArgumentError: mismatched rows or dtypes; a rank-deficient `matrix` with `fast` and no
        regularizer (its Gram matrix is not positive definite).
      NotImplementedError: complex128 with l2_regularizer != 0 (as TensorFlow).

    >>> import tapegrad as tf
    >>> a = tf.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> tf.linalg.lstsq(a, tf.constant([[1.0], [1.0], [2.0]])).numpy().round(4)
    array([[1.],
           [1.]], dtype=float32)
    """
    a = _matrix(matrix, "MatrixSolveLs", square=False, arg="matrix")
    b = _rhs(rhs, a, "MatrixSolveLs")
    sa, sb = _shape(a), _shape(b)
    if sa[-2] != sb[-2]:
        raise _invalid("MatrixSolveLs", f"Input matrix and right-hand side must have the same number of rows: "
                                        f"{sa[-2]} vs. {sb[-2]} (matrix {_desc(a)}, rhs {_desc(b)}).")
    regularized = isinstance(l2_regularizer, _TensorLike) or l2_regularizer != 0
    if a.dtype.name == "complex128" and regularized:
        raise NotImplementedError("matrix_solve_ls is currently disabled for complex128 and l2_regularizer != 0 "
                                  "due to poor accuracy.")
    if not fast:
        return matmul(pinv(a), b)
    m, n = sa[-2:]
    first_kind = m >= n
    gram = matmul(a, a, adjoint_a=first_kind, adjoint_b=not first_kind)
    if regularized:
        lam = cast(as_input(l2_regularizer), a.dtype) if isinstance(l2_regularizer, _TensorLike) else l2_regularizer
        gram = gram + lam * _eye(min(m, n), a)
    chol = cholesky(gram)
    if first_kind:
        return cholesky_solve(chol, matmul(a, b, adjoint_a=True))
    return matmul(a, cholesky_solve(chol, b), adjoint_a=True)


# =========================================================================== diagonals, bands, trace

def _k_pair(k, op):
    if isinstance(k, _TensorLike):
        k = k.numpy().tolist()
    if isinstance(k, (list, tuple, np.ndarray)):
        ks = [int(v) for v in k]
        if len(ks) == 1:
            ks = ks * 2
        if len(ks) != 2 or ks[0] > ks[1]:
            raise _invalid(op, f"k must be an integer or a pair (low, high) with low <= high, got {k!r}.")
        return ks[0], ks[1]
    return int(k), int(k)


def _diag_layout(m, n, k0, k1, align, op):
    """Rows, columns and a validity mask, each (D, L), for diagonals k1 down to k0 of an m x n matrix in
    TensorFlow's order, L the longest; shorter diagonals are padded on the side that `align` leaves free."""
    if align not in ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
        raise ValueError(f"{op}: align must be one of 'RIGHT_LEFT', 'LEFT_RIGHT', 'LEFT_LEFT', 'RIGHT_RIGHT', "
                         f"got {align!r}.")
    length = min(m + min(k1, 0), n - max(k0, 0))
    d_count = k1 - k0 + 1
    rows = np.zeros((d_count, length), np.int64)
    cols = np.zeros((d_count, length), np.int64)
    valid = np.zeros((d_count, length), bool)
    for i, d in enumerate(range(k1, k0 - 1, -1)):
        size = min(m + min(d, 0), n - max(d, 0))
        left = align.startswith("LEFT") if d >= 0 else align.endswith("LEFT")
        off = 0 if left else length - size
        j = np.arange(size)
        rows[i, off:off + size] = j - min(d, 0)
        cols[i, off:off + size] = j + max(d, 0)
        valid[i, off:off + size] = True
    return rows, cols, valid


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """`tf.linalg.diag_part`: the diagonal `k` (or diagonals k[0]..k[1]) of each matrix.

    Returns:
      `[..., min(M, N)]` for k = 0; for a pair `k`, `[..., D, L]` with the diagonals from k[1] down to k[0],
      padded with `padding_value` as `align` says (TensorFlow's layout).

    >>> import tapegrad as tf
    >>> tf.linalg.diag_part(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([1., 4.], dtype=float32)
    """
    x = as_input(input)
    s = _shape(x)
    if len(s) < 2:
        raise _invalid("MatrixDiagPartV3", f"input must be at least 2-dim, received {_desc(x)}.")
    m, n = s[-2:]
    k0, k1 = _k_pair(k, "MatrixDiagPartV3")
    if not ((m == 0 and n == 0) or (-m < k0 and k1 < n)):
        raise _invalid("MatrixDiagPartV3", f"k = ({k0}, {k1}) is out of bounds for matrices of shape [{m}, {n}] "
                                           f"(input {_desc(x)}): each diagonal index must be in ({-m}, {n}).")
    rows, cols, valid = _diag_layout(m, n, k0, k1, align, "tf.linalg.diag_part")
    if k0 == k1:
        return getitem(x, (Ellipsis, rows[0], cols[0]))
    out = getitem(x, (Ellipsis, rows, cols))  # padded positions read element (0, 0), then are replaced
    if not valid.all():
        out = where(_const(valid, out), out, padding_value)
    return out


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """`tf.linalg.diag`: matrices with `diagonal` on diagonal `k` (or diagonals k[0]..k[1]), `padding_value`
    elsewhere; the matrix size is inferred (square) unless `num_rows` / `num_cols` say otherwise.

    >>> import tapegrad as tf
    >>> tf.linalg.diag(tf.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    v = as_input(diagonal)
    s = _shape(v)
    k0, k1 = _k_pair(k, "MatrixDiagV3")
    d_count = k1 - k0 + 1
    if len(s) < (1 if d_count == 1 else 2) or (d_count > 1 and s[-2] != d_count):
        raise _invalid("MatrixDiagV3", f"diagonal must hold {d_count} diagonal(s) for k = ({k0}, {k1}) "
                                       f"({'[..., L]' if d_count == 1 else f'[..., {d_count}, L]'}), got {_desc(v)}.")
    length = s[-1]
    batch = s[:-1] if d_count == 1 else s[:-2]
    min_rows, min_cols = length - min(k1, 0), length + max(k0, 0)
    num_rows, num_cols = int(num_rows), int(num_cols)
    if num_rows == -1 and num_cols == -1:
        num_rows = num_cols = max(min_rows, min_cols)
    elif num_rows == -1:
        num_rows = min_rows
    elif num_cols == -1:
        num_cols = min_cols
    if num_rows < 0 or num_cols < 0 or min(num_rows + min(k1, 0), num_cols - max(k0, 0)) != length:
        raise _invalid("MatrixDiagV3", f"num_rows = {num_rows} and num_cols = {num_cols} are not consistent with "
                                       f"k = ({k0}, {k1}) and diagonals of length {length} (diagonal {_desc(v)}).")
    rows, cols, valid = _diag_layout(num_rows, num_cols, k0, k1, align, "tf.linalg.diag")
    if d_count == 1:
        vals, key = v, (Ellipsis, rows[0], cols[0])
    else:
        vi, vj = np.nonzero(valid)
        vals, key = getitem(v, (Ellipsis, vi, vj)), (Ellipsis, rows[valid], cols[valid])
    out = apply(ScatterGrad, (vals,), {"shape": batch + (num_rows, num_cols), "key": key, "nbatch": 0})
    if padding_value != 0:
        band = np.zeros((num_rows, num_cols), bool)
        band[key[1], key[2]] = True
        out = where(_const(band, out), out, padding_value)
    return out


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """`tf.linalg.set_diag`: `input` with its diagonal `k` (or diagonals k[0]..k[1]) replaced by `diagonal`.

    >>> import tapegrad as tf
    >>> tf.linalg.set_diag(tf.zeros((2, 2)), tf.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    x = as_input(input)
    s = _shape(x)
    if len(s) < 2:
        raise _invalid("MatrixSetDiagV3", f"input must be at least 2-dim, received {_desc(x)}.")
    d = as_input(diagonal) if isinstance(diagonal, _TensorLike) else convert(diagonal, x.dtype)
    if d.dtype != x.dtype:
        raise _invalid("MatrixSetDiagV3", f"diagonal ({_desc(d)}) must have the input's dtype ({_desc(x)}).")
    m, n = s[-2:]
    k0, k1 = _k_pair(k, "MatrixSetDiagV3")
    out = diag(d, k=(k0, k1), num_rows=m, num_cols=n, align=align)
    rows, cols, valid = _diag_layout(m, n, k0, k1, align, "tf.linalg.set_diag")
    band = np.zeros((m, n), bool)
    band[rows[valid], cols[valid]] = True
    return where(_const(band, x), out, x)


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """`tf.linalg.band_part`: zeros outside the band of `num_lower` subdiagonals and `num_upper`
    superdiagonals of each matrix (a negative count keeps that whole triangle).

    >>> import tapegrad as tf
    >>> tf.linalg.band_part(tf.ones((3, 3)), 0, -1).numpy()
    array([[1., 1., 1.],
           [0., 1., 1.],
           [0., 0., 1.]], dtype=float32)
    """
    x = as_input(input)
    s = _shape(x)
    if len(s) < 2:
        raise _invalid("MatrixBandPart", f"input must be at least 2-dim, received {_desc(x)}.")
    lo = int(num_lower.numpy() if isinstance(num_lower, _TensorLike) else num_lower)
    up = int(num_upper.numpy() if isinstance(num_upper, _TensorLike) else num_upper)
    m, n = s[-2:]
    if lo > m:
        raise _invalid("MatrixBandPart", f"num_lower must be negative or less or equal to number of rows ({m}) "
                                         f"got: {lo} (input {_desc(x)}).")
    if up > n:
        raise _invalid("MatrixBandPart", f"num_upper must be negative or less or equal to number of columns ({n}) "
                                         f"got: {up} (input {_desc(x)}).")
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    mask = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    if mask.all():
        return convert(x)
    return where(_const(mask, x), x, zeros_like(x))


def trace(x, name=None):
    """`tf.linalg.trace`: the sum of each matrix's main diagonal.

    >>> import tapegrad as tf
    >>> float(tf.linalg.trace(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    5.0
    """
    return reduce_sum(diag_part(x), axis=-1)


def tensor_diag_part(input, name=None):  # noqa: A002
    """`tf.linalg.tensor_diag_part`: `output[i, j, ...] = input[i, j, ..., i, j, ...]` for a rank-2k input.

    >>> import tapegrad as tf
    >>> tf.linalg.tensor_diag_part(tf.reshape(tf.range(16), (2, 2, 2, 2))).numpy()
    array([[ 0,  5],
           [10, 15]], dtype=int32)
    """
    x = as_input(input)
    s = _shape(x)
    r = len(s) // 2
    if len(s) % 2 or s[:r] != s[r:]:
        raise _invalid("DiagPart", f"Input must have even rank and its first half of dimensions must equal its "
                                   f"second half, got {_desc(x)}.")
    size = int(np.prod(s[:r]))
    idx = np.arange(size)
    return reshape(getitem(reshape(x, (size, size)), (idx, idx)), s[:r])


def tensor_diag(diagonal, name=None):
    """`tf.linalg.tensor_diag`: the rank-2k tensor with `diagonal` (rank k) on its diagonal, zeros elsewhere.

    >>> import tapegrad as tf
    >>> tf.linalg.tensor_diag(tf.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    x = as_input(diagonal)
    s = _shape(x)
    return reshape(diag(reshape(x, (int(np.prod(s)),))), s + s)


# =========================================================================== norms, cross

_MATRIX_NORMS = ["euclidean", "fro", 1, 2, np.inf]
_VECTOR_NORMS = ["euclidean", 1, 2, np.inf]


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002 - TensorFlow's names
    """`tf.norm` / `tf.linalg.norm`: vector norms (euclidean, 1, inf, any p > 0) and matrix norms (Frobenius,
    1, 2, inf), computed as TensorFlow composes them (so the euclidean norm's gradient at 0 is NaN, as there).

    Args:
      tensor: a float or complex tensor.
      ord: 'euclidean' (default), 'fro', 1, 2, np.inf, or a real p > 0 (vectors).
      axis: None (all elements as one vector), an int (vectors along it), or a pair of ints (matrices).
      keepdims: keep the reduced dimensions with size 1.
    Raises:
      ValueError: an unsupported `ord` or `axis`.

    >>> import tapegrad as tf
    >>> float(tf.norm(tf.constant([3.0, 4.0])))
    5.0
    """
    keepdims = bool(keepdims) if keepdims is not None else False
    is_matrix_norm = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix_norm:
        axis = tuple(axis)
        if not all(isinstance(a, (int, np.integer)) for a in axis) or axis[0] == axis[1]:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        if ord not in _MATRIX_NORMS:
            raise ValueError(f"'ord' must be a supported matrix norm in {_MATRIX_NORMS}, got {ord}")
    else:
        if not (isinstance(axis, (int, np.integer)) or axis is None):
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        if ord not in _VECTOR_NORMS and (isinstance(ord, str) or not np.isreal(ord) or ord <= 0):
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
        if axis is not None:
            axis = (int(axis),)
    x = convert(tensor)
    if ord in ("fro", "euclidean", 2, 2.0):
        if is_matrix_norm and ord in (2, 2.0):
            rank = len(_shape(x))
            pos = [a % rank for a in axis]
            perm_before = [i for i in range(rank) if i not in pos] + pos
            perm_after = [int(i) for i in np.argsort(perm_before)]
            s = svd(transpose(x, perm_before), compute_uv=False)
            result = transpose(expand_dims(reduce_max(_abs(s), axis=-1, keepdims=True), -1), perm_after)
        else:
            result = sqrt(reduce_sum(x * _conj(x), axis, keepdims=True))
    else:
        result = _abs(x)
        if ord == 1:
            result = reduce_sum(result, None if axis is None else axis[0], keepdims=True)
            if is_matrix_norm:
                result = reduce_max(result, axis[-1], keepdims=True)
        elif ord == np.inf:
            if is_matrix_norm:
                result = reduce_sum(result, axis[1], keepdims=True)
            result = reduce_max(result, None if axis is None else axis[0], keepdims=True)
        else:  # general p-norms (p > 0)
            result = pow(reduce_sum(pow(result, float(ord)), axis, keepdims=True), 1.0 / float(ord))
    if not keepdims:
        result = squeeze(result, axis)
    return result


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """`tf.linalg.normalize`: `(tensor / norm, norm)`, the norm kept with reduced dimensions of size 1.

    >>> import tapegrad as tf
    >>> unit, n = tf.linalg.normalize(tf.constant([3.0, 4.0]))
    >>> unit.numpy(), float(n[0])
    (array([0.6, 0.8], dtype=float32), 5.0)
    """
    x = convert(tensor)
    n = norm(x, ord=ord, axis=axis, keepdims=True)
    n = cast(n, x.dtype)
    return x / n, n


_CROSS_1 = np.array([1, 2, 0])
_CROSS_2 = np.array([2, 0, 1])


def cross(a, b, name=None):
    """`tf.linalg.cross`: the cross product of 3-vectors along the last dimension (same shapes).

    >>> import tapegrad as tf
    >>> tf.linalg.cross(tf.constant([1.0, 0.0, 0.0]), tf.constant([0.0, 1.0, 0.0])).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    from .._core.primitive import _binary_inputs
    from .elementwise import Mul

    x, y = _binary_inputs(Mul, a, b)
    x = x if hasattr(x, "_value") else convert(x, y.dtype)
    y = y if hasattr(y, "_value") else convert(y, x.dtype)
    if _shape(x) != _shape(y):
        raise _invalid("Cross", f"Both inputs must be of same shape: {list(_shape(x))} vs. {list(_shape(y))} "
                                f"({x.dtype.name}).")
    if not _shape(x) or _shape(x)[-1] != 3:
        raise _invalid("Cross", f"Trailing dimension of a must be 3, got {_desc(x)}.")

    def at(t, idx):
        return getitem(t, (Ellipsis, idx))

    return at(x, _CROSS_1) * at(y, _CROSS_2) - at(x, _CROSS_2) * at(y, _CROSS_1)

