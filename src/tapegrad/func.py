"""JAX-style function transforms built on tapes and forward accumulators.

Key decision: every transform is a few lines over `GradientTape` / `ForwardAccumulator`, so they compose
with each other and with user tapes (a `hessian` is a vectorized `jacobian` of a `grad`, exactly as
TensorFlow's guide builds one with nested tapes), and arguments and outputs may be nested structures of
tensors (lists, tuples, dicts, namedtuples). Functions must be pure in their differentiated arguments.

`jacfwd` runs one forward pass per input element: forward-mode rules take tangents of their primal's shape
(ForwardAccumulator's contract, as in TensorFlow), so there is no batched-tangent sweep to vectorize it with;
use `jacrev` (one batched reverse sweep) unless the input is much smaller than the output.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> float(func.grad(lambda x: x ** 3)(tf.constant(2.0)))
    12.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._core import nest
from ._core.forward import ForwardAccumulator
from ._core.tape import GradientTape, UnconnectedGradients
from ._core.tensor import _TensorLike
from .ops import convert_to_tensor, reshape, stack, zeros

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "hvp"]

_ZERO = UnconnectedGradients.ZERO


def _as_tensors(x):
    """Every leaf of `x` a Tensor (Python numbers become float32/int32 as in TensorFlow; Variables stay)."""
    return nest.map_structure(lambda v: v if isinstance(v, _TensorLike) else convert_to_tensor(v), x)


def _argnums(argnums: int | Sequence[int], n: int) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        nums, single = (int(argnums),), True
    elif isinstance(argnums, Sequence) and all(isinstance(a, (int, np.integer)) for a in argnums):
        nums, single = tuple(int(a) for a in argnums), False
    else:
        raise TypeError(f"argnums must be an int or a sequence of ints, got {argnums!r}.")
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"argnums {a} is out of range for a function called with {n} positional arguments.")
    return tuple(a % n for a in nums), single


def _prepare(args: tuple, argnums) -> tuple[list, tuple[int, ...], bool]:
    nums, single = _argnums(argnums, len(args))
    args = list(args)
    for a in nums:
        args[a] = _as_tensors(args[a])
    return args, nums, single


def _split_aux(out, has_aux: bool):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("has_aux=True needs the function to return a pair (output, aux).")
    return out[0], out[1]


def _tangents_like(primal, tangent):
    """`tangent` converted leaf by leaf to its primal's dtype; its structure must match `primal`'s (a leaf of
    `primal` may take any array-like tangent, a Python list included)."""
    if not nest.is_nested(primal):
        return tangent if isinstance(tangent, _TensorLike) else convert_to_tensor(tangent, dtype=primal.dtype)
    if isinstance(primal, dict):
        if set(primal) != set(tangent):
            raise ValueError(f"tangent keys {sorted(tangent)} differ from the primal's {sorted(primal)}.")
        return nest.pack_sequence_as(primal, [_tangents_like(primal[k], tangent[k]) for k in
                                              sorted(primal, key=nest._sort_key)])
    if not isinstance(tangent, (list, tuple)) or len(tangent) != len(primal):
        raise ValueError(f"tangent structure {type(tangent).__name__} does not match the primal's "
                         f"{type(primal).__name__} of length {len(primal)}.")
    flat = [_tangents_like(p, t) for p, t in zip(primal, tangent)]
    return nest.pack_sequence_as(primal, [leaf for item in flat for leaf in nest.flatten(item)])


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning `(fun(*args), gradient of fun w.r.t. args[argnums])`.

    `fun` returns a scalar (or a tensor, whose sum is differentiated, as `GradientTape.gradient` does).
    Gradients have the structure of the differentiated arguments, zeros where unconnected.

    Args:
      fun: the function to differentiate.
      argnums: an int (gradient structured like that argument) or a sequence of ints (a tuple of them).
      has_aux: `fun` returns `(output, aux)`; the result is then `((output, aux), grads)`.
    Raises:
      ValueError: an argnum is out of range. TypeError: bad argnums, or `has_aux` without a pair.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> v, g = func.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(tf.constant(2.0), tf.constant(3.0))
    >>> float(v), [float(t) for t in g]
    (6.0, [3.0, 2.0])
    >>> loss = lambda p, x: tf.reduce_sum((p["w"] * x + p["b"]) ** 2)
    >>> _, g = func.value_and_grad(loss)({"w": tf.constant(2.0), "b": tf.constant(1.0)}, tf.constant(1.0))
    >>> {k: float(v) for k, v in g.items()}
    {'w': 6.0, 'b': 6.0}
    """
    def wrapped(*args, **kwargs):
        args, nums, single = _prepare(args, argnums)
        with GradientTape() as tape:
            for a in nums:
                tape.watch(args[a])
            out, aux = _split_aux(fun(*args, **kwargs), has_aux)
        grads = tape.gradient(out, [args[a] for a in nums], unconnected_gradients=_ZERO)
        grads = grads[0] if single else tuple(grads)
        return ((out, aux) if has_aux else out), grads

    return wrapped


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient function of `fun` w.r.t. `args[argnums]` (zeros where unconnected); with `has_aux`,
    it returns `(grads, aux)`. Composes: `grad(grad(f))` is the second derivative.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> float(func.grad(func.grad(lambda x: x ** 3))(tf.constant(2.0)))
    12.0
    """
    vg = value_and_grad(fun, argnums, has_aux)

    def wrapped(*args, **kwargs):
        out_aux, g = vg(*args, **kwargs)
        return (g, out_aux[1]) if has_aux else g

    return wrapped


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """`(fun(*primals), vjp_fn)` where `vjp_fn(cotangent)` returns a tuple with one gradient per primal
    (structured like it); `cotangent` has the structure and shapes of `fun`'s output. `vjp_fn` may be called
    any number of times. With `has_aux`, returns `(out, vjp_fn, aux)`.

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
        return tuple(tape.gradient(out, primals, output_gradients=cotangent, unconnected_gradients=_ZERO))

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """`(fun(*primals), J @ tangents)` in forward mode: one pass, no tape.

    Args:
      primals: the arguments (each a tensor, array or nested structure of them).
      tangents: one per primal, with its structure and shapes (converted to its dtype).
    Returns:
      `(out, tangent_out)` (or `(out, tangent_out, aux)`), `tangent_out` structured like `out`, zeros where
      no tangent reaches.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> y, t = func.jvp(lambda x: x ** 3, (tf.constant(2.0),), (tf.constant(1.0),))
    >>> float(y), float(t)
    (8.0, 12.0)
    """
    primals = [_as_tensors(p) for p in primals]
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents.")
    tangents = [_tangents_like(p, t) for p, t in zip(primals, tangents)]
    with ForwardAccumulator(primals, tangents) as acc:
        out, aux = _split_aux(fun(*primals), has_aux)
    t = acc.jvp(out, unconnected_gradients=_ZERO)
    return (out, t, aux) if has_aux else (out, t)


def _per_output(out, fn):
    """`fn(leaf)` for every leaf of `out`, in `out`'s structure."""
    return nest.pack_sequence_as(out, [fn(o) for o in nest.flatten(out)])


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by reverse mode, vectorized (one batched sweep per
    output tensor, `GradientTape.jacobian`).

    For each output tensor `o` and argument leaf `x` the block has shape `o.shape + x.shape`; blocks are
    arranged in the output's structure, each holding the argument's structure (a tuple over `argnums` when
    it is a sequence). With `has_aux`, returns `(jacobian, aux)`.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.jacrev(lambda x: x * x)(tf.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    >>> jx, jy = func.jacrev(lambda x, y: x * y, argnums=(0, 1))(tf.constant([1.0, 2.0]), tf.constant(3.0))
    >>> jx.numpy().tolist(), jy.numpy().tolist()
    ([[3.0, 0.0], [0.0, 3.0]], [1.0, 2.0])
    """
    def wrapped(*args, **kwargs):
        args, nums, single = _prepare(args, argnums)
        diff = [args[a] for a in nums]
        with GradientTape(persistent=True) as tape:
            tape.watch(diff)
            out, aux = _split_aux(fun(*args, **kwargs), has_aux)

        def one(o):
            js = tape.jacobian(_as_tensors(o), diff, unconnected_gradients=_ZERO)
            return js[0] if single else tuple(js)

        jac = _per_output(out, one)
        return (jac, aux) if has_aux else jac

    return wrapped


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by forward mode: one JVP per input element.

    Same layout as `jacrev`. Best when the inputs are much smaller than the outputs; it loops (see the
    module docstring).

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.jacfwd(lambda x: x * x)(tf.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    def wrapped(*args, **kwargs):
        args, nums, single = _prepare(args, argnums)
        diff = [args[a] for a in nums]
        leaves = nest.flatten(diff)
        columns = []  # per input leaf: per basis direction, the flat output tangents
        out = aux = None
        for leaf in leaves:
            shape = tuple(leaf._value.shape)
            eye = np.eye(math.prod(shape), dtype=leaf.dtype.as_numpy_dtype)
            per_dir = []
            for row in eye:
                with ForwardAccumulator(leaf, convert_to_tensor(row.reshape(shape))) as acc:
                    out, aux = _split_aux(fun(*args, **kwargs), has_aux)
                per_dir.append(nest.flatten(acc.jvp(out, unconnected_gradients=_ZERO)))
            columns.append(per_dir)
        if out is None:
            out, aux = _split_aux(fun(*args, **kwargs), has_aux)
        flat_out = nest.flatten(out)

        def block(k: int, li: int):
            o, leaf = _as_tensors(flat_out[k]), leaves[li]
            oshape, xshape = list(o._value.shape), list(leaf._value.shape)
            cols = [d[k] for d in columns[li]]
            if not cols:
                return zeros(oshape + xshape, dtype=o.dtype)
            return reshape(stack(cols, axis=-1), oshape + xshape)

        per_out = []
        for k in range(len(flat_out)):
            struct = nest.pack_sequence_as(diff, [block(k, li) for li in range(len(leaves))])
            per_out.append(struct[0] if single else tuple(struct))
        jac = nest.pack_sequence_as(out, per_out)
        return (jac, aux) if has_aux else jac

    return wrapped


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of scalar `fun` w.r.t. `args[argnums]`: the vectorized Jacobian of its gradient, i.e.
    TensorFlow's nested tapes (an outer `jacobian` of an inner `gradient`). Shape `x.shape + x.shape`; for a
    sequence of argnums, a tuple of tuples `H[i][j]`.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.hessian(lambda x: tf.reduce_sum(x ** 3))(tf.constant([1.0, 2.0])).numpy()
    array([[ 6.,  0.],
           [ 0., 12.]], dtype=float32)
    """
    return jacrev(grad(fun, argnums), argnums)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence) -> Any:
    """The Hessian-vector product of scalar `fun` at `primals` along `tangents` (forward-over-reverse: a
    ForwardAccumulator around a GradientTape, as TensorFlow documents it); a tuple with one entry per primal.

    >>> import tapegrad as tf
    >>> from tapegrad import func
    >>> func.hvp(lambda x: tf.reduce_sum(x ** 3), (tf.constant([1.0, 2.0]),), (tf.constant([1.0, 0.0]),))[0].numpy()
    array([6., 0.], dtype=float32)
    """
    primals = [_as_tensors(p) for p in primals]
    if len(primals) != len(tangents):
        raise ValueError(f"hvp: {len(primals)} primals but {len(tangents)} tangents.")
    tangents = [_tangents_like(p, t) for p, t in zip(primals, tangents)]
    with ForwardAccumulator(primals, tangents) as acc:
        with GradientTape() as tape:
            tape.watch(primals)
            out = fun(*primals)
        grads = tape.gradient(out, primals, unconnected_gradients=_ZERO)
    return tuple(acc.jvp(grads, unconnected_gradients=_ZERO))

