"""Vectorized `jacobian` and `batch_jacobian`: one backward sweep with a batch of cotangents.

Key decision: no loop over output elements. The seed is the identity, reshaped to `(n,) + target.shape`,
and every VJP rule accepts cotangents with extra leading batch dimensions (DESIGN.md), so one sweep yields
all `n` rows at once. `parallel_iterations` caps the batch (rows per sweep) to bound memory;
`experimental_use_pfor=False` runs one unbatched sweep per row instead (the same numbers, slower).
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from . import nest
from .backward import backward
from .hooks import hooks
from .tensor import Variable, _TensorLike, wrap


def _identity_rows(target, start: int, stop: int):
    """Rows start..stop of the identity over target's elements, shaped (stop - start,) + target.shape."""
    v = target._value
    shape = tuple(v.shape)
    n = int(np.prod(shape))
    xp = _backend.namespace_of(v)
    dtype = v.dtype
    if xp is np:
        eye = np.zeros((stop - start, n), dtype=dtype)
        eye[np.arange(stop - start), np.arange(start, stop)] = 1
        return wrap(eye.reshape((stop - start,) + shape))
    eye = xp.eye(n, dtype=dtype)[start:stop, :]
    return wrap(xp.reshape(eye, (stop - start,) + shape))


def _sweep(tape, seed_target_id, seed, source_ids):
    return backward(tape._entries, [(seed_target_id, seed)], [s for s in source_ids if s is not None], False)


def jacobian(tape, target, sources, unconnected_gradients, parallel_iterations, experimental_use_pfor):
    """See GradientTape.jacobian."""
    from .tape import UnconnectedGradients, _unconnected

    unconnected = _unconnected(unconnected_gradients)
    if not isinstance(target, _TensorLike):
        raise TypeError(f"GradientTape.jacobian: target must be a tensor, got {type(target).__name__}.")
    flat_sources = nest.flatten(sources)
    source_ids = []
    for s in flat_sources:
        if not isinstance(s, _TensorLike):
            raise TypeError(f"GradientTape.jacobian: a source has type {type(s).__name__}; sources must be "
                            "tf.Tensor or tf.Variable objects.")
        ok = s._value.dtype.kind in "fc" and not (s.__class__ is Variable and s._id not in tape._watched)
        source_ids.append(s._id if ok else None)
    tshape = tuple(target._value.shape)
    n = int(np.prod(tshape))
    rows: list[list] = [[] for _ in flat_sources]
    spans: list[tuple] = []
    if target._value.dtype.kind in "fc" and n:
        if experimental_use_pfor:
            step = n if not parallel_iterations else max(1, int(parallel_iterations))
            for start in range(0, n, step):
                stop = min(n, start + step)
                spans.append((start, stop))
                grads = _sweep(tape, target._id, _identity_rows(target, start, stop), source_ids)
                for k, sid in enumerate(source_ids):
                    rows[k].append(None if sid is None else grads.get(sid))
        else:
            for i in range(n):
                spans.append((i, i + 1))
                seed = hooks.reshape(_identity_rows(target, i, i + 1), tshape)
                grads = _sweep(tape, target._id, seed, source_ids)
                for k, sid in enumerate(source_ids):
                    g = None if sid is None else grads.get(sid)
                    rows[k].append(None if g is None else hooks.expand_dims(g, 0))
    out = []
    for s, chunks in zip(flat_sources, rows):
        sshape = tuple(s._value.shape)
        if not chunks or all(c is None for c in chunks):
            out.append(hooks.zeros(tshape + sshape, s.dtype) if unconnected is UnconnectedGradients.ZERO else None)
            continue
        filled = []
        for c, (start, stop) in zip(chunks, spans):
            filled.append(hooks.zeros((stop - start,) + sshape, s.dtype) if c is None else c)
        j = filled[0] if len(filled) == 1 else hooks.concat(filled, 0)
        out.append(hooks.reshape(j, tshape + sshape))
    if not tape._persistent:
        tape._entries = None
        tape._watched = None
    return nest.pack_sequence_as(sources, out)


def batch_jacobian(tape, target, source, unconnected_gradients, parallel_iterations, experimental_use_pfor):
    """See GradientTape.batch_jacobian."""
    from .tape import UnconnectedGradients, _unconnected

    unconnected = _unconnected(unconnected_gradients)
    for name, t in (("target", target), ("source", source)):
        if not isinstance(t, _TensorLike):
            raise TypeError(f"GradientTape.batch_jacobian: {name} must be a tensor, got {type(t).__name__}.")
    tshape, sshape = tuple(target._value.shape), tuple(source._value.shape)
    if len(tshape) < 1 or len(sshape) < 1 or tshape[0] != sshape[0]:
        raise ValueError(f"Need first dimension of target shape ({list(tshape)}) and source shape "
                         f"({list(sshape)}) to match.")
    b = tshape[0]
    ny = int(np.prod(tshape[1:]))
    sid = source._id if source._value.dtype.kind in "fc" else None
    if sid is not None and source.__class__ is Variable and sid not in tape._watched:
        sid = None
    pieces = []
    if sid is not None and ny and b and target._value.dtype.kind in "fc":
        step = ny if (not parallel_iterations or not experimental_use_pfor) else max(1, int(parallel_iterations))
        if not experimental_use_pfor:
            step = 1
        v = target._value
        for start in range(0, ny, step):
            stop = min(ny, start + step)
            eye = np.zeros((stop - start, ny), dtype=_backend.to_numpy(v).dtype)
            eye[np.arange(stop - start), np.arange(start, stop)] = 1
            seed = np.broadcast_to(eye[:, None, :], (stop - start, b, ny)).reshape((stop - start,) + tshape)
            xp = _backend.namespace_of(v)
            seed = wrap(np.array(seed) if xp is np else xp.asarray(seed))
            g = _sweep(tape, target._id, seed, [sid]).get(sid)
            pieces.append(hooks.zeros((stop - start,) + sshape, source.dtype) if g is None else g)
    if not tape._persistent:
        tape._entries = None
        tape._watched = None
    if not pieces:
        if unconnected is UnconnectedGradients.ZERO:
            return hooks.zeros((b,) + tshape[1:] + sshape[1:], source.dtype)
        return None
    j = pieces[0] if len(pieces) == 1 else hooks.concat(pieces, 0)  # (ny, b, *x)
    nx = len(sshape) - 1
    j = hooks.transpose(j, (1, 0) + tuple(range(2, 2 + nx)))       # (b, ny, *x)
    return hooks.reshape(j, (b,) + tshape[1:] + sshape[1:])
