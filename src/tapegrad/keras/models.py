"""`tf.keras.Model` (for subclassing) and `tf.keras.Sequential`, with Keras 3's `summary()`.

Key decision: models are layers run eagerly. `Sequential` calls its layers in order; given an input shape
(a `tf.keras.Input` first, or `input_shape=` on the first layer) it builds at once by running its layers on
zeros, which creates every weight with the same names and shapes Keras's symbolic build creates. There is no
functional API (`Model(inputs, outputs)`) and no `compile`/`fit`: training loops are written with
`tf.GradientTape`.
"""

from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._core import dtypes as _dt
from ._layer import KerasTensor, Layer
from .layers import InputLayer

__all__ = ["Model", "Sequential"]


class Model(Layer):
    """A layer with `summary()`: subclass it, create layers in `__init__` and use them in `call`.

    >>> import tapegrad as tf
    >>> class TwoLayers(tf.keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tf.keras.layers.Dense(8, activation="relu", name="hidden")
    ...         self.out = tf.keras.layers.Dense(2, name="out")
    ...     def call(self, x, training=False):
    ...         return self.out(self.hidden(x))
    >>> model = TwoLayers()
    >>> model(tf.ones((3, 4))).shape, len(model.trainable_variables)
    (TensorShape([3, 2]), 4)
    """

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("tapegrad.keras has no functional API: Model(inputs, outputs) is not supported. "
                                      "Subclass tf.keras.Model (layers in __init__, computation in call) or use "
                                      "tf.keras.Sequential([...]).")
        super().__init__(**kwargs)

    @property
    def layers(self) -> list:
        """The model's direct sublayers."""
        return self._layers

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A sublayer by name or by index."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    def summary(self, line_length: int | None = None, positions=None, print_fn=None, **kwargs) -> None:
        """Prints a table of the layers, their output shapes and parameter counts, as Keras 3 does."""
        text = _summary_text(self)
        if print_fn is None:
            print(text)
        else:
            for line in text.split("\n"):
                print_fn(line)


class Sequential(Model):
    """A stack of layers, each called on the output of the previous one.

    >>> import tapegrad as tf
    >>> model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(3, activation="relu"),
    ...                              tf.keras.layers.Dense(1)])
    >>> model.built, [v.path for v in model.trainable_variables]
    (True, ['sequential/dense/kernel', 'sequential/dense/bias', 'sequential/dense_1/kernel', 'sequential/dense_1/bias'])
    >>> model(tf.ones((2, 4))).shape
    TensorShape([2, 1])
    """

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._layer_list: list = []
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    @property
    def _layers(self) -> list:
        return list(self._layer_list)

    @property
    def layers(self) -> list:
        """The layers, without the InputLayer a `tf.keras.Input` adds."""
        layers = self._layer_list
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return layers[:]

    def add(self, layer, rebuild: bool = True) -> None:
        """Appends a layer (or a `tf.keras.Input`, which sets the input shape) to the stack."""
        if not self._layer_list and getattr(layer, "_input_shape_arg", None) is not None:
            self.add(InputLayer(shape=layer._input_shape_arg), rebuild=False)
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: {layer} "
                             f"(of type {type(layer)})")
        if any(existing.name == layer.name for existing in self._layer_list):
            raise ValueError("All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                             "argument to pass a unique name.")
        if isinstance(layer, InputLayer) and self._layer_list and isinstance(self._layer_list[0], InputLayer):
            raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                             f"{self._layer_list[0].batch_shape}. You cannot add a different Input layer to it.")
        self._layer_list.append(layer)
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the last layer."""
        layer = self._layer_list.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        self.built = False
        if self._layer_list and isinstance(self._layer_list[0], InputLayer) and len(self._layer_list) > 1:
            self.build(self._layer_list[0].batch_shape)

    def build(self, input_shape=None) -> None:
        """Builds every layer for inputs of `input_shape` (batch dimension first, None allowed)."""
        if input_shape is None:
            return
        if not self._layer_list:
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. Call "
                             "`model.add(layer)`.")
        input_shape = tuple(input_shape)
        first = self._layer_list[0]
        if isinstance(first, InputLayer):
            if first.batch_shape != input_shape:
                raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                                 f"{first.batch_shape}. You cannot build it with input_shape {input_shape}")
            dtype = first.dtype
        else:
            dtype = first.dtype
            self._layer_list.insert(0, InputLayer(batch_shape=input_shape, dtype=dtype))
        x = _ops.zeros(tuple(1 if d is None else d for d in input_shape), dtype=dtype)
        with self._open_name_scope():
            for layer in self._layer_list[1:]:
                x = layer(x)
                shape = layer._build_output_shape
                if isinstance(shape, tuple) and input_shape and input_shape[0] is None:
                    object.__setattr__(layer, "_build_output_shape", (None,) + shape[1:])
        self.built = True

    def call(self, inputs, training=None, mask=None):
        for layer in self.layers:
            kwargs = {}
            if layer._call_has_training_arg and training is not None:
                kwargs["training"] = training
            inputs = layer(inputs, **kwargs)
        return inputs


# --------------------------------------------------------------------------- summary (Keras 3's table)

def _memory(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _count(variables) -> tuple[int, int]:
    n = sum(int(np.prod(v.shape)) for v in variables)
    nbytes = sum(int(np.prod(v.shape)) * _dt.as_dtype(v.dtype).size for v in variables)
    return n, nbytes


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _summary_text(model: Model) -> str:
    widths = (31, 22, 13)
    rows = []
    for layer in model.layers:
        shape = layer._build_output_shape
        out = "?" if shape is None else str(shape)
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", out, params))

    def border(left, fill, mid, right):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    lines = [f'Model: "{model.name}"', border("┏", "━", "┳", "┓"),
             "┃ " + " ┃ ".join([f"{'Layer (type)':<{widths[0]}}", f"{'Output Shape':<{widths[1]}}",
                                 f"{'Param #':>{widths[2]}}"]) + " ┃",
             border("┡", "━", "╇", "┩")]
    for i, (name, out, params) in enumerate(rows):
        cells = [_wrap(name, widths[0]), _wrap(out, widths[1]), [params]]
        for k in range(max(len(c) for c in cells)):
            parts = [c[k] if k < len(c) else "" for c in cells]
            lines.append("│ " + " │ ".join([f"{parts[0]:<{widths[0]}}", f"{parts[1]:<{widths[1]}}",
                                            f"{parts[2]:>{widths[2]}}"]) + " │")
        if i < len(rows) - 1:
            lines.append(border("├", "─", "┼", "┤"))
    lines.append(border("└", "─", "┴", "┘"))
    total = _count(model.weights)
    trainable = _count(model.trainable_weights)
    frozen = _count(model.non_trainable_weights)
    lines += [f" Total params: {total[0]:,} ({_memory(total[1])})",
              f" Trainable params: {trainable[0]:,} ({_memory(trainable[1])})",
              f" Non-trainable params: {frozen[0]:,} ({_memory(frozen[1])})"]
    return "\n".join(lines)
