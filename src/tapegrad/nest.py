"""`tf.nest`: flatten, rebuild, map and compare nested structures with TensorFlow 2.21's rules.

    >>> import tapegrad as tf
    >>> tf.nest.flatten({"b": [1, 2], "a": (3, None)})
    [3, None, 1, 2]
    >>> tf.nest.map_structure(lambda x: x * 10, {"b": [1, 2], "a": 3})
    {'b': [10, 20], 'a': 30}

What is a nested structure (everything else is a leaf, an "atom"), as in TensorFlow:

- `collections.abc.Sequence` except `str` and `bytes`: lists, tuples, namedtuples, `range`, `deque`, ...;
- `collections.abc.Mapping` (dict, OrderedDict, defaultdict, ...), walked in sorted-key order, so the keys must
  be sortable against each other; `collections.abc.MappingView` (`d.keys()`, ...), walked in its own order;
- classes made with `attrs` (a class attribute `__attrs_attrs__`), walked in field order;
- classes with TensorFlow's `__tf_flatten__` / `__tf_unflatten__` protocol;
- with `expand_composites=True` only: `tf.IndexedSlices`, whose parts are `values`, `indices` and
  `dense_shape` (when it has one).

Leaves: tensors and variables, NumPy arrays, strings, numbers, None, sets, dataclasses, everything else.

Key decision: this module is TensorFlow's `nest.py` / `nest_util.py` and the C++ helpers behind them, redone in
Python, with their error classes and messages. `_core/nest.py` is the tape's own small subset and is not reused
for the walking: it sorts mixed int/str keys where TensorFlow raises TypeError, and it treats Mappings other than
dict, `range`, attrs classes and views as leaves. On lists, tuples, namedtuples and dicts with keys of one kind the
two give the same order (tests/test_nest.py checks), so a tape's gradients line up with `tf.nest.flatten`.
Like TensorFlow's, the walk is recursive: a structure nested deeper than Python's recursion limit, or one that
contains itself, raises RecursionError.
"""

from __future__ import annotations

import collections as _collections
import collections.abc as _abc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .ops.indexing import IndexedSlices

__all__ = ["assert_same_structure", "flatten", "flatten_with_joined_string_paths", "is_nested", "map_structure",
           "map_structure_with_paths", "pack_sequence_as"]

# Kinds of node. A leaf is 0 so `if kind:` reads "if nested".
_LEAF, _SEQUENCE, _MAPPING, _VIEW, _ATTRS, _CUSTOM, _COMPOSITE = range(7)
# kind by type, filled as types are met (TensorFlow caches its Sequence check by type the same way); emptied
# when large, so that classes made on the fly (a namedtuple per call) are not kept alive by it.
_BASE_KINDS = {list: _SEQUENCE, tuple: _SEQUENCE, dict: _MAPPING, str: _LEAF, bytes: _LEAF, int: _LEAF,
               float: _LEAF, bool: _LEAF, type(None): _LEAF}
_KINDS: dict[type, int] = dict(_BASE_KINDS)


def _classify(cls: type) -> int:
    try:
        if issubclass(cls, _abc.Mapping):
            kind = _MAPPING
        elif issubclass(cls, _abc.MappingView):
            kind = _VIEW
        elif hasattr(cls, "__attrs_attrs__"):
            kind = _ATTRS
        elif hasattr(cls, "__tf_flatten__") and hasattr(cls, "__tf_unflatten__"):
            kind = _CUSTOM
        elif issubclass(cls, IndexedSlices):
            kind = _COMPOSITE
        elif issubclass(cls, _abc.Sequence) and not issubclass(cls, (str, bytes)):
            kind = _SEQUENCE
        else:
            kind = _LEAF
    except TypeError:  # a metaclass whose checks fail: a leaf
        kind = _LEAF
    if len(_KINDS) > 4096:
        _KINDS.clear()
        _KINDS.update(_BASE_KINDS)
    _KINDS[cls] = kind
    return kind


def _kind(x: Any, expand: bool) -> int:
    cls = type(x)
    kind = _KINDS.get(cls)
    if kind is None:
        kind = _classify(cls)
    if kind == _COMPOSITE and not expand:
        return _LEAF
    return kind


def _is_namedtuple(x: Any, strict: bool = False) -> bool:
    """TensorFlow's test: a tuple with `_fields`, a sequence of strings (strict: a direct subclass of tuple)."""
    if not isinstance(x, tuple) or (strict and type(x).__base__ is not tuple):
        return False
    fields = getattr(x, "_fields", None)
    return isinstance(fields, _abc.Sequence) and all(isinstance(f, (str, bytes)) for f in fields)


def _same_namedtuples(a: Any, b: Any) -> bool:
    return a._fields == b._fields and type(a).__name__ == type(b).__name__


def _composite_parts(x: IndexedSlices) -> list:
    parts = [x.values, x.indices]
    if x.dense_shape is not None:
        parts.append(x.dense_shape)
    return parts


def _children(x: Any, kind: int) -> Iterable:
    """The values under a nested `x`, in TensorFlow's order."""
    if kind == _SEQUENCE or kind == _VIEW:
        return x
    if kind == _MAPPING:
        return [x[k] for k in sorted(x)]  # TypeError "'<' not supported ..." for unsortable keys, as in TF
    if kind == _ATTRS:
        return [getattr(x, a.name) for a in type(x).__attrs_attrs__]
    if kind == _CUSTOM:
        return x.__tf_flatten__()[1]
    return _composite_parts(x)


def _sorted_keys(mapping: Any) -> list:
    try:
        return sorted(mapping)
    except TypeError:
        raise TypeError("nest only supports dicts with sortable keys.") from None


def _sorted_items(x: Any, expand: bool) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs of a nested `x`: indices, sorted dict keys, attribute or field names (paths use them)."""
    if isinstance(x, list) or type(x) is tuple:
        return enumerate(x)
    if isinstance(x, _abc.Mapping):
        return ((k, x[k]) for k in _sorted_keys(x))
    if hasattr(type(x), "__attrs_attrs__"):
        return ((a.name, getattr(x, a.name)) for a in type(x).__attrs_attrs__)
    if _is_namedtuple(x):
        return ((f, getattr(x, f)) for f in x._fields)
    if expand and isinstance(x, IndexedSlices):
        return iter([(type(x).__name__, _composite_parts(x))])
    if _kind(x, expand) == _CUSTOM:
        components = x.__tf_flatten__()[1]
        if not isinstance(components, tuple):  # TensorFlow asserts it too
            raise AssertionError(f"{type(x).__name__}.__tf_flatten__ must return its components as a tuple")
        return enumerate(components)
    return enumerate(x)


def _sequence_like(instance: Any, args: list) -> Any:
    """A structure of `instance`'s type holding `args` (its children, in flatten order)."""
    if isinstance(instance, _abc.MutableMapping):
        result = dict(zip(_sorted_keys(instance), args))
        if type(instance) is _collections.defaultdict:
            d = _collections.defaultdict(instance.default_factory)
        else:
            d = type(instance)()
        for key in instance:
            d[key] = result[key]
        return d
    if isinstance(instance, _abc.Mapping):
        result = dict(zip(_sorted_keys(instance), args))
        try:
            return type(instance)((key, result[key]) for key in instance)
        except TypeError as err:
            raise TypeError(f"Error creating an object of type {type(instance)} like {instance}. Note that it must "
                            "accept a single positional argument representing an iterable of key-value pairs, in "
                            f"addition to self. Cause: {err}") from None
    if isinstance(instance, _abc.MappingView):
        return list(args)
    if _is_namedtuple(instance) or hasattr(type(instance), "__attrs_attrs__"):
        return type(instance)(*args)
    if isinstance(instance, IndexedSlices):  # args: [the list of its parts], as _sorted_items gives them
        return IndexedSlices(*args[0])
    if isinstance(instance, range):
        return list(args)
    if _kind(instance, False) == _CUSTOM:
        return instance.__tf_unflatten__(instance.__tf_flatten__()[0], tuple(args))
    return type(instance)(args)


# --------------------------------------------------------------------------------------------- public API

def is_nested(seq: Any) -> bool:
    """True if `seq` is a nested structure (list, tuple, dict, namedtuple, ...), False for a leaf.

    >>> import tapegrad as tf
    >>> tf.nest.is_nested([1, 2]), tf.nest.is_nested({"a": 1}), tf.nest.is_nested("ab")
    (True, True, False)
    >>> tf.nest.is_nested(tf.constant([1.0, 2.0])), tf.nest.is_nested(None)
    (False, False)
    """
    return _kind(seq, False) != _LEAF


def _flatten_into(x: Any, kind: int, out: list, expand: bool) -> None:
    for child in _children(x, kind):
        k = _kind(child, expand)
        if k:
            _flatten_into(child, k, out, expand)
        else:
            out.append(child)


def flatten(structure: Any, expand_composites: bool = False) -> list:
    """The leaves of `structure`, depth first; dicts in sorted-key order. A leaf gives `[structure]`.

    >>> import tapegrad as tf
    >>> tf.nest.flatten({"key3": "value3", "key1": "value1", "key2": ["value2", None]})
    ['value1', 'value2', None, 'value3']
    >>> tf.nest.flatten(((1.0, 2.0), (3.0, 4.0, 5.0), 6.0))
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    >>> tf.nest.flatten(None)
    [None]

    Raises TypeError for a dict whose keys cannot be sorted against each other.
    """
    expand = bool(expand_composites)
    kind = _kind(structure, expand)
    if not kind:
        return [structure]
    out: list = []
    try:
        _flatten_into(structure, kind, out, expand)
    except RecursionError:  # nested too deep, or a structure that contains itself
        raise RecursionError("maximum recursion depth exceeded in flatten") from None
    return out


class _DotString:
    __slots__ = ()

    def __repr__(self) -> str:
        return "."

    __str__ = __repr__


_DOT = _DotString()


def _show(o: Any) -> str:
    """How TensorFlow's C++ helpers print an object in their messages."""
    return f"type={type(o).__name__} str={str(o)}"


def _type_name(cls: type) -> str:
    """C's `tp_name`, as TensorFlow's C++ prints it: a class's own name, a C type's dotted one
    (`collections.OrderedDict`)."""
    if cls.__flags__ & (1 << 9) or cls.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE: a Python class
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _spec(x: IndexedSlices) -> str:
    """TensorFlow's `str` of the slices' type spec."""
    ds = None if x.dense_shape is None else f"tf.{x.dense_shape.dtype.name}"
    return f"IndexedSlicesSpec({x.shape!r}, tf.{x.dtype.name}, tf.{x.indices.dtype.name}, {ds}, {x.indices.shape!r})"


def _spec_key(x: IndexedSlices) -> tuple:
    """What must agree for two IndexedSlices to share a type (shapes may differ, as in TensorFlow)."""
    return x.dtype, x.indices.dtype, None if x.dense_shape is None else x.dense_shape.dtype


def _mismatch(o1: Any, o2: Any, check_types: bool, expand: bool) -> tuple[bool, str] | None:
    """None if o1 and o2 have the same structure, else (is_type_error, what differs first)."""
    k1, k2 = _kind(o1, expand), _kind(o2, expand)
    if bool(k1) != bool(k2):
        seq, non_seq = (o1, o2) if k1 else (o2, o1)
        return False, f'Substructure "{_show(seq)}" is a sequence, while substructure "{_show(non_seq)}" is not'
    if not k1:
        return None
    if check_types:
        t1, t2 = type(o1), type(o2)
        if _is_namedtuple(o1, True) and _is_namedtuple(o2, True):
            different = not _same_namedtuples(o1, o2)
        else:
            different = (t1 is not t2 and not (isinstance(o1, list) and isinstance(o2, list))
                         and not (k1 == _MAPPING and k2 == _MAPPING))
        if different:
            return True, (f"The two namedtuples don't have the same sequence type. First structure {_show(o1)} has "
                          f"type {_type_name(t1)}, while second structure {_show(o2)} has type {_type_name(t2)}")
        if k1 == _MAPPING and k2 == _MAPPING and (len(o1) != len(o2) or any(k not in o2 for k in o1)):
            return False, (f"The two dictionaries don't have the same set of keys. First structure has keys "
                           f"{_show(list(o1.keys()))}, while second structure has keys {_show(list(o2.keys()))}")
    if k1 == _COMPOSITE or k2 == _COMPOSITE:
        if k1 != k2 or _spec_key(o1) != _spec_key(o2):
            s1 = f"type=IndexedSlicesSpec str={_spec(o1)}" if k1 == _COMPOSITE else _show(o1)
            s2 = f"type=IndexedSlicesSpec str={_spec(o2)}" if k2 == _COMPOSITE else _show(o2)
            return False, f"Incompatible CompositeTensor TypeSpecs: {s1} vs. {s2}"
    it1, it2 = iter(_children(o1, k1)), iter(_children(o2, k2))
    end = object()
    while True:
        v1, v2 = next(it1, end), next(it2, end)
        if v1 is end and v2 is end:
            return None
        if v1 is end or v2 is end:
            return False, (f"The two structures don't have the same number of elements. First structure: "
                           f"{_show(o1)}. Second structure: {_show(o2)}")
        found = _mismatch(v1, v2, check_types, expand)
        if found is not None:
            return found


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True, expand_composites: bool = False) -> None:
    """Raises unless `nest1` and `nest2` are nested the same way (leaves themselves are not compared).

    ValueError when they differ in nesting, length or dict keys; TypeError when they differ in the type of a
    sequence (list vs tuple, two different namedtuples), which `check_types=False` allows.

    >>> import tapegrad as tf
    >>> tf.nest.assert_same_structure({"a": (1, 2)}, {"a": ("x", "y")})
    >>> tf.nest.assert_same_structure([1, 2], (1, 2), check_types=False)
    >>> tf.nest.assert_same_structure([1, 2], (1, 2))
    Traceback (most recent call last):
    ...
    TypeError: The two structures don't have the same nested structure.
    ...
    >>> tf.nest.assert_same_structure([0, 1], [0, [1]])
    Traceback (most recent call last):
    ...
    ValueError: The two structures don't have the same nested structure.
    ...
    """
    check_types, expand = bool(check_types), bool(expand_composites)
    try:
        try:
            found = _mismatch(nest1, nest2, check_types, expand)
        except RecursionError:
            raise RecursionError("maximum recursion depth exceeded in assert_same_structure") from None
        if found is not None:
            is_type_error, detail = found
            raise (TypeError if is_type_error else ValueError)(
                f"The two structures don't have the same nested structure.\n\nFirst structure: {_show(nest1)}\n\n"
                f"Second structure: {_show(nest2)}\n\nMore specifically: {detail}")
    except (ValueError, TypeError) as e:
        str1 = str(map_structure(lambda _: _DOT, nest1))
        str2 = str(map_structure(lambda _: _DOT, nest2))
        message = f"{e}\nEntire first structure:\n{str1}\nEntire second structure:\n{str2}"
        try:
            error = type(e)(message)
        except Exception:  # an exception class that wants other arguments: raise it as it came
            raise e from None
        raise error from None


def _truncate(value: Any, length: int) -> str:
    s = str(value)
    return s[:length] + (s[length:] and "...")


def _packed(structure: Any, flat: Any, index: int, expand: bool) -> tuple[int, list]:
    packed = []
    for _, s in _sorted_items(structure, expand):
        if _kind(s, expand):
            index, child = _packed(s, flat, index, expand)
            packed.append(_sequence_like(s, child))
        else:
            packed.append(flat[index])
            index += 1
    return index, packed


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """`flat_sequence`'s items put into the nesting of `structure` (the inverse of `flatten`).

    >>> import tapegrad as tf
    >>> tf.nest.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["value1", "value2", "value3"])
    {'key3': 'value3', 'key1': 'value1', 'key2': 'value2'}
    >>> tf.nest.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    ((1.0, 2.0), (3.0, 4.0, 5.0), 6.0)

    Raises TypeError if `flat_sequence` is not a sequence, ValueError if it has more or fewer items than
    `structure` has leaves.
    """
    expand = bool(expand_composites)
    if not _kind(flat_sequence, expand):
        raise TypeError(f"Attempted to pack value:\n  {_truncate(flat_sequence, 100)}\ninto a structure, but found "
                        f"incompatible type `{type(flat_sequence)}` instead.")
    if not _kind(structure, expand):
        if len(flat_sequence) != 1:
            raise ValueError(f"The target structure is of type `{type(structure)}`\n  {_truncate(structure, 100)}\n"
                             f"However the input is a sequence ({type(flat_sequence)}) of length "
                             f"{len(flat_sequence)}.\n  {_truncate(flat_sequence, 100)}\nnest cannot guarantee that "
                             "it is safe to map one to the other.")
        return flat_sequence[0]
    try:
        final_index, packed = _packed(structure, flat_sequence, 0, expand)
        if final_index < len(flat_sequence):
            raise IndexError
    except IndexError:
        n = len(flatten(structure, expand))
        if n != len(flat_sequence):
            raise ValueError(f"Could not pack sequence. Structure had {n} atoms, but flat_sequence had "
                             f"{len(flat_sequence)} items.  Structure: {structure}, flat_sequence: "
                             f"{flat_sequence}.") from None
        raise
    return _sequence_like(structure, packed)


def map_structure(func: Callable[..., Any], *structure: Any, check_types: bool = True,
                  expand_composites: bool = False, **kwargs: Any) -> Any:
    """`func` applied leaf by leaf: `func(x[0], x[1], ...)` for the leaves `x[i]` of each `structure[i]`,
    packed into the nesting of `structure[0]`. The structures must match (`assert_same_structure`).

    >>> import tapegrad as tf
    >>> tf.nest.map_structure(lambda p: p * 2, {"hello": 24, "world": 76})
    {'hello': 48, 'world': 152}
    >>> tf.nest.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
    [11, (22, 33)]
    >>> tf.nest.map_structure(lambda x, y: None, ((1, 2), 3), [[1, 2], 3], check_types=False)
    ((None, None), None)
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and `expand_composites`, not: `"
                         + "`, `".join(kwargs) + "`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types, expand_composites=expand_composites)
    flats = [flatten(s, expand_composites) for s in structure]
    return pack_sequence_as(structure[0], [func(*x) for x in zip(*flats)], expand_composites=expand_composites)


# --------------------------------------------------------------------------------------------- paths

def _flat_paths(structure: Any, expand: bool, path: tuple = ()) -> Iterator[tuple]:
    if not _kind(structure, expand):
        yield path
        return
    for key, value in _sorted_items(structure, expand):
        yield from _flat_paths(value, expand, path + (key,))


def flatten_with_joined_string_paths(structure: Any, separator: str = "/",
                                     expand_composites: bool = False) -> list[tuple[str, Any]]:
    """`(path, leaf)` pairs in `flatten` order; a path joins the indices, dict keys and field names on the way.

    TensorFlow has it in `tensorflow.python.util.nest`, not in the public `tf.nest`.

    >>> import tapegrad as tf
    >>> tf.nest.flatten_with_joined_string_paths({"b": [1, {"c": 2}], "a": 3})
    [('a', 3), ('b/0', 1), ('b/1/c', 2)]
    """
    expand = bool(expand_composites)
    paths = (separator.join(str(k) for k in path) for path in _flat_paths(structure, expand))
    return list(zip(paths, flatten(structure, expand_composites=expand)))


_MISMATCHING_TYPES = ("The two structures don't have the same sequence type. Input structure has type "
                      "{input_type}, while shallow structure has type {shallow_type}.")


def _assert_shallow_structure(shallow: Any, tree: Any, check_types: bool, expand: bool) -> None:
    """Raises unless `tree` can be made from `shallow` by replacing some leaves of `shallow` with structures."""
    if not _kind(shallow, expand):
        return
    if not _kind(tree, expand):
        raise TypeError(f"If shallow structure is a sequence, input must also be a sequence. Input has type: "
                        f"{type(tree)}.")
    mismatch = TypeError(_MISMATCHING_TYPES.format(input_type=type(tree), shallow_type=type(shallow)))
    if check_types and not isinstance(tree, type(shallow)):
        if _is_namedtuple(shallow) and _is_namedtuple(tree):
            if not _same_namedtuples(shallow, tree):
                raise mismatch
        elif not ((isinstance(shallow, list) and isinstance(tree, list))
                  or (isinstance(shallow, IndexedSlices) and isinstance(tree, IndexedSlices))
                  or (isinstance(shallow, _abc.Mapping) and isinstance(tree, _abc.Mapping))):
            raise mismatch
    if isinstance(shallow, IndexedSlices) or isinstance(tree, IndexedSlices):
        if not (isinstance(shallow, IndexedSlices) and isinstance(tree, IndexedSlices)):
            raise mismatch
        if _spec_key(shallow) != _spec_key(tree):
            raise ValueError(f"Incompatible CompositeTensor TypeSpecs: {_spec(shallow)} vs. {_spec(tree)}")
    elif len(tree) != len(shallow):
        raise ValueError("The two structures don't have the same sequence length. Input structure has length "
                         f"{len(tree)}, while shallow structure has length {len(shallow)}.")
    if isinstance(shallow, _abc.Mapping):
        absent = set(shallow) - set(tree)
        if absent:
            raise ValueError("The shallow_tree's keys are not a subset of the input_tree's keys. The shallow_tree "
                             f"has the following keys that are not in the input_tree: {sorted(absent)}.")
    for (_, s), (_, t) in zip(_sorted_items(shallow, expand), _sorted_items(tree, expand)):
        _assert_shallow_structure(s, t, check_types, expand)


def _flat_up_to(shallow: Any, tree: Any, expand: bool, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, subtree of `tree`) for each leaf of `shallow`."""
    if not _kind(shallow, expand):
        yield path, tree
        return
    items = dict(_sorted_items(tree, expand))
    for key, sub in _sorted_items(shallow, expand):
        yield from _flat_up_to(sub, items[key], expand, path + (key,))


def map_structure_with_paths(func: Callable[..., Any], *structure: Any, **kwargs: Any) -> Any:
    """`func(path, x[0], x[1], ..., **kwargs)` at each leaf of `structure[0]`, where `path` joins the keys on the
    way with "/" and `x[i]` is what `structure[i]` holds there (a leaf, or a deeper structure).

    `check_types` (default True) and `expand_composites` are taken from `kwargs`; the rest go to `func`.
    TensorFlow has it in `tensorflow.python.util.nest`, not in the public `tf.nest`.

    >>> import tapegrad as tf
    >>> tf.nest.map_structure_with_paths(lambda path, x: f"{path}={x}", {"b": [1, 2], "a": 3})
    {'b': ['b/0=1', 'b/1=2'], 'a': 'a=3'}
    """
    shallow = structure[0]  # IndexError with no structure at all, as in TensorFlow
    check_types = kwargs.pop("check_types", True)
    expand = bool(kwargs.pop("expand_composites", False))
    for tree in structure:
        _assert_shallow_structure(shallow, tree, check_types, expand)
    flats = [[v for _, v in _flat_up_to(shallow, tree, expand)] for tree in structure]
    paths = ["/".join(str(k) for k in path) for path, _ in _flat_up_to(shallow, structure[0], expand)]
    results = [func(*args, **kwargs) for args in zip(paths, *flats)]
    return pack_sequence_as(shallow, results, expand_composites=expand)
