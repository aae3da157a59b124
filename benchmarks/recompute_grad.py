"""Gradient checkpointing (`tf.recompute_grad`) on a deep MLP: memory saved, compute paid (issue 4).

    python3 benchmarks/recompute_grad.py            # ~30 s
    python3 benchmarks/recompute_grad.py --quick

A 32-layer tanh MLP (width 256, batch 1024, float32) in 8 blocks of 4 layers, one training step: forward under
a tape, gradient of the mean squared output w.r.t. the input and all 64 weights. Plain: every layer's
activations stay on the tape until the backward pass. Checkpointed: each block is wrapped in
`tf.recompute_grad`, so the tape keeps only the block boundaries and each block is recomputed (under its own
short-lived tape) during the backward pass.

Memory is NumPy's allocations traced by `tracemalloc` (NumPy reports its array buffers to it): the memory held
by the tape after the forward pass, and the peak over the whole step, each above what existed before the step.
Time is the median step. Ratios are plain / checkpointed (memory) and checkpointed / plain (time); all
numbers come from the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import tapegrad as tf  # noqa: E402

DEPTH, WIDTH, BATCH, PER_BLOCK = 32, 256, 1024, 4


def make_model(seed: int = 0):
    r = np.random.default_rng(seed)
    params = [(tf.Variable((r.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)),
               tf.Variable(np.zeros(WIDTH, np.float32))) for _ in range(DEPTH)]
    blocks = []
    for i in range(0, DEPTH, PER_BLOCK):
        layers = params[i:i + PER_BLOCK]

        def block(h, layers=layers):
            for w, b in layers:
                h = tf.tanh(tf.matmul(h, w) + b)
            return h

        blocks.append(block)
    return params, blocks


def step(x, params, blocks):
    """Forward under a tape, then the gradients; returns (tape-held bytes, grads)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for block in blocks:
            h = block(h)
        loss = tf.reduce_mean(h * h)
    held = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    grads = tape.gradient(loss, [x] + [v for wb in params for v in wb])
    return held, grads


def measure_memory(x, params, blocks) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    held, grads = step(x, params, blocks)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del grads
    return held - base, peak - base


def measure_time(x, params, blocks, reps: int) -> float:
    step(x, params, blocks)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step(x, params, blocks)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer timing repetitions")
    args = ap.parse_args()
    reps = 3 if args.quick else 9
    params, blocks = make_model()
    ckpt_blocks = [tf.recompute_grad(b) for b in blocks]
    x = tf.constant(np.random.default_rng(1).standard_normal((BATCH, WIDTH)).astype(np.float32))

    # Same gradients (up to float32 rounding of the recomputation: it is the same arithmetic).
    _, g_plain = step(x, params, blocks)
    _, g_ckpt = step(x, params, ckpt_blocks)
    worst = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(g_plain, g_ckpt))
    assert worst == 0.0, f"checkpointed gradients differ from the plain ones by {worst}"

    mem = {name: measure_memory(x, params, bl) for name, bl in (("plain", blocks), ("checkpointed", ckpt_blocks))}
    t = {}
    for _ in range(2):  # alternate, so drift hits both alike
        for name, bl in (("plain", blocks), ("checkpointed", ckpt_blocks)):
            t.setdefault(name, []).append(measure_time(x, params, bl, reps))
    t = {k: min(v) for k, v in t.items()}

    mb = 1 / 2 ** 20
    print(f"MLP {DEPTH} x {WIDTH}, batch {BATCH}, float32; {DEPTH // PER_BLOCK} checkpointed blocks of {PER_BLOCK}")
    print(f"{'':14}{'tape after forward':>20}{'peak of the step':>18}{'step time':>12}")
    for name in ("plain", "checkpointed"):
        held, peak = mem[name]
        print(f"{name:14}{held * mb:>17.1f} MB{peak * mb:>15.1f} MB{t[name] * 1e3:>9.1f} ms")
    print()
    print(f"tape memory, plain / checkpointed:  {mem['plain'][0] / mem['checkpointed'][0]:5.1f}x")
    print(f"peak memory, plain / checkpointed:  {mem['plain'][1] / mem['checkpointed'][1]:5.1f}x")
    print(f"step time, checkpointed / plain:    {t['checkpointed'] / t['plain']:5.2f}x")


if __name__ == "__main__":
    main()
