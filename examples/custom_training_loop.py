"""A custom training loop, written as in TensorFlow: a Keras model, a loss, an optimizer, metrics, a
`tf.function` train step, a validation pass and checkpoints, on two interleaved half-moons made with NumPy.

Run it with `python3 examples/custom_training_loop.py` (a few seconds). Only the import line differs from the
TensorFlow program.
"""

import tempfile

import numpy as np

import tapegrad as tf


def make_moons(n, noise, rng):
    """Two interleaved half circles, labelled 0 and 1."""
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return (x + noise * rng.standard_normal((n, 2))).astype("float32"), label.astype("int32")


rng = np.random.default_rng(0)
x_train, y_train = make_moons(1024, 0.1, rng)
x_val, y_val = make_moons(256, 0.1, rng)

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(2),
])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
train_loss = tf.keras.metrics.Mean(name="train_loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
val_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="val_accuracy")

checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
manager = tf.train.CheckpointManager(checkpoint, tempfile.mkdtemp(), max_to_keep=2)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_accuracy.update_state(y, logits)


batch_size = 64
for epoch in range(10):
    train_loss.reset_state()
    train_accuracy.reset_state()
    val_accuracy.reset_state()
    order = np.random.default_rng(epoch).permutation(len(x_train))
    for start in range(0, len(x_train), batch_size):
        batch = order[start:start + batch_size]
        train_step(tf.constant(x_train[batch]), tf.constant(y_train[batch]))
    val_accuracy.update_state(y_val, model(tf.constant(x_val), training=False))
    path = manager.save()
    print(f"epoch {epoch + 1:2d}: loss {float(train_loss.result()):.4f}, "
          f"accuracy {float(train_accuracy.result()):.3f}, validation accuracy {float(val_accuracy.result()):.3f}")

print(f"{int(optimizer.iterations)} steps; latest checkpoint: {path}")
