"""tf.nn speed benchmarks (issue 3): medians and ratios against hand-written NumPy, measured in one run.

    python3 benchmarks/nn_ops.py            # ~30 seconds
    python3 benchmarks/nn_ops.py --quick    # shorter measurements
    python3 benchmarks/nn_ops.py --profile  # also cProfile one tapegrad call of each
    python3 benchmarks/nn_ops.py --threads 1  # BLAS on one thread (steadier on a busy machine)

(1) conv2d forward + backward: a (32, 28, 28, 8) float32 batch, 16 3x3 filters, SAME, stride 1; gradients
    w.r.t. the input and the filters for a given output gradient.                    target: <= 1.5x NumPy
(2) softmax cross-entropy over (256, 1000) float32 logits (dense labels), reduce_mean, forward + gradient
    w.r.t. the logits.                                                                target: <= 1.5x NumPy
(3) the same with sparse int64 labels (sparse_softmax_cross_entropy_with_logits, the training hot path).

The NumPy baselines are the same algorithms written directly: patches from `sliding_window_view` and one
matmul, the filter gradient as patches^T @ dy, the input gradient as one matmul per filter tap added into
its window; the cross-entropy as max-shifted exp / sum. Each figure is the median of several batches, tapegrad
and NumPy batches interleaved, so a ratio compares numbers taken seconds apart. The machine is noisy: compare
ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

if "--threads" in sys.argv:  # must be set before NumPy loads its BLAS
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import tapegrad as tf  # noqa: E402


def paired(fa, fb, budget: float, batches: int = 9) -> tuple[float, float]:
    """Median seconds per call of `fa` and of `fb`, over batches that alternate between the two."""
    for f in (fa, fb, fa, fb):
        f()
    per = []
    for f in (fa, fb):
        n, t0 = 1, time.perf_counter()
        while True:
            for _ in range(n):
                f()
            dt = time.perf_counter() - t0
            if dt > 0.05:
                break
            n *= 2
            t0 = time.perf_counter()
        per.append(dt / n)
    counts = [max(1, int(budget / (2 * batches) / p)) for p in per]
    samples: list[list[float]] = [[], []]
    for _ in range(batches):
        for k, f in enumerate((fa, fb)):
            t0 = time.perf_counter()
            for _ in range(counts[k]):
                f()
            samples[k].append((time.perf_counter() - t0) / counts[k])
    return statistics.median(samples[0]), statistics.median(samples[1])


# --------------------------------------------------------------------------- (1) conv2d


def conv_case():
    r = np.random.default_rng(0)
    xn = r.standard_normal((32, 28, 28, 8)).astype(np.float32)
    wn = (r.standard_normal((3, 3, 8, 16)) * 0.1).astype(np.float32)
    gyn = r.standard_normal((32, 28, 28, 16)).astype(np.float32)
    x, w, gy = tf.constant(xn), tf.constant(wn), tf.constant(gyn)

    def tapegrad_step():
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.conv2d(x, w, strides=1, padding="SAME")
        return tape.gradient(y, [x, w], output_gradients=gy)

    def numpy_step():
        n, h, wd, c = xn.shape
        kh, kw, _, o = wn.shape
        xpad = np.pad(xn, ((0, 0), (1, 1), (1, 1), (0, 0)))
        cols = sliding_window_view(xpad, (kh, kw), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
        cols = cols.reshape(n * h * wd, kh * kw * c)
        y = (cols @ wn.reshape(kh * kw * c, o)).reshape(n, h, wd, o)
        g2 = gyn.reshape(n * h * wd, o)
        dw = (cols.T @ g2).reshape(wn.shape)
        dxpad = np.zeros_like(xpad)
        for i in range(kh):
            for j in range(kw):
                dxpad[:, i:i + h, j:j + wd, :] += (g2 @ wn[i, j].T).reshape(n, h, wd, c)
        return y, dxpad[:, 1:-1, 1:-1, :], dw

    _, dx_ref, dw_ref = numpy_step()
    dx, dw = tapegrad_step()
    np.testing.assert_allclose(dx.numpy(), dx_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw.numpy(), dw_ref, rtol=1e-4, atol=1e-3)
    return tapegrad_step, numpy_step


# --------------------------------------------------------------------------- (2), (3) cross-entropy


def _xent_numpy(logits, labels=None, ids=None):
    n = logits.shape[0]
    m = logits.max(axis=1, keepdims=True)
    z = logits - m
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    if ids is None:
        loss = (labels * (np.log(s) - z)).sum(axis=1).mean()
        p = e / s - labels
    else:
        loss = (np.log(s)[:, 0] - z[np.arange(n), ids]).mean()
        p = e / s
        p[np.arange(n), ids] -= 1
    p *= np.float32(1 / n)
    return loss, p


def xent_case(sparse: bool):
    r = np.random.default_rng(1)
    ln = (r.standard_normal((256, 1000)) * 3).astype(np.float32)
    ids = r.integers(0, 1000, 256).astype(np.int64)
    onehot = np.eye(1000, dtype=np.float32)[ids]
    logits = tf.constant(ln)
    labels = tf.constant(ids) if sparse else tf.constant(onehot)

    def tapegrad_step():
        with tf.GradientTape() as tape:
            tape.watch(logits)
            if sparse:
                per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            else:
                per = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            loss = tf.reduce_mean(per)
        return loss, tape.gradient(loss, logits)

    def numpy_step():
        return _xent_numpy(ln, ids=ids) if sparse else _xent_numpy(ln, labels=onehot)

    loss, g = tapegrad_step()
    loss_ref, g_ref = numpy_step()
    np.testing.assert_allclose(float(loss), loss_ref, rtol=1e-5)
    np.testing.assert_allclose(g.numpy(), g_ref, rtol=1e-5, atol=1e-8)
    return tapegrad_step, numpy_step


def profile(name, fn, n=20):
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n):
        fn()
    pr.disable()
    print(f"\n--- cProfile: {name} ({n} calls), top 12 by total time")
    pstats.Stats(pr).sort_stats("tottime").print_stats(12)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="shorter measurements")
    p.add_argument("--profile", action="store_true", help="cProfile one tapegrad step of each case")
    p.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's own)")
    args = p.parse_args(argv)
    budget = 1.5 if args.quick else 6.0
    cases = [("(1) conv2d fwd+bwd, (32,28,28,8) x 16 3x3 SAME", conv_case()),
             ("(2) softmax CE (256,1000) fwd+bwd, dense labels", xent_case(False)),
             ("(3) softmax CE (256,1000) fwd+bwd, sparse labels", xent_case(True))]
    print("| benchmark | tapegrad | NumPy | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name, (ft, fn) in cases:
        t, n = paired(ft, fn, budget)
        print(f"| {name} | {t * 1e3:.3f} ms | {n * 1e3:.3f} ms | {t / n:.2f}x | <= 1.5x | "
              f"{'yes' if t / n <= 1.5 else 'NO'} |", flush=True)
    if args.profile:
        for name, (ft, _) in cases:
            profile(name, ft)


if __name__ == "__main__":
    main()
