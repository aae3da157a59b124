"""`tf.keras.backend`: the float type, the fuzz factor, the per-session name counters and Keras's name scopes.

Key decision: Keras keeps its own name-scope stack, separate from `tf.name_scope`, to give variables their
`path` ('sequential/dense/kernel'); entering a Keras scope also enters the TensorFlow one, as the TensorFlow
backend of Keras 3 does, so a `tf.Variable` created in a layer's `build` is named 'dense/w:0'. All this state
is per thread, as Keras's `global_state` is.
"""

from __future__ import annotations

import collections
import re
import threading

from .._module import name_scope as _tf_name_scope

__all__ = ["clear_session", "epsilon", "floatx", "get_uid", "set_epsilon", "set_floatx"]

_config = {"floatx": "float32", "epsilon": 1e-7}
_state = threading.local()


def floatx() -> str:
    """The default float type of Keras variables and computations, as a string.

    >>> import tapegrad as tf
    >>> tf.keras.backend.floatx()
    'float32'
    """
    return _config["floatx"]


def set_floatx(value: str) -> None:
    """Sets the default float type ('float16', 'float32' or 'float64')."""
    accepted = ("float16", "bfloat16", "float32", "float64")
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {accepted}")
    _config["floatx"] = str(value)


def epsilon() -> float:
    """The fuzz factor Keras uses to keep logs and divisions finite (1e-7).

    >>> import tapegrad as tf
    >>> tf.keras.backend.epsilon()
    1e-07
    """
    return _config["epsilon"]


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor returned by `epsilon()`."""
    _config["epsilon"] = float(value)


def _uids() -> collections.defaultdict:
    uids = getattr(_state, "uids", None)
    if uids is None:
        uids = _state.uids = collections.defaultdict(int)
    return uids


def get_uid(prefix: str = "") -> int:
    """A counter per string prefix, starting at 1 (as `keras.backend.get_uid`)."""
    uids = _uids()
    uids[prefix] += 1
    return uids[prefix]


def clear_session() -> None:
    """Resets the name counters, so the next Dense layer is named 'dense' again.

    >>> import tapegrad as tf
    >>> tf.keras.backend.clear_session()
    >>> tf.keras.layers.Dense(2).name
    'dense'
    """
    _state.uids = collections.defaultdict(int)
    _state.scopes = []
    from . import random as _random

    _random._global_generator[0] = None


# --------------------------------------------------------------------------- naming (keras.src.utils.naming)

def to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name: str) -> str:
    uids = _uids()
    unique = f"{name}_{uids[name]}" if name in uids else name
    uids[name] += 1
    return unique


def auto_name(prefix: str) -> str:
    """'Dense' -> 'dense', then 'dense_1', 'dense_2', ... (per session, see clear_session)."""
    return uniquify(to_snake_case(prefix))


def check_name(name, what: str = "name") -> str:
    if not isinstance(name, str) or "/" in name:
        raise ValueError(f"Argument `{what}` must be a string and cannot contain character `/`. "
                         f"Received: {what}={name} (of type {type(name)})")
    return name


# --------------------------------------------------------------------------- name scopes (variable paths)

def _stack() -> list:
    stack = getattr(_state, "scopes", None)
    if stack is None:
        stack = _state.scopes = []
    return stack


class name_scope:
    """A Keras name scope: a component of the `path` of the variables created inside it.

    Entered twice in a row by the same caller under the same name, it is entered once (a layer's `build`
    inside its own `__call__` does not give 'dense/dense/kernel'). `override_parent` gives an absolute parent
    path (a layer keeps the path it was first called under).
    """

    def __init__(self, name: str, caller=None, deduplicate: bool = True, override_parent: str | None = None):
        self.name = check_name(name)
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False
        self._tf_scope = None

    def __enter__(self):
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None and stack[-1].caller is self.caller \
                and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pushed = True
        self._tf_scope = _tf_name_scope(current_path() + "/")
        self._tf_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._pushed:
            self._pushed = False
            self._tf_scope.__exit__(*exc)
            stack = _stack()
            if stack:
                stack.pop()
        return False


def current_path() -> str:
    """The path of the open Keras name scopes ('sequential/dense'), '' outside any."""
    parts: list[str] = []
    for entry in _stack():
        if entry.override_parent is not None:
            parts = [p for p in entry.override_parent.split("/") if p]
        parts.append(entry.name)
    return "/".join(parts)
