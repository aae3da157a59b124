"""`tf.nn`: neural-network ops (aliases of the op library; the full set arrives with the op library issue)."""

from .ops import sigmoid, tanh

__all__ = ["sigmoid", "tanh"]
