"""Flatten and rebuild nested lists, tuples, dicts and namedtuples (TensorFlow's `tf.nest`, the part tapes use).

Key decision: iterative, and dicts are walked in sorted-key order as `tf.nest` does, so a structure's
flat order is the same everywhere.
"""

from __future__ import annotations


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def is_nested(x) -> bool:
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x, key=_sort_key)]
    return list(x)


def _sort_key(k):
    if isinstance(k, (int, float, str)):
        return (0 if isinstance(k, (int, float)) else 1, k)
    return (type(k).__name__, k)


def flatten(structure) -> list:
    """The leaves of `structure` in order (a non-nested value is its own single leaf).

    >>> flatten({"b": [1, 2], "a": 3})
    [3, 1, 2]
    """
    cls = structure.__class__
    if cls is list or cls is tuple:
        for x in structure:
            if isinstance(x, (list, tuple, dict)):
                break
        else:
            return list(structure)  # the common case: a flat list or tuple
    elif not is_nested(structure):
        return [structure]
    out = []
    stack = [iter([structure])]
    while stack:
        try:
            x = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if is_nested(x):
            stack.append(iter(_children(x)))
        else:
            out.append(x)
    return out


def pack_sequence_as(structure, flat):
    """Rebuilds `structure`'s nesting with the leaves taken from `flat` in order.

    >>> pack_sequence_as({"b": [0, 0], "a": 0}, [3, 1, 2])
    {'b': [1, 2], 'a': 3}
    """
    flat = list(flat)
    cls = structure.__class__
    if (cls is list or cls is tuple) and len(flat) == len(structure) and not any(
            isinstance(x, (list, tuple, dict)) for x in structure):
        return cls(flat)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"Structure is a single value but {len(flat)} values were given.")
        return flat[0]
    it = iter(flat)
    result = _pack(structure, it)
    if next(it, _END) is not _END:
        raise ValueError("More values than the structure has leaves.")
    return result


_END = object()


def _pack(structure, it):
    # Structures are shallow in practice (arguments, not graphs); recursion depth is the nesting depth.
    if not is_nested(structure):
        try:
            return next(it)
        except StopIteration:
            raise ValueError("Fewer values than the structure has leaves.") from None
    if isinstance(structure, dict):
        keys = sorted(structure, key=_sort_key)
        values = {k: _pack(structure[k], it) for k in keys}
        return type(structure)((k, values[k]) for k in structure) if type(structure) is not dict else \
            {k: values[k] for k in structure}
    items = [_pack(c, it) for c in structure]
    if _is_namedtuple(structure):
        return type(structure)(*items)
    return type(structure)(items)


def map_structure(fn, *structures):
    """Applies `fn` leaf-wise over structures of the same nesting."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("map_structure: the structures have different numbers of leaves.")
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])
