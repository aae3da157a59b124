"""Jacobian and Hessian benchmarks (issue 4): medians and ratios measured in one run.

    python3 benchmarks/jacobians.py            # ~1 minute
    python3 benchmarks/jacobians.py --quick    # shorter measurements

W5: 256x256 Jacobian of tanh(W @ x) (`tf.linalg.matvec`), `tape.jacobian` vectorized (one batched sweep) and
    with `experimental_use_pfor=False` (a sweep per row).             target: vectorized <= 1 ms, >= 20x the loop
BJ: batch_jacobian of a dense layer (32 examples, 256 -> 256), structured against dense seeds (no target).
W6: 64x64 Hessian of reduce_sum(sin(x) * x**2) through nested tapes (outer `jacobian` of an inner `gradient`),
    vectorized and looped; and forward-over-reverse (a ForwardAccumulator around a tape, one column per basis
    tangent, as TensorFlow documents Hessian-vector products).          target: vectorized <= 1 ms
Each has the bench harness's hand-written batched NumPy floor (identity seeds, ../shared/bench/workloads.py)
measured in the same run; W5 also the closed form (1 - y^2)[:, None] * W, and tapegrad's sweep with dense
identity seeds (`jacobian_seeds.ENABLED = False`): the 256^3 GEMM that the structured seeds
(src/tapegrad/ops/jacobian_seeds.py) avoid by scaling W's rows instead. Timings interleave the variants batch by
batch, so a noisy neighbour slows them alike; ratios are medians of per-batch ratios. The machine is noisy:
compare ratios, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import tapegrad as tf  # noqa: E402
from tapegrad.ops import jacobian_seeds  # noqa: E402

N5, N6 = 256, 64


def _calls_for(fn, seconds: float) -> int:
    fn()
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.05:
        fn()
        n += 1
    per = (time.perf_counter() - t0) / n
    return max(1, int(seconds / per))


def interleaved(fns: dict, budget: float, batches: int = 9) -> dict:
    """Median seconds per call of each function; batches of the functions alternate."""
    sizes = {k: _calls_for(f, budget / batches / len(fns)) for k, f in fns.items()}
    samples: dict = {k: [] for k in fns}
    for _ in range(batches):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(sizes[k]):
                f()
            samples[k].append((time.perf_counter() - t0) / sizes[k])
    return {k: (statistics.median(v), v) for k, v in samples.items()}


def ratio(res: dict, slow: str, fast: str) -> float:
    return statistics.median(a / b for a, b in zip(res[slow][1], res[fast][1]))


def with_dense_seeds(fn):
    """`fn` run as the same sweep with dense identity rows as its seed (structured seeds switched off)."""
    def dense_seeds():
        jacobian_seeds.ENABLED = False
        try:
            return fn()
        finally:
            jacobian_seeds.ENABLED = True

    return dense_seeds


def w5_cases():
    r = np.random.default_rng(5)
    Wn = (r.standard_normal((N5, N5)) / np.sqrt(N5)).astype(np.float32)
    xn = r.standard_normal(N5).astype(np.float32)
    W, x = tf.constant(Wn), tf.constant(xn)

    def run(use_pfor):
        with tf.GradientTape(persistent=not use_pfor) as tape:
            tape.watch(x)
            y = tf.tanh(tf.linalg.matvec(W, x))
        return tape.jacobian(y, x, experimental_use_pfor=use_pfor)

    eye = np.eye(N5, dtype=np.float32)

    dense_seeds = with_dense_seeds(lambda: run(True))

    def numpy_vjp():  # the bench harness's floor: all 256 VJPs at once, identity seeds (a GEMM)
        y = np.tanh(Wn @ xn)
        return (eye * (1 - y * y)) @ Wn

    def numpy_closed_form():
        y = np.tanh(Wn @ xn)
        return (1 - y * y)[:, None] * Wn

    ref = numpy_closed_form()
    for fn in (lambda: run(True), lambda: run(False), dense_seeds, numpy_vjp):
        np.testing.assert_allclose(np.asarray(fn()), ref, rtol=1e-4, atol=1e-5)
    return {"W5.vec": lambda: run(True), "W5.loop": lambda: run(False), "W5.dense_seeds": dense_seeds,
            "W5.numpy_vjp": numpy_vjp,
            "W5.closed_form": numpy_closed_form}


def dense_layer_cases():
    """batch_jacobian of a dense layer, tanh(x @ W + b) for 32 examples of 256 -> 256: per-example rows of W
    scaled by 1 - y^2 (structured seeds), or the identity rows through a batched GEMM (dense seeds)."""
    r = np.random.default_rng(8)
    x = tf.constant(r.standard_normal((32, N5)).astype(np.float32))
    w = tf.constant((r.standard_normal((N5, N5)) / 16).astype(np.float32))
    b = tf.constant(np.zeros(N5, np.float32))

    def run():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.tanh(tf.matmul(x, w) + b)
        return tape.batch_jacobian(y, x)

    dense_seeds = with_dense_seeds(run)

    y = np.tanh(x.numpy() @ w.numpy())
    ref = (1 - y * y)[:, :, None] * w.numpy().T[None]
    for fn in (run, dense_seeds):
        np.testing.assert_allclose(np.asarray(fn()), ref, rtol=1e-4, atol=1e-5)
    return {"BJ.structured": run, "BJ.dense_seeds": dense_seeds}


def w6_cases():
    xn = np.random.default_rng(7).uniform(-2, 2, N6).astype(np.float32)
    x = tf.constant(xn)
    eye = [tf.constant(row) for row in np.eye(N6, dtype=np.float32)]

    def nested(use_pfor):
        with tf.GradientTape(persistent=not use_pfor) as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                f = tf.reduce_sum(tf.sin(x) * x ** 2)
            g = inner.gradient(f, x)
        return outer.jacobian(g, x, experimental_use_pfor=use_pfor)

    def forward_over_reverse():
        cols = []
        for e in eye:
            with tf.autodiff.ForwardAccumulator(x, e) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    f = tf.reduce_sum(tf.sin(x) * x ** 2)
                g = tape.gradient(f, x)
            cols.append(acc.jvp(g))
        return tf.stack(cols, axis=1)

    eye_np = np.eye(N6, dtype=np.float32)

    def numpy_vjp():  # the bench harness's floor: reverse-over-reverse with all 64 identity seeds at once
        s, c = np.sin(xn), np.cos(xn)
        x2, x2x = xn * xn, 2 * xn
        return (eye_np * x2) * -s + (eye_np * c) * x2x + (eye_np * s) * 2 + (eye_np * x2x) * c

    ref = np.diag(-np.sin(xn) * xn ** 2 + 4 * xn * np.cos(xn) + 2 * np.sin(xn))
    for fn in (lambda: nested(True), lambda: nested(False), forward_over_reverse, numpy_vjp):
        np.testing.assert_allclose(np.asarray(fn()), ref, rtol=1e-4, atol=1e-4)
    return {"W6.vec": lambda: nested(True), "W6.loop": lambda: nested(False),
            "W6.fwd_over_rev": forward_over_reverse, "W6.numpy_vjp": numpy_vjp}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter measurements")
    args = ap.parse_args()
    budget = 4.0 if args.quick else 15.0
    rows = []
    r5 = interleaved(w5_cases(), budget)
    r6 = interleaved(w6_cases(), budget)
    rb = interleaved(dense_layer_cases(), budget, batches=5)
    for res in (r5, r6, rb):
        for k, (med, _) in res.items():
            rows.append((k, med * 1e3))
    print(f"{'case':<18}{'median ms':>12}")
    for k, ms in rows:
        print(f"{k:<18}{ms:>12.3f}")
    print()
    print(f"W5 loop / vectorized:            {ratio(r5, 'W5.loop', 'W5.vec'):7.1f}x   (target >= 20x)")
    print(f"W5 vectorized / NumPy VJP floor: {ratio(r5, 'W5.vec', 'W5.numpy_vjp'):7.2f}x")
    print(f"W5 dense seeds / vectorized:     {ratio(r5, 'W5.dense_seeds', 'W5.vec'):7.1f}x   (identity rows "
          "through the sweep: a 256^3 GEMM)")
    print(f"W5 vectorized / closed form:     {ratio(r5, 'W5.vec', 'W5.closed_form'):7.1f}x")
    print(f"W6 loop / vectorized:            {ratio(r6, 'W6.loop', 'W6.vec'):7.1f}x")
    print(f"W6 fwd-over-rev / vectorized:    {ratio(r6, 'W6.fwd_over_rev', 'W6.vec'):7.1f}x")
    print(f"W6 vectorized / NumPy VJP floor: {ratio(r6, 'W6.vec', 'W6.numpy_vjp'):7.1f}x")
    print(f"batch_jacobian, dense layer 32x256x256: dense seeds / structured "
          f"{ratio(rb, 'BJ.dense_seeds', 'BJ.structured'):7.1f}x")
    ok5 = r5["W5.vec"][0] <= 1e-3 and ratio(r5, "W5.loop", "W5.vec") >= 20
    ok6 = r6["W6.vec"][0] <= 1e-3
    print(f"\ntargets: W5 {'met' if ok5 else 'MISSED'}, W6 {'met' if ok6 else 'MISSED'}")


if __name__ == "__main__":
    main()
