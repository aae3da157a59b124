"""tf.Module and tf.name_scope: names, scopes, and variables / submodules found through attributes."""

import doctest
import threading

import numpy as np
import pytest

import tapegrad as tf
from tapegrad import _module


def names(variables):
    return [v.name for v in variables]


class MyMod(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.b = tf.Variable(1.0, name="b")
        self.a = [tf.Variable(2.0, name="a0"),
                  {"z": tf.Variable(3.0, name="z"), "y": tf.Variable(4.0, trainable=False, name="y")}]

    @tf.Module.with_name_scope
    def __call__(self, x):
        if not hasattr(self, "c"):
            self.c = tf.Variable(x, name="c")
        return x * self.c


def test_default_name_is_snake_case_class_name_and_names_must_be_identifiers():
    assert MyMod().name == "my_mod"
    assert tf.Module().name == "module"
    assert tf.Module(name="net").name == "net"

    class HTTPServer2(tf.Module):
        pass

    assert HTTPServer2().name == "http_server2"
    with pytest.raises(ValueError, match="'a b' is not a valid module name"):
        tf.Module(name="a b")
    with pytest.raises(ValueError, match="valid Python identifiers"):
        tf.Module(name="1abc")


def test_variables_in_tensorflow_order_sorted_attributes_then_nested_values():
    m = MyMod()
    m(1.0)
    # TensorFlow 2.21 prints exactly this order: attributes by name, a list in order, a dict by key.
    assert names(m.variables) == ["a0:0", "y:0", "z:0", "b:0", "my_mod/c:0"]
    assert names(m.trainable_variables) == ["a0:0", "z:0", "b:0", "my_mod/c:0"]
    assert names(m.non_trainable_variables) == ["y:0"]
    assert isinstance(m.variables, tuple) and isinstance(m.submodules, tuple)


def test_submodules_recursive_deduplicated_direct_attributes_before_nested():
    class Outer(tf.Module):
        def __init__(self):
            super().__init__(name="outer")
            self.inner = MyMod()
            self.x = tf.Variable(0.0, name="x")
            self.inner2 = self.inner  # the same module twice: listed once
            self.shared = [self.x]  # the same variable twice: listed once

    o = Outer()
    assert names(o.variables) == ["x:0", "a0:0", "y:0", "z:0", "b:0"]
    assert o.submodules == (o.inner,)
    deep = tf.Module(name="a")
    deep.b = tf.Module(name="b")
    deep.b.c = tf.Module(name="c")
    deep.d = (tf.Module(name="d"),)
    assert [m.name for m in deep.submodules] == ["b", "d", "c"]  # breadth first within a module


def test_cycles_are_broken():
    a, b = tf.Module(name="a"), tf.Module(name="b")
    a.child, b.parent = b, a
    a.v = tf.Variable(1.0, name="va")
    b.v = tf.Variable(2.0, name="vb")
    assert names(a.variables) == ["va:0", "vb:0"]
    assert names(b.variables) == ["vb:0", "va:0"]
    assert a.submodules == (b,)


def test_removing_an_attribute_removes_its_variables():
    m = tf.Module()
    m.w = tf.Variable(1.0, name="w")
    assert len(m.variables) == 1
    del m.w
    assert m.variables == ()


def test_name_scope_prefixes_variable_names_and_nests():
    with tf.name_scope("foo"):
        assert tf.Variable(1.0, name="v").name == "foo/v:0"
        assert tf.Variable(1.0).name == "foo/Variable:0"
        with tf.name_scope("bar") as scope:
            assert scope == "foo/bar/"
            assert tf.Variable(1.0, name="z").name == "foo/bar/z:0"
        with tf.name_scope("abs/") as scope:  # a trailing slash is absolute
            assert scope == "abs/"
        with tf.name_scope("") as scope:  # empty clears
            assert scope == "" and tf.Variable(1.0, name="w").name == "w:0"
    assert tf.Variable(1.0, name="after").name == "after:0"
    assert tf.name_scope("x").name == "x"
    with pytest.raises(ValueError, match="must be a string"):
        tf.name_scope(3)


def test_name_scope_is_restored_after_an_exception_and_is_per_thread():
    with pytest.raises(RuntimeError):
        with tf.name_scope("boom"):
            raise RuntimeError
    assert tf.Variable(1.0, name="v").name == "v:0"
    seen = []
    with tf.name_scope("main"):
        t = threading.Thread(target=lambda: seen.append(tf.Variable(1.0, name="t").name))
        t.start()
        t.join()
    assert seen == ["t:0"]


def test_module_name_scope_and_with_name_scope():
    m = tf.Module(name="mm")
    assert m.name_scope.name == "mm/"
    with m.name_scope:
        assert tf.Variable(1.0, name="q").name == "mm/q:0"
    with tf.name_scope("outer"):
        inner = tf.Module(name="inner")
    assert inner.name_scope.name == "outer/inner/"
    mod = MyMod()
    assert float(mod(3.0)) == 9.0
    assert mod.c.name == "my_mod/c:0"
    assert MyMod.__call__.__name__ == "__call__"  # functools.wraps keeps the method's identity


def test_gradients_flow_to_module_variables():
    class Linear(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.array([[1.0], [2.0]], np.float32), name="w")
            self.b = tf.Variable([0.5], name="b")

        def __call__(self, x):
            return tf.matmul(x, self.w) + self.b

    model = Linear()
    x = tf.constant([[1.0, 1.0], [2.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x) ** 2)
    gb, gw = tape.gradient(loss, model.trainable_variables)  # sorted: b, w
    y = x.numpy() @ model.w.numpy() + 0.5
    np.testing.assert_allclose(gw.numpy(), x.numpy().T @ (2 * y), rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), (2 * y).sum(0), rtol=1e-6)


def test_flatten_with_path_and_ignored_properties():
    class M(tf.Module):
        _TF_MODULE_IGNORED_PROPERTIES = frozenset({"hidden"})

        def __init__(self):
            super().__init__()
            self.hidden = tf.Variable(1.0, name="h")
            self.d = {"k": [tf.Variable(2.0, name="v")]}

    m = M()
    assert names(m.variables) == ["v:0"]
    paths = list(m._flatten(predicate=lambda x: isinstance(x, tf.Variable), with_path=True))
    assert paths == [(("d", "k", 0), m.d["k"][0])]


def test_keras_layers_are_modules():
    layer = tf.keras.layers.Dense(2)
    assert isinstance(layer, tf.Module)
    holder = tf.Module(name="holder")
    holder.layer = layer
    layer(tf.ones((1, 3)))
    assert {id(v) for v in holder.trainable_variables} == {id(layer.kernel), id(layer.bias)}
    assert holder.submodules == (layer,)


def test_doctests():
    tf.keras.backend.clear_session()
    assert doctest.testmod(_module).failed == 0
