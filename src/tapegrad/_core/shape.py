"""TensorShape: the tuple-like shape TensorFlow returns from `tensor.shape`.

Key decision: eager tensors always have fully known shapes, so TensorShape is a tuple of ints with
TensorFlow's spelling (`as_list`, `rank`, `num_elements`) and printing (`(2, 3)`, `TensorShape([2, 3])`).
"""

from __future__ import annotations

import math


class TensorShape(tuple):
    """The shape of a tensor: a tuple of ints that also answers TensorFlow's TensorShape methods.

    >>> import tapegrad as tf
    >>> s = tf.zeros((2, 3)).shape
    >>> s, s.as_list(), s.rank, s[0]
    (TensorShape([2, 3]), [2, 3], 2, 2)
    """

    __slots__ = ()

    def __new__(cls, dims=()):
        if dims is None:
            raise ValueError("tapegrad tensors always have fully known shapes; TensorShape(None) is not supported.")
        if isinstance(dims, int):
            dims = (dims,)
        return super().__new__(cls, (None if d is None else int(d) for d in dims))

    @property
    def rank(self) -> int:
        return len(self)

    @property
    def ndims(self) -> int:
        return len(self)

    @property
    def dims(self) -> list:
        return list(self)

    def as_list(self) -> list:
        return list(self)

    def num_elements(self) -> int:
        return math.prod(self)

    def is_fully_defined(self) -> bool:
        return all(d is not None for d in self)

    def is_compatible_with(self, other) -> bool:
        other = TensorShape(other)
        return len(self) == len(other) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def assert_is_compatible_with(self, other) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {TensorShape(other)} are incompatible")

    def merge_with(self, other) -> TensorShape:
        self.assert_is_compatible_with(other)
        return self

    def concatenate(self, other) -> TensorShape:
        return TensorShape(tuple(self) + tuple(TensorShape(other)))

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return TensorShape(r) if isinstance(key, slice) else r

    def __eq__(self, other) -> bool:
        try:
            return tuple(self) == tuple(other)
        except TypeError:
            return False

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __add__(self, other) -> TensorShape:
        return self.concatenate(other)

    def __str__(self) -> str:
        if len(self) == 1:
            return f"({self[0]},)"
        return "(" + ", ".join(str(d) for d in self) + ")"

    def __repr__(self) -> str:
        return f"TensorShape({list(self)})"
