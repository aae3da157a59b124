"""`tf.nn`: neural-network ops (aliases of the op library: ops/nn_ops.py, and tf.math's shared ones)."""

from .ops import sigmoid, tanh
from .ops.elementwise import softplus
from .ops.math_ops import in_top_k, top_k
from .ops.nn_ops import (
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    batch_normalization,
    bias_add,
    conv1d,
    conv2d,
    conv2d_transpose,
    convolution,
    crelu,
    depthwise_conv2d,
    dropout,
    elu,
    embedding_lookup,
    gelu,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_poisson_loss,
    log_softmax,
    max_pool,
    max_pool1d,
    max_pool2d,
    moments,
    relu,
    relu6,
    selu,
    separable_conv2d,
    sigmoid_cross_entropy_with_logits,
    silu,
    softmax,
    softmax_cross_entropy_with_logits,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    swish,
    weighted_cross_entropy_with_logits,
)

__all__ = [n for n in dir() if not n.startswith("_")]
