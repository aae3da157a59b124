"""An MLP on scikit-learn's 8x8 digits, trained on a GPU with a GradientTape and plain tf.Variables.

    pip install 'tapegrad[gpu,train]'       # CuPy for CUDA 12, and scikit-learn for the data
    python3 examples/digits_mlp_gpu.py
    python3 examples/digits_mlp_gpu.py --epochs 3 --device /CPU:0

Everything is created inside `with tf.device(...)`: the data, the weights, and so every op and gradient,
live on the GPU as CuPy arrays; only the printed numbers come back to the host (`.numpy()`, `float()`).
Without a GPU (or CuPy) TensorFlow's soft placement puts it all on the CPU, so the program runs anywhere
and says where it ran. The update is plain SGD with momentum written with `assign_sub`, which keeps each
variable on its device.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def load_digits(seed: int = 0):
    """(x_train, y_train, x_test, y_test): 8x8 images as 64 floats in [0, 1], labels 0-9; 80/20 split."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(0.8 * len(x))
    return x[:cut], y[:cut], x[cut:], y[cut:]


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="/GPU:0")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    return train(*load_digits(args.seed), device=args.device, epochs=args.epochs, hidden=args.hidden,
                 batch=args.batch, lr=args.lr, seed=args.seed)


def train(xtr, ytr, xte, yte, device: str = "/GPU:0", epochs: int = 30, hidden: int = 128, batch: int = 64,
          lr: float = 0.1, seed: int = 0) -> float:
    """Trains the MLP on (xtr, ytr) on `device`, printing progress; returns the accuracy on (xte, yte)."""
    import tapegrad as tf

    gpus = tf.config.list_physical_devices("GPU")
    print(f"GPUs: {[g.name for g in gpus] or 'none (CuPy missing, or no CUDA device)'}")
    with tf.device(device):
        x_train, y_train = tf.constant(xtr), tf.constant(ytr)
        x_test, y_test = tf.constant(xte), tf.constant(yte)
        tf.random.set_seed(seed)
        sizes = [xtr.shape[1], hidden, hidden, 10]
        weights = [tf.Variable(tf.random.normal((a, b), stddev=float(np.sqrt(2.0 / a))), name=f"w{i}")
                   for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
        biases = [tf.Variable(tf.zeros((b,)), name=f"b{i}") for i, b in enumerate(sizes[1:])]
        params = weights + biases
        velocity = [tf.Variable(tf.zeros(v.shape)) for v in params]
    print(f"training on {x_train.device.rsplit('device:', 1)[-1]}")

    def logits_of(x):
        h = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = tf.matmul(h, w) + b
            if i < len(weights) - 1:
                h = tf.nn.relu(h)
        return h

    rng = np.random.default_rng(seed)
    n = len(xtr)
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n - batch + 1, batch):
            idx = order[start:start + batch]
            xb, yb = tf.gather(x_train, idx), tf.gather(y_train, idx)  # gathered on the data's device
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits_of(xb)))
            for v, m, g in zip(params, velocity, tape.gradient(loss, params)):
                m.assign(0.9 * m + g)
                v.assign_sub(lr * m)
            total += float(loss)
        if epoch == 1 or epoch % 10 == 0 or epoch == epochs:
            acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits_of(x_test), axis=1, output_type=tf.int32), y_test),
                                         tf.float32))
            print(f"epoch {epoch:3d}: train loss {total / (n // batch):.4f}, test accuracy {float(acc):.4f}")
    print(f"{time.perf_counter() - t0:.1f} s; the weights live on {weights[0].device}")
    return float(acc)


if __name__ == "__main__":
    main()
