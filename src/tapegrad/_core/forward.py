"""Forward mode: ForwardAccumulator carries tangents alongside primal values through every op.

Key decision: the same primitive records feed tapes and accumulators. When an op runs with an accumulator
active and one of its inputs has a tangent, the op's JVP rule (written with tapegrad ops) computes the
output's tangent. An accumulator hides its own JVP work from itself but not from outer tapes and outer
accumulators, so forward-over-reverse and nested forward mode compose.
"""

from __future__ import annotations

from . import nest
from .hooks import hooks
from .tape import UnconnectedGradients, _bump, _state, _unconnected
from .tensor import Tensor, _TensorLike


def accumulate(st, prim, args, out, params) -> None:
    """Called by `record` for each op: pushes tangents through it on every active accumulator."""
    # Outermost first: an inner accumulator's JVP rule may use the op's output (`t * ans`), whose tangent
    # the outer accumulators must already hold when they differentiate that rule (forward-over-forward).
    for acc in list(st.accumulators):
        ts = acc._tangents
        tangents = [ts.get(a._id) if a.__class__ is Tensor else None for a in args]
        if all(t is None for t in tangents):
            continue
        st.accumulators.remove(acc)
        try:
            t_out = prim.jvp(tangents, out, args, params)
        finally:
            st.accumulators.append(acc)
        if out.__class__ is tuple:
            for o, t in zip(out, t_out):
                if t is not None and o._value.dtype.kind in "fc":
                    ts[o._id] = hooks.broadcast_like(t, o)
        elif t_out is not None:
            ts[out._id] = hooks.broadcast_like(t_out, out)


class ForwardAccumulator:
    """Computes Jacobian-vector products in forward mode, alongside the forward computation.

    >>> import tapegrad as tf
    >>> x = tf.constant(2.0)
    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
    ...     y = x * x * x
    >>> float(acc.jvp(y))
    12.0
    """

    def __init__(self, primals, tangents):
        flat_p = nest.flatten(primals)
        flat_t = nest.flatten(tangents)
        if len(flat_p) != len(flat_t):
            raise ValueError(f"ForwardAccumulator: {len(flat_p)} primals but {len(flat_t)} tangents; give one "
                             "tangent per primal.")
        self._tangents: dict = {}
        for p, t in zip(flat_p, flat_t):
            if not isinstance(p, _TensorLike):
                raise TypeError(f"ForwardAccumulator: primals must be tensors or variables, got {type(p).__name__}.")
            t = hooks.convert(t, p.dtype)
            if tuple(t._value.shape) != tuple(p._value.shape):
                raise ValueError(f"ForwardAccumulator: a tangent has shape {tuple(t._value.shape)} but its "
                                 f"primal has shape {tuple(p._value.shape)}; they must match.")
            self._tangents[p._id] = t
        self._active = False

    def __enter__(self) -> ForwardAccumulator:
        if self._active:
            raise ValueError("This ForwardAccumulator is already active.")
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
        """The tangents of `primals` (a nested structure), None or zeros where no tangent flowed."""
        unconnected = _unconnected(unconnected_gradients)

        def one(p):
            t = self._tangents.get(p._id)
            if t is None and unconnected is UnconnectedGradients.ZERO:
                t = hooks.zeros_like(p)
            return t

        return nest.map_structure(one, primals)
