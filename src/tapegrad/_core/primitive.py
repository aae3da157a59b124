"""Primitives: an op's forward, VJP and JVP rules, declared side by side, and the wrappers that run them.

Key decisions:
- A primitive's `impl(xp, *arrays, **params)` does the array work with the array namespace `xp`.
  Positional arguments are the op's tensor inputs; keyword arguments are static parameters.
- VJP rules come one per positional input (HIPS autograd's style), `rule(g, ans, *args, **params)`, or as
  one rule for all inputs where they share work. JVP rules mirror them: `rule(t, ans, *args, **params)`.
  `None` means "no gradient for this input". Rules are written with tapegrad ops.
- The wrappers made by `unary_op`, `binary_op` and `nary_op` are the hot path: with no tape active they
  convert, call `impl`, wrap, and return. Backend errors are turned into TensorFlow's error classes naming
  the op, the shapes and the dtypes.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .errors import InvalidArgumentError, InvalidIndexError
from .hooks import hooks
from .tape import record
from .tensor import Tensor, Variable, _TensorLike, read, to_array, wrap
from .tensor import _active as _ACTIVE

REGISTRY: dict[str, Primitive] = {}
_NS = _backend._NAMESPACES
for _t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
           np.uint32, np.uint64, np.bool_, np.complex64, np.complex128):
    _NS[_t] = np
_ns_of = _backend.namespace_of
_EMPTY: dict = {}


class Primitive:
    """One differentiable (or not) operation: forward `impl`, VJP and JVP rules, sample inputs for tests."""

    __slots__ = ("name", "impl", "vjps", "vjp_all", "jvps", "jvp_all", "differentiable", "samples",
                 "__weakref__")

    def __init__(self, name: str, impl, differentiable: bool = True):
        self.name = name
        self.impl = impl
        self.vjps = None
        self.vjp_all = None
        self.jvps = None
        self.jvp_all = None
        self.differentiable = differentiable
        self.samples = None

    def vjp(self, g, ans, args, params, needed):
        if self.vjp_all is not None:
            return self.vjp_all(g, ans, *args, **params)
        rules = self.vjps
        if rules is None:
            raise LookupError(f"No gradient defined for operation '{self.name}' (op type: {self.name}). "
                              "Wrap the computation in tf.stop_gradient, or give it a tf.custom_gradient.")
        return [rule(g, ans, *args, **params) if need and rule is not None else None
                for rule, need in zip(rules, needed)]

    def jvp(self, tangents, ans, args, params):
        if self.jvp_all is not None:
            return self.jvp_all(tangents, ans, *args, **params)
        rules = self.jvps
        if rules is None:
            raise LookupError(f"No forward-mode (JVP) rule defined for operation '{self.name}'.")
        total = None
        for rule, t in zip(rules, tangents):
            if t is None or rule is None:
                continue
            c = rule(t, ans, *args, **params)
            total = c if total is None else hooks.add(total, c)
        return total

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def defprimitive(name: str, impl, differentiable: bool = True) -> Primitive:
    """Registers a primitive under its TensorFlow op type name (e.g. 'Sin', 'MatMul')."""
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already defined")
    prim = Primitive(name, impl, differentiable)
    REGISTRY[name] = prim
    return prim


def defvjp(prim: Primitive, *rules) -> None:
    """One VJP rule per positional input: `rule(g, ans, *args, **params)`; None for no gradient."""
    prim.vjps = rules


def defvjp_all(prim: Primitive, rule) -> None:
    """One rule for all inputs: `rule(g, ans, *args, **params)` returns a sequence, one item per input."""
    prim.vjp_all = rule


def defjvp(prim: Primitive, *rules) -> None:
    """One JVP rule per positional input: `rule(t, ans, *args, **params)`; contributions are summed."""
    prim.jvps = rules


def defjvp_all(prim: Primitive, rule) -> None:
    """One JVP rule for all inputs: `rule(tangents, ans, *args, **params)` (None tangents for constants)."""
    prim.jvp_all = rule


def def_linear(prim: Primitive, op, argnum: int = 0) -> None:
    """Declares `op` linear in input `argnum` (params fixed): its JVP is the op applied to the tangent."""
    def jvp(t, ans, *args, **params):
        args = list(args)
        args[argnum] = t
        return op(*args, **params)

    rules = [None] * (argnum + 1)
    rules[argnum] = jvp
    prim.jvps = tuple(rules)


def samples(prim: Primitive, *cases) -> None:
    """Sample inputs for the registry-driven gradient tests: each case an `(args, params[, options])` tuple
    (options: `tapegrad.testing.check_gradients` keywords such as `eps`, `rtol`), or a callable returning a
    list of them (see `tapegrad.testing.sample_cases`)."""
    prim.samples = cases





# --------------------------------------------------------------------------- converting inputs

def as_input(x):
    """A Tensor for any op input (a Variable read is a Tensor carrying the variable's id)."""
    cls = x.__class__
    if cls is Tensor:
        return x
    if cls is Variable:
        return read(x) if _ACTIVE[0] else x
    if isinstance(x, Variable):  # a subclass (tf.keras's variables): read, so that ops see a plain Tensor
        return read(x)
    return wrap(to_array(x))


def convert(x, dtype=None) -> Tensor:
    """`tf.convert_to_tensor`: a Tensor (a Variable is read), Python values by TensorFlow's rules."""
    cls = x.__class__
    if cls is Tensor and dtype is None:
        return x
    if isinstance(x, Variable):
        t = read(x)
        if dtype is not None:
            to_array(t, dtype)  # checks the dtype
        return t
    if cls is Tensor:
        to_array(x, dtype)
        return x
    return wrap(to_array(x, dtype))


def _dtype_error(prim: Primitive, k: int, want, got) -> InvalidArgumentError:
    w, g = _dt.from_array(want).name, _dt.from_array(got).name
    return InvalidArgumentError(
        None, prim.name,
        f"cannot compute {prim.name} as input #{k}(zero-based) was expected to be a {w} tensor but is a {g} "
        f"tensor [Op:{prim.name}]. Both operands must have the same dtype: cast one, e.g. tf.cast(y, tf.{w}).")


def _binary_inputs(prim: Primitive, x, y):
    """TensorFlow's binary-op conversion: a non-tensor operand takes the tensor operand's dtype."""
    xt = isinstance(x, _TensorLike)
    yt = isinstance(y, _TensorLike)
    if xt:
        x = as_input(x)
    if yt:
        y = as_input(y)
    if xt and yt:
        if x._value.dtype != y._value.dtype and _backend.numpy_dtype_of(x._value) != _backend.numpy_dtype_of(y._value):
            raise _dtype_error(prim, 1, x._value.dtype, y._value.dtype)
        return x, y
    if xt:
        return x, _adopt(prim, y, x, 1)
    if yt:
        return _adopt(prim, x, y, 0), y
    x = wrap(to_array(x))
    return x, _adopt(prim, y, x, 1)


def _adopt(prim, value, other: Tensor, k: int):
    """A non-tensor operand converted to `other`'s dtype. Python floats/ints beside a float tensor stay
    Python numbers: NumPy keeps the tensor's dtype for them (NEP 50), and it saves a conversion."""
    kind = other._value.dtype.kind
    cls = value.__class__
    if (cls is float or cls is int) and kind in "fc":
        return value
    ov = other._value
    try:
        arr = to_array(value, _backend.numpy_dtype_of(ov))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{prim.name}: cannot use {value!r:.60} as input #{k} beside a "
                        f"{_dt.from_array(ov).name} tensor: {e}") from None
    xp = _NS.get(ov.__class__) or _ns_of(ov)
    return wrap(arr if xp is np else xp.asarray(arr))  # on the other operand's backend


def _op_error(prim: Primitive, args, params, err: Exception) -> Exception:
    """A backend's exception as TensorFlow raises it: InvalidArgumentError naming the op, its inputs' shapes
    and dtypes (an IndexError stays catchable as one). TypeErrors and LookupErrors pass through."""
    if isinstance(err, (InvalidArgumentError, TypeError, LookupError)) and not isinstance(err, (IndexError,
                                                                                                 KeyError)):
        return err
    desc = ", ".join(
        f"{tuple(a._value.shape)} {_dt.from_array(a._value).name}" if isinstance(a, _TensorLike) else repr(a)
        for a in args)
    extra = "".join(f", {k}={v!r}" for k, v in params.items()) if params else ""
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    if "broadcast" in msg:  # TensorFlow's wording, and what to do
        msg = ("Incompatible shapes: " + " vs. ".join(str(list(a._value.shape)) for a in args
                                                     if isinstance(a, _TensorLike)) +
               ". Operands must have equal shapes, or shapes that broadcast (each dimension equal, 1, or missing)")
    cls = InvalidIndexError if isinstance(err, IndexError) else InvalidArgumentError
    return cls(None, prim.name, f"{prim.name}: {msg} (inputs: {desc}{extra}) [Op:{prim.name}]")


def _rerun(prim: Primitive, args, params, err: Exception):
    """A failed op whose inputs live on different devices runs again on one (TensorFlow's default placement
    policy copies host inputs to the GPU); the copies are ops, so gradients flow back. Else its error."""
    moved = hooks.to_one_device(args)
    if moved is None:
        raise _op_error(prim, args, params, err) from None
    return apply(prim, moved, params)


# --------------------------------------------------------------------------- op wrappers (hot path)

def _wrap_out(out):
    if out.__class__ is tuple or out.__class__ is list:
        return tuple(wrap(o) for o in out)
    return wrap(out)


def unary_op(prim: Primitive):
    """The op function for a one-input primitive with no parameters (sin, exp, neg, ...)."""
    impl = prim.impl
    diff = prim.differentiable

    def op(x, name=None):
        if x.__class__ is not Tensor:
            x = as_input(x)
        v = x._value
        try:
            ans = wrap(impl(_NS.get(v.__class__) or _ns_of(v), v))
        except Exception as e:
            raise _op_error(prim, (x,), _EMPTY, e) from None
        if _ACTIVE[0]:  # (an op with no gradient is not recorded: hooks.cut notes it for tape.explain)
            (record if diff else hooks.cut)(prim, (x,), ans, _EMPTY)
        return ans

    op.__name__ = prim.name
    return op


def binary_op(prim: Primitive):
    """The op function for a two-input elementwise primitive with TensorFlow's dtype rules (add, mul, ...)."""
    impl = prim.impl
    diff = prim.differentiable

    def op(x, y, name=None):
        cx = x.__class__
        cy = y.__class__
        if cx is Variable:
            x = read(x)
            cx = Tensor
        if cy is Variable:
            y = read(y)
            cy = Tensor
        if cx is Tensor and cy is Tensor:
            xv = x._value
            yv = y._value
            if xv.dtype is not yv.dtype and xv.dtype != yv.dtype and \
                    _backend.numpy_dtype_of(xv) != _backend.numpy_dtype_of(yv):  # (one library's dtypes, another's)
                raise _dtype_error(prim, 1, xv.dtype, yv.dtype)
        elif cx is Tensor and (cy is float or cy is int) and x._value.dtype.kind in "fc":
            xv = x._value  # a Python number beside a float tensor: NumPy keeps the tensor's dtype (NEP 50)
            yv = y
        elif cy is Tensor and (cx is float or cx is int) and y._value.dtype.kind in "fc":
            xv = x
            yv = y._value
        else:
            x, y = _binary_inputs(prim, x, y)
            xv = x._value if isinstance(x, _TensorLike) else x
            yv = y._value if isinstance(y, _TensorLike) else y
        v = xv if x.__class__ is Tensor else yv
        try:
            ans = wrap(impl(_NS.get(v.__class__) or _ns_of(v), xv, yv))
        except Exception as e:
            return _rerun(prim, (x, y), _EMPTY, e)
        if _ACTIVE[0]:
            (record if diff else hooks.cut)(prim, (x, y), ans, _EMPTY)
        return ans

    op.__name__ = prim.name
    return op


def apply(prim: Primitive, args: tuple, params: dict = _EMPTY):
    """Runs `prim` on already converted tensor inputs; records it when a tape or accumulator is active."""
    try:
        if len(args) == 1:
            v = args[0]._value
            out = prim.impl(_NS.get(v.__class__) or _ns_of(v), v, **params)
        else:
            vals = [a._value for a in args]
            v = vals[0] if vals else None
            out = prim.impl(np if v is None else (_NS.get(v.__class__) or _ns_of(v)), *vals, **params)
        ans = wrap(out) if out.__class__ is not tuple and out.__class__ is not list else _wrap_out(out)
    except Exception as e:
        return _rerun(prim, args, params, e)
    if _ACTIVE[0]:
        (record if prim.differentiable else hooks.cut)(prim, args, ans, params)
    return ans


def nary_op(prim: Primitive):
    """The op function for a primitive with tensor inputs and keyword parameters (reduce_sum, matmul, ...)."""
    def op(*args, **params):
        return apply(prim, tuple(as_input(a) for a in args), params)

    op.__name__ = prim.name
    return op
