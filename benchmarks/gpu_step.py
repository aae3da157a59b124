"""GPU: one SGD step of an MLP (forward, GradientTape backward, update) with tapegrad on CuPy, against the same
step written by hand in CuPy, in one run, on the workloads of ../shared/bench/gpu_anchors.py (issue 7).

    pip install 'tapegrad[gpu]'
    python3 benchmarks/gpu_step.py                 # small, large, xl (needs a CUDA GPU)
    python3 benchmarks/gpu_step.py --sizes large xl

Targets (float32): xl (4096-8192-8192-10, batch 4096) within 1.1x and large (1024-2048-2048-10, batch 512)
within 1.3x of hand-written CuPy. For scale, on an H100: hand-written CuPy 45.0 ms and 1.74 ms, PyTorch eager
44.0 ms and 1.35 ms.

The hand-written step, the data, the timing loop and the FLOP count are the anchors harness's own
(`cupy_step`, `data`, `timeit`, `flops`), imported from ../shared/bench/gpu_anchors.py, so both sides are
measured the same way; the two sides alternate `--rounds` times (3) and each keeps its best time, since a
shared machine drifts between measurements. The tapegrad step is what a TensorFlow user writes: variables
created under `tf.device('/GPU:0')`, a tape, `tf.nn.sparse_softmax_cross_entropy_with_logits`, `assign_sub`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def load_anchors():
    """The anchors harness module (../shared/bench/gpu_anchors.py beside the repository, or shared/ inside it)."""
    for where in (REPO.parent / "shared" / "bench", REPO / "shared" / "bench"):
        if (where / "gpu_anchors.py").exists():
            sys.path.insert(0, str(where))
            return importlib.import_module("gpu_anchors")
    raise SystemExit("benchmarks/gpu_step.py needs the anchors harness ../shared/bench/gpu_anchors.py")


def tapegrad_step(anchors, batch: int, dims: list[int], lr: float = 0.01) -> float:
    """Seconds per SGD step of the MLP with tapegrad on GPU 0 (the anchors' data, timing and sync)."""
    import cupy as cp

    import tapegrad as tf

    x, y, ws, bs = anchors.data(batch, dims)
    with tf.device("/GPU:0"):
        xt, yt = tf.constant(x), tf.constant(y.astype("int32"))
        weights = [tf.Variable(w) for w in ws]
        biases = [tf.Variable(b) for b in bs]
    params = weights + biases
    assert weights[0].device.endswith("GPU:0"), "tapegrad placed the weights on " + weights[0].device
    n = len(weights)

    def step():
        with tf.GradientTape() as tape:
            h = xt
            for i, (w, b) in enumerate(zip(weights, biases)):
                h = tf.matmul(h, w) + b
                if i < n - 1:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yt, logits=h))
        for p, g in zip(params, tape.gradient(loss, params)):
            p.assign_sub(lr * g)

    return anchors.timeit(step, cp.cuda.Stream.null.synchronize)


TARGETS = {"large": 1.3, "xl": 1.1}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="tapegrad vs hand-written CuPy: one MLP SGD step")
    p.add_argument("--sizes", nargs="+", default=["small", "large", "xl"])
    p.add_argument("--rounds", type=int, default=3,
                   help="alternate the two sides this many times and keep each one's best (the machine drifts)")
    args = p.parse_args(argv)
    anchors = load_anchors()
    import tapegrad as tf

    if not tf.config.list_physical_devices("GPU"):
        raise SystemExit("no GPU: CuPy is not installed or finds no CUDA device (this benchmark needs one)")
    import cupy as cp

    name = cp.cuda.runtime.getDeviceProperties(0)["name"]
    print(f"device: {name.decode() if isinstance(name, bytes) else name}")
    print("| workload | batch, layers | hand-written CuPy | tapegrad | ratio | target |")
    print("|---|---|---|---|---|---|")
    results = {}
    for size in args.sizes:
        batch, dims = anchors.SIZES[size]
        t_hand = t_ours = float("inf")
        for _ in range(max(1, args.rounds)):
            t_hand = min(t_hand, anchors.cupy_step(batch, dims))
            t_ours = min(t_ours, tapegrad_step(anchors, batch, dims))
        ratio = t_ours / t_hand
        target = TARGETS.get(size)
        verdict = "" if target is None else f"<= {target}x: {'met' if ratio <= target else 'NOT met'}"
        tflops = anchors.flops(batch, dims) / t_ours / 1e12
        print(f"| {size} | {batch}, {'-'.join(map(str, dims))} | {t_hand * 1e3:.2f} ms | {t_ours * 1e3:.2f} ms "
              f"({tflops:.1f} TFLOP/s) | {ratio:.2f}x | {verdict} |", flush=True)
        results[size] = {"hand_ms": t_hand * 1e3, "tapegrad_ms": t_ours * 1e3, "ratio": ratio}
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_step.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
