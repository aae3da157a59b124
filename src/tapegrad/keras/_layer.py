"""The Keras `Layer` base class: lazy build, weight tracking, the training flag, regularization losses.

Key decisions:
- A Layer is a `tf.Module`, so everything that walks modules (checkpoints, `submodules`) sees its weights.
  Its `weights` / `variables` lists follow Keras 3's order instead of tf.Module's sorted-attribute order:
  the layer's own weights in creation order (trainable ones first), then each sublayer's, sublayers in the
  order they were assigned.
- Variables are registered when created by `add_weight` or assigned to an attribute; sublayers are found
  by walking the attributes when asked (lists, tuples and dicts included), so a layer appended to a list
  attribute later is found too.
- `__call__` converts the input (NumPy or Python values become tensors; floating ones are cast to the
  layer's dtype), checks it against `input_spec` (ValueError naming the layer, the expected and the received
  shape), builds the layer from the input's shape on the first call, resolves `training` (explicit argument,
  else the enclosing layer call's, else the `call` signature's default) and calls `call`.
- Keras name scopes (variable paths such as 'sequential/dense/kernel') are entered for the build and for
  calls until the first call completes, when all lazily created state exists; later calls skip them, which
  keeps the per-call overhead to a few microseconds.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from typing import Any

import numpy as np

from .. import ops as _ops
from .._core import dtypes as _dt
from .._core import nest
from .._core.tensor import Tensor, Variable, _TensorLike
from .._module import Module
from .._module import name_scope as _tf_name_scope
from ..ops.math_ops import divide_no_nan as _divide_no_nan
from . import backend as _backend
from . import initializers as _initializers
from . import regularizers as _regularizers
from .random import SeedGenerator
from .variables import Variable as KerasVariable

__all__ = ["InputSpec", "KerasTensor", "Layer"]

_UNSET = object()
_ctx = threading.local()  # .training: the training value of the layer call in progress (_UNSET outside any)
_with_losses: set = set()  # ids of layers holding add_loss values: an entry call clears only these


def _standardize_dtype(dtype) -> str:
    if dtype is None:
        return _backend.floatx()
    if hasattr(dtype, "variable_dtype"):  # a dtype policy
        return dtype.variable_dtype
    return _dt.as_dtype(dtype).name



def _unique(*groups) -> list:
    """The items of `groups` in order, each object once (a layer shared by two parents counts once)."""
    out: list = []
    seen: set = set()
    for group in groups:
        for v in group:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out

class InputSpec:
    """What a layer accepts: ndim / min_ndim / max_ndim, dtype, and the sizes of given axes.

    >>> from tapegrad.keras.layers import InputSpec
    >>> InputSpec(min_ndim=2, axes={-1: 4})
    InputSpec(min_ndim=2, axes={-1: 4})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze: bool = False, name: str | None = None, optional: bool = False):
        self.dtype = None if dtype is None else _dt.as_dtype(dtype).name
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self._axes_items = tuple(self.axes.items())
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}")

    def _accepts(self, shape) -> bool:
        """A quick yes for a shape that passes every check (False means: run the full check)."""
        n = len(shape)
        if (self.ndim is not None and n != self.ndim) or (self.min_ndim is not None and n < self.min_ndim) or \
                (self.max_ndim is not None and n > self.max_ndim) or self.dtype is not None or self.shape is not None:
            return False
        for axis, value in self._axes_items:
            if not -n <= axis < n or shape[axis] != value:
                return False
        return True

    def __repr__(self) -> str:
        spec = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim is not None else "",
                f"max_ndim={self.max_ndim}" if self.max_ndim is not None else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim is not None else "",
                f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"


def assert_input_compatibility(input_spec, inputs, layer_name: str) -> None:
    """Raises ValueError (naming the layer, what it expects and what it got) if `inputs` break `input_spec`."""
    if not input_spec:
        return
    if input_spec.__class__ is InputSpec and inputs.__class__ is Tensor and input_spec._accepts(inputs._value.shape):
        return  # the common case, kept fast
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    xs = nest.flatten(inputs)
    if len(xs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(xs)} input '
                         f"tensors. Inputs received: {xs}")
    for i, (x, spec) in enumerate(zip(xs, specs)):
        if spec is None:
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                             f"layer '{layer_name}'.")
        shape = tuple(x.shape)
        ndim = len(shape)
        where = f"Input {i} of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. Full shape "
                             f"received: {shape}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape "
                             f"received: {shape}")
        if spec.dtype is not None and _dt.as_dtype(x.dtype).name != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={_dt.as_dtype(x.dtype).name}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, but "
                                 f"received input with shape {shape}. The layer was built for inputs with "
                                 f"{value} there; create a new layer for inputs of another size.")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


class KerasTensor:
    """A symbolic input (what `tf.keras.Input` returns): a shape with `None` for the batch, and a dtype.

    Tapegrad runs eagerly: a KerasTensor tells a `Sequential` model its input shape; calling a layer on it
    (the functional API) is not supported.
    """

    def __init__(self, shape, dtype="float32", name: str | None = None):
        self.shape = tuple(shape)
        self.dtype = _dt.as_dtype(dtype).name
        self.name = _backend.auto_name("keras_tensor") if name is None else name
        self.ndim = len(self.shape)
        self._keras_history = None

    def __repr__(self) -> str:
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, ragged=False, "
                f"name={self.name}>")


def _is_symbolic(x) -> bool:
    return any(isinstance(v, KerasTensor) for v in nest.flatten(x))


def _convert_input(x, dtype: str, autocast: bool):
    """Keras's input conversion: arrays and tensors become tensors; floating ones are cast to the layer dtype."""
    if isinstance(x, _TensorLike):
        if isinstance(x, Variable):
            x = _ops.convert_to_tensor(x)
        if autocast and x.dtype.is_floating and x.dtype.name != dtype:
            x = _ops.cast(x, dtype)
        return x
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array__"):
        x = _ops.convert_to_tensor(np.asarray(x))
        if autocast and x.dtype.is_floating and x.dtype.name != dtype:
            x = _ops.cast(x, dtype)
        return x
    return x


def _convert_structure(x, dtype: str, autocast: bool):
    if isinstance(x, (list, tuple, dict)):
        leaves = nest.flatten(x)
        if leaves and all(isinstance(v, (int, float, bool, np.number)) for v in leaves):
            return _convert_input(_ops.convert_to_tensor(x), dtype, autocast)  # TF's rules: float32, int32
        return nest.pack_sequence_as(x, [_convert_input(v, dtype, autocast) for v in leaves])
    return _convert_input(x, dtype, autocast)


def _shape_of(x):
    if isinstance(x, (list, tuple, dict)):
        return nest.map_structure(lambda v: tuple(v.shape) if hasattr(v, "shape") else None, x)
    return tuple(x.shape) if hasattr(x, "shape") else None


def _sublayers_in(value, out: list, seen: set) -> None:
    if isinstance(value, Layer):
        if id(value) not in seen:
            seen.add(id(value))
            out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _sublayers_in(v, out, seen)
    elif isinstance(value, dict):
        for v in value.values():
            _sublayers_in(v, out, seen)


class Layer(Module):
    """Base class of Keras layers: override `build(input_shape)` to create weights and `call(inputs)`.

    Args:
      trainable: whether the layer's weights are trainable.
      name: the layer's name (default: the class name in snake_case, made unique: 'dense', 'dense_1', ...).
      dtype: the dtype of its weights and computations (default `tf.keras.backend.floatx()`, 'float32').
      activity_regularizer: a penalty on the layer's output, added to `losses` on each call.

    >>> import tapegrad as tf
    >>> class Scale(tf.keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")
    ...     def call(self, inputs):
    ...         return inputs * self.s
    >>> layer = Scale()
    >>> layer.built, layer(tf.ones((2, 3))).shape, layer.built, layer.s.path
    (False, TensorShape([2, 3]), True, 'scale/s')
    """

    def __init__(self, *, activity_regularizer=None, trainable: bool = True, dtype=None, autocast: bool = True,
                 name: str | None = None, **kwargs):
        self._init_tracking()
        input_dim = kwargs.pop("input_dim", None)
        input_shape = (input_dim,) if input_dim is not None else kwargs.pop("input_shape", None)
        kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        self._input_shape_arg = None
        if input_shape is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
                          "models, prefer using an `Input(shape)` object as the first layer in the model "
                          "instead.", UserWarning, stacklevel=2)
            self._input_shape_arg = tuple(input_shape)
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                             f"(of type {type(trainable)})")
        name = _backend.auto_name(type(self).__name__) if name is None else _backend.check_name(name)
        self._name = name
        self._name_scope = _tf_name_scope(name + "/")
        self._dtype = _standardize_dtype(dtype)
        self._np_dtype = np.dtype(_dt.as_dtype(self._dtype).as_numpy_dtype)
        self._trainable = trainable
        self.autocast = autocast
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        self.built = False
        self._input_spec = None
        self._parent_path = None
        self._first_call_done = False
        self._build_output_shape = None
        self.supports_masking = False
        sig = inspect.signature(self.call)
        self._call_has_training_arg = "training" in sig.parameters
        self._call_has_mask_arg = "mask" in sig.parameters
        default = sig.parameters["training"].default if self._call_has_training_arg else None
        self._training_default = None if default is inspect.Parameter.empty else default
        self._has_custom_build = type(self).build is not Layer.build

    # ----------------------------------------------------------------- tracking

    def _init_tracking(self) -> None:
        if "_trainable_variables" not in self.__dict__:
            d = self.__dict__
            d["_trainable_variables"] = []
            d["_non_trainable_variables"] = []
            d["_seed_generators"] = []
            d["_losses"] = []
            d["_layer_attrs"] = []  # names of attributes holding layers or containers (walked by _layers)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_trainable_variables" not in self.__dict__:
            self._init_tracking()
        if isinstance(value, Variable):
            self._track_variable(value)
        elif isinstance(value, SeedGenerator):
            if all(g is not value for g in self._seed_generators):
                self._seed_generators.append(value)
        elif isinstance(value, (list, tuple, dict)) and not name.startswith("_"):
            for v in nest.flatten(value):
                if isinstance(v, Variable):
                    self._track_variable(v)
        holds = isinstance(value, (Layer, list, tuple, dict))
        attrs = self._layer_attrs
        if holds and name not in attrs:
            attrs.append(name)
        elif not holds and name in attrs:
            attrs.remove(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        if name in self._layer_attrs:
            self._layer_attrs.remove(name)

    def _track_variable(self, variable: Variable) -> None:
        for v in self._trainable_variables:
            if v is variable:
                return
        for v in self._non_trainable_variables:
            if v is variable:
                return
        (self._trainable_variables if variable.trainable else self._non_trainable_variables).append(variable)
        if not self._trainable and isinstance(variable, KerasVariable):
            variable.trainable = False

    @property
    def _layers(self) -> list:
        """Direct sublayers, in the order their attributes were first set."""
        out: list = []
        attrs = self._layer_attrs
        if attrs:
            seen = {id(self)}
            d = self.__dict__
            for name in attrs:
                _sublayers_in(d[name], out, seen)
        return out

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list:
        layers = [self] if include_self else []
        seen = {id(self)}
        stack = list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            if recursive:
                stack.extend(reversed(layer._layers))
        return layers

    # ----------------------------------------------------------------- properties

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights ('float32')."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def input_dtype(self) -> str:
        return self._dtype

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value) -> None:
        self._input_spec = value

    @property
    def trainable(self) -> bool:
        """Whether the weights are trainable; setting it sets every weight's and sublayer's flag."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        object.__setattr__(self, "_trainable", value)
        for v in self._trainable_variables:
            if isinstance(v, KerasVariable):
                v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def variables(self) -> list:
        """All variables: weights, seed-generator states and metric variables, own first, then sublayers'."""
        return _unique(self._trainable_variables, self._non_trainable_variables,
                       [g.state for g in self._seed_generators], *(layer.variables for layer in self._layers))

    @property
    def trainable_variables(self) -> list:
        return [v for v in self.variables if v.trainable] if self._trainable else []

    @property
    def non_trainable_variables(self) -> list:
        return [v for v in self.variables if not v.trainable] if self._trainable else self.variables

    @property
    def weights(self) -> list:
        """The layer's weights (own first, then sublayers'), without seed-generator states."""
        return _unique(self._trainable_variables, self._non_trainable_variables,
                       *(layer.weights for layer in self._layers))

    @property
    def trainable_weights(self) -> list:
        """The weights an optimizer updates (empty if the layer is not trainable)."""
        return [v for v in self.weights if v.trainable] if self._trainable else []

    @property
    def non_trainable_weights(self) -> list:
        """The weights with `trainable=False` (all of them if the layer is not trainable)."""
        return [v for v in self.weights if not v.trainable] if self._trainable else self.weights

    @property
    def losses(self) -> list:
        """Losses added during the last call (`add_loss`, activity regularizers) and the weight regularizers'
        penalties, evaluated now on the weights' current values."""
        losses = list(self._losses)
        for layer in self._flatten_layers(include_self=False):
            losses.extend(layer._losses)
        for v in self.trainable_weights:
            reg = getattr(v, "regularizer", None)
            if reg is not None:
                losses.append(reg(v))
        return losses

    def add_loss(self, loss) -> None:
        """Adds a loss tensor (from `call`) to `losses`; it is cleared at the next top-level call."""
        for x in nest.flatten(loss):
            if not isinstance(x, _TensorLike):
                x = _ops.convert_to_tensor(x)
            self._losses.append(x)
        _with_losses.add(id(self))

    def _clear_losses(self) -> None:
        if not _with_losses:
            return
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses.clear()
                _with_losses.discard(id(layer))

    # ----------------------------------------------------------------- weights

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable: bool = True,
                   autocast: bool = True, regularizer=None, constraint=None, aggregation: str = "none",
                   overwrite_with_gradient: bool = False, name: str | None = None) -> KerasVariable:
        """Creates a weight of this layer, tracked in `weights`, its path 'layer_name/name'.

        Args:
          shape: the weight's shape (default `()`).
          initializer: an initializer, its name ('zeros', 'glorot_uniform', ...) or a callable
            `(shape, dtype) -> tensor` (default: 'glorot_uniform' for floats, 'zeros' otherwise).
          dtype: its dtype (default: the layer's).
          trainable: whether optimizers update it.
          regularizer: a penalty on it, added to `layer.losses`.
          constraint: a callable applied to the weight after each optimizer update.
          name: its short name.
        """
        if args:
            if len(args) > 3:
                raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
            if isinstance(args[0], str):
                raise ValueError(f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', "
                                 f"...). Use: add_weight(shape=..., name='{args[0]}').")
            shape = args[0]
            if len(args) > 1:
                initializer = args[1]
            if len(args) > 2:
                dtype = args[2]
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = self._dtype if dtype is None else _standardize_dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if _dt.as_dtype(dtype).is_floating else "zeros"
        initializer = _initializers.get(initializer)
        with _backend.name_scope(self.name, caller=self):
            variable = KerasVariable(initializer, shape=shape, dtype=dtype, trainable=trainable, autocast=autocast,
                                     aggregation=aggregation, name=name)
        variable.regularizer = _regularizers.get(regularizer)
        variable.constraint = constraint
        variable.overwrite_with_gradient = overwrite_with_gradient
        self._track_variable(variable)
        return variable

    def add_variable(self, shape, initializer, dtype=None, trainable: bool = True, autocast: bool = True,
                     regularizer=None, constraint=None, name: str | None = None) -> KerasVariable:
        """Same as `add_weight` (Keras 3's other spelling)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               autocast=autocast, regularizer=regularizer, constraint=constraint, name=name)

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in `weights` order."""
        return [np.asarray(v.numpy()) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Assigns NumPy arrays (in `weights` order) to the weights; shapes must match."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the layer was expecting {len(own)} weights.")
        for v, w in zip(own, weights):
            w = np.asarray(w)
            if tuple(v.shape) != tuple(w.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(v.shape)} is not compatible with provided "
                                 f"weight shape {tuple(w.shape)}.")
        for v, w in zip(own, weights):
            v.assign(np.asarray(w))

    def count_params(self) -> int:
        """The number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                             "You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # ----------------------------------------------------------------- build and call

    def build(self, input_shape) -> None:
        """Creates the layer's weights from the shape of its first input (override it)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation (override it)."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method implemented.")

    def _open_name_scope(self):
        if self._parent_path is None:
            object.__setattr__(self, "_parent_path", _backend.current_path())
        return _backend.name_scope(self.name, caller=self)

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        shape = _shape_of(inputs)
        with self._open_name_scope():
            if self._has_custom_build:
                self.build(shape)
            object.__setattr__(self, "built", True)
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self.name)

    def __call__(self, *args, **kwargs):
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f"{type(self).__name__}.__call__() missing its first argument, the inputs.")
            args = (kwargs.pop("inputs"),)
        inputs = args[0]
        if inputs.__class__ is Tensor:  # the common case, kept fast
            dt = inputs._value.dtype
            if self.autocast and dt.kind == "f" and dt != self._np_dtype:
                inputs = _ops.cast(inputs, self._dtype)
                args = (inputs,) + args[1:]
        else:
            if _is_symbolic(args):
                raise NotImplementedError(f"Layer '{self.name}' was called on a symbolic keras.Input: tapegrad "
                                          "runs eagerly and has no functional API. Use tf.keras.Sequential([...]) "
                                          "or subclass tf.keras.Model, and call it on tensors.")
            inputs = _convert_structure(inputs, self._dtype, self.autocast)
            args = (inputs,) + args[1:]
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self.name)
        first = not self._first_call_done
        if not self.built:
            self._maybe_build(inputs)
        # training: explicit argument > the enclosing call's > this call's default; passed on to sublayers
        outer = getattr(_ctx, "training", _UNSET)
        entry = outer is _UNSET
        if "training" in kwargs:
            training = kwargs.pop("training")
        elif not entry and outer is not None:
            training = outer
        else:
            training = self._training_default
        if training is not None and not isinstance(training, bool):
            training = bool(training)
        _ctx.training = training
        if self._call_has_training_arg and training is not None:
            kwargs["training"] = training
        try:
            if entry:
                self._clear_losses()
            if first:
                with self._open_name_scope():
                    outputs = self.call(*args, **kwargs)
                object.__setattr__(self, "_first_call_done", True)
                if self._build_output_shape is None:
                    object.__setattr__(self, "_build_output_shape", _shape_of(outputs))
            else:
                outputs = self.call(*args, **kwargs)
            if self.activity_regularizer is not None:
                for out in nest.flatten(outputs):
                    if isinstance(out, _TensorLike):
                        loss = self.activity_regularizer(out)
                        if out.ndim > 0:
                            loss = _divide_no_nan(loss, _ops.cast(out.shape[0], loss.dtype))
                        self.add_loss(loss)
        finally:
            if entry:
                _ctx.training = _UNSET
        return outputs

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape (by running the layer on zeros when not overridden)."""
        input_shape = tuple(input_shape)
        out = self(_ops.zeros(tuple(1 if d is None else d for d in input_shape), dtype=self._dtype))
        return input_shape[:1] + tuple(out.shape)[1:]

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
