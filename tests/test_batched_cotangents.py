"""Every VJP rule accepts cotangents with extra leading batch dimensions (DESIGN.md, "Vectorized Jacobians").

One generic test over the registry: each differentiable primitive's samples are recorded on a persistent tape,
then the backward sweep runs once with a seed of shape `batch + ans.shape` and must give, for every input,
exactly the stack of the gradients of one unbatched sweep per batch element.

Forward mode is not batched: a ForwardAccumulator's tangent must have its primal's shape, so JVP rules never
see extra leading dimensions and there is nothing to test for them.
"""

from __future__ import annotations

import itertools

import array_api_strict as xp
import numpy as np
import pytest

import tapegrad as tf
from tapegrad._core.backward import backward
from tapegrad._core.primitive import REGISTRY, apply, as_input
from tapegrad.testing import sample_cases

DIFFERENTIABLE = sorted(name for name, p in REGISTRY.items() if p.differentiable)
CASES = [(name, i) for name in DIFFERENTIABLE for i in range(len(sample_cases(REGISTRY[name])))]
BATCHES = [(3,), (2, 2)]


def _record(prim, args, params, conv):
    """Runs the primitive on a persistent tape watching its float inputs: (tape, inputs, float ids, ans)."""
    xs = [as_input(conv(np.asarray(a))) for a in args]
    float_ids = [x._id for x in xs if x.dtype.is_floating]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x for x in xs if x.dtype.is_floating])
        ans = apply(prim, tuple(xs), params)
    return tape, xs, float_ids, ans


def _sweep(tape, outs, seeds, ids, conv):
    grads = backward(tape._entries, [(o._id, tf.constant(conv(s))) for o, s in zip(outs, seeds)], ids, False)
    # An axis-0 gather's unbatched gradient is a tf.IndexedSlices (no .numpy(), as in TensorFlow): compare it dense.
    return [tf.convert_to_tensor(grads[i]) if isinstance(grads[i], tf.IndexedSlices) else grads[i] for i in ids]


@pytest.mark.parametrize("backend", ["numpy", "strict"])
@pytest.mark.parametrize("batch", BATCHES, ids=["B3", "B2x2"])
@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_vjp_accepts_batched_cotangents(name, index, batch, backend):
    """NumPy, and array-api-strict (whose indexing and scatter take another path, see ops/indexing.py)."""
    conv = xp.asarray if backend == "strict" else np.asarray
    prim = REGISTRY[name]
    args, params, _ = sample_cases(prim)[index]
    tape, xs, ids, ans = _record(prim, args, params, conv)
    assert len(tape._entries) == 1, f"{name}: expected exactly one recorded entry"
    outs = [o for o in (ans if isinstance(ans, tuple) else (ans,)) if o.dtype.is_floating]  # qr, svd: several
    ans = outs[0]
    rng = np.random.default_rng(index)
    seeds = [rng.standard_normal(batch + tuple(o._value.shape)).astype(o.dtype.as_numpy_dtype) for o in outs]
    batched = _sweep(tape, outs, seeds, ids, conv)
    shapes = {x._id: tuple(x._value.shape) for x in xs}
    for k, (i, g) in enumerate(zip(ids, batched, strict=True)):
        want_shape = batch + shapes[i]
        assert g is not None, f"{name}: no gradient for input #{k} from a batched cotangent"
        assert type(g._value) is type(ans._value) or backend == "numpy", f"{name}: left the {backend} backend"
        assert tuple(g.shape) == want_shape, (
            f"{name}: batched cotangents {[tuple(s.shape) for s in seeds]} gave a gradient of shape "
            f"{tuple(g.shape)} for input #{k}; expected {want_shape} (batch dims {batch} + the input's shape "
            f"{shapes[i]})")
        assert g.dtype == ans.dtype or not ans.dtype.is_floating or name == "Cast"
    for b in itertools.product(*(range(n) for n in batch)):
        single = _sweep(tape, outs, [s[b] for s in seeds], ids, conv)
        for k, (g_b, g_1) in enumerate(zip(batched, single, strict=True)):
            one = np.zeros(shapes[ids[k]]) if g_1 is None else g_1.numpy()
            np.testing.assert_allclose(
                g_b.numpy()[b], one, rtol=1e-12, atol=1e-12,
                err_msg=f"{name}: batched VJP for input #{k}, batch element {b}, differs from the unbatched VJP")


def test_batched_seed_through_a_chain_of_ops():
    """A batched cotangent flows through several rules (including broadcasting) in one sweep."""
    x = tf.constant(np.arange(6.0).reshape(2, 3) / 7)
    w = tf.constant(np.linspace(-1, 1, 12).reshape(3, 4))
    b = tf.constant(np.array([0.1, -0.2, 0.3, 0.4]))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, w, b])
        h = tf.tanh(tf.matmul(x, w) + b)
        y = tf.reduce_sum(tf.transpose(h)[1:, :] ** 2, axis=0)  # shape (2,)
    eye = np.eye(2)
    batched = backward(tape._entries, [(y._id, tf.constant(eye))], [x._id, w._id, b._id], False)
    for row in range(2):
        single = backward(tape._entries, [(y._id, tf.constant(eye[row]))], [x._id, w._id, b._id], False)
        for t in (x, w, b):
            np.testing.assert_allclose(batched[t._id].numpy()[row], single[t._id].numpy(), rtol=1e-12)
