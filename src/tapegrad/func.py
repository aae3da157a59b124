"""JAX-style function transforms built on tapes and forward accumulators.

Key decision: every transform is a few lines over `GradientTape` / `ForwardAccumulator`, so they compose
with each other and with user tapes (a `hessian` is a `jacobian` of a `grad`), and inputs may be nested
structures of tensors. Functions must be pure in their differentiated arguments.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> float(func.grad(lambda x: x ** 3)(tf.constant(2.0)))
    12.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._core import nest
from ._core.forward import ForwardAccumulator
from ._core.jacobian import jacobian as _jacobian
from ._core.tape import GradientTape
from ._core.tensor import Variable, _TensorLike
from .ops import convert_to_tensor, reshape, stack, zeros_like


def _as_tensors(x):
    return nest.map_structure(lambda v: v if isinstance(v, _TensorLike) and not isinstance(v, Variable)
                              else convert_to_tensor(v), x)


def _argnums(argnums: int | Sequence[int], n: int) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        nums, single = (argnums,), True
    else:
        nums, single = tuple(argnums), False
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"argnums {a} is out of range for a function called with {n} positional arguments.")
    return tuple(a % n for a in nums), single


def _split_aux(out, has_aux: bool):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("has_aux=True needs the function to return a pair (output, aux).")
    return out[0], out[1]


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning `(fun(*args), gradient of fun w.r.t. args[argnums])`; `fun` returns a scalar
    (or a tensor, whose sum is differentiated, as tapes do). With `has_aux`, `fun` returns `(out, aux)` and
    the result is `((out, aux), grads)`.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> v, g = func.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(tf.constant(2.0), tf.constant(3.0))
    >>> float(v), [float(t) for t in g]
    (6.0, [3.0, 2.0])
    """
    def wrapped(*args, **kwargs):
        nums, single = _argnums(argnums, len(args))
        args = list(args)
        for a in nums:
            args[a] = _as_tensors(args[a])
        with GradientTape() as tape:
            for a in nums:
                tape.watch(args[a])
            out, aux = _split_aux(fun(*args, **kwargs), has_aux)
        grads = tape.gradient(out, [args[a] for a in nums], unconnected_gradients="zero")
        grads = grads[0] if single else tuple(grads)
        return ((out, aux) if has_aux else out), grads

    return wrapped


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient function of `fun` w.r.t. `args[argnums]` (zeros where unconnected).

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> float(func.grad(func.grad(lambda x: x ** 3))(tf.constant(2.0)))
    12.0
    """
    vg = value_and_grad(fun, argnums, has_aux)

    def wrapped(*args, **kwargs):
        (out_aux, g) = vg(*args, **kwargs)
        return (g, out_aux[1]) if has_aux else g

    return wrapped


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """`(fun(*primals), vjp_fn)` where `vjp_fn(cotangent)` returns one gradient per primal.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> y, f_vjp = func.vjp(lambda x: x * x, tf.constant([1.0, 2.0]))
    >>> f_vjp(tf.constant([1.0, 1.0]))[0].numpy()
    array([2., 4.], dtype=float32)
    """
    primals = [_as_tensors(p) for p in primals]
    tape = GradientTape(persistent=True)
    with tape:
        tape.watch(primals)
        out, aux = _split_aux(fun(*primals), has_aux)

    def vjp_fn(cotangent):
        return tuple(tape.gradient(out, primals, output_gradients=cotangent, unconnected_gradients="zero"))

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """`(fun(*primals), J @ tangents)` in forward mode.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> y, t = func.jvp(lambda x: x ** 3, (tf.constant(2.0),), (tf.constant(1.0),))
    >>> float(y), float(t)
    (8.0, 12.0)
    """
    primals = [_as_tensors(p) for p in primals]
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents.")
    with ForwardAccumulator(primals, list(tangents)) as acc:
        out, aux = _split_aux(fun(*primals), has_aux)
    t = acc.jvp(out, unconnected_gradients="zero")
    return (out, t, aux) if has_aux else (out, t)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by reverse mode, vectorized (one batched sweep).

    The result has shape `out.shape + arg.shape`.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.jacrev(lambda x: x * x)(tf.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    def wrapped(*args, **kwargs):
        nums, single = _argnums(argnums, len(args))
        args = list(args)
        for a in nums:
            args[a] = _as_tensors(args[a])
        with GradientTape() as tape:
            for a in nums:
                tape.watch(args[a])
            out = fun(*args, **kwargs)
        js = _jacobian(tape, out, [args[a] for a in nums], "zero", None, True)
        return js[0] if single else tuple(js)

    return wrapped


def jacfwd(fun: Callable, argnums: int = 0) -> Callable:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by forward mode (one JVP per input element).

    Best when the input is smaller than the output. The result has shape `out.shape + arg.shape`.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.jacfwd(lambda x: x * x)(tf.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    import numpy as np

    def wrapped(*args, **kwargs):
        args = list(args)
        x = _as_tensors(args[argnums])
        if not isinstance(x, _TensorLike):
            raise TypeError("jacfwd differentiates one tensor argument; use jacrev for nested structures.")
        n = int(np.prod(x.shape))
        cols = []
        out = None
        eye = np.eye(max(n, 1), dtype=x.dtype.as_numpy_dtype)
        for i in range(n):
            args[argnums] = x
            with ForwardAccumulator(x, eye[i].reshape(tuple(x.shape))) as acc:
                out = fun(*args, **kwargs)
            cols.append(acc.jvp(out, unconnected_gradients="zero"))
        if out is None:
            out = fun(*args, **kwargs)
            return zeros_like(reshape(out, [-1]))[:0]
        j = stack(cols, axis=-1)  # out.shape + (n,)
        return reshape(j, list(out.shape) + list(x.shape))

    return wrapped


def hessian(fun: Callable, argnums: int = 0) -> Callable:
    """The Hessian of scalar `fun` w.r.t. `args[argnums]`: a vectorized Jacobian of its gradient.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.hessian(lambda x: tf.reduce_sum(x ** 3))(tf.constant([1.0, 2.0])).numpy()
    array([[ 6.,  0.],
           [ 0., 12.]], dtype=float32)
    """
    return jacrev(grad(fun, argnums), argnums)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence) -> Any:
    """The Hessian-vector product of scalar `fun` at `primals` along `tangents` (forward-over-reverse).

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.hvp(lambda x: tf.reduce_sum(x ** 3), (tf.constant([1.0, 2.0]),), (tf.constant([1.0, 0.0]),))[0].numpy()
    array([6., 0.], dtype=float32)
    """
    primals = [_as_tensors(p) for p in primals]
    with ForwardAccumulator(primals, list(tangents)) as acc:
        with GradientTape() as tape:
            tape.watch(primals)
            out = fun(*primals)
        grads = tape.gradient(out, primals, unconnected_gradients="zero")
    return tuple(acc.jvp(grads, unconnected_gradients="zero"))


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "hvp"]
