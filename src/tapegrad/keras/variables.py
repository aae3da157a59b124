"""`tf.keras.Variable`: the variables Keras layers create, named and printed as Keras 3 does.

Key decision: a Keras variable *is* a `tf.Variable` (a subclass), not a wrapper around one. Tapes watch it,
ops read it, `tape.gradient(loss, layer.trainable_variables)` and every optimizer work on it unchanged, as
they do on Keras 3 variables under the TensorFlow backend. What Keras adds sits on top: `name` is the short
name ('kernel'), `path` the full one ('sequential/dense/kernel'), `trainable` can be set, and a `regularizer`
and `constraint` ride along. It prints as Keras 3 prints it:
`<Variable path=dense/kernel, shape=(4, 3), dtype=float32, value=[...]>`. (In Keras 3,
`isinstance(v, tf.Variable)` is False; here it is True, which only adds what TensorFlow code expects.)
"""

from __future__ import annotations

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Variable as _TFVariable
from . import backend as _backend

__all__ = ["Variable"]


class Variable(_TFVariable):
    """A Keras variable: a `tf.Variable` with a Keras `name`, `path`, settable `trainable` and a regularizer.

    Args:
      initializer: a value (tensor, array, number) or an initializer called as `initializer(shape, dtype)`.
      shape: the shape, needed when `initializer` is callable.
      dtype: the dtype (default: the value's, or `tf.keras.backend.floatx()` for an initializer).
      trainable: whether optimizers update it (and tapes watch it).
      name: the short name; the path is the open Keras name scopes plus the name.

    >>> import tapegrad as tf
    >>> v = tf.keras.Variable([1.0, 2.0], name="w")
    >>> v
    <Variable path=w, shape=(2,), dtype=float32, value=[1. 2.]>
    >>> v.name, v.path
    ('w', 'w')
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable: bool = True, autocast: bool = True,
                 aggregation: str = "none", name: str | None = None):
        name = _backend.auto_name("variable") if name is None else name
        _backend.check_name(name)
        if callable(initializer) and not hasattr(initializer, "_value"):
            if shape is None:
                raise ValueError("When creating a Variable from an initializer, the `shape` argument should be "
                                 f"specified. Received: initializer={initializer} and shape={shape}")
            value = initializer(tuple(shape), dtype=dtype or _backend.floatx())
        else:
            value = initializer
        if dtype is not None and not hasattr(value, "_value") and not isinstance(value, np.ndarray):
            value = np.asarray(value, dtype=_dt.as_dtype(dtype).as_numpy_dtype)
        elif dtype is not None and hasattr(value, "_value") and value.dtype != _dt.as_dtype(dtype):
            from ..ops import cast

            value = cast(value, dtype)
        super().__init__(value, trainable=bool(trainable), dtype=dtype, shape=shape)
        parent = _backend.current_path()
        self._path = f"{parent}/{name}" if parent else name
        self._name = self._path  # the TensorFlow-level name ('dense/kernel:0' where TF code asks for it)
        self._short_name = name
        self.autocast = autocast
        self.aggregation = aggregation
        self.regularizer = None
        self.constraint = None
        self.overwrite_with_gradient = False

    @property
    def name(self) -> str:
        """The short name given at creation ('kernel')."""
        return self._short_name

    @property
    def path(self) -> str:
        """The full name: the Keras name scopes open at creation, then the name ('sequential/dense/kernel')."""
        return self._path

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    def __repr__(self) -> str:
        value = np.asarray(self.numpy())
        return (f"<Variable path={self._path}, shape={tuple(value.shape)}, dtype={self.dtype.name}, "
                f"value={value}>")

    __str__ = __repr__

    def __reduce__(self):
        return (_rebuild, (self.numpy(), self._trainable, self._short_name, self._path))


def _rebuild(value, trainable, name, path):
    v = Variable(np.asarray(value), trainable=trainable, name=name)
    v._path = v._name = path
    return v
