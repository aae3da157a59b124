"""`tf.random`: random ops, seeds and generators (aliases of the op library)."""
# ruff: noqa: F401

from types import SimpleNamespace as _Namespace

from .ops.random_ops import (
    Algorithm,
    Generator,
    categorical,
    create_rng_state,
    fold_in,
    get_global_generator,
    normal,
    set_global_generator,
    set_seed,
    shuffle,
    split,
    stateless_categorical,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
    uniform,
)
from .ops.random_ops import (
    stateless_shuffle as _stateless_shuffle,
)

experimental = _Namespace(
    Algorithm=Algorithm,
    Generator=Generator,
    create_rng_state=create_rng_state,
    get_global_generator=get_global_generator,
    set_global_generator=set_global_generator,
    stateless_fold_in=fold_in,
    stateless_shuffle=_stateless_shuffle,
    stateless_split=split,
)

__all__ = [n for n in dir() if not n.startswith("_")]
