"""`tf.custom_gradient`.

Key decisions:
- A custom-gradient function `f` runs with the tapes recording, as in TensorFlow's eager decorator: its
  inner ops are recorded like any others, so tensors that `grad_fn` closes over stay connected to the inputs
  and an outer tape differentiates `grad_fn` correctly (second order). Its outputs are then re-wrapped
  under fresh ids and one entry is recorded from the inputs (and the variables `f` read) to them, whose
  VJP calls the user's `grad_fn`: only `grad_fn` decides the first-order gradient.
- `grad_fn` is user code written for one upstream gradient: a batch of them (a vectorized Jacobian) calls it
  once per row, as TensorFlow's pfor runs it, and stacks the results (`_per_row`).
- Forward mode through a custom gradient transposes `grad_fn` (it is linear in the upstream gradient):
  the JVP with tangent `t` is the gradient of `<grad_fn(u), t>` with respect to `u`.
"""

from __future__ import annotations

import functools
import inspect
import math
import types

from . import nest
from .hooks import hooks
from .primitive import Primitive, convert
from .tape import GradientTape, record, watch_variable_reads
from .tensor import _TensorLike, wrap


def _accepts_variables(fn) -> bool:
    try:
        spec = inspect.getfullargspec(fn)
    except TypeError:
        return True
    return "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw is not None


def custom_gradient(f=None):
    """Decorates `f(*x) -> (y, grad_fn)` so that tapes use `grad_fn(*dy)` as the gradient of `y` w.r.t. `x`.

    If `f` reads trainable variables (other than its arguments), `grad_fn(*dy, variables=...)` must accept
    them and return `(input_grads, variable_grads)`.

    Raises:
      TypeError: `f` does not return `(result, grad_fn)`, or reads variables and `grad_fn` does not
        accept `variables`.

    >>> import tapegrad as tf
    >>> @tf.custom_gradient
    ... def clip_grad(x):
    ...     def grad(dy):
    ...         return tf.maximum(tf.minimum(dy, 1.0), -1.0)
    ...     return tf.identity(x), grad
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = clip_grad(x * 10.0)
    >>> float(tape.gradient(y, x))
    10.0
    """
    if f is None:
        return custom_gradient
    return _CustomGradient(f)


class _CustomGradient:
    """The decorated function; binds like a method when used on one (`self` is not a differentiable input)."""

    def __init__(self, f):
        functools.update_wrapper(self, f)
        self._f = f

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return _CustomGradient(types.MethodType(self._f, instance))

    def __call__(self, *args, **kwargs):
        return _call_with_custom_gradient(self._f, args, kwargs)


def _call_with_custom_gradient(f, args: tuple, kwargs: dict):
    """Runs `f` (recorded, as TensorFlow records it) and records one entry whose VJP is its `grad_fn`."""
    fname = getattr(f, "__name__", "custom_gradient")
    with watch_variable_reads() as reads:
        out = f(*args, **kwargs)
    if not isinstance(out, (tuple, list)) or len(out) != 2 or not callable(out[1]):
        raise TypeError(f"@tf.custom_gradient function {fname!r} must return a pair (result, grad_fn), "
                        f"got {type(out).__name__}.")
    result, grad_fn = out
    flat_args = nest.flatten(args)
    arg_ids = {a._id for a in flat_args + nest.flatten(kwargs) if isinstance(a, _TensorLike)}
    variables = [v for v in reads.values() if v._trainable and v._id not in arg_ids]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError(f"@tf.custom_gradient grad_fn must accept keyword argument 'variables', since function "
                        f"{fname!r} uses variables: {[v.name for v in variables]}. Define it as "
                        "grad_fn(*upstream, variables=None) returning (input_grads, variable_grads).")
    flat_result = nest.flatten(result)
    for r in flat_result:
        if not isinstance(r, _TensorLike):
            raise TypeError(f"@tf.custom_gradient function {fname!r} returned a {type(r).__name__}; "
                            "its results must be tensors.")
    outs = tuple(wrap(r._value) for r in flat_result)
    inputs = tuple(convert(a) if isinstance(a, _TensorLike) else a for a in flat_args) + \
        tuple(convert(v) for v in variables)
    n_args = len(flat_args)

    def vjp_all(g, ans, *recorded):
        gs = list(g) if isinstance(g, tuple) else [g]
        nbatch = gs[0].ndim - (ans[0] if isinstance(ans, tuple) else ans).ndim
        return _per_row(one, gs, ans, nbatch, recorded) if nbatch else one(gs)

    def one(gs):
        if variables:
            got = grad_fn(*gs, variables=variables)
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise ValueError(f"@tf.custom_gradient grad_fn of {fname!r} uses variables, so it must "
                                 "return a pair (input_grads, variable_grads).")
            input_grads, var_grads = got
            var_grads = list(nest.flatten(var_grads))
            if len(var_grads) != len(variables):
                raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
        else:
            input_grads, var_grads = grad_fn(*gs), []
        flat_grads = nest.flatten(input_grads)
        if len(flat_grads) != n_args:
            raise ValueError(f"custom_gradient function expected to return {n_args} gradients, but returned "
                             f"{len(flat_grads)} instead.")
        return [None if gr is None else convert(gr) for gr in flat_grads] + \
            [None if gr is None else convert(gr) for gr in var_grads]

    prim = Primitive(fname, None)
    prim.vjp_all = vjp_all
    prim.jvp_all = functools.partial(_transposed_jvp, vjp_all)
    record(prim, inputs, outs if len(outs) > 1 else outs[0], {})
    return nest.pack_sequence_as(result, list(outs))


def _per_row(one, gs: list, ans, nbatch: int, inputs: tuple) -> list:
    """A batch of cotangents (a vectorized Jacobian) through a user's grad_fn, written for one cotangent:
    called once per row, as TensorFlow's pfor runs it, and the input gradients stacked."""
    outs = ans if isinstance(ans, tuple) else (ans,)
    batch = tuple(gs[0]._value.shape[:nbatch])
    rows = [hooks.reshape(g, (-1,) + tuple(o._value.shape)) for g, o in zip(gs, outs)]
    per = [one([r[i] for r in rows]) for i in range(math.prod(batch))]
    stacked = []
    for k, x in enumerate(inputs):
        col = [p[k] for p in per]
        if all(c is None for c in col):
            stacked.append(None)
            continue
        col = [hooks.expand_dims(hooks.zeros_like(x) if c is None else hooks.unbroadcast(c, x, 0), 0) for c in col]
        stacked.append(hooks.reshape(hooks.concat(col, 0), batch + tuple(x._value.shape)))
    return stacked


def _transposed_jvp(vjp_all, tangents, ans, *inputs):
    """The JVP of an op known only by its (linear in `g`) VJP: the gradient of `<vjp(u), t>` w.r.t. `u`."""
    outs = ans if isinstance(ans, tuple) else (ans,)
    us = [hooks.zeros_like(o) for o in outs]
    with GradientTape() as tape:
        tape.watch(us)
        grads = vjp_all(tuple(us) if isinstance(ans, tuple) else us[0], ans, *inputs)
        pairs = [(g, t) for g, t in zip(grads, tangents) if g is not None and t is not None]
    if not pairs:
        return (None,) * len(outs) if isinstance(ans, tuple) else None
    res = tape.gradient([g for g, _ in pairs], us, output_gradients=[t for _, t in pairs])
    return tuple(res) if isinstance(ans, tuple) else res[0]


# --------------------------------------------------------------------------- tf.TensorSpec, tf.function
