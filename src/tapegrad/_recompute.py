"""`tf.recompute_grad`: gradient checkpointing.

Key decision (TensorFlow's tensorflow/python/ops/custom_gradient.py, TF 2.21): the wrapped function runs with
every tape and accumulator paused, so none of its intermediates is kept; a `tf.custom_gradient` entry from
its inputs (and the trainable variables it reads) to its outputs is all the tape holds. The backward pass
runs the function again under a fresh tape, on fresh identities of the inputs, and differentiates that.
Because the recomputation and its backward sweep are ordinary recorded ops, an outer tape or accumulator
differentiates them: second-order gradients and forward mode through `recompute_grad` work here, where
TensorFlow raises NotImplementedError ("recompute_grad tried to transpose grad of ..."); first-order results
are the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ._core import nest
from ._core.custom import custom_gradient
from ._core.tape import GradientTape, UnconnectedGradients, stop_recording_all
from ._core.tensor import _TensorLike
from .ops import identity

__all__ = ["recompute_grad"]


def recompute_grad(f: Callable) -> Callable:
    """Wraps `f` so that tapes keep only its inputs and outputs, and its gradient recomputes it.

    Trades compute for memory: the backward pass runs `f` a second time. Trainable variables `f` reads get
    gradients. `f` should be deterministic (a random op gives different values when recomputed, as in
    TensorFlow). The original function stays reachable as `__wrapped__`.

    Args:
      f: a function of tensors (nested structures allowed; keyword arguments are passed through and not
        differentiated) returning a tensor or a nested structure of tensors.
    Returns:
      The checkpointed function.

    >>> import tapegrad as tf
    >>> w = tf.Variable(2.0)
    >>> block = tf.recompute_grad(lambda x: tf.sin(x * w))
    >>> x = tf.constant(0.5)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = block(block(x))
    >>> len(tape._entries)  # two entries, one per call: nothing inside `block` is kept
    2
    >>> [round(float(g), 5) for g in tape.gradient(y, [x, w])]
    [-0.24186, -0.15464]
    """

    @custom_gradient
    def inner(*args, **kwargs):
        with stop_recording_all():
            result = f(*args, **kwargs)

        def grad_fn(*dresult, variables=None):
            variables = list(variables or ())
            with GradientTape() as tape:
                id_args = nest.map_structure(lambda a: identity(a) if isinstance(a, _TensorLike) else a, args)
                tape.watch([a for a in nest.flatten(id_args) if isinstance(a, _TensorLike)])
                tape.watch(variables)
                recomputed = f(*id_args, **kwargs)
            flat_args = nest.flatten(id_args)
            tensors = [a for a in flat_args if isinstance(a, _TensorLike)]
            grads = iter(tape.gradient(nest.flatten(recomputed), tensors + variables, output_gradients=list(dresult),
                                       unconnected_gradients=UnconnectedGradients.ZERO))
            arg_grads = [next(grads) if isinstance(a, _TensorLike) else None for a in flat_args]
            return (arg_grads, list(grads)) if variables else arg_grads

        return result, grad_fn

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        return inner(*args, **kwargs)

    return wrapped
