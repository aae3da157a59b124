"""Logistic regression on a Dask array of a few million rows, trained with a GradientTape on a LocalCluster.

    pip install 'tapegrad[dask]'
    python3 examples/logistic_regression_dask.py                  # 4,000,000 rows x 16 features, 2 workers
    python3 examples/logistic_regression_dask.py --rows 20000     # a quick run

The data is a Dask array chunked by rows, generated and kept on the workers. The weights are ordinary
`tf.Variable`s, small and materialized on the client. Each step builds the full-batch loss and its gradient
as one lazy Dask graph (the tape records Dask-backed tensors like any others) and runs it with exactly one
`dask.compute(loss, *grads)`: one pass over the data per optimizer step, the loss and both gradients sharing
it. At the end the gradient is compared with the one tapegrad computes on the same data as NumPy arrays.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def make_data(rows: int, features: int, chunk: int, seed: int = 0):
    """X (rows x features, float32, chunked by rows) and labels y from a noisy linear rule, lazily."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, features), chunks=(chunk, features), dtype=np.float32)
    true_w = np.linspace(-1.0, 1.0, features, dtype=np.float32)
    noise = rng.standard_normal(rows, chunks=chunk, dtype=np.float32)
    y = ((X @ true_w + 0.5 * noise) > 0).astype(np.float32)
    return X, y


def loss_and_grads(tf, X, y, w, b):
    """The mean logistic loss over every row and its gradient with respect to [w, b] (lazy for Dask X)."""
    with tf.GradientTape() as tape:
        logits = tf.squeeze(tf.matmul(X, w), axis=1) + b
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    return loss, tape.gradient(loss, [w, b])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=4_000_000)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--chunk", type=int, default=250_000, help="rows per chunk")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--lr", type=float, default=2.0)
    args = p.parse_args(argv)

    import dask
    from dask.distributed import Client, LocalCluster

    import tapegrad as tf

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        X, y = make_data(args.rows, args.features, min(args.chunk, args.rows))
        X, y = client.persist([X, y])  # generated once, kept on the workers
        print(f"{args.rows:,} rows x {args.features} features in {X.numblocks[0]} chunks on "
              f"{len(client.scheduler_info()['workers'])} workers")
        Xt, yt = tf.constant(X), tf.constant(y)
        w = tf.Variable(tf.zeros((args.features, 1)), name="w")
        b = tf.Variable(0.0, name="b")
        for step in range(1, args.steps + 1):
            t0 = time.perf_counter()
            loss, grads = loss_and_grads(tf, Xt, yt, w, b)  # lazy: nothing computed yet
            loss, gw, gb = dask.compute(loss, *grads)      # the step's one pass over the data
            w.assign_sub(args.lr * gw)                     # Variables stay small and materialized
            b.assign_sub(args.lr * gb)
            print(f"step {step}: loss {float(loss):.5f}  ({time.perf_counter() - t0:.2f} s)")

        # The same gradient with the data as NumPy arrays on the client.
        _, lazy = loss_and_grads(tf, Xt, yt, w, b)
        gw, gb = dask.compute(*lazy)
        X_host, y_host = dask.compute(X, y)
    _, (gw_np, gb_np) = loss_and_grads(tf, tf.constant(X_host), tf.constant(y_host), w, b)
    diff = max(float(np.max(np.abs(gw.numpy() - gw_np.numpy()))), abs(float(gb) - float(gb_np)))
    scale = float(np.max(np.abs(gw_np.numpy())))
    print(f"gradient vs NumPy: max abs difference {diff:.2e} (gradient scale {scale:.2e})")
    if diff > 1e-4 * max(scale, 1e-3):
        raise SystemExit("the Dask gradient differs from the NumPy one")
    print("weights:", np.round(w.numpy().ravel(), 3))


if __name__ == "__main__":
    main()
