"""Forward mode: ForwardAccumulator carries tangents alongside primal values through every op.

Key decision: the same primitive records feed tapes and accumulators. When an op runs with an accumulator
active and one of its inputs has a tangent, the op's JVP rule (written with tapegrad ops) computes the
output's tangent. As in TensorFlow (tensorflow/python/eager/forwardprop.py), accumulators run in the order
they were entered, and an accumulator's JVP work is seen only by the tapes and accumulators that were already
active when it was entered: outer ones record it (reverse-over-forward, forward-over-forward), inner ones
ignore it (a tape inside an accumulator does not hold its JVPs: memory-efficient forward-over-reverse
Hessian-vector products). A tangent is dropped when its primal is garbage collected, so forward mode holds no
intermediate the program no longer holds.
"""

from __future__ import annotations

import weakref

from . import nest
from .hooks import hooks
from .tape import UnconnectedGradients, _bump, _state, _unconnected
from .tensor import Tensor, _TensorLike


def accumulate(st, prim, args, out, params) -> None:
    """Called by `record` for each op: pushes tangents through it on every active accumulator."""
    tapes, accs = st.tapes, st.accumulators
    # Outermost first: an inner accumulator's JVP rule may use the op's output (`t * ans`), whose tangent
    # the outer accumulators must already hold when they differentiate that rule (forward-over-forward).
    for acc in list(accs):
        ts = acc._tangents
        tangents = [ts.get(a._id) if a.__class__ is Tensor else None for a in args]
        if all(t is None for t in tangents):
            continue
        outer_tapes, outer_accs = acc._outer
        st.tapes = [t for t in tapes if t in outer_tapes]
        st.accumulators = [a for a in accs if a in outer_accs]
        try:
            t_out = prim.jvp(tangents, out, args, params)
        finally:
            st.tapes, st.accumulators = tapes, accs
        if out.__class__ is tuple:
            for o, t in zip(out, t_out):
                if t is not None and o._value.dtype.kind in "fc":
                    ts.keep(o, hooks.broadcast_like(t, o))
        elif t_out is not None:
            ts.keep(out, hooks.broadcast_like(t_out, out))


class _Tangents(dict):
    """Tangents by tensor id; an op output's entry goes when the output is garbage collected."""

    __slots__ = ("__weakref__", "_refs")

    def keep(self, out: Tensor, t: Tensor) -> None:
        k, me = out._id, weakref.ref(self)
        self[k] = t
        self._refs[k] = weakref.ref(out, lambda _: (d := me()) is not None and (d.pop(k, None), d._refs.pop(k, None)))



hooks.accumulate = accumulate

class ForwardAccumulator:
    """Computes Jacobian-vector products in forward mode, alongside the forward computation.

    Args:
      primals: a tensor, variable, or nested structure of them, to watch.
      tangents: the same structure of tangents, each with its primal's shape (converted to its dtype).
    Raises:
      ValueError: a primal is listed twice, the structures differ, or a tangent's shape or dtype differs
        from its primal's.
      TypeError: a primal is not a tensor or variable.

    >>> import tapegrad as tf
    >>> x = tf.constant(2.0)
    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
    ...     y = x * x * x
    >>> acc.jvp(y)
    <tf.Tensor: shape=(), dtype=float32, numpy=12.0>

    Nested accumulators give higher-order derivatives; take them from the outer one, as in TensorFlow:

    >>> primal = tf.constant(1.1)
    >>> with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.)) as outer:
    ...     with tf.autodiff.ForwardAccumulator(primal, tf.constant(1.)) as inner:
    ...         primal_out = primal ** tf.constant(3.5)
    >>> outer.jvp(inner.jvp(primal_out))  # 3.5 * 2.5 * 1.1 ** 1.5
    <tf.Tensor: shape=(), dtype=float32, numpy=10.094786>
    """

    def __init__(self, primals, tangents):
        flat_p = nest.flatten(primals)
        if nest.map_structure(_leaf, primals) != nest.map_structure(_leaf, tangents):
            raise ValueError(f"ForwardAccumulator: primals and tangents must have the same nested structure; got "
                             f"{type(primals).__name__} with {len(flat_p)} leaves and {type(tangents).__name__} "
                             f"with {len(nest.flatten(tangents))}.")
        self._tangents = _Tangents()
        self._tangents._refs = {}
        for p, t in zip(flat_p, nest.flatten(tangents)):
            if not isinstance(p, _TensorLike):
                raise TypeError(f"ForwardAccumulator: primals must be tensors or variables, got {type(p).__name__}.")
            if p._id in self._tangents:
                raise ValueError(f"Tensor {p!r:.80} was specified as a primal multiple times. This may indicate an "
                                 "error. If it was intended, please sum the corresponding tangents.")
            t = hooks.convert(t, p.dtype)
            if tuple(t._value.shape) != tuple(p._value.shape):
                raise ValueError(f"ForwardAccumulator: a tangent has shape {tuple(t._value.shape)} but its "
                                 f"primal has shape {tuple(p._value.shape)}; they must match.")
            self._tangents[p._id] = t
        self._active = False
        self._outer: tuple = ((), ())

    def __enter__(self) -> ForwardAccumulator:
        if self._active:
            raise ValueError("Accumulator is already recording.")
        self._outer = (tuple(_state.tapes), tuple(_state.accumulators))
        _state.accumulators.append(self)
        self._active = True
        _bump(1)
        return self

    def __exit__(self, *exc) -> None:
        if self._active:
            _state.accumulators.remove(self)
            self._active = False
            _bump(-1)

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The tangents of `primals` (a nested structure): a lookup, no computation. None where no tangent
        flowed (or zeros, with `unconnected_gradients=UnconnectedGradients.ZERO`).

        >>> import tapegrad as tf
        >>> v = tf.Variable([1.0, 2.0])
        >>> with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        ...     with tf.GradientTape() as tape:
        ...         y = tf.reduce_sum(v ** 3.0)
        ...     backward = tape.gradient(y, v)
        >>> acc.jvp(backward)  # forward-over-reverse Hessian-vector product
        <tf.Tensor: shape=(2,), dtype=float32, numpy=array([6., 0.], dtype=float32)>
        """
        unconnected = _unconnected(unconnected_gradients)

        def one(p):
            if not isinstance(p, _TensorLike):
                raise TypeError(f"ForwardAccumulator.jvp: expected tensors, got {type(p).__name__}.")
            t = self._tangents.get(p._id)
            if t is None and unconnected is UnconnectedGradients.ZERO:
                t = hooks.zeros_like(p)
            return t

        return nest.map_structure(one, primals)


def _leaf(_):
    return None
