"""`tf.nest` parity with real TensorFlow: the same programs run on both libraries, results and errors compared.

Each program is a function of `(tf, nest)`: the library module and its nest namespace (TensorFlow's public
`tf.nest` plus `flatten_with_joined_string_paths` and `map_structure_with_paths`, which TensorFlow keeps in
`tensorflow.python.util.nest`). Results are compared by value and by container type (namedtuple name and fields,
dict key order as packed, the classes below by their attributes); exceptions by class (tapegrad's must be caught
by `except <TensorFlow's class>`) and by message, character for character once the type names of tensors
(`EagerTensor`/`Tensor`, `ResourceVariable`/`Variable`) and object addresses are made alike. A random-structure
test then compares flatten / pack / map / assert / paths on a few hundred seeded structures.
"""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import random
import re
import types
import warnings

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
from tensorflow.python.util import nest as tf_util_nest  # noqa: E402

import tapegrad as tg  # noqa: E402

# {test name: reason}: each becomes a strict xfail (conftest.py).
KNOWN_DIFFERENCES: dict[str, str] = {
    "test_program[indexed slices vs list no check_types]": (
        "assert_same_structure(IndexedSlices, [1, 2, 3], check_types=False, expand_composites=True): TensorFlow "
        "raises AttributeError ('IndexedSlicesSpec' object has no attribute 'most_specific_common_supertype'), an "
        "accident of its C++ helper; tapegrad raises ValueError (Incompatible CompositeTensor TypeSpecs)"),
}


def nest_of(lib):
    if lib is tf_real:
        return types.SimpleNamespace(
            flatten=lib.nest.flatten, pack_sequence_as=lib.nest.pack_sequence_as,
            map_structure=lib.nest.map_structure, assert_same_structure=lib.nest.assert_same_structure,
            is_nested=lib.nest.is_nested,
            flatten_with_joined_string_paths=tf_util_nest.flatten_with_joined_string_paths,
            map_structure_with_paths=tf_util_nest.map_structure_with_paths)
    return lib.nest


# --------------------------------------------------------------------------- structures shared by both libraries

P = collections.namedtuple("P", "x y")
P2 = collections.namedtuple("P", "x y")  # same name and fields as P: the same structure
R = collections.namedtuple("R", "x y")
PZ = collections.namedtuple("P", "x z")


class PSub(P):
    pass


class TupleSub(tuple):
    pass


class ListSub(list):
    pass


class FakeAttrs:
    """What TensorFlow recognises as an attrs class: a class attribute `__attrs_attrs__` of objects with `.name`."""

    class _Field:
        def __init__(self, name):
            self.name = name

    __attrs_attrs__ = (_Field("b"), _Field("a"))

    def __init__(self, b, a):
        self.b, self.a = b, a

    def __repr__(self):
        return f"FakeAttrs(b={self.b!r}, a={self.a!r})"


class FrozenMap(collections.abc.Mapping):
    def __init__(self, *args, **kwargs):
        self._d = dict(*args, **kwargs)

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return f"FrozenMap({self._d})"


class NoPairsMap(FrozenMap):
    def __init__(self, a, b):  # cannot be rebuilt from (key, value) pairs
        super().__init__(a=a, b=b)


class Seq(collections.abc.Sequence):
    def __init__(self, items):
        self._i = list(items)

    def __getitem__(self, k):
        return self._i[k]

    def __len__(self):
        return len(self._i)

    def __repr__(self):
        return f"Seq({self._i})"


@dataclasses.dataclass
class Masked:
    """TensorFlow's `__tf_flatten__` / `__tf_unflatten__` protocol."""

    mask: bool
    value: object

    def __tf_flatten__(self):
        return (self.mask,), (self.value,)

    @classmethod
    def __tf_unflatten__(cls, metadata, components):
        return cls(metadata[0], components[0])


@dataclasses.dataclass
class Masked2(Masked):
    pass


@dataclasses.dataclass
class ListComponents(Masked):
    def __tf_flatten__(self):
        return (self.mask,), [self.value]


@dataclasses.dataclass
class Plain:
    a: object


class BadStr:
    def __str__(self):
        raise RuntimeError("no str")


class BadItem(collections.abc.Sequence):
    def __getitem__(self, i):
        raise ValueError("boom")

    def __len__(self):
        return 2


def self_referencing():
    a = [1]
    a.append(a)
    return a


def deep(n):
    x = 1
    for _ in range(n):
        x = [x]
    return x


def slices(tf, dtype="float32", index_dtype="int32", dense_shape=(3, 2), rows=1):
    values = tf.constant(np.arange(2.0 * rows).reshape(rows, 2), dtype=getattr(tf, dtype))
    indices = tf.constant(np.arange(rows), dtype=getattr(tf, index_dtype))
    ds = None if dense_shape is None else tf.constant(list(dense_shape), dtype=tf.int32)
    return tf.IndexedSlices(values, indices, ds)


# --------------------------------------------------------------------------- comparison

class Raised:
    def __init__(self, exc):
        self.exc = exc

    def __repr__(self):
        return f"Raised({type(self.exc).__name__}: {self.exc})"


def attempt(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - compared by class and message
        return Raised(e)


def _message(exc) -> str:
    text = str(exc)
    text = text.replace("EagerTensor", "Tensor").replace("ResourceVariable", "Variable")
    text = re.sub(r"<class '(tensorflow|tapegrad)[\w.]*\.(\w+)'>", r"<class '\2'>", text)
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def norm(x):
    """A comparable form of a result: container types, dict order and leaf values all count."""
    if isinstance(x, Raised):
        return x
    if x is None or isinstance(x, (str, bytes, bool, int, float)):
        return x
    if type(x).__name__ == "IndexedSlices":
        return ("IndexedSlices", norm(x.values), norm(x.indices), norm(x.dense_shape))
    if hasattr(x, "numpy") and hasattr(x, "dtype") and hasattr(x, "shape"):
        return ("tensor", type(x).__name__.replace("ResourceVariable", "Variable").replace("EagerTensor", "Tensor"),
                x.dtype.name, tuple(x.shape), np.asarray(x.numpy()).tolist())
    if isinstance(x, np.ndarray | np.generic):
        return ("array", x.dtype.name, np.asarray(x).tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(x._fields), tuple(norm(v) for v in x))
    if isinstance(x, collections.defaultdict):
        return ("defaultdict", x.default_factory, [(k, norm(v)) for k, v in x.items()])
    if isinstance(x, dict):
        return (type(x).__name__, [(k, norm(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [norm(v) for v in x])
    if type(x).__module__ == __name__ and hasattr(x, "__dict__"):
        return (type(x).__name__, norm(dict(vars(x))))
    return ("other", type(x).__name__, repr(x))


# Programs whose error messages are compared by class only, with the reason.
CLASS_ONLY = {
    "pack list components": ("a `__tf_flatten__` that returns a list: both raise AssertionError, TensorFlow's "
                             "without a message, tapegrad's saying that the components must be a tuple"),
}


def assert_same(ref, got, where):
    if isinstance(ref, Raised):
        assert isinstance(got, Raised), f"{where}: TensorFlow raises {ref!r}, tapegrad returns {got!r}"
        assert isinstance(got.exc, type(ref.exc)), f"{where}: TensorFlow raises {ref!r}, tapegrad raises {got!r}"
        assert where in CLASS_ONLY or _message(got.exc) == _message(ref.exc), (
            f"{where}: messages differ\nTensorFlow: {_message(ref.exc)!r}\ntapegrad:   {_message(got.exc)!r}")
        return
    assert not isinstance(got, Raised), f"{where}: tapegrad raises {got!r}, TensorFlow returns {ref!r}"
    assert norm(got) == norm(ref), f"{where}: tapegrad {norm(got)!r}\n          TensorFlow {norm(ref)!r}"


def both(program, *args):
    out = []
    for lib in (tf_real, tg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(attempt(program, lib, nest_of(lib), *args))
    return out


# --------------------------------------------------------------------------- the programs

def _tensors(tf):
    return {"w": tf.constant([[1.0, 2.0]]), "b": (tf.constant(3), tf.Variable(4.0)), "n": None}


PROGRAMS = {
    # flatten
    "flatten dict sorted": lambda tf, n: n.flatten({"key3": "v3", "key1": "v1", "key2": ["v2", None]}),
    "flatten nested tuple": lambda tf, n: n.flatten(((1.0, 2.0), (3.0, 4.0, 5.0), 6.0)),
    "flatten dict of dicts": lambda tf, n: n.flatten({"key3": {"c": (1.0, 2.0), "a": 3.0},
                                                       "key1": {"m": "val1", "g": "val2"}}),
    "flatten None": lambda tf, n: n.flatten(None),
    "flatten nested Nones": lambda tf, n: n.flatten([None, {"a": None}, (None,)]),
    "flatten str": lambda tf, n: n.flatten("abc"),
    "flatten bytes": lambda tf, n: n.flatten(b"abc"),
    "flatten int": lambda tf, n: n.flatten(3),
    "flatten set": lambda tf, n: n.flatten({1, 2}),
    "flatten frozenset": lambda tf, n: n.flatten(frozenset([1])),
    "flatten numpy": lambda tf, n: n.flatten(np.array([[1, 2], [3, 4]])),
    "flatten numpy scalars": lambda tf, n: n.flatten({"b": np.float32(1), "a": np.array(2)}),
    "flatten tensors": lambda tf, n: n.flatten(_tensors(tf)),
    "flatten tensor": lambda tf, n: n.flatten(tf.constant([[1.0, 2.0], [3.0, 4.0]])),
    "flatten empty": lambda tf, n: n.flatten([[], (), {}]),
    "flatten range": lambda tf, n: n.flatten(range(3)),
    "flatten bytearray": lambda tf, n: n.flatten(bytearray(b"ab")),
    "flatten deque": lambda tf, n: n.flatten(collections.deque([1, [2]])),
    "flatten keys view": lambda tf, n: n.flatten({"b": 1, "a": 2, "c": 0}.keys()),
    "flatten values view": lambda tf, n: n.flatten({"b": 1, "a": 2}.values()),
    "flatten items view": lambda tf, n: n.flatten({"b": 1, "a": 2}.items()),
    "flatten namedtuple": lambda tf, n: n.flatten(P(x=[1, 2], y={"b": 3, "a": 4})),
    "flatten OrderedDict": lambda tf, n: n.flatten(collections.OrderedDict([("b", 1), ("a", 2)])),
    "flatten Mapping": lambda tf, n: n.flatten(FrozenMap(b=1, a=2)),
    "flatten Sequence": lambda tf, n: n.flatten(Seq([1, [2, 3]])),
    "flatten attrs": lambda tf, n: n.flatten(FakeAttrs([1, 2], 3)),
    "flatten tf_flatten protocol": lambda tf, n: n.flatten(Masked(True, [1, 2])),
    "flatten list components": lambda tf, n: n.flatten(ListComponents(True, 1)),
    "flatten dataclass": lambda tf, n: n.flatten(Plain([1, 2])),
    "flatten int keys": lambda tf, n: n.flatten({3: "c", 1: "a", 2: "b"}),
    "flatten tuple keys": lambda tf, n: n.flatten({(2, 1): "a", (1, 3): "b"}),
    "flatten numpy keys": lambda tf, n: n.flatten({np.int64(2): "a", 1: "b"}),
    "flatten mixed keys": lambda tf, n: n.flatten({1: 1, "a": 2}),
    "flatten None and int keys": lambda tf, n: n.flatten({None: "a", 1: "b"}),
    "flatten generator": lambda tf, n: len(n.flatten(i for i in range(2))),
    "flatten self-referencing": lambda tf, n: n.flatten(self_referencing()),
    "flatten 5000 deep": lambda tf, n: n.flatten(deep(5000)),
    "flatten 300 deep": lambda tf, n: n.flatten(deep(300)),
    "flatten failing item": lambda tf, n: n.flatten(BadItem()),
    "flatten expand_composites truthy": lambda tf, n: n.flatten([1, (2,)], expand_composites="yes"),
    # is_nested
    "is_nested": lambda tf, n: [n.is_nested(x) for x in (
        [], (), {}, [1], P(1, 2), "ab", b"ab", None, 1, 1.5, {1}, np.array([1]), range(2), bytearray(b"a"),
        memoryview(b"a"), {"a": 1}.keys(), collections.deque(), FrozenMap(), Seq([]), FakeAttrs(1, 2),
        Masked(True, 1), Plain(1), tf.constant([1]), tf.Variable([1.0]))],
    "is_nested indexed slices": lambda tf, n: n.is_nested(slices(tf)),
    # pack_sequence_as
    "pack dict": lambda tf, n: n.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"]),
    "pack tuple": lambda tf, n: n.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "pack dict of dicts": lambda tf, n: n.pack_sequence_as(
        {"key3": {"c": ("alpha", "beta"), "a": "gamma"}, "key1": {"e": "val1", "d": "val2"}},
        ["val2", "val1", 3.0, 1.0, 2.0]),
    "pack tensors": lambda tf, n: n.pack_sequence_as(_tensors(tf), [1, 2, 3, 4]),
    "pack roundtrip tensors": lambda tf, n: n.pack_sequence_as(_tensors(tf), n.flatten(_tensors(tf))),
    "pack numpy leaf": lambda tf, n: n.pack_sequence_as(["a"], [np.array([[1, 2], [3, 4]])]),
    "pack scalar": lambda tf, n: n.pack_sequence_as(1, [5]),
    "pack scalar into str": lambda tf, n: n.pack_sequence_as("ab", ["x"]),
    "pack scalar many": lambda tf, n: n.pack_sequence_as(1, [5, 6]),
    "pack long scalar many": lambda tf, n: n.pack_sequence_as("x" * 150, [1, 2]),
    "pack flat not a sequence": lambda tf, n: n.pack_sequence_as([1], 5),
    "pack flat str": lambda tf, n: n.pack_sequence_as([1], "a"),
    "pack flat numpy": lambda tf, n: n.pack_sequence_as([1], np.array([1])),
    "pack flat set": lambda tf, n: n.pack_sequence_as([1], {5}),
    "pack flat tensor": lambda tf, n: n.pack_sequence_as([1], tf.constant([1])),
    "pack flat None": lambda tf, n: n.pack_sequence_as([1], None),
    "pack flat tuple": lambda tf, n: n.pack_sequence_as([1, [2, 3]], (5, 6, 7)),
    "pack flat range": lambda tf, n: n.pack_sequence_as([1, [2, 3]], range(3)),
    "pack flat dict by index": lambda tf, n: n.pack_sequence_as([1, [2, 3]], {0: 5, 1: 6, 2: 7}),
    "pack flat dict missing key": lambda tf, n: n.pack_sequence_as([1, [2, 3]], {"a": 5}),
    "pack too few": lambda tf, n: n.pack_sequence_as([1, [2, 3]], [5, 6]),
    "pack too many": lambda tf, n: n.pack_sequence_as([1, [2, 3]], [5, 6, 7, 8]),
    "pack empty": lambda tf, n: n.pack_sequence_as([], []),
    "pack empty nested": lambda tf, n: n.pack_sequence_as([[], (), {}], []),
    "pack empty too many": lambda tf, n: n.pack_sequence_as([[], ()], [1]),
    "pack namedtuple": lambda tf, n: n.pack_sequence_as(P(1, [2]), [5, 6]),
    "pack namedtuple subclass": lambda tf, n: n.pack_sequence_as(PSub(1, 2), [5, 6]),
    "pack tuple subclass": lambda tf, n: n.pack_sequence_as(TupleSub((1, 2)), [5, 6]),
    "pack list subclass": lambda tf, n: n.pack_sequence_as(ListSub((1, 2)), [5, 6]),
    "pack OrderedDict": lambda tf, n: n.pack_sequence_as(collections.OrderedDict([("b", 1), ("a", 2)]), [10, 20]),
    "pack defaultdict": lambda tf, n: n.pack_sequence_as(collections.defaultdict(list, {"b": 1, "a": 2}), [10, 20]),
    "pack Mapping": lambda tf, n: n.pack_sequence_as(FrozenMap(b=1, a=2), [5, 6]),
    "pack Mapping without pairs": lambda tf, n: n.pack_sequence_as(NoPairsMap(1, 2), [5, 6]),
    "pack Sequence": lambda tf, n: n.pack_sequence_as(Seq([1, [2]]), [5, 6]),
    "pack range": lambda tf, n: n.pack_sequence_as(range(3), [4, 5, 6]),
    "pack keys view": lambda tf, n: n.pack_sequence_as({"b": 1, "a": 2}.keys(), [7, 8]),
    "pack items view": lambda tf, n: n.pack_sequence_as({"b": 1, "a": 2}.items(), [1, 2, 3, 4]),
    "pack attrs": lambda tf, n: n.pack_sequence_as(FakeAttrs([1, 2], 3), [7, 8, 9]),
    "pack tf_flatten protocol": lambda tf, n: n.pack_sequence_as(Masked(True, [1, 2]), [5, 6]),
    "pack list components": lambda tf, n: n.pack_sequence_as(ListComponents(True, 1), [3]),
    "pack mixed keys": lambda tf, n: n.pack_sequence_as({1: 1, "a": 2}, [1, 2]),
    "pack generator": lambda tf, n: type(attempt(n.pack_sequence_as, [1, 2], (i for i in range(2))).exc).__name__,
    # map_structure
    "map dict": lambda tf, n: n.map_structure(lambda p: p * 2, {"hello": 24, "world": 76}),
    "map two dicts": lambda tf, n: n.map_structure(lambda a, b: a + b, {"hello": 24, "world": 76},
                                                    {"hello": 36, "world": 14}),
    "map list": lambda tf, n: n.map_structure(lambda p: p * 2, [24, 76, "ab"]),
    "map scalars": lambda tf, n: n.map_structure(lambda x, y: x + y, 3, 4),
    "map empty": lambda tf, n: n.map_structure(lambda x: x + 1, ()),
    "map None": lambda tf, n: n.map_structure(lambda a: 1, None),
    "map nested Nones": lambda tf, n: n.map_structure(lambda a: 1, [None, (None,)]),
    "map str leaf": lambda tf, n: n.map_structure(lambda a: a + "!", "abc"),
    "map types checked": lambda tf, n: n.map_structure(lambda x, y: None, (((1, 2), 3), 4, (5, 6)),
                                                        [[[1, 2], 3], 4, [5, 6]]),
    "map types unchecked": lambda tf, n: n.map_structure(lambda x, y: None, (((1, 2), 3), 4, (5, 6)),
                                                          [[[1, 2], 3], 4, [5, 6]], check_types=False),
    "map dict keys unchecked": lambda tf, n: n.map_structure(lambda a, b: (a, b), {"a": 1}, {"b": 2},
                                                              check_types=False),
    "map list tuple unchecked": lambda tf, n: n.map_structure(lambda a, b: (a, b), [1, 2], (3, 4), check_types=False),
    "map tensors": lambda tf, n: n.map_structure(lambda t: t * 2 if t is not None else None, _tensors(tf)),
    "map tensors pairwise": lambda tf, n: n.map_structure(lambda a, b: a + b, [tf.constant(1.0), (tf.constant(2),)],
                                                           [tf.constant(10.0), (tf.constant(20),)]),
    "map namedtuples same name": lambda tf, n: n.map_structure(lambda a, b: a + b, P(1, 2), P2(3, 4)),
    "map three structures": lambda tf, n: n.map_structure(lambda a, b, c: a + b + c, [1, {"k": 2}], [3, {"k": 4}],
                                                           [5, {"k": 6}]),
    "map not callable": lambda tf, n: n.map_structure(3, [1]),
    "map no structure": lambda tf, n: n.map_structure(lambda x: x),
    "map unknown keyword": lambda tf, n: n.map_structure(lambda x: x, [1], foo=1),
    "map two unknown keywords": lambda tf, n: n.map_structure(lambda x: x, [1], foo=1, bar=2),
    "map mixed keys": lambda tf, n: n.map_structure(lambda x: x, {1: 1, "a": 2}),
    "map length mismatch": lambda tf, n: n.map_structure(lambda a, b: a, [1, 2], [1, 2, 3]),
    "map func raises": lambda tf, n: n.map_structure(lambda a: 1 / 0, [1]),
    "map tf_flatten protocol": lambda tf, n: n.map_structure(lambda x: x + 1, Masked(True, [1, 2])),
    "map attrs": lambda tf, n: n.map_structure(lambda x: x * 3, FakeAttrs([1, 2], 3)),
    # assert_same_structure
    "assert atoms": lambda tf, n: n.assert_same_structure(1.5, tf.Variable(1, dtype=tf.uint32)),
    "assert str vs array": lambda tf, n: n.assert_same_structure("abc", np.array([1, 2])),
    "assert same": lambda tf, n: n.assert_same_structure((((1, 2), 3), 4, (5, 6)),
                                                        ((("foo1", "foo2"), "foo3"), "foo4", ("foo5", "foo6"))),
    "assert tuple vs list": lambda tf, n: n.assert_same_structure([1, 2], (1, 2)),
    "assert tuple vs list unchecked": lambda tf, n: n.assert_same_structure([1, 2], (1, 2), check_types=False),
    "assert namedtuples same name": lambda tf, n: n.assert_same_structure(P(1, 2), P2(3, 4)),
    "assert namedtuples other name": lambda tf, n: n.assert_same_structure(P(1, 2), R(3, 4)),
    "assert namedtuples other name unchecked": lambda tf, n: n.assert_same_structure(P(1, 2), R(3, 4),
                                                                                      check_types=False),
    "assert namedtuples other fields": lambda tf, n: n.assert_same_structure(P(1, 2), PZ(1, 2)),
    "assert namedtuple vs tuple": lambda tf, n: n.assert_same_structure(P(1, 2), (1, 2)),
    "assert namedtuple vs dict unchecked": lambda tf, n: n.assert_same_structure(P(1, 2), {"a": 1, "b": 2},
                                                                                  check_types=False),
    "assert namedtuple subclass": lambda tf, n: n.assert_same_structure(PSub(1, 2), P(5, 6)),
    "assert namedtuple subclass same": lambda tf, n: n.assert_same_structure(PSub(1, 2), PSub(5, 6)),
    "assert tuple subclass": lambda tf, n: n.assert_same_structure(TupleSub((1, 2)), (5, 6)),
    "assert list subclass": lambda tf, n: n.assert_same_structure(ListSub((1, 2)), [5, 6]),
    "assert length": lambda tf, n: n.assert_same_structure([1, 2], [1, 2, 3]),
    "assert sequence vs atom": lambda tf, n: n.assert_same_structure([1, 2], 3),
    "assert atom vs sequence": lambda tf, n: n.assert_same_structure(3, [1, 2]),
    "assert list vs numpy": lambda tf, n: n.assert_same_structure([0, 1], np.array([0, 1])),
    "assert list vs tensor": lambda tf, n: n.assert_same_structure([0, 1], tf.constant([0, 1])),
    "assert str vs list": lambda tf, n: n.assert_same_structure(["ab"], [["a", "b"]]),
    "assert dict keys": lambda tf, n: n.assert_same_structure({"a": 1}, {"b": 1}),
    "assert dict keys unchecked": lambda tf, n: n.assert_same_structure({"a": 1}, {"b": 1}, check_types=False),
    "assert dict sizes": lambda tf, n: n.assert_same_structure({"a": 1}, {"a": 1, "b": 2}),
    "assert dict order": lambda tf, n: n.assert_same_structure({"a": 1, "b": 2, "c": 3}, {"c": 6, "b": 5, "a": 4}),
    "assert dict vs OrderedDict": lambda tf, n: n.assert_same_structure({"a": 1}, collections.OrderedDict(a=1)),
    "assert OrderedDict vs dict keys": lambda tf, n: n.assert_same_structure(collections.OrderedDict(a=1), {"b": 1}),
    "assert dict vs namedtuple": lambda tf, n: n.assert_same_structure({"x": 1, "y": 2}, P(1, 2)),
    "assert dict vs list unchecked": lambda tf, n: n.assert_same_structure({"a": 1, "b": 2}, [1, 2],
                                                                            check_types=False),
    "assert dict vs list": lambda tf, n: n.assert_same_structure({"a": 1, "b": 2}, [1, 2]),
    "assert Mapping vs dict": lambda tf, n: n.assert_same_structure(FrozenMap(b=1, a=2), {"a": 1, "b": 2}),
    "assert Mapping vs dict keys": lambda tf, n: n.assert_same_structure(FrozenMap(b=1, c=2), {"a": 1, "b": 2}),
    "assert Mapping vs dict size": lambda tf, n: n.assert_same_structure(FrozenMap(b=1), {"a": 1, "b": 2}),
    "assert Mapping vs dict size unchecked": lambda tf, n: n.assert_same_structure(
        FrozenMap(b=1), {"a": 1, "b": 2}, check_types=False),
    "assert Mapping vs dict inner unchecked": lambda tf, n: n.assert_same_structure(
        FrozenMap(b=1, c=[1]), {"a": 1, "b": 2}, check_types=False),
    "assert range vs list": lambda tf, n: n.assert_same_structure(range(2), [1, 2]),
    "assert keys view vs list": lambda tf, n: n.assert_same_structure({"a": 1}.keys(), ["a"]),
    "assert keys views": lambda tf, n: n.assert_same_structure({"a": 1}.keys(), {"b": 1}.keys()),
    "assert keys views length": lambda tf, n: n.assert_same_structure({"a": 1}.keys(), {"b": 1, "c": 2}.keys()),
    "assert deep length": lambda tf, n: n.assert_same_structure([[1, [2]]], [[1, [2, 3]]]),
    "assert deep type": lambda tf, n: n.assert_same_structure({"a": [1, (2,)]}, {"a": [1, [2]]}),
    "assert first difference wins": lambda tf, n: n.assert_same_structure([1, [2]], [[1], 2, 3]),
    "assert empty list vs tuple": lambda tf, n: n.assert_same_structure([[]], [()]),
    "assert attrs": lambda tf, n: n.assert_same_structure(FakeAttrs(1, 2), FakeAttrs(1, [2])),
    "assert tf_flatten metadata": lambda tf, n: n.assert_same_structure(Masked(True, 1), Masked(False, 2)),
    "assert tf_flatten inner": lambda tf, n: n.assert_same_structure(Masked(True, 1), Masked(True, [2])),
    "assert tf_flatten types": lambda tf, n: n.assert_same_structure(Masked(True, 1), Masked2(True, 1)),
    "assert tf_flatten types unchecked": lambda tf, n: n.assert_same_structure(Masked(True, 1), Masked2(True, 1),
                                                                                check_types=False),
    "assert tf_flatten vs tuple": lambda tf, n: n.assert_same_structure(Masked(True, 1), (1,)),
    "assert tf_flatten vs tuple unchecked": lambda tf, n: n.assert_same_structure(Masked(True, 1), (1,),
                                                                                   check_types=False),
    "assert tensors": lambda tf, n: n.assert_same_structure(_tensors(tf), {"w": 1, "b": (2, 3), "n": 4}),
    "assert tensors vs nested": lambda tf, n: n.assert_same_structure(_tensors(tf), {"w": [1], "b": (2, 3), "n": 4}),
    "assert variable vs list": lambda tf, n: n.assert_same_structure(tf.Variable([1.0]), [1]),
    "assert mixed keys": lambda tf, n: n.assert_same_structure({1: 1, "a": 2}, {1: 1, "a": 2}),
    "assert self-referencing": lambda tf, n: n.assert_same_structure(self_referencing(), self_referencing()),
    "assert bad str": lambda tf, n: n.assert_same_structure([BadStr()], [[1]]),
    # expand_composites with tf.IndexedSlices
    "indexed slices flatten": lambda tf, n: n.flatten(slices(tf)),
    "indexed slices flatten expanded": lambda tf, n: n.flatten({"s": slices(tf), "a": 1}, expand_composites=True),
    "indexed slices flatten no dense shape": lambda tf, n: n.flatten(slices(tf, dense_shape=None),
                                                                     expand_composites=True),
    "indexed slices pack": lambda tf, n: n.pack_sequence_as(
        [slices(tf), 1], [tf.constant([[5.0, 6.0]]), tf.constant([2]), tf.constant([4, 2]), 7],
        expand_composites=True),
    "indexed slices map": lambda tf, n: n.map_structure(lambda x: x * 2, slices(tf, rows=2), expand_composites=True),
    "indexed slices map not expanded": lambda tf, n: n.map_structure(lambda x: type(x).__name__, [slices(tf)]),
    "indexed slices same": lambda tf, n: n.assert_same_structure(slices(tf), slices(tf, rows=2, dense_shape=(5, 2)),
                                                                 expand_composites=True),
    "indexed slices dtypes": lambda tf, n: n.assert_same_structure(slices(tf), slices(tf, "float64"),
                                                                   expand_composites=True),
    "indexed slices dtypes unchecked": lambda tf, n: n.assert_same_structure(
        slices(tf), slices(tf, "float64"), check_types=False, expand_composites=True),
    "indexed slices dtypes not expanded": lambda tf, n: n.assert_same_structure(slices(tf), slices(tf, "float64")),
    "indexed slices index dtypes": lambda tf, n: n.assert_same_structure(
        slices(tf), slices(tf, index_dtype="int64"), expand_composites=True),
    "indexed slices dense shape missing": lambda tf, n: n.assert_same_structure(
        slices(tf), slices(tf, dense_shape=None), expand_composites=True),
    "indexed slices vs tensor": lambda tf, n: n.assert_same_structure(slices(tf), tf.constant(1.0),
                                                                      expand_composites=True),
    "indexed slices vs list": lambda tf, n: n.assert_same_structure(slices(tf), [1, 2, 3], expand_composites=True),
    "indexed slices vs list no check_types": lambda tf, n: n.assert_same_structure(
        slices(tf), [1, 2, 3], check_types=False, expand_composites=True),
    "indexed slices paths": lambda tf, n: n.flatten_with_joined_string_paths({"a": slices(tf)},
                                                                              expand_composites=True),
    "variable expanded": lambda tf, n: n.flatten(tf.Variable([1.0, 2.0]), expand_composites=True),
    # paths
    "paths": lambda tf, n: n.flatten_with_joined_string_paths({"b": [1, {"c": 2}], "a": P(3, (4,))}),
    "paths separator": lambda tf, n: n.flatten_with_joined_string_paths({"b": [1, 2]}, separator="."),
    "paths atom": lambda tf, n: n.flatten_with_joined_string_paths(5),
    "paths attrs and protocol": lambda tf, n: n.flatten_with_joined_string_paths(
        [FakeAttrs(1, [2]), Masked(True, [3, 4]), Seq([5])]),
    "paths int keys": lambda tf, n: n.flatten_with_joined_string_paths({2: "b", 1: ["a"]}),
    "paths mixed keys": lambda tf, n: n.flatten_with_joined_string_paths({1: 1, "a": 2}),
    "map paths": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: (p, x, y), {"b": [1, 2], "a": 3},
                                                          {"b": [4, 5], "a": [6]}),
    "map paths kwargs": lambda tf, n: n.map_structure_with_paths(lambda p, x, k=0: (p, x, k), [1, (2,)], k=9),
    "map paths types": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, [1], (2,)),
    "map paths types unchecked": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, [1], (2,),
                                                                          check_types=False),
    "map paths length": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, [1], [2, 3]),
    "map paths not a sequence": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, [1], 2),
    "map paths keys": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, {"a": 1}, {"b": 2}),
    "map paths keys unchecked": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: y, {"a": 1}, {"b": 3},
                                                                         check_types=False),
    "map paths none": lambda tf, n: n.map_structure_with_paths(lambda p: 0),
    "map paths atom": lambda tf, n: n.map_structure_with_paths(lambda p, x: (p, x), 5),
    "map paths namedtuples": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: p, P(1, 2), P2(1, 2)),
    "map paths namedtuples other name": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: 0, P(1, 2), R(1, 2)),
    "map paths dict vs OrderedDict": lambda tf, n: n.map_structure_with_paths(
        lambda p, x, y: y, {"a": 1}, collections.OrderedDict(a=3)),
    "map paths list vs subclass": lambda tf, n: n.map_structure_with_paths(lambda p, x, y: y, [1], ListSub([3])),
    "map paths tensors": lambda tf, n: n.map_structure_with_paths(lambda p, x: (p, x), _tensors(tf)),
    "map paths indexed slices": lambda tf, n: n.map_structure_with_paths(
        lambda p, x: x, {"s": slices(tf)}, expand_composites=True),
    "map paths indexed slices dtypes": lambda tf, n: n.map_structure_with_paths(
        lambda p, x, y: x, slices(tf), slices(tf, "float64"), expand_composites=True),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program(name):
    ref, got = both(PROGRAMS[name])
    assert_same(ref, got, name)


# --------------------------------------------------------------------------- random structures

def _random_structure(rng: random.Random, depth: int = 0):
    leaves = [lambda: rng.randint(-9, 9), lambda: None, lambda: f"s{rng.randint(0, 9)}",
              lambda: rng.random(), lambda: np.array([rng.randint(0, 5)])]
    if depth >= 4 or rng.random() < 0.3:
        return rng.choice(leaves)()
    n = rng.randint(0, 4)
    kids = [_random_structure(rng, depth + 1) for _ in range(n)]
    kind = rng.choice(["list", "tuple", "dict", "intdict", "namedtuple", "OrderedDict"])
    if kind == "list":
        return kids
    if kind == "tuple":
        return tuple(kids)
    if kind == "namedtuple":
        return P(kids[0] if kids else 0, kids[1] if len(kids) > 1 else None)
    keys = rng.sample(["a", "b", "c", "d", "zz", "B"], n) if kind != "intdict" else rng.sample(range(-5, 9), n)
    d = dict(zip(keys, kids))
    return collections.OrderedDict(d) if kind == "OrderedDict" else d


def _random_programs(seed):
    rng = random.Random(seed)
    s1 = _random_structure(rng)
    s2 = _random_structure(rng) if rng.random() < 0.5 else s1

    def program(tf, n):
        flat = n.flatten(s1)
        return {"flat": flat,
                "packed": n.pack_sequence_as(s1, [str(i) for i in range(len(flat))]),
                "mapped": n.map_structure(lambda a, b: (type(a).__name__, type(b).__name__), s1, s1),
                "assert": attempt(n.assert_same_structure, s1, s2),
                "assert unchecked": attempt(lambda: n.assert_same_structure(s1, s2, check_types=False)),
                "paths": n.flatten_with_joined_string_paths(s1),
                "map paths": n.map_structure_with_paths(lambda p, x: p, s1),
                "is_nested": n.is_nested(s1)}

    return program


def _assert_same_dict(ref, got, where):
    assert not isinstance(ref, Raised) and not isinstance(got, Raised), (where, ref, got)
    for key in ref:
        assert_same(ref[key], got[key], f"{where} {key}")


@pytest.mark.parametrize("chunk", range(6))
def test_random_structures(chunk):
    """300 seeded random nests of lists, tuples, dicts (str and int keys), OrderedDicts and namedtuples."""
    for seed in range(chunk * 50, chunk * 50 + 50):
        ref, got = both(_random_programs(seed))
        _assert_same_dict(ref, got, f"seed {seed}")


def test_gradient_order_matches_flatten():
    """tape.gradient of a dict of sources returns the gradients in the sources' own structure on both, and
    tf.nest.flatten of that result lists them in the same order."""

    def program(tf, n):
        v = {"b": tf.Variable(2.0), "a": [tf.Variable(3.0), tf.Variable(4.0)]}
        with tf.GradientTape() as tape:
            y = v["b"] * v["a"][0] * v["a"][1]
        return n.flatten(tape.gradient(y, v))

    ref, got = both(program)
    assert_same(ref, got, "gradient order")
