"""`tf.Module` and `tf.name_scope`: containers that find their variables and submodules by walking attributes.

Key decision: nothing is registered when an attribute is set. As TensorFlow does, `variables`,
`trainable_variables` and `submodules` walk `vars(self)` each time they are read: attributes in sorted-name
order, each value flattened as `tf.nest` flattens it (lists and tuples in order, dicts by sorted key), the
direct attributes of a module before those of its submodules (breadth first per module, depth first across
modules), every object listed once (by identity) and cycles broken. So a variable stored in a list, a dict
or a nested module is found, and removing the attribute removes it.

`tf.name_scope` prefixes the names of the `tf.Variable`s created inside it ('outer/inner/w:0'); the prefix
lives in `tapegrad._core.tensor._scope` (per thread) where `Variable()` reads it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from ._core import nest
from ._core import tensor as _tensor
from ._core.tensor import Variable

__all__ = ["Module", "name_scope"]


class name_scope:
    """A context manager that prefixes the names of variables created inside it (TensorFlow 2's `tf.name_scope`).

    Entering returns the full scope name ('outer/inner/'). A name ending in '/' is absolute: it replaces the
    enclosing scopes instead of nesting in them; an empty name clears them.

    >>> import tapegrad as tf
    >>> with tf.name_scope("outer"):
    ...     with tf.name_scope("inner") as scope:
    ...         v = tf.Variable(1.0, name="w")
    >>> scope, v.name
    ('outer/inner/', 'outer/inner/w:0')
    """

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise ValueError(f"name for name_scope must be a string; got {type(name).__name__} {name!r}.")
        self._name = name
        self._restore: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        old = getattr(_tensor._scope, "prefix", "")
        name = self._name
        if not name:
            scope = ""
        elif name.endswith("/"):
            scope = name
        else:
            scope = old + name + "/"
        _tensor._scope.prefix = scope
        self._restore.append(old)
        return scope

    def __exit__(self, *exc) -> bool:
        _tensor._scope.prefix = self._restore.pop()
        return False


_CAMEL_TO_SNAKE = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_VALID_IDENTIFIER = re.compile(r"^[a-zA-Z_]([a-zA-Z0-9_])*$")


def _camel_to_snake(value: str) -> str:
    return _CAMEL_TO_SNAKE.sub(r"_\1", value).lower()


def _is_variable(obj) -> bool:
    return isinstance(obj, Variable)


def _is_trainable_variable(obj) -> bool:
    return isinstance(obj, Variable) and bool(getattr(obj, "trainable", False))


def _is_non_trainable_variable(obj) -> bool:
    return isinstance(obj, Variable) and not getattr(obj, "trainable", False)


def _is_module(obj) -> bool:
    return isinstance(obj, Module)


class Module:
    """Base class for models and layers: finds the variables and submodules held in its attributes.

    Args:
      name: the module's name, a Python identifier (default: the class name in snake_case).

    >>> import tapegrad as tf
    >>> class Linear(tf.Module):
    ...     def __init__(self, name=None):
    ...         super().__init__(name=name)
    ...         self.w = tf.Variable([[1.0], [2.0]], name="w")
    ...         self.b = tf.Variable([0.0], name="b")
    ...     def __call__(self, x):
    ...         return tf.matmul(x, self.w) + self.b
    >>> model = Linear()
    >>> model.name, [v.name for v in model.trainable_variables]
    ('linear', ['b:0', 'w:0'])
    """

    # Attribute names never walked (TensorFlow's hook for subclasses).
    _TF_MODULE_IGNORED_PROPERTIES: frozenset = frozenset()

    def __init__(self, name: str | None = None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid Python "
                             "identifiers (e.g. a valid class name).")
        self._name = name
        with name_scope(name) as scope_name:
            self._name_scope = name_scope(scope_name)

    @property
    def name(self) -> str:
        """The module's name, as given to the constructor (or derived from the class name)."""
        return self._name

    @property
    def name_scope(self) -> name_scope:
        """A `tf.name_scope` for this module ('name/', absolute): variables created in it are 'name/...:0'."""
        return self._name_scope

    @property
    def variables(self) -> tuple:
        """Every `tf.Variable` held by this module and its submodules, each once, in TensorFlow's order."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self) -> tuple:
        """The trainable variables held by this module and its submodules (what an optimizer updates)."""
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self) -> tuple:
        """The variables with `trainable=False` held by this module and its submodules."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    @property
    def submodules(self) -> tuple:
        """Every module held by this one, recursively (not including itself).

        >>> import tapegrad as tf
        >>> a = tf.Module(name="a"); b = tf.Module(name="b"); c = tf.Module(name="c")
        >>> a.b = b; b.c = c
        >>> [m.name for m in a.submodules]
        ['b', 'c']
        """
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive: bool = True, predicate: Callable[[Any], bool] | None = None,
                 attribute_traversal_key: Callable | None = None, with_path: bool = False) -> Iterator:
        """The objects held in attributes that satisfy `predicate` (TensorFlow's `Module._flatten`)."""
        if predicate is None:
            predicate = lambda _: True
        return _flatten_module(self, recursive, predicate, attribute_traversal_key,
                               self._TF_MODULE_IGNORED_PROPERTIES, with_path, (), None, None)

    @classmethod
    def with_name_scope(cls, method: Callable) -> Callable:
        """Decorator: runs `method` inside the module's name scope (variables it creates are 'name/...:0').

        >>> import tapegrad as tf
        >>> class Scale(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def __call__(self, x):
        ...         if not hasattr(self, "s"):
        ...             self.s = tf.Variable(2.0, name="s")
        ...         return x * self.s
        >>> m = Scale(); _ = m(1.0); m.s.name
        'scale/s:0'
        """
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return method_with_name_scope


def _flatten_module(module, recursive, predicate, attribute_traversal_key, attributes_to_ignore, with_path,
                    module_path, seen, recursion_stack):
    module_id = id(module)
    if seen is None:
        seen = {module_id}
    if recursion_stack is None:
        recursion_stack = []
    if module_id in recursion_stack:  # a cycle back to a module being walked: list its leaves, do not recurse
        recursive = False
    module_dict = vars(module)
    submodules = []
    for key in sorted(module_dict, key=attribute_traversal_key):
        if key in attributes_to_ignore:
            continue
        prop = module_dict[key]
        try:
            leaves = _with_paths(prop)
        except Exception as cause:
            raise ValueError(f"Error processing property {key!r} of {prop!r}") from cause
        for leaf_path, leaf in leaves:
            leaf_path = (key,) + leaf_path
            if not with_path:
                leaf_id = id(leaf)
                if leaf_id in seen:
                    continue
                seen.add(leaf_id)
            if predicate(leaf):
                yield (module_path + leaf_path, leaf) if with_path else leaf
            if recursive and _is_module(leaf):
                submodules.append((module_path + leaf_path, leaf))  # direct attributes first, then recurse
    recursion_stack.append(module_id)
    for sub_path, sub in submodules:
        yield from _flatten_module(sub, recursive, predicate, attribute_traversal_key,
                                   sub._TF_MODULE_IGNORED_PROPERTIES, with_path, sub_path, seen, recursion_stack)
    recursion_stack.pop()


def _with_paths(structure, prefix: tuple = ()) -> list:
    """(path, leaf) pairs in `tf.nest` order: lists and tuples by index, dicts by sorted key."""
    if not nest.is_nested(structure):
        return [(prefix, structure)]
    if isinstance(structure, dict):
        keys = sorted(structure, key=nest._sort_key)
        items = [(k, structure[k]) for k in keys]
    else:
        items = list(enumerate(structure))
    out = []
    for k, v in items:
        out.extend(_with_paths(v, prefix + (k,)))
    return out
