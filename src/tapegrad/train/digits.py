"""`tapegrad train digits`: an MLP trained with a plain GradientTape loop on scikit-learn's 8x8 digits.

Key decisions:
- The loop is the one a TensorFlow user writes (`with tf.GradientTape() as tape: ...`,
  `tape.gradient(loss, model.trainable_variables)`, `optimizer.apply_gradients(zip(...))`), on tapegrad's
  `tf.keras` layers, loss, metrics and optimizers; nothing in it is specific to tapegrad.
- Reproducible and resumable: the weights come from `tf.keras.utils.set_random_seed(seed)`, and each epoch's
  shuffle from a generator seeded by `(seed, epoch)`, so a run resumed from the checkpoint written after
  epoch k sees exactly the batches the uninterrupted run saw and reaches the same weights, bit for bit. The
  checkpoint holds the model, the optimizer (slots and step count), the epoch and the history of the curves;
  the options that shape the run are kept beside it (`digits_run.json`), and a resume with other options
  is refused rather than silently giving another run.
- scikit-learn (the data, bundled with it: no download), tqdm (the progress bar) and matplotlib (the PNG,
  drawn with the Agg canvas directly, leaving pyplot's global backend alone) are the `[train]` extra,
  imported only here and only when a run starts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

__all__ = ["DigitsResult", "MissingExtraError", "load_data", "plot_history", "train_digits"]

INSTALL_HINT = "pip install 'tapegrad[train]'"
_RUN_FILE = "digits_run.json"
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")
_SHAPING = ("hidden", "optimizer", "lr", "batch_size", "seed", "schedule")  # options a resume must keep


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency of `tapegrad train` is not installed (the message says what to install)."""


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        names = {"sklearn": "scikit-learn"}
        listed = ", ".join(names.get(m, m) for m in missing)
        raise MissingExtraError(f"`tapegrad train digits` needs {listed}, which {'is' if len(missing) == 1 else 'are'} "
                                f"not installed. Install the training extra: {INSTALL_HINT}")


@dataclass
class DigitsResult:
    """What `train_digits` returns: the final test accuracy, the per-epoch curves and where files went."""

    test_accuracy: float
    history: dict[str, list[float]]
    model: Any
    optimizer: Any
    epochs: int
    resumed_from: str | None = None
    checkpoint: str | None = None
    plot: str | None = None
    seconds: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)


def load_data(test_size: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1,797 8x8 digits of scikit-learn, split 80/20 (stratified, fixed), standardized with the training
    set's per-pixel mean and deviation: (x_train, y_train, x_test, y_test), float32 and int64."""
    _require("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data.astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, stratify=y, random_state=0)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0  # pixels that are 0 in every training image
    return ((x_train - mean) / std).astype(np.float32), y_train, ((x_test - mean) / std).astype(np.float32), y_test


def _build_model(tf, hidden: Sequence[int]):
    layers = [tf.keras.layers.Dense(units, activation="relu") for units in hidden]
    model = tf.keras.Sequential(layers + [tf.keras.layers.Dense(10)], name="digits_mlp")
    model.build((None, 64))
    return model


def _make_optimizer(tf, name: str, lr: float, schedule: str, total_steps: int):
    learning_rate = lr if schedule == "constant" else tf.keras.optimizers.schedules.CosineDecay(lr, total_steps)
    if name == "sgd":
        return tf.keras.optimizers.SGD(learning_rate, momentum=0.9)
    classes = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
    return getattr(tf.keras.optimizers, classes[name])(learning_rate)


def _write_json(path: str, data: dict) -> None:
    from .checkpoint import _atomic_write

    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    _atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def train_digits(epochs: int = 30, batch_size: int = 32, lr: float = 3e-3, optimizer: str = "adam", seed: int = 0,
                 hidden: Sequence[int] = (256,), schedule: str = "cosine", checkpoint_dir: str | None = None,
                 resume: bool = False, plot: str | None = None, progress: bool | None = None,
                 out: TextIO | None = None) -> DigitsResult:
    """Trains an MLP (64 -> hidden -> 10, ReLU) on the digits with a GradientTape loop and returns the result.

    Args:
      epochs: passes over the 1,437 training images.
      batch_size: images per step.
      lr: the learning rate (the start of the cosine decay with `schedule="cosine"`).
      optimizer: 'adam', 'adamw', 'sgd' (momentum 0.9), 'rmsprop' or 'adagrad'.
      seed: seeds the initial weights and the shuffling.
      hidden: the sizes of the hidden layers.
      schedule: 'cosine' (decay to 0 over the run) or 'constant'.
      checkpoint_dir: write a checkpoint there after every epoch (the last 3 are kept).
      resume: continue from the latest checkpoint in `checkpoint_dir` (same options required).
      plot: write a PNG of the loss and accuracy curves there.
      progress: show a tqdm bar per epoch (default: when stderr is a terminal); else one line per epoch.
      out: where the report lines go (default: stdout).

    Raises:
      MissingExtraError: scikit-learn, tqdm or matplotlib is missing (`pip install 'tapegrad[train]'`).
      ValueError: bad options, or `resume` with other options than the checkpointed run's.

    >>> from tapegrad.train.digits import train_digits
    >>> result = train_digits(epochs=2, progress=False, out=open("/dev/null", "w"))  # doctest: +SKIP
    >>> result.test_accuracy > 0.9  # doctest: +SKIP
    True
    """
    _require("sklearn", "tqdm", *(["matplotlib"] if plot else []))
    from tqdm import tqdm

    import tapegrad as tf

    out = sys.stdout if out is None else out
    optimizer = optimizer.lower()
    hidden = tuple(int(h) for h in hidden)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of {', '.join(_OPTIMIZERS)}.")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"Unknown schedule {schedule!r}; choose 'cosine' or 'constant'.")
    if epochs < 1 or batch_size < 1 or lr <= 0 or not hidden or min(hidden) < 1:
        raise ValueError("epochs, batch_size, lr and the hidden sizes must be positive.")
    if resume and not checkpoint_dir:
        raise ValueError("resume needs checkpoint_dir: the directory of the checkpoints to continue from.")
    config = {"hidden": list(hidden), "optimizer": optimizer, "lr": lr, "batch_size": batch_size, "seed": seed,
              "schedule": schedule, "epochs": epochs}
    start = time.perf_counter()

    x_train, y_train, x_test, y_test = load_data()
    n = len(x_train)
    steps_per_epoch = -(-n // batch_size)
    tf.keras.utils.set_random_seed(seed)
    model = _build_model(tf, hidden)
    opt = _make_optimizer(tf, optimizer, lr, schedule, epochs * steps_per_epoch)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_loss = tf.keras.metrics.Mean(name="loss")
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")
    x_test_t, y_test_t = tf.constant(x_test), tf.constant(y_test)

    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "test_accuracy": []}
    ckpt = manager = resumed_from = None
    if checkpoint_dir:
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt, epoch=epoch)
        manager = tf.train.CheckpointManager(ckpt, checkpoint_dir, max_to_keep=3)
        run_file = os.path.join(checkpoint_dir, _RUN_FILE)
        if resume and manager.latest_checkpoint:
            with open(run_file, encoding="utf-8") as f:
                saved = json.load(f)
            changed = [k for k in _SHAPING if saved.get(k) != config[k]]
            if changed:
                raise ValueError(f"--resume: the checkpoints in {checkpoint_dir} are of a run with other options ("
                                 + ", ".join(f"{k}={saved.get(k)!r}, not {config[k]!r}" for k in changed)
                                 + "). Resume with the same options, or use another --checkpoint-dir.")
            saved_history = tf.train.load_variable(manager.latest_checkpoint, "history")
            ckpt.history = tf.Variable(saved_history, trainable=False, name="history")
            ckpt.restore(manager.latest_checkpoint).assert_consumed()
            resumed_from = manager.latest_checkpoint
            for row in np.asarray(saved_history):
                for key, value in zip(history, row):
                    history[key].append(float(value))
            print(f"Resumed from {resumed_from} (after epoch {int(epoch.numpy())}).", file=out)
        elif resume:
            print(f"No checkpoint in {checkpoint_dir}: starting from scratch.", file=out)
        _write_json(run_file, config)

    hidden_text = "-".join(str(h) for h in (64, *hidden, 10))
    print(f"Training an MLP {hidden_text} on {n} digits ({len(x_test)} held out): {type(opt).__name__}, "
          f"lr {lr:g} ({schedule}), batch {batch_size}, {epochs} epochs, seed {seed}.", file=out)
    if progress is None:
        progress = sys.stderr.isatty()
    out.flush()

    for e in range(int(epoch.numpy()), epochs):
        perm = np.random.default_rng([seed, e]).permutation(n)
        train_loss.reset_state()
        train_accuracy.reset_state()
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {e + 1}/{epochs}", unit="batch", leave=True,
                   disable=not progress, file=sys.stderr, dynamic_ncols=True)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            x, y = tf.constant(x_train[idx]), tf.constant(y_train[idx])
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                loss = loss_fn(y, logits)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            train_loss.update_state(loss)
            train_accuracy.update_state(y, logits)
            if progress:
                bar.set_postfix({"loss": f"{float(train_loss.result()):.4f}",
                                 "accuracy": f"{float(train_accuracy.result()):.4f}"}, refresh=False)
                bar.update(1)
        test_accuracy.reset_state()
        test_accuracy.update_state(y_test_t, model(x_test_t, training=False))
        row = (float(train_loss.result()), float(train_accuracy.result()), float(test_accuracy.result()))
        for key, value in zip(history, row):
            history[key].append(value)
        if progress:
            bar.set_postfix({"loss": f"{row[0]:.4f}", "accuracy": f"{row[1]:.4f}", "test_accuracy": f"{row[2]:.4f}"})
            bar.close()
        else:
            print(f"epoch {e + 1}/{epochs}: loss {row[0]:.4f}, accuracy {row[1]:.2%}, test accuracy {row[2]:.2%}",
                  file=out)
        epoch.assign(e + 1)
        if manager is not None:
            ckpt.history = tf.Variable(np.array([history[k] for k in history], np.float64).T, trainable=False,
                                       name="history")
            manager.save()

    test_accuracy.reset_state()
    test_accuracy.update_state(y_test_t, model(x_test_t, training=False))
    final = float(test_accuracy.result())
    correct = int(round(final * len(y_test)))
    print(f"Test accuracy: {final:.2%} ({correct}/{len(y_test)})", file=out)
    plot_path = None
    if plot:
        plot_path = plot_history(history, plot)
        print(f"Loss and accuracy curves: {os.path.abspath(plot_path)}", file=out)
    latest = manager.latest_checkpoint if manager is not None else None
    if latest:
        print(f"Latest checkpoint: {latest}", file=out)
    return DigitsResult(test_accuracy=final, history=history, model=model, optimizer=opt, epochs=epochs,
                        resumed_from=resumed_from, checkpoint=latest, plot=plot_path,
                        seconds=time.perf_counter() - start, config=config)


def plot_history(history: dict[str, list[float]], path: str) -> str:
    """Draws the loss and the accuracies per epoch side by side into the PNG `path`; returns the path."""
    _require("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, history["loss"], marker="o", markersize=3, label="training loss")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    ax_acc.plot(epochs, history["accuracy"], marker="o", markersize=3, label="training")
    ax_acc.plot(epochs, history["test_accuracy"], marker="s", markersize=3, label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    ax_acc.axhline(0.97, color="gray", linewidth=0.8, linestyle=":", label="97%")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("tapegrad: MLP on the 8x8 digits")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
