"""The reverse sweep: prune, call VJP rules, unbroadcast, accumulate, free.

Key decisions:
- Iterative: one forward pass marks the entries reachable from the sources, one reverse pass over the
  entry list calls the rules. Depth never touches Python's recursion limit.
- `None` is the zero gradient inside the engine; real zeros are made only at the API boundary.
- Rules ignore broadcasting; gradients are summed down to their input's shape here (`unbroadcast`), keeping
  any leading batch dimensions the cotangent carries (vectorized Jacobians).
- Rules are written with tapegrad ops, so an outer tape records this sweep (higher-order derivatives).
- A non-persistent tape's entries are dropped one by one as the sweep passes them.
- A Jacobian's seed may be structured (ops/jacobian_seeds.py: one-hot rows times a tensor): such a cotangent
  runs an op's step itself where the op keeps the structure, else becomes dense for the ordinary step.
"""

from __future__ import annotations

from .hooks import hooks
from .tensor import Tensor


def backward(entries: list, seeds: list, source_ids: list, release: bool) -> dict:
    """Gradients by tensor id for `source_ids`, given `(target id, seed)` pairs."""
    sources = set(source_ids)
    n = len(entries)
    # Forward pass: which entries depend on a source?
    reach = set(sources)
    live = []
    i = -1
    for _prim, args, _params, out in entries:
        i += 1
        for a in args:
            if a.__class__ is Tensor and a._id in reach:
                live.append(i)
                if out.__class__ is tuple:
                    reach.update(o._id for o in out)
                else:
                    reach.add(out._id)
                break
    cot: dict = {}
    rows = seeds[0][1].__class__ if len(seeds) == 1 and seeds[0][1].__class__ is not Tensor else None  # OneHotRows
    add = hooks.add if rows is None else hooks.add_cotangents
    for tid, seed in seeds:
        prev = cot.get(tid)
        cot[tid] = seed if prev is None else add(prev, seed)
    unbroadcast = hooks.unbroadcast
    if release:  # entries off every path to a source are dropped at once, the rest one by one below
        dead = set(range(n)).difference(live) if len(live) < n else ()
        for i in dead:
            entries[i] = None
    for i in reversed(live):
        prim, args, params, out = entries[i]
        if release:
            entries[i] = None
        if out.__class__ is tuple:
            gs = [cot.get(o._id) if o._id in sources else cot.pop(o._id, None) for o in out]
            if rows is not None:
                gs = [hooks.dense_cotangent(g) for g in gs]
            if all(g is None for g in gs):
                continue
            g0 = next(g for g in gs if g is not None)
            nbatch = g0._value.ndim - next(o for o, g in zip(out, gs) if g is not None)._value.ndim
            g = tuple(hooks.zeros_like_batched(o, g0, nbatch) if gk is None else gk for o, gk in zip(out, gs))
        else:
            oid = out._id
            g = cot.get(oid) if oid in sources else cot.pop(oid, None)
            if g.__class__ is rows:
                g = g.pull(prim, out, args, params, reach, cot)
            if g is None:
                continue
            nbatch = g._value.ndim - out._value.ndim
        rules = prim.vjps
        if rules is None:  # one rule for all inputs (or none: LookupError)
            needed = [a.__class__ is Tensor and a._id in reach for a in args]
            grads = prim.vjp(g, out, args, params, needed)
        k = -1
        for a in args:
            k += 1
            if a.__class__ is not Tensor or a._id not in reach:
                continue
            if rules is None:
                gk = grads[k]
            else:
                rule = rules[k]
                gk = None if rule is None else (rule(g, out, *args, **params) if params else rule(g, out, *args))
            if gk is None:
                continue
            if nbatch or gk._value.shape != a._value.shape:
                gk = unbroadcast(gk, a, nbatch)
            aid = a._id
            prev = cot.get(aid)
            cot[aid] = gk if prev is None else add(prev, gk)
    if rows is not None:
        return {sid: hooks.dense_cotangent(cot.get(sid)) for sid in source_ids}
    return {sid: cot.get(sid) for sid in source_ids}
