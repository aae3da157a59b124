"""`tf.keras.losses`: regression and classification losses, with Keras 3's reductions and numerics.

Key decisions (Keras 3's, TensorFlow backend):
- A loss object converts `y_true` and `y_pred` to its dtype (float32 unless `dtype=` says otherwise), computes
  one value per example, multiplies by `sample_weight` and reduces: 'sum_over_batch_size' (the default, the
  sum divided by the number of values, not by the sum of the weights), 'sum', 'mean_with_sample_weight' or
  'none' / None.
- Probabilities are clipped to [1e-7, 1 - 1e-7] before their log; `from_logits=True` goes through the fused,
  stable `tf.nn.*_cross_entropy_with_logits`. A prediction that came out of `tf.keras.activations.softmax` /
  `sigmoid` (a Dense layer's activation included) is traced back to its logits, as Keras does, so the
  probability path is exact too.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable

import numpy as np

from .. import ops as _ops
from .._core import dtypes as _dt
from ..ops import nn_ops as _nn
from ..ops.math_ops import divide_no_nan as _divide_no_nan
from . import backend as _backend
from .activations import keras_logits as _keras_logits

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "LossFunctionWrapper", "MeanAbsoluteError",
           "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
           "get", "mean_absolute_error", "mean_squared_error", "sparse_categorical_crossentropy"]

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def _standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {set(_REDUCTIONS)}. Received: "
                         f"reduction={reduction}")
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Squeezes or expands the last axis of one of two tensors whose ranks differ by one (Keras's rule)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _ops.expand_dims(x2, -1)
        else:
            x1 = _ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _ops.expand_dims(x1, -1)
        else:
            x2 = _ops.squeeze(x2, -1)
    return x1, x2


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = _ops.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = _ops.cast(_ops.reduce_sum(sample_weight), loss.dtype)
        else:
            divisor = _ops.cast(_ops.constant(int(values.shape.num_elements())), loss.dtype)
        loss = _divide_no_nan(loss, divisor)
    return loss


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a mask of valid values into the sample weights (Keras's rule: for the mean reductions the valid
    values are reweighted by total / valid, so the mean is over the valid ones)."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(mask.shape.num_elements())
        valid = _ops.reduce_sum(_ops.cast(mask, dtype))
        weight = _divide_no_nan(_ops.cast(total, dtype), valid)
        float_mask = _ops.where(_ops.cast(mask, "bool"), weight * _ops.ones(tuple(mask.shape), dtype),
                                _ops.zeros(tuple(mask.shape), dtype))
    else:
        float_mask = _ops.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = _ops.cast(_ops.convert_to_tensor(sample_weight), dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", dtype=None, mask=None):
    reduction = _standardize_reduction(reduction)
    values = _to_dtype(values, dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = _to_dtype(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


_MASKS: dict[int, tuple] = {}


def set_keras_mask(tensor, mask) -> None:
    """Marks which entries of `tensor` are valid (Keras's `_keras_mask`, kept in a side table by tensor id)."""
    key = tensor._id
    _MASKS[key] = (weakref.ref(tensor, lambda _, k=key: _MASKS.pop(k, None)), mask)


def keras_mask(tensor):
    """The mask set on `tensor` by `set_keras_mask`, or None."""
    entry = _MASKS.get(getattr(tensor, "_id", None))
    return entry[1] if entry is not None and entry[0]() is tensor else None


def _to_dtype(x, dtype):
    """Keras's convert_to_tensor(x, dtype): a tensor of `dtype`, casting one of another dtype."""
    if dtype is None:
        return _ops.convert_to_tensor(x)
    x = _ops.convert_to_tensor(x if hasattr(x, "_value") else np.asarray(x))
    return x if x.dtype == _dt.as_dtype(dtype) else _ops.cast(x, dtype)


class Loss:
    """Base class: subclass it and implement `call(y_true, y_pred)` returning one loss per example.

    Args:
      reduction: 'sum_over_batch_size' (default), 'sum', 'mean_with_sample_weight', or 'none' / None.
      name: the loss's name.
      dtype: the dtype of the computation (default `tf.keras.backend.floatx()`).
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _backend.auto_name(type(self).__name__)
        self.reduction = _standardize_reduction(reduction)
        self._dtype = _dt.as_dtype(dtype or _backend.floatx()).name

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss; `sample_weight` (per example, or broadcastable to the per-example losses) scales it."""
        y_pred = _to_dtype(y_pred, self._dtype)
        y_true = _to_dtype(y_true, self._dtype)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight=sample_weight, reduction=self.reduction,
                                      dtype=self._dtype, mask=keras_mask(losses))

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss from a function `fn(y_true, y_pred, **kwargs)` returning per-example losses."""

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name: str | None = None, dtype=None,
                 **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


# --------------------------------------------------------------------------- functions (per-example losses)

def _pair(y_true, y_pred):
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _to_dtype(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred) ** 2) over the last axis.

    >>> import tapegrad as tf
    >>> tf.keras.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return _ops.reduce_mean(_ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _ops.reduce_mean(_ops.abs(y_true - y_pred), axis=-1)


def _same_shape(target, output) -> None:
    if len(target.shape) != len(output.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same rank (ndim). Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    for a, b in zip(target.shape, output.shape):
        if a is not None and b is not None and a != b:
            raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                             f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")


def _get_logits(output, from_logits: bool, op: str, fn: str):
    logits = _keras_logits(output)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{fn}` received `from_logits=True`, but the `output` argument was produced by a {op} '
                      "activation and thus does not represent logits. Was this intended?", stacklevel=3)
    return logits, True


def _clip(output):
    eps = _backend.epsilon()
    return _ops.clip_by_value(output, eps, 1.0 - eps)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
    """-[y log p + (1 - y) log(1 - p)], averaged over `axis`; p clipped to [1e-7, 1 - 1e-7].

    >>> import tapegrad as tf
    >>> tf.keras.losses.binary_crossentropy([[1.0]], [[0.0]], from_logits=True).numpy()
    array([0.6931472], dtype=float32)
    """
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.cast(_ops.convert_to_tensor(y_true), y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _same_shape(y_true, y_pred)
    output, from_logits = _get_logits(y_pred, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        bce = _nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=output)
    else:
        output = _clip(output)
        bce = -(y_true * _ops.log(output) + (1.0 - y_true) * _ops.log(1.0 - output))
    return _ops.reduce_mean(bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1):
    """-sum(y_true * log(p)) over `axis` for one-hot (or soft) targets; p renormalized and clipped.

    >>> import tapegrad as tf
    >>> y_true = [[0.0, 1.0, 0.0]]
    >>> tf.keras.losses.categorical_crossentropy(y_true, [[0.05, 0.9, 0.05]]).numpy().round(5)
    array([0.10536], dtype=float32)
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.cast(_ops.convert_to_tensor(y_true), y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        n = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if len(y_true.shape) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}")
    _same_shape(y_true, y_pred)
    output, from_logits = _get_logits(y_pred, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        return _nn.softmax_cross_entropy_with_logits(labels=y_true, logits=output, axis=axis)
    output = output / _ops.reduce_sum(output, axis=axis, keepdims=True)
    return -_ops.reduce_sum(y_true * _ops.log(_clip(output)), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, ignore_class: int | None = None,
                                    axis: int = -1):
    """-log(p[y_true]) for integer class targets (float targets are cast); p clipped to [1e-7, 1 - 1e-7].

    >>> import tapegrad as tf
    >>> tf.keras.losses.sparse_categorical_crossentropy([1], [[0.05, 0.9, 0.05]]).numpy().round(5)
    array([0.10536], dtype=float32)
    """
    y_pred = _ops.convert_to_tensor(y_pred)
    y_true = _ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = _ops.squeeze(y_true, axis)
    if axis != -1 and axis != len(y_pred.shape) - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    valid = None
    if ignore_class is not None:
        valid = _ops.not_equal(_ops.cast(y_true, y_pred.dtype), _ops.cast(ignore_class, y_pred.dtype))
        y_true = _ops.where(valid, y_true, _ops.zeros_like(y_true))
        y_pred = _ops.where(_ops.expand_dims(valid, -1), y_pred, _ops.zeros_like(y_pred))
    output, from_logits = _get_logits(y_pred, from_logits, "Softmax", "sparse_categorical_crossentropy")
    target = _ops.cast(y_true, "int64")
    if len(output.shape) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={tuple(output.shape)}")
    if len(target.shape) != len(output.shape) - 1:
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    for a, b in zip(target.shape, output.shape[:-1]):
        if a is not None and b is not None and a != b:
            raise ValueError("Arguments `target` and `output` must have the same shape up until the last dimension: "
                             f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if not from_logits:
        output = _ops.log(_clip(output))
    result = _nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
    if valid is not None:
        result = _ops.where(valid, result, _ops.zeros_like(result))
        set_keras_mask(result, valid)  # the reductions then average over the valid entries only
    return result


# Keras's short aliases
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


# --------------------------------------------------------------------------- loss classes

class MeanSquaredError(LossFunctionWrapper):
    """The mean of the squared errors over the last axis, reduced over the batch.

    >>> import tapegrad as tf
    >>> float(tf.keras.losses.MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """The mean of the absolute errors over the last axis, reduced over the batch."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class _SmoothedCrossentropy(LossFunctionWrapper):
    """The arguments BinaryCrossentropy and CategoricalCrossentropy share: from_logits, label_smoothing, axis."""

    def __init__(self, fn: Callable, from_logits: bool, label_smoothing: float, axis: int, reduction, name: str,
                 dtype):
        super().__init__(fn, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Crossentropy for 0/1 targets and a probability (or, with `from_logits=True`, a logit) per output.

    >>> import tapegrad as tf
    >>> loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    >>> round(float(loss([[0.0], [1.0]], [[-1.0], [2.0]])), 6)
    0.220095
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str = "binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, from_logits, label_smoothing, axis, reduction, name, dtype)


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Crossentropy for one-hot (or soft) targets and class probabilities (or logits, `from_logits=True`)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str = "categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, from_logits, label_smoothing, axis, reduction, name, dtype)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer class targets and class probabilities (or logits, `from_logits=True`).

    >>> import tapegrad as tf
    >>> loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss([0, 1], [[2.0, 0.0], [0.0, 2.0]])), 6)
    0.126928
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction="sum_over_batch_size", axis: int = -1, name: str = "sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}


_BY_NAME = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "MeanSquaredError": MeanSquaredError, "MeanAbsoluteError": MeanAbsoluteError,
    "BinaryCrossentropy": BinaryCrossentropy, "CategoricalCrossentropy": CategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
}


def get(identifier):
    """A loss from a name (a function for snake_case names, an instance for class names) or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
        if obj is None:
            raise ValueError(f"Could not interpret loss identifier: {identifier}")
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier}")
