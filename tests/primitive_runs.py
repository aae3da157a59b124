"""One run of a registered primitive on any backend: its outputs, their JVPs and its input gradients.

Shared by the backend test modules (array-api-strict, Dask, CuPy), which compare a run on their backend with
a run on NumPy. Not a test module itself (no `test_` prefix).
"""

from __future__ import annotations

import numpy as np

import tapegrad as tf
from tapegrad._core.primitive import REGISTRY, apply
from tapegrad.testing import sample_cases


def primitive_cases(exclude=()) -> list[tuple[str, int]]:
    """(op name, sample index) for every differentiable primitive's every sample, minus `exclude`."""
    return [(n, i) for n in sorted(p for p in REGISTRY if REGISTRY[p].differentiable and p not in exclude)
            for i in range(len(sample_cases(REGISTRY[n])))]


def run_primitive(prim, args, params, to_backend, post=None):
    """[outputs..., their JVPs..., gradients...] and the number of outputs (qr, svd give several), with every
    input converted by `to_backend` (a function of a NumPy array). `post(outputs) -> outputs`, if given, is
    applied to the outputs under the tape and the accumulator (e.g. to fix the signs of eigenvectors)."""
    xs = [tf.constant(to_backend(np.asarray(a))) for a in args]
    floats = [x for x in xs if x.dtype.is_floating]
    with tf.autodiff.ForwardAccumulator(floats, [x * 0.5 + 1.0 for x in floats]) as acc:
        with tf.GradientTape() as tape:
            tape.watch(floats)
            y = apply(prim, tuple(xs), params)
            ys = list(y) if isinstance(y, tuple) else [y]
            if post is not None:
                ys = post(ys)
            loss = 0.0
            for yk in ys:
                if yk.dtype.is_floating:
                    w = np.linspace(-1.0, 2.0, int(np.prod(yk.shape))).reshape(tuple(yk.shape))
                    loss = loss + tf.reduce_sum(yk * tf.cast(tf.constant(to_backend(w)), yk.dtype))
    grads = tape.gradient(loss, floats, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    grads = [tf.convert_to_tensor(g) for g in grads]  # an axis-0 gather's gradient is a tf.IndexedSlices
    jvps = acc.jvp(ys, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return [*ys, *jvps, *grads], len(ys)
