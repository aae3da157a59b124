"""`tf.nn`: activations, softmax and cross-entropies, normalization, dropout, bias_add, convolution, pooling.

Key decisions:
- Convolution is im2col plus one matmul. `Conv2D`, `Conv2DBackpropInput` (the transposed convolution) and
  `Conv2DBackpropFilter` (the correlation) are bilinear primitives and each other's transposes, exactly as in
  TensorFlow's nn_grad.py, so every derivative of a convolution, of any order, is again one of the three.
  They work in NHWC on explicit pads (SAME, VALID and explicit padding are resolved once, in the public
  function), and every operand may carry extra leading dimensions that broadcast like matmul's: that is how
  batched cotangents, and TF's "batch_shape" inputs of rank > 4, pass through.
- NumPy is the fast path: patches come from `sliding_window_view` (one copy), the input gradient is one small
  matmul per filter tap added in place into a strided window (`_backend.scatter_add`). Other backends take
  the same algorithm built from array-API slicing and stacking.
- Pools use the same windows. Max pooling sends each gradient to the first maximum of its window (TensorFlow's
  CPU kernel); `MaxPoolGrad` (a scatter) and `MaxPoolGradGrad` (a gather) are each other's transposes.
- The fused softmax cross-entropies compute TensorFlow's second output, `backprop = softmax - labels`, in the
  forward pass whenever something records, and keep it in the recorded op's parameters (it is freed with the
  tape). The VJP multiplies by it when nothing records the backward pass (the training hot path); under an
  outer tape or accumulator it recomputes it with differentiable ops, so higher orders stay exact.
- Everything else (gelu, silu, crelu, the sigmoid/weighted/Poisson losses, l2_loss, l2_normalize, moments,
  batch_normalization, dropout, bias_add, depthwise/separable/grouped convolution, embedding_lookup) is
  composed from primitives, as TensorFlow composes it in Python, with TensorFlow's formulas: moments holds
  the mean constant inside the variance (stop_gradient), so its second derivatives are TensorFlow's too.
- Edge conventions are TensorFlow's CPU kernels': relu'(0) = 0 (ReluGrad multiplies by features > 0),
  relu6' = 0 at 0 and 6, leaky_relu' = alpha at 0, elu' and selu' are read from the output (1 and scale at
  0); SAME padding puts the odd pixel at the end; max pooling ignores NaN going forward, and its gradient
  scan keeps a NaN first element; the dense cross-entropy is NaN where a -inf logit meets a zero label
  (0 * inf, as TensorFlow), the sparse one stays finite.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _swv

from .. import _backend
from .._core import dtypes as _dt
from .._core import tape as _tape
from .._core.errors import InvalidArgumentError, UnimplementedError
from .._core.primitive import _op_error, apply, as_input, convert, defjvp, defprimitive, defvjp, samples, unary_op
from .._core.tensor import Tensor, _TensorLike, wrap
from .._core.tensor import _active as _ACTIVE
from . import _samples as S
from .creation import constant_like, ones_like, zeros_like
from .elementwise import (
    abs,
    cast,
    erf,
    exp,
    log1p,
    maximum,
    rsqrt,
    sigmoid,
    sqrt,
    square,
    stop_gradient,
    tanh,
    where,
)
from .jacobian_seeds import keeps_onehot
from .reduce import normalize_axis, reduce_mean, reduce_sum
from .shape import broadcast_to, concat, expand_dims, reshape, squeeze, transpose

# No tf.nn name is also a top-level TensorFlow name: they are reached as tf.nn.* (see tapegrad/nn.py).
__all__: list[str] = []

TensorLike = Any  # a Tensor, Variable, NumPy (or other backend) array, or nested Python numbers
Ints = int | Sequence[int]  # an int, or a list of 1, 2 or 4 of them (strides, ksize, dilations)
Padding = str | Sequence[Sequence[int]]  # "SAME", "VALID", or explicit [before, after] pairs

_F = "half, bfloat16, float, double"


def _invalid(op: str, msg: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{msg} [Op:{op}]")


def _float_only(op: str, x):
    """TensorFlow's error for a float-only op given an integer, bool or complex tensor."""
    if x._value.dtype.kind != "f":
        raise _invalid(op, f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: {_F} ; "
                           f"NodeDef: {{{{node {op}}}}}. Cast the input first, e.g. tf.cast(x, tf.float32).")
    return x


def _recording() -> bool:
    """True when a tape or accumulator of this thread would record ops run now (e.g. a VJP rule's ops)."""
    st = _tape._state
    return bool(st.tapes or st.accumulators)


def _zero_grad(g, ans, x):
    """TensorFlow's `zeros_like(x)` gradient (piecewise-constant inputs), with `g`'s leading batch dims."""
    nb = len(g._value.shape) - len(ans._value.shape)
    z = zeros_like(x)
    return broadcast_to(z, tuple(g._value.shape[:nb]) + tuple(x._value.shape)) if nb else z


def _zero(xp, like):
    return 0 if xp is np else xp.zeros_like(like)


# =========================================================================== activations

def _relu_impl(xp, x):  # NaN propagates, as in TF
    if xp is np or _backend.kind_of(x) == "cupy":  # a Python 0 keeps x's dtype (no array of zeros to make)
        return xp.maximum(x, 0)
    return xp.maximum(x, xp.zeros_like(x))


Relu = defprimitive("Relu", _relu_impl)
def _relu_grad_impl(xp, g, y):
    # TensorFlow's ReluGrad: gradients * (features > 0), a product (NaN and inf gradients stay NaN at 0)
    if xp is np:
        return g * (y > 0)
    out = _backend.fused_relu_grad(g, y)  # CuPy: one kernel
    return g * xp.astype(y > 0, g.dtype) if out is None else out


ReluGrad = defprimitive("ReluGrad", _relu_grad_impl)
_relu = unary_op(Relu)


def _relu_grad(g, y):
    return apply(ReluGrad, (g, y))


defvjp(Relu, lambda g, ans, x: _relu_grad(g, ans))  # TF: ReluGrad(g, outputs); relu'(0) = 0
defjvp(Relu, lambda t, ans, x: _relu_grad(t, ans))
defvjp(ReluGrad, lambda g, ans, dy, y: _relu_grad(g, y), lambda g, ans, dy, y: _zero_grad(g, ans, y))
defjvp(ReluGrad, lambda t, ans, dy, y: _relu_grad(t, y), None)
samples(Relu, S.unary(avoid=(0.0,)))
samples(ReluGrad, lambda: [((S.arr((3, 2)), S.away_from((3, 2), [0.0], seed=1)), {}),
                           ((S.arr((2, 3), seed=2), S.away_from((3,), [0.0], seed=3)), {})])


def relu(features: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.relu`: max(features, 0); its gradient is 0 at 0, as in TensorFlow.

    >>> import tapegrad as tf
    >>> tf.nn.relu(tf.constant([-1.0, 0.0, 2.0])).numpy()
    array([0., 0., 2.], dtype=float32)
    """
    return _relu(features)


def _relu6_impl(xp, x):
    if xp is np:
        return np.minimum(np.maximum(x, 0), 6)
    return xp.minimum(xp.maximum(x, xp.zeros_like(x)), xp.full(x.shape, 6, dtype=x.dtype))


def _relu6_vjp(g, ans, x):
    return g * cast((ans > 0) & (ans < 6), g.dtype)  # TF's Relu6Grad (a product): 0 at 0 and at 6


Relu6 = defprimitive("Relu6", _relu6_impl)
_relu6 = unary_op(Relu6)
defvjp(Relu6, _relu6_vjp)
defjvp(Relu6, _relu6_vjp)
samples(Relu6, S.unary(-2.0, 8.0, avoid=(0.0, 6.0)))


def relu6(features: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.relu6`: min(max(features, 0), 6); the gradient is 0 at 0 and at 6.

    >>> import tapegrad as tf
    >>> tf.nn.relu6(tf.constant([-1.0, 3.0, 9.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return _relu6(features)


LeakyRelu = defprimitive("LeakyRelu", lambda xp, x, alpha: xp.where(x > 0, x, x * alpha))
defvjp(LeakyRelu, lambda g, ans, x, alpha: where(x > 0, g, g * alpha))  # TF: alpha * g at 0
defjvp(LeakyRelu, lambda t, ans, x, alpha: where(x > 0, t, t * alpha))
samples(LeakyRelu, lambda: [((S.away_from(s, [0.0], seed=i),), {"alpha": a})
                            for i, (s, a) in enumerate([((), 0.2), ((3,), 0.01), ((2, 3), 1.5)])])


def leaky_relu(features: TensorLike, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """`tf.nn.leaky_relu`: features where positive, alpha * features elsewhere.

    >>> import tapegrad as tf
    >>> tf.nn.leaky_relu(tf.constant([-1.0, 2.0])).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    x = as_input(features)
    if x._value.dtype.kind in "iub":  # TensorFlow: integer features are computed in float32
        x = cast(x, _dt.float32)
    if isinstance(alpha, np.ndarray):
        alpha = alpha.item()
    return apply(LeakyRelu, (_float_only("LeakyRelu", x),), {"alpha": float(alpha)})


def _elu_impl(xp, x):
    return xp.where(x < 0, xp.expm1(xp.minimum(x, _zero(xp, x))), x)  # min(): no overflow in the unused branch


Elu = defprimitive("Elu", _elu_impl)
_elu = unary_op(Elu)
defvjp(Elu, lambda g, ans, x: where(ans < 0, g * (ans + 1), g))  # TF's EluGrad, from the output
defjvp(Elu, lambda t, ans, x: where(ans < 0, t * (ans + 1), t))
samples(Elu, S.unary(avoid=(0.0,)))


def elu(features: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.elu`: features where positive, exp(features) - 1 elsewhere.

    >>> import tapegrad as tf
    >>> tf.nn.elu(tf.constant([0.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """
    return _elu(_float_only("Elu", as_input(features)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu_impl(xp, x):
    neg = xp.expm1(xp.minimum(x, _zero(xp, x))) * (_SELU_SCALE * _SELU_ALPHA)
    return xp.where(x < 0, neg, x * _SELU_SCALE)


Selu = defprimitive("Selu", _selu_impl)
_selu = unary_op(Selu)
defvjp(Selu, lambda g, ans, x: where(ans < 0, g * (ans + _SELU_SCALE * _SELU_ALPHA), g * _SELU_SCALE))
defjvp(Selu, lambda t, ans, x: where(ans < 0, t * (ans + _SELU_SCALE * _SELU_ALPHA), t * _SELU_SCALE))
samples(Selu, S.unary(avoid=(0.0,)))


def selu(features: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.selu`: scale * elu(features, alpha) with the self-normalizing constants.

    >>> import tapegrad as tf
    >>> round(float(tf.nn.selu(tf.constant(1.0))), 6)
    1.050701
    """
    return _selu(_float_only("Selu", as_input(features)))


Softsign = defprimitive("Softsign", lambda xp, x: x / (1 + xp.abs(x)))
_softsign = unary_op(Softsign)
defvjp(Softsign, lambda g, ans, x: g / square(1 + abs(x)))  # TF's SoftsignGrad
defjvp(Softsign, lambda t, ans, x: t / square(1 + abs(x)))
samples(Softsign, S.unary(avoid=(0.0,)))


def softsign(features: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.softsign`: features / (1 + |features|).

    >>> import tapegrad as tf
    >>> tf.nn.softsign(tf.constant([-3.0, 1.0])).numpy()
    array([-0.75,  0.5 ], dtype=float32)
    """
    return _softsign(_float_only("Softsign", as_input(features)))


def gelu(features: TensorLike, approximate: bool = False, name: str | None = None) -> Tensor:
    """`tf.nn.gelu`: x * Phi(x), exactly with erf, or with TensorFlow's tanh approximation.

    Args:
      features: a float tensor.
      approximate: use 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) instead of 0.5 x (1 + erf(x / sqrt 2)).

    >>> import tapegrad as tf
    >>> tf.nn.gelu(tf.constant([-1.0, 0.0, 1.0]), approximate=True).numpy()
    array([-0.158808,  0.      ,  0.841192], dtype=float32)
    """
    x = _float_only("Gelu", as_input(features))
    if approximate:
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * (1.0 + erf(x * 0.7071067811865476))


def silu(features: TensorLike, beta: float | TensorLike = 1.0) -> Tensor:
    """`tf.nn.silu` (also `tf.nn.swish`): features * sigmoid(beta * features).

    >>> import tapegrad as tf
    >>> tf.nn.silu(tf.constant([0.0, 1.0])).numpy()
    array([0.       , 0.7310586], dtype=float32)
    """
    x = _float_only("Silu", as_input(features))
    if isinstance(beta, numbers.Real) and beta == 1.0:
        return x * sigmoid(x)
    b = beta if isinstance(beta, _TensorLike) else constant_like(beta, x)
    return x * sigmoid(b * x)


swish = silu


def crelu(features: TensorLike, axis: int = -1, name: str | None = None) -> Tensor:
    """`tf.nn.crelu`: relu of [features, -features] concatenated along `axis` (twice the channels).

    >>> import tapegrad as tf
    >>> tf.nn.crelu(tf.constant([[-1.0, 2.0]])).numpy()
    array([[0., 2., 1., 0.]], dtype=float32)
    """
    x = as_input(features)
    return relu(concat([x, -x], axis))

# =========================================================================== softmax, log_softmax


def _quiet(impl):
    """NumPy computes inf - inf = NaN and log(0) = -inf as TensorFlow does, but warns: not here."""
    @functools.wraps(impl)
    def quiet(xp, *args, **params):
        if xp is np:
            with np.errstate(all="ignore"):
                return impl(xp, *args, **params)
        return impl(xp, *args, **params)

    return quiet


@_quiet
def _softmax_impl(xp, x, axis):
    if x.shape[axis] == 0:
        return x
    if xp is np:
        e = x - np.max(x, axis=axis, keepdims=True)
        np.exp(e, out=e)
        e /= np.sum(e, axis=axis, keepdims=True)
        return e
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


@_quiet
def _log_softmax_impl(xp, x, axis):
    if x.shape[axis] == 0:
        return x
    z = x - xp.max(x, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


Softmax = defprimitive("Softmax", _softmax_impl)
LogSoftmax = defprimitive("LogSoftmax", _log_softmax_impl)
# `axis` is negative (counted from the end), so the rules also hold for cotangents with leading batch dims.
defvjp(Softmax, lambda g, ans, x, axis: (g - reduce_sum(g * ans, axis, keepdims=True)) * ans)
defjvp(Softmax, lambda t, ans, x, axis: ans * (t - reduce_sum(t * ans, axis, keepdims=True)))
defvjp(LogSoftmax, lambda g, ans, x, axis: g - reduce_sum(g, axis, keepdims=True) * exp(ans))
defjvp(LogSoftmax, lambda t, ans, x, axis: t - reduce_sum(t * exp(ans), axis, keepdims=True))


def _softmax_samples():
    return [((S.arr((3, 4)),), {"axis": -1}), ((S.arr((3, 4), seed=1),), {"axis": -2}),
            ((S.arr((5,), seed=2),), {"axis": -1}), ((S.arr((2, 3, 2), seed=3),), {"axis": -2})]


samples(Softmax, _softmax_samples)
samples(LogSoftmax, _softmax_samples)


def _class_axis(op: str, x, axis) -> int:
    nd = len(x._value.shape)
    if nd == 0:
        raise _invalid(op, f"{op}: logits must have at least one dimension, got a scalar.")
    axis = -1 if axis is None else int(axis)
    if not -nd <= axis < nd:
        raise _invalid(op, f"`dim` must be in the range [{-nd}, {nd}) where {nd} is the number of dimensions in the "
                           f"input. Received: dim={axis}")
    return axis - nd if axis >= 0 else axis


def softmax(logits: TensorLike, axis: int | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.softmax`: exp(logits) / sum(exp(logits), axis), computed stably (the max is subtracted first).

    Args:
      logits: a float tensor.
      axis: the class dimension (default -1).

    >>> import tapegrad as tf
    >>> tf.nn.softmax(tf.constant([1000.0, 1000.0])).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    x = _float_only("Softmax", as_input(logits))
    return apply(Softmax, (x,), {"axis": _class_axis("Softmax", x, axis)})


def log_softmax(logits: TensorLike, axis: int | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.log_softmax`: logits - log(sum(exp(logits), axis)), computed stably.

    >>> import tapegrad as tf
    >>> tf.nn.log_softmax(tf.constant([0.0, 0.0])).numpy()
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    x = _float_only("LogSoftmax", as_input(logits))
    return apply(LogSoftmax, (x,), {"axis": _class_axis("LogSoftmax", x, axis)})


def _softmax(x):
    return apply(Softmax, (x,), {"axis": -1})


def _log_softmax(x):
    return apply(LogSoftmax, (x,), {"axis": -1})


# =========================================================================== cross-entropies
# Both fused ops follow TensorFlow's kernels (xent_op.h, sparse_xent_op.h): with z = logits - max(logits),
# loss = sum(labels * (log(sum(exp(z))) - z)) (the sparse one picks z at the label), and
# backprop = exp(z) / sum(exp(z)) - labels. The class axis is the last one.


def _xent_impl(xp, logits, labels, saved=None):
    return _xent_both(xp, logits, labels, False)


@_quiet
def _xent_both(xp, logits, labels, with_backprop=True):
    if logits.shape[-1] == 0:
        loss = xp.sum(logits, axis=-1)
        return (loss, logits) if with_backprop else loss
    z = logits - xp.max(logits, axis=-1, keepdims=True)
    e = xp.exp(z)
    s = xp.sum(e, axis=-1, keepdims=True)
    if xp is np:  # the same arithmetic, in place
        np.subtract(np.log(s), z, out=z)
        z *= labels  # 0 * inf is NaN here, as in TensorFlow's kernel
        loss = z.sum(axis=-1)
        if not with_backprop:
            return loss
        e /= s
        e -= labels
        return loss, e
    loss = xp.sum(labels * (xp.log(s) - z), axis=-1)
    return (loss, e / s - labels) if with_backprop else loss


def _labels_one_hot(labels, like):
    """A constant one-hot float tensor for integer `labels`, with `like`'s dtype, shape and backend."""
    lv = labels._value
    xp = _backend.namespace_of(lv)
    n = like._value.shape[-1]
    if xp is np:
        oh = (lv[..., None] == np.arange(n)).astype(like._value.dtype)
    else:
        oh = xp.astype(xp.expand_dims(lv, axis=-1) == xp.arange(n, dtype=lv.dtype), like._value.dtype)
    return wrap(oh)


def _backprop(logits, labels, saved, sparse):
    """TensorFlow's `backprop` output, softmax(logits) - labels: the saved array when nothing records the
    backward pass, else recomputed with differentiable ops (for second derivatives)."""
    if saved is not None and not _recording():
        return wrap(saved)
    return _softmax(logits) - (_labels_one_hot(labels, logits) if sparse else labels)


def _xent_vjp(g, ans, logits, labels, saved, sparse):
    """g[..., None] * backprop. The saved array's fast path: a uniform g (the gradient of a mean or a sum, the
    usual case) scales by one number, which NumPy does twice as fast as a per-row product."""
    if saved is not None and not _recording() and g.__class__ is Tensor and g._value.shape == ans._value.shape:
        gv = g._value
        if isinstance(gv, np.ndarray) and gv.size and (gv == gv.flat[0]).all():
            return wrap(saved * gv.flat[0])
    return expand_dims(g, -1) * _backprop(logits, labels, saved, sparse)


Xent = defprimitive("SoftmaxCrossEntropyWithLogits", _xent_impl)
defvjp(Xent,
       lambda g, ans, logits, labels, saved=None: _xent_vjp(g, ans, logits, labels, saved, False),
       lambda g, ans, logits, labels, saved=None: expand_dims(g, -1) * -_log_softmax(logits))
defjvp(Xent,
       lambda t, ans, logits, labels, saved=None: reduce_sum(t * _backprop(logits, labels, None, False), -1),
       lambda t, ans, logits, labels, saved=None: reduce_sum(t * -_log_softmax(logits), -1))


def _prob_rows(shape, seed):
    p = S.arr(shape, 0.1, 1.0, seed)
    return p / p.sum(-1, keepdims=True)


samples(Xent, lambda: [((S.arr((3, 4)), _prob_rows((3, 4), 1)), {}),
                       ((S.arr((2, 2, 3), seed=2), _prob_rows((2, 2, 3), 3)), {}),
                       ((S.arr((5,), seed=4), _prob_rows((5,), 5)), {})])


def _sparse_xent_impl(xp, logits, labels, saved=None):
    return _sparse_xent_both(xp, logits, labels, False)


@_quiet
def _sparse_xent_both(xp, logits, labels, with_backprop=True):
    if logits.shape[-1] == 0:
        loss = xp.sum(logits, axis=-1)
        return (loss, logits) if with_backprop else loss
    if xp is not np:
        out = _backend.fused_sparse_xent(logits, labels, with_backprop)  # CuPy float32/64: five kernels
        if out is not None:
            return out
    m = xp.max(logits, axis=-1, keepdims=True)
    if xp is np or _backend.kind_of(logits) == "cupy":  # only z[label] is needed, not all of z: exp in place
        c = logits.shape[-1]  # (CuPy float16 too: its indexing and ufuncs are NumPy's, fewer calls than below)
        rows, cols = xp.arange(labels.size), labels.reshape(-1)
        picked = logits.reshape(-1, c)[rows, cols].reshape(labels.shape) - m[..., 0]
        e = logits - m
        xp.exp(e, out=e)
        s = e.sum(axis=-1, keepdims=True)
        loss = xp.log(s[..., 0]) - picked
        if not with_backprop:
            return loss
        e /= s
        e.reshape(-1, c)[rows, cols] -= 1  # e is a fresh contiguous array: the reshape is a view
        return loss, e
    idx = xp.expand_dims(xp.astype(labels, xp.int64), axis=-1)
    z = logits - m
    e = xp.exp(z)
    s = xp.sum(e, axis=-1, keepdims=True)
    loss = (xp.log(s) - _backend.take_along_axis(xp, z, idx, -1))[..., 0]
    if not with_backprop:
        return loss
    onehot = xp.astype(idx == xp.arange(logits.shape[-1], dtype=xp.int64), logits.dtype)
    return loss, e / s - onehot


SparseXent = defprimitive("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent_impl)
defvjp(SparseXent,
       lambda g, ans, logits, labels, saved=None: _xent_vjp(g, ans, logits, labels, saved, True),
       None)  # TensorFlow: no gradient for the labels
defjvp(SparseXent,
       lambda t, ans, logits, labels, saved=None: reduce_sum(t * _backprop(logits, labels, None, True), -1),
       None)
samples(SparseXent, lambda: [((S.arr((3, 4)), np.array([0, 3, 1])), {}),
                             ((S.arr((2, 2, 3), seed=1), np.array([[2, 0], [1, 1]], np.int64)), {}),
                             ((S.arr((5,), seed=2), np.array(4, np.int32)), {})])


def _apply_saving(prim, both, args):
    """`apply`, except that while something records, the forward pass also computes TensorFlow's `backprop`
    output and keeps it in the recorded parameters (freed with the tape) for the VJP's fast path."""
    if not _ACTIVE[0]:
        return apply(prim, args)
    vals = [a._value for a in args]
    try:
        loss, bp = both(_backend.namespace_of(vals[0]), *vals)
    except Exception as e:
        raise _op_error(prim, args, {}, e) from None
    ans = wrap(loss)
    _tape.record(prim, args, ans, {"saved": bp})
    return ans


def _float_logits(op: str, logits):
    """Float logits; float16 ones are computed in float32, as TensorFlow's `precise_logits` (cast back after)."""
    x = _float_only(op, as_input(logits))
    return cast(x, _dt.float32) if x.dtype == _dt.float16 else x


def _back_to(loss, logits):
    return cast(loss, _dt.float16) if as_input(logits).dtype == _dt.float16 else loss


def softmax_cross_entropy_with_logits(labels: TensorLike, logits: TensorLike, axis: int = -1,
                                      name: str | None = None) -> Tensor:
    """`tf.nn.softmax_cross_entropy_with_logits`: -sum(labels * log_softmax(logits), axis), fused and stable.

    Gradients flow to both `logits` (softmax - labels) and `labels` (-log_softmax(logits)), as in TensorFlow;
    wrap the labels in `tf.stop_gradient` to stop the latter.

    Args:
      labels: a probability distribution along `axis` for each example (cast to the logits' dtype).
      logits: unscaled log probabilities, float.
      axis: the class dimension (default -1).
    Returns:
      The per-example loss: `logits`' shape without `axis`.
    Raises:
      ValueError: labels and logits shapes differ (beyond broadcasting).

    >>> import tapegrad as tf
    >>> tf.nn.softmax_cross_entropy_with_logits(labels=[[0.0, 1.0]], logits=[[0.0, 0.0]]).numpy()
    array([0.6931472], dtype=float32)
    """
    op = "SoftmaxCrossEntropyWithLogits"
    x = _float_logits(op, logits)
    y = as_input(labels)
    if y._value.dtype != x._value.dtype:
        y = cast(y, x.dtype)  # TensorFlow: "labels and logits must be of the same type"
    ax = _class_axis(op, x, axis)
    xs, ys = tuple(x._value.shape), tuple(y._value.shape)
    if xs != ys:
        try:
            shape = np.broadcast_shapes(xs, ys)
        except ValueError:
            shape = None
        if shape != xs:
            raise _invalid(op, f"logits and labels must be broadcastable: logits_size={list(xs)} labels_size="
                               f"{list(ys)}. Give labels the logits' shape (one distribution per example).")
        y = broadcast_to(y, xs)
    if ax != -1:
        perm = [i for i in range(len(xs)) if i != len(xs) + ax] + [len(xs) + ax]
        x, y = transpose(x, perm), transpose(y, perm)
    return _back_to(_apply_saving(Xent, _xent_both, (x, y)), logits)


def sparse_softmax_cross_entropy_with_logits(labels: TensorLike, logits: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.sparse_softmax_cross_entropy_with_logits`: -log_softmax(logits)[label] per example, fused.

    Args:
      labels: int32 or int64 class indices in [0, num_classes), shape `logits.shape[:-1]`.
      logits: unscaled log probabilities, float, shape `labels.shape + [num_classes]`.
    Returns:
      The per-example loss, shaped like `labels`, with `logits`' dtype. The gradient w.r.t. the logits is
      softmax(logits) - one_hot(labels); the labels have none.
    Raises:
      ValueError: the ranks or shapes of labels and logits do not fit.
      InvalidArgumentError: a label is outside [0, num_classes) (as TensorFlow on CPU), or labels are not
        int32/int64.

    >>> import tapegrad as tf
    >>> logits = tf.constant([[2., -5., .5, -.1], [0., 0., 1.9, 1.4], [-100., 100., -100., -100.]])
    >>> tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([0, 3, 1]), logits=logits).numpy()
    array([0.29750744, 1.1448326 , 0.        ], dtype=float32)
    """
    op = "SparseSoftmaxCrossEntropyWithLogits"
    x = _float_logits(op, logits)
    y = as_input(labels)
    ld = y._value.dtype
    if ld.kind != "i" or ld.itemsize < 4:
        raise _invalid(op, f"Value for attr 'Tlabels' of {y.dtype.name} is not in the list of allowed values: "
                           "int32, int64. Labels are class indices; cast them, e.g. tf.cast(labels, tf.int64).")
    xs, ys = tuple(x._value.shape), tuple(y._value.shape)
    if not xs:
        raise ValueError(f"`logits` cannot be a scalar. Received logits={x.numpy()}`")
    if len(ys) != len(xs) - 1:
        raise ValueError(f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: labels.shape={ys} of "
                         f"rank {len(ys)} and logits.shape={xs} of rank {len(xs)}")
    if ys != xs[:-1]:
        raise ValueError(f"`labels.shape` must equal `logits.shape` except for the last dimension. Received: "
                         f"labels.shape={ys} and logits.shape={xs}")
    n = xs[-1]
    if n == 0 and int(np.prod(ys)):
        raise _invalid(op, f"Must have at least one class, but got logits shape {list(xs)}")
    lv = y._value
    if int(np.prod(ys)) and _backend.home_of(lv) == _backend.CPU:  # as TensorFlow's CPU kernel; not on a GPU
        # (TensorFlow's GPU kernel gives NaN rows; a check would wait for the device) nor for Dask (no compute)
        xp = _backend.namespace_of(lv)
        if xp is np:  # one pass: negative labels read as unsigned are huge
            bad = bool((lv.view(np.uint32 if lv.dtype.itemsize == 4 else np.uint64) >= n).any())
        else:
            bad = bool(xp.min(lv) < 0) or bool(xp.max(lv) >= n)
        if bad:
            host = _backend.to_numpy(lv).reshape(-1)
            first = host[(host < 0) | (host >= n)][0]
            shown = " ".join(str(v) for v in host[:20]) + (" ..." if host.size > 20 else "")
            raise _invalid(op, f"Received a label value of {first} which is outside the valid range of [0, {n}).  "
                               f"Label values: {shown}")
    return _back_to(_apply_saving(SparseXent, _sparse_xent_both, (x, y)), logits)


def sigmoid_cross_entropy_with_logits(labels: TensorLike = None, logits: TensorLike = None,
                                      name: str | None = None) -> Tensor:
    """`tf.nn.sigmoid_cross_entropy_with_logits`: elementwise logistic loss, TensorFlow's stable formula
    max(x, 0) - x * z + log(1 + exp(-|x|)).

    >>> import tapegrad as tf
    >>> tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[0.0, 100.0]).numpy()
    array([  0.6931472, 100.       ], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: both labels= and logits= are required.")
    x = _float_logits("SigmoidCrossEntropyWithLogits", logits)
    z = labels if isinstance(labels, _TensorLike) else convert(labels, x.dtype)
    z = as_input(z)
    if tuple(z._value.shape) != tuple(x._value.shape):
        raise ValueError(f"`logits` and `labels` must have the same shape, received ({list(x._value.shape)} vs "
                         f"{list(z._value.shape)}).")
    if z._value.dtype != x._value.dtype:
        raise InvalidArgumentError(None, "SigmoidCrossEntropyWithLogits",
                                   f"labels are {z.dtype.name} but logits are {x.dtype.name}; cast the labels with "
                                   f"tf.cast(labels, tf.{x.dtype.name}).")
    return apply(SigmoidCrossEntropy, (x, z))


# TensorFlow composes this loss from seven ops; fused, it is one pass over the data forward and one backward
# (the difference shows on large and on Dask arrays). The gradient is the composite's: sigmoid(x) - z, and -x.
SigmoidCrossEntropy = defprimitive(
    "SigmoidCrossEntropyWithLogits",
    lambda xp, x, z: (xp.maximum(x, xp.zeros_like(x)) - x * z) + xp.log1p(xp.exp(-xp.abs(x))))
defvjp(SigmoidCrossEntropy, lambda g, ans, x, z: g * (sigmoid(x) - z), lambda g, ans, x, z: g * -x)
defjvp(SigmoidCrossEntropy, lambda t, ans, x, z: t * (sigmoid(x) - z), lambda t, ans, x, z: t * -x)
samples(SigmoidCrossEntropy, lambda: [((S.arr((3, 2), -4.0, 4.0), S.arr((3, 2), 0.0, 1.0, seed=1)), {}),
                                      ((S.arr((4,), -4.0, 4.0, seed=2), S.arr((4,), 0.0, 1.0, seed=3)), {})])


def weighted_cross_entropy_with_logits(labels: TensorLike, logits: TensorLike, pos_weight: float | TensorLike,
                                       name: str | None = None) -> Tensor:
    """`tf.nn.weighted_cross_entropy_with_logits`: sigmoid cross-entropy with the positive term weighted by
    `pos_weight`, TensorFlow's stable form (1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + max(-x, 0)).

    >>> import tapegrad as tf
    >>> tf.nn.weighted_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[0.0, 0.0], pos_weight=3.0).numpy()
    array([2.0794415, 0.6931472], dtype=float32)
    """
    x = _float_logits("WeightedCrossEntropyWithLogits", logits)
    z = as_input(labels if isinstance(labels, _TensorLike) else convert(labels, x.dtype))
    if tuple(z._value.shape) != tuple(x._value.shape):
        raise ValueError(f"`logits` and `labels` must have the same shape, received ({list(x._value.shape)} vs "
                         f"{list(z._value.shape)}).")
    log_weight = 1 + (pos_weight - 1) * z
    return (1 - z) * x + log_weight * (log1p(exp(-abs(x))) + relu(-x))


def log_poisson_loss(targets: TensorLike, log_input: TensorLike, compute_full_loss: bool = False,
                     name: str | None = None) -> Tensor:
    """`tf.nn.log_poisson_loss`: exp(log_input) - log_input * targets, plus Stirling's term for targets > 1
    when `compute_full_loss`.

    >>> import tapegrad as tf
    >>> tf.nn.log_poisson_loss(tf.constant([2.0]), tf.constant([0.0])).numpy()
    array([1.], dtype=float32)
    """
    x = as_input(log_input)
    t = as_input(targets if isinstance(targets, _TensorLike) else convert(targets, x.dtype))
    result = exp(x) - x * t
    if compute_full_loss:
        from .elementwise import log

        small = (t >= 0) & (t <= 1)
        ts = where(small, ones_like(t), t)  # TF's values; no log(0) (nor its NaN gradient) in the unused branch
        stirling = ts * log(ts) - ts + 0.5 * log(2 * np.pi * ts)
        result = result + where(small, zeros_like(t), stirling)
    return result


def l2_loss(t: TensorLike, name: str | None = None) -> Tensor:
    """`tf.nn.l2_loss`: sum(t ** 2) / 2, a scalar.

    >>> import tapegrad as tf
    >>> tf.nn.l2_loss(tf.constant([1.0, 2.0])).numpy()
    np.float32(2.5)
    """
    return reduce_sum(square(_float_only("L2Loss", as_input(t)))) * 0.5


# =========================================================================== normalization


def l2_normalize(x: TensorLike, axis: int | Sequence[int] | None = None, epsilon: float = 1e-12,
                 name: str | None = None, dim: int | Sequence[int] | None = None) -> Tensor:
    """`tf.math.l2_normalize` / `tf.nn.l2_normalize`: x / sqrt(max(sum(x ** 2, axis), epsilon)).

    >>> import tapegrad as tf
    >>> tf.nn.l2_normalize(tf.constant([3.0, 4.0])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    if axis is None and dim is not None:
        axis = dim
    t = as_input(x)
    square_sum = reduce_sum(square(t), axis, keepdims=True)
    return t * rsqrt(maximum(square_sum, epsilon))


def moments(x: TensorLike, axes: Sequence[int], shift=None, keepdims: bool = False,
            name: str | None = None) -> tuple[Tensor, Tensor]:
    """`tf.nn.moments`: (mean, variance) of `x` over `axes` (the variance about the mean, TF's formula with
    the mean held constant in the variance's gradient; float16 is computed in float32).

    >>> import tapegrad as tf
    >>> mean, var = tf.nn.moments(tf.constant([1.0, 2.0, 3.0, 4.0]), axes=[0])
    >>> float(mean), float(var)
    (2.5, 1.25)
    """
    t = as_input(x)
    y = cast(t, _dt.float32) if t.dtype == _dt.float16 else t
    ax = normalize_axis(axes, len(t._value.shape), "moments")
    ax = tuple(range(len(t._value.shape))) if ax is None else ax
    mean = reduce_mean(y, ax, keepdims=True)
    variance = reduce_mean(square(y - stop_gradient(mean)), ax, keepdims=True)
    if not keepdims:
        mean, variance = squeeze(mean, ax), squeeze(variance, ax)
    if t.dtype == _dt.float16:
        mean, variance = cast(mean, _dt.float16), cast(variance, _dt.float16)
    return mean, variance


def batch_normalization(x: TensorLike, mean: TensorLike, variance: TensorLike, offset: TensorLike | None,
                        scale: TensorLike | None, variance_epsilon: float, name: str | None = None) -> Tensor:
    """`tf.nn.batch_normalization`: scale * (x - mean) / sqrt(variance + variance_epsilon) + offset.

    >>> import tapegrad as tf
    >>> x = tf.constant([[1.0, 2.0], [3.0, 6.0]])
    >>> mean, var = tf.nn.moments(x, axes=[0])
    >>> tf.nn.batch_normalization(x, mean, var, None, None, 0.0).numpy()
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    """
    t = as_input(x)
    inv = rsqrt(as_input(variance) + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    shift = (offset - mean * inv) if offset is not None else -(as_input(mean) * inv)
    return t * cast(inv, t.dtype) + cast(shift, t.dtype)


# =========================================================================== dropout

def dropout(x: TensorLike, rate: float | TensorLike, noise_shape: Sequence[int | None] | None = None,
            seed: int | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.dropout`: zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).

    Args:
      x: a float tensor.
      rate: the drop probability, in [0, 1) (a Python number or a scalar tensor).
      noise_shape: shape of the keep/drop mask, broadcast against `x` (None entries take x's dimension).
      seed: an op seed, with TensorFlow's rules (tf.random.set_seed): masks are reproducible under a seed.
    Raises:
      ValueError: `rate` outside [0, 1), or `x` not floating.

    >>> import tapegrad as tf
    >>> y = tf.nn.dropout(tf.ones(1000), rate=0.2, seed=1)
    >>> sorted(set(y.numpy().tolist()))
    [0.0, 1.25]
    """
    is_rate_number = isinstance(rate, numbers.Real)
    if is_rate_number and (rate < 0 or rate >= 1):
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
    t = as_input(x)
    if t._value.dtype.kind != "f":
        raise ValueError(f"`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={t.dtype}")
    if is_rate_number and rate == 0:
        return t
    if is_rate_number:
        ret = t * (1.0 / (1.0 - float(rate)))
        r = float(rate)
    else:
        rt = as_input(rate)
        if rt._value.shape != ():
            raise ValueError(f"dropout: rate must be a scalar, got shape {list(rt._value.shape)}.")
        rt = cast(rt, t.dtype)
        ret = t / (1.0 - rt)
        r = float(_backend.to_numpy(rt._value))
    xs = tuple(t._value.shape)
    if noise_shape is None:
        ns = xs
    else:
        if isinstance(noise_shape, _TensorLike):
            noise_shape = noise_shape.numpy().tolist()
        noise_shape = list(noise_shape)
        same_rank = len(noise_shape) == len(xs)
        try:
            ns = tuple(xs[i] if d is None and same_rank else int(d) for i, d in enumerate(noise_shape))
            np.broadcast_shapes(ns, xs)
        except (TypeError, ValueError):
            raise _invalid("Dropout", f"dropout: noise_shape {list(ns)} does not broadcast to x's shape "
                                      f"{list(xs)}.") from None
    from .random_ops import uniform  # TensorFlow's own draw: tf.random.uniform(noise_shape, seed=seed)

    u = _backend.to_numpy(uniform(ns, dtype=t.dtype, seed=seed)._value)
    keep = constant_like(u, t) >= r  # >=: a draw equal to rate is kept, as in TensorFlow
    return where(keep, ret, zeros_like(ret))


# =========================================================================== bias_add


def _format(op: str, data_format, default: str, allowed: tuple) -> str:
    fmt = default if data_format is None else (data_format.decode() if isinstance(data_format, bytes)
                                               else str(data_format))
    if fmt not in allowed:
        raise ValueError(f"{op}: data_format must be one of {list(allowed)}, got {data_format!r}.")
    return fmt


def _same_dtype(op: str, x, w, what: str = "filters"):
    """`w` as a tensor of `x`'s dtype (Python values are converted; tensors of another dtype are an error)."""
    if not isinstance(w, _TensorLike):
        return convert(w, x.dtype)
    w = as_input(w)
    if w._value.dtype != x._value.dtype:
        raise _invalid(op, f"{op}: {what} have dtype {w.dtype.name} but the input has dtype {x.dtype.name}; "
                           f"they must match (use tf.cast).")
    return w


def bias_add(value: TensorLike, bias: TensorLike, data_format: str | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.bias_add`: adds the 1-D `bias` along the channel dimension of `value` (last, or 1 for "NC..").

    >>> import tapegrad as tf
    >>> tf.nn.bias_add(tf.zeros((2, 3)), [1.0, 2.0, 3.0]).numpy()
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """
    op = "BiasAdd"
    x = as_input(value)
    b = _same_dtype(op, x, bias, "biases")
    fmt = "NHWC" if data_format is None else (data_format.decode() if isinstance(data_format, bytes)
                                              else str(data_format))
    if not (fmt.startswith("N") and (fmt.endswith("C") or fmt.startswith("NC"))):
        raise ValueError(f"{op}: data_format must be 'N...C' or 'NC...', got {data_format!r}.")
    channels_first = fmt.startswith("NC") and not fmt.endswith("C")
    xs, bs = tuple(x._value.shape), tuple(b._value.shape)
    if len(bs) != 1:
        raise _invalid(op, f"Biases must be 1D: {list(bs)}")
    if len(xs) < 2:
        raise _invalid(op, f"Input tensor must be at least 2D: {list(xs)}")
    c = xs[1] if channels_first else xs[-1]
    if c != bs[0]:
        raise _invalid(op, f"Must provide as many biases as the {'channel' if channels_first else 'last'} dimension "
                           f"of the input tensor: {list(bs)} vs. {list(xs)}")
    if channels_first:
        b = reshape(b, (c,) + (1,) * (len(xs) - 2))
    return x + b


# =========================================================================== windows (NHWC, leading batch dims)
# A window op's arrays are (..., H, W, C): everything before the last three axes is batch. `pads` is
# ((top, bottom), (left, right)); strides (sh, sw); dilations (dh, dw); ksize (kh, kw).


def _out_size(padded: int, k: int, s: int, d: int) -> int:
    ek = (k - 1) * d + 1
    return 0 if padded < ek else (padded - ek) // s + 1


def _pad_hw(xp, x, pads, value=0):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    if xp is np:
        return np.pad(x, [(0, 0)] * (x.ndim - 3) + [(pt, pb), (pl, pr), (0, 0)], constant_values=value)
    s = tuple(x.shape)
    if pt or pb:
        parts = [xp.full(s[:-3] + (p,) + s[-2:], value, dtype=x.dtype) for p in (pt, pb)]
        x = xp.concat([parts[0], x, parts[1]], axis=-3)
    s = tuple(x.shape)
    if pl or pr:
        parts = [xp.full(s[:-2] + (p, s[-1]), value, dtype=x.dtype) for p in (pl, pr)]
        x = xp.concat([parts[0], x, parts[1]], axis=-2)
    return x


def _window_key(i, j, out_hw, strides, dilations):
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilations
    return (Ellipsis, slice(i * dh, i * dh + (oh - 1) * sh + 1, sh), slice(j * dw, j * dw + (ow - 1) * sw + 1, sw),
            slice(None))


def _windows(xpad, ksize, strides, dilations, out_hw):
    """For each window tap (i, j), in TensorFlow's row-major order, the (..., OH, OW, C) strided view of the
    padded array that tap reads for every output pixel."""
    return [xpad[_window_key(i, j, out_hw, strides, dilations)] for i in range(ksize[0]) for j in range(ksize[1])]


def _patches(xp, xpad, ksize, strides, dilations, out_hw):
    """im2col: (..., OH, OW, KH*KW*C) patches of a padded (..., Hp, Wp, C) array, ordered (kh, kw, c) like a
    filter's first three axes."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = ksize, strides, dilations, out_hw
    c = xpad.shape[-1]
    if xp is np:
        v = _swv(xpad, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(-3, -2))
        v = np.moveaxis(v[..., :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, :, ::dh, ::dw], -3, -1)
        return v.reshape(v.shape[:-3] + (kh * kw * c,))  # the one copy
    st = xp.stack(_windows(xpad, ksize, strides, dilations, out_hw), axis=-2)
    return xp.reshape(st, tuple(st.shape[:-2]) + (kh * kw * c,))


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2) if xp is np else xp.matrix_transpose(a)


def _batch_of(*arrays) -> tuple:
    return tuple(np.broadcast_shapes(*(tuple(a.shape[:-4]) for a in arrays)))


def _scatter_windows(xp, out, pieces, ksize, strides, dilations, out_hw):
    """Adds piece (i, j) into the window tap (i, j) reads (col2im): the transpose of `_windows`."""
    for k, piece in enumerate(pieces):
        i, j = divmod(k, ksize[1])
        out = _backend.scatter_add(out, _window_key(i, j, out_hw, strides, dilations), piece, unique=True)
    return out


def _crop(x, pads, hw):
    (pt, _), (pl, _) = pads
    if not (pt or pl) and tuple(x.shape[-3:-1]) == tuple(hw):
        return x
    return x[..., pt:pt + hw[0], pl:pl + hw[1], :]


# =========================================================================== convolution


def _conv2d_impl(xp, x, w, strides, dilations, pads):
    kh, kw, c, o = w.shape[-4:]
    n, h, wd = x.shape[-4:-1]
    (pt, pb), (pl, pr) = pads
    out_hw = (_out_size(h + pt + pb, kh, strides[0], dilations[0]), _out_size(wd + pl + pr, kw, strides[1],
                                                                                dilations[1]))
    m = n * out_hw[0] * out_hw[1]
    if m == 0 or kh * kw * c == 0:
        return xp.zeros(_batch_of(x, w) + (n,) + out_hw + (o,), dtype=x.dtype)
    cols = _patches(xp, _pad_hw(xp, x, pads), (kh, kw), strides, dilations, out_hw)
    cols = xp.reshape(cols, tuple(x.shape[:-4]) + (m, kh * kw * c))
    y = xp.matmul(cols, xp.reshape(w, tuple(w.shape[:-4]) + (kh * kw * c, o)))
    return xp.reshape(y, tuple(y.shape[:-2]) + (n,) + out_hw + (o,))


def _conv2d_input_impl(xp, g, w, input_hw, strides, dilations, pads):
    """The gradient of a convolution w.r.t. its input (a transposed convolution): one matmul per filter tap,
    added into the windows that tap read."""
    kh, kw, c, o = w.shape[-4:]
    n, oh, ow = g.shape[-4:-1]
    (pt, pb), (pl, pr) = pads
    shape = _batch_of(g, w) + (n, input_hw[0] + pt + pb, input_hw[1] + pl + pr, c)
    out = xp.zeros(shape, dtype=g.dtype)
    if n * oh * ow and kh * kw * c:
        g2 = xp.reshape(g, tuple(g.shape[:-4]) + (n * oh * ow, o))
        pieces = (xp.reshape(xp.matmul(g2, _mT(xp, w[..., i, j, :, :])), shape[:-3] + (oh, ow, c))
                  for i in range(kh) for j in range(kw))
        out = _scatter_windows(xp, out, pieces, (kh, kw), strides, dilations, (oh, ow))
    return _crop(out, pads, input_hw)


def _conv2d_filter_impl(xp, x, g, filter_hw, strides, dilations, pads):
    """The gradient of a convolution w.r.t. its filter (a correlation of input and output gradient)."""
    kh, kw = filter_hw
    c, o = x.shape[-1], g.shape[-1]
    n, oh, ow = g.shape[-4:-1]
    m = n * oh * ow
    if m == 0 or kh * kw * c == 0:
        return xp.zeros(_batch_of(x, g) + (kh, kw, c, o), dtype=x.dtype)
    cols = _patches(xp, _pad_hw(xp, x, pads), (kh, kw), strides, dilations, (oh, ow))
    cols = xp.reshape(cols, tuple(x.shape[:-4]) + (m, kh * kw * c))
    dw = xp.matmul(_mT(xp, cols), xp.reshape(g, tuple(g.shape[:-4]) + (m, o)))
    return xp.reshape(dw, tuple(dw.shape[:-2]) + (kh, kw, c, o))


Conv2D = defprimitive("Conv2D", _conv2d_impl)
Conv2DBackpropInput = defprimitive("Conv2DBackpropInput", _conv2d_input_impl)
Conv2DBackpropFilter = defprimitive("Conv2DBackpropFilter", _conv2d_filter_impl)


def _conv(x, w, **p):
    return apply(Conv2D, (x, w), p)


def _conv_input(g, w, input_hw, **p):
    return apply(Conv2DBackpropInput, (g, w), dict(p, input_hw=tuple(input_hw)))


def _conv_filter(x, g, filter_hw, **p):
    return apply(Conv2DBackpropFilter, (x, g), dict(p, filter_hw=tuple(filter_hw)))


def _hw(t, lo, hi):
    return tuple(t._value.shape[lo:hi])


# TensorFlow's nn_grad.py: the three ops are one bilinear form read three ways.
defvjp(Conv2D, lambda g, ans, x, w, **p: _conv_input(g, w, _hw(x, -3, -1), **p),
       lambda g, ans, x, w, **p: _conv_filter(x, g, _hw(w, -4, -2), **p))
defjvp(Conv2D, lambda t, ans, x, w, **p: _conv(t, w, **p), lambda t, ans, x, w, **p: _conv(x, t, **p))
defvjp(Conv2DBackpropInput, lambda gg, ans, g, w, input_hw, **p: _conv(gg, w, **p),
       lambda gg, ans, g, w, input_hw, **p: _conv_filter(gg, g, _hw(w, -4, -2), **p))
defjvp(Conv2DBackpropInput, lambda t, ans, g, w, input_hw, **p: _conv_input(t, w, input_hw, **p),
       lambda t, ans, g, w, input_hw, **p: _conv_input(g, t, input_hw, **p))
defvjp(Conv2DBackpropFilter, lambda gg, ans, x, g, filter_hw, **p: _conv_input(g, gg, _hw(x, -3, -1), **p),
       lambda gg, ans, x, g, filter_hw, **p: _conv(x, gg, **p))
defjvp(Conv2DBackpropFilter, lambda t, ans, x, g, filter_hw, **p: _conv_filter(t, g, filter_hw, **p),
       lambda t, ans, x, g, filter_hw, **p: _conv_filter(x, t, filter_hw, **p))

# (x shape, filter shape, strides, dilations, pads) for the samples of all three.
_CONV_CASES = [((2, 5, 5, 2), (3, 3, 2, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),   # SAME
               ((1, 6, 5, 2), (2, 3, 2, 2), (2, 2), (1, 1), ((0, 0), (0, 0))),   # VALID, strided
               ((1, 7, 6, 1), (3, 2, 1, 2), (2, 1), (2, 2), ((2, 2), (1, 0))),   # dilated, uneven pads
               ((2, 4, 4, 3), (1, 1, 3, 2), (1, 1), (1, 1), ((0, 0), (0, 0)))]   # 1x1


def _conv_samples(which):
    def cases():
        out = []
        for k, (xs, ws, s, d, pads) in enumerate(_CONV_CASES):
            x, w = S.arr(xs, seed=k), S.arr(ws, seed=10 + k)
            p = {"strides": s, "dilations": d, "pads": pads}
            y = _conv2d_impl(np, x, w, **p)
            g = S.arr(y.shape, seed=20 + k)
            if which == "conv":
                out.append(((x, w), p))
            elif which == "input":
                out.append(((g, w), dict(p, input_hw=xs[1:3])))
            else:
                out.append(((x, g), dict(p, filter_hw=ws[:2])))
        return out

    return cases


samples(Conv2D, _conv_samples("conv"))
samples(Conv2DBackpropInput, _conv_samples("input"))
samples(Conv2DBackpropFilter, _conv_samples("filter"))


def _pair(op: str, value, what: str, channels_first: bool, default: int = 1) -> tuple:
    """ksize / strides / dilations: an int, or a list of 1, 2 or 4 ints (the 4-list in data_format order)."""
    if value is None:
        return (default, default)
    if isinstance(value, _TensorLike):
        value = value.numpy().tolist()
    if isinstance(value, (numbers.Integral, np.integer)):
        v = [int(value)] * 2
    else:
        v = [int(a) for a in value]
        if len(v) == 1:
            v = v * 2
        elif len(v) == 4:
            outer = (v[0], v[1]) if channels_first else (v[0], v[3])
            if outer != (1, 1):
                msg = ("Pooling is not yet supported on the batch dimension." if what == "ksize" else
                       f"Current implementation does not yet support {what} in the batch and depth dimensions.")
                raise UnimplementedError(None, op, f"{msg} Got {what}={v}; use 1 for the batch and channel "
                                                   f"entries [Op:{op}]")
            v = v[2:] if channels_first else v[1:3]
        elif len(v) != 2:
            raise ValueError(f"{op}: {what} should be an int or a list of 1, 2 or 4 ints, got {value!r}.")
    if any(a < 1 for a in v):
        raise ValueError(f"{op}: {what} must be positive, got {value!r}.")
    return tuple(v)


def _resolve_pads(op: str, padding, in_hw, k_hw, strides, dilations, channels_first: bool) -> tuple:
    """((top, bottom), (left, right)) for SAME (TensorFlow's: extra padding at the end), VALID, or an explicit
    list of 4 [before, after] pairs in data_format order (batch and channel pairs must be zero)."""
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return ((0, 0), (0, 0))
        if p == "SAME":
            pads = []
            for n, k, s, d in zip(in_hw, k_hw, strides, dilations):
                out = -(-n // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise _invalid(op, f"Value for attr 'padding' of \"{padding}\" is not in the list of allowed values: \"SAME\", "
                           "\"VALID\", \"EXPLICIT\" (explicit padding is a list of [before, after] pairs).")
    bad = ValueError(f"{op}: explicit padding must be a list of 4 [before, after] pairs, got {padding!r}.")
    try:
        pairs = [tuple(int(v) for v in pair) for pair in padding]
    except (TypeError, ValueError):
        raise bad from None
    if len(pairs) != 4 or any(len(pr) != 2 for pr in pairs):
        raise bad
    outer = (pairs[0], pairs[1]) if channels_first else (pairs[0], pairs[3])
    if outer != ((0, 0), (0, 0)):
        raise ValueError(f"{op}: explicit padding of the batch and channel dimensions must be zero, got {padding!r}.")
    if any(v < 0 for pr in pairs for v in pr):
        raise ValueError(f"{op}: all elements of explicit padding must be nonnegative, got {padding!r}.")
    return tuple(pairs[2:]) if channels_first else tuple(pairs[1:3])


def _check_out(op: str, in_hw, k_hw, strides, dilations, pads) -> tuple:
    """The output size, with TensorFlow's error where it would be negative (an output size of 0 is allowed)."""
    out = []
    for n, k, s, d, (a, b) in zip(in_hw, k_hw, strides, dilations, pads):
        ek = (k - 1) * d + 1
        num = n + a + b - ek + s
        size = num // s if num >= 0 else -((-num) // s)  # C++ division truncates toward zero
        if size < 0:
            raise _invalid(op, f"Computed output size would be negative: {size} [input_size: {n}, "
                               f"effective_filter_size: {ek}, stride: {s}]. The input is smaller than the "
                               "(dilated) window: pad it, or use padding='SAME'.")
        out.append(size)
    return tuple(out)


def _to_nhwc(x, channels_first: bool):
    if not channels_first:
        return x
    nd = len(x._value.shape)
    return transpose(x, list(range(nd - 3)) + [nd - 2, nd - 1, nd - 3])


def _from_nhwc(y, channels_first: bool):
    if not channels_first:
        return y
    nd = len(y._value.shape)
    return transpose(y, list(range(nd - 3)) + [nd - 1, nd - 3, nd - 2])


def _conv_operands(op: str, input, filters):
    x = as_input(input)
    w = _same_dtype(op, x, filters)
    if len(w._value.shape) != 4:
        raise _invalid(op, f"{op}: filter must be 4-dimensional [height, width, in_channels, out_channels], got "
                           f"shape {list(w._value.shape)}.")
    if len(x._value.shape) < 4:
        raise _invalid(op, f"{op}: input must be at least 4-dimensional [batch, height, width, channels], got "
                           f"shape {list(x._value.shape)}.")
    if x._value.dtype.kind not in "fi":
        raise _invalid(op, f"{op}: input dtype {x.dtype.name} is not supported: use a float (or int32) tensor.")
    return x, w


def conv2d(input: TensorLike, filters: TensorLike, strides: Ints, padding: Padding,  # noqa: A002
           data_format: str = "NHWC", dilations: Ints | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.conv2d`: 2-D convolution (cross-correlation) of NHWC `input` with HWIO `filters`.

    Args:
      input: [batch, height, width, in_channels] (or NCHW), rank >= 4 (extra leading dims are batch dims).
      filters: [filter_height, filter_width, in_channels, out_channels].
      strides, dilations: an int or a list of 1, 2 or 4 ints.
      padding: "SAME", "VALID", or explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (NHWC order).
      data_format: "NHWC" (default) or "NCHW".
    Raises:
      InvalidArgumentError: wrong ranks, input and filter channels differ, or an output size would be negative.

    >>> import tapegrad as tf
    >>> tf.nn.conv2d(tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 8)), strides=2, padding="SAME").shape
    TensorShape([1, 3, 3, 8])
    """
    op = "Conv2D"
    fmt = _format(op, data_format, "NHWC", ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x, w = _conv_operands(op, input, filters)
    x = _to_nhwc(x, cf)
    s = _pair(op, strides, "strides", cf)
    d = _pair(op, dilations, "dilations", cf)
    ws, xs = tuple(w._value.shape), tuple(x._value.shape)
    groups = 1
    if xs[-1] != ws[2]:
        if not ws[2] or xs[-1] % ws[2]:
            raise _invalid(op, f"input depth must be evenly divisible by filter depth: {xs[-1]} vs {ws[2]} (input "
                               f"shape {list(xs)}, filter shape {list(ws)}).")
        groups = xs[-1] // ws[2]
        if ws[3] % groups:
            raise _invalid(op, f"output depth must be evenly divisible by number of groups: {ws[3]} vs {groups}")
    pads = _resolve_pads(op, padding, xs[-3:-1], ws[:2], s, d, cf)
    _check_out(op, xs[-3:-1], ws[:2], s, d, pads)
    p = {"strides": s, "dilations": d, "pads": pads}
    if groups == 1:
        return _from_nhwc(_conv(x, w, **p), cf)
    # A grouped convolution: input channel group k meets output channel group k only.
    ci, co = ws[2], ws[3] // groups
    ys = [_conv(x[..., k * ci:(k + 1) * ci], w[..., k * co:(k + 1) * co], **p) for k in range(groups)]
    return _from_nhwc(concat(ys, axis=-1), cf)


def conv2d_transpose(input: TensorLike, filters: TensorLike, output_shape: Sequence[int] | TensorLike,  # noqa: A002
                     strides: Ints, padding: Padding = "SAME", data_format: str = "NHWC",
                     dilations: Ints | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.conv2d_transpose`: the transpose (gradient) of conv2d, sometimes called deconvolution.

    Args:
      input: [batch, height, width, in_channels] (NHWC) or NCHW.
      filters: [height, width, output_channels, in_channels] (note the order: conv2d's filter read backwards).
      output_shape: the output's shape, [batch, out_height, out_width, output_channels] in data_format order.
      strides, padding, dilations: those of the conv2d this transposes.
    Raises:
      InvalidArgumentError: shapes that do not fit together, as TensorFlow's Conv2DBackpropInput.

    >>> import tapegrad as tf
    >>> tf.nn.conv2d_transpose(tf.ones((1, 3, 3, 8)), tf.ones((3, 3, 4, 8)), [1, 6, 6, 4], strides=2).shape
    TensorShape([1, 6, 6, 4])
    """
    op = "Conv2DBackpropInput"
    fmt = _format(op, data_format, "NHWC", ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    g, w = _conv_operands(op, input, filters)
    g = _to_nhwc(g, cf)
    if isinstance(output_shape, _TensorLike):
        output_shape = output_shape.numpy().tolist()
    out = [int(v) for v in output_shape]
    if len(out) != 4:
        raise ValueError(f"{op}: output_shape must have 4 elements, got {output_shape!r}.")
    if cf:
        out = [out[0], out[2], out[3], out[1]]
    s = _pair(op, strides, "strides", cf)
    d = _pair(op, dilations, "dilations", cf)
    gs, ws = tuple(g._value.shape), tuple(w._value.shape)
    if out[0] != gs[-4]:
        raise _invalid(op, f"{op}: output_shape batch {out[0]} differs from the input's batch {gs[-4]}.")
    if out[3] != ws[2]:
        raise _invalid(op, f"{op}: output_shape has {out[3]} channels but the filter's output_channels "
                           f"(dimension 2 of {list(ws)}) is {ws[2]}.")
    if gs[-1] != ws[3]:
        raise _invalid(op, f"{op}: input depth {gs[-1]} must equal the filter's in_channels (dimension 3 of "
                           f"{list(ws)}).")
    pads = _resolve_pads(op, padding, out[1:3], ws[:2], s, d, cf)
    expect = _check_out(op, out[1:3], ws[:2], s, d, pads)
    for dim, (a, b) in enumerate(zip(gs[-3:-1], expect)):
        if a != b:
            raise _invalid(op, f"Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed: actual = "
                               f"{a}, computed = {b} spatial_dim: {dim + 1} input: {out[1 + dim]} filter: "
                               f"{ws[dim]} output: {a} stride: {s[dim]} dilation: {d[dim]}")
    y = _conv_input(g, w, out[1:3], strides=s, dilations=d, pads=pads)
    return _from_nhwc(y, cf)


def _expand_1d(op: str, x, data_format):
    fmt = _format(op, data_format, "NWC", ("NWC", "NCW"))
    cf = fmt == "NCW"
    if len(x._value.shape) < 3:
        raise _invalid(op, f"{op}: input must be at least 3-dimensional [batch, width, channels], got shape "
                           f"{list(x._value.shape)}.")
    return expand_dims(x, -3 if not cf else -2), cf


def _pads_1d(padding, cf: bool):
    """1-D padding as the 2-D padding of the expanded input (a height of 1, never padded)."""
    if isinstance(padding, (str, bytes)):
        return padding
    pairs = [list(p) for p in padding]
    if len(pairs) != 3:
        raise ValueError(f"explicit 1-D padding must be a list of 3 [before, after] pairs, got {padding!r}.")
    return [pairs[0], pairs[1], [0, 0], pairs[2]] if cf else [pairs[0], [0, 0], pairs[1], pairs[2]]


def _int_1d(value, what: str, cf: bool):
    """A 1-D stride / dilation / ksize (an int, or 1 or 3 ints in data_format order) as a 2-D one."""
    if value is None:
        return None
    if isinstance(value, _TensorLike):
        value = value.numpy().tolist()
    if isinstance(value, (numbers.Integral, np.integer)):
        return [1, int(value)]
    v = [int(a) for a in value]
    if len(v) == 1:
        return [1, v[0]]
    if len(v) == 3:
        return [v[0], v[1], 1, v[2]] if cf else [v[0], 1, v[1], v[2]]
    raise ValueError(f"{what} should be an int or a list of 1 or 3 ints, got {value!r}.")


def conv1d(input: TensorLike, filters: TensorLike, stride: Ints, padding: Padding,  # noqa: A002
           data_format: str = "NWC", dilations: Ints | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.conv1d`: 1-D convolution of [batch, width, in_channels] input with [width, in, out] filters.

    >>> import tapegrad as tf
    >>> tf.nn.conv1d(tf.ones((2, 10, 3)), tf.ones((3, 3, 4)), stride=1, padding="VALID").shape
    TensorShape([2, 8, 4])
    """
    x = as_input(input)
    x4, cf = _expand_1d("Conv2D", x, data_format)
    w = _same_dtype("Conv2D", x, filters)
    if len(w._value.shape) != 3:
        raise _invalid("Conv2D", f"conv1d: filters must be 3-dimensional [width, in_channels, out_channels], got "
                                 f"shape {list(w._value.shape)}.")
    y = conv2d(x4, expand_dims(w, 0), _int_1d(stride, "stride", cf), _pads_1d(padding, cf),
               data_format="NCHW" if cf else "NHWC", dilations=_int_1d(dilations, "dilations", cf))
    return squeeze(y, -3 if not cf else -2)


def convolution(input: TensorLike, filters: TensorLike, strides: Ints | None = None,  # noqa: A002
                padding: Padding = "VALID", data_format: str | None = None, dilations: Ints | None = None,
                name: str | None = None) -> Tensor:
    """`tf.nn.convolution`: N-D convolution dispatched on the filter's rank (1-D and 2-D here).

    >>> import tapegrad as tf
    >>> tf.nn.convolution(tf.ones((1, 4, 4, 1)), tf.ones((2, 2, 1, 1))).shape
    TensorShape([1, 3, 3, 1])
    """
    w = as_input(filters)
    n = len(w._value.shape) - 2

    def _listed(v):
        return [int(v)] * n if isinstance(v, (numbers.Integral, np.integer)) else (None if v is None else list(v))

    s, d = _listed(strides), _listed(dilations)
    if s and d and any(a > 1 for a in s) and any(b > 1 for b in d):
        raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1; received: strides="
                         f"{strides}, dilation_rate={dilations}")
    if n == 1:
        return conv1d(input, w, s or 1, padding, data_format=data_format or "NWC", dilations=d)
    if n == 2:
        return conv2d(input, w, s or 1, padding, data_format=data_format or "NHWC", dilations=d)
    raise UnimplementedError(None, "Conv", f"tf.nn.convolution: {n}-D convolution is not supported (1-D and 2-D "
                                           f"are); filters of shape {list(w._value.shape)}.")


def depthwise_conv2d(input: TensorLike, filter: TensorLike, strides: Ints, padding: Padding,  # noqa: A002
                     data_format: str | None = None, dilations: Ints | None = None,
                     name: str | None = None) -> Tensor:
    """`tf.nn.depthwise_conv2d`: each input channel convolved with its own `channel_multiplier` filters.

    Args:
      input: [batch, height, width, in_channels] (or NCHW).
      filter: [height, width, in_channels, channel_multiplier]; output channel c * multiplier + m comes from
        input channel c and filter [:, :, c, m].
      strides: a list of 4 ints (or 1 or 2), as for conv2d.

    >>> import tapegrad as tf
    >>> tf.nn.depthwise_conv2d(tf.ones((1, 4, 4, 3)), tf.ones((2, 2, 3, 2)), [1, 1, 1, 1], "VALID").shape
    TensorShape([1, 3, 3, 6])
    """
    w = as_input(filter)
    ws = tuple(w._value.shape)
    if len(ws) != 4:
        raise _invalid("DepthwiseConv2dNative", f"filter must be 4-dimensional [height, width, in_channels, "
                                                f"channel_multiplier], got shape {list(ws)}.")
    # a grouped convolution with one group per input channel
    return conv2d(input, reshape(w, (ws[0], ws[1], 1, ws[2] * ws[3])), strides, padding,
                  data_format=data_format or "NHWC", dilations=dilations)


def separable_conv2d(input: TensorLike, depthwise_filter: TensorLike, pointwise_filter: TensorLike,  # noqa: A002
                     strides: Ints, padding: Padding, data_format: str | None = None, dilations: Ints | None = None,
                     name: str | None = None) -> Tensor:
    """`tf.nn.separable_conv2d`: a depthwise convolution followed by a 1x1 (pointwise) convolution.

    >>> import tapegrad as tf
    >>> tf.nn.separable_conv2d(tf.ones((1, 4, 4, 3)), tf.ones((2, 2, 3, 2)), tf.ones((1, 1, 6, 5)),
    ...                        [1, 1, 1, 1], "VALID").shape
    TensorShape([1, 3, 3, 5])
    """
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format=data_format, dilations=dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", data_format=data_format or "NHWC")


def embedding_lookup(params: TensorLike, ids: TensorLike, max_norm: float | None = None,
                     name: str | None = None) -> Tensor:
    """`tf.nn.embedding_lookup`: rows of `params` (a tensor, or a one-element list of one) at `ids`; the
    gradient is tf.gather's (an IndexedSlices).

    >>> import tapegrad as tf
    >>> tf.nn.embedding_lookup(tf.constant([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), [2, 0]).numpy()
    array([[3., 3.],
           [1., 1.]], dtype=float32)
    """
    from .array_ops import gather

    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("tf.nn.embedding_lookup: sharded params (a list of several tensors) are not "
                                      "supported; concatenate the shards first.")
        params = params[0]
    p = as_input(params)
    out = gather(p, ids)
    if max_norm is not None:  # each looked-up row clipped to an L2 norm <= max_norm (TF's clip_by_norm)
        nd = len(out._value.shape)
        axes = tuple(range(nd - (len(p._value.shape) - 1), nd))
        l2sum = reduce_sum(square(out), axes, keepdims=True)
        pred = l2sum > 0
        l2norm = where(pred, sqrt(where(pred, l2sum, ones_like(l2sum))), l2sum)
        out = out * max_norm / maximum(l2norm, max_norm)
    return out


# =========================================================================== pooling


def _lowest(xp, dtype):
    """The padding value of max pooling: it never wins a window."""
    if dtype.kind == "f":
        return -float("inf")
    return int((np.iinfo if xp is np else xp.iinfo)(dtype).min)


def _pool_geometry(x, ksize, strides, pads):
    h, w = x.shape[-3:-1]
    (pt, pb), (pl, pr) = pads
    return (_out_size(h + pt + pb, ksize[0], strides[0], 1), _out_size(w + pl + pr, ksize[1], strides[1], 1))


def _max_pool_impl(xp, x, ksize, strides, pads):
    out_hw = _pool_geometry(x, ksize, strides, pads)
    if not (out_hw[0] and out_hw[1]):
        return xp.zeros(tuple(x.shape[:-3]) + out_hw + (x.shape[-1],), dtype=x.dtype)
    xpad = _pad_hw(xp, x, pads, _lowest(xp, x.dtype))
    if xp is np:
        v = _swv(xpad, ksize, axis=(-3, -2))[..., :(out_hw[0] - 1) * strides[0] + 1:strides[0],
                                             :(out_hw[1] - 1) * strides[1] + 1:strides[1], :, :, :]
        return np.fmax.reduce(v, axis=(-2, -1))  # fmax: a NaN loses to any number, as in TensorFlow
    ws = _windows(xpad, ksize, strides, (1, 1), out_hw)
    out = ws[0]
    for v in ws[1:]:
        out = xp.where(xp.isnan(out) | (v > out), v, out) if x.dtype.kind == "f" else xp.maximum(out, v)
    return out


def _pool_argmax(xp, x, ksize, strides, pads, out_hw):
    """Each window's tap index k = i * kw + j of the gradient's target, as TensorFlow's CPU MaxPoolGrad picks
    it: scanning the window's input elements in row-major order, it moves only to a strictly larger value, so
    ties go to the first maximum, later NaNs are skipped, and a NaN first element keeps the gradient."""
    xpad = _pad_hw(xp, x, pads, _lowest(xp, x.dtype))
    st = xp.stack(_windows(xpad, ksize, strides, (1, 1), out_hw), axis=-1)  # (..., OH, OW, C, K)
    if x.dtype.kind != "f":
        return xp.argmax(st, axis=-1)
    nan = xp.isnan(st)
    if not _backend.is_lazy(st) and not bool(xp.any(nan)):  # Dask: no compute, the general path below
        return xp.argmax(st, axis=-1)
    idx = xp.argmax(xp.where(nan, -xp.inf, st), axis=-1)
    first = _first_tap(tuple(x.shape[-3:-1]), ksize, strides, pads)[..., None]  # (OH, OW, 1)
    first = xp.asarray(first) if xp is not np else first
    at = xp.broadcast_to(xp.expand_dims(xp.astype(first, xp.int64), axis=-1), tuple(st.shape[:-1]) + (1,))
    first_is_nan = _backend.take_along_axis(xp, nan, at, -1)[..., 0]
    return xp.where(first_is_nan, xp.astype(first, idx.dtype), idx)


@functools.lru_cache(maxsize=256)
def _first_tap(hw, ksize, strides, pads) -> np.ndarray:
    """For each output pixel, the first window tap that reads an input (not a padding) element: (OH, OW)."""
    ones = np.ones(tuple(hw) + (1,))
    out_hw = _pool_geometry(ones, ksize, strides, pads)
    valid = np.stack(_windows(_pad_hw(np, ones, pads), ksize, strides, (1, 1), out_hw), axis=-1)[..., 0, :]
    return np.argmax(valid, axis=-1)


def _max_pool_grad_impl(xp, x, g, ksize, strides, pads):
    """Scatters each output gradient to its window's first maximum (the transpose of `_max_pool_gather`)."""
    out_hw = _pool_geometry(x, ksize, strides, pads)
    (pt, pb), (pl, pr) = pads
    h, w, c = x.shape[-3:]
    batch = tuple(np.broadcast_shapes(tuple(x.shape[:-3]), tuple(g.shape[:-3])))
    out = xp.zeros(batch + (h + pt + pb, w + pl + pr, c), dtype=g.dtype)
    if out_hw[0] and out_hw[1]:
        idx = _pool_argmax(xp, x, ksize, strides, pads, out_hw)
        pieces = (xp.where(idx == k, g, _zero(xp, g)) for k in range(ksize[0] * ksize[1]))
        out = _scatter_windows(xp, out, pieces, ksize, strides, (1, 1), out_hw)
    return _crop(out, pads, (h, w))


def _max_pool_gather_impl(xp, x, h, ksize, strides, pads):
    """Reads `h` (shaped like x) at each window's first maximum of x: TensorFlow's MaxPoolGradGrad."""
    out_hw = _pool_geometry(x, ksize, strides, pads)
    batch = tuple(np.broadcast_shapes(tuple(x.shape[:-3]), tuple(h.shape[:-3])))
    if not (out_hw[0] and out_hw[1]):
        return xp.zeros(batch + out_hw + (x.shape[-1],), dtype=h.dtype)
    idx = _pool_argmax(xp, x, ksize, strides, pads, out_hw)
    ws = _windows(_pad_hw(xp, h, pads), ksize, strides, (1, 1), out_hw)
    out = None
    for k, v in enumerate(ws):
        term = xp.where(idx == k, v, _zero(xp, v))
        out = term if out is None else out + term
    return out


MaxPool = defprimitive("MaxPool", _max_pool_impl)
MaxPoolGrad = defprimitive("MaxPoolGrad", _max_pool_grad_impl)
MaxPoolGradGrad = defprimitive("MaxPoolGradGrad", _max_pool_gather_impl)


def _mp_grad(x, g, p):
    return apply(MaxPoolGrad, (x, g), p)


def _mp_gather(x, h, p):
    return apply(MaxPoolGradGrad, (x, h), p)


defvjp(MaxPool, lambda g, ans, x, **p: _mp_grad(x, g, p))
defjvp(MaxPool, lambda t, ans, x, **p: _mp_gather(x, t, p))
# TF: zeros for the pooled input (the argmax is piecewise constant), a gather / scatter for the gradient
defvjp(MaxPoolGrad, lambda gg, ans, x, g, **p: _zero_grad(gg, ans, x),
       lambda gg, ans, x, g, **p: _mp_gather(x, gg, p))
defjvp(MaxPoolGrad, None, lambda t, ans, x, g, **p: _mp_grad(x, t, p))
defvjp(MaxPoolGradGrad, lambda gg, ans, x, h, **p: _zero_grad(gg, ans, x),
       lambda gg, ans, x, h, **p: _mp_grad(x, gg, p))
defjvp(MaxPoolGradGrad, None, lambda t, ans, x, h, **p: _mp_gather(x, t, p))


def _distinct(shape, seed):
    """Values at least 0.05 apart (no ties, no near-ties for finite differences), in random order."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.05 - n * 0.025).reshape(shape)


_POOL_CASES = [((2, 4, 4, 2), (2, 2), (2, 2), ((0, 0), (0, 0))),   # VALID, non-overlapping
               ((1, 5, 5, 1), (3, 3), (2, 2), ((1, 1), (1, 1))),   # SAME, overlapping
               ((1, 4, 5, 2), (2, 3), (1, 2), ((0, 1), (1, 1))),   # SAME, uneven
               ((3, 3, 2), (2, 2), (1, 1), ((0, 0), (0, 0)))]      # no batch dim (rank 3)


def _pool_samples(which):
    def cases():
        out = []
        for k, (xs, ks, st, pads) in enumerate(_POOL_CASES):
            x = _distinct(xs, k)
            p = {"ksize": ks, "strides": st, "pads": pads}
            y = _max_pool_impl(np, x, **p)
            if which == "pool":
                out.append(((x,), p))
            elif which == "grad":
                out.append(((x, S.arr(y.shape, seed=10 + k)), p))
            elif which == "gather":
                out.append(((x, S.arr(xs, seed=20 + k)), p))
            elif which == "avg":
                out.append(((S.arr(xs, seed=30 + k),), p))
            else:
                out.append(((S.arr(y.shape, seed=40 + k),), dict(p, input_hw=xs[-3:-1])))
        return out

    return cases


samples(MaxPool, _pool_samples("pool"))
samples(MaxPoolGrad, _pool_samples("grad"))
samples(MaxPoolGradGrad, _pool_samples("gather"))


@functools.lru_cache(maxsize=256)
def _pool_counts(hw, ksize, strides, pads) -> np.ndarray:
    """How many input (non-padding) elements each window holds: TF's SAME average divides by this."""
    ones = np.ones(tuple(hw) + (1,))
    out_hw = _pool_geometry(ones, ksize, strides, pads)
    v = _swv(_pad_hw(np, ones, pads), ksize, axis=(0, 1))[:(out_hw[0] - 1) * strides[0] + 1:strides[0],
                                                         :(out_hw[1] - 1) * strides[1] + 1:strides[1]]
    return v.sum(axis=(-2, -1))  # (OH, OW, 1)


def _counts_for(xp, like, hw, ksize, strides, pads):
    c = _pool_counts(tuple(hw), ksize, strides, pads)
    return c.astype(like.dtype) if xp is np else xp.asarray(c, dtype=like.dtype)


def _avg_pool_impl(xp, x, ksize, strides, pads):
    out_hw = _pool_geometry(x, ksize, strides, pads)
    if not (out_hw[0] and out_hw[1]):
        return xp.zeros(tuple(x.shape[:-3]) + out_hw + (x.shape[-1],), dtype=x.dtype)
    xpad = _pad_hw(xp, x, pads)
    if xp is np:
        v = _swv(xpad, ksize, axis=(-3, -2))[..., :(out_hw[0] - 1) * strides[0] + 1:strides[0],
                                             :(out_hw[1] - 1) * strides[1] + 1:strides[1], :, :, :]
        s = v.sum(axis=(-2, -1))
    else:
        ws = _windows(xpad, ksize, strides, (1, 1), out_hw)
        s = ws[0]
        for v in ws[1:]:
            s = s + v
    return s / _counts_for(xp, x, x.shape[-3:-1], ksize, strides, pads)


def _avg_pool_grad_impl(xp, g, input_hw, ksize, strides, pads):
    """Spreads each output gradient evenly over its window's input elements (the transpose of AvgPool)."""
    (pt, pb), (pl, pr) = pads
    out_hw = tuple(g.shape[-3:-1])
    out = xp.zeros(tuple(g.shape[:-3]) + (input_hw[0] + pt + pb, input_hw[1] + pl + pr, g.shape[-1]), dtype=g.dtype)
    if out_hw[0] and out_hw[1]:
        share = g / _counts_for(xp, g, input_hw, ksize, strides, pads)
        out = _scatter_windows(xp, out, [share] * (ksize[0] * ksize[1]), ksize, strides, (1, 1), out_hw)
    return _crop(out, pads, input_hw)


AvgPool = defprimitive("AvgPool", _avg_pool_impl)
AvgPoolGrad = defprimitive("AvgPoolGrad", _avg_pool_grad_impl)


def _ap(x, p):
    return apply(AvgPool, (x,), p)


def _ap_grad(g, input_hw, p):
    return apply(AvgPoolGrad, (g,), dict(p, input_hw=tuple(input_hw)))


defvjp(AvgPool, lambda g, ans, x, **p: _ap_grad(g, _hw(x, -3, -1), p))
defjvp(AvgPool, lambda t, ans, x, **p: _ap(t, p))
defvjp(AvgPoolGrad, lambda gg, ans, g, input_hw, **p: _ap(gg, p))
defjvp(AvgPoolGrad, lambda t, ans, g, input_hw, **p: _ap_grad(t, input_hw, p))
samples(AvgPool, _pool_samples("avg"))
samples(AvgPoolGrad, _pool_samples("avg_grad"))


def _pool(op, prim, input, ksize, strides, padding, data_format, explicit_ok):  # noqa: A002
    fmt = _format(op, data_format, "NHWC", ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x = as_input(input)
    if len(x._value.shape) != 4:
        raise _invalid(op, f"{op}: input must be 4-dimensional [batch, height, width, channels], got shape "
                           f"{list(x._value.shape)}.")
    if prim is AvgPool:
        _float_only(op, x)
    x = _to_nhwc(x, cf)
    k = _pair(op, ksize, "ksize", cf)
    s = _pair(op, strides, "strides", cf)
    if not explicit_ok and not isinstance(padding, (str, bytes)):
        raise ValueError(f"{op}: padding must be 'SAME' or 'VALID', got {padding!r}.")
    hw = tuple(x._value.shape[-3:-1])
    pads = _resolve_pads(op, padding, hw, k, s, (1, 1), cf)
    _check_out(op, hw, k, s, (1, 1), pads)
    return _from_nhwc(apply(prim, (x,), {"ksize": k, "strides": s, "pads": pads}), cf)


def max_pool2d(input: TensorLike, ksize: Ints, strides: Ints, padding: Padding,  # noqa: A002
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """`tf.nn.max_pool2d`: the maximum of each `ksize` window; the gradient goes to the window's first maximum
    (in row-major order, as TensorFlow's CPU kernel), padding never wins.

    Args:
      input: [batch, height, width, channels] (or NCHW).
      ksize, strides: an int or a list of 1, 2 or 4 ints.
      padding: "SAME", "VALID" or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.constant([[0, 0, 1, 7], [0, 2, 0, 0], [5, 2, 0, 0], [0, 0, 9, 8]]), (1, 4, 4, 1))
    >>> tf.reshape(tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME"), [2, 2]).numpy()
    array([[2, 7],
           [5, 9]], dtype=int32)
    """
    return _pool("MaxPool", MaxPool, input, ksize, strides, padding, data_format, True)


def avg_pool2d(input: TensorLike, ksize: Ints, strides: Ints, padding: str,  # noqa: A002
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """`tf.nn.avg_pool2d`: the mean of each `ksize` window (SAME windows average only their input elements).

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> tf.reshape(tf.nn.avg_pool2d(x, ksize=2, strides=2, padding="VALID"), [2, 2]).numpy()
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    return _pool("AvgPool", AvgPool, input, ksize, strides, padding, data_format, False)


def _pool1d(pool2d, input, ksize, strides, padding, data_format):  # noqa: A002
    x = as_input(input)
    op = "MaxPool" if pool2d is max_pool2d else "AvgPool"
    x4, cf = _expand_1d(op, x, data_format)
    y = pool2d(x4, _int_1d(ksize, "ksize", cf), _int_1d(strides, "strides", cf), _pads_1d(padding, cf),
               data_format="NCHW" if cf else "NHWC")
    return squeeze(y, -3 if not cf else -2)


def max_pool1d(input: TensorLike, ksize: Ints, strides: Ints, padding: Padding,  # noqa: A002
               data_format: str = "NWC", name: str | None = None) -> Tensor:
    """`tf.nn.max_pool1d`: max pooling over [batch, width, channels].

    >>> import tapegrad as tf
    >>> tf.nn.max_pool1d(tf.reshape(tf.constant([1.0, 3.0, 2.0, 5.0]), (1, 4, 1)), 2, 2, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _pool1d(max_pool2d, input, ksize, strides, padding, data_format)


def avg_pool1d(input: TensorLike, ksize: Ints, strides: Ints, padding: str,  # noqa: A002
               data_format: str = "NWC", name: str | None = None) -> Tensor:
    """`tf.nn.avg_pool1d`: average pooling over [batch, width, channels].

    >>> import tapegrad as tf
    >>> tf.nn.avg_pool1d(tf.reshape(tf.constant([1.0, 3.0, 2.0, 5.0]), (1, 4, 1)), 2, 2, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _pool1d(avg_pool2d, input, ksize, strides, padding, data_format)


def _pool_nd(name, p1, p2, input, ksize, strides, padding, data_format):  # noqa: A002
    nd = len(as_input(input)._value.shape)
    if nd == 3:
        return p1(input, ksize, strides, padding, data_format=data_format or "NWC")
    if nd == 4:
        return p2(input, ksize, strides, padding, data_format=data_format or "NHWC")
    raise ValueError(f"tf.nn.{name}: input must be of rank 3 or 4 (1-D or 2-D pooling), got rank {nd}.")


def max_pool(input: TensorLike, ksize: Ints, strides: Ints, padding: Padding,  # noqa: A002
             data_format: str | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.max_pool`: max pooling dispatched on the input's rank (3: 1-D, 4: 2-D).

    >>> import tapegrad as tf
    >>> tf.nn.max_pool(tf.ones((1, 4, 4, 1)), ksize=2, strides=2, padding="VALID").shape
    TensorShape([1, 2, 2, 1])
    """
    return _pool_nd("max_pool", max_pool1d, max_pool2d, input, ksize, strides, padding, data_format)


def avg_pool(input: TensorLike, ksize: Ints, strides: Ints, padding: str,  # noqa: A002
             data_format: str | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.avg_pool`: average pooling dispatched on the input's rank (3: 1-D, 4: 2-D).

    >>> import tapegrad as tf
    >>> tf.nn.avg_pool(tf.ones((1, 4, 4, 1)), ksize=2, strides=2, padding="VALID").shape
    TensorShape([1, 2, 2, 1])
    """
    return _pool_nd("avg_pool", avg_pool1d, avg_pool2d, input, ksize, strides, padding, data_format)

# Elementwise (see jacobian_seeds.py).
keeps_onehot(Relu, ReluGrad, Relu6, LeakyRelu, Elu, Selu, Softsign, SigmoidCrossEntropy)
