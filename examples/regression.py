"""Regression, the TensorFlow way: first a line fitted with two tf.Variables and SGD (the classic
"fit y = w*x + b" loop), then a small Keras MLP fitted to a noisy sine with Adam and the mean squared error.

Run it with `python3 examples/regression.py` (a few seconds). Only the import line differs from the TensorFlow
program.
"""

import numpy as np

import tapegrad as tf

rng = np.random.default_rng(42)

# --- 1. A line: y = 3x + 2, with noise, and a model of two variables.
x = tf.constant(rng.uniform(-1, 1, 200).astype("float32"))
y = 3.0 * x + 2.0 + tf.constant(rng.normal(0, 0.1, 200).astype("float32"))

w = tf.Variable(0.0, name="w")
b = tf.Variable(0.0, name="b")
optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
for step in range(200):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - (w * x + b)))
    grads = tape.gradient(loss, [w, b])
    optimizer.apply_gradients(zip(grads, [w, b]))
    if step % 50 == 0:
        print(f"step {step:3d}: loss {float(loss):.4f}")
print(f"fitted line: y = {float(w):.3f} x + {float(b):.3f}   (true: y = 3x + 2)")

# --- 2. A curve: y = sin(3x), with noise, and a small MLP.
x = rng.uniform(-1, 1, (512, 1)).astype("float32")
y = (np.sin(3 * x) + rng.normal(0, 0.05, x.shape)).astype("float32")
x_test = np.linspace(-1, 1, 101, dtype="float32")[:, None]

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.layers.Dense(64, activation="tanh"),
    tf.keras.layers.Dense(64, activation="tanh"),
    tf.keras.layers.Dense(1),
])
mse = tf.keras.losses.MeanSquaredError()
optimizer = tf.keras.optimizers.Adam(learning_rate=tf.keras.optimizers.schedules.ExponentialDecay(
    0.02, decay_steps=200, decay_rate=0.5))
for step in range(600):
    batch = rng.integers(0, len(x), 64)
    with tf.GradientTape() as tape:
        loss = mse(y[batch], model(x[batch]))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    if step % 150 == 0:
        print(f"step {step:3d}: loss {float(loss):.5f}, learning rate {float(optimizer.learning_rate):.5f}")

error = float(tf.reduce_max(tf.abs(model(x_test) - np.sin(3 * x_test))))
print(f"largest error of the fitted sine on [-1, 1]: {error:.3f}")
