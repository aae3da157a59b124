"""Deterministic sample inputs for the registry-driven gradient tests (float64, shapes that broadcast)."""

from __future__ import annotations

import numpy as np

# Shape pairs that exercise broadcasting in binary ops (autograd's matrix of argument shapes).
BINARY_SHAPES = [((3, 2), (3, 2)), ((3, 2), (2,)), ((1, 2), (3, 1)), ((), (3, 2)), ((2,), ())]
UNARY_SHAPES = [(), (3,), (2, 3)]


def arr(shape, lo=-2.0, hi=2.0, seed=0):
    """A float64 array of `shape` drawn uniformly from [lo, hi), the same for the same seed."""
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def away_from(shape, points, lo=-2.0, hi=2.0, seed=0, gap=0.2):
    """Like `arr`, but nudged at least `gap` away from each of `points` (kinks, discontinuities)."""
    a = arr(shape, lo, hi, seed)
    for p in points:
        close = np.abs(a - p) < gap
        a = np.where(close, p + np.where(a >= p, gap, -gap) * 1.5, a)
    return a


def unary(lo=-2.0, hi=2.0, avoid=()):
    """Sample cases for a one-input op over UNARY_SHAPES on [lo, hi), avoiding `avoid` points."""
    return lambda: [((away_from(s, avoid, lo, hi, seed=i) if avoid else arr(s, lo, hi, seed=i),), {})
                    for i, s in enumerate(UNARY_SHAPES)]


def binary(lo=-2.0, hi=2.0, lo2=None, hi2=None):
    """Sample cases for a two-input op over BINARY_SHAPES."""
    lo2 = lo if lo2 is None else lo2
    hi2 = hi if hi2 is None else hi2
    return lambda: [((arr(a, lo, hi, seed=i), arr(b, lo2, hi2, seed=10 + i)), {})
                    for i, (a, b) in enumerate(BINARY_SHAPES)]
