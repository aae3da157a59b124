"""`tf.keras.metrics`: running averages over batches (Mean, accuracies), kept in non-trainable variables.

Key decision (Keras 3's): a metric's state is variables ('mean/total', 'mean/count'), updated with
`assign_add` (never recorded on a tape), so `update_state` can be called inside a training loop and
`reset_state` starts an epoch afresh. A `sample_weight` weights each value; the mean is the weighted sum
divided by the sum of the weights (0 when nothing was seen).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ops as _ops
from .._core import dtypes as _dt
from ..ops.math_ops import divide_no_nan as _divide_no_nan
from ..ops.reduce import argmax as _argmax
from . import backend as _backend
from . import losses as _losses
from .initializers import Zeros
from .variables import Variable as _KerasVariable

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanMetricWrapper", "Metric",
           "SparseCategoricalAccuracy", "Sum", "accuracy", "binary_accuracy", "categorical_accuracy", "get",
           "sparse_categorical_accuracy"]


class Metric:
    """Base class: `update_state(...)` accumulates, `result()` reads, `reset_state()` clears.

    Calling a metric updates it and returns the result.
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or _backend.auto_name(type(self).__name__)
        self._dtype = _dt.as_dtype(dtype or _backend.floatx()).name
        self._variables: list = []

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list:
        """The metric's state variables."""
        return list(self._variables)

    def add_variable(self, shape, initializer, dtype=None, aggregation: str = "sum", name: str | None = None):
        """Creates a state variable, its path 'metric_name/name'."""
        with _backend.name_scope(self.name.replace("/", "_"), caller=self):
            v = _KerasVariable(initializer, shape=shape, dtype=dtype or self._dtype, trainable=False, name=name)
        self._variables.append(v)
        return v

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self) -> None:
        """Sets every state variable back to zero."""
        for v in self._variables:
            v.assign(_ops.zeros(tuple(v.shape), dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _reduce_to_samplewise(values, sample_weight, reduce_fn, dtype):
    values = _ops.cast(_ops.convert_to_tensor(values), dtype)
    if sample_weight is not None:
        sample_weight = _ops.cast(_ops.convert_to_tensor(sample_weight), dtype)
        values, sample_weight = _losses.squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = len(sample_weight.shape), len(values.shape)
        if v_ndim > w_ndim:
            values = reduce_fn(values, axis=list(range(w_ndim, v_ndim)))
        sample_weight = _ops.broadcast_to(sample_weight, tuple(values.shape))
        values = values * sample_weight
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_ndim)))
    if len(values.shape) > 1:
        values = reduce_fn(values, axis=list(range(1, len(values.shape))))
    return values, sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values."""

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer=Zeros(), name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = _reduce_to_samplewise(values, sample_weight, _ops.reduce_sum, self._dtype)
        self.total.assign_add(_ops.reduce_sum(values))

    def result(self):
        return _ops.identity(_ops.convert_to_tensor(self.total))


class Mean(Metric):
    """The running (weighted) mean of the values given to `update_state`.

    >>> import tapegrad as tf
    >>> m = tf.keras.metrics.Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> float(m.result())
    4.0
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> print(m.result())
    tf.Tensor(3.3333333, shape=(), dtype=float32)
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer=Zeros(), name="total")
        self.count = self.add_variable(shape=(), initializer=Zeros(), name="count")

    def update_state(self, values, sample_weight=None) -> None:
        values, sample_weight = _reduce_to_samplewise(values, sample_weight, _ops.reduce_mean, self._dtype)
        self.total.assign_add(_ops.reduce_sum(values))
        if sample_weight is not None:
            n = _ops.reduce_sum(sample_weight)
        elif len(values.shape) >= 1:
            n = values.shape[0]
        else:
            n = 1
        self.count.assign_add(_ops.cast(n, self._dtype))

    def result(self):
        return _divide_no_nan(_ops.convert_to_tensor(self.total), _ops.convert_to_tensor(self.count))


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred)` (one value per example)."""

    def __init__(self, fn: Callable, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)


# --------------------------------------------------------------------------- accuracies

def _floatx_matches(a, b):
    return _ops.cast(_ops.equal(a, b), _backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label y_true, else 0.0.

    >>> import tapegrad as tf
    >>> tf.keras.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.convert_to_tensor(y_true)
    if not y_true.dtype == y_pred.dtype:
        y_true = _ops.cast(y_true, y_pred.dtype)
    true_shape = tuple(y_true.shape)
    reshape = False
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = _ops.squeeze(y_true, -1)
        reshape = True
    pred = _ops.cast(_argmax(y_pred, axis=-1), y_true.dtype)
    matches = _floatx_matches(y_true, pred)
    if reshape:
        matches = _ops.reshape(matches, true_shape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = _ops.squeeze(matches, -1)
    return matches


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot targets), else 0.0."""
    y_true = _argmax(_ops.convert_to_tensor(y_true), axis=-1)
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.cast(y_true, y_pred.dtype)
    true_shape = tuple(y_true.shape)
    reshape = False
    if len(y_true.shape) == len(y_pred.shape):
        y_true = _ops.squeeze(y_true, -1)
        reshape = True
    pred = _ops.cast(_argmax(y_pred, axis=-1), y_true.dtype)
    matches = _floatx_matches(y_true, pred)
    if reshape:
        matches = _ops.reshape(matches, true_shape)
    return matches


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """The mean over the last axis of 1.0 where (y_pred > threshold) equals y_true."""
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.cast(_ops.convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = _losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
    pred = _ops.cast(_ops.greater(y_pred, threshold), y_pred.dtype)
    return _ops.reduce_mean(_floatx_matches(y_true, pred), axis=-1)


def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true exactly, else 0.0."""
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.cast(_ops.convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = _losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _floatx_matches(y_true, y_pred)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals the integer labels.

    >>> import tapegrad as tf
    >>> m = tf.keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals argmax(y_true) (one-hot labels).

    >>> import tapegrad as tf
    >>> m = tf.keras.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) equals the 0/1 labels."""

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)


_BY_NAME = {"accuracy": Accuracy, "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
            "sparse_categorical_accuracy": SparseCategoricalAccuracy, "mean": Mean, "sum": Sum}
for _cls in (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, Mean, Sum):
    _BY_NAME[_cls.__name__] = _cls


def get(identifier):
    """A metric instance from a name ('sparse_categorical_accuracy', 'Mean', ...), or the object itself."""
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret metric identifier: {identifier}")
        return cls()
    if identifier is None or callable(identifier) or isinstance(identifier, Metric):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier}")
