"""`tf.keras.layers`: Dense, Conv2D, pooling, normalization, Embedding, Dropout and friends, on the op library.

Key decision: each layer is Keras 3's, computation for computation (same defaults, same weight names and
shapes, same formulas: `matmul + bias`, `tf.nn.conv2d`, `tf.nn.moments` + `tf.nn.batch_normalization`,
`tf.gather` for embeddings), so weights copied from Keras give the same outputs and gradients. Everything is
written with tapegrad ops: tapes record it, nothing here has a gradient rule of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .. import ops as _ops
from .._core import dtypes as _dt
from ..ops import array_ops as _array_ops
from ..ops import nn_ops as _nn
from ..ops.elementwise import rsqrt as _rsqrt
from . import activations as _activations
from . import initializers as _initializers
from . import regularizers as _regularizers
from ._layer import InputSpec, KerasTensor, Layer
from .random import SeedGenerator
from .random import dropout as _dropout

__all__ = ["Activation", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense", "Dropout", "Embedding",
           "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "LayerNormalization", "MaxPooling2D", "ReLU",
           "Reshape", "Softmax"]


def _tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """Keras's `standardize_tuple`: an int or a sequence of `n` ints, each positive (or >= 0)."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
                             ) from None
        if len(out) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}")
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers, each "
                         f"{'>= 0' if allow_zero else '> 0'}. Received {name}={value}")
    return out


def _padding(padding: str) -> str:
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be a list/tuple or one of ('valid', 'same'). Received: "
                         f"{padding}")
    return p


def _data_format(data_format) -> str:
    df = "channels_last" if data_format is None else str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return df


# --------------------------------------------------------------------------- core layers

class Dense(Layer):
    """A densely connected layer: `activation(inputs @ kernel + bias)`.

    The kernel, of shape (input_dim, units), is created on the first call from the input's last dimension.

    Args:
      units: the output dimension.
      activation: an activation (name or callable; None is linear).
      use_bias: whether to add a bias vector.
      kernel_initializer, bias_initializer: initializers (default 'glorot_uniform' and 'zeros').
      kernel_regularizer, bias_regularizer: penalties added to `losses`.

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Dense(3)
    >>> layer(tf.ones((2, 4))).shape
    TensorShape([2, 3])
    >>> [w.path for w in layer.weights], layer.kernel.shape
    (['dense/kernel', 'dense/bias'], TensorShape([4, 3]))
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self.kernel = None
        self.bias = None

    def build(self, input_shape) -> None:
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        x = _ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        if self.activation is not _activations.linear:
            x = self.activation(x)
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "activation": _activations.serialize(self.activation),
                "use_bias": self.use_bias}


class Activation(Layer):
    """Applies an activation function (a name such as 'relu', or a callable).

    >>> import tapegrad as tf
    >>> tf.keras.layers.Activation("relu")(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = _activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Layer):
    """max(x, 0), with Keras's options (`max_value`, `negative_slope`, `threshold`)."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. Received: {negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: {threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return _activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                 threshold=self.threshold)


class Softmax(Layer):
    """softmax along `axis` (-1 by default)."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        return _activations.softmax(inputs, axis=self.axis)


class Flatten(Layer):
    """Flattens every dimension but the batch one: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    >>> import tapegrad as tf
    >>> tf.keras.layers.Flatten()(tf.ones((2, 3, 4))).shape
    TensorShape([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        rank = len(shape)
        if self._channels_first and rank > 1:
            inputs = _ops.transpose(inputs, (0, *range(2, rank), 1))
        return _ops.reshape(inputs, (shape[0], math.prod(shape[1:])))


class Reshape(Layer):
    """Reshapes every example to `target_shape` (the batch dimension is kept; one entry may be -1)."""

    def __init__(self, target_shape: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, inputs):
        return _ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)


class Dropout(Layer):
    """Zeroes a fraction `rate` of its inputs when called with `training=True`, scaling the rest by
    1 / (1 - rate); the identity otherwise (the default, and at inference).

    With a `seed`, the masks are a reproducible sequence (a new mask each call).

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Dropout(0.5, seed=0)
    >>> bool(tf.reduce_all(layer(tf.ones((4,))) == 1.0))  # not training: unchanged
    True
    >>> sorted(set(layer(tf.ones((100,)), training=True).numpy().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate = rate
        self.seed = seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return _dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator)
        return inputs


class Embedding(Layer):
    """Maps integer indices to dense vectors: row `i` of an (input_dim, output_dim) `embeddings` matrix.

    Uses `tf.gather`, so the gradient with respect to `embeddings` is a `tf.IndexedSlices` holding only the
    rows that were looked up.

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Embedding(10, 4)
    >>> layer(tf.constant([[1, 2, 3]])).shape
    TensorShape([1, 3, 4])
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero: bool = False, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value} (of type "
                                 f"{type(value).__name__}).")
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = _initializers.get(embeddings_initializer)
        self.embeddings_regularizer = _regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self.embeddings = None

    def build(self, input_shape=None) -> None:
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, trainable=True)
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (_dt.int32, _dt.int64):
            inputs = _ops.cast(inputs, "int32")
        return _array_ops.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return _ops.not_equal(inputs, 0)


# --------------------------------------------------------------------------- convolution and pooling

class Conv2D(Layer):
    """2-D convolution (`tf.nn.conv2d`) plus a bias, then an activation.

    The kernel has shape (kernel_h, kernel_w, input_channels / groups, filters).

    Args:
      filters: the number of output channels.
      kernel_size, strides, dilation_rate: an int or a pair.
      padding: 'valid' (no padding) or 'same' (output size = ceil(input / stride)).
      data_format: 'channels_last' (NHWC, default) or 'channels_first' (NCHW).
      groups: split the input channels into this many groups, each convolved with filters / groups filters.

    >>> import tapegrad as tf
    >>> conv = tf.keras.layers.Conv2D(4, 3, padding="same", activation="relu")
    >>> conv(tf.ones((1, 8, 8, 3))).shape, conv.kernel.shape
    (TensorShape([1, 8, 8, 4]), TensorShape([3, 3, 3, 4]))
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", data_format=None,
                 dilation_rate=(1, 1), groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = 2
        self.filters = filters
        self.groups = groups
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=4)
        if filters is not None and filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. Received "
                             f"filters={filters}.")
        if groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        if filters % groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. Received: "
                             f"groups={groups}, filters={filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.kernel = None
        self.bias = None

    def build(self, input_shape) -> None:
        channel_axis = -1 if self.data_format == "channels_last" else 1
        input_channel = input_shape[channel_axis]
        if input_channel % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {input_channel} channels (full "
                             f"input shape is {tuple(input_shape)}).")
        self.input_spec = InputSpec(min_ndim=4, axes={channel_axis: input_channel})
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (input_channel // self.groups,
                                                                                self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def convolution_op(self, inputs, kernel):
        fmt = "NHWC" if self.data_format == "channels_last" else "NCHW"
        conv = lambda x, k: _nn.conv2d(x, k, strides=list(self.strides), padding=self.padding.upper(),
                                       data_format=fmt, dilations=list(self.dilation_rate))
        if self.groups == 1:
            return conv(inputs, kernel)
        axis = -1 if fmt == "NHWC" else 1
        xs = _array_ops.split(inputs, self.groups, axis=axis)
        ks = _array_ops.split(kernel, self.groups, axis=-1)
        return _ops.concat([conv(x, k) for x, k in zip(xs, ks)], axis=axis)

    def call(self, inputs):
        outputs = self.convolution_op(inputs, self.kernel)
        if self.use_bias:
            shape = (1, 1, 1, self.filters) if self.data_format == "channels_last" else (1, self.filters, 1, 1)
            outputs = outputs + _ops.reshape(self.bias, shape)
        if self.activation is not _activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                "activation": _activations.serialize(self.activation), "use_bias": self.use_bias}


class _Pooling2D(Layer):
    _op: Callable

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _tuple(pool_size, 2, "pool_size")
        self.strides = _tuple(pool_size if strides is None else strides, 2, "strides", allow_zero=True)
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs):
        fmt = "NHWC" if self.data_format == "channels_last" else "NCHW"
        return type(self)._op(inputs, ksize=list(self.pool_size), strides=list(self.strides),
                              padding=self.padding.upper(), data_format=fmt)


class MaxPooling2D(_Pooling2D):
    """The maximum over each `pool_size` window (`tf.nn.max_pool2d`); strides default to the pool size.

    >>> import tapegrad as tf
    >>> tf.keras.layers.MaxPooling2D()(tf.ones((1, 4, 4, 3))).shape
    TensorShape([1, 2, 2, 3])
    """

    _op = staticmethod(_nn.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """The mean over each `pool_size` window (`tf.nn.avg_pool2d`); strides default to the pool size.

    As in Keras 3, `pool_size` has no default here (MaxPooling2D's is (2, 2))."""

    _op = staticmethod(_nn.avg_pool2d)

    def __init__(self, pool_size, strides=None, padding: str = "valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


# --------------------------------------------------------------------------- normalization

class BatchNormalization(Layer):
    """Normalizes with the batch's mean and variance when training, with moving averages of them otherwise.

    In a call with `training=True` (and a trainable layer), the output is
    `gamma * (x - mean) / sqrt(var + epsilon) + beta` with the batch statistics over every axis but `axis`,
    and the non-trainable `moving_mean` / `moving_variance` are updated:
    `moving = moving * momentum + batch_stat * (1 - momentum)`. Otherwise the moving statistics are used.

    >>> import tapegrad as tf
    >>> bn = tf.keras.layers.BatchNormalization()
    >>> _ = bn(tf.constant([[0.0], [2.0]]), training=True)
    >>> [w.name for w in bn.weights], bn.moving_mean.numpy()
    (['gamma', 'beta', 'moving_mean', 'moving_variance'], array([0.01], dtype=float32))
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, synchronized: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.moving_mean_initializer = _initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = _initializers.get(moving_variance_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None
        self._reduction_axes = None

    def build(self, input_shape) -> None:
        shape = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         trainable=True, autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        trainable=True, autocast=False)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False,
                                               autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: input_shape[self.axis]})
        axes = list(range(len(input_shape)))
        del axes[self.axis]
        self._reduction_axes = axes
        self.built = True

    def call(self, inputs, training=None, mask=None):
        ndim = len(inputs.shape)
        broadcast = None
        if self.axis not in (-1, ndim - 1):
            broadcast = [1] * ndim
            broadcast[self.axis] = inputs.shape[self.axis]
        shaped = (lambda t: t) if broadcast is None else (lambda t: _ops.reshape(t, broadcast))
        if training and self.trainable:
            mean, variance = _nn.moments(inputs, axes=self._reduction_axes)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + _ops.stop_gradient(mean) * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + _ops.stop_gradient(variance) * (1.0 - m))
        else:
            mean = _ops.convert_to_tensor(self.moving_mean)
            variance = _ops.convert_to_tensor(self.moving_variance)
        return _nn.batch_normalization(inputs, shaped(mean), shaped(variance),
                                       None if self.beta is None else shaped(self.beta),
                                       None if self.gamma is None else shaped(self.gamma), self.epsilon)


class LayerNormalization(Layer):
    """Normalizes each example over `axis` (the last by default): `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    >>> import tapegrad as tf
    >>> ln = tf.keras.layers.LayerNormalization()
    >>> ln(tf.constant([[1.0, 3.0]])).numpy().round(4)
    array([[-0.9995,  0.9995]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True
        self.autocast = False
        self.gamma = None
        self.beta = None

    def build(self, input_shape) -> None:
        if isinstance(self.axis, list):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[d] for d in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         trainable=True, autocast=False)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        trainable=True, autocast=False)
        self.built = True

    def call(self, inputs):
        ndim = len(inputs.shape)
        axes = sorted(a % ndim for a in self.axis)
        broadcast = [1] * ndim
        for d in axes:
            broadcast[d] = inputs.shape[d]
        shaped = (lambda t: t) if axes == [ndim - 1] else (lambda t: _ops.reshape(t, broadcast))
        mean, variance = _nn.moments(inputs, axes=axes, keepdims=True)
        inv = _rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * shaped(self.gamma)
        res = -mean * inv
        if self.beta is not None:
            res = res + shaped(self.beta)
        return inputs * inv + res


# --------------------------------------------------------------------------- inputs

class InputLayer(Layer):
    """The input of a model: holds its shape (batch dimension first, None when free) and dtype."""

    def __init__(self, shape=None, batch_size: int | None = None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional: bool = False, name: str | None = None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument.")
        if shape is not None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self._batch_shape = tuple(batch_shape)
        self.optional = optional
        self.built = True
        self.output = KerasTensor(self._batch_shape, dtype=self.dtype, name=name)
        self.output._keras_history = (self, 0, 0)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    def call(self, inputs):
        return inputs


def Input(shape=None, batch_size: int | None = None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional: bool = False) -> KerasTensor:
    """A symbolic input of the given shape (without the batch dimension), for `tf.keras.Sequential`.

    >>> import tapegrad as tf
    >>> tf.keras.Input(shape=(4,))
    <KerasTensor shape=(None, 4), dtype=float32, sparse=False, ragged=False, name=keras_tensor>
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name,
                       optional=optional)
    return layer.output
