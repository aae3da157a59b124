"""Vectorized `jacobian` and `batch_jacobian`: one backward sweep with a batch of cotangents.

Key decision: no loop over output elements. The seed is a batch of one-hot rows (the identity, reshaped to
`(n,) + target.shape`; kept symbolic through elementwise ops, ops/jacobian_seeds.py), and every VJP rule
accepts cotangents with extra leading batch dimensions (DESIGN.md), so one sweep yields all `n` rows at once.
`parallel_iterations` caps the rows per sweep to bound memory; `experimental_use_pfor=False` runs one unbatched
sweep per row instead, as TensorFlow's while_loop fallback does (the same numbers up to BLAS summation order,
slower).

TensorFlow's rules (tensorflow/python/eager/backprop.py, TF 2.21) are kept: `jacobian` returns None (or zeros)
for sources with no path, including integer targets and sources; an empty target gives an empty Jacobian for
connected sources; `batch_jacobian` needs rank >= 2 and equal first dimensions, and returns zeros (in the
target's dtype, or the source's with UnconnectedGradients.ZERO) when unconnected; a non-persistent tape allows
one sweep only (so neither the loop nor more than one chunk); inside a persistent tape's context the sweep is
recorded on the tape. One divergence: TensorFlow's pfor rejects `parallel_iterations=1`; here it is one row
per sweep.
"""

from __future__ import annotations

import math

import numpy as np

from . import nest
from .backward import backward
from .hooks import hooks
from .tensor import _TensorLike


def _ids(tape, api: str, target, sources: list) -> list:
    """Checks the arguments; the tape's id for each source, None where it has no gradient (not floating, or
    not watched by the tape, as in TensorFlow)."""
    for t in [target] + sources:
        if not isinstance(t, _TensorLike):
            raise TypeError(f"GradientTape.{api}: the target must be a single tensor and the sources tensors or "
                            f"variables, got {type(t).__name__}.")
    watched = tape._watched or ()
    return [s._id if s._value.dtype.kind in "fc" and s._id in watched else None for s in sources]


def _rows(tape, target, ids: list, n: int, reps: int, parallel_iterations, use_pfor: bool, api: str) -> list:
    """Runs the sweeps for the `n` Jacobian rows: [(rows in the block, {source id: gradient block or None})],
    each block shaped (rows,) + source.shape. Applies TensorFlow's tape rules (one sweep on a non-persistent
    tape, which is then released; recording on a persistent tape inside its context)."""
    from .tape import _warn

    p = parallel_iterations
    if p is not None and (isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1):
        raise ValueError(f"Argument `parallel_iterations` must be None or a positive integer. Received: {p}.")
    if tape._entries is None:
        raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                           "(or jacobians); use GradientTape(persistent=True) for more.")
    persistent = tape._persistent
    if not use_pfor and not persistent:
        raise RuntimeError(f"GradientTape must be created with persistent=True to compute the {api} with eager "
                           "execution enabled and with experimental_use_pfor set to False.")
    if not persistent and p is not None and p <= n:  # TensorFlow's pfor then tiles the rows: several sweeps
        raise RuntimeError(f"GradientTape must be created with persistent=True to compute the {api} with "
                           f"parallel_iterations ({p}) not above the number of rows ({n}).")
    if tape._recording and not persistent:
        tape._pop()
    elif tape._recording and not tape._warned_inside:
        tape._warned_inside = True
        _warn(f"Calling GradientTape.{api} on a persistent tape inside its context records the computation on "
              "the tape (needed only for higher-order derivatives); call it outside the `with` block otherwise.")
    entries = tape._entries
    if not persistent:  # one sweep, releasing the tape's entries as it goes
        tape._entries = tape._watched = None
    live = [i for i in ids if i is not None]
    if not live or target._value.dtype.kind not in "fc":
        return []
    step = (n if p is None else int(p)) if use_pfor or not n else 1
    blocks = []
    for start in range(0, max(n, 1), max(step, 1)):
        stop = min(n, start + step)
        batched = use_pfor or not n
        seed = hooks.jacobian_seed(target, start, stop, reps, batched)  # one-hot rows, kept symbolic when batched
        grads = backward(entries, [(target._id, seed)], live, not persistent)
        if not batched:  # the loop: one unbatched row
            grads = {i: None if g is None else hooks.expand_dims(g, 0) for i, g in grads.items()}
        blocks.append((stop - start, grads))
    return blocks


def _stack(blocks: list, sid, sshape: tuple):
    """The blocks of one source joined along the rows (zeros for a block without a gradient); None if none
    has one."""
    got = [g.get(sid) for _, g in blocks] if sid is not None else []
    like = next((g for g in got if g is not None), None)
    if like is None:
        return None
    parts = [hooks.zeros((r,) + sshape, like.dtype) if g is None else g for (r, _), g in zip(blocks, got)]
    return parts[0] if len(parts) == 1 else hooks.concat(parts, 0)


def jacobian(tape, target, sources, unconnected_gradients, parallel_iterations, experimental_use_pfor):
    """See GradientTape.jacobian."""
    from .tape import UnconnectedGradients, _unconnected

    zero = _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO
    flat = nest.flatten(sources)
    ids = _ids(tape, "jacobian", target, flat)
    tshape = tuple(target._value.shape)
    blocks = _rows(tape, target, ids, math.prod(tshape), 1, parallel_iterations, experimental_use_pfor, "jacobian")
    out = []
    for s, sid in zip(flat, ids):
        shape = tshape + tuple(s._value.shape)
        j = _stack(blocks, sid, tuple(s._value.shape))
        if j is not None and tuple(j._value.shape) != shape:
            j = hooks.reshape(j, shape)
        out.append(j if j is not None else hooks.zeros(shape, s.dtype) if zero else None)
    return nest.pack_sequence_as(sources, out)


def batch_jacobian(tape, target, source, unconnected_gradients, parallel_iterations, experimental_use_pfor):
    """See GradientTape.batch_jacobian."""
    from .tape import UnconnectedGradients, _unconnected

    zero = _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO
    (sid,) = _ids(tape, "batch_jacobian", target, [source])
    for t in (target, source):
        if t.ndim < 2:
            raise ValueError(f"Shape {t.shape} must have rank at least 2")
    tshape, sshape = tuple(target._value.shape), tuple(source._value.shape)
    if tshape[0] != sshape[0]:
        raise ValueError(f"Need first dimension of target shape ({target.shape}) and source shape "
                         f"({source.shape}) to match.")
    b, ny = tshape[0], math.prod(tshape[1:])
    blocks = _rows(tape, target, [sid], ny, b, parallel_iterations, experimental_use_pfor, "batch_jacobian")
    j = _stack(blocks, sid, sshape) if ny and b else None
    new_shape = (b,) + tshape[1:] + sshape[1:]
    if j is None:  # TensorFlow returns zeros here, ignoring unconnected_gradients unless it is ZERO
        return hooks.zeros(new_shape, source.dtype if zero and ny and b else target.dtype)
    j = hooks.transpose(j, (1, 0) + tuple(range(2, 1 + len(sshape))))  # (ny, b, *x) -> (b, ny, *x)
    return hooks.reshape(j, new_shape)
