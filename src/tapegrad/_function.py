"""`tf.function` (run eagerly) and `tf.TensorSpec`: not engine code, so it lives outside `_core`.

Key decision: `tf.function` runs the Python function eagerly; an `input_signature` is honoured the way
TensorFlow binds it (arguments converted to the specs' dtypes, shapes checked).
"""

from __future__ import annotations

import functools
import inspect
import types

from ._core import dtypes as _dt
from ._core.primitive import convert
from ._core.shape import TensorShape
from ._core.tensor import _TensorLike


class TensorSpec:
    """Describes a tensor by shape and dtype (`tf.TensorSpec`), e.g. in `tf.function`'s `input_signature`.

    >>> import tapegrad as tf
    >>> spec = tf.TensorSpec(shape=[None, 3], dtype=tf.float32)
    >>> spec, spec.is_compatible_with(tf.zeros((5, 3)))
    (TensorSpec(shape=(None, 3), dtype=tf.float32, name=None), True)
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=_dt.float32, name: str | None = None):
        self._shape = None if shape is None else TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name: str | None = None) -> TensorSpec:
        """The spec of an existing tensor (its shape and dtype)."""
        return cls(tensor.shape, tensor.dtype, name)

    @property
    def shape(self) -> TensorShape | None:
        return self._shape

    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def name(self) -> str | None:
        return self._name

    def is_compatible_with(self, spec_or_tensor) -> bool:
        """True when `spec_or_tensor` has this dtype and a shape this spec's shape admits."""
        if spec_or_tensor.dtype != self._dtype:
            return False
        other = spec_or_tensor.shape
        if self._shape is None or other is None:
            return True
        return self._shape.is_compatible_with(other)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TensorSpec) and self._dtype == other._dtype and self._name == other._name
                and (None if self._shape is None else tuple(self._shape)) ==
                (None if other._shape is None else tuple(other._shape)))

    def __hash__(self) -> int:
        return hash((None if self._shape is None else tuple(self._shape), self._dtype.name, self._name))

    def __repr__(self) -> str:
        shape = "<unknown>" if self._shape is None else str(self._shape)
        return f"TensorSpec(shape={shape}, dtype={self._dtype!r}, name={self._name!r})"


def _conform(fn_name: str, value, spec):
    """`value` converted to match `spec` (a nested structure of TensorSpecs), or TypeError as TensorFlow raises.

    A TensorSpec takes a whole value (a list becomes one tensor); lists, tuples and dicts in the spec must be
    matched by the same structure in the value.
    """
    if isinstance(spec, TensorSpec):
        try:
            t = convert(value, spec.dtype)
        except (TypeError, ValueError):
            t = None
        if t is None or not spec.is_compatible_with(t):
            shown = value if isinstance(value, _TensorLike) else t
            got = f"{value!r:.60}" if shown is None else \
                f"a tensor of shape {shown.shape} and dtype {shown.dtype.name}"
            raise TypeError(f"Binding inputs to tf.function `{fn_name}` failed: can not cast {got} to {spec!r}. "
                            "Pass arguments that match the input_signature (or change the signature).")
        return t
    if isinstance(spec, dict) and isinstance(value, dict) and set(spec) == set(value):
        return {k: _conform(fn_name, value[k], spec[k]) for k in value}
    if isinstance(spec, (list, tuple)) and isinstance(value, (list, tuple)) and len(spec) == len(value):
        items = [_conform(fn_name, v, s) for v, s in zip(value, spec)]
        return type(spec)(*items) if hasattr(spec, "_fields") else type(spec)(items)
    if not isinstance(spec, (list, tuple, dict)):
        raise TypeError(f"tf.function `{fn_name}`: input_signature must hold tf.TensorSpec objects, got {spec!r}.")
    raise TypeError(f"Binding inputs to tf.function `{fn_name}` failed: {value!r:.80} does not have the structure "
                    f"of its input_signature entry {spec!r:.120}.")


class _EagerFunction:
    """What `tf.function` returns: calls the Python function eagerly (binding `input_signature` if given)."""

    def __init__(self, fn, input_signature):
        functools.update_wrapper(self, fn)
        self.python_function = fn
        self.input_signature = None if input_signature is None else tuple(input_signature)

    def __call__(self, *args, **kwargs):
        if self.input_signature is not None:
            args, kwargs = self._bind(args, kwargs)
        return self.python_function(*args, **kwargs)

    def _bind(self, args, kwargs):
        fn = self.python_function
        name = getattr(fn, "__name__", "function")
        sig = inspect.signature(fn)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"Binding inputs to tf.function `{name}` failed: {e}.") from None
        params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(self.input_signature) > len(params):
            raise TypeError(f"tf.function `{name}`: input_signature has {len(self.input_signature)} entries but the "
                            f"function takes {len(params)} positional arguments.")
        for p, spec in zip(params, self.input_signature):
            if p.name not in bound.arguments:
                raise TypeError(f"Binding inputs to tf.function `{name}` failed: missing argument {p.name!r}, "
                                f"required by its input_signature {spec!r}.")
            bound.arguments[p.name] = _conform(name, bound.arguments[p.name], spec)
        return bound.args, bound.kwargs

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return _EagerFunction(types.MethodType(self.python_function, instance), self.input_signature)

    def get_concrete_function(self, *args, **kwargs):
        """This function itself (there is no tracing: it always runs eagerly)."""
        return self

    def __repr__(self) -> str:
        return f"<tapegrad.function {getattr(self.python_function, '__qualname__', self.python_function)!s}>"


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None,
             name=None):
    """`tf.function`, accepted so TensorFlow code runs unchanged: the function runs eagerly, as written.

    Works as `@tf.function` and `@tf.function(...)`; the compilation options are accepted and ignored, an
    `input_signature` (a sequence of `tf.TensorSpec`) converts and checks the arguments as TensorFlow does.

    Raises:
      TypeError: (at call time) an argument does not match `input_signature`.

    >>> import tapegrad as tf
    >>> @tf.function(jit_compile=True)
    ... def f(x):
    ...     return x * 2.0
    >>> float(f(tf.constant(1.5)))
    3.0
    """
    def decorate(fn):
        return _EagerFunction(fn, input_signature)

    if func is None:
        return decorate
    return decorate(func)
