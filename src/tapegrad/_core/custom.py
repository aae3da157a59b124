"""`tf.custom_gradient`, `tf.stop_gradient`'s decorator cousins, and `tf.function` (run eagerly).

Key decision: a custom-gradient function runs with every tape paused (its inner ops are never recorded),
then one entry is recorded whose VJP calls the user's `grad_fn`. `grad_fn` runs with tapegrad ops, so an
outer tape records it: a `custom_gradient` nested inside `grad_fn` is honoured at second order.
"""

from __future__ import annotations

import functools
import inspect

from . import nest
from .primitive import Primitive, convert
from .tape import _state, record, stop_recording_all, watch_variable_reads
from .tensor import _TensorLike, wrap


def _accepts_variables(fn) -> bool:
    try:
        spec = inspect.getfullargspec(fn)
    except TypeError:
        return True
    return "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw is not None


def custom_gradient(f=None):
    """Decorates `f(*x) -> (y, grad_fn)` so that tapes use `grad_fn(*dy)` as the gradient of `y` w.r.t. `x`.

    If `f` reads variables, `grad_fn(*dy, variables=...)` must return `(input_grads, variable_grads)`.

    >>> import tapegrad as tf
    >>> @tf.custom_gradient
    ... def clip_grad(x):
    ...     def grad(dy):
    ...         return tf.clip_by_value(dy, -1.0, 1.0)
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

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        with stop_recording_all(), watch_variable_reads() as reads:
            out = f(*args, **kwargs)
        if not isinstance(out, (tuple, list)) or len(out) != 2 or not callable(out[1]):
            raise TypeError(f"@tf.custom_gradient function {f.__name__!r} must return a pair (result, grad_fn).")
        result, grad_fn = out
        flat_args = nest.flatten(args)
        arg_ids = {a._id for a in flat_args if isinstance(a, _TensorLike)}
        variables = [v for v in reads.values() if v._trainable and v._id not in arg_ids]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(f"@tf.custom_gradient grad_fn of {f.__name__!r} must accept a keyword argument "
                            f"'variables', since the function uses variables: {[v.name for v in variables]}.")
        for v in variables:  # the tapes were paused while f read them
            _state.variable_accessed(v)
        flat_result = nest.flatten(result)
        for r in flat_result:
            if not isinstance(r, _TensorLike):
                raise TypeError(f"@tf.custom_gradient function {f.__name__!r} returned a {type(r).__name__}; "
                                "its results must be tensors.")
        outs = tuple(wrap(r._value) for r in flat_result)
        inputs = tuple(convert(a) if isinstance(a, _TensorLike) else a for a in flat_args) + \
            tuple(convert(v) for v in variables)
        n_args = len(flat_args)

        def vjp_all(g, ans, *recorded):
            gs = list(g) if isinstance(g, tuple) else [g]
            if variables:
                got = grad_fn(*gs, variables=variables)
                if not isinstance(got, (tuple, list)) or len(got) != 2:
                    raise ValueError(f"@tf.custom_gradient grad_fn of {f.__name__!r} uses variables, so it must "
                                     "return (input_grads, variable_grads).")
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

        prim = Primitive(f.__name__, None)
        prim.vjp_all = vjp_all
        record(prim, inputs, outs if len(outs) > 1 else outs[0], {})
        return nest.pack_sequence_as(result, list(outs))

    return decorated


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None,
             name=None):
    """`tf.function`, accepted so TensorFlow code runs unchanged: the function runs eagerly, as written.

    >>> import tapegrad as tf
    >>> @tf.function(jit_compile=True)
    ... def f(x):
    ...     return x * 2.0
    >>> float(f(tf.constant(1.5)))
    3.0
    """
    def decorate(fn):
        @functools.wraps(fn)
        def eager(*args, **kwargs):
            return fn(*args, **kwargs)

        eager.python_function = fn
        eager.get_concrete_function = lambda *a, **k: eager
        return eager

    if func is None:
        return decorate
    return decorate(func)
