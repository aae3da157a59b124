"""One SGD training step of an MLP, tapegrad against the same step written by hand in NumPy (issue 5's speed item).

    python3 benchmarks/train_step.py            # both sizes, ~1 minute
    python3 benchmarks/train_step.py --quick    # shorter measurements
    python3 benchmarks/train_step.py --profile  # cProfile of the tapegrad step (small MLP)

A step: forward (relu MLP), sparse softmax cross-entropy (mean over the batch), the gradients of all six weights
and biases, and the SGD update. tapegrad runs it as TensorFlow code (`tf.GradientTape`, `tape.gradient`,
`tf.keras.optimizers.SGD.apply_gradients`), and also with `var.assign_sub(lr * g)` as the update (the shared
bench's W3/W4 form). NumPy runs the hand-written forward and backward of ../shared/bench/workloads.py.

    MLP 784-256-256-10, batch 64       target: tapegrad within 1.2x of NumPy
    MLP 1024-2048-2048-10, batch 512   target: tapegrad within 1.05x of NumPy

Timings alternate between the implementations in rounds (A B C A B C ...) so that the machine's load drifts
affect them alike; each figure is the median over rounds and each ratio the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import tapegrad as tf  # noqa: E402

LR = 0.01
SIZES = {"small": ((784, 256, 256, 10), 64), "large": ((1024, 2048, 2048, 10), 512)}
TARGETS = {"small": 1.2, "large": 1.05}


def data(sizes, batch, seed):
    r = np.random.default_rng(seed)
    x = r.standard_normal((batch, sizes[0])).astype(np.float32)
    y = r.integers(0, sizes[-1], batch).astype(np.int64)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append((r.standard_normal((a, b)) * math.sqrt(2.0 / a)).astype(np.float32))
        params.append((0.01 * r.standard_normal(b)).astype(np.float32))
    return x, y, params


def tapegrad_step(sizes, batch, update="optimizer"):
    xn, yn, pn = data(sizes, batch, 3)
    x, y = tf.constant(xn), tf.constant(yn)
    params = [tf.Variable(p) for p in pn]
    optimizer = tf.keras.optimizers.SGD(learning_rate=LR)

    def step():
        w1, b1, w2, b2, w3, b3 = params
        with tf.GradientTape() as tape:
            h1 = tf.nn.relu(tf.matmul(x, w1) + b1)
            h2 = tf.nn.relu(tf.matmul(h1, w2) + b2)
            logits = tf.matmul(h2, w3) + b3
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        if update == "optimizer":
            optimizer.apply_gradients(zip(grads, params))
        else:
            for p, g in zip(params, grads):
                p.assign_sub(LR * g)
        return loss

    return step, params


def numpy_step(sizes, batch):
    """The hand-written forward and backward of the shared bench (workloads.py, `_np_mlp`), plus the update."""
    x, yn, params = data(sizes, batch, 3)
    rows = np.arange(batch)

    def step():
        w1, b1, w2, b2, w3, b3 = params
        z1 = x @ w1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ w2 + b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ w3 + b3
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s) + m[:, 0] - logits[rows, yn])
        g3 = e / s
        g3[rows, yn] -= 1
        g3 /= batch
        dw3 = h2.T @ g3
        db3 = g3.sum(axis=0)
        dz2 = (g3 @ w3.T) * (z2 > 0)
        dw2 = h1.T @ dz2
        db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ w2.T) * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        for p, g in zip(params, [dw1, db1, dw2, db2, dw3, db3]):
            p -= LR * g
        return loss

    return step, params


def per_call(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def measure(fns: dict, budget: float, rounds: int) -> dict:
    """Median seconds per call of each function, timed in alternating rounds, and the per-round samples."""
    for fn in fns.values():
        fn()
        fn()
    probe = {name: per_call(fn, 3) for name, fn in fns.items()}
    reps = {name: max(1, int(budget / rounds / len(fns) / t)) for name, t in probe.items()}
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(per_call(fn, reps[name]))
    return samples


def check_same_result(sizes, batch) -> float:
    """The largest difference between tapegrad's and NumPy's weights after three steps (a sanity check)."""
    t_step, t_params = tapegrad_step(sizes, batch)
    n_step, n_params = numpy_step(sizes, batch)
    for _ in range(3):
        t_step()
        n_step()
    return max(float(np.max(np.abs(a.numpy() - b))) for a, b in zip(t_params, n_params))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--sizes", default="small,large", help="small, large or both (default)")
    parser.add_argument("--profile", action="store_true", help="profile the tapegrad step of the small MLP")
    args = parser.parse_args(argv)
    if args.profile:
        import cProfile
        import pstats

        step, _ = tapegrad_step(*SIZES["small"])
        for _ in range(20):
            step()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(300):
            step()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0
    print(f"tapegrad {tf.__version__}, NumPy {np.__version__}, {os.cpu_count()} CPUs")
    for name in args.sizes.split(","):
        sizes, batch = SIZES[name]
        budget, rounds = (2.0, 5) if args.quick else (12.0, 9)
        if name == "large":
            budget *= 2
        fns = {
            "numpy": numpy_step(sizes, batch)[0],
            "tapegrad (optimizer.apply_gradients)": tapegrad_step(sizes, batch, "optimizer")[0],
            "tapegrad (var.assign_sub)": tapegrad_step(sizes, batch, "assign_sub")[0],
        }
        samples = measure(fns, budget, rounds)
        base = samples["numpy"]
        label = "-".join(map(str, sizes))
        print(f"\nMLP {label}, batch {batch}: one SGD step (max |tapegrad - numpy| after 3 steps: "
              f"{check_same_result(sizes, batch):.1e})")
        print(f"  {'':40s} {'median ms':>10s} {'vs numpy':>9s}")
        for impl, times in samples.items():
            ratio = statistics.median(t / b for t, b in zip(times, base))
            print(f"  {impl:40s} {statistics.median(times) * 1e3:10.3f} {ratio:8.3f}x")
        print(f"  target: within {TARGETS[name]}x of numpy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
