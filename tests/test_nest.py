"""`tf.nest`: TensorFlow's structure rules, errors and messages (tests/parity/test_nest_parity.py compares all of
this with real TensorFlow where it is installed; these tests run without it)."""

from __future__ import annotations

import collections
import dataclasses
import doctest
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad as tf
import tapegrad.nest as nest_module
from tapegrad._core import nest as core_nest

nest = tf.nest
P = collections.namedtuple("P", "x y")
P2 = collections.namedtuple("P", "x y")
R = collections.namedtuple("R", "x y")
SAME = "The two structures don't have the same nested structure."


def test_tf_nest_is_the_module_and_lists_its_api():
    assert tf.nest is nest_module
    assert set(nest.__all__) >= {"flatten", "pack_sequence_as", "map_structure", "assert_same_structure", "is_nested"}
    for name in nest.__all__:
        assert callable(getattr(nest, name)) and getattr(nest, name).__doc__


def test_doctests():
    assert doctest.testmod(nest_module, optionflags=doctest.ELLIPSIS).failed == 0


# --------------------------------------------------------------------------- what is nested

def test_is_nested():
    nested = [[], (), {}, [1], P(1, 2), range(2), bytearray(b"a"), {"a": 1}.keys(), {"a": 1}.items(),
              collections.deque([1]), collections.OrderedDict(), collections.defaultdict(list)]
    leaves = ["ab", b"ab", None, 1, 1.5, True, {1}, frozenset(), np.array([1, 2]), np.float32(1),
              tf.constant([1.0]), tf.Variable([1.0]), object(), int, list]
    assert all(nest.is_nested(x) for x in nested)
    assert not any(nest.is_nested(x) for x in leaves)


def test_flatten_orders_dicts_by_key_and_keeps_sequence_order():
    assert nest.flatten({"key3": "v3", "key1": "v1", "key2": ["v2", None]}) == ["v1", "v2", None, "v3"]
    assert nest.flatten({"key3": {"c": (1.0, 2.0), "a": 3.0}, "key1": {"m": "val1", "g": "val2"}}) == \
        ["val2", "val1", 3.0, 1.0, 2.0]
    assert nest.flatten(((1.0, 2.0), (3.0, 4.0, 5.0), 6.0)) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert nest.flatten({3: "c", 1: "a", 2: "b"}) == ["a", "b", "c"]
    assert nest.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [2, 1]  # sorted, not insertion order
    assert nest.flatten(P(x=[1, 2], y={"b": 3, "a": 4})) == [1, 2, 4, 3]


def test_leaves_are_leaves():
    t, v, a = tf.constant([[1.0, 2.0]]), tf.Variable(3.0), np.array([1, 2])
    for leaf in (None, "abc", b"abc", 3, t, v, a, {1, 2}):
        assert nest.flatten(leaf) == [leaf] or nest.flatten(leaf)[0] is leaf
    flat = nest.flatten({"t": t, "v": (v, None), "a": a, "s": "xy"})
    assert flat[0] is a and flat[1] == "xy" and flat[2] is t and flat[3] is v and flat[4] is None
    assert nest.flatten([[], (), {}]) == []


def test_other_sequences_mappings_and_views():
    assert nest.flatten(range(3)) == [0, 1, 2]
    assert nest.flatten(collections.deque([1, [2]])) == [1, 2]
    assert nest.flatten({"b": 1, "a": 2}.keys()) == ["b", "a"]  # views keep their own order, as in TensorFlow
    assert nest.flatten({"b": 1, "a": 2}.items()) == ["b", 1, "a", 2]
    assert nest.pack_sequence_as(range(3), [4, 5, 6]) == [4, 5, 6]
    assert nest.pack_sequence_as({"b": 1, "a": 2}.items(), [1, 2, 3, 4]) == [(1, 2), (3, 4)]


class FrozenMap(collections.abc.Mapping):
    def __init__(self, *args, **kwargs):
        self._d = dict(*args, **kwargs)

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


def test_mappings_are_rebuilt_as_their_own_type_in_their_own_order():
    od = nest.pack_sequence_as(collections.OrderedDict([("b", 1), ("a", 2)]), [10, 20])
    assert type(od) is collections.OrderedDict and list(od.items()) == [("b", 20), ("a", 10)]
    dd = nest.pack_sequence_as(collections.defaultdict(list, {"b": 1, "a": 2}), [10, 20])
    assert type(dd) is collections.defaultdict and dd.default_factory is list and dict(dd) == {"b": 20, "a": 10}
    fm = nest.pack_sequence_as(FrozenMap(b=1, a=2), [5, 6])
    assert type(fm) is FrozenMap and dict(fm) == {"b": 6, "a": 5}
    d = nest.map_structure(lambda x: -x, {"z": 1, "a": 2})
    assert list(d) == ["z", "a"] and d == {"z": -1, "a": -2}


def test_namedtuples_and_subclasses():
    class PSub(P):
        pass

    class TupleSub(tuple):
        pass

    assert nest.pack_sequence_as(P(1, [2]), [5, 6]) == P(5, [6])
    assert type(nest.pack_sequence_as(PSub(1, 2), [5, 6])) is PSub
    assert type(nest.pack_sequence_as(TupleSub((1, 2)), [5, 6])) is TupleSub
    nest.assert_same_structure(P(1, 2), P2(3, 4))  # same name and fields: the same structure
    with pytest.raises(TypeError, match="namedtuples don't have the same sequence type"):
        nest.assert_same_structure(P(1, 2), R(3, 4))
    nest.assert_same_structure(P(1, 2), R(3, 4), check_types=False)
    with pytest.raises(TypeError):
        nest.assert_same_structure(PSub(1, 2), P(1, 2))


def test_attrs_classes():
    attr = pytest.importorskip("attr")

    @attr.s
    class A:
        y = attr.ib()
        x = attr.ib()

    a = A([1, 2], 3)
    assert nest.flatten(a) == [1, 2, 3]  # field order, not sorted
    packed = nest.pack_sequence_as(a, [7, 8, 9])
    assert type(packed) is A and packed.y == [7, 8] and packed.x == 9
    assert nest.flatten_with_joined_string_paths(a) == [("y/0", 1), ("y/1", 2), ("x", 3)]
    with pytest.raises(ValueError, match="is a sequence, while substructure"):
        nest.assert_same_structure(a, A(1, 2))


@dataclasses.dataclass
class Masked:
    mask: bool
    value: object

    def __tf_flatten__(self):
        return (self.mask,), (self.value,)

    @classmethod
    def __tf_unflatten__(cls, metadata, components):
        return cls(metadata[0], components[0])


def test_tf_flatten_protocol_and_dataclasses():
    m = Masked(True, [1, 2])
    assert nest.is_nested(m) and nest.flatten(m) == [1, 2]
    assert nest.pack_sequence_as(m, [5, 6]) == Masked(True, [5, 6])
    assert nest.map_structure(lambda x: x * 2, m) == Masked(True, [2, 4])
    nest.assert_same_structure(Masked(True, 1), Masked(False, 2))  # metadata is not compared, as in TensorFlow

    @dataclasses.dataclass
    class Plain:
        a: list

    assert nest.flatten(Plain([1, 2])) == [Plain([1, 2])]  # a dataclass is a leaf


# --------------------------------------------------------------------------- pack_sequence_as / map_structure

def test_pack_sequence_as():
    assert nest.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"]) == \
        {"key3": "v3", "key1": "v1", "key2": "v2"}
    assert nest.pack_sequence_as([1, [2, 3]], (5, 6, 7)) == [5, [6, 7]]
    assert nest.pack_sequence_as(1, [5]) == 5
    assert nest.pack_sequence_as([[], (), {}], []) == [[], (), {}]


def test_pack_sequence_as_errors():
    with pytest.raises(ValueError, match=r"Structure had 3 atoms, but flat_sequence had 2 items"):
        nest.pack_sequence_as([1, [2, 3]], [5, 6])
    with pytest.raises(ValueError, match=r"Structure had 3 atoms, but flat_sequence had 4 items"):
        nest.pack_sequence_as([1, [2, 3]], [5, 6, 7, 8])
    with pytest.raises(ValueError, match=r"However the input is a sequence \(<class 'list'>\) of length 2"):
        nest.pack_sequence_as(1, [5, 6])
    for not_a_sequence in (5, "ab", np.array([1]), {5}, None, tf.constant([1]), (i for i in range(1))):
        with pytest.raises(TypeError, match="Attempted to pack value"):
            nest.pack_sequence_as([1], not_a_sequence)
    with pytest.raises(TypeError, match="nest only supports dicts with sortable keys"):
        nest.pack_sequence_as({1: 1, "a": 2}, [1, 2])
    with pytest.raises(KeyError):  # a dict as flat_sequence is indexed, as in TensorFlow
        nest.pack_sequence_as([1, 2], {"a": 1, "b": 2})


def test_map_structure():
    assert nest.map_structure(lambda a, b: a + b, {"hello": 24, "world": 76}, {"hello": 36, "world": 14}) == \
        {"hello": 60, "world": 90}
    assert nest.map_structure(lambda x, y: x + y, 3, 4) == 7
    assert nest.map_structure(lambda x: x + 1, ()) == ()
    assert nest.map_structure(lambda x: 1, [None, (None,)]) == [1, (1,)]  # None is a leaf
    assert nest.map_structure(lambda x, y: None, ((1, 2), 3), [[1, 2], 3], check_types=False) == ((None, None), None)
    assert nest.map_structure(lambda a, b: (a, b), {"a": 1}, {"b": 2}, check_types=False) == {"a": (1, 2)}
    out = nest.map_structure(lambda t: t * 2, {"w": tf.constant([1.0, 2.0]), "b": (tf.Variable(3.0),)})
    assert out["w"].numpy().tolist() == [2.0, 4.0] and float(out["b"][0]) == 6.0


def test_map_structure_errors():
    with pytest.raises(TypeError, match="func must be callable, got: 3"):
        nest.map_structure(3, [1])
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        nest.map_structure(lambda x: x)
    with pytest.raises(ValueError, match="Only valid keyword arguments are `check_types` and `expand_composites`, "
                                         "not: `foo`, `bar`"):
        nest.map_structure(lambda x: x, [1], foo=1, bar=2)
    with pytest.raises(TypeError, match=SAME):
        nest.map_structure(lambda x, y: None, [1], (1,))
    with pytest.raises(ZeroDivisionError):
        nest.map_structure(lambda x: 1 / 0, [1])


# --------------------------------------------------------------------------- assert_same_structure

def test_assert_same_structure_passes():
    nest.assert_same_structure(1.5, tf.Variable(1.0))
    nest.assert_same_structure("abc", np.array([1, 2]))
    nest.assert_same_structure((((1, 2), 3), 4, (5, 6)), ((("a", "b"), "c"), "d", ("e", "f")))
    nest.assert_same_structure({"a": 1, "b": 2, "c": 3}, {"c": 6, "b": 5, "a": 4})
    nest.assert_same_structure({"a": 1}, collections.OrderedDict(a=1))
    nest.assert_same_structure(FrozenMap(b=1, a=2), {"a": 1, "b": 2})
    nest.assert_same_structure(P(1, 2), {"a": 1, "b": 2}, check_types=False)

    class ListSub(list):
        pass

    nest.assert_same_structure(ListSub([1, 2]), [5, 6])  # list subclasses pass, as in TensorFlow


def test_assert_same_structure_messages():
    with pytest.raises(TypeError) as e:
        nest.assert_same_structure([1, 2], (1, 2))
    assert str(e.value) == (
        f"{SAME}\n\nFirst structure: type=list str=[1, 2]\n\nSecond structure: type=tuple str=(1, 2)\n\n"
        "More specifically: The two namedtuples don't have the same sequence type. First structure type=list "
        "str=[1, 2] has type list, while second structure type=tuple str=(1, 2) has type tuple\n"
        "Entire first structure:\n[., .]\nEntire second structure:\n(., .)")
    with pytest.raises(ValueError) as e:
        nest.assert_same_structure([[1, [2]]], [[1, [2, 3]]])
    assert "More specifically: The two structures don't have the same number of elements. First structure: " \
           "type=list str=[2]. Second structure: type=list str=[2, 3]\n" in str(e.value)
    with pytest.raises(ValueError) as e:
        nest.assert_same_structure([0, 1], tf.constant([0, 1]))
    assert 'Substructure "type=list str=[0, 1]" is a sequence, while substructure ' \
           '"type=Tensor str=tf.Tensor([0 1], shape=(2,), dtype=int32)" is not' in str(e.value)
    with pytest.raises(ValueError) as e:
        nest.assert_same_structure({"a": 1}, {"a": 1, "b": 2})
    assert "The two dictionaries don't have the same set of keys. First structure has keys type=list str=['a'], " \
           "while second structure has keys type=list str=['a', 'b']" in str(e.value)
    nest.assert_same_structure({"a": 1}, {"b": 1}, check_types=False)  # keys are only compared with check_types
    with pytest.raises(TypeError, match="has type collections.OrderedDict"):  # a C type's dotted name
        nest.assert_same_structure([1], collections.OrderedDict(a=1))


def test_unsortable_keys():
    with pytest.raises(TypeError, match="'<' not supported"):
        nest.flatten({1: 1, "a": 2})
    with pytest.raises(TypeError, match="'<' not supported"):
        nest.assert_same_structure({1: 1, None: 2}, {1: 1, None: 2})
    with pytest.raises(TypeError, match="'<' not supported"):
        nest.map_structure(lambda x: x, {1: 1, "a": 2})
    with pytest.raises(TypeError, match="nest only supports dicts with sortable keys"):
        nest.map_structure_with_paths(lambda p, x: x, {1: 1, "a": 2})


# --------------------------------------------------------------------------- hostile input

def test_self_reference_and_depth_raise_recursion_error():
    a = [1]
    a.append(a)
    with pytest.raises(RecursionError, match="in flatten"):
        nest.flatten(a)
    with pytest.raises(RecursionError, match="in assert_same_structure"):
        nest.assert_same_structure(a, a)
    deep = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError):
        nest.flatten(deep)
    ok = 1
    for _ in range(200):
        ok = [ok]
    assert nest.flatten(ok) == [1] and nest.pack_sequence_as(ok, [2]) == nest.map_structure(lambda x: 2, ok)


def test_errors_from_user_code_come_through():
    class BadItem(collections.abc.Sequence):
        def __getitem__(self, i):
            raise ValueError("boom")

        def __len__(self):
            return 2

    class BadStr:
        def __str__(self):
            raise RuntimeError("no str")

    class NoPairsMap(FrozenMap):
        def __init__(self, a, b):
            super().__init__(a=a, b=b)

    with pytest.raises(ValueError, match="boom"):
        nest.flatten(BadItem())
    with pytest.raises(RuntimeError, match="no str"):  # TensorFlow lets it through too
        nest.assert_same_structure([BadStr()], [[1]])
    with pytest.raises(TypeError, match="Error creating an object of type .* must accept a single positional"):
        nest.pack_sequence_as(NoPairsMap(1, 2), [5, 6])


def test_type_cache_stays_bounded():
    for i in range(5000):
        nest.flatten(collections.namedtuple(f"T{i}", "a")(i))
    assert len(nest_module._KINDS) <= 4097


def test_large_flat_structures_are_fast():
    big = list(range(200_000))
    start = time.perf_counter()
    assert nest.flatten(big) == big
    assert nest.pack_sequence_as(big, big) == big
    nest.assert_same_structure({"a": big}, {"a": big})
    assert time.perf_counter() - start < 5


# --------------------------------------------------------------------------- expand_composites: tf.IndexedSlices

def _slices(dtype=tf.float32, dense_shape=(3, 2)):
    return tf.IndexedSlices(tf.constant([[1.0, 2.0]], dtype=dtype), tf.constant([0]),
                            None if dense_shape is None else tf.constant(list(dense_shape)))


def test_indexed_slices_are_leaves_unless_expanded():
    s = _slices()
    assert not nest.is_nested(s) and nest.flatten(s) == [s]
    values, indices, dense_shape = nest.flatten(s, expand_composites=True)
    assert values is s.values and indices is s.indices and dense_shape is s.dense_shape
    assert len(nest.flatten(_slices(dense_shape=None), expand_composites=True)) == 2
    doubled = nest.map_structure(lambda x: x * 2, {"s": s}, expand_composites=True)["s"]
    assert isinstance(doubled, tf.IndexedSlices)
    assert doubled.values.numpy().tolist() == [[2.0, 4.0]] and doubled.dense_shape.numpy().tolist() == [6, 4]
    assert nest.flatten_with_joined_string_paths({"a": s}, expand_composites=True)[0][0] == "a/IndexedSlices/0"


def test_indexed_slices_structure_checks():
    nest.assert_same_structure(_slices(), _slices(dense_shape=(7, 2)), expand_composites=True)  # shapes may differ
    nest.assert_same_structure(_slices(), _slices(tf.float64))  # not expanded: leaves
    with pytest.raises(ValueError, match="Incompatible CompositeTensor TypeSpecs: type=IndexedSlicesSpec "
                                         r"str=IndexedSlicesSpec\(TensorShape\(\[3, 2\]\), tf.float32, tf.int32"):
        nest.assert_same_structure(_slices(), _slices(tf.float64), expand_composites=True)
    with pytest.raises(ValueError, match="Incompatible CompositeTensor"):
        nest.assert_same_structure(_slices(), _slices(dense_shape=None), check_types=False, expand_composites=True)
    with pytest.raises(ValueError, match="is a sequence, while substructure"):
        nest.assert_same_structure(_slices(), tf.constant(1.0), expand_composites=True)


# --------------------------------------------------------------------------- paths

def test_flatten_with_joined_string_paths():
    s = {"b": [1, {"c": 2}], "a": P(3, (4,))}
    assert nest.flatten_with_joined_string_paths(s) == [("a/x", 3), ("a/y/0", 4), ("b/0", 1), ("b/1/c", 2)]
    assert nest.flatten_with_joined_string_paths({"b": [1, 2]}, separator=".") == [("b.0", 1), ("b.1", 2)]
    assert nest.flatten_with_joined_string_paths(5) == [("", 5)]


def test_map_structure_with_paths():
    out = nest.map_structure_with_paths(lambda p, x, y: (p, x, y), {"b": [1, 2], "a": 3}, {"b": [4, 5], "a": [6]})
    assert out == {"b": [("b/0", 1, 4), ("b/1", 2, 5)], "a": ("a", 3, [6])}  # deeper input: a subtree per leaf
    assert nest.map_structure_with_paths(lambda p, x, k=0: (p, x, k), [1, (2,)], k=9) == [("0", 1, 9), (("1/0", 2, 9),)]
    with pytest.raises(TypeError, match="don't have the same sequence type"):
        nest.map_structure_with_paths(lambda p, x, y: 0, [1], (2,))
    assert nest.map_structure_with_paths(lambda p, x, y: 0, [1], (2,), check_types=False) == [0]
    with pytest.raises(ValueError, match="don't have the same sequence length"):
        nest.map_structure_with_paths(lambda p, x, y: 0, [1], [2, 3])
    with pytest.raises(TypeError, match="If shallow structure is a sequence, input must also be a sequence"):
        nest.map_structure_with_paths(lambda p, x, y: 0, [1], 2)
    with pytest.raises(ValueError, match=r"not in the input_tree: \['a'\]"):
        nest.map_structure_with_paths(lambda p, x, y: 0, {"a": 1}, {"b": 2})


# --------------------------------------------------------------------------- agreement with the tape's nest

def _random_plain(rng, depth=0):
    if depth > 3 or rng.random() < 0.3:
        return rng.randint(0, 99)
    kids = [_random_plain(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    kind = rng.choice(["list", "tuple", "dict", "intdict", "namedtuple"])
    if kind == "list":
        return kids
    if kind == "tuple":
        return tuple(kids)
    if kind == "namedtuple":
        return P(kids[0] if kids else 0, kids[1] if len(kids) > 1 else 1)
    keys = rng.sample("abcdefg", len(kids)) if kind == "dict" else rng.sample(range(-9, 9), len(kids))
    return dict(zip(keys, kids))


def test_core_nest_agrees_on_plain_structures():
    """The tape's own nest (_core/nest.py) and tf.nest flatten and rebuild plain structures alike."""
    rng = random.Random(0)
    for _ in range(300):
        s = _random_plain(rng)
        flat = nest.flatten(s)
        assert core_nest.flatten(s) == flat
        assert core_nest.pack_sequence_as(s, flat) == nest.pack_sequence_as(s, flat)


def test_gradients_of_a_nest_follow_its_flatten_order():
    v = {"b": tf.Variable(2.0), "a": [tf.Variable(3.0), tf.Variable(4.0)]}
    with tf.GradientTape() as tape:
        y = v["b"] * v["a"][0] * v["a"][1]
    grads = tape.gradient(y, v)
    nest.assert_same_structure(grads, v)
    assert [float(g) for g in nest.flatten(grads)] == [8.0, 6.0, 12.0]  # a[0], a[1], b


leaves = st.one_of(st.integers(), st.none(), st.text(max_size=3), st.floats(allow_nan=False))
structures = st.recursive(
    leaves,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.lists(kids, max_size=4).map(tuple),
                           st.dictionaries(st.text(max_size=2), kids, max_size=4),
                           st.builds(P, kids, kids)),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(structures)
def test_roundtrip(s):
    flat = nest.flatten(s)
    rebuilt = nest.pack_sequence_as(s, flat)
    nest.assert_same_structure(s, rebuilt)
    assert nest.flatten(rebuilt) == flat
    assert repr(nest.map_structure(lambda x: x, s)) == repr(s)  # container types and dict order kept
    assert [x for _, x in nest.flatten_with_joined_string_paths(s)] == flat
    assert nest.map_structure(lambda a, b: (a, b), s, s) == nest.pack_sequence_as(s, [(x, x) for x in flat])
