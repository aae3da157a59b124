"""`tf.custom_gradient`, `tf.function` (run eagerly) and `tf.TensorSpec`.

Key decisions:
- A custom-gradient function `f` runs with the tapes recording, as in TensorFlow's eager decorator: its
  inner ops are recorded like any others, so tensors that `grad_fn` closes over stay connected to the inputs
  and an outer tape differentiates `grad_fn` correctly (second order). Its outputs are then re-wrapped
  under fresh ids and one entry is recorded from the inputs (and the variables `f` read) to them, whose
  VJP calls the user's `grad_fn`: only `grad_fn` decides the first-order gradient.
- Forward mode through a custom gradient transposes `grad_fn` (it is linear in the upstream gradient):
  the JVP with tangent `t` is the gradient of `<grad_fn(u), t>` with respect to `u`.
- `tf.function` runs the Python function eagerly; an `input_signature` is honoured the way TensorFlow
  binds it (arguments converted to the specs' dtypes, shapes checked).
"""

from __future__ import annotations

import functools
import inspect
import types

from . import dtypes as _dt
from . import nest
from .hooks import hooks
from .primitive import Primitive, convert
from .shape import TensorShape
from .tape import GradientTape, record, watch_variable_reads
from .tensor import _TensorLike, wrap


def _accepts_variables(fn) -> bool:
    try:
        spec = inspect.getfullargspec(fn)
    except TypeError:
        return True
    return "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw is not None


def custom_gradient(f=None):
    """Decorates `f(*x) -> (y, grad_fn)` so that tapes use `grad_fn(*dy)` as the gradient of `y` w.r.t. `x`.

    If `f` reads trainable variables (other than its arguments), `grad_fn(*dy, variables=...)` must accept
    them and return `(input_grads, variable_grads)`.

    Raises:
      TypeError: `f` does not return `(result, grad_fn)`, or reads variables and `grad_fn` does not
        accept `variables`.

    >>> import tapegrad as tf
    >>> @tf.custom_gradient
    ... def clip_grad(x):
    ...     def grad(dy):
    ...         return tf.maximum(tf.minimum(dy, 1.0), -1.0)
    ...     return tf.identity(x), grad
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = clip_grad(x * 10.0)
    >>> float(tape.gradient(y, x))
    10.0
    """
    if f is None:
        return custom_gradient
    return _CustomGradient(f)


class _CustomGradient:
    """The decorated function; binds like a method when used on one (`self` is not a differentiable input)."""

    def __init__(self, f):
        functools.update_wrapper(self, f)
        self._f = f

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return _CustomGradient(types.MethodType(self._f, instance))

    def __call__(self, *args, **kwargs):
        return _call_with_custom_gradient(self._f, args, kwargs)


def _call_with_custom_gradient(f, args: tuple, kwargs: dict):
    """Runs `f` (recorded, as TensorFlow records it) and records one entry whose VJP is its `grad_fn`."""
    fname = getattr(f, "__name__", "custom_gradient")
    with watch_variable_reads() as reads:
        out = f(*args, **kwargs)
    if not isinstance(out, (tuple, list)) or len(out) != 2 or not callable(out[1]):
        raise TypeError(f"@tf.custom_gradient function {fname!r} must return a pair (result, grad_fn), "
                        f"got {type(out).__name__}.")
    result, grad_fn = out
    flat_args = nest.flatten(args)
    arg_ids = {a._id for a in flat_args + nest.flatten(kwargs) if isinstance(a, _TensorLike)}
    variables = [v for v in reads.values() if v._trainable and v._id not in arg_ids]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError(f"@tf.custom_gradient grad_fn must accept keyword argument 'variables', since function "
                        f"{fname!r} uses variables: {[v.name for v in variables]}. Define it as "
                        "grad_fn(*upstream, variables=None) returning (input_grads, variable_grads).")
    flat_result = nest.flatten(result)
    for r in flat_result:
        if not isinstance(r, _TensorLike):
            raise TypeError(f"@tf.custom_gradient function {fname!r} returned a {type(r).__name__}; "
                            "its results must be tensors.")
    outs = tuple(wrap(r._value) for r in flat_result)
    inputs = tuple(convert(a) if isinstance(a, _TensorLike) else a for a in flat_args) + \
        tuple(convert(v) for v in variables)
    n_args = len(flat_args)

    def vjp_all(g, ans, *recorded):
        gs = list(g) if isinstance(g, tuple) else [g]
        if variables:
            got = grad_fn(*gs, variables=variables)
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise ValueError(f"@tf.custom_gradient grad_fn of {fname!r} uses variables, so it must "
                                 "return a pair (input_grads, variable_grads).")
            input_grads, var_grads = got
            var_grads = list(nest.flatten(var_grads))
            if len(var_grads) != len(variables):
                raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
        else:
            input_grads, var_grads = grad_fn(*gs), []
        flat_grads = nest.flatten(input_grads)
        if len(flat_grads) != n_args:
            raise ValueError(f"custom_gradient function expected to return {n_args} gradients, but returned "
                             f"{len(flat_grads)} instead.")
        return [None if gr is None else convert(gr) for gr in flat_grads] + \
            [None if gr is None else convert(gr) for gr in var_grads]

    prim = Primitive(fname, None)
    prim.vjp_all = vjp_all
    prim.jvp_all = functools.partial(_transposed_jvp, vjp_all)
    record(prim, inputs, outs if len(outs) > 1 else outs[0], {})
    return nest.pack_sequence_as(result, list(outs))


def _transposed_jvp(vjp_all, tangents, ans, *inputs):
    """The JVP of an op known only by its (linear in `g`) VJP: the gradient of `<vjp(u), t>` w.r.t. `u`."""
    outs = ans if isinstance(ans, tuple) else (ans,)
    us = [hooks.zeros_like(o) for o in outs]
    with GradientTape() as tape:
        tape.watch(us)
        grads = vjp_all(tuple(us) if isinstance(ans, tuple) else us[0], ans, *inputs)
        pairs = [(g, t) for g, t in zip(grads, tangents) if g is not None and t is not None]
    if not pairs:
        return (None,) * len(outs) if isinstance(ans, tuple) else None
    res = tape.gradient([g for g, _ in pairs], us, output_gradients=[t for _, t in pairs])
    return tuple(res) if isinstance(ans, tuple) else res[0]


# --------------------------------------------------------------------------- tf.TensorSpec, tf.function

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
