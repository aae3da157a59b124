"""Core-engine overhead benchmarks (issue 2, item 14): medians and ratios measured in one run.

    python3 benchmarks/core_overhead.py            # all five, ~1 minute
    python3 benchmarks/core_overhead.py --quick    # shorter measurements

(a) the seed's two-variable gradient call            target <= 30 us
(b) 200 elementwise ops on 16 floats + one gradient   target <= 6 us per recorded op (forward + its backward share)
(c) one op with no tape against the raw NumPy call    target <= 1.5 us above NumPy
(d) 20,000-step scalar chain, forward + gradient      target <= 0.15 s and <= 30 MB memory growth
(e) `import tapegrad` in a fresh process              target <= 0.25 s

Each figure is the median of several batches; each has a baseline measured in the same run (hand-written
NumPy forward + backward, or the bare interpreter), printed as a ratio. The machine is noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import tapegrad as tf  # noqa: E402


def timeit(fn, budget: float, batches: int = 7) -> float:
    """Median seconds per call over `batches` batches, each sized to take about budget/batches."""
    fn()
    fn()
    n, t0 = 1, time.perf_counter()
    while True:
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt > 0.05:
            break
        n *= 2
        t0 = time.perf_counter()
    per = dt / n
    n = max(1, int(budget / batches / per))
    samples = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def bench_a(budget):
    x = tf.Variable(25.0, name="hours_worked")
    y = tf.Variable(6.0, name="compliments_given")

    def tape_call():
        with tf.GradientTape() as tape:
            f = (0.25 * x**2 + 500) + (50 * tf.math.log(y + 1))
        return tape.gradient(f, (x, y))

    xn, yn = np.float32(25.0), np.float32(6.0)

    def numpy_call():
        yp1 = yn + np.float32(1)
        f = (np.float32(0.25) * xn**2 + np.float32(500)) + np.float32(50) * np.log(yp1)
        return f, np.float32(0.25) * np.float32(2) * xn, np.float32(50) / yp1

    return timeit(tape_call, budget), timeit(numpy_call, budget)


def bench_b(budget):
    x = tf.constant(np.random.default_rng(2).uniform(-1, 1, 16).astype(np.float32))
    ops = [i % 4 for i in range(200)]

    def tape_call():
        with tf.GradientTape() as tape:
            tape.watch(x)
            h = x
            for k in ops:
                if k == 0:
                    h = tf.sin(h)
                elif k == 1:
                    h = h * 1.01
                elif k == 2:
                    h = h + 0.1
                else:
                    h = tf.tanh(h)
            s = tf.reduce_sum(h)
        return tape.gradient(s, x)

    xn = x.numpy()

    def numpy_call():
        h, saved = xn, []
        for k in ops:
            saved.append(h)
            if k == 0:
                h = np.sin(h)
            elif k == 1:
                h = h * np.float32(1.01)
            elif k == 2:
                h = h + np.float32(0.1)
            else:
                h = np.tanh(h)
        g = np.ones_like(h)
        for k, v in zip(reversed(ops), reversed(saved)):
            if k == 0:
                g = g * np.cos(v)
            elif k == 1:
                g = g * np.float32(1.01)
            elif k == 3:
                t = np.tanh(v)
                g = g * (1 - t * t)
        return g

    return timeit(tape_call, budget) / 200, timeit(numpy_call, budget) / 200


def bench_c(budget):
    a = tf.constant(np.random.default_rng(0).standard_normal(16).astype(np.float32))
    b = tf.constant(np.random.default_rng(1).standard_normal(16).astype(np.float32))
    an, bn = a.numpy(), b.numpy()
    out = {}
    out["sin"] = (timeit(lambda: tf.sin(a), budget), timeit(lambda: np.sin(an), budget))
    out["a * b"] = (timeit(lambda: a * b, budget), timeit(lambda: an * bn, budget))
    out["a + 1.0"] = (timeit(lambda: a + 1.0, budget), timeit(lambda: an + np.float32(1.0), budget))
    out["reduce_sum"] = (timeit(lambda: tf.reduce_sum(a), budget), timeit(lambda: np.sum(an), budget))
    return out


def bench_d():
    x = tf.Variable(0.5)

    def run():
        with tf.GradientTape() as tape:
            h = x
            for _ in range(10000):
                h = h * 0.9999 + 0.0001
                h = tf.sin(h)
        return tape.gradient(h, x)

    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)

    def numpy_run():
        h, saved = np.float32(0.5), []
        for _ in range(10000):
            h = h * np.float32(0.9999) + np.float32(0.0001)
            saved.append(h)
            h = np.sin(h)
        g = np.float32(1)
        for v in reversed(saved):
            g = g * np.cos(v) * np.float32(0.9999)
        return g

    ntimes = []
    for _ in range(5):
        t0 = time.perf_counter()
        numpy_run()
        ntimes.append(time.perf_counter() - t0)
    return statistics.median(times), statistics.median(ntimes), growth_mb


def bench_e():
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env = dict(os.environ, PYTHONPATH=src)

    def one(code):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - t0

    one("import tapegrad")
    t = statistics.median(one("import tapegrad") for _ in range(5))
    tn = statistics.median(one("import numpy") for _ in range(5))
    return t, tn


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="shorter measurements")
    args = p.parse_args(argv)
    budget = 0.3 if args.quick else 1.5
    rows = []
    ta, na = bench_a(budget)
    rows.append(("(a) seed two-variable gradient call", f"{ta * 1e6:.1f} us", f"{na * 1e6:.2f} us",
                 f"{ta / na:.1f}x", "<= 30 us", ta <= 30e-6))
    tb, nb = bench_b(budget)
    rows.append(("(b) 200-op chain, per recorded op", f"{tb * 1e6:.2f} us", f"{nb * 1e6:.2f} us",
                 f"{tb / nb:.1f}x", "<= 6 us", tb <= 6e-6))
    for name, (t, n) in bench_c(budget).items():
        rows.append((f"(c) no tape: {name}", f"{t * 1e6:.2f} us", f"{n * 1e6:.2f} us",
                     f"+{(t - n) * 1e6:.2f} us", "<= +1.5 us", t - n <= 1.5e-6))
    td, nd, growth = bench_d()
    rows.append(("(d) 20k-step chain fwd+grad", f"{td:.3f} s", f"{nd:.4f} s", f"{td / nd:.1f}x", "<= 0.15 s",
                 td <= 0.15))
    rows.append(("(d) memory growth of one run", f"{growth:.1f} MB", "", "", "<= 30 MB", growth <= 30))
    te, ne = bench_e()
    rows.append(("(e) import tapegrad", f"{te:.3f} s", f"{ne:.3f} s (numpy)", f"{te / ne:.2f}x", "<= 0.25 s",
                 te <= 0.25))
    print("| benchmark | tapegrad | baseline (NumPy) | ratio / overhead | target | met |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r[:5]) + f" | {'yes' if r[5] else 'NO'} |")


if __name__ == "__main__":
    main()
